"""The embedded annexe 4 and regions of 2010 (rules.referentiel_regions)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from rules.referentiel_regions import (
    NOMS_REGIONS,
    OBJECTIFS_ANNEXE4,
    REGIONS_2010,
    TOTAL_ANNEXE4,
    objectifs_annexe4,
    regions,
)
from schemas.champs import REGIONS_2010 as CODES_CONTRAT

ROOT = Path(__file__).resolve().parents[2]
# The contract's reference folder (read by tests only), or the copy shipped with the fixtures.
CANDIDATS = [
    ROOT.parent / "shared" / "reference",
    ROOT.parent.parent / "shared" / "reference",
    ROOT / "fixtures" / "reference",
]


def _reference(nom: str) -> list[Path]:
    trouves = [c / nom for c in CANDIDATS if (c / nom).is_file()]
    if not trouves:
        pytest.skip(f"{nom} absent de cette installation")
    return trouves


def test_annexe4_2010_totalise_150000():
    assert sum(OBJECTIFS_ANNEXE4[2010].values()) == 150_000 == TOTAL_ANNEXE4[2010]


def test_annexe4_2009_totalise_129999_comme_la_source():
    assert sum(OBJECTIFS_ANNEXE4[2009].values()) == 129_999 == TOTAL_ANNEXE4[2009]


def test_annexe4_champagne_ardenne_2010_publiee_3415():
    assert OBJECTIFS_ANNEXE4[2010]["21"] == 3415


def test_vingt_six_regions_celles_du_contrat():
    assert len(REGIONS_2010) == 26
    assert set(NOMS_REGIONS) == set(CODES_CONTRAT)
    assert regions().height == 26
    for annee in (2009, 2010):
        assert set(OBJECTIFS_ANNEXE4[annee]) == set(CODES_CONTRAT)


def test_annexe4_egale_le_fichier_de_reference():
    attendu = objectifs_annexe4().sort("annee", "code")
    for chemin in _reference("objectifs_regionaux_annexe4.csv"):
        lu = pl.read_csv(chemin, separator=";", schema_overrides={"code": pl.String})
        lu = lu.select(
            "niveau", "code", pl.col("annee").cast(pl.Int64), pl.col("objectif").cast(pl.Int64)
        ).sort("annee", "code")
        assert lu.equals(attendu), chemin


def test_regions_egales_le_fichier_de_reference():
    for chemin in _reference("regions_2010.csv"):
        lu = pl.read_csv(chemin, separator=";", schema_overrides={"code_region": pl.String})
        assert dict(zip(lu["code_region"], lu["nom_region"], strict=True)) == NOMS_REGIONS, chemin
