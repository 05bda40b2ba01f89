"""`make bench` (`python -m bench.run`): Passerelle's costs at national scale.

    python -m bench.run                       # scales 0.25, 0.5 and 1.0, 3 runs each
    BENCH_QUICK=1 python -m bench.run         # quick try: scale 0.01, one run, small SFTP file
    python -m bench.run --scales 0.1 --repetitions 1 --sortie /tmp/r.md

For each scale: the generated nights (cached under bench/data/), the initial load night of
five years of history run once and kept as a snapshot, then, each in a fresh process and
from a fresh copy of that snapshot: an ordinary night end to end through Dagster, the full
recomputation of the state from the history and a bare scan of that history, and the
validator against a bare `polars.read_csv` of the initial load's files. Then the SFTP
throughput against OpenSSH (bench/sftp.py), and, at the largest scale, the ordinary night
with the three stocks it carries against the same night without them (`--stocks-seulement`
measures only that). The figures go between the markers of
bench/results.md (see bench/resultats.py); quick mode writes bench/data/results-quick.md.

Long (about an hour at full size): not part of `make test`; tests/test_bench.py runs the
quick mode on a tiny scale so that the harness itself keeps working.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from bench import donnees
from bench.processus import RACINE, EchecMesure, Mesure, mesurer, module
from bench.resultats import Echelle, Resultats, ecrire, ecrire_stocks

ECHELLES = (0.25, 0.5, 1.0)
ECHELLES_RAPIDES = (0.01,)


def _json(m: Mesure) -> dict[str, object]:
    return json.loads(m.sortie.strip().splitlines()[-1])


def _nuit(
    jeu: donnees.Jeu, zone: donnees.Zone, stocks: bool = False
) -> tuple[Mesure, dict[str, float]]:
    m = mesurer(donnees.commande_nuit(jeu, donnees.NUIT_ORDINAIRE, stocks), zone.env())
    etapes = _json(mesurer(module("bench.mesures", "etapes"), zone.env()))
    return m, dict(etapes["etapes"])  # type: ignore[call-overload]


def mesurer_echelle(racine: Path, echelle: float, repetitions: int, historique: dt.date) -> Echelle:
    print(f"échelle {echelle:g}", flush=True)
    jeu = donnees.jeu(racine, echelle, historique)
    chargement = donnees.charger(racine, jeu)
    r = Echelle(echelle, chargement=chargement.mesure)
    travail = jeu.dossier.parent / "travail"
    nuit = donnees.NUIT_ORDINAIRE.isoformat()
    for i in range(repetitions):
        zone = donnees.restaurer(chargement.zone, travail)
        m, etapes = _nuit(jeu, zone)
        r.nuits.append(m)
        r.etapes.append(etapes)
        print(f"  nuit {i + 1}/{repetitions} : {m.secondes:.1f} s, {m.pic_gio:.2f} Gio", flush=True)
    # The recomputation and the scan read the state the last night left (read only).
    # Both are timed inside their process (start-up and imports excluded).
    for i in range(repetitions):
        m = mesurer(module("bench.mesures", "recalcul", "--date", nuit), zone.env())
        details = _json(m)
        m = replace(m, secondes=float(details["secondes"]))  # type: ignore[arg-type]
        r.recalculs.append(m)
        r.details_recalcul.append(details)  # type: ignore[arg-type]
        s = mesurer(module("bench.mesures", "scan", "--date", nuit), zone.env())
        details = _json(s)
        s = replace(s, secondes=float(details["secondes"]))  # type: ignore[arg-type]
        r.scans.append(s)
        r.lignes_historique = int(details["lignes"])  # type: ignore[call-overload]
        print(
            f"  recalcul {i + 1}/{repetitions} : {m.secondes:.1f} s, {m.pic_gio:.2f} Gio ; "
            f"lecture brute {s.secondes:.1f} s",
            flush=True,
        )
    v = mesurer(
        module(
            "bench.mesures",
            "validation",
            "--inbox",
            str(jeu.inbox),
            "--date",
            donnees.PREMIERE_NUIT.isoformat(),
            "--repetitions",
            str(repetitions),
        )
    )
    r.validation, r.validation_mesure = _json(v), v
    print(f"  validation / read_csv : {r.ratio_validation:.2f}", flush=True)
    shutil.rmtree(travail, ignore_errors=True)
    return r


def mesurer_stocks(racine: Path, e: Echelle, repetitions: int, historique: dt.date) -> None:
    """The ordinary night with and without the three stocks, alternately, into `e`."""
    jeu = donnees.jeu(racine, e.echelle, historique)
    chargement = donnees.charger(racine, jeu)
    travail = jeu.dossier.parent / "travail-stocks"
    for i in range(repetitions):
        for stocks in (False, True):
            zone = donnees.restaurer(chargement.zone, travail)
            m, etapes = _nuit(jeu, zone, stocks)
            (e.nuits_stocks if stocks else e.nuits_sans_stocks).append(m)
            if stocks:
                e.etapes_stocks.append(etapes)
            print(
                f"  nuit {'avec' if stocks else 'sans'} stocks {i + 1}/{repetitions} : "
                f"{m.secondes:.1f} s, {m.pic_gio:.2f} Gio",
                flush=True,
            )
    shutil.rmtree(travail, ignore_errors=True)


def _sftp(r: Resultats, taille_mo: int, repetitions: int) -> None:
    try:
        from bench.sftp import mesurer as mesurer_sftp
        from fixtures.sshd import SSHD

        if not SSHD.exists():
            r.sftp_absent = f"{SSHD} absent: `make system-deps` installs openssh-server"
            return
        print(f"SFTP : {taille_mo} Mio, {repetitions} essais", flush=True)
        r.sftp = mesurer_sftp(taille_mo, repetitions)
        print(f"  SftpDropZone / sftp OpenSSH : {r.sftp.ratio:.2f}", flush=True)
    except Exception as exc:  # a broken sshd must not lose an hour of measurements
        r.sftp_absent = f"échec ({type(exc).__name__}: {str(exc)[:200]})"


def _echelles(texte: str) -> tuple[float, ...]:
    return tuple(float(x) for x in texte.split(",") if x.strip())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="essai rapide (ou BENCH_QUICK=1)")
    p.add_argument("--scales", type=_echelles, help="échelles, séparées par des virgules")
    p.add_argument("--repetitions", type=int, help="essais par mesure (3 ; 1 en rapide)")
    p.add_argument("--history-from", type=dt.date.fromisoformat, default=None)
    p.add_argument("--donnees", type=Path, default=RACINE / "bench" / "data")
    p.add_argument("--sortie", type=Path, help="fichier de résultats")
    p.add_argument("--sftp-taille-mo", type=int)
    p.add_argument("--sftp-repetitions", type=int)
    p.add_argument("--sans-sftp", action="store_true")
    p.add_argument(
        "--stocks-seulement",
        action="store_true",
        help="seulement la nuit avec et sans stocks (n'écrit que ces chiffres)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    rapide = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    echelles = args.scales or (ECHELLES_RAPIDES if rapide else ECHELLES)
    repetitions = args.repetitions or (1 if rapide else 3)
    sortie = args.sortie or (
        args.donnees / "results-quick.md" if rapide else RACINE / "bench" / "results.md"
    )
    historique = args.history_from or donnees.DEBUT_HISTORIQUE
    os.umask(0o077)  # the generated files hold (fictional) personal data
    args.donnees.mkdir(parents=True, exist_ok=True, mode=0o700)
    r = Resultats(echelles=[], repetitions=repetitions, rapide=rapide)
    try:
        if args.stocks_seulement:
            for echelle in echelles:
                print(f"échelle {echelle:g} : stocks", flush=True)
                e = Echelle(echelle)
                mesurer_stocks(args.donnees, e, repetitions, historique)
                r.echelles.append(e)
            ecrire_stocks(sortie, r)
            print(f"résultats : {sortie}")
            return 0
        for echelle in echelles:
            r.echelles.append(mesurer_echelle(args.donnees, echelle, repetitions, historique))
        # the stock reconciliation's cost, at the largest scale only (two nights a repetition)
        mesurer_stocks(args.donnees, r.echelles[-1], repetitions, historique)
    except EchecMesure as exc:
        print(f"bench : {exc}", file=sys.stderr)
        return 1
    if args.sans_sftp:
        r.sftp_absent = "--sans-sftp"
    else:
        _sftp(
            r,
            args.sftp_taille_mo or (4 if rapide else 100),
            args.sftp_repetitions or (1 if rapide else 5),
        )
    ecrire(sortie, r)
    ecrire_stocks(sortie, r)
    print(f"résultats : {sortie}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
