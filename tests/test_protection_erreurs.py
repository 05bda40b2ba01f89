"""Data protection: a library's exception never carries row values into logs or Dagster.

polars, pandera and the database drivers quote the values they choke on. Here the
validation of GIDE_DEMANDEURS meets a real polars error (a cast of the names to integers,
whose message lists them): the night fails (exit 1), the operator reads the file and the
kind of error, and neither the command's output, the Python logs nor any event of the
Dagster run (step failure message, error chain and stack) holds a name or a birth date.
Guards: `pipelines.erreurs.sans_valeurs` (around each file) and
`pipelines.assets.presentation.sans_valeurs_dans_les_echecs` (around each asset body).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._serdes import serialize_value

from schemas import verdict
from schemas.contract import Flux
from schemas.dialect import Lecture
from tests.fiabilite import environnement, executer, nuit_simple

NUIT = dt.date(2010, 10, 4)
PERSONNELLES = ["Testeur", "Alice", "Essai", "Bruno", "12/05/1992", "1992-05-12"]


def test_exception_de_bibliotheque_sans_valeur_dans_les_journaux_ni_dans_dagster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT)
    messages_d_origine: list[str] = []
    trier = verdict.trier  # the night's judging (schemas.verdict), called by ingestion

    def trier_qui_casse(lecture: Lecture, flux: Flux):
        if flux.nom == "GIDE_DEMANDEURS":
            try:
                lecture.lignes.select(pl.concat_str("nom", "date_naissance").cast(pl.Int64))
            except pl.exceptions.PolarsError as exc:
                messages_d_origine.append(str(exc))
                raise
        return trier(lecture, flux)

    monkeypatch.setattr(verdict, "trier", trier_qui_casse)
    dagster_home = tmp_path / "dagster_home"

    nuit = executer(home, "--date", NUIT.isoformat(), inbox=inbox, dagster_home=dagster_home)

    assert nuit.code == 1, nuit.sortie
    # The library did quote the values: without the guard they would be everywhere below.
    assert "Testeur12/05/1992" in messages_d_origine[0]
    assert "GIDE_DEMANDEURS_20101004.csv : erreur inattendue (InvalidOperationError)" in (
        nuit.sortie
    )
    with environnement({"DAGSTER_HOME": str(dagster_home)}), dg.DagsterInstance.get() as inst:
        [run] = inst.get_runs()
        journal = inst.all_logs(run.run_id)
    evenements = [serialize_value(e) for e in journal]
    echecs = [e for e in journal if e.dagster_event and e.dagster_event.is_step_failure]
    assert len(echecs) == 1
    textes = {
        "sortie": nuit.sortie,
        "journaux": "\n".join(nuit.journaux),
        "événements": "\n".join(evenements),
    }
    for ou, texte in textes.items():
        for valeur in PERSONNELLES:
            assert valeur not in texte, (ou, valeur)
