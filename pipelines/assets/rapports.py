"""The night's reconciliation report, as an asset: what the operator sees in the UI."""

import dagster as dg
import polars as pl

import schemas
from pipelines import rapport, rapprochement
from pipelines.assets.cotraitance import CLE_COMPLETUDE, CLE_ETATS, etat_de_la_nuit
from pipelines.assets.presentation import cle_sortant, sans_valeurs_dans_les_echecs
from pipelines.assets.rapprochement import CLE_RAPPROCHEMENT
from pipelines.partitions import UNE_NUIT_PAR_RUN, nuit_de, nuits
from pipelines.resources import PasserelleResource
from reporting.contenu import ContenuRapport

CLE_RAPPORT = dg.AssetKey(["rapports", "rapport"])
SEVERITES = ("BLOQUANT", "ALERTE", "INFO")


def synthese_markdown(contenu: ContenuRapport, dossier: str) -> str:
    """The synthesis an operator reads in the UI: is there something for a human tonight?"""
    a = contenu.anomalies
    par_severite = {s: a.filter(pl.col("severite") == s).height for s in SEVERITES}
    lignes = [
        f"### Nuit du {contenu.jour:%d/%m/%Y}",
        "",
        f"- Fichiers : {'complets' if contenu.complete else '**INCOMPLETS**'} ; "
        f"flux sortants : {'émis' if contenu.emise else '**non émis**'}",
        f"- Anomalies : **{par_severite['BLOQUANT']} bloquantes**, "
        f"{par_severite['ALERTE']} alertes, {par_severite['INFO']} infos",
        f"- Épisodes : {contenu.episodes.height}, dont "
        f"{contenu.episodes.filter(pl.col('date_fin').is_null()).height} ouverts",
        f"- Rapport : `{dossier}`",
    ]
    if a.height:
        par_code = (
            a.group_by("code", "severite").len().sort(["len", "code"], descending=[True, False])
        )
        lignes += ["", "| code | sévérité | nombre |", "|---|---|---|"]
        lignes += [f"| {c} | {s} | {n} |" for c, s, n in par_code.head(15).iter_rows()]
    return "\n".join(lignes)


@dg.asset(
    key=CLE_RAPPORT,
    group_name="rapports",
    partitions_def=nuits,
    backfill_policy=UNE_NUIT_PAR_RUN,
    deps=[
        CLE_COMPLETUDE,
        CLE_ETATS,
        CLE_RAPPROCHEMENT,
        *(cle_sortant(f) for f in schemas.SORTANTS),
    ],
    description=(
        "The reconciliation report of the night for analysts, in French: anomalies.csv, "
        "indicateurs.csv, etats.parquet, rapport.xlsx and rapport.html in reports/AAAA-MM-JJ/. "
        "Identifiers only, never a name. The metadata carry its synthesis: is the file set "
        "complete, was anything emitted, how many BLOQUANT anomalies need a human tonight."
    ),
    kinds={"html", "excel"},
    owners=["team:analystes"],
    check_specs=[
        dg.AssetCheckSpec(
            "aucune_anomalie_bloquante",
            asset=CLE_RAPPORT,
            description=(
                "Fails when the night has a BLOQUANT anomaly (FLUX_MANQUANT, FICHIER_REJETE): "
                "nothing is emitted until someone settles it, see docs/anomalies.md. ALERTE "
                "and INFO anomalies do not fail it."
            ),
        )
    ],
)
@sans_valeurs_dans_les_echecs
def rapport_de_nuit(
    context: dg.AssetExecutionContext, passerelle: PasserelleResource
) -> dg.MaterializeResult:
    nuit = nuit_de(context)
    etat = etat_de_la_nuit(passerelle, nuit)
    reglages = passerelle.reglages()
    rapproches = rapprochement.du_jour(
        passerelle.database(),
        etat,
        reglages.delai_stock_jours,
        reglages.cache_historique,
        reglages.cache_instantanes,
    )
    cle = rapport.cle_pseudonymisation() if passerelle.pseudonymiser else None
    produit = rapport.produire(
        passerelle.database(),
        reglages.reports,
        nuit,
        etat.etat,
        etat.enregistrements,
        etat.referentiels,
        cle,
        reglages.cache_emissions,
        rapproches,
    )
    dossier = str(reglages.reports / nuit.isoformat())
    a = produit.contenu.anomalies
    par_severite = {s: a.filter(pl.col("severite") == s).height for s in SEVERITES}
    context.log.info(
        f"rapport du {nuit:%d/%m/%Y} écrit dans {dossier} : "
        + ", ".join(f"{n} {s}" for s, n in par_severite.items())
    )
    return dg.MaterializeResult(
        metadata={
            "synthese": dg.MetadataValue.md(synthese_markdown(produit.contenu, dossier)),
            "anomalies_bloquantes": par_severite["BLOQUANT"],
            "anomalies_alertes": par_severite["ALERTE"],
            "anomalies_infos": par_severite["INFO"],
            "nuit_complete": produit.contenu.complete,
            "flux_emis": produit.contenu.emise,
            "pseudonymise": cle is not None,
            "dossier": dg.MetadataValue.path(dossier),
            **{
                f"rapport{p.suffix.replace('.', '_')}": dg.MetadataValue.path(str(p))
                for p in produit.fichiers
                if p.suffix in (".html", ".xlsx")
            },
            "fichiers": ", ".join(p.name for p in produit.fichiers),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="aucune_anomalie_bloquante",
                passed=par_severite["BLOQUANT"] == 0,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "bloquantes": par_severite["BLOQUANT"],
                    "codes": ", ".join(
                        sorted(set(a.filter(pl.col("severite") == "BLOQUANT")["code"]))
                    )
                    or "aucun",
                },
            )
        ],
    )
