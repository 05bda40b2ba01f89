"""depot_sftp: SFTP zones for the systems that have settings, the local folders for the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.dropzone import DropZoneError, LocalDropZone
from connectors.sftp import SftpDropZone, depot_sftp
from connectors.sftp_config import SftpConfigError
from pipelines.reglages import Reglages

SERVEUR = """
host = "sftp.gide.example.fr"
user = "passerelle"
key = "cles/gide_ed25519"
known_hosts = "known_hosts"
inbox = "/depot/inbox"
"""


def _reglages(tmp_path: Path) -> Reglages:
    return Reglages.depuis_env({"PASSERELLE_HOME": str(tmp_path / "var")})


def test_depot_sftp_pour_les_systemes_configures_locaux_sinon(tmp_path: Path) -> None:
    settings = tmp_path / "passerelle.toml"
    # REF lists arrive in GIDE's inbox: same server, same folder, no outbox.
    settings.write_text(f'[sftp.gide]{SERVEUR}outbox = "/depot/outbox"\n\n[sftp.ref]{SERVEUR}')
    reglages = _reglages(tmp_path)

    depot = depot_sftp(settings, reglages, environ={})

    gide, ref = depot.zone("GIDE"), depot.zone("REF")
    assert isinstance(gide, SftpDropZone) and isinstance(ref, SftpDropZone)
    assert gide.staging == reglages.home / "staging" / "sftp" / "gide"
    for systeme, dossier in (("P3", "p3"), ("DUDE", "dude")):
        zone = depot.zone(systeme)
        assert isinstance(zone, LocalDropZone)
        assert (zone.inbox, zone.outbox) == (reglages.inbox, reglages.outbox / dossier)
    # GIDE's inbox (REF's too) and the local inbox shared by P3 and DUDE: listed once each.
    assert [type(z) for z in depot.zones_entree()] == [SftpDropZone, LocalDropZone]
    assert ref.lister_sortie() == []
    with pytest.raises(DropZoneError, match="aucun dossier de sortie"):
        ref.deposer("X.csv", b"x", b"ok")


def test_depot_sftp_fichier_sans_systeme_refuse(tmp_path: Path) -> None:
    settings = tmp_path / "passerelle.toml"
    settings.write_text('[base]\nurl = "x"\n')
    with pytest.raises(SftpConfigError, match=r"aucun système configuré.*\[sftp.gide\]"):
        depot_sftp(settings, _reglages(tmp_path), environ={})


def test_depot_sftp_sortie_obligatoire_hors_ref(tmp_path: Path) -> None:
    settings = tmp_path / "passerelle.toml"
    settings.write_text(f"[sftp.p3]{SERVEUR}")
    with pytest.raises(SftpConfigError, match="PASSERELLE_SFTP_P3_OUTBOX"):
        depot_sftp(settings, _reglages(tmp_path), environ={})
