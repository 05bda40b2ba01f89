"""Splitting a read file into applied, duplicate and quarantined rows (FLOWS.md, Keys...).

Pandera validates the text rows of a flow in lazy mode; its failure cases carry the row
position, which maps back to the file's line number. Every input row ends in exactly one of
the three outcomes, and the quarantine says why: line, field, rule and a French message that
never quotes the value (it may be a person's name or birth date).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandera.polars as pa
import polars as pl

from schemas.contract import Flux
from schemas.dialect import LIGNE, Lecture, typer

UNIQUE = "multiple_fields_uniqueness"
REGLE_COLONNES = "nb_champs"
REGLE_CONFLIT = "doublon_conflictuel"

QUARANTAINE_SCHEMA = {
    LIGNE: pl.Int64,
    "champ": pl.String,
    "regle": pl.String,
    "message": pl.String,
}


@dataclass(frozen=True)
class Tri:
    """The fate of every row of one file."""

    appliquees: pl.DataFrame  # LIGNE + typed contract columns
    doublons: pl.DataFrame  # LIGNE of the identical repeats that were not kept
    quarantaine: pl.DataFrame  # LIGNE, champ, regle, message: one row per (line, reason)
    lignes_en_quarantaine: pl.DataFrame  # LIGNE, contenu_champs: one row per quarantined line

    @property
    def nb_quarantaine(self) -> int:
        return self.lignes_en_quarantaine.height

    @property
    def nb_conflits(self) -> int:
        return self.quarantaine.filter(pl.col("regle") == REGLE_CONFLIT)[LIGNE].n_unique()


def _regle_et_message(flux: Flux, contexte: str, colonne: str | None, check: str, num: int | None):
    """(champ, regle, message) for one Pandera failure, from the schema's own checks."""
    schema = flux.schema
    if check == UNIQUE:
        cle = ", ".join(flux.cle)
        return (
            cle,
            REGLE_CONFLIT,
            f"doublon conflictuel : même clé ({cle}) avec des valeurs différentes",
        )
    if contexte == "Column" and colonne is not None:
        if check == "not_nullable":
            return colonne, "obligatoire", "valeur obligatoire absente"
        c = schema.columns[colonne].checks[num or 0]
        stats = c.statistics or {}
        if c.name == "str_matches":
            return colonne, "motif", f"format invalide (motif attendu {stats['pattern']})"
        if c.name == "isin":
            return colonne, "liste", "valeur hors de la liste du contrat"
        if c.name == "str_length":
            return colonne, "longueur", f"plus de {stats['max_value']} caractères"
        return colonne, str(c.name), str(c.error)
    if contexte == "DataFrameSchema" and num is not None and num < len(schema.checks):
        c = schema.checks[num]
        return (c.statistics or {}).get("champ", ""), str(c.name), str(c.error)
    return colonne or "", check, f"règle {check} non respectée"


def _repetees(frame: pl.DataFrame, colonnes: list[str]) -> pl.Series:
    """Rows whose values in `colonnes` occur more than once (polars' `is_duplicated`).

    Found through a 64-bit hash of each row's values, sorted: only the rows whose hash
    repeats (true repeats, and the rare collision) are compared exactly.
    """
    cle = pl.struct(colonnes) if len(colonnes) > 1 else pl.col(colonnes[0])
    hachees = frame.select(cle.hash().alias("h")).to_series()
    triees = np.sort(hachees.to_numpy())
    repetees = pl.Series(np.unique(triees[1:][triees[1:] == triees[:-1]]))
    candidates = hachees.is_in(repetees.implode())
    masque = np.zeros(frame.height, dtype=bool)
    if repetees.len():
        exact = frame.filter(candidates).select(cle.is_duplicated()).to_series().to_numpy()
        masque[candidates.to_numpy()] = exact
    return pl.Series(masque)


_CAS = {
    "schema_context": pl.String,
    "column": pl.String,
    "check": pl.String,
    "check_number": pl.Int32,
    "index": pl.Int64,
}


def _sans_unicite(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """The flow's schema without its key's uniqueness (checked by `_repetees` instead)."""
    return pa.DataFrameSchema(
        schema.columns,
        checks=schema.checks,
        strict=schema.strict,
        ordered=schema.ordered,
        name=schema.name,
    )


_SCHEMAS_SANS_UNICITE: dict[str, pa.DataFrameSchema] = {}


def _cas(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame:
    """Pandera's failure cases of `frame` (lazy validation): where and which check."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases.select(
            "schema_context",
            "column",
            "check",
            "check_number",
            pl.col("index").cast(pl.Int64),
        )
    return pl.DataFrame(schema=_CAS)


def _failures(
    flux: Flux, lignes: pl.DataFrame, doublons_de_cle: pl.Series | None = None
) -> pl.DataFrame:
    """Pandera's failure cases as (position, champ, regle, message) rows.

    The key's uniqueness is checked here rather than by Pandera (which compares every key
    to every other through a hash table of strings), with the same outcome: every row
    whose key repeats fails `multiple_fields_uniqueness`. `doublons_de_cle`: those rows,
    when the caller knows them already.
    """
    frame = lignes.select(flux.colonnes)
    schema = _SCHEMAS_SANS_UNICITE.get(flux.nom)
    if schema is None:
        schema = _SCHEMAS_SANS_UNICITE[flux.nom] = _sans_unicite(flux.schema)
    cases = _cas(schema, frame)
    if doublons_de_cle is None:
        doublons_de_cle = _repetees(frame, flux.cle)
    if doublons_de_cle.any():
        positions = pl.Series(np.flatnonzero(doublons_de_cle.to_numpy()), dtype=pl.Int64)
        cases = pl.concat(
            [
                cases,
                pl.DataFrame({"index": positions}).select(
                    pl.lit("DataFrameSchema").alias("schema_context"),
                    pl.lit(flux.schema.name).alias("column"),
                    pl.lit(UNIQUE).alias("check"),
                    pl.lit(None, dtype=pl.Int32).alias("check_number"),
                    "index",
                ),
            ]
        )
    if cases.height == 0:
        return pl.DataFrame(schema={"position": pl.Int64, **QUARANTAINE_SCHEMA})
    # Few distinct (rule, column) pairs: resolve their wording once, then join on the rows.
    regles = cases.select("schema_context", "column", "check", "check_number").unique()
    libelles = pl.DataFrame(
        [
            (*key, *_regle_et_message(flux, *key))
            for key in regles.iter_rows()  # one per distinct rule, not per row
        ],
        schema={
            "schema_context": pl.String,
            "column": pl.String,
            "check": pl.String,
            "check_number": pl.Int32,
            "champ": pl.String,
            "regle": pl.String,
            "message": pl.String,
        },
        orient="row",
    )
    return (
        cases.filter(pl.col("index").is_not_null())
        .join(libelles, on=["schema_context", "column", "check", "check_number"], nulls_equal=True)
        .select(pl.col("index").cast(pl.Int64).alias("position"), "champ", "regle", "message")
    )


def trier(lecture: Lecture, flux: Flux) -> Tri:
    """Apply the contract to every row of a read file."""
    colonnes = flux.colonnes
    lignes = lecture.lignes
    # An identical repeat repeats its key: only rows whose key repeats are compared whole,
    # and only they can be key conflicts once the identical repeats are set apart.
    cle_repetee = _repetees(lignes, flux.cle)
    premieres = np.ones(lignes.height, dtype=bool)
    en_conflit = np.zeros(lignes.height, dtype=bool)
    if cle_repetee.any():
        repetees = lignes.filter(cle_repetee)
        premieres[cle_repetee.to_numpy()] = (
            repetees.select(pl.struct(colonnes).is_first_distinct()).to_series().to_numpy()
        )
        restantes = lignes.filter(pl.Series(premieres) & cle_repetee)
        cle = pl.struct(flux.cle) if len(flux.cle) > 1 else pl.col(flux.cle[0])
        en_conflit[np.flatnonzero(premieres & cle_repetee.to_numpy())] = (
            restantes.select(cle.is_duplicated()).to_series().to_numpy()
        )
    doublons = lignes.filter(pl.Series(~premieres)).select(LIGNE)
    candidates = lignes if premieres.all() else lignes.filter(pl.Series(premieres))

    failures = _failures(flux, candidates, pl.Series(en_conflit[premieres]))
    positions = (
        candidates.select(LIGNE)
        .with_row_index("position")
        .with_columns(pl.col("position").cast(pl.Int64))
    )
    motifs_valeurs = failures.join(positions, on="position").drop("position")
    motifs_format = lecture.mal_formees.select(
        LIGNE,
        pl.lit("*").alias("champ"),
        pl.lit(REGLE_COLONNES).alias("regle"),
        pl.format(
            "nombre de champs incorrect : {} au lieu de {} (ou guillemets non appariés)",
            pl.col("nb_champs"),
            pl.lit(len(colonnes)),
        ).alias("message"),
    )
    quarantaine = pl.concat([motifs_format, motifs_valeurs.select(motifs_format.columns)]).sort(
        LIGNE, "champ", "regle"
    )
    en_quarantaine = quarantaine.select(LIGNE).unique()
    # A filter keeps the order of the lines (an anti-join would not, and need a sort).
    appliquees = candidates.filter(~pl.col(LIGNE).is_in(en_quarantaine.to_series().implode()))
    lignes_q = pl.concat(
        [
            lecture.mal_formees.select(LIGNE, pl.col("contenu").alias("contenu_champs")),
            candidates.join(en_quarantaine, on=LIGNE, how="semi").select(
                LIGNE,
                pl.concat_str([pl.col(c).fill_null("") for c in colonnes], separator=";").alias(
                    "contenu_champs"
                ),
            ),
        ]
    ).sort(LIGNE)
    return Tri(
        appliquees=typer(appliquees, flux).collect(),  # in line order, as read
        doublons=doublons,
        quarantaine=quarantaine,
        lignes_en_quarantaine=lignes_q,
    )
