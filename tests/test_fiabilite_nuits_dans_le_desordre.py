"""Failure mode 5: nights arriving out of order, and a correction of D-1 arriving after D.

Alice's commune is 75112 in D-1's file and 75113 in D's; a corrected D-1 file (75114)
arrives last. Whatever the order of arrival, the state of D-1 is the corrected D-1 and the
state of D is D's file: each row counts for its file's business date, then its version,
never for when it arrived. The same files delivered in date order or out of order give the
same states (the history as of each night, and DUDE_IN_ETATS, the full snapshot).
Guard: `rules.historique.au` sorts by the file's date before its arrival order.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

import schemas
from pipelines.ingestion import charger_historique
from rules.historique import ORDRE, au
from tests.fiabilite import DEMANDEURS, base, executer, nuit_simple
from tests.inbox_builder import deposer

VEILLE, NUIT = dt.date(2010, 10, 4), dt.date(2010, 10, 5)


def _demandeurs(commune: str) -> list[str]:
    return [DEMANDEURS[0].replace(";75112;", f";{commune};"), DEMANDEURS[1]]


def _livrer(inbox: Path, quoi: str) -> None:
    if quoi == "veille":
        nuit_simple(inbox, VEILLE)  # Alice lives in 75112
    elif quoi == "nuit":
        nuit_simple(inbox, NUIT, lignes={"GIDE_DEMANDEURS": _demandeurs("75113")})
    else:  # the eve's file, corrected, re-delivered under its name
        deposer(inbox, "GIDE_DEMANDEURS", VEILLE, _demandeurs("75114"))


def _etats(home: Path) -> dict[dt.date, dict[str, pl.DataFrame]]:
    historique = charger_historique(base(home), NUIT)
    out = {}
    for jour in (VEILLE, NUIT):
        out[jour] = {
            f: _trie(frame.collect().drop(ORDRE))  # arrival numbers differ, by design
            for f, frame in au(historique, jour).items()
        }
    return out


def _trie(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _commune_d_alice(etats: dict[str, pl.DataFrame]) -> str:
    return etats["GIDE_DEMANDEURS"].filter(id_de="2000001A")["code_commune"].item()


def test_nuits_dans_le_desordre_et_correction_tardive_etat_par_date_metier(tmp_path: Path):
    dans_l_ordre, desordre = tmp_path / "ordre", tmp_path / "desordre"
    # In date order: the eve, then the night; the eve's correction comes last.
    for quoi in ("veille", "nuit"):
        _livrer(dans_l_ordre / "inbox", quoi)
    a = executer(
        dans_l_ordre / "var",
        "--from",
        VEILLE.isoformat(),
        "--to",
        NUIT.isoformat(),
        inbox=dans_l_ordre / "inbox",
    )
    _livrer(dans_l_ordre / "inbox", "correction")
    a2 = executer(dans_l_ordre / "var", "--date", NUIT.isoformat(), inbox=dans_l_ordre / "inbox")
    # Out of order: the night first (run alone), then the eve; the correction last, landed by
    # the next run of the night (a run lands every late file dated on or before its night).
    _livrer(desordre / "inbox", "nuit")
    b = executer(desordre / "var", "--date", NUIT.isoformat(), inbox=desordre / "inbox")
    _livrer(desordre / "inbox", "veille")
    _livrer(desordre / "inbox", "correction")
    b2 = executer(
        desordre / "var",
        "--from",
        VEILLE.isoformat(),
        "--to",
        NUIT.isoformat(),
        inbox=desordre / "inbox",
    )

    for e in (a, a2, b, b2):
        assert e.code == 0, e.sortie
    ordre, pas_ordre = _etats(dans_l_ordre / "var"), _etats(desordre / "var")
    assert _commune_d_alice(ordre[VEILLE]) == _commune_d_alice(pas_ordre[VEILLE]) == "75114"
    assert _commune_d_alice(ordre[NUIT]) == _commune_d_alice(pas_ordre[NUIT]) == "75113"
    for jour in (VEILLE, NUIT):
        for f in schemas.ENTRANTS:
            assert ordre[jour][f.nom].equals(pas_ordre[jour][f.nom]), (jour, f.nom)
    dude = schemas.flux("DUDE_IN_ETATS").nom_fichier(NUIT)
    assert (dans_l_ordre / "var" / "outbox" / "dude" / dude).read_bytes() == (
        desordre / "var" / "outbox" / "dude" / dude
    ).read_bytes()
