"""The nightly partitions: one per night D, in Paris time."""

from __future__ import annotations

import datetime as dt

import dagster as dg

FUSEAU = "Europe/Paris"
PREMIERE_NUIT = "2010-01-01"

nuits = dg.DailyPartitionsDefinition(start_date=PREMIERE_NUIT, timezone=FUSEAU)


def nuit_de(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> dt.date:
    """The night D of the partition being materialised."""
    return dt.date.fromisoformat(context.partition_key)
