"""Flows Passerelle sends, each in its receiving system's dialect (FLOWS-tables.md)."""

from __future__ import annotations

from schemas.champs import (
    DECISIONS_ALERTE,
    ETATS,
    MOTIFS_ALERTE,
    MOTIFS_SORTIE,
    MOTIFS_SORTIE_AUTOMATIQUE,
    PHASES,
    STATUTS,
    TYPES_ENTRETIEN,
    code_commune,
    code_ml,
    date,
    id_affectation,
    id_alerte,
    id_de,
    nom,
    prenom,
    texte,
)
from schemas.contract import DUDE, GIDE, P3, SORTANT, build_schema

P3_IN_AFFECTATIONS = build_schema(
    "P3_IN_AFFECTATIONS",
    systeme=P3,
    sens=SORTANT,
    description=(
        "Affectations for the mission locale (shown in P3 as date d'entretien d'initialisation). "
        "No acceptation date: it is not stored in Parcours 3."
    ),
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        nom(),
        prenom(),
        date("date_naissance"),
        code_commune(),
        code_ml(),
        date("date_affectation"),
    ],
)

P3_IN_STATUTS = build_schema(
    "P3_IN_STATUTS",
    systeme=P3,
    sens=SORTANT,
    description="Statut du demandeur, without its motif (data minimisation).",
    cle=["id_de", "date_effet"],
    champs=[id_de(), texte("statut", enum=STATUTS), date("date_effet")],
)

P3_IN_TRAITEMENTS_ALERTE = build_schema(
    "P3_IN_TRAITEMENTS_ALERTE",
    systeme=P3,
    sens=SORTANT,
    description="Traitement de l'alerte by Pôle emploi.",
    cle=["id_alerte"],
    champs=[
        id_alerte(),
        id_de(),
        date("date_traitement"),
        texte("decision", enum=DECISIONS_ALERTE),
    ],
)

P3_IN_SORTIES = build_schema(
    "P3_IN_SORTIES",
    systeme=P3,
    sens=SORTANT,
    description="Every sortie de cotraitance, whatever its origin.",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        date("date_sortie"),
        texte("motif_sortie", enum=MOTIFS_SORTIE),
    ],
)

P3_IN_ANNULATIONS = build_schema(
    "P3_IN_ANNULATIONS",
    systeme=P3,
    sens=SORTANT,
    description="Affectations cancelled because the job seeker was radié before initialisation.",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        date("date_annulation"),
        texte("motif_annulation", enum=("RADIATION_AVANT_INITIALISATION",)),
    ],
)

GIDE_IN_INITIALISATIONS = build_schema(
    "GIDE_IN_INITIALISATIONS",
    systeme=GIDE,
    sens=SORTANT,
    description=(
        "Date d'initialisation (début de programme), from the first interview on or after the "
        "affectation date."
    ),
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        date("date_initialisation"),
        texte("type_entretien", enum=TYPES_ENTRETIEN),
    ],
)

GIDE_IN_CIVIS = build_schema(
    "GIDE_IN_CIVIS",
    systeme=GIDE,
    sens=SORTANT,
    description="CIVIS situation of job seekers who have a cotraitance episode.",
    cle=["id_de", "date_entree_civis"],
    champs=[
        id_de(),
        code_ml(),
        date("date_entree_civis"),
        date("date_sortie_civis", requis=False),
    ],
)

GIDE_IN_ALERTES = build_schema(
    "GIDE_IN_ALERTES",
    systeme=GIDE,
    sens=SORTANT,
    description="Alertes de cotraitance raised by missions locales, for Pôle emploi to treat.",
    cle=["id_alerte"],
    champs=[
        id_alerte(),
        id_de(),
        code_ml(),
        date("date_alerte"),
        texte("motif_alerte", enum=MOTIFS_ALERTE),
    ],
)

GIDE_IN_SORTIES = build_schema(
    "GIDE_IN_SORTIES",
    systeme=GIDE,
    sens=SORTANT,
    description="Automatic sorties applied by the pipeline on Pôle emploi's behalf (rules S1, S2).",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        date("date_sortie"),
        texte("motif_sortie", enum=MOTIFS_SORTIE_AUTOMATIQUE),
    ],
)

GIDE_IN_SORTIES_A_INITIER = build_schema(
    "GIDE_IN_SORTIES_A_INITIER",
    systeme=GIDE,
    sens=SORTANT,
    description="Systematic sorties that Pôle emploi must initiate (rule S3).",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        date("date_constat"),
        texte("motif", enum=("DEMENAGEMENT_HORS_ZONE",)),
    ],
)

DUDE_IN_ETATS = build_schema(
    "DUDE_IN_ETATS",
    systeme=DUDE,
    sens=SORTANT,
    description=(
        "Full snapshot of every cotraitance episode with its phase and état as of the run date."
    ),
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        texte("phase", enum=PHASES),
        texte("etat", enum=ETATS),
        date("date_debut_etat"),
        date("date_affectation"),
        date("date_acceptation", requis=False),
        date("date_initialisation", requis=False),
        date("date_fin", requis=False),
        texte("comptabilise_objectif", requis=False, enum=("O", "N")),
    ],
)

SCHEMAS = [
    P3_IN_AFFECTATIONS,
    P3_IN_STATUTS,
    P3_IN_TRAITEMENTS_ALERTE,
    P3_IN_SORTIES,
    P3_IN_ANNULATIONS,
    GIDE_IN_INITIALISATIONS,
    GIDE_IN_CIVIS,
    GIDE_IN_ALERTES,
    GIDE_IN_SORTIES,
    GIDE_IN_SORTIES_A_INITIER,
    DUDE_IN_ETATS,
]
