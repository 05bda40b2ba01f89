"""The Dagster code location of Passerelle (`dagster dev -m pipelines.definitions`)."""

from __future__ import annotations

import os

import dagster as dg

from pipelines.assets.cotraitance import completude_nuit, etats
from pipelines.assets.entrants import assets_entrants
from pipelines.assets.rapports import rapport_de_nuit
from pipelines.assets.rapprochement import rapprochement_des_stocks
from pipelines.assets.sortants import assets_sortants
from pipelines.execution import progression
from pipelines.jobs import nuit_job
from pipelines.reglages import Reglages
from pipelines.resources import PasserelleResource
from pipelines.schedules import nuit_de_6h
from pipelines.sensors import echec_de_nuit, fichiers_complets

# Personal data: whatever the webserver, the daemon or a run creates is owner-only.
os.umask(0o077)


def build_definitions(resource: PasserelleResource | None = None) -> dg.Definitions:
    home = Reglages.depuis_env().home
    return dg.Definitions(
        assets=[
            *assets_entrants(),
            completude_nuit,
            etats,
            rapprochement_des_stocks,
            *assets_sortants(),
            rapport_de_nuit,
        ],
        jobs=[nuit_job],
        sensors=[fichiers_complets, echec_de_nuit],
        schedules=[nuit_de_6h],
        loggers={"progression": progression},
        # Assets materialised from the asset graph run in Dagster's implicit asset job: in one
        # process, as the job `nuit` does, not one process per step.
        executor=dg.in_process_executor,
        resources={
            "passerelle": resource or PasserelleResource(),
            "io_manager": dg.FilesystemIOManager(base_dir=str(home / "dagster_io")),
        },
    )


defs = build_definitions()
