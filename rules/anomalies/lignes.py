"""Building anomaly rows: one select per code, French text made of columns (no row loop).

Messages and actions are built from identifiers, codes, counts and dates of events only:
never a name, a first name or a birth date (the report has more readers than the flows).
"""

from __future__ import annotations

import polars as pl

from rules.anomalies.catalogue import CATALOGUE, SCHEMA

Morceau = str | pl.Expr


def texte(*morceaux: Morceau) -> pl.Expr:
    """Literal strings and expressions concatenated; a missing value shows as "?"."""
    exprs = [
        pl.lit(m) if isinstance(m, str) else m.cast(pl.String).fill_null("?") for m in morceaux
    ]
    return pl.concat_str(exprs)


def jj(colonne: str | pl.Expr) -> pl.Expr:
    """A date as French readers write it (DD/MM/YYYY)."""
    expr = pl.col(colonne) if isinstance(colonne, str) else colonne
    return expr.dt.strftime("%d/%m/%Y")


def jours_entre(debut: str | pl.Expr, fin: pl.Expr) -> pl.Expr:
    expr = pl.col(debut) if isinstance(debut, str) else debut
    return (fin - expr).dt.total_days()


def cle(*colonnes: str | pl.Expr) -> pl.Expr:
    """Values joined with "|", dates as YYYY-MM-DD: the stable key of what a row concerns."""
    exprs = []
    for c in colonnes:
        e = pl.col(c) if isinstance(c, str) else c
        exprs.append(e.cast(pl.String).fill_null(""))
    return pl.concat_str(exprs, separator="|")


def systeme_du_flux(flux: str | pl.Expr = "flux") -> pl.Expr:
    """The sending or receiving system of a flow, from its name's prefix."""
    expr = pl.col(flux) if isinstance(flux, str) else flux
    return expr.str.extract(r"^(GIDE|DUDE|P3|REF)_", 1)


def _colonne(frame: pl.DataFrame, nom: str, valeur: pl.Expr | None) -> pl.Expr:
    if valeur is not None:
        return valeur.cast(SCHEMA[nom]).alias(nom)
    if nom in frame.columns:
        return pl.col(nom).cast(SCHEMA[nom]).alias(nom)
    return pl.lit(None, dtype=SCHEMA[nom]).alias(nom)


def lignes(
    frame: pl.DataFrame,
    code: str,
    *,
    message: pl.Expr,
    action: pl.Expr,
    cle: pl.Expr,
    date_debut: pl.Expr,
    id_affectation: pl.Expr | None = None,
    id_de: pl.Expr | None = None,
    code_ml: pl.Expr | None = None,
    code_region: pl.Expr | None = None,
    fichier: pl.Expr | None = None,
    systemes: pl.Expr | None = None,
) -> pl.DataFrame:
    """The rows of `code` for every row of `frame`, with the columns of `anomalies.csv` + cle.

    An identifier column not given is taken from the frame's column of the same name, or
    left empty; severity and default systems come from the catalogue.
    """
    c = CATALOGUE[code]
    return frame.select(
        pl.lit(code).alias("code"),
        pl.lit(c.severite).alias("severite"),
        _colonne(frame, "id_affectation", id_affectation),
        _colonne(frame, "id_de", id_de),
        _colonne(frame, "code_ml", code_ml),
        _colonne(frame, "code_region", code_region),
        _colonne(frame, "fichier", fichier),
        date_debut.cast(pl.Date).alias("date_debut"),
        (systemes if systemes is not None else pl.lit(c.systemes)).alias("systemes"),
        message.alias("message"),
        action.alias("action"),
        cle.alias("cle"),
    )


def vide() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)
