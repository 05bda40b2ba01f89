"""Calendar arithmetic (RULES.md, Vocabulary): day kept, clamped to the end of the month."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from rules.calendrier import age_revolu, plus_ans, plus_jours, plus_mois


def _calcule(expr: pl.Expr, *jours: dt.date) -> list[dt.date]:
    return pl.DataFrame({"d": list(jours)}).select(expr).to_series().to_list()


def test_calendrier_31_aout_plus_6_mois_donne_28_fevrier():
    assert _calcule(plus_mois(pl.col("d"), 6), dt.date(2010, 8, 31)) == [dt.date(2011, 2, 28)]


def test_calendrier_29_fevrier_plus_26_ans_donne_28_fevrier():
    assert _calcule(plus_ans(pl.col("d"), 26), dt.date(1988, 2, 29)) == [dt.date(2014, 2, 28)]


@pytest.mark.parametrize(
    ("depart", "mois", "attendu"),
    [
        (dt.date(2010, 1, 15), 6, dt.date(2010, 7, 15)),
        (dt.date(2010, 1, 31), 1, dt.date(2010, 2, 28)),
        (dt.date(2011, 8, 31), 6, dt.date(2012, 2, 29)),  # leap year: clamps to the 29th
        (dt.date(2010, 3, 31), 12, dt.date(2011, 3, 31)),
        (dt.date(2010, 5, 31), 6, dt.date(2010, 11, 30)),
    ],
)
def test_calendrier_mois_garde_le_jour_ou_borne_a_la_fin_du_mois(depart, mois, attendu):
    assert _calcule(plus_mois(pl.col("d"), mois), depart) == [attendu]


def test_calendrier_plus_ans_garde_le_jour():
    assert _calcule(plus_ans(pl.col("d"), 26), dt.date(1990, 7, 14)) == [dt.date(2016, 7, 14)]


def test_calendrier_plus_jours():
    assert _calcule(plus_jours(pl.col("d"), 31), dt.date(2010, 1, 31)) == [dt.date(2010, 3, 3)]


def test_calendrier_nulle_reste_nulle():
    frame = pl.DataFrame({"d": [None]}, schema={"d": pl.Date})
    assert frame.select(plus_mois(pl.col("d"), 6)).item() is None


@pytest.mark.parametrize(
    ("naissance", "jour", "age"),
    [
        (dt.date(1988, 2, 29), dt.date(2014, 2, 27), 25),
        (dt.date(1988, 2, 29), dt.date(2014, 2, 28), 26),  # clamped birthday in a common year
        (dt.date(1990, 7, 14), dt.date(2016, 7, 13), 25),
        (dt.date(1990, 7, 14), dt.date(2016, 7, 14), 26),
        (dt.date(1994, 1, 1), dt.date(2010, 1, 1), 16),
        (dt.date(1994, 1, 2), dt.date(2010, 1, 1), 15),
    ],
)
def test_calendrier_age_revolu_suit_l_arithmetique_bornee(naissance, jour, age):
    frame = pl.DataFrame({"n": [naissance], "j": [jour]})
    assert frame.select(age_revolu(pl.col("n"), pl.col("j"))).item() == age
