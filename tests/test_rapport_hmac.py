"""The vectorised HMAC-SHA256 behind pseudonymised reports equals Python's `hmac`."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.hmac_sha256 import hmac_sha256_hex
from reporting.pseudonymisation import pseudonymes


def reference(valeur: str, cle: bytes) -> str:
    return hmac.new(cle, valeur.encode("utf-8"), hashlib.sha256).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    valeurs=st.lists(st.text(max_size=150), min_size=1, max_size=40),
    cle=st.binary(min_size=1, max_size=150),
)
def test_hmac_sha256_egal_au_module_hmac(valeurs, cle):
    obtenu = hmac_sha256_hex(pl.Series(valeurs, dtype=pl.String), cle).to_list()
    assert obtenu == [reference(v, cle) for v in valeurs]


@pytest.mark.parametrize("longueur", [55, 56, 63, 64, 119, 120])
def test_hmac_sha256_aux_frontieres_de_blocs(longueur):
    valeurs = ["x" * longueur, "é" * (longueur // 2)]
    cle = b"k" * 64
    assert hmac_sha256_hex(pl.Series(valeurs), cle).to_list() == [
        reference(v, cle) for v in valeurs
    ]


def test_hmac_sha256_tronque_et_garde_les_nuls():
    s = pl.Series(["AF0000000001", None, ""], dtype=pl.String)
    cle = b"0123456789abcdef"
    obtenu = hmac_sha256_hex(s, cle, 16).to_list()
    assert obtenu == [reference("AF0000000001", cle)[:16], None, reference("", cle)[:16]]
    assert hmac_sha256_hex(pl.Series([], dtype=pl.String), cle).to_list() == []


def test_pseudonymes_un_par_valeur_distincte_et_cle_exigee():
    table = pseudonymes(pl.Series(["0000001A", "0000001A", "AF0000000001", None]), b"k" * 16)
    assert table.height == 2
    assert table.get_column("pseudonyme").str.len_chars().to_list() == [16, 16]
    with pytest.raises(ValueError, match="trop courte"):
        pseudonymes(pl.Series(["x"]), b"k" * 15)
