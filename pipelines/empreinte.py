"""A stable fingerprint of text values, computed column-wise.

The emission ledger remembers what each night sent as a fingerprint per record, not the
record (which may hold a name and a birth date). The fingerprint must never change with a
library upgrade (polars' own `hash` is stable only within one version), so it is FNV-1a,
written here over the Arrow buffers, never a Python loop over rows. Two 64-bit lanes with
different offsets make 128 bits.

FNV-1a reads a value byte after byte, so the vectorisation runs across values: the values
are grouped by byte length (one Arrow `take`, after which each group's bytes form a
rectangle), and each block of a few thousand values of one length is transposed so that
byte i of every value is one contiguous row; each step is then one xor and one multiply
over that row, on data that stays in the processor's cache.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

_FNV_PRIME = np.uint64(0x100000001B3)
_OFFSETS = (np.uint64(0xCBF29CE484222325), np.uint64(0x84222325CBF29CE4))
# Values per block: the block's bytes and its two lanes stay in the processor's cache.
_BLOC = 8192


def _octets(textes: pl.Series) -> pa.LargeBinaryArray:
    arr = textes.fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_binary())


def empreintes(textes: pl.Series) -> pl.Series:
    """40 decimal digits per value (nulls are fingerprinted as the empty string)."""
    n = textes.len()
    if n == 0:
        return pl.Series(textes.name, [], dtype=pl.String)
    arr = _octets(textes)
    longueurs = pc.binary_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    ordre = np.argsort(longueurs, kind="stable")
    tries = pc.take(arr, pa.array(ordre))
    if isinstance(tries, pa.ChunkedArray):
        tries = tries.combine_chunks()
    debut_octets = int(np.frombuffer(tries.buffers()[1], dtype=np.int64)[tries.offset])
    tampon = tries.buffers()[2]
    data = (
        np.frombuffer(tampon, dtype=np.uint8)[debut_octets:]
        if tampon is not None
        else np.zeros(0, dtype=np.uint8)
    )
    lanes = [np.full(n, off, dtype=np.uint64) for off in _OFFSETS]
    tailles, debuts = np.unique(longueurs[ordre], return_index=True)
    fins = [*debuts[1:].tolist(), n]
    octet = 0  # where the current group's bytes start in `data`
    with np.errstate(over="ignore"):
        for taille, g0, g1 in zip(tailles.tolist(), debuts.tolist(), fins, strict=True):
            groupe = data[octet : octet + (g1 - g0) * taille].reshape(g1 - g0, taille)
            octet += (g1 - g0) * taille
            for b0 in range(0, g1 - g0, _BLOC):
                colonnes = np.ascontiguousarray(groupe[b0 : b0 + _BLOC].T)
                vues = [lane[g0 + b0 : g0 + b0 + colonnes.shape[1]] for lane in lanes]
                for i in range(taille):
                    o = colonnes[i].astype(np.uint64)
                    for v in vues:
                        np.bitwise_xor(v, o, out=v)
                        np.multiply(v, _FNV_PRIME, out=v)
    parts = []
    for lane in lanes:
        remis = np.empty(n, dtype=np.uint64)
        remis[ordre] = lane
        parts.append(pl.Series(remis).cast(pl.String).str.zfill(20))
    return (parts[0] + parts[1]).alias(textes.name)
