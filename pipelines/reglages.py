"""Settings of a deployment, from the environment with embedded defaults under `var/`.

| variable | default | what |
|---|---|---|
| PASSERELLE_HOME | var | working area: staging, set-aside files, history cache, Dagster I/O |
| PASSERELLE_INBOX | $HOME/inbox | local inbox folder (all systems) |
| PASSERELLE_OUTBOX | $HOME/outbox | local outbox folder (gide/, p3/, dude/) |
| PASSERELLE_REPORTS | $HOME/reports | reports, one folder per night |
| PASSERELLE_DB_URL | sqlite:///$HOME/passerelle.db | SQLAlchemy URL (SQLite or PostgreSQL) |
| PASSERELLE_SEUIL_QUARANTAINE | 0.20 | share of quarantined rows above which a file is rejected |
| PASSERELLE_RECLAMATION_MINUTES | 30 | a claim older than this is taken over by the next run |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


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
    allow_partial: bool = False

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
        )

    def avec(self, **changes: object) -> Reglages:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
