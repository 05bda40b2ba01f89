"""Ingestion of a night: land the files, validate them, record them (no Dagster here).

Two steps per flow, each an asset of the nightly partition:

- **landing** (`atterrir`): every complete file of the flow (data + `.ok`) dated ≤ night
  that the ledger does not know yet is read once, checked against its `.ok` checksum, copied
  to the staging area and recorded RECU. Late files of earlier nights are landed too: the
  state of a night is a function of every file dated on or before it.
- **validation** (`valider`): each RECU version is claimed, decoded in its system's dialect,
  checked against its `.ok` row count and its schema, and split into applied, duplicate and
  quarantined rows; the rows are written, then the version is marked APPLIQUE in the same
  ledger row that makes them visible. A file that cannot be read, whose counts disagree, or
  whose share of quarantined rows exceeds the threshold, is REJETE and set aside untouched.

What is decided about a file (the `.ok` checksum, the content's verdict) is decided by
`schemas.verdict`, a pure function of its bytes that `passerelle valider` runs too; this
module records it.

Messages name the file, the line and the field, never a value from the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlalchemy as sa

import schemas
from connectors import ledger
from connectors.database import Database
from connectors.depot import Depot
from connectors.dropzone import ecrire_atomique, ensure_private_dir
from connectors.point_d_arret import atteint
from connectors.tables import (
    APPLIQUE,
    REJETE,
    historique,
    quarantaine,
    quarantaine_contenu,
)
from pipelines import cache_historique
from pipelines.erreurs import sans_valeurs
from pipelines.reglages import Reglages
from rules.historique import DATE_FICHIER, LIGNE, ORDRE, Historique, colonnes_historique
from schemas.contract import Flux, NomFichier
from schemas.dialect import FichierRejete, Ok
from schemas.validation import Tri
from schemas.verdict import controler_somme, juger_contenu

log = logging.getLogger(__name__)

# Presence of the night's own file of a flow, as seen in its drop zone.
PRESENT = "PRESENT"
SANS_OK = "SANS_OK"
ABSENT = "ABSENT"


@dataclass(frozen=True)
class ResultatFichier:
    """What happened to one file version in this run (metadata for operators)."""

    nom: str
    date_fichier: dt.date
    sha256: str
    statut: str  # RECU, APPLIQUE, REJETE, or DEJA_TRAITE (landed by another run)
    lignes_ok: int | None = None
    appliquees: int = 0
    doublons: int = 0
    quarantaine: int = 0
    conflits: int = 0
    motif_rejet: str | None = None
    message: str | None = None
    chemin_de_cote: str | None = None
    motifs: list[dict[str, object]] = field(default_factory=list)  # sample of reasons


@dataclass(frozen=True)
class Atterrissage:
    """The landing of one flow for one night."""

    flux: str
    nuit: dt.date
    presence: str  # PRESENT, SANS_OK or ABSENT: the night's own file in the zone
    fichiers: list[ResultatFichier]


def _staging_path(reglages: Reglages, nom: str, sha256: str) -> Path:
    return reglages.staging / f"{nom}.{sha256[:16]}"


def mettre_de_cote(reglages: Reglages, nom: str, date_fichier: dt.date, sha256: str) -> Path:
    """The folder where a rejected version is kept for operators (never inbox or outbox)."""
    dossier = reglages.rejets / date_fichier.isoformat() / sha256[:16]
    ensure_private_dir(dossier)
    return dossier


def _rejeter_a_l_atterrissage(
    db: Database,
    reglages: Reglages,
    ok_brut: bytes | None,
    nom: str,
    nf: NomFichier,
    nuit: dt.date,
    data: bytes,
    erreur: FichierRejete,
    ok: Ok | None,
) -> ResultatFichier:
    sha = hashlib.sha256(data).hexdigest()
    dossier = mettre_de_cote(reglages, nom, nf.date, sha)
    ecrire_atomique(dossier / nom, data)
    if ok_brut is not None:
        ecrire_atomique(dossier / f"{nom}.ok", ok_brut)
    ledger.enregistrer(
        db,
        nom=nom,
        flux=nf.flux,
        date_fichier=nf.date,
        sha256=sha,
        sha256_ok=ok.sha256 if ok else None,
        taille=len(data),
        lignes_ok=ok.rows if ok else None,
        statut=REJETE,
        motif_rejet=erreur.motif,
        message_rejet=erreur.message,
        nuit=nuit,
        chemin_de_cote=str(dossier / nom),
        traite_le=ledger.maintenant(),
    )
    log.warning("%s rejeté (%s) : %s", nom, erreur.motif, erreur.message)
    return ResultatFichier(
        nom=nom,
        date_fichier=nf.date,
        sha256=sha,
        statut=REJETE,
        lignes_ok=ok.rows if ok else None,
        motif_rejet=erreur.motif,
        message=erreur.message,
        chemin_de_cote=str(dossier / nom),
    )


def atterrir(depot: Depot, db: Database, flux: Flux, nuit: dt.date, reglages: Reglages):
    """Land every new complete file of the flow dated ≤ night. See the module docstring."""
    zone = depot.zone(flux.systeme.nom)
    vus = []
    for depose in zone.lister():
        nf = NomFichier.parse(depose.nom)
        if nf is not None and nf.flux == flux.nom and nf.date <= nuit:
            vus.append((depose, nf))
    nuit_nom = flux.nom_fichier(nuit)
    presence = ABSENT
    resultats: list[ResultatFichier] = []
    for depose, nf in vus:
        if depose.nom == nuit_nom:
            presence = PRESENT if depose.complet else SANS_OK
        if not depose.complet:
            continue  # still being written: read only once its .ok is there
        with sans_valeurs(depose.nom):
            resultat = _atterrir_fichier(depot, db, flux, nuit, reglages, depose.nom, nf)
        if resultat is not None:
            resultats.append(resultat)
    return Atterrissage(flux=flux.nom, nuit=nuit, presence=presence, fichiers=resultats)


def _atterrir_fichier(
    depot: Depot,
    db: Database,
    flux: Flux,
    nuit: dt.date,
    reglages: Reglages,
    nom: str,
    nf: NomFichier,
) -> ResultatFichier | None:
    """Land one complete file; None when the ledger already knows this version."""
    zone = depot.zone(flux.systeme.nom)
    ok_raw = zone.lire_ok(nom)
    try:
        ok = Ok.parse(ok_raw)
    except FichierRejete as erreur:
        data = zone.lire(nom)
        if ledger.connue(db, nom, hashlib.sha256(data).hexdigest()):
            return None
        return _rejeter_a_l_atterrissage(db, reglages, ok_raw, nom, nf, nuit, data, erreur, None)
    if ledger.connue(db, nom, ok.sha256):
        return None
    data = zone.lire(nom)
    try:
        sha = controler_somme(data, ok)
    except FichierRejete as erreur:
        if ledger.connue(db, nom, hashlib.sha256(data).hexdigest()):
            return None
        return _rejeter_a_l_atterrissage(db, reglages, ok_raw, nom, nf, nuit, data, erreur, ok)
    staging = _staging_path(reglages, nom, sha)
    ecrire_atomique(staging, data)
    version_id = ledger.enregistrer(
        db,
        nom=nom,
        flux=flux.nom,
        date_fichier=nf.date,
        sha256=sha,
        sha256_ok=ok.sha256,
        taille=len(data),
        lignes_ok=ok.rows,
        statut=ledger.RECU,
        nuit=nuit,
        chemin_staging=str(staging),
    )
    statut = ledger.RECU if version_id is not None else "DEJA_TRAITE"
    return ResultatFichier(
        nom=nom, date_fichier=nf.date, sha256=sha, statut=statut, lignes_ok=ok.rows
    )


def _supprimer_lignes(db: Database, flux: Flux, version_id: int) -> None:
    """Remove what a crashed attempt may have written for this version before retrying."""
    with db.engine.begin() as conn:
        for table in (historique[flux.nom], quarantaine, quarantaine_contenu):
            conn.execute(sa.delete(table).where(table.c.fichier_id == version_id))


def _ecrire_lignes(db: Database, flux: Flux, version_id: int, tri: Tri, appliquer: bool) -> None:
    if appliquer:
        rows = tri.appliquees.rename({LIGNE: "ligne"}).with_columns(
            pl.lit(version_id, dtype=pl.Int64).alias("fichier_id")
        )
        db.inserer(historique[flux.nom], rows.select("fichier_id", "ligne", *flux.colonnes))
    db.inserer(
        quarantaine,
        tri.quarantaine.rename({LIGNE: "ligne"})
        .with_columns(pl.lit(version_id, dtype=pl.Int64).alias("fichier_id"))
        .select("fichier_id", "ligne", "champ", "regle", "message"),
    )
    db.inserer(
        quarantaine_contenu,
        tri.lignes_en_quarantaine.rename({LIGNE: "ligne", "contenu_champs": "contenu"})
        .with_columns(pl.lit(version_id, dtype=pl.Int64).alias("fichier_id"))
        .select("fichier_id", "ligne", "contenu"),
    )


def _echantillon_motifs(tri: Tri, nom: str, n: int = 5) -> list[dict[str, object]]:
    """The first reasons of each rule broken (line, field, rule, message: no values)."""
    sample = tri.quarantaine.group_by("regle", maintain_order=True).head(n).head(4 * n)
    return (
        sample.select(pl.lit(nom).alias("fichier"), LIGNE, "champ", "regle", "message")
        .rename({LIGNE: "ligne"})
        .to_dicts()
    )


def valider_version(
    db: Database, flux: Flux, version: ledger.Version, jeton: str, reglages: Reglages
) -> ResultatFichier:
    """Validate one claimed version and record its rows (see the module docstring)."""
    with sans_valeurs(version.nom):
        return _valider_version(db, flux, version, jeton, reglages)


def _valider_version(
    db: Database, flux: Flux, version: ledger.Version, jeton: str, reglages: Reglages
) -> ResultatFichier:
    _supprimer_lignes(db, flux, version.id)
    data = Path(version.chemin_staging or "").read_bytes()
    base = {
        "nom": version.nom,
        "date_fichier": version.date_fichier,
        "sha256": version.sha256,
        "lignes_ok": version.lignes_ok,
    }
    counts = {"appliquees": 0, "doublons": 0, "quarantaine": 0, "conflits": 0}
    motifs: list[dict[str, object]] = []
    try:
        if hashlib.sha256(data).hexdigest() != version.sha256:
            raise FichierRejete("CHECKSUM", "copie de travail altérée depuis la réception")
        # The judging itself is `schemas.verdict`'s, the one `passerelle valider` runs too.
        verdict = juger_contenu(data, flux, version.lignes_ok, reglages.seuil_quarantaine)
        if verdict.tri is not None:
            counts = {
                "appliquees": verdict.appliquees,
                "doublons": verdict.doublons,
                "quarantaine": verdict.quarantaine,
                "conflits": verdict.conflits,
            }
            motifs = _echantillon_motifs(verdict.tri, version.nom)
            # The reasons are recorded even for a file rejected for its share of bad rows:
            # they are what the sender must fix.
            _ecrire_lignes(db, flux, version.id, verdict.tri, appliquer=not verdict.rejete)
            # Crash tests only: the rows are written, the version is not APPLIQUE yet.
            atteint("validation", version.nom)
        if verdict.rejet is not None:
            raise verdict.rejet
    except FichierRejete as erreur:
        dossier = mettre_de_cote(reglages, version.nom, version.date_fichier, version.sha256)
        ecrire_atomique(dossier / version.nom, data)
        ledger.terminer(
            db,
            version.id,
            jeton,
            statut=REJETE,
            motif_rejet=erreur.motif,
            message_rejet=erreur.message,
            chemin_de_cote=str(dossier / version.nom),
            lignes_appliquees=0,
            doublons=counts["doublons"],
            quarantaine=counts["quarantaine"],
            conflits=counts["conflits"],
        )
        log.warning("%s rejeté (%s) : %s", version.nom, erreur.motif, erreur.message)
        return ResultatFichier(
            **base,
            statut=REJETE,
            motif_rejet=erreur.motif,
            message=erreur.message,
            chemin_de_cote=str(dossier / version.nom),
            motifs=motifs,
            **counts,
        )
    ledger.terminer(
        db,
        version.id,
        jeton,
        statut=APPLIQUE,
        lignes_appliquees=counts["appliquees"],
        doublons=counts["doublons"],
        quarantaine=counts["quarantaine"],
        conflits=counts["conflits"],
    )
    log.info(
        "%s : %d lignes appliquées, %d doublons, %d en quarantaine",
        version.nom,
        counts["appliquees"],
        counts["doublons"],
        counts["quarantaine"],
    )
    return ResultatFichier(**base, statut=APPLIQUE, motifs=motifs, **counts)


def valider(db: Database, flux: Flux, nuit: dt.date, reglages: Reglages) -> list[ResultatFichier]:
    """Validate every landed version of the flow dated ≤ night that no run holds."""
    reclamation = dt.timedelta(minutes=reglages.reclamation_minutes)
    resultats = []
    for version in ledger.a_valider(db, flux.nom, nuit, reclamation):
        jeton = ledger.reclamer(db, version, reclamation)
        if jeton is None:
            continue  # another run holds it
        resultats.append(valider_version(db, flux, version, jeton, reglages))
    return resultats


def charger_historique(db: Database, nuit: dt.date, cache: Path | None = None) -> Historique:
    """The validated history the rules of that night may read: files dated ≤ night.

    With `cache` (a private folder), the rows are read from the columnar copy kept there
    (`pipelines.cache_historique`), checked against the ledger; without it, from the
    database. Both give the same rows.
    """
    if cache is not None:
        return cache_historique.charger(db, nuit, cache)
    appliques = ledger.appliques_jusqu_a(db, nuit).subquery()
    fichiers_frame = db.lire(
        sa.select(
            appliques.c.flux,
            appliques.c.date_fichier.label(DATE_FICHIER),
            appliques.c.id.label(ORDRE),
        ),
        {"flux": pl.String, DATE_FICHIER: pl.Date, ORDRE: pl.Int64},
    )
    tables = {}
    for f in schemas.ENTRANTS:
        h = historique[f.nom]
        query = sa.select(
            *(h.c[c] for c in f.colonnes),
            appliques.c.date_fichier.label(DATE_FICHIER),
            appliques.c.id.label(ORDRE),
            h.c.ligne.label(LIGNE),
        ).join_from(h, appliques, h.c.fichier_id == appliques.c.id)
        tables[f.nom] = db.lire(query, colonnes_historique(f.nom)).lazy()
    return Historique(tables=tables, fichiers=fichiers_frame.lazy())


def fichiers_inattendus(depot: Depot, nuit: dt.date) -> list[tuple[str, str]]:
    """Names in the inboxes that are no file of the contract, or dated after the night."""
    out = []
    for zone in depot.zones_entree():
        for depose in zone.lister():
            nf = NomFichier.parse(depose.nom)
            if nf is None or not schemas.est_flux(nf.flux) or not schemas.flux(nf.flux).entrant:
                out.append((depose.nom, "NOM_INCONNU"))
            elif nf.date > nuit:
                out.append((depose.nom, "DATE_FUTURE"))
    return sorted(set(out))


__all__ = [
    "ABSENT",
    "PRESENT",
    "SANS_OK",
    "Atterrissage",
    "ResultatFichier",
    "atterrir",
    "charger_historique",
    "fichiers_inattendus",
    "valider",
]
