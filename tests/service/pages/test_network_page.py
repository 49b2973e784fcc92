"""``/reseau`` in Chromium on the Gard demo: the territory's network with its brokers
highlighted, isolated shelters, suggested partnerships drawn dashed, the employers approached by
several structures with the suggested referent, orientation counts on the edges; each figure
with its sentence; a map fitted to the network; no console error and no horizontal overflow at
1280 and 390 px; screenshots in ``test-artifacts/screenshots/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.service.pages.test_browser import VIEWPORTS, Demo, Visit, log_in, open_tab

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.db, pytest.mark.slow]

FITTED = """() => {
  const map = maillage.maps.carte;
  const drawn = [];
  map.eachLayer((layer) => {
    if (layer.getLatLng && layer.options.className) drawn.push(layer.getLatLng());
  });
  const view = map.getBounds();
  const inside = drawn.filter((p) => view.contains(p)).length;
  return { drawn: drawn.length, inside: inside, zoom: map.getZoom() };
}"""

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _dash(visit: Visit, selector: str) -> str | None:
    return visit.page.locator(selector).first.get_attribute("stroke-dasharray")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_viewer_sees_brokers_suggested_links_employers_and_flows(
    browser: Browser, demo_server: Demo, viewport: str
) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS[viewport])
    try:
        log_in(visit, demo_server.viewer_email, "/reseau")
        page = visit.page
        page.wait_for_selector("#carte path.noeud-courtier")
        # brokers: highlighted on the map, listed with their sentence
        brokers = page.locator("#carte path.noeud-courtier")
        assert 1 <= brokers.count() <= 5
        assert page.locator("#courtiers .broker-list li").count() >= 1
        assert "intermédiarité" in page.inner_text("#courtiers").lower()
        # isolated shelters in red, suggested partnerships dashed
        assert page.locator("#carte path.noeud-isole").count() >= 4
        suggested = page.locator("#carte path.lien-suggere")
        assert suggested.count() >= 4
        assert _dash(visit, "#carte path.lien-suggere")
        assert page.locator("#suggestions .suggestion-list > li").count() >= 4
        # employers approached by several structures, each with a referent
        employers = page.locator("#employeurs .employer-list > li")
        assert employers.count() >= 1
        assert "Interlocuteur proposé" in employers.first.inner_text()
        # flows: thick edges, and the table of the largest volumes, exact when signed in
        assert page.locator("#carte path.lien-flux").count() >= 10
        flows = page.inner_text("#flux")
        assert "jamais une personne" in flows
        assert "moins de" not in flows
        # every figure says what it means
        notes = page.locator("#chiffres .figure .figure-note")
        assert notes.count() >= 8
        assert all(len(text) > 30 for text in notes.all_inner_texts())
        # the map is fitted to the network
        fitted = page.evaluate(FITTED)
        assert fitted["drawn"] > 50
        assert fitted["inside"] >= 0.95 * fitted["drawn"], fitted
        assert page.evaluate(OVERFLOW) <= 1, f"/reseau déborde en largeur ({viewport})"
        visit.shot(f"reseau-territoire-{viewport}")
        visit.check_clean()
    finally:
        visit.page.context.close()


def test_without_a_session_counts_are_masked_and_the_analyses_ask_to_log_in(tab: Visit) -> None:
    tab.open("/reseau")
    page = tab.page
    assert page.locator("#chiffres .login-required").count() == 1
    assert "Connectez-vous" in page.inner_text("#courtiers")
    assert page.locator("#carte path.noeud-isole").count() >= 4
    flows = page.inner_text("#flux")
    assert "Sans connexion, un compte de 1 à 4 est masqué" in flows
    assert page.locator("#flux table tbody tr").count() >= 5
    assert page.evaluate(OVERFLOW) <= 1
    tab.shot("reseau-anonyme")


def test_a_structure_shows_the_orientations_of_its_relations(tab: Visit, demo_server: Demo) -> None:
    log_in(tab, demo_server.viewer_email, f"/reseau?partenaire={demo_server.amina_chrs}")
    page = tab.page
    page.wait_for_selector("#reseau h3")
    assert page.locator("#vue-territoire").is_visible()
    assert page.locator("#reseau .flow-note").count() >= 1
    assert "orientations reçues" in page.inner_text("#reseau")
    page.click("#vue-territoire")
    page.wait_for_selector("#carte path.noeud-courtier")
    assert "partenaire=" not in page.url
