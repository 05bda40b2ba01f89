"""Flows sent by GIDE, Pôle emploi's job-seeker register (latin-1, dates DD/MM/YYYY)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.champs import (
    DECISIONS_ALERTE,
    MOTIFS_RADIATION,
    MOTIFS_SORTIE,
    STATUTS,
    code_commune,
    code_ml,
    date,
    entier,
    id_affectation,
    id_alerte,
    id_de,
    nom,
    prenom,
    texte,
)
from schemas.contract import ENTRANT, GIDE, build_schema

GIDE_DEMANDEURS = build_schema(
    "GIDE_DEMANDEURS",
    systeme=GIDE,
    sens=ENTRANT,
    description="Identity and address of job seekers, new or changed (delta).",
    cle=["id_de", "date_effet"],
    champs=[
        id_de(),
        nom(),
        prenom(),
        date("date_naissance"),
        code_commune("INSEE code of residence"),
        date("date_effet", description="date the identity or address took effect"),
    ],
)

GIDE_AFFECTATIONS = build_schema(
    "GIDE_AFFECTATIONS",
    systeme=GIDE,
    sens=ENTRANT,
    description="Affectations of young job seekers to a mission locale (étape 1).",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        texte("code_site_pe", pattern=r"^[0-9]{5}$", description="Pôle emploi site (code SAFIR)"),
        date("date_affectation"),
        texte("parcours", max_length=3, description="parcours of the job seeker; ACC expected"),
    ],
)


def _motif_selon_statut(data: pa.PolarsData) -> pl.LazyFrame:
    statut, motif = pl.col("statut"), pl.col("motif")
    return data.lazyframe.select(
        pl.when(statut.is_in(["RADIE", "CESSATION"]))
        .then(motif.is_not_null())
        .when(statut == "INSCRIT")
        .then(motif.is_null())
        .otherwise(True)  # an unknown statut is already reported by its own check
    )


def _duree_radie_seulement(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(
        pl.col("duree_radiation_jours").is_null() | (pl.col("statut") == "RADIE")
    )


GIDE_STATUTS = build_schema(
    "GIDE_STATUTS",
    systeme=GIDE,
    sens=ENTRANT,
    description="Registration status changes (inscrit, cessation d'inscription, radié).",
    cle=["id_de", "date_effet"],
    champs=[
        id_de(),
        texte("statut", enum=STATUTS),
        date("date_effet"),
        texte(
            "motif",
            requis=False,
            enum=MOTIFS_RADIATION,
            description="required when statut is RADIE or CESSATION, empty for INSCRIT",
        ),
        entier(
            "duree_radiation_jours",
            requis=False,
            minimum=15,
            maximum=366,
            description="RADIE only: duration of the radiation, 15 days to 12 months",
        ),
    ],
    # Conditions between fields that a Table Schema cannot express: they are written in the
    # field descriptions of the contract and checked here, row by row.
    checks=[
        pa.Check(
            _motif_selon_statut,
            name="motif_selon_statut",
            error="motif obligatoire pour RADIE et CESSATION, vide pour INSCRIT",
            statistics={"champ": "motif"},
        ),
        pa.Check(
            _duree_radie_seulement,
            name="duree_radie_seulement",
            error="durée de radiation renseignée pour un statut autre que RADIE",
            statistics={"champ": "duree_radiation_jours"},
        ),
    ],
)

GIDE_TRAITEMENTS_ALERTE = build_schema(
    "GIDE_TRAITEMENTS_ALERTE",
    systeme=GIDE,
    sens=ENTRANT,
    description="Pôle emploi's decision on an alerte de cotraitance.",
    cle=["id_alerte"],
    champs=[
        id_alerte(),
        id_de(),
        date("date_traitement"),
        texte("decision", enum=DECISIONS_ALERTE),
    ],
)

GIDE_SORTIES = build_schema(
    "GIDE_SORTIES",
    systeme=GIDE,
    sens=ENTRANT,
    description="Sorties de cotraitance initiated by Pôle emploi.",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        date("date_sortie"),
        texte("motif_sortie", enum=MOTIFS_SORTIE),
    ],
)

SCHEMAS = [GIDE_DEMANDEURS, GIDE_AFFECTATIONS, GIDE_STATUTS, GIDE_TRAITEMENTS_ALERTE, GIDE_SORTIES]
