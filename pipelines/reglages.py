"""Settings of a deployment, from the environment with embedded defaults under `var/`.

| variable | default | what |
|---|---|---|
| PASSERELLE_HOME | var | working area: staging, set-aside files, history and emission caches |
| PASSERELLE_INBOX | $HOME/inbox | local inbox folder (all systems) |
| PASSERELLE_OUTBOX | $HOME/outbox | local outbox folder (gide/, p3/, dude/) |
| PASSERELLE_REPORTS | $HOME/reports | reports, one folder per night |
| PASSERELLE_DB_URL | sqlite:///$HOME/passerelle.db | SQLAlchemy URL (SQLite or PostgreSQL) |
| PASSERELLE_SEUIL_QUARANTAINE | 0.20 | share of quarantined rows above which a file is rejected |
| PASSERELLE_RECLAMATION_MINUTES | 30 | a claim older than this is taken over by the next run |
| PASSERELLE_RETENTION_JOURS | 90 | `passerelle purge` without `--before`: older copies go |
| PASSERELLE_DUREE_MAX_S | 14400 | `passerelle run` stops a night that runs longer (exit 1) |
| PASSERELLE_DELAI_STOCK_JOURS | 1 | R2 délai: what night N sent is loaded in a stock ≥ N + délai |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

# The longest a night may run: the nightly job's `dagster/max_runtime` tag, and the CLI's limit.
DUREE_MAX_S = 4 * 3600


class ReglageInvalide(ValueError):
    """A setting that cannot be used (exit code 2 on the command line)."""


def _float(env: dict[str, str], nom: str, defaut: float, lo: float, hi: float) -> float:
    brut = env.get(nom)
    if brut is None or brut == "":
        return defaut
    try:
        valeur = float(brut)
    except ValueError:
        raise ReglageInvalide(f"{nom} doit être un nombre, reçu {brut!r}") from None
    if not lo <= valeur <= hi:
        raise ReglageInvalide(f"{nom} doit être entre {lo} et {hi}, reçu {valeur}")
    return valeur


@dataclass(frozen=True)
class Reglages:
    home: Path
    inbox: Path
    outbox: Path
    reports: Path
    db_url: str
    seuil_quarantaine: float = 0.20
    reclamation_minutes: float = 30.0
    retention_jours: int = 90
    duree_max_s: float = DUREE_MAX_S
    allow_partial: bool = False
    delai_stock_jours: int = 1

    @property
    def staging(self) -> Path:
        return self.home / "staging"

    @property
    def rejets(self) -> Path:
        return self.home / "rejets"

    @property
    def cache_historique(self) -> Path:
        """The columnar copy of the validated history (`pipelines.cache_historique`)."""
        return self.home / "cache" / "historique"

    @property
    def cache_emissions(self) -> Path:
        """The columnar copy of what earlier nights sent (`pipelines.cache_emissions`)."""
        return self.home / "cache" / "emissions"

    @property
    def cache_instantanes(self) -> Path:
        """The DUDE_IN_ETATS snapshots of the last nights (`pipelines.rapprochement`)."""
        return self.home / "cache" / "instantanes"

    @staticmethod
    def depuis_env(env: dict[str, str] | None = None) -> Reglages:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("PASSERELLE_HOME") or "var")
        return Reglages(
            home=home,
            inbox=Path(env.get("PASSERELLE_INBOX") or home / "inbox"),
            outbox=Path(env.get("PASSERELLE_OUTBOX") or home / "outbox"),
            reports=Path(env.get("PASSERELLE_REPORTS") or home / "reports"),
            db_url=env.get("PASSERELLE_DB_URL") or f"sqlite:///{home / 'passerelle.db'}",
            seuil_quarantaine=_float(env, "PASSERELLE_SEUIL_QUARANTAINE", 0.20, 0.0, 1.0),
            reclamation_minutes=_float(env, "PASSERELLE_RECLAMATION_MINUTES", 30.0, 0.0, 1e6),
            retention_jours=int(_float(env, "PASSERELLE_RETENTION_JOURS", 90, 1, 36500)),
            duree_max_s=_float(env, "PASSERELLE_DUREE_MAX_S", DUREE_MAX_S, 1.0, 7 * 86400),
            delai_stock_jours=int(_float(env, "PASSERELLE_DELAI_STOCK_JOURS", 1, 1, 60)),
        )

    def avec(self, **changes: object) -> Reglages:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
