"""Failure mode 7: the SFTP peer hangs in the middle of a transfer, during a night run.

A real night runs through SFTP (`passerelle run --sftp-config`, GIDE's inbox and outbox on
the session's sshd) in a process of its own. Half-way through the download of
GIDE_DEMANDEURS (a breakpoint, connectors/point_d_arret.py), the test freezes the sshd
processes serving that connection (SIGSTOP): the transfer times out after the configured
`timeout` (read timeout on the SFTP channel, connectors/sftp.py), the zone retries on a new
connection after its backoff, and the night completes with each row applied once and
nothing half-written left anywhere. Without a retry left, the night fails cleanly (exit 1,
nothing landed, nothing emitted) and is re-run once the peer is back.

Backing it up, a hard limit on the whole run: the nightly job's `dagster/max_runtime` tag
is enforced by the daemon's run monitoring (dagster.yaml `run_monitoring`), tested here
through Dagster's own monitoring code; and `passerelle run`, which runs the job in its own
process where the daemon cannot reach, enforces the same limit itself (a peer that accepts
the connection and never answers, with timeouts configured far too long).
Guards: `SftpConfig.timeout` (channel timeout), `SftpDropZone._executer` (retries with
backoff), `pipelines.jobs` (the tag), `pipelines.cli._limite_de_duree`.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._daemon.monitoring import run_monitoring

import schemas
from fixtures.sshd import ServeurSsh
from pipelines.definitions import build_definitions
from pipelines.reglages import DUREE_MAX_S
from tests.conftest import ROOT
from tests.fiabilite import (
    Processus,
    attendre,
    attendre_arret,
    base,
    envoyer_gide_sur_sftp,
    executer,
    gros_demandeurs,
    lignes,
    nuit_simple,
    point_d_arret,
    registre,
    sessions_sshd,
    zone_gide_sftp,
)
from tests.pannes import ServeurMuet

pytestmark = pytest.mark.sftp

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_DEMANDEURS").nom_fichier(NUIT)
TIMEOUT_S = 1.0


def _nuit_sur_sftp(racine: Path) -> int:
    nuit_simple(racine / "inbox", NUIT)
    n = len(gros_demandeurs(racine / "inbox", NUIT, 6000))
    (racine / "serveur" / "inbox").mkdir(parents=True)
    envoyer_gide_sur_sftp(racine)
    return n


def _rien_d_entame(racine: Path) -> None:
    """No partial copy anywhere on the client, nothing half-written on the server."""
    temporaires = [
        p.name
        for p in [*racine.rglob("*.part"), *racine.rglob("*.tmp")]
        if "dagster_home" not in p.parts
    ]
    assert temporaires == []
    staging = racine / "var" / "staging" / "sftp" / "gide"
    assert not staging.exists() or list(staging.iterdir()) == []


def _geler_pendant_le_telechargement(
    sshd: ServeurSsh, processus: Processus, marqueur: Path
) -> list[int]:
    attendre_arret(processus, marqueur)
    figees = sessions_sshd(sshd, processus.pid)
    assert figees, "aucune session sshd trouvée pour ce processus"
    sshd.signaler(figees, signal.SIGSTOP)
    marqueur.unlink()  # the download goes on, towards a peer that no longer answers
    return figees


def test_pair_sftp_fige_en_plein_transfert_delai_borne_reprise_sans_rien_a_moitie(
    sshd: ServeurSsh, tmp_path: Path
):
    n = _nuit_sur_sftp(tmp_path)
    reglages = zone_gide_sftp(sshd, tmp_path, timeout=TIMEOUT_S, retries=2, backoff=0.05)
    marqueur = tmp_path / "arret"
    env = point_d_arret("telechargement", NOM, marqueur)
    args = ("--date", NUIT.isoformat(), "--sftp-config", str(reglages))
    with Processus(tmp_path / "var", *args, inbox=tmp_path / "inbox", env=env) as nuit:
        figees = _geler_pendant_le_telechargement(sshd, nuit, marqueur)
        try:
            debut = time.monotonic()
            attendre(lambda: "nouvelle tentative" in nuit.sortie, "la reprise", limite=30)
            delai = time.monotonic() - debut
            code = nuit.attendre_fin()
        finally:
            sshd.signaler(figees, signal.SIGCONT)

    assert code == 0, nuit.sortie
    assert TIMEOUT_S <= delai < TIMEOUT_S + 20, delai  # bounded: the peer never came back
    assert "délai dépassé" in nuit.sortie
    versions = registre(base(tmp_path / "var")).filter(nom=NOM)
    assert versions["statut"].to_list() == ["APPLIQUE"]
    assert lignes(base(tmp_path / "var"), "GIDE_DEMANDEURS").height == n
    sortants = sorted(p.name for p in (tmp_path / "serveur" / "outbox").iterdir())
    gide = [f.nom_fichier(NUIT) for f in schemas.SORTANTS if f.systeme.nom == "GIDE"]
    assert sortants == sorted([*gide, *(f"{g}.ok" for g in gide)])
    _rien_d_entame(tmp_path)


def test_pair_sftp_fige_sans_reprise_echec_net_puis_nuit_rejouee(sshd: ServeurSsh, tmp_path: Path):
    n = _nuit_sur_sftp(tmp_path)
    reglages = zone_gide_sftp(sshd, tmp_path, timeout=TIMEOUT_S, retries=0)
    marqueur = tmp_path / "arret"
    env = point_d_arret("telechargement", NOM, marqueur)
    args = ("--date", NUIT.isoformat(), "--sftp-config", str(reglages))
    with Processus(tmp_path / "var", *args, inbox=tmp_path / "inbox", env=env) as nuit:
        figees = _geler_pendant_le_telechargement(sshd, nuit, marqueur)
        try:
            code = nuit.attendre_fin()
        finally:
            sshd.signaler(figees, signal.SIGCONT)

    assert code == 1, nuit.sortie
    assert "délai dépassé" in nuit.sortie and NOM in nuit.sortie
    db = base(tmp_path / "var")
    assert NOM not in registre(db)["nom"].to_list()
    assert lignes(db, "GIDE_DEMANDEURS").height == 0
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from nuits")).scalar_one() == 0
    assert list((tmp_path / "serveur" / "outbox").iterdir()) == []
    assert not list((tmp_path / "var").rglob("*_20101004.csv"))
    _rien_d_entame(tmp_path)

    reprise = executer(tmp_path / "var", *args, inbox=tmp_path / "inbox")
    assert reprise.code == 0, reprise.sortie
    assert lignes(base(tmp_path / "var"), "GIDE_DEMANDEURS").height == n


def test_duree_max_du_run_arrete_une_nuit_bloquee_malgre_des_delais_trop_longs(
    sshd: ServeurSsh, tmp_path: Path, serveur_muet: ServeurMuet
):
    nuit_simple(tmp_path / "inbox", NUIT)
    reglages = zone_gide_sftp(
        sshd, tmp_path, port=serveur_muet.port, connect_timeout=600.0, timeout=600.0, retries=3
    )
    envoyer_gide_sur_sftp(tmp_path)
    args = ("--date", NUIT.isoformat(), "--sftp-config", str(reglages))
    env = {"PASSERELLE_DUREE_MAX_S": "3"}
    with Processus(tmp_path / "var", *args, inbox=tmp_path / "inbox", env=env) as nuit:
        attendre(lambda: serveur_muet.acceptees, "la connexion au pair muet", limite=60)
        debut = time.monotonic()
        code = nuit.attendre_fin(limite=60)
        apres_connexion = time.monotonic() - debut

    assert code == 1, nuit.sortie
    assert "durée maximale de 3 s dépassée" in nuit.sortie
    assert apres_connexion < 30  # not the 600 s the transfer settings would have waited
    assert not list((tmp_path / "var").rglob("*_20101004.csv"))


def test_duree_max_le_tag_du_job_est_applique_par_la_surveillance_des_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The daemon's run monitoring (enabled in the shipped dagster.yaml) fails a run of the
    nightly job past its `dagster/max_runtime` tag, and leaves a younger one alone."""
    shipped = yaml.safe_load((ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    assert shipped["run_monitoring"]["enabled"] is True
    journal = logging.getLogger("test.run_monitoring")
    with dg.instance_for_test(overrides={"run_monitoring": shipped["run_monitoring"]}) as inst:
        job = build_definitions().resolve_job_def("nuit")
        assert int(job.tags["dagster/max_runtime"]) == DUREE_MAX_S
        assert inst.run_monitoring_enabled
        # As the scheduler and the sensor daemon do: the job's run tags, then the request's.
        tags = {**job.run_tags, "dagster/partition": "2010-10-04"}
        run = inst.create_run_for_job(job_def=job, tags=tags)
        inst.handle_new_event(
            dg.EventLogEntry(
                error_info=None,
                level="debug",
                user_message="",
                run_id=run.run_id,
                timestamp=time.time(),
                dagster_event=dg.DagsterEvent(
                    event_type_value=dg.DagsterEventType.RUN_START.value, job_name=job.name
                ),
            )
        )
        debut = inst.get_run_record_by_id(run.run_id).start_time
        assert debut is not None

        def verifier(secondes: float) -> dg.DagsterRunStatus:
            monkeypatch.setattr(run_monitoring, "get_current_timestamp", lambda: debut + secondes)
            record = inst.get_run_record_by_id(run.run_id)
            run_monitoring.check_run_timeout(inst, record, journal, 0.0)
            return inst.get_run_by_id(run.run_id).status

        assert verifier(DUREE_MAX_S - 60) == dg.DagsterRunStatus.STARTED
        assert verifier(DUREE_MAX_S + 60) == dg.DagsterRunStatus.FAILURE
