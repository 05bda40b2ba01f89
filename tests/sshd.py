"""The session's OpenSSH server (fixtures/sshd.py), started once, and SFTP zones on it.

Imported by tests/conftest.py. sshd must be installed (`make test` does it): without it the
SFTP tests fail with the reason rather than being skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.sftp import Progression, SftpDropZone
from connectors.sftp_config import SftpConfig
from fixtures.sshd import ServeurSsh, serveur


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeurSsh]:
    with serveur(tmp_path_factory.mktemp("sshd")) as srv:
        yield srv


FabriqueZone = Callable[..., SftpDropZone]


@pytest.fixture
def zone_sftp(sshd: ServeurSsh, tmp_path: Path) -> Iterator[FabriqueZone]:
    """Builds SFTP zones on the session's server, inbox and outbox in `tmp_path`.

    Test settings: short timeouts and pauses, so that failures are quick; keyword
    arguments override any `SftpConfig` field, `profil` picks the server's port.
    """
    zones: list[SftpDropZone] = []
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    known_hosts = sshd.known_hosts(tmp_path / "known_hosts")

    def fabriquer(
        profil: str = "normal", progression: Progression | None = None, **reglages: object
    ) -> SftpDropZone:
        valeurs: dict[str, object] = {
            "systeme": "GIDE",
            "host": "127.0.0.1",
            "port": sshd.ports[profil],
            "user": sshd.user,
            "key": sshd.cle_client,
            "known_hosts": known_hosts,
            "inbox": str(tmp_path / "inbox"),
            "outbox": str(tmp_path / "outbox"),
            "staging": tmp_path / "staging",
            "connect_timeout": 5.0,
            "timeout": 5.0,
            "retries": 2,
            "backoff": 0.05,
        }
        zone = SftpDropZone(SftpConfig(**(valeurs | reglages)), progression)  # type: ignore[arg-type]
        zones.append(zone)
        return zone

    yield fabriquer
    for zone in zones:
        zone.close()
