"""Writing contract files into a test inbox, correct by default and broken on request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import schemas
from schemas.dialect import Ok


def deposer(
    inbox: Path,
    flux: str,
    nuit: dt.date,
    lignes: list[str] | None = None,
    *,
    header: str | None = None,
    encoding: str | None = None,
    raw: bytes | None = None,
    ok: bytes | None = None,
    avec_ok: bool = True,
    rows: int | None = None,
) -> Path:
    """Write `<FLOW>_<YYYYMMDD>.csv` and, unless told otherwise, its correct `.ok`."""
    f = schemas.flux(flux)
    if raw is None:
        text = (header if header is not None else f.header) + "\n"
        text += "".join(line + "\n" for line in (lignes or []))
        raw = text.encode(encoding or f.encoding)
    nom = f.nom_fichier(nuit)
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / nom).write_bytes(raw)
    if avec_ok:
        n = rows if rows is not None else len(lignes or [])
        (inbox / (nom + ".ok")).write_bytes(ok if ok is not None else Ok.of(raw, n).render())
    return inbox / nom


def nuit_vide(inbox: Path, nuit: dt.date, sauf: tuple[str, ...] = ()) -> None:
    """Every mandatory flow of the night, header only (a complete, empty night)."""
    for f in schemas.ENTRANTS:
        if f.obligatoire and f.nom not in sauf:
            deposer(inbox, f.nom, nuit, [])
