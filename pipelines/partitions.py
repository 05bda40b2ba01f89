"""The nightly partitions: one per night D, in Paris time, and one night per run."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping

import dagster as dg

FUSEAU = "Europe/Paris"
PREMIERE_NUIT = "2010-01-01"

nuits = dg.DailyPartitionsDefinition(start_date=PREMIERE_NUIT, timezone=FUSEAU)

# A backfill launched from the asset graph (a "pure" asset backfill, not one of the job
# `nuit`) would otherwise submit its runs in no particular order. One night per run makes it
# cut the range into nights in date order; dagster.yaml then runs them one at a time, first
# submitted first. A run of one night still carries that night as its partition.
UNE_NUIT_PAR_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
# Dagster 1.13 flags the `backfill_policy` parameter of `@asset` as beta, once per asset: not
# something an operator running `passerelle run` can act on.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

_PARTITION = "dagster/partition"
_DEBUT, _FIN = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def nuit_de(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> dt.date:
    """The night D of the partition being materialised."""
    return dt.date.fromisoformat(context.partition_key)


def nuit_du_run(tags: Mapping[str, str]) -> str | None:
    """The night a run is about, from its tags: a single-night range counts (see above)."""
    if _PARTITION in tags:
        return tags[_PARTITION]
    if tags.get(_DEBUT) is not None and tags.get(_DEBUT) == tags.get(_FIN):
        return tags[_DEBUT]
    return None
