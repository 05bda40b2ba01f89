"""The indicators of night D (RULES.md, Indicators; annexe 10 and §5.1), as pure polars.

One long frame, one row per (niveau, code, indicateur, modalite, annee, trimestre):

- DE0, per quarter and for the year (trimestre empty): affectations that opened an episode,
  by date_affectation;
- DE0_CUMUL, per quarter: the year's running total of DE0 at the end of the quarter;
- ENTREES_OBJECTIF, per quarter and for the year: episodes counted toward the objective (E7,
  comptabilise_objectif = O), by date_initialisation;
- OBJECTIF, per year: the objective (see `objectif_par_niveau`);
- TAUX_REALISATION, per year: ENTREES_OBJECTIF of the year / OBJECTIF (absent without a
  positive objective);
- STOCK, modalite "phase/état": episodes per phase and état on D;
- SORTIES, modalite = motif, per quarter and for the year: sorties (phase SORTIE) by date_fin;
- ANNULATIONS, per quarter and for the year: annulations (phase ANNULEE) by date_fin;
- ANOMALIES, modalite = code: the anomalies of night D's report.

Levels: ML (code = code_ml), REGION (code = code_region; an episode whose ML is not in
REF_MISSIONS_LOCALES counts in no region) and NATIONAL (code = "FR"). Quarters run from the
first year with an episode or an objective to D's quarter; DE0, DE0_CUMUL and ENTREES_OBJECTIF
are listed with zeros for every ML of the referential, every region of 2010 and the nation;
the other indicators only where they are not zero. Values of STOCK and ANOMALIES are counts on
D: their annee and trimestre are D's.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import polars as pl

from rules.etat import Etat
from rules.referentiel_regions import NOMS_REGIONS, objectifs_annexe4, regions

NATIONAL, REGION, ML = "NATIONAL", "REGION", "ML"
CODE_NATIONAL = "FR"
LIBELLE_NATIONAL = "France entière"
NIVEAUX = (NATIONAL, REGION, ML)
INDICATEURS = (
    "DE0",
    "DE0_CUMUL",
    "ENTREES_OBJECTIF",
    "OBJECTIF",
    "TAUX_REALISATION",
    "STOCK",
    "SORTIES",
    "ANNULATIONS",
    "ANOMALIES",
)

SCHEMA: dict[str, type[pl.DataType]] = {
    "niveau": pl.String,
    "code": pl.String,
    "libelle": pl.String,
    "code_region": pl.String,
    "indicateur": pl.String,
    "modalite": pl.String,
    "annee": pl.Int32,
    "trimestre": pl.Int8,
    "valeur": pl.Float64,
}

SCHEMA_MISSIONS_LOCALES: dict[str, type[pl.DataType]] = {
    "code_ml": pl.String,
    "nom_ml": pl.String,
    "code_region": pl.String,
}
SCHEMA_OBJECTIFS: dict[str, type[pl.DataType]] = {
    "niveau": pl.String,
    "code": pl.String,
    "annee": pl.Int64,
    "objectif": pl.Int64,
}

SOURCE_REF = "REF_OBJECTIFS"
SOURCE_ANNEXE4 = "ANNEXE_4"


@dataclass(frozen=True)
class Referentiels:
    """The reference lists in force on D (`rules.historique.au(historique, d)`)."""

    missions_locales: pl.DataFrame
    """REF_MISSIONS_LOCALES: code_ml, nom_ml, code_region."""
    objectifs: pl.DataFrame
    """REF_OBJECTIFS: niveau (REGION or ML), code, annee, objectif."""

    @staticmethod
    def vides() -> Referentiels:
        return Referentiels(
            pl.DataFrame(schema=SCHEMA_MISSIONS_LOCALES), pl.DataFrame(schema=SCHEMA_OBJECTIFS)
        )

    def verifies(self) -> Referentiels:
        def garde(frame: pl.DataFrame, schema: dict, nom: str) -> pl.DataFrame:
            manque = [c for c in schema if c not in frame.columns]
            if manque:
                raise ValueError(f"{nom} : colonnes absentes {', '.join(manque)}")
            return frame.select([pl.col(c).cast(t) for c, t in schema.items()])

        return Referentiels(
            garde(self.missions_locales, SCHEMA_MISSIONS_LOCALES, "missions_locales"),
            garde(self.objectifs, SCHEMA_OBJECTIFS, "objectifs"),
        )


def trimestre(expr: pl.Expr) -> pl.Expr:
    return ((expr.dt.month() - 1) // 3 + 1).cast(pl.Int8)


def objectifs_retenus(objectifs_ref: pl.DataFrame) -> pl.DataFrame:
    """niveau, code, annee, objectif, source: the objective of each ML, region and year.

    REF_OBJECTIFS carries both levels and wins where it has a row (it is the list in force);
    annexe 4 gives the regional objectives of 2009 and 2010 that REF_OBJECTIFS lacks.
    """
    ref = objectifs_ref.select(
        "niveau",
        "code",
        pl.col("annee").cast(pl.Int64),
        pl.col("objectif").cast(pl.Int64),
        pl.lit(SOURCE_REF).alias("source"),
    )
    annexe = objectifs_annexe4().with_columns(pl.lit(SOURCE_ANNEXE4).alias("source"))
    return pl.concat([ref, annexe.join(ref, on=["niveau", "code", "annee"], how="anti")]).sort(
        "niveau", "code", "annee"
    )


def objectif_par_niveau(objectifs_ref: pl.DataFrame) -> pl.DataFrame:
    """niveau (NATIONAL, REGION, ML), code, annee, objectif, source.

    The national objective of a year is the sum of its regional objectives (annexe 4 gives
    150 000 for 2010 and 129 999 for 2009, reported as given).
    """
    retenus = objectifs_retenus(objectifs_ref)
    regional = retenus.filter(pl.col("niveau") == "REGION").with_columns(
        pl.lit(REGION).alias("niveau")
    )
    national = (
        regional.group_by("annee")
        .agg(
            pl.col("objectif").sum(),
            pl.col("source").unique().sort().str.join("+").alias("source"),
        )
        .select(
            pl.lit(NATIONAL).alias("niveau"),
            pl.lit(CODE_NATIONAL).alias("code"),
            "annee",
            "objectif",
            "source",
        )
    )
    ml = retenus.filter(pl.col("niveau") == "ML").with_columns(pl.lit(ML).alias("niveau"))
    return pl.concat([national, regional, ml]).sort("niveau", "code", "annee")


def entites(etat: Etat, referentiels: Referentiels) -> pl.DataFrame:
    """niveau, code, libelle, code_region: the nation, the 26 regions, every ML known."""
    ml_ref = referentiels.missions_locales.select(
        "code_ml", pl.col("nom_ml").alias("libelle"), "code_region"
    )
    ml_vues = (
        etat.episodes.select("code_ml", "code_region")
        .unique()
        .join(ml_ref, on="code_ml", how="anti")
        .group_by("code_ml")
        .agg(pl.col("code_region").drop_nulls().first())
        .with_columns(pl.lit(None, dtype=pl.String).alias("libelle"))
    )
    mls = pl.concat([ml_ref, ml_vues.select("code_ml", "libelle", "code_region")]).select(
        pl.lit(ML).alias("niveau"), pl.col("code_ml").alias("code"), "libelle", "code_region"
    )
    reg = regions().select(
        pl.lit(REGION).alias("niveau"),
        pl.col("code_region").alias("code"),
        pl.col("nom_region").alias("libelle"),
        "code_region",
    )
    nat = pl.DataFrame(
        {
            "niveau": [NATIONAL],
            "code": [CODE_NATIONAL],
            "libelle": [LIBELLE_NATIONAL],
            "code_region": [None],
        },
        schema={
            "niveau": pl.String,
            "code": pl.String,
            "libelle": pl.String,
            "code_region": pl.String,
        },
    )
    return pl.concat([nat, reg, mls]).unique(["niveau", "code"], keep="first", maintain_order=True)


def aux_trois_niveaux(frame: pl.DataFrame) -> pl.DataFrame:
    """Each row three times: for its ML, its region (when known) and the nation.

    `frame` has code_ml and code_region (either may be null: a row without ML, such as a
    file anomaly, counts only nationally). Adds niveau and code.
    """
    return pl.concat(
        [
            frame.with_columns(
                pl.lit(NATIONAL).alias("niveau"), pl.lit(CODE_NATIONAL).alias("code")
            ),
            frame.filter(pl.col("code_region").is_not_null()).with_columns(
                pl.lit(REGION).alias("niveau"), pl.col("code_region").alias("code")
            ),
            frame.filter(pl.col("code_ml").is_not_null()).with_columns(
                pl.lit(ML).alias("niveau"), pl.col("code_ml").alias("code")
            ),
        ]
    )


def _annees(etat: Etat, objectifs: pl.DataFrame) -> list[int]:
    d = etat.jour
    premieres = [
        etat.episodes.get_column("date_affectation").min(),
        objectifs.filter(pl.col("annee") <= d.year).get_column("annee").min(),
    ]
    debut = min(
        [
            d.year,
            *[p.year if isinstance(p, dt.date) else int(p) for p in premieres if p is not None],
        ]
    )
    return list(range(debut, d.year + 1))


def periodes(annees: list[int], d: dt.date) -> pl.DataFrame:
    """annee, trimestre: every quarter of those years up to D's quarter."""
    t_d = (d.month - 1) // 3 + 1
    lignes = [(a, t) for a in annees for t in range(1, 5) if (a, t) <= (d.year, t_d)]
    return pl.DataFrame(lignes, schema={"annee": pl.Int32, "trimestre": pl.Int8}, orient="row")


def _comptes_trimestriels(
    faits: pl.DataFrame, date: str, indicateur: str, grille: pl.DataFrame
) -> pl.DataFrame:
    """Counts per (entity, quarter) over the grid (zeros included), plus the year's total."""
    comptes = (
        aux_trois_niveaux(faits)
        .with_columns(
            pl.col(date).dt.year().cast(pl.Int32).alias("annee"),
            trimestre(pl.col(date)).alias("trimestre"),
        )
        .group_by("niveau", "code", "annee", "trimestre")
        .agg(pl.len().cast(pl.Float64).alias("valeur"))
    )
    par_trimestre = grille.join(
        comptes, on=["niveau", "code", "annee", "trimestre"], how="left"
    ).with_columns(pl.col("valeur").fill_null(0.0), pl.lit(indicateur).alias("indicateur"))
    annuel = (
        par_trimestre.group_by("niveau", "code", "annee")
        .agg(pl.col("valeur").sum())
        .with_columns(
            pl.lit(None, dtype=pl.Int8).alias("trimestre"), pl.lit(indicateur).alias("indicateur")
        )
    )
    return pl.concat([par_trimestre, annuel], how="diagonal")


def _cumul(de0: pl.DataFrame) -> pl.DataFrame:
    return (
        de0.filter(pl.col("trimestre").is_not_null())
        .sort("niveau", "code", "annee", "trimestre")
        .with_columns(
            pl.col("valeur").cum_sum().over("niveau", "code", "annee"),
            pl.lit("DE0_CUMUL").alias("indicateur"),
        )
    )


def _comptes_libres(
    faits: pl.DataFrame, date: str, indicateur: str, modalite: str | None
) -> pl.DataFrame:
    """Non-zero counts per (entity, modalite, quarter), plus the year's totals."""
    mod = pl.col(modalite) if modalite else pl.lit(None, dtype=pl.String)
    base = aux_trois_niveaux(faits).with_columns(
        mod.alias("modalite"),
        pl.col(date).dt.year().cast(pl.Int32).alias("annee"),
        trimestre(pl.col(date)).alias("trimestre"),
    )
    cles = ["niveau", "code", "modalite", "annee"]
    par_trimestre = base.group_by(*cles, "trimestre").agg(pl.len().cast(pl.Float64).alias("valeur"))
    annuel = base.group_by(*cles).agg(pl.len().cast(pl.Float64).alias("valeur"))
    return pl.concat([par_trimestre, annuel], how="diagonal").with_columns(
        pl.lit(indicateur).alias("indicateur")
    )


def _au_jour(faits: pl.DataFrame, indicateur: str, modalite: pl.Expr, d: dt.date) -> pl.DataFrame:
    return (
        aux_trois_niveaux(faits)
        .with_columns(modalite.alias("modalite"))
        .group_by("niveau", "code", "modalite")
        .agg(pl.len().cast(pl.Float64).alias("valeur"))
        .with_columns(
            pl.lit(indicateur).alias("indicateur"),
            pl.lit(d.year, dtype=pl.Int32).alias("annee"),
            pl.lit((d.month - 1) // 3 + 1, dtype=pl.Int8).alias("trimestre"),
        )
    )


def indicateurs(etat: Etat, referentiels: Referentiels, anomalies: pl.DataFrame) -> pl.DataFrame:
    """Every indicator of night D (see the module docstring); `anomalies` is D's report."""
    d = etat.jour
    ref = referentiels.verifies()
    ep = etat.episodes
    ents = entites(etat, ref)
    objectifs = objectif_par_niveau(ref.objectifs).filter(pl.col("annee") <= d.year)
    grille = ents.select("niveau", "code").join(periodes(_annees(etat, objectifs), d), how="cross")

    de0 = _comptes_trimestriels(ep, "date_affectation", "DE0", grille)
    comptes = ep.filter(pl.col("comptabilise_objectif") == "O")
    entrees = _comptes_trimestriels(comptes, "date_initialisation", "ENTREES_OBJECTIF", grille)
    objectif = objectifs.select(
        "niveau",
        "code",
        pl.col("annee").cast(pl.Int32),
        pl.col("objectif").cast(pl.Float64).alias("valeur"),
        pl.lit("OBJECTIF").alias("indicateur"),
    )
    taux = (
        objectif.filter(pl.col("valeur") > 0)
        .join(
            entrees.filter(pl.col("trimestre").is_null()).select(
                "niveau", "code", "annee", pl.col("valeur").alias("_entrees")
            ),
            on=["niveau", "code", "annee"],
            how="left",
        )
        .select(
            "niveau",
            "code",
            "annee",
            (pl.col("_entrees").fill_null(0.0) / pl.col("valeur")).round(4).alias("valeur"),
            pl.lit("TAUX_REALISATION").alias("indicateur"),
        )
    )
    stock = _au_jour(ep, "STOCK", pl.concat_str("phase", "etat", separator="/"), d)
    sorties = _comptes_libres(
        ep.filter(pl.col("phase") == "SORTIE"), "date_fin", "SORTIES", "motif_fin"
    )
    annulations = _comptes_libres(
        ep.filter(pl.col("phase") == "ANNULEE"), "date_fin", "ANNULATIONS", None
    )
    nb_anomalies = _au_jour(
        anomalies.select("code_ml", "code_region", pl.col("code").alias("_code_anomalie")),
        "ANOMALIES",
        pl.col("_code_anomalie"),
        d,
    )
    tout = pl.concat(
        [de0, _cumul(de0), entrees, objectif, taux, stock, sorties, annulations, nb_anomalies],
        how="diagonal_relaxed",
    )
    return ordonner(
        tout.join(ents, on=["niveau", "code"], how="left").with_columns(
            pl.when(pl.col("niveau") == REGION)
            .then(pl.col("code").replace_strict(NOMS_REGIONS, default=pl.col("libelle")))
            .otherwise(pl.col("libelle"))
            .alias("libelle")
        )
    )


def ordonner(frame: pl.DataFrame) -> pl.DataFrame:
    """The schema's columns in a deterministic order (levels, codes, indicators, periods)."""
    rang_niveau = pl.col("niveau").replace_strict(
        {n: i for i, n in enumerate(NIVEAUX)}, return_dtype=pl.Int8
    )
    rang_ind = pl.col("indicateur").replace_strict(
        {n: i for i, n in enumerate(INDICATEURS)}, return_dtype=pl.Int8
    )
    return frame.select(
        [
            pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in SCHEMA.items()
        ]
    ).sort(
        [rang_niveau, "code", rang_ind, "annee", "trimestre", "modalite"],
        nulls_last=True,
        maintain_order=True,
    )


def tableau_objectifs(
    indicateurs_du_jour: pl.DataFrame, objectifs_ref: pl.DataFrame, d: dt.date
) -> pl.DataFrame:
    """One row per (niveau, code, annee) with an objective or counted entries, up to D's year:
    niveau, code, libelle, code_region, annee, objectif, source, de0, entrees, taux,
    attendu_au_jour (the objective pro rata of the days elapsed, for D's year), ecart
    (entrees - attendu_au_jour)."""
    annuel = indicateurs_du_jour.filter(
        pl.col("trimestre").is_null()
        & pl.col("indicateur").is_in(["DE0", "ENTREES_OBJECTIF", "OBJECTIF", "TAUX_REALISATION"])
    )
    large = annuel.pivot(
        on="indicateur",
        index=["niveau", "code", "libelle", "code_region", "annee"],
        values="valeur",
        aggregate_function="first",
    )
    for col in ("DE0", "ENTREES_OBJECTIF", "OBJECTIF", "TAUX_REALISATION"):
        if col not in large.columns:
            large = large.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
    sources = objectif_par_niveau(objectifs_ref).select(
        "niveau", "code", pl.col("annee").cast(pl.Int32), "source"
    )
    jours_annee = 366 if calendar.isleap(d.year) else 365
    part = d.timetuple().tm_yday / jours_annee
    attendu = (
        pl.when(pl.col("annee") == d.year)
        .then((pl.col("objectif") * part).round(1))
        .otherwise(pl.col("objectif"))
    )
    return (
        large.filter(pl.col("OBJECTIF").is_not_null() | (pl.col("ENTREES_OBJECTIF") > 0))
        .join(sources, on=["niveau", "code", "annee"], how="left")
        .select(
            "niveau",
            "code",
            "libelle",
            "code_region",
            "annee",
            pl.col("OBJECTIF").cast(pl.Int64).alias("objectif"),
            "source",
            pl.col("DE0").fill_null(0).cast(pl.Int64).alias("de0"),
            pl.col("ENTREES_OBJECTIF").fill_null(0).cast(pl.Int64).alias("entrees"),
            pl.col("TAUX_REALISATION").alias("taux"),
        )
        .with_columns(attendu.alias("attendu_au_jour"))
        .with_columns((pl.col("entrees") - pl.col("attendu_au_jour")).round(1).alias("ecart"))
        .sort(
            pl.col("niveau").replace_strict(
                {n: i for i, n in enumerate(NIVEAUX)}, return_dtype=pl.Int8
            ),
            "code",
            "annee",
        )
    )
