"""The Dagster code location loads, and its graph is what the operators are told it is."""

from __future__ import annotations

import dagster as dg

import schemas
from pipelines.assets.presentation import cle_entrant, cle_sortant
from pipelines.definitions import defs


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_every_inbound_flow_has_a_landed_and_a_validated_asset_with_its_checks():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    for f in schemas.ENTRANTS:
        recu, valide = cle_entrant(f, "recu"), cle_entrant(f, "valide")
        assert recu in graph.get_all_asset_keys() and valide in graph.get_all_asset_keys()
        assert recu in graph.get(valide).parent_keys
        assert {(valide, "schema"), (valide, "lignes_ok")} <= checks


def test_every_outbound_flow_is_an_asset_checked_against_its_contract():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    for f in schemas.SORTANTS:
        assert (cle_sortant(f), "conforme_au_contrat") in checks
        assert graph.get(cle_sortant(f)).group_name == f"sortants_{f.dossier_sortant}"


def test_nightly_job_is_partitioned_by_paris_nights_with_a_hard_timeout():
    job = defs.resolve_job_def("nuit")
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.timezone == "Europe/Paris"
    assert "2010-10-04" in partitions.get_partition_keys()
    assert int(job.tags["dagster/max_runtime"]) > 0
    assert job.tags["passerelle/chaine"] == "nuit"


def test_sensors_and_schedule_are_present_and_off_by_default():
    noms = {s.name: s for s in defs.sensors or []}
    assert {"fichiers_complets", "echec_de_nuit"} <= set(noms)
    assert all(s.default_status == dg.DefaultSensorStatus.STOPPED for s in noms.values())
    (schedule,) = defs.schedules or []
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
