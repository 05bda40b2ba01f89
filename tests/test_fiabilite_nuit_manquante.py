"""Failure mode 6: a night that never arrives.

No file of night D ever reaches the inbox, so the file-arrival sensor never starts it. At
06:00 Europe/Paris on D+1 the schedule `nuit_de_6h` requests the run of D; that run (the
nightly job, its resource taking the deployment's settings from the environment, as a run
launched by the daemon does) fails its `nuit_complete` check, writes
`reports/incidents/<D>_nuit-incomplete.txt`, reports every mandatory flow FLUX_MANQUANT
(BLOQUANT) and emits nothing.
Guards: `pipelines.schedules.nuit_de_6h`; `completude.evaluer` and the incident written by
the `cotraitance/completude` asset.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

import schemas
from pipelines.assets.cotraitance import CLE_COMPLETUDE
from pipelines.definitions import build_definitions
from pipelines.schedules import nuit_de_6h
from tests.fiabilite import anomalies, environnement

NUIT = dt.date(2010, 10, 5)
SIX_HEURES = dt.datetime(2010, 10, 6, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_nuit_jamais_arrivee_a_6h_le_controle_echoue_et_l_incident_est_signale(
    tmp_path: Path,
):
    home, inbox = tmp_path / "var", tmp_path / "inbox"
    inbox.mkdir()
    with (
        environnement(
            {"PASSERELLE_HOME": str(home), "PASSERELLE_INBOX": str(inbox), "DAGSTER_HOME": None}
        ),
        dg.instance_for_test() as instance,
    ):
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=SIX_HEURES
        ) as contexte:
            demande = nuit_de_6h(contexte)
        assert isinstance(demande, dg.RunRequest)
        assert demande.partition_key == NUIT.isoformat()
        job = build_definitions().resolve_job_def("nuit")
        resultat = job.execute_in_process(
            instance=instance,
            partition_key=demande.partition_key,
            tags=dict(demande.tags),
            raise_on_error=False,
        )
        controles = {
            (e.asset_key, e.check_name): e.passed for e in resultat.get_asset_check_evaluations()
        }

    assert controles[(CLE_COMPLETUDE, "nuit_complete")] is False
    incident = home / "reports" / "incidents" / f"{NUIT.isoformat()}_nuit-incomplete.txt"
    texte = incident.read_text(encoding="utf-8")
    obligatoires = [f for f in schemas.ENTRANTS if f.obligatoire]
    assert "INCIDENT PASSERELLE : nuit incomplète" in texte
    assert all(f.nom_fichier(NUIT) in texte for f in obligatoires)
    manquants = anomalies(home, NUIT).filter(pl.col("code") == "FLUX_MANQUANT")
    assert set(manquants["fichier"]) == {f.nom_fichier(NUIT) for f in obligatoires}
    assert set(manquants["severite"]) == {"BLOQUANT"}
    assert not list((home / "outbox").rglob("*.csv"))
