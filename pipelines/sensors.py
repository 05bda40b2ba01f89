"""Sensors: start a night when its file set is complete; report failed runs.

`fichiers_complets` looks at the drop zones every few minutes. A night D is launched when
every mandatory flow has its file for D complete (data + `.ok`). The run key is the night
plus a fingerprint of its `.ok` files, so Dagster never launches the same file set twice
(a corrected re-delivery has new `.ok` files, hence a new key); the database ledger, not the
cursor, says which nights are done. The cursor only remembers the last night seen, to keep
the scan short, and survives daemon restarts because Dagster stores it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from zoneinfo import ZoneInfo

import dagster as dg

import schemas
from pipelines import completude, incidents
from pipelines.jobs import nuit_job
from pipelines.partitions import FUSEAU, PREMIERE_NUIT, nuit_du_run
from pipelines.resources import PasserelleResource
from schemas.contract import NomFichier

# Nights older than the cursor by more than this are not looked at again.
FENETRE_JOURS = 7
OBLIGATOIRES = {f.nom for f in schemas.ENTRANTS if f.obligatoire}


def nuits_pretes(
    passerelle: PasserelleResource, depuis: dt.date, jusqu_a: dt.date
) -> dict[dt.date, str]:
    """Nights in [depuis, jusqu_a] whose mandatory files are all complete, with a fingerprint."""
    complets: dict[dt.date, dict[str, bytes]] = defaultdict(dict)
    for zone in passerelle.depot().zones_entree():
        for depose in zone.lister():
            nf = NomFichier.parse(depose.nom)
            if nf is None or not depose.complet or not depuis <= nf.date <= jusqu_a:
                continue
            if nf.flux in OBLIGATOIRES:
                complets[nf.date][depose.nom] = zone.lire_ok(depose.nom)
    pretes = {}
    for nuit, oks in complets.items():
        if {NomFichier.parse(n).flux for n in oks} >= OBLIGATOIRES:  # type: ignore[union-attr]
            empreinte = hashlib.sha256()
            for nom in sorted(oks):
                empreinte.update(nom.encode() + b"\0" + oks[nom] + b"\0")
            pretes[nuit] = empreinte.hexdigest()[:16]
    return dict(sorted(pretes.items()))


def _aujourd_hui(context: dg.SensorEvaluationContext) -> dt.date:
    return dt.datetime.now(ZoneInfo(FUSEAU)).date()


@dg.sensor(
    job=nuit_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Launches night D as soon as every mandatory inbound flow of D is complete (data + "
        ".ok) in the drop zones. Never launches the same file set twice."
    ),
)
def fichiers_complets(
    context: dg.SensorEvaluationContext, passerelle: PasserelleResource
) -> dg.SensorResult:
    curseur = json.loads(context.cursor) if context.cursor else {}
    derniere = dt.date.fromisoformat(curseur.get("derniere_nuit", PREMIERE_NUIT))
    depuis = max(dt.date.fromisoformat(PREMIERE_NUIT), derniere - dt.timedelta(FENETRE_JOURS))
    aujourd_hui = _aujourd_hui(context)
    pretes = nuits_pretes(passerelle, depuis, aujourd_hui)
    db = passerelle.database()
    demandes = []
    for nuit, empreinte in pretes.items():
        fait = completude.lire(db, nuit)
        deja = fait.height == 1 and bool(fait["emise"][0]) and bool(fait["complete"][0])
        nouveaux = _versions_nouvelles(passerelle, nuit)
        if deja and not nouveaux:
            continue
        demandes.append(
            dg.RunRequest(
                run_key=f"nuit-{nuit.isoformat()}-{empreinte}",
                partition_key=nuit.isoformat(),
                tags={"passerelle/declencheur": "fichiers_complets"},
            )
        )
    if pretes:
        derniere = max(derniere, max(pretes))
    return dg.SensorResult(
        run_requests=demandes,
        cursor=json.dumps({"derniere_nuit": derniere.isoformat()}),
        skip_reason=None if demandes else "aucune nouvelle nuit complète",
    )


def _versions_nouvelles(passerelle: PasserelleResource, nuit: dt.date) -> bool:
    """Whether a file named for the night has a version the ledger does not know."""
    from connectors import ledger
    from schemas.dialect import FichierRejete, Ok

    db = passerelle.database()
    for zone in passerelle.depot().zones_entree():
        for depose in zone.lister():
            nf = NomFichier.parse(depose.nom)
            if nf is None or nf.date != nuit or not depose.complet:
                continue
            try:
                ok = Ok.parse(zone.lire_ok(depose.nom))
            except FichierRejete:
                continue
            if not ledger.connue(db, depose.nom, ok.sha256):
                return True
    return False


# Every job of the code location is watched, not only `nuit`: a night materialised from the
# asset graph runs as Dagster's implicit asset job.
@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Writes an incident file in reports/incidents/ when a run fails (the nightly job, or "
        "assets materialised from the asset graph)."
    ),
)
def echec_de_nuit(context: dg.RunFailureSensorContext, passerelle: PasserelleResource) -> None:
    run = context.dagster_run
    partition = nuit_du_run(run.tags)
    nuit = dt.date.fromisoformat(partition) if partition else None
    erreur = context.failure_event.message or "échec du run"
    incidents.signaler(
        passerelle.reglages().reports,
        nuit,
        "run en échec",
        [
            f"Run : {run.run_id}",
            f"Erreur : {erreur.splitlines()[0][:300]}",
            "Action : corriger la cause, puis relancer la nuit (passerelle run --date "
            f"{partition or 'AAAA-MM-JJ'}) ou la rematérialiser depuis l'interface Dagster.",
        ],
    )
