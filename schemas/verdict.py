"""The verdict on one inbound file, from its bytes alone: the night's judging, pure.

One implementation, two callers: the night (`pipelines.ingestion`, which records what is
decided here in the ledger and the quarantine) and `passerelle valider` (which only says it,
with no database, no state and no Dagster, for a partner team checking a file before sending
it). Both go through the same steps, in the same order:

1. the `.ok` trigger file, when there is one: readable (`Ok.parse`, else OK_ILLISIBLE), and
   announcing the file's own checksum (`controler_somme`, else CHECKSUM);
2. the content (`juger_contenu`): decoded in the flow's dialect (`dialect.lire`: ENCODAGE,
   ENTETE, FORMAT), its number of data rows equal to the `.ok`'s (NB_LIGNES), its rows sorted
   into applied, identical repeats and quarantined (`validation.trier`), and the share of
   quarantined rows not above the threshold (`Reglages.seuil_quarantaine`, else SEUIL).

A rejection is a `FichierRejete` whose motif and message are the ones the ledger records
(`fichiers.motif_rejet`, `fichiers.message_rejet`); no message quotes a value of the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from schemas.contract import Flux
from schemas.dialect import FichierRejete, Ok, lire
from schemas.validation import Tri, trier

# The verdicts, as `passerelle valider` names them.
ACCEPTE = "ACCEPTE"  # applied whole: every row applied or an identical repeat
ACCEPTE_AVEC_QUARANTAINE = "ACCEPTE_AVEC_QUARANTAINE"  # applied, some rows quarantined
REJETE = "REJETE"  # rejected whole: nothing applied

MESSAGE_CHECKSUM = "somme de contrôle différente de celle annoncée par le .ok"


def controler_somme(data: bytes, ok: Ok) -> str:
    """The file's sha256 when it is the one the `.ok` announces; FichierRejete(CHECKSUM)
    otherwise (a truncated or altered transfer)."""
    sha = hashlib.sha256(data).hexdigest()
    if sha != ok.sha256:
        raise FichierRejete("CHECKSUM", MESSAGE_CHECKSUM)
    return sha


@dataclass(frozen=True)
class Verdict:
    """What the night decides for one file version.

    `tri` is None when the file was rejected before its rows were sorted (an unreadable
    `.ok`, a wrong checksum, an unreadable file, a row count different from the `.ok`'s); a
    file rejected for its share of quarantined rows (SEUIL) keeps its `tri`: its reasons
    are what the sender must fix.
    """

    ok: Ok | None  # the `.ok` read, None when absent or unreadable
    lignes: int | None  # data rows read (header excluded); None when unread
    tri: Tri | None
    rejet: FichierRejete | None

    @property
    def rejete(self) -> bool:
        return self.rejet is not None

    @property
    def verdict(self) -> str:
        if self.rejet is not None:
            return REJETE
        return ACCEPTE_AVEC_QUARANTAINE if self.quarantaine else ACCEPTE

    @property
    def appliquees(self) -> int:
        """Rows applied: none of a rejected file."""
        return 0 if self.tri is None or self.rejet is not None else self.tri.appliquees.height

    @property
    def doublons(self) -> int:
        return 0 if self.tri is None else self.tri.doublons.height

    @property
    def quarantaine(self) -> int:
        """Lines quarantined (a line breaking several rules counts once)."""
        return 0 if self.tri is None else self.tri.nb_quarantaine

    @property
    def conflits(self) -> int:
        return 0 if self.tri is None else self.tri.nb_conflits


def juger_contenu(data: bytes, flux: Flux, lignes_ok: int | None, seuil: float) -> Verdict:
    """The verdict on a file's content (step 2 of the module docstring).

    `lignes_ok`: the row count its `.ok` announces (None: not checked); `seuil`: the share
    of quarantined rows above which the file is rejected whole.
    """
    ok = None  # the caller holds the `.ok`; `juger` puts it back in the verdict
    try:
        lecture = lire(data, flux)
    except FichierRejete as erreur:
        return Verdict(ok, None, None, erreur)
    total = lecture.total
    if lignes_ok is not None and total != lignes_ok:
        erreur = FichierRejete(
            "NB_LIGNES",
            f"{total} lignes de données au lieu des {lignes_ok} annoncées par le .ok",
        )
        return Verdict(ok, total, None, erreur)
    tri = trier(lecture, flux)
    part = tri.nb_quarantaine / total if total else 0.0
    if part > seuil:
        erreur = FichierRejete(
            "SEUIL",
            f"{tri.nb_quarantaine} lignes en quarantaine sur {total} ({part:.0%}), au-delà "
            f"du seuil de {seuil:.0%} : fichier rejeté en entier",
        )
        return Verdict(ok, total, tri, erreur)
    return Verdict(ok, total, tri, None)


def juger(data: bytes, flux: Flux, ok_brut: bytes | None, seuil: float) -> Verdict:
    """The verdict on a file and its `.ok` (both steps of the module docstring).

    `ok_brut`: the bytes of its `.ok`, or None when there is none. **Reading taken:** the
    night never reads a file without its `.ok` (the flow counts as missing, SANS_OK); a file
    judged without one is judged on its content alone, its checksum and row count unchecked.
    """
    ok: Ok | None = None
    if ok_brut is not None:
        try:
            ok = Ok.parse(ok_brut)
            controler_somme(data, ok)
        except FichierRejete as erreur:
            return Verdict(ok, None, None, erreur)
    verdict = juger_contenu(data, flux, ok.rows if ok else None, seuil)
    return Verdict(ok, verdict.lignes, verdict.tri, verdict.rejet)


__all__ = [
    "ACCEPTE",
    "ACCEPTE_AVEC_QUARANTAINE",
    "MESSAGE_CHECKSUM",
    "REJETE",
    "Verdict",
    "controler_somme",
    "juger",
    "juger_contenu",
]
