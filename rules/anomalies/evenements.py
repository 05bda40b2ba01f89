"""Events are listed once: by the report of the first run night that sees them.

The same rule as outbound upserts (`pipelines.emission`): night D lists an event when no run
of an earlier night reported it. What a night reported is stored by the caller in the
`signalements` table (code, nuit, cle); runs of D or of later nights are ignored when
computing D, so re-running D reproduces D's report, even after later nights ran.

`cle` (built by each code, see `rules.anomalies.lignes.cle`) is a stable key of what the
anomaly concerns, made of identifiers and dates joined with "|" (dates as YYYY-MM-DD), never
of message wording. Per code:

- FLUX_MANQUANT: the expected file name (its night is in the name);
- FICHIER_REJETE, LIGNES_EN_QUARANTAINE, DOUBLON_CONFLICTUEL: file name|sha256 (one event per
  version of a file);
- AFFECTATION_EN_DOUBLE: id_affectation|id_affectation_ouverte;
- AFFECTATION_HORS_AGE: id_affectation|date_affectation;
- AFFECTATION_HORS_PARCOURS_ACC: id_affectation|parcours;
- ACCEPTATION_ML_DIVERGENTE: id_affectation|code_ml of the acceptation;
- ACCEPTATION_INCOHERENTE: id_affectation|date_acceptation;
- INITIALISATION_AVANT_ACCEPTATION, COMPTABILISATION_CIVIS: id_affectation|date_initialisation;
- ANNULATION_RADIATION, ACTIVITE_APRES_SORTIE: id_affectation|date_fin;
- TRAITEMENT_ORPHELIN, TRAITEMENT_INCOHERENT: id_alerte|date_traitement;
- SORTIE_AUTOMATIQUE: id_affectation|date_fin|motif_fin;
- SORTIE_ORPHELINE: id_affectation|date_sortie|motif_sortie;
- CORRECTION_APRES_ENVOI: flux|id_affectation|new fingerprint, or
  flux|id_affectation|RETRAIT|fingerprint sent.

A fact that changes (a corrected date, another motif) is a new event; the same fact seen again
is not. Situations carry a key too (not stored, never filtered).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from rules.anomalies.assemblage import trier
from rules.anomalies.catalogue import EVENEMENTS

SCHEMA_SIGNALEMENTS: dict[str, type[pl.DataType]] = {
    "code": pl.String,
    "nuit": pl.Date,
    "cle": pl.String,
}


def evenements_nouveaux(
    anomalies: pl.DataFrame, deja_signales: pl.DataFrame | None, jour: dt.date
) -> pl.DataFrame:
    """The anomalies night D lists: every situation, and the events no earlier night reported.

    `deja_signales`: rows of `signalements` (code, nuit, cle), or None before any night ran;
    rows of night D or later are ignored, so the caller may pass the whole table.
    """
    if deja_signales is None or deja_signales.width == 0:
        deja_signales = pl.DataFrame(schema=SCHEMA_SIGNALEMENTS)
    avant = (
        deja_signales.select([pl.col(c).cast(t) for c, t in SCHEMA_SIGNALEMENTS.items()])
        .filter(pl.col("nuit") < jour)
        .select("code", "cle")
        .unique()
    )
    evenement = pl.col("code").is_in(EVENEMENTS)
    nouveaux = anomalies.filter(evenement).join(avant, on=["code", "cle"], how="anti")
    return trier(pl.concat([anomalies.filter(~evenement), nouveaux]))


def signalements(anomalies: pl.DataFrame, jour: dt.date) -> pl.DataFrame:
    """code, nuit, cle: the events night D lists, as the caller stores them in `signalements`
    (delete the rows of night D, then insert these: a re-run replaces its own night)."""
    return (
        anomalies.filter(pl.col("code").is_in(EVENEMENTS))
        .select("code", pl.lit(jour, dtype=pl.Date).alias("nuit"), "cle")
        .unique(maintain_order=True)
    )
