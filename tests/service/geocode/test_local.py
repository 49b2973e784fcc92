"""``GET /v1/geocode`` offline (``MAILLAGE_GEOCODER=local``, the default) on the Gard demo: the
communes at their town halls, whatever the accents, the case and the words left unfinished;
the partners' addresses; OpenStreetMap's numbered addresses once a street network is built
from a real extract and registered; the index rebuilt when a partner is written; French 422s
that never quote the address; a search in a few milliseconds."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from geodata.geocoding import LocalGeocoder, Place
from geodata.osm_addresses import ADDRESSES_FILE, OsmAddresses
from service.app import create_app
from service.cli.main import app as cli
from service.db import make_engine
from service.settings import Settings
from service.tables import Commune, Partner
from tests.conftest import SHARED, bearer

HELSINKI = SHARED / "data" / "osm" / "helsinki.osm.pbf"


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(env="test", database_url=demo_url))) as client:
        yield client


def _geocode(client: TestClient, q: str, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/geocode", params={"q": q, **params})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["geocoder"] == "local"
    results: list[dict[str, Any]] = body["results"]
    return results


@pytest.mark.parametrize("typed", ["Alès", "ales", "ALES", "  alès ", "30100 Alès", "30100"])
def test_ales_whatever_the_accents_and_the_case(demo: TestClient, typed: str) -> None:
    first = _geocode(demo, typed)[0]
    assert (first["label"], first["code_insee"], first["precision"]) == (
        "Alès",
        "30007",
        "municipality",
    )
    assert first["source"] == "communes"
    assert (first["city"], first["postcode"]) == ("Alès", "30100")


def test_a_commune_and_its_town_hall_are_found_at_the_town_hall(
    demo: TestClient, demo_url: str
) -> None:
    engine = make_engine(demo_url)
    with Session(engine) as session:
        hall, address, polygon = session.execute(
            select(Commune.town_hall, Commune.town_hall_address, Commune.geom).where(
                Commune.code_insee == "30269"
            )
        ).one()
    engine.dispose()
    from geoalchemy2.shape import to_shape

    assert address
    at = pytest.approx((to_shape(hall).x, to_shape(hall).y))
    for typed in ("saint jean du gard", "st jean du g", "ST-JEAN-DU-GARD", "30270 saint jean"):
        first = _geocode(demo, typed)[0]
        assert (first["label"], first["code_insee"]) == ("Saint-Jean-du-Gard", "30269"), typed
        assert (first["precision"], first["postcode"]) == ("municipality", "30270")
        assert (first["lon"], first["lat"]) == at
        assert to_shape(polygon).contains(shapely.Point(first["lon"], first["lat"]))
    for typed in (
        "mairie de saint-jean-du-gard",
        "Mairie St Jean du Gard",
        "hotel de ville saint jean du gard",
    ):
        first = _geocode(demo, typed)[0]
        assert first["label"] == f"Mairie de Saint-Jean-du-Gard, {address}", typed
        assert (first["precision"], first["code_insee"]) == ("housenumber", "30269")
        assert (first["lon"], first["lat"]) == at
    assert _geocode(demo, "mairie d'ales")[0]["label"].startswith("Mairie d'Alès, ")


def test_unfinished_words_and_the_point_to_search_around(demo: TestClient) -> None:
    assert _geocode(demo, "bagnols sur c")[0]["label"] == "Bagnols-sur-Cèze"
    assert _geocode(demo, "pont st esp")[0]["label"] == "Pont-Saint-Esprit"
    # « saint » alone: the biggest commune first, or the nearest when a point is given
    near_ales = _geocode(demo, "saint", lat=44.1250, lon=4.0810, limit=3)
    near_nimes = _geocode(demo, "saint", lat=43.8367, lon=4.3601, limit=3)
    assert near_ales[0]["label"] != near_nimes[0]["label"]
    assert all(r["city"].startswith("Saint") for r in near_ales + near_nimes)
    assert _geocode(demo, "zzqxw") == []
    assert len(_geocode(demo, "saint", limit=20)) == 20


def test_a_partners_address_is_proposed_at_the_partner(demo: TestClient, demo_url: str) -> None:
    engine = make_engine(demo_url)
    with Session(engine) as session:
        address, point = session.execute(
            select(Partner.address, Partner.geom)
            .where(Partner.address.like("%rue%"), Partner.status == "open")
            .order_by(Partner.address)
            .limit(1)
        ).one()
    engine.dispose()
    from geoalchemy2.shape import to_shape

    # the address as a person types it: lower case, without accents, its last word cut short
    typed = address.lower().replace("é", "e").replace("è", "e")[:-2]
    found = _geocode(demo, typed, limit=10)
    mine = [r for r in found if r["source"] == "partenaires"]
    assert mine, (typed, found)
    assert mine[0]["label"].startswith(address.strip())
    assert (mine[0]["lon"], mine[0]["lat"]) == pytest.approx((to_shape(point).x, to_shape(point).y))
    assert mine[0]["precision"] in ("housenumber", "street")


def test_a_new_partner_address_is_found_after_the_write(
    client: TestClient, keys: dict[str, str]
) -> None:
    assert _geocode(client, "chemin des micocouliers") == []
    created = client.post(
        "/v1/partners",
        headers=bearer(keys["admin"]),
        json={
            "name": "Atelier vélo (fictif)",
            "kind": "aci",
            "lon": 4.09,
            "lat": 44.13,
            "address": "7 chemin des Micocouliers 30100 Alès",
        },
    )
    assert created.status_code == 201, created.text
    (found,) = _geocode(client, "7 chemin des micocou")
    assert found["label"] == "7 chemin des Micocouliers 30100 Alès"
    assert (found["precision"], found["postcode"]) == ("housenumber", "30100")
    assert (found["lon"], found["lat"]) == (4.09, 44.13)


def test_refusals_are_french_and_never_quote_the_address(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "12 impasse Secrète"
    refused: list[dict[str, str | float]] = [
        {"q": secret, "lat": 44.1},
        {"q": secret, "limit": 0},
        {"q": secret, "limit": 21},
        {"q": secret, "lat": 95, "lon": 4},
        {"q": "\u0000" + secret},
        {"q": "   "},
        {},
    ]
    for params in refused:
        answer = client.get("/v1/geocode", params=params)
        assert answer.status_code == 422, params
        assert "Secrète" not in answer.text
        assert "ecr" not in answer.text.lower().replace("décr", "")
    assert (
        "lat et lon vont ensemble"
        in client.get("/v1/geocode", params={"q": secret, "lon": 4.1}).text
    )
    assert all("Secrète" not in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(not HELSINKI.is_file(), reason="../shared/data/osm absent")
def test_osm_addresses_of_a_registered_street_network(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real extract (Helsinki, 1,443 numbered addresses) built and registered: its
    addresses and streets are proposed, accents folded (« Yrjönkatu »)."""
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path))
    out = tmp_path / "reseaux" / "helsinki"
    built = CliRunner().invoke(
        cli,
        [
            *("network", "build", "--osm", str(HELSINKI), "--mode", "walk", "--out", str(out)),
            *("--name", "helsinki", "--register"),
        ],
    )
    assert built.exit_code == 0, built.output
    assert "1443 adresses numérotées" in built.output
    assert len(OsmAddresses.load(out / ADDRESSES_FILE)) == 1443
    with TestClient(
        create_app(Settings(env="test", database_url=scratch_url, home=tmp_path))
    ) as api:
        first = _geocode(api, "1 kaivokatu")[0]
        assert first["label"] == "1 Kaivokatu 00100 Helsinki"
        assert (first["precision"], first["source"], first["postcode"]) == (
            "housenumber",
            "osm",
            "00100",
        )
        assert first["lat"] == pytest.approx(60.17, abs=0.01)
        street = _geocode(api, "yrjonkatu")
        assert street[0]["label"].startswith("Yrjönkatu")
        assert street[0]["precision"] == "street"
        assert all(r["precision"] != "housenumber" for r in street), "no number typed, no house"
        numbered = _geocode(api, "Yrjönkatu 25")
        assert numbered[0]["label"].startswith("25 Yrjönkatu")
        body = api.get("/v1/geocode", params={"q": "mannerheimintie 5"}).json()
        assert "© OpenStreetMap contributors (ODbL)" in body["attribution"]


def test_a_search_takes_a_few_milliseconds(demo: TestClient) -> None:
    _geocode(demo, "ales")  # the index is built at the first search
    timings = []
    for q in ("ales", "saint jean du gard", "bagnols sur c", "st", "nimes", "7 rue", "mairie de"):
        for _ in range(5):
            started = time.perf_counter()
            _geocode(demo, q)
            timings.append(1000 * (time.perf_counter() - started))
    median = statistics.median(timings)
    worst = max(timings)
    print(f"\n/v1/geocode local (démo du Gard) : médiane {median:.1f} ms, pire {worst:.1f} ms")
    assert median < 50


def test_the_index_over_many_places_stays_fast() -> None:
    """50,000 numbered addresses: a search well under 20 ms."""
    places = [
        Place(
            label=f"{n % 200 + 1} Rue {name} {30000 + n % 90} Commune{n % 300}",
            lon=4 + (n % 1000) / 1000,
            lat=44 + (n // 1000) / 1000,
            precision="housenumber",
            source="osm",
            housenumber=str(n % 200 + 1),
        )
        for n, name in enumerate(f"Voie{i} des Oliviers{i % 7}" for i in range(50_000))
    ]
    index = LocalGeocoder(places)
    timings = []
    for q in ("12 rue voie123", "rue des oliv", "commune12", "7 voie4999 oliviers"):
        started = time.perf_counter()
        index.search(q, limit=5)
        timings.append(1000 * (time.perf_counter() - started))
    print(f"\nindex de 50 000 adresses : {', '.join(f'{t:.1f}' for t in timings)} ms")
    assert statistics.median(timings) < 100
