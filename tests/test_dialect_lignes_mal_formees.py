"""Several malformed lines spread over a large file are all quarantined (none crashes)."""

from __future__ import annotations

import polars as pl

import schemas
from schemas.dialect import lire
from schemas.validation import REGLE_COLONNES, trier

FLUX = schemas.flux("P3_ENTRETIENS")


def _fichier(nb: int, mal_formees: set[int]) -> bytes:
    lignes = [FLUX.header]
    for i in range(nb):
        if i in mal_formees:
            lignes.append(f"EN{i:010d};1234567A;11001;04/10/2010")  # a field short
        else:
            lignes.append(f"EN{i:010d};1234567A;11001;04/10/2010;INDIVIDUEL")
    return ("\n".join(lignes) + "\n").encode("utf-8")


def test_malformed_lines_spread_over_a_large_file_are_all_quarantined():
    mal_formees = {10, 1_500, 2_900, 4_400, 4_999}
    tri = trier(lire(_fichier(5_000, mal_formees), FLUX), FLUX)
    attendues = sorted(i + 2 for i in mal_formees)  # line 1 is the header
    assert tri.lignes_en_quarantaine["_ligne"].to_list() == attendues
    assert set(tri.quarantaine["regle"]) == {REGLE_COLONNES}
    assert tri.appliquees.height == 5_000 - len(mal_formees)
    assert tri.quarantaine.filter(pl.col("message").str.contains("4 au lieu de 5")).height == 5
