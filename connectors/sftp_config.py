"""How to reach each system's SFTP server: `SftpConfig`, from the environment or a settings file.

A system (GIDE, P3, DUDE, or REF for the reference lists) uses SFTP when one of its
settings is given, in either place; otherwise it uses the local folders. An environment
variable overrides the same setting of the file.

Environment, `<S>` being GIDE, P3, DUDE or REF:

    PASSERELLE_SFTP_<S>_HOST, _PORT (22), _USER, _KEY (private key file),
    _KNOWN_HOSTS (OpenSSH known_hosts file holding the server's key), _INBOX, _OUTBOX
    (remote folders; REF has no outbox), _CONNECT_TIMEOUT (s, 15), _TIMEOUT (s, 60: any
    single network wait once connected), _KEEPALIVE (s, 30), _RETRIES (3), _BACKOFF (s, 2:
    first pause, doubled at each retry), _BACKOFF_MAX (s, 60), _STAGING (local folder for
    downloads, default `$PASSERELLE_HOME/staging/sftp/<s>`, `var/...` without
    PASSERELLE_HOME), _WINDOW_SIZE, _MAX_PACKET_SIZE, _MAX_REQUESTS (throughput tuning, see
    `SftpConfig`).
    _KEY_PASSPHRASE: the passphrase of an encrypted key, read from the environment only,
    when connecting, and never stored or logged.

Settings file (TOML), its path given by the caller or by PASSERELLE_SETTINGS; the same
settings in lower case, one table per system (`[sftp.gide]`, `[sftp.p3]`, `[sftp.dude]`,
`[sftp.ref]`), other tables of the file are ignored:

    [sftp.gide]
    host = "sftp.gide.example.fr"
    port = 22
    user = "passerelle"
    key = "/etc/passerelle/cles/gide_ed25519"      # relative paths: from the file's folder
    known_hosts = "/etc/passerelle/known_hosts"
    inbox = "/depot/inbox"
    outbox = "/depot/outbox"
    timeout = 60
    retries = 3

Authentication is by key only: a password (or a passphrase) in the file or a
PASSERELLE_SFTP_<S>_PASSWORD variable is refused, so none can be left lying there.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from schemas.contract import SYSTEMES as SYSTEMES_DU_CONTRAT

# GIDE, P3, DUDE, and REF: the reference lists, which arrive in an inbox and receive nothing.
SYSTEMES = tuple(SYSTEMES_DU_CONTRAT)
VARIABLE_SETTINGS = "PASSERELLE_SETTINGS"
_PREFIXE = "PASSERELLE_SFTP_"
_INTERDITS = ("password", "passphrase", "key_passphrase")


class SftpConfigError(ValueError):
    """Bad or incomplete SFTP settings (the command line exits with code 2)."""


@dataclass(frozen=True)
class SftpConfig:
    """One system's SFTP server, and how patient to be with it."""

    systeme: str
    host: str
    user: str
    key: Path
    known_hosts: Path
    inbox: str
    outbox: str | None = None  # required, but for REF which receives nothing
    port: int = 22
    connect_timeout: float = 15.0
    timeout: float = 60.0
    keepalive: float = 30.0
    retries: int = 3
    backoff: float = 2.0
    backoff_max: float = 60.0
    staging: Path | None = None
    # Throughput: a large SSH window and packets, and many SFTP reads in flight, keep the
    # loopback or LAN link busy (bench/sftp.py measures them); memory is bounded by
    # max_requests x 256 KiB per transfer.
    window_size: int = 64 * 2**20
    max_packet_size: int = 2**18
    max_requests: int = 16

    @property
    def variable_phrase_secrete(self) -> str:
        """The environment variable that holds the key's passphrase, if it has one."""
        return f"{_PREFIXE}{self.systeme}_KEY_PASSPHRASE"

    def dossier_staging(self, environ: Mapping[str, str] | None = None) -> Path:
        if self.staging is not None:
            return self.staging
        env = os.environ if environ is None else environ
        return Path(env.get("PASSERELLE_HOME", "var")) / "staging" / "sftp" / self.systeme.lower()

    def pause(self, essai: int) -> float:
        """Seconds to wait after failed attempt number `essai` (1-based): exponential, capped."""
        return min(self.backoff * 2 ** (essai - 1), self.backoff_max)


_OBLIGATOIRES = ("host", "user", "key", "known_hosts", "inbox", "outbox")
_CHAMPS = {f.name: f for f in fields(SftpConfig) if f.name != "systeme"}


def _positif(conv: Callable[[str], Any]) -> Callable[[Any], Any]:
    def convertir(v: Any) -> Any:
        x = conv(v)
        if x <= 0:
            raise ValueError("doit être positif")
        return x

    return convertir


def _naturel(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("entier attendu")
    x = int(v)
    if x < 0:
        raise ValueError("doit être positif ou nul")
    return x


def _port(v: Any) -> int:
    x = _naturel(v)
    if not 0 < x < 65536:
        raise ValueError("port entre 1 et 65535 attendu")
    return x


def _texte(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("texte non vide attendu")
    return v


_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "host": _texte,
    "user": _texte,
    "inbox": _texte,
    "outbox": _texte,
    "key": lambda v: Path(_texte(v)),
    "known_hosts": lambda v: Path(_texte(v)),
    "staging": lambda v: Path(_texte(v)),
    "port": _port,
    "connect_timeout": _positif(float),
    "timeout": _positif(float),
    "keepalive": _positif(float),
    "backoff": _positif(float),
    "backoff_max": _positif(float),
    "retries": _naturel,
    "window_size": _positif(int),
    "max_packet_size": _positif(int),
    "max_requests": _positif(int),
}


def _lire_settings(chemin: Path) -> dict[str, Any]:
    try:
        with chemin.open("rb") as f:
            contenu = tomllib.load(f)
    except FileNotFoundError as exc:
        raise SftpConfigError(f"fichier de paramètres introuvable : {chemin}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SftpConfigError(f"fichier de paramètres illisible ({chemin}) : {exc}") from exc
    sftp = contenu.get("sftp", {})
    if not isinstance(sftp, dict):
        raise SftpConfigError(f"{chemin} : [sftp] doit être une table")
    inconnus = sorted(set(sftp) - {s.lower() for s in SYSTEMES})
    if inconnus:
        raise SftpConfigError(
            f"{chemin} : système inconnu [sftp.{inconnus[0]}] "
            f"(attendus : {', '.join(s.lower() for s in SYSTEMES)})"
        )
    return sftp


def _depuis_fichier(systeme: str, sftp: dict[str, Any], chemin: Path) -> dict[str, Any]:
    table = sftp.get(systeme.lower())
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise SftpConfigError(f"{chemin} : [sftp.{systeme.lower()}] doit être une table")
    ou = f"{chemin} [sftp.{systeme.lower()}]"
    for cle in table:
        if cle.lower() in _INTERDITS:
            raise SftpConfigError(
                f"{ou} : « {cle} » interdit (authentification par clé uniquement ; "
                f"la phrase secrète d'une clé chiffrée se donne par "
                f"{_PREFIXE}{systeme}_KEY_PASSPHRASE)"
            )
        if cle not in _CHAMPS:
            raise SftpConfigError(f"{ou} : paramètre inconnu « {cle} »")
    valeurs = {}
    for cle, brut in table.items():
        valeurs[cle] = (ou, brut)
        if cle in ("key", "known_hosts", "staging") and isinstance(brut, str):
            valeurs[cle] = (ou, str(chemin.parent / Path(brut).expanduser()))
    return valeurs


def _depuis_env(systeme: str, environ: Mapping[str, str]) -> dict[str, Any]:
    prefixe = f"{_PREFIXE}{systeme}_"
    if environ.get(prefixe + "PASSWORD"):
        raise SftpConfigError(
            f"{prefixe}PASSWORD interdit : authentification par clé uniquement "
            f"({prefixe}KEY et {prefixe}KNOWN_HOSTS)"
        )
    return {
        nom: (prefixe + nom.upper(), environ[prefixe + nom.upper()])
        for nom in _CHAMPS
        if environ.get(prefixe + nom.upper(), "") != ""
    }


def charger(
    systeme: str,
    environ: Mapping[str, str] | None = None,
    settings: Path | None = None,
) -> SftpConfig | None:
    """The SFTP settings of `systeme`, or None when it has none (it then uses local folders)."""
    if systeme not in SYSTEMES:
        raise SftpConfigError(f"système inconnu : {systeme} (attendus : {', '.join(SYSTEMES)})")
    env = os.environ if environ is None else environ
    if settings is None and env.get(VARIABLE_SETTINGS):
        settings = Path(env[VARIABLE_SETTINGS])
    valeurs: dict[str, Any] = {}
    if settings is not None:
        valeurs |= _depuis_fichier(systeme, _lire_settings(settings), settings)
    valeurs |= _depuis_env(systeme, env)
    if not valeurs:
        return None
    obligatoires = [c for c in _OBLIGATOIRES if not (c == "outbox" and systeme == "REF")]
    manquants = [c for c in obligatoires if c not in valeurs]
    if manquants:
        raise SftpConfigError(
            f"SFTP {systeme} : paramètre(s) manquant(s) : "
            + ", ".join(
                f"{_PREFIXE}{systeme}_{c.upper()} (ou {c} dans [sftp.{systeme.lower()}])"
                for c in manquants
            )
        )
    convertis = {}
    for nom, (ou, brut) in valeurs.items():
        try:
            convertis[nom] = _CONVERSIONS[nom](brut)
        except (TypeError, ValueError) as exc:
            raise SftpConfigError(f"{ou} : valeur invalide pour {nom} ({exc})") from exc
    return SftpConfig(systeme=systeme, **convertis)


def charger_tout(
    environ: Mapping[str, str] | None = None, settings: Path | None = None
) -> dict[str, SftpConfig]:
    """The SFTP settings of every system that has some."""
    configs = {s: charger(s, environ, settings) for s in SYSTEMES}
    return {s: c for s, c in configs.items() if c is not None}
