"""`TravelService` as a `JourneyModel`: the legs of the trips shown, and public transport that
weighs the walk, a timetable's rides and the estimate's — never quicker than walking, never an
estimate labelled real, the departure moved into the timetable's validity with a notice.

The territory is hand-made: a station 300 m from Alès town hall, another 30 km south, a train
every 30 minutes taking 25 minutes, on weekdays from 6 January to 28 March 2025.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy.orm import Session

from geodata.journeys import JourneyModel, estimated_share
from geodata.sphere import great_circle_m
from geodata.transit import TransitNetwork
from geodata.transit_estimate import TransitEstimate
from service.tables import Opportunity, Partner
from service.transit import WALK_WINS, next_weekday_morning
from service.travel import LoadedNetwork, TravelService
from tests.conftest import bearer
from tests.service.test_travel_api import LAT, STREET_LON, street

STATION_A = (STREET_LON[3], LAT)  # on the street, 300 m east of its start
STATION_B = (STREET_LON[3], LAT - 0.27)  # 30 km south
TUESDAY = dt.datetime(2025, 2, 4, 8, 0)  # noqa: DTZ001 - timetable local time
HAS_LEGS = hasattr(TransitNetwork, "journeys")
needs_legs = pytest.mark.skipif(
    not HAS_LEGS, reason="TransitNetwork.journeys (the timetable's legs) pas encore disponible"
)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def write_feed(folder: Path, *, start: str = "20250106", end: str = "20250328") -> Path:
    """The two towns' trains, running on weekdays from ``start`` to ``end`` (YYYYMMDD)."""
    folder.mkdir(parents=True)
    stops = [
        "stop_id,stop_name,stop_lat,stop_lon",
        f"A,Gare d'Alès (test),{STATION_A[1]},{STATION_A[0]}",
        f"B,Gare du Sud (test),{STATION_B[1]},{STATION_B[0]}",
    ]
    trips = ["route_id,service_id,trip_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for k, leaves in enumerate(range(6 * 60, 20 * 60, 30)):
        trips.append(f"TER,S,t{k}")
        times.append(f"t{k},{_clock(leaves)},{_clock(leaves)},A,1")
        times.append(f"t{k},{_clock(leaves + 25)},{_clock(leaves + 25)},B,2")
    tables = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "T,TER test,https://example.org,Europe/Paris",
        "stops.txt": "\n".join(stops),
        "routes.txt": "route_id,route_short_name,route_type\nTER,TER,2",
        "trips.txt": "\n".join(trips),
        "stop_times.txt": "\n".join(times),
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        f"start_date,end_date\nS,1,1,1,1,1,0,0,{start},{end}",
    }
    for name, text in tables.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def trains(tmp_path_factory: pytest.TempPathFactory) -> TransitNetwork:
    return TransitNetwork.from_gtfs(write_feed(tmp_path_factory.mktemp("feed") / "ter"))


def loaded(name: str, mode: str, network: object) -> LoadedNetwork:
    bounds = (STREET_LON[0] - 0.3, LAT - 0.4, STREET_LON[-1] + 0.3, LAT + 0.3)
    return LoadedNetwork(uuid.uuid4(), name, mode, bounds, network)


@pytest.fixture
def with_trains(trains: TransitNetwork) -> TravelService:
    return TravelService([loaded("trains", "transit", trains)])


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + metres / 111_195


def walk_minutes(straight_m: float) -> float:
    """The estimated walk: straight line × 1.3 at 4.5 km/h, whole seconds rounded up."""
    return math.ceil(straight_m * 1.3 / (4.5 / 3.6)) / 60


def walk_estimate(a: tuple[float, float], b: tuple[float, float]) -> float:
    return walk_minutes(float(great_circle_m(a[0], a[1], b[0], b[1])))


def test_the_service_is_a_journey_model() -> None:
    travel = TravelService()
    assert isinstance(travel, JourneyModel)
    assert isinstance(travel.at(None), JourneyModel)


def test_street_journeys_are_one_leg_estimated_off_the_network() -> None:
    travel = TravelService([loaded("rue", "walk", street())])
    on = (STREET_LON[10], LAT)  # 1 km along the street
    off = north_of((STREET_LON[0], LAT), 3000)  # 3 km away from any node
    destinations = np.array([on, off])
    times = travel.times("walk", STREET_LON[0], LAT, destinations)
    journeys = travel.journeys("walk", STREET_LON[0], LAT, destinations)
    assert [len(j.legs) for j in journeys if j] == [1, 1]
    assert [j.estimated for j in journeys if j] == [False, True] == times.estimated.tolist()
    assert [j.minutes for j in journeys if j] == pytest.approx(times.minutes.tolist())
    assert journeys[0] is not None
    assert journeys[0].legs[0].metres is None
    assert journeys[1] is not None
    assert journeys[1].legs[0].metres == pytest.approx(
        float(great_circle_m(STREET_LON[0], LAT, *off)) * 1.3
    )
    assert times.minutes[1] == walk_estimate((STREET_LON[0], LAT), off)
    beyond = travel.journeys("walk", STREET_LON[0], LAT, destinations, max_minutes=20)
    assert beyond[0] is not None
    assert beyond[1] is None


def test_without_a_timetable_a_short_trip_is_the_walk_and_a_long_one_an_estimate() -> None:
    travel = TravelService()
    origin = (STREET_LON[0], LAT)
    near = north_of(origin, 141)
    far = STATION_B
    times = travel.times("transit", *origin, np.array([near, far]))
    walk = TravelService().times("walk", *origin, np.array([near, far]))
    near_trip, far_trip = travel.journeys("transit", *origin, np.array([near, far]))
    assert near_trip is not None
    assert far_trip is not None
    # 141 m: the walk, 2.4 minutes, not a phantom bus
    assert [leg.kind for leg in near_trip.legs] == ["walk"]
    assert near_trip.minutes == pytest.approx(walk_minutes(141), abs=1 / 60)
    assert near_trip.notice == WALK_WINS
    assert near_trip.mode == "transit"
    # 30 km: walk to an assumed stop, wait, coach, walk; every leg estimated
    assert [leg.kind for leg in far_trip.legs] == ["walk", "wait", "ride", "walk"]
    assert all(leg.estimated for leg in far_trip.legs)
    assert far_trip.minutes == pytest.approx(times.minutes[1])
    assert times.estimated.all()
    assert (times.minutes <= walk.minutes + 1e-9).all()


def test_a_walk_inside_the_town_is_never_labelled_real_once_trains_are_registered(
    with_trains: TravelService,
) -> None:
    """The bug: with a trains-only feed, walks in Alès came back `estimated: false`."""
    origin = (STREET_LON[0], LAT)
    inside = np.array([north_of(origin, 200), north_of(origin, 800), (STREET_LON[6], LAT)])
    times = with_trains.times("transit", *origin, inside, departure=TUESDAY)
    journeys = with_trains.journeys("transit", *origin, inside, departure=TUESDAY)
    assert times.estimated.all()
    assert all(j is not None and j.estimated for j in journeys)
    assert all(j is not None and [leg.kind for leg in j.legs] == ["walk"] for j in journeys)
    expected = [walk_estimate(origin, (float(x), float(y))) for x, y in inside]
    assert times.minutes == pytest.approx(expected)
    assert times.notice is None  # a Tuesday of the timetable


def test_a_registered_walk_network_answers_the_walk_for_real(trains: TransitNetwork) -> None:
    travel = TravelService([loaded("rue", "walk", street()), loaded("trains", "transit", trains)])
    origin = (STREET_LON[0], LAT)
    along = np.array([(STREET_LON[6], LAT)])  # 600 m along the street
    times = travel.times("transit", *origin, along, departure=TUESDAY)
    (journey,) = travel.journeys("transit", *origin, along, departure=TUESDAY)
    assert times.estimated.tolist() == [False]
    assert times.minutes[0] == pytest.approx(600 / 75, abs=0.05)
    assert journey is not None
    assert journey.estimated is False
    assert journey.minutes == pytest.approx(times.minutes[0])


def test_the_train_answers_between_the_two_towns(
    with_trains: TravelService, trains: TransitNetwork
) -> None:
    origin = north_of(STATION_A, 200)
    destination = north_of(STATION_B, 300)
    times = with_trains.times("transit", *origin, np.array([destination]), departure=TUESDAY)
    timetable = trains.travel_times([origin], [destination], departure=TUESDAY)[0, 0]
    assert times.minutes[0] == pytest.approx(timetable)
    # 25 min in the train, the walks (200 m and 300 m at 4.5 km/h), at most 30 min of waiting
    walks = (200 + 300) / 75
    assert 25 + walks - 0.1 <= times.minutes[0] <= 25 + walks + 30
    assert times.estimated.tolist() == [True]  # the walks to and from the stations
    assert times.network == "trains"
    assert times.minutes[0] < walk_estimate(origin, destination)


@needs_legs
def test_the_train_journey_has_the_feed_ride_and_estimated_walks(
    with_trains: TravelService,
) -> None:
    origin = north_of(STATION_A, 200)
    destination = north_of(STATION_B, 300)
    times = with_trains.times("transit", *origin, np.array([destination]), departure=TUESDAY)
    (journey,) = with_trains.journeys(
        "transit", *origin, np.array([destination]), departure=TUESDAY
    )
    assert journey is not None
    rides = [leg for leg in journey.legs if leg.kind == "ride"]
    assert len(rides) == 1
    assert rides[0].estimated is False
    assert rides[0].minutes == pytest.approx(25)
    assert rides[0].from_name == "Gare d'Alès (test)"
    assert rides[0].to_name == "Gare du Sud (test)"
    assert all(leg.estimated for leg in journey.legs if leg.kind == "walk")
    assert journey.estimated is True
    assert journey.minutes == pytest.approx(times.minutes[0], abs=0.5)


def test_where_the_timetable_has_no_ride_the_estimate_uses_its_real_stops(
    with_trains: TravelService,
) -> None:
    """15 km east of Alès no train goes: the estimate walks to the real station of Alès, waits
    half its 30-minute headway, and rides at the speed of the distance's vehicle."""
    origin = north_of(STATION_A, 100)
    east = (STATION_A[0] + 0.19, STATION_A[1])  # 15 km east
    times = with_trains.times("transit", *origin, np.array([east]), departure=TUESDAY)
    (journey,) = with_trains.journeys("transit", *origin, np.array([east]), departure=TUESDAY)
    assert journey is not None
    assert [leg.kind for leg in journey.legs] == ["walk", "wait", "ride", "walk"]
    assert journey.legs[0].to_name == "Gare d'Alès (test)"
    assert journey.legs[1].minutes == pytest.approx(15)  # half of the 30-minute headway
    assert journey.estimated
    assert all(leg.estimated for leg in journey.legs)
    assert journey.minutes == pytest.approx(times.minutes[0])
    assert times.minutes[0] < walk_estimate(origin, east)
    # the estimate with the timetable's stops, built once for the network
    estimate = with_trains._estimate(with_trains.networks[0])
    assert estimate is with_trains._estimate(with_trains.networks[0])
    assert isinstance(estimate, TransitEstimate)
    assert estimate.stops is not None
    assert len(estimate.stops) == 2


@pytest.mark.parametrize("budget", [20.0, 45.0, 90.0, None])
def test_public_transport_is_never_quicker_than_walking(
    with_trains: TravelService, budget: float | None
) -> None:
    rng = np.random.default_rng(13)
    origin = north_of(STATION_A, 150)
    points = np.column_stack(
        [rng.uniform(STATION_A[0] - 0.2, STATION_A[0] + 0.2, 60), rng.uniform(LAT - 0.35, LAT, 60)]
    )
    times = with_trains.times("transit", *origin, points, max_minutes=budget, departure=TUESDAY)
    walk = with_trains.times("walk", *origin, points, max_minutes=budget)
    assert (times.minutes <= walk.minutes + 1e-9).all()
    if budget is not None:
        assert (times.minutes[np.isfinite(times.minutes)] <= budget).all()
    journeys = with_trains.journeys(
        "transit", *origin, points, max_minutes=budget, departure=TUESDAY
    )
    for k, journey in enumerate(journeys):
        assert (journey is None) == (not math.isfinite(times.minutes[k])) or (
            not HAS_LEGS and journey is None
        )
        if journey is not None:
            assert journey.estimated == bool(times.estimated[k])
            assert journey.minutes <= walk.minutes[k] + 1e-9
    if any(journeys):
        assert estimated_share(journeys) == 1.0


def test_a_departure_outside_the_timetable_moves_to_the_same_weekday_with_a_notice(
    with_trains: TravelService,
) -> None:
    origin = north_of(STATION_A, 200)
    destination = np.array([north_of(STATION_B, 300)])
    late = dt.datetime(2026, 12, 8, 8, 0)  # noqa: DTZ001 - a Tuesday, long after the feed
    moved = with_trains.times("transit", *origin, destination, departure=late)
    inside = with_trains.times(
        "transit",
        *origin,
        destination,
        departure=dt.datetime(2025, 3, 25, 8, 0),  # noqa: DTZ001
    )
    assert moved.notice == (
        "Horaires du réseau valables du 06/01/2025 au 28/03/2025 : le mardi 25/03/2025 a "
        "servi pour le mardi 08/12/2026."
    )
    assert moved.minutes == pytest.approx(inside.minutes)
    # an aware departure is read in the timetable's time zone: 07:00 UTC is 08:00 in Paris
    aware = dt.datetime(2026, 12, 8, 7, 0, tzinfo=ZoneInfo("UTC"))
    assert with_trains.times("transit", *origin, destination, departure=aware).notice == (
        moved.notice
    )
    # the default departure is next Tuesday 08:00, answered by a Tuesday of the timetable
    default = with_trains.times("transit", *origin, destination)
    assert default.notice is not None
    assert f"pour le mardi {next_weekday_morning():%d/%m/%Y}" in default.notice
    if HAS_LEGS:
        (journey,) = with_trains.journeys("transit", *origin, destination, departure=late)
        assert journey is not None
        assert journey.notice is not None
        assert moved.notice in journey.notice
    # a request bound to a departure keeps the notice of its answers
    trips = with_trains.at(late)
    trips.times("transit", *origin, destination, max_minutes=120)
    trips.times("walk", *origin, destination, max_minutes=120)
    assert trips.notice == moved.notice
    assert with_trains.at(TUESDAY).notice is None


def test_the_matrix_of_public_transport_is_times_row_by_row(with_trains: TravelService) -> None:
    rng = np.random.default_rng(7)
    origins = np.column_stack(
        [rng.uniform(STATION_A[0] - 0.02, STATION_A[0] + 0.02, 5), rng.uniform(LAT - 0.3, LAT, 5)]
    )
    destinations = np.column_stack(
        [rng.uniform(STATION_A[0] - 0.05, STATION_A[0] + 0.05, 8), rng.uniform(LAT - 0.3, LAT, 8)]
    )
    late = dt.datetime(2026, 12, 8, 8, 0)  # noqa: DTZ001
    matrix = with_trains.matrix("transit", origins, destinations, max_minutes=60, departure=late)
    for i, (lon, lat) in enumerate(origins):
        row = with_trains.times("transit", lon, lat, destinations, max_minutes=60, departure=late)
        np.testing.assert_array_equal(matrix.minutes[i], row.minutes)
        np.testing.assert_array_equal(matrix.estimated[i], row.estimated)
    assert matrix.networks == ("trains",)
    assert len(matrix.notices) == 1
    assert "08/12/2026" in matrix.notices[0]


def test_isochrones_say_what_they_assume(with_trains: TravelService) -> None:
    origin = north_of(STATION_A, 200)
    late = dt.datetime(2026, 12, 8, 8, 0)  # noqa: DTZ001
    by_train = with_trains.isochrone("transit", *origin, 60, departure=late)
    assert by_train.estimated is True
    assert by_train.network == "trains"
    assert by_train.notice is not None
    assert by_train.notice.startswith("Horaires du réseau valables du 06/01/2025")
    said = "marche vers les arrêts et depuis eux estimée : 1,3 fois la ligne droite à 4,5 km/h"
    assert said in by_train.notice
    assert by_train.polygon.covers(Point(*north_of(STATION_B, 300)))  # the train's reach
    nowhere = TravelService().isochrone("transit", *origin, 20)
    assert nowhere.estimated is True
    assert nowhere.network is None
    assert nowhere.notice is not None
    assert nowhere.notice.startswith("Transports en commun estimés sans horaires")
    assert "arrêt supposé à 400 m" in nowhere.notice
    by_car = TravelService().isochrone("car", *origin, 20)
    assert by_car.notice == (
        "Estimation à vol d'oiseau en voiture : aucun réseau de rues inscrit ici pour ce mode ; "
        "trajet 1,4 fois plus long que la ligne droite, à 40 km/h."
    )
    on_foot = TravelService([loaded("rue", "walk", street())]).isochrone("walk", *origin, 10)
    assert on_foot.estimated is False
    assert on_foot.notice is None
    assert "arrêt réel le plus proche" in with_trains.assumptions("transit", *origin)


# --- through HTTP -------------------------------------------------------------------------


@pytest.fixture
def trains_app(app: FastAPI, trains: TransitNetwork) -> TravelService:
    travel = TravelService([loaded("trains", "transit", trains)])
    app.state.travel = travel
    return travel


def test_a_search_by_public_transport_at_141_m_answers_the_walk(
    client: TestClient, trains_app: TravelService, make_partner: Callable[..., Partner]
) -> None:
    origin = (STREET_LON[0], LAT)
    make_partner(name="À 141 m (fictif)", at=north_of(origin, 141))
    make_partner(name="Près de la gare du Sud (fictif)", at=north_of(STATION_B, 300))
    body = client.get(
        "/v1/partners",
        params={
            "lat": origin[1],
            "lon": origin[0],
            "mode": "transit",
            "departure": "2026-12-08T08:00:00",
        },
    ).json()
    near, far = body["items"]
    assert near["name"] == "À 141 m (fictif)"
    assert near["travel"]["minutes"] == pytest.approx(walk_minutes(141), abs=0.06)
    assert near["travel"]["estimated"] is True
    journey = near["travel"]["journey"]
    assert [leg["kind"] for leg in journey["legs"]] == ["walk"]
    assert journey["mode"] == "transit"
    assert journey["estimated"] is True
    assert journey["notice"].startswith(WALK_WINS)
    assert far["travel"]["estimated"] is True
    assert far["travel"]["minutes"] < walk_estimate(origin, north_of(STATION_B, 300))
    if HAS_LEGS:
        assert "ride" in [leg["kind"] for leg in far["travel"]["journey"]["legs"]]
    assert body["estimated_share"] == 1.0
    assert "le mardi 25/03/2025 a servi pour le mardi 08/12/2026" in body["notice"]
    # without a mode, neither
    plain = client.get("/v1/partners", params={"lat": origin[1], "lon": origin[0]}).json()
    assert plain["notice"] is None
    assert plain["estimated_share"] is None


def test_the_isochrone_answer_says_what_it_assumes(
    client: TestClient, trains_app: TravelService
) -> None:
    origin = north_of(STATION_A, 200)
    features = client.get(
        "/v1/isochrones",
        params={
            "lat": origin[1],
            "lon": origin[0],
            "mode": "transit",
            "minutes": "20,60",
            "departure": "2026-12-08T08:00:00",
        },
    ).json()["features"]
    for feature in features:
        properties = feature["properties"]
        assert properties["estimated"] is True
        assert properties["network"] == "trains"
        assert "le mardi 25/03/2025 a servi pour le mardi 08/12/2026" in properties["notice"]
    walk = client.get(
        "/v1/isochrones",
        params={"lat": origin[1], "lon": origin[0], "mode": "walk", "minutes": 10},
    ).json()["features"][0]["properties"]
    assert walk["estimated"] is True
    assert walk["notice"].startswith("Estimation à vol d'oiseau à pied")


def test_a_match_says_which_timetable_date_answered(
    client: TestClient,
    trains_app: TravelService,
    keys: dict[str, str],
    make_partner: Callable[..., Partner],
    db: Session,
) -> None:
    employer = make_partner(name="Entreprise du Sud (fictif)", kind="entreprise",
                            at=north_of(STATION_B, 300))  # fmt: skip
    db.add(Opportunity(partner_id=employer.id, title="Agent d'entretien", kind="emploi"))
    db.flush()
    body = {
        "location": {"lat": north_of(STATION_A, 200)[1], "lon": STATION_A[0]},
        "modes": [{"mode": "transit", "max_minutes": 90}],
        "wishes": {"kinds": ["emploi"]},
        "departure": "2026-12-08T08:00:00",
    }
    response = client.post("/v1/matches", json=body, headers=bearer(keys["platform"]))
    assert response.status_code == 200, response.text
    result = response.json()
    assert "le mardi 25/03/2025 a servi pour le mardi 08/12/2026" in result["notice"]
    (item,) = result["items"]
    assert item["travel"]["estimated"] is True
    assert result["estimated_share"] == 1.0
    if HAS_LEGS:
        legs = item["travel"]["journey"]["legs"]
        assert [leg["estimated"] for leg in legs if leg["kind"] == "ride"] == [False]
    inside = client.post(
        "/v1/matches",
        json={**body, "departure": "2025-02-04T08:00:00"},
        headers=bearer(keys["platform"]),
    ).json()
    assert inside["notice"] is None
    batch = client.post(
        "/v1/matches/batch",
        json={"persons": [{k: v for k, v in body.items() if k != "departure"}],
              "departure": "2026-12-08T08:00:00"},
        headers=bearer(keys["platform"]),
    )  # fmt: skip
    assert batch.status_code == 200, batch.text
    assert "08/12/2026" in batch.json()["notice"]


@pytest.mark.parametrize(
    "departure",
    [
        "0001-01-01T00:30:00+05:00",
        "9999-12-31T23:00:00-05:00",
        "0386-10-17T19:33:08",
        "9999-12-31T23:59:00",
    ],
)
def test_any_date_is_answered_by_a_date_of_the_timetable(
    client: TestClient, trains_app: TravelService, departure: str
) -> None:
    origin = north_of(STATION_A, 200)
    for path, extra in (("/v1/partners", {}), ("/v1/isochrones", {"minutes": 30})):
        response = client.get(
            path,
            params={"lat": origin[1], "lon": origin[0], "mode": "transit",
                    "departure": departure, **extra},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        assert "Horaires du réseau valables du 06/01/2025 au 28/03/2025" in response.text


@needs_legs
def test_a_registered_walking_network_times_the_walk_to_the_station(
    trains: TransitNetwork,
) -> None:
    """With a walking network under the origin, the walk to the station is the network's
    (not estimated, the walk answer's minutes); the walk from the far station, off that
    network, stays the estimated walk."""
    travel = TravelService([loaded("rue", "walk", street()), loaded("trains", "transit", trains)])
    origin = (STREET_LON[0], LAT)
    far = north_of(STATION_B, 300)
    (journey,) = travel.at(TUESDAY).journeys("transit", *origin, np.array([far]), max_minutes=120)
    assert journey is not None
    kinds = [leg.kind for leg in journey.legs]
    assert kinds[0] == "walk"
    assert "ride" in kinds
    to_station, from_station = journey.legs[0], journey.legs[-1]
    on_foot = travel.times("walk", *origin, np.array([STATION_A]))
    assert not on_foot.estimated[0]
    assert (to_station.estimated, to_station.metres) == (False, None)
    assert to_station.minutes == pytest.approx(float(on_foot.minutes[0]), abs=1 / 60)
    assert from_station.estimated
    assert from_station.minutes == pytest.approx(walk_estimate(STATION_B, far))
    assert journey.estimated
    result = travel.at(TUESDAY).times("transit", *origin, np.array([far]), max_minutes=120)
    assert journey.minutes == pytest.approx(float(result.minutes[0]), abs=1e-9)
