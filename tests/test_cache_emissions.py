"""The copy of what earlier nights sent gives the emission ledger's answer, or is not used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from connectors.database import Database
from connectors.migrations import upgrade
from connectors.tables import emissions, emissions_lots
from pipelines.cache_emissions import derniers_envois, ecrire_lot, lire, prolonger
from tests.banc import Banc

FLUX = "P3_IN_SORTIES"
J1 = dt.date(2010, 10, 4)


def _nuit(i: int) -> dt.date:
    return J1 + dt.timedelta(days=i)


def _envoi(cles: range, version: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"cle": [f"AF{i:010d}" for i in cles], "empreinte": [f"{version}{i:039d}" for i in cles]}
    )


def _egaux(db: Database, cache: Path, nuit: dt.date) -> pl.DataFrame:
    via_copie = derniers_envois(db, FLUX, nuit, cache).sort("cle")
    assert via_copie.equals(derniers_envois(db, FLUX, nuit).sort("cle"))
    return via_copie


def _copies(cache: Path) -> list[str]:
    return sorted(p.stem for p in (cache / FLUX).glob("*.parquet"))


def test_each_night_reads_the_copy_then_the_nights_after_it(banc: Banc, tmp_path: Path):
    cache = tmp_path / "emissions"
    for i in range(4):
        ecrire_lot(banc.db, FLUX, _nuit(i), _envoi(range(i * 3, i * 3 + 5), f"v{i}"))
        _egaux(banc.db, cache, _nuit(i + 1))
    assert _copies(cache) == [_nuit(2).isoformat(), _nuit(3).isoformat()]
    assert all(p.stat().st_mode & 0o077 == 0 for p in (cache / FLUX).iterdir())


def test_the_emission_keeps_the_copy_for_the_next_night_and_its_report(banc: Banc, tmp_path: Path):
    cache = tmp_path / "emissions"
    for i in range(3):
        envoyes, lots = lire(banc.db, FLUX, _nuit(i), cache)
        lot = _envoi(range(i, i + 4), f"v{i}")
        prolonger(
            banc.db,
            FLUX,
            _nuit(i),
            envoyes,
            lots,
            lot,
            ecrire_lot(banc.db, FLUX, _nuit(i), lot),
            cache,
        )
        assert _copies(cache)[-1] == _nuit(i).isoformat()
        _egaux(banc.db, cache, _nuit(i))  # the report of night i
        _egaux(banc.db, cache, _nuit(i + 1))  # the next night
    # A copy made from a read the ledger no longer matches is not kept.
    envoyes, lots = lire(banc.db, FLUX, _nuit(3), cache)
    ecrire_lot(banc.db, FLUX, _nuit(1), _envoi(range(2), "r1"))
    lot = _envoi(range(2), "v3")
    prolonger(
        banc.db, FLUX, _nuit(3), envoyes, lots, lot, ecrire_lot(banc.db, FLUX, _nuit(3), lot), cache
    )
    assert _nuit(3).isoformat() not in _copies(cache)
    _egaux(banc.db, cache, _nuit(4))


def test_a_night_rewritten_after_the_copy_was_made_is_read_again(banc: Banc, tmp_path: Path):
    cache = tmp_path / "emissions"
    for i in range(3):
        ecrire_lot(banc.db, FLUX, _nuit(i), _envoi(range(5), f"v{i}"))
    _egaux(banc.db, cache, _nuit(3))  # the copy now covers nights 0 to 2
    # Night 1 is re-run with other contents (a late file): same row count, new fingerprints.
    ecrire_lot(banc.db, FLUX, _nuit(1), _envoi(range(5), "r1"))
    ecrire_lot(banc.db, FLUX, _nuit(2), _envoi(range(2), "r2"))
    lu = _egaux(banc.db, cache, _nuit(3))
    assert lu.filter(pl.col("cle") == "AF0000000004")["empreinte"].item().startswith("r1")


def test_a_night_whose_write_did_not_finish_keeps_the_copy_out(banc: Banc, tmp_path: Path):
    cache = tmp_path / "emissions"
    ecrire_lot(banc.db, FLUX, _nuit(0), _envoi(range(5), "v0"))
    _egaux(banc.db, cache, _nuit(1))
    # A write of night 1 stopped after its rows (its lot has no token yet).
    with banc.db.engine.begin() as conn:
        conn.execute(sa.insert(emissions_lots).values(flux=FLUX, nuit=_nuit(1), lignes=1))
    banc.db.inserer(
        emissions,
        _envoi(range(1), "x1").with_columns(
            pl.lit(FLUX).alias("flux"), pl.lit(_nuit(1)).alias("nuit")
        ),
    )
    lu = _egaux(banc.db, cache, _nuit(2))
    assert lu.filter(pl.col("cle") == "AF0000000000")["empreinte"].item().startswith("x1")
    assert _copies(cache) == [_nuit(0).isoformat()]  # not renewed over an unsigned night


def test_the_migration_signs_the_emissions_already_written(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(db, "0001")
    db.inserer(
        emissions,
        _envoi(range(3), "v").with_columns(pl.lit(FLUX).alias("flux"), pl.lit(J1).alias("nuit")),
    )
    upgrade(db)
    lots = db.lire(sa.select(emissions_lots))
    assert lots.select("flux", "nuit", "lignes").rows() == [(FLUX, J1, 3)]
    assert lots["jeton"].item() is not None
    _egaux(db, tmp_path / "emissions", _nuit(1))
