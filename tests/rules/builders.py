"""Readable inbound rows for the rule tests, typed exactly like `rules.historique.au` output.

    e = Entrees()
    e.demandeur(DE1, naissance="15/03/1992").affectation(AF1, DE1, ML1, "01/02/2010")
    e.entretien(EN1, DE1, ML1, "10/02/2010")
    etat = e.etat("31/03/2010")

Dates are "DD/MM/YYYY" strings or `datetime.date`. Each row may name the night of the file
that carried it (`fichier=`), for the history-based tests; by default every row comes from
one early file.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import polars as pl

import schemas
from rules.etat import Etat, etat_au, etat_depuis_historique
from rules.historique import DATE_FICHIER, LIGNE, ORDRE, Historique, colonnes_historique

Jour = str | dt.date

NUIT_PAR_DEFAUT = dt.date(2000, 1, 1)

ML1, ML2, ML3 = "10001", "10002", "10003"
REGION1, REGION2 = "11", "82"
COMMUNE_ML1, COMMUNE_ML2, COMMUNE_AILLEURS = "75001", "69001", "13001"


def de(n: int) -> str:
    return f"{n:07d}A"


def af(n: int) -> str:
    return f"AF{n:010d}"


def al(n: int) -> str:
    return f"AL{n:010d}"


def en(n: int) -> str:
    return f"EN{n:010d}"


DE1, DE2, DE3 = de(1), de(2), de(3)
AF1, AF2, AF3, AF4 = af(1), af(2), af(3), af(4)
AL1, AL2, AL3 = al(1), al(2), al(3)


def jour(valeur: Jour | None) -> dt.date | None:
    if valeur is None or isinstance(valeur, dt.date):
        return valeur
    return dt.datetime.strptime(valeur, "%d/%m/%Y").date()


class Entrees:
    """Rows of the inbound flows, added one by one; every method returns self."""

    def __init__(self, *, referentiel: bool = True) -> None:
        self.lignes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if referentiel:
            self.ml(ML1, REGION1).ml(ML2, REGION2).zone(ML1, COMMUNE_ML1).zone(ML2, COMMUNE_ML2)

    def _ajout(self, flux: str, fichier: Jour | None, **valeurs: Any) -> Entrees:
        types = schemas.flux(flux).types_polars
        ligne = {k: jour(v) if types[k] == pl.Date else v for k, v in valeurs.items()}
        ligne[DATE_FICHIER] = jour(fichier) or NUIT_PAR_DEFAUT
        self.lignes[flux].append(ligne)
        return self

    # --- GIDE
    def demandeur(
        self,
        id_de: str,
        naissance: Jour = "15/03/1992",
        commune: str = COMMUNE_ML1,
        effet: Jour = "01/01/2009",
        *,
        nom: str = "Lefèvre",
        prenom: str = "Zoé",
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "GIDE_DEMANDEURS",
            fichier,
            id_de=id_de,
            nom=nom,
            prenom=prenom,
            date_naissance=naissance,
            code_commune=commune,
            date_effet=effet,
        )

    def affectation(
        self,
        id_affectation: str,
        id_de: str,
        code_ml: str,
        date: Jour,
        *,
        parcours: str = "ACC",
        site: str = "75101",
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "GIDE_AFFECTATIONS",
            fichier,
            id_affectation=id_affectation,
            id_de=id_de,
            code_ml=code_ml,
            code_site_pe=site,
            date_affectation=date,
            parcours=parcours,
        )

    def statut(
        self,
        id_de: str,
        statut: str,
        effet: Jour,
        *,
        motif: str | None = None,
        duree: int | None = None,
        fichier: Jour | None = None,
    ) -> Entrees:
        if motif is None and statut != "INSCRIT":
            motif = "AUTRE"
        return self._ajout(
            "GIDE_STATUTS",
            fichier,
            id_de=id_de,
            statut=statut,
            date_effet=effet,
            motif=motif,
            duree_radiation_jours=duree,
        )

    def traitement(
        self, id_alerte: str, id_de: str, date: Jour, decision: str, *, fichier: Jour | None = None
    ) -> Entrees:
        return self._ajout(
            "GIDE_TRAITEMENTS_ALERTE",
            fichier,
            id_alerte=id_alerte,
            id_de=id_de,
            date_traitement=date,
            decision=decision,
        )

    def sortie(
        self,
        id_affectation: str,
        id_de: str,
        date: Jour,
        motif: str = "AUTRE",
        *,
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "GIDE_SORTIES",
            fichier,
            id_affectation=id_affectation,
            id_de=id_de,
            date_sortie=date,
            motif_sortie=motif,
        )

    # --- DUDE
    def acceptation(
        self,
        id_affectation: str,
        id_de: str,
        code_ml: str,
        date: Jour,
        *,
        agent: str = "AG000001",
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "DUDE_ACCEPTATIONS",
            fichier,
            id_affectation=id_affectation,
            id_de=id_de,
            code_ml=code_ml,
            date_acceptation=date,
            id_agent=agent,
        )

    # --- P3
    def entretien(
        self,
        id_entretien: str,
        id_de: str,
        code_ml: str,
        date: Jour,
        type_entretien: str = "INDIVIDUEL",
        *,
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "P3_ENTRETIENS",
            fichier,
            id_entretien=id_entretien,
            id_de=id_de,
            code_ml=code_ml,
            date_entretien=date,
            type_entretien=type_entretien,
        )

    def alerte(
        self,
        id_alerte: str,
        id_de: str,
        code_ml: str,
        date: Jour,
        motif: str = "DIFFICULTE",
        *,
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "P3_ALERTES",
            fichier,
            id_alerte=id_alerte,
            id_de=id_de,
            code_ml=code_ml,
            date_alerte=date,
            motif_alerte=motif,
        )

    def civis(
        self,
        id_de: str,
        code_ml: str,
        entree: Jour,
        sortie: Jour | None = None,
        *,
        fichier: Jour | None = None,
    ) -> Entrees:
        return self._ajout(
            "P3_CIVIS",
            fichier,
            id_de=id_de,
            code_ml=code_ml,
            date_entree_civis=entree,
            date_sortie_civis=sortie,
        )

    # --- REF
    def ml(self, code_ml: str, region: str, nom: str = "Mission locale") -> Entrees:
        return self._ajout(
            "REF_MISSIONS_LOCALES", None, code_ml=code_ml, nom_ml=nom, code_region=region
        )

    def zone(self, code_ml: str, commune: str) -> Entrees:
        return self._ajout("REF_ZONES_ML", None, code_ml=code_ml, code_commune=commune)

    # --- outputs
    def _table(self, flux: str, filtre: dt.date | None = None) -> pl.DataFrame:
        schema = colonnes_historique(flux)
        lignes = [
            {**ligne, ORDRE: 0, LIGNE: i}
            for i, ligne in enumerate(self.lignes.get(flux, []), start=1)
            if filtre is None or ligne[DATE_FICHIER] == filtre
        ]
        return (
            pl.DataFrame(lignes, schema=schema, orient="row")
            if lignes
            else pl.DataFrame(schema=schema)
        )

    def entrees(self) -> dict[str, pl.LazyFrame]:
        """The rows as `rules.historique.au` would return them (one file, no correction)."""
        return {f.nom: self._table(f.nom).lazy() for f in schemas.ENTRANTS}

    def etat(self, d: Jour) -> Etat:
        nuit = jour(d)
        assert nuit is not None
        return etat_au(self.entrees(), nuit)

    def historique(self) -> Historique:
        """A history with one file per (flow, night named by the rows' `fichier`)."""
        tables: dict[str, pl.LazyFrame] = {}
        fichiers: list[dict[str, Any]] = []
        for ordre, f in enumerate(schemas.ENTRANTS, start=1):
            lignes = self.lignes.get(f.nom, [])
            nuits = sorted({ligne[DATE_FICHIER] for ligne in lignes})
            parts = []
            for k, nuit in enumerate(nuits):
                numero = ordre * 10_000 + k
                fichiers.append({"flux": f.nom, DATE_FICHIER: nuit, ORDRE: numero})
                parts.append(self._table(f.nom, nuit).with_columns(pl.lit(numero).alias(ORDRE)))
            tables[f.nom] = (
                pl.concat(parts).lazy()
                if parts
                else pl.LazyFrame(schema=colonnes_historique(f.nom))
            )
        return Historique(
            tables=tables,
            fichiers=pl.DataFrame(
                fichiers, schema={"flux": pl.String, DATE_FICHIER: pl.Date, ORDRE: pl.Int64}
            ).lazy(),
        )

    def etat_historique(self, d: Jour) -> Etat:
        nuit = jour(d)
        assert nuit is not None
        return etat_depuis_historique(self.historique(), nuit)


def episode(etat: Etat, id_affectation: str) -> dict[str, Any]:
    """The episode's row as a dict (fails when the affectation did not open)."""
    lignes = etat.episodes.filter(pl.col("id_affectation") == id_affectation).to_dicts()
    assert len(lignes) == 1, f"{id_affectation}: {len(lignes)} épisode(s)"
    return lignes[0]
