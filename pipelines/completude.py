"""Whether a night's inbound file set is complete and accepted (FLOWS.md, Outbound semantics).

A night is complete when every mandatory flow has an applied file named for that night and
no file named for that night ends rejected (stock files aside: a rejected stock raises
STOCK_REJETE and the night is still emitted). A rejected version later replaced by an applied
re-delivery under the same name no longer blocks the night (**reading taken**: the sender
fixed it). Outbound flows are emitted only for a complete night, unless an operator forces a
partial run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

import schemas
from connectors import ledger
from connectors.database import Database
from connectors.tables import APPLIQUE, REJETE, fichiers_ignores, flux_manquants, nuits

# Why a mandatory flow counts as missing.
ABSENT = "ABSENT"  # no file at all
SANS_OK = "SANS_OK"  # the data file is there but its .ok has not arrived
NON_VALIDE = "NON_VALIDE"  # landed but not validated (a run still holds it)


@dataclass(frozen=True)
class Manquant:
    flux: str
    nom_attendu: str
    raison: str


@dataclass(frozen=True)
class Rejet:
    nom: str
    flux: str
    motif: str


@dataclass(frozen=True)
class BilanNuit:
    nuit: dt.date
    manquants: list[Manquant]
    rejetes: list[Rejet]
    inattendus: list[tuple[str, str]]

    @property
    def complete(self) -> bool:
        return not self.manquants and not self.rejetes

    def resume(self) -> str:
        """One French sentence for operators (no personal data: names of files only)."""
        if self.complete:
            return f"nuit du {self.nuit:%d/%m/%Y} complète"
        parts = []
        if self.manquants:
            parts.append("flux manquants : " + ", ".join(m.nom_attendu for m in self.manquants))
        if self.rejetes:
            parts.append("fichiers rejetés : " + ", ".join(r.nom for r in self.rejetes))
        return f"nuit du {self.nuit:%d/%m/%Y} incomplète ({' ; '.join(parts)})"


def evaluer(
    db: Database,
    nuit: dt.date,
    presences: dict[str, str],
    inattendus: list[tuple[str, str]],
) -> BilanNuit:
    """The night's completeness from the ledger and the drop-zone presences of its files.

    `presences` maps a flow to PRESENT, SANS_OK or ABSENT for the file named for the night.
    """
    versions = ledger.versions_de_la_nuit(db, nuit)
    derniere = versions.group_by("nom", maintain_order=True).last()
    statut = dict(zip(derniere["nom"], derniere["statut"], strict=True))
    manquants = []
    for f in schemas.ENTRANTS:
        if not f.obligatoire:
            continue
        nom = f.nom_fichier(nuit)
        s = statut.get(nom)
        if s in (APPLIQUE, REJETE):
            continue
        if s is not None:
            raison = NON_VALIDE
        else:
            raison = SANS_OK if presences.get(f.nom) == SANS_OK else ABSENT
        manquants.append(Manquant(f.nom, nom, raison))
    # A stock rejected whole never blocks the night: it raises STOCK_REJETE (FLOWS.md).
    rejetes = [
        Rejet(nom, fl, motif or "")
        for nom, fl, s, motif in derniere.select("nom", "flux", "statut", "motif_rejet").iter_rows()
        if s == REJETE and not (schemas.est_flux(fl) and schemas.flux(fl).stock)
    ]
    return BilanNuit(nuit, manquants, rejetes, inattendus)


def enregistrer(db: Database, bilan: BilanNuit, emise: bool, forcee: bool) -> None:
    """Record the night's outcome; a re-run of the night replaces it."""
    with db.engine.begin() as conn:
        conn.execute(sa.delete(flux_manquants).where(flux_manquants.c.nuit == bilan.nuit))
        conn.execute(sa.delete(fichiers_ignores).where(fichiers_ignores.c.nuit == bilan.nuit))
        conn.execute(sa.delete(nuits).where(nuits.c.nuit == bilan.nuit))
        if bilan.manquants:
            conn.execute(
                sa.insert(flux_manquants),
                [
                    {
                        "nuit": bilan.nuit,
                        "flux": m.flux,
                        "nom_attendu": m.nom_attendu,
                        "raison": m.raison,
                    }
                    for m in bilan.manquants
                ],
            )
        if bilan.inattendus:
            conn.execute(
                sa.insert(fichiers_ignores),
                [{"nuit": bilan.nuit, "nom": n[:255], "raison": r} for n, r in bilan.inattendus],
            )
        conn.execute(
            sa.insert(nuits).values(
                nuit=bilan.nuit,
                complete=bilan.complete,
                emise=emise,
                partielle_forcee=forcee,
                traitee_le=ledger.maintenant(),
            )
        )


def lire(db: Database, nuit: dt.date) -> pl.DataFrame:
    """The recorded outcome of a night (empty when it never ran)."""
    return db.lire(
        sa.select(nuits).where(nuits.c.nuit == nuit),
        {
            "nuit": pl.Date,
            "complete": pl.Boolean,
            "emise": pl.Boolean,
            "partielle_forcee": pl.Boolean,
        },
    )
