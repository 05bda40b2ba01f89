"""The rows of the workbook's large tables, written in bulk instead of cell by cell.

At national scale the Anomalies and Indicateurs sheets hold a few hundred thousand rows.
xlsxwriter (through polars' `write_excel`) handles each cell in Python, twice (when it is
written and when the sheet's XML is assembled): about half a minute a night. Here the sheet
is built by `write_excel` as before (table, filters, frozen header, widths, formats,
conditional colours) but with its first data row only; the other rows are then rendered
as XML by polars, column-wise, and put into the closed workbook, whose ranges (the sheet's
dimension, the table and its filter, the conditional formats) are widened to every row.

The cells are those xlsxwriter writes: the same style index per column (read from the
first data row it wrote), dates as Excel serial numbers, booleans, blank styled cells for
nulls and empty strings; text as inline strings (xlsxwriter's own choice in its
constant-memory mode) with its escapes (`_xHHHH_` for control characters, `&amp;`, `&lt;`,
`&gt;`, `xml:space="preserve"` around leading or trailing space). One difference: a float
is written with its shortest round-trip digits (the exact value), where xlsxwriter rounds
to 16 significant digits (`%.16G`); they differ only beyond the 16th digit, which Excel
never shows. Non-finite floats are not handled here (`en_bloc_possible`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

import polars as pl
from xlsxwriter.utility import xl_col_to_name

_EPOQUE = dt.date(1899, 12, 30)  # Excel's day 0 (1900 date system) from 01/03/1900 on
_BISSEXTILE_FICTIF = dt.date(1900, 3, 1)
_CONTROLES = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20))]


@dataclass(frozen=True)
class Suite:
    """Rows to add after the first data row of a table written by `write_excel`."""

    feuille: str  # the worksheet's name
    table: str  # the table's name
    lignes: pl.DataFrame  # the rows after the first, in the frame's column order


def _texte(col: pl.Expr, frame: pl.DataFrame, nom: str) -> pl.Expr:
    """xlsxwriter's escapes of a string value for an inline string."""
    valeurs = frame.get_column(nom)
    if valeurs.str.contains(r"_x[0-9a-fA-F]{4}_").any():
        col = col.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F$1")
    if valeurs.str.contains(r"[\x00-\x08\x0B-\x1F\uFFFE\uFFFF]").any():
        for c in [*_CONTROLES, "\ufffe", "\uffff"]:  # a loop over characters, not rows
            col = col.str.replace_all(c, f"_x{ord(c):04X}_", literal=True)
    if valeurs.str.contains("[&<>]").any():
        col = (
            col.str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True)
        )
    return col


def _nombre(col: pl.Expr) -> pl.Expr:
    """A finite float as Excel reads it: its shortest round-trip digits, integral values
    without a decimal point, the exponent as `E+20` / `E-07`."""
    texte = col.cast(pl.String)
    return (
        pl.when(texte.str.ends_with(".0"))
        .then(texte.str.strip_suffix(".0"))
        .otherwise(texte)
        .str.replace(r"e(-?)", "E$1")
        .str.replace(r"E(\d)", "E+$1")
    )


def _jours_excel(col: pl.Expr) -> pl.Expr:
    """Excel's serial day (1900 system, with its phantom 29/02/1900, as xlsxwriter counts)."""
    return (
        pl.when(col < pl.lit(_BISSEXTILE_FICTIF))
        .then((col - pl.lit(_EPOQUE + dt.timedelta(days=1))).dt.total_days())
        .otherwise((col - pl.lit(_EPOQUE)).dt.total_days())
    )


def _cellule(frame: pl.DataFrame, j: int, nom: str, style: str | None, ligne: pl.Expr) -> pl.Expr:
    dtype = frame.schema[nom]
    col = pl.col(nom)
    attribut_style = f' s="{style}"' if style else ""
    debut = pl.concat_str(pl.lit(f'<c r="{xl_col_to_name(j)}'), ligne, pl.lit(f'"{attribut_style}'))
    vide = col.is_null()
    if dtype == pl.String:
        vide = vide | (col == "")
        garde = col.str.contains(r"^\s") | col.str.contains(r"\s$")
        t = pl.when(garde).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
        valeur = pl.concat_str(
            pl.lit(' t="inlineStr"><is><t'),
            t,
            pl.lit(">"),
            _texte(col, frame, nom),
            pl.lit("</t></is></c>"),
        )
    elif dtype == pl.Boolean:
        valeur = pl.concat_str(
            pl.lit(' t="b"><v>'), col.cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")
        )
    elif dtype == pl.Date:
        valeur = pl.concat_str(
            pl.lit("><v>"), _jours_excel(col).cast(pl.String), pl.lit("</v></c>")
        )
    elif dtype.is_integer():
        valeur = pl.concat_str(pl.lit("><v>"), col.cast(pl.String), pl.lit("</v></c>"))
    elif dtype.is_float():
        valeur = pl.concat_str(pl.lit("><v>"), _nombre(col), pl.lit("</v></c>"))
    else:
        raise TypeError(f"colonne {nom} : type {dtype} non pris en charge")
    return (
        pl.when(vide)
        .then(pl.concat_str(debut, pl.lit("/>")))
        .otherwise(pl.concat_str(debut, valeur))
    )


def en_bloc_possible(frame: pl.DataFrame) -> bool:
    """Whether `rendre_lignes` can write every value of the frame (no NaN nor infinity, the
    types below)."""
    for nom, dtype in frame.schema.items():
        if dtype.is_float():
            if not frame.get_column(nom).drop_nulls().is_finite().all():
                return False
        elif not (dtype in (pl.String, pl.Boolean, pl.Date) or dtype.is_integer()):
            return False
    return True


def rendre_lignes(frame: pl.DataFrame, styles: dict[int, str], premiere: int) -> str:
    """The `<row>` elements of `frame`, its first row being sheet row `premiere` (1-based)."""
    if frame.height == 0:
        return ""
    ligne = (pl.int_range(pl.len(), dtype=pl.Int64) + premiere).cast(pl.String)
    cellules = [
        _cellule(frame, j, nom, styles.get(j), ligne) for j, nom in enumerate(frame.columns)
    ]
    lignes = pl.concat_str([pl.lit('<row r="'), ligne, pl.lit('">'), *cellules, pl.lit("</row>")])
    return frame.select(lignes.str.join("")).item()


_LIGNE_2 = re.compile(r'<row r="2"[^>]*>(.*?)</row>', re.S)
_STYLE = re.compile(r'<c r="([A-Z]+)2"(?: s="(\d+)")?')


# A range attribute ending on row 2, the table's first data row: `ref="A1:K2"` (the sheet's
# dimension, the table, its filter) or `sqref="A2:K2"` (a conditional format).
_PLAGE = re.compile(r'((?:ref|sqref)="[A-Z]+\d+:[A-Z]+)2"')


def _etendre(xml: str, derniere: int) -> str:
    """Widen every range of the sheet or table that ends on row 2 down to `derniere`."""
    return _PLAGE.sub(lambda m: f'{m[1]}{derniere}"', xml)


def completer(classeur: bytes, feuilles: list[str], suites: list[Suite]) -> bytes:
    """The workbook with each `Suite`'s rows after its table's first data row.

    `feuilles`: the workbook's worksheet names in order (sheet i is `sheet{i+1}.xml`).
    """
    if not suites:
        return classeur
    entree = zipfile.ZipFile(io.BytesIO(classeur))
    contenus = {info.filename: entree.read(info) for info in entree.infolist()}
    completes = set()
    for suite in suites:
        if suite.lignes.height == 0:
            continue
        nom_feuille = f"xl/worksheets/sheet{feuilles.index(suite.feuille) + 1}.xml"
        xml = contenus[nom_feuille].decode("utf-8")
        ligne2 = _LIGNE_2.search(xml)
        if ligne2 is None:
            raise ValueError(f"feuille {suite.feuille} : première ligne de données introuvable")
        styles = {}
        for lettre, style in _STYLE.findall(ligne2[1]):
            j = sum((ord(c) - 64) * 26**k for k, c in enumerate(reversed(lettre))) - 1
            if style:
                styles[j] = style
        derniere = 2 + suite.lignes.height
        xml = _etendre(xml, derniere)  # before the rows go in: a short text to search
        fin = xml.index("</row>", xml.index('<row r="2"')) + len("</row>")
        rangees = rendre_lignes(suite.lignes, styles, 3)
        contenus[nom_feuille] = (xml[:fin] + rangees + xml[fin:]).encode()
        completes.add(nom_feuille)
        for nom, data in contenus.items():
            if nom.startswith("xl/tables/") and f'name="{suite.table}"'.encode() in data:
                texte = data.decode("utf-8")
                contenus[nom] = _etendre(texte, derniere).encode("utf-8")
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w") as z:
        for info in entree.infolist():
            # The large sheets compress fast (level 1): a few percent larger, three times
            # quicker than xlsxwriter's level 6, which the other members keep.
            niveau = 1 if info.filename in completes else 6
            z.writestr(
                info,
                contenus[info.filename],
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=niveau,
            )
    return sortie.getvalue()
