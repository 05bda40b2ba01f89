"""Incidents for operators: a file in `reports/incidents/` and one clear log line.

An incident is what needs a human before the next night: a failed run, a night whose file
set is still incomplete at 06:00. The file is plain French text, names files and runs,
never a person.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from pathlib import Path

from connectors.dropzone import ecrire_atomique

log = logging.getLogger("passerelle.incidents")


def signaler(reports: Path, nuit: dt.date | None, nature: str, details: list[str]) -> Path:
    """Write (or rewrite) the incident file of this night and nature; returns its path."""
    ascii_ = unicodedata.normalize("NFKD", nature).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    quand = nuit.isoformat() if nuit is not None else "sans-nuit"
    chemin = reports / "incidents" / f"{quand}_{slug}.txt"
    texte = "\n".join(
        [
            f"INCIDENT PASSERELLE : {nature}",
            f"Nuit : {nuit:%d/%m/%Y}" if nuit is not None else "Nuit : (aucune)",
            *details,
            "",
        ]
    )
    ecrire_atomique(chemin, texte.encode("utf-8"))
    log.error("INCIDENT %s (nuit %s) : %s", nature, quand, chemin)
    return chemin
