"""The SFTP protocol below `SftpDropZone`: paramiko's client plus what it lacks.

paramiko's `SFTPClient` drops the extension list the server announces and turns every
status into a generic error. `ClientSftp` keeps the extensions (posix-rename, fsync,
statvfs, limits), sends raw requests whose answers are collected whatever their order (for
pipelined transfers), and reports statuses with their protocol code (`StatutSftp`), which is
how a full disk (OpenSSH: FAILURE) is told from a refusal (PERMISSION_DENIED).
"""

from __future__ import annotations

import errno

import paramiko
from paramiko.message import Message
from paramiko.sftp import (
    CMD_EXTENDED,
    CMD_HANDLE,
    CMD_INIT,
    CMD_OPEN,
    CMD_STATUS,
    CMD_VERSION,
    SFTP_NO_SUCH_FILE,
    SFTP_OK,
    SFTP_PERMISSION_DENIED,
    SFTPError,
)

BLOC = 32 * 1024  # the SFTP read/write size every server accepts
BLOC_MAX = 256 * 1024  # OpenSSH's limit, used when the server announces it
_ERRNO = {SFTP_NO_SUCH_FILE: errno.ENOENT, SFTP_PERMISSION_DENIED: errno.EACCES}


class StatutSftp(OSError):
    """A non-OK SFTP status, with its protocol code (OpenSSH reports a full disk as FAILURE)."""

    def __init__(self, code: int, texte: str) -> None:
        super().__init__(_ERRNO.get(code, errno.EIO), texte)
        self.code = code


class Reponses:
    """Collects the answers to pipelined requests, whatever their order."""

    def __init__(self) -> None:
        self.recues: dict[int, tuple[int, Message]] = {}

    def _async_response(self, t: int, msg: Message, num: int) -> None:
        # The name paramiko calls on the object a request was registered with.
        self.recues[num] = (t, msg)


class ClientSftp(paramiko.SFTPClient):
    """paramiko's client, plus the server's protocol extensions and raw pipelined requests."""

    extensions: dict[str, bytes]

    def _send_version(self) -> int:
        # paramiko drops the extension list the server announces; it tells us whether
        # posix-rename, fsync, statvfs and limits are there.
        m = Message()
        m.add_int(3)
        self._send_packet(CMD_INIT, m)
        t, data = self._read_packet()
        if t != CMD_VERSION:
            raise SFTPError("Incompatible sftp protocol")
        msg = Message(data)
        version = msg.get_int()
        self.extensions = {}
        while msg.packet.tell() < len(data):
            nom = msg.get_text()
            self.extensions[nom] = msg.get_binary()
        return version

    def recevoir(self) -> None:
        """Read one answer and hand it to the `Reponses` its request was sent with."""
        self._read_response()

    def envoyer(self, reponses: Reponses, t: int, *args: object) -> int:
        return self._async_request(reponses, t, *args)

    def attendre(self, reponses: Reponses, num: int) -> tuple[int, Message]:
        while num not in reponses.recues:
            self.recevoir()
        return reponses.recues.pop(num)

    def requete(self, t: int, *args: object) -> tuple[int, Message]:
        reponses = Reponses()
        return self.attendre(reponses, self.envoyer(reponses, t, *args))

    def requete_ok(self, t: int, *args: object) -> None:
        rt, msg = self.requete(t, *args)
        verifier_statut(rt, msg)

    def ouvrir(self, chemin: str, drapeaux: int, mode: int | None = None) -> bytes:
        attrs = paramiko.SFTPAttributes()
        if mode is not None:
            attrs.st_mode = mode
        t, msg = self.requete(CMD_OPEN, chemin, drapeaux, attrs)
        if t != CMD_HANDLE:
            verifier_statut(t, msg)
            raise SFTPError("réponse inattendue à l'ouverture")
        return msg.get_binary()

    def limites(self) -> tuple[int, int]:
        """The largest read and write the server accepts (limits@openssh.com), capped."""
        if "limits@openssh.com" not in self.extensions:
            return BLOC, BLOC
        t, msg = self.requete(CMD_EXTENDED, "limits@openssh.com")
        if t == CMD_STATUS:
            return BLOC, BLOC
        msg.get_int64()  # packet length
        lecture, ecriture = msg.get_int64(), msg.get_int64()
        return (
            min(lecture or BLOC, BLOC_MAX),
            min(ecriture or BLOC, BLOC_MAX),
        )

    def octets_libres(self, chemin: str) -> int | None:
        """Free space for unprivileged users on the server's file system (statvfs@openssh.com)."""
        if "statvfs@openssh.com" not in self.extensions:
            return None
        t, msg = self.requete(CMD_EXTENDED, "statvfs@openssh.com", chemin)
        if t == CMD_STATUS:
            return None
        msg.get_int64()  # f_bsize
        frsize = msg.get_int64()
        msg.get_int64()  # f_blocks
        msg.get_int64()  # f_bfree
        return msg.get_int64() * frsize  # f_bavail


def verifier_statut(t: int, msg: Message) -> None:
    if t != CMD_STATUS:
        raise SFTPError("réponse SFTP inattendue")
    code = msg.get_int()
    if code != SFTP_OK:
        raise StatutSftp(code, msg.get_text())
