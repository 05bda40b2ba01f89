"""Pseudonymised reports: identifiers replaced by a keyed hash in every output.

Each id_de, id_affectation and id_alerte becomes the first 16 hex digits (64 bits) of its
HMAC-SHA256 under a secret key the caller holds (the command line reads it from
PASSERELLE_CLE_PSEUDONYMISATION; it is never written with the data). The same key gives the
same pseudonym on every night and in every file, so analysts can still follow an episode;
without the key a pseudonym cannot be recomputed from a known identifier (unlike a plain
hash of an 8-character id, which anyone can invert by trying them all).

Replaced: the identifier columns of the anomalies, the episodes and the stock divergences,
and the identifiers quoted in messages and actions (found by their contract patterns, whole
words only). The internal event keys are dropped: `signalements` must be stored from the
clear report. The hash is computed once per distinct value, vectorised
(`reporting.hmac_sha256`); on this project's 2-core machine, 1 M distinct identifiers take
about 4 s (the `hmac` module called once per value, about 5 s), and pseudonymising a
national report (500 000 episodes, 200 000 anomalies) about 8 s.
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
_COLONNES_TEXTE = ("message", "action")
_MARQUE = "\x1f"  # never in a message: frames the identifiers found, to split on


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
            *(contenu.divergences_stock.get_column(c) for c in _COLONNES_ID),
            cites,
        ]
    ).cast(pl.String)


def _remplacer(frame: pl.DataFrame, table: pl.DataFrame, colonnes: tuple[str, ...]) -> pl.DataFrame:
    for c in colonnes:
        if c in frame.columns:
            frame = (
                frame.join(
                    table.rename({"valeur": c, "pseudonyme": "_pseudo"}),
                    on=c,
                    how="left",
                    maintain_order="left",
                )
                .with_columns(pl.coalesce("_pseudo", c).alias(c))
                .drop("_pseudo")
            )
    return frame


def _remplacer_textes(frame: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """The identifiers quoted in a text (whole words of the contract's patterns) framed by a
    separator, the text split on it, the identifier pieces replaced, the pieces joined back:
    a file name or a checksum that contains digits is left alone."""
    return frame.with_columns(
        pl.col(c)
        .str.replace_all(MOTIF_IDENTIFIANT, f"{_MARQUE}${{0}}{_MARQUE}")
        .str.split(_MARQUE)
        .list.eval(pl.element().replace(table["valeur"], table["pseudonyme"]))
        .list.join("")
        .alias(c)
        for c in _COLONNES_TEXTE
        if c in frame.columns
    )


def pseudonymiser(contenu: ContenuRapport, cle: bytes) -> ContenuRapport:
    """The same report with every identifier replaced by its pseudonym under `cle`."""
    table = pseudonymes(_identifiants(contenu), cle)
    anomalies = _remplacer_textes(_remplacer(contenu.anomalies, table, _COLONNES_ID), table)
    return replace(
        contenu,
        # The keys stay with the clear report (they feed `signalements`): none here.
        anomalies=anomalies.with_columns(pl.lit(None, dtype=pl.String).alias("cle")),
        episodes=_remplacer(contenu.episodes, table, _COLONNES_ID),
        divergences_stock=_remplacer(contenu.divergences_stock, table, _COLONNES_ID),
        pseudonymise=True,
    )
