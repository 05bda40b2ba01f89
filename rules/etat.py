"""The state of night D: every rule of RULES.md composed, as one pure function.

`etat_au(entrees, d)` reads what `rules.historique.au(historique, d)` returns and nothing
else: the same inputs give the same `Etat`, whatever was computed before (no cache, no
clock). The computation:

1. `sources`: rows in force on D (business date ≤ D).
2. For every affectation (E1), the end it would have if it opened: S2, S4 and A3 do not
   depend on the initialisation; E5 finds the initialisation before that end; E6 and S1
   depend on it; S5 keeps the first (same day: E6, S4, A3, S1, S2). Every one of these only
   reads the episode's own rows, so it is computed once for all candidates, in joins.
3. E2 decides which affectations open (a loop over the affectation's rank within its DE).
4. The opened episodes get their acceptation (E4), region, CIVIS counting (E7), alerts (A1),
   état (A2, A5), last contact (A4), moves (S3) and activity after the end (S6).

**Reading taken (open):** an episode is open on the days date_affectation ≤ d < date_fin;
on date_fin it has ended. Rows dated after the end do not change it (S5); rows dated on the
end day take part in S5's same-day order (a radiation, a sortie, an alert's decision) and an
alert or acceptation of that day still belongs to the episode, but an interview of that day
does not initialise it (E5: "before the episode ended").

Other readings are in each phase's module docstring (entree, accompagnement, sortie).

Worst case of the only loop (E2): (largest number of affectations dated ≤ D of one DE) - 1
iterations, each over the affectations of that rank only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from rules.accompagnement import (
    a1_alertes_traitees,
    a1_attribution,
    a1_traitements,
    a2_a5_etat_accompagnement,
    a3_sorties_decision,
    a4_dernier_contact,
)
from rules.cles import MOTEUR
from rules.entree import (
    e1_affectations,
    e2_ouvertures,
    e3_age_et_parcours,
    e4_acceptations,
    e5_initialisations,
    e6_annulations,
    e7_civis,
    e7_comptabilisation,
    entretiens_ordonnes,
)
from rules.historique import Historique, au
from rules.sortie import (
    s1_suspension,
    s2_age,
    s3_demenagements,
    s4_classement,
    s4_sorties_pole_emploi,
    s5_premiere_fin,
    s6_activite_apres_sortie,
)
from rules.sources import sources
from rules.statuts import chronologie, periodes

COLONNES_EPISODES = [
    "id_affectation",
    "id_de",
    "code_ml",
    "code_region",
    "code_site_pe",
    "parcours",
    "rang",
    "date_affectation",
    "date_acceptation",
    "date_initialisation",
    "type_entretien_initialisation",
    "date_fin",
    "motif_fin",
    "origine_fin",
    "phase",
    "etat",
    "date_debut_etat",
    "comptabilise_objectif",
    "date_dernier_contact",
    "identite_connue",
    "age_affectation",
    "hors_age",
    "hors_parcours_acc",
    "ml_connue",
]


@dataclass(frozen=True)
class Etat:
    """The state of night D (`jour`), as collected polars frames sorted by their key.

    Anomalies carry `date_debut`, "the day the condition began to hold"; frames that feed
    one say which column gives it. Region columns are null when the ML is not in
    REF_MISSIONS_LOCALES. No frame holds a name or a birth date (personal data): the
    identity is read from the inputs by `rules.sortants` only.
    """

    jour: dt.date

    episodes: pl.DataFrame
    """One row per episode: an affectation dated ≤ D that opened (E1, not refused by E2).

    - id_affectation, id_de, code_ml, code_site_pe, parcours, date_affectation: the
      affectation (latest correction); rang: its rank among the DE's affectations (E2 order).
    - code_region: the ML's region (REF_MISSIONS_LOCALES), null when unknown;
      ml_connue = code_region is known (ML_INCONNUE when false; date_debut =
      date_affectation).
    - date_acceptation (E4, applied acceptation, else null), date_initialisation and
      type_entretien_initialisation (E5, null when not initialised or annulled).
    - date_fin, motif_fin (the sortie motif, or RADIATION_AVANT_INITIALISATION for an
      annulation), origine_fin (E6, S4, A3, S1 or S2): null while open. Every end is ≤ D.
    - phase (ENTREE, ACCOMPAGNEMENT, SORTIE, ANNULEE), etat, date_debut_etat (A2, A5 and the
      table "Phase and état written to DUDE"): as of D.
    - comptabilise_objectif (E7): "O", "N" (in CIVIS on date_initialisation:
      COMPTABILISATION_CIVIS, date_debut = date_initialisation), null when not initialised.
    - date_dernier_contact (A4): phase 2 only, the last interview at the ML (or the
      initialisation). SANS_ENTRETIEN_MENSUEL: etat ACTIF and D - date_dernier_contact > 31
      days; date_debut = max(date_dernier_contact + 32 days, date_debut_etat).
    - identite_connue (E3: false means DEMANDEUR_INCONNU, date_debut = date_affectation),
      age_affectation (completed years, null without identity), hors_age
      (AFFECTATION_HORS_AGE, null without identity), hors_parcours_acc
      (AFFECTATION_HORS_PARCOURS_ACC); their date_debut is date_affectation.
    - ACCEPTATION_MANQUANTE: date_fin null, date_acceptation null, D ≥ date_affectation +
      15 days (date_debut = date_affectation + 15 days, or the threshold's day).
      INITIALISATION_MANQUANTE: phase ENTREE, D ≥ date_affectation + 30 days (likewise).
    - DUDE_IN_ETATS is `episodes.select(schemas.flux("DUDE_IN_ETATS").colonnes)`.
    """

    affectations_refusees: pl.DataFrame
    """E2, AFFECTATION_EN_DOUBLE: affectations dated ≤ D refused because the DE had an open
    episode on their date_affectation. Columns: id_affectation, id_de, code_ml, code_region
    (the refused row's), date_affectation, parcours, id_affectation_ouverte,
    code_ml_ouverte, date_affectation_ouverte (the open episode it collided with),
    date_debut (= date_affectation)."""

    acceptations: pl.DataFrame
    """E4: every acceptation dated ≤ D, with statut_acceptation (APPLIQUEE, ORPHELINE,
    INCOHERENTE, AFFECTATION_REFUSEE, APRES_FIN) and ml_divergente; see
    `rules.entree.e4_acceptations`. ACCEPTATION_ORPHELINE (situation): statut ORPHELINE;
    ACCEPTATION_ML_DIVERGENTE: APPLIQUEE and ml_divergente; ACCEPTATION_INCOHERENTE:
    INCOHERENTE. date_debut = date_acceptation; _date_fichier is the night of its file."""

    initialisations_avant_acceptation: pl.DataFrame
    """E5, INITIALISATION_AVANT_ACCEPTATION (info): initialised episodes with no applied
    acceptation or one dated after the initialisation. Columns: id_affectation, id_de,
    code_ml, code_region, date_initialisation, date_acceptation, date_debut
    (= date_initialisation)."""

    alertes: pl.DataFrame
    """A1: every alert dated ≤ D with its episode (id_affectation, null when of no known
    episode), its treatment if any (date_traitement, decision), ouverte, episode_ouvert,
    jours_ouverte and code_region; see `rules.accompagnement.a1_attribution`.
    ALERTE_NON_TRAITEE (situation): ouverte, episode_ouvert and jours_ouverte > threshold
    (30); date_debut = date_alerte + threshold + 1 day. GIDE_IN_ALERTES: id_affectation not
    null."""

    traitements: pl.DataFrame
    """A1: every treatment dated ≤ D with statut_traitement (APPLIQUE, ORPHELIN: the alert is
    unknown, INCOHERENT: dated before its alert) and the episode of its alert
    (id_affectation, code_ml, code_region; null when unknown). TRAITEMENT_ORPHELIN (fills
    id_de only) and TRAITEMENT_INCOHERENT; date_debut = date_traitement."""

    demenagements: pl.DataFrame
    """S3: episodes whose DE lived outside the ML's zone while the episode was open; see
    `rules.sortie.s3_demenagements`. GIDE_IN_SORTIES_A_INITIER: proposition_en_attente, with
    date_constat. DEMENAGEMENT_HORS_ZONE (situation): hors_zone_au_jour, date_debut =
    date_debut_hors_zone."""

    sorties_gide: pl.DataFrame
    """S4: every GIDE_SORTIES row dated ≤ D with statut_sortie (APPLIQUEE, ACQUITTEMENT,
    ORPHELINE) and raison_orpheline; see `rules.sortie.s4_classement`. SORTIE_ORPHELINE:
    statut ORPHELINE (acknowledgements of automatic sorties excluded), date_debut =
    date_sortie."""

    activites_apres_sortie: pl.DataFrame
    """S6, ACTIVITE_APRES_SORTIE (info): ended episodes with interviews of the DE at their ML
    after the end and no newer episode there on that day. Columns: id_affectation, id_de,
    code_ml, code_region, date_fin, origine_fin, date_debut (first such interview),
    nb_entretiens."""

    civis_initialisation: pl.DataFrame
    """E7, COMPTABILISATION_CIVIS: the CIVIS contract each non-counted episode's DE was in on
    date_initialisation. Columns: id_affectation, id_de, code_ml, code_region,
    date_initialisation, date_entree_civis, date_sortie_civis, code_ml_civis, date_debut
    (= date_initialisation)."""


def _materialiser(*frames: pl.LazyFrame) -> list[pl.LazyFrame]:
    """Compute frames read several times once, together (one pass, shared sub-plans)."""
    return [f.lazy() for f in pl.collect_all(frames, engine=MOTEUR)]


def _phase_etat(episodes: pl.LazyFrame) -> pl.LazyFrame:
    """Phase, état and date_debut_etat from the episode's dates (table "Phase and état")."""
    fini = pl.col("date_fin").is_not_null()
    initialise = pl.col("date_initialisation").is_not_null()
    accepte = pl.col("date_acceptation").is_not_null()
    phase = (
        pl.when(fini & (pl.col("origine_fin") == "E6"))
        .then(pl.lit("ANNULEE"))
        .when(fini)
        .then(pl.lit("SORTIE"))
        .when(initialise)
        .then(pl.lit("ACCOMPAGNEMENT"))
        .otherwise(pl.lit("ENTREE"))
    )
    etat = (
        pl.when(fini)
        .then(pl.col("motif_fin"))
        .when(initialise)
        .then(pl.col("_etat_a2"))
        .when(accepte)
        .then(pl.lit("ACCEPTATION"))
        .otherwise(pl.lit("AFFECTATION"))
    )
    debut = (
        pl.when(fini)
        .then(pl.col("date_fin"))
        .when(initialise)
        .then(pl.col("_debut_a5"))
        .when(accepte)
        .then(pl.col("date_acceptation"))
        .otherwise(pl.col("date_affectation"))
    )
    return episodes.with_columns(
        phase.alias("phase"), etat.alias("etat"), debut.alias("date_debut_etat")
    )


def candidats_avec_fin(
    affectations: pl.LazyFrame,
    identites: pl.LazyFrame,
    sorties: pl.LazyFrame,
    alertes_traitees: pl.LazyFrame,
    entretiens_tries: pl.LazyFrame,
    chrono: pl.LazyFrame,
    periodes_statut: pl.LazyFrame,
    d: dt.date,
) -> pl.DataFrame:
    """Every affectation dated ≤ D with the end its episode has if it opens (step 2)."""
    c = e1_affectations(affectations)
    c = e3_age_et_parcours(c, identites)
    c = s2_age(c, d)
    c = s4_sorties_pole_emploi(c, sorties)
    c = c.join(a3_sorties_decision(c, alertes_traitees), on="id_affectation", how="left")
    c = c.with_columns(
        pl.min_horizontal("s2_date", "s4_date", "a3_date").alias("fin_hors_initialisation")
    )
    c = e5_initialisations(c, entretiens_tries)
    c = e6_annulations(c, chrono).collect(engine=MOTEUR).lazy()
    c = c.join(s1_suspension(c, periodes_statut, d), on="id_affectation", how="left")
    return s5_premiere_fin(c).collect(engine=MOTEUR)


def etat_au(entrees: Mapping[str, pl.LazyFrame], d: dt.date) -> Etat:
    """The state of night D from the inbound rows in force on D (`rules.historique.au`)."""
    src = sources(entrees, d)
    regions, chrono, ent_tries, traitements, identites = _materialiser(
        src.missions_locales.select("code_ml", "code_region"),
        chronologie(src.statuts),
        entretiens_ordonnes(src.entretiens),
        a1_traitements(src.alertes, src.traitements),
        src.identites.select("id_de", "date_naissance"),
    )
    per, alertes_t = _materialiser(periodes(chrono), a1_alertes_traitees(src.alertes, traitements))

    cand = candidats_avec_fin(
        src.affectations, identites, src.sorties, alertes_t, ent_tries, chrono, per, d
    )
    ouv = e2_ouvertures(cand)
    c = (
        cand.lazy()
        .join(ouv.lazy(), on="id_affectation", how="left")
        .join(regions, on="code_ml", how="left")
        .collect(engine=MOTEUR)
        .lazy()
    )

    acceptations = e4_acceptations(src.acceptations, c, regions).collect(engine=MOTEUR)
    appliquees = (
        acceptations.lazy()
        .filter(pl.col("statut_acceptation") == "APPLIQUEE")
        .select("id_affectation", "date_acceptation")
    )

    ep = (
        c.filter(pl.col("ouverte"))
        .with_columns(pl.col("code_region").is_not_null().alias("ml_connue"))
        .join(appliquees, on="id_affectation", how="left")
    )
    civis_init = e7_civis(ep, src.civis).collect(engine=MOTEUR).lazy()
    ep = e7_comptabilisation(ep, civis_init).collect(engine=MOTEUR).lazy()

    alertes = (
        a1_attribution(alertes_t, ep, d)
        .join(regions, on="code_ml", how="left")
        .collect(engine=MOTEUR)
        .lazy()
    )
    a2 = a2_a5_etat_accompagnement(ep, alertes, chrono, per, d).select(
        "id_affectation",
        pl.col("etat").alias("_etat_a2"),
        pl.col("date_debut_etat").alias("_debut_a5"),
    )
    a4 = a4_dernier_contact(ep, ent_tries, d)
    episodes = (
        _phase_etat(
            ep.join(a2, on="id_affectation", how="left").join(a4, on="id_affectation", how="left")
        )
        .select(COLONNES_EPISODES)
        .collect(engine=MOTEUR)
    )
    ep = episodes.lazy()

    refusees = c.filter(~pl.col("ouverte")).select(
        "id_affectation",
        "id_de",
        "code_ml",
        "code_region",
        "date_affectation",
        "parcours",
        "id_affectation_ouverte",
        "code_ml_ouverte",
        "date_affectation_ouverte",
        pl.col("date_affectation").alias("date_debut"),
    )
    avant_acceptation = ep.filter(
        pl.col("date_initialisation").is_not_null()
        & (
            pl.col("date_acceptation").is_null()
            | (pl.col("date_initialisation") < pl.col("date_acceptation"))
        )
    ).select(
        "id_affectation",
        "id_de",
        "code_ml",
        "code_region",
        "date_initialisation",
        "date_acceptation",
        pl.col("date_initialisation").alias("date_debut"),
    )
    traitements_ep = traitements.join(
        alertes.select("id_alerte", "id_affectation", "code_region"), on="id_alerte", how="left"
    )
    civis = civis_init.join(
        ep.filter(pl.col("comptabilise_objectif") == "N").select(
            "id_affectation", "id_de", "code_ml", "code_region", "date_initialisation"
        ),
        on="id_affectation",
    ).select(
        "id_affectation",
        "id_de",
        "code_ml",
        "code_region",
        "date_initialisation",
        "date_entree_civis",
        "date_sortie_civis",
        "code_ml_civis",
        pl.col("date_initialisation").alias("date_debut"),
    )

    frames = {
        "affectations_refusees": (refusees, "id_affectation"),
        "acceptations": (acceptations.lazy(), "id_affectation"),
        "initialisations_avant_acceptation": (avant_acceptation, "id_affectation"),
        "alertes": (alertes, "id_alerte"),
        "traitements": (traitements_ep, "id_alerte"),
        "demenagements": (s3_demenagements(ep, src.adresses, src.zones, d), "id_affectation"),
        "sorties_gide": (s4_classement(src.sorties, c), "id_affectation"),
        "activites_apres_sortie": (s6_activite_apres_sortie(ep, ent_tries), "id_affectation"),
        "civis_initialisation": (civis, "id_affectation"),
    }
    calcules = pl.collect_all([f.sort(cle) for f, cle in frames.values()], engine=MOTEUR)
    return Etat(
        jour=d,
        episodes=episodes.sort("id_affectation"),
        **dict(zip(frames, calcules, strict=True)),
    )


def etat_depuis_historique(historique: Historique, d: dt.date) -> Etat:
    """`etat_au(au(historique, d), d)`."""
    return etat_au(au(historique, d), d)
