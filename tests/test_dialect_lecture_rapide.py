"""The one-pass reading of a file without quotes gives what the line-by-line reading gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from schemas.dialect import _lire_par_lignes, _lire_sans_guillemets, _octets_utf8, lire

GIDE = schemas.flux("GIDE_STATUTS")  # latin-1, 5 fields
P3 = schemas.flux("P3_ENTRETIENS")  # UTF-8, 5 fields

champ = st.text(alphabet="abcXYZ019 éèçà-/", max_size=6)
ligne = st.one_of(
    st.lists(champ, min_size=5, max_size=5),  # well-formed, empty fields included
    st.lists(champ, min_size=0, max_size=8),  # blank line, too few or too many fields
)


def _fichier(flux: schemas.Flux, lignes: list[list[str]], fin: bool) -> bytes:
    texte = "\n".join([flux.header, *(";".join(champs) for champs in lignes)])
    return (texte + ("\n" if fin else "")).encode(flux.encoding)


def _egales(a, b) -> None:
    assert a.lignes.equals(b.lignes)
    assert a.lignes.schema == b.lignes.schema
    assert a.mal_formees.equals(b.mal_formees)
    assert a.mal_formees.schema == b.mal_formees.schema


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([GIDE, P3]), st.lists(ligne, max_size=30), st.booleans())
def test_one_pass_reading_equals_line_by_line_reading(flux, lignes, fin):
    raw = _fichier(flux, lignes, fin)
    utf8 = _octets_utf8(raw, flux)
    assert utf8 is not None
    rapide = _lire_sans_guillemets(utf8, flux)
    assert rapide is not None  # these files are for the one-pass reading
    _egales(rapide, _lire_par_lignes(raw, flux))
    _egales(lire(raw, flux), rapide)


def test_files_the_one_pass_reading_leaves_to_the_line_by_line_reading():
    lignes = [["A", "B", "C", "D", "E"]]
    assert _octets_utf8(_fichier(GIDE, lignes, True).replace(b"A", "é".encode()), GIDE) is None
    assert _octets_utf8(b"\xef\xbb\xbf" + _fichier(P3, lignes, True), P3) is None
    assert _octets_utf8(_fichier(GIDE, lignes, True).replace(b"A", b"\x92"), GIDE) is None
    assert _lire_sans_guillemets(_fichier(P3, lignes, True).replace(b"date", b"jour"), P3) is None
    invalide = _fichier(P3, lignes, True).replace(b"A", b"\xff")
    assert _lire_sans_guillemets(invalide, P3) is None
