"""Every anomaly code of RULES.md: a minimal case that raises it and one that does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from rules.anomalies import (
    CATALOGUE,
    CODES,
    COLONNES,
    EVENEMENTS,
    EntreesAnomalies,
    Seuils,
    anomalies,
    evenements_nouveaux,
    signalements,
)
from rules.indicateurs import Referentiels
from tests.rules.builders import (
    AF1,
    AF2,
    AF4,
    AL1,
    AL2,
    COMMUNE_AILLEURS,
    COMMUNE_ML1,
    DE1,
    DE2,
    ML1,
    ML2,
    ML3,
    REGION1,
    Entrees,
    de,
    en,
    jour,
)

ROOT = Path(__file__).resolve().parents[2]
D = dt.date(2010, 10, 4)


def referentiels(objectifs: list[tuple[str, str, int, int]] | None = None) -> Referentiels:
    return Referentiels(
        missions_locales=pl.DataFrame(
            {
                "code_ml": [ML1, ML2],
                "nom_ml": ["ML Paris", "ML Lyon"],
                "code_region": [REGION1, "82"],
            }
        ),
        objectifs=pl.DataFrame(
            objectifs or [],
            schema={
                "niveau": pl.String,
                "code": pl.String,
                "annee": pl.Int64,
                "objectif": pl.Int64,
            },
            orient="row",
        ),
    )


def calculer(
    e: Entrees,
    d: str | dt.date,
    entrees: EntreesAnomalies | None = None,
    ref: Referentiels | None = None,
    seuils: Seuils | None = None,
) -> pl.DataFrame:
    return anomalies(e.etat(d), entrees or EntreesAnomalies(), ref or referentiels(), seuils)


def du_code(frame: pl.DataFrame, code: str) -> list[dict]:
    return frame.filter(pl.col("code") == code).to_dicts()


def unique(frame: pl.DataFrame, code: str) -> dict:
    lignes = du_code(frame, code)
    assert len(lignes) == 1, f"{code}: {len(lignes)} ligne(s)"
    ligne = lignes[0]
    assert ligne["severite"] == CATALOGUE[code].severite
    assert ligne["message"] and ligne["action"]
    return ligne


def _base() -> Entrees:
    return Entrees().demandeur(DE1, naissance="15/03/1992")


def _initialise() -> Entrees:
    """AF1 affected on 01/02/2010 at ML1, accepted 03/02, initialised 05/02."""
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "03/02/2010")
    return e.entretien(en(1), DE1, ML1, "05/02/2010")


# --- files of the night


def fichiers(*lignes: dict) -> pl.DataFrame:
    base = {
        "id": 1,
        "nom": "GIDE_STATUTS_20101004.csv",
        "flux": "GIDE_STATUTS",
        "date_fichier": D,
        "sha256": "a" * 64,
        "statut": "APPLIQUE",
        "motif_rejet": None,
        "message_rejet": None,
        "lignes_ok": 10,
        "lignes_appliquees": 10,
        "doublons": 0,
        "quarantaine": 0,
        "conflits": 0,
    }
    return pl.DataFrame([{**base, **ligne} for ligne in lignes])


def test_flux_manquant_signale_le_fichier_attendu():
    entrees = EntreesAnomalies(
        manquants=pl.DataFrame(
            {
                "flux": ["P3_ENTRETIENS"],
                "nom_attendu": ["P3_ENTRETIENS_20101004.csv"],
                "raison": ["SANS_OK"],
            }
        )
    )
    a = unique(calculer(Entrees(), D, entrees), "FLUX_MANQUANT")
    assert a["fichier"] == "P3_ENTRETIENS_20101004.csv"
    assert (a["date_debut"], a["systemes"]) == (D, "P3")
    assert a["id_affectation"] is None and a["code_region"] is None
    assert ".ok" in a["message"]


def test_flux_manquant_rien_quand_tous_les_flux_sont_la():
    assert (
        du_code(calculer(Entrees(), D, EntreesAnomalies(fichiers=fichiers({}))), "FLUX_MANQUANT")
        == []
    )


def test_fichier_rejete_signale_la_version_rejetee():
    f = fichiers(
        {"statut": "REJETE", "motif_rejet": "NB_LIGNES", "message_rejet": "9 lignes au lieu de 10"}
    )
    a = unique(calculer(Entrees(), D, EntreesAnomalies(fichiers=f)), "FICHIER_REJETE")
    assert (a["fichier"], a["systemes"], a["date_debut"]) == (
        "GIDE_STATUTS_20101004.csv",
        "GIDE",
        D,
    )
    assert a["message"] == (
        "Fichier GIDE_STATUTS_20101004.csv rejeté en entier : 9 lignes au lieu de 10 (NB_LIGNES)."
    )
    assert a["action"].startswith("Demander à Pôle emploi (GIDE) un nouvel envoi")


def test_stock_rejete_au_lieu_de_fichier_rejete_pour_un_stock():
    f = fichiers(
        {
            "nom": "P3_STOCK_20101004.csv",
            "flux": "P3_STOCK",
            "statut": "REJETE",
            "motif_rejet": "CHECKSUM",
            "message_rejet": None,
        }
    )
    brutes = calculer(Entrees(), D, EntreesAnomalies(fichiers=f))
    assert du_code(brutes, "FICHIER_REJETE") == []
    a = unique(brutes, "STOCK_REJETE")
    assert (a["fichier"], a["systemes"], a["date_debut"], a["severite"]) == (
        "P3_STOCK_20101004.csv",
        "P3",
        D,
        "ALERTE",
    )
    assert "le stock précédent de ce système reste celui comparé" in a["message"]
    assert a["action"].startswith("Demander à Parcours 3 un nouvel envoi corrigé")


def test_fichier_rejete_puis_remplace_par_une_version_appliquee():
    f = fichiers(
        {"id": 1, "statut": "REJETE", "motif_rejet": "CHECKSUM", "message_rejet": "somme"},
        {"id": 2, "sha256": "b" * 64},
    )
    a = unique(calculer(Entrees(), D, EntreesAnomalies(fichiers=f)), "FICHIER_REJETE")
    assert a["action"].startswith("Aucune")


def test_fichier_rejete_rien_pour_un_fichier_applique():
    assert (
        du_code(calculer(Entrees(), D, EntreesAnomalies(fichiers=fichiers({}))), "FICHIER_REJETE")
        == []
    )


def test_lignes_en_quarantaine_une_anomalie_par_fichier_avec_les_comptes():
    f = fichiers({"quarantaine": 3, "lignes_appliquees": 7})
    motifs = pl.DataFrame(
        {
            "fichier_id": [1, 1],
            "champ": ["date_effet", "statut"],
            "regle": ["date", "liste"],
            "lignes": [1, 2],
        }
    )
    a = unique(
        calculer(Entrees(), D, EntreesAnomalies(fichiers=f, motifs_quarantaine=motifs)),
        "LIGNES_EN_QUARANTAINE",
    )
    assert a["message"].startswith("3 ligne(s) sur 10 de GIDE_STATUTS_20101004.csv")
    assert "statut (liste) : 2, date_effet (date) : 1" in a["message"]
    assert a["fichier"] == "GIDE_STATUTS_20101004.csv"


def test_lignes_en_quarantaine_rien_sans_quarantaine_ni_pour_un_fichier_rejete():
    f = fichiers(
        {},
        {
            "id": 2,
            "nom": "P3_CIVIS_20101004.csv",
            "flux": "P3_CIVIS",
            "statut": "REJETE",
            "quarantaine": 5,
        },
    )
    assert (
        du_code(calculer(Entrees(), D, EntreesAnomalies(fichiers=f)), "LIGNES_EN_QUARANTAINE") == []
    )


def test_doublon_conflictuel_nomme_la_cle_du_flux():
    f = fichiers({"conflits": 2, "quarantaine": 2})
    a = unique(calculer(Entrees(), D, EntreesAnomalies(fichiers=f)), "DOUBLON_CONFLICTUEL")
    assert "(id_de, date_effet)" in a["message"] and a["message"].startswith("2 ligne(s)")


def test_doublon_conflictuel_rien_sans_conflit():
    f = fichiers({"quarantaine": 2})
    assert (
        du_code(calculer(Entrees(), D, EntreesAnomalies(fichiers=f)), "DOUBLON_CONFLICTUEL") == []
    )


# --- phase 1


def test_demandeur_inconnu_tant_que_l_identite_manque():
    e = Entrees().affectation(AF1, DE1, ML1, "01/02/2010")
    a = unique(calculer(e, "05/02/2010"), "DEMANDEUR_INCONNU")
    assert (a["id_affectation"], a["id_de"], a["code_ml"], a["code_region"]) == (
        AF1,
        DE1,
        ML1,
        REGION1,
    )
    assert a["date_debut"] == dt.date(2010, 2, 1)
    assert a["cle"] == AF1


def test_demandeur_inconnu_disparait_quand_l_identite_arrive():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    assert du_code(calculer(e, "05/02/2010"), "DEMANDEUR_INCONNU") == []


def test_ml_inconnue_du_referentiel():
    a = unique(
        calculer(_base().affectation(AF1, DE1, ML3, "01/02/2010"), "05/02/2010"), "ML_INCONNUE"
    )
    assert (a["code_ml"], a["code_region"], a["systemes"]) == (ML3, None, "GIDE,REF")


def test_ml_inconnue_rien_pour_une_ml_du_referentiel():
    assert (
        du_code(
            calculer(_base().affectation(AF1, DE1, ML1, "01/02/2010"), "05/02/2010"), "ML_INCONNUE"
        )
        == []
    )


def test_affectation_en_double_signale_l_affectation_refusee():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").affectation(AF2, DE1, ML2, "10/02/2010")
    a = unique(calculer(e, "15/02/2010"), "AFFECTATION_EN_DOUBLE")
    assert (a["id_affectation"], a["code_ml"], a["code_region"]) == (AF2, ML2, "82")
    assert a["date_debut"] == dt.date(2010, 2, 10)
    assert AF1 in a["message"] and a["cle"] == f"{AF2}|{AF1}"


def test_affectation_en_double_rien_apres_la_fin_du_premier_episode():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").sortie(AF1, DE1, "05/02/2010")
    e.affectation(AF2, DE1, ML2, "10/02/2010")
    assert du_code(calculer(e, "15/02/2010"), "AFFECTATION_EN_DOUBLE") == []


def test_affectation_hors_age_donne_l_age_jamais_la_date_de_naissance():
    e = Entrees().demandeur(DE1, naissance="10/01/1980").affectation(AF1, DE1, ML1, "01/02/2010")
    a = unique(calculer(e, "05/02/2010"), "AFFECTATION_HORS_AGE")
    assert "30 ans" in a["message"]
    assert "1980" not in a["message"] + a["action"]
    assert a["date_debut"] == dt.date(2010, 2, 1)


def test_affectation_hors_age_rien_entre_16_et_25_ans():
    assert (
        du_code(
            calculer(_base().affectation(AF1, DE1, ML1, "01/02/2010"), "05/02/2010"),
            "AFFECTATION_HORS_AGE",
        )
        == []
    )


def test_affectation_hors_parcours_acc_en_info():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010", parcours="REN")
    a = unique(calculer(e, "05/02/2010"), "AFFECTATION_HORS_PARCOURS_ACC")
    assert a["severite"] == "INFO" and "REN" in a["message"]


def test_affectation_hors_parcours_acc_rien_en_parcours_acc():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    assert du_code(calculer(e, "05/02/2010"), "AFFECTATION_HORS_PARCOURS_ACC") == []


def test_acceptation_orpheline_porte_les_identifiants_de_l_acceptation():
    e = _base().acceptation(AF1, DE1, ML2, "03/02/2010")
    a = unique(calculer(e, "05/02/2010"), "ACCEPTATION_ORPHELINE")
    assert (a["id_affectation"], a["id_de"], a["code_ml"], a["code_region"]) == (
        AF1,
        DE1,
        ML2,
        "82",
    )
    assert a["date_debut"] == dt.date(2010, 2, 3)


def test_acceptation_orpheline_disparait_quand_l_affectation_arrive():
    e = _base().acceptation(AF1, DE1, ML1, "03/02/2010").affectation(AF1, DE1, ML1, "01/02/2010")
    assert du_code(calculer(e, "05/02/2010"), "ACCEPTATION_ORPHELINE") == []


def test_acceptation_ml_divergente_garde_la_ml_de_l_episode():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML2, "03/02/2010")
    a = unique(calculer(e, "05/02/2010"), "ACCEPTATION_ML_DIVERGENTE")
    assert (a["code_ml"], a["code_region"]) == (ML1, REGION1)
    assert ML2 in a["message"]


def test_acceptation_ml_divergente_rien_pour_la_meme_ml():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "03/02/2010")
    assert du_code(calculer(e, "05/02/2010"), "ACCEPTATION_ML_DIVERGENTE") == []


def test_acceptation_incoherente_datee_avant_l_affectation():
    e = _base().affectation(AF1, DE1, ML1, "10/02/2010").acceptation(AF1, DE1, ML1, "03/02/2010")
    a = unique(calculer(e, "15/02/2010"), "ACCEPTATION_INCOHERENTE")
    assert a["id_affectation"] == AF1 and a["date_debut"] == dt.date(2010, 2, 3)


def test_acceptation_incoherente_rien_pour_une_acceptation_posterieure():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "03/02/2010")
    assert du_code(calculer(e, "15/02/2010"), "ACCEPTATION_INCOHERENTE") == []


def test_acceptation_manquante_15_jours_apres_l_affectation():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    a = unique(calculer(e, "16/02/2010"), "ACCEPTATION_MANQUANTE")
    assert a["date_debut"] == dt.date(2010, 2, 16)
    assert (
        a["action"]
        == f"Relancer la mission locale {ML1} : affectation non acceptée depuis 15 jours."
    )
    later = unique(calculer(e, "22/02/2010"), "ACCEPTATION_MANQUANTE")
    assert later["date_debut"] == dt.date(2010, 2, 16) and "depuis 21 jours" in later["action"]


def test_acceptation_manquante_rien_avant_le_seuil_ni_une_fois_acceptee():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    assert du_code(calculer(e, "15/02/2010"), "ACCEPTATION_MANQUANTE") == []
    e.acceptation(AF1, DE1, ML1, "20/02/2010")
    assert du_code(calculer(e, "25/02/2010"), "ACCEPTATION_MANQUANTE") == []


def test_acceptation_manquante_seuil_reglable():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    a = unique(
        calculer(e, "06/02/2010", seuils=Seuils(acceptation_jours=5)), "ACCEPTATION_MANQUANTE"
    )
    assert a["date_debut"] == dt.date(2010, 2, 6)


def test_initialisation_manquante_30_jours_apres_l_affectation():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").acceptation(AF1, DE1, ML1, "02/02/2010")
    a = unique(calculer(e, "03/03/2010"), "INITIALISATION_MANQUANTE")
    assert a["date_debut"] == dt.date(2010, 3, 3) and "30 jours" in a["message"]


def test_initialisation_manquante_rien_avant_le_seuil_ni_une_fois_initialise():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010")
    assert du_code(calculer(e, "02/03/2010"), "INITIALISATION_MANQUANTE") == []
    e.entretien(en(1), DE1, ML1, "01/03/2010")
    assert du_code(calculer(e, "10/03/2010"), "INITIALISATION_MANQUANTE") == []


def test_initialisation_avant_acceptation_en_info():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").entretien(en(1), DE1, ML1, "05/02/2010")
    e.acceptation(AF1, DE1, ML1, "10/02/2010")
    a = unique(calculer(e, "15/02/2010"), "INITIALISATION_AVANT_ACCEPTATION")
    assert a["date_debut"] == dt.date(2010, 2, 5) and "10/02/2010" in a["message"]


def test_initialisation_avant_acceptation_rien_dans_l_ordre():
    assert du_code(calculer(_initialise(), "15/02/2010"), "INITIALISATION_AVANT_ACCEPTATION") == []


def test_annulation_radiation_date_de_l_annulation():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010").statut(DE1, "RADIE", "03/02/2010")
    a = unique(calculer(e, "10/02/2010"), "ANNULATION_RADIATION")
    assert a["date_debut"] == dt.date(2010, 2, 3) and a["severite"] == "INFO"


def test_annulation_radiation_rien_pour_une_radiation_apres_l_initialisation():
    e = _initialise().statut(DE1, "RADIE", "10/02/2010")
    assert du_code(calculer(e, "15/02/2010"), "ANNULATION_RADIATION") == []


def test_comptabilisation_civis_non_compte_a_l_initialisation():
    e = _initialise().civis(DE1, ML1, "01/01/2010")
    a = unique(calculer(e, "15/02/2010"), "COMPTABILISATION_CIVIS")
    assert a["date_debut"] == dt.date(2010, 2, 5) and "01/01/2010" in a["message"]


def test_comptabilisation_civis_rien_quand_le_civis_est_fini():
    e = _initialise().civis(DE1, ML1, "01/01/2009", "01/01/2010")
    assert du_code(calculer(e, "15/02/2010"), "COMPTABILISATION_CIVIS") == []


# --- phase 2


def test_alerte_non_traitee_apres_30_jours():
    e = _initialise().alerte(AL1, DE1, ML1, "12/02/2010")
    a = unique(calculer(e, "15/03/2010"), "ALERTE_NON_TRAITEE")
    assert (a["id_affectation"], a["code_ml"], a["code_region"]) == (AF1, ML1, REGION1)
    assert a["date_debut"] == dt.date(2010, 3, 15) and "31 jours" in a["message"]


def test_alerte_non_traitee_rien_a_30_jours_ni_une_fois_traitee():
    e = _initialise().alerte(AL1, DE1, ML1, "12/02/2010")
    assert du_code(calculer(e, "14/03/2010"), "ALERTE_NON_TRAITEE") == []
    e.traitement(AL1, DE1, "01/03/2010", "MAINTIEN")
    assert du_code(calculer(e, "20/03/2010"), "ALERTE_NON_TRAITEE") == []


def test_traitement_orphelin_ne_remplit_que_id_de():
    e = _initialise().traitement(AL2, DE1, "12/02/2010", "MAINTIEN")
    a = unique(calculer(e, "15/02/2010"), "TRAITEMENT_ORPHELIN")
    assert (a["id_de"], a["id_affectation"], a["code_ml"], a["code_region"]) == (
        DE1,
        None,
        None,
        None,
    )
    assert AL2 in a["message"] and a["date_debut"] == dt.date(2010, 2, 12)


def test_traitement_orphelin_rien_pour_une_alerte_connue():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "10/02/2010")
        .traitement(AL1, DE1, "12/02/2010", "MAINTIEN")
    )
    assert du_code(calculer(e, "15/02/2010"), "TRAITEMENT_ORPHELIN") == []


def test_traitement_incoherent_date_avant_l_alerte():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "10/02/2010")
        .traitement(AL1, DE1, "08/02/2010", "MAINTIEN")
    )
    a = unique(calculer(e, "15/02/2010"), "TRAITEMENT_INCOHERENT")
    assert (a["id_affectation"], a["code_ml"]) == (AF1, ML1)
    assert a["date_debut"] == dt.date(2010, 2, 8)


def test_traitement_incoherent_rien_apres_l_alerte():
    e = (
        _initialise()
        .alerte(AL1, DE1, ML1, "10/02/2010")
        .traitement(AL1, DE1, "12/02/2010", "MAINTIEN")
    )
    assert du_code(calculer(e, "15/02/2010"), "TRAITEMENT_INCOHERENT") == []


def test_sans_entretien_mensuel_plus_de_31_jours_apres_le_dernier_contact():
    a = unique(calculer(_initialise(), "09/03/2010"), "SANS_ENTRETIEN_MENSUEL")
    assert a["date_debut"] == dt.date(2010, 3, 9) and "05/02/2010" in a["message"]


def test_sans_entretien_mensuel_rien_a_31_jours_ni_apres_un_entretien():
    assert du_code(calculer(_initialise(), "08/03/2010"), "SANS_ENTRETIEN_MENSUEL") == []
    e = _initialise().entretien(en(2), DE1, ML1, "01/03/2010")
    assert du_code(calculer(e, "20/03/2010"), "SANS_ENTRETIEN_MENSUEL") == []


# --- phase 3


def _six_mois_de_suspension() -> Entrees:
    return _initialise().statut(DE1, "RADIE", "10/02/2010")


def test_sortie_automatique_avec_les_flux_qui_la_portent():
    a = unique(calculer(_six_mois_de_suspension(), "15/08/2010"), "SORTIE_AUTOMATIQUE")
    assert a["date_debut"] == dt.date(2010, 8, 10)
    assert "SUSPENSION_6_MOIS" in a["message"]
    assert a["cle"] == f"{AF1}|2010-08-10|SUSPENSION_6_MOIS"


def test_sortie_automatique_attend_une_nuit_emise():
    e = _six_mois_de_suspension()
    assert du_code(calculer(e, "09/08/2010"), "SORTIE_AUTOMATIQUE") == []
    assert (
        du_code(calculer(e, "15/08/2010", EntreesAnomalies(emise=False)), "SORTIE_AUTOMATIQUE")
        == []
    )


def test_demenagement_hors_zone_tant_que_pole_emploi_n_a_pas_sorti():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    a = unique(calculer(e, "10/03/2010"), "DEMENAGEMENT_HORS_ZONE")
    assert a["date_debut"] == dt.date(2010, 3, 1) and a["code_ml"] == ML1
    assert COMMUNE_AILLEURS not in a["message"]  # an address is personal data
    e.sortie(AF1, DE1, "15/03/2010", "DEMENAGEMENT")
    assert du_code(calculer(e, "20/03/2010"), "DEMENAGEMENT_HORS_ZONE") == []


def test_demenagement_hors_zone_rien_apres_le_retour_dans_la_zone():
    e = _initialise().demandeur(DE1, commune=COMMUNE_AILLEURS, effet="01/03/2010")
    e.demandeur(DE1, commune=COMMUNE_ML1, effet="05/03/2010")
    assert du_code(calculer(e, "10/03/2010"), "DEMENAGEMENT_HORS_ZONE") == []


def test_sortie_orpheline_porte_les_identifiants_de_la_ligne():
    e = _initialise().sortie(AF4, DE2, "10/02/2010")
    a = unique(calculer(e, "15/02/2010"), "SORTIE_ORPHELINE")
    assert (a["id_affectation"], a["id_de"], a["code_ml"]) == (AF4, DE2, None)
    assert "inconnue" in a["message"] and a["date_debut"] == dt.date(2010, 2, 10)


def test_sortie_orpheline_rien_pour_une_sortie_de_pole_emploi_valable():
    e = _initialise().sortie(AF1, DE1, "10/02/2010")
    assert du_code(calculer(e, "15/02/2010"), "SORTIE_ORPHELINE") == []


def test_activite_apres_sortie_premier_entretien_apres_la_fin():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").entretien(en(2), DE1, ML1, "10/03/2010")
    a = unique(calculer(e, "15/03/2010"), "ACTIVITE_APRES_SORTIE")
    assert a["date_debut"] == dt.date(2010, 3, 10) and a["severite"] == "INFO"


def test_activite_apres_sortie_rien_pour_un_entretien_le_jour_de_la_sortie():
    e = _initialise().sortie(AF1, DE1, "01/03/2010").entretien(en(2), DE1, ML1, "01/03/2010")
    assert du_code(calculer(e, "15/03/2010"), "ACTIVITE_APRES_SORTIE") == []


# --- what was already sent


def test_correction_apres_envoi_contenu_change():
    e = _initialise()
    envoyes = pl.DataFrame(
        {
            "flux": ["GIDE_IN_INITIALISATIONS"],
            "cle": [AF1],
            "empreinte": ["111"],
            "nuit": [dt.date(2010, 2, 6)],
        }
    )
    corrections = pl.DataFrame(
        {"flux": ["GIDE_IN_INITIALISATIONS"], "cle": [AF1], "empreinte": ["222"]}
    )
    a = unique(
        calculer(e, "15/02/2010", EntreesAnomalies(corrections=corrections, deja_envoyes=envoyes)),
        "CORRECTION_APRES_ENVOI",
    )
    assert (a["id_affectation"], a["id_de"], a["code_ml"], a["systemes"]) == (AF1, DE1, ML1, "GIDE")
    assert a["cle"] == f"GIDE_IN_INITIALISATIONS|{AF1}|222"
    assert "06/02/2010" in a["message"] and "05/02/2010" in a["message"]
    assert a["date_debut"] == dt.date(2010, 2, 15)


def test_correction_apres_envoi_initialisation_defaite_par_une_radiation_tardive():
    # Sent on 06/02 as initialised on 05/02; a radiation dated 03/02 arrives late: annulation.
    e = _initialise().statut(DE1, "RADIE", "03/02/2010")
    envoyes = pl.DataFrame(
        {
            "flux": ["GIDE_IN_INITIALISATIONS"],
            "cle": [AF1],
            "empreinte": ["111"],
            "nuit": [dt.date(2010, 2, 6)],
        }
    )
    a = unique(
        calculer(e, "15/02/2010", EntreesAnomalies(deja_envoyes=envoyes)), "CORRECTION_APRES_ENVOI"
    )
    assert a["cle"] == f"GIDE_IN_INITIALISATIONS|{AF1}|RETRAIT|111"
    assert "ANNULEE" in a["message"] and a["action"].startswith("Prévenir GIDE")


def test_correction_apres_envoi_rien_quand_l_envoi_tient_toujours():
    envoyes = pl.DataFrame(
        {
            "flux": ["GIDE_IN_INITIALISATIONS"],
            "cle": [AF1],
            "empreinte": ["111"],
            "nuit": [dt.date(2010, 2, 6)],
        }
    )
    a = calculer(_initialise(), "15/02/2010", EntreesAnomalies(deja_envoyes=envoyes))
    assert du_code(a, "CORRECTION_APRES_ENVOI") == []


# --- objectives


def _entrees_comptees(n: int) -> Entrees:
    e = Entrees()
    for i in range(1, n + 1):  # n small episodes, initialised on consecutive days
        d = dt.date(2010, 2, i)
        e.demandeur(de(i)).affectation(f"AF{i:010d}", de(i), ML1, d).entretien(en(i), de(i), ML1, d)
    return e


def test_depassement_objectif_ml_et_region_au_jour_du_franchissement():
    ref = referentiels([("ML", ML1, 2010, 10), ("REGION", REGION1, 2010, 10)])
    a = calculer(_entrees_comptees(12), "20/02/2010", ref=ref)
    lignes = sorted(du_code(a, "DEPASSEMENT_OBJECTIF"), key=lambda r: r["code_ml"] or "")
    assert len(lignes) == 2
    region, ml = lignes
    assert (region["code_ml"], region["code_region"]) == (None, REGION1)
    assert (ml["code_ml"], ml["code_region"]) == (ML1, REGION1)
    assert ml["date_debut"] == dt.date(2010, 2, 12)  # the 12th entry is the first above 11
    assert "12 entrée" in ml["message"] and "120,0 %" in ml["message"]


def test_depassement_objectif_rien_a_exactement_10_pour_cent():
    ref = referentiels([("ML", ML1, 2010, 10)])
    a = calculer(_entrees_comptees(11), "20/02/2010", ref=ref)
    assert du_code(a, "DEPASSEMENT_OBJECTIF") == []


def test_depassement_objectif_seuil_reglable():
    ref = referentiels([("ML", ML1, 2010, 10)])
    a = calculer(
        _entrees_comptees(11), "20/02/2010", ref=ref, seuils=Seuils(depassement_objectif=0.05)
    )
    assert len(du_code(a, "DEPASSEMENT_OBJECTIF")) == 1


# --- shape, order, events


def test_anomalies_colonnes_et_ordre_deterministe():
    e = (
        _initialise()
        .affectation(AF2, DE2, ML3, "01/02/2010")
        .traitement(AL2, DE1, "12/02/2010", "MAINTIEN")
    )
    a = calculer(e, "15/04/2010")
    assert a.columns == COLONNES
    assert a.get_column("message").null_count() == 0
    rangs = [list(CODES).index(c) for c in a.get_column("code")]
    severites = [("BLOQUANT", "ALERTE", "INFO").index(s) for s in a.get_column("severite")]
    assert sorted(zip(severites, rangs, strict=True)) == list(zip(severites, rangs, strict=True))
    assert a.equals(calculer(e, "15/04/2010"))


def test_evenements_nouveaux_un_evenement_n_est_liste_qu_une_fois():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010", parcours="REN")
    nuit1, nuit2 = jour("05/02/2010"), jour("20/02/2010")
    a1 = evenements_nouveaux(calculer(e, nuit1), pl.DataFrame(), nuit1)
    assert du_code(a1, "AFFECTATION_HORS_PARCOURS_ACC")
    stockes = signalements(a1, nuit1)
    assert set(stockes.get_column("code")) <= set(EVENEMENTS)
    assert stockes.get_column("nuit").unique().to_list() == [nuit1]
    a2 = evenements_nouveaux(calculer(e, nuit2), stockes, nuit2)
    assert du_code(a2, "AFFECTATION_HORS_PARCOURS_ACC") == []
    assert du_code(a2, "ACCEPTATION_MANQUANTE")  # a situation stays listed


def test_evenements_nouveaux_relancer_une_nuit_ignore_ses_propres_signalements_et_les_suivants():
    e = _base().affectation(AF1, DE1, ML1, "01/02/2010", parcours="REN")
    nuit = jour("05/02/2010")
    brutes = calculer(e, nuit)
    premiere = evenements_nouveaux(brutes, pl.DataFrame(), nuit)
    deja = pl.concat([signalements(premiere, nuit), signalements(premiere, jour("06/02/2010"))])
    assert evenements_nouveaux(brutes, deja, nuit).equals(premiere)


def test_catalogue_complet_et_documente():
    assert len(CODES) == 34
    doc = (ROOT / "docs" / "anomalies.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"`{code}`" in doc, code


@pytest.mark.parametrize("code", CODES)
def test_chaque_code_a_un_test_qui_le_declenche(code):
    source = Path(__file__).read_text(encoding="utf-8")
    assert f"def test_{code.lower()}_" in source


# The STOCK_* divergences (R3, R4): rows of `rules.rapprochement`, then their anomalies.


def _anomalies_stock(systeme, attendu, s, causes=None):
    from rules.anomalies.stocks import anomalies_stock
    from rules.rapprochement import r3_divergences
    from tests.rules.stocks_exemples import REGIONS, SANS_CAUSE, VIDE

    d = r3_divergences(
        systeme,
        attendu.lazy(),
        s.lazy(),
        VIDE.lazy(),
        (SANS_CAUSE if causes is None else causes).lazy(),
    ).with_columns(pl.lit(D).alias("date_debut"))
    return anomalies_stock(systeme, d, f"{systeme}_STOCK_20101004.csv", REGIONS)


def test_stock_episode_manquant_gide_demande_a_pole_emploi_d_agir():
    from tests.rules.stocks_exemples import stock

    a = unique(
        _anomalies_stock("GIDE", stock("GIDE", {"id_affectation": AF1}), stock("GIDE")),
        "STOCK_EPISODE_MANQUANT",
    )
    assert (a["id_affectation"], a["code_region"], a["fichier"], a["systemes"]) == (
        AF1,
        "11",
        "GIDE_STOCK_20101004.csv",
        "GIDE,P3",
    )
    assert a["action"].startswith("Donnée propre à Pôle emploi (GIDE)")


def test_stock_episode_en_trop_p3_donne_la_cause():
    from tests.rules.stocks_exemples import stock

    causes = pl.DataFrame({"id_affectation": [AF1], "cause": ["sortie S1 le 01/10/2010"]})
    a = unique(
        _anomalies_stock("P3", stock("P3"), stock("P3", {"id_affectation": AF1}), causes),
        "STOCK_EPISODE_EN_TROP",
    )
    assert a["message"] == (
        f"Le stock de Parcours 3 contient l'épisode {AF1} qui n'est pas attendu :"
        " sortie S1 le 01/10/2010."
    )
    assert a["action"].startswith("Donnée envoyée par Passerelle")


def test_stock_ecart_statut_p3_donnee_envoyee():
    from tests.rules.stocks_exemples import stock

    a = unique(
        _anomalies_stock(
            "P3",
            stock("P3", {"id_affectation": AF1}),
            stock("P3", {"id_affectation": AF1, "statut": "RADIE"}),
        ),
        "STOCK_ECART_STATUT",
    )
    assert a["message"] == (
        "Le stock de Parcours 3 diffère sur statut : attendu INSCRIT, dans le stock RADIE."
    )


def test_stock_ecart_alerte_p3():
    from tests.rules.stocks_exemples import stock

    a = unique(
        _anomalies_stock(
            "P3",
            stock("P3", {"id_affectation": AF1}),
            stock("P3", {"id_affectation": AF1, "alerte_en_cours": "O"}),
        ),
        "STOCK_ECART_ALERTE",
    )
    assert "attendu N, dans le stock O" in a["message"]


def test_stock_ecart_etat_dude_rien_n_est_renvoye():
    from tests.rules.stocks_exemples import stock

    a = unique(
        _anomalies_stock(
            "DUDE",
            stock("DUDE", {"id_affectation": AF1}),
            stock("DUDE", {"id_affectation": AF1, "etat": "AFFECTATION"}),
        ),
        "STOCK_ECART_ETAT",
    )
    assert a["action"].startswith("Donnée envoyée par Passerelle dans DUDE_IN_ETATS")


def test_stock_ecart_donnees_initialisation_propre_a_p3():
    from tests.rules.stocks_exemples import stock

    a = unique(
        _anomalies_stock(
            "P3",
            stock("P3", {"id_affectation": AF1, "date_initialisation": D}),
            stock("P3", {"id_affectation": AF1}),
        ),
        "STOCK_ECART_DONNEES",
    )
    assert a["message"].endswith("date_initialisation : attendu 04/10/2010, dans le stock (vide).")
    assert a["action"].startswith("Donnée propre à Parcours 3")
