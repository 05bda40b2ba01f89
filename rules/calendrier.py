"""Calendar arithmetic of RULES.md (Vocabulary), as polars expressions.

"date + N months/years" keeps the day of month and clamps to the last day of the target
month: 31/08/2010 + 6 months = 28/02/2011, 29/02/1988 + 26 years = 28/02/2014. polars'
`dt.offset_by("<n>mo")` / `("<n>y")` does exactly that (checked by tests/rules/test_calendrier.py),
so these helpers only name the operation and keep the offsets in one place.
"""

from __future__ import annotations

import datetime as dt

import polars as pl


def plus_mois(date: pl.Expr, mois: int) -> pl.Expr:
    """`date` + `mois` calendar months, clamped to the end of the target month."""
    return date.dt.offset_by(f"{mois}mo")


def plus_ans(date: pl.Expr, ans: int) -> pl.Expr:
    """`date` + `ans` calendar years, clamped (29/02 + 1 year = 28/02)."""
    return date.dt.offset_by(f"{ans}y")


def plus_jours(date: pl.Expr, jours: int) -> pl.Expr:
    return date + pl.duration(days=jours)


def age_revolu(naissance: pl.Expr, jour: pl.Expr) -> pl.Expr:
    """Completed years on `jour`: the largest k with naissance + k years ≤ jour.

    Uses the same clamped arithmetic as the rules, so someone born on 29/02 is 26 on the
    28/02 of a common year, the day S2 makes them leave.
    """
    approx = jour.dt.year().cast(pl.Int32) - naissance.dt.year().cast(pl.Int32)
    anniversaire = naissance.dt.offset_by(pl.format("{}y", approx))
    return pl.when(anniversaire > jour).then(approx - 1).otherwise(approx)


def date_python(jour: dt.date) -> pl.Expr:
    """A date literal typed `pl.Date` (a bare Python date would be fine too; this is explicit)."""
    return pl.lit(jour, dtype=pl.Date)
