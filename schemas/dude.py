"""Flows sent by DUDE, the shared job-seeker dossier (UTF-8, dates YYYY-MM-DD)."""

from __future__ import annotations

from schemas.champs import code_ml, date, id_affectation, id_de, texte
from schemas.contract import DUDE, ENTRANT, build_schema

DUDE_ACCEPTATIONS = build_schema(
    "DUDE_ACCEPTATIONS",
    systeme=DUDE,
    sens=ENTRANT,
    description="Acceptations recorded on DUDE by the mission locale (étape 2).",
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        date("date_acceptation"),
        texte(
            "id_agent",
            pattern=r"^AG[0-9]{6}$",
            description="pseudonymous id of the responsable de la cotraitance",
        ),
    ],
)

SCHEMAS = [DUDE_ACCEPTATIONS]
