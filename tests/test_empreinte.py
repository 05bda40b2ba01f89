"""The emission fingerprint is FNV-1a over UTF-8 bytes, two lanes: checked against the
textbook definition written plainly (it must never change, or every record would be resent)."""

from __future__ import annotations

import polars as pl

from pipelines.empreinte import empreintes

PRIME = 0x100000001B3
OFFSETS = (0xCBF29CE484222325, 0x84222325CBF29CE4)


def _fnv1a(texte: str | None) -> str:
    lanes = []
    for h in OFFSETS:
        for octet in (texte or "").encode("utf-8"):
            h = ((h ^ octet) * PRIME) % 2**64
        lanes.append(f"{h:020d}")
    return "".join(lanes)


def test_fingerprints_are_fnv1a_of_the_utf8_bytes_in_two_lanes():
    valeurs = [
        None,
        "",
        "a",
        "Zoé;Lefèvre;01/02/1990",
        "AF0000000001|2010-10-04",
        *[f"{i:07d}A;INSCRIT;2010-0{1 + i % 9}-01" + "x" * (i % 37) for i in range(20_000)],
    ]
    obtenu = empreintes(pl.Series("contenu", valeurs))
    assert obtenu.name == "contenu"
    assert obtenu.to_list() == [_fnv1a(v) for v in valeurs]


def test_empty_series_gives_no_fingerprint():
    assert empreintes(pl.Series("c", [], dtype=pl.String)).to_list() == []
