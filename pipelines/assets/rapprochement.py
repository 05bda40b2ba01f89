"""The stock reconciliation of the night, as an asset: what an operator reads at a glance."""

import dagster as dg
import polars as pl

from pipelines import rapprochement
from pipelines.assets.cotraitance import CLE_ETATS, EXPLOITATION, etat_de_la_nuit
from pipelines.assets.presentation import sans_valeurs_dans_les_echecs
from pipelines.partitions import UNE_NUIT_PAR_RUN, nuit_de, nuits
from pipelines.rapprochement import Rapprochement
from pipelines.resources import PasserelleResource
from rules.anomalies.stocks import CODES as CODES_STOCK

CLE_RAPPROCHEMENT = dg.AssetKey(["cotraitance", "rapprochement"])


def _taux(x: Rapprochement) -> float | None:
    national = x.concordance.filter(pl.col("code_region").is_null())
    return national["taux_concordance"][0] if national.height else None


def synthese(rapproches: list[Rapprochement]) -> dg.TableMetadataValue:
    """One row per system: its latest stock, what was expected and found, the divergences
    per code and the taux de concordance (R6)."""
    colonnes = [
        dg.TableColumn("systeme", "string"),
        dg.TableColumn("stock", "string"),
        dg.TableColumn("date_stock", "string"),
        dg.TableColumn("attendus", "int"),
        dg.TableColumn("en_stock", "int"),
        dg.TableColumn("concordants", "int"),
        dg.TableColumn("taux_concordance", "float"),
        *(dg.TableColumn(code, "int") for code in CODES_STOCK),
    ]
    lignes = []
    for x in rapproches:
        national = x.concordance.filter(pl.col("code_region").is_null()).row(0, named=True)
        par_code = dict(x.divergences.group_by("code").len().iter_rows())
        taux = _taux(x)
        lignes.append(
            dg.TableRecord(
                {
                    "systeme": x.systeme,
                    "stock": x.fichier,
                    "date_stock": x.date_stock.isoformat(),
                    "attendus": national["attendus"],
                    "en_stock": national["en_stock"],
                    "concordants": national["concordants"],
                    "taux_concordance": round(taux, 4) if taux is not None else None,
                    **{code: int(par_code.get(code, 0)) for code in CODES_STOCK},
                }
            )
        )
    return dg.MetadataValue.table(lignes, schema=dg.TableSchema(columns=colonnes))


def synthese_markdown(rapproches: list[Rapprochement]) -> str:
    """What an operator reads at a glance: per system, the stock compared and its rate."""
    if not rapproches:
        return "Aucun stock reçu à cette date : rien à rapprocher."
    lignes = [
        "| système | stock | nombre de divergences | taux de concordance |",
        "|---|---|---|---|",
    ]
    for x in rapproches:
        taux = _taux(x)
        lignes.append(
            f"| {x.systeme} | {x.fichier} | {x.divergences.height} | "
            + (f"{taux:.1%}".replace(".", ",") if taux is not None else "—")
            + " |"
        )
    return "\n".join(lignes)


@dg.asset(
    key=CLE_RAPPROCHEMENT,
    group_name="cotraitance",
    partitions_def=nuits,
    backfill_policy=UNE_NUIT_PAR_RUN,
    deps=[CLE_ETATS],
    description=(
        "The stock reconciliation (RULES.md R1-R6): each system's latest stock dated on or "
        "before the night, compared episode by episode with what that system should hold. "
        "The metadata give, per system, the stock's date, the episodes expected and found, "
        "the divergences per STOCK_ code and the taux de concordance; the report lists them "
        "(rapprochement.csv). On the night of a stock, what Passerelle sent and the system "
        "lacks is re-sent by the outbound flows (R5), once per content."
    ),
    kinds={"polars"},
    owners=[EXPLOITATION],
    tags={"passerelle/etape": "rapprochement"},
    check_specs=[
        dg.AssetCheckSpec(
            "stocks_concordants",
            asset=CLE_RAPPROCHEMENT,
            description=(
                "Warns when the latest stock of a system diverges from what it should hold "
                "(STOCK_ anomalies in the report, see docs/anomalies.md): a warning, the "
                "night goes on."
            ),
        )
    ],
)
@sans_valeurs_dans_les_echecs
def rapprochement_des_stocks(
    context: dg.AssetExecutionContext, passerelle: PasserelleResource
) -> dg.MaterializeResult:
    nuit = nuit_de(context)
    reglages = passerelle.reglages()
    rapproches = rapprochement.du_jour(
        passerelle.database(),
        etat_de_la_nuit(passerelle, nuit),
        reglages.delai_stock_jours,
        reglages.cache_historique,
        reglages.cache_instantanes,
    )
    divergences = rapprochement.divergences(rapproches)
    for x in rapproches:
        taux = _taux(x)
        context.log.info(
            f"stock {x.systeme} du {x.date_stock:%d/%m/%Y} : {x.divergences.height} "
            f"divergence(s), taux de concordance "
            + (f"{taux:.1%}" if taux is not None else "sans objet")
            + f", comparé en {x.duree_s:.1f} s"
        )
    if not rapproches:
        context.log.info(f"aucun stock reçu au {nuit:%d/%m/%Y} : rien à rapprocher")
    return dg.MaterializeResult(
        metadata={
            "synthese": dg.MetadataValue.md(synthese_markdown(rapproches)),
            "stocks": synthese(rapproches),
            "divergences": divergences.height,
            "renvois": sum(int(x.renvois["a_envoyer"].sum()) for x in rapproches),
            "delai_jours": reglages.delai_stock_jours,
            "duree_s": round(sum(x.duree_s for x in rapproches), 2),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="stocks_concordants",
                passed=divergences.is_empty(),
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "divergences": divergences.height,
                    "systemes": ", ".join(sorted(set(divergences["systeme"]))) or "aucun",
                },
            )
        ],
    )
