"""What earlier nights sent, per key, without re-reading the whole emission ledger each night.

The upsert rule of every outbound flow, and the report's CORRECTION_APRES_ENVOI, need the
latest fingerprint each key was sent with by the nights before D: at national scale the
`emissions` table holds millions of rows, read and reduced every night. The database stays
the only source of truth; this module keeps a derived copy and checks it first:

- each write of a night's emissions of a flow (`ecrire_lot`) first marks its row of
  `emissions_lots` as under way (null token), replaces the rows, then gives it a new random
  token: a night whose rows are not all written has no token;
- a copy (`<cache>/<FLOW>/<N>.parquet`: key, night, fingerprint, the latest per key over
  the nights up to N) names in its metadata the token of every night it was made from. It
  is used for night D > N only when exactly those nights up to N have exactly those tokens
  in the ledger; the nights after N (and before D) are then read from the database.
  Otherwise every row is read, as without the copy;
- after writing night D, the emission keeps the copy covering D (what it read for D plus
  what it sent), for the next night; the copy before it serves D's report.

A night re-run (even after later nights) gets a new token, so no copy made before can vouch
for it; the result is always that of the database. Removing the folder costs one slower
night. Files are private (0600 in 0700 folders).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import uuid
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from connectors.database import Database
from connectors.dropzone import ecrire_atomique, ensure_private_dir
from connectors.tables import emissions, emissions_lots

CLE_METADONNEES = "passerelle_lots"
SCHEMA = {"cle": pl.String, "nuit": pl.Date, "empreinte": pl.String}


def ecrire_lot(db: Database, flux: str, nuit: dt.date, envoi: pl.DataFrame) -> str:
    """Replace the emissions of (flux, nuit) by `envoi` (cle, empreinte, and valeurs and
    renvoi when given) and sign them; returns the new token."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.delete(emissions_lots)
            .where(emissions_lots.c.flux == flux)
            .where(emissions_lots.c.nuit == nuit)
        )
        conn.execute(
            sa.insert(emissions_lots).values(flux=flux, nuit=nuit, lignes=envoi.height, jeton=None)
        )
        conn.execute(
            sa.delete(emissions).where(emissions.c.flux == flux).where(emissions.c.nuit == nuit)
        )
    db.inserer(
        emissions,
        envoi.select(
            pl.lit(flux).alias("flux"),
            pl.lit(nuit).alias("nuit"),
            "cle",
            "empreinte",
            *(c for c in ("valeurs", "renvoi") if c in envoi.columns),
        ),
    )
    jeton = uuid.uuid4().hex
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(emissions_lots)
            .where(emissions_lots.c.flux == flux)
            .where(emissions_lots.c.nuit == nuit)
            .values(jeton=jeton)
        )
    return jeton


Lots = dict[str, list[object]]  # night (ISO) -> [rows, token]


def _lots(db: Database, flux: str, avant: dt.date) -> Lots:
    """The flow's lots of nights before `avant`."""
    frame = db.lire(
        sa.select(emissions_lots.c.nuit, emissions_lots.c.lignes, emissions_lots.c.jeton)
        .where(emissions_lots.c.flux == flux)
        .where(emissions_lots.c.nuit < avant),
        {"nuit": pl.Date, "lignes": pl.Int64, "jeton": pl.String},
    )
    return {n.isoformat(): [int(lignes), jeton] for n, lignes, jeton in frame.iter_rows()}


def _signes(lots: Lots) -> bool:
    return all(jeton is not None for _, jeton in lots.values())


def _latest(lignes: pl.DataFrame) -> pl.DataFrame:
    """The latest row (night) per key."""
    return lignes.sort("nuit").group_by("cle", maintain_order=True).last().select(list(SCHEMA))


def _depuis_la_base(
    db: Database, flux: str, avant: dt.date, apres: dt.date | None = None
) -> pl.DataFrame:
    query = (
        sa.select(emissions.c.cle, emissions.c.nuit, emissions.c.empreinte)
        .where(emissions.c.flux == flux)
        .where(emissions.c.nuit < avant)
    )
    if apres is not None:
        query = query.where(emissions.c.nuit > apres)
    return _latest(db.lire(query, SCHEMA))


def _copie(chemin: Path, lots: Lots) -> pl.DataFrame | None:
    """The copy when every night it covers (up to its name's night) is still what the
    ledger says; None otherwise."""
    fin = chemin.stem
    try:
        meta = json.loads(pl.read_parquet_metadata(chemin)[CLE_METADONNEES])
    except (OSError, KeyError, ValueError, pl.exceptions.PolarsError):
        return None
    if not meta or max(meta) != fin or not _signes(meta):
        return None
    if meta != {n: v for n, v in lots.items() if n <= fin}:
        return None
    try:
        return pl.read_parquet(chemin)
    except (OSError, pl.exceptions.PolarsError):
        return None


def lire(
    db: Database, flux: str, nuit: dt.date, dossier: Path | None = None
) -> tuple[pl.DataFrame, Lots]:
    """`derniers_envois`, and the lots of the nights before `nuit` it stands for."""
    lots = _lots(db, flux, nuit)
    if dossier is None:
        return _depuis_la_base(db, flux, nuit), lots
    copies = sorted((dossier / flux).glob("*.parquet"), reverse=True)
    for chemin in (c for c in copies if c.stem < nuit.isoformat()):
        anciens = _copie(chemin, lots)
        if anciens is not None:
            fin = dt.date.fromisoformat(chemin.stem)
            nouveaux = _depuis_la_base(db, flux, nuit, apres=fin)
            resultat = pl.concat(
                [anciens.join(nouveaux.select("cle"), on="cle", how="anti"), nouveaux]
            )
            break
    else:
        resultat, fin = _depuis_la_base(db, flux, nuit), None
    if lots and _signes(lots) and (fin is None or max(lots) > fin.isoformat()):
        _garder(dossier / flux, resultat, lots)
    return resultat, lots


def derniers_envois(
    db: Database, flux: str, nuit: dt.date, dossier: Path | None = None
) -> pl.DataFrame:
    """(cle, nuit, empreinte): the latest record each key was sent with by a night before
    `nuit`, from the database, through the copies kept in `dossier` when given."""
    return lire(db, flux, nuit, dossier)[0]


def prolonger(
    db: Database,
    flux: str,
    nuit: dt.date,
    precedents: pl.DataFrame,
    lots: Lots,
    envoi: pl.DataFrame,
    jeton: str,
    dossier: Path,
) -> None:
    """After night D's write (`envoi`, signed `jeton`): keep the copy covering D, made from
    what was read for D (`precedents` and `lots`, from `lire`), when the ledger has changed
    by that write only."""
    attendus = {**lots, nuit.isoformat(): [envoi.height, jeton]}
    if not _signes(attendus) or _lots(db, flux, nuit + dt.timedelta(days=1)) != attendus:
        return
    du_jour = envoi.select("cle", pl.lit(nuit).alias("nuit"), "empreinte")
    lignes = pl.concat([precedents.join(du_jour.select("cle"), on="cle", how="anti"), du_jour])
    _garder(dossier / flux, lignes, attendus)


# Copies kept per flow: the newest serves the next night, the one before serves the report
# of the night that has just been emitted.
COPIES = 2


def _garder(dossier: Path, lignes: pl.DataFrame, lots: Lots) -> None:
    ensure_private_dir(dossier)
    tampon = io.BytesIO()
    lignes.write_parquet(
        tampon, compression="lz4", metadata={CLE_METADONNEES: json.dumps(lots, sort_keys=True)}
    )
    with contextlib.suppress(OSError):  # a copy that cannot be kept only costs time
        ecrire_atomique(dossier / f"{max(lots)}.parquet", tampon.getvalue())
        for ancienne in sorted(dossier.glob("*.parquet"), reverse=True)[COPIES:]:
            ancienne.unlink(missing_ok=True)
