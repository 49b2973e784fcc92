"""The pages in a real browser: Debian's chromium driven by Playwright, on the Gard demo.

The app runs with uvicorn in a background thread on a socket bound to a free port. Chromium is
the system one (``/usr/bin/chromium``, through ``executable_path``): Playwright never downloads
a browser here. Every page must load without a console error and without a request to another
origin; screenshots at 1280×900 and 390×844 go to ``test-artifacts/screenshots/``.

Without chromium these tests are skipped, except when ``CI`` or ``MAILLAGE_REQUIRE_DB`` is set:
then they fail (and skipped database tests fail the run anyway, see ``conftest.py``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts.users import create_account
from service.db import make_engine
from service.pages.routes import PAGES
from service.store.records import point
from service.tables import Partner
from tests.conftest import ALES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route

pytestmark = [pytest.mark.db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--lang=fr-FR",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORTS = {"bureau": (1280, 900), "telephone": (390, 844)}
TIMEOUT_MS = 30_000


def _required() -> bool:
    return bool(os.environ.get("MAILLAGE_REQUIRE_DB") or os.environ.get("CI"))


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"{reason} alors que les tests navigateur sont exigés (CI)")
    pytest.skip(reason)


# -- the server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    url: str
    platform_email: str  # a person with the platform role (a counsellor): logs in, no key
    viewer_email: str  # a person with the viewer role (an official of the DDETS)
    amina_chrs: str  # id of the CHRS nearest to Alès town hall
    platform: str  # id of the demo's job-mediation platform (like TESA)


PASSWORD = "mot de passe du navigateur"


@pytest.fixture(scope="module")
def demo_server(demo_url: str) -> Iterator[Demo]:
    """The app on the demo database, served by uvicorn in a thread until the module ends."""
    engine = make_engine(demo_url)
    suffix = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        for role in ("platform", "viewer"):
            create_account(
                session,
                email=f"{role}-{suffix}@navigateur.example.org",
                display_name=f"Dominique {role.capitalize()} (test)",
                role=role,
                organisation_id=None,
                password=PASSWORD,
            )
        session.commit()
        chrs = session.scalar(
            select(Partner.id)
            .where(Partner.kind == "chrs")
            .order_by(func.ST_Distance(Partner.geom, point(*ALES)))
        )
        platform = session.scalar(select(Partner.id).where(Partner.kind == "plateforme-emploi"))
    engine.dispose()
    assert chrs is not None
    assert platform is not None

    with serving(demo_url) as base:
        yield Demo(
            base,
            f"platform-{suffix}@navigateur.example.org",
            f"viewer-{suffix}@navigateur.example.org",
            str(chrs),
            str(platform),
        )


@contextmanager
def serving(database_url: str, **settings: Any) -> Iterator[str]:
    """The app on ``database_url`` (with ``settings``) served by uvicorn in a thread (its base
    URL) until exit."""
    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(env="test", database_url=database_url, **settings))
    with serve_app(app) as base:
        yield base


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread, on a free port (its base URL), until exit."""
    import uvicorn

    config = uvicorn.Config(
        app, log_level="warning", access_log=False, log_config=None, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("le serveur de test n'a pas démarré")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


# -- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"chromium absent ({CHROMIUM}) : apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("le paquet Python playwright n'est pas installé (extra dev)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Visit:
    """A browser tab on the demo server, recording what would be a failure."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def open(self, path: str, *, ready: bool = True) -> None:
        self.page.goto(self.base + path)
        if ready:
            self.page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT_MS)

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 10_000
        return path

    def map_point(self, lon: float, lat: float, map_id: str = "carte") -> tuple[float, float]:
        """Page coordinates of a lon/lat on a Leaflet map of the page."""
        x, y = self.page.evaluate(
            "([id, lat, lon]) => { const p = maillage.maps[id].latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }",
            [map_id, lat, lon],
        )
        box = self.page.locator(f"#{map_id}").bounding_box()
        assert box is not None
        return box["x"] + x, box["y"] + y

    def check_clean(self) -> None:
        assert not self.errors, "erreurs dans la console :\n" + "\n".join(self.errors)
        assert not self.foreign, "requêtes vers une autre origine : " + ", ".join(self.foreign)


def log_in(visit: Visit, email: str, then: str) -> None:
    """Log in on /connexion as a person does (no key anywhere), landing on ``then``."""
    page = visit.page
    page.goto(visit.base + "/connexion?suite=" + then)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#connexion button[type=submit]")
    page.wait_for_url(visit.base + then)
    page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT_MS)
    assert "Se déconnecter" in page.inner_text("header")


def open_tab(browser: Browser, base: str, viewport: tuple[int, int]) -> Visit:
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]},
        locale="fr-FR",
        timezone_id="Europe/Paris",
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    visit = Visit(context.new_page(), base)
    origin = urlsplit(base).netloc

    def route(r: Route) -> None:
        if urlsplit(r.request.url).netloc != origin:
            visit.foreign.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def response(r: Response) -> None:
        if r.status >= 400:
            visit.errors.append(f"HTTP {r.status} : {r.request.method} {r.url}")

    context.route(re.compile(r"^https?://"), route)
    visit.page.on("console", console)
    visit.page.on("pageerror", lambda exc: visit.errors.append(f"exception : {exc}"))
    visit.page.on("response", response)
    return visit


@pytest.fixture
def tab(browser: Browser, demo_server: Demo) -> Iterator[Visit]:
    visit = open_tab(browser, demo_server.url, VIEWPORTS["bureau"])
    try:
        yield visit
    finally:
        visit.page.context.close()
    visit.check_clean()


# -- every page ---------------------------------------------------------------------------------

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((c) => c.type !== 'hidden' && c.offsetParent !== null)
  .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
                 && !c.getAttribute('aria-labelledby'))
  .map((c) => c.id || c.name || c.outerHTML.slice(0, 80))"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("path", [path for path, *_ in PAGES])
def test_each_page_loads_cleanly_and_is_screenshotted(
    browser: Browser, demo_server: Demo, path: str, viewport: str
) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS[viewport])
    try:
        visit.open(path)
        page = visit.page
        assert page.evaluate("document.documentElement.lang") == "fr"
        assert page.evaluate(UNLABELLED) == []
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} déborde de {overflow} px en largeur ({viewport})"
        assert "Partenaires de démonstration fictifs" in page.inner_text("footer")
        name = next(p[1] for p in PAGES if p[0] == path)
        visit.shot(f"{name}-{viewport}")
        visit.check_clean()
    finally:
        visit.page.context.close()


CONTRAST = """([selector, backgroundOf]) => {
  const node = document.querySelector(selector);
  if (!node) return null;
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  let bg = document.querySelector(backgroundOf || selector);
  let colour = null;
  while (bg) {
    const c = parse(getComputedStyle(bg).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { colour = c; break; }
    bg = bg.parentElement;
  }
  return { fg: parse(getComputedStyle(node).color), bg: colour || [255, 255, 255] };
}"""


def luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[float], bg: list[float]) -> float:
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_contrast_meets_rgaa(tab: Visit) -> None:
    """Body text and the other text styles against their background: at least 4.5:1."""
    checks = {
        "/": ["body", ".lead", ".figure-label", ".nav-list a", ".site-footer p", ".demo-banner"],
        "/partenaires": ["body", "label", ".hint", ".button-primary"],
        "/orientation": ["body", "legend", ".hint"],
        "/carte": ["body", ".notice", ".legend-title"],
    }
    for path, selectors in checks.items():
        tab.open(path)
        for selector in selectors:
            colours = tab.page.evaluate(CONTRAST, [selector, None])
            assert colours is not None, f"{path} {selector} absent"
            ratio = contrast(colours["fg"], colours["bg"])
            assert ratio >= 4.5, f"{path} {selector} : contraste {ratio:.2f}:1"


# -- /partenaires -------------------------------------------------------------------------------


def result_minutes(visit: Visit) -> list[float]:
    texts = visit.page.locator("#resultats .result .minutes").all_inner_texts()
    return [float(re.sub(r"[^\d,]", "", t).replace(",", ".") or 0) for t in texts]


def test_partner_search_by_the_form_lists_and_maps_reachable_partners(tab: Visit) -> None:
    tab.open("/partenaires")
    page = tab.page
    page.fill("#adresse", "Alès")
    # the list proposes the commune (its town hall) among the addresses; picking it places it
    commune = page.locator("#adresse-liste .combobox-option", has_text="départ de sa mairie")
    commune.first.click()
    assert "mairie d'Alès" in page.inner_text("#depart")
    page.select_option("#mode", "walk")
    page.fill("#minutes", "20")
    page.press("#minutes", "Enter")
    page.wait_for_selector("#resultats .result")
    assert "mairie d'Alès" in page.inner_text("#depart")
    items = page.locator("#resultats .result")
    assert items.count() >= 5
    minutes = result_minutes(tab)
    assert len(minutes) == items.count()
    assert all(m <= 20 for m in minutes)
    assert minutes == sorted(minutes)
    assert "à moins de 20 min à pied" in page.inner_text("#resume")
    assert page.locator("#resultats .badge-estimate").count() > 0  # no network in the demo
    # markers: one circle per result, plus the starting point
    markers = page.locator("#carte .leaflet-overlay-pane path.leaflet-interactive")
    assert markers.count() == items.count() + 1
    assert page.locator("#carte .map-legend").count() == 1
    # each card gets its opening hours, contact and existing partnerships
    page.wait_for_function(
        "() => document.querySelectorAll('#resultats .details[aria-busy=true]').length === 0"
    )
    text = page.inner_text("#resultats")
    assert "Horaires" in text
    assert "Contact" in text
    assert "Déjà partenaire de" in text
    assert re.search(r"places? disponibles?|Aucune place disponible", text)
    tab.shot("partenaires-recherche")


def test_partner_search_by_a_click_on_the_map(tab: Visit) -> None:
    tab.open("/partenaires")
    page = tab.page
    page.select_option("#mode", "bike")
    page.fill("#minutes", "15")
    x, y = tab.map_point(*ALES)
    page.mouse.click(x, y)
    page.wait_for_selector("#resultats .result")
    assert "point choisi sur la carte" in page.inner_text("#depart")
    assert page.locator("#resultats .result").count() >= 5
    assert all(m <= 15 for m in result_minutes(tab))
    assert "à vélo" in page.inner_text("#resultats .result .travel >> nth=0")
    markers = page.locator("#carte .leaflet-overlay-pane path.leaflet-interactive")
    assert markers.count() == page.locator("#resultats .result").count() + 1
    tab.shot("partenaires-clic-carte", full_page=False)
    # a card leads to its marker's popup, and the popup back to the card
    second = page.locator("#resultats .result").nth(1)
    second.get_by_role("button", name="Voir sur la carte").click()
    popup = page.locator("#carte .leaflet-popup-content")
    assert second.locator("h3").inner_text().strip() in popup.inner_text()
    popup.get_by_role("button", name="Voir dans la liste").click()
    page.wait_for_selector("#resultats .result-active")
    assert page.evaluate("document.activeElement.dataset.rank") == "2"


# -- /carte -------------------------------------------------------------------------------------


FAR_FROM_THE_OFFER = """async () => {
  const map = maillage.maps.carte;
  const points = [];
  map.eachLayer((layer) => {
    if (layer instanceof L.CircleMarker && layer.options.pane === 'partenaires') {
      points.push(layer.getLatLng());
    }
  });
  const communes = await maillage.communes();
  const far = communes.features.map((f) => f.properties).find((p) =>
    points.every((q) => map.distance([p.lat, p.lon], q) > 5000));
  return [far.name, far.code_insee, far.lon, far.lat];
}"""


def test_coverage_map_draws_the_communes_with_a_legend_and_exports(tab: Visit) -> None:
    tab.open("/carte")
    page = tab.page
    zones = page.locator("#carte .leaflet-overlay-pane path.leaflet-interactive")
    assert zones.count() >= 350  # the Gard's communes
    legend = page.locator("#legende")
    assert "Population (Insee)" in legend.inner_text()
    assert legend.locator("li").count() == 5
    offer = page.locator("#carte .leaflet-partenaires-pane path")
    assert offer.count() > 0  # the crèches AVIP of the demo
    assert "Crèches à Vocation" in page.inner_text("#carte")
    # the ranked gaps wait for the coverage API, and say so
    assert "classement des manques" in page.inner_text("#manques")
    # a click on a zone gives its figures: at the town hall of a commune far from any point
    name, code, lon, lat = page.evaluate(FAR_FROM_THE_OFFER)
    x, y = tab.map_point(lon, lat)
    page.mouse.click(x, y)
    page.wait_for_function("() => document.querySelector('#zone h3') !== null")
    assert page.inner_text("#zone h3") == name
    assert code in page.inner_text("#zone")
    assert "Population (Insee)" in page.inner_text("#zone")
    # another category redraws the offer
    page.select_option("#categorie", "aci")
    page.click("button[type=submit]")
    page.wait_for_function("() => document.querySelector('#etat').textContent.includes('Ateliers')")
    tab.shot("carte-communes")
    # exports of the displayed zones
    with page.expect_download() as download:
        page.click("#export-geojson")
    geojson = json.loads(Path(download.value.path()).read_text())
    assert download.value.suggested_filename == "zones-aci-transit-30min.geojson"
    assert len(geojson["features"]) >= 350
    with page.expect_download() as download:
        page.click("#export-csv")
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, *rows = csv.splitlines()
    assert header.split(";")[:3] == ["code_insee", "name", "population"]
    assert len(rows) >= 350
    assert any(row.startswith("30007;Alès;") for row in rows)


SHOW_COVERAGE = """async () => {
  const communes = await maillage.communes();
  const ratio = (p) => (p.code_insee === '30189' ? null : (p.population % 97) / 10);
  const coverage = { type: 'FeatureCollection', features: communes.features.map((f) => ({
    type: 'Feature', geometry: f.geometry,
    properties: { zone_id: f.properties.code_insee, name: f.properties.name,
                  ratio: ratio(f.properties) } })) };
  const indicator = { property: 'ratio', label: 'Places pour 100 parents', reverse: true };
  maillage.carte.showCoverage(coverage, [
    { zone_id: '30007', name: 'Alès', message: 'Aucune place de crèche AVIP à 30 min.',
      people: 120 },
    { zone_id: '30028', name: 'Bagnols-sur-Cèze', message: 'Offre très inférieure.',
      people: 45 },
  ], { indicator: indicator, indicators: [indicator] });
}"""


def test_the_coverage_hook_draws_an_indicator_and_the_ranked_gaps(tab: Visit) -> None:
    """The function the /v1/coverage wiring will call, fed with a synthetic indicator."""
    tab.open("/carte")
    page = tab.page
    page.evaluate(SHOW_COVERAGE)
    legend = page.locator("#legende")
    assert "Places pour 100 parents" in legend.inner_text()
    assert "sans donnée" in legend.inner_text()  # Nîmes has no value
    gaps = page.locator("#manques ol.gaps li")
    assert gaps.count() == 2
    assert "people : 120" in gaps.nth(0).inner_text()
    gaps.nth(1).locator("button").click()
    page.wait_for_function("() => document.querySelector('#zone h3') !== null")
    assert page.inner_text("#zone h3") == "Bagnols-sur-Cèze"
    assert page.inner_text("#indicateur") == "Places pour 100 parents"
    assert page.is_enabled("#export-manques")
    with page.expect_download() as download:
        page.click("#export-manques")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "zone_id;name;message;people"
    assert lines[1].startswith("30007;Alès;")
    tab.shot("carte-indicateur-branche")


def test_coverage_map_for_a_viewer_colours_the_zones_and_ranks_the_gaps(
    tab: Visit, demo_server: Demo
) -> None:
    """/carte wired to /v1/coverage and /v1/gaps: crèches AVIP on foot in 20 minutes, for an
    official logged in (viewer role): no key pasted anywhere."""
    tab.open("/carte")
    page = tab.page
    authorised: list[str] = []
    page.on(
        "request",
        lambda r: authorised.append(r.url) if r.all_headers().get("authorization") else None,
    )
    assert "Connectez-vous pour afficher la couverture" in page.inner_text("#etat")
    assert page.locator("#connexion-requise a").get_attribute("href") == "/connexion?suite=/carte"
    assert not page.is_enabled("#export-manques")
    log_in(tab, demo_server.viewer_email, "/carte")
    assert page.locator("#cle").count() == 0
    page.select_option("#categorie", "creches-avip")
    page.select_option("#mode", "walk")
    page.fill("#minutes", "20")
    page.click("#couverture button[type=submit]")
    page.wait_for_selector("#manques ol.gaps li")
    # logged in, the page drew the default coverage first: wait for the one asked for
    page.wait_for_function(
        "() => !document.querySelector('#couverture-resume').hidden &&"
        " document.querySelector('#couverture-resume').textContent.includes('20 min à pied')"
    )

    zones = page.locator("#carte .leaflet-overlay-pane path.leaflet-interactive")
    assert zones.count() >= 350
    legend = page.locator("#legende")
    assert "Temps jusqu'au site le plus proche (min)" in legend.inner_text()
    assert legend.locator("li").count() >= 2
    options = page.locator("#indicateur option").all_inner_texts()
    assert options == [
        "Temps jusqu'au site le plus proche (min)",
        "Accessibilité E2SFCA (places pour 1 000 hab.)",
        "Sites atteignables",
        "Population",
    ]
    gaps = page.locator("#manques ol.gaps li")
    assert 0 < gaps.count() <= 20  # the first ones; the CSV export has them all
    first = gaps.nth(0).locator("div").first.inner_text()
    assert "habitants" in first
    assert re.search(r"n'atteignent? aucune crèche|Offre faible de crèches", first)
    resume = page.inner_text("#couverture-resume")
    assert re.search(r"[\d,]+ % de la population atteint .* en moins de 20 min à pied", resume)
    assert page.is_enabled("#export-manques")
    with page.expect_download() as download:
        page.click("#export-manques")
    assert download.value.suggested_filename == "manques-creches-avip-walk-20min.csv"
    header, *rows = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert {"zone_id", "zone_name", "message"} <= set(header.split(";"))
    assert len(rows) >= gaps.count()
    # another indicator recolours the zones
    page.select_option("#indicateur", "e2sfca")
    assert "Accessibilité E2SFCA" in legend.inner_text()
    page.select_option("#indicateur", "nearest_minutes")
    # no key anywhere: the session cookie (HttpOnly: out of the scripts' reach) did the work
    assert authorised == []
    storage = page.evaluate(
        "() => ({session: Object.keys(sessionStorage), local: localStorage.length,"
        " cookie: document.cookie})"
    )
    assert storage == {"session": [], "local": 0, "cookie": ""}
    page.evaluate("window.scrollTo(0, 0)")
    tab.shot("carte-couverture", full_page=False)  # 1280×900: controls, map, first gaps


# -- /orientation -------------------------------------------------------------------------------


AMINA_ANSWERS = (
    "work_authorization-oui",
    "driving_licence-non",
    "vehicle-non",
    "single_parent-oui",
)


def fill_amina(visit: Visit, demo: Demo) -> None:
    """Amina (domain.md §9): CHRS in Alès, daughter aged 2, no licence, B1, RSA; retail or
    cleaning, 20–26 h a week; walks or takes the bus, 40 minutes at most."""
    page = visit.page
    page.click("#structure")
    page.keyboard.type("CHRS Alès")
    page.click(f"#structure-liste [data-key='{demo.amina_chrs}']")
    assert page.is_checked("#depart-structure")
    page.fill("#minutes-walk", "40")
    page.check("#mode-transit")
    page.fill("#minutes-transit", "40")
    page.click("#metier")
    page.keyboard.type("D1106, K2204")
    page.keyboard.press("Enter")
    page.fill("#mots-cles", "vente nettoyage")
    page.fill("#heures-min", "20")
    page.fill("#heures-max", "26")
    page.fill("#situation-age", "29")
    page.fill("#situation-children_under_3", "1")
    for answer in AMINA_ANSWERS:
        page.check(f"#situation-{answer}")
    page.select_option("#situation-french_level", "B1")
    page.select_option("#situation-job_seeker", "oui")
    page.check("#situation-rsa")


def test_orientation_for_amina_gives_explained_results_with_a_creche(
    tab: Visit, demo_server: Demo
) -> None:
    tab.open("/orientation")
    page = tab.page
    bodies: list[Any] = []
    authorised: list[str] = []
    csrf: list[str] = []

    def record(request: Request) -> None:
        if request.all_headers().get("authorization"):
            authorised.append(request.url)
        if request.url.endswith("/v1/matches"):
            bodies.append(request.post_data_json)
            csrf.append(request.all_headers().get("x-csrf-token", ""))

    page.on("request", record)
    log_in(tab, demo_server.platform_email, "/orientation")
    fill_amina(tab, demo_server)
    page.click("#orientation button[type=submit]")
    page.wait_for_selector(".match-card")

    # the form became exactly the MatchRequest body, unknowns left out
    assert bodies == [
        {
            "location": {"partner_id": demo_server.amina_chrs},
            "modes": [{"mode": "walk", "max_minutes": 40}, {"mode": "transit", "max_minutes": 40}],
            "wishes": {"rome_codes": ["D1106", "K2204"], "keywords": "vente nettoyage"},
            "situation": {
                "work_authorization": True,
                "driving_licence": False,
                "vehicle": False,
                "single_parent": True,
                "job_seeker_registered": True,
                "rsa": True,
                "age": 29,
                "children_under_3": 1,
                "french_level": "B1",
            },
            "hours_per_week": {"min": 20, "max": 26},
            "limit": 10,
        }
    ]
    # no key: the session cookie and its CSRF token, nothing stored by the page
    assert authorised == []
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    assert token
    assert csrf == [token]
    storage = page.evaluate(
        "() => ({session: Object.keys(sessionStorage), local: localStorage.length,"
        " cookie: document.cookie, url: location.href})"
    )
    assert storage == {
        "session": [],
        "local": 0,
        "cookie": "",
        "url": demo_server.url + "/orientation",
    }

    cards = page.locator(".match-card")
    assert cards.count() >= 3
    first = cards.nth(0).inner_text()
    assert "Score" in first
    assert "Pourquoi cette proposition" in first
    assert "Trajet :" in first
    creches = page.locator(".match-card .creche").all_inner_texts()
    assert creches
    assert all("Crèche" in name for name in creches)
    assert "estimé" in first
    summary = page.inner_text("#resume")
    assert re.search(r"\d+ propositions parmi \d+ offres atteignables", summary)
    results = page.inner_text("#resultats")
    assert "Appuis à mobiliser" in results
    assert "À résoudre" in results or "Aucun obstacle repéré" in results
    assert page.is_visible("#imprimer")
    tab.shot("orientation-resultats", full_page=False)  # the page scrolled to the results
    tab.shot("orientation-amina")
    page.emulate_media(media="print")
    assert not page.is_visible("#orientation")  # the print stylesheet keeps the results only
    assert page.is_visible(".match-card >> nth=0")
    tab.shot("orientation-impression")


TABBABLE = """() => {
  const all = Array.from(document.querySelectorAll(
    'a[href], button, input, select, textarea, [tabindex]'));
  const visible = (n) => n.offsetParent !== null || getComputedStyle(n).position === 'fixed';
  const seen = new Set();
  return all.filter((n) => {
    if (n.disabled || n.tabIndex < 0 || !visible(n)) return false;
    if (n.type === 'radio') {
      const group = n.form ? n.form.elements[n.name] : null;
      const checked = group && Array.from(group).find((r) => r.checked);
      if (checked ? n !== checked : seen.has(n.name)) return false;
      seen.add(n.name);
    }
    return true;
  }).map((n, i) => { n.dataset.tabOrder = String(i); return n.id || n.tagName + ':' + i; });
}"""


def test_keyboard_reaches_the_form_controls_in_order_and_enter_submits(
    tab: Visit, demo_server: Demo
) -> None:
    log_in(tab, demo_server.platform_email, "/orientation")
    page = tab.page
    # the first Tab reaches the skip link, which leads to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    order = page.evaluate(TABBABLE)
    start = order.index("depart-adresse")
    submit = page.locator("#orientation button[type=submit]")
    submit_index = int(submit.get_attribute("data-tab-order") or -1)
    assert submit_index > start
    expected = order[start : submit_index + 1]
    assert {"adresse", "structure", "mode-walk", "minutes-walk", "metier"} <= set(expected)
    assert [n for n in expected if n.startswith("situation-")][:3] == [
        "situation-work_authorization",  # the checked radio of the group: « je ne sais pas »
        "situation-age",
        "situation-french_level",
    ]
    page.focus("#depart-adresse")
    reached = []
    for _ in range(len(expected) - 1):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "() => document.activeElement.id || document.activeElement.tagName + ':' +"
                " document.activeElement.dataset.tabOrder"
            )
        )
    assert ["depart-adresse", *reached] == expected
    assert page.evaluate("document.activeElement.type") == "submit"
    # filled from the keyboard: a commune, the wishes; Enter in a field submits
    page.focus("#adresse")
    page.keyboard.type("Alès")
    page.wait_for_selector("#adresse-liste .combobox-option")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks the first proposal, the commune
    assert page.is_checked("#depart-adresse")
    page.focus("#mots-cles")
    page.keyboard.type("vente")
    page.keyboard.press("Enter")
    page.wait_for_selector(".match-card")
    assert page.locator(".match-card").count() >= 1


def test_orientation_without_a_session_says_to_log_in(tab: Visit) -> None:
    tab.open("/orientation")
    page = tab.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/matches" in r.url else None)
    assert page.locator("#cle").count() == 0
    notice = page.locator("#connexion-requise")
    assert "Connectez-vous" in notice.inner_text()
    assert notice.locator("a").get_attribute("href") == "/connexion?suite=/orientation"
    assert "Se connecter" in page.inner_text("header")
    page.click("#adresse")
    page.keyboard.type("Alès")
    page.click("#adresse-liste .combobox-option >> nth=0")
    page.click("#orientation button[type=submit]")
    assert "Connectez-vous pour demander des propositions" in page.inner_text("#resume")
    assert page.evaluate("document.activeElement.getAttribute('href')") == (
        "/connexion?suite=%2Forientation"
    )
    assert page.locator(".match-card").count() == 0
    assert asked == []  # nothing sent without a session


# -- /reseau ------------------------------------------------------------------------------------


def test_network_page_shows_a_structure_network_and_isolated_ahi(
    tab: Visit, demo_server: Demo
) -> None:
    tab.open("/reseau")
    page = tab.page
    isolated = page.locator("#isoles .isolated-list li")
    assert isolated.count() >= 4  # the demo keeps four AHI structures away from employers
    assert "SIAE la plus proche" in isolated.nth(0).inner_text()
    page.fill("#structure-recherche", "Plateforme Emploi")
    page.wait_for_selector(f"#structure option[value='{demo_server.platform}']", state="attached")
    page.select_option("#structure", demo_server.platform)
    page.click("#choix-structure button[type=submit]")
    page.wait_for_selector("#reseau h3 >> text=A pour membres")
    text = page.inner_text("#reseau")
    assert "Référent employeur de" in text
    lines = page.locator("#carte .leaflet-overlay-pane path.leaflet-interactive")
    assert lines.count() > 10
    assert "Relations" in page.inner_text("#carte .map-legend")
    assert f"partenaire={demo_server.platform}" in page.url
    tab.shot("reseau-plateforme")


# -- markup in the data -------------------------------------------------------------------------

MARKUP = "<img src=x onerror=window.__pwned=1>"
NIMES_CODE = "30189"


@dataclass(frozen=True)
class Planted:
    url: str
    partner: str  # a CHRS at Alès town hall named MARKUP, member of the demo's platform


@pytest.fixture(scope="module")
def planted_server(writable_demo_url: str) -> Iterator[Planted]:
    """A demo territory of its own where a partner and the commune of Nîmes are named MARKUP."""
    from service.store import records
    from service.tables import Commune, Relation
    from tests.conftest import partner_fields

    engine = make_engine(writable_demo_url)
    with Session(engine) as session:
        row = Partner(id=uuid.uuid4())
        records.apply_partner(row, partner_fields(name=MARKUP, at=ALES))
        session.add(row)
        records.ensure_provenance(session, row)
        platform = session.scalar(select(Partner.id).where(Partner.kind == "plateforme-emploi"))
        session.add(Relation(source_partner_id=row.id, target_partner_id=platform, kind="membre"))
        nimes = session.get(Commune, NIMES_CODE)
        assert nimes is not None
        nimes.name = MARKUP
        session.commit()
        planted = str(row.id)
    engine.dispose()
    with serving(writable_demo_url) as base:
        yield Planted(base, planted)


OPEN_MARKUP_TOOLTIPS = """async (mapId) => {
  const map = maillage.maps[mapId];
  let opened = 0;
  map.eachLayer((layer) => {
    const tip = layer.getTooltip && layer.getTooltip();
    if (tip && String(tip.getContent()).includes('__pwned')) {
      layer.openTooltip();
      opened += 1;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 300));  // an image would have failed by now
  return {
    opened: opened,
    texts: Array.from(document.querySelectorAll('.leaflet-tooltip')).map((t) => t.textContent),
    images: document.querySelectorAll('.leaflet-tooltip img, .leaflet-popup img').length,
    pwned: typeof window.__pwned,
  };
}"""


def assert_markup_shown_as_text(visit: Visit, *, at_least: int) -> None:
    seen = visit.page.evaluate(OPEN_MARKUP_TOOLTIPS, "carte")
    assert seen["opened"] >= at_least
    assert sum(MARKUP in text for text in seen["texts"]) >= seen["opened"]
    assert seen["images"] == 0
    assert seen["pwned"] == "undefined"


def test_names_with_markup_are_shown_as_text_on_every_map(
    browser: Browser, planted_server: Planted
) -> None:
    """Leaflet inserts a tooltip's string as HTML: a partner or a commune named like an image
    with a handler must read as text in every tooltip (no element, no request, no script)."""
    visit = open_tab(browser, planted_server.url, VIEWPORTS["bureau"])
    try:
        page = visit.page
        # /carte: the zones (Nîmes) and the CHRS drawn as the offer
        visit.open("/carte?categorie=chrs")
        assert_markup_shown_as_text(visit, at_least=2)
        # /partenaires: the results around Alès town hall
        visit.open("/partenaires")
        page.fill("#adresse", "Alès")
        page.select_option("#mode", "walk")
        page.fill("#minutes", "10")
        page.press("#minutes", "Enter")
        page.wait_for_selector("#resultats .result")
        assert MARKUP in page.inner_text("#resultats")
        assert_markup_shown_as_text(visit, at_least=1)
        # /reseau: the structure itself (a permanent tooltip), its relation to the platform
        visit.open(f"/reseau?partenaire={planted_server.partner}")
        page.wait_for_selector("#reseau h3")
        assert MARKUP in page.inner_text("#reseau")
        assert_markup_shown_as_text(visit, at_least=2)
        visit.shot("balisage-comme-texte", full_page=False)
    finally:
        visit.page.context.close()
    visit.check_clean()
