"""Pseudonymised reports: identifiers replaced by a keyed hash in every output.

Each id_de, id_affectation and id_alerte becomes the first 16 hex digits (64 bits) of its
HMAC-SHA256 under a secret key the caller holds (the command line reads it from
PASSERELLE_CLE_PSEUDONYMISATION; it is never written with the data). The same key gives the
same pseudonym on every night and in every file, so analysts can still follow an episode;
without the key a pseudonym cannot be recomputed from a known identifier (unlike a plain
hash of an 8-character id, which anyone can invert by trying them all).

Replaced: the identifier columns of the anomalies and the episodes, the identifiers quoted
in messages and actions (found by their contract patterns, whole words only), and the
internal keys. The hash is computed once
per distinct value, vectorised (`reporting.hmac_sha256`).
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from reporting.contenu import ContenuRapport
from reporting.hmac_sha256 import hmac_sha256_hex

LONGUEUR = 16
CLE_MINIMALE = 16  # bytes
# Identifiers as the contract writes them: affectation, alerte, demandeur d'emploi.
MOTIF_IDENTIFIANT = r"\bAF[0-9]{10}\b|\bAL[0-9]{10}\b|\b[0-9]{7}[0-9A-Z]\b"
_COLONNES_ID = ("id_affectation", "id_de")
_COLONNES_TEXTE = ("message", "action", "cle")


def pseudonymes(valeurs: pl.Series, cle: bytes) -> pl.DataFrame:
    """valeur, pseudonyme for each distinct non-null value."""
    if len(cle) < CLE_MINIMALE:
        raise ValueError(f"clé de pseudonymisation trop courte (au moins {CLE_MINIMALE} octets)")
    distinctes = valeurs.drop_nulls().unique().sort().alias("valeur")
    return pl.DataFrame(
        [distinctes, hmac_sha256_hex(distinctes, cle, LONGUEUR).alias("pseudonyme")]
    )


def _identifiants(contenu: ContenuRapport) -> pl.Series:
    a, ep = contenu.anomalies, contenu.episodes
    cites = pl.concat(
        [a.get_column(c).str.extract_all(MOTIF_IDENTIFIANT).explode() for c in _COLONNES_TEXTE]
    )
    return pl.concat(
        [
            *(a.get_column(c) for c in _COLONNES_ID),
            *(ep.get_column(c) for c in _COLONNES_ID if c in ep.columns),
            cites,
        ]
    ).cast(pl.String)


def _remplacer(frame: pl.DataFrame, table: pl.DataFrame, colonnes: tuple[str, ...]) -> pl.DataFrame:
    exprs = [
        pl.col(c).replace_strict(table["valeur"], table["pseudonyme"], default=pl.col(c))
        for c in colonnes
        if c in frame.columns
    ]
    return frame.with_columns(exprs) if exprs else frame


def _remplacer_textes(frame: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """Each text cut into word and non-word runs; a run equal to an identifier is replaced
    (whole words only: a file name or a checksum that contains digits is left alone)."""
    colonnes = [c for c in _COLONNES_TEXTE if c in frame.columns]
    if not colonnes or frame.is_empty():
        return frame
    numerotee = frame.with_row_index("_ligne")
    remplacees = []
    for c in colonnes:  # three text columns
        morceaux = (
            numerotee.select("_ligne", pl.col(c).str.extract_all(r"\w+|\W+").alias("_m"))
            .with_columns(pl.int_ranges(pl.col("_m").list.len()).alias("_rang"))
            .explode("_m", "_rang")
            .with_columns(
                pl.col("_m").replace_strict(
                    table["valeur"], table["pseudonyme"], default=pl.col("_m")
                )
            )
            .group_by("_ligne")
            .agg(pl.col("_m").sort_by("_rang").str.join("").alias(c))
        )
        remplacees.append(morceaux)
    out = numerotee.drop(colonnes)
    for r in remplacees:
        out = out.join(r, on="_ligne", how="left")
    return out.sort("_ligne").select(frame.columns)


def pseudonymiser(contenu: ContenuRapport, cle: bytes) -> ContenuRapport:
    """The same report with every identifier replaced by its pseudonym under `cle`."""
    table = pseudonymes(_identifiants(contenu), cle)
    anomalies = _remplacer_textes(_remplacer(contenu.anomalies, table, _COLONNES_ID), table)
    return replace(
        contenu,
        anomalies=anomalies,
        episodes=_remplacer(contenu.episodes, table, _COLONNES_ID),
        pseudonymise=True,
    )
