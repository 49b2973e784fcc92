"""Coverage and gaps: where the territorial offer is missing, for whom, and how badly.

Everything here is a pure function over a **travel-time matrix** and plain arrays; building the
matrix (zones, sites, a street network or a straight-line estimate) is the adapter's job.

Inputs and units
----------------
``T``
    Travel times in **minutes**, float, shape ``(n_zones, n_sites)``; ``T[i, j]`` is the trip
    from the point representing zone ``i`` (a commune's town hall, a grid cell's centroid) to
    site ``j``. ``inf`` means unreachable (off the network, or beyond the ``max_minutes`` the
    matrix was computed with). NaN and negative times are refused.
``P``
    Demand per zone, in **persons** (population, people living in a QPV, hosted capacity,
    job seekers...), float, shape ``(n_zones,)``, finite and ≥ 0.
``S``
    Supply per site (places; 1 per site where the capacity is unknown, see `select_sites`),
    float, shape ``(n_sites,)``, finite and ≥ 0.

Instead of the dense ``T``, every function takes a `ReachTable`: the reachable pairs only,
as PySAL ``access`` and r5py take them. The computations run over those pairs (sparse
matrix-vector products), so their cost follows the pairs within reach, not zones × sites.

A site is **within the budget** ``d`` of a zone when ``T[i, j] <= d`` (bounds included, as in
PySAL ``access``).

The indicators (per zone)
-------------------------
- `nearest_minutes`, `nearest_site`: ``min_j T[i, j]`` and its argument (lowest index on ties).
- `reachable_count`: ``#{j : T[i, j] <= d}``; `reachable_supply`: ``Σ_{j : T[i,j] <= d} S_j``.
- `share_within`: whether a zone reaches at least one site within ``d``, and the share of the
  territory's demand that does, ``Σ_{i covered} P_i / Σ_i P_i``.
- `two_step_fca` (2SFCA, Luo & Wang 2003) and `enhanced_two_step_fca` (E2SFCA, Luo & Qi 2009):
  with a distance-decay weight ``W(t)`` (``W = 1`` on ``[0, d]`` for 2SFCA, a step function of
  time bands for E2SFCA, 0 outside the catchment),

  .. math::

     D_j = \\sum_i P_i\\,W(t_{ij}), \\qquad
     R_j = \\begin{cases} S_j / D_j & D_j > 0 \\\\ 0 & D_j = 0 \\end{cases}, \\qquad
     A_i = \\sum_j W(t_{ij})\\,R_j .

  ``R_j`` is the supply per person in site ``j``'s catchment, ``A_i`` the supply per person
  accessible from zone ``i`` (places per person; × 1,000 for "places pour 1 000 habitants").

Conservation
------------
Swapping the sums, ``Σ_i P_i A_i = Σ_j R_j Σ_i P_i W(t_ij) = Σ_j R_j D_j = Σ_{j : D_j > 0} S_j``:
the accessibility, weighted by demand, adds up to the supply **of the sites whose catchment
holds some demand** (``D_j > 0``). A site that reaches no demand — no zone within its
catchment, or only zones with ``P_i = 0``, or (E2SFCA) only bands of weight 0 — gets
``R_j = 0`` and its supply is counted nowhere. `FloatingCatchment.active` marks the sites
with ``D_j > 0``; ``Σ_i P_i A_i = Σ_j S_j · active_j`` holds to rounding, for 2SFCA and E2SFCA
alike (the same weight is applied in both steps). Zones with ``P_i = 0`` get an ``A_i`` like any
other zone (what a person settling there would reach) and weigh nothing in the identity.

Conventions compared with PySAL ``access`` (1.1)
------------------------------------------------
Same numbers wherever ``access`` gives one (tested to 1e-9 on random and real inputs), with:

- ``access`` takes a long cost table and ignores missing pairs; an ``inf`` here is such a pair.
- Catchment bounds are inclusive in both: ``t <= max_cost``, and ``access.weights.step_fn``
  gives band ``k`` its weight when ``t <= upper bound`` (a time of exactly 10 minutes weighs
  1.00 with the default E2SFCA bands).
- ``access`` answers NaN for a zone that reaches no site, and ``inf``/NaN ratios for a site
  whose catchment demand is 0; here those are ``A_i = 0`` and ``R_j = 0`` (and the site is
  reported inactive), so that results are finite and the conservation identity is exact.
- ``access.Access.enhanced_two_stage_fca`` without ``max_cost`` weighs trips beyond the last
  band 0; `enhanced_two_step_fca` does the same (its catchment is the last band's bound).

Gaps
----
`flag_gaps` turns the indicators of one category into a ranked list of `Gap`, each with a
French sentence for the DDETS (domain.md §2, §7); `isolated_ahi` finds the AHI structures with
no relation to any SIAE or employer and none within reach (the seed's central finding).
"""

# ruff: noqa: N803 - T, P, S are the matrix, demand and supply of the formulas in the docstrings

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

from geodata.modes import MODE_LABELS
from graph import vocabulary

__all__ = [
    "AHI_FAMILY",
    "E2SFCA_BANDS",
    "E2SFCA_WEIGHTS",
    "EMPLOYER_FAMILIES",
    "ISOLATED_AHI_DEFINITION",
    "MAX_COVERAGE_MINUTES",
    "UNLINKED_AHI_DEFINITION",
    "Category",
    "FloatingCatchment",
    "Gap",
    "GapKind",
    "Indicators",
    "IsolatedStructure",
    "People",
    "ReachTable",
    "Share",
    "SiteRecord",
    "Supply",
    "TravelTimes",
    "Zones",
    "ahi_capacity",
    "band_weights",
    "bands_for_budget",
    "e2sfca_sentence",
    "employment_linked",
    "enhanced_two_step_fca",
    "flag_gaps",
    "indicators",
    "isolated_ahi",
    "isolation_sites",
    "nearest_minutes",
    "nearest_site",
    "rank_gaps",
    "reachable_count",
    "reachable_supply",
    "select_sites",
    "share_within",
    "shown_minutes",
    "two_step_fca",
    "unlinked_ahi",
    "weighted_median",
]

MAX_COVERAGE_MINUTES: Final = 120.0
"""The longest travel-time budget a coverage question may ask, minutes."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Bands = tuple[tuple[float, float], ...]
"""E2SFCA time bands as ``((upper bound in minutes, weight), ...)``, bounds increasing."""

E2SFCA_BANDS: Final[Bands] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
"""Luo & Qi (2009)'s weights: 1.00 on [0, 10] min, 0.68 on ]10, 20], 0.22 on ]20, 30], 0 after.

These are the weights of a Gaussian decay sampled at the middle of each band, as in the paper
and in PySAL ``access`` (``weights.step_fn({10: 1, 20: 0.68, 30: 0.22})``)."""

E2SFCA_WEIGHTS: Final[tuple[float, float, float]] = (1.0, 0.68, 0.22)
"""The three weights of `E2SFCA_BANDS`, 1.00 / 0.68 / 0.22."""


def bands_for_budget(max_minutes: float) -> Bands:
    """E2SFCA bands fitted to a budget ``d`` minutes: Luo & Qi (2009)'s three weights on the
    thirds of the budget, 1.00 on [0, d/3], 0.68 on ]d/3, 2d/3], 0.22 on ]2d/3, d], 0 after.

    With 30 min this is `E2SFCA_BANDS` exactly. Fitting the bands to the budget keeps the
    indicators of one answer consistent: a site beyond the budget weighs nothing, so a zone that
    reaches no site within ``d`` has an E2SFCA of 0 (the paper's catchment is the budget too).
    """
    budget = float(max_minutes)
    if not (math.isfinite(budget) and budget > 0):
        raise ValueError("le budget de temps doit être un nombre fini > 0")
    bands = tuple((budget * (k + 1) / 3.0, weight) for k, weight in enumerate(E2SFCA_WEIGHTS))
    if not bands[0][0] < bands[1][0] < bands[2][0]:  # a budget so small its thirds underflow
        return ((budget, 1.0),)
    return bands


AHI_FAMILY: Final = "hebergement"
"""Family code of the AHI structures (accueil, hébergement, insertion)."""

EMPLOYER_FAMILIES: Final = frozenset({"employeurs-inclusifs", "employeurs-ordinaires"})
"""Families of employment actors for `isolated_ahi`: SIAE (aci, ei, ai, etti, eiti, all in
``employeurs-inclusifs``), other inclusive employers, and ordinary employers."""

GapKind = Literal["aucun-site-atteignable", "offre-faible"]
"""Kind of gap: no site within the budget, or an E2SFCA far below the territory's median."""

_BLOCK_ENTRIES: Final = 1 << 22  # matrix entries per block of rows (32 MB of float64)
_KEEP_ENTRIES: Final = 1 << 24  # up to this size the weights are kept between the two steps
_NARROW_NBSP: Final = "\u202f"  # French thousands separator
_VOWELS: Final = frozenset("AEIOUYÂÀÉÈÊËÎÏÔÖÛÜŒaeiouyâàéèêëîïôöûüœ")


# --- travel times: a dense matrix, or the table of reachable pairs -----------------------------


@dataclass(frozen=True, eq=False)
class ReachTable:
    """Travel times of the reachable (zone, site) pairs only, grouped by zone (CSR layout).

    The sparse twin of a dense matrix ``T``: a pair that is absent is unreachable (``inf``).
    Memory grows with the reachable pairs, not with zones × sites — a 200 m grid of a
    département against 500 sites has ~150,000 × 500 entries but only the pairs within the
    budget matter — and every indicator runs in time proportional to them. Every function of
    this module accepts a `ReachTable` wherever it accepts ``T`` and gives the same answer;
    a dense matrix is turned into one internally (keeping the pairs within the catchment the
    function needs), so computing from a table saves that step.

    Build one with `ReachTable.from_dense` or `ReachTable.from_pairs` (the long format of
    `geodata.traveltime.long_format`, r5py or PySAL ``access``).

    Attributes
    ----------
    shape : (int, int)
        ``(n_zones, n_sites)``.
    indptr : numpy.ndarray
        int64, shape (n_zones + 1,): the pairs of zone ``i`` are ``indptr[i]:indptr[i + 1]``.
    sites : numpy.ndarray
        int64, site index of each pair, increasing within a zone.
    minutes : numpy.ndarray
        float64, travel time of each pair, finite, ≥ 0.
    """

    shape: tuple[int, int]
    indptr: IntArray
    sites: IntArray
    minutes: FloatArray

    @classmethod
    def from_dense(cls, T: npt.ArrayLike, *, max_minutes: float | None = None) -> ReachTable:
        """The finite entries of ``T`` (minutes, ``inf`` = unreachable), those ``<= max_minutes``
        only when a budget is given."""
        minutes = _dense(T)
        keep = np.isfinite(minutes) if max_minutes is None else minutes <= _budget(max_minutes)
        flat = np.flatnonzero(keep)
        zones = flat // max(minutes.shape[1], 1)
        sites = flat - zones * minutes.shape[1]
        return cls._build(minutes.shape, zones, sites, minutes.ravel()[flat])

    @classmethod
    def from_pairs(
        cls,
        zones: npt.ArrayLike,
        sites: npt.ArrayLike,
        minutes: npt.ArrayLike,
        *,
        shape: tuple[int, int],
    ) -> ReachTable:
        """A table from parallel arrays ``(zone index, site index, minutes)``, in any order.

        Pairs with an infinite time are dropped; a pair given twice is an error.
        """
        zone_index = np.asarray(zones, dtype=np.int64).ravel()
        site_index = np.asarray(sites, dtype=np.int64).ravel()
        times = np.asarray(minutes, dtype=np.float64).ravel()
        n, m = (int(shape[0]), int(shape[1]))
        if not (zone_index.shape == site_index.shape == times.shape):
            raise ValueError("zones, sites et minutes doivent avoir la même longueur")
        if zone_index.size and (
            zone_index.min() < 0 or zone_index.max() >= n or site_index.min() < 0
            or site_index.max() >= m
        ):  # fmt: skip
            raise ValueError(f"indices de zone ou de site hors de la forme {(n, m)}")
        if not (times >= 0).all():
            raise ValueError(_INVALID_MINUTES)
        finite = np.isfinite(times)
        zone_index, site_index, times = zone_index[finite], site_index[finite], times[finite]
        order = np.lexsort((site_index, zone_index))
        zone_index, site_index, times = zone_index[order], site_index[order], times[order]
        repeated = (np.diff(zone_index) == 0) & (np.diff(site_index) == 0)
        if repeated.any():
            raise ValueError("une paire (zone, site) est donnée deux fois")
        return cls._build((n, m), zone_index, site_index, times)

    @classmethod
    def _build(
        cls, shape: tuple[int, ...], zones: IntArray, sites: IntArray, minutes: FloatArray
    ) -> ReachTable:
        n, m = int(shape[0]), int(shape[1])
        counts = np.bincount(zones, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            (n, m),
            indptr,
            sites.astype(np.int64),
            np.ascontiguousarray(minutes, dtype=np.float64),
        )

    def __post_init__(self) -> None:
        n, _ = self.shape
        if self.indptr.shape != (n + 1,) or self.sites.shape != self.minutes.shape:
            raise ValueError("table de trajets incohérente (indptr, sites, minutes)")

    def __len__(self) -> int:
        """Number of reachable pairs."""
        return int(self.minutes.shape[0])

    @cached_property
    def zones(self) -> IntArray:
        """Zone index of each pair, int64."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def to_dense(self) -> FloatArray:
        """The dense matrix, ``inf`` where no pair is stored."""
        dense = np.full(self.shape, np.inf)
        dense[self.zones, self.sites] = self.minutes
        return dense

    def weighted(self, weights: FloatArray) -> Any:
        """``W`` as a ``scipy.sparse.csr_array`` whose entries are ``weights`` (one per pair)."""
        from scipy.sparse import csr_array

        return csr_array((weights, self._indices32, self._indptr32), shape=self.shape)

    @cached_property
    def _indices32(self) -> npt.NDArray[np.int32] | IntArray:
        small = max(self.shape) < np.iinfo(np.int32).max and len(self) < np.iinfo(np.int32).max
        return self.sites.astype(np.int32) if small else self.sites

    @cached_property
    def _indptr32(self) -> npt.NDArray[np.int32] | IntArray:
        small = max(self.shape) < np.iinfo(np.int32).max and len(self) < np.iinfo(np.int32).max
        return self.indptr.astype(np.int32) if small else self.indptr


TravelTimes = npt.ArrayLike | ReachTable
"""Minutes from zones to sites: a dense ``(n_zones, n_sites)`` array (``inf`` = unreachable),
or a `ReachTable` of the reachable pairs."""

_INVALID_MINUTES: Final = (
    "Temps de trajet invalides : minutes positives ou nulles, inf si inaccessible."
)


# --- input checks ----------------------------------------------------------------------------


def _dense(T: npt.ArrayLike) -> FloatArray:
    minutes = np.asarray(T, dtype=np.float64)
    if minutes.ndim != 2:
        msg = (
            f"Matrice de temps de trajet attendue (zones × sites) ; reçu la forme {minutes.shape}."
        )
        raise ValueError(msg)
    if not (minutes >= 0).all():  # NaN fails too
        raise ValueError(_INVALID_MINUTES)
    return minutes


def _table(T: TravelTimes, *, max_minutes: float | None = None) -> ReachTable:
    """The pairs of ``T`` as a `ReachTable`; a dense matrix keeps its finite entries, those
    within ``max_minutes`` only when the caller needs no more (a table is used as given)."""
    if isinstance(T, ReachTable):
        return T
    return ReachTable.from_dense(_dense(T), max_minutes=max_minutes)


def _vector(values: npt.ArrayLike, size: int, what: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (size,):
        msg = f"{what} : {size} valeurs attendues, reçu la forme {array.shape}."
        raise ValueError(msg)
    if not (np.isfinite(array).all() and (array >= 0).all()):
        msg = f"{what} : valeurs finies et positives ou nulles attendues."
        raise ValueError(msg)
    return array


def _budget(max_minutes: float) -> float:
    value = float(max_minutes)
    if not (math.isfinite(value) and value >= 0):
        msg = f"Budget de temps invalide ({max_minutes}) : un nombre de minutes fini, ≥ 0."
        raise ValueError(msg)
    return value


def _checked_bands(bands: Iterable[tuple[float, float]]) -> Bands:
    checked = tuple((float(bound), float(weight)) for bound, weight in bands)
    bounds = [bound for bound, _ in checked]
    if (
        not checked
        or not all(math.isfinite(b) and b >= 0 for b in bounds)
        or any(later <= earlier for earlier, later in itertools.pairwise(bounds))
        or not all(math.isfinite(w) and w >= 0 for _, w in checked)
    ):
        msg = (
            "Tranches E2SFCA invalides : ((borne en minutes, poids), ...) avec des bornes "
            "finies strictement croissantes et des poids finis ≥ 0."
        )
        raise ValueError(msg)
    return checked


# --- weights: W(t) as a dense matrix or a sparse one ------------------------------------------


def _within(table: ReachTable, budget: float) -> Any:
    """``W = [t <= d]`` as a float64 csr_array."""
    return table.weighted((table.minutes <= budget).astype(np.float64))


def _banded(table: ReachTable, bands: Bands) -> Any:
    """``W = step(t)`` of the E2SFCA bands, as a float64 csr_array."""
    return table.weighted(_band_weights(table.minutes, bands))


def _band_weights(minutes: FloatArray, bands: Bands) -> FloatArray:
    # band number of each time: how many upper bounds it exceeds (0 … K, K = beyond the last)
    band = np.zeros(minutes.shape, dtype=np.uint8 if len(bands) < 255 else np.int64)
    for bound, _ in bands:
        band += minutes > bound
    table = np.array([weight for _, weight in bands] + [0.0], dtype=np.float64)
    return np.asarray(table[band], dtype=np.float64)


# --- simple indicators -----------------------------------------------------------------------


def nearest_minutes(T: TravelTimes) -> FloatArray:
    """Travel time to the nearest site, per zone: ``min_j T[i, j]``, minutes.

    Returns
    -------
    numpy.ndarray
        float64, shape (n_zones,); ``inf`` where no site is reachable (or there is no site).
    """
    return _nearest(_table(T))[0]


def nearest_site(T: TravelTimes) -> IntArray:
    """Index of the nearest site per zone, ``argmin_j T[i, j]`` (lowest index on ties).

    Returns
    -------
    numpy.ndarray
        int64, shape (n_zones,); ``-1`` where no site is reachable (all ``inf``).
    """
    return _nearest(_table(T))[1]


def _nearest(table: ReachTable) -> tuple[FloatArray, IntArray]:
    n, m = table.shape
    best = np.full(n, np.inf)
    index = np.full(n, -1, dtype=np.int64)
    filled = np.diff(table.indptr) > 0
    if m and filled.any():
        starts = table.indptr[:-1][filled]
        best[filled] = np.minimum.reduceat(table.minutes, starts)
        ties = np.where(table.minutes == best[table.zones], table.sites, m)
        index[filled] = np.minimum.reduceat(ties, starts)
    return best, index


def reachable_count(T: TravelTimes, *, max_minutes: float) -> IntArray:
    """Number of sites within the budget per zone: ``#{j : T[i, j] <= d}``.

    Parameters
    ----------
    T
        Minutes, shape (n_zones, n_sites), or a `ReachTable`.
    max_minutes
        The budget ``d``, minutes (bound included).

    Returns
    -------
    numpy.ndarray
        int64, shape (n_zones,).
    """
    budget = _budget(max_minutes)
    return _count(_table(T, max_minutes=budget), budget)


def _count(table: ReachTable, budget: float) -> IntArray:
    inside = table.minutes <= budget
    return np.bincount(table.zones[inside], minlength=table.shape[0]).astype(np.int64)


def reachable_supply(T: TravelTimes, S: npt.ArrayLike, *, max_minutes: float) -> FloatArray:
    """Supply within the budget per zone: ``Σ_{j : T[i, j] <= d} S_j`` (places, or sites).

    Unlike 2SFCA it ignores competition: every zone counts the same places.
    """
    budget = _budget(max_minutes)
    table = _table(T, max_minutes=budget)
    supply = _vector(S, table.shape[1], "Offre par site")
    return np.asarray(_within(table, budget) @ supply, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Share:
    """Who reaches at least one site within the budget.

    Attributes
    ----------
    covered : numpy.ndarray
        bool, shape (n_zones,): zone ``i`` has a site with ``T[i, j] <= d`` (the per-zone 0/1).
    demand_within : float
        ``Σ_{i covered} P_i``, persons.
    demand_total : float
        ``Σ_i P_i``, persons.
    """

    covered: BoolArray
    demand_within: float
    demand_total: float

    @property
    def share(self) -> float | None:
        """``demand_within / demand_total`` in [0, 1]; ``None`` when the territory has no demand."""
        if self.demand_total <= 0:
            return None
        return self.demand_within / self.demand_total


def share_within(T: TravelTimes, P: npt.ArrayLike, *, max_minutes: float) -> Share:
    """Share of the demand that reaches at least one site within ``max_minutes``.

    Per zone the answer is 0 or 1 (the zone's point stands for all its people); territory-wide it
    is ``Σ_i P_i·[∃ j : T[i, j] <= d] / Σ_i P_i``.
    """
    budget = _budget(max_minutes)
    table = _table(T, max_minutes=budget)
    demand = _vector(P, table.shape[0], "Demande par zone")
    return _share(_count(table, budget) > 0, demand)


def _share(covered: BoolArray, demand: FloatArray) -> Share:
    return Share(
        covered=covered,
        demand_within=float(demand[covered].sum()),
        demand_total=float(demand.sum()),
    )


# --- floating catchments ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FloatingCatchment:
    """Result of a two-step floating catchment (2SFCA or E2SFCA).

    Attributes
    ----------
    access : numpy.ndarray
        ``A_i`` per zone, supply per person (places per person when ``S`` counts places);
        shape (n_zones,); 0 for a zone whose catchment holds no active site.
    ratio : numpy.ndarray
        ``R_j = S_j / D_j`` per site (0 when ``D_j = 0``), shape (n_sites,).
    catchment_demand : numpy.ndarray
        ``D_j = Σ_i P_i W(t_ij)`` per site, persons (weighted), shape (n_sites,).
    active : numpy.ndarray
        bool, ``D_j > 0``: the sites whose supply is spread over some demand. The conservation
        identity is ``Σ_i P_i A_i = Σ_j S_j · active_j``.
    """

    access: FloatArray
    ratio: FloatArray
    catchment_demand: FloatArray
    active: BoolArray

    def conserved_supply(self, S: npt.ArrayLike) -> float:
        """``Σ_{j active} S_j``: the supply the accessibilities add up to."""
        supply = np.asarray(S, dtype=np.float64)
        return float(supply[self.active].sum())


def band_weights(
    T: npt.ArrayLike, bands: Iterable[tuple[float, float]] = E2SFCA_BANDS
) -> FloatArray:
    """E2SFCA distance-decay weights ``W(t)`` of a matrix of minutes.

    ``W(t) = w_k`` for the first band ``k`` (bands sorted by upper bound ``b_k``) with
    ``t <= b_k``, and 0 beyond the last bound, as ``access.weights.step_fn``: with the default
    bands, ``W(10) = 1``, ``W(10.5) = 0.68``, ``W(30) = 0.22``, ``W(31) = 0``.

    Returns
    -------
    numpy.ndarray
        float64, the shape of ``T``.
    """
    return _band_weights(_dense(T), _checked_bands(bands))


def _floating_catchment(weights: Any, demand: FloatArray, supply: FloatArray) -> FloatingCatchment:
    """Both steps with ``W`` a csr_array: ``D = Wᵀ P``, ``R = S / D``, ``A = W R``."""
    catchment_demand = np.asarray(weights.T @ demand, dtype=np.float64)
    active = catchment_demand > 0
    ratio = np.zeros(supply.shape[0], dtype=np.float64)
    np.divide(supply, catchment_demand, out=ratio, where=active)
    access = np.asarray(weights @ ratio, dtype=np.float64)
    return FloatingCatchment(
        access=access, ratio=ratio, catchment_demand=catchment_demand, active=active
    )


def two_step_fca(
    T: TravelTimes, P: npt.ArrayLike, S: npt.ArrayLike, *, max_minutes: float
) -> FloatingCatchment:
    """Two-step floating catchment area accessibility (2SFCA; Luo & Wang 2003).

    With the catchment ``d = max_minutes`` and ``W(t) = 1 if t <= d else 0``:

    1. ``R_j = S_j / Σ_{i : t_ij <= d} P_i`` — supply per person in the catchment of site ``j``
       (``R_j = 0`` when that catchment holds no demand);
    2. ``A_i = Σ_{j : t_ij <= d} R_j`` — the ratios of the sites zone ``i`` reaches.

    ``Σ_i P_i A_i = Σ_{j : D_j > 0} S_j`` (see the module docstring, *Conservation*).

    Parameters
    ----------
    T
        Minutes, shape (n_zones, n_sites), ``inf`` when unreachable; or a `ReachTable`.
    P
        Demand per zone, persons, shape (n_zones,).
    S
        Supply per site (places, or 1 per site), shape (n_sites,).
    max_minutes
        The catchment ``d``, minutes, bound included (as ``access``' ``max_cost``).

    Returns
    -------
    FloatingCatchment
        ``access`` is ``A_i`` in supply per person.
    """
    budget = _budget(max_minutes)
    table = _table(T, max_minutes=budget)
    n, m = table.shape
    demand = _vector(P, n, "Demande par zone")
    supply = _vector(S, m, "Offre par site")
    return _floating_catchment(_within(table, budget), demand, supply)


def enhanced_two_step_fca(
    T: TravelTimes,
    P: npt.ArrayLike,
    S: npt.ArrayLike,
    *,
    bands: Iterable[tuple[float, float]] = E2SFCA_BANDS,
) -> FloatingCatchment:
    """Enhanced two-step floating catchment area accessibility (E2SFCA; Luo & Qi 2009).

    With time bands ``(b_1, w_1), …, (b_K, w_K)`` and the step weight ``W(t) = w_k`` for the
    first ``k`` with ``t <= b_k``, ``W(t) = 0`` for ``t > b_K`` (see `band_weights`):

    1. ``R_j = S_j / Σ_{i : t_ij <= b_K} P_i W(t_ij)`` (0 when that sum is 0);
    2. ``A_i = Σ_{j : t_ij <= b_K} W(t_ij) R_j``.

    The catchment is the last bound ``b_K`` (30 minutes by default). Weighting both steps by the
    same ``W`` keeps ``Σ_i P_i A_i = Σ_{j : D_j > 0} S_j``.

    Parameters
    ----------
    T, P, S
        As in `two_step_fca`.
    bands
        ``((upper bound in minutes, weight), …)``, bounds strictly increasing; default
        `E2SFCA_BANDS` (1.00 / 0.68 / 0.22 for 0–10 / 10–20 / 20–30 min).
    """
    checked = _checked_bands(bands)
    table = _table(T, max_minutes=checked[-1][0])
    n, m = table.shape
    demand = _vector(P, n, "Demande par zone")
    supply = _vector(S, m, "Offre par site")
    return _floating_catchment(_banded(table, checked), demand, supply)


# --- all indicators at once ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Indicators:
    """The indicators of one category × mode × time budget, per zone.

    Attributes
    ----------
    max_minutes : float
        The time budget ``d``, minutes.
    bands : tuple of (float, float)
        The E2SFCA bands used.
    demand : numpy.ndarray
        ``P``, persons per zone.
    supply : numpy.ndarray
        ``S``, supply per site.
    nearest_minutes, nearest_site : numpy.ndarray
        See `nearest_minutes` and `nearest_site`.
    reachable_count, reachable_supply : numpy.ndarray
        See `reachable_count`, `reachable_supply` (within ``d``).
    share : Share
        See `share_within` (within ``d``).
    two_sfca : FloatingCatchment
        2SFCA with the catchment ``d``.
    e2sfca : FloatingCatchment
        E2SFCA with ``bands`` (its catchment is the last band's bound, not ``d``).
    """

    max_minutes: float
    bands: Bands
    demand: FloatArray
    supply: FloatArray
    nearest_minutes: FloatArray
    nearest_site: IntArray
    reachable_count: IntArray
    reachable_supply: FloatArray
    share: Share
    two_sfca: FloatingCatchment
    e2sfca: FloatingCatchment

    def __len__(self) -> int:
        return int(self.demand.shape[0])


def indicators(
    T: TravelTimes,
    P: npt.ArrayLike,
    S: npt.ArrayLike,
    *,
    max_minutes: float,
    bands: Iterable[tuple[float, float]] = E2SFCA_BANDS,
) -> Indicators:
    """Every indicator of one category × mode × budget, from one matrix.

    Parameters
    ----------
    T
        Minutes from each zone to each site of the category, shape (n_zones, n_sites), ``inf``
        when unreachable, or a `ReachTable`. When it was computed with a time limit, that limit
        must be at least ``max(max_minutes, last band bound)`` for the E2SFCA to be complete
        (the nearest site is then only known within the limit).
    P
        Demand per zone, persons.
    S
        Supply per site (places, or 1 per site).
    max_minutes
        Budget ``d`` of the reach indicators and of the 2SFCA catchment, minutes.
    bands
        E2SFCA bands (default `E2SFCA_BANDS`).
    """
    table = _table(T)
    n, m = table.shape
    demand = _vector(P, n, "Demande par zone")
    supply = _vector(S, m, "Offre par site")
    budget = _budget(max_minutes)
    checked = _checked_bands(bands)
    best, index = _nearest(table)
    within = _within(table, budget)
    counts = _count(table, budget)
    return Indicators(
        max_minutes=budget,
        bands=checked,
        demand=demand,
        supply=supply,
        nearest_minutes=best,
        nearest_site=index,
        reachable_count=counts,
        reachable_supply=np.asarray(within @ supply, dtype=np.float64),
        share=_share(counts > 0, demand),
        two_sfca=_floating_catchment(within, demand, supply),
        e2sfca=_floating_catchment(_banded(table, checked), demand, supply),
    )


# --- categories and their sites --------------------------------------------------------------


class SiteRecord(Protocol):
    """What coverage needs of a partner; `graph.matching.PartnerSite` is one.

    ``kind`` is a kind code of `graph.vocabulary.kinds`; ``lon``/``lat`` are EPSG:4326 degrees;
    ``capacity`` is places or persons, ``None`` when unknown.
    """

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def thematiques(self) -> Collection[str]: ...
    @property
    def capacity(self) -> int | None: ...


Selector = Literal["kind", "family", "thematique"]

# French nouns (singular, plural, feminine) for sentences about a category.
_FAMILY_NOUNS: Final[Mapping[str, tuple[str, str, bool]]] = {
    "hebergement": ("structure d'hébergement", "structures d'hébergement", True),
    "insertion-professionnelle": (
        "structure d'accompagnement vers l'emploi",
        "structures d'accompagnement vers l'emploi",
        True,
    ),
    "employeurs-inclusifs": ("employeur inclusif", "employeurs inclusifs", False),
    "remobilisation": ("dispositif de remobilisation", "dispositifs de remobilisation", False),
    "employeurs-ordinaires": ("employeur", "employeurs", False),
    "formation-langue": (
        "offre de formation ou de français",
        "offres de formation ou de français",
        True,
    ),
    "mobilite": ("solution de mobilité", "solutions de mobilité", True),
    "garde-enfants": ("structure de garde d'enfants", "structures de garde d'enfants", True),
    "sante": ("structure de santé", "structures de santé", True),
    "acces-aux-droits": ("lieu d'accès aux droits", "lieux d'accès aux droits", False),
    "institutions": ("institution", "institutions", True),
    "reseaux": ("réseau", "réseaux", False),
    "autres": ("autre acteur", "autres acteurs", False),  # a KeyError (500) before
}
_KIND_NOUNS: Final[Mapping[str, tuple[str, str, bool]]] = {
    "creches-avip": ("crèche AVIP", "crèches AVIP", True),
    "creche": ("crèche", "crèches", True),
    "micro-creche-insertion": ("micro-crèche d'insertion", "micro-crèches d'insertion", True),
    "esat": ("ESAT", "ESAT", False),
    "aci": ("atelier chantier d'insertion", "ateliers chantiers d'insertion", False),
    "france-travail": ("agence France Travail", "agences France Travail", True),
    "mission-locale": ("mission locale", "missions locales", True),
    "plateforme-mobilite": ("plateforme mobilité", "plateformes mobilité", True),
    "plateforme-linguistique": ("plateforme linguistique", "plateformes linguistiques", True),
    "phc": ("chantier PHC", "chantiers PHC", False),
    "tapaj": ("dispositif TAPAJ", "dispositifs TAPAJ", False),
    "cvg": ("chantier Convergence", "chantiers Convergence", False),
}


@dataclass(frozen=True, slots=True)
class Category:
    """A category of supply: sites selected by kind(s), by family or by thematique.

    Build one with `Category.of_kinds`, `Category.of_family` or `Category.of_thematique`, which
    check the codes against `graph.vocabulary` and find a French noun for the sentences.

    Attributes
    ----------
    selector : {"kind", "family", "thematique"}
        What ``codes`` are.
    codes : frozenset of str
        A site belongs to the category when its kind (``selector="kind"``), its kind's family
        (``"family"``) or one of its thematiques (``"thematique"``) is in ``codes``.
    code : str
        Identifier of the category in results (e.g. ``"garde-enfants"``, ``"creches"``).
    noun, plural : str
        French noun for one site and several (« crèche », « crèches »).
    feminine : bool
        Grammatical gender of ``noun`` (« aucune crèche », « la plus proche »).
    """

    selector: Selector
    codes: frozenset[str]
    code: str
    noun: str
    plural: str
    feminine: bool

    @classmethod
    def of_kinds(
        cls,
        *kinds: str,
        code: str | None = None,
        noun: tuple[str, str, bool] | None = None,
    ) -> Category:
        """Sites of one or several kinds, e.g. ``of_kinds("creches-avip", "creche", code="creches",
        noun=("crèche", "crèches", True))``.

        Raises
        ------
        graph.vocabulary.UnknownCodeError
            For an unknown kind.
        ValueError
            When no kind is given.
        """
        if not kinds:
            raise ValueError("au moins un type d'acteur est attendu")
        for kind in kinds:
            vocabulary.check_kind(kind)
        if noun is None:
            noun = _KIND_NOUNS.get(kinds[0]) if len(kinds) == 1 else None
        if noun is None:
            label = vocabulary.kinds()[kinds[0]].label if len(kinds) == 1 else ", ".join(kinds)
            noun = (f"site « {label} »", f"sites « {label} »", False)
        return cls("kind", frozenset(kinds), code or "+".join(kinds), *noun)

    @classmethod
    def of_family(cls, family: str, *, noun: tuple[str, str, bool] | None = None) -> Category:
        """Sites of every kind of a family (`graph.vocabulary.families`)."""
        vocabulary.check_family(family)
        return cls("family", frozenset({family}), family, *(noun or _FAMILY_NOUNS[family]))

    @classmethod
    def of_thematique(
        cls, thematique: str, *, noun: tuple[str, str, bool] | None = None
    ) -> Category:
        """Sites offering a data·inclusion thematique (e.g. ``famille--garde-denfants``)."""
        vocabulary.check_thematiques([thematique])
        label = vocabulary.thematiques()[thematique].label
        default = (f"service « {label} »", f"services « {label} »", False)
        return cls("thematique", frozenset({thematique}), thematique, *(noun or default))

    def contains(self, site: SiteRecord) -> bool:
        """Whether ``site`` belongs to the category."""
        if self.selector == "kind":
            return site.kind in self.codes
        if self.selector == "family":
            return vocabulary.family_of(site.kind) in self.codes
        return any(code in self.codes for code in site.thematiques)


@dataclass(frozen=True, eq=False)
class Supply:
    """The sites of one category, in the column order of a travel-time matrix.

    Attributes
    ----------
    category : Category
    ids, names : tuple of str
        Partner ids and names, one per site.
    lonlat : numpy.ndarray
        float64, shape (n_sites, 2), EPSG:4326 ``(lon, lat)`` degrees — the destinations of
        the travel-time matrix.
    weights : numpy.ndarray
        ``S_j``: capacity where known, 1 otherwise (``weight="capacity"``), or 1 for every
        site (``weight="count"``).
    capacity_known : numpy.ndarray
        bool, whether ``weights`` is a published capacity.
    unit : tuple of (str, str)
        French unit of ``S`` for sentences: (« place », « places ») or (« site », « sites »).
    """

    category: Category
    ids: tuple[str, ...]
    names: tuple[str, ...]
    lonlat: FloatArray
    weights: FloatArray
    capacity_known: BoolArray
    unit: tuple[str, str]

    def __len__(self) -> int:
        return len(self.ids)


def select_sites(
    partners: Iterable[SiteRecord],
    category: Category,
    *,
    weight: Literal["capacity", "count"] = "capacity",
) -> Supply:
    """The partners of a category as supply sites, in the order given.

    Parameters
    ----------
    partners
        Partner records (`SiteRecord`), e.g. `graph.matching.PartnerSite`.
    category
        Which partners are sites (`Category.contains`).
    weight
        ``"capacity"`` (default): ``S_j`` = the capacity when it is known (a capacity of 0
        adds no supply, but the site still counts for the nearest site and the reach),
        **1 when it is unknown** — a site with unpublished capacity counts as one place.
        ``"count"``: ``S_j = 1`` for every site (the 2SFCA then measures sites per person).
    """
    sites = [partner for partner in partners if category.contains(partner)]
    known = np.array(
        [weight == "capacity" and site.capacity is not None for site in sites], dtype=bool
    )
    weights = np.array(
        [
            float(site.capacity) if flag and site.capacity is not None else 1.0
            for site, flag in zip(sites, known, strict=True)
        ],
        dtype=np.float64,
    )
    return Supply(
        category=category,
        ids=tuple(site.id for site in sites),
        names=tuple(site.name for site in sites),
        lonlat=np.array([(site.lon, site.lat) for site in sites], dtype=np.float64).reshape(-1, 2),
        weights=weights,
        capacity_known=known,
        unit=("place", "places") if weight == "capacity" else ("site", "sites"),
    )


def ahi_capacity(
    partners: Sequence[SiteRecord], zone_of_partner: Sequence[int], n_zones: int
) -> FloatArray:
    """AHI hosted capacity per zone: the sum of the capacities of ``hebergement`` partners.

    Parameters
    ----------
    partners
        Partner records.
    zone_of_partner
        Zone index of each partner (its commune, its grid cell), ``-1`` when outside every zone.
    n_zones
        Number of zones.

    Returns
    -------
    numpy.ndarray
        Places (persons hosted at full occupancy) per zone, float64, shape (n_zones,). A
        structure with unknown capacity adds nothing: the layer is a lower bound.
    """
    zones = np.asarray(zone_of_partner, dtype=np.int64)
    if zones.shape != (len(partners),) or (zones >= n_zones).any():
        raise ValueError("une zone (indice < n_zones, ou -1) est attendue par partenaire")
    values = np.array(
        [
            float(p.capacity)
            if p.capacity is not None and vocabulary.family_of(p.kind) == AHI_FAMILY
            else 0.0
            for p in partners
        ],
        dtype=np.float64,
    )
    inside = zones >= 0
    return np.bincount(zones[inside], weights=values[inside], minlength=n_zones).astype(np.float64)


# --- gaps ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class People:
    """The French noun of a demand layer, for sentences: (« habitant », « habitants »)."""

    singular: str = "habitant"
    plural: str = "habitants"


@dataclass(frozen=True, eq=False)
class Zones:
    """The zones of the demand, in the row order of the travel-time matrix.

    Attributes
    ----------
    ids : tuple of str
        Commune codes INSEE, or INSPIRE grid cell ids (``CRS3035RES1000mN…E…``).
    names : tuple of str
        Names for sentences (« Saint-Ambroix », « carreau CRS3035RES1000mN… »).
    people : People
        Who the demand counts (« habitants », « demandeurs d'emploi »...).
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    people: People = field(default_factory=People)

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.names):
            raise ValueError("autant de noms que d'identifiants de zones sont attendus")

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Gap:
    """A zone × category where the offer is missing.

    Attributes
    ----------
    zone_id, zone_name : str
    category : str
        `Category.code`.
    kind : {"aucun-site-atteignable", "offre-faible"}
        No site within ``max_minutes``; or sites within reach but an E2SFCA below
        ``median_fraction`` × the territory's median.
    severity : float
        In [0, 1], see `flag_gaps`; every ``aucun-site-atteignable`` (≥ 0.5) outranks every
        ``offre-faible`` (≤ 0.5) of the same population.
    population : float
        Persons affected: the zone's demand ``P_i``.
    nearest_site_id, nearest_site_name : str or None
        The nearest site of the category, whatever the budget; ``None`` when none is reachable
        at all (every time ``inf``).
    nearest_minutes : float or None
        Its travel time, minutes.
    accessibility : float
        The zone's E2SFCA ``A_i``, supply per person.
    threshold : float
        ``median_fraction × reference``: below it the offer is weak (supply per person).
    mode : str
    max_minutes : float
    message : str
        The gap in one French sentence.
    """

    zone_id: str
    zone_name: str
    category: str
    kind: GapKind
    severity: float
    population: float
    nearest_site_id: str | None
    nearest_site_name: str | None
    nearest_minutes: float | None
    accessibility: float
    threshold: float
    mode: str
    max_minutes: float
    message: str


def weighted_median(values: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Lower weighted median: the smallest ``v`` with ``Σ_{values <= v} weights >= ½ Σ weights``.

    With population weights it is the value of the median person. Entries of weight 0 are
    ignored; ``nan`` when the weights add up to 0.
    """
    array = np.asarray(values, dtype=np.float64)
    weight = np.asarray(weights, dtype=np.float64)
    keep = weight > 0
    if not keep.any():
        return math.nan
    array, weight = array[keep], weight[keep]
    order = np.argsort(array, kind="stable")
    cumulative = np.cumsum(weight[order])
    position = int(np.searchsorted(cumulative, 0.5 * cumulative[-1], side="left"))
    return float(array[order][min(position, len(order) - 1)])


def flag_gaps(
    zones: Zones,
    indicators: Indicators,
    *,
    supply: Supply,
    mode: str,
    median_fraction: float = 0.5,
    reference: float | None = None,
    min_population: float = 1.0,
) -> list[Gap]:
    """Flag the zones of one category × mode × budget where the offer is missing, ranked.

    A zone with demand ``P_i >= min_population`` is flagged

    - ``aucun-site-atteignable`` when no site lies within ``d = indicators.max_minutes``;
      severity ``1 − d / (2 t*)`` where ``t* > d`` is the nearest site's time (1 when no site
      is reachable at all): 0.5 just beyond the budget, 0.75 at twice the budget;
    - ``offre-faible`` when it reaches a site within ``d`` but its E2SFCA ``A_i`` is below
      ``τ = median_fraction × M``; ``M`` is ``reference`` when given, else the demand-weighted
      median of ``A`` over the territory's zones (`weighted_median`: the accessibility of the
      median person); severity ``0.5 × (1 − A_i / τ)``, in ]0, 0.5]. Nothing is flagged this
      way when ``τ <= 0``.

    Parameters
    ----------
    zones
        Ids and names of the zones (rows of the matrix) and the noun of the demand.
    indicators
        From `indicators`, for the same zones and the sites of ``supply``.
    supply
        The sites (columns of the matrix) with their ids, names and category.
    mode
        ``walk``, ``bike``, ``car`` or ``transit``, for the sentence.
    median_fraction
        ``f`` in ``τ = f × M``, default 0.5.
    reference
        ``M`` when the comparison is with another territory (e.g. the département's median).
    min_population
        Zones with less demand are not flagged (default: one person), so that near-empty grid
        cells do not crowd the list.

    Returns
    -------
    list of Gap
        Ranked by `rank_gaps`: population affected, then severity, both decreasing.
    """
    n = len(indicators)
    if len(zones) != n or len(supply) != indicators.supply.shape[0]:
        raise ValueError("zones, sites et indicateurs doivent avoir les mêmes dimensions")
    phrase = _mode_phrase(mode)
    fraction = float(median_fraction)
    if not (math.isfinite(fraction) and fraction >= 0):
        raise ValueError("la fraction de la médiane doit être un nombre fini ≥ 0")
    median = (
        weighted_median(indicators.e2sfca.access, indicators.demand)
        if reference is None
        else float(reference)
    )
    threshold = fraction * median if math.isfinite(median) else 0.0
    context = _GapContext(zones, indicators, supply, mode, phrase, threshold, median, fraction)
    gaps: list[Gap] = []
    for i in np.flatnonzero(indicators.demand >= min_population):
        gap = context.gap(int(i))
        if gap is not None:
            gaps.append(gap)
    return rank_gaps(gaps)


def rank_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    """Gaps of any categories in one ranked list.

    Order: population affected (decreasing), severity (decreasing), then category, zone id and
    kind, so that the ranking is deterministic.
    """
    return sorted(gaps, key=lambda g: (-g.population, -g.severity, g.category, g.zone_id, g.kind))


@dataclass(frozen=True, slots=True)
class _GapContext:
    zones: Zones
    indicators: Indicators
    supply: Supply
    mode: str
    phrase: str
    threshold: float
    median: float
    fraction: float

    def gap(self, i: int) -> Gap | None:
        ind = self.indicators
        access = float(ind.e2sfca.access[i])
        if ind.share.covered[i]:
            if not (self.threshold > 0 and access < self.threshold):
                return None
            kind: GapKind = "offre-faible"
            severity = 0.5 * (1.0 - access / self.threshold)
        else:
            kind = "aucun-site-atteignable"
            nearest = float(ind.nearest_minutes[i])
            severity = 1.0 - ind.max_minutes / (2.0 * nearest) if nearest > 0 else 1.0
        site = int(ind.nearest_site[i])
        minutes = float(ind.nearest_minutes[i]) if site >= 0 else None
        return Gap(
            zone_id=self.zones.ids[i],
            zone_name=self.zones.names[i],
            category=self.supply.category.code,
            kind=kind,
            severity=severity,
            population=float(ind.demand[i]),
            nearest_site_id=self.supply.ids[site] if site >= 0 else None,
            nearest_site_name=self.supply.names[site] if site >= 0 else None,
            nearest_minutes=minutes,
            accessibility=access,
            threshold=self.threshold,
            mode=self.mode,
            max_minutes=ind.max_minutes,
            message=self._message(i, kind, access, site, minutes),
        )

    def _message(
        self, i: int, kind: GapKind, access: float, site: int, minutes: float | None
    ) -> str:
        category = self.supply.category
        people = self.zones.people
        count = round(float(self.indicators.demand[i]))
        noun = people.singular if count == 1 else people.plural
        who = f"{_fr_int(count)} {noun} {_of(self.zones.names[i])}"
        nearest = ""
        if site >= 0 and minutes is not None:
            closest = "la plus proche" if category.feminine else "le plus proche"
            nearest = f" ; {closest} ({self.supply.names[site]}) est à {_fr_minutes(minutes)} min"
        if kind == "aucun-site-atteignable":
            verb = "n'atteint" if count == 1 else "n'atteignent"
            none = "aucune" if category.feminine else "aucun"
            budget = _fr_decimal(self.indicators.max_minutes)
            return (
                f"{who} {verb} {none} {category.noun} en moins de {budget} minutes "
                f"{self.phrase}{nearest}."
            )
        per_thousand = 1000.0 * access
        unit = self.supply.unit[0] if per_thousand < 2 else self.supply.unit[1]
        percent = _fr_decimal(100.0 * self.fraction)
        return (
            f"Offre faible de {category.plural} pour {who} : {_fr_decimal(per_thousand)} {unit} "
            f"pour 1 000 {people.plural} à portée (E2SFCA), sous {percent} % de la médiane du "
            f"territoire ({_fr_decimal(1000.0 * self.median)}){nearest} {self.phrase}."
        )


# --- AHI structures isolated from employment -------------------------------------------------


@dataclass(frozen=True, slots=True)
class IsolatedStructure:
    """An AHI structure with no relation to an employment actor and none within reach.

    Attributes
    ----------
    id, name, kind : str
        The AHI partner.
    nearest_id, nearest_name : str or None
        The nearest SIAE or employer, whatever the budget; ``None`` when none is reachable.
    nearest_minutes : float or None
        Its travel time, minutes.
    message : str
        One French sentence.
    """

    id: str
    name: str
    kind: str
    nearest_id: str | None
    nearest_name: str | None
    nearest_minutes: float | None
    message: str


def isolation_sites(
    partners: Iterable[SiteRecord], *, employer_kinds: Collection[str] | None = None
) -> tuple[tuple[SiteRecord, ...], tuple[SiteRecord, ...]]:
    """The AHI structures (family ``hebergement``) and the employment actors, in the order given.

    Employment actors are the partners whose kind is in ``employer_kinds``; by default every
    kind of `EMPLOYER_FAMILIES` (the five SIAE, other inclusive employers, ordinary
    employers); ``vocabulary.SIAE_KINDS`` narrows the question to the SIAE. Compute the
    minutes from the first (rows) to the second (columns) for `isolated_ahi`.
    """
    kinds = _employer_kinds(employer_kinds)
    records = list(partners)
    ahi = tuple(p for p in records if vocabulary.family_of(p.kind) == AHI_FAMILY)
    employers = tuple(p for p in records if p.kind in kinds)
    return ahi, employers


def _employer_kinds(employer_kinds: Collection[str] | None) -> frozenset[str]:
    if employer_kinds is None:
        return frozenset(
            code for code, kind in vocabulary.kinds().items() if kind.family in EMPLOYER_FAMILIES
        )
    return frozenset(vocabulary.check_kind(kind) for kind in employer_kinds)


def e2sfca_sentence(bands: Iterable[tuple[float, float]], *, per: str = "habitants") -> str:
    """What the E2SFCA of an answer measures, in plain French, with its bands; ``per``: whom
    the demand counts, plural (« habitants », « enfants de 0 à 3 ans »). A weight reads as a
    share of the place (« à 68 % jusqu'à 13,3 min »), the first one « en entier »."""
    checked = _checked_bands(bands)
    steps = ", ".join(
        f"{'en entier' if weight == 1 else f'à {_fr_decimal(100.0 * weight)} %'} jusqu'à "
        f"{_fr_decimal(bound)} min"
        for bound, weight in checked
    )
    return (
        f"Accessibilité E2SFCA : combien de places sont à portée pour 1 000 {per}, chaque place "
        "étant partagée entre tous ceux qui peuvent l'atteindre et comptée d'autant moins que "
        f"le trajet est long ({steps}, plus du tout au-delà) ; méthode de Luo et Qi (2009). "
        "Plus la valeur est haute, plus l'offre est accessible ; 0 : aucune structure à portée."
    )


UNLINKED_AHI_DEFINITION: Final = (
    "Structure d'hébergement sans lien avec l'emploi : aucune relation enregistrée, dans un "
    "sens ou dans l'autre, avec une SIAE ou un employeur (inclusif ou ordinaire), quelle que "
    "soit la distance qui les sépare."
)
"""What « sans lien avec l'emploi » means (``/v1/network/isolated``), in French."""

ISOLATED_AHI_DEFINITION: Final = (
    "Structure d'hébergement isolée de l'emploi : sans lien avec l'emploi (aucune relation avec "
    "une SIAE ou un employeur) et sans aucune SIAE ni aucun employeur à portée dans le budget de "
    "temps et le mode du calcul. Ce sont donc une partie seulement des structures sans lien avec "
    "l'emploi : celles que la distance isole aussi."
)
"""What « isolée de l'emploi » means (``/v1/gaps``: `isolated_ahi`), in French."""


def employment_linked(
    employers: Iterable[SiteRecord], relations: Iterable[tuple[str, str]]
) -> set[str]:
    """Ids of the partners linked to an employment actor by a relation, in either direction and
    of any kind (the first half of `UNLINKED_AHI_DEFINITION`)."""
    employer_ids = {p.id for p in employers}
    linked: set[str] = set()
    for source, target in relations:
        if target in employer_ids:
            linked.add(source)
        if source in employer_ids:
            linked.add(target)
    return linked


def unlinked_ahi(
    partners: Iterable[SiteRecord],
    relations: Iterable[tuple[str, str]],
    *,
    employer_kinds: Collection[str] | None = None,
) -> tuple[SiteRecord, ...]:
    """The AHI structures without any relation to an employment actor
    (`UNLINKED_AHI_DEFINITION`), whatever the distance, in the order given."""
    ahi, employers = isolation_sites(partners, employer_kinds=employer_kinds)
    linked = employment_linked(employers, relations)
    return tuple(p for p in ahi if p.id not in linked)


def isolated_ahi(
    partners: Iterable[SiteRecord],
    relations: Iterable[tuple[str, str]],
    reach_matrix: TravelTimes,
    *,
    budget: float,
    mode: str | None = None,
    employer_kinds: Collection[str] | None = None,
) -> list[IsolatedStructure]:
    """AHI structures with no relation to any SIAE or employer, and none within ``budget``
    (`ISOLATED_AHI_DEFINITION`; a subset of `unlinked_ahi`).

    A structure is isolated when (1) no relation, in either direction and of any kind, links it
    to an employment actor (`isolation_sites`: by default a partner of `EMPLOYER_FAMILIES` —
    SIAE aci, ei, ai, etti, eiti; other inclusive employers; ordinary employers), and (2) every
    employment actor is farther than ``budget`` minutes (``reach_matrix[a, e] > budget``).

    Parameters
    ----------
    partners
        Every partner of the territory; `isolation_sites` splits them.
    relations
        ``(source id, target id)`` pairs; direction and kind are ignored.
    reach_matrix
        Minutes, shape (n_ahi, n_employers), rows and columns in the order of
        `isolation_sites` with the same ``employer_kinds`` (``inf`` when unreachable), or a
        `ReachTable`.
    budget
        Minutes, bound included.
    mode
        ``walk``, ``bike``, ``car`` or ``transit``, named in the sentence when given.
    employer_kinds
        Kinds that count as employment actors, for the relations and for the reach; default
        every kind of `EMPLOYER_FAMILIES`. ``vocabulary.SIAE_KINDS`` asks the seed's question:
        which AHI structures have no SIAE partner nor any SIAE nearby.

    Returns
    -------
    list of IsolatedStructure
        The most isolated first (nearest employment actor farthest, unreachable first), then by
        name and id.
    """
    kinds = _employer_kinds(employer_kinds)
    ahi, employers = isolation_sites(partners, employer_kinds=kinds)
    minutes = _table(reach_matrix)
    if minutes.shape != (len(ahi), len(employers)):
        msg = (
            f"Matrice de forme {minutes.shape} : ({len(ahi)}, {len(employers)}) attendue "
            "(structures AHI × employeurs, dans l'ordre de isolation_sites)."
        )
        raise ValueError(msg)
    limit = _budget(budget)
    phrase = f" {_mode_phrase(mode)}" if mode is not None else ""
    siae_only = kinds <= vocabulary.SIAE_KINDS
    who = "aucune SIAE" if siae_only else "aucune SIAE ni aucun employeur"
    none, closest = ("aucune", "la plus proche") if siae_only else ("aucun", "le plus proche")
    linked = employment_linked(employers, relations)
    best, index = _nearest(minutes)
    found: list[IsolatedStructure] = []
    for a, structure in enumerate(ahi):
        if structure.id in linked or best[a] <= limit:
            continue
        near = employers[index[a]] if index[a] >= 0 else None
        tail = (
            f" ; {closest} ({near.name}) est à {_fr_minutes(float(best[a]))} min"
            if near is not None
            else ""
        )
        found.append(
            IsolatedStructure(
                id=structure.id,
                name=structure.name,
                kind=structure.kind,
                nearest_id=near.id if near is not None else None,
                nearest_name=near.name if near is not None else None,
                nearest_minutes=float(best[a]) if near is not None else None,
                message=(
                    f"{structure.name} n'a de relation avec {who}, et {none} n'est à moins de "
                    f"{_fr_decimal(limit)} minutes{phrase}{tail}."
                ),
            )
        )
    return sorted(
        found,
        key=lambda s: (
            -(s.nearest_minutes if s.nearest_minutes is not None else math.inf),
            s.name,
            s.id,
        ),
    )


# --- French text ---------------------------------------------------------------------------


def _mode_phrase(mode: str) -> str:
    try:
        return MODE_LABELS[mode]
    except KeyError:
        msg = f"Mode inconnu « {mode} » : attendu {', '.join(MODE_LABELS)}."
        raise ValueError(msg) from None


def _fr_int(value: int) -> str:
    """``1240`` → ``1 240`` with a narrow no-break space, as French typography wants."""
    return f"{value:,}".replace(",", _NARROW_NBSP)


def _fr_decimal(value: float) -> str:
    """A number in French: integers plain, else 2 decimals below 1 and 1 decimal above."""
    if float(value).is_integer():
        return _fr_int(int(value))
    digits = 2 if abs(value) < 1 else 1
    text = f"{value:,.{digits}f}"
    return text.replace(",", _NARROW_NBSP).replace(".", ",")


def shown_minutes(minutes: float) -> float:
    """A travel time as it is shown everywhere (messages, API fields, pages), in minutes:
    rounded **up** to the tenth, so that a trip of 20.02 min is never shown under a 20 min
    budget, and the sentence « à 20,4 min » and the field ``20.4`` say the same thing."""
    return math.ceil(round(minutes * 10.0, 6)) / 10.0


def _fr_minutes(minutes: float) -> str:
    """`shown_minutes` in French: « 20,4 », « 21 » (a tenth at most, decimal comma)."""
    value = shown_minutes(minutes)
    if value.is_integer():
        return _fr_int(int(value))
    return f"{value:,.1f}".replace(",", _NARROW_NBSP).replace(".", ",")


def _of(name: str) -> str:
    """« de » + a place name, elided or contracted: « d'Alès », « du Vigan », « des Angles »."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[:1] in _VOWELS:
        return "d'" + name
    return "de " + name
