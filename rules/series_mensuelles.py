"""Monthly series for the report's charts, derived from the state of night D alone.

**Choice (stock over the last months):** the state engine is not re-run for earlier dates.
The état of an episode on an earlier day m is derived from its own dates as known on D:
open on m when date_affectation ≤ m < date_fin; then ACCOMPAGNEMENT from date_initialisation,
ALERTE while one of its alerts is open on m (date_alerte ≤ m < date_traitement, from
`Etat.alertes`), else ACCEPTATION from date_acceptation, else AFFECTATION. ACTIF and
SUSPENSION are not told apart before D (that needs the status history), so the chart groups
them. It is a retrospective view with today's knowledge: a late row that moved a date is
reflected in the past months too, which is what an analyst wants to compare months fairly
(the report of each past night keeps what was known then).
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from rules.etat import Etat
from rules.indicateurs import CODE_NATIONAL, NATIONAL, REGION, objectif_par_niveau
from rules.referentiel_regions import regions

CATEGORIES_STOCK = ("AFFECTATION", "ACCEPTATION", "ACTIF_OU_SUSPENSION", "ALERTE")


def fins_de_mois(d: dt.date, nb_mois: int) -> list[dt.date]:
    """The last day of each of the nb_mois - 1 months before D's month, then D itself."""
    jours = [d]
    annee, mois = d.year, d.month
    for _ in range(nb_mois - 1):
        annee, mois = (annee, mois - 1) if mois > 1 else (annee - 1, 12)
        jours.append(dt.date(annee, mois, calendar.monthrange(annee, mois)[1]))
    return sorted(jours)


def stock_par_mois(etat: Etat, nb_mois: int = 12) -> pl.DataFrame:
    """jour, categorie, episodes: open episodes per état category at each month's end."""
    jours = fins_de_mois(etat.jour, nb_mois)
    alertes = etat.alertes.filter(pl.col("id_affectation").is_not_null())
    ouvertes = alertes.group_by("id_affectation").agg(
        [
            (
                (pl.col("date_alerte") <= m)
                & (pl.col("date_traitement").is_null() | (pl.col("date_traitement") > m))
            )
            .any()
            .alias(f"_alerte_{i}")
            for i, m in enumerate(jours)
        ]
    )
    ep = etat.episodes.join(ouvertes, on="id_affectation", how="left")
    exprs = []
    for i, m in enumerate(jours):
        ouvert = (pl.col("date_affectation") <= m) & (
            pl.col("date_fin").is_null() | (pl.col("date_fin") > m)
        )
        phase2 = ouvert & (pl.col("date_initialisation") <= m).fill_null(False)
        alerte = phase2 & pl.col(f"_alerte_{i}").fill_null(False)
        accepte = ouvert & ~phase2 & (pl.col("date_acceptation") <= m).fill_null(False)
        par_categorie = {
            "AFFECTATION": ouvert & ~phase2 & ~accepte,
            "ACCEPTATION": accepte,
            "ACTIF_OU_SUSPENSION": phase2 & ~alerte,
            "ALERTE": alerte,
        }
        exprs += [e.sum().alias(f"{i}|{c}") for c, e in par_categorie.items()]
    ligne = ep.select(exprs)  # sums over no row are 0: one row even for an empty state
    return (
        ligne.unpivot(variable_name="_cle", value_name="episodes")
        .with_columns(
            pl.col("_cle").str.split_exact("|", 1).struct.rename_fields(["_i", "categorie"])
        )
        .unnest("_cle")
        .with_columns(
            pl.col("_i")
            .cast(pl.Int64)
            .replace_strict(dict(enumerate(jours)), return_dtype=pl.Date)
            .alias("jour"),
            pl.col("episodes").cast(pl.Int64),
        )
        .select("jour", "categorie", "episodes")
        .sort(
            "jour",
            pl.col("categorie").replace_strict(
                {c: i for i, c in enumerate(CATEGORIES_STOCK)}, return_dtype=pl.Int8
            ),
        )
    )


def entrees_par_mois(etat: Etat, objectifs_ref: pl.DataFrame) -> pl.DataFrame:
    """niveau, code, mois, entrees, cumul, objectif, prorata: counted entries of D's year.

    For the nation and each region of 2010, months 1 to D's month: entries counted toward the
    objective (E7) by month of date_initialisation, the year's running total, the annual
    objective and its pro rata at the month's end (or at D for D's month).
    """
    d = etat.jour
    annee = d.year
    comptes = etat.episodes.filter(
        (pl.col("comptabilise_objectif") == "O")
        & (pl.col("date_initialisation").dt.year() == annee)
    ).select("code_region", pl.col("date_initialisation").dt.month().cast(pl.Int8).alias("mois"))
    par_region = (
        comptes.filter(pl.col("code_region").is_not_null())
        .group_by(pl.col("code_region").alias("code"), "mois")
        .len()
    )
    national = comptes.group_by("mois").len().with_columns(pl.lit(CODE_NATIONAL).alias("code"))
    faits = pl.concat(
        [
            par_region.with_columns(pl.lit(REGION).alias("niveau")),
            national.with_columns(pl.lit(NATIONAL).alias("niveau")),
        ],
        how="diagonal",
    )
    entites = pl.concat(
        [
            pl.DataFrame({"niveau": [NATIONAL], "code": [CODE_NATIONAL]}),
            regions().select(pl.lit(REGION).alias("niveau"), pl.col("code_region").alias("code")),
        ]
    )
    mois = pl.DataFrame({"mois": list(range(1, d.month + 1))}, schema={"mois": pl.Int8})
    jours_annee = 366 if calendar.isleap(annee) else 365
    fin_mois = {
        m: min(d, dt.date(annee, m, calendar.monthrange(annee, m)[1])).timetuple().tm_yday
        for m in range(1, d.month + 1)
    }
    objectifs = (
        objectif_par_niveau(objectifs_ref)
        .filter(pl.col("annee") == annee)
        .select("niveau", "code", "objectif")
    )
    return (
        entites.join(mois, how="cross")
        .join(faits.rename({"len": "entrees"}), on=["niveau", "code", "mois"], how="left")
        .with_columns(pl.col("entrees").fill_null(0).cast(pl.Int64))
        .sort("niveau", "code", "mois")
        .with_columns(pl.col("entrees").cum_sum().over("niveau", "code").alias("cumul"))
        .join(objectifs, on=["niveau", "code"], how="left")
        .with_columns(
            (
                pl.col("objectif")
                * pl.col("mois").replace_strict(fin_mois, return_dtype=pl.Int64)
                / jours_annee
            )
            .round(1)
            .alias("prorata")
        )
        .select("niveau", "code", "mois", "entrees", "cumul", "objectif", "prorata")
        .sort(
            pl.col("niveau").replace_strict({NATIONAL: 0, REGION: 1}, return_dtype=pl.Int8),
            "code",
            "mois",
        )
    )
