"""Phase 1, entrée en cotraitance: rules E1-E7 and their Decisions (RULES.md)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from rules.sortants import enregistrements
from tests.rules.builders import (
    AF1,
    AF2,
    AF3,
    DE1,
    DE2,
    ML1,
    ML2,
    ML3,
    Entrees,
    en,
    episode,
    jour,
)


def _base() -> Entrees:
    return Entrees().demandeur(DE1, naissance="15/03/1992")


# --- E1 affectation


def test_e1_affectation_ouvre_un_episode_en_phase_entree():
    etat = _base().affectation(AF1, DE1, ML1, "01/02/2010").etat("05/02/2010")
    ep = episode(etat, AF1)
    assert (ep["phase"], ep["etat"]) == ("ENTREE", "AFFECTATION")
    assert ep["date_debut_etat"] == dt.date(2010, 2, 1)
    assert ep["code_ml"] == ML1
    assert ep["code_region"] == "11"
    assert ep["date_fin"] is None


def test_e1_affectation_datee_apres_d_n_ouvre_rien_encore():
    e = _base().affectation(AF1, DE1, ML1, "10/02/2010")
    assert e.etat("09/02/2010").episodes.is_empty()
    assert episode(e.etat("10/02/2010"), AF1)["date_affectation"] == dt.date(2010, 2, 10)


def test_e1_correction_d_affectation_la_derniere_version_s_applique():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010", fichier="01/02/2010")
    e.affectation(AF1, DE1, ML2, "01/02/2010", fichier="03/02/2010")
    assert episode(e.etat_historique("02/02/2010"), AF1)["code_ml"] == ML1
    assert episode(e.etat_historique("03/02/2010"), AF1)["code_ml"] == ML2


def test_e1_ml_inconnue_du_referentiel():
    ep = episode(_base().affectation(AF1, DE1, ML3, "01/02/2010").etat("05/02/2010"), AF1)
    assert ep["ml_connue"] is False
    assert ep["code_region"] is None


# --- E2 one open episode per DE


def test_e2_affectation_en_double_refusee_avec_l_episode_ouvert():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").affectation(AF2, DE1, ML2, "10/02/2010")
    etat = e.etat("15/02/2010")
    assert etat.episodes.get_column("id_affectation").to_list() == [AF1]
    refus = etat.affectations_refusees.to_dicts()
    assert len(refus) == 1
    assert refus[0]["id_affectation"] == AF2
    assert refus[0]["id_affectation_ouverte"] == AF1
    assert refus[0]["code_ml_ouverte"] == ML1
    assert refus[0]["date_debut"] == dt.date(2010, 2, 10)
    assert refus[0]["code_region"] == "82"


def test_e2_affectation_le_jour_de_fin_du_precedent_ouvre():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "01/03/2010")
    e.affectation(AF2, DE1, ML2, "01/03/2010")
    etat = e.etat("05/03/2010")
    assert etat.affectations_refusees.is_empty()
    assert episode(etat, AF2)["phase"] == "ENTREE"
    assert episode(etat, AF1)["phase"] == "SORTIE"


def test_e2_affectation_la_veille_de_la_fin_du_precedent_refusee():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "01/03/2010")
    e.affectation(AF2, DE1, ML2, "28/02/2010")
    etat = e.etat("05/03/2010")
    assert etat.affectations_refusees.get_column("id_affectation").to_list() == [AF2]


def test_e2_deux_affectations_le_meme_jour_le_plus_petit_identifiant_ouvre():
    e = _base().affectation(AF2, DE1, ML2, "01/02/2010").affectation(AF1, DE1, ML1, "01/02/2010")
    etat = e.etat("05/02/2010")
    assert etat.episodes.get_column("id_affectation").to_list() == [AF1]
    assert etat.affectations_refusees.get_column("id_affectation").to_list() == [AF2]


def test_e2_une_affectation_refusee_ne_bloque_pas_les_suivantes():
    # AF2 is refused; had it opened it would still be open, but AF3 only looks at AF1.
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "01/04/2010")
    e.affectation(AF2, DE1, ML2, "01/03/2010").affectation(AF3, DE1, ML2, "01/05/2010")
    etat = e.etat("10/05/2010")
    assert etat.episodes.get_column("id_affectation").to_list() == [AF1, AF3]
    assert etat.affectations_refusees.get_column("id_affectation").to_list() == [AF2]


def test_e2_chaque_demandeur_a_sa_propre_sequence():
    e = _base().demandeur(DE2).affectation(AF1, DE1, ML1, "01/02/2010")
    e.affectation(AF2, DE2, ML1, "02/02/2010")
    etat = e.etat("05/02/2010")
    assert etat.episodes.height == 2
    assert etat.affectations_refusees.is_empty()


# --- E3 age, identity, parcours


def test_e3_moins_de_16_ans_hors_age_mais_ouvre():
    e = Entrees().demandeur(DE1, naissance="02/02/1994").affectation(AF1, DE1, ML1, "01/02/2010")
    ep = episode(e.etat("05/02/2010"), AF1)
    assert ep["hors_age"] is True
    assert ep["age_affectation"] == 15


def test_e3_16_ans_le_jour_de_l_affectation_dans_l_age():
    e = Entrees().demandeur(DE1, naissance="01/02/1994").affectation(AF1, DE1, ML1, "01/02/2010")
    ep = episode(e.etat("05/02/2010"), AF1)
    assert (ep["hors_age"], ep["age_affectation"]) == (False, 16)


def test_e3_26_ans_hors_age():
    e = Entrees().demandeur(DE1, naissance="01/02/1984").affectation(AF1, DE1, ML1, "01/02/2010")
    ep = episode(e.etat("01/02/2010"), AF1)
    assert (ep["hors_age"], ep["age_affectation"]) == (True, 26)


def test_e3_demandeur_inconnu_attend_l_identite():
    e = Entrees().affectation(AF1, DE1, ML1, "01/02/2010")
    ep = episode(e.etat("05/02/2010"), AF1)
    assert ep["identite_connue"] is False
    assert ep["hors_age"] is None
    assert ep["age_affectation"] is None


def test_e3_identite_datee_apres_d_pas_encore_connue():
    e = Entrees().demandeur(DE1, effet="10/02/2010").affectation(AF1, DE1, ML1, "01/02/2010")
    assert episode(e.etat("05/02/2010"), AF1)["identite_connue"] is False
    assert episode(e.etat("10/02/2010"), AF1)["identite_connue"] is True


def test_e3_parcours_autre_que_acc():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010", parcours="REN")
    e.affectation(AF2, DE2, ML1, "01/02/2010")
    etat = e.etat("05/02/2010")
    assert episode(etat, AF1)["hors_parcours_acc"] is True
    assert episode(etat, AF2)["hors_parcours_acc"] is False


# --- E4 acceptation


def test_e4_acceptation_passe_en_etat_acceptation():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "04/02/2010")
    ep = episode(e.etat("05/02/2010"), AF1)
    assert (ep["phase"], ep["etat"]) == ("ENTREE", "ACCEPTATION")
    assert ep["date_acceptation"] == ep["date_debut_etat"] == dt.date(2010, 2, 4)


def test_e4_acceptation_orpheline_puis_rapprochee_quand_l_affectation_arrive():
    e = _base().acceptation(AF1, DE1, ML1, "04/02/2010", fichier="04/02/2010")
    e.affectation(AF1, DE1, ML1, "01/02/2010", fichier="06/02/2010")
    avant = e.etat_historique("05/02/2010")
    assert avant.acceptations.get_column("statut_acceptation").to_list() == ["ORPHELINE"]
    assert avant.acceptations.get_column("code_region").to_list() == ["11"]
    apres = e.etat_historique("06/02/2010")
    assert apres.acceptations.get_column("statut_acceptation").to_list() == ["APPLIQUEE"]
    assert episode(apres, AF1)["etat"] == "ACCEPTATION"


def test_e4_acceptation_ml_divergente_s_applique_quand_meme():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML2, "04/02/2010")
    etat = e.etat("05/02/2010")
    acc = etat.acceptations.to_dicts()[0]
    assert (acc["statut_acceptation"], acc["ml_divergente"]) == ("APPLIQUEE", True)
    assert acc["code_ml_affectation"] == ML1
    assert episode(etat, AF1)["etat"] == "ACCEPTATION"


def test_e4_acceptation_anterieure_a_l_affectation_ignoree():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "31/01/2010")
    etat = e.etat("05/02/2010")
    assert etat.acceptations.get_column("statut_acceptation").to_list() == ["INCOHERENTE"]
    ep = episode(etat, AF1)
    assert (ep["etat"], ep["date_acceptation"]) == ("AFFECTATION", None)


def test_e4_acceptation_d_une_affectation_refusee_ne_s_applique_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").affectation(AF2, DE1, ML2, "02/02/2010")
    e.acceptation(AF2, DE1, ML2, "03/02/2010")
    etat = e.etat("05/02/2010")
    assert etat.acceptations.get_column("statut_acceptation").to_list() == ["AFFECTATION_REFUSEE"]


def test_e4_acceptation_datee_apres_la_fin_ignoree():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "03/02/2010")
    e.acceptation(AF1, DE1, ML1, "04/02/2010")
    etat = e.etat("05/02/2010")
    assert etat.acceptations.get_column("statut_acceptation").to_list() == ["APRES_FIN"]
    assert episode(etat, AF1)["date_acceptation"] is None


def test_e4_date_d_acceptation_jamais_envoyee_a_parcours_3():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "04/02/2010")
    d = jour("05/02/2010")
    sortants = enregistrements(e.etat(d), e.entrees(), d)
    for nom, frame in sortants.items():
        if nom.startswith("P3_"):
            assert "date_acceptation" not in frame.columns
    assert sortants["DUDE_IN_ETATS"].get_column("date_acceptation").to_list() == [
        dt.date(2010, 2, 4)
    ]


# --- E5 initialisation


def test_e5_premier_entretien_a_la_ml_initialise_quel_que_soit_son_type():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "02/02/2010")
    e.entretien(en(2), DE1, ML1, "20/02/2010", "INDIVIDUEL")
    e.entretien(en(1), DE1, ML1, "10/02/2010", "ATELIER")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert ep["date_initialisation"] == dt.date(2010, 2, 10)
    assert ep["type_entretien_initialisation"] == "ATELIER"
    assert (ep["phase"], ep["etat"]) == ("ACCOMPAGNEMENT", "ACTIF")


def test_e5_decision_entretien_le_jour_de_l_affectation_initialise():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    e.entretien(en(1), DE1, ML1, "01/02/2010", "COLLECTIF")
    assert episode(e.etat("01/02/2010"), AF1)["date_initialisation"] == dt.date(2010, 2, 1)


def test_e5_entretien_avant_l_affectation_n_initialise_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "31/01/2010")
    assert episode(e.etat("25/02/2010"), AF1)["date_initialisation"] is None


def test_e5_entretien_dans_une_autre_ml_n_initialise_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML2, "05/02/2010")
    ep = episode(e.etat("25/02/2010"), AF1)
    assert (ep["date_initialisation"], ep["phase"]) == (None, "ENTREE")


def test_e5_entretien_apres_la_fin_n_initialise_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "10/02/2010")
    e.entretien(en(1), DE1, ML1, "11/02/2010")
    assert episode(e.etat("25/02/2010"), AF1)["date_initialisation"] is None


def test_e5_entretien_le_jour_de_la_fin_n_initialise_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "10/02/2010")
    e.entretien(en(1), DE1, ML1, "10/02/2010")
    assert episode(e.etat("25/02/2010"), AF1)["date_initialisation"] is None


def test_e5_entretien_date_apres_d_n_initialise_pas_encore():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "10/02/2010")
    assert episode(e.etat("09/02/2010"), AF1)["date_initialisation"] is None
    assert episode(e.etat("10/02/2010"), AF1)["date_initialisation"] == dt.date(2010, 2, 10)


def test_e5_initialisation_avant_acceptation_permise_et_signalee():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.acceptation(AF1, DE1, ML1, "08/02/2010")
    etat = e.etat("10/02/2010")
    ep = episode(etat, AF1)
    assert ep["phase"] == "ACCOMPAGNEMENT"
    info = etat.initialisations_avant_acceptation.to_dicts()
    assert [(i["id_affectation"], i["date_debut"]) for i in info] == [(AF1, dt.date(2010, 2, 3))]


def test_e5_initialisation_apres_acceptation_pas_signalee():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "09/02/2010")
    e.acceptation(AF1, DE1, ML1, "08/02/2010")
    assert e.etat("10/02/2010").initialisations_avant_acceptation.is_empty()


def test_e5_plusieurs_entretiens_le_premier_jour_l_individuel_donne_le_type():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    e.entretien(en(1), DE1, ML1, "03/02/2010", "ATELIER")
    e.entretien(en(9), DE1, ML1, "03/02/2010", "INDIVIDUEL")
    e.entretien(en(4), DE1, ML1, "03/02/2010", "COLLECTIF")
    e.entretien(en(2), DE1, ML1, "02/02/2010", "ATELIER")
    e.entretien(en(3), DE1, ML1, "02/02/2010", "COLLECTIF")
    ep = episode(e.etat("10/02/2010"), AF1)
    assert ep["date_initialisation"] == dt.date(2010, 2, 2)
    assert ep["type_entretien_initialisation"] == "COLLECTIF"


# --- E6 annulation


def test_e6_radiation_avant_initialisation_annule():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "02/02/2010")
    e.statut(DE1, "RADIE", "05/02/2010", motif="ABSENCE_CONVOCATION", duree=60)
    e.entretien(en(1), DE1, ML1, "10/02/2010")
    d = jour("15/02/2010")
    etat = e.etat(d)
    ep = episode(etat, AF1)
    assert (ep["phase"], ep["etat"]) == ("ANNULEE", "RADIATION_AVANT_INITIALISATION")
    assert ep["date_fin"] == ep["date_debut_etat"] == dt.date(2010, 2, 5)
    assert (ep["origine_fin"], ep["date_initialisation"]) == ("E6", None)
    sortants = enregistrements(etat, e.entrees(), d)
    assert sortants["P3_IN_ANNULATIONS"].to_dicts() == [
        {
            "id_affectation": AF1,
            "id_de": DE1,
            "date_annulation": dt.date(2010, 2, 5),
            "motif_annulation": "RADIATION_AVANT_INITIALISATION",
        }
    ]
    assert sortants["GIDE_IN_INITIALISATIONS"].is_empty()
    assert sortants["P3_IN_SORTIES"].is_empty()


def test_e6_decision_radiation_le_jour_de_l_initialisation_n_annule_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")
    e.statut(DE1, "RADIE", "05/02/2010")
    ep = episode(e.etat("15/02/2010"), AF1)
    assert ep["phase"] == "ACCOMPAGNEMENT"
    assert (ep["date_initialisation"], ep["etat"]) == (dt.date(2010, 2, 5), "SUSPENSION")


def test_e6_radiation_la_veille_de_l_initialisation_annule():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")
    e.statut(DE1, "RADIE", "04/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["phase"] == "ANNULEE"


def test_e6_cessation_n_annule_jamais():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "CESSATION", "05/02/2010", motif="REPRISE_EMPLOI")
    ep = episode(e.etat("15/03/2010"), AF1)
    assert (ep["phase"], ep["date_fin"]) == ("ENTREE", None)


def test_e6_radiation_en_vigueur_a_l_affectation_annule_le_jour_meme():
    e = _base().statut(DE1, "RADIE", "20/01/2010").affectation(AF1, DE1, ML1, "01/02/2010")
    ep = episode(e.etat("15/02/2010"), AF1)
    assert (ep["phase"], ep["date_fin"]) == ("ANNULEE", dt.date(2010, 2, 1))


def test_e6_radiation_puis_reinscription_avant_initialisation_annule_quand_meme():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "RADIE", "05/02/2010").statut(DE1, "INSCRIT", "08/02/2010")
    e.entretien(en(1), DE1, ML1, "10/02/2010")
    ep = episode(e.etat("15/02/2010"), AF1)
    assert (ep["phase"], ep["date_fin"]) == ("ANNULEE", dt.date(2010, 2, 5))


def test_e6_radiation_apres_initialisation_n_annule_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.statut(DE1, "RADIE", "05/02/2010")
    ep = episode(e.etat("15/02/2010"), AF1)
    assert (ep["phase"], ep["etat"]) == ("ACCOMPAGNEMENT", "SUSPENSION")


def test_e6_radiation_datee_apres_d_n_annule_pas_encore():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").statut(DE1, "RADIE", "10/02/2010")
    assert episode(e.etat("09/02/2010"), AF1)["phase"] == "ENTREE"
    assert episode(e.etat("10/02/2010"), AF1)["phase"] == "ANNULEE"


def test_e6_radiation_d_un_autre_demandeur_sans_effet():
    e = _base().demandeur(DE2).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE2, "RADIE", "05/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["phase"] == "ENTREE"


# --- E7 counting toward objectives


def test_e7_episode_initialise_compte():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    etat = e.etat("15/02/2010")
    assert episode(etat, AF1)["comptabilise_objectif"] == "O"
    assert etat.civis_initialisation.is_empty()


def test_e7_non_initialise_ne_compte_pas_encore():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["comptabilise_objectif"] is None


def test_e7_civis_a_l_initialisation_ne_compte_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.civis(DE1, ML2, "01/01/2010")
    etat = e.etat("15/02/2010")
    assert episode(etat, AF1)["comptabilise_objectif"] == "N"
    civis = etat.civis_initialisation.to_dicts()
    assert len(civis) == 1
    assert civis[0]["date_debut"] == dt.date(2010, 2, 3)
    assert civis[0]["code_ml_civis"] == ML2


def test_e7_civis_termine_avant_l_initialisation_compte():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.civis(DE1, ML1, "01/01/2009", "02/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["comptabilise_objectif"] == "O"


def test_e7_civis_termine_le_jour_de_l_initialisation_ne_compte_pas():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.civis(DE1, ML1, "01/01/2009", "03/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["comptabilise_objectif"] == "N"


def test_e7_civis_commence_apres_l_initialisation_compte():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.civis(DE1, ML1, "04/02/2010")
    assert episode(e.etat("15/02/2010"), AF1)["comptabilise_objectif"] == "O"


def test_e7_civis_a_l_affectation_mais_plus_a_l_initialisation_compte():
    # §5.4 judges CIVIS at affectation; annexe 7 (used here) at initialisation.
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "20/02/2010")
    e.civis(DE1, ML1, "01/01/2010", "10/02/2010")
    assert episode(e.etat("25/02/2010"), AF1)["comptabilise_objectif"] == "O"


def test_e7_comptage_reste_apres_la_sortie():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "03/02/2010")
    e.sortie(AF1, DE1, "01/03/2010")
    ep = episode(e.etat("15/03/2010"), AF1)
    assert (ep["phase"], ep["comptabilise_objectif"]) == ("SORTIE", "O")


def test_e_etat_ne_contient_ni_nom_ni_date_de_naissance():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "04/02/2010")
    etat = e.etat("05/02/2010")
    for champ in etat.__dataclass_fields__:
        frame = getattr(etat, champ)
        if isinstance(frame, pl.DataFrame):
            assert not {"nom", "prenom", "date_naissance"} & set(frame.columns), champ
