"""Shared test fixtures. Real services (sshd, PostgreSQL, Chromium) start once per session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.pannes import petit_tmpfs, serveur_muet  # noqa: F401 (fixtures: real faults)
from tests.postgres import (  # noqa: F401 (fixtures)
    db,
    db_url,
    pg_schema_template,
    pg_url,
    postgres_server,
)
from tests.sshd import sshd, zone_sftp  # noqa: F401 (fixtures: the session's OpenSSH server)

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPECS = ROOT.parent / "shared" / "specs"

os.umask(0o077)

_MEMOIRE = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders in memory when possible: the pipeline's SQLite databases (and
    Dagster's) commit and fsync at every step, which a memory file system makes free.
    A per-session folder, so that concurrent sessions never clean each other's files."""
    if config.option.basetemp or hasattr(config, "workerinput"):
        return  # given on the command line, or an xdist worker (the controller chose)
    if _MEMOIRE.is_dir() and os.access(_MEMOIRE, os.W_OK):
        config.option.basetemp = tempfile.mkdtemp(prefix="passerelle-tests-", dir=_MEMOIRE)
        config._passerelle_basetemp = config.option.basetemp  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    basetemp = getattr(config, "_passerelle_basetemp", None)
    if basetemp:
        shutil.rmtree(basetemp, ignore_errors=True)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def banc(tmp_path: Path):
    """A temporary inbox, working area and SQLite database (see tests/banc.py)."""
    from tests.banc import nouveau_banc

    return nouveau_banc(tmp_path)
