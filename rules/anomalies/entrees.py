"""What the anomalies read besides the `Etat`: the night's files, and what was already sent.

Every frame is plain data the caller loads from the database (the queries are in
`reporting/README.md`); nothing here does I/O. Each has a schema; `exiger` selects and types
exactly those columns and names the frame and the columns when some are missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from rules.rapprochement import DIVERGENCES_DATEES

SCHEMA_FICHIERS: dict[str, type[pl.DataType]] = {
    "id": pl.Int64,
    "nom": pl.String,
    "flux": pl.String,
    "date_fichier": pl.Date,
    "sha256": pl.String,
    "statut": pl.String,
    "motif_rejet": pl.String,
    "message_rejet": pl.String,
    "lignes_ok": pl.Int64,
    "lignes_appliquees": pl.Int64,
    "doublons": pl.Int64,
    "quarantaine": pl.Int64,
    "conflits": pl.Int64,
}
"""Ledger rows (`fichiers`) of the night's files: every version of a file named for D, and
every version the run of D landed (`date_fichier = D or nuit = D`)."""

SCHEMA_MANQUANTS: dict[str, type[pl.DataType]] = {
    "flux": pl.String,
    "nom_attendu": pl.String,
    "raison": pl.String,
}
"""The mandatory flows missing on night D (`flux_manquants` where nuit = D, or
`completude.BilanNuit.manquants`): raison ABSENT, SANS_OK or NON_VALIDE."""

SCHEMA_MOTIFS: dict[str, type[pl.DataType]] = {
    "fichier_id": pl.Int64,
    "champ": pl.String,
    "regle": pl.String,
    "lignes": pl.Int64,
}
"""Quarantined lines per file and reason: `quarantaine` grouped by (fichier_id, champ,
regle), lignes = count(distinct ligne), for the files of `fichiers`."""

SCHEMA_CORRECTIONS: dict[str, type[pl.DataType]] = {
    "flux": pl.String,
    "cle": pl.String,
    "empreinte": pl.String,
}
"""Records of night D whose key an earlier night sent with another content: the rows of
`pipelines.emission.a_emettre(records, flux, precedentes)` with `nouveau == False`, for
P3_IN_SORTIES, P3_IN_ANNULATIONS, GIDE_IN_INITIALISATIONS and GIDE_IN_SORTIES."""

SCHEMA_ENVOYES: dict[str, type[pl.DataType]] = {
    "flux": pl.String,
    "cle": pl.String,
    "empreinte": pl.String,
    "nuit": pl.Date,
}
"""What earlier nights sent for those four flows: per (flux, cle), the latest `emissions`
row of a night before D (its empreinte and nuit)."""

SCHEMA_DIVERGENCES_STOCK = DIVERGENCES_DATEES
"""The stock divergences of night D (`pipelines.rapprochement.divergences`): for each
system, those of its latest stock dated ≤ D (R1), empty when no stock was received."""

FLUX_CORRIGEABLES = (
    "P3_IN_SORTIES",
    "P3_IN_ANNULATIONS",
    "GIDE_IN_INITIALISATIONS",
    "GIDE_IN_SORTIES",
)
"""The outbound flows CORRECTION_APRES_ENVOI watches (RULES.md: a sortie, an annulation or an
initialisation already sent). Their key is id_affectation alone."""


def vide(schema: dict[str, type[pl.DataType]]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def exiger(frame: pl.DataFrame, schema: dict[str, type[pl.DataType]], nom: str) -> pl.DataFrame:
    """The frame's columns of `schema`, cast to their types; ValueError when some are missing."""
    manque = [c for c in schema if c not in frame.columns]
    if manque:
        raise ValueError(f"{nom} : colonnes absentes {', '.join(manque)}")
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


@dataclass(frozen=True)
class EntreesAnomalies:
    """The inputs of night D's anomalies other than the `Etat` (see each schema's doc)."""

    fichiers: pl.DataFrame = field(default_factory=lambda: vide(SCHEMA_FICHIERS))
    manquants: pl.DataFrame = field(default_factory=lambda: vide(SCHEMA_MANQUANTS))
    motifs_quarantaine: pl.DataFrame = field(default_factory=lambda: vide(SCHEMA_MOTIFS))
    corrections: pl.DataFrame = field(default_factory=lambda: vide(SCHEMA_CORRECTIONS))
    deja_envoyes: pl.DataFrame = field(default_factory=lambda: vide(SCHEMA_ENVOYES))
    divergences_stock: pl.DataFrame = field(default_factory=lambda: vide(SCHEMA_DIVERGENCES_STOCK))
    emise: bool = True
    """Whether night D's outbound flows are emitted (complete night, or forced partial).
    SORTIE_AUTOMATIQUE is reported with the outbound flows that first carry it: on a night
    that emits nothing it waits for the next emitted night."""

    def verifiees(self) -> EntreesAnomalies:
        """The same inputs, each frame reduced to its schema (fails early on a missing column)."""
        return EntreesAnomalies(
            fichiers=exiger(self.fichiers, SCHEMA_FICHIERS, "fichiers"),
            manquants=exiger(self.manquants, SCHEMA_MANQUANTS, "manquants"),
            motifs_quarantaine=exiger(self.motifs_quarantaine, SCHEMA_MOTIFS, "motifs_quarantaine"),
            corrections=exiger(self.corrections, SCHEMA_CORRECTIONS, "corrections"),
            deja_envoyes=exiger(self.deja_envoyes, SCHEMA_ENVOYES, "deja_envoyes"),
            divergences_stock=exiger(
                self.divergences_stock, SCHEMA_DIVERGENCES_STOCK, "divergences_stock"
            ),
            emise=self.emise,
        )


def jour_lit(d: dt.date) -> pl.Expr:
    return pl.lit(d, dtype=pl.Date)
