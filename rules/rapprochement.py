"""Rapprochement des stocks: compare a system's stock with its expected view (RULES.md R1-R6).

Pure functions, polars in and polars out. `r3_divergences` compares, episode by episode (key
`id_affectation`), a stock with the expected view of that system on the stock's date;
`r6_concordance` counts what agrees; the `r2_attendu_*` functions build each system's expected
view from the state on the stock's date and from `envoye`: per outbound flow, the latest
content sent for each key by a night ≤ S − délai (`pipelines.envois` reads it from the
emission ledger); `r3_causes_en_trop` and `r2_en_transit` say what Passerelle knows of an
episode it does not expect, and which records are still in transit.

Values are compared as they travel (text; dates as DD/MM/YYYY), so that a message can show
both sides; only identifiers, codes and dates are ever compared or shown (no stock field is a
name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

import schemas

CLE = "id_affectation"

# Which STOCK_ECART_* code a differing field raises (R3); any other field: STOCK_ECART_DONNEES.
CODE_DU_CHAMP = {
    "statut": "STOCK_ECART_STATUT",
    "alerte_en_cours": "STOCK_ECART_ALERTE",
    "phase": "STOCK_ECART_ETAT",
    "etat": "STOCK_ECART_ETAT",
}
ECART_DONNEES = "STOCK_ECART_DONNEES"
MANQUANT = "STOCK_EPISODE_MANQUANT"
EN_TROP = "STOCK_EPISODE_EN_TROP"

STOCKS = {"GIDE": "GIDE_STOCK", "P3": "P3_STOCK", "DUDE": "DUDE_STOCK"}

# The inbound rows in force on S the expected views and the comparison read (R2, R3).
ENTREES_RAPPROCHEMENT = ("GIDE_STATUTS", "DUDE_ACCEPTATIONS", *STOCKS.values())

# The outbound flows each system's expected view reads (R2).
FLUX_DU_SYSTEME = {
    "GIDE": ("GIDE_IN_INITIALISATIONS", "GIDE_IN_SORTIES"),
    "P3": (
        "P3_IN_AFFECTATIONS",
        "P3_IN_STATUTS",
        "P3_IN_TRAITEMENTS_ALERTE",
        "P3_IN_SORTIES",
        "P3_IN_ANNULATIONS",
    ),
    "DUDE": ("DUDE_IN_ETATS",),
}
FLUX_ENVOYES = tuple(f for flux in FLUX_DU_SYSTEME.values() for f in flux)
# The outbound flows that tell a system an episode ended (R3, the cause of an extra episode).
FINS_ENVOYEES = {
    "GIDE": ("GIDE_IN_SORTIES",),
    "P3": ("P3_IN_SORTIES", "P3_IN_ANNULATIONS"),
    "DUDE": (),
}

DIVERGENCES = {
    "systeme": pl.String,
    "code": pl.String,
    CLE: pl.String,
    "id_de": pl.String,
    "code_ml": pl.String,
    "champ": pl.String,  # the differing fields, comma-separated (empty for MANQUANT/EN_TROP)
    "attendu": pl.String,  # their expected values, in the same order ("; "-separated)
    "stock": pl.String,  # their values in the stock
    "cause": pl.String,  # EN_TROP: the cause Passerelle knows
}

# The divergences the night reports: R3's, with the stock compared and `date_debut`, the date
# of the first of the consecutive stocks of the system that show each one (R1).
DIVERGENCES_DATEES = {
    **DIVERGENCES,
    "fichier": pl.String,
    "date_stock": pl.Date,
    "date_debut": pl.Date,
    "renvoi": pl.Date,  # R5: the night that re-sent the content (null: nothing re-sent)
}


def champs_compares(systeme: str) -> list[str]:
    """The stock's fields compared by R3: every field but the key."""
    return [c for c in schemas.flux(STOCKS[systeme]).colonnes if c != CLE]


def _en_texte(frame: pl.LazyFrame, systeme: str) -> pl.LazyFrame:
    """The stock's columns as text in the stock's dialect (null stays null)."""
    flux = schemas.flux(STOCKS[systeme])
    exprs = []
    for c in flux.colonnes:
        e = pl.col(c)
        if c in flux.dates:
            e = e.dt.strftime("%d/%m/%Y")
        exprs.append(e.cast(pl.String).alias(c))
    return frame.select(exprs)


def r3_divergences(
    systeme: str,
    attendu: pl.LazyFrame,
    stock: pl.LazyFrame,
    cles_en_quarantaine: pl.LazyFrame,
    causes_en_trop: pl.LazyFrame,
) -> pl.DataFrame:
    """R3: the divergences of one system's stock with its expected view.

    `attendu` and `stock` have the stock flow's typed columns; `cles_en_quarantaine` one
    column `id_affectation` (keys of the stock's quarantined rows: never reported missing,
    R1); `causes_en_trop` (id_affectation, cause): what Passerelle knows of an episode it
    does not expect (unknown keys get "inconnu de Passerelle"). Several differing fields of
    different codes give one row per code; sorted by code then key.
    """
    a, s = _en_texte(attendu, systeme), _en_texte(stock, systeme)
    champs = champs_compares(systeme)
    manquants = (
        a.join(s.select(CLE), on=CLE, how="anti")
        .join(cles_en_quarantaine.select(CLE), on=CLE, how="anti")
        .select(pl.lit(MANQUANT).alias("code"), CLE, "id_de", "code_ml")
    )
    en_trop = (
        s.join(a.select(CLE), on=CLE, how="anti")
        .join(causes_en_trop.select(CLE, "cause"), on=CLE, how="left")
        .select(
            pl.lit(EN_TROP).alias("code"),
            CLE,
            "id_de",
            "code_ml",
            pl.col("cause").fill_null("inconnu de Passerelle"),
        )
    )
    cote_a_cote = a.join(s, on=CLE, how="inner", suffix="_stock")
    ecarts = (
        cote_a_cote.unpivot(index=[CLE, "id_de", "code_ml"], on=champs, variable_name="champ")
        .rename({"value": "attendu"})
        .join(
            cote_a_cote.unpivot(index=CLE, on=[f"{c}_stock" for c in champs], variable_name="champ")
            .with_columns(pl.col("champ").str.strip_suffix("_stock"))
            .rename({"value": "stock"}),
            on=[CLE, "champ"],
        )
        .filter(pl.col("attendu").ne_missing(pl.col("stock")))
        .with_columns(
            pl.col("champ")
            .replace_strict(CODE_DU_CHAMP, default=ECART_DONNEES, return_dtype=pl.String)
            .alias("code"),
            pl.col("champ")
            .replace_strict({c: i for i, c in enumerate(champs)}, return_dtype=pl.Int64)
            .alias("_ordre"),
        )
        .sort(CLE, "code", "_ordre")
        .group_by(CLE, "code", maintain_order=True)
        .agg(
            pl.col("id_de").first(),
            pl.col("code_ml").first(),
            pl.col("champ").str.join(", "),
            pl.col("attendu").fill_null("(vide)").str.join("; "),
            pl.col("stock").fill_null("(vide)").str.join("; "),
        )
    )
    return (
        pl.concat([manquants, en_trop, ecarts], how="diagonal_relaxed")
        .with_columns(pl.lit(systeme).alias("systeme"))
        .select([pl.col(c).cast(t) for c, t in DIVERGENCES.items()])
        .sort("code", CLE)
        .collect()
    )


CONCORDANCE = {
    "systeme": pl.String,
    "code_region": pl.String,  # null on the system's national row
    "attendus": pl.Int64,
    "en_stock": pl.Int64,
    "concordants": pl.Int64,
    "taux_concordance": pl.Float64,  # null when expected ∪ stock is empty
}


def r6_concordance(
    systeme: str,
    attendu: pl.LazyFrame,
    stock: pl.LazyFrame,
    divergences: pl.DataFrame,
    regions: pl.LazyFrame,
) -> pl.DataFrame:
    """R6: per system and per region, episodes expected, in the stock, concordant (present
    on both sides with no divergence), and concordant / (expected ∪ in the stock).

    `regions` (code_ml, code_region) places an episode by its expected code_ml, else its
    stock's; the national row has a null code_region and comes first; an episode whose ML
    has no known region counts in the national row only.
    """
    exp = attendu.select(CLE, pl.col("code_ml").alias("_ml_a"), pl.lit(True).alias("_a"))
    sto = stock.select(CLE, pl.col("code_ml").alias("_ml_s"), pl.lit(True).alias("_s"))
    divergents = divergences.lazy().select(CLE).unique().with_columns(pl.lit(True).alias("_d"))
    union = (
        exp.join(sto, on=CLE, how="full", coalesce=True)
        .join(divergents, on=CLE, how="left")
        .with_columns(
            pl.col("_a", "_s", "_d").fill_null(False),
            pl.coalesce("_ml_a", "_ml_s").alias("code_ml"),
        )
        .join(regions.select("code_ml", "code_region"), on="code_ml", how="left")
    )
    comptes = [
        pl.col("_a").sum().cast(pl.Int64).alias("attendus"),
        pl.col("_s").sum().cast(pl.Int64).alias("en_stock"),
        (pl.col("_a") & pl.col("_s") & ~pl.col("_d")).sum().cast(pl.Int64).alias("concordants"),
        pl.len().cast(pl.Int64).alias("_union"),
    ]
    national = union.select(pl.lit(None, dtype=pl.String).alias("code_region"), *comptes)
    # an episode of an ML unknown to REF_MISSIONS_LOCALES counts in the national row only
    par_region = (
        union.filter(pl.col("code_region").is_not_null())
        .group_by("code_region")
        .agg(comptes)
        .sort("code_region")
    )
    return (
        pl.concat([national, par_region], how="vertical_relaxed")
        .with_columns(
            pl.lit(systeme).alias("systeme"),
            pl.when(pl.col("_union") > 0)
            .then(pl.col("concordants") / pl.col("_union"))
            .otherwise(None)
            .alias("taux_concordance"),
        )
        .select([pl.col(c).cast(t) for c, t in CONCORDANCE.items()])
        .collect()
    )


# The ends GIDE knows of itself (R2: a GIDE_SORTIES sortie, an A3 decision, an E6 annulation).
FINS_PROPRES_GIDE = ("S4", "A3", "E6")


def _typer(frame: pl.LazyFrame, systeme: str) -> pl.LazyFrame:
    types = schemas.flux(STOCKS[systeme]).types_polars
    return frame.select([pl.col(c).cast(t) for c, t in types.items()]).sort(CLE)


def statut_au(statuts: pl.LazyFrame, s: dt.date) -> pl.LazyFrame:
    """(id_de, statut): each DE's status row with the latest `date_effet` ≤ S."""
    return (
        statuts.filter(pl.col("date_effet") <= s)
        .sort("date_effet")
        .group_by("id_de")
        .agg(pl.col("statut").last())
    )


def r2_attendu_gide(
    episodes: pl.LazyFrame,
    statuts_gide: pl.LazyFrame,
    envoye: Mapping[str, pl.LazyFrame],
    s: dt.date,
) -> pl.LazyFrame:
    """R2, GIDE_STOCK: every episode opened by E1 with date_affectation ≤ S, not ended by
    GIDE's own end dated ≤ S and without an S1/S2 sortie sent in GIDE_IN_SORTIES.

    `episodes` is `Etat.episodes` on S; `statuts_gide` the GIDE_STATUTS rows in force.
    """
    fini_par_gide = pl.col("origine_fin").is_in(FINS_PROPRES_GIDE) & (pl.col("date_fin") <= s)
    return _typer(
        episodes.filter((pl.col("date_affectation") <= s) & ~fini_par_gide.fill_null(False))
        .join(envoye["GIDE_IN_SORTIES"].select(CLE), on=CLE, how="anti")
        .select(CLE, "id_de", "code_ml", "date_affectation")
        .join(
            envoye["GIDE_IN_INITIALISATIONS"].select(CLE, "date_initialisation"),
            on=CLE,
            how="left",
        )
        .join(statut_au(statuts_gide, s), on="id_de", how="left")
        .with_columns(pl.col("statut").fill_null("INSCRIT")),
        "GIDE",
    )


def r2_attendu_p3(
    episodes: pl.LazyFrame,
    alertes: pl.LazyFrame,
    envoye: Mapping[str, pl.LazyFrame],
    s: dt.date,
) -> pl.LazyFrame:
    """R2, P3_STOCK: every episode whose P3_IN_AFFECTATIONS record was sent, with no
    P3_IN_SORTIES or P3_IN_ANNULATIONS record sent for it.

    `episodes` gives date_initialisation (E5, P3's own) and `alertes` (`Etat.alertes`) the
    alerts of each episode; alerte_en_cours is O when one dated ≤ S has no
    P3_IN_TRAITEMENTS_ALERTE record sent.
    """
    en_cours = (
        alertes.filter(pl.col(CLE).is_not_null() & (pl.col("date_alerte") <= s))
        .join(envoye["P3_IN_TRAITEMENTS_ALERTE"].select("id_alerte"), on="id_alerte", how="anti")
        .select(CLE)
        .unique()
        .with_columns(pl.lit("O").alias("alerte_en_cours"))
    )
    return _typer(
        envoye["P3_IN_AFFECTATIONS"]
        .select(CLE, "id_de", "code_ml", "date_affectation")
        .join(envoye["P3_IN_SORTIES"].select(CLE), on=CLE, how="anti")
        .join(envoye["P3_IN_ANNULATIONS"].select(CLE), on=CLE, how="anti")
        .join(episodes.select(CLE, "date_initialisation"), on=CLE, how="left")
        .join(statut_au(envoye["P3_IN_STATUTS"], s), on="id_de", how="left")
        .join(en_cours, on=CLE, how="left")
        .with_columns(
            pl.col("statut").fill_null("INSCRIT"), pl.col("alerte_en_cours").fill_null("N")
        ),
        "P3",
    )


def r2_attendu_dude(
    acceptations: pl.LazyFrame, envoye: Mapping[str, pl.LazyFrame], s: dt.date
) -> pl.LazyFrame:
    """R2, DUDE_STOCK: the episodes of the DUDE_IN_ETATS snapshot sent (the latest night
    ≤ S − délai that emitted one), with each episode's latest DUDE_ACCEPTATIONS row as of S
    (an ignored acceptation still counts: DUDE holds it)."""
    derniere = (
        acceptations.filter(pl.col("date_acceptation") <= s)
        .sort("date_acceptation")
        .group_by(CLE)
        .agg(pl.col("date_acceptation").last())
    )
    return _typer(
        envoye["DUDE_IN_ETATS"]
        .select(CLE, "id_de", "code_ml", "phase", "etat")
        .join(derniere, on=CLE, how="left"),
        "DUDE",
    )


def _jj_mm_aaaa(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%d/%m/%Y")


def r3_causes_en_trop(
    systeme: str,
    episodes: pl.LazyFrame,
    refusees: pl.LazyFrame,
    envoye: Mapping[str, pl.LazyFrame],
) -> pl.LazyFrame:
    """R3, the cause of an extra episode as Passerelle knows it (id_affectation, cause):
    refused by E2; ended on a date by a sortie or an annulation and, when its end was sent
    to the system, the night that sent it; open but not (yet) expected in this stock.
    Keys unknown to Passerelle have no row (`r3_divergences` says "inconnu de Passerelle").

    `episodes` and `refusees` are `Etat.episodes` and `Etat.affectations_refusees` on S;
    `envoye` has, for the system's end flows, their keys and the `nuit` that sent them.
    """
    fins = [
        envoye[f].select(CLE, pl.col("nuit").alias("_nuit_envoi")) for f in FINS_ENVOYEES[systeme]
    ]
    envois_de_fin = (
        pl.concat(fins).group_by(CLE).agg(pl.col("_nuit_envoi").max())
        if fins
        else pl.LazyFrame(schema={CLE: pl.String, "_nuit_envoi": pl.Date})
    )
    fin = (
        pl.when(pl.col("origine_fin") == "E6")
        .then(pl.concat_str(pl.lit("annulé le "), _jj_mm_aaaa("date_fin")))
        .otherwise(
            pl.concat_str(
                pl.lit("sorti le "),
                _jj_mm_aaaa("date_fin"),
                pl.lit(" ("),
                "origine_fin",
                pl.lit(")"),
            )
        )
    )
    envoi = pl.concat_str(pl.lit(", fin envoyée la nuit du "), _jj_mm_aaaa("_nuit_envoi"))
    connus = episodes.join(envois_de_fin, on=CLE, how="left").select(
        CLE,
        pl.when(pl.col("date_fin").is_not_null())
        .then(pl.concat_str(fin, envoi.fill_null("")))
        .otherwise(
            pl.concat_str(
                pl.lit("ouvert dans Passerelle (affectation du "),
                _jj_mm_aaaa("date_affectation"),
                pl.lit("), pas encore chargé par ce système"),
            )
        )
        .alias("cause"),
    )
    refus = refusees.select(
        CLE, pl.lit("affectation refusée par la règle E2 (épisode déjà ouvert)").alias("cause")
    )
    return pl.concat([connus, refus.join(connus.select(CLE), on=CLE, how="anti")])


def r2_en_transit(
    systeme: str,
    en_transit: Mapping[str, pl.LazyFrame],
    episodes: pl.LazyFrame,
    alertes: pl.LazyFrame,
) -> pl.LazyFrame:
    """R2, the episodes (id_affectation) whose records for the system are in transit: sent
    by a night after S − délai and before S (night S sends after the stock's extraction),
    so that the system may or may not have loaded them yet: the comparison leaves such an
    episode out (`r2_hors_transit`).

    `en_transit` has the keys those nights sent in the system's flows (for DUDE_IN_ETATS,
    the snapshot rows that differ from the expected ones); P3_IN_STATUTS records reach the
    episodes of their id_de, P3_IN_TRAITEMENTS_ALERTE records those of their alert.
    """
    parts = [pl.LazyFrame(schema={CLE: pl.String})]
    for nom in FLUX_DU_SYSTEME[systeme]:
        cles = en_transit.get(nom)
        if cles is None:
            continue
        if nom == "P3_IN_STATUTS":
            parts.append(episodes.join(cles.select("id_de"), on="id_de", how="semi").select(CLE))
        elif nom == "P3_IN_TRAITEMENTS_ALERTE":
            parts.append(
                alertes.filter(pl.col(CLE).is_not_null())
                .join(cles.select("id_alerte"), on="id_alerte", how="semi")
                .select(CLE)
            )
        else:
            parts.append(cles.select(CLE))
    return pl.concat(parts).unique()


def r3_sans_orphelines(divergences: pl.DataFrame, acceptations: pl.LazyFrame) -> pl.DataFrame:
    """R3: no STOCK_EPISODE_EN_TROP for a key that raises ACCEPTATION_ORPHELINE on S (that
    acceptation is already reported). `acceptations` is `Etat.acceptations` on S.

    Reading: "the same night" is the night of the comparison (S), so that a stock's
    divergences stay the same on every night that lists them (R1).
    """
    orphelines = (
        acceptations.filter(pl.col("statut_acceptation") == "ORPHELINE").select(CLE).collect()
    )
    doublon = (pl.col("code") == EN_TROP) & pl.col(CLE).is_in(orphelines.to_series().implode())
    return divergences.filter(~doublon)


def r2_hors_transit(frame: pl.LazyFrame, en_transit: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of an expected view or of a stock whose episode is not in transit: the
    comparison leaves those episodes out (R2: records in transit are never a divergence)."""
    return frame.join(en_transit.select(CLE), on=CLE, how="anti")


# Fields of P3_STOCK that come from P3_IN_AFFECTATIONS (R5: that record is re-sent).
CHAMPS_AFFECTATION_P3 = ("id_de", "code_ml", "date_affectation")

A_RENVOYER = {"flux": pl.String, "cle": pl.String, CLE: pl.String, "code": pl.String}


def _champ_parmi(champs: tuple[str, ...]) -> pl.Expr:
    return (
        pl.col("champ")
        .fill_null("")
        .str.split(", ")
        .list.eval(pl.element().is_in(list(champs)))
        .list.any()
    )


def _par_episode(
    divergences: pl.LazyFrame, condition: pl.Expr, envoye: pl.LazyFrame, flux: str
) -> pl.LazyFrame:
    """The `flux` records sent for the episodes of the divergences that meet `condition`."""
    return (
        divergences.filter(condition)
        .select(CLE, "code")
        .join(envoye.select("cle", CLE), on=CLE)
        .select(pl.lit(flux).alias("flux"), "cle", CLE, "code")
    )


def r5_a_renvoyer(
    systeme: str,
    divergences: pl.DataFrame,
    alertes: pl.LazyFrame,
    envoye: Mapping[str, pl.LazyFrame],
    s: dt.date,
) -> pl.DataFrame:
    """R5: which records sent carry the content the stock of P3 or GIDE shows lacking
    (flux, cle, id_affectation, code), one row per record and divergence:

    - P3: a missing episode, or a difference on its id_de, code_ml or date_affectation: its
      P3_IN_AFFECTATIONS record; statut: the P3_IN_STATUTS record expected (latest
      date_effet ≤ S); alerte_en_cours O instead of N: the P3_IN_TRAITEMENTS_ALERTE records
      of the episode's alerts; an episode P3 keeps open: its P3_IN_SORTIES or
      P3_IN_ANNULATIONS record;
    - GIDE: date_initialisation: GIDE_IN_INITIALISATIONS; an episode GIDE keeps open after
      its S1/S2 sortie was sent: GIDE_IN_SORTIES.

    Nothing for DUDE (its snapshot is complete every night) nor for a system's own data.
    """
    d = divergences.lazy()
    code = pl.col("code")
    parts = [pl.LazyFrame(schema=A_RENVOYER)]
    if systeme == "P3":
        affectation = (code == MANQUANT) | (
            (code == ECART_DONNEES) & _champ_parmi(CHAMPS_AFFECTATION_P3)
        )
        parts.append(
            _par_episode(d, affectation, envoye["P3_IN_AFFECTATIONS"], "P3_IN_AFFECTATIONS")
        )
        statut_attendu = (
            envoye["P3_IN_STATUTS"]
            .filter(pl.col("date_effet") <= s)
            .sort("date_effet")
            .group_by("id_de")
            .agg(pl.col("cle").last())
        )
        parts.append(
            d.filter(code == CODE_DU_CHAMP["statut"])
            .select(CLE, "id_de", "code")
            .join(statut_attendu, on="id_de")
            .select(pl.lit("P3_IN_STATUTS").alias("flux"), "cle", CLE, "code")
        )
        traitements = (
            alertes.filter(pl.col(CLE).is_not_null())
            .select(CLE, "id_alerte")
            .join(envoye["P3_IN_TRAITEMENTS_ALERTE"].select("cle", "id_alerte"), on="id_alerte")
        )
        parts.append(
            _par_episode(
                d,
                (code == CODE_DU_CHAMP["alerte_en_cours"]) & (pl.col("stock") == "O"),
                traitements,
                "P3_IN_TRAITEMENTS_ALERTE",
            )
        )
        for fin in FINS_ENVOYEES["P3"]:
            parts.append(_par_episode(d, code == EN_TROP, envoye[fin], fin))
    elif systeme == "GIDE":
        initialisation = (code == ECART_DONNEES) & _champ_parmi(("date_initialisation",))
        parts.append(
            _par_episode(
                d, initialisation, envoye["GIDE_IN_INITIALISATIONS"], "GIDE_IN_INITIALISATIONS"
            )
        )
        parts.append(_par_episode(d, code == EN_TROP, envoye["GIDE_IN_SORTIES"], "GIDE_IN_SORTIES"))
    return (
        pl.concat([p.select([pl.col(c).cast(t) for c, t in A_RENVOYER.items()]) for p in parts])
        .unique()
        .sort("flux", "cle", "code")
        .collect()
    )


RENVOIS = {
    **A_RENVOYER,
    "empreinte": pl.String,  # the content sent (and re-sent)
    "renvoi": pl.Date,  # the night that re-sent that content (null: not re-sent)
    "a_envoyer": pl.Boolean,  # re-sent by the run of this night
}


def r5_renvois(
    a_renvoyer: pl.DataFrame,
    envoyes: pl.DataFrame,
    actuels: pl.DataFrame,
    anterieurs: pl.DataFrame,
    s: dt.date,
    d: dt.date,
) -> pl.DataFrame:
    """R5, at most once per content: for each record of `a_renvoyer` (`r5_a_renvoyer` on the
    stock dated S, compared on night D), the content sent (`envoyes`: flux, cle, empreinte,
    the latest a night ≤ S − délai sent) and the night that re-sent it:

    - a night before D already re-sent that content (`anterieurs`: flux, cle, empreinte,
      nuit): that night, and nothing again (before S: "renvoyé sans effet");
    - else, on the night of the stock (D = S), when tonight's record (`actuels`: flux, cle,
      empreinte) still has that content: S, and `a_envoyer` (the upsert rule sends a
      changed content anyway, a record gone is not re-sent).
    """
    deja = anterieurs.group_by("flux", "cle", "empreinte").agg(pl.col("nuit").max())
    return (
        a_renvoyer.join(envoyes.select("flux", "cle", "empreinte"), on=["flux", "cle"])
        .join(deja, on=["flux", "cle", "empreinte"], how="left")
        .join(
            actuels.select("flux", "cle", pl.col("empreinte").alias("_actuelle")),
            on=["flux", "cle"],
            how="left",
        )
        .with_columns(
            (
                pl.col("nuit").is_null()
                & pl.lit(s == d)
                & (pl.col("_actuelle") == pl.col("empreinte")).fill_null(False)
            ).alias("a_envoyer")
        )
        .with_columns(
            pl.when(pl.col("a_envoyer")).then(pl.lit(s)).otherwise(pl.col("nuit")).alias("renvoi")
        )
        .select([pl.col(c).cast(t) for c, t in RENVOIS.items()])
        .sort("flux", "cle", "code")
    )
