"""What each outbound flow carries on night D (RULES.md table)."""

from __future__ import annotations

import datetime as dt

import pytest

import schemas
from rules.sortants import enregistrements
from tests.rules.builders import (
    AF1,
    AF2,
    AF3,
    AL1,
    AL2,
    COMMUNE_AILLEURS,
    DE1,
    DE2,
    DE3,
    ML1,
    ML2,
    Entrees,
    en,
    jour,
)


def _scenario() -> Entrees:
    """A little of everything, for the shape tests."""
    e = Entrees().demandeur(DE1).demandeur(DE2, naissance="10/01/1985").demandeur(DE3)
    e.affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")
    e.statut(DE1, "RADIE", "10/02/2010", motif="ABSENCE_CONVOCATION", duree=30)
    e.alerte(AL1, DE1, ML1, "12/02/2010").traitement(AL1, DE1, "14/02/2010", "MAINTIEN")
    e.civis(DE1, ML1, "01/01/2009", "01/01/2010").civis(DE3, ML1, "01/01/2010")
    e.affectation(AF2, DE2, ML2, "01/02/2010").statut(DE2, "RADIE", "03/02/2010")
    e.demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    return e


@pytest.fixture(scope="module")
def sortants() -> dict:
    e = _scenario()
    d = jour("15/03/2010")
    return enregistrements(e.etat(d), e.entrees(), d)


def test_sortants_un_cadre_par_flux_sortant_colonnes_et_types_exacts(sortants):
    assert list(sortants) == [f.nom for f in schemas.SORTANTS]
    for f in schemas.SORTANTS:
        assert sortants[f.nom].schema == f.types_polars, f.nom


def test_sortants_tries_par_cle(sortants):
    for f in schemas.SORTANTS:
        frame = sortants[f.nom]
        assert frame.equals(frame.sort(f.cle)), f.nom


def test_p3_in_affectations_identite_au_jour_et_episode_sans_identite_en_attente():
    e = Entrees().demandeur(DE1, nom="Durand").demandeur(DE1, nom="Müller", effet="01/03/2010")
    e.demandeur(DE1, nom="Futur", effet="01/04/2010")
    e.affectation(AF1, DE1, ML1, "01/02/2010").affectation(AF2, DE2, ML1, "01/02/2010")
    d = jour("15/03/2010")
    p3 = enregistrements(e.etat(d), e.entrees(), d)["P3_IN_AFFECTATIONS"]
    assert p3.get_column("id_affectation").to_list() == [AF1]
    assert p3.get_column("nom").to_list() == ["Müller"]


def test_p3_in_statuts_sans_motif_et_seulement_quand_un_episode_est_ouvert():
    e = Entrees().demandeur(DE1).statut(DE1, "CESSATION", "15/01/2010", motif="AUTRE")
    e.affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "02/02/2010")
    e.statut(DE1, "RADIE", "10/02/2010", motif="REFUS_PPAE", duree=60)
    e.statut(DE1, "INSCRIT", "20/02/2010").sortie(AF1, DE1, "01/03/2010")
    e.statut(DE1, "RADIE", "01/03/2010").statut(DE1, "INSCRIT", "10/03/2010")
    d = jour("15/03/2010")
    p3 = enregistrements(e.etat(d), e.entrees(), d)["P3_IN_STATUTS"]
    assert p3.columns == ["id_de", "statut", "date_effet"]
    assert p3.rows() == [
        (DE1, "RADIE", dt.date(2010, 2, 10)),
        (DE1, "INSCRIT", dt.date(2010, 2, 20)),
    ]


def test_p3_in_statuts_statut_date_apres_d_pas_envoye():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "CESSATION", "20/02/2010", motif="AUTRE")
    d = jour("15/02/2010")
    assert enregistrements(e.etat(d), e.entrees(), d)["P3_IN_STATUTS"].is_empty()


def test_p3_in_sorties_toutes_origines_gide_in_sorties_automatiques_seulement(sortants):
    # AF2 is annulled: neither a sortie for P3 nor for GIDE.
    assert sortants["P3_IN_SORTIES"].is_empty()
    assert sortants["P3_IN_ANNULATIONS"].get_column("id_affectation").to_list() == [AF2]
    e = Entrees().demandeur(DE1).demandeur(DE2, naissance="10/01/1985")
    e.affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "01/03/2010", "AUTRE")
    e.affectation(AF2, DE2, ML1, "01/02/2010")
    d = jour("05/02/2011")
    out = enregistrements(e.etat(d), e.entrees(), d)
    assert out["P3_IN_SORTIES"].rows() == [
        (AF1, DE1, dt.date(2010, 3, 1), "AUTRE"),
        (AF2, DE2, dt.date(2011, 2, 1), "FIN_ANNEE_26_ANS"),
    ]
    assert out["GIDE_IN_SORTIES"].rows() == [(AF2, DE2, dt.date(2011, 2, 1), "FIN_ANNEE_26_ANS")]


def test_gide_in_initialisations(sortants):
    assert sortants["GIDE_IN_INITIALISATIONS"].rows() == [
        (AF1, DE1, ML1, dt.date(2010, 2, 5), "INDIVIDUEL")
    ]


def test_gide_in_civis_seulement_les_demandeurs_qui_ont_un_episode(sortants):
    assert sortants["GIDE_IN_CIVIS"].rows() == [
        (DE1, ML1, dt.date(2009, 1, 1), dt.date(2010, 1, 1))
    ]


def test_gide_in_alertes_et_p3_in_traitements(sortants):
    assert sortants["GIDE_IN_ALERTES"].rows() == [
        (AL1, DE1, ML1, dt.date(2010, 2, 12), "DIFFICULTE")
    ]
    assert sortants["P3_IN_TRAITEMENTS_ALERTE"].rows() == [
        (AL1, DE1, dt.date(2010, 2, 14), "MAINTIEN")
    ]


def test_gide_in_sorties_a_initier(sortants):
    assert sortants["GIDE_IN_SORTIES_A_INITIER"].rows() == [
        (AF1, DE1, dt.date(2010, 3, 1), "DEMENAGEMENT_HORS_ZONE")
    ]


def test_dude_in_etats_instantane_de_tous_les_episodes(sortants):
    dude = sortants["DUDE_IN_ETATS"]
    assert dude.get_column("id_affectation").to_list() == [AF1, AF2]
    assert dude.select("phase", "etat").rows() == [
        ("ACCOMPAGNEMENT", "SUSPENSION"),
        ("ANNULEE", "RADIATION_AVANT_INITIALISATION"),
    ]
    assert (
        dude.null_count().select(["phase", "etat", "date_debut_etat"]).sum_horizontal().item() == 0
    )


def test_sortants_affectation_refusee_n_est_envoyee_nulle_part():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.affectation(AF3, DE1, ML2, "02/02/2010").alerte(AL2, DE1, ML2, "03/02/2010")
    d = jour("05/02/2010")
    out = enregistrements(e.etat(d), e.entrees(), d)
    assert out["DUDE_IN_ETATS"].get_column("id_affectation").to_list() == [AF1]
    assert out["P3_IN_AFFECTATIONS"].get_column("id_affectation").to_list() == [AF1]
    assert out["GIDE_IN_ALERTES"].is_empty()
