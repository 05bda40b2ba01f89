"""The interchange contract as Pandera schemas (polars backend), one per flow.

`FLUX` lists every flow in the contract's order; `flux(nom)` finds one by name.
"""

from __future__ import annotations

from schemas import dude, gide, p3, ref, sortants, stocks
from schemas.contract import Flux, NomFichier, Systeme

FLUX: list[Flux] = [
    Flux(s)
    for s in (
        *gide.SCHEMAS,
        *dude.SCHEMAS,
        *p3.SCHEMAS,
        *stocks.SCHEMAS,
        *ref.SCHEMAS,
        *sortants.SCHEMAS,
    )
]
ENTRANTS: list[Flux] = [f for f in FLUX if f.entrant]
SORTANTS: list[Flux] = [f for f in FLUX if not f.entrant]
_PAR_NOM = {f.nom: f for f in FLUX}


def flux(nom: str) -> Flux:
    """The flow of that name; KeyError for a name outside the contract."""
    return _PAR_NOM[nom]


def est_flux(nom: str) -> bool:
    return nom in _PAR_NOM


__all__ = ["ENTRANTS", "FLUX", "SORTANTS", "Flux", "NomFichier", "Systeme", "est_flux", "flux"]
