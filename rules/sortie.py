"""Phase 3, sortie de cotraitance: rules S1-S6 of RULES.md.

The end rules (E6's annulation, S1, S2, S4 and A3's decision) are computed as candidate dates
for every candidate affectation, from the episode's own rows only; `s5_premiere_fin` keeps
the first. Rows and candidates dated after D are not in force: an automatic sortie whose day
is after D has not happened yet (date_fin stays null).

**Readings taken:**

- S1: "unless the DE is INSCRIT again before that day" is strict: an INSCRIT row dated on
  s + 6 months itself does not prevent the sortie. A suspension run ended (INSCRIT again)
  before date_initialisation does not count; one still running on date_initialisation
  starts its clock that day.
- S2: without an identity as of D there is no S2 sortie yet (E3: "age rules wait").
- S3: the address in force on each day the episode is open counts, including the address
  in force on date_affectation (already outside the zone: date_constat = date_affectation,
  flagged `des_affectation`). The proposal's date_constat is the first day the episode was
  out of its zone and never changes afterwards ("a proposal already sent stays sent"): a
  DE who moves out, back in and out again keeps the first date_constat, while the
  DEMENAGEMENT_HORS_ZONE situation restarts on each move out (`date_debut_hors_zone`). An ML
  with no row in REF_ZONES_ML has no known zone: no S3 for its episodes. A proposal is
  pending while the episode is open.
- S4: a GIDE_SORTIES row dated before its affectation is SORTIE_ORPHELINE (it cannot end an
  episode that had not started). A row equal (date and motif) to the automatic sortie the
  episode has without it is Pôle emploi's acknowledgement: the episode keeps its automatic
  origin (S1/S2) and the row is not an anomaly.
- S6: "a newer episode ... is open" is judged on the interview's date: the interview
  belongs to the latest episode of the DE at that ML affected on or before that day; it is
  activity after sortie when that episode ended before the interview (strictly: an
  interview on the end day is not). Annulled episodes count as ended.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from rules.calendrier import plus_ans, plus_mois
from rules.cles import asof_groupe, cle_de, cle_de_ml, groupe, indexer
from rules.entree import CLE_ENTRETIEN

# S5's same-day order: the first listed wins.
ORIGINES = ("E6", "S4", "A3", "S1", "S2")
_PRIORITE = {o: i for i, o in enumerate(ORIGINES)}
_DECALAGE = 1_000_000  # keeps the packed (day, priority) keys positive for any date after 0 AD

MOTIF_ANNULATION = "RADIATION_AVANT_INITIALISATION"
MOTIF_DECISION = "DECISION_ALERTE"
MOTIF_SUSPENSION = "SUSPENSION_6_MOIS"
MOTIF_AGE = "AGE_26_ANS"
MOTIF_FIN_ANNEE = "FIN_ANNEE_26_ANS"


def s1_suspension(candidats: pl.LazyFrame, periodes: pl.LazyFrame, d: dt.date) -> pl.LazyFrame:
    """S1: six months of suspension after initialisation. Returns id_affectation, s1_date.

    For each suspended run (RADIE/CESSATION in any mix) still running on or after
    date_initialisation, s = max(run start, date_initialisation); the sortie is on
    s + 6 months when the run has not ended (INSCRIT again) before that day and that day is
    ≤ D. Alerts do not stop the clock. The first such day wins.
    """
    init = candidats.filter(pl.col("date_initialisation").is_not_null()).select(
        "id_affectation", "k_de", "date_initialisation"
    )
    suspensions = periodes.filter(pl.col("suspendu")).select("k_de", "debut", "fin")
    debut = pl.max_horizontal("debut", "date_initialisation")
    return (
        init.join(suspensions, on="k_de")
        .filter(pl.col("fin").is_null() | (pl.col("fin") > pl.col("date_initialisation")))
        .with_columns(plus_mois(debut, 6).alias("s1_date"))
        .filter(
            (pl.col("fin").is_null() | (pl.col("fin") >= pl.col("s1_date")))
            & (pl.col("s1_date") <= d)
        )
        .group_by("id_affectation")
        .agg(pl.col("s1_date").min())
    )


def s2_age(candidats: pl.LazyFrame, d: dt.date) -> pl.LazyFrame:
    """S2: sortie for age (needs date_naissance on `candidats`). Adds s2_date, s2_motif.

    AGE_26_ANS on the 26th birthday; FIN_ANNEE_26_ANS on date_affectation + 12 months for
    a DE affected in their 26th year (25th birthday ≤ date_affectation < 26th birthday),
    instead of the birthday; AGE_26_ANS on date_affectation for an affectation at 26 or
    more. Applies in phases 1 and 2; null when the day is after D or the identity unknown.
    """
    a = pl.col("date_affectation")
    b25 = plus_ans(pl.col("date_naissance"), 25)
    b26 = plus_ans(pl.col("date_naissance"), 26)
    date = pl.when(a >= b26).then(a).when(a >= b25).then(plus_mois(a, 12)).otherwise(b26)
    motif = (
        pl.when((a >= b25) & (a < b26)).then(pl.lit(MOTIF_FIN_ANNEE)).otherwise(pl.lit(MOTIF_AGE))
    )
    return candidats.with_columns(
        pl.when(date <= d).then(date).alias("s2_date"),
        pl.when(date <= d).then(motif).alias("s2_motif"),
    )


def s4_sorties_pole_emploi(candidats: pl.LazyFrame, sorties: pl.LazyFrame) -> pl.LazyFrame:
    """S4: the GIDE_SORTIES row of each candidate (same id_affectation), when dated on or
    after date_affectation. Adds s4_date, s4_motif."""
    lignes = sorties.select(
        "id_affectation", pl.col("date_sortie").alias("_s4"), pl.col("motif_sortie").alias("_m4")
    )
    valide = pl.col("_s4") >= pl.col("date_affectation")
    return (
        candidats.join(lignes, on="id_affectation", how="left")
        .with_columns(
            pl.when(valide).then(pl.col("_s4")).alias("s4_date"),
            pl.when(valide).then(pl.col("_m4")).alias("s4_motif"),
        )
        .drop("_s4", "_m4")
    )


def _cle(date: str, origine: str) -> pl.Expr:
    return (pl.col(date).cast(pl.Int64) + _DECALAGE) * 8 + _PRIORITE[origine]


def _origine(cle: pl.Expr) -> pl.Expr:
    prio = cle % 8
    expr = pl.when(prio == 0).then(pl.lit(ORIGINES[0]))
    for i, o in enumerate(ORIGINES[1:], start=1):
        expr = expr.when(prio == i).then(pl.lit(o))
    return expr


def _motif(origine: pl.Expr) -> pl.Expr:
    return (
        pl.when(origine == "E6")
        .then(pl.lit(MOTIF_ANNULATION))
        .when(origine == "S4")
        .then(pl.col("s4_motif"))
        .when(origine == "A3")
        .then(pl.lit(MOTIF_DECISION))
        .when(origine == "S1")
        .then(pl.lit(MOTIF_SUSPENSION))
        .when(origine == "S2")
        .then(pl.col("s2_motif"))
    )


def s5_premiere_fin(candidats: pl.LazyFrame) -> pl.LazyFrame:
    """S5: the first end wins; on the same day E6, then S4, A3, S1, S2.

    Reads e6_date, s4_date/s4_motif, a3_date, s1_date, s2_date/s2_motif. Adds date_fin,
    origine_fin (one of ORIGINES), motif_fin (the sortie motif, or
    RADIATION_AVANT_INITIALISATION for an annulation) and s4_acquittement (the S4 row repeats
    the automatic sortie the episode has without it: origin kept S1/S2, see module doc).
    An annulled episode is not initialised: its initialisation columns are cleared.
    """
    toutes = [
        _cle("e6_date", "E6"),
        _cle("s4_date", "S4"),
        _cle("a3_date", "A3"),
        _cle("s1_date", "S1"),
        _cle("s2_date", "S2"),
    ]
    sans_s4 = [c for i, c in enumerate(toutes) if i != _PRIORITE["S4"]]
    cle = pl.min_horizontal(toutes)
    cle_sans_s4 = pl.min_horizontal(sans_s4)
    origine_sans_s4 = _origine(pl.col("_cle_sans_s4"))
    acquittement = (
        (pl.col("origine_fin") == "S4")
        & ((pl.col("_cle_sans_s4") // 8) == (pl.col("_cle") // 8))
        & origine_sans_s4.is_in(["S1", "S2"])
        & (_motif(origine_sans_s4) == pl.col("s4_motif"))
    )
    return (
        candidats.with_columns(cle.alias("_cle"), cle_sans_s4.alias("_cle_sans_s4"))
        .with_columns(
            ((pl.col("_cle") // 8) - _DECALAGE).cast(pl.Int32).cast(pl.Date).alias("date_fin"),
            _origine(pl.col("_cle")).alias("origine_fin"),
        )
        .with_columns(acquittement.fill_null(False).alias("s4_acquittement"))
        .with_columns(
            pl.when(pl.col("s4_acquittement"))
            .then(origine_sans_s4)
            .otherwise(pl.col("origine_fin"))
            .alias("origine_fin")
        )
        .with_columns(_motif(pl.col("origine_fin")).alias("motif_fin"))
        .with_columns(
            pl.when(pl.col("origine_fin") == "E6").then(None).otherwise(pl.col(c)).alias(c)
            for c in ("date_initialisation", "type_entretien_initialisation")
        )
        .drop("_cle", "_cle_sans_s4")
    )


def s4_classement(sorties: pl.LazyFrame, candidats: pl.LazyFrame) -> pl.LazyFrame:
    """S4: every GIDE_SORTIES row dated ≤ D, classified (`statut_sortie`).

    - APPLIQUEE: it is its episode's end (origine_fin S4).
    - ACQUITTEMENT: it repeats the automatic sortie (S1/S2) that ended the episode, same
      date and motif: Pôle emploi's acknowledgement, not an anomaly.
    - ORPHELINE (SORTIE_ORPHELINE), with `raison_orpheline`: EPISODE_INCONNU (no
      affectation with that id, or one refused by E2), ANTERIEURE_AFFECTATION (dated before
      the affectation), EPISODE_TERMINE (the episode had already ended, or ended the same
      day by an annulation, which comes first).

    Columns: id_affectation, id_de, code_ml, code_region (the affectation's, if any),
    date_sortie, motif_sortie, statut_sortie, raison_orpheline, date_fin, origine_fin
    (the episode's, if it opened), date_debut (= date_sortie), _date_fichier.
    """
    ep = candidats.select(
        "id_affectation",
        "code_ml",
        "code_region",
        "date_affectation",
        "ouverte",
        "date_fin",
        "origine_fin",
        "motif_fin",
    )
    connu = pl.col("ouverte").fill_null(False)
    raison = (
        pl.when(~connu)
        .then(pl.lit("EPISODE_INCONNU"))
        .when(pl.col("date_sortie") < pl.col("date_affectation"))
        .then(pl.lit("ANTERIEURE_AFFECTATION"))
        .when(pl.col("origine_fin") == "S4")
        .then(None)
        .when(
            pl.col("origine_fin").is_in(["S1", "S2"])
            & (pl.col("date_fin") == pl.col("date_sortie"))
            & (pl.col("motif_fin") == pl.col("motif_sortie"))
        )
        .then(None)
        .otherwise(pl.lit("EPISODE_TERMINE"))
    )
    statut = (
        pl.when(pl.col("raison_orpheline").is_not_null())
        .then(pl.lit("ORPHELINE"))
        .when(pl.col("origine_fin") == "S4")
        .then(pl.lit("APPLIQUEE"))
        .otherwise(pl.lit("ACQUITTEMENT"))
    )
    return (
        sorties.join(ep, on="id_affectation", how="left")
        .with_columns(raison.alias("raison_orpheline"))
        .with_columns(
            statut.alias("statut_sortie"),
            pl.when(connu).then(pl.col("date_fin")).alias("date_fin"),
            pl.when(connu).then(pl.col("origine_fin")).alias("origine_fin"),
            pl.col("date_sortie").alias("date_debut"),
        )
        .select(
            "id_affectation",
            "id_de",
            "code_ml",
            "code_region",
            "date_sortie",
            "motif_sortie",
            "statut_sortie",
            "raison_orpheline",
            "date_fin",
            "origine_fin",
            "date_debut",
            "_date_fichier",
        )
    )


def s3_demenagements(
    episodes: pl.LazyFrame, adresses: pl.LazyFrame, zones: pl.LazyFrame, d: dt.date
) -> pl.LazyFrame:
    """S3: episodes whose DE lived outside the ML's zone on some day the episode was open.

    One row per such episode: id_affectation, id_de, code_ml, code_region, date_constat
    (first day out of the zone while open: the proposal's date, never moved later),
    des_affectation (out of the zone from date_affectation on), episode_ouvert (open on D),
    proposition_en_attente (open on D: a GIDE_IN_SORTIES_A_INITIER record),
    hors_zone_au_jour (open and out of the zone on D: the DEMENAGEMENT_HORS_ZONE situation
    holds), date_debut_hors_zone (first day of the current out-of-zone run when
    hors_zone_au_jour, else null: the anomaly's date_debut).
    """
    lendemain = d + dt.timedelta(days=1)
    cle = "_k_adresse"
    ep = episodes.select(
        "id_affectation",
        cle_de().alias("_k_de"),
        "code_ml",
        "date_affectation",
        "date_fin",
    ).join(zones.select("code_ml").unique(), on="code_ml", how="semi")
    # Address history sorted by (DE, day): the next row of the same DE ends each address.
    k_de = groupe(pl.col(cle))
    adr = indexer(
        adresses.select("id_de", "code_commune", "date_effet"), cle_de(), pl.col("date_effet"), cle
    ).select(
        k_de.alias("_k_de"),
        "code_commune",
        "date_effet",
        pl.when(k_de == k_de.shift(-1)).then(pl.col("date_effet").shift(-1)).alias("_suivante"),
    )
    dans_zone = zones.select("code_ml", "code_commune", pl.lit(True).alias("_dans_zone"))
    debut = pl.max_horizontal("date_effet", "date_affectation")
    fin = pl.min_horizontal(
        pl.col("_suivante").fill_null(lendemain), pl.col("date_fin").fill_null(lendemain)
    )
    iv = (
        ep.join(adr, on="_k_de")
        .with_columns(debut.alias("_debut"), fin.alias("_fin"))
        .filter(pl.col("_debut") < pl.col("_fin"))
        .join(dans_zone, on=["code_ml", "code_commune"], how="left")
        .select("id_affectation", "_debut", pl.col("_dans_zone").fill_null(False))
    )
    hors = ~pl.col("_dans_zone")
    dernier_dedans = pl.col("_debut").filter(pl.col("_dans_zone")).max()
    run_courant = pl.col("_debut").filter(
        hors & (dernier_dedans.is_null() | (pl.col("_debut") > dernier_dedans))
    )
    par_episode = (
        iv.group_by("id_affectation")
        .agg(
            pl.col("_debut").filter(hors).min().alias("date_constat"),
            pl.col("_dans_zone").sort_by("_debut").last().alias("_dedans_dernier"),
            run_courant.min().alias("_run"),
        )
        .filter(pl.col("date_constat").is_not_null())
        .join(
            episodes.select(
                "id_affectation", "id_de", "code_ml", "code_region", "date_affectation", "date_fin"
            ),
            on="id_affectation",
        )
    )
    ouvert = pl.col("date_fin").is_null()
    hors_jour = ouvert & ~pl.col("_dedans_dernier")
    return par_episode.select(
        "id_affectation",
        "id_de",
        "code_ml",
        "code_region",
        "date_constat",
        (pl.col("date_constat") == pl.col("date_affectation")).alias("des_affectation"),
        ouvert.alias("episode_ouvert"),
        ouvert.alias("proposition_en_attente"),
        hors_jour.alias("hors_zone_au_jour"),
        pl.when(hors_jour).then(pl.col("_run")).alias("date_debut_hors_zone"),
    )


def s6_activite_apres_sortie(
    episodes: pl.LazyFrame, entretiens_tries: pl.LazyFrame
) -> pl.LazyFrame:
    """S6: interviews of the DE at an ended episode's ML after its end (ACTIVITE_APRES_SORTIE).

    One row per episode concerned: id_affectation, id_de, code_ml, code_region, date_fin,
    origine_fin, date_debut (first such interview: the event's day), nb_entretiens.
    An interview belongs to the latest episode of the DE at that ML affected on or before
    its date; it counts when that episode had ended before the interview.
    `entretiens_tries` comes from `rules.entree.entretiens_ordonnes`.
    """
    cle = "_k_episode"
    ep = indexer(
        episodes.select(
            "id_affectation",
            "id_de",
            "code_ml",
            "code_region",
            "date_affectation",
            "date_fin",
            "origine_fin",
        ),
        cle_de_ml(),
        pl.col("date_affectation"),
        cle,
    )
    termines = ep.filter(pl.col("date_fin").is_not_null()).select(groupe(pl.col(cle)).alias("_g"))
    entretiens = entretiens_tries.select(
        groupe(pl.col(CLE_ENTRETIEN)).alias("_g"), "date_entretien"
    ).join(termines.unique(), on="_g", how="semi")
    return (
        asof_groupe(
            entretiens,
            pl.col("_g"),
            pl.col("date_entretien"),
            ep,
            cle,
            ["id_affectation", "id_de", "code_ml", "code_region", "date_fin", "origine_fin"],
            "backward",
        )
        .filter(pl.col("date_fin").is_not_null() & (pl.col("date_entretien") > pl.col("date_fin")))
        .group_by("id_affectation")
        .agg(
            pl.col("id_de").first(),
            pl.col("code_ml").first(),
            pl.col("code_region").first(),
            pl.col("date_fin").first(),
            pl.col("origine_fin").first(),
            pl.col("date_entretien").min().alias("date_debut"),
            pl.len().cast(pl.Int64).alias("nb_entretiens"),
        )
    )
