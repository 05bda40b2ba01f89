"""What the benchmark measures inside a fresh process (`python -m bench.mesures ...`).

Each sub-command prints one JSON object on its last line:

- `recalcul --date D`: the full recomputation of every episode's state from the whole
  history, as the nightly `etats` asset does it (`pipelines.etat_nuit.calculer`: read the
  validated history, resolve it as of D, apply every rule, derive the outbound records);
- `scan --date D`: a bare read of the same history, every row and column, no processing:
  the floor of the recomputation;
- `validation --inbox DIR --date D --repetitions N`: the validator (decode, split, parse,
  Pandera, typing: `schemas.dialect.lire` + `schemas.validation.trier`) on every file of
  night D, against a bare `polars.read_csv` of the same bytes as text, in this process,
  alternating so that both meet the same load;
- `etapes`: the step timings of the latest Dagster run of `$DAGSTER_HOME`.

The working area comes from the environment (PASSERELLE_HOME, PASSERELLE_DB_URL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import time
from pathlib import Path


def _date(texte: str) -> dt.date:
    return dt.date.fromisoformat(texte)


def recalcul(nuit: dt.date) -> dict[str, object]:
    from pipelines import etat_nuit
    from pipelines.reglages import Reglages
    from pipelines.resources import PasserelleResource

    debut = time.perf_counter()
    reglages = Reglages.depuis_env()
    db = PasserelleResource().database()
    resultat = etat_nuit.calculer(db, nuit)
    return {
        "secondes": time.perf_counter() - debut,
        "lecture_s": resultat.lecture_s,
        "calcul_s": resultat.calcul_s,
        "episodes": resultat.etat.episodes.height,
        "home": str(reglages.home),
    }


def scan(nuit: dt.date) -> dict[str, object]:
    import sqlalchemy as sa

    import schemas
    from connectors.database import Database
    from connectors.tables import historique
    from pipelines.reglages import Reglages

    db = Database(Reglages.depuis_env().db_url)
    debut = time.perf_counter()
    lignes = 0
    for f in schemas.ENTRANTS:
        lignes += db.lire(sa.select(historique[f.nom])).height
    return {"secondes": time.perf_counter() - debut, "lignes": lignes, "nuit": nuit.isoformat()}


def validation(inbox: Path, nuit: dt.date, repetitions: int) -> dict[str, object]:
    import polars as pl

    import schemas
    from schemas.dialect import lire
    from schemas.validation import trier

    fichiers = []
    for f in schemas.ENTRANTS:
        chemin = inbox / f.nom_fichier(nuit)
        if chemin.is_file():
            fichiers.append((f, chemin.read_bytes()))

    def plancher() -> int:
        n = 0
        for _, data in fichiers:
            n += pl.read_csv(
                io.BytesIO(data),
                separator=";",
                quote_char='"',
                infer_schema=False,
                encoding="utf8-lossy",
            ).height
        return n

    def valideur() -> int:
        n = 0
        for f, data in fichiers:
            tri = trier(lire(data, f), f)
            n += tri.appliquees.height + tri.doublons.height + tri.nb_quarantaine
        return n

    durees: dict[str, list[float]] = {"read_csv": [], "validation": []}
    lignes = {}
    for _ in range(repetitions):
        for nom, action in (("read_csv", plancher), ("validation", valideur)):
            debut = time.perf_counter()
            lignes[nom] = action()
            durees[nom].append(time.perf_counter() - debut)
    return {
        "read_csv_s": statistics.median(durees["read_csv"]),
        "validation_s": statistics.median(durees["validation"]),
        "essais": durees,
        "lignes": lignes["validation"],
        "octets": sum(len(d) for _, d in fichiers),
        "fichiers": len(fichiers),
    }


def etapes() -> dict[str, object]:
    import dagster as dg

    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    stats = instance.get_run_stats(run.run_id)
    return {
        "run": (stats.end_time or 0) - (stats.start_time or 0),
        "etapes": {
            s.step_key: (s.end_time or 0) - (s.start_time or 0)
            for s in instance.get_run_step_stats(run.run_id)
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mesures")
    sub = parser.add_subparsers(dest="commande", required=True)
    for nom in ("recalcul", "scan"):
        p = sub.add_parser(nom)
        p.add_argument("--date", type=_date, required=True)
    p = sub.add_parser("validation")
    p.add_argument("--inbox", type=Path, required=True)
    p.add_argument("--date", type=_date, required=True)
    p.add_argument("--repetitions", type=int, default=3)
    sub.add_parser("etapes")
    args = parser.parse_args(argv)
    if args.commande == "recalcul":
        resultat = recalcul(args.date)
    elif args.commande == "scan":
        resultat = scan(args.date)
    elif args.commande == "validation":
        resultat = validation(args.inbox, args.date, args.repetitions)
    else:
        resultat = etapes()
    print(json.dumps(resultat))


if __name__ == "__main__":
    main()
