"""Running one measurement in its own process: wall time, peak memory, machine load.

Each measurement is a fresh Python process, so that its peak resident memory is its own:
`os.wait4` returns the rusage of that child alone (`ru_maxrss`, KiB on Linux), where
`RUSAGE_CHILDREN` would give the largest of every child waited for so far. The commands run
the checkout's code (`python -m ...` from the repository root, the root first on
PYTHONPATH), never an installed copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent


class EchecMesure(RuntimeError):
    """A measured command failed: the message gives its code and the end of its output."""


@dataclass(frozen=True)
class Mesure:
    secondes: float
    pic_octets: int
    code: int
    sortie: str  # stdout
    charge: float  # 1-minute load average just before the start

    @property
    def pic_gio(self) -> float:
        return self.pic_octets / 2**30


def environnement(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(RACINE), *filter(None, [env.get("PYTHONPATH", "")])])
    env.update(extra or {})
    return env


def module(nom: str, *args: str) -> list[str]:
    """`python -m nom args` with this interpreter."""
    return [sys.executable, "-m", nom, *args]


def mesurer(
    commande: list[str],
    env: Mapping[str, str] | None = None,
    codes_acceptes: tuple[int, ...] = (0,),
) -> Mesure:
    """Run `commande` from the repository root; its wall time and peak RSS."""
    charge = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        debut = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 (commands built by the bench itself)
            commande, cwd=RACINE, env=environnement(env), stdout=out, stderr=err
        )
        _, statut, usage = os.wait4(proc.pid, 0)
        secondes = time.perf_counter() - debut
        proc.returncode = code = os.waitstatus_to_exitcode(statut)
        out.seek(0)
        err.seek(0)
        sortie = out.read().decode("utf-8", "replace")
        erreurs = err.read().decode("utf-8", "replace")
    if code not in codes_acceptes:
        fin = "\n".join((sortie + erreurs).strip().splitlines()[-15:])
        raise EchecMesure(f"{' '.join(commande[1:4])}… a échoué (code {code}) :\n{fin}")
    return Mesure(secondes, usage.ru_maxrss * 1024, code, sortie, charge)
