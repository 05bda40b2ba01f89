"""The three systems' drop zones together: where each outbound flow goes, which inboxes to read.

`Depot.sortie[systeme]` is the zone that receives the flows of GIDE, P3 or DUDE, and
`Depot.entrees` the inboxes to list, each once even when several systems share one. The
local default is one inbox folder for every system and one outbox folder per receiving
system (`outbox/gide`, `outbox/p3`, `outbox/dude`, FLOWS.md); a system with SFTP settings
(connectors/sftp_config.py) uses its server instead, for both directions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from connectors.dropzone import DropZone, LocalDropZone
from connectors.sftp import SftpDropZone
from connectors.sftp_config import SYSTEMES, charger
from schemas.contract import SYSTEMES as SYSTEMES_DU_CONTRAT


@dataclass(frozen=True)
class Depot:
    """Each system's drop zone; close it (or use it as a context manager) to end connections."""

    sortie: Mapping[str, DropZone]

    @property
    def entrees(self) -> list[DropZone]:
        """The distinct inboxes, in system order."""
        vues: dict[str, DropZone] = {}
        for zone in self.sortie.values():
            vues.setdefault(zone.cle_entree, zone)
        return list(vues.values())

    def close(self) -> None:
        for zone in self.sortie.values():
            if isinstance(zone, SftpDropZone):
                zone.close()

    def __enter__(self) -> Depot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _locale(systeme: str, inbox: Path, outbox: Path) -> LocalDropZone:
    # SYSTEMES holds only the systems that receive flows: each has its outbox folder.
    return LocalDropZone(inbox, outbox / str(SYSTEMES_DU_CONTRAT[systeme].dossier_sortant))


def depot_local(inbox: Path, outbox: Path) -> Depot:
    """Local folders only: `inbox` for every system, `outbox/<system>` for each."""
    return Depot({s: _locale(s, Path(inbox), Path(outbox)) for s in SYSTEMES})


def depot(
    inbox: Path,
    outbox: Path,
    environ: Mapping[str, str] | None = None,
    settings: Path | None = None,
) -> Depot:
    """SFTP for the systems that have SFTP settings, the local folders for the others.

    Raises `SftpConfigError` for incomplete or invalid settings. No connection is opened
    until a zone is used.
    """
    zones: dict[str, DropZone] = {}
    for systeme in SYSTEMES:
        config = charger(systeme, environ, settings)
        zones[systeme] = (
            SftpDropZone(config) if config is not None else _locale(systeme, inbox, outbox)
        )
    return Depot(zones)
