"""Dagster's instance storage on PostgreSQL, configured as docs/production-postgres.md says."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus, job, op
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "production-postgres.md"
SHIPPED = ROOT / "dagster.yaml"


def _documented_storage() -> dict[str, object]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    storage = [yaml.safe_load(b) for b in blocks if b.startswith("storage:")]
    assert len(storage) == 1, f"one `storage:` YAML block expected in {DOC.name}"
    return storage[0]


@op
def echo() -> int:
    return 1


@job
def sonde() -> None:
    echo()


@pytest.mark.postgres
def test_dagster_instance_runs_on_postgres_with_the_documented_yaml(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {**yaml.safe_load(SHIPPED.read_text(encoding="utf-8")), **_documented_storage()}
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    url = make_url(pg_url)
    for name, value in {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_DB": url.database,
        "DAGSTER_PG_USERNAME": url.username,
        "DAGSTER_PG_PASSWORD": "unused-trust-auth",
    }.items():
        monkeypatch.setenv(name, str(value))

    instance = DagsterInstance.from_config(str(home))
    try:
        result = sonde.execute_in_process(instance=instance)
        run = instance.get_run_by_id(result.run_id)
        events = instance.all_logs(result.run_id)
    finally:
        instance.dispose()

    assert run is not None
    assert run.status == DagsterRunStatus.SUCCESS
    assert any(
        e.dagster_event and e.dagster_event.event_type_value == "STEP_SUCCESS" for e in events
    )
    # The run and its events are rows of that PostgreSQL database, not of files in the home.
    with psycopg.connect(pg_url) as conn:
        runs = conn.execute("SELECT count(*) FROM runs WHERE run_id = %s", (result.run_id,))
        assert runs.fetchone() == (1,)
        logged = conn.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", (result.run_id,))
        assert logged.fetchone()[0] == len(events)
    assert not list(home.rglob("*.db"))
