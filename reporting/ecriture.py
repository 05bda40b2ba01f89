"""Writing night D's report: `<reports>/<YYYY-MM-DD>/`, all files or none.

The files are written into a private temporary folder next to the final one (0700, each
file 0600 through `connectors.dropzone.ecrire_atomique`), then the folder takes the final
name: a reader never sees a half-written report, and re-writing a night replaces its report
as a whole. Files in the night's folder that the report does not write (an operator's note)
are carried over. Everything is a function of the content: re-writing gives the same bytes.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

from connectors.dropzone import ecrire_atomique, ensure_private_dir
from reporting.classeur import classeur
from reporting.contenu import ContenuRapport
from reporting.csv_fr import anomalies_csv, indicateurs_csv, rapprochement_csv
from reporting.page import page_html
from reporting.pseudonymisation import pseudonymiser as pseudonymiser_contenu

FICHIERS = (
    "anomalies.csv",
    "indicateurs.csv",
    "rapprochement.csv",
    "etats.parquet",
    "rapport.xlsx",
    "rapport.html",
)


# Derived from the birth date: kept in the state, left out of the report's files.
COLONNES_RETIREES = ("age_affectation",)


def etats_parquet(contenu: ContenuRapport) -> bytes:
    """The episodes of the night (`Etat.episodes` without the age at affectation)."""
    tampon = io.BytesIO()
    episodes = contenu.episodes.drop(COLONNES_RETIREES, strict=False)
    episodes.write_parquet(tampon, compression="zstd", statistics=True)
    return tampon.getvalue()


def rendre(contenu: ContenuRapport) -> dict[str, bytes]:
    """Every file of the report, by name."""
    return {
        "anomalies.csv": anomalies_csv(contenu.anomalies),
        "indicateurs.csv": indicateurs_csv(contenu.indicateurs),
        "rapprochement.csv": rapprochement_csv(contenu.divergences_stock),
        "etats.parquet": etats_parquet(contenu),
        "rapport.xlsx": classeur(contenu),
        "rapport.html": page_html(contenu),
    }


def _fsync_dossier(dossier: Path) -> None:
    fd = os.open(dossier, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prefixe_temporaire(nuit: str, pid: int) -> str:
    """The name's start of the folders a report is written in before its rename: the
    writer's pid lets `passerelle purge` tell a killed writer's folder from a live one."""
    return f".{nuit}.{pid}-"


def ecrire_rapport(
    dossier: Path, contenu: ContenuRapport, pseudonymiser: bytes | None = None
) -> list[Path]:
    """Write night D's report under `dossier/<YYYY-MM-DD>/`; returns the files' paths.

    `pseudonymiser`: a secret key; every identifier of every file is then replaced by its
    HMAC-SHA256 pseudonym (`reporting.pseudonymisation`).
    """
    if pseudonymiser is not None:
        contenu = pseudonymiser_contenu(contenu, pseudonymiser)
    fichiers = rendre(contenu)
    dossier = Path(dossier)
    ensure_private_dir(dossier)
    final = dossier / contenu.jour.isoformat()
    prefixe = prefixe_temporaire(final.name, os.getpid())
    nouveau = Path(tempfile.mkdtemp(prefix=prefixe, suffix=".tmp", dir=dossier))
    try:
        for nom, data in fichiers.items():
            ecrire_atomique(nouveau / nom, data)
        if final.exists():
            for autre in sorted(final.iterdir()):
                if autre.name not in fichiers:
                    os.replace(autre, nouveau / autre.name)
            ancien = Path(tempfile.mkdtemp(prefix=prefixe, suffix=".old", dir=dossier))
            os.replace(final, ancien / final.name)
            os.replace(nouveau, final)
            shutil.rmtree(ancien)
        else:
            os.replace(nouveau, final)
        _fsync_dossier(dossier)
    except BaseException:
        shutil.rmtree(nouveau, ignore_errors=True)
        raise
    return [final / nom for nom in FICHIERS]
