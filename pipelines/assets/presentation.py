"""How assets are named, grouped and shown in the Dagster UI (domain words, no values)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import dagster as dg

from pipelines.erreurs import sans_valeurs
from schemas.contract import Flux

F = TypeVar("F", bound=Callable[..., Any])

GROUPES_ENTRANTS = {"GIDE": "gide", "DUDE": "dude", "P3": "p3", "REF": "referentiels"}


def nom_court(flux: Flux) -> str:
    """GIDE_STATUTS -> statuts; P3_IN_SORTIES -> in_sorties (the system is the prefix)."""
    prefix = f"{flux.nom.split('_')[0]}_"
    return flux.nom.removeprefix(prefix).lower()


def cle_entrant(flux: Flux, etape: str) -> dg.AssetKey:
    """gide/statuts_recu, gide/statuts_valide: the graph labels a node with the last part of
    its key, which must name the flow as well as the stage (`recu` or `valide`)."""
    return dg.AssetKey([GROUPES_ENTRANTS[flux.systeme.nom], f"{nom_court(flux)}_{etape}"])


def groupe_entrant(flux: Flux) -> str:
    return GROUPES_ENTRANTS[flux.systeme.nom]


def cle_sortant(flux: Flux) -> dg.AssetKey:
    return dg.AssetKey(["sortants", flux.dossier_sortant, nom_court(flux)])


def groupe_sortant(flux: Flux) -> str:
    return f"sortants_{flux.dossier_sortant}"


def table_motifs(motifs: list[dict[str, object]]) -> dg.TableMetadataValue:
    """A preview of quarantine reasons: file, line, field, rule and message, never a value."""
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "fichier": str(m["fichier"]),
                    "ligne": int(m["ligne"]),  # type: ignore[call-overload]
                    "champ": str(m["champ"]),
                    "regle": str(m["regle"]),
                    "message": str(m["message"]),
                }
            )
            for m in motifs
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("fichier", "string"),
                dg.TableColumn("ligne", "int"),
                dg.TableColumn("champ", "string"),
                dg.TableColumn("regle", "string"),
                dg.TableColumn("message", "string"),
            ]
        ),
    )


def sans_valeurs_dans_les_echecs(corps: F) -> F:
    """An asset body whose unexpected exceptions reach Dagster without their message.

    A step failure's message and traceback go to the event log, the UI and the terminal;
    a library's message may quote row values (pipelines/erreurs.py). The failure names the
    asset and the night instead; Dagster's own errors pass unchanged.
    """

    def quoi(context: dg.AssetExecutionContext) -> str:
        return f"{context.asset_key.to_user_string()} (nuit {context.partition_key})"

    if inspect.isgeneratorfunction(corps):

        @functools.wraps(corps)
        def generateur(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Any:
            with sans_valeurs(quoi(context), laisser_passer=(dg.DagsterError,)):
                yield from corps(context, *args, **kwargs)

        return generateur  # type: ignore[return-value]

    @functools.wraps(corps)
    def fonction(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Any:
        with sans_valeurs(quoi(context), laisser_passer=(dg.DagsterError,)):
            return corps(context, *args, **kwargs)

    return fonction  # type: ignore[return-value]
