"""Outbound flows as upserts, with the emission ledger (FLOWS.md, Outbound semantics).

On night D a record is written when no run of an earlier night sent its key, or when its
content differs from the latest content an earlier night sent for that key. Runs of D or of
later nights are ignored when computing D, so re-running D, even after later nights, writes
byte-identical files. `DUDE_IN_ETATS` is a full snapshot and bypasses the ledger.

Data minimisation: each receiving system gets the columns of its flows' contracts and
nothing else (`COLONNES_AUTORISEES`, from schemas/sortants.py). `emettre` refuses a frame
with any other column before a byte is written, so a rule that lets a field slip through
(a radiation motif towards Parcours 3) stops the flow instead of sending it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import schemas
from connectors.database import Database
from connectors.dropzone import DropZone
from pipelines import cache_emissions
from pipelines.empreinte import empreintes
from schemas.contract import Flux
from schemas.dialect import Ok, ecrire, lire
from schemas.validation import trier

SNAPSHOTS = {"DUDE_IN_ETATS"}

# Receiving system -> outbound flow -> the only columns it may carry (the contract's).
COLONNES_AUTORISEES: dict[str, dict[str, tuple[str, ...]]] = {}
for _f in schemas.SORTANTS:
    COLONNES_AUTORISEES.setdefault(_f.systeme.nom, {})[_f.nom] = tuple(_f.colonnes)


class ColonneHorsContrat(ValueError):
    """An outbound frame with a column its receiving system must not receive."""


def verifier_colonnes(records: pl.DataFrame, flux: Flux) -> None:
    """Refuse a frame whose columns are not all in the flow's allow-list."""
    autorisees = COLONNES_AUTORISEES.get(flux.systeme.nom, {}).get(flux.nom, ())
    hors = [c for c in records.columns if c not in autorisees]
    if hors:
        raise ColonneHorsContrat(
            f"{flux.nom} : colonne(s) hors du contrat de {flux.systeme.nom} : "
            f"{', '.join(hors)} ; rien n'a été envoyé"
        )


@dataclass(frozen=True)
class Emission:
    flux: str
    nom: str
    enregistrements: int  # records written in the file
    nouveaux: int  # keys never sent before
    modifies: int  # keys sent before with another content
    sha256: str
    non_conformes: int  # rows of the file that fail the flow's schema (then nothing is sent)
    renvoyes: int = 0  # records sent again because a stock showed them lacking (R5)


# The columns of the content sent that the emission ledger keeps (`emissions.valeurs`), for
# the stock reconciliation's expected views (RULES.md R2); every flow keeps its key columns.
# Identifiers, codes and dates only: a name, a birth date or an address is never kept.
COLONNES_TRACEES: dict[str, tuple[str, ...]] = {
    "P3_IN_AFFECTATIONS": ("id_de", "code_ml", "date_affectation"),
    "P3_IN_STATUTS": ("statut",),
    "P3_IN_TRAITEMENTS_ALERTE": ("id_de",),
    "P3_IN_SORTIES": ("date_sortie",),
    "P3_IN_ANNULATIONS": ("date_annulation",),
    "GIDE_IN_INITIALISATIONS": ("date_initialisation",),
    "GIDE_IN_SORTIES": ("date_sortie",),
}


def tracees(flux: Flux) -> list[str]:
    """The key and traced columns of the flow, in the flow's column order."""
    gardees = set(flux.cle) | set(COLONNES_TRACEES.get(flux.nom, ()))
    return [c for c in flux.colonnes if c in gardees]


def _texte(col: str, flux: Flux) -> pl.Expr:
    """A column as it travels in the flow's dialect (dates formatted, null as empty)."""
    expr = pl.col(col)
    if col in flux.dates:
        expr = expr.dt.strftime(flux.date_format)
    return expr.cast(pl.String).fill_null("")


def _rendu(records: pl.DataFrame, flux: Flux) -> pl.DataFrame:
    """Each record's key and content as text, the way they travel in the flow's dialect,
    and the JSON text of its traced values (`COLONNES_TRACEES`)."""
    return records.select(
        pl.concat_str([_texte(c, flux) for c in flux.cle], separator="|").alias("cle"),
        pl.concat_str([_texte(c, flux) for c in flux.colonnes], separator=";").alias("contenu"),
        pl.struct([_texte(c, flux) for c in tracees(flux)]).struct.json_encode().alias("valeurs"),
    )


def precedentes(db: Database, flux: Flux, nuit: dt.date, cache: Path | None = None) -> pl.DataFrame:
    """(cle, empreinte) of the latest content earlier nights sent, per key (through the
    checked copy in `cache` when given: `pipelines.cache_emissions`)."""
    return cache_emissions.derniers_envois(db, flux.nom, nuit, cache).drop("nuit")


def marquer(records: pl.DataFrame, flux: Flux) -> pl.DataFrame:
    """The records with their key (`cle`), traced values (`valeurs`) and content
    fingerprint (`empreinte`), as the emission ledger records them."""
    rendu = _rendu(records, flux)
    return pl.concat(
        [
            records,
            rendu.select("cle", "valeurs"),
            empreintes(rendu["contenu"]).alias("empreinte").to_frame(),
        ],
        how="horizontal",
    )


def a_emettre(records: pl.DataFrame, flux: Flux, deja: pl.DataFrame) -> pl.DataFrame:
    """The records to write on the night: new keys and changed contents.

    `records` are all the records that exist as of the night (typed, the flow's columns);
    `deja` is what earlier nights sent, from `precedentes`. Adds the columns `cle`,
    `valeurs`, `empreinte` and `nouveau` (the key was never sent).
    """
    marked = marquer(records, flux)
    return (
        marked.join(deja.rename({"empreinte": "_avant"}), on="cle", how="left")
        .filter(pl.col("_avant").is_null() | (pl.col("_avant") != pl.col("empreinte")))
        .with_columns(pl.col("_avant").is_null().alias("nouveau"))
        .drop("_avant")
    )


def emettre(
    db: Database,
    zone: DropZone,
    flux: Flux,
    nuit: dt.date,
    records: pl.DataFrame,
    cache: Path | None = None,
    renvois: pl.DataFrame | None = None,
) -> Emission:
    """Write the night's file of an outbound flow and remember what it carried.

    `renvois` (cle, empreinte): records to send again although the upsert rule would not
    (RULES.md R5, `pipelines.rapprochement`): each is written when tonight's record of that
    key still has that content, and recorded in the ledger as a re-send.
    """
    verifier_colonnes(records, flux)
    if flux.nom in SNAPSHOTS:
        envoi = records.with_columns(pl.lit(True).alias("nouveau"), pl.lit(False).alias("renvoi"))
    else:
        envoyes, lots = cache_emissions.lire(db, flux.nom, nuit, cache)
        envoi = a_emettre(records, flux, envoyes.drop("nuit")).with_columns(
            pl.lit(False).alias("renvoi")
        )
        if renvois is not None and not renvois.is_empty():
            envoi = pl.concat([envoi, _renvoyes(records, flux, renvois, envoi)])
    data = ecrire(envoi.select(flux.colonnes), flux)
    ok = Ok.of(data, envoi.height)
    nom = flux.nom_fichier(nuit)
    # The file is read back as the receiving system will read it: a record that breaks the
    # contract is a defect of Passerelle, and such a file is not sent.
    relu = trier(lire(data, flux), flux)
    non_conformes = relu.nb_quarantaine + relu.doublons.height
    if non_conformes == 0:
        zone.deposer(nom, data, ok.render())
    if non_conformes == 0 and flux.nom not in SNAPSHOTS:
        lot = envoi.select("cle", "empreinte", "valeurs", "renvoi")
        jeton = cache_emissions.ecrire_lot(db, flux.nom, nuit, lot)
        if cache is not None:
            cache_emissions.prolonger(db, flux.nom, nuit, envoyes, lots, lot, jeton, cache)
    nouveaux = int(envoi["nouveau"].sum())
    renvoyes = int(envoi["renvoi"].sum())
    return Emission(
        flux=flux.nom,
        nom=nom,
        enregistrements=envoi.height,
        nouveaux=nouveaux,
        modifies=envoi.height - nouveaux - renvoyes,
        sha256=ok.sha256,
        non_conformes=non_conformes,
        renvoyes=renvoyes,
    )


def _renvoyes(
    records: pl.DataFrame, flux: Flux, renvois: pl.DataFrame, envoi: pl.DataFrame
) -> pl.DataFrame:
    """The records of `renvois` that still have the content to re-send and that the upsert
    rule does not already write tonight, marked as re-sends."""
    return (
        marquer(records, flux)
        .join(renvois.select("cle", "empreinte"), on=["cle", "empreinte"], how="semi")
        .join(envoi.select("cle"), on="cle", how="anti")
        .with_columns(pl.lit(False).alias("nouveau"), pl.lit(True).alias("renvoi"))
        .select(envoi.columns)
    )
