"""The shipped sample nights, run once per test session through the command line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.cli import main
from tests.conftest import ROOT

INBOX = ROOT / "fixtures" / "echantillon" / "inbox"
ATTENDU = ROOT / "fixtures" / "echantillon" / "attendu"
NUITS = [dt.date(2010, 10, 4) + dt.timedelta(days=i) for i in range(5)]


@dataclass
class Execution:
    """One `passerelle run` over a working area: exit code, output, logs."""

    home: Path
    code: int = 0
    sortie: str = ""
    journaux: list[str] = field(default_factory=list)

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.home / 'passerelle.db'}"

    def empreintes(self, dossier: Path) -> dict[str, str]:
        return {
            str(p.relative_to(dossier)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(dossier.rglob("*"))
            if p.is_file()
        }


class _Capture(logging.Handler):
    def __init__(self, lignes: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lignes = lignes

    def emit(self, record: logging.LogRecord) -> None:
        self.lignes.append(record.getMessage())


def passerelle(home: Path, *args: str, inbox: Path = INBOX) -> Execution:
    """Run the CLI in this process with a private working area, capturing everything."""
    env = {
        "PASSERELLE_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    execution = Execution(home=home)
    handler = _Capture(execution.journaux)
    root = logging.getLogger()
    root.addHandler(handler)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            execution.code = main(["run", *args, "--inbox", str(inbox), "--quiet"])
    finally:
        root.removeHandler(handler)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    execution.sortie = out.getvalue() + err.getvalue()
    return execution
