"""The maps' background: tiles from a configured server (``MAILLAGE_TILES_URL``, with its
attribution; the pages' Content-Security-Policy allows that host only then), and offline the
communes' names and the registered street network's roads; OpenStreetMap credited only where
its data is shown.

The tile test runs a real local HTTP server answering PNG tiles, and Chromium."""

from __future__ import annotations

import re
import struct
import threading
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.pages.routes import CONTENT_SECURITY_POLICY
from service.settings import Settings
from service.travel import LoadedNetwork, TravelService
from tests.geodata.test_roads import network
from tests.service.pages.test_browser import VIEWPORTS, Demo, open_tab, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

OSM_CREDIT = "© les contributeurs d'OpenStreetMap (ODbL)"
ATTRIBUTION = "Tuiles de test — © maillage"


def png_tile(rgb: tuple[int, int, int] = (200, 220, 190)) -> bytes:
    """A 256 × 256 PNG of one colour (what a tile server answers)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * 256
    header = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * 256))
        + chunk(b"IEND", b"")
    )


class TileServer(ThreadingHTTPServer):
    requested: list[str]


class TileHandler(BaseHTTPRequestHandler):
    server: TileServer
    TILE = png_tile()

    def do_GET(self) -> None:
        if not re.fullmatch(r"/tuiles/\d+/\d+/\d+\.png", self.path):
            self.send_error(404)
            return
        self.server.requested.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.TILE)))
        self.end_headers()
        self.wfile.write(self.TILE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    server = TileServer(("127.0.0.1", 0), TileHandler)
    server.requested = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def tiles_url(server: TileServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/tuiles/{{z}}/{{x}}/{{y}}.png"


# -- settings and headers --------------------------------------------------------------------


def test_the_tile_settings_are_checked() -> None:
    ok = Settings(tiles_url="https://tuiles.example.fr/{z}/{x}/{y}.png", tiles_attribution="IGN")
    assert ok.tiles_url is not None
    for url, attribution, message in (
        ("https://tuiles.example.fr/{z}/{x}/{y}.png", None, "ATTRIBUTION est obligatoire"),
        ("https://tuiles.example.fr/{z}/{x}.png", "IGN", "{z}, {x} et {y}"),
        ("http://tuiles.example.fr/{z}/{x}/{y}.png", "IGN", "https"),
        ("https://{s}.tile.example.fr/{z}/{x}/{y}.png", "IGN", "https"),
    ):
        with pytest.raises(ValidationError, match=re.escape(message)):
            Settings(tiles_url=url, tiles_attribution=attribution)


def test_offline_the_policy_allows_no_image_host_and_no_tiles(client: TestClient) -> None:
    response = client.get("/carte")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "img-src 'self' data:;" in CONTENT_SECURITY_POLICY
    assert "data-tiles-url" not in response.text
    assert "Fond de carte" not in response.text
    assert OSM_CREDIT not in response.text  # no OSM data shown: no street network, no tiles


def test_configured_tiles_open_the_policy_to_their_host_only(
    client: TestClient, app: FastAPI
) -> None:
    app.state.settings = Settings(
        env="test",
        tiles_url="https://data.geopf.fr/wmts?LAYER=PLANIGNV2&TILEMATRIX={z}&TILECOL={x}&TILEROW={y}",
        tiles_attribution="Plan IGN — © IGN, Géoplateforme",
    )
    response = client.get("/orientation")
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' data: https://data.geopf.fr;" in policy
    assert policy.count("https://") == 1  # scripts, styles, connections: still this origin only
    assert 'data-tiles-attribution="Plan IGN — © IGN, Géoplateforme"' in response.text
    assert "Fond de carte : Plan IGN — © IGN, Géoplateforme" in response.text
    assert OSM_CREDIT not in response.text  # IGN tiles are not OpenStreetMap data
    app.state.settings = Settings(
        env="test",
        tiles_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        tiles_attribution="© les contributeurs d'OpenStreetMap",
    )
    assert OSM_CREDIT in client.get("/").text


def test_a_street_network_is_credited_to_openstreetmap(client: TestClient, app: FastAPI) -> None:
    app.state.travel = TravelService(
        [LoadedNetwork(uuid.uuid4(), "gard", "car", (3.9, 44.0, 4.2, 44.2), network())]
    )
    html = client.get("/partenaires").text
    assert OSM_CREDIT in html
    assert 'data-streets="true"' in html


# -- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_tiles(demo_url: str, tile_server: TileServer) -> Iterator[str]:
    with serving(demo_url, tiles_url=tiles_url(tile_server), tiles_attribution=ATTRIBUTION) as url:
        yield url


def test_tiles_from_the_configured_server_are_requested_shown_and_credited(
    browser: Browser, with_tiles: str, tile_server: TileServer
) -> None:
    visit = open_tab(browser, with_tiles, VIEWPORTS["bureau"])
    tile_origin = f"127.0.0.1:{tile_server.server_address[1]}"

    def allow(route: Route) -> None:
        route.continue_()

    visit.page.context.route(re.compile(rf"^http://{re.escape(tile_origin)}/"), allow)
    violations: list[str] = []
    visit.page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    try:
        tile_server.requested.clear()
        visit.open("/partenaires")
        page = visit.page
        page.wait_for_function(
            "() => document.querySelectorAll('#carte img.leaflet-tile-loaded').length >= 4"
        )
        assert len(tile_server.requested) >= 4
        assert all(re.fullmatch(r"/tuiles/\d+/\d+/\d+\.png", p) for p in tile_server.requested)
        sizes = page.evaluate(
            "() => Array.from(document.querySelectorAll('#carte img.leaflet-tile-loaded'))"
            ".map((img) => img.naturalWidth)"
        )
        assert set(sizes) == {256}  # the PNGs were decoded, not blocked
        assert ATTRIBUTION in page.inner_text("#carte .leaflet-control-attribution")
        assert f"Fond de carte : {ATTRIBUTION}" in page.inner_text("footer")
        assert page.locator("#carte .commune-label").count() == 0  # the tiles carry names
        assert violations == []
        visit.shot("partenaires-avec-tuiles", full_page=False)
        visit.check_clean()
    finally:
        visit.page.context.close()


def test_offline_the_map_names_the_communes(browser: Browser, demo_server: Demo) -> None:
    visit = open_tab(browser, demo_server.url, VIEWPORTS["bureau"])
    try:
        visit.open("/partenaires")
        page = visit.page
        labels = page.locator("#carte .commune-label").all_inner_texts()
        assert "Nîmes" in labels
        assert "Alès" in labels
        assert page.locator("#carte img.leaflet-tile").count() == 0
        # zoomed in on Alès, smaller communes are named too, and no two names overlap
        page.evaluate("maillage.maps.carte.setView([44.125, 4.08], 12)")
        page.wait_for_timeout(300)
        boxes = page.evaluate(
            "() => Array.from(document.querySelectorAll('#carte .commune-label span'))"
            ".map((s) => { const r = s.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; })"
        )
        assert len(boxes) > len(labels) or len(boxes) >= 5
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        visit.shot("partenaires-noms-des-communes", full_page=False)
        visit.check_clean()
    finally:
        visit.page.context.close()


def test_offline_the_registered_street_network_draws_its_roads(
    browser: Browser, demo_url: str
) -> None:
    """A car network around Alès (a fast road, a town street): drawn under the partners, the
    main road stronger, and OpenStreetMap credited in the footer."""
    from service.app import create_app
    from tests.service.pages.test_browser import serve_app

    app = create_app(Settings(env="test", database_url=demo_url))
    with serve_app(app) as url:
        app.state.travel = TravelService(
            [LoadedNetwork(uuid.uuid4(), "gard", "car", (3.9, 44.0, 4.2, 44.2), network())]
        )
        visit = open_tab(browser, url, VIEWPORTS["bureau"])
        try:
            visit.open("/partenaires")
            page = visit.page
            assert OSM_CREDIT in page.inner_text("footer")
            page.evaluate("maillage.maps.carte.setView([44.12, 4.05], 13)")
            page.wait_for_selector("#carte .leaflet-routes-pane path", state="attached")
            strokes = page.evaluate(
                "() => Array.from(document.querySelectorAll('#carte .leaflet-routes-pane path'))"
                ".map((p) => [p.getAttribute('stroke'), Number(p.getAttribute('stroke-width'))])"
            )
            assert sorted(strokes) == [["#9ca3af", 1.2], ["#b45309", 2.5]]
            visit.shot("partenaires-routes-hors-ligne", full_page=False)
            visit.check_clean()
        finally:
            visit.page.context.close()
