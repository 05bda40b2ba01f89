"""Failure mode 2: a `.ok` whose row count or checksum does not match its file.

The file is set aside untouched (var/rejets/), none of its rows is applied, the night is
incomplete (nothing emitted, exit 3) and its report carries a BLOQUANT FICHIER_REJETE.
Guards: the sha256 check at landing (`ingestion._atterrir_fichier`) and the row count at
validation (`schemas.verdict.juger_contenu`); the night's completeness (`completude.evaluer`).

A truncated transfer is the usual cause of a checksum mismatch: when the sender then
delivers the whole file with the same `.ok`, it is a new version and is applied (a bug
fixed here: the ledger used to match the `.ok`'s announced checksum and skip it for ever).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import schemas
from schemas.dialect import Ok
from tests.fiabilite import AFFECTATIONS, anomalies, base, executer, lignes, nuit_simple, registre

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_AFFECTATIONS").nom_fichier(NUIT)


def _contenu(n: int) -> bytes:
    f = schemas.flux("GIDE_AFFECTATIONS")
    return (f.header + "\n" + "".join(a + "\n" for a in AFFECTATIONS[:n])).encode("latin-1")


@pytest.mark.parametrize("defaut", ["CHECKSUM", "NB_LIGNES"])
def test_ok_incoherent_fichier_mis_de_cote_rien_applique_anomalie_bloquante(
    tmp_path: Path, defaut: str
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT)
    complet = _contenu(2)
    if defaut == "CHECKSUM":  # the transfer stopped half-way; the .ok is the sender's
        recu, ok = complet[: len(complet) - 20], Ok.of(complet, 2)
    else:  # the .ok announces one row more than the file holds
        recu, ok = complet, Ok.of(complet, 3)
    (inbox / NOM).write_bytes(recu)
    (inbox / f"{NOM}.ok").write_bytes(ok.render())

    nuit = executer(home, "--date", NUIT.isoformat(), inbox=inbox)

    assert nuit.code == 3, nuit.sortie
    [version] = registre(base(home)).filter(nom=NOM).iter_rows(named=True)
    assert (version["statut"], version["motif_rejet"]) == ("REJETE", defaut)
    assert lignes(base(home), "GIDE_AFFECTATIONS").height == 0
    de_cote = list((home / "rejets").rglob(NOM))
    assert [p.read_bytes() for p in de_cote] == [recu]  # set aside, byte for byte
    assert (inbox / NOM).read_bytes() == recu  # the sender's inbox left as it is
    rejet = anomalies(home, NUIT).filter(code="FICHIER_REJETE")
    assert rejet.select("severite", "fichier").rows() == [("BLOQUANT", NOM)]
    assert not list((home / "outbox").rglob("*_20101004.csv"))

    if defaut == "CHECKSUM":
        (inbox / NOM).write_bytes(complet)  # re-delivered whole, same .ok
        reprise = executer(home, "--date", NUIT.isoformat(), inbox=inbox)
        assert reprise.code == 0, reprise.sortie
        statuts = registre(base(home)).filter(nom=NOM)["statut"].to_list()
        assert statuts == ["REJETE", "APPLIQUE"]
        assert lignes(base(home), "GIDE_AFFECTATIONS").height == 2
