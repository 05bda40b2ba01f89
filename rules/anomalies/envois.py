"""CORRECTION_APRES_ENVOI: a late row changes or undoes a sortie, annulation or initialisation
already sent (RULES.md, "What each outbound flow carries").

Two cases, for the flows of `FLUX_CORRIGEABLES` (all keyed by id_affectation):

- *changed*: the record exists on D with another content than the one an earlier night sent
  (the caller's `corrections`: `pipelines.emission.a_emettre` rows with `nouveau == False`);
  the new content goes out with the night's flows. Key: flux|id_affectation|new fingerprint.
- *undone*: an earlier night sent the key and the record no longer exists on D (a late
  radiation turns an initialised episode into an annulation, a late sortie of Pôle emploi
  comes before an automatic one...). Records already sent are never retracted, so the
  operators must tell the receiving system. The records that exist on D are read from the
  `Etat` (these four flows are derived from `Etat.episodes` alone). Key:
  flux|id_affectation|RETRAIT|fingerprint of what was sent.

**Reading taken:** `date_debut` is night D, the first night whose state differs from what was
sent (earlier nights sent the old content, so it held for them).
"""

from __future__ import annotations

import polars as pl

from rules.anomalies.entrees import FLUX_CORRIGEABLES, EntreesAnomalies, jour_lit
from rules.anomalies.lignes import cle, jj, lignes, systeme_du_flux, texte
from rules.etat import Etat

_LIBELLES = {
    "P3_IN_SORTIES": "La sortie",
    "GIDE_IN_SORTIES": "La sortie automatique",
    "P3_IN_ANNULATIONS": "L'annulation",
    "GIDE_IN_INITIALISATIONS": "L'initialisation",
}

_SYSTEMES = {"GIDE": "GIDE", "P3": "Parcours 3"}


def existants(etat: Etat) -> pl.DataFrame:
    """flux, cle: the keys each watched flow carries as of D (same rule as `rules.sortants`)."""
    ep = etat.episodes
    fini = pl.col("date_fin").is_not_null()
    par_flux = {
        "P3_IN_SORTIES": fini & (pl.col("origine_fin") != "E6"),
        "P3_IN_ANNULATIONS": pl.col("origine_fin") == "E6",
        "GIDE_IN_INITIALISATIONS": pl.col("date_initialisation").is_not_null(),
        "GIDE_IN_SORTIES": pl.col("origine_fin").is_in(["S1", "S2"]),
    }
    return pl.concat(
        [
            ep.filter(condition).select(
                pl.lit(flux).alias("flux"), pl.col("id_affectation").alias("cle")
            )
            for flux, condition in par_flux.items()
        ]
    )


def _contenu_actuel() -> pl.Expr:
    """What the record says on D, in words."""
    flux = pl.col("flux")
    return (
        pl.when(flux == "GIDE_IN_INITIALISATIONS")
        .then(texte("initialisation au ", jj("date_initialisation")))
        .when(flux == "P3_IN_ANNULATIONS")
        .then(texte("annulation au ", jj("date_fin")))
        .otherwise(texte("sortie au ", jj("date_fin"), ", motif ", pl.col("motif_fin")))
    )


def correction_apres_envoi(etat: Etat, entrees: EntreesAnomalies) -> pl.DataFrame:
    ep = etat.episodes.select(
        pl.col("id_affectation").alias("cle"),
        "id_de",
        "code_ml",
        "code_region",
        "phase",
        "etat",
        "date_initialisation",
        "date_fin",
        "motif_fin",
    )
    envoyes = entrees.deja_envoyes.filter(pl.col("flux").is_in(FLUX_CORRIGEABLES))
    avant = envoyes.select(
        "flux", "cle", pl.col("nuit").alias("_nuit"), pl.col("empreinte").alias("_envoyee")
    )
    modifies = (
        entrees.corrections.filter(pl.col("flux").is_in(FLUX_CORRIGEABLES))
        .join(avant, on=["flux", "cle"], how="left")
        .join(ep, on="cle", how="left")
        .with_columns(pl.lit(False).alias("_retrait"))
    )
    retires = (
        avant.join(existants(etat), on=["flux", "cle"], how="anti")
        .join(ep, on="cle", how="left")
        .with_columns(
            pl.lit(None, dtype=pl.String).alias("empreinte"), pl.lit(True).alias("_retrait")
        )
    )
    tous = pl.concat([modifies, retires], how="diagonal_relaxed").with_columns(
        systeme_du_flux().alias("_sys"),
        pl.col("flux").replace_strict(_LIBELLES, default=pl.col("flux")).alias("_libelle"),
    )
    sys_libelle = pl.col("_sys").replace_strict(_SYSTEMES, default=pl.col("_sys"))
    envoyee = texte(
        pl.col("_libelle"),
        " de l'épisode ",
        pl.col("cle"),
        " envoyée à ",
        sys_libelle,
        pl.when(pl.col("_nuit").is_not_null())
        .then(texte(" la nuit du ", jj("_nuit")))
        .otherwise(pl.lit("")),
    )
    etat_actuel = (
        pl.when(pl.col("phase").is_null())
        .then(pl.lit("l'épisode n'existe plus à ce jour"))
        .otherwise(
            texte("épisode maintenant en phase ", pl.col("phase"), ", état ", pl.col("etat"))
        )
    )
    message = (
        pl.when(pl.col("_retrait"))
        .then(
            texte(
                envoyee,
                " n'est plus valable après une ligne reçue en retard (",
                etat_actuel,
                ") ; un envoi n'est jamais retiré.",
            )
        )
        .otherwise(
            texte(
                envoyee,
                " a changé après une ligne reçue en retard : correction portée par ",
                pl.col("flux"),
                " (",
                _contenu_actuel(),
                ").",
            )
        )
    )
    action = (
        pl.when(pl.col("_retrait"))
        .then(
            texte(
                "Prévenir ",
                sys_libelle,
                " : ",
                pl.col("_libelle").str.to_lowercase(),
                " de l'épisode ",
                pl.col("cle"),
                " est à annuler ou corriger à la main.",
            )
        )
        .otherwise(
            texte(
                "Vérifier que ",
                sys_libelle,
                " prend en compte la correction de l'épisode ",
                pl.col("cle"),
                ".",
            )
        )
    )
    return lignes(
        tous,
        "CORRECTION_APRES_ENVOI",
        id_affectation=pl.col("cle"),
        date_debut=jour_lit(etat.jour),
        systemes=pl.col("_sys"),
        message=message,
        action=action,
        cle=pl.when(pl.col("_retrait"))
        .then(cle("flux", "cle", pl.lit("RETRAIT"), "_envoyee"))
        .otherwise(cle("flux", "cle", "empreinte")),
    )
