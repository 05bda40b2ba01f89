"""Data protection: each receiving system gets its contract's columns and nothing else.

The allow-list (`emission.COLONNES_AUTORISEES`, per receiving system and flow) is the
contract of schemas/sortants.py; `emission.emettre` refuses, before a byte is written, a
frame carrying any other column: a rule that let a radiation motif through to Parcours 3
would stop that flow rather than send it. The end-to-end check of every written header is
tests/test_nuits_echantillon.py test_outbound_files_carry_only_their_contract_columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

import schemas
from connectors.database import Database
from connectors.dropzone import LocalDropZone
from connectors.tables import emissions
from pipelines.emission import COLONNES_AUTORISEES, ColonneHorsContrat, emettre

NUIT = dt.date(2010, 10, 4)


def test_liste_blanche_par_systeme_egale_au_contrat_et_sans_motif_de_radiation_pour_p3():
    attendu: dict[str, dict[str, tuple[str, ...]]] = {}
    for f in schemas.SORTANTS:
        attendu.setdefault(f.systeme.nom, {})[f.nom] = tuple(f.colonnes)
    assert attendu == COLONNES_AUTORISEES
    assert set(COLONNES_AUTORISEES) == {"GIDE", "P3", "DUDE"}
    p3 = {c for colonnes in COLONNES_AUTORISEES["P3"].values() for c in colonnes}
    assert not {"motif", "duree_radiation_jours"} & p3  # a radiation's reason stays at GIDE
    assert "nom" not in {c for cs in COLONNES_AUTORISEES["DUDE"].values() for c in cs}


@pytest.mark.parametrize("colonne", ["motif", "duree_radiation_jours", "nom"])
def test_emission_refuse_une_colonne_hors_contrat_avant_d_ecrire(tmp_path: Path, colonne: str):
    db = Database(f"sqlite:///{tmp_path / 'passerelle.db'}")
    db.creer_schema()
    zone = LocalDropZone(tmp_path / "inbox", tmp_path / "outbox")
    flux = schemas.flux("P3_IN_STATUTS")
    statuts = pl.DataFrame(
        {"id_de": ["2000001A"], "statut": ["RADIE"], "date_effet": [NUIT], colonne: ["x"]}
    )

    with pytest.raises(ColonneHorsContrat, match=rf"P3_IN_STATUTS .*P3 : {colonne} ;"):
        emettre(db, zone, flux, NUIT, statuts)

    assert not (tmp_path / "outbox").exists()
    assert db.lire(sa.select(emissions)).height == 0
    emettre(db, zone, flux, NUIT, statuts.drop(colonne))  # the contract's columns go through
    assert (tmp_path / "outbox" / flux.nom_fichier(NUIT)).exists()
