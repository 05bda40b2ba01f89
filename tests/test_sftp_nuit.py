"""A full night through SFTP: each system's files fetched from, and flows sent to, its server.

The three systems' servers are the session's real OpenSSH sshd (one per system: separate
inbox and outbox folders on it). The night must give exactly the outbound bytes a run on
local folders gives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures.sshd import ServeurSsh
from tests.echantillon import INBOX, NUITS, passerelle

pytestmark = pytest.mark.sftp

NUIT = NUITS[0]
SYSTEMES = {"gide": "GIDE_", "p3": "P3_", "dude": "DUDE_", "ref": "REF_"}


def _serveurs(racine: Path) -> dict[str, Path]:
    """Each system's remote folders, filled with its own files of the night."""
    dossiers = {}
    for systeme, prefixe in SYSTEMES.items():
        dossier = racine / systeme
        (dossier / "inbox").mkdir(parents=True)
        (dossier / "outbox").mkdir()
        for f in INBOX.iterdir():
            if f.name.startswith(prefixe) and f"_{NUIT:%Y%m%d}.csv" in f.name:
                shutil.copy(f, dossier / "inbox" / f.name)
        dossiers[systeme] = dossier
    return dossiers


def _settings(sshd: ServeurSsh, dossiers: dict[str, Path], tmp_path: Path) -> Path:
    known_hosts = sshd.known_hosts(tmp_path / "known_hosts")
    blocs = []
    for systeme, dossier in dossiers.items():
        blocs.append(
            f"[sftp.{systeme}]\n"
            f'host = "127.0.0.1"\nport = {sshd.port}\nuser = "{sshd.user}"\n'
            f'key = "{sshd.cle_client}"\nknown_hosts = "{known_hosts}"\n'
            f'inbox = "{dossier / "inbox"}"\n'
            + (f'outbox = "{dossier / "outbox"}"\n' if systeme != "ref" else "")
            + "timeout = 10\nretries = 2\nbackoff = 0.1\n"
        )
    settings = tmp_path / "passerelle.toml"
    settings.write_text("\n".join(blocs))
    return settings


def test_a_full_night_through_sftp_gives_the_bytes_of_a_local_night(
    sshd: ServeurSsh, tmp_path: Path
):
    dossiers = _serveurs(tmp_path / "serveurs")
    settings = _settings(sshd, dossiers, tmp_path)
    vide = tmp_path / "inbox-locale-vide"
    vide.mkdir()

    distant = passerelle(
        tmp_path / "sftp", "--date", NUIT.isoformat(), "--sftp-config", str(settings), inbox=vide
    )
    local = passerelle(tmp_path / "local", "--date", NUIT.isoformat())

    assert distant.code == 0 and local.code == 0, distant.sortie + local.sortie
    for systeme in ("gide", "p3", "dude"):
        envoyes = sorted((dossiers[systeme] / "outbox").iterdir())
        attendus = sorted((local.outbox / systeme).iterdir())
        assert [f.name for f in envoyes] == [f.name for f in attendus]
        for recu, attendu in zip(envoyes, attendus, strict=True):
            assert recu.read_bytes() == attendu.read_bytes(), recu.name
            assert recu.stat().st_mode & 0o077 == 0, recu.name  # 0600 on the server
        assert not [f for f in (dossiers[systeme] / "outbox").iterdir() if f.name.startswith(".")]
    # nothing was written to the local outbox: every system has its SFTP zone
    assert not (distant.outbox).exists() or not any(distant.outbox.rglob("*.csv"))
    # the senders' files stay on their servers, untouched
    assert sorted(f.name for f in (dossiers["gide"] / "inbox").iterdir())
