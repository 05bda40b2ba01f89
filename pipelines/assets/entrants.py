"""Inbound flows: for each flow, a landed asset and a validated asset per night.

`<system>/<flow>/recu` lands the flow's new complete files (checked against their `.ok`);
`<system>/<flow>/valide` validates them with the flow's Pandera schema and records the rows.
The validated asset carries two checks: `schema` (quarantined rows and rejected files, with a
sample of reasons) and `lignes_ok` (every row of the `.ok` accounted for: nothing lost).
"""

import dagster as dg

import schemas
from pipelines import ingestion
from pipelines.assets.presentation import (
    cle_entrant,
    groupe_entrant,
    sans_valeurs_dans_les_echecs,
    table_motifs,
)
from pipelines.partitions import nuit_de, nuits
from pipelines.resources import PasserelleResource
from schemas.contract import Flux


def _fichiers_table(resultats: list[ingestion.ResultatFichier]) -> dg.TableMetadataValue:
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "fichier": r.nom,
                    "statut": r.statut,
                    "lignes_ok": r.lignes_ok if r.lignes_ok is not None else -1,
                    "appliquees": r.appliquees,
                    "doublons": r.doublons,
                    "quarantaine": r.quarantaine,
                    "motif_rejet": r.motif_rejet or "",
                    "mis_de_cote": r.chemin_de_cote or "",
                }
            )
            for r in resultats
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("fichier", "string"),
                dg.TableColumn("statut", "string"),
                dg.TableColumn("lignes_ok", "int"),
                dg.TableColumn("appliquees", "int"),
                dg.TableColumn("doublons", "int"),
                dg.TableColumn("quarantaine", "int"),
                dg.TableColumn("motif_rejet", "string"),
                dg.TableColumn("mis_de_cote", "string"),
            ]
        ),
    )


def _recu(flux: Flux) -> dg.AssetsDefinition:
    @dg.asset(
        key=cle_entrant(flux, "recu"),
        group_name=groupe_entrant(flux),
        partitions_def=nuits,
        description=(
            f"{flux.nom} landed: new complete files (data + .ok) dated on or before the night, "
            f"checked against their .ok checksum and staged. {flux.description}"
        ),
        kinds={"csv"},
        owners=[f"team:{flux.systeme.nom.lower()}"],
        tags={"passerelle/etape": "reception", "passerelle/systeme": flux.systeme.nom},
    )
    @sans_valeurs_dans_les_echecs
    def recu(
        context: dg.AssetExecutionContext, passerelle: PasserelleResource
    ) -> dg.MaterializeResult:
        nuit = nuit_de(context)
        atterrissage = ingestion.atterrir(
            passerelle.depot(), passerelle.database(), flux, nuit, passerelle.reglages()
        )
        rejetes = [r for r in atterrissage.fichiers if r.statut == "REJETE"]
        context.log.info(
            f"{flux.nom} : fichier de la nuit {atterrissage.presence}, "
            f"{len(atterrissage.fichiers)} nouvelle(s) version(s), {len(rejetes)} rejetée(s)"
        )
        return dg.MaterializeResult(
            metadata={
                "fichier_de_la_nuit": flux.nom_fichier(nuit),
                "presence": atterrissage.presence,
                "nouvelles_versions": len(atterrissage.fichiers),
                "fichiers_rejetes": len(rejetes),
                "fichiers": _fichiers_table(atterrissage.fichiers),
            },
        )

    return recu


def _valide(flux: Flux) -> dg.AssetsDefinition:
    cle = cle_entrant(flux, "valide")

    @dg.asset(
        key=cle,
        group_name=groupe_entrant(flux),
        partitions_def=nuits,
        deps=[cle_entrant(flux, "recu")],
        description=(
            f"{flux.nom} validated against its Pandera schema (key {', '.join(flux.cle)}): "
            "rows applied to the history, identical duplicates counted, bad rows quarantined "
            "with their reason, unreadable files rejected whole and set aside."
        ),
        kinds={"polars", "pandera"},
        owners=[f"team:{flux.systeme.nom.lower()}"],
        tags={"passerelle/etape": "validation", "passerelle/systeme": flux.systeme.nom},
        check_specs=[
            dg.AssetCheckSpec(
                "schema",
                asset=cle,
                blocking=True,
                description=(
                    f"Rows of {flux.nom} against the contract's schema: quarantined rows and "
                    "rejected files, with a sample of reasons (field, rule, line; no values). "
                    "Warns, so that the night goes on with the valid rows."
                ),
            ),
            dg.AssetCheckSpec(
                "lignes_ok",
                asset=cle,
                blocking=True,
                description=(
                    "Every row announced by each .ok is applied, a duplicate or quarantined "
                    "(nothing lost). An error here stops the night."
                ),
            ),
        ],
    )
    @sans_valeurs_dans_les_echecs
    def valide(
        context: dg.AssetExecutionContext, passerelle: PasserelleResource
    ) -> dg.MaterializeResult:
        nuit = nuit_de(context)
        resultats = ingestion.valider(passerelle.database(), flux, nuit, passerelle.reglages())
        appliques = [r for r in resultats if r.statut == "APPLIQUE"]
        rejetes = [r for r in resultats if r.statut == "REJETE"]
        recues = sum(r.lignes_ok or 0 for r in resultats)
        totaux = {
            k: sum(getattr(r, k) for r in resultats)
            for k in ("appliquees", "doublons", "quarantaine", "conflits")
        }
        motifs = [m for r in resultats for m in r.motifs][:20]
        perdus = [
            r.nom
            for r in appliques
            if r.lignes_ok is not None and r.appliquees + r.doublons + r.quarantaine != r.lignes_ok
        ]
        schema_ok = totaux["quarantaine"] == 0 and not rejetes
        checks = [
            dg.AssetCheckResult(
                check_name="schema",
                passed=schema_ok,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "lignes_en_quarantaine": totaux["quarantaine"],
                    "doublons_conflictuels": totaux["conflits"],
                    "fichiers_rejetes": len(rejetes),
                    "motifs_rejet": ", ".join(f"{r.nom} ({r.motif_rejet})" for r in rejetes),
                    "exemples_de_motifs": table_motifs(motifs),
                },
            ),
            dg.AssetCheckResult(
                check_name="lignes_ok",
                passed=not perdus,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"fichiers_en_ecart": ", ".join(perdus) or "aucun"},
            ),
        ]
        return dg.MaterializeResult(
            metadata={
                "fichiers_traites": len(resultats),
                "lignes_recues": recues,
                "lignes_appliquees": totaux["appliquees"],
                "doublons": totaux["doublons"],
                "lignes_en_quarantaine": totaux["quarantaine"],
                "fichiers_rejetes": len(rejetes),
                "fichiers": _fichiers_table(resultats),
                "quarantaine": table_motifs(motifs),
            },
            check_results=checks,
        )

    return valide


def assets_entrants() -> list[dg.AssetsDefinition]:
    out: list[dg.AssetsDefinition] = []
    for flux in schemas.ENTRANTS:
        out += [_recu(flux), _valide(flux)]
    return out
