"""Indicators (RULES.md, Indicators) and the monthly series of the report's charts."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from rules.anomalies import EntreesAnomalies, anomalies
from rules.indicateurs import indicateurs, objectif_par_niveau, tableau_objectifs
from rules.referentiel_regions import OBJECTIFS_ANNEXE4
from rules.series_mensuelles import entrees_par_mois, fins_de_mois, stock_par_mois
from tests.rules.builders import (
    AF1,
    AF2,
    AF3,
    AL1,
    DE1,
    DE2,
    DE3,
    ML1,
    ML2,
    REGION1,
    REGION2,
    Entrees,
    en,
    jour,
)
from tests.rules.test_anomalies import referentiels


def valeur(ind: pl.DataFrame, niveau: str, code: str, indicateur: str, **filtres) -> float | None:
    f = ind.filter(
        (pl.col("niveau") == niveau)
        & (pl.col("code") == code)
        & (pl.col("indicateur") == indicateur)
    )
    for col, v in filtres.items():
        f = f.filter(pl.col(col).is_null() if v is None else pl.col(col) == v)
    assert f.height <= 1, f
    return f.get_column("valeur")[0] if f.height else None


def _scenario() -> Entrees:
    """AF1 (ML1, region 11): affected Dec 2009, initialised Jan 2010, counted in 2010.
    AF2 (ML2, region 82): affected Feb 2010, initialised in CIVIS (not counted).
    AF3 (ML1): affected Apr 2010, left (Pôle emploi) in May."""
    e = Entrees().demandeur(DE1).demandeur(DE2).demandeur(DE3)
    e.affectation(AF1, DE1, ML1, "15/12/2009").entretien(en(1), DE1, ML1, "10/01/2010")
    e.affectation(AF2, DE2, ML2, "01/02/2010").entretien(en(2), DE2, ML2, "05/02/2010")
    e.civis(DE2, ML2, "01/01/2010")
    e.affectation(AF3, DE3, ML1, "01/04/2010").sortie(AF3, DE3, "10/05/2010", "AUTRE")
    return e


@pytest.fixture(scope="module")
def ind() -> pl.DataFrame:
    e = _scenario()
    etat = e.etat("15/06/2010")
    ref = referentiels([("ML", ML1, 2010, 40), ("REGION", REGION2, 2010, 100)])
    return indicateurs(etat, ref, anomalies(etat, EntreesAnomalies(), ref))


def test_indicateurs_reproduisent_l_annexe_4_exactement():
    etat = Entrees().etat("15/06/2010")
    ind = indicateurs(etat, referentiels(), anomalies(etat, EntreesAnomalies(), referentiels()))
    for annee in (2009, 2010):
        for code, objectif in OBJECTIFS_ANNEXE4[annee].items():
            assert valeur(ind, "REGION", code, "OBJECTIF", annee=annee) == objectif
    assert valeur(ind, "NATIONAL", "FR", "OBJECTIF", annee=2010) == 150_000
    assert valeur(ind, "NATIONAL", "FR", "OBJECTIF", annee=2009) == 129_999


def test_indicateurs_ref_objectifs_prime_sur_l_annexe_4(ind):
    assert valeur(ind, "REGION", REGION2, "OBJECTIF", annee=2010) == 100
    assert valeur(ind, "REGION", REGION1, "OBJECTIF", annee=2010) == OBJECTIFS_ANNEXE4[2010]["11"]
    assert valeur(ind, "ML", ML1, "OBJECTIF", annee=2010) == 40
    assert valeur(ind, "ML", ML2, "OBJECTIF", annee=2010) is None
    sources = objectif_par_niveau(referentiels([("REGION", REGION2, 2010, 100)]).objectifs)
    par_code = dict(
        sources.filter((pl.col("niveau") == "REGION") & (pl.col("annee") == 2010))
        .select("code", "source")
        .iter_rows()
    )
    assert (par_code[REGION2], par_code[REGION1]) == ("REF_OBJECTIFS", "ANNEXE_4")


def test_indicateurs_de0_par_trimestre_et_cumul_de_l_annee(ind):
    assert valeur(ind, "ML", ML1, "DE0", annee=2009, trimestre=4) == 1
    assert valeur(ind, "ML", ML1, "DE0", annee=2010, trimestre=1) == 0
    assert valeur(ind, "ML", ML1, "DE0", annee=2010, trimestre=2) == 1
    assert valeur(ind, "NATIONAL", "FR", "DE0", annee=2010, trimestre=1) == 1
    assert valeur(ind, "NATIONAL", "FR", "DE0", annee=2010, trimestre=None) == 2
    assert valeur(ind, "NATIONAL", "FR", "DE0_CUMUL", annee=2010, trimestre=1) == 1
    assert valeur(ind, "NATIONAL", "FR", "DE0_CUMUL", annee=2010, trimestre=2) == 2
    assert valeur(ind, "NATIONAL", "FR", "DE0", annee=2010, trimestre=3) is None  # after D
    assert valeur(ind, "REGION", "04", "DE0", annee=2010, trimestre=2) == 0  # zeros listed


def test_indicateurs_entrees_comptees_par_annee_d_initialisation_hors_civis(ind):
    assert valeur(ind, "ML", ML1, "ENTREES_OBJECTIF", annee=2010, trimestre=None) == 1
    assert valeur(ind, "ML", ML1, "ENTREES_OBJECTIF", annee=2009, trimestre=None) == 0
    assert valeur(ind, "ML", ML2, "ENTREES_OBJECTIF", annee=2010, trimestre=None) == 0
    assert valeur(ind, "REGION", REGION1, "ENTREES_OBJECTIF", annee=2010, trimestre=1) == 1
    assert valeur(ind, "ML", ML1, "TAUX_REALISATION", annee=2010) == pytest.approx(1 / 40)


def test_indicateurs_stock_sorties_et_anomalies(ind):
    d = {"annee": 2010, "trimestre": 2}
    assert valeur(ind, "NATIONAL", "FR", "STOCK", modalite="ACCOMPAGNEMENT/ACTIF", **d) == 2
    assert valeur(ind, "ML", ML1, "STOCK", modalite="SORTIE/AUTRE", **d) == 1
    assert valeur(ind, "ML", ML1, "SORTIES", modalite="AUTRE", annee=2010, trimestre=2) == 1
    assert (
        valeur(ind, "REGION", REGION1, "SORTIES", modalite="AUTRE", annee=2010, trimestre=None) == 1
    )
    assert valeur(ind, "ML", ML2, "ANOMALIES", modalite="COMPTABILISATION_CIVIS", **d) == 1
    assert valeur(ind, "REGION", REGION2, "ANOMALIES", modalite="COMPTABILISATION_CIVIS", **d) == 1


def test_indicateurs_annulations():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "RADIE", "03/02/2010")
    etat = e.etat("15/02/2010")
    ind = indicateurs(etat, referentiels(), anomalies(etat, EntreesAnomalies(), referentiels()))
    assert valeur(ind, "ML", ML1, "ANNULATIONS", annee=2010, trimestre=1) == 1
    assert valeur(ind, "NATIONAL", "FR", "ANNULATIONS", annee=2010, trimestre=None) == 1


def test_indicateurs_ordre_deterministe(ind):
    e = _scenario()
    etat = e.etat("15/06/2010")
    ref = referentiels([("ML", ML1, 2010, 40), ("REGION", REGION2, 2010, 100)])
    assert indicateurs(etat, ref, anomalies(etat, EntreesAnomalies(), ref)).equals(ind)
    niveaux = ind.get_column("niveau").unique(maintain_order=True).to_list()
    assert niveaux == ["NATIONAL", "REGION", "ML"]


def test_tableau_objectifs_attendu_au_prorata_des_jours(ind):
    d = jour("15/06/2010")
    t = tableau_objectifs(ind, referentiels([("ML", ML1, 2010, 40)]).objectifs, d)
    ligne = t.filter((pl.col("niveau") == "ML") & (pl.col("code") == ML1)).to_dicts()[0]
    assert (ligne["objectif"], ligne["entrees"], ligne["source"]) == (40, 1, "REF_OBJECTIFS")
    assert ligne["attendu_au_jour"] == pytest.approx(round(40 * 166 / 365, 1))
    nat2009 = t.filter((pl.col("niveau") == "NATIONAL") & (pl.col("annee") == 2009)).to_dicts()[0]
    assert nat2009["attendu_au_jour"] == 129_999


def test_series_stock_par_mois_depuis_les_dates_des_episodes():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "10/01/2010")
    e.acceptation(AF1, DE1, ML1, "20/02/2010").entretien(en(1), DE1, ML1, "10/03/2010")
    e.alerte(AL1, DE1, ML1, "10/04/2010")
    s = stock_par_mois(e.etat("15/05/2010"), 6)
    par = {(j, c): n for j, c, n in s.iter_rows() if n}
    assert par == {
        (dt.date(2010, 1, 31), "AFFECTATION"): 1,
        (dt.date(2010, 2, 28), "ACCEPTATION"): 1,
        (dt.date(2010, 3, 31), "ACTIF_OU_SUSPENSION"): 1,
        (dt.date(2010, 4, 30), "ALERTE"): 1,
        (dt.date(2010, 5, 15), "ALERTE"): 1,
    }
    assert s.get_column("jour").unique().to_list() == fins_de_mois(jour("15/05/2010"), 6)


def test_series_entrees_par_mois_cumul_et_prorata():
    e = _scenario()
    s = entrees_par_mois(e.etat("15/06/2010"), referentiels().objectifs)
    r11 = s.filter((pl.col("niveau") == "REGION") & (pl.col("code") == REGION1))
    assert r11.get_column("entrees").to_list() == [1, 0, 0, 0, 0, 0]
    assert r11.get_column("cumul").to_list() == [1, 1, 1, 1, 1, 1]
    objectif = OBJECTIFS_ANNEXE4[2010]["11"]
    assert r11.get_column("prorata").to_list()[0] == pytest.approx(round(objectif * 31 / 365, 1))
    assert r11.get_column("prorata").to_list()[-1] == pytest.approx(round(objectif * 166 / 365, 1))
    assert s.filter(pl.col("niveau") == "REGION").get_column("code").n_unique() == 26
