"""Coverage and gaps (`graph.coverage`): hand-computed 2SFCA/E2SFCA, the conservation identity,
equality with PySAL ``access`` (random matrices and the Alès Filosofi grid × the demo crèches),
gap flags on a toy territory, and AHI structures isolated from employment."""

# ruff: noqa: N803, N806 - T, P, S are the matrix, demand and supply of the formulas

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from access import Access, weights

from geodata.grid import read_filosofi
from geodata.traveltime import StraightLineEstimator
from graph import vocabulary
from graph.coverage import (
    E2SFCA_BANDS,
    Category,
    Gap,
    Indicators,
    People,
    ReachTable,
    Supply,
    Zones,
    ahi_capacity,
    band_weights,
    enhanced_two_step_fca,
    flag_gaps,
    indicators,
    isolated_ahi,
    isolation_sites,
    nearest_minutes,
    nearest_site,
    rank_gaps,
    reachable_count,
    reachable_supply,
    select_sites,
    share_within,
    two_step_fca,
    weighted_median,
)
from graph.matching import PartnerSite

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FILOSOFI_ALES = DATA / "population" / "ales_filosofi2019_1km.csv"
NNBSP = "\u202f"
CRECHE_KINDS = ("creches-avip", "creche", "micro-creche-insertion")
CRECHES = Category.of_kinds(*CRECHE_KINDS, code="creches", noun=("crèche", "crèches", True))

# The hand-drawn case: 3 zones × 2 sites, minutes.
#            site 0  site 1
#   zone 0      5      25
#   zone 1     15      12
#   zone 2     40       8
T_HAND = np.array([[5.0, 25.0], [15.0, 12.0], [40.0, 8.0]])
P_HAND = np.array([100.0, 200.0, 300.0])
S_HAND = np.array([10.0, 20.0])


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} absent : les données partagées ../shared ne sont pas à côté du dépôt")
    return path


# --- hand-computed values --------------------------------------------------------------------


def test_two_step_fca_by_hand() -> None:
    # d = 20: site 0 serves zones 0, 1 (D0 = 300), site 1 zones 1, 2 (D1 = 500).
    result = two_step_fca(T_HAND, P_HAND, S_HAND, max_minutes=20)
    r0, r1 = Fraction(10, 300), Fraction(20, 500)
    np.testing.assert_allclose(result.catchment_demand, [300, 500], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.ratio, [float(r0), float(r1)], rtol=1e-15)
    np.testing.assert_allclose(
        result.access, [float(r0), float(r0 + r1), float(r1)], rtol=1e-15
    )  # 1/30, 11/150, 1/25
    assert result.active.all()
    assert float((P_HAND * result.access).sum()) == pytest.approx(30.0, abs=1e-12)


def test_enhanced_two_step_fca_by_hand() -> None:
    # W: 5 → 1.00, 25 → 0.22, 15 → 0.68, 12 → 0.68, 40 → 0, 8 → 1.00.
    w = {5: Fraction(1), 25: Fraction(22, 100), 15: Fraction(68, 100), 12: Fraction(68, 100)}
    d0 = 100 * w[5] + 200 * w[15]  # 236
    d1 = 100 * w[25] + 200 * w[12] + 300  # 458
    r0, r1 = 10 / d0, 20 / d1
    expected = [w[5] * r0 + w[25] * r1, w[15] * r0 + w[12] * r1, r1]
    result = enhanced_two_step_fca(T_HAND, P_HAND, S_HAND)
    np.testing.assert_allclose(result.catchment_demand, [236, 458], rtol=1e-15)
    np.testing.assert_allclose(result.access, [float(x) for x in expected], rtol=1e-14)
    assert float((P_HAND * result.access).sum()) == pytest.approx(30.0, abs=1e-12)


def test_band_weights_bounds_are_inclusive_like_access_step_fn() -> None:
    times = np.array([[0.0, 10.0, 10.000001, 20.0, 20.5, 30.0, 30.000001, np.inf]])
    step = weights.step_fn({10: 1.0, 20: 0.68, 30: 0.22})
    expected = [step(t) for t in times[0]]
    assert band_weights(times).tolist() == [expected]
    assert expected == [1.0, 1.0, 0.68, 0.68, 0.22, 0.22, 0, 0]
    custom = band_weights(times, ((15.0, 0.9), (25.0, 0.1)))
    assert custom.tolist() == [[0.9, 0.9, 0.9, 0.1, 0.1, 0.0, 0.0, 0.0]]


# --- conservation ----------------------------------------------------------------------------


def test_conservation_holds_over_the_sites_that_reach_demand() -> None:
    # Site 2 reaches only zone 3, whose demand is 0; site 3 reaches nobody; zone 4 reaches
    # nothing. Σ P·A equals the supply of sites 0 and 1 only.
    T = np.array(
        [
            [5.0, 25.0, np.inf, np.inf],
            [15.0, 12.0, np.inf, np.inf],
            [40.0, 8.0, np.inf, np.inf],
            [np.inf, np.inf, 3.0, np.inf],
            [np.inf, np.inf, np.inf, np.inf],
        ]
    )
    P = np.array([100.0, 200.0, 300.0, 0.0, 50.0])
    S = np.array([10.0, 20.0, 7.0, 4.0])
    for result in (two_step_fca(T, P, S, max_minutes=20), enhanced_two_step_fca(T, P, S)):
        assert result.active.tolist() == [True, True, False, False]
        assert result.ratio[2:].tolist() == [0.0, 0.0]
        assert result.access[4] == 0.0  # reaches nothing: 0, where access answers NaN
        assert result.access[3] == 0.0  # reaches only an inactive site
        total = float((P * result.access).sum())
        assert total == pytest.approx(result.conserved_supply(S), rel=1e-12)
        assert total == pytest.approx(30.0, rel=1e-12)
        assert total != pytest.approx(float(S.sum()))  # 41: the identity is over active sites


@pytest.mark.parametrize("seed", range(5))
def test_conservation_on_random_matrices(seed: int) -> None:
    T, P, S = _random_case(seed, zeros=True)
    for result in (
        two_step_fca(T, P, S, max_minutes=25),
        enhanced_two_step_fca(T, P, S),
        enhanced_two_step_fca(T, P, S, bands=((5, 1.0), (15, 0.5), (40, 0.1))),
    ):
        assert float(P @ result.access) == pytest.approx(result.conserved_supply(S), rel=1e-12)
        np.testing.assert_array_equal(result.active, result.catchment_demand > 0)


# --- equality with PySAL access ----------------------------------------------------------------


def _random_case(
    seed: int, *, n: int = 60, m: int = 12, zeros: bool = False, integer: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    T = rng.integers(0, 50, (n, m)).astype(float) if integer else rng.uniform(0, 50, (n, m))
    T[rng.random((n, m)) < 0.3] = np.inf  # unreachable pairs
    P = rng.uniform(1, 1000, n)
    if zeros:
        P[rng.random(n) < 0.2] = 0.0
    S = rng.integers(1, 60, m).astype(float)
    return T, P, S


def _access(T: np.ndarray, P: np.ndarray, S: np.ndarray) -> Access:
    """An `access.Access` over the finite pairs of ``T`` (its long cost table)."""
    zone, site = np.nonzero(np.isfinite(T))
    cost = pd.DataFrame({"origin": zone, "dest": site, "cost": T[zone, site]})
    demand = pd.DataFrame({"pop": P}).rename_axis("geoid")
    supply = pd.DataFrame({"cap": S}).rename_axis("geoid")
    return Access(
        demand_df=demand,
        demand_value="pop",
        supply_df=supply,
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )


def _column(frame: pd.DataFrame, n: int) -> np.ndarray:
    return np.asarray(frame.iloc[:, 0].reindex(range(n)), dtype=float)


def _assert_equal_to_access(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Equal within 1e-9 (absolute and relative); access's NaN (no site reached) is our 0."""
    missing = np.isnan(theirs)
    assert (ours[missing] == 0).all()
    np.testing.assert_allclose(ours[~missing], theirs[~missing], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(("seed", "integer"), [(seed, seed % 2 == 1) for seed in range(6)])
def test_equal_to_access_on_random_matrices(seed: int, integer: bool) -> None:
    # Integer minutes put many trips exactly on the bounds (10, 20, 25, 30): same convention.
    T, P, S = _random_case(seed, integer=integer)
    model = _access(T, P, S)
    n = T.shape[0]
    for d in (10.0, 25.0):
        theirs = _column(model.two_stage_fca(name=f"d{int(d)}", max_cost=d), n)
        ours = two_step_fca(T, P, S, max_minutes=d).access
        _assert_equal_to_access(ours, theirs)
        _assert_equal_to_access(
            two_step_fca(ReachTable.from_dense(T), P, S, max_minutes=d).access, theirs
        )
    theirs = _column(model.enhanced_two_stage_fca(), n)  # default bands, no max_cost
    _assert_equal_to_access(enhanced_two_step_fca(T, P, S).access, theirs)
    _assert_equal_to_access(enhanced_two_step_fca(ReachTable.from_dense(T), P, S).access, theirs)
    bands = ((5.0, 1.0), (15.0, 0.5), (40.0, 0.1))
    step = weights.step_fn(dict(bands))
    theirs = _column(model.enhanced_two_stage_fca(name="custom", weight_fn=step), n)
    _assert_equal_to_access(enhanced_two_step_fca(T, P, S, bands=bands).access, theirs)


# --- the real case: Alès 1 km Filosofi grid × demo crèches -----------------------------------


@dataclass(frozen=True)
class Demo:
    features: list[dict[str, Any]]
    sites: list[PartnerSite]
    relations: list[tuple[str, str]]


def _site(feature: dict[str, Any]) -> PartnerSite:
    properties = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"]
    return PartnerSite(
        id=properties["source_id"],
        name=properties["name"],
        kind=properties["kind"],
        lon=lon,
        lat=lat,
        thematiques=tuple(properties.get("thematiques", ())),
        capacity=properties.get("capacity"),
    )


@pytest.fixture(scope="module")
def demo(demo_features: list[dict[str, Any]]) -> Demo:
    features = demo_features
    return Demo(
        features=features,
        sites=[_site(feature) for feature in features],
        relations=[
            (feature["properties"]["source_id"], relation["target_source_id"])
            for feature in features
            for relation in feature["properties"].get("relations", [])
        ],
    )


def test_equal_to_access_on_ales_filosofi_grid_and_demo_creches(demo: Demo) -> None:
    grid = read_filosofi(_shared(FILOSOFI_ALES))
    supply = select_sites(demo.sites, CRECHES)
    assert len(supply) > 50
    assert supply.capacity_known.all()
    T = StraightLineEstimator("walk").travel_times(grid.grid.centroids("EPSG:4326"), supply.lonlat)
    P = grid.population
    S = supply.weights
    model = _access(T, P, S)
    n = len(P)
    result = indicators(T, P, S, max_minutes=30)
    theirs = _column(model.two_stage_fca(max_cost=30), n)
    _assert_equal_to_access(result.two_sfca.access, theirs)
    assert np.isnan(theirs).sum() == (~result.share.covered).sum() > 0
    _assert_equal_to_access(result.e2sfca.access, _column(model.enhanced_two_stage_fca(), n))
    for catchment in (result.two_sfca, result.e2sfca):
        assert catchment.active.sum() >= 10
        assert float(P @ catchment.access) == pytest.approx(
            catchment.conserved_supply(S), rel=1e-12
        )


# --- simple indicators, dense and sparse -------------------------------------------------------


def test_nearest_reachable_and_share() -> None:
    T = np.array([[12.0, 7.0, 7.0], [np.inf, np.inf, np.inf], [3.0, 30.0, 20.0]])
    P = np.array([10.0, 5.0, 85.0])
    S = np.array([2.0, 3.0, 4.0])
    for times in (T, ReachTable.from_dense(T)):
        assert nearest_minutes(times).tolist() == [7.0, np.inf, 3.0]
        assert nearest_site(times).tolist() == [1, -1, 0]  # tie 7 / 7: lowest index
        assert reachable_count(times, max_minutes=12).tolist() == [3, 0, 1]
        assert reachable_supply(times, S, max_minutes=20).tolist() == [9.0, 0.0, 6.0]
        share = share_within(times, P, max_minutes=5)
        assert share.covered.tolist() == [False, False, True]
        assert (share.demand_within, share.demand_total, share.share) == (85.0, 100.0, 0.85)
    assert share_within(T, np.zeros(3), max_minutes=5).share is None


def test_indicators_bundle_agrees_with_the_single_functions() -> None:
    T, P, S = _random_case(7, zeros=True)
    for times in (T, ReachTable.from_dense(T)):
        bundle = indicators(times, P, S, max_minutes=20)
        assert isinstance(bundle, Indicators)
        assert len(bundle) == T.shape[0]
        np.testing.assert_array_equal(bundle.nearest_minutes, nearest_minutes(T))
        np.testing.assert_array_equal(bundle.nearest_site, nearest_site(T))
        np.testing.assert_array_equal(bundle.reachable_count, reachable_count(T, max_minutes=20))
        np.testing.assert_allclose(bundle.reachable_supply, reachable_supply(T, S, max_minutes=20))
        np.testing.assert_array_equal(
            bundle.share.covered, share_within(T, P, max_minutes=20).covered
        )
        np.testing.assert_allclose(
            bundle.two_sfca.access, two_step_fca(T, P, S, max_minutes=20).access, rtol=1e-12
        )
        np.testing.assert_allclose(
            bundle.e2sfca.access, enhanced_two_step_fca(T, P, S).access, rtol=1e-12
        )
        assert bundle.bands == E2SFCA_BANDS


def test_reach_table_round_trips_and_takes_pairs_in_any_order() -> None:
    T, _, _ = _random_case(3)
    table = ReachTable.from_dense(T)
    assert len(table) == int(np.isfinite(T).sum())
    np.testing.assert_array_equal(table.to_dense(), T)
    shuffled = np.random.default_rng(0).permutation(len(table))
    again = ReachTable.from_pairs(
        table.zones[shuffled], table.sites[shuffled], table.minutes[shuffled], shape=T.shape
    )
    np.testing.assert_array_equal(again.to_dense(), T)
    budgeted = ReachTable.from_dense(T, max_minutes=20)
    assert (budgeted.minutes <= 20).all()
    with pytest.raises(ValueError, match="deux fois"):
        ReachTable.from_pairs([0, 0], [1, 1], [3.0, 4.0], shape=(1, 2))
    with pytest.raises(ValueError, match="hors de la forme"):
        ReachTable.from_pairs([0], [2], [3.0], shape=(1, 2))


def test_invalid_inputs_are_refused_in_french() -> None:
    with pytest.raises(ValueError, match="Temps de trajet invalides"):
        two_step_fca([[np.nan]], [1.0], [1.0], max_minutes=10)
    with pytest.raises(ValueError, match="Temps de trajet invalides"):
        nearest_minutes([[-1.0]])
    with pytest.raises(ValueError, match="Demande par zone"):
        two_step_fca(T_HAND, [1.0, 2.0], S_HAND, max_minutes=10)
    with pytest.raises(ValueError, match="Offre par site"):
        two_step_fca(T_HAND, P_HAND, [1.0, -2.0], max_minutes=10)
    with pytest.raises(ValueError, match="Budget de temps invalide"):
        reachable_count(T_HAND, max_minutes=float("inf"))
    with pytest.raises(ValueError, match="Tranches E2SFCA invalides"):
        enhanced_two_step_fca(T_HAND, P_HAND, S_HAND, bands=((20, 1.0), (10, 0.5)))


# --- categories and supply -------------------------------------------------------------------


def _partner(
    id: str, kind: str, lon: float = 4.08, lat: float = 44.12, **fields: Any
) -> PartnerSite:
    return PartnerSite(
        id=id, name=fields.pop("name", f"{id} (fictif)"), kind=kind, lon=lon, lat=lat, **fields
    )


def test_select_sites_weights_by_capacity_where_known() -> None:
    partners = [
        _partner("a", "creches-avip", capacity=40),
        _partner("b", "creche"),  # capacity unknown: 1
        _partner("c", "chrs", capacity=60),
        _partner("d", "micro-creche-insertion", capacity=0),
        _partner("e", "ccas-cias", thematiques=("famille--garde-denfants",)),
    ]
    supply = select_sites(partners, CRECHES)
    assert isinstance(supply, Supply)
    assert supply.ids == ("a", "b", "d")
    assert supply.weights.tolist() == [40.0, 1.0, 0.0]
    assert supply.capacity_known.tolist() == [True, False, True]
    assert supply.unit == ("place", "places")
    assert select_sites(partners, CRECHES, weight="count").weights.tolist() == [1.0, 1.0, 1.0]
    family = select_sites(partners, Category.of_family("garde-enfants"))
    assert family.ids == ("a", "b", "d")
    assert family.category.noun == "structure de garde d'enfants"
    theme = select_sites(partners, Category.of_thematique("famille--garde-denfants"))
    assert theme.ids == ("e",)
    assert Category.of_kinds("esat").noun == "ESAT"
    with pytest.raises(vocabulary.UnknownCodeError):
        Category.of_kinds("creches")


def test_ahi_capacity_sums_hebergement_capacities_per_zone() -> None:
    partners = [
        _partner("a", "chrs", capacity=60),
        _partner("b", "chu", capacity=20),
        _partner("c", "cada"),  # unknown capacity adds nothing
        _partner("d", "creche", capacity=30),  # not AHI
        _partner("e", "cph", capacity=15),  # outside every zone
    ]
    assert ahi_capacity(partners, [0, 0, 1, 1, -1], 3).tolist() == [80.0, 0.0, 0.0]


# --- gaps --------------------------------------------------------------------------------------


def _toy_territory() -> tuple[Zones, Supply, Indicators]:
    """Five communes, three crèches, walking minutes; budget 20 min.

    Saint-Ambroix reaches no crèche (nearest 33.4 min); Le Vigan none at all; Anduze reaches one
    crèche shared with Alès (weak offer); Alès and Uzès are well served.
    """
    zones = Zones(
        ids=("30227", "30007", "30350", "30010", "30334"),
        names=("Saint-Ambroix", "Alès", "Le Vigan", "Anduze", "Uzès"),
    )
    creches = [
        _partner("c1", "creche", name="Crèche Les Cigales (fictif)", capacity=40),
        _partner("c2", "creches-avip", name="Crèche AVIP La Filature (fictif)", capacity=30),
        _partner("c3", "creche", name="Crèche Le Figuier (fictif)", capacity=30),
    ]
    supply = select_sites(creches, CRECHES)
    T = np.array(
        [
            [33.4, 50.0, np.inf],  # Saint-Ambroix
            [8.0, 12.0, np.inf],  # Alès
            [np.inf, np.inf, np.inf],  # Le Vigan
            [np.inf, 18.0, np.inf],  # Anduze
            [np.inf, np.inf, 5.0],  # Uzès
        ]
    )
    P = np.array([1240.0, 42000.0, 3800.0, 3400.0, 8700.0])
    return zones, supply, indicators(T, P, supply.weights, max_minutes=20)


def test_flag_gaps_on_a_toy_territory() -> None:
    zones, supply, ind = _toy_territory()
    gaps = flag_gaps(zones, ind, supply=supply, mode="walk")
    assert [(g.zone_name, g.kind) for g in gaps] == [
        ("Le Vigan", "aucun-site-atteignable"),
        ("Anduze", "offre-faible"),
        ("Saint-Ambroix", "aucun-site-atteignable"),
    ]
    vigan, anduze, ambroix = gaps
    assert ambroix.message == (
        f"1{NNBSP}240 habitants de Saint-Ambroix n'atteignent aucune crèche en moins de "
        "20 minutes à pied ; la plus proche (Crèche Les Cigales (fictif)) est à 33,4 min."
    )
    assert ambroix.severity == pytest.approx(1 - 20 / (2 * 33.4))
    assert (ambroix.nearest_site_id, ambroix.nearest_minutes) == ("c1", 33.4)
    assert ambroix.population == 1240.0
    assert ambroix.category == "creches"
    assert vigan.severity == 1.0
    assert vigan.nearest_site_id is None
    assert vigan.message == (
        f"3{NNBSP}800 habitants du Vigan n'atteignent aucune crèche en moins de 20 minutes à pied."
    )
    # Anduze: E2SFCA = 0.68 × 30 / (0.68 × (42000 + 3400)) far below half the median person's
    # (Alès, whose E2SFCA is the demand-weighted median).
    median = weighted_median(ind.e2sfca.access, ind.demand)
    assert median == pytest.approx(ind.e2sfca.access[1])
    assert anduze.threshold == pytest.approx(0.5 * median)
    assert anduze.severity == pytest.approx(0.5 * (1 - anduze.accessibility / anduze.threshold))
    assert 0 < anduze.severity <= 0.5 < ambroix.severity
    assert anduze.message.startswith(
        f"Offre faible de crèches pour 3{NNBSP}400 habitants d'Anduze : "
    )
    assert "sous 50 % de la médiane du territoire" in anduze.message
    assert anduze.message.endswith(
        "; la plus proche (Crèche AVIP La Filature (fictif)) est à 18 min à pied."
    )


def test_flag_gaps_options_and_ranking() -> None:
    zones, supply, ind = _toy_territory()
    none_weak = flag_gaps(zones, ind, supply=supply, mode="car", median_fraction=0.0)
    assert {g.kind for g in none_weak} == {"aucun-site-atteignable"}
    assert "en voiture" in none_weak[0].message
    small = flag_gaps(zones, ind, supply=supply, mode="walk", min_population=5000)
    assert small == []
    everyone_weak = flag_gaps(zones, ind, supply=supply, mode="walk", reference=1.0)
    assert {g.zone_name for g in everyone_weak if g.kind == "offre-faible"} == {
        "Alès",
        "Anduze",
        "Uzès",
    }
    # one person: singular
    single = Zones(
        ids=("x",), names=("Uzès",), people=People("demandeur d'emploi", "demandeurs d'emploi")
    )
    gap = flag_gaps(
        single, indicators([[40.0]], [1.0], [1.0], max_minutes=20), supply=_one_site(), mode="bike"
    )[0]
    assert gap.message.startswith(
        "1 demandeur d'emploi d'Uzès n'atteint aucune crèche en moins de 20 minutes à vélo"
    )
    with pytest.raises(ValueError, match="Mode inconnu"):
        flag_gaps(zones, ind, supply=supply, mode="plane")
    assert rank_gaps(reversed(everyone_weak)) == rank_gaps(everyone_weak)
    assert all(isinstance(g, Gap) for g in everyone_weak)


def _one_site() -> Supply:
    return select_sites([_partner("c", "creche", name="Crèche (fictif)")], CRECHES)


def test_weighted_median() -> None:
    assert weighted_median([3.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == 2.0
    assert weighted_median([0.0, 10.0], [1.0, 3.0]) == 10.0
    assert weighted_median([0.0, 10.0], [1.0, 1.0]) == 0.0  # lower median
    assert np.isnan(weighted_median([1.0], [0.0]))


# --- AHI structures isolated from employment ---------------------------------------------------


def test_isolated_ahi_on_a_toy_network() -> None:
    partners = [
        _partner("chrs-linked", "chrs", name="CHRS Les Tilleuls (fictif)"),
        _partner("chrs-near", "chrs", name="CHRS La Source (fictif)"),
        _partner("chrs-alone", "chrs", name="CHRS Le Vieux Pont (fictif)"),
        _partner("chu-ft", "chu", name="CHU La Boussole (fictif)"),
        _partner("aci", "aci", name="Chantier d'insertion La Cèze (fictif)"),
        _partner("shop", "entreprise", name="Épicerie Bastide (fictif)"),
        _partner("ft", "france-travail", name="France Travail Alès (fictif)"),
    ]
    ahi, employers = isolation_sites(partners)
    assert [p.id for p in ahi] == ["chrs-linked", "chrs-near", "chrs-alone", "chu-ft"]
    assert [p.id for p in employers] == ["aci", "shop"]
    minutes = np.array([[50.0, 60.0], [25.0, 12.0], [41.2, 55.0], [np.inf, np.inf]])
    relations = [("chrs-linked", "aci"), ("chu-ft", "ft"), ("ft", "chrs-alone")]
    found = isolated_ahi(partners, relations, minutes, budget=20, mode="walk")
    assert [s.id for s in found] == ["chu-ft", "chrs-alone"]  # unreachable first
    alone = found[1]
    assert (alone.nearest_id, alone.nearest_minutes) == ("aci", 41.2)
    assert alone.message == (
        "CHRS Le Vieux Pont (fictif) n'a de relation avec aucune SIAE ni aucun employeur, et "
        "aucun n'est à moins de 20 minutes à pied ; le plus proche (Chantier d'insertion La Cèze "
        "(fictif)) est à 41,2 min."
    )
    assert found[0].nearest_id is None
    assert found[0].message.endswith("20 minutes à pied.")
    with pytest.raises(ValueError, match="attendue"):
        isolated_ahi(partners, relations, minutes[:2], budget=20)


def test_isolated_ahi_in_the_demo_territory(demo: Demo) -> None:
    # The seed's question — no SIAE partner and no SIAE within 20 minutes on foot — finds the
    # demo's CHRS of Le Vigan, kept away from employment on purpose. Isolation from every
    # employer is stricter: those structures are isolated from the SIAE too.
    walk = StraightLineEstimator("walk")
    found: dict[str, list[str]] = {}
    for name, kinds in (("employeurs", None), ("siae", vocabulary.SIAE_KINDS)):
        ahi, employers = isolation_sites(demo.sites, employer_kinds=kinds)
        minutes = walk.travel_times(
            np.array([(p.lon, p.lat) for p in ahi]), np.array([(p.lon, p.lat) for p in employers])
        )
        isolated = isolated_ahi(
            demo.sites, demo.relations, minutes, budget=20, mode="walk", employer_kinds=kinds
        )
        employer_ids = {p.id for p in employers}
        for structure in isolated:
            assert not any(
                (s == structure.id and t in employer_ids)
                or (t == structure.id and s in employer_ids)
                for s, t in demo.relations
            )
            assert structure.nearest_minutes is not None
            assert structure.nearest_minutes > 20
        found[name] = [structure.id for structure in isolated]
    assert set(found["employeurs"]) <= set(found["siae"])
    le_vigan_chrs = {
        f["properties"]["source_id"]
        for f in demo.features
        if f["properties"]["kind"] == "chrs" and f["properties"]["code_insee"] == "30350"
    }
    assert le_vigan_chrs
    assert le_vigan_chrs <= set(found["siae"])


def test_bands_fitted_to_the_budget() -> None:
    from graph.coverage import E2SFCA_BANDS, bands_for_budget, e2sfca_sentence

    assert bands_for_budget(30) == E2SFCA_BANDS
    bands = bands_for_budget(20)
    assert [b for b, _ in bands] == pytest.approx([20 / 3, 40 / 3, 20.0])
    assert [w for _, w in bands] == [1.0, 0.68, 0.22]
    with pytest.raises(ValueError, match="budget"):
        bands_for_budget(0)
    assert bands_for_budget(5e-324) == ((5e-324, 1.0),)  # thirds underflow: one band
    sentence = e2sfca_sentence(bands_for_budget(45))
    assert "(en entier jusqu'à 15 min, à 68 % jusqu'à 30 min, à 22 % jusqu'à 45 min, " in sentence
    assert "places sont à portée pour 1 000 habitants" in sentence
    children = e2sfca_sentence(bands_for_budget(20), per="enfants de 0 à 3 ans")
    assert "à 22 % jusqu'à 20 min, plus du tout au-delà" in children
    assert "pour 1 000 enfants de 0 à 3 ans" in children


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(20.37, 20.4), (20.4, 20.4), (20.02, 20.1), (20.0, 20.0), (19.999999999, 20.0), (0.31, 0.4)],
)
def test_minutes_are_shown_up_to_the_tenth_never_under_the_budget(
    minutes: float, shown: float
) -> None:
    from graph.coverage import shown_minutes

    assert shown_minutes(minutes) == shown


def test_unlinked_shelters_include_the_isolated_ones() -> None:
    from graph.coverage import unlinked_ahi

    sites = [
        _partner("chrs-linked", "chrs"),
        _partner("chrs-near", "chrs"),
        _partner("chrs-far", "chrs"),
        _partner("aci", "aci"),
    ]
    relations = [("chrs-linked", "aci")]
    assert [s.id for s in unlinked_ahi(sites, relations)] == ["chrs-near", "chrs-far"]
    minutes = np.array([[5.0], [10.0], [90.0]])
    isolated = isolated_ahi(sites, relations, minutes, budget=30)
    assert [s.id for s in isolated] == ["chrs-far"]
