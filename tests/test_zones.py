"""The three systems' zones together: local layout, SFTP where configured, inboxes listed once."""

from __future__ import annotations

from pathlib import Path

from connectors.dropzone import LocalDropZone
from connectors.sftp import SftpDropZone
from connectors.zones import depot, depot_local
from schemas.dialect import Ok


def test_depot_local_une_entree_et_une_sortie_par_systeme(tmp_path: Path) -> None:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    inbox.mkdir()

    with depot_local(inbox, outbox) as d:
        assert set(d.sortie) == {"GIDE", "P3", "DUDE"}
        assert len(d.entrees) == 1
        for systeme, zone in d.sortie.items():
            data = f"{systeme}\n".encode()
            zone.deposer("F_20100315.csv", data, Ok.of(data, 0).render())

    for dossier in ("gide", "p3", "dude"):
        assert sorted(p.name for p in (outbox / dossier).iterdir()) == [
            "F_20100315.csv",
            "F_20100315.csv.ok",
        ]
    assert (outbox / "p3" / "F_20100315.csv").read_bytes() == b"P3\n"


def test_depot_sftp_pour_les_systemes_configures_seulement(tmp_path: Path) -> None:
    env = {
        "PASSERELLE_SFTP_GIDE_HOST": "sftp.gide.example.fr",
        "PASSERELLE_SFTP_GIDE_USER": "passerelle",
        "PASSERELLE_SFTP_GIDE_KEY": str(tmp_path / "cle"),
        "PASSERELLE_SFTP_GIDE_KNOWN_HOSTS": str(tmp_path / "known_hosts"),
        "PASSERELLE_SFTP_GIDE_INBOX": "/depot/inbox",
        "PASSERELLE_SFTP_GIDE_OUTBOX": "/depot/outbox",
    }

    d = depot(tmp_path / "inbox", tmp_path / "outbox", env)

    assert isinstance(d.sortie["GIDE"], SftpDropZone)
    assert isinstance(d.sortie["P3"], LocalDropZone)
    assert isinstance(d.sortie["DUDE"], LocalDropZone)
    # The SFTP inbox, and the local inbox that P3 and DUDE share, each listed once.
    assert [type(z) for z in d.entrees] == [SftpDropZone, LocalDropZone]
    d.close()  # nothing was opened: closing is harmless
