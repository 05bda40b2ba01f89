"""Failure mode 1: a file still being written when the night runs.

A sender's thread appends lines slowly to its file, without the `.ok` yet, while the night
runs: the file is not read (the flow counts as missing, "déposé sans son .ok"), nothing is
recorded. Once the `.ok` arrives, the next run lands it and every row lands once.
Guard: `ingestion.atterrir` reads a file only when `FichierDepose.complet` (its `.ok`).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import schemas
from schemas.dialect import Ok
from tests.fiabilite import anomalies, attendre, base, executer, lignes, nuit_simple, registre

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_DEMANDEURS").nom_fichier(NUIT)


def _ligne(i: int) -> bytes:
    return f"{2100000 + i:07d}A;Nom{i};Prenom{i};01/01/1991;75112;01/09/2010\n".encode("latin-1")


class _Expediteur(threading.Thread):
    """Appends a line at a time until told to finish, then writes the rest and the `.ok`."""

    def __init__(self, inbox: Path) -> None:
        super().__init__(daemon=True)
        self.chemin = inbox / NOM
        self.ecrites = 0
        self.finir = threading.Event()
        self.total = 0

    def run(self) -> None:
        f = schemas.flux("GIDE_DEMANDEURS")
        with self.chemin.open("wb") as sortie:
            sortie.write((f.header + "\n").encode("latin-1"))
            while not self.finir.is_set():
                sortie.write(_ligne(self.ecrites))
                sortie.flush()
                self.ecrites += 1
                self.finir.wait(0.01)  # a slow sender's pace
            for _ in range(5):
                sortie.write(_ligne(self.ecrites))
                self.ecrites += 1
        self.total = self.ecrites
        data = self.chemin.read_bytes()
        (self.chemin.parent / f"{NOM}.ok").write_bytes(Ok.of(data, self.total).render())


def test_fichier_en_cours_d_ecriture_ignore_jusqu_a_son_ok_puis_chaque_ligne_une_fois(
    tmp_path: Path,
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT, sauf=("GIDE_DEMANDEURS",))
    expediteur = _Expediteur(inbox)
    expediteur.start()
    try:
        attendre(lambda: expediteur.ecrites >= 3, "les premières lignes écrites")
        avant = expediteur.ecrites
        pendant = executer(home, "--date", NUIT.isoformat(), inbox=inbox)
        apres = expediteur.ecrites
    finally:
        expediteur.finir.set()
        expediteur.join(timeout=60)

    assert apres > avant, "le fichier n'était plus en cours d'écriture pendant le run"
    assert pendant.code == 3, pendant.sortie  # incomplete: nothing emitted
    assert NOM not in registre(base(home))["nom"].to_list()
    assert lignes(base(home), "GIDE_DEMANDEURS").height == 0
    manque = anomalies(home, NUIT).filter(fichier=NOM)
    assert manque["code"].to_list() == ["FLUX_MANQUANT"]
    assert "sans son .ok" in manque["message"][0]
    assert not (home / "outbox" / "p3" / "P3_IN_AFFECTATIONS_20101004.csv").exists()

    ensuite = executer(home, "--date", NUIT.isoformat(), inbox=inbox)

    assert ensuite.code == 0, ensuite.sortie
    versions = registre(base(home)).filter(nom=NOM)
    assert versions["statut"].to_list() == ["APPLIQUE"]
    assert versions["lignes_appliquees"].to_list() == [expediteur.total]
    recues = lignes(base(home), "GIDE_DEMANDEURS")
    assert recues.height == expediteur.total
    assert recues["id_de"].n_unique() == expediteur.total
