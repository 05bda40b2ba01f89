"""Building blocks of the flow schemas: one function per kind of contract field.

Every flow is validated as text, exactly as it travels: all columns are `pl.String` and each
constraint of the contract is a Pandera check. A date or an integer is text that must parse
in the system's format; the typed values are produced only after validation. (polars 2 no
longer casts text to dates, so Pandera's `coerce=True` cannot be used for dates.)

The checks carry their contract parameters in `statistics`, which is what the contract export
(`schemas.export`) reads back: the Pandera schemas are the single source of the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

# Names of the project's own checks, read back by the export and the quarantine messages.
CHECK_DATE = "date"
CHECK_ENTIER = "entier"

# Exact textual shape of a date in each format: strptime alone accepts "1/2/2010".
_DATE_SHAPES = {
    "%d/%m/%Y": r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$",
    "%Y-%m-%d": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}


def parse_date(expr: pl.Expr, fmt: str) -> pl.Expr:
    """Text to `pl.Date` in the given format; null where the text is not a real date."""
    return (
        pl.when(expr.str.contains(_DATE_SHAPES[fmt]))
        .then(expr.str.strptime(pl.Date, fmt, strict=False))
        .otherwise(None)
    )


def parse_entier(expr: pl.Expr) -> pl.Expr:
    """Text to `pl.Int64`; null where the text is not a plain decimal integer."""
    return (
        pl.when(expr.str.contains(r"^-?[0-9]{1,18}$"))
        .then(expr.cast(pl.Int64, strict=False))
        .otherwise(None)
    )


def _date_check(fmt: str) -> pa.Check:
    def check(data: pa.PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_null() | parse_date(col, fmt).is_not_null())

    lisible = fmt.replace("%d", "JJ").replace("%m", "MM").replace("%Y", "AAAA")
    return pa.Check(
        check,
        name=CHECK_DATE,
        error=f"date invalide (format attendu {lisible})",
        statistics={"format": fmt},
    )


def _entier_check(minimum: int | None, maximum: int | None) -> pa.Check:
    def check(data: pa.PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        value = parse_entier(col)
        ok = value.is_not_null()
        if minimum is not None:
            ok = ok & (value >= minimum)
        if maximum is not None:
            ok = ok & (value <= maximum)
        return data.lazyframe.select(col.is_null() | ok)

    bornes = f"[{'' if minimum is None else minimum} ; {'' if maximum is None else maximum}]"
    return pa.Check(
        check,
        name=CHECK_ENTIER,
        error=f"entier invalide ou hors bornes {bornes}",
        statistics={"minimum": minimum, "maximum": maximum},
    )


@dataclass(frozen=True)
class Champ:
    """A field of a flow, before the flow's date format is known.

    `build(fmt)` makes the Pandera column once the owning system's date format is chosen.
    """

    nom: str
    build: Callable[[str], pa.Column]


def texte(
    nom: str,
    *,
    requis: bool = True,
    pattern: str | None = None,
    enum: tuple[str, ...] | None = None,
    max_length: int | None = None,
    description: str = "",
) -> Champ:
    checks: list[pa.Check] = []
    if pattern is not None:
        re.compile(pattern)
        checks.append(pa.Check.str_matches(pattern))
    if enum is not None:
        checks.append(pa.Check.isin(list(enum)))
    if max_length is not None:
        checks.append(pa.Check.str_length(max_value=max_length))

    def build(_fmt: str) -> pa.Column:
        return pa.Column(
            pl.String, checks=checks, nullable=not requis, description=description, name=nom
        )

    return Champ(nom, build)


def date(nom: str, *, requis: bool = True, description: str = "") -> Champ:
    def build(fmt: str) -> pa.Column:
        return pa.Column(
            pl.String,
            checks=[_date_check(fmt)],
            nullable=not requis,
            description=description,
            name=nom,
        )

    return Champ(nom, build)


def entier(
    nom: str,
    *,
    requis: bool = True,
    minimum: int | None = None,
    maximum: int | None = None,
    description: str = "",
) -> Champ:
    def build(_fmt: str) -> pa.Column:
        return pa.Column(
            pl.String,
            checks=[_entier_check(minimum, maximum)],
            nullable=not requis,
            description=description,
            name=nom,
        )

    return Champ(nom, build)


# The identifiers shared by many flows, spelled once.
RE_ID_DE = r"^[0-9]{7}[0-9A-Z]$"
RE_ID_AFFECTATION = r"^AF[0-9]{10}$"
RE_ID_ALERTE = r"^AL[0-9]{10}$"
RE_CODE_ML = r"^[0-9]{5}$"
RE_CODE_COMMUNE = r"^([0-9]{2}|2A|2B)[0-9]{3}$"

STATUTS = ("INSCRIT", "CESSATION", "RADIE")
TYPES_ENTRETIEN = ("INDIVIDUEL", "COLLECTIF", "ATELIER")
MOTIFS_ALERTE = ("DIFFICULTE", "EVENEMENT", "MANQUEMENT_OBLIGATIONS")
DECISIONS_ALERTE = ("MAINTIEN", "SORTIE_REORIENTATION", "SORTIE_REPRISE_SMP")
MOTIFS_SORTIE = (
    "SUSPENSION_6_MOIS",
    "AGE_26_ANS",
    "FIN_ANNEE_26_ANS",
    "DEMENAGEMENT",
    "DECISION_ALERTE",
    "AUTRE",
)
MOTIFS_SORTIE_AUTOMATIQUE = ("SUSPENSION_6_MOIS", "AGE_26_ANS", "FIN_ANNEE_26_ANS")
MOTIFS_RADIATION = (
    "INSUFFISANCE_RECHERCHE",
    "REFUS_CONTRAT_ALTERNANCE",
    "REFUS_CONTRAT_AIDE",
    "REFUS_FORMATION",
    "REFUS_ACTION_INSERTION",
    "ABSENCE_CONVOCATION",
    "FAUSSE_DECLARATION",
    "REFUS_PPAE",
    "REFUS_ACTION_RECHERCHE",
    "REFUS_2_ORE",
    "DEFAUT_ACTUALISATION",
    "REPRISE_EMPLOI",
    "ENTREE_FORMATION",
    "MALADIE_MATERNITE",
    "AUTRE",
)
REGIONS_2010 = (
    "01", "02", "03", "04", "11", "21", "22", "23", "24", "25", "26", "31", "41",
    "42", "43", "52", "53", "54", "72", "73", "74", "82", "83", "91", "93", "94",
)  # fmt: skip
PHASES = ("ENTREE", "ACCOMPAGNEMENT", "SORTIE", "ANNULEE")
ETATS = (
    "AFFECTATION",
    "ACCEPTATION",
    "ACTIF",
    "ALERTE",
    "SUSPENSION",
    *MOTIFS_SORTIE,
    "RADIATION_AVANT_INITIALISATION",
)


def id_de(description: str = "") -> Champ:
    return texte("id_de", pattern=RE_ID_DE, description=description)


def id_affectation() -> Champ:
    return texte("id_affectation", pattern=RE_ID_AFFECTATION)


def id_alerte() -> Champ:
    return texte("id_alerte", pattern=RE_ID_ALERTE)


def code_ml() -> Champ:
    return texte("code_ml", pattern=RE_CODE_ML)


def code_commune(description: str = "") -> Champ:
    return texte("code_commune", pattern=RE_CODE_COMMUNE, description=description)


def nom() -> Champ:
    return texte("nom", max_length=60, description="family name, may carry accents")


def prenom() -> Champ:
    return texte("prenom", max_length=60, description="given name, may carry accents")
