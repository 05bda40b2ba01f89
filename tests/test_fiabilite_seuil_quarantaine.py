"""Failure mode 11: a file whose share of bad rows exceeds the threshold.

Two rows of five fail the contract (40 %, above the default 20 %): the file is rejected
whole rather than applied in part, its reasons are kept for the sender (field and rule, no
value), the night is incomplete (nothing emitted) and the report carries a BLOQUANT
FICHIER_REJETE. The threshold is a setting: at 50 % (PASSERELLE_SEUIL_QUARANTAINE) the same
file is applied but for its two bad rows.
Guard: the share check in `schemas.verdict.juger_contenu` (`Reglages.seuil_quarantaine`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import schemas
from tests.fiabilite import AFFECTATIONS, anomalies, base, executer, lignes, nuit_simple, registre
from tests.inbox_builder import deposer

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_AFFECTATIONS").nom_fichier(NUIT)
BONNES = [
    *AFFECTATIONS,
    "AF2000000003;2000001A;93002;06081;29/09/2010;ACC",
]
MAUVAISES = [
    "AF2000000004;2000002B;93002;06081;31/09/2010;ACC",  # no such day
    "AF2000000005;2000002B;93002;06081;30/09/2010",  # a field short
]


@pytest.mark.parametrize("seuil", [None, "0.5"])
def test_part_de_lignes_en_quarantaine_au_dela_du_seuil_fichier_rejete_en_entier(
    tmp_path: Path, seuil: str | None
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT)
    deposer(inbox, "GIDE_AFFECTATIONS", NUIT, [*BONNES, *MAUVAISES])
    env = {"PASSERELLE_SEUIL_QUARANTAINE": seuil}

    nuit = executer(home, "--date", NUIT.isoformat(), inbox=inbox, env=env)

    [version] = registre(base(home)).filter(nom=NOM).iter_rows(named=True)
    assert version["quarantaine"] == 2
    rapport = anomalies(home, NUIT)
    if seuil is None:
        assert nuit.code == 3, nuit.sortie
        assert (version["statut"], version["motif_rejet"]) == ("REJETE", "SEUIL")
        assert lignes(base(home), "GIDE_AFFECTATIONS").height == 0  # not applied in part
        rejet = rapport.filter(code="FICHIER_REJETE")
        assert rejet.select("severite", "fichier").rows() == [("BLOQUANT", NOM)]
        assert "au-delà du seuil de 20%" in rejet["message"][0]
        assert not list((home / "outbox").rglob("*.csv"))
    else:
        assert nuit.code == 0, nuit.sortie
        assert version["statut"] == "APPLIQUE"
        assert lignes(base(home), "GIDE_AFFECTATIONS").height == 3
        assert "LIGNES_EN_QUARANTAINE" in rapport["code"].to_list()
