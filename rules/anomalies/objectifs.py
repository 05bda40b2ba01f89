"""DEPASSEMENT_OBJECTIF: the counted entries of the year so far exceed the objective of an ML
or a region by more than the threshold (10 %).

Counted entries are those of `rules.indicateurs` (E7: comptabilise_objectif = O, by year of
date_initialisation, up to D); objectives are `rules.indicateurs.objectif_par_niveau`
(REF_OBJECTIFS, annexe 4 for the regions of 2009 and 2010). The condition began on the day of
the entry that first took the count over the threshold: with objective O and threshold s, the
k-th entry of the year, k = floor(O × (1 + s)) + 1, computed in integers (basis points) so
that exactly +10 % is not an excess. An ML row fills code_ml and code_region; a region row
only code_region.
"""

from __future__ import annotations

import polars as pl

from rules.anomalies.lignes import cle, lignes, texte
from rules.anomalies.seuils import Seuils
from rules.etat import Etat
from rules.indicateurs import ML, REGION, Referentiels, aux_trois_niveaux, objectif_par_niveau
from rules.referentiel_regions import NOMS_REGIONS


def _pourcentage(expr: pl.Expr) -> pl.Expr:
    """A share as a French percentage with one decimal ("112,5")."""
    return (expr * 100).round(1).cast(pl.String).str.replace(r"\.", ",")


def depassement_objectif(etat: Etat, referentiels: Referentiels, seuils: Seuils) -> pl.DataFrame:
    annee = etat.jour.year
    ref = referentiels.verifies()
    comptes = (
        etat.episodes.filter(
            (pl.col("comptabilise_objectif") == "O")
            & (pl.col("date_initialisation").dt.year() == annee)
        )
        .select("id_affectation", "code_ml", "code_region", "date_initialisation")
        .pipe(aux_trois_niveaux)
        .filter(pl.col("niveau").is_in([ML, REGION]))
        .sort("niveau", "code", "date_initialisation", "id_affectation")
        .with_columns(
            (pl.int_range(pl.len()).over("niveau", "code") + 1).alias("_rang"),
            pl.len().over("niveau", "code").alias("_entrees"),
        )
    )
    bp = round(seuils.depassement_objectif * 10_000)
    objectifs = (
        objectif_par_niveau(ref.objectifs)
        .filter((pl.col("annee") == annee) & pl.col("niveau").is_in([ML, REGION]))
        .with_columns(((pl.col("objectif") * (10_000 + bp)) // 10_000 + 1).alias("_k"))
    )
    regions_ml = ref.missions_locales.select("code_ml", pl.col("code_region").alias("_region_ml"))
    depasses = (
        comptes.join(objectifs, on=["niveau", "code"])
        .filter(pl.col("_rang") == pl.col("_k"))
        .join(regions_ml, left_on="code", right_on="code_ml", how="left")
        .with_columns(
            pl.when(pl.col("niveau") == ML).then(pl.col("code")).alias("_ml"),
            pl.when(pl.col("niveau") == ML)
            .then(pl.coalesce("_region_ml", "code_region"))
            .otherwise(pl.col("code"))
            .alias("_region"),
            pl.col("code").replace_strict(NOMS_REGIONS, default=None).alias("_nom_region"),
        )
    )
    qui = (
        pl.when(pl.col("niveau") == ML)
        .then(texte("Mission locale ", pl.col("code")))
        .otherwise(texte("Région ", pl.col("code"), " (", pl.col("_nom_region"), ")"))
    )
    seuil_txt = _pourcentage(pl.lit(seuils.depassement_objectif)).str.replace(",0$", "")
    action = (
        pl.when(pl.col("niveau") == ML)
        .then(
            texte(
                "Informer le comité de pilotage régional : revoir l'objectif de la mission locale ",
                pl.col("code"),
                " ou le rythme des affectations avec Pôle emploi.",
            )
        )
        .otherwise(
            pl.lit(
                "Comité de pilotage régional : revoir la répartition des objectifs avec la "
                "DGEFP et Pôle emploi."
            )
        )
    )
    return lignes(
        depasses,
        "DEPASSEMENT_OBJECTIF",
        id_affectation=pl.lit(None, dtype=pl.String),
        id_de=pl.lit(None, dtype=pl.String),
        code_ml=pl.col("_ml"),
        code_region=pl.col("_region"),
        date_debut=pl.col("date_initialisation"),
        message=texte(
            qui,
            " : ",
            pl.col("_entrees"),
            " entrée(s) comptabilisée(s) en ",
            pl.lit(str(annee)),
            " pour un objectif de ",
            pl.col("objectif"),
            " (",
            pl.when(pl.col("objectif") > 0)
            .then(texte(_pourcentage(pl.col("_entrees") / pl.col("objectif")), " %"))
            .otherwise(pl.lit("objectif nul")),
            "), au-delà de l'objectif + ",
            seuil_txt,
            " %.",
        ),
        action=action,
        cle=cle("niveau", "code", "annee"),
    )
