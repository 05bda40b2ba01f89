"""Real faults for the tests: a peer that never speaks and a disk that fills up.

`serveur_muet` and `petit_tmpfs` are fixtures (registered in tests/conftest.py).
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


class ServeurMuet:
    """Accepts TCP connections on 127.0.0.1 and never says a word (no SSH banner): a peer
    hung before its banner."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.acceptees: list[socket.socket] = []
        self.fin = threading.Event()
        self.fil = threading.Thread(target=self._accepter, daemon=True)
        self.fil.start()

    def _accepter(self) -> None:
        while not self.fin.is_set():
            try:
                self.acceptees.append(self.sock.accept()[0])
            except TimeoutError:
                continue

    def attendre(self, n: int, limite: float = 5.0) -> None:
        """Until `n` connections were accepted (the accepting thread may lag a little)."""
        fin = time.monotonic() + limite
        while len(self.acceptees) < n and time.monotonic() < fin:
            self.fin.wait(0.01)

    def fermer(self) -> None:
        self.fin.set()
        self.fil.join()
        for s in [*self.acceptees, self.sock]:
            s.close()


@pytest.fixture
def serveur_muet() -> Iterator[ServeurMuet]:
    muet = ServeurMuet()
    yield muet
    muet.fermer()


@pytest.fixture
def petit_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (mounting needs root): a disk that fills up."""
    dossier = tmp_path / "petit"
    dossier.mkdir()
    montage = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(dossier)],
        capture_output=True,
        text=True,
    )
    if montage.returncode != 0:
        pytest.skip(f"montage d'un tmpfs impossible ici : {montage.stderr.strip()}")
    try:
        yield dossier
    finally:
        subprocess.run(["umount", str(dossier)], check=True)
