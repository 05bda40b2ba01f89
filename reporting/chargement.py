"""Loading what the report of night D needs from the database, and recording its events.

The only module of the report that reads or writes the database. The lead's nightly step:

    entrees = chargement.entrees_anomalies(db, d, enregistrements, emise)
    contenu = reporting.construire(etat, entrees, chargement.referentiels(au(historique, d)),
                                   chargement.deja_signales(db, d))
    reporting.ecrire_rapport(reglages.reports, contenu, cle_ou_none)
    chargement.enregistrer_signalements(db, contenu)

`enregistrements` are the records of night D (`rules.sortants.enregistrements`); `emise` is
whether the night's flows are emitted (`pipelines.completude`). Only rows of nights before D
are read from `emissions` and `signalements`, so re-running D reproduces D's report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import polars as pl
import sqlalchemy as sa

import schemas
from connectors.database import Database
from connectors.tables import fichiers, flux_manquants, quarantaine, signalements
from reporting.contenu import ContenuRapport
from rules.anomalies import (
    FLUX_CORRIGEABLES,
    SCHEMA_CORRECTIONS,
    SCHEMA_DIVERGENCES_STOCK,
    SCHEMA_ENVOYES,
    SCHEMA_FICHIERS,
    SCHEMA_MANQUANTS,
    SCHEMA_MOTIFS,
    SCHEMA_SIGNALEMENTS,
    EntreesAnomalies,
)
from rules.indicateurs import SCHEMA_MISSIONS_LOCALES, SCHEMA_OBJECTIFS, Referentiels


def fichiers_de_la_nuit(db: Database, d: dt.date) -> pl.DataFrame:
    """Every version of a file named for D or landed by the run of D."""
    query = (
        sa.select(*(fichiers.c[c] for c in SCHEMA_FICHIERS))
        .where((fichiers.c.date_fichier == d) | (fichiers.c.nuit == d))
        .order_by(fichiers.c.id)
    )
    return db.lire(query, SCHEMA_FICHIERS)


def manquants(db: Database, d: dt.date) -> pl.DataFrame:
    query = (
        sa.select(flux_manquants.c.flux, flux_manquants.c.nom_attendu, flux_manquants.c.raison)
        .where(flux_manquants.c.nuit == d)
        .order_by(flux_manquants.c.flux)
    )
    return db.lire(query, SCHEMA_MANQUANTS)


def motifs_quarantaine(db: Database, ids: list[int]) -> pl.DataFrame:
    if not ids:
        return pl.DataFrame(schema=SCHEMA_MOTIFS)
    query = (
        sa.select(
            quarantaine.c.fichier_id,
            quarantaine.c.champ,
            quarantaine.c.regle,
            sa.func.count(sa.distinct(quarantaine.c.ligne)).label("lignes"),
        )
        .where(quarantaine.c.fichier_id.in_(ids))
        .group_by(quarantaine.c.fichier_id, quarantaine.c.champ, quarantaine.c.regle)
    )
    return db.lire(query, SCHEMA_MOTIFS)


def deja_envoyes(db: Database, d: dt.date, cache: Path | None = None) -> pl.DataFrame:
    """Per (flux, cle) of the watched flows, the latest record a night before D sent
    (through the emissions' checked copy in `cache` when given), sorted by flux and key."""
    from pipelines.cache_emissions import derniers_envois

    parts = [
        derniers_envois(db, flux, d, cache).with_columns(pl.lit(flux).alias("flux"))
        for flux in FLUX_CORRIGEABLES
    ]
    return pl.concat(parts).select(list(SCHEMA_ENVOYES)).cast(SCHEMA_ENVOYES).sort("flux", "cle")


def corrections(enregistrements: Mapping[str, pl.DataFrame], envoyes: pl.DataFrame) -> pl.DataFrame:
    """The records of D that an earlier night sent with another content (the upsert rule of
    `pipelines.emission.a_emettre`, `nouveau == False`)."""
    from pipelines.emission import a_emettre  # the emission's own fingerprint, not a copy

    parts = [pl.DataFrame(schema=SCHEMA_CORRECTIONS)]
    for nom in FLUX_CORRIGEABLES:  # four flows
        records = enregistrements.get(nom)
        if records is None or records.is_empty():
            continue
        avant = envoyes.filter(pl.col("flux") == nom).select("cle", "empreinte")
        changes = a_emettre(records, schemas.flux(nom), avant).filter(~pl.col("nouveau"))
        parts.append(changes.select(pl.lit(nom).alias("flux"), "cle", "empreinte"))
    return pl.concat(parts)


def entrees_anomalies(
    db: Database,
    d: dt.date,
    enregistrements: Mapping[str, pl.DataFrame],
    emise: bool,
    cache: Path | None = None,
    divergences_stock: pl.DataFrame | None = None,
) -> EntreesAnomalies:
    """Every input of night D's anomalies besides the `Etat` (`cache`: the emissions'
    checked copy, `pipelines.cache_emissions`; `divergences_stock`: the night's stock
    reconciliation, `pipelines.rapprochement.divergences`)."""
    f = fichiers_de_la_nuit(db, d)
    envoyes = deja_envoyes(db, d, cache)
    return EntreesAnomalies(
        fichiers=f,
        manquants=manquants(db, d),
        motifs_quarantaine=motifs_quarantaine(db, f.get_column("id").to_list()),
        corrections=corrections(enregistrements, envoyes),
        deja_envoyes=envoyes,
        divergences_stock=(
            divergences_stock
            if divergences_stock is not None
            else pl.DataFrame(schema=SCHEMA_DIVERGENCES_STOCK)
        ),
        emise=emise,
    )


def referentiels(entrees: Mapping[str, pl.LazyFrame]) -> Referentiels:
    """REF_MISSIONS_LOCALES and REF_OBJECTIFS in force on D (`rules.historique.au`)."""
    return Referentiels(
        missions_locales=entrees["REF_MISSIONS_LOCALES"]
        .select(list(SCHEMA_MISSIONS_LOCALES))
        .collect(),
        objectifs=entrees["REF_OBJECTIFS"].select(list(SCHEMA_OBJECTIFS)).collect(),
    )


def deja_signales(db: Database, d: dt.date) -> pl.DataFrame:
    """What nights before D reported (the `signalements` table)."""
    query = sa.select(signalements.c.code, signalements.c.nuit, signalements.c.cle).where(
        signalements.c.nuit < d
    )
    return db.lire(query, SCHEMA_SIGNALEMENTS)


def enregistrer_signalements(db: Database, contenu: ContenuRapport) -> int:
    """Store the events night D listed; a re-run of D replaces D's rows. Returns their count."""
    lignes = contenu.signalements
    with db.engine.begin() as conn:
        conn.execute(sa.delete(signalements).where(signalements.c.nuit == contenu.jour))
    if lignes.height:
        db.inserer(signalements, lignes)
    return lignes.height
