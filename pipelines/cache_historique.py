"""A columnar copy of the validated history, so that a night does not re-read it from SQL.

Every night reads the whole history (five years: ~15 M rows at national scale). The database
stays the only source of truth; this cache is derived from it and checked against the
ledger before each use:

- a *segment* is a Parquet file under `<cache>/<FLOW>/` holding every validated row of some
  applied file versions (`fichier_id`, `ligne`, the file's date and the typed contract
  columns), and, in its key-value metadata, the ledger's description of each of those
  versions: id, name, date, sha256 and number of applied rows;
- a night reads the ledger (applied versions dated ≤ D), takes each version from a segment
  whose description matches the ledger's row exactly, and reads the versions no segment
  holds from the database, then keeps them as a new segment for the next nights;
- a segment that disagrees with the ledger is never read (and removed), so a stale or
  foreign file cannot change a state. An applied version never changes (its rows are
  written before it becomes APPLIQUE and never touched again), which is what makes the copy
  safe to keep.

The state of night D stays a pure function of the files dated ≤ D: which versions are read
is decided by the ledger, exactly as without the cache, and removing the folder only costs
one slower night. Files are private (0600 in 0700 folders): they hold personal data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

import schemas
from connectors.database import Database
from connectors.dropzone import ecrire_atomique, ensure_private_dir
from connectors.tables import APPLIQUE, fichiers, historique
from rules.historique import DATE_FICHIER, LIGNE, ORDRE, Historique, colonnes_historique

log = logging.getLogger(__name__)

CLE_METADONNEES = "passerelle_versions"
# Segments of a flow beyond which the small ones are merged (the largest is left alone).
SEGMENTS_MAX = 12


@dataclass(frozen=True)
class Segment:
    chemin: Path
    versions: dict[int, tuple[str, str, str, int]]  # id -> (nom, date, sha256, lignes)


def description(ledger: pl.DataFrame) -> dict[int, tuple[str, str, str, int]]:
    """The ledger's rows as a segment describes them: id -> (nom, date, sha256, lignes)."""
    return {
        int(i): (nom, d.isoformat(), sha, int(n or 0))
        for i, nom, d, sha, n in ledger.select(
            "id", "nom", DATE_FICHIER, "sha256", "lignes_appliquees"
        ).iter_rows()
    }


def versions_appliquees(db: Database) -> pl.DataFrame:
    """Every applied version: id, flux, nom, DATE_FICHIER, sha256, lignes_appliquees."""
    query = sa.select(
        fichiers.c.id,
        fichiers.c.flux,
        fichiers.c.nom,
        fichiers.c.date_fichier.label(DATE_FICHIER),
        fichiers.c.sha256,
        fichiers.c.lignes_appliquees,
    ).where(fichiers.c.statut == APPLIQUE)
    return db.lire(
        query,
        {
            "id": pl.Int64,
            "flux": pl.String,
            "nom": pl.String,
            DATE_FICHIER: pl.Date,
            "sha256": pl.String,
            "lignes_appliquees": pl.Int64,
        },
    )


def _lire_segment(chemin: Path) -> Segment | None:
    try:
        brut = pl.read_parquet_metadata(chemin).get(CLE_METADONNEES)
        versions = json.loads(brut) if brut else None
    except (OSError, ValueError, pl.exceptions.PolarsError):
        versions = None
    if not isinstance(versions, dict):
        return None
    return Segment(chemin, {int(k): tuple(v) for k, v in versions.items()})  # type: ignore[misc]


def segments(dossier: Path, attendu: dict[int, tuple[str, str, str, int]]) -> list[Segment]:
    """The flow's segments, each with only its versions that agree with the ledger
    (`attendu`: every applied version of the flow); a segment none of whose versions
    agrees is removed."""
    bons = []
    for chemin in sorted(dossier.glob("*.parquet")) if dossier.is_dir() else []:
        seg = _lire_segment(chemin)
        versions = {i: v for i, v in (seg.versions.items() if seg else ()) if attendu.get(i) == v}
        if seg is not None and len(versions) < len(seg.versions):
            log.warning(
                "cache de l'historique : %d version(s) de %s écartée(s) (ne correspondent plus "
                "au registre)",
                len(seg.versions) - len(versions),
                chemin.name,
            )
        if versions:
            bons.append(Segment(chemin, versions))
        else:
            with contextlib.suppress(OSError):
                chemin.unlink()
    return bons


def _lignes_depuis_la_base(
    db: Database, flux: schemas.Flux, versions: pl.DataFrame, toutes: pl.DataFrame
) -> pl.DataFrame:
    """The rows of `versions` (id, DATE_FICHIER) from the database, sorted by id and line.

    A few versions (an ordinary night) are looked up through the index on fichier_id; most
    of the flow (the first night after a reprise, or an emptied cache) is one table scan.
    """
    h = historique[flux.nom]
    query = sa.select(
        h.c.fichier_id.label(ORDRE), h.c.ligne.label(LIGNE), *(h.c[c] for c in flux.colonnes)
    )
    ids = versions.get_column("id")
    lignes = int(versions.get_column("lignes_appliquees").sum() or 0)
    if lignes * 2 < int(toutes.get_column("lignes_appliquees").sum() or 0):
        query = query.where(h.c.fichier_id.in_(ids.to_list()))
    schema = colonnes_historique(flux.nom)
    return (
        db.lire(query, schema)
        .filter(pl.col(ORDRE).is_in(ids.implode()))
        .join(versions.select(pl.col("id").alias(ORDRE), DATE_FICHIER), on=ORDRE)
        .sort(ORDRE, LIGNE)
        .select(list(schema))
    )


def ecrire_segment(
    dossier: Path, lignes: pl.DataFrame, versions: dict[int, tuple[str, str, str, int]]
) -> Path:
    """Write the rows of `versions` (ids -> ledger description) as one segment."""
    ensure_private_dir(dossier)
    meta = json.dumps({str(i): list(v) for i, v in sorted(versions.items())})
    nom = f"{min(versions)}-{max(versions)}-{hashlib.sha256(meta.encode()).hexdigest()[:12]}"
    tampon = io.BytesIO()
    lignes.write_parquet(
        tampon, compression="lz4", statistics=True, metadata={CLE_METADONNEES: meta}
    )
    chemin = dossier / f"{nom}.parquet"
    ecrire_atomique(chemin, tampon.getvalue())
    return chemin


def _compacter(dossier: Path, segs: list[Segment]) -> list[Segment]:
    """Merge every segment but the largest when there are too many (bounded rewrite)."""
    if len(segs) <= SEGMENTS_MAX:
        return segs
    segs = sorted(segs, key=lambda s: -sum(v[3] for v in s.versions.values()))
    garde, petits = segs[0], segs[1:]
    versions: dict[int, tuple[str, str, str, int]] = {}
    for s in petits:
        versions.update(s.versions)
    lignes = pl.concat(
        [pl.read_parquet(s.chemin).filter(pl.col(ORDRE).is_in(list(s.versions))) for s in petits]
    ).unique([ORDRE, LIGNE], keep="first", maintain_order=True)
    chemin = ecrire_segment(dossier, lignes.sort(ORDRE, LIGNE), versions)
    for s in petits:
        if s.chemin != chemin:
            s.chemin.unlink(missing_ok=True)
    return [garde, Segment(chemin, versions)]


def table(
    db: Database, dossier: Path, flux: schemas.Flux, appliquees: pl.DataFrame, nuit: dt.date
) -> pl.LazyFrame:
    """The history rows of the flow's applied versions dated ≤ night (`appliquees`: every
    applied version of the flow, from `versions_appliquees`), as in `colonnes_historique`."""
    attendu = description(appliquees)
    voulues = set(appliquees.filter(pl.col(DATE_FICHIER) <= nuit).get_column("id").to_list())
    segs = segments(dossier, attendu)
    manquantes = voulues - {i for s in segs for i in s.versions}
    if manquantes:
        lignes = _lignes_depuis_la_base(
            db, flux, appliquees.filter(pl.col("id").is_in(sorted(manquantes))), appliquees
        )
        versions = {i: attendu[i] for i in manquantes}
        segs.append(Segment(ecrire_segment(dossier, lignes, versions), versions))
        segs = _compacter(dossier, segs)
    parts = []
    prises: set[int] = set()
    for s in segs:
        ids = sorted((set(s.versions) & voulues) - prises)
        if ids:
            prises.update(ids)
            parts.append(pl.scan_parquet(s.chemin).filter(pl.col(ORDRE).is_in(ids)))
    if not parts:
        return pl.LazyFrame(schema=colonnes_historique(flux.nom))
    return pl.concat(parts, how="vertical")


def charger(db: Database, nuit: dt.date, dossier: Path) -> Historique:
    """`pipelines.ingestion.charger_historique` through the cache in `dossier`."""
    appliquees = versions_appliquees(db)
    tables = {
        f.nom: table(db, dossier / f.nom, f, appliquees.filter(pl.col("flux") == f.nom), nuit)
        for f in schemas.ENTRANTS
    }
    retenues = appliquees.filter(pl.col(DATE_FICHIER) <= nuit).select(
        "flux", DATE_FICHIER, pl.col("id").alias(ORDRE)
    )
    return Historique(tables=tables, fichiers=retenues.lazy())
