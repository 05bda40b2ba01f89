"""Running nights through Dagster in-process, as the command line and the benchmarks do.

The nightly job runs in this process against the Dagster instance of `$DAGSTER_HOME` (so
the runs appear in the UI) or an ephemeral one. Progress is shown by a Dagster logger that
advances a progress bar on each finished step and prints warnings above it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from tqdm import tqdm

from pipelines import completude
from pipelines.reglages import Reglages

_barre: tqdm | None = None


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        barre = _barre
        if event is not None and barre is not None:
            if event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
                barre.update(1)
                barre.set_postfix_str(str(event.step_key or "")[-40:])
            return
        if record.levelno >= logging.WARNING:
            message = meta.get("orig_message") or record.getMessage()
            (barre.write if barre is not None else print)(f"  ! {message}")


@dg.logger(description="Progress bar and warnings for the command line.")
def progression(_init_context: dg.InitLoggerContext) -> logging.Logger:
    lg = logging.Logger("passerelle.progression", level=logging.DEBUG)
    lg.addHandler(_ProgressHandler())
    return lg


@dataclass(frozen=True)
class IssueNuit:
    nuit: dt.date
    succes: bool
    complete: bool
    emise: bool
    erreur: str | None


def instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _enveloppe(nom: str | None) -> bool:
    return bool(nom) and str(nom).startswith("Dagster")


def _erreur(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            err = event.step_failure_data.error
            # The user code's own exception, not Dagster's wrapper around it; not deeper:
            # below it are the causes it already explains (a timeout behind "échec après
            # 3 tentatives (délai dépassé)").
            while err is not None and err.cause is not None and _enveloppe(err.cls_name):
                err = err.cause
            message = err.message.strip().splitlines()[0] if err else "erreur inconnue"
            return f"{event.step_key} : {message}"
    return "échec du run"


def executer_nuit(
    defs: dg.Definitions,
    reglages: Reglages,
    nuit: dt.date,
    config: dict[str, Any],
    inst: dg.DagsterInstance,
    barre: bool = True,
) -> IssueNuit:
    """Run the nightly job for one night; its outcome as recorded in the database."""
    global _barre
    job = defs.resolve_job_def("nuit")
    total = len(defs.resolve_asset_graph().get_all_asset_keys())
    _barre = tqdm(total=total, desc=f"nuit {nuit}", unit="étape", disable=not barre, leave=True)
    try:
        result = job.execute_in_process(
            run_config={
                "resources": {"passerelle": {"config": config}},
                "loggers": {"progression": {}},
            },
            instance=inst,
            partition_key=nuit.isoformat(),
            raise_on_error=False,
            tags={"passerelle/origine": "cli"},
        )
    finally:
        _barre.close()
        _barre = None
    from connectors.database import Database

    bilan = completude.lire(Database(reglages.db_url), nuit)
    complete = bool(bilan.height and bilan["complete"][0])
    emise = bool(bilan.height and bilan["emise"][0])
    return IssueNuit(
        nuit=nuit,
        succes=result.success,
        complete=complete,
        emise=emise,
        erreur=None if result.success else _erreur(result),
    )
