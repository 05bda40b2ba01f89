"""Breakpoints for crash tests: a process pauses at a named point so that a test can kill it.

Crash recovery is only proven by crashing at the worst moments: half-way through a
download, an upload, or between claiming a file and committing its rows. The code calls
`atteint("validation", nom)` at those moments. Nothing happens unless the environment
variable PASSERELLE_POINT_D_ARRET holds `<point>:<name>=<marker file>` for that very point:
then, the first time the point is reached, the process writes its pid into the marker file
and waits until the file is removed (the test kills it meanwhile, or freezes a peer and lets
it go on). An operator never sets this variable.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

VARIABLE = "PASSERELLE_POINT_D_ARRET"
# A forgotten marker must not hold a process for ever.
ATTENTE_MAX_S = 300.0

_deja: set[str] = set()
_verrou = threading.Lock()


def atteint(point: str, nom: str) -> None:
    """Pause here if the environment asks for this point (see the module docstring)."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    cible, _, marqueur = spec.partition("=")
    ici = f"{point}:{nom}"
    if cible != ici or not marqueur:
        return
    with _verrou:
        if ici in _deja:
            return
        _deja.add(ici)
    chemin = Path(marqueur)
    chemin.write_text(str(os.getpid()))
    fin = time.monotonic() + ATTENTE_MAX_S
    while chemin.exists() and time.monotonic() < fin:
        time.sleep(0.01)
