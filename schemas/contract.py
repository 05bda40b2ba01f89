"""What a flow is: its Pandera schema plus the facts every reader and writer needs.

A `Flux` is a thin view over one `pandera.polars.DataFrameSchema`; everything it says
(system, direction, dialect, key, columns, which columns are dates or integers) is read
from the schema, so the schema stays the one place where the contract is written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

import pandera.polars as pa
import polars as pl

from schemas.champs import CHECK_DATE, CHECK_ENTIER, Champ


@dataclass(frozen=True)
class Systeme:
    """One information system and the dialect it speaks, both ways (FLOWS.md, Dialect)."""

    nom: str
    encoding: str
    date_format: str
    dossier_sortant: str | None  # sub-folder of the outbox, for systems that receive flows


GIDE = Systeme("GIDE", "iso-8859-1", "%d/%m/%Y", "gide")
P3 = Systeme("P3", "utf-8", "%d/%m/%Y", "p3")
DUDE = Systeme("DUDE", "utf-8", "%Y-%m-%d", "dude")
REF = Systeme("REF", "utf-8", "%Y-%m-%d", None)
SYSTEMES = {s.nom: s for s in (GIDE, P3, DUDE, REF)}

ENTRANT = "in"
SORTANT = "out"

_NOM_FICHIER = re.compile(r"^(?P<flux>[A-Z0-9_]+)_(?P<date>[0-9]{8})\.csv$")


def build_schema(
    nom: str,
    *,
    systeme: Systeme,
    sens: str,
    description: str,
    cle: list[str],
    champs: list[Champ],
    checks: list[pa.Check] | None = None,
) -> pa.DataFrameSchema:
    """A flow's schema: strict, ordered columns as text, its key unique within a file."""
    columns = {c.nom: c.build(systeme.date_format) for c in champs}
    return pa.DataFrameSchema(
        columns,
        checks=checks or [],
        unique=cle,
        strict=True,
        ordered=True,
        name=nom,
        title=nom,
        description=description,
        metadata={
            "systeme": systeme.nom,
            "sens": sens,
            "encoding": systeme.encoding,
            "date_format": systeme.date_format,
            "cle": list(cle),
        },
    )


def _check_names(column: pa.Column) -> set[str]:
    return {c.name for c in column.checks}


@dataclass(frozen=True)
class Flux:
    """A flow of the contract, read from its schema."""

    schema: pa.DataFrameSchema

    @property
    def nom(self) -> str:
        return str(self.schema.name)

    @property
    def systeme(self) -> Systeme:
        return SYSTEMES[self.schema.metadata["systeme"]]

    @property
    def sens(self) -> str:
        return str(self.schema.metadata["sens"])

    @property
    def entrant(self) -> bool:
        return self.sens == ENTRANT

    @property
    def encoding(self) -> str:
        return str(self.schema.metadata["encoding"])

    @property
    def date_format(self) -> str:
        return str(self.schema.metadata["date_format"])

    @property
    def cle(self) -> list[str]:
        return list(self.schema.metadata["cle"])

    @property
    def description(self) -> str:
        return str(self.schema.description or "")

    @property
    def referentiel(self) -> bool:
        """`REF_*` flows are full lists, optional on any night (FLOWS.md, Naming)."""
        return self.nom.startswith("REF_")

    @property
    def stock(self) -> bool:
        """`*_STOCK` flows: a system's full holdings, optional on any night (FLOWS.md)."""
        return self.entrant and self.nom.endswith("_STOCK")

    @property
    def liste_complete(self) -> bool:
        """Full lists (REF and stocks): the latest file dated on or before D is in force."""
        return self.referentiel or self.stock

    @property
    def obligatoire(self) -> bool:
        """Every system sends every one of its delta flows every night."""
        return self.entrant and not self.liste_complete

    @cached_property
    def colonnes(self) -> list[str]:
        return list(self.schema.columns)

    @cached_property
    def dates(self) -> list[str]:
        return [n for n, c in self.schema.columns.items() if CHECK_DATE in _check_names(c)]

    @cached_property
    def entiers(self) -> list[str]:
        return [n for n, c in self.schema.columns.items() if CHECK_ENTIER in _check_names(c)]

    @cached_property
    def types_polars(self) -> dict[str, type[pl.DataType]]:
        """The typed columns of validated rows (history, state inputs, outbound records)."""
        out: dict[str, type[pl.DataType]] = {}
        for n in self.colonnes:
            out[n] = pl.Date if n in self.dates else pl.Int64 if n in self.entiers else pl.String
        return out

    @property
    def header(self) -> str:
        return ";".join(self.colonnes)

    def nom_fichier(self, nuit: dt.date) -> str:
        return f"{self.nom}_{nuit:%Y%m%d}.csv"

    @property
    def dossier_sortant(self) -> str:
        """Folder of the outbox for an outbound flow: the receiving system's."""
        dossier = self.systeme.dossier_sortant
        if self.entrant or dossier is None:
            raise ValueError(f"{self.nom} n'est pas un flux sortant")
        return dossier

    @property
    def table_historique(self) -> str:
        """Name of the database table holding the validated rows of an inbound flow."""
        return f"h_{self.nom.lower()}"


@dataclass(frozen=True)
class NomFichier:
    """A file name of the contract, `<FLOW>_<YYYYMMDD>.csv`, parsed."""

    flux: str
    date: dt.date

    @staticmethod
    def parse(nom: str) -> NomFichier | None:
        """The flow and date of a contract file name, or None for any other name."""
        m = _NOM_FICHIER.match(nom)
        if m is None:
            return None
        try:
            d = dt.datetime.strptime(m["date"], "%Y%m%d").date()
        except ValueError:
            return None
        return NomFichier(m["flux"], d)
