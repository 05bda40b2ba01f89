"""Failure mode 9: an upload killed half-way.

A night runs through SFTP in a process of its own (GIDE's outbox on the session's sshd). In
the middle of the upload of GIDE_IN_INITIALISATIONS, once its bytes are on the server under
their temporary name and before the rename (a breakpoint), the process is killed (SIGKILL).
The server then holds a hidden `.part` file, created 0600, and neither the final name nor
its `.ok`: GIDE cannot pick up anything partial. The re-run of the night removes the orphan
and leaves exactly one complete file, whose sha256 is the one its `.ok` announces.
Guards: `SftpDropZone._publier` (hidden temporary name created 0600, checked, posix-rename,
then the `.ok`) and `_nettoyer_temporaires`. Zone-level cases, with the final name watched
during the upload: tests/test_sftp.py test_depot_nom_final_jamais_partiel,
test_depot_rejoue_laisse_un_seul_fichier_complet,
test_connexion_coupee_pendant_depot_reprise_complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from pathlib import Path

import pytest

import schemas
from fixtures.sshd import ServeurSsh
from schemas.dialect import Ok
from tests.fiabilite import (
    Processus,
    attendre_arret,
    envoyer_gide_sur_sftp,
    executer,
    nuit_simple,
    point_d_arret,
    zone_gide_sftp,
)

pytestmark = pytest.mark.sftp

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_IN_INITIALISATIONS").nom_fichier(NUIT)


def test_depot_tue_a_mi_chemin_nom_final_jamais_partiel_puis_un_seul_fichier_complet(
    sshd: ServeurSsh, tmp_path: Path
):
    nuit_simple(tmp_path / "inbox", NUIT)
    reglages = zone_gide_sftp(sshd, tmp_path)
    envoyer_gide_sur_sftp(tmp_path)
    outbox = tmp_path / "serveur" / "outbox"
    home, marqueur = tmp_path / "var", tmp_path / "arret"
    args = ("--date", NUIT.isoformat(), "--sftp-config", str(reglages))
    env = point_d_arret("depot", NOM, marqueur)
    with Processus(home, *args, inbox=tmp_path / "inbox", env=env) as nuit:
        attendre_arret(nuit, marqueur)
        pendant = {e.name: stat.S_IMODE(e.stat().st_mode) for e in os.scandir(outbox)}
        nuit.tuer()

    [(temporaire, mode)] = [(n, m) for n, m in pendant.items() if NOM in n]
    assert temporaire.startswith(f".{NOM}.") and temporaire.endswith(".part")
    assert mode == 0o600
    restes = sorted(os.listdir(outbox))
    assert NOM not in restes and f"{NOM}.ok" not in restes
    assert temporaire in restes  # what a killed client leaves: hidden, never the final name

    reprise = executer(home, *args, inbox=tmp_path / "inbox")

    assert reprise.code == 0, reprise.sortie
    restes = sorted(n for n in os.listdir(outbox) if NOM in n)
    assert restes == [NOM, f"{NOM}.ok"]
    data = (outbox / NOM).read_bytes()
    ok = Ok.parse((outbox / f"{NOM}.ok").read_bytes())
    assert ok.sha256 == hashlib.sha256(data).hexdigest()
    assert ok.rows == 2 and data.count(b"\n") == 3
    assert stat.S_IMODE((outbox / NOM).stat().st_mode) == 0o600
