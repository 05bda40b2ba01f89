"""The workbook's large tables written in bulk hold the cells `write_excel` writes."""

from __future__ import annotations

import datetime as dt
import io
import math

import openpyxl
import polars as pl
import xlsxwriter
from python_calamine import CalamineWorkbook

from reporting.lignes_xlsx import Suite, completer, rendre_lignes

FRAME = pl.DataFrame(
    {
        "texte": ["a&b<c>", " espace", "", None, "tab\tulation", "Zoé", "l1\nl2", "Zoé "],
        "entier": [1, None, -3, 2**40, 0, 7, 8, 9],
        "reel": [0.1 + 0.2, 2.0, 1e20, 1 / 3, -5.5e-7, None, 123456.789, 1e-300],
        "jour": [dt.date(2014, 12, 2), None, dt.date(1900, 3, 1), dt.date(1900, 2, 28)] * 2,
        "vrai": [True, False, None, True, False, True, None, False],
        "court": pl.Series([1, 2, None, 4, 5, 6, 7, 8], dtype=pl.Int8),
    }
)


def _ecrire(frame: pl.DataFrame, en_bloc: bool) -> bytes:
    tampon = io.BytesIO()
    wb = xlsxwriter.Workbook(tampon, {"in_memory": True, "strings_to_formulas": False})
    wb.add_worksheet("Avant").write_string(0, 0, "autre feuille")
    couleur = wb.add_format({"bg_color": "#F5B7B1"})
    options = {
        "workbook": wb,
        "worksheet": "Table",
        "table_name": "grande",
        "table_style": "Table Style Light 1",
        "autofilter": True,
        "freeze_panes": (1, 0),
        "dtype_formats": {pl.Date: "yyyy-mm-dd"},
        "conditional_formats": {
            tuple(frame.columns): {"type": "formula", "criteria": "=$B2>5", "format": couleur}
        },
    }
    suites = []
    if en_bloc:
        suites.append(Suite("Table", "grande", frame.slice(1)))
        frame = frame.head(1)
    frame.write_excel(**options)
    feuilles = [ws.get_name() for ws in wb.worksheets()]
    wb.close()
    return completer(tampon.getvalue(), feuilles, suites)


def _valeur(v: object) -> object:
    # xlsxwriter rounds floats to 16 significant digits, the bulk rows keep the exact value.
    return round(v, 15 - math.floor(math.log10(abs(v)))) if isinstance(v, float) and v else v


def _cellules(data: bytes) -> list[list[tuple[object, str, str | None]]]:
    ws = openpyxl.load_workbook(io.BytesIO(data))["Table"]
    return [
        [(_valeur(c.value), c.number_format, c.alignment.vertical) for c in ligne]
        for ligne in ws.iter_rows()
    ]


def test_bulk_rows_hold_the_cells_write_excel_writes():
    simple, en_bloc = _ecrire(FRAME, False), _ecrire(FRAME, True)
    assert _cellules(en_bloc) == _cellules(simple)
    a = openpyxl.load_workbook(io.BytesIO(simple))["Table"]
    b = openpyxl.load_workbook(io.BytesIO(en_bloc))["Table"]
    assert b.dimensions == a.dimensions == "A1:F9"
    assert b.tables["grande"].ref == a.tables["grande"].ref
    assert b.tables["grande"].autoFilter.ref == a.tables["grande"].autoFilter.ref
    assert b.freeze_panes == a.freeze_panes
    regles = [(str(p.sqref), [r.formula for r in p.rules]) for p in b.conditional_formatting]
    assert regles == [
        (str(p.sqref), [r.formula for r in p.rules]) for p in a.conditional_formatting
    ]


def test_bulk_rows_read_back_by_calamine(tmp_path):
    chemins = []
    for en_bloc in (False, True):
        chemin = tmp_path / f"{en_bloc}.xlsx"
        chemin.write_bytes(_ecrire(FRAME, en_bloc))
        chemins.append(chemin)
    lus = [
        CalamineWorkbook.from_path(str(c)).get_sheet_by_name("Table").to_python() for c in chemins
    ]
    assert [[_valeur(v) for v in r] for r in lus[1]] == [[_valeur(v) for v in r] for r in lus[0]]
    assert len(lus[1]) == FRAME.height + 1


def test_a_table_of_one_row_or_none_needs_no_bulk_rows():
    for n in (0, 1):
        assert _cellules(_ecrire(FRAME.head(n), True)) == _cellules(_ecrire(FRAME.head(n), False))


def test_control_characters_are_escaped_as_xlsxwriter_escapes_them():
    from xlsxwriter.worksheet import Worksheet
    from xlsxwriter.xmlwriter import XMLwriter

    valeurs = ["ctl\x01\x1f", "_x0041_", "a&b<c>", "x\ufffe"]
    xml = rendre_lignes(pl.DataFrame({"t": valeurs}), {}, 3)
    for v in valeurs:
        attendu = XMLwriter()._escape_data(Worksheet._escape_control_characters(v))
        assert f"<t>{attendu}</t>" in xml
