"""Unexpected failures, told without the values of the rows that caused them.

Library code (polars, pandera, the database drivers) quotes the offending values in its
messages: a failed cast prints the names it could not convert. Those messages would reach
the logs, the Dagster event log and the operator's terminal. `sans_valeurs` lets the
project's own errors through (their messages name files, lines and fields only) and
replaces any other exception by `ErreurInattendue`: its type, and the file or step
concerned. The traceback's frames are kept (they hold code, not values); the original
message and its chain of causes are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectors.database import DatabaseError
from connectors.dropzone import DropZoneError
from schemas.dialect import FichierRejete


class ErreurInattendue(Exception):
    """A failure whose original message was withheld (it may quote row values)."""


# Errors whose messages this project writes itself, or which name files only (OSError:
# errno and path). Configuration errors are ValueErrors of their own kind, listed here.
def _sures() -> tuple[type[BaseException], ...]:
    from connectors.sftp_config import SftpConfigError
    from pipelines.emission import ColonneHorsContrat
    from pipelines.rapport import CleManquante
    from pipelines.reglages import ReglageInvalide

    return (
        ErreurInattendue,
        FichierRejete,
        DropZoneError,
        DatabaseError,
        OSError,
        ReglageInvalide,
        CleManquante,
        SftpConfigError,
        ColonneHorsContrat,
    )


@contextmanager
def sans_valeurs(quoi: str, laisser_passer: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Re-raise any unexpected exception of the block as `ErreurInattendue` naming `quoi`."""
    try:
        yield
    except (*_sures(), *laisser_passer):
        raise
    except Exception as exc:
        erreur = ErreurInattendue(
            f"{quoi} : erreur inattendue ({type(exc).__name__}) ; message d'origine retenu "
            "car il peut citer des valeurs des lignes"
        )
        raise erreur.with_traceback(exc.__traceback__) from None
