"""The command line's contract with operators: exit codes and clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PASSERELLE_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    (tmp_path / "inbox").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "préciser --date"),
        (["run", "--date", "2010-10-04", "--from", "2010-10-01"], "pas les deux"),
        (["run", "--from", "2010-10-05", "--to", "2010-10-04"], "antérieur"),
        (["run", "--from", "2010-10-05"], "préciser --date"),
        (["run", "--date", "2010-10-04", "--db", "mysql://x/y"], "invalide"),
        (["run", "--date", "2010-10-04", "--inbox", "/nonexistent/inbox"], "introuvable"),
        (["run", "--date", "2010-10-04", "--pseudonymise"], "PASSERELLE_CLE_PSEUDONYMISATION"),
        (["report", "--date", "2010-10-04", "--pseudonymise"], "PASSERELLE_CLE_PSEUDONYMISATION"),
    ],
)
def test_bad_usage_or_configuration_exits_2_with_a_clear_message(home, capsys, args, message):
    if "--inbox" not in args:
        args = [*args, "--inbox", str(home / "inbox")] if args[0] == "run" else args
    assert main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [["run", "--date", "2010-31-12"], ["frobnicate"], ["purge", "--before", "x"], ["report"]],
)
def test_argparse_errors_exit_2(home, args):
    assert main(args) == 2


def test_bad_sftp_settings_exit_2(home, capsys):
    settings = home / "sftp.toml"
    settings.write_text('[sftp.gide]\nhost = "h"\npassword = "secret"\n')
    code = main(["run", "--date", "2010-10-04", "--sftp-config", str(settings)])
    assert code == 2
    err = capsys.readouterr().err
    assert "configuration SFTP invalide" in err and "secret" not in err


def test_bad_numeric_setting_exits_2(home, capsys, monkeypatch):
    monkeypatch.setenv("PASSERELLE_SEUIL_QUARANTAINE", "beaucoup")
    assert main(["run", "--date", "2010-10-04", "--inbox", str(home / "inbox")]) == 2
    assert "PASSERELLE_SEUIL_QUARANTAINE" in capsys.readouterr().err


def test_unreachable_database_exits_1_and_names_it_without_password(home, capsys):
    url = "postgresql://passerelle:motdepasse@127.0.0.1:1/passerelle"
    assert main(["run", "--date", "2010-10-04", "--inbox", str(home / "inbox"), "--db", url]) == 1
    err = capsys.readouterr().err
    assert "injoignable" in err and "rien n'a été traité" in err
    assert "motdepasse" not in err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "passerelle" in capsys.readouterr().out
