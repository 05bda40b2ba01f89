"""Time the state engine on synthetic national-scale data (not a test: run it by hand).

    POLARS_MAX_THREADS=2 python -m tests.rules.perf_synthetique [--echelle 1.0]

Scale 1.0 is about 750 000 affectations, 10 M status rows and 15 M interviews over five
years. The data are random (seeded): they exercise every join, not the business.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import polars as pl

from rules.etat import etat_au
from rules.historique import DATE_FICHIER, FICHIERS_SCHEMA, LIGNE, ORDRE, Historique, au
from rules.sortants import enregistrements

DEBUT = dt.date(2010, 1, 1)
JOURS = 5 * 365


def _ids(n: pl.Expr, prefixe: str, largeur: int, suffixe: str = "") -> pl.Expr:
    return pl.concat_str(pl.lit(prefixe), n.cast(pl.String).str.zfill(largeur), pl.lit(suffixe))


def _fichier(frame: pl.DataFrame) -> pl.LazyFrame:
    return frame.with_columns(
        pl.lit(DEBUT).alias(DATE_FICHIER), pl.lit(1).alias(ORDRE), pl.lit(1).alias(LIGNE)
    ).lazy()


def donnees(echelle: float = 1.0, graine: int = 20100101) -> dict[str, pl.LazyFrame]:
    rng = np.random.default_rng(graine)
    n_aff = int(750_000 * echelle)
    n_de = int(n_aff * 0.8)
    n_ml = 450
    regions = ["11", "82", "93", "31", "22", "23", "24", "25", "26", "41"]

    ml = pl.DataFrame({"i": np.arange(n_ml)}).select(
        _ids(pl.col("i") + 10000, "", 5).alias("code_ml"),
        pl.lit("Mission locale").alias("nom_ml"),
        pl.col("i")
        .map_elements(lambda i: regions[i % len(regions)], return_dtype=pl.String)
        .alias("code_region"),
    )
    zones = pl.DataFrame({"i": np.arange(n_ml * 80)}).select(
        _ids(pl.col("i") // 80 + 10000, "", 5).alias("code_ml"),
        _ids(pl.col("i") + 10000, "", 5).alias("code_commune"),
    )

    de_aff = np.concatenate([np.arange(n_de), rng.integers(0, n_de, n_aff - n_de)])
    aff = pl.DataFrame(
        {
            "i": np.arange(n_aff),
            "de": de_aff,
            "ml": rng.integers(0, n_ml, n_aff),
            "j": rng.integers(0, JOURS, n_aff),
        }
    ).select(
        _ids(pl.col("i"), "AF", 10).alias("id_affectation"),
        _ids(pl.col("de"), "", 7, "A").alias("id_de"),
        _ids(pl.col("ml") + 10000, "", 5).alias("code_ml"),
        pl.lit("75101").alias("code_site_pe"),
        pl.lit(DEBUT).dt.offset_by(pl.format("{}d", pl.col("j"))).alias("date_affectation"),
        pl.lit("ACC").alias("parcours"),
    )

    dem = pl.DataFrame(
        {"de": np.arange(n_de), "age": rng.integers(16 * 365, 26 * 365, n_de)}
    ).select(
        _ids(pl.col("de"), "", 7, "A").alias("id_de"),
        pl.lit("Nom").alias("nom"),
        pl.lit("Prénom").alias("prenom"),
        (pl.lit(dt.date(2012, 1, 1)) - pl.duration(days=pl.col("age"))).alias("date_naissance"),
        _ids(pl.col("de") % (n_ml * 80) + 10000, "", 5).alias("code_commune"),
        pl.lit(dt.date(2009, 1, 1)).alias("date_effet"),
    )

    n_st = int(10_000_000 * echelle)
    st = (
        pl.DataFrame(
            {
                "de": rng.integers(0, n_de, n_st),
                "j": rng.integers(0, JOURS, n_st),
                "s": rng.integers(0, 4, n_st),
            }
        )
        .select(
            _ids(pl.col("de"), "", 7, "A").alias("id_de"),
            pl.when(pl.col("s") < 2)
            .then(pl.lit("INSCRIT"))
            .when(pl.col("s") == 2)
            .then(pl.lit("CESSATION"))
            .otherwise(pl.lit("RADIE"))
            .alias("statut"),
            pl.lit(DEBUT).dt.offset_by(pl.format("{}d", pl.col("j"))).alias("date_effet"),
        )
        .unique(subset=["id_de", "date_effet"])
        .with_columns(
            pl.when(pl.col("statut") == "INSCRIT")
            .then(None)
            .otherwise(pl.lit("AUTRE"))
            .alias("motif"),
            pl.lit(None, dtype=pl.Int64).alias("duree_radiation_jours"),
        )
    )

    n_en = int(15_000_000 * echelle)
    src = rng.integers(0, n_aff, n_en)
    aff_np = aff.select("id_de", "code_ml", "date_affectation")
    ent = (
        aff_np[src]
        .with_columns(
            pl.Series("k", rng.integers(0, 400, n_en)), pl.Series("t", rng.integers(0, 3, n_en))
        )
        .select(
            _ids(pl.int_range(pl.len()), "EN", 10).alias("id_entretien"),
            "id_de",
            "code_ml",
            pl.col("date_affectation")
            .dt.offset_by(pl.format("{}d", pl.col("k")))
            .alias("date_entretien"),
            pl.when(pl.col("t") == 0)
            .then(pl.lit("INDIVIDUEL"))
            .when(pl.col("t") == 1)
            .then(pl.lit("COLLECTIF"))
            .otherwise(pl.lit("ATELIER"))
            .alias("type_entretien"),
        )
    )

    n_al = int(200_000 * echelle)
    src = rng.integers(0, n_aff, n_al)
    al = (
        aff_np[src]
        .with_columns(pl.Series("k", rng.integers(0, 300, n_al)))
        .select(
            _ids(pl.int_range(pl.len()), "AL", 10).alias("id_alerte"),
            "id_de",
            "code_ml",
            pl.col("date_affectation")
            .dt.offset_by(pl.format("{}d", pl.col("k")))
            .alias("date_alerte"),
            pl.lit("DIFFICULTE").alias("motif_alerte"),
        )
    )
    tr = (
        al.sample(fraction=0.8, seed=graine)
        .with_columns(pl.Series("k", rng.integers(0, 60, int(n_al * 0.8))))
        .select(
            "id_alerte",
            "id_de",
            pl.col("date_alerte")
            .dt.offset_by(pl.format("{}d", pl.col("k")))
            .alias("date_traitement"),
            pl.when(pl.col("k") < 40)
            .then(pl.lit("MAINTIEN"))
            .otherwise(pl.lit("SORTIE_REORIENTATION"))
            .alias("decision"),
        )
    )
    acc = aff.sample(fraction=0.9, seed=graine).select(
        "id_affectation",
        "id_de",
        "code_ml",
        pl.col("date_affectation").dt.offset_by("7d").alias("date_acceptation"),
        pl.lit("AG000001").alias("id_agent"),
    )
    so = aff.sample(fraction=0.3, seed=graine + 1).select(
        "id_affectation",
        "id_de",
        pl.col("date_affectation").dt.offset_by("200d").alias("date_sortie"),
        pl.lit("AUTRE").alias("motif_sortie"),
    )
    civ = dem.sample(fraction=0.3, seed=graine).select(
        "id_de",
        pl.lit("10001").alias("code_ml"),
        pl.lit(dt.date(2011, 1, 1)).alias("date_entree_civis"),
        pl.lit(dt.date(2012, 1, 1)).alias("date_sortie_civis"),
    )
    tables = {
        "GIDE_DEMANDEURS": dem,
        "GIDE_AFFECTATIONS": aff,
        "GIDE_STATUTS": st.select(
            "id_de", "statut", "date_effet", "motif", "duree_radiation_jours"
        ),
        "GIDE_TRAITEMENTS_ALERTE": tr,
        "GIDE_SORTIES": so,
        "DUDE_ACCEPTATIONS": acc,
        "P3_ENTRETIENS": ent,
        "P3_ALERTES": al,
        "P3_CIVIS": civ,
        "REF_MISSIONS_LOCALES": ml,
        "REF_ZONES_ML": zones,
        "REF_OBJECTIFS": pl.DataFrame(
            schema={"niveau": pl.String, "code": pl.String, "annee": pl.Int64, "objectif": pl.Int64}
        ),
    }
    return {nom: _fichier(t) for nom, t in tables.items()}


def historique(entrees: dict[str, pl.LazyFrame]) -> Historique:
    """The same rows as a history of one file per flow."""
    fichiers = pl.DataFrame(
        {"flux": list(entrees), DATE_FICHIER: [DEBUT] * len(entrees), ORDRE: [1] * len(entrees)},
        schema=FICHIERS_SCHEMA,
    )
    return Historique(tables=dict(entrees), fichiers=fichiers.lazy())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--echelle", type=float, default=1.0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    entrees = {k: v.collect().lazy() for k, v in donnees(args.echelle).items()}
    d = dt.date(2014, 12, 31)
    t1 = time.perf_counter()
    print(f"données: {t1 - t0:.1f} s")
    en_vigueur = {k: v.collect().lazy() for k, v in au(historique(entrees), d).items()}
    t2 = time.perf_counter()
    print(f"historique.au: {t2 - t1:.1f} s")
    etat = etat_au(en_vigueur, d)
    t3 = time.perf_counter()
    print(f"état: {t3 - t2:.1f} s, {etat.episodes.height} épisodes")
    sortants = enregistrements(etat, en_vigueur, d)
    t4 = time.perf_counter()
    print(f"sortants: {t4 - t3:.1f} s, {sum(f.height for f in sortants.values())} enregistrements")
    print(etat.episodes.group_by("phase", "etat").len().sort("phase", "etat"))


if __name__ == "__main__":
    main()
