"""`rapport.xlsx`: the report as a workbook (xlsxwriter, through polars' `write_excel`).

The large tables (Anomalies, Indicateurs) get their rows after the first in bulk, once the
workbook is closed (`reporting.lignes_xlsx`): the same cells, without xlsxwriter's
per-cell cost.

Sheets: Synthèse, Anomalies (filters, frozen header, one colour per severity), Indicateurs,
Objectifs (achievement per nation, region and ML against annexe 4 / REF_OBJECTIFS),
Qualité des flux (every file of the night, and the missing flows).

Deterministic bytes: the creation date in the document properties is the night (midnight),
xlsxwriter dates the archive members 1980-01-01, tables are named, and nothing else depends
on the clock. Text is never turned into formulas, numbers or links.
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import xlsxwriter

from reporting.contenu import ContenuRapport
from reporting.lignes_xlsx import Suite, completer, en_bloc_possible
from rules.anomalies import CATALOGUE, CODES, COLONNES_CSV
from rules.indicateurs import SCHEMA as SCHEMA_INDICATEURS

LIGNES_MAX = 1_048_575  # Excel's rows, header excluded
COULEURS = {"BLOQUANT": "#F5B7B1", "ALERTE": "#FAD7A0", "INFO": "#D6EAF8"}
STYLE = "Table Style Light 1"


def _largeurs(frame: pl.DataFrame, larges: dict[str, int], defaut: int = 14) -> dict[str, int]:
    return {c: larges.get(c, defaut) for c in frame.columns}


def _feuille_synthese(wb: xlsxwriter.Workbook, contenu: ContenuRapport) -> None:
    ws = wb.add_worksheet("Synthèse")
    titre = wb.add_format({"bold": True, "font_size": 14})
    gras = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    couleurs = {s: wb.add_format({"bg_color": c}) for s, c in COULEURS.items()}
    ws.set_column(0, 0, 42)
    ws.set_column(1, 4, 16)
    ws.write_string(0, 0, f"Rapport de rapprochement de la nuit du {contenu.jour:%d/%m/%Y}", titre)
    if contenu.complete:
        statut = "Nuit complète : flux émis vers GIDE, DUDE et Parcours 3."
    elif contenu.emise:
        statut = "Nuit incomplète : émission partielle forcée par un opérateur."
    else:
        statut = "Nuit incomplète : rien n'a été émis (voir les anomalies bloquantes)."
    ws.write_string(1, 0, statut, gras)
    if contenu.pseudonymise:
        ws.write_string(2, 0, "Identifiants pseudonymisés (HMAC-SHA256).")
    ligne = 4
    ws.write_row(
        ligne, 0, ["Code", "Sévérité", "Nature", "Nombre", "Plus ancienne depuis le"], gras
    )
    comptes = contenu.anomalies.group_by("code").agg(
        pl.len().alias("n"), pl.col("date_debut").min().alias("depuis")
    )
    par_code = {c: (n, depuis) for c, n, depuis in comptes.iter_rows()}
    for code in CODES:  # the 27 codes, always listed
        ligne += 1
        n, depuis = par_code.get(code, (0, None))
        c = CATALOGUE[code]
        ws.write_string(ligne, 0, code)
        ws.write_string(ligne, 1, c.severite, couleurs[c.severite])
        ws.write_string(ligne, 2, "situation" if c.nature == "S" else "événement")
        ws.write_number(ligne, 3, n)
        if depuis is not None:
            ws.write_datetime(ligne, 4, dt.datetime.combine(depuis, dt.time()), date)
    ligne += 2
    q = contenu.qualite
    for libelle, valeur in (
        ("Anomalies de la nuit", contenu.anomalies.height),
        ("Fichiers reçus", q.filter(pl.col("statut") != "MANQUANT").height),
        ("Fichiers rejetés", q.filter(pl.col("statut") == "REJETE").height),
        ("Flux manquants", q.filter(pl.col("statut") == "MANQUANT").height),
        ("Épisodes", contenu.episodes.height),
        ("Épisodes en cours", contenu.episodes.filter(pl.col("date_fin").is_null()).height),
    ):
        ws.write_string(ligne, 0, libelle)
        ws.write_number(ligne, 1, valeur)
        ligne += 1
    if contenu.anomalies.height > LIGNES_MAX:
        ws.write_string(
            ligne + 1, 0, "Anomalies tronquées à la limite d'Excel : voir anomalies.csv."
        )


def _en_bloc(frame: pl.DataFrame, feuille: str, table: str, suites: list[Suite]) -> pl.DataFrame:
    """The first row of a large table, for `write_excel`; the others go into `suites`, to be
    written in bulk once the workbook is closed (`reporting.lignes_xlsx`)."""
    if frame.height > 1 and en_bloc_possible(frame):
        suites.append(Suite(feuille, table, frame.slice(1)))
        return frame.head(1)
    return frame


def _feuille_anomalies(
    wb: xlsxwriter.Workbook, contenu: ContenuRapport, suites: list[Suite]
) -> None:
    frame = contenu.anomalies.select(COLONNES_CSV).head(LIGNES_MAX)
    formats = {s: wb.add_format({"bg_color": c}) for s, c in COULEURS.items()}
    conditions = [
        {"type": "formula", "criteria": f'=$B2="{s}"', "format": f} for s, f in formats.items()
    ]
    _en_bloc(frame, "Anomalies", "anomalies", suites).write_excel(
        workbook=wb,
        worksheet="Anomalies",
        table_name="anomalies",
        table_style=STYLE,
        autofilter=True,
        freeze_panes=(1, 0),
        dtype_formats={pl.Date: "yyyy-mm-dd"},
        conditional_formats={tuple(COLONNES_CSV): conditions},
        column_widths=_largeurs(
            frame,
            {
                "code": 30,
                "severite": 10,
                "id_affectation": 15,
                "fichier": 30,
                "message": 90,
                "action": 80,
            },
            12,
        ),
    )


def _feuille_indicateurs(
    wb: xlsxwriter.Workbook, contenu: ContenuRapport, suites: list[Suite]
) -> None:
    frame = contenu.indicateurs.select(list(SCHEMA_INDICATEURS))
    _en_bloc(frame, "Indicateurs", "indicateurs", suites).write_excel(
        workbook=wb,
        worksheet="Indicateurs",
        table_name="indicateurs",
        table_style=STYLE,
        autofilter=True,
        freeze_panes=(1, 0),
        column_widths=_largeurs(frame, {"libelle": 36, "indicateur": 20, "modalite": 34}, 11),
    )


def _feuille_objectifs(wb: xlsxwriter.Workbook, contenu: ContenuRapport) -> None:
    frame = contenu.objectifs
    frame.write_excel(
        workbook=wb,
        worksheet="Objectifs",
        table_name="objectifs",
        table_style=STYLE,
        autofilter=True,
        freeze_panes=(1, 0),
        column_formats={
            "taux": "0.0%",
            "objectif": "#,##0",
            "de0": "#,##0",
            "entrees": "#,##0",
            "attendu_au_jour": "#,##0",
            "ecart": "#,##0",
        },
        conditional_formats={
            "taux": {
                "type": "data_bar",
                "bar_color": "#5DADE2",
                "min_type": "num",
                "min_value": 0,
                "max_type": "num",
                "max_value": 1,
            }
        },
        column_widths=_largeurs(frame, {"libelle": 36, "source": 24}, 12),
    )


def _feuille_qualite(wb: xlsxwriter.Workbook, contenu: ContenuRapport) -> None:
    frame = contenu.qualite
    rouge = wb.add_format({"bg_color": COULEURS["BLOQUANT"]})
    frame.write_excel(
        workbook=wb,
        worksheet="Qualité des flux",
        table_name="qualite_des_flux",
        table_style=STYLE,
        autofilter=True,
        freeze_panes=(1, 0),
        dtype_formats={pl.Date: "yyyy-mm-dd"},
        conditional_formats={
            tuple(frame.columns): {
                "type": "formula",
                "criteria": '=OR($E2="REJETE",$E2="MANQUANT")',
                "format": rouge,
            }
        },
        column_widths=_largeurs(frame, {"fichier": 36, "flux": 28, "detail": 80}, 12),
    )


def _feuille_rapprochement(wb: xlsxwriter.Workbook, contenu: ContenuRapport) -> None:
    """R6 per system (national row, code_region empty) and per region, with the number of
    divergences per code of the system's latest stock."""
    par_code = (
        contenu.divergences_stock.group_by("systeme", "code")
        .len()
        .pivot(on="code", index="systeme", values="len", sort_columns=True)
        if not contenu.divergences_stock.is_empty()
        else pl.DataFrame(schema={"systeme": pl.String})
    )
    frame = contenu.concordance.join(par_code, on="systeme", how="left").with_columns(
        pl.when(pl.col("code_region").is_null())
        .then(pl.col(c))
        .otherwise(None)
        .fill_null(pl.when(pl.col("code_region").is_null()).then(0))
        .alias(c)
        for c in par_code.columns
        if c != "systeme"
    )
    frame.write_excel(
        workbook=wb,
        worksheet="Rapprochement des stocks",
        table_name="rapprochement_des_stocks",
        table_style=STYLE,
        autofilter=True,
        freeze_panes=(1, 0),
        dtype_formats={pl.Date: "yyyy-mm-dd"},
        column_formats={"taux_concordance": "0.0%"},
        column_widths=_largeurs(frame, {"fichier": 28}, 12),
    )


def classeur(contenu: ContenuRapport) -> bytes:
    """The workbook's bytes."""
    tampon = io.BytesIO()
    wb = xlsxwriter.Workbook(
        tampon,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "title": f"Passerelle : rapport de la nuit du {contenu.jour:%d/%m/%Y}",
            "author": "Passerelle",
            "created": dt.datetime.combine(contenu.jour, dt.time()),
        }
    )
    suites: list[Suite] = []
    _feuille_synthese(wb, contenu)
    _feuille_anomalies(wb, contenu, suites)
    _feuille_indicateurs(wb, contenu, suites)
    _feuille_objectifs(wb, contenu)
    _feuille_rapprochement(wb, contenu)
    _feuille_qualite(wb, contenu)
    feuilles = [ws.get_name() for ws in wb.worksheets()]
    wb.close()
    return completer(tampon.getvalue(), feuilles, suites)
