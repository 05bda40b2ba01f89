"""The Dagster resource every asset uses: settings, drop zones and database.

Each field left empty takes its value from the environment (see `pipelines.reglages`), so a
run launched from the UI, by the schedule or by the sensor uses the deployment's settings,
while the command line overrides them through the run config.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from connectors.database import Database
from connectors.depot import Depot
from pipelines.reglages import Reglages

_SCHEMAS_PRETS: set[str] = set()


class PasserelleResource(dg.ConfigurableResource):
    """Where the files are, where the database is, and how strict the night is."""

    home: str | None = None
    inbox: str | None = None
    outbox: str | None = None
    reports: str | None = None
    db_url: str | None = None
    seuil_quarantaine: float | None = None
    allow_partial: bool = False
    sftp_config: str | None = None
    pseudonymiser: bool = False  # reports with identifiers replaced (HMAC, key from env)

    def reglages(self) -> Reglages:
        env = dict(os.environ)
        overrides = {
            "PASSERELLE_HOME": self.home,
            "PASSERELLE_INBOX": self.inbox,
            "PASSERELLE_OUTBOX": self.outbox,
            "PASSERELLE_REPORTS": self.reports,
            "PASSERELLE_DB_URL": self.db_url,
            "PASSERELLE_SEUIL_QUARANTAINE": (
                None if self.seuil_quarantaine is None else str(self.seuil_quarantaine)
            ),
        }
        env.update({k: v for k, v in overrides.items() if v is not None})
        return Reglages.depuis_env(env).avec(allow_partial=self.allow_partial)

    def depot(self) -> Depot:
        """Local folders, unless SFTP zones are configured (settings file or environment)."""
        r = self.reglages()
        if self.sftp_config or any(k.startswith("PASSERELLE_SFTP_") for k in os.environ):
            from connectors.sftp import depot_sftp

            return depot_sftp(Path(self.sftp_config) if self.sftp_config else None, r)
        return Depot.local(r.inbox, r.outbox)

    def database(self) -> Database:
        db = Database(self.reglages().db_url)
        if db.description not in _SCHEMAS_PRETS:
            db.creer_schema()
            _SCHEMAS_PRETS.add(db.description)
        return db
