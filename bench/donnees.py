"""The benchmark's data: generated file sets and loaded databases, cached under bench/data/.

- `jeu(...)`: the nights written by `fixtures.generate` for one scale (the first night
  carries the whole history since `historique`, a reprise de l'existant; the second is an
  ordinary night). Reused while the generator's code and the options are unchanged.
- `charger(...)`: the first night run through `passerelle run` (the initial load), then its
  working area (database, staging, cache, Dagster home) kept as a snapshot. Reused while
  the project's code, the data and the options are unchanged.
- `restaurer(...)`: a fresh copy of a snapshot, so that every measured run starts from the
  same state. Files the project only ever replaces through a rename (staging copies, the
  history cache, outboxes, reports) are hard links; the databases are real copies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.processus import RACINE, Mesure, mesurer, module

PREMIERE_NUIT = dt.date(2014, 12, 1)
NUIT_ORDINAIRE = dt.date(2014, 12, 2)
DEBUT_HISTORIQUE = dt.date(2010, 1, 4)
SEED = 2010
JOUR_STOCKS = "mardi"  # NUIT_ORDINAIRE's weekday
TAUX_DIVERGENCE = 0.01
# The project's code a loaded database depends on.
PAQUETS = ("connectors", "pipelines", "rules", "schemas", "reporting")
# Folders of a working area whose files are written once and replaced by renames only.
PARTAGEABLES = ("staging", "cache", "outbox", "reports", "rejets")


@dataclass(frozen=True)
class Jeu:
    echelle: float
    historique: dt.date
    dossier: Path

    @property
    def inbox(self) -> Path:
        return self.dossier / "inbox"

    def inbox_sans_stocks(self) -> Path:
        """The same files without the stock files (hard links), for the side-by-side night."""
        dossier = self.dossier / "inbox-sans-stocks"
        if not dossier.is_dir():
            dossier.mkdir(mode=0o700)
            for f in self.inbox.iterdir():
                if "_STOCK_" not in f.name:
                    os.link(f, dossier / f.name)
        return dossier


def _empreinte_code(paquets: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for paquet in paquets:
        for chemin in sorted((RACINE / paquet).rglob("*.py")):
            h.update(str(chemin.relative_to(RACINE)).encode())
            h.update(chemin.read_bytes())
    return h.hexdigest()[:16]


def _a_jour(dossier: Path, cle: dict[str, str]) -> bool:
    tampon = dossier / "tampon.json"
    return tampon.is_file() and json.loads(tampon.read_text()) == cle


def _marquer(dossier: Path, cle: dict[str, str]) -> None:
    (dossier / "tampon.json").write_text(json.dumps(cle, indent=1))


def jeu(racine: Path, echelle: float, historique: dt.date = DEBUT_HISTORIQUE) -> Jeu:
    """The generated nights of a scale (generated now unless cached)."""
    dossier = racine / f"echelle-{echelle:g}-depuis-{historique:%Y%m%d}" / "fichiers"
    cle = {
        "echelle": f"{echelle:g}",
        "historique": historique.isoformat(),
        "nuits": f"{PREMIERE_NUIT}..{NUIT_ORDINAIRE}",
        "seed": str(SEED),
        "stocks": f"{JOUR_STOCKS}, {TAUX_DIVERGENCE}",
        "generateur": _empreinte_code(("fixtures",)),
    }
    if not _a_jour(dossier, cle):
        if dossier.exists():
            shutil.rmtree(dossier)
        dossier.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        print(f"  génération des fichiers (échelle {echelle:g})…", flush=True)
        mesurer(
            module(
                "fixtures.generate",
                "--scale",
                f"{echelle:g}",
                "--from",
                PREMIERE_NUIT.isoformat(),
                "--to",
                NUIT_ORDINAIRE.isoformat(),
                "--history-from",
                historique.isoformat(),
                "--seed",
                str(SEED),
                # the three stocks on the ordinary night (a Tuesday), 1 % of rows diverging
                "--stocks",
                JOUR_STOCKS,
                "--taux-divergence",
                str(TAUX_DIVERGENCE),
                "--out",
                str(dossier),
            )
        )
        _marquer(dossier, cle)
    return Jeu(echelle, historique, dossier)


@dataclass(frozen=True)
class Zone:
    """A working area: PASSERELLE_HOME and DAGSTER_HOME."""

    dossier: Path

    @property
    def home(self) -> Path:
        return self.dossier / "var"

    @property
    def dagster_home(self) -> Path:
        return self.dossier / "dagster"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.home / 'passerelle.db'}"

    def env(self) -> dict[str, str]:
        return {
            "PASSERELLE_HOME": str(self.home),
            "DAGSTER_HOME": str(self.dagster_home),
            "PASSERELLE_DB_URL": self.db_url,
        }


def nouvelle_zone(dossier: Path) -> Zone:
    if dossier.exists():
        shutil.rmtree(dossier)
    zone = Zone(dossier)
    zone.home.mkdir(parents=True, mode=0o700)
    zone.dagster_home.mkdir(parents=True, mode=0o700)
    shutil.copy(RACINE / "dagster.yaml", zone.dagster_home / "dagster.yaml")
    return zone


def commande_nuit(jeu_: Jeu, nuit: dt.date, stocks: bool = False) -> list[str]:
    """`passerelle run` of the night; the stock files only when asked (`stocks`)."""
    inbox = jeu_.inbox if stocks else jeu_.inbox_sans_stocks()
    return module(
        "pipelines.cli", "run", "--date", nuit.isoformat(), "--inbox", str(inbox), "--quiet"
    )


@dataclass(frozen=True)
class Chargement:
    zone: Zone
    mesure: dict[str, float]  # the initial load night: secondes, pic_octets, charge


def charger(racine: Path, jeu_: Jeu) -> Chargement:
    """The working area after the initial load night (run now unless cached)."""
    zone = Zone(jeu_.dossier.parent / "charge")
    cle = {
        "jeu": (jeu_.dossier / "tampon.json").read_text(),
        "code": _empreinte_code(PAQUETS),
        "nuit": PREMIERE_NUIT.isoformat(),
    }
    if not _a_jour(zone.dossier, cle):
        zone = nouvelle_zone(zone.dossier)
        print(f"  nuit de reprise {PREMIERE_NUIT} (échelle {jeu_.echelle:g})…", flush=True)
        m: Mesure = mesurer(commande_nuit(jeu_, PREMIERE_NUIT), zone.env())
        _marquer(zone.dossier, cle)
        (zone.dossier / "chargement.json").write_text(
            json.dumps({"secondes": m.secondes, "pic_octets": m.pic_octets, "charge": m.charge})
        )
    mesure = json.loads((zone.dossier / "chargement.json").read_text())
    return Chargement(zone, mesure)


def restaurer(instantane: Zone, dossier: Path) -> Zone:
    """A fresh working area with the snapshot's content."""
    if dossier.exists():
        shutil.rmtree(dossier)

    def copier(source: str, cible: str) -> None:
        relatif = Path(source).relative_to(instantane.dossier)
        if relatif.parts[0] == "var" and relatif.parts[1] in PARTAGEABLES:
            os.link(source, cible)
        else:
            shutil.copy2(source, cible)

    for partie in ("var", "dagster"):
        shutil.copytree(instantane.dossier / partie, dossier / partie, copy_function=copier)
    return Zone(dossier)
