"""The set of drop zones of a deployment: where each system's flows come from and go to.

In production each system has its own SFTP server (inbox and outbox); locally, one inbox
folder receives every system's files and the outbox has one folder per receiving system.
REF lists arrive in the inbox of the zone configured for them (locally: the same folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.dropzone import DropZone, LocalDropZone
from schemas.contract import SYSTEMES


@dataclass(frozen=True)
class Depot:
    """Which drop zone serves each system (by the system's name: GIDE, P3, DUDE, REF)."""

    zones: dict[str, DropZone]

    def zone(self, systeme: str) -> DropZone:
        try:
            return self.zones[systeme]
        except KeyError:
            raise KeyError(f"aucune zone de dépôt configurée pour {systeme}") from None

    def zones_entree(self) -> list[DropZone]:
        """Each inbox once, even when several systems share it."""
        seen: dict[str, DropZone] = {}
        for zone in self.zones.values():
            seen.setdefault(zone.cle_entree, zone)
        return list(seen.values())

    @staticmethod
    def local(inbox: Path, outbox: Path) -> Depot:
        """One shared inbox; outbound files in `outbox/<gide|p3|dude>/`."""
        zones: dict[str, DropZone] = {}
        for nom, systeme in SYSTEMES.items():
            dossier = systeme.dossier_sortant or "ref"
            zones[nom] = LocalDropZone(Path(inbox), Path(outbox) / dossier)
        return Depot(zones)
