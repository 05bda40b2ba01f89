"""Stock files: each system's full extraction of what it holds (FLOWS.md, Stock files).

Optional on any night like the REF lists, and read as full lists: the latest applied stock of
a system dated on or before the night is the one the stock reconciliation compares (R1).
"""

from __future__ import annotations

from schemas.champs import ETATS, PHASES, STATUTS, code_ml, date, id_affectation, id_de, texte
from schemas.contract import DUDE, ENTRANT, GIDE, P3, build_schema

GIDE_STOCK = build_schema(
    "GIDE_STOCK",
    systeme=GIDE,
    sens=ENTRANT,
    description=(
        "Full extraction of the episodes open in GIDE at the end of the file's date (not a delta)."
    ),
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        date("date_affectation"),
        date(
            "date_initialisation",
            requis=False,
            description="as GIDE holds it (received in GIDE_IN_INITIALISATIONS)",
        ),
        texte(
            "statut",
            enum=STATUTS,
            description="the job seeker's registration status in GIDE at the end of the day",
        ),
    ],
)

P3_STOCK = build_schema(
    "P3_STOCK",
    systeme=P3,
    sens=ENTRANT,
    description=(
        "Full extraction of the episodes open in Parcours 3 at the end of the file's date"
        " (not a delta)."
    ),
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        date("date_affectation"),
        date(
            "date_initialisation",
            requis=False,
            description="début de programme, as Parcours 3 computes it",
        ),
        texte(
            "statut",
            enum=STATUTS,
            description="the job seeker's status as Parcours 3 last received it",
        ),
        texte(
            "alerte_en_cours",
            enum=("O", "N"),
            description="O when an alerte of the episode awaits its traitement",
        ),
    ],
)

DUDE_STOCK = build_schema(
    "DUDE_STOCK",
    systeme=DUDE,
    sens=ENTRANT,
    description=(
        "Full extraction of every episode DUDE holds, any phase, at the end of the file's date"
        " (not a delta)."
    ),
    cle=["id_affectation"],
    champs=[
        id_affectation(),
        id_de(),
        code_ml(),
        date("date_acceptation", requis=False),
        texte("phase", enum=PHASES),
        texte("etat", enum=ETATS),
    ],
)

SCHEMAS = [GIDE_STOCK, P3_STOCK, DUDE_STOCK]
