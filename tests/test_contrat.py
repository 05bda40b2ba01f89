"""The published contract is exported from the schemas and agrees with the shared one."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import main
from schemas.export import datapackage, datapackage_json, readme_markdown
from tests.conftest import ROOT, SHARED_SPECS

CHECKED_IN = ROOT / "docs" / "contrat" / "datapackage.json"


def test_export_equals_checked_in_file():
    assert CHECKED_IN.read_text(encoding="utf-8") == datapackage_json()


def test_readme_equals_checked_in_file():
    assert (ROOT / "docs" / "contrat" / "README.md").read_text(
        encoding="utf-8"
    ) == readme_markdown()


def test_cli_exports_the_same_bytes(tmp_path):
    out = tmp_path / "dp.json"
    assert main(["contrat", "--datapackage", str(out)]) == 0
    assert out.read_bytes() == CHECKED_IN.read_bytes()


@pytest.mark.skipif(not (SHARED_SPECS / "datapackage.json").exists(), reason="no ../shared")
def test_checked_in_contract_agrees_with_shared_contract_field_by_field():
    ours = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    shared = json.loads((SHARED_SPECS / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in ours["resources"]] == [r["name"] for r in shared["resources"]]
    for mine, theirs in zip(ours["resources"], shared["resources"], strict=True):
        for key in ("encoding", "dialect", "path", "x-system", "x-direction"):
            assert mine[key] == theirs[key], (mine["name"], key)
        assert mine["schema"]["primaryKey"] == theirs["schema"]["primaryKey"], mine["name"]
        assert mine["schema"]["missingValues"] == theirs["schema"]["missingValues"]
        for a, b in zip(mine["schema"]["fields"], theirs["schema"]["fields"], strict=True):
            assert a == b, (mine["name"], a["name"])
    assert ours == shared


def test_every_flow_has_a_key_that_is_one_of_its_fields():
    for r in datapackage()["resources"]:
        names = [f["name"] for f in r["schema"]["fields"]]
        assert set(r["schema"]["primaryKey"]) <= set(names)
