"""Drop zones: where the systems leave their nightly files and pick up Passerelle's.

A drop zone has an inbox (files sent to Passerelle) and an outbox (files Passerelle sends).
Both sides follow the trigger-file protocol of FLOWS.md: a data file is complete only once
its `.ok` exists; an outbound file is written under a temporary name, renamed when complete,
and only then gets its `.ok`.

`DropZone` is the interface; `LocalDropZone` implements it on a local folder, and
`connectors.sftp.SftpDropZone` on an SFTP server.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

SUFFIXE_OK = ".ok"
# Names this project writes while a transfer is under way: never listed as files.
_TEMPORAIRE = re.compile(r"(^\.|\.part$|\.tmp$)")


class DropZoneError(Exception):
    """A drop-zone operation failed; the message names the zone and the file only."""


@dataclass(frozen=True)
class FichierDepose:
    """A data file seen in an inbox."""

    nom: str
    taille: int
    mtime: float
    complet: bool  # its `.ok` is present


def classer(noms: list[str], tailles: dict[str, int], mtimes: dict[str, float]):
    """Data files of a listing, each marked complete when its `.ok` is listed too."""
    presents = set(noms)
    return sorted(
        (
            FichierDepose(n, tailles.get(n, 0), mtimes.get(n, 0.0), (n + SUFFIXE_OK) in presents)
            for n in presents
            if not n.endswith(SUFFIXE_OK) and not _TEMPORAIRE.search(n)
        ),
        key=lambda f: f.nom,
    )


class DropZone(ABC):
    """One system's inbox and outbox."""

    #: Identifies the inbox, so that zones sharing one folder are listed once.
    cle_entree: str

    @abstractmethod
    def lister(self) -> list[FichierDepose]:
        """Every data file of the inbox, complete or still being written."""

    @abstractmethod
    def lire(self, nom: str) -> bytes:
        """The bytes of an inbox file (data or `.ok`)."""

    @abstractmethod
    def deposer(self, nom: str, data: bytes, ok: bytes) -> None:
        """Write an outbound file atomically, then its `.ok` (never a partial final name)."""

    @abstractmethod
    def lister_sortie(self) -> list[str]:
        """Names present in the outbox (to check what was delivered)."""

    def lire_ok(self, nom: str) -> bytes:
        return self.lire(nom + SUFFIXE_OK)

    def mettre_de_cote(self, nom: str, destination: Path, data: bytes | None = None) -> Path:
        """Copy a rejected file and its `.ok`, byte for byte, into a local working folder.

        The sender's inbox is left as it is: the copy is for operators, and the ledger keeps
        the file from being processed again. `data` spares a second download when the
        caller already holds the bytes.
        """
        ensure_private_dir(destination)
        cible = destination / nom
        ecrire_atomique(cible, self.lire(nom) if data is None else data)
        try:
            ok = self.lire_ok(nom)
        except (DropZoneError, FileNotFoundError):
            ok = None
        if ok is not None:
            ecrire_atomique(destination / (nom + SUFFIXE_OK), ok)
        return cible


def ensure_private_dir(path: Path) -> None:
    """Create a folder readable by its owner only (personal data lives below it)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def prefixe_temporaire(nom: str) -> str:
    """The start of this process's temporary names for `nom`: hidden, and tagged with the
    pid, so that the temporaries of a killed process can be told from those of a live one."""
    return f".{nom}.{os.getpid()}-"


def _vivant(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def supprimer_temporaires_abandonnes(
    dossier: Path, nom: str | None = None, suffixe: str = r"\.(tmp|part)"
) -> int:
    """Remove the temporary copies of `nom` (any name: None) a killed process left in `dossier`.

    They hold personal data and would otherwise stay for ever; those of a process still
    running (another run writing the same name) are left alone. A copy may be a folder (a
    report being written). `suffixe` is a regular expression. Returns how many went.
    """
    quel = ".+" if nom is None else re.escape(nom)
    motif = re.compile(rf"^\.{quel}\.(\d+)-[A-Za-z0-9_]+{suffixe}$")
    retires = 0
    try:
        entrees = list(os.scandir(dossier))
    except FileNotFoundError:
        return 0
    for entree in entrees:
        trouve = motif.match(entree.name)
        if trouve and not _vivant(int(trouve.group(1))):
            if entree.is_dir(follow_symlinks=False):
                shutil.rmtree(entree.path, ignore_errors=True)
            else:
                Path(entree.path).unlink(missing_ok=True)
            retires += 1
    return retires


def erreur_disque_plein(exc: OSError, cible: Path) -> OSError:
    """A full disk said in French, naming the file (the night can be re-run once freed)."""
    return OSError(
        exc.errno,
        f"espace disque insuffisant pour écrire {cible.name} dans {cible.parent} "
        "(rien n'a été écrit sous ce nom ; libérer de la place puis relancer la nuit)",
    )


def ecrire_atomique(cible: Path, data: bytes) -> None:
    """Write `cible` whole or not at all: temporary file in the same folder, fsync, rename.

    The temporary file is created 0600 by `mkstemp`; on any error (a full disk) it is removed
    and the error propagates, so no partial file ever stands under the final name. Temporary
    files a killed process left for the same name are removed first.
    """
    ensure_private_dir(cible.parent)
    supprimer_temporaires_abandonnes(cible.parent, cible.name, r"\.tmp")
    fd, tmp = tempfile.mkstemp(
        prefix=prefixe_temporaire(cible.name), suffix=".tmp", dir=cible.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, cible)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise erreur_disque_plein(exc, cible) from None
        raise


class LocalDropZone(DropZone):
    """A drop zone on local folders (the embedded default, and tests)."""

    def __init__(self, inbox: Path, outbox: Path) -> None:
        self.inbox = Path(inbox)
        self.outbox = Path(outbox)
        self.cle_entree = f"local:{self.inbox.resolve()}"

    def __repr__(self) -> str:
        return f"LocalDropZone({self.inbox} -> {self.outbox})"

    def lister(self) -> list[FichierDepose]:
        if not self.inbox.is_dir():
            raise DropZoneError(f"dossier d'entrée introuvable : {self.inbox}")
        entries = [e for e in os.scandir(self.inbox) if e.is_file()]
        stats = {e.name: e.stat() for e in entries}
        return classer(
            list(stats),
            {n: s.st_size for n, s in stats.items()},
            {n: s.st_mtime for n, s in stats.items()},
        )

    def lire(self, nom: str) -> bytes:
        try:
            return (self.inbox / nom).read_bytes()
        except FileNotFoundError as exc:
            raise DropZoneError(f"{nom} : absent du dossier d'entrée {self.inbox}") from exc

    def deposer(self, nom: str, data: bytes, ok: bytes) -> None:
        # A stale `.ok` from an earlier attempt must not vouch for the file being replaced.
        (self.outbox / (nom + SUFFIXE_OK)).unlink(missing_ok=True)
        ecrire_atomique(self.outbox / nom, data)
        ecrire_atomique(self.outbox / (nom + SUFFIXE_OK), ok)

    def lister_sortie(self) -> list[str]:
        if not self.outbox.is_dir():
            return []
        return sorted(e.name for e in os.scandir(self.outbox) if e.is_file())
