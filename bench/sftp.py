"""SFTP download throughput: `SftpDropZone` against OpenSSH's own `sftp` client.

    python -m bench.sftp [--taille-mo 100] [--repetitions 5]

Starts the test suite's loopback sshd (fixtures/sshd.py), puts a file of random bytes in
its inbox, and downloads it in turn with `SftpDropZone.telecharger` (production settings:
`SftpConfig` defaults) and with `sftp -b` (a batch `get`, default options), alternating runs
so that both meet the same load on the machine, each run on a new connection as `sftp -b`
makes one. It prints the median of each and their ratio; for reference, the sftp client
forced to the AES-GCM cipher the zone negotiates (OpenSSH's default is chacha20-poly1305)
and paramiko's stock `SFTPClient.getfo` (default window and packet sizes, its prefetch
thread, one connection kept open). Files live on a tmpfs (/dev/shm) when there is one, so
that the disk takes no part (the zone fsyncs its downloads, the sftp client does not).

`make bench` (bench/run.py) calls `mesurer` and reports its ratio. Not run by the tests
with a large file: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko

from connectors.sftp import SftpDropZone
from connectors.sftp_config import SftpConfig
from fixtures.sshd import ServeurSsh, serveur

NOM = "GRAND_20100315.csv"
# A tmpfs, so that the disk takes no part; only ever used through mkdtemp (private, unique).
TMPFS = Path("/dev/shm")  # noqa: S108


def _chrono(action: Callable[[], object]) -> float:
    debut = time.perf_counter()
    action()
    return time.perf_counter() - debut


def _client_sftp(
    srv: ServeurSsh, known_hosts: Path, source: Path, cible: Path, *options: str
) -> Callable[[], None]:
    batch = cible.parent / f"batch-{cible.name}"
    batch.write_text(f"get {source} {cible}\n")
    commande = [
        shutil.which("sftp") or "sftp",
        *options,
        "-q",
        "-b",
        str(batch),
        "-i",
        str(srv.cle_client),
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-P",
        str(srv.port),
        f"{srv.user}@127.0.0.1",
    ]

    def telecharger() -> None:
        subprocess.run(commande, check=True, capture_output=True)  # noqa: S603 (built here)
        cible.unlink()

    return telecharger


def _getfo_stock(
    srv: ServeurSsh, known_hosts: Path, source: Path, cible: Path
) -> Callable[[], None]:
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.connect(
        "127.0.0.1",
        srv.port,
        srv.user,
        key_filename=str(srv.cle_client),
        look_for_keys=False,
        allow_agent=False,
    )
    sftp = client.open_sftp()

    def telecharger() -> None:
        with cible.open("wb") as f:
            sftp.getfo(str(source), f)
        cible.unlink()

    return telecharger


@dataclass(frozen=True)
class ResultatSftp:
    """Median download throughput of each client (MiB/s), and Passerelle's against OpenSSH."""

    taille_mo: int
    repetitions: int
    debits: dict[str, float]
    essais: dict[str, list[float]]
    reglages: str

    @property
    def ratio(self) -> float:
        return self.debits["SftpDropZone"] / self.debits["sftp (OpenSSH)"]


def mesurer(
    taille_mo: int = 100, repetitions: int = 5, **reglages_zone: int | None
) -> ResultatSftp:
    """Download a `taille_mo` MiB file `repetitions` times with each client (see above)."""
    os.umask(0o077)
    racine = TMPFS if TMPFS.is_dir() else None
    taille = taille_mo * 2**20
    with tempfile.TemporaryDirectory(dir=racine, prefix="bench-sftp-") as tmp:
        dossier = Path(tmp)
        with serveur(dossier / "sshd") as srv:
            known_hosts = srv.known_hosts(dossier / "known_hosts")
            inbox, recu = dossier / "inbox", dossier / "recu"
            inbox.mkdir()
            recu.mkdir()
            data = os.urandom(taille)
            (inbox / NOM).write_bytes(data)
            empreinte = hashlib.sha256(data).hexdigest()
            del data
            config = SftpConfig(
                systeme="GIDE",
                host="127.0.0.1",
                port=srv.port,
                user=srv.user,
                key=srv.cle_client,
                known_hosts=known_hosts,
                inbox=str(inbox),
                outbox=str(dossier),
                staging=dossier / "staging",
                **{k: v for k, v in reglages_zone.items() if v is not None},
            )
            with SftpDropZone(config) as zone:
                chemin = zone.telecharger(NOM, recu)
                if hashlib.sha256(chemin.read_bytes()).hexdigest() != empreinte:
                    raise SystemExit("téléchargement incorrect")
                chemin.unlink()

                def passerelle() -> None:
                    # A new connection each time, as `sftp -b` makes one per run.
                    zone.close()
                    zone.telecharger(NOM, recu).unlink()

                source = inbox / NOM
                concurrents = {
                    "SftpDropZone": passerelle,
                    "sftp (OpenSSH)": _client_sftp(srv, known_hosts, source, recu / "x"),
                    "sftp aes128-gcm": _client_sftp(
                        srv, known_hosts, source, recu / "z", "-c", "aes128-gcm@openssh.com"
                    ),
                    "getfo paramiko": _getfo_stock(srv, known_hosts, source, recu / "y"),
                }
                for action in concurrents.values():
                    action()  # warm-up: connections, page cache
                durees: dict[str, list[float]] = {nom: [] for nom in concurrents}
                for _ in range(repetitions):
                    for nom, action in concurrents.items():
                        durees[nom].append(_chrono(action))
    return ResultatSftp(
        taille_mo=taille_mo,
        repetitions=repetitions,
        debits={nom: taille / statistics.median(d) / 2**20 for nom, d in durees.items()},
        essais={nom: [taille / x / 2**20 for x in d] for nom, d in durees.items()},
        reglages=(
            f"fenêtre {config.window_size}, paquets {config.max_packet_size}, "
            f"{config.max_requests} lectures en vol"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taille-mo", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=5)
    for reglage in ("window_size", "max_packet_size", "max_requests"):
        parser.add_argument(f"--{reglage.replace('_', '-')}", type=int, help="(SftpConfig)")
    args = parser.parse_args()
    r = mesurer(
        args.taille_mo,
        args.repetitions,
        window_size=args.window_size,
        max_packet_size=args.max_packet_size,
        max_requests=args.max_requests,
    )
    print(f"téléchargement de {r.taille_mo} Mio, médiane de {r.repetitions} essais")
    print(f"  réglages : {r.reglages}")
    for nom, debit in r.debits.items():
        essais = ", ".join(f"{x:.0f}" for x in r.essais[nom])
        print(f"  {nom:17s} {debit:7.1f} Mio/s   (essais : {essais})")
    print(f"ratio SftpDropZone / sftp OpenSSH : {r.ratio:.2f}")


if __name__ == "__main__":
    main()
