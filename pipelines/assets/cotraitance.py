"""The night's completeness and the state of every cotraitance episode as of the night."""

import datetime as dt

import dagster as dg
import polars as pl

import schemas
from pipelines import completude, etat_nuit, incidents, ingestion
from pipelines.assets.presentation import cle_entrant, sans_valeurs_dans_les_echecs
from pipelines.etat_nuit import ResultatEtat
from pipelines.partitions import UNE_NUIT_PAR_RUN, nuit_de, nuits
from pipelines.resources import PasserelleResource

CLE_COMPLETUDE = dg.AssetKey(["cotraitance", "completude"])
CLE_ETATS = dg.AssetKey(["cotraitance", "etats"])
VALIDES = [cle_entrant(f, "valide") for f in schemas.ENTRANTS]
EXPLOITATION = "team:exploitation"


@dg.asset(
    key=CLE_COMPLETUDE,
    group_name="cotraitance",
    partitions_def=nuits,
    backfill_policy=UNE_NUIT_PAR_RUN,
    deps=VALIDES,
    description=(
        "Whether the night's inbound file set is complete and accepted: every mandatory "
        "flow has an applied file named for the night and none ends rejected. Outbound flows "
        "are emitted only for a complete night, unless the run is forced partial "
        "(allow_partial); an incomplete night writes an incident file in reports/incidents/."
    ),
    kinds={"sql"},
    owners=[EXPLOITATION],
    tags={"passerelle/etape": "completude"},
    check_specs=[
        dg.AssetCheckSpec(
            "nuit_complete",
            asset=CLE_COMPLETUDE,
            description=(
                "Fails when a mandatory flow of the night is missing (absent, or its .ok "
                "not arrived) or a file of the night was rejected: nothing is emitted for the "
                "night. Get the missing or corrected files, then materialise the night again."
            ),
        )
    ],
)
@sans_valeurs_dans_les_echecs
def completude_nuit(
    context: dg.AssetExecutionContext, passerelle: PasserelleResource
) -> dg.MaterializeResult:
    nuit = nuit_de(context)
    depot, db = passerelle.depot(), passerelle.database()
    presences = {}
    for zone in depot.zones_entree():
        noms = {f.nom: f.complet for f in zone.lister()}
        for f in schemas.ENTRANTS:
            nom = f.nom_fichier(nuit)
            if nom in noms:
                presences[f.nom] = ingestion.PRESENT if noms[nom] else ingestion.SANS_OK
    bilan = completude.evaluer(db, nuit, presences, ingestion.fichiers_inattendus(depot, nuit))
    forcee = passerelle.allow_partial and not bilan.complete
    emise = bilan.complete or forcee
    completude.enregistrer(db, bilan, emise=emise, forcee=forcee)
    if bilan.complete:
        context.log.info(bilan.resume())
    else:
        context.log.warning(bilan.resume() + (" ; émission forcée" if forcee else ""))
        if not forcee:
            incidents.signaler(
                passerelle.reglages().reports,
                nuit,
                "nuit incomplète",
                [
                    bilan.resume(),
                    "Rien n'a été émis vers GIDE, DUDE et Parcours 3 pour cette nuit.",
                    "Action : obtenir les flux manquants ou corrigés des systèmes émetteurs puis "
                    "relancer la nuit ; en dernier recours, forcer une nuit partielle "
                    "(passerelle run --allow-partial).",
                ],
            )
    futurs = [n for n, r in bilan.inattendus if r == "DATE_FUTURE"]
    if futurs:
        # Normal when nights are caught up: those files wait for their own night.
        context.log.info(f"{len(futurs)} fichier(s) daté(s) après la nuit, laissés pour leur nuit")
    for fichier, raison in bilan.inattendus:
        if raison != "DATE_FUTURE":
            context.log.warning(f"fichier ignoré dans la zone d'entrée : {fichier} ({raison})")
    return dg.MaterializeResult(
        metadata={
            "complete": bilan.complete,
            "emission": "forcée (partielle)" if forcee else "oui" if emise else "non",
            "flux_manquants": ", ".join(m.nom_attendu for m in bilan.manquants) or "aucun",
            "fichiers_rejetes": ", ".join(r.nom for r in bilan.rejetes) or "aucun",
            "fichiers_ignores": ", ".join(n for n, _ in bilan.inattendus) or "aucun",
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="nuit_complete",
                passed=bilan.complete,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"bilan": bilan.resume()},
            )
        ],
    )


def etat_de_la_nuit(passerelle: PasserelleResource, nuit: dt.date) -> ResultatEtat:
    """The night's state for the steps that read it: computed by `etats`, reused by the
    outbound and report steps of the same run (`pipelines.etat_nuit.du_jour`)."""
    return etat_nuit.du_jour(passerelle.database(), nuit, passerelle.reglages().cache_historique)


def _par_phase_et_etat(episodes: pl.DataFrame) -> dg.TableMetadataValue:
    """Episodes per phase and état (open or ended): counts only."""
    counts = episodes.group_by("phase", "etat").len().sort("phase", "etat")
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({"phase": p, "etat": e, "episodes": int(n)})
            for p, e, n in counts.iter_rows()
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("phase", "string"),
                dg.TableColumn("etat", "string"),
                dg.TableColumn("episodes", "int"),
            ]
        ),
    )


@dg.asset(
    key=CLE_ETATS,
    group_name="cotraitance",
    partitions_def=nuits,
    backfill_policy=UNE_NUIT_PAR_RUN,
    deps=VALIDES,
    description=(
        "The phase and état of every cotraitance episode as of the night (rules E1-E7, "
        "A1-A5, S1-S6 of RULES.md), a pure function of the validated files dated on or before "
        "the night, and every outbound record that exists as of the night (what the outbound "
        "flows then send)."
    ),
    kinds={"polars"},
    owners=[EXPLOITATION],
    tags={"passerelle/etape": "etats"},
    check_specs=[
        dg.AssetCheckSpec(
            "un_episode_ouvert_par_de",
            asset=CLE_ETATS,
            blocking=True,
            description=(
                "Invariant of rule E2: at most one open episode per demandeur d'emploi. An "
                "error: it stops the night before anything is emitted."
            ),
        )
    ],
)
@sans_valeurs_dans_les_echecs
def etats(
    context: dg.AssetExecutionContext, passerelle: PasserelleResource
) -> dg.MaterializeResult:
    nuit = nuit_de(context)
    resultat = etat_de_la_nuit(passerelle, nuit)
    etat, records = resultat.etat, resultat.enregistrements
    episodes = etat.episodes
    ouverts = episodes.filter(pl.col("date_fin").is_null())
    doublons = ouverts.group_by("id_de").len().filter(pl.col("len") > 1).height
    context.log.info(
        f"{episodes.height} épisodes au {nuit:%d/%m/%Y} ({ouverts.height} ouverts), "
        f"historique lu en {resultat.lecture_s:.1f} s, règles en {resultat.calcul_s:.1f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "episodes": episodes.height,
            "episodes_ouverts": ouverts.height,
            "par_phase_et_etat": _par_phase_et_etat(episodes),
            "lecture_historique_s": round(resultat.lecture_s, 2),
            "calcul_regles_s": round(resultat.calcul_s, 2),
            **{f"enregistrements/{k}": v.height for k, v in records.items()},
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="un_episode_ouvert_par_de",
                passed=doublons == 0,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"de_avec_plusieurs_episodes_ouverts": doublons},
            )
        ],
    )
