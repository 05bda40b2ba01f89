"""Phase 2 and 3 anomalies (A1, A4, S1-S6): alerts, monthly contact, sorties, moves.

**Readings taken:** ALERTE_NON_TRAITEE concerns alerts of an episode still open on D (an ended
episode's alert needs no treatment any more; `Etat.alertes.episode_ouvert`); its condition
begins the day the alert has been open for more than the threshold. SORTIE_AUTOMATIQUE is
reported with the outbound flows that first carry it: on a night that emits nothing it is
left for the first emitted night (the caller says whether the night is emitted).
"""

from __future__ import annotations

import polars as pl

from rules.anomalies.entrees import EntreesAnomalies, jour_lit
from rules.anomalies.lignes import cle, jj, jours_entre, lignes, texte
from rules.anomalies.seuils import Seuils
from rules.etat import Etat

_NUL = pl.lit(None, dtype=pl.String)

_REGLES_AUTOMATIQUES = {
    "SUSPENSION_6_MOIS": "six mois de suspension, règle S1",
    "AGE_26_ANS": "26 ans, règle S2",
    "FIN_ANNEE_26_ANS": "fin de l'année des 26 ans, règle S2",
}

_RAISONS_ORPHELINE = {
    "EPISODE_INCONNU": "affectation inconnue ou refusée",
    "ANTERIEURE_AFFECTATION": "sortie antérieure à l'affectation",
    "EPISODE_TERMINE": "épisode déjà terminé",
}


def alerte_non_traitee(etat: Etat, seuils: Seuils) -> pl.DataFrame:
    """ALERTE_NON_TRAITEE (A1, situation): open for more than `alerte_jours` days."""
    a = etat.alertes.filter(
        pl.col("ouverte")
        & pl.col("episode_ouvert")
        & (pl.col("jours_ouverte") > seuils.alerte_jours)
    )
    return lignes(
        a,
        "ALERTE_NON_TRAITEE",
        date_debut=pl.col("date_alerte") + pl.duration(days=seuils.alerte_jours + 1),
        message=texte(
            "Alerte ",
            pl.col("id_alerte"),
            " du ",
            jj("date_alerte"),
            " de la mission locale ",
            pl.col("code_ml"),
            " (épisode ",
            pl.col("id_affectation"),
            ") non traitée par Pôle emploi depuis ",
            pl.col("jours_ouverte"),
            " jours.",
        ),
        action=texte(
            "Relancer Pôle emploi : traiter l'alerte ",
            pl.col("id_alerte"),
            " (maintien ou sortie) dans GIDE.",
        ),
        cle=cle("id_alerte"),
    )


def traitement_orphelin(etat: Etat) -> pl.DataFrame:
    """TRAITEMENT_ORPHELIN (A1): a treatment of an alert unknown as of D; fills id_de only."""
    t = etat.traitements.filter(pl.col("statut_traitement") == "ORPHELIN")
    return lignes(
        t,
        "TRAITEMENT_ORPHELIN",
        id_affectation=_NUL,
        code_ml=_NUL,
        code_region=_NUL,
        date_debut=pl.col("date_debut"),
        message=texte(
            "Traitement du ",
            jj("date_traitement"),
            " (décision ",
            pl.col("decision"),
            ") de l'alerte ",
            pl.col("id_alerte"),
            ", inconnue de P3_ALERTES à ce jour.",
        ),
        action=texte(
            "Vérifier l'identifiant d'alerte avec Pôle emploi ; si l'alerte existe dans ",
            "Parcours 3, faire renvoyer P3_ALERTES par la mission locale.",
        ),
        cle=cle("id_alerte", "date_traitement"),
    )


def traitement_incoherent(etat: Etat) -> pl.DataFrame:
    """TRAITEMENT_INCOHERENT (A1): a treatment dated before its alert, ignored."""
    t = etat.traitements.filter(pl.col("statut_traitement") == "INCOHERENT")
    return lignes(
        t,
        "TRAITEMENT_INCOHERENT",
        date_debut=pl.col("date_debut"),
        message=texte(
            "Traitement du ",
            jj("date_traitement"),
            " de l'alerte ",
            pl.col("id_alerte"),
            " antérieur à l'alerte du ",
            jj("date_alerte"),
            " : ignoré.",
        ),
        action=pl.lit("Faire corriger la date de traitement dans GIDE par Pôle emploi."),
        cle=cle("id_alerte", "date_traitement"),
    )


def sans_entretien_mensuel(etat: Etat, seuils: Seuils) -> pl.DataFrame:
    """SANS_ENTRETIEN_MENSUEL (A4, situation): ACTIF, last contact over `entretien_jours` ago."""
    d = jour_lit(etat.jour)
    ep = etat.episodes.filter(
        (pl.col("etat") == "ACTIF")
        & (jours_entre("date_dernier_contact", d) > seuils.entretien_jours)
    ).with_columns(jours_entre("date_dernier_contact", d).alias("_jours"))
    debut = pl.max_horizontal(
        pl.col("date_dernier_contact") + pl.duration(days=seuils.entretien_jours + 1),
        pl.col("date_debut_etat"),
    )
    return lignes(
        ep,
        "SANS_ENTRETIEN_MENSUEL",
        date_debut=debut,
        message=texte(
            "Épisode ",
            pl.col("id_affectation"),
            " actif sans entretien à la mission locale ",
            pl.col("code_ml"),
            " depuis le ",
            jj("date_dernier_contact"),
            " (",
            pl.col("_jours"),
            " jours).",
        ),
        action=texte(
            "Pour information : vérifier le suivi mensuel avec la mission locale ",
            pl.col("code_ml"),
            " (formation, emploi court ou stage sont des exceptions légitimes).",
        ),
        cle=cle("id_affectation"),
    )


def sortie_automatique(etat: Etat, entrees: EntreesAnomalies) -> pl.DataFrame:
    """SORTIE_AUTOMATIQUE (S1, S2): applied by Passerelle on Pôle emploi's behalf."""
    ep = etat.episodes.filter(pl.col("origine_fin").is_in(["S1", "S2"]) & pl.lit(entrees.emise))
    regle = pl.col("motif_fin").replace_strict(
        _REGLES_AUTOMATIQUES, default=pl.col("motif_fin"), return_dtype=pl.String
    )
    return lignes(
        ep,
        "SORTIE_AUTOMATIQUE",
        date_debut=pl.col("date_fin"),
        message=texte(
            "Sortie automatique de l'épisode ",
            pl.col("id_affectation"),
            " au ",
            jj("date_fin"),
            ", motif ",
            pl.col("motif_fin"),
            " (",
            regle,
            "), envoyée à GIDE et à Parcours 3.",
        ),
        action=pl.lit(
            "Pour information : Pôle emploi n'a rien à initier ; vérifier sa prise en compte "
            "dans GIDE."
        ),
        cle=cle("id_affectation", "date_fin", "motif_fin"),
    )


def demenagement_hors_zone(etat: Etat) -> pl.DataFrame:
    """DEMENAGEMENT_HORS_ZONE (S3, situation): out of the ML's zone on D, episode open."""
    m = etat.demenagements.filter(pl.col("hors_zone_au_jour"))
    return lignes(
        m,
        "DEMENAGEMENT_HORS_ZONE",
        date_debut=pl.col("date_debut_hors_zone"),
        message=texte(
            "Épisode ",
            pl.col("id_affectation"),
            " : le demandeur réside hors de la zone de la mission locale ",
            pl.col("code_ml"),
            " depuis le ",
            jj("date_debut_hors_zone"),
            " ; sortie proposée à Pôle emploi (constat du ",
            jj("date_constat"),
            ").",
        ),
        action=pl.lit(
            "Pôle emploi : initier la sortie (motif DEMENAGEMENT) ou réaffecter le jeune à la "
            "mission locale de sa nouvelle commune."
        ),
        cle=cle("id_affectation", "date_debut_hors_zone"),
    )


def sortie_orpheline(etat: Etat) -> pl.DataFrame:
    """SORTIE_ORPHELINE (S4): a GIDE_SORTIES row for an unknown or already ended episode."""
    s = etat.sorties_gide.filter(pl.col("statut_sortie") == "ORPHELINE")
    raison = pl.col("raison_orpheline").replace_strict(
        _RAISONS_ORPHELINE, default=pl.col("raison_orpheline"), return_dtype=pl.String
    )
    fin = pl.when(pl.col("raison_orpheline") == "EPISODE_TERMINE").then(
        texte(" le ", jj("date_fin"), " (", pl.col("origine_fin"), ")")
    )
    return lignes(
        s,
        "SORTIE_ORPHELINE",
        date_debut=pl.col("date_debut"),
        message=texte(
            "Sortie du ",
            jj("date_sortie"),
            " (motif ",
            pl.col("motif_sortie"),
            ") pour l'affectation ",
            pl.col("id_affectation"),
            " : ",
            raison,
            fin.otherwise(pl.lit("")),
            ".",
        ),
        action=pl.lit("Vérifier la sortie avec Pôle emploi (GIDE) : la corriger ou l'annuler."),
        cle=cle("id_affectation", "date_sortie", "motif_sortie"),
    )


def activite_apres_sortie(etat: Etat) -> pl.DataFrame:
    """ACTIVITE_APRES_SORTIE (S6, info): interviews at the ML after the episode ended."""
    a = etat.activites_apres_sortie
    return lignes(
        a,
        "ACTIVITE_APRES_SORTIE",
        date_debut=pl.col("date_debut"),
        message=texte(
            pl.col("nb_entretiens"),
            " entretien(s) à la mission locale ",
            pl.col("code_ml"),
            " après la fin de l'épisode ",
            pl.col("id_affectation"),
            " le ",
            jj("date_fin"),
            ", le premier le ",
            jj("date_debut"),
            ".",
        ),
        action=pl.lit("Pour information : voir avec Pôle emploi si le jeune doit être réaffecté."),
        cle=cle("id_affectation", "date_fin"),
    )


def anomalies_suivi(etat: Etat, entrees: EntreesAnomalies, seuils: Seuils) -> list[pl.DataFrame]:
    return [
        alerte_non_traitee(etat, seuils),
        traitement_orphelin(etat),
        traitement_incoherent(etat),
        sans_entretien_mensuel(etat, seuils),
        sortie_automatique(etat, entrees),
        demenagement_hors_zone(etat),
        sortie_orpheline(etat),
        activite_apres_sortie(etat),
    ]
