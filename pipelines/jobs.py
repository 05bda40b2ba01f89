"""The nightly job: every asset of a night, in dependency order, in one process."""

from __future__ import annotations

import dagster as dg

from pipelines.reglages import DUREE_MAX_S

# A night that runs longer than DUREE_MAX_S is stopped: it backs up the transfer timeouts (a
# hung SFTP peer) so that a stuck run never blocks the following nights. The daemon's run
# monitoring enforces the tag (dagster.yaml); `passerelle run` enforces the same limit itself.

nuit_job = dg.define_asset_job(
    "nuit",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description=(
        "Process night D: land and validate every inbound flow, decide whether the night is "
        "complete, compute the state of every episode, emit the outbound flows, write the "
        "report. Materialise a partition to run or re-run a night (idempotent); select "
        "several to backfill: one run per night, queued in date order, one at a time."
    ),
    # One nightly run at a time (dagster.yaml limits this tag to 1): nights queued by a
    # backfill or the sensor run in submission order, i.e. date order, and two runs of the
    # same night never overlap.
    tags={"dagster/max_runtime": DUREE_MAX_S, "passerelle/chaine": "nuit"},
)
