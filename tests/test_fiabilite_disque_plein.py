"""Failure mode 15: the disk fills up while the night writes its outbound files or report.

The outbox (or the reports folder) is a small tmpfs, filled up but for a few pages: the
night writes what fits, then a write fails. The run stops with a clear message (exit 1);
no file stands partial under its final name (what is there is whole: the same bytes the
successful re-run writes), no temporary file is left; once space is freed the same night
is re-run and completes.
Guards: `dropzone.ecrire_atomique` (temporary file, fsync, rename; removed on error, full
disk said in French) and `reporting.ecriture.ecrire_rapport` (the night's folder replaced
whole). The SFTP side (a full server disk) is tests/test_sftp.py
test_depot_disque_plein_erreur_claire_rien_de_partiel.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from tests.fiabilite import executer, nuit_simple

NUIT = dt.date(2010, 10, 4)
PAGE = 4096


def _remplir(dossier: Path, pages_libres: int) -> Path:
    libre = os.statvfs(dossier)
    bouche_trou = dossier / ".bouche-trou"
    bouche_trou.write_bytes(b"\0" * (libre.f_bavail * libre.f_frsize - pages_libres * PAGE))
    return bouche_trou


def _fichiers(dossier: Path) -> dict[str, str]:
    return {
        str(p.relative_to(dossier)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dossier.rglob("*"))
        if p.is_file() and p.name != ".bouche-trou"
    }


@pytest.mark.parametrize("ou", ["outbox", "reports"])
def test_disque_plein_erreur_claire_aucun_fichier_partiel_puis_nuit_rejouee(
    tmp_path: Path, petit_tmpfs: Path, ou: str
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT)
    bouche_trou = _remplir(petit_tmpfs, pages_libres=6)
    args = ("--date", NUIT.isoformat(), f"--{ou}", str(petit_tmpfs))

    plein = executer(home, *args, inbox=inbox)

    assert plein.code == 1, plein.sortie
    assert "espace disque insuffisant" in plein.sortie
    ecrits = _fichiers(petit_tmpfs)
    assert not [n for n in ecrits if n.endswith(".tmp") or "/." in f"/{n}"]  # no temporary
    bouche_trou.unlink()

    reprise = executer(home, *args, inbox=inbox)

    assert reprise.code == 0, reprise.sortie
    final = _fichiers(petit_tmpfs)
    for nom, empreinte in ecrits.items():  # whatever the full disk let through was whole
        assert final.get(nom) == empreinte, nom
    if ou == "outbox":
        assert 0 < len(ecrits) < len(final) == 22  # the disk filled up half-way
    else:
        assert final and not any(n.startswith(NUIT.isoformat()) for n in ecrits)
