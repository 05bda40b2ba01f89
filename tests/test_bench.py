"""`make bench` keeps working: its quick mode on a tiny scale, and its results file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bench import run
from bench.processus import Mesure
from bench.resultats import DEBUT, DEBUT_STOCKS, FIN, FIN_STOCKS, Echelle, Resultats, ecrire


@pytest.mark.sftp
def test_quick_bench_measures_every_figure_on_a_tiny_scale(tmp_path: Path):
    sortie = tmp_path / "results.md"
    code = run.main(
        [
            "--quick",
            "--scales",
            "0.003",
            "--history-from",
            "2014-09-01",
            "--donnees",
            str(tmp_path / "data"),
            "--sortie",
            str(sortie),
            "--sftp-taille-mo",
            "1",
        ]
    )
    assert code == 0
    texte = sortie.read_text(encoding="utf-8")
    assert DEBUT in texte and FIN in texte
    ligne = next(li for li in texte.splitlines() if li.startswith("| 0.003 |"))
    cellules = [c.strip() for c in ligne.strip("|").split("|")]
    lignes_historique = int(cellules[1].replace(",", ""))
    assert lignes_historique > 1000  # the initial load reached the database
    assert float(cellules[2]) > 0 and 0 < float(cellules[3]) < 4  # the night: s, GiB
    assert re.fullmatch(r"[0-9.]+x \([0-9.]+ s\)", cellules[6])  # recomputation / scan
    assert re.fullmatch(r"[0-9.]+x \([0-9.]+ s\)", cellules[7])  # validation / read_csv
    assert "SftpDropZone / OpenSSH sftp = " in texte
    assert "1. `" in texte  # the most expensive steps of the night, from Dagster
    # the same night with and without the three stocks (issue 12), side by side
    assert DEBUT_STOCKS in texte and FIN_STOCKS in texte
    stocks = next(
        li for li in texte[texte.index(DEBUT_STOCKS) :].splitlines() if li.startswith("| 0.003 |")
    )
    sans, avec, ajout, etape = (c.strip() for c in stocks.strip("|").split("|")[1:])
    assert re.fullmatch(r"[0-9.]+, [0-9.]+", sans) and re.fullmatch(r"[0-9.]+, [0-9.]+", avec)
    assert re.fullmatch(r"[+-][0-9.]+, [+-][0-9.]+", ajout) and float(etape) > 0


def _mesure(secondes: float) -> Mesure:
    return Mesure(secondes, 2**30, 0, "", 0.5)


def test_results_replace_only_what_lies_between_the_markers(tmp_path: Path):
    chemin = tmp_path / "results.md"
    chemin.write_text(f"# Titre\n\nanalyse à garder\n\n{DEBUT}\nvieux chiffres\n{FIN}\n\nfin\n")
    e = Echelle(
        1.0,
        lignes_historique=14_700_000,
        chargement={"secondes": 300.0, "pic_octets": 5 * 2**30},
        nuits=[_mesure(50), _mesure(40), _mesure(45)],
        etapes=[{"cotraitance__etats": 20.0, "rapports__rapport": 10.0, "a": 1.0, "b": 2.0}],
        recalculs=[_mesure(30)],
        scans=[_mesure(2)],
        validation={"read_csv_s": 4.0, "validation_s": 10.0},
    )
    ecrire(
        chemin, Resultats([e], repetitions=3, rapide=False, debut=dt.datetime.now().astimezone())
    )
    texte = chemin.read_text(encoding="utf-8")
    assert texte.startswith("# Titre\n\nanalyse à garder\n\n" + DEBUT)
    assert texte.endswith(FIN + "\n\nfin\n")
    assert "vieux chiffres" not in texte
    assert "| 1 | 14,700,000 | 45.0 | 1.00 | 30.0 | 1.00 | 15.0x (2.0 s) | 2.50x (4.0 s) |" in texte
    assert "1. `cotraitance__etats`: 20.0 s (44%)" in texte
    assert "national night under 60 s: met (45.00 s ≤ 60 s)" in texte
    assert "full recomputation under 60 s: met" in texte
