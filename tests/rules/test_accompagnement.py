"""Phase 2, accompagnement: rules A1-A5 and the A2 Decision (RULES.md)."""

from __future__ import annotations

import datetime as dt

from rules.sortants import enregistrements
from tests.rules.builders import (
    AF1,
    AF2,
    AL1,
    AL2,
    AL3,
    DE1,
    DE2,
    ML1,
    ML2,
    Entrees,
    en,
    episode,
    jour,
)


def _initialise() -> Entrees:
    """DE1 affected on 01/02/2010 to ML1, accepted on 02/02, initialised on 05/02."""
    e = Entrees().demandeur(DE1, naissance="15/03/1992")
    e.affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "02/02/2010")
    return e.entretien(en(1), DE1, ML1, "05/02/2010")


# --- A1 alerts


def test_a1_alerte_ouverte_met_l_episode_en_alerte():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    etat = e.etat("15/02/2010")
    ep = episode(etat, AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ALERTE", dt.date(2010, 2, 10))
    alerte = etat.alertes.to_dicts()[0]
    assert alerte["id_affectation"] == AF1
    assert (alerte["ouverte"], alerte["episode_ouvert"], alerte["jours_ouverte"]) == (True, True, 5)


def test_a1_le_traitement_ferme_l_alerte_le_jour_du_traitement():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "20/02/2010", "MAINTIEN")
    assert episode(e.etat("19/02/2010"), AF1)["etat"] == "ALERTE"
    ep = episode(e.etat("20/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ACTIF", dt.date(2010, 2, 20))
    assert e.etat("20/02/2010").alertes.get_column("ouverte").to_list() == [False]


def test_a1_traitement_orphelin():
    e = _initialise().traitement(AL1, DE1, "20/02/2010", "MAINTIEN")
    d = jour("25/02/2010")
    etat = e.etat(d)
    t = etat.traitements.to_dicts()[0]
    assert (t["statut_traitement"], t["id_de"], t["date_debut"]) == (
        "ORPHELIN",
        DE1,
        dt.date(2010, 2, 20),
    )
    assert enregistrements(etat, e.entrees(), d)["P3_IN_TRAITEMENTS_ALERTE"].is_empty()


def test_a1_traitement_anterieur_a_l_alerte_ignore():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "09/02/2010", "SORTIE_REORIENTATION")
    d = jour("25/02/2010")
    etat = e.etat(d)
    assert etat.traitements.get_column("statut_traitement").to_list() == ["INCOHERENT"]
    ep = episode(etat, AF1)
    assert (ep["etat"], ep["date_fin"]) == ("ALERTE", None)  # still open, no sortie
    assert enregistrements(etat, e.entrees(), d)["P3_IN_TRAITEMENTS_ALERTE"].is_empty()


def test_a1_traitement_d_une_alerte_connue_envoye_a_parcours_3():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "12/02/2010", "MAINTIEN")
    d = jour("25/02/2010")
    envoi = enregistrements(e.etat(d), e.entrees(), d)["P3_IN_TRAITEMENTS_ALERTE"]
    assert envoi.to_dicts() == [
        {
            "id_alerte": AL1,
            "id_de": DE1,
            "date_traitement": dt.date(2010, 2, 12),
            "decision": "MAINTIEN",
        }
    ]


def test_a1_alerte_sans_episode_connu_pas_envoyee_a_gide():
    e = _initialise().alerte(AL1, DE1, ML2, "10/02/2010").alerte(AL2, DE1, ML1, "11/02/2010")
    d = jour("25/02/2010")
    etat = e.etat(d)
    par_id = {a["id_alerte"]: a for a in etat.alertes.to_dicts()}
    assert par_id[AL1]["id_affectation"] is None
    assert par_id[AL2]["id_affectation"] == AF1
    gide = enregistrements(etat, e.entrees(), d)["GIDE_IN_ALERTES"]
    assert gide.get_column("id_alerte").to_list() == [AL2]
    assert episode(etat, AF1)["date_debut_etat"] == dt.date(2010, 2, 11)


def test_a1_alerte_apres_la_fin_n_appartient_pas_a_l_episode():
    e = _initialise().sortie(AF1, DE1, "01/03/2010")
    e.alerte(AL1, DE1, ML1, "01/03/2010").alerte(AL2, DE1, ML1, "02/03/2010")
    etat = e.etat("10/03/2010")
    par_id = {a["id_alerte"]: a["id_affectation"] for a in etat.alertes.to_dicts()}
    assert par_id == {AL1: AF1, AL2: None}  # the end day still belongs to the episode


def test_a1_alerte_datee_apres_d_pas_encore_vue():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    assert e.etat("09/02/2010").alertes.is_empty()


# --- A2 état


def test_a2_actif_quand_inscrit_sans_alerte():
    ep = episode(_initialise().etat("10/02/2010"), AF1)
    assert (ep["phase"], ep["etat"], ep["date_debut_etat"]) == (
        "ACCOMPAGNEMENT",
        "ACTIF",
        dt.date(2010, 2, 5),
    )


def test_a2_suspension_quand_radie_ou_en_cessation():
    e = _initialise().statut(DE1, "CESSATION", "10/02/2010", motif="ENTREE_FORMATION")
    e.statut(DE1, "RADIE", "20/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["etat"] == "SUSPENSION"
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("SUSPENSION", dt.date(2010, 2, 10))


def test_a2_decision_alerte_prime_sur_suspension():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").alerte(AL1, DE1, ML1, "12/02/2010")
    ep = episode(e.etat("15/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ALERTE", dt.date(2010, 2, 12))


def test_a2_statut_date_apres_d_pas_encore_en_vigueur():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010")
    assert episode(e.etat("09/02/2010"), AF1)["etat"] == "ACTIF"


def test_a2_reinscription_remet_actif():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").statut(DE1, "INSCRIT", "20/02/2010")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ACTIF", dt.date(2010, 2, 20))


# --- A3 treatment decisions


def test_a3_maintien_garde_l_episode():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "10/02/2010")
        .traitement(AL1, DE1, "12/02/2010", "MAINTIEN")
    )
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["phase"], ep["etat"]) == ("ACCOMPAGNEMENT", "ACTIF")


def test_a3_sortie_reorientation_sort_le_jour_du_traitement():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "12/02/2010", "SORTIE_REORIENTATION")
    d = jour("25/02/2010")
    etat = e.etat(d)
    ep = episode(etat, AF1)
    assert (ep["phase"], ep["etat"], ep["date_fin"]) == (
        "SORTIE",
        "DECISION_ALERTE",
        dt.date(2010, 2, 12),
    )
    assert ep["origine_fin"] == "A3"
    sortants = enregistrements(etat, e.entrees(), d)
    assert sortants["P3_IN_SORTIES"].get_column("motif_sortie").to_list() == ["DECISION_ALERTE"]
    assert sortants["GIDE_IN_SORTIES"].is_empty()  # Pôle emploi decided it: not automatic


def test_a3_sortie_reprise_smp_sort_aussi():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "12/02/2010", "SORTIE_REPRISE_SMP")
    assert episode(e.etat("25/02/2010"), AF1)["motif_fin"] == "DECISION_ALERTE"


def test_a3_traitement_date_apres_d_pas_encore_applique():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "12/02/2010", "SORTIE_REORIENTATION")
    ep = episode(e.etat("11/02/2010"), AF1)
    assert (ep["etat"], ep["date_fin"]) == ("ALERTE", None)


def test_a3_alerte_levee_et_traitee_le_meme_jour_sort_ce_jour():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "10/02/2010", "SORTIE_REORIENTATION")
    etat = e.etat("25/02/2010")
    assert episode(etat, AF1)["date_fin"] == dt.date(2010, 2, 10)
    assert etat.alertes.get_column("id_affectation").to_list() == [AF1]


def test_a3_alerte_d_une_autre_ml_sans_effet():
    e = _initialise().alerte(AL1, DE1, ML2, "10/02/2010")
    e.traitement(AL1, DE1, "12/02/2010", "SORTIE_REORIENTATION")
    assert episode(e.etat("25/02/2010"), AF1)["date_fin"] is None


# --- A4 monthly contact


def test_a4_dernier_contact_est_le_dernier_entretien_a_la_ml():
    e = (
        _initialise()
        .entretien(en(2), DE1, ML1, "20/02/2010")
        .entretien(en(3), DE1, ML2, "25/02/2010")
    )
    e.entretien(en(4), DE1, ML1, "10/04/2010")
    assert episode(e.etat("31/03/2010"), AF1)["date_dernier_contact"] == dt.date(2010, 2, 20)


def test_a4_sans_autre_entretien_le_dernier_contact_est_l_initialisation():
    assert episode(_initialise().etat("31/03/2010"), AF1)["date_dernier_contact"] == dt.date(
        2010, 2, 5
    )


def test_a4_pas_de_dernier_contact_hors_phase_2():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    assert episode(e.etat("31/03/2010"), AF1)["date_dernier_contact"] is None


# --- A5 date_debut_etat


def test_a5_entree_date_d_affectation_puis_d_acceptation():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.acceptation(AF1, DE1, ML1, "03/02/2010")
    assert episode(e.etat("02/02/2010"), AF1)["date_debut_etat"] == dt.date(2010, 2, 1)
    assert episode(e.etat("04/02/2010"), AF1)["date_debut_etat"] == dt.date(2010, 2, 3)


def test_a5_jamais_avant_l_initialisation():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "CESSATION", "02/02/2010", motif="MALADIE_MATERNITE")
    e.alerte(AL1, DE1, ML1, "03/02/2010").traitement(AL1, DE1, "04/02/2010", "MAINTIEN")
    e.entretien(en(1), DE1, ML1, "05/02/2010")
    ep = episode(e.etat("10/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("SUSPENSION", dt.date(2010, 2, 5))


def test_a5_alerte_ouverte_avant_l_initialisation_alerte_des_l_initialisation():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.alerte(AL1, DE1, ML1, "03/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")
    ep = episode(e.etat("10/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ALERTE", dt.date(2010, 2, 5))


def test_a5_suspension_commence_quand_l_alerte_se_ferme():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").alerte(AL1, DE1, ML1, "12/02/2010")
    e.traitement(AL1, DE1, "20/02/2010", "MAINTIEN")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("SUSPENSION", dt.date(2010, 2, 20))


def test_a5_suspension_ouverte_apres_une_alerte_close_part_du_statut():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "08/02/2010")
        .traitement(AL1, DE1, "09/02/2010", "MAINTIEN")
    )
    e.statut(DE1, "RADIE", "15/02/2010")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("SUSPENSION", dt.date(2010, 2, 15))


def test_a5_alertes_qui_se_chevauchent_ou_se_touchent_forment_un_seul_run():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "10/02/2010")
        .traitement(AL1, DE1, "15/02/2010", "MAINTIEN")
    )
    e.alerte(AL2, DE1, ML1, "15/02/2010").traitement(AL2, DE1, "20/02/2010", "MAINTIEN")
    e.alerte(AL3, DE1, ML1, "18/02/2010")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ALERTE", dt.date(2010, 2, 10))


def test_a5_alerte_apres_une_interruption_recommence_le_run():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "10/02/2010")
        .traitement(AL1, DE1, "15/02/2010", "MAINTIEN")
    )
    e.alerte(AL2, DE1, ML1, "16/02/2010")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ALERTE", dt.date(2010, 2, 16))


def test_a5_alerte_ouverte_et_traitee_le_meme_jour_n_interrompt_pas():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").alerte(AL1, DE1, ML1, "12/02/2010")
    e.traitement(AL1, DE1, "12/02/2010", "MAINTIEN")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("SUSPENSION", dt.date(2010, 2, 10))


def test_a5_inscrit_explicite_sans_changement_ne_redemarre_pas_actif():
    e = _initialise().statut(DE1, "INSCRIT", "20/02/2010")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["etat"], ep["date_debut_etat"]) == ("ACTIF", dt.date(2010, 2, 5))


def test_a5_etats_de_deux_demandeurs_independants():
    e = _initialise().demandeur(DE2).affectation(AF2, DE2, ML1, "01/02/2010")
    e.entretien(en(2), DE2, ML1, "06/02/2010").statut(DE1, "RADIE", "10/02/2010")
    etat = e.etat("25/02/2010")
    assert episode(etat, AF1)["etat"] == "SUSPENSION"
    assert (episode(etat, AF2)["etat"], episode(etat, AF2)["date_debut_etat"]) == (
        "ACTIF",
        dt.date(2010, 2, 6),
    )
