"""Outbound upserts (FLOWS.md, Outbound semantics) and the emission ledger."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

import schemas
from connectors.database import Database
from connectors.dropzone import LocalDropZone
from pipelines.emission import emettre
from pipelines.empreinte import empreintes
from schemas.dialect import Ok

N1, N2, N3 = (dt.date(2010, 10, 4) + dt.timedelta(days=i) for i in range(3))
SORTIES = schemas.flux("P3_IN_SORTIES")


def _sorties(*rows: tuple[str, str, dt.date, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={c: SORTIES.types_polars[c] for c in SORTIES.colonnes},
        orient="row",
    )


A = ("AF0000000001", "1234567A", dt.date(2010, 9, 30), "SUSPENSION_6_MOIS")
B = ("AF0000000002", "1234568B", dt.date(2010, 10, 1), "AGE_26_ANS")
B2 = ("AF0000000002", "1234568B", dt.date(2010, 9, 29), "DEMENAGEMENT")


@pytest.fixture
def zone(tmp_path: Path) -> LocalDropZone:
    return LocalDropZone(tmp_path / "inbox", tmp_path / "outbox" / "p3")


@pytest.fixture
def base(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    db.creer_schema()
    return db


def _lignes(zone: LocalDropZone, nuit: dt.date) -> list[str]:
    return (zone.outbox / SORTIES.nom_fichier(nuit)).read_text(encoding="utf-8").splitlines()[1:]


def test_a_record_goes_out_the_first_night_it_exists_and_again_only_when_it_changes(zone, base):
    e1 = emettre(base, zone, SORTIES, N1, _sorties(A))
    assert (e1.enregistrements, e1.nouveaux) == (1, 1)
    e2 = emettre(base, zone, SORTIES, N2, _sorties(A, B))
    assert (e2.enregistrements, e2.nouveaux, e2.modifies) == (1, 1, 0)
    assert _lignes(zone, N2) == ["AF0000000002;1234568B;01/10/2010;AGE_26_ANS"]
    e3 = emettre(base, zone, SORTIES, N3, _sorties(A, B2))
    assert (e3.enregistrements, e3.nouveaux, e3.modifies) == (1, 0, 1)
    assert _lignes(zone, N3) == ["AF0000000002;1234568B;29/09/2010;DEMENAGEMENT"]


def test_every_flow_is_written_even_with_no_record_header_only(zone, base):
    emettre(base, zone, SORTIES, N1, _sorties(A))
    e = emettre(base, zone, SORTIES, N2, _sorties(A))
    assert e.enregistrements == 0
    data = (zone.outbox / SORTIES.nom_fichier(N2)).read_bytes()
    assert data == (SORTIES.header + "\n").encode()
    assert Ok.parse((zone.outbox / (SORTIES.nom_fichier(N2) + ".ok")).read_bytes()) == Ok.of(
        data, 0
    )


def test_rerunning_a_night_after_later_ones_rewrites_its_original_bytes(zone, base):
    emettre(base, zone, SORTIES, N1, _sorties(A))
    emettre(base, zone, SORTIES, N2, _sorties(A, B))
    original = (zone.outbox / SORTIES.nom_fichier(N2)).read_bytes()
    emettre(base, zone, SORTIES, N3, _sorties(A, B2))
    emettre(base, zone, SORTIES, N2, _sorties(A, B))  # the runs of N2 and N3 are ignored
    assert (zone.outbox / SORTIES.nom_fichier(N2)).read_bytes() == original


def test_a_night_never_run_sent_nothing(zone, base):
    emettre(base, zone, SORTIES, N3, _sorties(A, B))  # N1 and N2 never ran
    assert len(_lignes(zone, N3)) == 2


def test_records_are_sorted_by_key_in_the_receiving_dialect(zone, base):
    emettre(base, zone, SORTIES, N1, _sorties(B, A))
    assert [line.split(";")[0] for line in _lignes(zone, N1)] == ["AF0000000001", "AF0000000002"]


def test_dude_snapshot_is_full_every_night(tmp_path, base):
    etats = schemas.flux("DUDE_IN_ETATS")
    zone = LocalDropZone(tmp_path / "inbox", tmp_path / "outbox" / "dude")
    frame = pl.DataFrame(
        [
            (
                "AF0000000001",
                "1234567A",
                "75012",
                "ENTREE",
                "AFFECTATION",
                dt.date(2010, 10, 1),
                dt.date(2010, 10, 1),
                None,
                None,
                None,
                None,
            )
        ],
        schema={c: etats.types_polars[c] for c in etats.colonnes},
        orient="row",
    )
    emettre(base, zone, etats, N1, frame)
    e = emettre(base, zone, etats, N2, frame)
    assert e.enregistrements == 1
    ligne = (zone.outbox / etats.nom_fichier(N2)).read_text().splitlines()[1]
    assert ligne == "AF0000000001;1234567A;75012;ENTREE;AFFECTATION;2010-10-01;2010-10-01;;;;"


def test_a_record_breaking_the_contract_is_not_sent(zone, base):
    bad = _sorties(("AF0000000001", "1234567A", dt.date(2010, 9, 30), "INCONNU"))
    e = emettre(base, zone, SORTIES, N1, bad)
    assert e.non_conformes == 1
    assert not (zone.outbox / SORTIES.nom_fichier(N1)).exists()


def test_fingerprints_are_stable_fnv1a_values():
    # FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: the fingerprint never depends on a library
    assert empreintes(pl.Series(["a"]))[0].startswith(str(0xAF63DC4C8601EC8C))
    assert empreintes(pl.Series(["x", None, "x"])).to_list()[0] == empreintes(pl.Series(["x"]))[0]


def test_r2_the_ledger_keeps_the_traced_content_sent_typed_back_per_key(zone, base):
    from pipelines.envois import contenu_envoye

    emettre(base, zone, SORTIES, N1, _sorties(A, B))
    emettre(base, zone, SORTIES, N2, _sorties(A, B2))
    par_nuit = {
        n: contenu_envoye(base, SORTIES.nom, n).select([*SORTIES.cle, "nuit", "date_sortie"])
        for n in (N1, N2)
    }
    assert par_nuit[N1].rows() == [("AF0000000001", N1, A[2]), ("AF0000000002", N1, B[2])]
    # the latest content per key: B's correction of N2
    assert par_nuit[N2].rows() == [("AF0000000001", N1, A[2]), ("AF0000000002", N2, B2[2])]
    seul_n2 = contenu_envoye(base, SORTIES.nom, N2, apres=N1)
    assert seul_n2.get_column("id_affectation").to_list() == ["AF0000000002"]


def test_the_ledger_never_keeps_a_name_or_a_birth_date(zone, base):
    import sqlalchemy as sa

    from connectors.tables import emissions

    flux = schemas.flux("P3_IN_AFFECTATIONS")
    records = pl.DataFrame(
        [
            (
                "AF0000000001",
                "1234567A",
                "Lefèvre",
                "Élodie",
                dt.date(1992, 3, 1),
                "75056",
                "75001",
                dt.date(2010, 9, 1),
            )
        ],
        schema={c: flux.types_polars[c] for c in flux.colonnes},
        orient="row",
    )
    emettre(base, LocalDropZone(zone.inbox, zone.outbox.parent / "p3b"), flux, N1, records)
    with base.engine.connect() as conn:
        (valeurs,) = conn.execute(sa.select(emissions.c.valeurs)).one()
    assert "Lef" not in valeurs and "lodie" not in valeurs and "1992" not in valeurs
    assert "75056" not in valeurs  # the commune of residence stays out too
    assert json.loads(valeurs) == {
        "id_affectation": "AF0000000001",
        "id_de": "1234567A",
        "code_ml": "75001",
        "date_affectation": "01/09/2010",
    }
