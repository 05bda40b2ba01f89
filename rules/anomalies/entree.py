"""Phase 1 anomalies (E1-E7): affectations, acceptations, initialisations, annulations.

Each function reads the `Etat` of night D (and the thresholds) and returns the rows of one
code; `date_debut` is the day the condition began to hold, as `rules.etat.Etat` documents it.

**Readings taken:** DEMANDEUR_INCONNU and ML_INCONNUE hold for every episode as of D whatever
its phase (the identity or the referential is still missing, which the indicators and the
flows feel); ACCEPTATION_MANQUANTE concerns every open episode without an applied acceptation,
initialised or not (RULES.md: "open episode not accepted").
"""

from __future__ import annotations

import polars as pl

from rules.anomalies.entrees import jour_lit
from rules.anomalies.lignes import cle, jj, jours_entre, lignes, texte
from rules.anomalies.seuils import Seuils
from rules.etat import Etat


def demandeur_inconnu(etat: Etat) -> pl.DataFrame:
    """DEMANDEUR_INCONNU (E3): the episode's DE has no identity in GIDE_DEMANDEURS as of D."""
    ep = etat.episodes.filter(~pl.col("identite_connue"))
    return lignes(
        ep,
        "DEMANDEUR_INCONNU",
        date_debut=pl.col("date_affectation"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " : le demandeur ",
            pl.col("id_de"),
            " n'a pas d'identité dans GIDE_DEMANDEURS ; l'affectation n'est pas transmise à ",
            "Parcours 3 et les règles d'âge attendent.",
        ),
        action=texte(
            "Demander à Pôle emploi (GIDE) l'envoi de l'identité du demandeur ",
            pl.col("id_de"),
            " dans GIDE_DEMANDEURS.",
        ),
        cle=cle("id_affectation"),
    )


def ml_inconnue(etat: Etat) -> pl.DataFrame:
    """ML_INCONNUE: the episode's code_ml is absent from REF_MISSIONS_LOCALES."""
    ep = etat.episodes.filter(~pl.col("ml_connue"))
    return lignes(
        ep,
        "ML_INCONNUE",
        date_debut=pl.col("date_affectation"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " : la mission locale ",
            pl.col("code_ml"),
            " est absente de REF_MISSIONS_LOCALES (région inconnue, épisode compté dans ",
            "aucune région).",
        ),
        action=texte(
            "Vérifier le code mission locale ",
            pl.col("code_ml"),
            " avec Pôle emploi, ou faire compléter REF_MISSIONS_LOCALES.",
        ),
        cle=cle("id_affectation", "code_ml"),
    )


def affectation_en_double(etat: Etat) -> pl.DataFrame:
    """AFFECTATION_EN_DOUBLE (E2): the refused affectation, with the episode it collided with."""
    r = etat.affectations_refusees
    return lignes(
        r,
        "AFFECTATION_EN_DOUBLE",
        date_debut=pl.col("date_debut"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " refusée : le demandeur ",
            pl.col("id_de"),
            " a déjà un épisode ouvert (",
            pl.col("id_affectation_ouverte"),
            ", mission locale ",
            pl.col("code_ml_ouverte"),
            ", affecté le ",
            jj("date_affectation_ouverte"),
            ").",
        ),
        action=texte(
            "Voir avec Pôle emploi : clore l'épisode ",
            pl.col("id_affectation_ouverte"),
            " avant de réaffecter, ou annuler l'affectation ",
            pl.col("id_affectation"),
            ".",
        ),
        cle=cle("id_affectation", "id_affectation_ouverte"),
    )


def affectation_hors_age(etat: Etat) -> pl.DataFrame:
    """AFFECTATION_HORS_AGE (E3): under 16 or 26 and over on date_affectation."""
    ep = etat.episodes.filter(pl.col("hors_age").fill_null(False))
    action = (
        pl.when(pl.col("age_affectation") >= 26)
        .then(
            texte(
                "Vérifier l'affectation avec Pôle emploi : l'épisode sort (AGE_26_ANS) à sa ",
                "date d'affectation.",
            )
        )
        .otherwise(
            pl.lit("Vérifier la date de naissance ou l'affectation avec Pôle emploi (GIDE).")
        )
    )
    return lignes(
        ep,
        "AFFECTATION_HORS_AGE",
        date_debut=pl.col("date_affectation"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " : le demandeur ",
            pl.col("id_de"),
            " a ",
            pl.col("age_affectation"),
            " ans à l'affectation (16 à 25 ans attendus) ; l'épisode est ouvert quand même.",
        ),
        action=action,
        cle=cle("id_affectation", "date_affectation"),
    )


def affectation_hors_parcours_acc(etat: Etat) -> pl.DataFrame:
    """AFFECTATION_HORS_PARCOURS_ACC (E3, §5.3-1): a parcours other than ACC."""
    ep = etat.episodes.filter(pl.col("hors_parcours_acc"))
    return lignes(
        ep,
        "AFFECTATION_HORS_PARCOURS_ACC",
        date_debut=pl.col("date_affectation"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " en parcours ",
            pl.col("parcours"),
            " (parcours ACC attendu, §5.3-1 de l'accord-cadre).",
        ),
        action=pl.lit(
            "Pour information : vérifier avec Pôle emploi que ce jeune relève de la cotraitance."
        ),
        cle=cle("id_affectation", "parcours"),
    )


def _acceptations(etat: Etat, statut: str) -> pl.DataFrame:
    return etat.acceptations.filter(pl.col("statut_acceptation") == statut)


def acceptation_orpheline(etat: Etat) -> pl.DataFrame:
    """ACCEPTATION_ORPHELINE (E4, situation): no affectation with that id as of D."""
    a = _acceptations(etat, "ORPHELINE")
    return lignes(
        a,
        "ACCEPTATION_ORPHELINE",
        date_debut=pl.col("date_debut"),
        message=texte(
            "Acceptation du ",
            jj("date_acceptation"),
            " par la mission locale ",
            pl.col("code_ml"),
            " pour l'affectation ",
            pl.col("id_affectation"),
            ", inconnue de GIDE_AFFECTATIONS à ce jour.",
        ),
        action=texte(
            "Faire vérifier par la mission locale ",
            pl.col("code_ml"),
            " l'identifiant saisi sur DUDE ; sinon demander à Pôle emploi l'envoi de ",
            "l'affectation ",
            pl.col("id_affectation"),
            ".",
        ),
        cle=cle("id_affectation", "date_acceptation"),
    )


def acceptation_ml_divergente(etat: Etat) -> pl.DataFrame:
    """ACCEPTATION_ML_DIVERGENTE (E4): accepted by another ML than the affectation's."""
    a = etat.acceptations.filter(
        (pl.col("statut_acceptation") == "APPLIQUEE") & pl.col("ml_divergente")
    )
    return lignes(
        a,
        "ACCEPTATION_ML_DIVERGENTE",
        code_ml=pl.col("code_ml_affectation"),
        date_debut=pl.col("date_debut"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " (mission locale ",
            pl.col("code_ml_affectation"),
            ") acceptée le ",
            jj("date_acceptation"),
            " sur DUDE par la mission locale ",
            pl.col("code_ml"),
            " ; l'acceptation est prise en compte.",
        ),
        action=texte(
            "Vérifier avec les missions locales ",
            pl.col("code_ml_affectation"),
            " et ",
            pl.col("code_ml"),
            " et Pôle emploi laquelle suit le jeune ; réaffecter si besoin.",
        ),
        cle=cle("id_affectation", "code_ml"),
    )


def acceptation_incoherente(etat: Etat) -> pl.DataFrame:
    """ACCEPTATION_INCOHERENTE (E4): dated before the affectation, ignored."""
    a = _acceptations(etat, "INCOHERENTE")
    return lignes(
        a,
        "ACCEPTATION_INCOHERENTE",
        code_ml=pl.coalesce("code_ml_affectation", "code_ml"),
        date_debut=pl.col("date_debut"),
        message=texte(
            "Acceptation du ",
            jj("date_acceptation"),
            " antérieure à l'affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " : ignorée.",
        ),
        action=texte(
            "Faire corriger la date d'acceptation sur DUDE par la mission locale ",
            pl.col("code_ml"),
            ".",
        ),
        cle=cle("id_affectation", "date_acceptation"),
    )


def acceptation_manquante(etat: Etat, seuils: Seuils) -> pl.DataFrame:
    """ACCEPTATION_MANQUANTE (situation): open, not accepted, `acceptation_jours` after."""
    d = jour_lit(etat.jour)
    debut = pl.col("date_affectation") + pl.duration(days=seuils.acceptation_jours)
    ep = etat.episodes.filter(
        pl.col("date_fin").is_null() & pl.col("date_acceptation").is_null() & (debut <= d)
    ).with_columns(jours_entre("date_affectation", d).alias("_jours"))
    return lignes(
        ep,
        "ACCEPTATION_MANQUANTE",
        date_debut=debut,
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " non acceptée sur DUDE depuis ",
            pl.col("_jours"),
            " jours.",
        ),
        action=texte(
            "Relancer la mission locale ",
            pl.col("code_ml"),
            " : affectation non acceptée depuis ",
            pl.col("_jours"),
            " jours.",
        ),
        cle=cle("id_affectation"),
    )


def initialisation_manquante(etat: Etat, seuils: Seuils) -> pl.DataFrame:
    """INITIALISATION_MANQUANTE (situation): still in phase 1 `initialisation_jours` after."""
    d = jour_lit(etat.jour)
    debut = pl.col("date_affectation") + pl.duration(days=seuils.initialisation_jours)
    ep = etat.episodes.filter((pl.col("phase") == "ENTREE") & (debut <= d)).with_columns(
        jours_entre("date_affectation", d).alias("_jours")
    )
    return lignes(
        ep,
        "INITIALISATION_MANQUANTE",
        date_debut=debut,
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " sans premier entretien dans Parcours 3 depuis ",
            pl.col("_jours"),
            " jours.",
        ),
        action=texte(
            "Relancer la mission locale ",
            pl.col("code_ml"),
            " : aucun entretien d'initialisation depuis l'affectation il y a ",
            pl.col("_jours"),
            " jours.",
        ),
        cle=cle("id_affectation"),
    )


def initialisation_avant_acceptation(etat: Etat) -> pl.DataFrame:
    """INITIALISATION_AVANT_ACCEPTATION (E5, info): allowed, reported for information."""
    i = etat.initialisations_avant_acceptation
    quand = (
        pl.when(pl.col("date_acceptation").is_null())
        .then(pl.lit("avant toute acceptation sur DUDE"))
        .otherwise(texte("avant son acceptation sur DUDE du ", jj("date_acceptation")))
    )
    return lignes(
        i,
        "INITIALISATION_AVANT_ACCEPTATION",
        date_debut=pl.col("date_debut"),
        message=texte(
            "Épisode ",
            pl.col("id_affectation"),
            " initialisé le ",
            jj("date_initialisation"),
            " ",
            quand,
            ".",
        ),
        action=pl.lit(
            "Pour information (permis par l'annexe 7) : penser à enregistrer l'acceptation "
            "sur DUDE."
        ),
        cle=cle("id_affectation", "date_initialisation"),
    )


def annulation_radiation(etat: Etat) -> pl.DataFrame:
    """ANNULATION_RADIATION (E6, info): radiated before initialisation, cancelled."""
    ep = etat.episodes.filter(pl.col("origine_fin") == "E6")
    return lignes(
        ep,
        "ANNULATION_RADIATION",
        date_debut=pl.col("date_fin"),
        message=texte(
            "Affectation ",
            pl.col("id_affectation"),
            " du ",
            jj("date_affectation"),
            " annulée au ",
            jj("date_fin"),
            " : demandeur radié avant l'initialisation (annulation envoyée à Parcours 3).",
        ),
        action=pl.lit(
            "Pour information : une nouvelle affectation sera nécessaire si le jeune se réinscrit."
        ),
        cle=cle("id_affectation", "date_fin"),
    )


def comptabilisation_civis(etat: Etat) -> pl.DataFrame:
    """COMPTABILISATION_CIVIS (E7, info): in CIVIS on date_initialisation, not counted."""
    c = etat.civis_initialisation
    return lignes(
        c,
        "COMPTABILISATION_CIVIS",
        date_debut=pl.col("date_debut"),
        message=texte(
            "Épisode ",
            pl.col("id_affectation"),
            " initialisé le ",
            jj("date_initialisation"),
            " pendant un CIVIS commencé le ",
            jj("date_entree_civis"),
            " : non comptabilisé dans l'objectif.",
        ),
        action=pl.lit("Pour information : aucune action."),
        cle=cle("id_affectation", "date_initialisation"),
    )


def anomalies_entree(etat: Etat, seuils: Seuils) -> list[pl.DataFrame]:
    return [
        demandeur_inconnu(etat),
        ml_inconnue(etat),
        affectation_en_double(etat),
        affectation_hors_age(etat),
        affectation_hors_parcours_acc(etat),
        acceptation_orpheline(etat),
        acceptation_ml_divergente(etat),
        acceptation_incoherente(etat),
        acceptation_manquante(etat, seuils),
        initialisation_manquante(etat, seuils),
        initialisation_avant_acceptation(etat),
        annulation_radiation(etat),
        comptabilisation_civis(etat),
    ]
