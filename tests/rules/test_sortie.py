"""Phase 3, sortie: rules S1-S6, S5's same-day order and the S1 Decisions (RULES.md)."""

from __future__ import annotations

import datetime as dt

from rules.sortants import enregistrements
from tests.rules.builders import (
    AF1,
    AF2,
    AF3,
    AL1,
    COMMUNE_AILLEURS,
    COMMUNE_ML1,
    DE1,
    ML1,
    ML2,
    ML3,
    Entrees,
    en,
    episode,
    jour,
)


def _initialise(naissance: str = "15/03/1992") -> Entrees:
    """DE1 affected on 01/02/2010 to ML1, initialised on 05/02/2010."""
    e = Entrees().demandeur(DE1, naissance=naissance)
    return e.affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")


def _fin(etat, id_affectation=AF1):
    ep = episode(etat, id_affectation)
    return ep["date_fin"], ep["motif_fin"], ep["origine_fin"]


# --- S1 six months of suspension


def test_s1_six_mois_de_suspension_sortie_avec_fin_de_mois_bornee():
    e = _initialise().statut(DE1, "RADIE", "31/08/2010")
    d = jour("01/03/2011")
    etat = e.etat(d)
    assert _fin(etat) == (dt.date(2011, 2, 28), "SUSPENSION_6_MOIS", "S1")
    ep = episode(etat, AF1)
    assert (ep["phase"], ep["etat"], ep["date_debut_etat"]) == (
        "SORTIE",
        "SUSPENSION_6_MOIS",
        dt.date(2011, 2, 28),
    )
    sortants = enregistrements(etat, e.entrees(), d)
    assert sortants["GIDE_IN_SORTIES"].to_dicts() == [
        {
            "id_affectation": AF1,
            "id_de": DE1,
            "date_sortie": dt.date(2011, 2, 28),
            "motif_sortie": "SUSPENSION_6_MOIS",
        }
    ]
    assert sortants["P3_IN_SORTIES"].height == 1


def test_s1_sortie_datee_apres_d_pas_encore_arrivee():
    e = _initialise().statut(DE1, "RADIE", "31/08/2010")
    ep = episode(e.etat("27/02/2011"), AF1)
    assert (ep["date_fin"], ep["etat"]) == (None, "SUSPENSION")


def test_s1_reinscription_avant_le_jour_empeche_la_sortie():
    e = _initialise().statut(DE1, "RADIE", "31/08/2010").statut(DE1, "INSCRIT", "27/02/2011")
    ep = episode(e.etat("01/06/2011"), AF1)
    assert (ep["date_fin"], ep["etat"]) == (None, "ACTIF")


def test_s1_reinscription_le_jour_meme_n_empeche_pas_la_sortie():
    e = _initialise().statut(DE1, "RADIE", "31/08/2010").statut(DE1, "INSCRIT", "28/02/2011")
    assert _fin(e.etat("01/06/2011"))[0] == dt.date(2011, 2, 28)


def test_s1_radie_et_cessation_melanges_forment_une_suspension_continue():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010")
    e.statut(DE1, "CESSATION", "01/04/2010", motif="REPRISE_EMPLOI").statut(
        DE1, "RADIE", "01/06/2010"
    )
    assert _fin(e.etat("01/09/2010"))[:2] == (dt.date(2010, 8, 10), "SUSPENSION_6_MOIS")


def test_s1_nouvelle_suspension_apres_reinscription_repart_de_zero():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").statut(DE1, "INSCRIT", "01/05/2010")
    e.statut(DE1, "CESSATION", "01/06/2010", motif="AUTRE")
    assert _fin(e.etat("31/12/2010"))[0] == dt.date(2010, 12, 1)


def test_s1_decision_l_horloge_ne_tourne_qu_en_phase_2():
    e = Entrees().demandeur(DE1).statut(DE1, "CESSATION", "01/01/2010", motif="MALADIE_MATERNITE")
    e.affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")
    assert episode(e.etat("04/08/2010"), AF1)["date_fin"] is None
    assert _fin(e.etat("05/08/2010"))[:2] == (dt.date(2010, 8, 5), "SUSPENSION_6_MOIS")


def test_s1_decision_pas_d_horloge_sans_initialisation():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "CESSATION", "02/02/2010", motif="MALADIE_MATERNITE")
    ep = episode(e.etat("01/12/2010"), AF1)
    assert (ep["phase"], ep["date_fin"]) == ("ENTREE", None)


def test_s1_decision_les_alertes_n_arretent_pas_l_horloge():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").alerte(AL1, DE1, ML1, "01/03/2010")
    assert episode(e.etat("09/08/2010"), AF1)["etat"] == "ALERTE"
    assert _fin(e.etat("10/08/2010"))[:2] == (dt.date(2010, 8, 10), "SUSPENSION_6_MOIS")


# --- S2 age


def test_s2_sortie_le_26e_anniversaire_meme_en_phase_1():
    e = Entrees().demandeur(DE1, naissance="20/02/1985").affectation(AF1, DE1, ML1, "01/02/2010")
    assert episode(e.etat("19/02/2011"), AF1)["date_fin"] is None
    d = jour("20/02/2011")
    etat = e.etat(d)
    assert _fin(etat) == (dt.date(2011, 2, 20), "AGE_26_ANS", "S2")
    assert enregistrements(etat, e.entrees(), d)["GIDE_IN_SORTIES"].get_column(
        "motif_sortie"
    ).to_list() == ["AGE_26_ANS"]


def test_s2_ne_un_29_fevrier_sort_le_28_fevrier():
    e = Entrees().demandeur(DE1, naissance="29/02/1988").affectation(AF1, DE1, ML1, "01/02/2013")
    assert _fin(e.etat("01/03/2014"))[:2] == (dt.date(2014, 2, 28), "AGE_26_ANS")


def test_s2_affecte_dans_sa_26e_annee_sort_un_an_apres_l_affectation():
    e = Entrees().demandeur(DE1, naissance="10/01/1985").affectation(AF1, DE1, ML1, "01/02/2010")
    e.entretien(en(1), DE1, ML1, "05/02/2010")
    # The 26th birthday (10/01/2011) does not apply to them.
    assert episode(e.etat("15/01/2011"), AF1)["date_fin"] is None
    assert _fin(e.etat("01/02/2011")) == (dt.date(2011, 2, 1), "FIN_ANNEE_26_ANS", "S2")


def test_s2_affecte_le_jour_de_ses_25_ans_est_dans_sa_26e_annee():
    e = Entrees().demandeur(DE1, naissance="01/02/1985").affectation(AF1, DE1, ML1, "01/02/2010")
    assert _fin(e.etat("01/02/2011"))[:2] == (dt.date(2011, 2, 1), "FIN_ANNEE_26_ANS")


def test_s2_affecte_a_26_ans_ou_plus_sort_le_jour_de_l_affectation():
    e = Entrees().demandeur(DE1, naissance="01/01/1984").affectation(AF1, DE1, ML1, "01/02/2010")
    e.entretien(en(1), DE1, ML1, "01/02/2010")
    ep = episode(e.etat("01/02/2010"), AF1)
    assert (ep["date_fin"], ep["motif_fin"], ep["hors_age"]) == (
        dt.date(2010, 2, 1),
        "AGE_26_ANS",
        True,
    )
    assert ep["date_initialisation"] is None  # the interview is on the end day


def test_s2_sans_identite_pas_de_sortie_pour_age():
    e = Entrees().affectation(AF1, DE1, ML1, "01/02/2010")
    assert episode(e.etat("01/02/2030"), AF1)["date_fin"] is None


def test_s2_identite_arrivee_applique_la_sortie_a_sa_date():
    e = Entrees().affectation(AF1, DE1, ML1, "01/02/2010")
    e.demandeur(DE1, naissance="20/02/1985", effet="01/03/2011")
    assert episode(e.etat("28/02/2011"), AF1)["date_fin"] is None
    assert _fin(e.etat("01/03/2011"))[0] == dt.date(2011, 2, 20)


# --- S3 move out of the zone


def test_s3_demenagement_hors_zone_propose_la_sortie_sans_la_faire():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    d = jour("10/03/2010")
    etat = e.etat(d)
    dem = etat.demenagements.to_dicts()
    assert len(dem) == 1
    assert dem[0]["date_constat"] == dt.date(2010, 3, 1)
    assert dem[0]["hors_zone_au_jour"] is True
    assert dem[0]["date_debut_hors_zone"] == dt.date(2010, 3, 1)
    assert dem[0]["des_affectation"] is False
    assert episode(etat, AF1)["date_fin"] is None
    assert enregistrements(etat, e.entrees(), d)["GIDE_IN_SORTIES_A_INITIER"].to_dicts() == [
        {
            "id_affectation": AF1,
            "id_de": DE1,
            "date_constat": dt.date(2010, 3, 1),
            "motif": "DEMENAGEMENT_HORS_ZONE",
        }
    ]


def test_s3_retour_dans_la_zone_finit_l_anomalie_mais_la_proposition_reste():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    e.demandeur(DE1, commune=COMMUNE_ML1, effet="01/04/2010")
    dem = e.etat("10/04/2010").demenagements.to_dicts()[0]
    assert (dem["hors_zone_au_jour"], dem["date_debut_hors_zone"]) == (False, None)
    assert (dem["proposition_en_attente"], dem["date_constat"]) == (True, dt.date(2010, 3, 1))


def test_s3_plusieurs_demenagements_la_proposition_garde_sa_premiere_date():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    e.demandeur(DE1, commune=COMMUNE_ML1, effet="01/04/2010")
    e.demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/05/2010")
    e.demandeur(DE1, commune="33000", effet="01/06/2010")
    dem = e.etat("10/06/2010").demenagements.to_dicts()[0]
    assert dem["date_constat"] == dt.date(2010, 3, 1)
    assert (dem["hors_zone_au_jour"], dem["date_debut_hors_zone"]) == (True, dt.date(2010, 5, 1))


def test_s3_l_episode_ne_finit_que_par_la_sortie_de_pole_emploi():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    e.sortie(AF1, DE1, "15/03/2010", "DEMENAGEMENT")
    d = jour("20/03/2010")
    etat = e.etat(d)
    assert _fin(etat) == (dt.date(2010, 3, 15), "DEMENAGEMENT", "S4")
    dem = etat.demenagements.to_dicts()[0]
    assert (dem["proposition_en_attente"], dem["hors_zone_au_jour"]) == (False, False)
    assert enregistrements(etat, e.entrees(), d)["GIDE_IN_SORTIES_A_INITIER"].is_empty()


def test_s3_deja_hors_zone_a_l_affectation():
    e = Entrees().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/01/2009")
    e.affectation(AF1, DE1, ML1, "01/02/2010")
    dem = e.etat("10/02/2010").demenagements.to_dicts()[0]
    assert (dem["date_constat"], dem["des_affectation"]) == (dt.date(2010, 2, 1), True)


def test_s3_demenagement_apres_la_fin_ignore():
    e = _initialise().sortie(AF1, DE1, "15/02/2010")
    e.demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    assert e.etat("10/03/2010").demenagements.is_empty()


def test_s3_demenagement_date_apres_d_pas_encore_vu():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    assert e.etat("28/02/2010").demenagements.is_empty()


def test_s3_dans_la_zone_pas_de_proposition():
    e = _initialise().demandeur(DE1, commune=COMMUNE_ML1, effet="01/03/2010")
    assert e.etat("10/03/2010").demenagements.is_empty()


def test_s3_ml_sans_zone_connue_pas_de_proposition():
    e = Entrees().demandeur(DE1, commune=COMMUNE_AILLEURS).affectation(AF1, DE1, ML3, "01/02/2010")
    assert e.etat("10/03/2010").demenagements.is_empty()


# --- S4 sorties from Pôle emploi


def test_s4_sortie_de_pole_emploi_termine_l_episode():
    e = _initialise().sortie(AF1, DE1, "01/03/2010", "AUTRE")
    d = jour("10/03/2010")
    etat = e.etat(d)
    assert _fin(etat) == (dt.date(2010, 3, 1), "AUTRE", "S4")
    assert etat.sorties_gide.get_column("statut_sortie").to_list() == ["APPLIQUEE"]
    sortants = enregistrements(etat, e.entrees(), d)
    assert sortants["P3_IN_SORTIES"].get_column("motif_sortie").to_list() == ["AUTRE"]
    assert sortants["GIDE_IN_SORTIES"].is_empty()


def test_s4_sortie_datee_apres_d_pas_encore_appliquee():
    e = _initialise().sortie(AF1, DE1, "01/03/2010")
    assert episode(e.etat("28/02/2010"), AF1)["date_fin"] is None
    assert e.etat("28/02/2010").sorties_gide.is_empty()


def test_s4_sortie_orpheline_episode_inconnu():
    e = _initialise().sortie(AF2, DE1, "01/03/2010")
    s = e.etat("10/03/2010").sorties_gide.to_dicts()[0]
    assert (s["statut_sortie"], s["raison_orpheline"], s["id_affectation"]) == (
        "ORPHELINE",
        "EPISODE_INCONNU",
        AF2,
    )


def test_s4_sortie_orpheline_affectation_refusee():
    e = _initialise().affectation(AF2, DE1, ML2, "10/02/2010").sortie(AF2, DE1, "01/03/2010")
    s = e.etat("10/03/2010").sorties_gide.to_dicts()[0]
    assert (s["statut_sortie"], s["raison_orpheline"]) == ("ORPHELINE", "EPISODE_INCONNU")


def test_s4_sortie_orpheline_episode_deja_termine():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "15/02/2010", "SORTIE_REORIENTATION").sortie(AF1, DE1, "01/03/2010")
    etat = e.etat("10/03/2010")
    assert _fin(etat)[2] == "A3"
    s = etat.sorties_gide.to_dicts()[0]
    assert (s["statut_sortie"], s["raison_orpheline"]) == ("ORPHELINE", "EPISODE_TERMINE")


def test_s4_sortie_anterieure_a_l_affectation_orpheline():
    e = _initialise().sortie(AF1, DE1, "31/01/2010")
    etat = e.etat("10/03/2010")
    assert episode(etat, AF1)["date_fin"] is None
    s = etat.sorties_gide.to_dicts()[0]
    assert (s["statut_sortie"], s["raison_orpheline"]) == ("ORPHELINE", "ANTERIEURE_AFFECTATION")


def test_s4_acquittement_d_une_sortie_automatique_n_est_pas_orpheline():
    e = Entrees().demandeur(DE1, naissance="10/01/1985").affectation(AF1, DE1, ML1, "01/02/2010")
    e.sortie(AF1, DE1, "01/02/2011", "FIN_ANNEE_26_ANS")
    d = jour("05/02/2011")
    etat = e.etat(d)
    assert _fin(etat) == (dt.date(2011, 2, 1), "FIN_ANNEE_26_ANS", "S2")
    assert etat.sorties_gide.get_column("statut_sortie").to_list() == ["ACQUITTEMENT"]
    assert enregistrements(etat, e.entrees(), d)["GIDE_IN_SORTIES"].height == 1


def test_s4_meme_jour_qu_une_sortie_automatique_mais_autre_motif_s4_l_emporte():
    e = Entrees().demandeur(DE1, naissance="10/01/1985").affectation(AF1, DE1, ML1, "01/02/2010")
    e.sortie(AF1, DE1, "01/02/2011", "AUTRE")
    etat = e.etat("05/02/2011")
    assert _fin(etat) == (dt.date(2011, 2, 1), "AUTRE", "S4")
    assert etat.sorties_gide.get_column("statut_sortie").to_list() == ["APPLIQUEE"]


# --- S5 first end wins; same day: E6, S4, A3, S1, S2


def test_s5_la_premiere_fin_l_emporte():
    e = Entrees().demandeur(DE1, naissance="20/02/1985").affectation(AF1, DE1, ML1, "01/02/2010")
    e.sortie(AF1, DE1, "01/03/2011", "AUTRE")
    assert _fin(e.etat("10/03/2011")) == (dt.date(2011, 2, 20), "AGE_26_ANS", "S2")


def test_s5_meme_jour_e6_avant_s4():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "RADIE", "10/02/2010").sortie(AF1, DE1, "10/02/2010", "AUTRE")
    etat = e.etat("15/02/2010")
    assert _fin(etat) == (dt.date(2010, 2, 10), "RADIATION_AVANT_INITIALISATION", "E6")
    assert etat.sorties_gide.get_column("raison_orpheline").to_list() == ["EPISODE_TERMINE"]


def test_s5_meme_jour_s4_avant_a3():
    e = _initialise().alerte(AL1, DE1, ML1, "10/02/2010")
    e.traitement(AL1, DE1, "20/02/2010", "SORTIE_REORIENTATION").sortie(AF1, DE1, "20/02/2010")
    assert _fin(e.etat("25/02/2010")) == (dt.date(2010, 2, 20), "AUTRE", "S4")


def test_s5_meme_jour_a3_avant_s1():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010").alerte(AL1, DE1, ML1, "01/08/2010")
    e.traitement(AL1, DE1, "10/08/2010", "SORTIE_REPRISE_SMP")
    assert _fin(e.etat("15/08/2010")) == (dt.date(2010, 8, 10), "DECISION_ALERTE", "A3")


def test_s5_meme_jour_s1_avant_s2():
    e = _initialise(naissance="01/08/1985").statut(DE1, "RADIE", "01/02/2011")
    assert _fin(e.etat("15/08/2011")) == (dt.date(2011, 8, 1), "SUSPENSION_6_MOIS", "S1")


def test_s5_les_lignes_datees_apres_la_fin_ne_changent_rien():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.sortie(AF1, DE1, "01/03/2010", "AUTRE")
    avant = episode(e.etat("10/03/2010"), AF1)
    e.entretien(en(1), DE1, ML1, "02/03/2010").statut(DE1, "RADIE", "03/03/2010")
    e.alerte(AL1, DE1, ML1, "04/03/2010").traitement(AL1, DE1, "05/03/2010", "SORTIE_REORIENTATION")
    e.acceptation(AF1, DE1, ML1, "06/03/2010")
    apres = episode(e.etat("10/03/2010"), AF1)
    assert apres == avant


def test_s5_une_ligne_tardive_datee_avant_la_fin_change_l_episode():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010", fichier="01/02/2010")
    e.statut(DE1, "RADIE", "10/02/2010", fichier="10/02/2010")
    e.entretien(en(1), DE1, ML1, "08/02/2010", fichier="20/02/2010")  # arrives late
    assert episode(e.etat_historique("15/02/2010"), AF1)["phase"] == "ANNULEE"
    ep = episode(e.etat_historique("20/02/2010"), AF1)
    assert (ep["phase"], ep["etat"], ep["date_initialisation"]) == (
        "ACCOMPAGNEMENT",
        "SUSPENSION",
        dt.date(2010, 2, 8),
    )


# --- S6 after the end


def test_s6_entretien_apres_la_sortie_signale():
    e = _initialise().sortie(AF1, DE1, "01/03/2010")
    e.entretien(en(2), DE1, ML1, "05/03/2010").entretien(en(3), DE1, ML1, "10/03/2010")
    act = e.etat("15/03/2010").activites_apres_sortie.to_dicts()
    assert len(act) == 1
    assert (act[0]["id_affectation"], act[0]["date_debut"], act[0]["nb_entretiens"]) == (
        AF1,
        dt.date(2010, 3, 5),
        2,
    )


def test_s6_entretien_le_jour_de_la_sortie_pas_signale():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").entretien(en(2), DE1, ML1, "01/03/2010")
    assert e.etat("15/03/2010").activites_apres_sortie.is_empty()


def test_s6_entretien_dans_une_autre_ml_pas_signale():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").entretien(en(2), DE1, ML2, "05/03/2010")
    assert e.etat("15/03/2010").activites_apres_sortie.is_empty()


def test_s6_pas_signale_quand_un_nouvel_episode_a_cette_ml_est_ouvert():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").affectation(AF2, DE1, ML1, "04/03/2010")
    e.entretien(en(2), DE1, ML1, "05/03/2010")
    etat = e.etat("15/03/2010")
    assert etat.activites_apres_sortie.is_empty()
    assert episode(etat, AF2)["date_initialisation"] == dt.date(2010, 3, 5)


def test_s6_signale_quand_le_nouvel_episode_arrive_apres_l_entretien():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").entretien(en(2), DE1, ML1, "05/03/2010")
    e.affectation(AF2, DE1, ML1, "08/03/2010")
    act = e.etat("15/03/2010").activites_apres_sortie
    assert act.get_column("id_affectation").to_list() == [AF1]


def test_s6_entretien_apres_une_annulation_signale():
    e = Entrees().demandeur(DE1).affectation(AF1, DE1, ML1, "01/02/2010")
    e.statut(DE1, "RADIE", "05/02/2010").entretien(en(1), DE1, ML1, "10/02/2010")
    act = e.etat("15/02/2010").activites_apres_sortie.to_dicts()
    assert [(a["id_affectation"], a["origine_fin"]) for a in act] == [(AF1, "E6")]


def test_s6_seul_le_dernier_episode_termine_est_concerne():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").affectation(AF2, DE1, ML1, "04/03/2010")
    e.sortie(AF2, DE1, "06/03/2010").affectation(AF3, DE1, ML2, "07/03/2010")
    e.entretien(en(2), DE1, ML1, "10/03/2010")
    act = e.etat("15/03/2010").activites_apres_sortie
    assert act.get_column("id_affectation").to_list() == [AF2]
