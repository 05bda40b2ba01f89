"""Export of the contract as a Frictionless Data Package, read from the Pandera schemas.

The partner systems' teams validate their files with any Table Schema tool
(`frictionless validate docs/contrat/datapackage.json`); this module is how the project keeps
that published contract identical to what it enforces: `passerelle contrat` regenerates it and
a test fails when the checked-in copy drifts.
"""

from __future__ import annotations

import json
from typing import Any

import pandera.polars as pa

from schemas import FLUX, Flux
from schemas.champs import CHECK_DATE, CHECK_ENTIER

DIALECT = {
    "delimiter": ";",
    "header": True,
    "quoteChar": '"',
    "doubleQuote": True,
    "lineTerminator": "\n",
}


def _field(nom: str, column: pa.Column) -> dict[str, Any]:
    type_ = "string"
    fmt: str | None = None
    constraints: dict[str, Any] = {"required": not column.nullable}
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == CHECK_DATE:
            type_, fmt = "date", stats["format"]
        elif check.name == CHECK_ENTIER:
            type_ = "integer"
            if stats.get("minimum") is not None:
                constraints["minimum"] = stats["minimum"]
            if stats.get("maximum") is not None:
                constraints["maximum"] = stats["maximum"]
        elif check.name == "str_matches":
            constraints["pattern"] = stats["pattern"]
        elif check.name == "isin":
            constraints["enum"] = list(stats["allowed_values"])
        elif check.name == "str_length":
            if stats.get("min_value") is not None:
                constraints["minLength"] = stats["min_value"]
            if stats.get("max_value") is not None:
                constraints["maxLength"] = stats["max_value"]
        else:
            raise ValueError(f"check {check.name!r} of {nom} has no Table Schema equivalent")
    field: dict[str, Any] = {
        "name": nom,
        "type": type_,
        "description": column.description or "",
        "constraints": constraints,
    }
    if fmt is not None:
        field["format"] = fmt
    return field


def _path(f: Flux) -> str:
    folder = "inbox" if f.entrant else f"outbox/{f.dossier_sortant}"
    return f"{folder}/{f.nom}_YYYYMMDD.csv"


def resource(f: Flux) -> dict[str, Any]:
    """The Tabular Data Resource of one flow."""
    return {
        "name": f.nom.lower(),
        "title": f.nom,
        "description": f.description,
        "path": _path(f),
        "profile": "tabular-data-resource",
        "format": "csv",
        "encoding": f.encoding,
        "dialect": dict(DIALECT),
        "schema": {
            "fields": [_field(n, c) for n, c in f.schema.columns.items()],
            "primaryKey": f.cle,
            "missingValues": [""],
        },
        "x-system": f.systeme.nom,
        "x-direction": f.sens,
    }


def datapackage() -> dict[str, Any]:
    return {
        "name": "cotraitance-interchange",
        "title": "Nightly interchange flows between Parcours 3, GIDE and DUDE",
        "profile": "tabular-data-package",
        "resources": [resource(f) for f in FLUX],
    }


def datapackage_json() -> str:
    """The exported contract as written to `docs/contrat/datapackage.json` (stable bytes)."""
    return json.dumps(datapackage(), ensure_ascii=False, indent=2) + "\n"


def _contrainte(field: dict[str, Any]) -> str:
    c = field["constraints"]
    parts = []
    if "pattern" in c:
        parts.append("`" + c["pattern"].replace("|", "\\|") + "`")
    if "enum" in c:
        parts.append(" / ".join(c["enum"]))
    if "maxLength" in c:
        parts.append(f"≤ {c['maxLength']} chars")
    if "minimum" in c:
        parts.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        parts.append(f"≤ {c['maximum']}")
    return "; ".join(parts)


# What `passerelle valider` prints on three files of the shipped sample (a test runs the
# command on them and checks that this is its output, word for word).
EXEMPLE_VALIDER_COMMANDE = "passerelle valider fixtures/echantillon/inbox/P3_*_20101008.csv"
EXEMPLE_VALIDER = """\
P3_ALERTES_20101008.csv (P3_ALERTES) : ACCEPTÉ
  .ok : conforme (somme de contrôle ; 1 ligne annoncée)
  1 ligne de données : 1 appliquée, 0 doublon identique, 0 en quarantaine
  fichier appliqué en entier par la nuit
P3_CIVIS_20101008.csv (P3_CIVIS) : REJETÉ
  .ok : non conforme (voir le motif du rejet)
  FICHIER_REJETE : Fichier P3_CIVIS_20101008.csv rejeté en entier : somme de contrôle \
différente de celle annoncée par le .ok (CHECKSUM).
P3_ENTRETIENS_20101008.csv (P3_ENTRETIENS) : ACCEPTÉ AVEC LIGNES EN QUARANTAINE
  .ok : conforme (somme de contrôle ; 47 lignes annoncées)
  47 lignes de données : 46 appliquées, 0 doublon identique, 1 en quarantaine
  LIGNES_EN_QUARANTAINE : 1 ligne(s) sur 47 de P3_ENTRETIENS_20101008.csv mises en \
quarantaine (code_ml (motif) : 1) ; 46 appliquées, 0 doublon(s) identique(s).
  ligne 7, champ code_ml, règle motif : format invalide (motif attendu ^[0-9]{5}$)
Bilan : 3 fichiers ; 1 accepté en entier, 1 accepté avec 1 ligne en quarantaine, 1 rejeté.
"""


def _verifier_avant_envoi() -> list[str]:
    """The section for partner teams: checking a file before sending it."""
    return [
        "## Checking a file before sending it",
        "",
        "A Table Schema tool checks the fields; it does not know the cross-field rules, the",
        "line structure, duplicates and key conflicts, the `.ok` or the 20 % threshold.",
        "`passerelle valider` judges a file exactly as the night does (the same code), with no",
        "database and nothing else to set up, in a second or two for a night's file, so it",
        "can run in your own CI before the file is dropped.",
        "",
        "Install it once (Python 3.11, from a copy of the Passerelle project):",
        "",
        "```",
        "python3.11 -m venv .venv && .venv/bin/pip install ./passerelle",
        "```",
        "",
        "(`pip install -r passerelle/requirements.lock` first gives the night's exact",
        "versions.) Then give it one or more files named `<FLOW>_<YYYYMMDD>.csv`; the flow is",
        "read from the name, and the `.ok` beside the file (`<FLOW>_<YYYYMMDD>.csv.ok`) is",
        "checked too when it is there (when it is not, the output says so and the content is",
        "judged alone; the night itself never reads a file without its `.ok`):",
        "",
        "```",
        f"$ {EXEMPLE_VALIDER_COMMANDE}",
        *EXEMPLE_VALIDER.splitlines(),
        "$ echo $?",
        "3",
        "```",
        "",
        "- Each file is `ACCEPTÉ` (applied whole by the night; identical repeated rows count",
        "  once), `ACCEPTÉ AVEC LIGNES EN QUARANTAINE` (applied but for the lines listed) or",
        "  `REJETÉ` (nothing applied), with the message the night's report would give",
        "  (FICHIER_REJETE or STOCK_REJETE, LIGNES_EN_QUARANTAINE, DOUBLON_CONFLICTUEL).",
        "- Each quarantined line is given with its number (the header is line 1), field,",
        "  rule and message, never its value: the output can be shared and kept in CI logs.",
        "- `--format json` for a program, `--format csv` for a spreadsheet (`;`, UTF-8 with a",
        "  BOM); with both the summary line goes to stderr, stdout is one document.",
        "- The threshold is the night's setting: 20 % unless its operators changed it; set",
        "  `PASSERELLE_SEUIL_QUARANTAINE` (e.g. `0.1`) to judge with theirs.",
        "- Exit code **0**: every file would be applied whole; **3**: a line would be",
        "  quarantined or a file rejected; **2**: bad usage (a name that is no inbound flow",
        "  of this contract, a missing file).",
        "",
    ]


def readme_markdown() -> str:
    """The human-readable contract for the partner systems' teams (`docs/contrat/README.md`)."""
    lines = [
        "# Contrat d'interface Passerelle (GIDE, DUDE, Parcours 3)",
        "",
        "<!-- generated by `passerelle contrat` from the Pandera schemas; do not edit -->",
        "",
        "This folder is the interchange contract as Passerelle enforces it, exported from its",
        "schemas (`schemas/`). `datapackage.json` is the same contract as a Frictionless Data",
        "Package: validate a file with `frictionless validate datapackage.json` (resource name",
        "in lower case, e.g. `--resource-name gide_statuts`).",
        "",
        "## Delivery",
        "",
        "- One file per flow per night, `<FLOW>_<YYYYMMDD>.csv` (the extraction date), then its",
        "  trigger file `<FLOW>_<YYYYMMDD>.csv.ok`: one line",
        "  `sha256=<64 lowercase hex>;rows=<data rows, header excluded>`. A file without its",
        "  `.ok` is not read; a file whose checksum or row count differs is rejected whole.",
        '- `;` separator, `"` quotes (doubled inside a value), `\\n` line ends',
        "  (`\\r\\n` accepted), a header with exactly the fields below in that order, empty",
        "  value = null. One record per line: values never contain a line break.",
        "- GIDE speaks ISO-8859-1 and `DD/MM/YYYY`; Parcours 3 UTF-8 and `DD/MM/YYYY`; DUDE and",
        "  the REF lists UTF-8 (no BOM) and `YYYY-MM-DD`, in both directions.",
        "- The same key on a later night is a correction (the latest file wins). The same key",
        "  twice in a file: identical rows count once, different rows are both quarantined.",
        "  A file with more than 20 % of rows in quarantine is rejected whole.",
        "- Cross-field rules checked on GIDE_STATUTS: `motif` is required for RADIE and",
        "  CESSATION and empty for INSCRIT; `duree_radiation_jours` is given for RADIE only.",
        "",
        *_verifier_avant_envoi(),
    ]
    for f in FLUX:
        r = resource(f)
        sens = "inbound from" if f.entrant else "outbound to"
        lines += [
            f"## {f.nom}  ({sens} {f.systeme.nom})",
            "",
            f"{f.description}  ",
            f"Key: `{', '.join(f.cle)}`. Encoding `{f.encoding}`, dates `{f.date_format}`. "
            f"Path `{r['path']}`.",
            "",
            "| field | type | required | constraint | meaning |",
            "|---|---|---|---|---|",
        ]
        for field in r["schema"]["fields"]:
            req = "yes" if field["constraints"]["required"] else "no"
            lines.append(
                f"| {field['name']} | {field['type']} | {req} | {_contrainte(field)} "
                f"| {field['description']} |"
            )
        lines.append("")
    return "\n".join(lines)
