"""A system's drop zone on its SFTP server (paramiko): `SftpDropZone`.

Same protocol as `LocalDropZone` (FLOWS.md, Trigger files), over the network:

- The server is trusted only if its host key is in the configured known_hosts file (OpenSSH
  format), for `[host]:port` (or `host` on port 22); only the key types listed there are
  negotiated. Anything else is a `HostKeyRejected`, never an accepted or remembered key.
- Authentication by private key only.
- Every wait is bounded: TCP connect, banner, key exchange, authentication and SFTP set-up
  share `connect_timeout` (a watchdog closes the connection past it, since paramiko waits
  on some channel requests without a limit); once connected, every read or write on the
  SFTP channel gives up after `timeout` seconds without progress, so a server that freezes
  mid-transfer raises instead of hanging the night. SSH keepalives keep idle links open.
- Network failures (timeout, refused or reset connection, dropped session) are retried on a
  new connection after an exponential pause, `retries` times; refusals (host key,
  authentication, permission, full disk, missing file) fail at once: retrying cannot help.
- A download goes to a `.part` file in a private local folder, is checked against the size
  the server announced (and against the `.ok` checksum when given) and only then renamed to
  its final name. An upload goes to a hidden temporary name created 0600, is checked,
  chmod 0600, renamed over the final name (`posix-rename`, atomic), then the `.ok` follows
  the same way; a stale `.ok` is removed first and a failed upload removes its temporary
  file, so a partial file is never left under a final name.

Error messages are in French and name the zone and the file only. A zone holds one
connection, opened on first use and reused: it is not meant to be shared between threads.

`depot_sftp` builds a deployment's `Depot` from the SFTP settings (connectors/sftp_config.py),
local folders for the systems without any. Operators' guide: docs/sftp.md.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import posixpath
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

import paramiko
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_DATA,
    CMD_EXTENDED,
    CMD_READ,
    CMD_STATUS,
    CMD_WRITE,
    SFTP_EOF,
    SFTP_FAILURE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_EXCL,
    SFTP_FLAG_READ,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    SFTP_OP_UNSUPPORTED,
    SFTPError,
    int64,
)

from connectors.depot import Depot
from connectors.dropzone import (
    SUFFIXE_OK,
    DropZone,
    DropZoneError,
    FichierDepose,
    classer,
    ensure_private_dir,
    prefixe_temporaire,
    supprimer_temporaires_abandonnes,
)
from connectors.point_d_arret import atteint
from connectors.sftp_client import ClientSftp, Reponses, StatutSftp, verifier_statut
from connectors.sftp_config import SYSTEMES, SftpConfig, SftpConfigError, charger_tout
from schemas.dialect import FichierRejete, Ok

log = logging.getLogger(__name__)

T = TypeVar("T")
Progression = Callable[[str, int, int], None]  # (file name, bytes done, bytes in all)

_PASSAGERES = {
    errno.ECONNRESET,
    errno.ECONNREFUSED,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.ENETRESET,
    errno.EHOSTDOWN,
}
# Host key types as written in known_hosts -> signature algorithms to negotiate.
_ALGOS_CLE_HOTE = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256")}


class HostKeyRejected(DropZoneError):
    """The server's host key is not the one known_hosts holds for it."""


class ChecksumMismatch(FichierRejete):
    """A downloaded file whose sha256 differs from its `.ok`: the file is rejected whole."""

    def __init__(self, nom: str) -> None:
        super().__init__(
            "CHECKSUM", f"{nom} : somme de contrôle différente de celle de son fichier .ok"
        )
        self.nom = nom


@dataclass
class _Connexion:
    transport: paramiko.Transport
    sftp: ClientSftp
    bloc_lecture: int
    bloc_ecriture: int

    def active(self) -> bool:
        return self.transport.is_active()

    def fermer(self) -> None:
        # Closing the transport alone: a polite SFTP close could itself wait on a dead peer.
        self.transport.close()


def _nom_valide(nom: str) -> str:
    if not nom or nom in (".", "..") or any(c in nom for c in "/\\\x00"):
        raise DropZoneError(f"nom de fichier invalide : {nom!r}")
    return nom


class SftpDropZone(DropZone):
    """One system's inbox and outbox on its SFTP server."""

    def __init__(self, config: SftpConfig, progression: Progression | None = None) -> None:
        """`progression(nom, fait, total)` is called as each transfer advances."""
        self.config = config
        self.progression = progression
        self.staging = config.dossier_staging()
        self.nom = f"SFTP {config.systeme} ({config.user}@{config.host}:{config.port})"
        self.cle_entree = f"sftp:{config.user}@{config.host}:{config.port}:{config.inbox}"
        self._cnx: _Connexion | None = None

    def __repr__(self) -> str:
        return f"SftpDropZone({self.nom} {self.config.inbox} -> {self.config.outbox})"

    def __enter__(self) -> SftpDropZone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cnx is not None:
            self._cnx.fermer()
            self._cnx = None

    def __del__(self) -> None:
        # A safety net for zones nobody closed; the transport's thread is a daemon anyway.
        with contextlib.suppress(Exception):
            self.close()

    @property
    def adresse_locale(self) -> tuple[str, int] | None:
        """The local address of the open connection (diagnostics), None when not connected."""
        if self._cnx is None or not self._cnx.active():
            return None
        return self._cnx.transport.sock.getsockname()[:2]

    # -- DropZone --------------------------------------------------------------------------

    def lister(self) -> list[FichierDepose]:
        def lister(cnx: _Connexion) -> list[FichierDepose]:
            attrs = [
                a
                for a in cnx.sftp.listdir_attr(self.config.inbox)
                if a.st_mode is None or stat.S_ISREG(a.st_mode)
            ]
            return classer(
                [a.filename for a in attrs],
                {a.filename: a.st_size or 0 for a in attrs},
                {a.filename: float(a.st_mtime or 0) for a in attrs},
            )

        return self._executer(f"liste du dossier d'entrée {self.config.inbox}", lister)

    @property
    def outbox(self) -> str:
        if self.config.outbox is None:
            raise DropZoneError(f"{self.nom} : aucun dossier de sortie configuré")
        return self.config.outbox

    def lister_sortie(self) -> list[str]:
        if self.config.outbox is None:
            return []

        def lister(cnx: _Connexion) -> list[str]:
            return sorted(
                a.filename
                for a in cnx.sftp.listdir_attr(self.outbox)
                if a.st_mode is None or stat.S_ISREG(a.st_mode)
            )

        return self._executer(f"liste du dossier de sortie {self.outbox}", lister)

    def lire(self, nom: str) -> bytes:
        """The bytes of an inbox file, downloaded whole (through the staging folder)."""
        chemin = self.telecharger(nom, self.staging)
        try:
            return chemin.read_bytes()
        finally:
            # The caller holds the bytes: no copy of personal data lingers in staging.
            chemin.unlink(missing_ok=True)

    def telecharger(self, nom: str, destination: Path, ok: Ok | None = None) -> Path:
        """Download an inbox file to `destination/nom`, complete and checked, or not at all.

        The bytes go to a private `.part` file, their size is checked against the server's,
        their sha256 against `ok` when given (`ChecksumMismatch` otherwise, nothing kept),
        and only then does the file take its final name.
        """
        _nom_valide(nom)
        destination = Path(destination)
        ensure_private_dir(destination)
        distant = posixpath.join(self.config.inbox, nom)

        def telecharger(cnx: _Connexion) -> Path:
            supprimer_temporaires_abandonnes(destination, nom, r"\.part")
            part = destination / f"{prefixe_temporaire(nom)}{secrets.token_hex(6)}.part"
            try:
                with _fichier_prive(part) as sortie:
                    empreinte, taille = self._recevoir(cnx, distant, nom, sortie)
                    sortie.flush()
                    os.fsync(sortie.fileno())
                if part.stat().st_size != taille:
                    raise DropZoneError(
                        f"{self.nom} : {nom} : téléchargement incomplet "
                        f"({part.stat().st_size} octets sur {taille})"
                    )
                if ok is not None and empreinte != ok.sha256:
                    raise ChecksumMismatch(nom)
                cible = destination / nom
                os.replace(part, cible)
                return cible
            finally:
                part.unlink(missing_ok=True)

        return self._executer(f"téléchargement de {nom}", telecharger)

    def deposer(self, nom: str, data: bytes, ok: bytes) -> None:
        _nom_valide(nom)
        outbox = self.outbox

        def deposer(cnx: _Connexion) -> None:
            # A stale `.ok` from an earlier attempt must not vouch for the file being replaced.
            _supprimer(cnx.sftp, posixpath.join(outbox, nom + SUFFIXE_OK))
            self._nettoyer_temporaires(cnx, nom)
            self._publier(cnx, nom, data)
            self._publier(cnx, nom + SUFFIXE_OK, ok)

        self._executer(f"dépôt de {nom}", deposer)
        log.info("%s : %s déposé (%d octets)", self.nom, nom, len(data))

    # -- transfers -------------------------------------------------------------------------

    def _recevoir(
        self, cnx: _Connexion, distant: str, nom: str, sortie: BinaryIO
    ) -> tuple[str, int]:
        """Stream a remote file into `sortie` with pipelined reads: its sha256 and its size.

        The size is the server's, read before and checked again after the transfer.
        """
        sftp = cnx.sftp
        avant = sftp.stat(distant)
        taille = avant.st_size or 0
        handle = sftp.ouvrir(distant, SFTP_FLAG_READ)
        with _handle(cnx, handle):
            empreinte = self._lire_handle(cnx, handle, nom, taille, sortie)
        apres = sftp.stat(distant)
        if (apres.st_size, apres.st_mtime) != (avant.st_size, avant.st_mtime):
            raise DropZoneError(
                f"{self.nom} : {nom} modifié sur le serveur pendant le téléchargement"
            )
        return empreinte, taille

    def _lire_handle(
        self, cnx: _Connexion, handle: bytes, nom: str, taille: int, sortie: BinaryIO
    ) -> str:
        sftp = cnx.sftp
        empreinte = hashlib.sha256()
        reponses = Reponses()
        en_vol: dict[int, tuple[int, int]] = {}  # request -> (offset, length)
        arrives: dict[int, bytes] = {}  # offset -> data not yet written in order
        demande = ecrit = 0
        while ecrit < taille:
            while len(en_vol) < self.config.max_requests and demande < taille:
                n = min(cnx.bloc_lecture, taille - demande)
                num = sftp.envoyer(reponses, CMD_READ, handle, int64(demande), n)
                en_vol[num] = (demande, n)
                demande += n
            sftp.recevoir()
            for num in [k for k in reponses.recues if k in en_vol]:
                t, msg = reponses.recues.pop(num)
                offset, n = en_vol.pop(num)
                if t == CMD_STATUS:
                    code = msg.get_int()
                    if code == SFTP_EOF:
                        raise DropZoneError(
                            f"{self.nom} : {nom} raccourci pendant le téléchargement"
                        )
                    raise StatutSftp(code, msg.get_text())
                if t != CMD_DATA:
                    raise SFTPError("réponse inattendue à une lecture")
                morceau = msg.get_string()
                if 0 < len(morceau) < n:
                    # A server may answer short: ask for the rest.
                    suite = sftp.envoyer(
                        reponses, CMD_READ, handle, int64(offset + len(morceau)), n - len(morceau)
                    )
                    en_vol[suite] = (offset + len(morceau), n - len(morceau))
                arrives[offset] = morceau
            while ecrit in arrives:
                morceau = arrives.pop(ecrit)
                if not morceau:
                    raise DropZoneError(f"{self.nom} : {nom} raccourci pendant le téléchargement")
                sortie.write(morceau)
                empreinte.update(morceau)
                if ecrit == 0:
                    atteint("telechargement", nom)  # crash tests only: half-way through
                ecrit += len(morceau)
                if self.progression is not None:
                    self.progression(nom, ecrit, taille)
        return empreinte.hexdigest()

    def _ecrire(self, cnx: _Connexion, distant: str, nom: str, data: bytes) -> None:
        """Write `data` to a new remote file created 0600, pipelined, synced if possible."""
        sftp = cnx.sftp
        handle = sftp.ouvrir(
            distant, SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_EXCL | SFTP_FLAG_TRUNC, 0o600
        )
        with _handle(cnx, handle):
            reponses = Reponses()
            en_vol: dict[int, int] = {}  # request -> length
            envoye = confirme = 0
            while confirme < len(data):
                while len(en_vol) < self.config.max_requests and envoye < len(data):
                    morceau = data[envoye : envoye + cnx.bloc_ecriture]
                    num = sftp.envoyer(reponses, CMD_WRITE, handle, int64(envoye), morceau)
                    en_vol[num] = len(morceau)
                    envoye += len(morceau)
                sftp.recevoir()
                for num in [k for k in reponses.recues if k in en_vol]:
                    t, msg = reponses.recues.pop(num)
                    verifier_statut(t, msg)
                    if confirme == 0:
                        atteint("depot", nom)  # crash tests only: before the rename
                    confirme += en_vol.pop(num)
                    if self.progression is not None:
                        self.progression(nom, confirme, len(data))
            if "fsync@openssh.com" in sftp.extensions:
                sftp.requete_ok(CMD_EXTENDED, "fsync@openssh.com", handle)

    def _publier(self, cnx: _Connexion, nom: str, data: bytes) -> None:
        """Upload under a hidden temporary name, check, chmod 0600, rename to `nom`."""
        sftp = cnx.sftp
        final = posixpath.join(self.outbox, nom)
        temporaire = posixpath.join(self.outbox, f".{nom}.{secrets.token_hex(6)}.part")
        try:
            self._ecrire(cnx, temporaire, nom, data)
            taille = sftp.stat(temporaire).st_size
            if taille != len(data):
                raise DropZoneError(
                    f"{self.nom} : {nom} : dépôt incomplet ({taille} octets sur {len(data)})"
                )
            sftp.chmod(temporaire, 0o600)
            self._renommer(sftp, temporaire, final)
        except BaseException as exc:
            if isinstance(exc, StatutSftp) and exc.code == SFTP_FAILURE:
                # Measured before the temporary file is removed and frees its share.
                libre = self._octets_libres(sftp)
                if libre is not None and libre < len(data):
                    self._effacer_temporaire(cnx, temporaire)
                    raise DropZoneError(
                        f"{self.nom} : {nom} : dépôt impossible : espace disque insuffisant "
                        f"sur le serveur ({libre} octets libres, {len(data)} nécessaires)"
                    ) from exc
            if not _passagere(exc):
                self._effacer_temporaire(cnx, temporaire)
            raise

    def _octets_libres(self, sftp: ClientSftp) -> int | None:
        try:
            return sftp.octets_libres(self.outbox)
        except Exception:  # a diagnostic only: the write error is what gets reported
            return None

    def _effacer_temporaire(self, cnx: _Connexion, temporaire: str) -> None:
        # After a network failure the next attempt (or deposit) removes it, see
        # _nettoyer_temporaires: trying now over a dead or frozen link would only wait.
        if cnx.active():
            with contextlib.suppress(Exception):
                cnx.sftp.remove(temporaire)

    def _renommer(self, sftp: ClientSftp, source: str, cible: str) -> None:
        if "posix-rename@openssh.com" in sftp.extensions:
            try:
                sftp.requete_ok(CMD_EXTENDED, "posix-rename@openssh.com", source, cible)
                return
            except StatutSftp as exc:
                if exc.code != SFTP_OP_UNSUPPORTED:
                    raise
        # Plain SFTP rename refuses to replace a file: the final name is briefly absent,
        # never partial.
        _supprimer(sftp, cible)
        sftp.rename(source, cible)

    def _nettoyer_temporaires(self, cnx: _Connexion, nom: str) -> None:
        """Remove the temporary files an interrupted earlier deposit of `nom` left behind."""
        prefixe = f".{nom}."
        for entree in cnx.sftp.listdir(self.outbox):
            if entree.startswith(prefixe) and entree.endswith(".part"):
                _supprimer(cnx.sftp, posixpath.join(self.outbox, entree))

    # -- connection and retries ------------------------------------------------------------

    def _executer(self, quoi: str, action: Callable[[_Connexion], T]) -> T:
        essais = self.config.retries + 1
        for essai in range(1, essais + 1):
            try:
                return action(self._connexion())
            except (DropZoneError, FichierRejete):
                raise
            except Exception as exc:
                coupee = self._cnx is not None and not self._cnx.active()
                passagere = coupee or _passagere(exc)
                if passagere or not isinstance(exc, OSError):
                    self.close()
                if not passagere:
                    raise self._erreur(quoi, exc) from exc
                raison = _raison_reseau(exc, coupee)
                if essai == essais:
                    raise DropZoneError(
                        f"{self.nom} : {quoi} : échec après {essais} tentative(s) ({raison})"
                    ) from exc
                pause = self.config.pause(essai)
                log.warning(
                    "%s : %s interrompu (%s), nouvelle tentative %d/%d dans %.2f s",
                    self.nom,
                    quoi,
                    raison,
                    essai + 1,
                    essais,
                    pause,
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _erreur(self, quoi: str, exc: Exception) -> DropZoneError:
        cible = f"{self.config.host}:{self.config.port}"
        if isinstance(exc, paramiko.BadHostKeyException):
            return HostKeyRejected(
                f"{self.nom} : clé d'hôte inconnue ou modifiée pour {cible} (empreinte "
                f"présentée : {exc.key.fingerprint}) ; connexion refusée, vérifier "
                f"{self.config.known_hosts}"
            )
        if isinstance(exc, paramiko.IncompatiblePeer):
            return HostKeyRejected(
                f"{self.nom} : clé d'hôte inconnue ou modifiée pour {cible} : aucune clé du "
                f"type attendu par {self.config.known_hosts}, ou aucun algorithme commun"
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return DropZoneError(
                f"{self.nom} : authentification par clé refusée pour l'utilisateur "
                f"{self.config.user} (clé {self.config.key})"
            )
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
            raison = "permission refusée par le serveur"
        elif isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            raison = "fichier ou dossier introuvable sur le serveur"
        elif isinstance(exc, StatutSftp) and exc.code == SFTP_FAILURE:
            raison = "le serveur a refusé l'opération (échec SFTP)"
        else:
            raison = f"erreur SFTP ({type(exc).__name__})"
        return DropZoneError(f"{self.nom} : {quoi} impossible : {raison}")

    def _connexion(self) -> _Connexion:
        if self._cnx is not None and self._cnx.active():
            return self._cnx
        self.close()
        self._cnx = self._ouvrir()
        return self._cnx

    def _cles_connues(self) -> dict[str, paramiko.PKey]:
        c = self.config
        hote = c.host if c.port == 22 else f"[{c.host}]:{c.port}"
        try:
            connues = paramiko.HostKeys(str(c.known_hosts))
        except FileNotFoundError as exc:
            raise DropZoneError(
                f"{self.nom} : fichier known_hosts introuvable : {c.known_hosts}"
            ) from exc
        except Exception as exc:
            raise DropZoneError(
                f"{self.nom} : fichier known_hosts illisible : {c.known_hosts}"
            ) from exc
        entree = connues.lookup(hote)
        return {} if entree is None else dict(entree)

    def _cle_client(self) -> paramiko.PKey:
        c = self.config
        try:
            mode = c.key.stat().st_mode
        except OSError as exc:
            raise DropZoneError(f"{self.nom} : clé privée introuvable : {c.key}") from exc
        if mode & 0o077:
            raise DropZoneError(
                f"{self.nom} : clé privée {c.key} lisible par d'autres utilisateurs "
                "(chmod 600 attendu)"
            )
        phrase = os.environ.get(c.variable_phrase_secrete) or None
        try:
            return paramiko.PKey.from_path(c.key, password=phrase and phrase.encode())
        except (paramiko.PasswordRequiredException, TypeError) as exc:
            # cryptography reports a missing passphrase as a TypeError.
            if phrase is None:
                raise DropZoneError(
                    f"{self.nom} : clé privée {c.key} chiffrée : donner sa phrase secrète dans "
                    f"{c.variable_phrase_secrete}"
                ) from exc
            raise self._cle_illisible() from exc
        except Exception as exc:
            raise self._cle_illisible() from exc

    def _cle_illisible(self) -> DropZoneError:
        return DropZoneError(
            f"{self.nom} : clé privée {self.config.key} illisible (format, ou phrase secrète "
            "incorrecte)"
        )

    def _ouvrir(self) -> _Connexion:
        c = self.config
        connues = self._cles_connues()
        cle = self._cle_client()
        sock = socket.create_connection((c.host, c.port), timeout=c.connect_timeout)
        transport: paramiko.Transport | None = None
        coupee = threading.Event()

        def couper() -> None:
            coupee.set()
            if transport is not None:
                transport.close()
            sock.close()

        minuteur = threading.Timer(c.connect_timeout, couper)
        minuteur.daemon = True
        minuteur.start()
        try:
            transport = paramiko.Transport(
                sock,
                default_window_size=c.window_size,
                default_max_packet_size=c.max_packet_size,
            )
            # The watchdog is the deadline; paramiko's own limits, a little longer, are only a
            # backstop, so that running out of time is always reported as such.
            for limite in (
                "banner_timeout",
                "handshake_timeout",
                "auth_timeout",
                "channel_timeout",
            ):
                setattr(transport, limite, c.connect_timeout + 5)
            options = transport.get_security_options()
            if connues:
                voulus = [a for t in connues for a in _ALGOS_CLE_HOTE.get(t, (t,))]
                options.key_types = [a for a in voulus if a in options.key_types]
            # AES-GCM first: one pass for encryption and integrity, the fastest paramiko has.
            options.ciphers = sorted(options.ciphers, key=lambda x: "gcm" not in x)
            # start_client returns quietly at its own timeout (no error, no session): the
            # watchdog must be the one that ends a stalled negotiation.
            transport.start_client(timeout=c.connect_timeout + 5)
            presentee = transport.get_remote_server_key()
            attendue = connues.get(presentee.get_name())
            if attendue is None or attendue != presentee:
                raise paramiko.BadHostKeyException(
                    c.host, presentee, attendue or next(iter(connues.values()), presentee)
                )
            transport.set_keepalive(max(1, round(c.keepalive)))
            transport.auth_publickey(c.user, cle)
            if not transport.is_authenticated():
                raise paramiko.AuthenticationException("authentification incomplète")
            canal = transport.open_session(
                window_size=c.window_size, max_packet_size=c.max_packet_size
            )
            canal.settimeout(c.timeout)
            canal.invoke_subsystem("sftp")
            sftp = ClientSftp(canal)
            lecture, ecriture = sftp.limites()
            log.debug("%s : connecté depuis %s", self.nom, sock.getsockname())
            return _Connexion(transport, sftp, lecture, ecriture)
        except Exception as exc:
            if transport is not None:
                transport.close()
            sock.close()
            # Past the deadline, whatever broke was broken by the watchdog; paramiko reports
            # its own authentication timeout as an authentication failure.
            if (coupee.is_set() and not isinstance(exc, paramiko.BadHostKeyException)) or (
                isinstance(exc, paramiko.AuthenticationException) and "timeout" in str(exc)
            ):
                raise TimeoutError("délai de connexion dépassé") from exc
            raise
        finally:
            minuteur.cancel()


@contextlib.contextmanager
def _handle(cnx: _Connexion, handle: bytes) -> Iterator[None]:
    """Close a remote file handle after use; after a network failure, leave it to the server.

    Closing over a link that just timed out would wait a second full timeout for nothing:
    the connection is dropped anyway and the server closes its handles with it.
    """
    try:
        yield
    except BaseException as exc:
        if not _passagere(exc) and cnx.active():
            with contextlib.suppress(Exception):
                cnx.sftp.requete(CMD_CLOSE, handle)
        raise
    cnx.sftp.requete_ok(CMD_CLOSE, handle)


def _supprimer(sftp: ClientSftp, chemin: str) -> None:
    """Remove a remote file if it is there."""
    try:
        sftp.remove(chemin)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise


def _fichier_prive(chemin: Path) -> BinaryIO:
    fd = os.open(chemin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def _passagere(exc: BaseException) -> bool:
    """A network failure that a new connection may not meet again."""
    if isinstance(
        exc,
        paramiko.AuthenticationException | paramiko.BadHostKeyException | paramiko.IncompatiblePeer,
    ):
        return False
    if isinstance(exc, paramiko.ChannelException):
        return exc.code == paramiko.common.OPEN_FAILED_RESOURCE_SHORTAGE
    if isinstance(exc, socket.gaierror):
        return exc.errno == socket.EAI_AGAIN
    if isinstance(exc, TimeoutError | ConnectionError | EOFError | paramiko.SSHException):
        return True
    return isinstance(exc, OSError) and exc.errno in _PASSAGERES


def _raison_reseau(exc: BaseException, coupee: bool) -> str:
    if isinstance(exc, TimeoutError):
        return "délai dépassé"
    if isinstance(exc, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(exc, ConnectionResetError):
        return "connexion réinitialisée"
    if coupee or isinstance(exc, EOFError | paramiko.SSHException):
        return "connexion interrompue"
    return f"erreur réseau ({type(exc).__name__})"


class _Dossiers(Protocol):
    """What `depot_sftp` reads of the deployment's settings (pipelines.reglages.Reglages)."""

    @property
    def home(self) -> Path: ...
    @property
    def inbox(self) -> Path: ...
    @property
    def outbox(self) -> Path: ...


def depot_sftp(
    settings: Path | None, reglages: _Dossiers, environ: Mapping[str, str] | None = None
) -> Depot:
    """Each system's drop zone: its SFTP server when it has SFTP settings, else local folders.

    SFTP settings come from the TOML file `settings` and the PASSERELLE_SFTP_* variables
    (connectors/sftp_config.py); the systems without any use the local folders of
    `reglages`, as `Depot.local`. Downloads are staged under `reglages.home/staging/sftp/`
    unless a system's settings name another folder. Raises `SftpConfigError` for invalid
    settings, or a settings file that configures no system. Nothing connects until a zone
    is used.
    """
    configs = charger_tout(environ, settings)
    if settings is not None and not configs:
        raise SftpConfigError(
            f"{settings} : aucun système configuré pour SFTP "
            f"(tables {', '.join(f'[sftp.{s.lower()}]' for s in SYSTEMES)})"
        )
    zones = dict(Depot.local(reglages.inbox, reglages.outbox).zones)
    for systeme, config in configs.items():
        if config.staging is None:
            staging = Path(reglages.home) / "staging" / "sftp" / systeme.lower()
            config = replace(config, staging=staging)
        zones[systeme] = SftpDropZone(config)
    return Depot(zones)
