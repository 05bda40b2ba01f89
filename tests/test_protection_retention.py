"""Data protection: retention. `passerelle purge` removes copies of personal data past the
retention period and keeps the audit trail.

Two nights run through the command line, each with a file set aside (wrong checksum),
quarantined rows and staging copies. `passerelle purge` without `--before` takes its limit
from PASSERELLE_RETENTION_JOURS (counted back from today, Paris): here it falls between
the two nights. For the older night the set-aside files, the staging copies, the
quarantined rows (reasons and raw values) and Dagster's stored step outputs (which hold the
outbound records, names included) are gone; the temporary files of a killed process too.
The later night keeps all of them; the ledger (names, checksums, statuses, counts) and the
validated history stay whole. The purge's own unit tests are tests/test_retention.py.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from tempfile import mkdtemp
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from connectors.tables import fichiers, quarantaine, quarantaine_contenu
from reporting.ecriture import prefixe_temporaire
from tests.fiabilite import AFFECTATIONS, base, executer, lignes, nuit_simple
from tests.inbox_builder import deposer

NUITS = [dt.date(2010, 10, 4), dt.date(2010, 10, 5)]


def _registre(home: Path) -> pl.DataFrame:
    return base(home).lire(
        sa.select(
            fichiers.c.nom,
            fichiers.c.sha256,
            fichiers.c.statut,
            fichiers.c.lignes_appliquees,
            fichiers.c.quarantaine,
        ).order_by(fichiers.c.id)
    )


def _quarantaine(home: Path) -> dict[str, list[str]]:
    out = {}
    for table in (quarantaine, quarantaine_contenu):
        noms = base(home).lire(
            sa.select(fichiers.c.nom).join_from(
                table, fichiers, table.c.fichier_id == fichiers.c.id
            )
        )
        out[table.name] = sorted(noms["nom"])
    return out


def _pid_d_un_processus_fini() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_purge_sans_date_retire_les_copies_au_dela_de_la_retention_et_garde_le_registre(
    tmp_path: Path,
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    env = {"PASSERELLE_SEUIL_QUARANTAINE": "0.9"}
    for i, nuit in enumerate(NUITS):
        nuit_simple(inbox, nuit, lignes=None if i == 0 else {})
        deposer(inbox, "GIDE_AFFECTATIONS", nuit, [*AFFECTATIONS[i:], "AF20000000;ligne;mauvaise"])
        deposer(inbox, "P3_CIVIS", nuit, [], ok=b"sha256=" + b"1" * 64 + b";rows=0\n")
        assert executer(home, "--date", nuit.isoformat(), inbox=inbox, env=env).code == 3
    orphelin = (
        home / "staging" / f".GIDE_STATUTS_20101005.csv.{_pid_d_un_processus_fini()}-ab12cd.tmp"
    )
    orphelin.write_bytes(b"des donnees personnelles a moitie ecrites")
    reports = home / "reports"
    rapports_orphelins = [
        Path(mkdtemp(prefix=prefixe_temporaire("2010-10-05", pid), suffix=suffixe, dir=reports))
        for pid, suffixe in ((_pid_d_un_processus_fini(), ".tmp"), (os.getpid(), ".tmp"))
    ]
    for dossier in rapports_orphelins:
        (dossier / "anomalies.csv").write_bytes(b"des identifiants")
    avant = _registre(home)
    historique_avant = lignes(base(home), "GIDE_AFFECTATIONS").height
    assert _quarantaine(home)["quarantaine"] == [f"GIDE_AFFECTATIONS_{n:%Y%m%d}.csv" for n in NUITS]
    assert len(list((home / "staging").iterdir())) == 2 * 8 + 1

    aujourd_hui = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    jours = (aujourd_hui - NUITS[1]).days  # the limit falls on the second night
    purge = executer(home, env={"PASSERELLE_RETENTION_JOURS": str(jours)}, commande="purge")

    assert purge.code == 0, purge.sortie
    assert "purge avant le 05/10/2010" in purge.sortie
    assert "registre des fichiers est conservé" in purge.sortie
    assert sorted(p.name for p in (home / "rejets").iterdir()) == ["2010-10-05"]
    staging = [p.name for p in (home / "staging").iterdir()]
    assert len(staging) == 8 and all("_20101005.csv." in n for n in staging)  # P3_CIVIS: aside
    assert _quarantaine(home) == {
        "quarantaine": ["GIDE_AFFECTATIONS_20101005.csv"],
        "quarantaine_contenu": ["GIDE_AFFECTATIONS_20101005.csv"],
    }
    assert not orphelin.exists()
    mort, vivant = rapports_orphelins
    assert not mort.exists() and vivant.is_dir()  # a live writer's folder is left alone
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == [
        n.isoformat() for n in NUITS
    ] + ["incidents"]
    assert _registre(home).equals(avant)  # the audit trail: names, checksums, counts
    assert lignes(base(home), "GIDE_AFFECTATIONS").height == historique_avant


def test_retention_jours_invalide_sortie_2(tmp_path: Path):
    purge = executer(
        tmp_path / "var", env={"PASSERELLE_RETENTION_JOURS": "jamais"}, commande="purge"
    )
    assert purge.code == 2 and "PASSERELLE_RETENTION_JOURS" in purge.sortie
