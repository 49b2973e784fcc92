"""/carte for an official of the DDETS, in Chromium (Debian's, driven by Playwright): a family of
actors, the communes that reach nothing drawn in the worst class with their own legend entry,
the commune panel in French beside the map, a demand from Filosofi's age bands, the view reset
when the question changes, the CSV for French Excel, and no horizontal overflow at 390 px nor
at 1280 px. Screenshots in ``test-artifacts/screenshots/carte-ddets-*.png``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.orm import Session

from service.accounts.users import create_account
from service.db import make_engine
from tests.conftest import SHARED
from tests.service.pages.test_browser import (
    PASSWORD,
    SCREENSHOTS,
    TIMEOUT_MS,
    VIEWPORTS,
    Visit,
    log_in,
    open_tab,
    serving,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.db, pytest.mark.slow]

FILOSOFI = SHARED / "data" / "population" / "ales_filosofi2019_1km.csv"
WORST = "#bd0026"  # the colour of « Aucune structure atteignable »
NO_DATA = "#d1d5db"
QUESTION = {"category": "garde-enfants", "mode": "walk", "max_minutes": 20, "zones": "communes"}
API_WORDS = re.compile(
    r"zone_id|zone id|nearest|site_id|aucun-site-atteignable|offre-faible|reachable|covered"
    r"|e2sfca|two_sfca|\bdemand\b|\bgap\b|null|undefined|NaN|\bTrue\b|\bFalse\b"
)


@dataclass(frozen=True)
class Territory:
    url: str
    viewer_email: str


@pytest.fixture(scope="module")
def filosofi_server(writable_demo_url: str) -> Iterator[Territory]:
    """The Gard demo with the Filosofi grid around Alès imported (``maillage import filosofi``:
    layers ``filosofi`` and ``enfants_0_3``) and an official of the DDETS (role viewer)."""
    if not FILOSOFI.exists():
        pytest.skip(f"{FILOSOFI} absent : données partagées introuvables")
    from service.coverage.layers import import_filosofi

    engine = make_engine(writable_demo_url)
    email = f"ddets-{uuid.uuid4().hex[:8]}@navigateur.example.org"
    with Session(engine) as session:
        import_filosofi(session, FILOSOFI)
        create_account(session, email=email, display_name="Camille Ddets (test)", role="viewer",
                       organisation_id=None, password=PASSWORD)  # fmt: skip
        session.commit()
    engine.dispose()
    with serving(writable_demo_url) as base:
        yield Territory(base, email)


def settled(visit: Visit) -> None:
    """Wait until the page has drawn the last question asked (each change asks one)."""
    visit.page.wait_for_function(
        "() => document.body.dataset.drawn === String(maillage.carte.state.generation)",
        timeout=TIMEOUT_MS,
    )


def api(visit: Visit, path: str, **params: Any) -> Any:
    """What the page itself can ask of the API with the session of the person logged in."""
    return visit.page.evaluate(
        "([path, params]) => maillage.api(path + maillage.query(params))", [path, params]
    )


WIDEST = """(width) => Array.from(document.querySelectorAll('body *'))
  .filter((e) => e.getBoundingClientRect().right > width)
  .slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' '
                   + Math.round(e.getBoundingClientRect().right))"""


def no_overflow(visit: Visit, width: int) -> None:
    """``document.documentElement.scrollWidth <= width``, or say which elements stick out."""
    scroll = visit.page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, visit.page.evaluate(WIDEST, width)


def french_minutes(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0").replace(".", ",") + " min"


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


ZONE_FILLS = """() => Array.from(document.querySelectorAll('#carte path.zone'))
  .map((p) => [p.classList.contains('zone-nothing'), p.getAttribute('fill')])"""

ZOOM_TO = """([lat, lon]) => new Promise((resolve) => {
  const map = maillage.maps.carte;
  map.once('moveend', () => resolve(true));
  map.setView([lat, lon], 12, { animate: false });
})"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_ddets_official_maps_a_family_with_a_french_panel_and_a_demand(
    browser: Browser, filosofi_server: Territory, viewport: str
) -> None:
    width = VIEWPORTS[viewport][0]
    visit = open_tab(browser, filosofi_server.url, VIEWPORTS[viewport])
    try:
        page = visit.page
        log_in(visit, filosofi_server.viewer_email, "/carte")
        settled(visit)
        fitted_zoom = page.evaluate("() => maillage.maps.carte.getZoom()")

        # families first, then kinds grouped by family, in French
        groups = page.locator("#categorie optgroup")
        assert groups.nth(0).get_attribute("label") == "Familles (tous leurs types d'acteurs)"
        assert "Garde d’enfants" in groups.nth(0).inner_text()
        assert groups.count() >= 10
        assert (groups.nth(1).get_attribute("label") or "").startswith("Types : ")

        # a family, on foot, in 20 minutes: each change redraws
        page.select_option("#categorie", "garde-enfants")
        page.select_option("#mode", "walk")
        page.fill("#minutes", "20")
        page.click("#couverture button[type=submit]")
        settled(visit)
        resume = page.inner_text("#couverture-resume")
        assert re.search(r"[0-9,]+ % de la population atteint .* en moins de 20 min à pied", resume)
        assert "structures de garde d'enfants" in resume
        coverage = api(visit, "/v1/coverage", **QUESTION)
        nothing = {
            f["properties"]["zone_id"]
            for f in coverage["features"]
            if f["properties"]["covered"] == 0
        }
        assert nothing, "some communes of the Gard reach no crèche in 20 minutes on foot"

        # the communes that reach nothing: the worst colour, their own legend entry, no grey
        fills = page.evaluate(ZONE_FILLS)
        assert len(fills) == len(coverage["features"])
        assert sum(1 for worst, _ in fills if worst) == len(nothing)
        assert all(fill == WORST for worst, fill in fills if worst)
        assert all(fill not in (WORST, NO_DATA) for worst, fill in fills if not worst)
        legend = page.locator("#legende")
        entry = legend.locator("li.legend-nothing")
        assert entry.inner_text() == "Aucune structure atteignable"
        assert entry.locator(".swatch").evaluate("s => s.style.backgroundColor") == rgb(WORST)
        assert "sans donnée" not in legend.inner_text()
        assert "en moins de 20 min à pied" in legend.inner_text()
        # the sentence that explains the indicator is the API's
        explanation = page.inner_text("#explication")
        assert explanation == coverage["metadata"]["e2sfca_explanation"]
        assert explanation.startswith("Accessibilité E2SFCA : combien de places sont à portée")

        # a commune that reaches nothing, clicked on the map: its panel, in French
        gaps = api(visit, "/v1/gaps", **QUESTION)["items"]
        gap = next(g for g in gaps if g["zone_id"] in nothing and g["nearest_minutes"] is not None)
        page.evaluate(ZOOM_TO, [gap["lat"], gap["lon"]])
        page.locator("#carte").scroll_into_view_if_needed()
        x, y = visit.map_point(gap["lon"], gap["lat"])
        page.mouse.click(x, y)
        page.wait_for_selector("#zone h3")
        assert page.inner_text("#zone h3") == gap["zone_name"]
        panel = page.inner_text("#zone")
        assert not API_WORDS.search(panel), panel
        minutes = french_minutes(gap["nearest_minutes"])
        assert f"{gap['nearest_site_name']} — {minutes} à pied" in panel
        assert f"est à {minutes}" in panel  # the gap's sentence says the same minutes
        assert "Aucune structure atteignable dans le temps choisi" in panel
        assert "Habitants" in panel
        assert "aucune structure atteignable" in panel  # within the 20 minutes
        assert re.search(r"Accessibilité E2SFCA\s+0 place pour 1 000 habitants", panel)
        no_overflow(visit, width)
        box = page.locator("#zone").bounding_box()
        map_box = page.locator("#carte").bounding_box()
        assert box is not None
        assert map_box is not None
        if width >= 1280:  # beside the map
            assert box["x"] >= map_box["x"] + map_box["width"]
            assert box["y"] < map_box["y"] + map_box["height"]
        else:  # below it on a phone
            assert box["y"] >= map_box["y"] + map_box["height"]
        visit.shot(f"carte-ddets-commune-{viewport}", full_page=False)
        page.locator("#zone").scroll_into_view_if_needed()
        visit.shot(f"carte-ddets-panneau-{viewport}")

        # another demand: children aged 0 to 3 from Filosofi; the stale panel goes, the map
        # is fitted to the territory again
        option = page.locator("#demande option[value=enfants_0_3]")
        assert option.inner_text() == "Enfants de 0 à 3 ans (Filosofi, Insee)"
        assert option.is_enabled()
        page.select_option("#demande", "enfants_0_3")
        settled(visit)
        assert page.locator("#zone h3").count() == 0
        assert "Cliquez sur une commune" in page.inner_text("#zone")
        assert page.evaluate("() => maillage.maps.carte.getZoom()") == fitted_zoom
        resume = page.inner_text("#couverture-resume")
        assert "de la demande « enfants de 0 à 3 ans (Filosofi, Insee) »" in resume
        assert "pour 1 000 enfants de 0 à 3 ans" in page.inner_text("#explication")
        indicators = page.locator("#indicateur option").all_inner_texts()
        assert "Enfants de 0 à 3 ans (Filosofi, Insee)" in indicators
        # the E2SFCA: the communes that reach nothing keep the worst class; those outside the
        # Filosofi grid (around Alès only) have no data, and only they are grey
        page.select_option("#indicateur", "e2sfca")
        children = api(visit, "/v1/coverage", **QUESTION, demand="enfants_0_3")["features"]
        unknown = {
            f["properties"]["zone_id"]
            for f in children
            if f["properties"]["e2sfca"] is None and f["properties"]["covered"] == 1
        }
        assert "30007" not in unknown  # Alès lies in the grid
        assert unknown, "some communes that reach a crèche lie outside the Filosofi grid"
        fills = page.evaluate(ZONE_FILLS)
        assert all(fill == WORST for worst, fill in fills if worst)
        assert sum(1 for worst, _ in fills if worst) == len(nothing)
        assert sum(1 for _, fill in fills if fill == NO_DATA) == len(unknown)
        assert all(fill != WORST for worst, fill in fills if not worst)
        legend_text = page.inner_text("#legende")
        assert legend_text.startswith("Accessibilité E2SFCA")
        assert "Aucune structure atteignable" in legend_text
        assert "sans donnée" in legend_text
        assert "en places pour 1 000 enfants de 0 à 3 ans (Filosofi, Insee)" in legend_text
        page.locator("#legende").screenshot(
            path=str(SCREENSHOTS / f"carte-ddets-legende-{viewport}.png")
        )
        page.fill("#zone-commune", "Alès (30007)")
        page.dispatch_event("#zone-commune", "change")
        page.wait_for_selector("#zone h3")
        panel = page.inner_text("#zone")
        assert re.search(r"Enfants de 0 à 3 ans \(Filosofi, Insee\)\s+[1-9][0-9\u202f ]*", panel)
        assert not API_WORDS.search(panel), panel
        no_overflow(visit, width)
        centre = page.evaluate("() => maillage.maps.carte.getCenter()")
        assert abs(centre["lng"] - 4.08) < 0.1  # the map went to Alès
        assert abs(centre["lat"] - 44.13) < 0.1
        page.locator("#carte").screenshot(
            path=str(SCREENSHOTS / f"carte-ddets-ales-{viewport}.png")
        )
        page.evaluate("window.scrollTo(0, 0)")
        visit.shot(f"carte-ddets-enfants-{viewport}")

        # the CSV for French Excel, beside the plain one
        assert page.inner_text("#export-csv-fr") == "CSV (Excel français)"
        with page.expect_download() as download:
            page.click("#export-manques-fr")
        name = download.value.suggested_filename
        assert name == "manques-garde-enfants-walk-20min-communes.excel-fr.csv"
        content = Path(download.value.path()).read_bytes()
        assert content.startswith(b"\xef\xbb\xbf")
        header, first, *_ = content.decode("utf-8-sig").splitlines()
        assert header.startswith("rank;zone_id;zone_name;kind;severity;people_affected")
        assert re.match(r"1;[0-9]{5};[^;]+;[a-z-]+;[0-9]+,[0-9]+;", first)
        no_overflow(visit, width)
    finally:
        visit.page.context.close()
    visit.check_clean()


def test_a_demand_not_loaded_is_shown_disabled_with_its_reason(
    browser: Browser, demo_server: Any
) -> None:
    """The demo imports no Filosofi grid: « Enfants de 0 à 3 ans » is offered, disabled, and
    the page says why in French."""
    visit = open_tab(browser, demo_server.url, VIEWPORTS["telephone"])
    try:
        page = visit.page
        log_in(visit, demo_server.viewer_email, "/carte")
        option = page.locator("#demande option[value=enfants_0_3]")
        assert option.inner_text() == "Enfants de 0 à 3 ans (Filosofi, Insee) — non chargée"
        assert option.is_disabled()
        assert page.locator("#demande option[value=ahi]").is_enabled()
        note = page.inner_text("#demande-note")
        reason = "aucune population carroyée Filosofi chargée"
        assert f"« Enfants de 0 à 3 ans (Filosofi, Insee) » : {reason}" in note
        assert note.startswith("Demandes non disponibles ici — ")
        no_overflow(visit, VIEWPORTS["telephone"][0])
    finally:
        visit.page.context.close()
    visit.check_clean()
