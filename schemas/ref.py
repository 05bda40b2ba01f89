"""Reference lists (UTF-8, dates YYYY-MM-DD): full lists, optional on any night."""

from __future__ import annotations

from schemas.champs import REGIONS_2010, code_commune, code_ml, entier, texte
from schemas.contract import ENTRANT, REF, build_schema

REF_MISSIONS_LOCALES = build_schema(
    "REF_MISSIONS_LOCALES",
    systeme=REF,
    sens=ENTRANT,
    description="Missions locales and their region (full list, replaces the previous one).",
    cle=["code_ml"],
    champs=[
        code_ml(),
        texte("nom_ml", max_length=120),
        texte("code_region", enum=REGIONS_2010),
    ],
)

REF_ZONES_ML = build_schema(
    "REF_ZONES_ML",
    systeme=REF,
    sens=ENTRANT,
    description="Zone de compétence of each mission locale (full list).",
    cle=["code_ml", "code_commune"],
    champs=[code_ml(), code_commune()],
)

REF_OBJECTIFS = build_schema(
    "REF_OBJECTIFS",
    systeme=REF,
    sens=ENTRANT,
    description=(
        "Annual cotraitance objectives per region (annexe 4) and per mission locale (full list)."
    ),
    cle=["niveau", "code", "annee"],
    champs=[
        texte("niveau", enum=("REGION", "ML")),
        texte("code", pattern=r"^[0-9]{2}$|^[0-9]{5}$"),
        entier("annee", minimum=2009, maximum=2030),
        entier("objectif", minimum=0),
    ],
)

SCHEMAS = [REF_MISSIONS_LOCALES, REF_ZONES_ML, REF_OBJECTIFS]
