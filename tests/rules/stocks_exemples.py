"""Small expected views and stocks of the three systems, typed like the stock flows."""

from __future__ import annotations

import datetime as dt

import polars as pl

import schemas
from rules.rapprochement import STOCKS

VIDE = pl.DataFrame(schema={"id_affectation": pl.String})
SANS_CAUSE = pl.DataFrame(schema={"id_affectation": pl.String, "cause": pl.String})
REGIONS = pl.DataFrame({"code_ml": ["75001", "13001"], "code_region": ["11", "93"]})


def stock(systeme: str, *lignes: dict) -> pl.DataFrame:
    """Rows of a system's stock (or expected view): defaults for every field not given."""
    base = {
        "id_de": "1234567A",
        "code_ml": "75001",
        "date_affectation": dt.date(2010, 10, 1),
        "date_initialisation": None,
        "statut": "INSCRIT",
        "alerte_en_cours": "N",
        "date_acceptation": dt.date(2010, 10, 2),
        "phase": "ENTREE",
        "etat": "ACCEPTATION",
    }
    types = schemas.flux(STOCKS[systeme]).types_polars
    rows = [{c: {**base, **ligne}.get(c) for c in types} for ligne in lignes]
    return pl.DataFrame(rows, schema=types)
