"""File anomalies: FLUX_MANQUANT, FICHIER_REJETE (STOCK_REJETE for a stock file),
LIGNES_EN_QUARANTAINE, DOUBLON_CONFLICTUEL.

Events that fill `fichier` (the file name; for a missing flow, the expected name) and name
the sending system. A file event belongs to the night of the file: its `date_debut` is the
file's date (a late file of an earlier night, landed by the run of D, is reported by D, the
first run that sees it, with its own night as date_debut). Each version of a file (name and
checksum) is its own event: a corrected re-delivery that is rejected again is reported again.

**Reading taken:** LIGNES_EN_QUARANTAINE and DOUBLON_CONFLICTUEL concern applied files; a
file rejected whole (FICHIER_REJETE) carries its quarantine counts in its own message.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

import schemas
from rules.anomalies.entrees import EntreesAnomalies, jour_lit
from rules.anomalies.lignes import cle, jj, lignes, systeme_du_flux, texte

_MOTIFS_REJET = {
    "ENTETE": "en-tête non conforme au contrat",
    "ENCODAGE": "encodage invalide",
    "CHECKSUM": "somme de contrôle différente du .ok",
    "NB_LIGNES": "nombre de lignes différent du .ok",
    "OK_ILLISIBLE": "fichier .ok illisible",
    "FORMAT": "format illisible",
    "SEUIL": "trop de lignes en quarantaine",
}

_STOCKS = [f.nom for f in schemas.ENTRANTS if f.stock]

_RAISONS_MANQUE = {
    "ABSENT": "aucun fichier reçu",
    "SANS_OK": "fichier déposé sans son .ok (transfert inachevé)",
    "NON_VALIDE": "fichier reçu mais pas encore validé",
}

_SYSTEMES_LIBELLES = {
    "GIDE": "Pôle emploi (GIDE)",
    "DUDE": "DUDE",
    "P3": "Parcours 3",
    "REF": "l'équipe des référentiels",
}


def _libelle_systeme(systeme: pl.Expr) -> pl.Expr:
    return systeme.replace_strict(_SYSTEMES_LIBELLES, default=systeme, return_dtype=pl.String)


def flux_manquant(entrees: EntreesAnomalies, d: dt.date) -> pl.DataFrame:
    """FLUX_MANQUANT: a mandatory inbound flow of night D is missing (E, file)."""
    m = entrees.manquants.with_columns(systeme_du_flux().alias("_sys"))
    raison = pl.col("raison").replace_strict(
        _RAISONS_MANQUE, default=pl.col("raison"), return_dtype=pl.String
    )
    return lignes(
        m,
        "FLUX_MANQUANT",
        fichier=pl.col("nom_attendu"),
        date_debut=jour_lit(d),
        systemes=pl.col("_sys"),
        message=texte(
            "Flux ", pl.col("flux"), " de la nuit du ", jj(jour_lit(d)), " manquant : ", raison, "."
        ),
        action=texte(
            "Obtenir de ",
            _libelle_systeme(pl.col("_sys")),
            " le fichier ",
            pl.col("nom_attendu"),
            " et son .ok, puis relancer la nuit : rien n'est émis tant qu'il manque.",
        ),
        cle=cle("nom_attendu"),
    )


def _motifs_par_fichier(entrees: EntreesAnomalies) -> pl.DataFrame:
    """fichier_id, motifs: "champ (règle) : n lignes, ..." most frequent first."""
    return (
        entrees.motifs_quarantaine.sort(
            ["fichier_id", "lignes", "champ", "regle"], descending=[False, True, False, False]
        )
        .with_columns(
            texte(pl.col("champ"), " (", pl.col("regle"), ") : ", pl.col("lignes")).alias("_m")
        )
        .group_by("fichier_id", maintain_order=True)
        .agg(pl.col("_m").str.join(", ").alias("motifs"))
    )


def _avec_motifs(fichiers: pl.DataFrame, entrees: EntreesAnomalies) -> pl.DataFrame:
    return fichiers.join(
        _motifs_par_fichier(entrees), left_on="id", right_on="fichier_id", how="left"
    ).with_columns(systeme_du_flux().alias("_sys"))


def fichier_rejete(entrees: EntreesAnomalies) -> pl.DataFrame:
    """FICHIER_REJETE: a file version rejected whole (E, file)."""
    f = entrees.fichiers
    appliquee_depuis = (
        f.filter(pl.col("statut") == "APPLIQUE")
        .group_by("nom")
        .agg(pl.col("id").max().alias("_id_applique"))
    )
    rejets = (
        _avec_motifs(f.filter(pl.col("statut") == "REJETE"), entrees)
        .with_columns(pl.col("flux").is_in(_STOCKS).alias("_stock"))
        .join(appliquee_depuis, on="nom", how="left")
        .with_columns(
            (pl.col("_id_applique").is_not_null() & (pl.col("_id_applique") > pl.col("id"))).alias(
                "_remplace"
            )
        )
    )
    motif = pl.col("motif_rejet").replace_strict(
        _MOTIFS_REJET, default=pl.col("motif_rejet"), return_dtype=pl.String
    )
    quarantaine = (
        pl.when(pl.col("motifs").is_not_null())
        .then(texte(" Lignes en quarantaine : ", pl.col("motifs"), "."))
        .otherwise(pl.lit(""))
    )
    remplace = pl.when(pl.col("_remplace")).then(
        pl.lit(" Une version corrigée reçue depuis a été appliquée.")
    )
    message = texte(
        "Fichier ",
        pl.col("nom"),
        " rejeté en entier : ",
        pl.coalesce(pl.col("message_rejet"), motif),
        " (",
        pl.col("motif_rejet"),
        ").",
        quarantaine,
        remplace.otherwise(pl.lit("")),
    )
    action = (
        pl.when(pl.col("_remplace"))
        .then(pl.lit("Aucune : la version corrigée de ce fichier a été appliquée."))
        .otherwise(
            texte(
                "Demander à ",
                _libelle_systeme(pl.col("_sys")),
                " un nouvel envoi corrigé de ",
                pl.col("nom"),
                " (le fichier rejeté est conservé à part), puis relancer la nuit.",
            )
        )
    )
    stock = pl.lit(
        " Aucun rapprochement avec ce stock : le stock précédent de ce système reste celui"
        " comparé ; la nuit est émise."
    )
    commun = {
        "fichier": pl.col("nom"),
        "date_debut": pl.col("date_fichier"),
        "systemes": pl.col("_sys"),
        "action": action,
        "cle": cle("nom", "sha256"),
    }
    return pl.concat(
        [
            lignes(rejets.filter(~pl.col("_stock")), "FICHIER_REJETE", message=message, **commun),
            lignes(
                rejets.filter(pl.col("_stock")),
                "STOCK_REJETE",
                message=texte(message, stock),
                **commun,
            ),
        ]
    )


def lignes_en_quarantaine(entrees: EntreesAnomalies) -> pl.DataFrame:
    """LIGNES_EN_QUARANTAINE: rows of an applied file quarantined, one row per file (E, file)."""
    f = _avec_motifs(
        entrees.fichiers.filter(
            (pl.col("statut") == "APPLIQUE") & (pl.col("quarantaine").fill_null(0) > 0)
        ),
        entrees,
    )
    detail = (
        pl.when(pl.col("motifs").is_not_null())
        .then(texte(" (", pl.col("motifs"), ")"))
        .otherwise(pl.lit(""))
    )
    return lignes(
        f,
        "LIGNES_EN_QUARANTAINE",
        fichier=pl.col("nom"),
        date_debut=pl.col("date_fichier"),
        systemes=pl.col("_sys"),
        message=texte(
            pl.col("quarantaine"),
            " ligne(s) sur ",
            pl.col("lignes_ok"),
            " de ",
            pl.col("nom"),
            " mises en quarantaine",
            detail,
            " ; ",
            pl.col("lignes_appliquees"),
            " appliquées, ",
            pl.col("doublons").fill_null(0),
            " doublon(s) identique(s).",
        ),
        action=texte(
            "Demander à ",
            _libelle_systeme(pl.col("_sys")),
            " de corriger ces lignes et de les renvoyer une nuit suivante ",
            "(le détail ligne, champ et règle est dans la quarantaine).",
        ),
        cle=cle("nom", "sha256"),
    )


def _cles_des_flux() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "flux": [f.nom for f in schemas.ENTRANTS],
            "_cle_flux": [", ".join(f.cle) for f in schemas.ENTRANTS],
        }
    )


def doublon_conflictuel(entrees: EntreesAnomalies) -> pl.DataFrame:
    """DOUBLON_CONFLICTUEL: the same key twice in an applied file with different values."""
    f = (
        entrees.fichiers.filter(
            (pl.col("statut") == "APPLIQUE") & (pl.col("conflits").fill_null(0) > 0)
        )
        .join(_cles_des_flux(), on="flux", how="left")
        .with_columns(systeme_du_flux().alias("_sys"))
    )
    return lignes(
        f,
        "DOUBLON_CONFLICTUEL",
        fichier=pl.col("nom"),
        date_debut=pl.col("date_fichier"),
        systemes=pl.col("_sys"),
        message=texte(
            pl.col("conflits"),
            " ligne(s) de ",
            pl.col("nom"),
            " partagent une même clé (",
            pl.col("_cle_flux"),
            ") avec des valeurs différentes : aucune n'a été appliquée.",
        ),
        action=texte(
            "Demander à ",
            _libelle_systeme(pl.col("_sys")),
            " quelle version est la bonne et de la renvoyer en correction.",
        ),
        cle=cle("nom", "sha256"),
    )


def anomalies_fichiers(entrees: EntreesAnomalies, d: dt.date) -> list[pl.DataFrame]:
    return [
        flux_manquant(entrees, d),
        fichier_rejete(entrees),
        lignes_en_quarantaine(entrees),
        doublon_conflictuel(entrees),
    ]
