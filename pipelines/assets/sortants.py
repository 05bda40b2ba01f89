"""Outbound flows: one asset per flow, written into the receiving system's outbox.

Each writes the night's file (upserts, or the full snapshot for DUDE_IN_ETATS) atomically
with its `.ok`, and only for a complete night or a run forced partial; its check validates
the written bytes against the flow's schema, as the receiving system will.
"""

import dagster as dg

import schemas
from pipelines import completude, emission, rapprochement
from pipelines.assets.cotraitance import CLE_COMPLETUDE, CLE_ETATS, etat_de_la_nuit
from pipelines.assets.presentation import (
    cle_sortant,
    groupe_sortant,
    sans_valeurs_dans_les_echecs,
)
from pipelines.assets.rapprochement import CLE_RAPPROCHEMENT
from pipelines.partitions import UNE_NUIT_PAR_RUN, nuit_de, nuits
from pipelines.resources import PasserelleResource
from schemas.contract import Flux


def _sortant(flux: Flux) -> dg.AssetsDefinition:
    cle = cle_sortant(flux)

    @dg.asset(
        key=cle,
        group_name=groupe_sortant(flux),
        partitions_def=nuits,
        backfill_policy=UNE_NUIT_PAR_RUN,
        deps=[CLE_COMPLETUDE, CLE_ETATS, CLE_RAPPROCHEMENT],
        description=(
            f"{flux.nom} sent to {flux.systeme.nom}: {flux.description} "
            + (
                "Full snapshot every night."
                if flux.nom in emission.SNAPSHOTS
                else "Upserts: a record goes out the first night it exists and again only "
                "when it changes, or once when a stock shows the system lacks it (R5)."
            )
            + f" Written to outbox/{flux.dossier_sortant}/ with its .ok, only for a complete "
            "night (or one forced partial); the same night run again writes the same bytes."
        ),
        kinds={"csv"},
        owners=[f"team:{flux.systeme.nom.lower()}"],
        tags={"passerelle/etape": "emission", "passerelle/systeme": flux.systeme.nom},
        check_specs=[
            dg.AssetCheckSpec(
                "conforme_au_contrat",
                asset=cle,
                description=(
                    f"Fails when the written file does not read back valid against the "
                    f"{flux.nom} schema, as {flux.systeme.nom} will read it (nothing is then "
                    'deposited). Passes with "non émis" when the night is incomplete.'
                ),
            )
        ],
    )
    @sans_valeurs_dans_les_echecs
    def sortant(
        context: dg.AssetExecutionContext, passerelle: PasserelleResource
    ) -> dg.MaterializeResult:
        nuit = nuit_de(context)
        db = passerelle.database()
        bilan = completude.lire(db, nuit)
        if bilan.height == 0 or not bilan["emise"][0]:
            fichier = flux.nom_fichier(nuit)
            context.log.warning(f"{fichier} non émis : nuit incomplète (voir le rapport)")
            return dg.MaterializeResult(
                metadata={"emis": False, "raison": "nuit incomplète"},
                check_results=[
                    dg.AssetCheckResult(
                        check_name="conforme_au_contrat",
                        passed=True,
                        metadata={"fichier": "non émis"},
                    )
                ],
            )
        zone = passerelle.depot().zone(flux.systeme.nom)
        etat = etat_de_la_nuit(passerelle, nuit)
        reglages = passerelle.reglages()
        rapproches = rapprochement.du_jour(
            db,
            etat,
            reglages.delai_stock_jours,
            reglages.cache_historique,
            reglages.cache_instantanes,
        )
        resultat = emission.emettre(
            db,
            zone,
            flux,
            nuit,
            etat.enregistrements[flux.nom],
            reglages.cache_emissions,
            renvois=rapprochement.a_renvoyer(rapproches, flux.nom, nuit),
        )
        context.log.info(
            f"{resultat.nom} : {resultat.enregistrements} enregistrements "
            f"({resultat.nouveaux} nouveaux, {resultat.modifies} modifiés, "
            f"{resultat.renvoyes} renvoyés)"
        )
        return dg.MaterializeResult(
            metadata={
                "emis": True,
                "fichier": resultat.nom,
                "enregistrements": resultat.enregistrements,
                "nouveaux": resultat.nouveaux,
                "modifies": resultat.modifies,
                "renvoyes": resultat.renvoyes,
                "sha256": resultat.sha256,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="conforme_au_contrat",
                    passed=resultat.non_conformes == 0,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={
                        "lignes": resultat.enregistrements,
                        "lignes_non_conformes": resultat.non_conformes,
                        "depose": resultat.non_conformes == 0,
                    },
                )
            ],
        )

    return sortant


def assets_sortants() -> list[dg.AssetsDefinition]:
    return [_sortant(f) for f in schemas.SORTANTS]
