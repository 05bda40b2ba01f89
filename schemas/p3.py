"""Flows sent by Parcours 3, the missions locales' system (UTF-8, dates DD/MM/YYYY)."""

from __future__ import annotations

from schemas.champs import (
    MOTIFS_ALERTE,
    TYPES_ENTRETIEN,
    code_ml,
    date,
    id_alerte,
    id_de,
    texte,
)
from schemas.contract import ENTRANT, P3, build_schema

P3_ENTRETIENS = build_schema(
    "P3_ENTRETIENS",
    systeme=P3,
    sens=ENTRANT,
    description=(
        "Interviews (entretien individuel, collectif, atelier) of job seekers held by a "
        "mission locale."
    ),
    cle=["id_entretien"],
    champs=[
        texte("id_entretien", pattern=r"^EN[0-9]{10}$"),
        id_de(),
        code_ml(),
        date("date_entretien"),
        texte("type_entretien", enum=TYPES_ENTRETIEN),
    ],
)

P3_ALERTES = build_schema(
    "P3_ALERTES",
    systeme=P3,
    sens=ENTRANT,
    description="Alertes de cotraitance raised by a mission locale.",
    cle=["id_alerte"],
    champs=[
        id_alerte(),
        id_de(),
        code_ml(),
        date("date_alerte"),
        texte("motif_alerte", enum=MOTIFS_ALERTE),
    ],
)

P3_CIVIS = build_schema(
    "P3_CIVIS",
    systeme=P3,
    sens=ENTRANT,
    description="CIVIS contracts of job seekers (entry, and exit when known).",
    cle=["id_de", "date_entree_civis"],
    champs=[
        id_de(),
        code_ml(),
        date("date_entree_civis"),
        date("date_sortie_civis", requis=False),
    ],
)

SCHEMAS = [P3_ENTRETIENS, P3_ALERTES, P3_CIVIS]
