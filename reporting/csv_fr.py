"""CSV files for French spreadsheets: `anomalies.csv`, `indicateurs.csv`, `rapprochement.csv`.

**Dialect chosen**, for analysts who open the files by double-clicking them:

- `;` separator: what Excel and LibreOffice expect in a French locale (where `,` is the
  decimal mark), and what FLOWS.md prescribes for `anomalies.csv`.
- UTF-8 **with a byte-order mark**. Excel (Windows, French locale) decodes a CSV without BOM
  as Windows-1252 and shows "Ã©" for every "é" of the messages; with the BOM it reads UTF-8.
  LibreOffice detects UTF-8 either way. Program readers are not hurt: polars, pandas and
  Python's `csv` with encoding "utf-8-sig" skip the mark; the header that follows is exactly
  the contract's.
- Decimals with a **comma** (`0,8523`): a French spreadsheet reads `0.8523` as text, and
  Excel may even turn `1.05` into a date (1er mai). Only `indicateurs.csv` has decimals (the
  rates); counts are written as integers.
- A text value that a spreadsheet would run as a formula (starting with = + - @) is written
  with a leading apostrophe (CSV injection: names in REF files come from outside).
- Dates `YYYY-MM-DD` (contract), read as dates by both spreadsheets; `\\n` line ends; quotes
  only where a value holds `;`, `"` or a line break; an empty value is an empty field.

Rows are in a deterministic order (that of the frames) and nothing depends on the clock, so
re-writing a night gives byte-identical files.
"""

from __future__ import annotations

import io

import polars as pl

from rules.anomalies import COLONNES_CSV, SCHEMA_DIVERGENCES_STOCK
from rules.indicateurs import SCHEMA as SCHEMA_INDICATEURS

BOM = "\ufeff".encode()
SEPARATEUR = ";"


def _neutraliser_formules(frame: pl.DataFrame) -> pl.DataFrame:
    """Text starting with = + - @ (a formula for a spreadsheet: REF_MISSIONS_LOCALES's
    names come from outside) is prefixed with an apostrophe, shown as text."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.concat_str([pl.lit("'"), pl.col(c)]))
        .otherwise(pl.col(c))
        .alias(c)
        for c, t in frame.schema.items()
        if t == pl.String
    )


def _csv(frame: pl.DataFrame) -> bytes:
    tampon = io.BytesIO()
    _neutraliser_formules(frame).write_csv(
        tampon,
        separator=SEPARATEUR,
        line_terminator="\n",
        date_format="%Y-%m-%d",
        quote_style="necessary",
        null_value="",
    )
    return BOM + tampon.getvalue()


def anomalies_csv(anomalies: pl.DataFrame) -> bytes:
    """`anomalies.csv`: exactly the contract's columns."""
    return _csv(anomalies.select(COLONNES_CSV))


def valeur_texte(valeur: pl.Expr, taux: pl.Expr) -> pl.Expr:
    """A count as an integer; a rate with 4 decimals and a decimal comma."""
    return (
        pl.when(taux)
        .then(valeur.round(4).cast(pl.String).str.replace(r"\.", ","))
        .otherwise(valeur.round(0).cast(pl.Int64).cast(pl.String))
    )


def indicateurs_csv(indicateurs: pl.DataFrame) -> bytes:
    """`indicateurs.csv`: niveau;code;libelle;code_region;indicateur;modalite;annee;trimestre;
    valeur (the rate of achievement is a share: 0,8523 = 85,23 %)."""
    return _csv(
        indicateurs.select(list(SCHEMA_INDICATEURS)).with_columns(
            valeur_texte(pl.col("valeur"), pl.col("indicateur") == "TAUX_REALISATION").alias(
                "valeur"
            )
        )
    )


def rapprochement_csv(divergences: pl.DataFrame) -> bytes:
    """`rapprochement.csv`: one row per stock divergence (RULES.md R3) of each system's
    latest stock: system, stock file and date, code, episode, fields, expected and stock
    values (identifiers, codes and dates only: no stock field is a name), the cause of an
    extra episode, and the date of the first stock that showed it."""
    return _csv(divergences.select(list(SCHEMA_DIVERGENCES_STOCK)))
