"""The stock reconciliation given bad stocks (issue "Bad input"), end to end.

The two young people of tests/fiabilite.py; every stock below is P3's, GIDE's or DUDE's
view of them, broken on purpose. The quarantine threshold is raised so that a two-row stock
with one bad row is not rejected whole (that rule is tested with the ingestion).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest

import schemas
from schemas.dialect import Ok
from tests.fiabilite import executer, nuit_simple
from tests.inbox_builder import deposer
from tests.test_rapprochement_nuit import DUDE_JUSTE, GIDE_JUSTE, P3_JUSTE, A, B

N1, N2, N3, N4 = (dt.date(2010, 10, 4) + dt.timedelta(days=i) for i in range(4))
SEUIL = {"PASSERELLE_SEUIL_QUARANTAINE": "0.9"}


def _csv(home: Path, nuit: dt.date, nom: str) -> pl.DataFrame:
    data = (home / "reports" / nuit.isoformat() / nom).read_bytes()
    return pl.read_csv(io.BytesIO(data), separator=";", infer_schema=False)


def _stock(home: Path, nuit: dt.date, systeme: str) -> set[tuple[str, str, str]]:
    r = _csv(home, nuit, "rapprochement.csv").filter(pl.col("systeme") == systeme)
    return set(r.select("code", "id_affectation", "date_stock").iter_rows())


def _run(home: Path, nuit: dt.date) -> None:
    execution = executer(home, "--date", nuit.isoformat(), inbox=home / "inbox", env=SEUIL)
    assert execution.code == 0, execution.sortie


@pytest.fixture(scope="module")
def nuits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("mauvais_stocks")
    inbox = home / "inbox"
    nuit_simple(inbox, N1)
    # a stock dated the first night: nothing was sent before, P3 holds what it should not
    deposer(inbox, "P3_STOCK", N1, [P3_JUSTE[A], P3_JUSTE[B]])
    _run(home, N1)
    nuit_simple(inbox, N2, {})
    deposer(inbox, "P3_STOCK", N2, [P3_JUSTE[A], P3_JUSTE[B].replace(";INSCRIT;", ";PERDU;")])
    conflit = DUDE_JUSTE[A].replace("ACCOMPAGNEMENT;ACTIF", "ENTREE;ACCEPTATION")
    deposer(inbox, "DUDE_STOCK", N2, [DUDE_JUSTE[A], conflit, DUDE_JUSTE[B]])
    deposer(inbox, "GIDE_STOCK", N2, [])  # header only
    _run(home, N2)
    nuit_simple(inbox, N3, {})
    lignes = [GIDE_JUSTE[A], GIDE_JUSTE[B]]
    deposer(inbox, "GIDE_STOCK", N3, lignes, ok=Ok.of(b"autre chose", 2).render())
    _run(home, N3)
    nuit_simple(inbox, N4, {})
    deposer(inbox, "P3_STOCK", N4, [P3_JUSTE[A], P3_JUSTE[B]])
    _run(home, N4)
    # the same stock delivered again, corrected: B is no longer in it
    deposer(inbox, "P3_STOCK", N4, [P3_JUSTE[A]])
    _run(home, N4)
    return home


def test_r1_a_stock_of_a_first_night_expects_nothing_sent(nuits: Path):
    r = _csv(nuits, N1, "rapprochement.csv")
    assert set(r.select("code", "id_affectation").iter_rows()) == {
        ("STOCK_EPISODE_EN_TROP", A),
        ("STOCK_EPISODE_EN_TROP", B),
    }
    assert r["cause"].to_list() == [
        "ouvert dans Passerelle (affectation du 27/09/2010), pas encore chargé par ce système",
        "ouvert dans Passerelle (affectation du 28/09/2010), pas encore chargé par ce système",
    ]


def test_r1_quarantined_stock_rows_are_never_reported_missing(nuits: Path):
    assert _stock(nuits, N2, "P3") == set()  # B's row is in quarantine, A agrees
    # DUDE listed A twice with different values: both rows quarantined, A not missing
    assert _stock(nuits, N2, "DUDE") == set()
    a = _csv(nuits, N2, "anomalies.csv")
    assert {"DOUBLON_CONFLICTUEL", "LIGNES_EN_QUARANTAINE"} <= set(a["code"])


def test_r3_an_empty_stock_misses_everything_expected(nuits: Path):
    assert _stock(nuits, N2, "GIDE") == {
        ("STOCK_EPISODE_MANQUANT", A, "2010-10-05"),
        ("STOCK_EPISODE_MANQUANT", B, "2010-10-05"),
    }


def test_r1_a_stock_rejected_whole_replaces_nothing_and_the_night_is_emitted(nuits: Path):
    a = _csv(nuits, N3, "anomalies.csv")
    rejet = a.filter(pl.col("code") == "STOCK_REJETE")
    assert rejet["fichier"].to_list() == ["GIDE_STOCK_20101006.csv"]
    assert "FICHIER_REJETE" not in set(a["code"]) and "FLUX_MANQUANT" not in set(a["code"])
    sortant = schemas.flux("P3_IN_AFFECTATIONS").nom_fichier(N3)
    assert (nuits / "outbox" / "p3" / sortant).exists()  # the night was emitted
    # the stock compared is still the one of N2
    assert _stock(nuits, N3, "GIDE") == {
        ("STOCK_EPISODE_MANQUANT", A, "2010-10-05"),
        ("STOCK_EPISODE_MANQUANT", B, "2010-10-05"),
    }


def test_r1_the_latest_version_of_a_stock_is_the_one_compared(nuits: Path):
    assert _stock(nuits, N4, "P3") == {("STOCK_EPISODE_MANQUANT", B, "2010-10-07")}
