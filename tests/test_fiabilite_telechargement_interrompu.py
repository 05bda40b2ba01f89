"""Failure mode 8: a download killed half-way.

A night runs through SFTP in a process of its own; half-way through the download of
GIDE_DEMANDEURS (after its first block, a breakpoint) the process is killed (SIGKILL: no
clean-up runs). What it leaves is a hidden `.part` file tagged with its pid, never a file
under the final name, and nothing in the ledger. The next run removes that orphan (its pid
is dead: personal data does not linger), downloads the file whole, checks its size and its
sha256 against the `.ok`, and only then gives it its name; every row lands once.
Guards: `SftpDropZone.telecharger` (`.part`, size check, `os.replace`) and the sha256 check
at landing; `dropzone.supprimer_temporaires_abandonnes`.
The zone-level cases (the connection cut or frozen mid-download) are in tests/test_sftp.py:
test_connexion_coupee_pendant_telechargement_reprise_complete,
test_serveur_fige_pendant_telechargement_delai_borne.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import schemas
from fixtures.sshd import ServeurSsh
from tests.fiabilite import (
    Processus,
    attendre_arret,
    base,
    envoyer_gide_sur_sftp,
    executer,
    gros_demandeurs,
    lignes,
    nuit_simple,
    point_d_arret,
    registre,
    zone_gide_sftp,
)

pytestmark = pytest.mark.sftp

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_DEMANDEURS").nom_fichier(NUIT)


def test_telechargement_tue_a_mi_chemin_aucun_fichier_partiel_sous_le_nom_final(
    sshd: ServeurSsh, tmp_path: Path
):
    nuit_simple(tmp_path / "inbox", NUIT)
    n = len(gros_demandeurs(tmp_path / "inbox", NUIT, 6000))
    reglages = zone_gide_sftp(sshd, tmp_path)
    envoyer_gide_sur_sftp(tmp_path)
    taille = (tmp_path / "serveur" / "inbox" / NOM).stat().st_size
    home, marqueur = tmp_path / "var", tmp_path / "arret"
    args = ("--date", NUIT.isoformat(), "--sftp-config", str(reglages))
    env = point_d_arret("telechargement", NOM, marqueur)
    with Processus(home, *args, inbox=tmp_path / "inbox", env=env) as nuit:
        attendre_arret(nuit, marqueur)
        nuit.tuer()

    recus = home / "staging" / "sftp" / "gide"
    [part] = [p for p in recus.iterdir() if p.name.startswith(f".{NOM}.")]
    assert part.name.endswith(".part") and f".{nuit.pid}-" in part.name
    assert 0 < part.stat().st_size < taille  # stopped half-way
    assert not list(home.rglob(NOM)) and not list(home.rglob(f"{NOM}.*[0-9a-f]"))
    assert NOM not in registre(base(home))["nom"].to_list()

    reprise = executer(home, *args, inbox=tmp_path / "inbox")

    assert reprise.code == 0, reprise.sortie
    assert list(recus.iterdir()) == []  # the orphan is gone, the new copy handed over
    [version] = registre(base(home)).filter(nom=NOM).iter_rows(named=True)
    assert version["statut"] == "APPLIQUE" and version["lignes_appliquees"] == n
    assert lignes(base(home), "GIDE_DEMANDEURS").height == n
