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

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPECS = ROOT.parent / "shared" / "specs"

os.umask(0o077)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
