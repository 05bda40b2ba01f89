"""The 06:00 schedule: night D runs anyway if its file set never became complete.

At 06:00 Paris time on D+1 (outside 02:00-02:59, which daylight saving time skips or repeats)
the schedule requests the run of night D unless one already exists; that run reports the
missing flows (FLUX_MANQUANT, BLOQUANT) and an incident file, and emits nothing.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipelines.jobs import nuit_job
from pipelines.partitions import FUSEAU

HEURE = "0 6 * * *"


def nuit_a_traiter(execution: dt.datetime) -> dt.date:
    """The night a 06:00 evaluation on day D+1 is about: D."""
    return execution.date() - dt.timedelta(days=1)


@dg.schedule(
    job=nuit_job,
    cron_schedule=HEURE,
    execution_timezone=FUSEAU,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "06:00 Europe/Paris: runs the night that just ended if the file-arrival sensor has "
        "not, so that a night that never arrives is reported."
    ),
)
def nuit_de_6h(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    nuit = nuit_a_traiter(context.scheduled_execution_time)
    partition = nuit.isoformat()
    deja = context.instance.get_run_records(
        dg.RunsFilter(job_name=nuit_job.name, tags={"dagster/partition": partition}), limit=1
    )
    if deja:
        return dg.SkipReason(f"la nuit {partition} a déjà été lancée")
    return dg.RunRequest(
        run_key=f"6h-{partition}",
        partition_key=partition,
        tags={"passerelle/declencheur": "6h"},
    )
