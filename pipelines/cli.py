"""`passerelle`: the operators' command line.

Exit codes (FLOWS.md, Reports and the command line): 0 the night was processed; 3 the
night's file set is incomplete and nothing was emitted; 2 bad usage or configuration;
1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_ERREUR = 1
EXIT_USAGE = 2
EXIT_INCOMPLET = 3


class UsageError(Exception):
    """Bad usage or configuration: exit 2 with the message."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date attendue au format AAAA-MM-JJ : {text!r}") from exc


def _ecrire_fichier(path: Path, text: str) -> None:
    from connectors.dropzone import ecrire_atomique

    ecrire_atomique(path, text.encode("utf-8"))
    path.chmod(0o644)  # the published contract is public, not personal data


def cmd_contrat(args: argparse.Namespace) -> int:
    from schemas.export import datapackage_json, readme_markdown

    if args.datapackage is None and args.readme is None:
        sys.stdout.write(datapackage_json())
        return EXIT_OK
    if args.datapackage is not None:
        _ecrire_fichier(Path(args.datapackage), datapackage_json())
        print(f"contrat exporté : {args.datapackage}")
    if args.readme is not None:
        _ecrire_fichier(Path(args.readme), readme_markdown())
        print(f"documentation exportée : {args.readme}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="passerelle",
        description="Passerelle : échanges nocturnes GIDE / DUDE / Parcours 3 (cotraitance).",
    )
    sub = parser.add_subparsers(dest="commande", required=True)

    contrat = sub.add_parser("contrat", help="exporter le contrat d'interface (Data Package)")
    contrat.add_argument("--datapackage", metavar="FICHIER", help="écrire datapackage.json ici")
    contrat.add_argument("--readme", metavar="FICHIER", help="écrire la documentation ici")
    contrat.set_defaults(func=cmd_contrat)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # personal data: whatever Passerelle creates is readable by its owner only
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"passerelle : {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
