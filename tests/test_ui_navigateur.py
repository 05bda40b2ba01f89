"""Operating Passerelle from the Dagster UI, in headless Chromium, as an operator does.

`dagster dev` (webserver and daemon) runs as a subprocess on a free port, against a temporary
DAGSTER_HOME holding the shipped dagster.yaml and a temporary PASSERELLE_HOME whose inbox is
the shipped sample. Playwright drives Debian's Chromium (/usr/bin/chromium; no browser is
downloaded, nothing outside the UI is fetched): find the nightly job, launch a night with
clicks, wait for its run, read the report's metadata; then backfill two nights from the asset
graph and check that they ran in date order, one at a time.

Screenshots go to tests/output/ui/; with PASSERELLE_CAPTURES=docs/captures the README's are
copied there too (see docs/exploitation-ui.md).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from schemas.dialect import Ok
from tests.conftest import ROOT
from tests.echantillon import ATTENDU, INBOX

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SORTIE = ROOT / "tests" / "output" / "ui"
# Screenshot -> name in docs/captures/ (the README's).
CAPTURES = {
    "graphe.png": "ui-graphe.png",
    "rapport-metadonnees.png": "ui-rapport-metadonnees.png",
    "valide-quarantaine.png": "ui-quarantaine.png",
    "groupe-gide.png": "ui-groupe-gide.png",
}
NUIT = "2010-10-04"
RATTRAPAGE = ["2010-10-05", "2010-10-06"]

DEMARRAGE_S = 180  # dagster dev up and serving
CHARGEMENT_MS = 120_000  # the code location loaded, a page drawn
ATTENTE_MS = CHARGEMENT_MS  # any other state of the UI
RUN_MS = 300_000  # a night's run, queued then done, on a loaded machine
RATTRAPAGE_MS = 600_000  # two nights through the backfill daemon


@dataclass(frozen=True)
class Serveur:
    url: str
    dagster_home: Path
    passerelle_home: Path


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _repond(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=5) as r:  # noqa: S310 (local)
            return r.status == 200
    except OSError:
        return False


def _arreter(proc: subprocess.Popen[bytes]) -> None:
    """Stop dagster dev and everything it started (its own process group), whatever happens."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # webserver, daemon, code server, run workers
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def serveur(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serveur]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium absent (make system-deps l'installe)")
    pytest.importorskip("playwright.sync_api")
    SORTIE.mkdir(parents=True, exist_ok=True, mode=0o700)
    base = tmp_path_factory.mktemp("ui")
    dagster_home = base / "dagster_home"
    dagster_home.mkdir(mode=0o700)
    shutil.copy(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    passerelle_home = base / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PASSERELLE_", "DAGSTER_"))}
    env |= {
        "DAGSTER_HOME": str(dagster_home),
        "PASSERELLE_HOME": str(passerelle_home),
        "PASSERELLE_INBOX": str(INBOX),
    }
    url = f"http://127.0.0.1:{_port_libre()}"
    journal = (SORTIE / "dagster-dev.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-m",
            "pipelines.definitions",
            "-d",
            str(ROOT),
            "-h",
            "127.0.0.1",
            "-p",
            url.rsplit(":", 1)[1],
        ],
        cwd=dagster_home,
        env=env,
        stdout=journal,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        limite = time.monotonic() + DEMARRAGE_S
        while not _repond(url):
            assert proc.poll() is None, "dagster dev s'est arrêté (tests/output/ui/dagster-dev.log)"
            assert time.monotonic() < limite, "dagster dev ne répond pas"
            time.sleep(0.5)  # polling the server, not waiting on the UI
        yield Serveur(url, dagster_home, passerelle_home)
    finally:
        _arreter(proc)
        journal.close()


@pytest.fixture(scope="module")
def navigateur(serveur: Serveur, tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        contexte = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profil")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1600, "height": 1200},
        )
        try:
            # The UI is self-contained: anything it would fetch elsewhere is refused.
            contexte.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(serveur.url)
                    else route.abort()
                ),
            )
            contexte.set_default_timeout(CHARGEMENT_MS)
            yield contexte
        finally:
            contexte.close()


@pytest.fixture
def onglet(navigateur, request: pytest.FixtureRequest):
    """A new tab; its last state is kept as fin-<test>.png, to see where a failure stopped."""
    page = navigateur.new_page()
    try:
        yield page
    finally:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SORTIE / f"fin-{request.node.name}.png"))
        page.close()


def _capture(page, nom: str) -> None:
    page.screenshot(path=str(SORTIE / nom))
    dossier = os.environ.get("PASSERELLE_CAPTURES")
    if dossier and nom in CAPTURES:
        cible = ROOT / dossier / CAPTURES[nom]
        cible.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SORTIE / nom, cible)


def _dialogue_de_lancement(page, partitions: str, attendu: str):
    """Materialize all… then the partitions typed in, as an operator picks them."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Materialize all").click()
    dialogue = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    # The dialog opens on the last 90 days: the sample's nights are older.
    dialogue.get_by_text("Show all partitions").click()
    expect(dialogue.get_by_text("All time")).to_be_visible(timeout=ATTENTE_MS)
    saisie = dialogue.get_by_placeholder(re.compile(r"^ex: "))
    saisie.fill(partitions)
    saisie.press("Enter")
    expect(dialogue.get_by_text(attendu, exact=True)).to_be_visible(timeout=ATTENTE_MS)
    return dialogue


def _visible(page, texte: str):
    """The first visible element with exactly this text (the UI keeps hidden copies to measure
    labels)."""
    return page.get_by_text(texte, exact=True).filter(visible=True).first


def _valeur(page, cle: str):
    """The value cell of a metadata row of the asset page (drawn when it is drawn)."""
    ligne = page.locator("tr").filter(has=page.get_by_text(cle, exact=True)).first
    return ligne.locator(":scope > td").nth(2)


def _attendus(serveur: Serveur, nuit: str) -> dict[str, int]:
    """Anomalies per severity as the report of the night wrote them (not as the UI shows)."""
    anomalies = pl.read_csv(
        serveur.passerelle_home / "reports" / nuit / "anomalies.csv",
        separator=";",
        infer_schema=False,
    )
    comptes = dict(anomalies.group_by("severite").len().iter_rows())
    return {s: int(comptes.get(s, 0)) for s in ("BLOQUANT", "ALERTE", "INFO")}


def test_operator_launches_a_night_from_the_ui_and_reads_the_report_metadata(
    serveur: Serveur, onglet
):
    from playwright.sync_api import expect

    page = onglet
    page.goto(serveur.url)

    # The nightly job, from the navigation.
    page.locator('a[href="/jobs"]').first.click()
    page.locator('a[href$="/jobs/nuit"]').first.click()
    expect(page.get_by_text("Process night D", exact=False)).to_be_visible(timeout=ATTENTE_MS)
    expect(page.get_by_text("passerelle/chaine: nuit")).to_be_visible(timeout=ATTENTE_MS)

    # One night, launched with clicks.
    dialogue = _dialogue_de_lancement(page, NUIT, "1 partition")
    _capture(page, "lancement-nuit.png")
    dialogue.get_by_role("button", name="Launch 1 run").click()
    expect(dialogue).to_be_hidden(timeout=ATTENTE_MS)

    # Its run, from the list of runs, until it ends.
    page.locator('a[href="/runs"]').first.click()
    page.get_by_role("link", name=re.compile(r"^run [0-9a-f]{8}$")).first.click()
    expect(page.get_by_text(f"partition: {NUIT}")).to_be_visible(timeout=ATTENTE_MS)
    fin = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).filter(visible=True).first
    expect(fin).to_be_visible(timeout=RUN_MS)
    _capture(page, "run.png")
    assert fin.inner_text() == "Success", "le run de la nuit a échoué (voir run.png)"

    # The report asset: its metadata answer "is there something for a human tonight?".
    attendus = _attendus(serveur, NUIT)
    page.goto(f"{serveur.url}/assets/rapports/rapport")
    expect(_visible(page, NUIT)).to_be_visible(timeout=ATTENTE_MS)
    for cle, severite in (
        ("anomalies_bloquantes", "BLOQUANT"),
        ("anomalies_alertes", "ALERTE"),
        ("anomalies_infos", "INFO"),
    ):
        expect(_valeur(page, cle)).to_have_text(str(attendus[severite]), timeout=ATTENTE_MS)
    expect(_valeur(page, "nuit_complete")).to_have_text("true", timeout=ATTENTE_MS)
    synthese = _valeur(page, "synthese")
    for attendu in (
        "Nuit du 04/10/2010",
        "Fichiers : complets ; flux sortants : émis",
        f"Anomalies : {attendus['BLOQUANT']} bloquantes, {attendus['ALERTE']} alertes",
    ):
        expect(synthese).to_contain_text(attendu, timeout=ATTENTE_MS)
    _capture(page, "rapport-metadonnees.png")

    # What came in: a validated flow, its counts and its quarantine preview (no values).
    ok = Ok.parse((INBOX / "GIDE_STATUTS_20101004.csv.ok").read_bytes())
    defauts = pl.read_csv(ATTENDU / "lignes_defectueuses.csv", separator=";").filter(
        (pl.col("fichier") == "GIDE_STATUTS_20101004.csv") & (pl.col("issue") == "quarantaine")
    )
    page.goto(f"{serveur.url}/assets/gide/statuts_valide")
    expect(_valeur(page, "lignes_recues")).to_have_text(str(ok.rows), timeout=ATTENTE_MS)
    quarantaine = _valeur(page, "lignes_en_quarantaine")
    expect(quarantaine).to_have_text(str(defauts.height), timeout=ATTENTE_MS)
    motif = page.get_by_text("date invalide (format attendu JJ/MM/AAAA)")
    expect(motif).to_be_visible(timeout=ATTENTE_MS)
    _capture(page, "valide-quarantaine.png")

    # Its group: one node per flow and stage, with the state of its checks.
    page.goto(f"{serveur.url}/locations/pipelines.definitions/asset-groups/gide/lineage")
    for noeud in ("statuts_recu", "statuts_valide", "traitements_alerte_valide"):
        expect(_visible(page, noeud)).to_be_visible(timeout=ATTENTE_MS)
    chargement = page.get_by_text(re.compile(r"^Loading")).filter(visible=True)
    expect(chargement).to_have_count(0, timeout=ATTENTE_MS)
    _capture(page, "groupe-gide.png")

    # The asset graph, groups per system and stage, once the statuses are loaded.
    page.locator('a[href="/asset-groups"]').first.click()
    for groupe in ("gide", "cotraitance", "sortants_p3", "rapports"):
        expect(_visible(page, groupe)).to_be_visible(timeout=ATTENTE_MS)
    expect(page.get_by_text("fetching statuses", exact=False)).to_have_count(0, timeout=ATTENTE_MS)
    _capture(page, "graphe.png")


def test_backfill_from_the_asset_graph_runs_nights_in_date_order_one_at_a_time(
    serveur: Serveur, onglet
):
    from playwright.sync_api import expect

    page = onglet
    page.goto(serveur.url)
    page.locator('a[href="/asset-groups"]').first.click()
    intervalle = f"[{RATTRAPAGE[0]}...{RATTRAPAGE[-1]}]"
    dialogue = _dialogue_de_lancement(page, intervalle, f"{len(RATTRAPAGE)} partitions")
    dialogue.get_by_role("button", name="Launch backfill").click()
    expect(dialogue).to_be_hidden(timeout=ATTENTE_MS)

    page.locator('a[href="/runs"]').first.click()
    page.locator('a[href="/runs?view=backfills"]').first.click()
    # The backfill's status icon once it has ended (run_with_subruns marks the backfill itself).
    fin = page.get_by_role("img", name=re.compile(r"^run_(?!with_subruns$)\w+$")).first
    expect(fin).to_be_visible(timeout=RATTRAPAGE_MS)
    _capture(page, "rattrapage.png")
    statut = fin.get_attribute("aria-label") or fin.get_attribute("alt") or ""
    assert statut == "run_success", f"rattrapage terminé en {statut} (voir rattrapage.png)"

    # The order is read from Dagster's own records of the runs.
    with dg.DagsterInstance.from_config(str(serveur.dagster_home)) as instance:
        runs = [
            r
            for r in instance.get_run_records()
            if r.dagster_run.tags.get("dagster/backfill") is not None
        ]
    runs.sort(key=lambda r: r.create_timestamp)
    nuits = [r.dagster_run.tags.get("dagster/asset_partition_range_start") for r in runs]
    assert nuits == RATTRAPAGE, "une nuit par run, soumises dans l'ordre des dates"
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    for avant, apres in itertools.pairwise(runs):
        assert avant.end_time is not None and apres.start_time is not None
        assert apres.start_time >= avant.end_time, "deux nuits ne tournent jamais ensemble"


def test_operator_reads_the_stock_reconciliation_metadata(serveur: Serveur, onglet):
    """After the backfill: the latest night (06/10) still compares the stocks of 05/10 (R1)."""
    from playwright.sync_api import expect

    derniere = RATTRAPAGE[-1]
    divergences = pl.read_csv(
        serveur.passerelle_home / "reports" / derniere / "rapprochement.csv",
        separator=";",
        infer_schema=False,
    )
    assert divergences.height > 0
    page = onglet
    page.goto(f"{serveur.url}/assets/cotraitance/rapprochement")
    expect(_visible(page, derniere)).to_be_visible(timeout=ATTENTE_MS)
    expect(_valeur(page, "divergences")).to_have_text(str(divergences.height), timeout=ATTENTE_MS)
    synthese = _valeur(page, "synthese")
    for stock in ("GIDE_STOCK_20101005.csv", "P3_STOCK_20101005.csv", "DUDE_STOCK_20101005.csv"):
        expect(synthese).to_contain_text(stock, timeout=ATTENTE_MS)
    _capture(page, "rapprochement-metadonnees.png")
