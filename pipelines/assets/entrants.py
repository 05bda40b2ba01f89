"""Inbound flows: for each flow, a landed asset and a validated asset per night.

`<system>/<flow>_recu` lands the flow's new complete files (checked against their `.ok`);
`<system>/<flow>_valide` validates them with the flow's Pandera schema and records the rows.
The validated asset carries two checks: `schema` (quarantined rows and rejected files, with a
sample of reasons) and `lignes_ok` (every row of the `.ok` accounted for: nothing lost).
Their metadata come from the ledger (`fichiers_nuit`), so materialising a night again shows
the same counts although the second run has nothing left to process.
"""

import dagster as dg

import schemas
from pipelines import ingestion
from pipelines.assets import fichiers_nuit
from pipelines.assets.presentation import (
    cle_entrant,
    groupe_entrant,
    sans_valeurs_dans_les_echecs,
    table_motifs,
)
from pipelines.partitions import UNE_NUIT_PAR_RUN, nuit_de, nuits
from pipelines.resources import PasserelleResource
from schemas.contract import Flux


def _livraison(flux: Flux) -> str:
    if flux.obligatoire:
        return "Mandatory every night: a missing file makes the night incomplete."
    return (
        "Optional: a full list, sent when it changes; the latest one dated on or before the "
        "night applies."
    )


def _proprietaire(flux: Flux) -> str:
    return f"team:{groupe_entrant(flux)}"


def _recu(flux: Flux) -> dg.AssetsDefinition:
    @dg.asset(
        key=cle_entrant(flux, "recu"),
        group_name=groupe_entrant(flux),
        partitions_def=nuits,
        backfill_policy=UNE_NUIT_PAR_RUN,
        description=(
            f"{flux.nom} received from {flux.systeme.nom}: {flux.description} "
            f"{_livraison(flux)}\n\n"
            "Landing: every complete file of the flow (data and its .ok) dated on or before "
            "the night and not seen before is checked against the checksum of its .ok and "
            "staged; a file that fails is rejected whole and set aside. The metadata list every "
            "version the night answers for (its own file, and late files of earlier nights)."
        ),
        kinds={"csv"},
        owners=[_proprietaire(flux)],
        tags={"passerelle/etape": "reception", "passerelle/systeme": flux.systeme.nom},
    )
    @sans_valeurs_dans_les_echecs
    def recu(
        context: dg.AssetExecutionContext, passerelle: PasserelleResource
    ) -> dg.MaterializeResult:
        nuit = nuit_de(context)
        db = passerelle.database()
        atterrissage = ingestion.atterrir(passerelle.depot(), db, flux, nuit, passerelle.reglages())
        versions = fichiers_nuit.versions(db, flux, nuit)
        rejetes = fichiers_nuit.rejetes(versions)
        context.log.info(
            f"{flux.nom} : fichier de la nuit {atterrissage.presence}, "
            f"{len(atterrissage.fichiers)} nouvelle(s) version(s), {rejetes.height} rejetée(s)"
        )
        return dg.MaterializeResult(
            metadata={
                "fichier_de_la_nuit": flux.nom_fichier(nuit),
                "presence": atterrissage.presence,
                "nouvelles_versions": len(atterrissage.fichiers),
                "fichiers_rejetes": rejetes.height,
                "fichiers": fichiers_nuit.table_fichiers(versions),
            },
        )

    return recu


def _valide(flux: Flux) -> dg.AssetsDefinition:
    cle = cle_entrant(flux, "valide")

    @dg.asset(
        key=cle,
        group_name=groupe_entrant(flux),
        partitions_def=nuits,
        backfill_policy=UNE_NUIT_PAR_RUN,
        deps=[cle_entrant(flux, "recu")],
        description=(
            f"{flux.nom} validated against its contract (key {', '.join(flux.cle)}): valid "
            "rows are applied to the history, identical duplicates counted once, rows that "
            "break the contract quarantined with their reason (file, line, field, rule: never "
            "a value), and a file that cannot be read, disagrees with its .ok or has more bad "
            "rows than the threshold is rejected whole and set aside."
        ),
        kinds={"polars", "pandera"},
        owners=[_proprietaire(flux)],
        tags={"passerelle/etape": "validation", "passerelle/systeme": flux.systeme.nom},
        check_specs=[
            dg.AssetCheckSpec(
                "schema",
                asset=cle,
                blocking=True,
                description=(
                    f"Warns when rows of {flux.nom} were quarantined or a file was rejected, "
                    "with a preview of the reasons (file, line, field, rule; never a value). "
                    "A warning: the night goes on with the valid rows; a rejected file of the "
                    "night makes it incomplete (see cotraitance/completude)."
                ),
            ),
            dg.AssetCheckSpec(
                "lignes_ok",
                asset=cle,
                blocking=True,
                description=(
                    "Fails when the rows announced by a .ok are not all accounted for as "
                    "applied, duplicate or quarantined (rows lost). An error: it stops the night "
                    "before anything is emitted."
                ),
            ),
        ],
    )
    @sans_valeurs_dans_les_echecs
    def valide(
        context: dg.AssetExecutionContext, passerelle: PasserelleResource
    ) -> dg.MaterializeResult:
        nuit = nuit_de(context)
        db = passerelle.database()
        traitees = ingestion.valider(db, flux, nuit, passerelle.reglages())
        versions = fichiers_nuit.versions(db, flux, nuit)
        rejetes = fichiers_nuit.rejetes(versions)
        totaux = {c: int(versions[c].sum()) for c in fichiers_nuit.COMPTES}
        motifs = table_motifs(fichiers_nuit.motifs(db, versions))
        perdus = fichiers_nuit.ecarts_au_ok(versions)
        checks = [
            dg.AssetCheckResult(
                check_name="schema",
                passed=totaux["quarantaine"] == 0 and rejetes.height == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "lignes_en_quarantaine": totaux["quarantaine"],
                    "doublons_conflictuels": totaux["conflits"],
                    "fichiers_rejetes": rejetes.height,
                    "motifs_rejet": ", ".join(
                        f"{n} ({m})" for n, m in rejetes.select("nom", "motif_rejet").iter_rows()
                    )
                    or "aucun",
                    "exemples_de_motifs": motifs,
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
                "fichiers": fichiers_nuit.table_fichiers(versions),
                "lignes_recues": int(versions["lignes_ok"].sum()),
                "lignes_appliquees": totaux["lignes_appliquees"],
                "doublons": totaux["doublons"],
                "lignes_en_quarantaine": totaux["quarantaine"],
                "fichiers_rejetes": rejetes.height,
                "quarantaine": motifs,
                "versions_traitees_par_ce_run": len(traitees),
            },
            check_results=checks,
        )

    return valide


def assets_entrants() -> list[dg.AssetsDefinition]:
    out: list[dg.AssetsDefinition] = []
    for flux in schemas.ENTRANTS:
        out += [_recu(flux), _valide(flux)]
    return out
