"""Failure mode 3: the same file delivered twice, with a process restart in between.

Two separate `passerelle run` processes; between them the sender delivers the same files
again (same bytes, new modification times). The second process applies nothing: the ledger
holds each file once, the tables are unchanged, the outbound files are rewritten identical.
Guards: the ledger key (name, sha256 of the bytes): `ledger.connue` skips a known version,
and the unique constraint on (nom, sha256) refuses a second record of it even when two runs
race (tests/test_fiabilite_runs_concurrents.py).

The same two processes show that what Passerelle creates locally is private (0600 files,
0700 folders) although they start with a server's usual umask of 022 (data protection).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from tests.fiabilite import Processus, base, empreinte_tables, nuit_simple, registre

NUIT = dt.date(2010, 10, 4)


def _empreintes(dossier: Path) -> dict[str, str]:
    return {
        str(p.relative_to(dossier)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dossier.rglob("*"))
        if p.is_file()
    }


@dataclass
class DeuxLivraisons:
    home: Path
    codes: tuple[int, int]
    sorties: str
    registre: tuple[pl.DataFrame, pl.DataFrame]
    tables: tuple[dict[str, str], dict[str, str]]
    sortants: tuple[dict[str, str], dict[str, str]]


@pytest.fixture(scope="module")
def deux_livraisons(tmp_path_factory: pytest.TempPathFactory) -> DeuxLivraisons:
    racine = tmp_path_factory.mktemp("double")
    inbox, home = racine / "inbox", racine / "var"
    nuit_simple(inbox, NUIT)
    with Processus(home, "--date", NUIT.isoformat(), inbox=inbox) as premier:
        code1 = premier.attendre_fin()
    photo1 = (registre(base(home)), empreinte_tables(base(home)), _empreintes(home / "outbox"))
    nuit_simple(inbox, NUIT)  # the same files, delivered again
    with Processus(home, "--date", NUIT.isoformat(), inbox=inbox) as second:
        code2 = second.attendre_fin()
    photo2 = (registre(base(home)), empreinte_tables(base(home)), _empreintes(home / "outbox"))
    return DeuxLivraisons(
        home=home,
        codes=(code1, code2),
        sorties=premier.sortie + second.sortie,
        registre=(photo1[0], photo2[0]),
        tables=(photo1[1], photo2[1]),
        sortants=(photo1[2], photo2[2]),
    )


def test_meme_fichier_livre_deux_fois_avec_redemarrage_applique_une_fois(
    deux_livraisons: DeuxLivraisons,
):
    d = deux_livraisons
    assert d.codes == (0, 0), d.sorties
    avant, apres = d.registre
    assert apres.height == 9 and apres["nom"].n_unique() == 9  # each file once
    assert apres.equals(avant)
    assert d.tables[1] == d.tables[0]
    assert d.sortants[1] == d.sortants[0]
    assert len(d.sortants[0]) == 2 * 11  # every outbound flow and its .ok


def test_fichiers_locaux_prives_malgre_un_umask_022(deux_livraisons: DeuxLivraisons):
    """Data protection: every file 0600, every folder 0700, under the working area."""
    ouverts = []
    for chemin in [deux_livraisons.home, *deux_livraisons.home.rglob("*")]:
        mode = stat.S_IMODE(chemin.lstat().st_mode)
        if mode & 0o077:
            ouverts.append(f"{chemin.relative_to(deux_livraisons.home)} {mode:o}")
    assert not ouverts, ouverts
    nature = {p.suffix for p in deux_livraisons.home.rglob("*") if p.is_file()}
    assert {".db", ".csv", ".ok", ".html", ".xlsx", ".parquet"} <= nature
    assert not any((deux_livraisons.home / "dagster_io").rglob("*"))  # no pickled state
