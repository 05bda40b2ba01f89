"""A stable fingerprint of text values, computed column-wise.

The emission ledger remembers what each night sent as a fingerprint per record, not the
record (which may hold a name and a birth date). The fingerprint must never change with a
library upgrade (polars' own `hash` is stable only within one version), so it is FNV-1a,
written here over the Arrow buffers: one pass per character position, vectorised over all
rows, never a Python loop over rows. Two 64-bit lanes with different offsets make 128 bits.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

_FNV_PRIME = np.uint64(0x100000001B3)
_OFFSETS = (np.uint64(0xCBF29CE484222325), np.uint64(0x84222325CBF29CE4))


def empreintes(textes: pl.Series) -> pl.Series:
    """40 decimal digits per value (nulls are fingerprinted as the empty string)."""
    n = textes.len()
    if n == 0:
        return pl.Series(textes.name, [], dtype=pl.String)
    arr = textes.fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data_buffer = arr.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0)
    ).astype(np.uint64)
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    lanes = [np.full(n, off, dtype=np.uint64) for off in _OFFSETS]
    with np.errstate(over="ignore"):
        for i in range(int(lengths.max(initial=0))):
            rows = np.nonzero(lengths > i)[0]
            octets = data[starts[rows] + i]
            for lane in lanes:
                lane[rows] = (lane[rows] ^ octets) * _FNV_PRIME
    parts = [pl.Series(lane).cast(pl.String).str.zfill(20) for lane in lanes]
    return (parts[0] + parts[1]).alias(textes.name)
