"""The columnar copy of the history: the same rows as the database, checked by the ledger."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl

import schemas
from pipelines import cache_historique, ingestion
from rules.historique import au
from tests.banc import Banc
from tests.echantillon import INBOX, NUITS
from tests.inbox_builder import deposer, nuit_vide


def _en_vigueur(banc: Banc, nuit: dt.date, cache: Path | None) -> dict[str, pl.DataFrame]:
    h = ingestion.charger_historique(banc.db, nuit, cache)
    return {nom: rows.collect().sort(pl.all()) for nom, rows in au(h, nuit).items()}


def _egaux(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for nom in a:
        assert a[nom].equals(b[nom]), nom


def _banc_echantillon(banc: Banc, nuits: list[dt.date]) -> Banc:
    banc.inbox.mkdir(parents=True, exist_ok=True)
    for f in INBOX.iterdir():
        shutil.copy(f, banc.inbox / f.name)
    for nuit in nuits:
        banc.ingerer(nuit)
    return banc


def test_cache_gives_the_rows_of_the_database_each_night(banc: Banc, tmp_path: Path):
    _banc_echantillon(banc, NUITS[:3])
    cache = tmp_path / "cache"
    for nuit in NUITS[:3]:
        _egaux(_en_vigueur(banc, nuit, cache), _en_vigueur(banc, nuit, None))
    # one folder per flow that has applied files (the sample sends no stock file)
    appliques = set(cache_historique.versions_appliquees(banc.db).get_column("flux"))
    assert appliques <= {f.nom for f in schemas.ENTRANTS}
    assert {p.name for p in cache.iterdir()} == appliques
    assert all(p.stat().st_mode & 0o077 == 0 for p in cache.rglob("*"))


def test_an_earlier_night_ignores_the_cached_rows_of_later_files(banc: Banc, tmp_path: Path):
    _banc_echantillon(banc, NUITS[:3])
    cache = tmp_path / "cache"
    _en_vigueur(banc, NUITS[2], cache)  # the cache now holds the files of the three nights
    _egaux(_en_vigueur(banc, NUITS[0], cache), _en_vigueur(banc, NUITS[0], None))


def test_a_segment_that_disagrees_with_the_ledger_is_set_aside(banc: Banc, tmp_path: Path):
    _banc_echantillon(banc, NUITS[:1])
    cache = tmp_path / "cache"
    _en_vigueur(banc, NUITS[0], cache)
    dossier = cache / "GIDE_STATUTS"
    (segment,) = list(dossier.glob("*.parquet"))
    versions = json.loads(pl.read_parquet_metadata(segment)[cache_historique.CLE_METADONNEES])
    lignes = pl.read_parquet(segment)
    # A copy missing one row, described as holding the whole file: its count is wrong.
    versions = {int(k): tuple(v) for k, v in versions.items()}
    faux = {k: (*v[:3], v[3] + 1) for k, v in versions.items()}
    segment.unlink()
    cache_historique.ecrire_segment(dossier, lignes.slice(1), faux)
    _egaux(_en_vigueur(banc, NUITS[0], cache), _en_vigueur(banc, NUITS[0], None))
    (neuf,) = list(dossier.glob("*.parquet"))
    assert pl.read_parquet(neuf).height == lignes.height


def test_a_new_version_of_a_file_replaces_the_cached_one(banc: Banc, tmp_path: Path):
    cache = tmp_path / "cache"
    nuit = NUITS[0]
    nuit_vide(banc.inbox, nuit, sauf=("GIDE_AFFECTATIONS",))
    ligne = "AF0000000001;1234567A;75012;75001;01/10/2010;ACC"
    deposer(banc.inbox, "GIDE_AFFECTATIONS", nuit, [ligne])
    banc.ingerer(nuit)
    _en_vigueur(banc, nuit, cache)
    deposer(banc.inbox, "GIDE_AFFECTATIONS", nuit, [ligne.replace("75012", "75013")])
    banc.ingerer(nuit)
    lu = _en_vigueur(banc, nuit, cache)["GIDE_AFFECTATIONS"]
    assert lu.select("id_affectation", "code_ml").rows() == [("AF0000000001", "75013")]
    _egaux(_en_vigueur(banc, nuit, cache), _en_vigueur(banc, nuit, None))


def test_many_small_segments_are_merged(banc: Banc, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(cache_historique, "SEGMENTS_MAX", 2)
    _banc_echantillon(banc, [])
    cache = tmp_path / "cache"
    for nuit in NUITS[:4]:
        banc.ingerer(nuit)
        _en_vigueur(banc, nuit, cache)
    assert len(list((cache / "P3_ENTRETIENS").glob("*.parquet"))) <= 2
    _egaux(_en_vigueur(banc, NUITS[3], cache), _en_vigueur(banc, NUITS[3], None))


def test_the_state_of_the_night_is_reused_only_while_the_ledger_holds(banc: Banc, tmp_path):
    from pipelines import etat_nuit

    nuit = NUITS[0]
    _banc_echantillon(banc, [nuit])
    premier = etat_nuit.du_jour(banc.db, nuit, tmp_path / "cache")
    assert etat_nuit.du_jour(banc.db, nuit, tmp_path / "cache") is premier
    # A new version of one of the night's files: the state is computed again.
    nom = schemas.flux("P3_ALERTES").nom_fichier(nuit)
    lignes = (INBOX / nom).read_text(encoding="utf-8").splitlines()[1:]
    deposer(banc.inbox, "P3_ALERTES", nuit, lignes[:-1])
    banc.ingerer(nuit)
    second = etat_nuit.du_jour(banc.db, nuit, tmp_path / "cache")
    assert second is not premier and second.versions != premier.versions
    frais = etat_nuit.calculer(banc.db, nuit)
    assert second.etat.alertes.equals(frais.etat.alertes)
    assert second.etat.alertes.height == premier.etat.alertes.height - 1
