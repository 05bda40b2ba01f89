"""Phase 2, accompagnement: rules A1-A5 of RULES.md.

**Readings taken:**

- A1: an alert belongs to the opened episode of its DE at its ML with the latest
  date_affectation on or before date_alerte, provided the alert is not dated after that
  episode's end (S5: rows dated after the end do not change the episode; an alert raised on
  the end day is still the episode's). An alert with no such episode is not "of a known
  episode": it is not sent to GIDE and changes no state. A treatment is "of a known alert"
  when the alert is in P3_ALERTES (as of D), whatever its episode; an incoherent treatment
  (dated before its alert) is ignored: it closes nothing, decides nothing, is not sent.
  While computing the end of each candidate affectation (before E2), A3 considers the
  alerts of its DE at its ML dated on or after its date_affectation: those dated after its
  end cannot change it. (Only an alert raised and treated with a sortie decision on the very
  day a new episode of the DE at the same ML opens could be counted by both episodes.)
- A2 applies to an episode in phase 2 (initialised, not ended). Its status is that of D.
  An alert dated before date_initialisation and still open makes the episode ALERTE from
  date_initialisation. An episode initialised although RADIE before (impossible: E6 would
  have cancelled it) does not arise; one RADIE or CESSATION on its initialisation day is
  SUSPENSION from that day.
- A4: the last contact is the latest interview of the DE at the episode's ML dated on or
  before D, or date_initialisation if later; the anomaly writer applies its threshold.
- A5: an alert opened and treated on the same day is open on no day and does not interrupt
  an état run; alerts that overlap or touch (one closes the day another opens) form one
  ALERTE run.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from rules.cles import asof_groupe, cle_de_ml, indexer
from rules.entree import asof_entretien
from rules.statuts import INSCRIT, statut_le

DECISIONS_SORTIE = ("SORTIE_REORIENTATION", "SORTIE_REPRISE_SMP")
_JAMAIS = dt.date(9999, 12, 31)


def a1_traitements(alertes: pl.LazyFrame, traitements: pl.LazyFrame) -> pl.LazyFrame:
    """A1: every treatment dated ≤ D, classified (`statut_traitement`).

    APPLIQUE (closes its alert on date_traitement), ORPHELIN (no alert with that id as of D:
    TRAITEMENT_ORPHELIN), INCOHERENT (dated before its alert, ignored: TRAITEMENT_INCOHERENT).
    Columns: id_alerte, id_de (the treatment's), date_traitement, decision,
    statut_traitement, date_alerte, code_ml (the alert's ML), date_debut (= date_traitement),
    _date_fichier.
    """
    alerte = alertes.select("id_alerte", "date_alerte", "code_ml")
    statut = (
        pl.when(pl.col("date_alerte").is_null())
        .then(pl.lit("ORPHELIN"))
        .when(pl.col("date_traitement") < pl.col("date_alerte"))
        .then(pl.lit("INCOHERENT"))
        .otherwise(pl.lit("APPLIQUE"))
    )
    return (
        traitements.join(alerte, on="id_alerte", how="left")
        .with_columns(
            statut.alias("statut_traitement"), pl.col("date_traitement").alias("date_debut")
        )
        .select(
            "id_alerte",
            "id_de",
            "date_traitement",
            "decision",
            "statut_traitement",
            "date_alerte",
            "code_ml",
            "date_debut",
            "_date_fichier",
        )
    )


def a1_alertes_traitees(alertes: pl.LazyFrame, traitements_classes: pl.LazyFrame) -> pl.LazyFrame:
    """A1: every alert dated ≤ D with the treatment that closes it (null while open).

    Columns: the P3_ALERTES fields, date_traitement, decision.
    """
    appliques = traitements_classes.filter(pl.col("statut_traitement") == "APPLIQUE").select(
        "id_alerte", "date_traitement", "decision"
    )
    return alertes.select("id_alerte", "id_de", "code_ml", "date_alerte", "motif_alerte").join(
        appliques, on="id_alerte", how="left"
    )


def a3_sorties_decision(candidats: pl.LazyFrame, alertes_traitees: pl.LazyFrame) -> pl.LazyFrame:
    """A3: sortie on the date_traitement of a SORTIE_REORIENTATION or SORTIE_REPRISE_SMP
    decision on an alert of the episode (motif DECISION_ALERTE); MAINTIEN changes nothing.

    Returns id_affectation, a3_date (the earliest such treatment among the alerts of the
    DE at the candidate's ML dated on or after its date_affectation).
    """
    decisions = alertes_traitees.filter(pl.col("decision").is_in(DECISIONS_SORTIE)).select(
        "id_de", "code_ml", "date_alerte", "date_traitement"
    )
    return (
        candidats.select("id_affectation", "id_de", "code_ml", "date_affectation")
        .join(decisions, on=["id_de", "code_ml"])
        .filter(pl.col("date_alerte") >= pl.col("date_affectation"))
        .group_by("id_affectation")
        .agg(pl.col("date_traitement").min().alias("a3_date"))
    )


def a1_attribution(
    alertes_traitees: pl.LazyFrame, episodes: pl.LazyFrame, d: dt.date
) -> pl.LazyFrame:
    """A1: every alert dated ≤ D with its episode (null when of no known episode).

    Columns: id_alerte, id_de, code_ml, date_alerte, motif_alerte, date_traitement, decision,
    id_affectation, ouverte (open on D: not treated by D), episode_ouvert (its episode is open
    on D), jours_ouverte (days open as of D, for the ALERTE_NON_TRAITEE threshold; null when
    treated). ALERTE_NON_TRAITEE: ouverte and jours_ouverte above the threshold; its
    date_debut is date_alerte + threshold + 1 day. Restricting it to episode_ouvert is the
    reading expected by operators (an ended episode's alert needs no treatment any more).
    """
    ep = indexer(
        episodes.select("id_affectation", "id_de", "code_ml", "date_affectation", "date_fin"),
        cle_de_ml(),
        pl.col("date_affectation"),
        "_k_episode",
    )
    return (
        asof_groupe(
            alertes_traitees,
            cle_de_ml(),
            pl.col("date_alerte"),
            ep,
            "_k_episode",
            ["id_affectation", "date_fin"],
            "backward",
        )
        .with_columns(
            pl.when(pl.col("date_fin").is_null() | (pl.col("date_alerte") <= pl.col("date_fin")))
            .then(pl.col("id_affectation"))
            .alias("id_affectation"),
            pl.col("date_traitement").is_null().alias("ouverte"),
        )
        .with_columns(
            (pl.col("id_affectation").is_not_null() & pl.col("date_fin").is_null()).alias(
                "episode_ouvert"
            ),
            pl.when(pl.col("ouverte"))
            .then((pl.lit(d, dtype=pl.Date) - pl.col("date_alerte")).dt.total_days())
            .alias("jours_ouverte"),
        )
        .select(
            "id_alerte",
            "id_de",
            "code_ml",
            "date_alerte",
            "motif_alerte",
            "date_traitement",
            "decision",
            "id_affectation",
            "ouverte",
            "episode_ouvert",
            "jours_ouverte",
        )
    )


def _debut_alerte_en_cours(alertes: pl.LazyFrame) -> pl.LazyFrame:
    """Per episode with an alert open on D: the first day of the current ALERTE run.

    Alerts are intervals [date_alerte, date_traitement); the run is the union block of
    overlapping or touching intervals that contains D, which is the last block since an
    open alert never closes.
    """
    iv = (
        alertes.filter(
            pl.col("date_traitement").is_null()
            | (pl.col("date_traitement") > pl.col("date_alerte"))
        )
        .select(
            "id_affectation",
            "date_alerte",
            pl.col("date_traitement").fill_null(_JAMAIS).alias("_fin"),
        )
        .sort("id_affectation", "date_alerte")
    )
    fin_precedente = pl.col("_fin").cum_max().shift(1).over("id_affectation")
    return (
        iv.with_columns(
            (fin_precedente.is_null() | (pl.col("date_alerte") > fin_precedente)).alias("_bloc")
        )
        .group_by("id_affectation")
        .agg(
            pl.col("date_alerte").filter(pl.col("_bloc")).max().alias("debut_alerte"),
            (pl.col("_fin") == _JAMAIS).any().alias("alerte_ouverte"),
            pl.col("_fin").filter(pl.col("_fin") != _JAMAIS).max().alias("fin_derniere_alerte"),
        )
    )


def a2_a5_etat_accompagnement(
    episodes: pl.LazyFrame,
    alertes: pl.LazyFrame,
    chrono: pl.LazyFrame,
    periodes: pl.LazyFrame,
    d: dt.date,
) -> pl.LazyFrame:
    """A2 and A5 for the episodes in phase 2 on D (initialised, not ended).

    A2: ALERTE if an alert of the episode is open on D; otherwise SUSPENSION if the status
    on D is RADIE or CESSATION; otherwise ACTIF (ALERTE takes precedence over SUSPENSION).
    A5: date_debut_etat, the first day of the current uninterrupted run of that état, never
    before date_initialisation: for ALERTE the start of the alert run; for SUSPENSION and
    ACTIF the latest of the start of the status run (RADIE/CESSATION versus INSCRIT), the
    day the last alert closed, and date_initialisation.

    `alertes`: output of `a1_attribution`; `chrono` and `periodes` come from
    `rules.statuts`. Returns id_affectation, etat, date_debut_etat,
    statut_au_jour.
    """
    phase2 = episodes.filter(
        pl.col("date_initialisation").is_not_null() & pl.col("date_fin").is_null()
    ).select(
        "id_affectation",
        "id_de",
        "k_de",
        "date_initialisation",
        pl.lit(d, dtype=pl.Date).alias("_d"),
    )
    en_cours = periodes.filter(pl.col("fin").is_null()).select(
        "k_de", pl.col("debut").alias("debut_statut")
    )
    blocs = _debut_alerte_en_cours(alertes.filter(pl.col("id_affectation").is_not_null()))
    init = pl.col("date_initialisation")
    etat = (
        pl.when(pl.col("alerte_ouverte").fill_null(False))
        .then(pl.lit("ALERTE"))
        .when(pl.col("statut_au_jour") != INSCRIT)
        .then(pl.lit("SUSPENSION"))
        .otherwise(pl.lit("ACTIF"))
    )
    debut = (
        pl.when(pl.col("etat") == "ALERTE")
        .then(pl.max_horizontal(init, "debut_alerte"))
        .otherwise(pl.max_horizontal(init, "debut_statut", "fin_derniere_alerte"))
    )
    return (
        statut_le(phase2, chrono, "_d", "statut_au_jour")
        .join(en_cours, on="k_de", how="left")
        .join(blocs, on="id_affectation", how="left")
        .with_columns(etat.alias("etat"))
        .with_columns(debut.alias("date_debut_etat"))
        .select("id_affectation", "etat", "date_debut_etat", "statut_au_jour")
    )


def a4_dernier_contact(
    episodes: pl.LazyFrame, entretiens_tries: pl.LazyFrame, d: dt.date
) -> pl.LazyFrame:
    """A4: for each episode in phase 2 on D, the day of its last contact: the latest
    interview of the DE at the episode's ML (dated ≤ D), or date_initialisation if later.

    Returns id_affectation, date_dernier_contact. SANS_ENTRETIEN_MENSUEL: état ACTIF and
    date_dernier_contact more than 31 days before D; the condition began on the latest of
    date_dernier_contact + 32 days and date_debut_etat.
    """
    phase2 = episodes.filter(
        pl.col("date_initialisation").is_not_null() & pl.col("date_fin").is_null()
    ).select("id_affectation", "id_de", "code_ml", "date_initialisation")
    return asof_entretien(
        phase2.with_columns(pl.lit(d, dtype=pl.Date).alias("_d")),
        entretiens_tries,
        "_d",
        "backward",
    ).select(
        "id_affectation",
        pl.max_horizontal("date_initialisation", "date_entretien").alias("date_dernier_contact"),
    )
