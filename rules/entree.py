"""Phase 1, entrée en cotraitance: rules E1-E7 of RULES.md.

Each function takes lazy frames and returns one: polars in, polars out, no loop over rows.
The only loop is E2's, over the rank of an affectation within its DE (see `e2_ouvertures`).

**Readings taken** (RULES.md is silent or ambiguous; chosen for what analysts and operators
expect, and part of this module's contract):

- *Open* means date_affectation ≤ d < date_fin: on its end day an episode has ended (its
  phase is SORTIE or ANNULEE from that day). So for E2 an episode ending on the new
  date_affectation is no longer open, and the new affectation opens (Pôle emploi often ends
  one episode and re-affects the same day).
- E2 orders a DE's affectations by date_affectation, then id_affectation: of two
  affectations of the same day, the smaller id is the one that opens.
- E3: the identity used for age is the latest `GIDE_DEMANDEURS` row dated ≤ D (a corrected
  birth date applies retroactively: a birth date is a fact, not an event).
- E4: an acceptation whose affectation was refused by E2 applies to nothing (status
  AFFECTATION_REFUSEE); one dated after the episode's end is ignored (S5: rows dated after
  the end do not change the episode), status APRES_FIN. An acceptation on the end day counts.
- E5: only interviews at the episode's ML initialise it; interviews at another ML are
  ignored (RULES.md says "at the episode's ML"). "Before the episode ended" is strict: an
  interview on the end day does not initialise. Of several interviews on the first day, the
  most personal gives `type_entretien`: INDIVIDUEL, then COLLECTIF, then ATELIER.
- E6: the window is date_affectation to the day before date_initialisation, or to D when
  not initialised; a radiation in force on date_affectation (dated before it) cancels on
  date_affectation. A radiation dated after D is not in force yet, so it cancels nothing.
- E7: CIVIS of the DE at any ML counts (RULES.md: "the DE is in CIVIS on that day").
"""

from __future__ import annotations

import polars as pl

from rules.calendrier import age_revolu
from rules.cles import asof_groupe, avec_jour, cle_de, cle_de_ml
from rules.statuts import premiere_radiation_des

PARCOURS_ACC = "ACC"
AGE_MIN = 16
AGE_MAX = 26  # exclusive: "16 or more and under 26"


def e1_affectations(affectations: pl.LazyFrame) -> pl.LazyFrame:
    """E1: every affectation in force (dated ≤ D) is a candidate episode.

    Adds `k_de` (the DE as an integer, `rules.cles`) and `rang`, the position of the
    affectation among its DE's affectations ordered by (date_affectation, id_affectation),
    which E2 walks through.
    """
    return affectations.select(
        "id_affectation",
        "id_de",
        "code_ml",
        "code_site_pe",
        "date_affectation",
        "parcours",
    ).with_columns(
        cle_de().alias("k_de"),
        pl.struct("date_affectation", "id_affectation")
        .rank("ordinal")
        .over("id_de")
        .cast(pl.Int32)
        .alias("rang"),
    )


def e3_age_et_parcours(candidats: pl.LazyFrame, identites: pl.LazyFrame) -> pl.LazyFrame:
    """E3: identity, age and parcours checks of each candidate.

    Adds: identite_connue (the DE has an identity as of D; else DEMANDEUR_INCONNU and age
    rules wait), date_naissance (personal data, dropped before `Etat.episodes`),
    age_affectation (completed years on date_affectation, null without identity), hors_age
    (AFFECTATION_HORS_AGE: under 16 or 26 and over; null without identity) and
    hors_parcours_acc (AFFECTATION_HORS_PARCOURS_ACC).
    """
    naissance = identites.select("id_de", "date_naissance")
    age = age_revolu(pl.col("date_naissance"), pl.col("date_affectation"))
    return (
        candidats.join(naissance, on="id_de", how="left")
        .with_columns(
            pl.col("date_naissance").is_not_null().alias("identite_connue"),
            age.alias("age_affectation"),
        )
        .with_columns(
            ((pl.col("age_affectation") < AGE_MIN) | (pl.col("age_affectation") >= AGE_MAX)).alias(
                "hors_age"
            ),
            (pl.col("parcours") != PARCOURS_ACC).alias("hors_parcours_acc"),
        )
    )


# Of several interviews on the initialisation day, the most personal one gives the type:
# the enum's order is that priority.
TYPE_ENTRETIEN = pl.Enum(["INDIVIDUEL", "COLLECTIF", "ATELIER"])
CLE_ENTRETIEN = "_k_entretien"  # packed ((DE, ML), date_entretien) of an interview


def entretiens_ordonnes(entretiens: pl.LazyFrame) -> pl.LazyFrame:
    """Interviews sorted by (DE, ML, day) packed in `CLE_ENTRETIEN`, then by type priority
    (INDIVIDUEL, COLLECTIF, ATELIER): the order the as-of joins of E5, A4 and S6 need (a
    forward as-of join takes the first row of a day). Columns: CLE_ENTRETIEN,
    date_entretien, type_entretien (`TYPE_ENTRETIEN`). No string column: sorting and
    gathering ~15 M rows stays cheap."""
    return entretiens.select(
        avec_jour(cle_de_ml(), pl.col("date_entretien")).alias(CLE_ENTRETIEN),
        "date_entretien",
        pl.col("type_entretien").cast(TYPE_ENTRETIEN),
    ).sort(CLE_ENTRETIEN, "type_entretien")


def asof_entretien(
    frame: pl.LazyFrame, entretiens_tries: pl.LazyFrame, jour: str, strategy: str
) -> pl.LazyFrame:
    """`frame` plus date_entretien and type_entretien of the interview of the frame's (DE,
    ML) found by an as-of join from its `jour` (null when none in that pair)."""
    return asof_groupe(
        frame,
        cle_de_ml(),
        pl.col(jour),
        entretiens_tries,
        CLE_ENTRETIEN,
        ["date_entretien", "type_entretien"],
        strategy,
    )


def e5_initialisations(candidats: pl.LazyFrame, entretiens_tries: pl.LazyFrame) -> pl.LazyFrame:
    """E5: the earliest interview of the DE at the episode's ML on or after date_affectation
    (same day counts) and strictly before `fin_hors_initialisation`, the end the episode has
    regardless of its initialisation (S2, S4, A3).

    `entretiens_tries` comes from `entretiens_ordonnes`. Adds date_initialisation and
    type_entretien_initialisation (null when not initialised). E6 may still cancel the
    episode before that day; `s5_premiere_fin` then clears them.
    """
    premier = asof_entretien(candidats, entretiens_tries, "date_affectation", "forward")
    avant_fin = pl.col("fin_hors_initialisation").is_null() | (
        pl.col("date_entretien") < pl.col("fin_hors_initialisation")
    )
    garde = pl.col("date_entretien").is_not_null() & avant_fin
    return premier.with_columns(
        pl.when(garde).then(pl.col("date_entretien")).alias("date_initialisation"),
        pl.when(garde)
        .then(pl.col("type_entretien").cast(pl.String))
        .alias("type_entretien_initialisation"),
    ).drop("date_entretien", "type_entretien")


def e6_annulations(candidats: pl.LazyFrame, chrono: pl.LazyFrame) -> pl.LazyFrame:
    """E6: the annulation day of each candidate, or null.

    The first day from date_affectation on which the DE is RADIE, if it is before
    date_initialisation (a radiation on the initialisation day itself does not cancel) or
    the episode is not initialised. A cessation never cancels. Statuses dated after D are
    not in force, so the window ends on D for an episode not initialised. Whether the
    annulation is the episode's end (it may have ended before) is S5's job. `chrono` comes
    from `rules.statuts.chronologie`. Adds `e6_date`.
    """
    avec = premiere_radiation_des(candidats, chrono, "date_affectation", "_radiation")
    avant_init = pl.col("date_initialisation").is_null() | (
        pl.col("_radiation") < pl.col("date_initialisation")
    )
    return avec.with_columns(pl.when(avant_init).then(pl.col("_radiation")).alias("e6_date")).drop(
        "_radiation"
    )


def e2_ouvertures(candidats: pl.DataFrame) -> pl.DataFrame:
    """E2: which candidate affectations open an episode (one open episode per DE).

    `candidats`: id_affectation, id_de, code_ml, date_affectation, rang, date_fin (the end
    the affectation's episode has if it opens: every end rule only reads the episode's own
    rows, so it is computed for all candidates before E2). Returns, per candidate:
    id_affectation, ouverte, and for a refused one the episode it collided with
    (id_affectation_ouverte, code_ml_ouverte, date_affectation_ouverte).

    An affectation opens when the DE's previous opened episode has ended on or before its
    date_affectation. This is sequential within a DE, so it iterates over `rang`,
    vectorised across all DEs: the worst case is (largest number of affectations dated ≤ D
    of a single DE) - 1 iterations, each on the candidates of that rank only.
    """
    cols = ["id_affectation", "id_de", "code_ml", "date_affectation", "date_fin", "rang"]
    c = candidats.select(cols)
    ouvertes = [c.filter(pl.col("rang") == 1).select("id_affectation")]
    refusees: list[pl.DataFrame] = []
    derniere = c.filter(pl.col("rang") == 1).select(
        "id_de",
        pl.col("id_affectation").alias("id_affectation_ouverte"),
        pl.col("code_ml").alias("code_ml_ouverte"),
        pl.col("date_affectation").alias("date_affectation_ouverte"),
        pl.col("date_fin").alias("fin_ouverte"),
    )
    rang_max = int(c.get_column("rang").max() or 0)
    for rang in range(2, rang_max + 1):
        courant = c.filter(pl.col("rang") == rang).join(derniere, on="id_de", how="left")
        libre = pl.col("fin_ouverte").is_not_null() & (
            pl.col("fin_ouverte") <= pl.col("date_affectation")
        )
        ouvre = courant.filter(libre)
        ouvertes.append(ouvre.select("id_affectation"))
        refusees.append(
            courant.filter(~libre).select(
                "id_affectation",
                "id_affectation_ouverte",
                "code_ml_ouverte",
                "date_affectation_ouverte",
            )
        )
        nouvelles = ouvre.select(
            "id_de",
            pl.col("id_affectation").alias("id_affectation_ouverte"),
            pl.col("code_ml").alias("code_ml_ouverte"),
            pl.col("date_affectation").alias("date_affectation_ouverte"),
            pl.col("date_fin").alias("fin_ouverte"),
        )
        derniere = pl.concat(
            [derniere.join(nouvelles.select("id_de"), on="id_de", how="anti"), nouvelles]
        )
    schema_refus = {
        "id_affectation": pl.String,
        "id_affectation_ouverte": pl.String,
        "code_ml_ouverte": pl.String,
        "date_affectation_ouverte": pl.Date,
    }
    ouverts = pl.concat(ouvertes).with_columns(pl.lit(True).alias("ouverte"))
    refus = pl.concat([pl.DataFrame(schema=schema_refus), *refusees]).with_columns(
        pl.lit(False).alias("ouverte")
    )
    return pl.concat([ouverts, refus], how="diagonal")


def e4_acceptations(
    acceptations: pl.LazyFrame, candidats: pl.LazyFrame, missions_locales: pl.LazyFrame
) -> pl.LazyFrame:
    """E4: every acceptation dated ≤ D, classified (`statut_acceptation`).

    - APPLIQUEE: accepts its episode (date_acceptation ≥ date_affectation, on or before the
      episode's end); `ml_divergente` when its code_ml differs from the affectation's
      (ACCEPTATION_ML_DIVERGENTE, the acceptation still applies).
    - ORPHELINE: no affectation with that id in force (ACCEPTATION_ORPHELINE, a situation:
      it is matched whenever the affectation arrives).
    - INCOHERENTE: dated before the affectation, ignored (ACCEPTATION_INCOHERENTE).
    - AFFECTATION_REFUSEE: its affectation was refused by E2 (reported by
      AFFECTATION_EN_DOUBLE), ignored.
    - APRES_FIN: dated after the episode's end, ignored (S5).

    `candidats` carries id_affectation, code_ml, date_affectation, ouverte, date_fin.
    Columns: id_affectation, id_de, code_ml (the acceptation's), code_ml_affectation,
    code_region (the episode's ML's region, or the acceptation's ML's for an orphan),
    date_acceptation, date_affectation, statut_acceptation, ml_divergente, date_debut
    (= date_acceptation, the day the condition began), _date_fichier (night of the file that
    carried it).
    """
    aff = candidats.select(
        "id_affectation",
        pl.col("code_ml").alias("code_ml_affectation"),
        "date_affectation",
        "ouverte",
        "date_fin",
    )
    statut = (
        pl.when(pl.col("date_affectation").is_null())
        .then(pl.lit("ORPHELINE"))
        .when(pl.col("date_acceptation") < pl.col("date_affectation"))
        .then(pl.lit("INCOHERENTE"))
        .when(~pl.col("ouverte"))
        .then(pl.lit("AFFECTATION_REFUSEE"))
        .when(pl.col("date_fin").is_not_null() & (pl.col("date_acceptation") > pl.col("date_fin")))
        .then(pl.lit("APRES_FIN"))
        .otherwise(pl.lit("APPLIQUEE"))
    )
    regions = missions_locales.select("code_ml", "code_region")
    return (
        acceptations.join(aff, on="id_affectation", how="left")
        .with_columns(
            statut.alias("statut_acceptation"),
            (
                pl.col("code_ml_affectation").is_not_null()
                & (pl.col("code_ml") != pl.col("code_ml_affectation"))
            ).alias("ml_divergente"),
            pl.coalesce("code_ml_affectation", "code_ml").alias("_ml_region"),
            pl.col("date_acceptation").alias("date_debut"),
        )
        .join(regions, left_on="_ml_region", right_on="code_ml", how="left")
        .select(
            "id_affectation",
            "id_de",
            "code_ml",
            "code_ml_affectation",
            "code_region",
            "date_acceptation",
            "date_affectation",
            "statut_acceptation",
            "ml_divergente",
            "date_debut",
            "_date_fichier",
        )
    )


def e7_civis(episodes: pl.LazyFrame, civis: pl.LazyFrame) -> pl.LazyFrame:
    """E7: the CIVIS contract each initialised episode's DE is in on date_initialisation.

    One row per such episode (the contract with the earliest date_entree_civis if several):
    id_affectation, date_entree_civis, date_sortie_civis, code_ml_civis. In CIVIS on d means
    date_entree_civis ≤ d and (date_sortie_civis empty or ≥ d); a CIVIS that ended before
    date_initialisation does not count.
    """
    init = episodes.filter(pl.col("date_initialisation").is_not_null()).select(
        "id_affectation", "id_de", "date_initialisation"
    )
    dans = (pl.col("date_entree_civis") <= pl.col("date_initialisation")) & (
        pl.col("date_sortie_civis").is_null()
        | (pl.col("date_sortie_civis") >= pl.col("date_initialisation"))
    )
    return (
        init.join(
            civis.select(
                "id_de",
                "date_entree_civis",
                "date_sortie_civis",
                pl.col("code_ml").alias("code_ml_civis"),
            ),
            on="id_de",
        )
        .filter(dans)
        .sort("id_affectation", "date_entree_civis")
        .unique(subset=["id_affectation"], keep="first", maintain_order=True)
        .select("id_affectation", "date_entree_civis", "date_sortie_civis", "code_ml_civis")
    )


def e7_comptabilisation(episodes: pl.LazyFrame, civis_init: pl.LazyFrame) -> pl.LazyFrame:
    """E7: comptabilise_objectif, "O" for an initialised episode, "N" when its DE is in CIVIS
    on date_initialisation (COMPTABILISATION_CIVIS), null when not initialised. The year
    counted is the calendar year of date_initialisation."""
    en_civis = civis_init.select("id_affectation", pl.lit(True).alias("_civis"))
    return (
        episodes.join(en_civis, on="id_affectation", how="left")
        .with_columns(
            pl.when(pl.col("date_initialisation").is_null())
            .then(None)
            .when(pl.col("_civis").fill_null(False))
            .then(pl.lit("N"))
            .otherwise(pl.lit("O"))
            .alias("comptabilise_objectif")
        )
        .drop("_civis")
    )
