"""`rapport.html` in headless Chromium: charts drawn, nothing fetched, printable.

Debian's Chromium (/usr/bin/chromium) is driven by Playwright; no browser is downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import reporting
from tests.rapport_scenario import contenu

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


@pytest.fixture(scope="module")
def page_rapport(tmp_path_factory):
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Chromium absent (make system-deps l'installe)")
    sync_api = pytest.importorskip("playwright.sync_api")
    dossier = tmp_path_factory.mktemp("html")
    html = next(p for p in reporting.ecrire_rapport(dossier, contenu()) if p.suffix == ".html")
    url = html.resolve().as_uri()
    routees: list[str] = []  # seen by the interception of every request
    vues: list[str] = []  # every request event of the page
    with sync_api.sync_playwright() as p:
        navigateur = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profil")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1366, "height": 900},
        )
        try:

            def intercepter(route, requete):
                routees.append(requete.url)
                if requete.url == url:
                    route.continue_()
                else:
                    route.abort()

            navigateur.route("**/*", intercepter)
            page = navigateur.new_page()
            page.on("request", lambda r: vues.append(r.url))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(200)  # let anything deferred start, if the page had any
            yield page, url, (routees, vues)
        finally:
            navigateur.close()


def test_rapport_html_ne_charge_rien_d_autre_que_lui_meme(page_rapport):
    _, url, (routees, vues) = page_rapport
    assert routees == [url]
    assert vues == [url]


def test_rapport_html_graphiques_dessines(page_rapport):
    page, _, _ = page_rapport
    tailles = page.eval_on_selector_all(
        "svg",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
    )
    assert len(tailles) == 27 + 2  # nation and 26 regions, stock, anomalies
    assert all(w > 100 and h > 100 for w, h in tailles)
    for graphique in ("#graphique-stock", "#graphique-anomalies"):
        barres = page.eval_on_selector_all(
            f"{graphique} rect.barre",
            "els => els.map(e => e.getBoundingClientRect()).map(r => r.width * r.height)",
        )
        assert barres and all(s > 0 for s in barres), graphique
    cumul = page.eval_on_selector_all(
        "#graphique-entrees polyline.cumul", "els => els.map(e => e.getBBox().width)"
    )
    assert cumul and max(cumul) > 0


def test_rapport_html_contenu_en_francais_et_tableaux(page_rapport):
    page, _, _ = page_rapport
    assert page.title().startswith("Passerelle : rapport de rapprochement de la nuit du 04/10/2010")
    assert "rien n'a été émis" in page.inner_text("header")
    assert page.locator("#anomalies tbody tr").count() > 10
    assert page.locator("#qualite tbody tr.BLOQUANT").count() == 2


def test_rapport_html_imprimable(page_rapport):
    page, _, _ = page_rapport
    page.emulate_media(media="print")
    try:
        assert not page.locator("nav").is_visible()
        assert page.locator("#graphique-stock svg").is_visible()
    finally:
        page.emulate_media(media="screen")
