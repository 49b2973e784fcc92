"""The demo uses the real trains: the national TER timetable clipped to the Gard, built once and
cached, registered as the Gard's public transport; Alès → Nîmes by public transport is a TER
ride with the feed's times; nothing by public transport is quicker than walking; a departure
outside the feed's validity is answered with a notice naming the period used."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from geodata.sphere import great_circle_m
from geodata.transit import TransitNetwork
from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.demo.trains import DEFAULT_FEED, demo_trains
from service.settings import Settings
from service.tables import Network, Partner
from service.travel import TravelService
from tests.conftest import ALES, bearer

pytestmark = pytest.mark.skipif(
    not DEFAULT_FEED.exists(), reason="../shared/data absent (clone d'utilisateur)"
)

NIMES_CENTRE = (4.366, 43.832)  # the station: Nîmes Centre (a 500 m radius around it)
PERIOD = "Horaires du réseau valables du 22/01/2025 au 22/04/2025"
HAS_LEGS = hasattr(TransitNetwork, "journeys")


@pytest.fixture(scope="module")
def trains_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("maillage-home")


@pytest.fixture(scope="module")
def demo_with_trains(
    writable_demo_url: str, trains_home: Path
) -> Iterator[tuple[TestClient, dict[str, str], Session]]:
    """The Gard demo with its TER timetable registered, served by the app (real startup)."""
    engine = make_engine(writable_demo_url)
    with Session(engine) as session:
        trains = demo_trains(session, trains_home)
        assert trains is not None
        keys = {}
        for role in ("platform", "viewer"):
            keys[role], _ = create_api_key(session, role=role, name=f"test-trains-{role}")
        session.commit()
        application = create_app(
            Settings(env="test", database_url=writable_demo_url, home=trains_home)
        )
        with TestClient(application) as client:
            yield client, keys, session
    engine.dispose()


def test_the_timetable_is_built_once_and_rebuilt_when_the_feed_changes(
    scratch_url: str, tmp_path: Path
) -> None:
    from service.migrate import upgrade

    engine = make_engine(scratch_url)
    upgrade(engine)
    feed = tmp_path / "sncf_ter_2025.zip"
    shutil.copy(DEFAULT_FEED, feed)
    with Session(engine) as session:
        first = demo_trains(session, tmp_path / "home", feed=feed)
        session.commit()
        assert first is not None
        assert first.built
        assert first.network.feed_names == ("ter",)
        assert 50 <= first.stops <= 80  # the Gard's stations and those within 10 km
        names = set(first.network.stops.names[first.network.served])
        assert {"Alès", "Nîmes Centre", "Avignon Centre", "Grand-Combe la Pise"} <= names
        assert "Paris Gare de Lyon" not in names
        again = demo_trains(session, tmp_path / "home", feed=feed)
        session.commit()
        assert again is not None
        assert not again.built
        rows = session.scalars(select(Network)).all()
        assert [(r.name, r.mode, r.node_count) for r in rows] == [("gard", "transit", first.stops)]
        minx, miny, maxx, maxy = _bounds(session)
        assert (minx < 3.3, miny < 43.5, maxx > 4.8, maxy > 44.4) == (True,) * 4  # Gard + 10 km
        built_at = rows[0].built_at
        with zipfile.ZipFile(feed, "a") as archive:  # another file: its SHA-256 changes
            archive.comment = b"nouvelle version"
        rebuilt = demo_trains(session, tmp_path / "home", feed=feed)
        session.commit()
        assert rebuilt is not None
        assert rebuilt.built
        assert session.scalars(select(Network)).one().built_at >= built_at
        assert demo_trains(session, tmp_path / "home", feed=tmp_path / "absent.zip") is None
    engine.dispose()


def _bounds(session: Session) -> tuple[float, float, float, float]:
    from geoalchemy2.shape import to_shape

    row = session.scalars(select(Network)).one()
    minx, miny, maxx, maxy = to_shape(row.bbox).bounds
    return minx, miny, maxx, maxy


def _ales_person(**extra: Any) -> dict[str, Any]:
    return {
        "location": {"code_insee": "30007"},  # Alès town hall
        "modes": [{"mode": "walk", "max_minutes": 60}, {"mode": "transit", "max_minutes": 60}],
        "situation": {"driving_licence": False, "vehicle": False},
        "limit": 100,
        **extra,
    }


def test_from_ales_without_a_car_offers_in_nimes_come_by_ter(demo_with_trains: Any) -> None:
    """Leaving Alès town hall between 07:10 and 07:20 on a Tuesday of the feed, the 07:29 TER
    reaches Nîmes Centre at 08:06: offers near the station fit in 60 minutes. (The default
    window from 08:00: `test_by_default_a_person_in_ales_reaches_nimes_by_ter_within_an_hour`.)"""
    client, keys, session = demo_with_trains
    response = client.post(
        "/v1/matches",
        json=_ales_person(departure="2025-02-04T07:10:00", window_minutes=10),
        headers=bearer(keys["platform"]),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["notice"] is None  # a Tuesday of the feed
    assert result["estimated_share"] == 1.0  # every walk is a straight-line estimate
    communes = dict(session.execute(select(Partner.id, Partner.code_insee)).all())
    by_transit = [i for i in result["items"] if i["travel"]["mode"] == "transit"]
    in_nimes = [i for i in by_transit if communes[uuid.UUID(i["partner"]["id"])] == "30189"]
    assert len(in_nimes) >= 5, "aucune offre de Nîmes atteinte en train"
    for item in by_transit:
        assert item["travel"]["estimated"] is True  # walks to and from the stations
        assert item["travel"]["minutes"] <= 60
    if not HAS_LEGS:
        return
    for item in in_nimes:
        journey = item["travel"]["journey"]
        departure = _ter_ales_nimes(journey["legs"])
        assert departure.date() == dt.date(2025, 2, 4)
        assert dt.time(7, 10) <= departure.time() <= dt.time(8, 0)
        assert all(leg["estimated"] for leg in journey["legs"] if leg["kind"] == "walk")
        assert journey["estimated"] is True
        assert journey["minutes"] == pytest.approx(item["travel"]["minutes"], abs=1.0)


def test_by_default_a_person_in_ales_reaches_nimes_by_ter_within_an_hour(
    demo_with_trains: Any,
) -> None:
    """The issue's Must-show, with no departure given: next Tuesday 08:00, moved into the
    feed's period with a notice. One person's trip is the quickest leaving home within the
    window (not the window's median, which counts up to an hour of waiting at home with an
    hourly train): offers in Nîmes come by the TER from Alès, its times read from the feed,
    the walks estimated, the legs adding up to the minutes shown."""
    client, keys, session = demo_with_trains
    response = client.post("/v1/matches", json=_ales_person(), headers=bearer(keys["platform"]))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["notice"].startswith(PERIOD)
    assert "a servi pour le mardi" in result["notice"]
    communes = dict(session.execute(select(Partner.id, Partner.code_insee)).all())
    by_transit = [i for i in result["items"] if i["travel"]["mode"] == "transit"]
    in_nimes = [i for i in by_transit if communes[uuid.UUID(i["partner"]["id"])] == "30189"]
    assert len(in_nimes) >= 3, "aucune offre de Nîmes atteinte en train"
    for item in by_transit:
        journey = item["travel"]["journey"]
        assert item["travel"]["minutes"] <= 60
        assert journey["minutes"] == pytest.approx(item["travel"]["minutes"], abs=0.05)
        assert sum(leg["minutes"] for leg in journey["legs"]) == pytest.approx(
            journey["minutes"], abs=1e-9
        )
        assert all(leg["estimated"] for leg in journey["legs"] if leg["kind"] == "walk")
    for item in in_nimes:
        legs = item["travel"]["journey"]["legs"]
        departure = _ter_ales_nimes(legs)
        assert departure.weekday() == 1
        assert dt.date(2025, 1, 22) <= departure.date() <= dt.date(2025, 4, 22)
        assert dt.time(8, 0) <= departure.time() <= dt.time(9, 30)
        assert legs[0]["kind"] == "walk"  # from the town hall to the station, no wait at home
        assert legs[0]["to_name"] == "Alès"
        assert legs[-1]["kind"] == "walk"
        assert legs[-1]["from_name"] == "Nîmes Centre"
    # the window's median for the same trips, as coverage counts it, is longer
    travel: TravelService = client.app.state.travel
    from geoalchemy2.shape import to_shape

    geoms = dict(session.execute(select(Partner.id, Partner.geom)).all())
    points = [to_shape(geoms[uuid.UUID(i["partner"]["id"])]) for i in in_nimes]
    xy = np.array([(p.x, p.y) for p in points])
    origin = _ales_town_hall(session)
    quickest = travel.times("transit", *origin, xy, statistic="quickest").minutes
    median = travel.times("transit", *origin, xy).minutes
    assert (median > quickest).all()
    np.testing.assert_allclose(
        quickest, [i["travel"]["minutes"] for i in in_nimes], rtol=0, atol=0.05
    )


def _ter_ales_nimes(legs: list[dict[str, Any]]) -> dt.datetime:
    """The one ride of a journey's legs: the TER from Alès to Nîmes Centre, its times from the
    feed (31–41 minutes); its departure."""
    rides = [leg for leg in legs if leg["kind"] == "ride"]
    assert [(r["from_name"], r["to_name"]) for r in rides] == [("Alès", "Nîmes Centre")]
    (ride,) = rides
    assert ride["estimated"] is False
    assert ride["vehicle"] == "train"
    assert 31 <= ride["minutes"] <= 41
    return dt.datetime.fromisoformat(ride["departure"])


def _ales_town_hall(session: Session) -> tuple[float, float]:
    from geoalchemy2.shape import to_shape

    from service.tables import Commune

    hall = session.scalars(select(Commune.town_hall).where(Commune.code_insee == "30007")).one()
    point = to_shape(hall)
    return point.x, point.y


def test_a_departure_after_the_feed_says_which_period_answered(demo_with_trains: Any) -> None:
    client, keys, _ = demo_with_trains
    late = client.post(
        "/v1/matches",
        json=_ales_person(departure="2026-12-08T08:00:00"),
        headers=bearer(keys["platform"]),
    ).json()
    assert late["notice"].startswith(PERIOD)
    assert "a servi pour le mardi 08/12/2026" in late["notice"]
    used = dt.datetime.strptime(  # noqa: DTZ007 - a date
        late["notice"].split("le mardi ")[1][:10], "%d/%m/%Y"
    ).date()
    assert used.weekday() == 1
    assert dt.date(2025, 1, 22) <= used <= dt.date(2025, 4, 22)
    inside = client.post(
        "/v1/matches",
        json=_ales_person(departure=f"{used:%Y-%m-%d}T08:00:00"),
        headers=bearer(keys["platform"]),
    ).json()
    assert inside["notice"] is None
    trips = [(i["opportunity"]["id"], i["travel"]["minutes"]) for i in late["items"]]
    assert trips == [(i["opportunity"]["id"], i["travel"]["minutes"]) for i in inside["items"]]
    # the same notice on a search and an isochrone
    lon, lat = ALES
    search = client.get(
        "/v1/partners",
        params={"lat": lat, "lon": lon, "mode": "transit", "max_minutes": 30,
                "departure": "2026-12-08T08:00:00"},
    ).json()  # fmt: skip
    assert search["notice"] == late["notice"]
    iso = client.get(
        "/v1/isochrones",
        params={"lat": lat, "lon": lon, "mode": "transit", "minutes": 45,
                "departure": "2026-12-08T08:00:00"},
    ).json()["features"][0]["properties"]  # fmt: skip
    assert iso["notice"].startswith(late["notice"])
    assert iso["network"] == "gard"


def test_a_search_by_public_transport_at_141_m_answers_the_walk(demo_with_trains: Any) -> None:
    client, _, session = demo_with_trains
    partner = session.scalars(
        select(Partner).where(Partner.code_insee == "30007").order_by(Partner.name)
    ).first()
    assert partner is not None
    from geoalchemy2.shape import to_shape

    point = to_shape(partner.geom)
    lat = point.y + 141 / 111_195  # 141 m north
    body = client.get(
        "/v1/partners",
        params={"lat": lat, "lon": point.x, "mode": "transit", "max_minutes": 10},
    ).json()
    item = next(i for i in body["items"] if i["id"] == str(partner.id))
    assert item["distance_m"] == pytest.approx(141, abs=1)
    assert item["travel"]["minutes"] == pytest.approx(141 * 1.3 / 75, abs=0.06)  # 147 s
    assert [leg["kind"] for leg in item["travel"]["journey"]["legs"]] == ["walk"]
    assert item["travel"]["journey"]["legs"][0]["estimated"] is True
    assert body["estimated_share"] == 1.0
    assert body["notice"] is not None  # next Tuesday, after the feed: a Tuesday of the feed


def test_no_public_transport_trip_is_quicker_than_walking_it(demo_with_trains: Any) -> None:
    client, _, session = demo_with_trains
    travel: TravelService = client.app.state.travel
    assert [(n.name, n.mode) for n in travel.networks] == [("gard", "transit")]
    from geoalchemy2.shape import to_shape

    points = np.array(
        [(p.x, p.y) for p in (to_shape(g) for g in session.scalars(select(Partner.geom)))]
    )
    rng = np.random.default_rng(30)
    origins = points[rng.choice(len(points), 12, replace=False)]
    departure = dt.datetime(2025, 2, 4, 8, 0)  # noqa: DTZ001
    rides = 0
    for lon, lat in origins:
        transit = travel.times("transit", lon, lat, points, max_minutes=90, departure=departure)
        walk = travel.times("walk", lon, lat, points, max_minutes=90)
        assert (transit.minutes <= walk.minutes + 1e-9).all()
        assert transit.estimated.all()
        rides += int((transit.minutes < walk.minutes - 1e-9).sum())
        near = np.flatnonzero(
            great_circle_m(lon, lat, points[:, 0], points[:, 1]) < 400
        )  # a short walk is the walk, not a bus
        np.testing.assert_allclose(transit.minutes[near], walk.minutes[near])
    assert rides > 0


def test_one_person_s_transit_trips_are_never_quicker_than_walking_them(
    demo_with_trains: Any,
) -> None:
    """The trips a person is shown (the quickest of the window, default departure) and their
    journeys: never quicker than the same walk, and a journey that is the walk is that walk."""
    client, _, session = demo_with_trains
    travel: TravelService = client.app.state.travel
    from geoalchemy2.shape import to_shape

    points = np.array(
        [(p.x, p.y) for p in (to_shape(g) for g in session.scalars(select(Partner.geom)))]
    )
    rng = np.random.default_rng(13)
    origins = [_ales_town_hall(session), *points[rng.choice(len(points), 6, replace=False)]]
    rides = 0
    for lon, lat in origins:
        trips = travel.at(None)
        transit = trips.times("transit", lon, lat, points, max_minutes=90)
        walk = trips.times("walk", lon, lat, points, max_minutes=90)
        assert (transit.minutes <= walk.minutes + 1e-9).all()
        faster = np.flatnonzero(transit.minutes < walk.minutes - 1e-9)
        rides += faster.size
        shown = np.r_[faster[:5], np.flatnonzero(np.isfinite(transit.minutes))[:5]]
        journeys = trips.journeys("transit", lon, lat, points[shown], max_minutes=90)
        for k, journey in zip(shown, journeys, strict=True):
            assert journey is not None
            assert journey.minutes == pytest.approx(transit.minutes[k], abs=1e-9)
            if [leg.kind for leg in journey.legs] == ["walk"]:
                assert journey.minutes == walk.minutes[k]
    assert rides > 0


def test_the_same_walk_has_the_same_metres_and_minutes_everywhere(
    demo_with_trains: Any,
) -> None:
    """Alès town hall → Alès station on foot: the walk answer, the walk leg of a journey by
    TER and the public transport estimate's walk to its stop say the same metres and
    minutes — the one estimated walk (`geodata.walking`)."""
    client, _, session = demo_with_trains
    travel: TravelService = client.app.state.travel
    (loaded,) = travel.networks
    network = loaded.network
    stop = int(np.flatnonzero((network.stops.names == "Alès") & network.served)[0])
    station = np.array([[network.stops.lon[stop], network.stops.lat[stop]]])
    hall = _ales_town_hall(session)
    straight = float(great_circle_m(*hall, *station[0]))

    (walk,) = travel.journeys("walk", *hall, station)
    assert walk is not None
    (on_foot,) = walk.legs
    # far from a ride: a place 300 m from Nîmes Centre, by TER from Alès
    nimes = [(NIMES_CENTRE[0], NIMES_CENTRE[1] + 300 / 111_195)]
    (by_train,) = travel.at(None).journeys("transit", *hall, np.array(nimes), max_minutes=120)
    assert by_train is not None
    to_station = by_train.legs[0]
    assert (to_station.kind, to_station.to_name) == ("walk", "Alès")
    estimate = travel._estimate(loaded)
    (guessed,) = estimate.journeys(*hall, np.array([(4.3601, 43.8367)]))
    assert guessed is not None
    to_stop = guessed.legs[0]
    assert (to_stop.kind, to_stop.to_name) == ("walk", "Alès")

    expected_m = straight * 1.3
    expected_min = math.ceil(expected_m / (4.5 / 3.6)) / 60
    for leg in (on_foot, to_station, to_stop):
        assert leg.estimated is True
        assert leg.metres == pytest.approx(expected_m, abs=1e-6)
        assert leg.minutes == expected_min
    assert on_foot.metres == to_station.metres == to_stop.metres
    assert 800 < expected_m < 900  # 852 m, 11.4 minutes


def test_the_networks_and_the_home_page_say_what_is_real(demo_with_trains: Any) -> None:
    client, keys, _ = demo_with_trains
    (network,) = client.get("/v1/networks").json()
    assert network["name"] == "gard"
    assert network["mode"] == "transit"
    assert network["feeds"] == [
        {"name": "ter", "valid_from": "2025-01-22", "valid_until": "2025-04-22"}
    ]
    assert network["source"] == "sncf_ter_2025.zip"
    assert network["loaded"] is True
    home = client.get("/").text
    assert "Temps de trajet sur ce territoire" in home
    assert "horaires réels des trajets en véhicule : « gard » (flux ter, valables du " in home
    assert "22/01/2025 au 22/04/2025" in home
    assert home.count("aucun réseau de rues inscrit pour ce mode") == 3  # walk, bike, car
    coverage = client.get(
        "/v1/coverage",
        params={"category": "garde-enfants", "mode": "transit", "max_minutes": 30},
        headers=bearer(keys["viewer"]),
    )
    assert coverage.status_code == 200, coverage.text
    metadata = coverage.json()["metadata"]
    assert metadata["estimated_share"] == 1.0
    assert metadata["networks"] == ["gard"]
    assert metadata["assumptions"].startswith(PERIOD)
    assert "arrêt réel le plus proche" in metadata["assumptions"]
