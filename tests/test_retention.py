"""`passerelle purge`: copies and quarantined rows go, the ledger's audit trail stays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from connectors.tables import fichiers
from pipelines.cli import main
from pipelines.retention import purger
from tests.banc import NUIT, Banc
from tests.inbox_builder import deposer, nuit_vide

AFFECTATION = "AF0000000001;1234567A;75012;75001;01/10/2010;ACC"


def _deux_nuits(banc: Banc) -> None:
    banc.reglages = banc.reglages.avec(seuil_quarantaine=1.0)
    for nuit in (NUIT, NUIT + dt.timedelta(days=1)):
        nuit_vide(banc.inbox, nuit, sauf=("GIDE_AFFECTATIONS", "P3_CIVIS"))
        deposer(banc.inbox, "GIDE_AFFECTATIONS", nuit, [AFFECTATION, "mauvaise;ligne"])
        deposer(banc.inbox, "P3_CIVIS", nuit, [], ok=b"sha256=" + b"1" * 64 + b";rows=0\n")
        banc.ingerer(nuit)


def test_purge_removes_copies_and_quarantine_before_the_date_and_keeps_the_ledger(banc: Banc):
    _deux_nuits(banc)
    ledger_avant = banc.db.lire(
        sa.select(fichiers.c.nom, fichiers.c.sha256, fichiers.c.statut, fichiers.c.quarantaine)
    ).sort("nom")
    de_cote = [
        Path(p)
        for p in banc.db.lire("select chemin_de_cote from fichiers")["chemin_de_cote"].drop_nulls()
    ]
    assert len(de_cote) == 2 and all(p.exists() for p in de_cote)

    resultat = purger(banc.db, banc.reglages, NUIT + dt.timedelta(days=1))

    assert resultat.lignes_quarantaine_supprimees == 1
    q = banc.quarantaine()
    assert q["nom"].to_list() == ["GIDE_AFFECTATIONS_20101005.csv"]  # the later night stays
    assert not de_cote[0].exists() and de_cote[1].exists()
    staging = sorted(p.name for p in banc.reglages.staging.iterdir())
    assert all("20101005" in n for n in staging)
    ledger_apres = banc.db.lire(
        sa.select(fichiers.c.nom, fichiers.c.sha256, fichiers.c.statut, fichiers.c.quarantaine)
    ).sort("nom")
    assert ledger_apres.equals(ledger_avant)  # the audit trail: names, checksums, counts
    assert banc.lignes("GIDE_AFFECTATIONS").height == 2  # the history the rules need stays


def test_purge_command(banc: Banc, capsys, monkeypatch):
    monkeypatch.setenv("PASSERELLE_HOME", str(banc.reglages.home))
    _deux_nuits(banc)
    code = main(["purge", "--before", "2010-10-06", "--db", banc.reglages.db_url])
    assert code == 0
    assert "registre des fichiers est conservé" in capsys.readouterr().out
    assert banc.quarantaine().height == 0
    assert not any(banc.reglages.rejets.iterdir())
