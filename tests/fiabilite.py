"""What the failure-mode tests share (tests/test_fiabilite_*.py, docs/fiabilite.md).

- `nuit_simple`: a small complete night, two young people, every mandatory flow;
- `executer`: `passerelle run` in this process (Dagster in-process, an ephemeral instance
  unless asked otherwise), output and logs captured;
- `Processus`: `passerelle run` as a separate process, to be killed or frozen for real;
- `attendre`: wait until a condition holds (never a bare sleep to synchronise);
- `empreinte_tables`: a fingerprint of every table, sorted, reception timestamps left out;
- `sessions_sshd`: the sshd processes serving a client process (to freeze the peer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from connectors.database import Database
from connectors.point_d_arret import VARIABLE as VARIABLE_POINT_D_ARRET
from connectors.tables import fichiers, historique, metadata
from fixtures.sshd import ServeurSsh
from pipelines.cli import main
from tests.conftest import ROOT
from tests.echantillon import Execution
from tests.inbox_builder import deposer

# Bounds a wait that would otherwise hang the suite: a guard, not a speed requirement.
GARDE_FOU_S = 120.0

# Two young people, affected, accepted and first seen before the night (fictional).
DEMANDEURS = [
    "2000001A;Testeur;Alice;12/05/1992;75112;01/09/2010",
    "2000002B;Essai;Bruno;03/11/1990;93048;01/09/2010",
]
AFFECTATIONS = [
    "AF2000000001;2000001A;93002;06081;27/09/2010;ACC",
    "AF2000000002;2000002B;93002;06081;28/09/2010;ACC",
]
ACCEPTATIONS = [
    "AF2000000001;2000001A;93002;2010-09-28;AG000001",
    "AF2000000002;2000002B;93002;2010-09-29;AG000001",
]
ENTRETIENS = [
    "EN2000000001;2000001A;93002;01/10/2010;INDIVIDUEL",
    "EN2000000002;2000002B;93002;01/10/2010;COLLECTIF",
]
STATUTS = ["2000001A;INSCRIT;01/09/2010;;", "2000002B;INSCRIT;01/09/2010;;"]
LIGNES = {
    "GIDE_DEMANDEURS": DEMANDEURS,
    "GIDE_AFFECTATIONS": AFFECTATIONS,
    "GIDE_STATUTS": STATUTS,
    "DUDE_ACCEPTATIONS": ACCEPTATIONS,
    "P3_ENTRETIENS": ENTRETIENS,
}
VIDES = ["GIDE_TRAITEMENTS_ALERTE", "GIDE_SORTIES", "P3_ALERTES", "P3_CIVIS"]


def nuit_simple(
    inbox: Path, nuit: dt.date, lignes: dict[str, list[str]] | None = None, sauf: tuple = ()
) -> None:
    """Every mandatory flow of the night with its `.ok`: the two young people on the first
    night (files of later nights hold only what `lignes` gives them)."""
    contenu = dict(LIGNES) if lignes is None else {}
    contenu.update(lignes or {})
    for flux in [*LIGNES, *VIDES]:
        if flux not in sauf:
            deposer(inbox, flux, nuit, contenu.get(flux, []))


class _Capture(logging.Handler):
    def __init__(self, lignes: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lignes = lignes

    def emit(self, record: logging.LogRecord) -> None:
        self.lignes.append(record.getMessage())


@contextlib.contextmanager
def environnement(valeurs: dict[str, str | None]) -> Iterator[None]:
    """Set (or, with None, remove) environment variables for the block."""
    avant = {k: os.environ.get(k) for k in valeurs}
    try:
        for k, v in valeurs.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in avant.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def executer(
    home: Path,
    *args: str,
    inbox: Path | None = None,
    env: dict[str, str | None] | None = None,
    dagster_home: Path | None = None,
    commande: str = "run",
) -> Execution:
    """`passerelle <commande>` in this process, working area `home`, everything captured.

    Dagster uses an ephemeral instance unless given a `dagster_home`.
    """
    valeurs: dict[str, str | None] = {
        "PASSERELLE_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home) if dagster_home else None,
        **(env or {}),
    }
    execution = Execution(home=home)
    handler = _Capture(execution.journaux)
    racine = logging.getLogger()
    racine.addHandler(handler)
    niveau = racine.level
    racine.setLevel(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    argv = [commande, *args]
    if commande == "run":
        argv += ["--quiet"] + (["--inbox", str(inbox)] if inbox is not None else [])
    try:
        with environnement(valeurs), redirect_stdout(out), redirect_stderr(err):
            execution.code = main(argv)
    finally:
        racine.removeHandler(handler)
        racine.setLevel(niveau)
    execution.sortie = out.getvalue() + err.getvalue()
    return execution


class Processus:
    """`passerelle run` in a process of its own, which a test may kill or let finish."""

    def __init__(
        self,
        home: Path,
        *args: str,
        inbox: Path | None = None,
        env: dict[str, str] | None = None,
        umask: int = 0o022,
    ) -> None:
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PASSERELLE_", "DAGSTER_HOME", "PYTEST_", "COV_"))
        }
        environ.update({"PASSERELLE_HOME": str(home), "PYTHONPATH": str(ROOT), **(env or {})})
        commande = [sys.executable, "-m", "pipelines.cli", "run", *args, "--quiet"]
        if inbox is not None:
            commande += ["--inbox", str(inbox)]
        self.home = home
        self.journal = home.parent / f"{home.name}-{time.monotonic_ns()}.log"
        home.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("wb") as sortie:
            # A server's usual umask (022), not the tests' 077: Passerelle must set its own.
            self.process = subprocess.Popen(
                commande,
                cwd=ROOT,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=sortie,
                stderr=subprocess.STDOUT,
                umask=umask,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def attendre_fin(self, limite: float = GARDE_FOU_S) -> int:
        try:
            return self.process.wait(timeout=limite)
        except subprocess.TimeoutExpired:
            self.tuer()
            raise AssertionError(
                f"passerelle run toujours en cours après {limite:.0f} s :\n{self.sortie}"
            ) from None

    def tuer(self) -> None:
        """SIGKILL: no clean-up code of the process runs (a crash, an OOM kill)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    @property
    def sortie(self) -> str:
        return self.journal.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Processus:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.tuer()


def point_d_arret(point: str, nom: str, marqueur: Path) -> dict[str, str]:
    """The environment that makes a process pause at `point` for file `nom`."""
    return {VARIABLE_POINT_D_ARRET: f"{point}:{nom}={marqueur}"}


def attendre(condition: Callable[[], object], quoi: str, limite: float = GARDE_FOU_S) -> object:
    """Poll `condition` until it returns something true; its value. Fails past `limite`."""
    fin = time.monotonic() + limite
    while True:
        valeur = condition()
        if valeur:
            return valeur
        if time.monotonic() > fin:
            raise AssertionError(f"toujours pas après {limite:.0f} s : {quoi}")
        time.sleep(0.01)


def attendre_arret(processus: Processus, marqueur: Path) -> None:
    """Until the process pauses at its breakpoint (or fail, with its output, if it ended)."""

    def arrete() -> bool:
        if processus.process.poll() is not None:
            raise AssertionError(
                f"le processus s'est terminé ({processus.process.returncode}) sans atteindre "
                f"son point d'arrêt :\n{processus.sortie}"
            )
        return marqueur.exists() and marqueur.read_text() == str(processus.pid)

    attendre(arrete, f"point d'arrêt {marqueur.name}")


def empreinte_tables(db: Database, sauf: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every table's rows, sorted, without reception and processing timestamps."""
    horodatages = {"recu_le", "traite_le", "reclame_le", "traitee_le", "jeton"}
    out = {}
    for table in metadata.sorted_tables:
        if table.name in sauf:
            continue
        frame = db.lire(sa.select(table))
        frame = frame.drop([c for c in frame.columns if c in horodatages])
        frame = frame.sort(frame.columns, nulls_last=True)
        out[table.name] = hashlib.sha256(frame.write_csv().encode()).hexdigest()
    return out


def registre(db: Database) -> pl.DataFrame:
    """The ledger: name, status, reason and counts of every file version, in arrival order."""
    return db.lire(
        sa.select(
            fichiers.c.id,
            fichiers.c.nom,
            fichiers.c.sha256,
            fichiers.c.statut,
            fichiers.c.motif_rejet,
            fichiers.c.lignes_appliquees,
            fichiers.c.quarantaine,
        ).order_by(fichiers.c.id)
    )


def lignes(db: Database, flux: str) -> pl.DataFrame:
    return db.lire(sa.select(historique[flux]))


def base(home: Path) -> Database:
    return Database(f"sqlite:///{home / 'passerelle.db'}")


def anomalies(home: Path, nuit: dt.date) -> pl.DataFrame:
    return pl.read_csv(
        home / "reports" / nuit.isoformat() / "anomalies.csv",
        separator=";",
        infer_schema=False,
    )


def _inodes_sockets(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                cible = os.readlink(fd)
                if cible.startswith("socket:["):
                    inodes.add(cible[len("socket:[") : -1])
    return inodes


def ports_clients(pid: int, ports_serveur: set[int]) -> list[int]:
    """Local ports of the TCP connections process `pid` holds to one of `ports_serveur`."""
    inodes = _inodes_sockets(pid)
    ports = []
    for ligne in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        champs = ligne.split()
        local, distant, inode = champs[1], champs[2], champs[9]
        if inode in inodes and int(distant.split(":")[1], 16) in ports_serveur:
            ports.append(int(local.split(":")[1], 16))
    return ports


def sessions_sshd(sshd: ServeurSsh, pid: int) -> list[int]:
    """The sshd processes serving every SFTP connection of client process `pid`."""
    sessions: list[int] = []
    for port in ports_clients(pid, set(sshd.ports.values())):
        sessions += sshd.processus_de_la_connexion(port)
    return sorted(set(sessions))


def zone_gide_sftp(sshd: ServeurSsh, racine: Path, **reglages: object) -> Path:
    """A settings file putting GIDE's inbox and outbox on the session's sshd (other systems
    keep the local folders); returns its path. The server's folders are
    `racine/serveur/{inbox,outbox}` (the server is this machine)."""
    serveur = racine / "serveur"
    for dossier in ("inbox", "outbox"):
        (serveur / dossier).mkdir(parents=True, exist_ok=True)
    valeurs: dict[str, object] = {
        "host": "127.0.0.1",
        "port": sshd.port,
        "user": sshd.user,
        "key": str(sshd.cle_client),
        "known_hosts": str(sshd.known_hosts(racine / "known_hosts")),
        "inbox": str(serveur / "inbox"),
        "outbox": str(serveur / "outbox"),
        "connect_timeout": 5.0,
        "timeout": 2.0,
        "retries": 1,
        "backoff": 0.05,
        **reglages,
    }
    lignes = ["[sftp.gide]"] + [
        f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in valeurs.items()
    ]
    chemin = racine / "passerelle.toml"
    chemin.write_text("\n".join(lignes) + "\n")
    return chemin


def envoyer_gide_sur_sftp(racine: Path) -> None:
    """Move the GIDE files of the local inbox to GIDE's SFTP inbox (`zone_gide_sftp`)."""
    for fichier in sorted((racine / "inbox").glob("GIDE_*")):
        fichier.rename(racine / "serveur" / "inbox" / fichier.name)


def gros_demandeurs(inbox: Path, nuit: dt.date, n: int) -> list[str]:
    """GIDE_DEMANDEURS with the two young people and `n` more rows: larger than one SFTP
    read, so that a transfer stopped after its first block is stopped half-way."""
    autres = [f"{2200000 + i:07d}C;Nom{i};Prenom{i};01/01/1991;75112;01/09/2010" for i in range(n)]
    rows = [*DEMANDEURS, *autres]
    deposer(inbox, "GIDE_DEMANDEURS", nuit, rows)
    return rows
