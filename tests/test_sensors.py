"""The file-arrival sensor, the 06:00 schedule and the incident on a failed run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from connectors.database import Database
from pipelines import completude
from pipelines.resources import PasserelleResource
from pipelines.schedules import nuit_a_traiter, nuit_de_6h
from pipelines.sensors import echec_de_nuit, fichiers_complets, nuits_pretes
from tests.inbox_builder import deposer, nuit_vide

NUIT = dt.date(2010, 10, 4)


@pytest.fixture
def passerelle(tmp_path: Path) -> PasserelleResource:
    (tmp_path / "inbox").mkdir()
    return PasserelleResource(
        home=str(tmp_path / "var"),
        inbox=str(tmp_path / "inbox"),
        outbox=str(tmp_path / "outbox"),
        reports=str(tmp_path / "reports"),
    )


def _evaluer(instance: dg.DagsterInstance, passerelle: PasserelleResource, cursor: str | None):
    ctx = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"passerelle": passerelle}
    )
    return fichiers_complets(ctx)


def test_sensor_waits_until_every_mandatory_flow_is_complete(passerelle, tmp_path):
    inbox = Path(passerelle.inbox or "")
    nuit_vide(inbox, NUIT, sauf=("P3_CIVIS",))
    deposer(inbox, "P3_CIVIS", NUIT, [], avec_ok=False)  # still being written
    with dg.instance_for_test() as instance:
        result = _evaluer(instance, passerelle, None)
        assert result.run_requests == []
        deposer(inbox, "P3_CIVIS", NUIT, [])  # its .ok arrives
        result = _evaluer(instance, passerelle, result.cursor)
        assert [r.partition_key for r in result.run_requests] == ["2010-10-04"]


def test_sensor_keys_runs_by_night_and_file_set_so_a_night_is_never_launched_twice(passerelle):
    inbox = Path(passerelle.inbox or "")
    nuit_vide(inbox, NUIT)
    nuit_vide(inbox, NUIT + dt.timedelta(days=1))
    with dg.instance_for_test() as instance:
        first = _evaluer(instance, passerelle, None)
        keys = [r.run_key for r in first.run_requests]
        assert [r.partition_key for r in first.run_requests] == ["2010-10-04", "2010-10-05"]
        # after a restart, the stored cursor gives the same keys (Dagster drops them)
        again = _evaluer(instance, passerelle, first.cursor)
        assert [r.run_key for r in again.run_requests] == keys
        assert json.loads(again.cursor or "{}") == {"derniere_nuit": "2010-10-05"}


def test_sensor_skips_a_night_the_ledger_says_is_done_unless_a_file_changes(passerelle):
    from pipelines import ingestion
    from schemas import ENTRANTS

    inbox = Path(passerelle.inbox or "")
    nuit_vide(inbox, NUIT)
    db = passerelle.database()
    reglages = passerelle.reglages()
    for f in ENTRANTS:
        ingestion.atterrir(passerelle.depot(), db, f, NUIT, reglages)
        ingestion.valider(db, f, NUIT, reglages)
    bilan = completude.evaluer(db, NUIT, {}, [])
    completude.enregistrer(db, bilan, emise=True, forcee=False)
    with dg.instance_for_test() as instance:
        assert _evaluer(instance, passerelle, None).run_requests == []
        before = nuits_pretes(passerelle, NUIT, NUIT)[NUIT]
        deposer(inbox, "GIDE_STATUTS", NUIT, ["1234567A;INSCRIT;01/10/2010;;"])  # a correction
        result = _evaluer(instance, passerelle, None)
        assert [r.partition_key for r in result.run_requests] == ["2010-10-04"]
        assert nuits_pretes(passerelle, NUIT, NUIT)[NUIT] != before
        assert result.run_requests[0].run_key.endswith(nuits_pretes(passerelle, NUIT, NUIT)[NUIT])


def test_schedule_at_six_runs_the_night_that_just_ended():
    six = dt.datetime(2010, 10, 5, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert nuit_a_traiter(six) == NUIT
    # The schedule context, closed: left open it stays Dagster's current instance (a disposed
    # one) for whatever resolves definitions later in the same process.
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(instance=instance, scheduled_execution_time=six) as ctx,
    ):
        request = nuit_de_6h(ctx)
        assert isinstance(request, dg.RunRequest)
        assert request.partition_key == "2010-10-04"


def test_schedule_skips_a_night_the_sensor_already_launched():
    six = dt.datetime(2010, 10, 5, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with dg.instance_for_test() as instance:
        instance.create_run_for_job(
            job_def=dg.GraphDefinition(name="nuit", node_defs=[]).to_job(name="nuit"),
            tags={"dagster/partition": "2010-10-04"},
        )
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=six) as ctx:
            assert isinstance(nuit_de_6h(ctx), dg.SkipReason)


def test_schedule_avoids_the_daylight_saving_hour():
    hour = int(nuit_de_6h.cron_schedule.split()[1])  # type: ignore[union-attr]
    assert hour != 2 and nuit_de_6h.execution_timezone == "Europe/Paris"


def test_failed_run_writes_an_incident_file(passerelle, tmp_path):
    @dg.op
    def casse() -> None:
        raise RuntimeError("le disque est plein")

    job = dg.GraphDefinition(name="nuit", node_defs=[casse]).to_job(
        name="nuit", tags={"dagster/partition": "2010-10-04"}
    )
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(
            e
            for e in instance.all_logs(result.run_id)
            if e.dagster_event and e.dagster_event.is_failure
        )
        ctx = dg.build_run_status_sensor_context(
            sensor_name="echec_de_nuit",
            dagster_event=failure.dagster_event,
            dagster_instance=instance,
            dagster_run=run,
            resources={"passerelle": passerelle},
        ).for_run_failure()
        echec_de_nuit(ctx)
    incident = Path(passerelle.reports or "") / "incidents" / "2010-10-04_run-en-echec.txt"
    text = incident.read_text(encoding="utf-8")
    assert "INCIDENT PASSERELLE : run en échec" in text and result.run_id in text
    assert incident.stat().st_mode & 0o077 == 0
    assert isinstance(Database(passerelle.reglages().db_url), Database)
