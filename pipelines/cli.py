"""`passerelle`: the operators' command line.

Exit codes (FLOWS.md, Reports and the command line): 0 the night was processed; 3 the
night's file set is incomplete and nothing was emitted; 2 bad usage or configuration;
1 an unexpected failure. `passerelle valider` (for the partner teams): 0 every file would be
applied whole, 3 a line would be quarantined or a file rejected, 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

EXIT_OK = 0
EXIT_ERREUR = 1
EXIT_USAGE = 2
EXIT_INCOMPLET = 3
EXIT_A_CORRIGER = 3  # `valider`: a line would be quarantined or a file rejected


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


def _fichiers_a_valider(noms: list[str]) -> list[Path]:
    """The files to judge, every name and file checked before any is read (exit 2).

    A `.ok` given with its file (`passerelle valider inbox/*`) is left out: it is read as
    that file's trigger file anyway.
    """
    from pipelines.verification import NomHorsContrat, flux_du_nom

    chemins = [Path(n) for n in noms]
    donnes = {str(c) for c in chemins}
    retenus = []
    for c in chemins:
        if c.name.endswith(".csv.ok") and str(c)[: -len(".ok")] in donnes:
            continue
        if c.name.endswith(".csv.ok"):
            raise UsageError(
                f"{c} : un .ok seul ; donner le fichier {c.name[: -len('.ok')]} "
                "(son .ok est lu à côté)"
            )
        try:
            flux_du_nom(c.name)
        except NomHorsContrat as exc:
            raise UsageError(str(exc)) from exc
        if not c.is_file():
            raise UsageError(f"fichier introuvable : {c}")
        retenus.append(c)
    return retenus


def cmd_valider(args: argparse.Namespace) -> int:
    from pipelines import verification
    from pipelines.reglages import ReglageInvalide, Reglages

    try:
        seuil = Reglages.depuis_env().seuil_quarantaine
    except ReglageInvalide as exc:
        raise UsageError(str(exc)) from exc
    from pipelines.erreurs import ErreurInattendue, sans_valeurs

    examens = []
    for chemin in _fichiers_a_valider(args.fichiers):
        try:
            with sans_valeurs(chemin.name):
                examens.append(verification.examiner(chemin, seuil))
        except OSError as exc:
            raise UsageError(f"{chemin} : lecture impossible ({exc.strerror})") from exc
        except ErreurInattendue as exc:  # its message names the file, never a value
            print(f"passerelle : {exc}", file=sys.stderr)
            return EXIT_ERREUR
    if args.format == "json":
        sys.stdout.write(verification.json_(examens))
    elif args.format == "csv":
        sys.stdout.flush()
        sys.stdout.buffer.write(verification.csv_(examens))
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(verification.texte(examens))
    if args.format != "texte":  # stdout stays one document; the summary line goes aside
        print(verification.bilan(examens), file=sys.stderr)
    return EXIT_OK if verification.tous_acceptes(examens) else EXIT_A_CORRIGER


def _nuits(args: argparse.Namespace) -> list[dt.date]:
    if args.date is not None and (args.debut is not None or args.fin is not None):
        raise UsageError("--date ou bien --from/--to, pas les deux")
    if args.date is not None:
        return [args.date]
    if args.debut is None or args.fin is None:
        raise UsageError("préciser --date AAAA-MM-JJ, ou --from et --to")
    if args.fin < args.debut:
        raise UsageError("--to est antérieur à --from")
    n = (args.fin - args.debut).days + 1
    return [args.debut + dt.timedelta(days=i) for i in range(n)]


def _reglages(args: argparse.Namespace):
    from pipelines.reglages import ReglageInvalide, Reglages

    try:
        reglages = Reglages.depuis_env()
    except ReglageInvalide as exc:
        raise UsageError(str(exc)) from exc
    reglages = reglages.avec(
        inbox=Path(args.inbox) if args.inbox else None,
        outbox=Path(args.outbox) if args.outbox else None,
        reports=Path(args.reports) if args.reports else None,
        db_url=args.db,
        allow_partial=bool(getattr(args, "allow_partial", False)),
    )
    return reglages


def _config_ressource(reglages, args: argparse.Namespace) -> dict[str, object]:
    config: dict[str, object] = {
        "home": str(reglages.home),
        "inbox": str(reglages.inbox),
        "outbox": str(reglages.outbox),
        "reports": str(reglages.reports),
        "db_url": reglages.db_url,
        "seuil_quarantaine": reglages.seuil_quarantaine,
        "allow_partial": reglages.allow_partial,
    }
    if getattr(args, "sftp_config", None):
        config["sftp_config"] = args.sftp_config
    if getattr(args, "pseudonymise", False):
        config["pseudonymiser"] = True
    return config


def _verifier_base(url: str):
    from connectors.database import Database, DatabaseError

    try:
        db = Database(url)
    except (DatabaseError, ValueError) as exc:
        raise UsageError(f"PASSERELLE_DB_URL / --db invalide : {exc}") from exc
    db.verifier()
    return db


def cmd_run(args: argparse.Namespace) -> int:
    from connectors.database import DatabaseError
    from pipelines.definitions import build_definitions
    from pipelines.execution import executer_nuit, instance

    nuits = _nuits(args)
    reglages = _reglages(args)
    _cle(args)  # fail before any work when the key is missing
    if args.sftp_config:
        from connectors.sftp import depot_sftp
        from connectors.sftp_config import SftpConfigError

        try:
            depot_sftp(Path(args.sftp_config), reglages)
        except (SftpConfigError, OSError) as exc:
            raise UsageError(f"configuration SFTP invalide : {exc}") from exc
    if not args.sftp_config and not reglages.inbox.is_dir():
        raise UsageError(f"dossier d'entrée introuvable : {reglages.inbox}")
    try:
        db = _verifier_base(reglages.db_url)
        db.creer_schema()
    except DatabaseError as exc:
        print(f"passerelle : {exc} ; rien n'a été traité ni envoyé", file=sys.stderr)
        return EXIT_ERREUR
    defs = build_definitions()
    config = _config_ressource(reglages, args)
    code = EXIT_OK
    # As a context manager, the instance is the one Dagster's definitions loading sees, and is
    # disposed of at the end.
    with instance() as inst:
        for nuit in nuits:
            with _limite_de_duree(nuit, reglages.duree_max_s):
                issue = executer_nuit(defs, reglages, nuit, config, inst, barre=not args.quiet)
            code = _compte_rendu(issue, reglages, code)
    return code


def _compte_rendu(issue, reglages, code: int) -> int:
    """Print the operator's line for a night; the exit code so far, worst first."""
    nuit = issue.nuit
    rapport = reglages.reports / nuit.isoformat()
    if not issue.succes:
        print(f"{nuit} : ÉCHEC — {issue.erreur}", file=sys.stderr)
        return EXIT_ERREUR
    if issue.complete:
        print(f"{nuit} : nuit complète, flux émis dans {reglages.outbox} ; rapport {rapport}")
    elif issue.emise:
        print(f"{nuit} : nuit incomplète, émission partielle forcée ; rapport {rapport}")
    else:
        print(f"{nuit} : nuit INCOMPLÈTE, rien n'a été émis ; voir le rapport {rapport}")
        return EXIT_INCOMPLET if code == EXIT_OK else code
    return code


@contextlib.contextmanager
def _limite_de_duree(nuit: dt.date, secondes: float) -> Iterator[None]:
    """Stop the process if the night outlasts `secondes` (the job's `dagster/max_runtime`).

    The night runs in this process, where nothing can interrupt a step that is stuck: past
    the limit the process ends, exit 1. What it leaves is what a crash leaves, which the
    next run takes over (files claimed too long ago are reclaimed, outbound files rewritten).
    """

    def arreter() -> None:
        print(
            f"passerelle : nuit du {nuit:%d/%m/%Y} arrêtée : durée maximale de {secondes:.0f} s "
            "dépassée (PASSERELLE_DUREE_MAX_S) ; relancer la nuit une fois la cause levée",
            file=sys.stderr,
            flush=True,
        )
        os._exit(EXIT_ERREUR)

    minuteur = threading.Timer(secondes, arreter)
    minuteur.daemon = True
    minuteur.start()
    try:
        yield
    finally:
        minuteur.cancel()


def _cle(args: argparse.Namespace) -> bytes | None:
    from pipelines.rapport import CleManquante, cle_pseudonymisation

    if not getattr(args, "pseudonymise", False):
        return None
    try:
        return cle_pseudonymisation()
    except CleManquante as exc:
        raise UsageError(str(exc)) from exc


def cmd_report(args: argparse.Namespace) -> int:
    from connectors.database import DatabaseError
    from pipelines import etat_nuit, rapport, rapprochement

    reglages = _reglages(args)
    cle = _cle(args)
    try:
        db = _verifier_base(reglages.db_url)
        db.creer_schema()
    except DatabaseError as exc:
        print(f"passerelle : {exc}", file=sys.stderr)
        return EXIT_ERREUR
    resultat = etat_nuit.calculer(db, args.date, reglages.cache_historique)
    rapproches = rapprochement.du_jour(
        db,
        resultat,
        reglages.delai_stock_jours,
        reglages.cache_historique,
        reglages.cache_instantanes,
    )
    produit = rapport.produire(
        db,
        reglages.reports,
        args.date,
        resultat.etat,
        resultat.enregistrements,
        resultat.referentiels,
        cle,
        reglages.cache_emissions,
        rapproches,
    )
    print(
        f"rapport du {args.date:%d/%m/%Y} reconstruit : {reglages.reports / args.date.isoformat()}"
        f" ({produit.contenu.anomalies.height} anomalies" + (", pseudonymisé)" if cle else ")")
    )
    return EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from connectors.database import DatabaseError
    from pipelines.partitions import FUSEAU
    from pipelines.retention import date_limite, purger

    reglages = _reglages(args)
    try:
        db = _verifier_base(reglages.db_url)
        db.creer_schema()
    except DatabaseError as exc:
        print(f"passerelle : {exc}", file=sys.stderr)
        return EXIT_ERREUR
    avant = args.before or date_limite(reglages, dt.datetime.now(ZoneInfo(FUSEAU)).date())
    bilan = purger(db, reglages, avant)
    print(
        f"purge avant le {avant:%d/%m/%Y} : {bilan.versions_concernees} versions de "
        f"fichiers, {bilan.copies_supprimees} copies supprimées, "
        f"{bilan.lignes_quarantaine_supprimees} motifs de quarantaine supprimés, "
        f"{bilan.temporaires_supprimes} fichiers temporaires abandonnés supprimés "
        "(le registre des fichiers est conservé)"
    )
    return EXIT_OK


def _options_communes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inbox", metavar="DOSSIER", help="zone d'entrée locale (PASSERELLE_INBOX)")
    p.add_argument("--outbox", metavar="DOSSIER", help="zone de sortie (PASSERELLE_OUTBOX)")
    p.add_argument("--reports", metavar="DOSSIER", help="rapports (PASSERELLE_REPORTS)")
    p.add_argument("--db", metavar="URL", help="base de données (PASSERELLE_DB_URL)")


def _option_pseudonymise(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pseudonymise",
        action="store_true",
        help="rapports avec identifiants remplacés par HMAC-SHA256 "
        "(clé dans PASSERELLE_CLE_PSEUDONYMISATION)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="passerelle",
        description="Passerelle : échanges nocturnes GIDE / DUDE / Parcours 3 (cotraitance).",
    )
    sub = parser.add_subparsers(dest="commande", required=True)

    run = sub.add_parser("run", help="traiter une nuit (ou une plage de nuits, dans l'ordre)")
    run.add_argument("--date", type=_date, metavar="AAAA-MM-JJ", help="la nuit D à traiter")
    run.add_argument("--from", dest="debut", type=_date, metavar="AAAA-MM-JJ")
    run.add_argument("--to", dest="fin", type=_date, metavar="AAAA-MM-JJ")
    _options_communes(run)
    run.add_argument(
        "--allow-partial",
        action="store_true",
        help="traiter et émettre une nuit incomplète avec ce qui est là (sortie 0)",
    )
    run.add_argument("--sftp-config", metavar="FICHIER", help="zones SFTP (fichier TOML)")
    run.add_argument("--quiet", action="store_true", help="sans barre de progression")
    _option_pseudonymise(run)
    run.set_defaults(func=cmd_run)

    report = sub.add_parser(
        "report", help="reconstruire le rapport d'une nuit depuis la base, sans réingérer"
    )
    report.add_argument("--date", type=_date, required=True, metavar="AAAA-MM-JJ")
    _options_communes(report)
    _option_pseudonymise(report)
    report.set_defaults(func=cmd_report)

    purge = sub.add_parser(
        "purge", help="supprimer les copies et quarantaines antérieures à une date"
    )
    purge.add_argument(
        "--before",
        type=_date,
        metavar="AAAA-MM-JJ",
        help="défaut : aujourd'hui moins PASSERELLE_RETENTION_JOURS jours (90)",
    )
    _options_communes(purge)
    purge.set_defaults(func=cmd_purge)

    contrat = sub.add_parser("contrat", help="exporter le contrat d'interface (Data Package)")
    contrat.add_argument("--datapackage", metavar="FICHIER", help="écrire datapackage.json ici")
    contrat.add_argument("--readme", metavar="FICHIER", help="écrire la documentation ici")
    contrat.set_defaults(func=cmd_contrat)

    valider = sub.add_parser(
        "valider",
        help="dire si des fichiers passeraient la nuit (sans base ni état), avant de les envoyer",
        description="Juge chaque fichier comme la nuit le jugerait : .ok (s'il est à côté, "
        "FICHIER.ok), encodage, en-tête, lignes, schéma, doublons et conflits, seuil de "
        "quarantaine (PASSERELLE_SEUIL_QUARANTAINE). Sortie 0 : tous acceptés en entier ; "
        "3 : une ligne en quarantaine ou un fichier rejeté ; 2 : mauvais usage. Les valeurs "
        "des lignes ne sont jamais affichées.",
    )
    valider.add_argument(
        "fichiers", nargs="+", metavar="FICHIER", help="<FLUX>_<AAAAMMJJ>.csv, un ou plusieurs"
    )
    valider.add_argument(
        "--format",
        choices=("texte", "csv", "json"),
        default="texte",
        help="texte (défaut), csv pour un tableur, json pour une machine",
    )
    valider.set_defaults(func=cmd_valider)
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
    except Exception as exc:  # the operator gets a line, not a traceback with row values
        print(f"passerelle : erreur inattendue ({type(exc).__name__})", file=sys.stderr)
        if os.environ.get("PASSERELLE_DEBUG"):
            raise
        return EXIT_ERREUR


if __name__ == "__main__":
    sys.exit(main())
