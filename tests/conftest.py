"""Shared test fixtures. Real services (sshd, PostgreSQL, Chromium) start once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def banc(tmp_path: Path):
    """A temporary inbox, working area and SQLite database (see tests/banc.py)."""
    from tests.banc import nouveau_banc

    return nouveau_banc(tmp_path)
