"""Travel legs on the pages, in Chromium: with a timetable registered (a hand-made feed of
trains between Alès and Nîmes stations, every 30 minutes), the partner search by public
transport and the orientation proposals show each trip leg by leg — the walk to the station
(estimated), the train with its stations and times, the walk from the station."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session

from geodata.transit import TransitNetwork
from service.accounts.users import create_account
from service.db import make_engine
from service.travel import LoadedNetwork, TravelService
from tests.service.pages.test_browser import PASSWORD, VIEWPORTS, Visit, log_in, open_tab, serve_app
from tests.service.test_travel_journeys import _clock

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.db, pytest.mark.slow]

ALES_STATION = (4.0833, 44.1274)  # lon, lat
NIMES_STATION = (4.3660, 43.8328)


def write_trains(folder: Path) -> Path:
    """Trains Alès → Nîmes and back every 30 minutes, 05:30 to 21:00, every day of 2026–2028;
    41 minutes between stations (the TER takes 31 to 41)."""
    folder.mkdir(parents=True)
    trips = ["route_id,service_id,trip_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for k, leaves in enumerate(range(5 * 60 + 30, 21 * 60, 30)):
        for direction, (first, second) in enumerate((("ALS", "NMS"), ("NMS", "ALS"))):
            trip = f"t{k}-{direction}"
            trips.append(f"TER,S,{trip}")
            times.append(f"{trip},{_clock(leaves)},{_clock(leaves)},{first},1")
            times.append(f"{trip},{_clock(leaves + 41)},{_clock(leaves + 41)},{second},2")
    tables = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "T,TER test,https://example.org,Europe/Paris",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        f"ALS,Alès,{ALES_STATION[1]},{ALES_STATION[0]}\n"
        f"NMS,Nîmes,{NIMES_STATION[1]},{NIMES_STATION[0]}",
        "routes.txt": "route_id,route_short_name,route_type\nTER,TER,2",
        "trips.txt": "\n".join(trips),
        "stop_times.txt": "\n".join(times),
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\nS,1,1,1,1,1,1,1,20260101,20281231",
    }
    for name, text in tables.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Served:
    url: str
    platform_email: str


@pytest.fixture(scope="module")
def with_trains(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo served with the trains loaded as the Gard's public transport network."""
    from service.app import create_app
    from service.settings import Settings

    engine = make_engine(demo_url)
    with Session(engine) as session:
        email = f"trains-{uuid.uuid4().hex[:8]}@navigateur.example.org"
        create_account(
            session,
            email=email,
            display_name="Camille Plateforme (test)",
            role="platform",
            organisation_id=None,
            password=PASSWORD,
        )
        session.commit()
    engine.dispose()
    trains = TransitNetwork.from_gtfs(write_trains(tmp_path_factory.mktemp("ter") / "feed"))
    loaded = LoadedNetwork(uuid.uuid4(), "gard", "transit", (3.2, 43.4, 4.9, 44.5), trains)
    app = create_app(Settings(env="test", database_url=demo_url))
    with serve_app(app) as base:
        app.state.travel = TravelService([loaded])
        yield Served(base, email)


@pytest.fixture
def visit(browser: Browser, with_trains: Served) -> Iterator[Visit]:
    tab = open_tab(browser, with_trains.url, VIEWPORTS["bureau"])
    try:
        yield tab
    finally:
        tab.page.context.close()
    tab.check_clean()


RIDE = re.compile(r"train TER Alès \d\d:\d\d → Nîmes \d\d:\d\d")


def test_partners_by_public_transport_show_the_train_leg(visit: Visit) -> None:
    visit.open("/partenaires")
    page = visit.page
    page.fill("#adresse", "Alès")
    page.select_option("#mode", "transit")
    page.fill("#minutes", "75")
    page.fill("#mots", "Nîmes")
    page.press("#minutes", "Enter")
    page.wait_for_selector("#resultats .result .legs")
    rides = page.locator("#resultats .leg-ride").all_inner_texts()
    trains = [text for text in rides if RIDE.search(text)]
    assert trains, rides
    others = [text for text in rides if text not in trains]  # no timetable: said estimated
    assert all(re.search(r"\d+ min en bus depuis .+estimé", text) for text in others), others
    first = page.locator("#resultats .result:has(.leg-ride) .legs").first.inner_text()
    # walk to the station (estimated: no street network), the train, the walk from the station
    assert re.search(r"min à pied jusqu'à Alès\s*estimé", first), first
    assert "estimé" not in page.locator("#resultats .leg-ride").first.inner_text()
    visit.shot("partenaires-trajet-en-train")


def test_orientation_proposals_tell_the_train_leg(visit: Visit, with_trains: Served) -> None:
    visit.open("/orientation")
    page = visit.page
    log_in(visit, with_trains.platform_email, "/orientation")
    page.click("#adresse")
    page.keyboard.type("Alès")
    page.click("#adresse-liste .combobox-option >> nth=0")
    page.uncheck("#mode-walk")
    page.check("#mode-transit")
    page.fill("#minutes-transit", "75")
    page.fill("#mots-cles", "Nîmes")
    page.fill("#limite", "100")
    page.click("#orientation button[type=submit]")
    page.wait_for_selector(".match-card")
    rides = page.locator(".match-card .leg-ride").all_inner_texts()
    trains = [text for text in rides if RIDE.search(text)]
    assert trains, rides
    assert all("estimé" not in text for text in trains)
    # rides without a timetable (a bus estimated at a stated speed) say so
    others = [text for text in rides if text not in trains]
    assert all(re.search(r"\d+ min en bus depuis .+estimé", text) for text in others), others
    card = page.locator(".match-card").filter(has_text=RIDE).first
    card.scroll_into_view_if_needed()
    visit.shot("orientation-trajet-en-train", full_page=False)
