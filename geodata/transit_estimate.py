"""An honest public-transport estimate where no timetable serves a trip.

Where the service has no timetable for a trip, it still has to say how long public transport
would take — without pretending. The old answer, a flat 15 km/h door to door, promised « moins
d'une minute en transports en commun » for 141 m and a bus three times quicker than walking
at 200 m. This one tells the trip a person would actually make, every figure a stated
assumption, and is never slower than walking.

The model
---------
From an origin O to a destination D (great-circle distances ``d``, metres)::

    walk(O, D)    = d(O, D) × WALK_DETOUR / WALK_SPEED
    transit(O, D) = access + wait + ride + egress
      access = d(O, a) × WALK_DETOUR / WALK_SPEED     walk to the stop a
      wait   = headway(a) / 2                         half the interval between departures
      ride   = d(a, b) × RIDE_DETOUR / speed(vehicle) in the vehicle, to the stop b
      egress = d(b, D) × WALK_DETOUR / WALK_SPEED     walk from the stop b
    estimate(O, D) = min(walk(O, D), transit(O, D))

When the walk wins, the answer *is* the walk — one walk leg — so public transport is never
slower than walking the same trip, and at 200 m it is the walk (≈ 3.5 minutes), not a
phantom bus. When the ride wins, the journey has its four legs, all ``estimated``.

The stops ``a`` and ``b``:

- **with a timetable** (a `geodata.transit.TransitNetwork`, read through `StopService`): the
  nearest served stop within `MAX_ACCESS_M` of O (of D for ``b``), with its name, the
  headway of its busiest direction on a weekday and the vehicle that serves it most;
- **otherwise** (no timetable, or no served stop within `MAX_ACCESS_M`): a stop assumed at
  `DEFAULT_ACCESS_M` (`DEFAULT_EGRESS_M`) from the point, on the straight line, a
  `DEFAULT_HEADWAY_MINUTES` headway, and the vehicle of the distance: a town bus up to
  `URBAN_RIDE_MAX_M`, an interurban coach beyond — never quicker than the bus at that
  distance, so a farther place is never reached sooner.

When the two stops are the same served stop there is no ride: the answer is the walk.
The vehicle of a ride between two known stops is the slower of their two: an estimate
promises the slower way.

Sources of the figures (each constant below says more; all overridable through
`TransitAssumptions`):

- walking: `geodata.walking`'s estimated walk (1.3 × the straight line at 4.5 km/h, whole
  seconds rounded up), the very walk of the walk estimate and of the timetable router, so
  « never slower than walking » compares like with like;
- stop catchment: 300 m around a bus stop, 500 m around a tram or train station, the radii
  French transport and urban planning use (PDU, PLU « secteurs de desserte »); 400 m assumed;
- commercial speeds: UTP « chiffres clés » (urban buses), and what the SNCF TER 2025 timetable
  itself measures for regional trains and coaches;
- headway: an hourly service, the reference of French regional coach and TER timetables in
  rural areas.

Units: EPSG:4326 ``(lon, lat)`` degrees in, minutes out, metres for distances.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Final, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata import gtfs
from geodata.journeys import (
    VEHICLE_LABELS,
    VEHICLES,
    Journey,
    JourneyMinutes,
    Leg,
    Vehicle,
    street_journey,
    vehicle_of_route_type,
)
from geodata.modes import TravelMode
from geodata.sphere import great_circle_m, unit_xyz_m
from geodata.traveltime import StraightLineEstimator
from geodata.walking import WALK_DETOUR, WALK_SPEED_KMH, EstimatedWalk
from geodata.words import decimal

if TYPE_CHECKING:
    from scipy.spatial import cKDTree
    from shapely import Polygon

    from geodata.transit import TransitNetwork

__all__ = [
    "DEFAULT_ACCESS_M",
    "DEFAULT_EGRESS_M",
    "DEFAULT_HEADWAY_MINUTES",
    "MAX_ACCESS_M",
    "RIDE_DETOUR_FACTOR",
    "RIDE_SPEED_KMH",
    "URBAN_RIDE_MAX_M",
    "EstimatedTravel",
    "StopService",
    "TransitAssumptions",
    "TransitEstimate",
]

DEFAULT_ACCESS_M: Final = 400.0
"""Straight-line distance to the stop where no served stop is known, metres.

French transport and urban planning count a bus stop's catchment as 300 m and a tram or train
station's as 500 m (the radii of the PDU and PLU « secteurs bien desservis »); 400 m is their
middle: about 7 minutes on foot with the walk detour."""

DEFAULT_EGRESS_M: Final = DEFAULT_ACCESS_M
"""Straight-line distance from the stop to the destination where none is known, metres."""

MAX_ACCESS_M: Final = 1000.0
"""A served stop farther than this from a point (straight line, metres) is not used for it:
the limit the timetable router itself walks to a stop (`geodata.transit.TransitNetwork.
travel_times`, ``max_access_m``). Beyond it the stop is assumed, as without a timetable."""

DEFAULT_HEADWAY_MINUTES: Final = 60.0
"""Minutes between two departures where the timetable does not say: an hourly service, the
reference of French regional coach and TER timetables in rural areas (many rural lines run
less often, so this is if anything generous). The wait is half of it: 30 minutes."""

RIDE_DETOUR_FACTOR: Final = 1.3
"""Length of the ride along the line / straight-line distance between the stops: lines follow
streets and railways; the 1.3 circuity of street networks (Giacomin & Levinson 2015, see
`geodata.traveltime.DETOUR_FACTOR`). The speeds below are along the line, so the ride's
straight-line speed is ``speed / 1.3``."""

RIDE_SPEED_KMH: Final[Mapping[Vehicle, float]] = MappingProxyType(
    {
        "bus": 17.0,
        "trolleybus": 17.0,
        "coach": 44.0,
        "train": 74.0,
        "tram": 19.0,
        "metro": 27.0,
        "monorail": 27.0,
        "ferry": 15.0,
        "cable": 15.0,
        "funicular": 10.0,
    }
)
"""Commercial speed along the line, stops included, km/h, per vehicle.

- bus, trolleybus: 17 km/h, the UTP operating speed of urban bus networks serving fewer than
  250,000 inhabitants in 2018 (15 km/h on larger ones), as the FNAUT/BeeMotion study of
  February 2024 reports it;
- coach: 44 km/h, and train: 74 km/h: measured on the SNCF TER 2025 timetable
  (``sncf_ter_2025.zip``), the median over its trips of the straight-line speed from first to
  last stop — 34 km/h for its 4,595 coach trips, 57 km/h for its 28,153 train trips (60 km/h
  for those starting in and around the Gard) — times the 1.3 detour;
- tram 19 km/h, metro 27 km/h: the usual order of magnitude of French tramways (18–20 km/h)
  and metros (25–30 km/h), assumptions;
- ferry, cable car, funicular: assumptions for rare cases.
"""

URBAN_RIDE_MAX_M: Final = 10_000.0
"""Without a timetable, a ride over at most this straight-line distance (metres) is assumed a
town bus, a longer one an interurban coach: the bus networks of towns the size of Alès or
Nîmes span about 10 km. An assumption."""

_DAY_WINDOW_S: Final = (7 * 3600, 19 * 3600)  # departures counted 07:00–19:00 for headways
_WINDOW_MINUTES: Final = (_DAY_WINDOW_S[1] - _DAY_WINDOW_S[0]) / 60


@dataclass(frozen=True, slots=True)
class TransitAssumptions:
    """Every figure of the estimate, each defaulting to the documented constant of the same
    name; change one with ``dataclasses.replace`` or keywords.

    Attributes
    ----------
    access_m, egress_m : float
        `DEFAULT_ACCESS_M`, `DEFAULT_EGRESS_M`, metres.
    max_access_m : float
        `MAX_ACCESS_M`, metres.
    headway_minutes : float
        `DEFAULT_HEADWAY_MINUTES`.
    ride_detour : float
        `RIDE_DETOUR_FACTOR` (≥ 1).
    ride_speed_kmh : Mapping[Vehicle, float]
        `RIDE_SPEED_KMH`, every vehicle given.
    urban_ride_max_m : float
        `URBAN_RIDE_MAX_M`, metres.
    walk_speed_kmh, walk_detour : float
        The estimated walk's `geodata.walking.WALK_SPEED_KMH` and `~geodata.walking.WALK_DETOUR`.
    """

    access_m: float = DEFAULT_ACCESS_M
    egress_m: float = DEFAULT_EGRESS_M
    max_access_m: float = MAX_ACCESS_M
    headway_minutes: float = DEFAULT_HEADWAY_MINUTES
    ride_detour: float = RIDE_DETOUR_FACTOR
    ride_speed_kmh: Mapping[Vehicle, float] = field(default_factory=lambda: RIDE_SPEED_KMH)
    urban_ride_max_m: float = URBAN_RIDE_MAX_M
    walk_speed_kmh: float = WALK_SPEED_KMH
    walk_detour: float = WALK_DETOUR

    def __post_init__(self) -> None:
        distances = (self.access_m, self.egress_m, self.max_access_m, self.urban_ride_max_m)
        speeds = (self.walk_speed_kmh, *(self.ride_speed_kmh.get(v, math.nan) for v in VEHICLES))
        valid = (
            all(math.isfinite(d) and d >= 0 for d in distances)
            and math.isfinite(self.headway_minutes)
            and self.headway_minutes >= 0
            and self.ride_detour >= 1
            and self.walk_detour >= 1
            and all(0 < s < math.inf for s in speeds)
        )
        if not valid:
            msg = (
                "Hypothèses d'estimation invalides : distances et intervalle positifs ou nuls, "
                "facteurs de détour ≥ 1, une vitesse > 0 km/h pour chaque véhicule."
            )
            raise ValueError(msg)

    @property
    def walk(self) -> EstimatedWalk:
        """The estimated walk of these figures (`geodata.walking`)."""
        return EstimatedWalk(self.walk_speed_kmh, self.walk_detour)

    @property
    def walk_m_per_min(self) -> float:
        """Straight-line metres walked per minute: speed / walk detour."""
        return self.walk.straight_m_per_min

    def ride_m_per_min(self, vehicle: Vehicle) -> float:
        """Straight-line metres ridden per minute in ``vehicle``: speed / ride detour."""
        return self.ride_speed_kmh[vehicle] * 1000.0 / 60.0 / self.ride_detour


# -- the stops of a timetable ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StopService:
    """The served stops of a timetable as the estimate needs them.

    Attributes
    ----------
    lon, lat : (s,) float64
        EPSG:4326 degrees.
    names : (s,) str
    headway_minutes : (s,) float64
        Minutes between departures of the stop's busiest direction on a weekday between
        07:00 and 19:00: 720 / their number (departures of every platform of one station
        count together; a direction is a quarter of the compass toward the next stop, see
        `_busiest_direction`); NaN where the stop has no departure then.
    vehicle : (s,) int8
        Index into `geodata.journeys.VEHICLES` of the vehicle of most trips calling at the
        stop (its station) then, arriving or departing; -1 when not known.
    """

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    names: NDArray[np.str_]
    headway_minutes: NDArray[np.float64]
    vehicle: NDArray[np.int8]

    def __post_init__(self) -> None:
        n = self.lon.shape[0]
        shapes = {a.shape for a in (self.lat, self.names, self.headway_minutes, self.vehicle)}
        if shapes != {(n,)}:
            raise ValueError("Arrêts incohérents : un tableau par arrêt, tous de même taille.")

    def __len__(self) -> int:
        return int(self.lon.shape[0])

    @cached_property
    def _tree(self) -> cKDTree:
        from scipy.spatial import cKDTree

        return cKDTree(unit_xyz_m(self.lon, self.lat))

    def nearest(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Nearest stop of each point and its great-circle distance, metres (``-1``/``inf``
        when there is no stop)."""
        lon_a = np.asarray(lon, dtype=np.float64).reshape(-1)
        lat_a = np.asarray(lat, dtype=np.float64).reshape(-1)
        if len(self) == 0 or lon_a.size == 0:
            return np.full(lon_a.size, -1, dtype=np.intp), np.full(lon_a.size, np.inf)
        _, index = self._tree.query(unit_xyz_m(lon_a, lat_a), k=1)
        index = np.asarray(index, dtype=np.intp)
        metres = great_circle_m(lon_a, lat_a, self.lon[index], self.lat[index])
        return index, metres

    @classmethod
    def from_network(
        cls,
        network: TransitNetwork,
        *,
        day: date | None = None,
        trip_route_types: ArrayLike | None = None,
    ) -> StopService:
        """The served stops of ``network``, their weekday headways and vehicles.

        Parameters
        ----------
        network : geodata.transit.TransitNetwork
            Read through its public ``stops``, ``served``, ``connections``, ``calendar`` and
            ``trip_ids``.
        day : date, optional
            The day whose departures are counted; by default the weekday (Monday to Friday)
            with the most departures among the first four weeks of the service period.
        trip_route_types : array-like of int, optional
            GTFS ``route_type`` of each trip of ``network.trip_ids``; without it the vehicle
            is unknown and the estimate assumes one from the distance.
        """
        stops, c = network.stops, network.connections
        served = np.flatnonzero(network.served)
        n_stops = stops.ids.size
        chosen = day if day is not None else _busiest_weekday(network)
        running = np.zeros(c.service.size, dtype=bool)
        if chosen is not None:
            active = gtfs.active_services(network.calendar, chosen)
            known = c.service >= 0
            running[known] = active[c.service[known]]
        in_window = running & (c.dep_time >= _DAY_WINDOW_S[0]) & (c.dep_time < _DAY_WINDOW_S[1])
        group = np.where(stops.parent >= 0, stops.parent, np.arange(n_stops)).astype(np.int64)
        dep_group = group[c.dep_stop[in_window]]
        arr_group = group[c.arr_stop[in_window]]
        busiest = _busiest_direction(
            n_stops,
            dep_group,
            _bearing(stops, c.dep_stop[in_window], c.arr_stop[in_window]),
        )
        with np.errstate(divide="ignore"):
            headway = np.where(busiest > 0, _WINDOW_MINUTES / busiest, np.nan)
        vehicle = np.full(n_stops, -1, dtype=np.int8)
        if trip_route_types is not None:
            trips = c.trip[in_window]
            vehicle = _stop_vehicles(
                np.asarray(trip_route_types),
                network.trip_ids.size,
                n_stops,
                np.concatenate([dep_group, arr_group]),
                np.concatenate([trips, trips]),
            )
        return cls(
            lon=stops.lon[served].astype(np.float64),
            lat=stops.lat[served].astype(np.float64),
            names=stops.names[served],
            headway_minutes=headway[group[served]],
            vehicle=vehicle[group[served]],
        )


def _busiest_weekday(network: TransitNetwork) -> date | None:
    """Among the first 28 days of the service period, the weekday with the most connections."""
    period = network.service_period()
    if period is None:
        return None
    first, last = period
    service = network.connections.service
    known = service >= 0
    best, best_count = None, -1
    for offset in range(min(28, (last - first).days + 1)):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        count = int(gtfs.active_services(network.calendar, day)[service[known]].sum())
        if count > best_count:
            best, best_count = day, count
    return best


def _bearing(
    stops: gtfs.Stops, origin: NDArray[np.int32], target: NDArray[np.int32]
) -> NDArray[np.float64]:
    """Initial great-circle bearing from each ``origin`` stop to its ``target``, degrees in
    [0, 360) clockwise from north."""
    lon1, lat1 = np.radians(stops.lon[origin]), np.radians(stops.lat[origin])
    lon2, lat2 = np.radians(stops.lon[target]), np.radians(stops.lat[target])
    y = np.sin(lon2 - lon1) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(lon2 - lon1)
    bearing: NDArray[np.float64] = np.degrees(np.arctan2(y, x)) % 360.0
    return bearing


def _busiest_direction(
    n_groups: int, group: NDArray[np.int64], bearing: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Per stop group, the departures of its busiest direction.

    A direction is a quarter of the compass (90°) holding the bearing to the next stop, on
    either of two grids offset by 45°: departures whose bearings lie within 45° of each
    other always share a quarter of one grid, so stopping and non-stop trains of one line
    count together, and the two directions of a line apart.
    """
    quarters = np.concatenate(
        [(bearing // 90).astype(np.int64), 4 + ((bearing + 45.0) % 360.0 // 90).astype(np.int64)]
    )
    keys, counts = np.unique(np.concatenate([group, group]) * 8 + quarters, return_counts=True)
    busiest = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(busiest, keys // 8, counts)
    return busiest


def _stop_vehicles(
    route_types: NDArray[np.generic],
    n_trips: int,
    n_groups: int,
    calls: NDArray[np.int64],
    trips: NDArray[np.int32],
) -> NDArray[np.int8]:
    """Per stop group, the vehicle of most trips calling there (departing or arriving), -1
    when none is known."""
    if route_types.shape != (n_trips,):
        raise ValueError("Un route_type par course (trip) attendu.")
    codes = np.array(
        [
            VEHICLES.index(v) if (v := vehicle_of_route_type(int(t))) is not None else -1
            for t in route_types
        ],
        dtype=np.int64,
    )
    trip_vehicle = codes[trips]
    known = trip_vehicle >= 0
    n_vehicles = len(VEHICLES)
    tally = np.bincount(
        calls[known] * n_vehicles + trip_vehicle[known], minlength=n_groups * n_vehicles
    ).reshape(n_groups, n_vehicles)
    out = np.where(tally.max(axis=1) > 0, tally.argmax(axis=1), -1)
    return out.astype(np.int8)


# -- the estimate ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Plan:
    """Everything the estimate computes for origins × destinations, minutes and metres."""

    walk: NDArray[np.float64]  # (k, m) the walk
    walk_m: NDArray[np.float64]  # (k, m) its straight line
    access: NDArray[np.float64]  # (k,)
    wait: NDArray[np.float64]  # (k,)
    ride: NDArray[np.float64]  # (k, m), inf where there is no ride
    egress: NDArray[np.float64]  # (m,)
    origin_stop: NDArray[np.intp]  # (k,) served stop, -1 assumed
    destination_stop: NDArray[np.intp]  # (m,)
    access_m: NDArray[np.float64]
    egress_m: NDArray[np.float64]
    ride_m: NDArray[np.float64]  # (k, m) straight line between the stops
    vehicle: NDArray[np.int64]  # (k, m) index into VEHICLES
    headway: NDArray[np.float64]  # (k,) minutes
    headway_known: NDArray[np.bool_]  # (k,)

    @cached_property
    def transit(self) -> NDArray[np.float64]:
        total: NDArray[np.float64] = (
            self.access[:, None] + self.wait[:, None] + self.ride + self.egress[None, :]
        )
        return total

    @cached_property
    def minutes(self) -> NDArray[np.float64]:
        return np.minimum(self.walk, self.transit)


class TransitEstimate:
    """Public transport times where no timetable serves a trip: walk, wait, ride, walk — or the
    walk when it is quicker. See the module docstring for the model and its sources.

    Parameters
    ----------
    stops : StopService, TransitNetwork or None
        The served stops to walk to (a `TransitNetwork` is read with
        `StopService.from_network`); ``None``: every stop is assumed.
    assumptions : TransitAssumptions, optional
        The figures; the documented constants by default.

    Every answer is an estimate (``estimated = True``). It satisfies
    `geodata.traveltime.SingleModeModel` (``travel_times``, ``isochrone``) and tells the legs of
    a few trips (`journeys`).
    """

    mode: ClassVar[TravelMode] = "transit"
    estimated: ClassVar[bool] = True

    def __init__(
        self,
        stops: StopService | TransitNetwork | None = None,
        *,
        assumptions: TransitAssumptions | None = None,
    ) -> None:
        if stops is not None and not isinstance(stops, StopService):
            stops = StopService.from_network(stops)
        self.stops: StopService | None = stops
        self.assumptions = assumptions or TransitAssumptions()

    def __repr__(self) -> str:
        stops = "aucun arrêt connu" if self.stops is None else f"{len(self.stops)} arrêts"
        return f"TransitEstimate({stops})"

    # -- answers

    def travel_times(
        self, origins: ArrayLike, destinations: ArrayLike, *, max_minutes: float | None = None
    ) -> NDArray[np.float64]:
        """Estimated minutes from each origin to each destination, the walk when quicker.

        Parameters
        ----------
        origins, destinations
            Points of shape (k, 2) and (m, 2), ``(lon, lat)`` in EPSG:4326 degrees.
        max_minutes
            Time budget in minutes: longer estimates are ``inf``.

        Returns
        -------
        numpy.ndarray
            float64, shape (k, m), minutes: ``min(walk, access + wait + ride + egress)``.
        """
        budget = _budget(max_minutes)
        minutes = self._plan(_points(origins), _points(destinations)).minutes.copy()
        minutes[minutes > budget] = np.inf
        return minutes

    def times(
        self,
        lon: float,
        lat: float,
        destinations: ArrayLike,
        *,
        max_minutes: float | None = None,
    ) -> JourneyMinutes:
        """`travel_times` from one origin, as a `geodata.journeys.JourneyTimes` (all estimated)."""
        minutes = self.travel_times([[lon, lat]], destinations, max_minutes=max_minutes)[0]
        return JourneyMinutes(minutes, np.ones(minutes.shape[0], dtype=bool))

    def journeys(
        self,
        lon: float,
        lat: float,
        destinations: ArrayLike,
        *,
        max_minutes: float | None = None,
    ) -> list[Journey | None]:
        """The estimated journey from ``(lon, lat)`` to each destination (``None`` beyond
        ``max_minutes``): one walk leg when walking is quicker, else walk to the stop, wait,
        ride, walk from the stop. Its minutes are `travel_times`' to the last bit."""
        plan = self._plan(_points([[lon, lat]]), _points(destinations))
        budget = _budget(max_minutes)
        return [
            self._journey(plan, j) if plan.minutes[0, j] <= budget else None
            for j in range(plan.minutes.shape[1])
        ]

    def isochrone(self, lon: float, lat: float, minutes: float) -> Polygon:
        """The disc reachable within ``minutes``: the farther of the walk's radius and the
        ride's, from the origin's stop and headway, the default egress, and the distance's
        vehicle (with a timetable, the radius ignores where the stops near each destination
        lie: a disc is what a straight-line estimate can draw). EPSG:4326."""
        import shapely
        from shapely import Point

        from geodata.traveltime import _local_projection

        if not (math.isfinite(minutes) and minutes > 0):
            raise ValueError("La durée de l'isochrone doit être strictement positive.")
        a = self.assumptions
        origin = _points([[lon, lat]])
        stop, access_m = self._stops_near(origin, a.access_m)
        access = a.walk.minutes(access_m)
        wait = self._headway(stop)[0] / 2
        left = minutes - access[0] - wait[0] - float(a.walk.minutes(a.egress_m))
        vehicle = (
            int(self.stops.vehicle[stop[0]]) if self.stops is not None and stop[0] >= 0 else -1
        )
        ride_radius = self._ride_reach(left, vehicle) if left > 0 else 0.0
        radius = max(minutes * a.walk_m_per_min, ride_radius)
        _, to_lonlat = _local_projection(lon, lat)
        disc = Point(0.0, 0.0).buffer(radius, quad_segs=16)
        return cast("Polygon", shapely.transform(disc, to_lonlat))

    # -- steps

    def _stops_near(
        self, xy: NDArray[np.float64], assumed_m: float
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The served stop used at each point (-1: assumed ``assumed_m`` away) and the
        straight-line metres to it."""
        if self.stops is None:
            return np.full(len(xy), -1, dtype=np.intp), np.full(len(xy), assumed_m)
        stop, metres = self.stops.nearest(xy[:, 0], xy[:, 1])
        far = metres > self.assumptions.max_access_m
        stop[far] = -1
        metres[far] = assumed_m
        return stop, metres

    def _headway(self, stop: NDArray[np.intp]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        default = self.assumptions.headway_minutes
        headway = np.full(stop.shape, default)
        if self.stops is not None:
            served = stop >= 0
            headway[served] = self.stops.headway_minutes[stop[served]]
        known = np.isfinite(headway) & (stop >= 0)
        return np.where(np.isfinite(headway), headway, default), known

    def _plan(self, origins: NDArray[np.float64], destinations: NDArray[np.float64]) -> _Plan:
        a = self.assumptions
        walk_m = great_circle_m(
            origins[:, None, 0],
            origins[:, None, 1],
            destinations[None, :, 0],
            destinations[None, :, 1],
        )
        o_stop, access_m = self._stops_near(origins, a.access_m)
        d_stop, egress_m = self._stops_near(destinations, a.egress_m)
        headway, headway_known = self._headway(o_stop)
        ride_m, ride, vehicle = self._rides(origins, destinations, o_stop, d_stop)
        return _Plan(
            walk=a.walk.minutes(walk_m),
            walk_m=walk_m,
            access=a.walk.minutes(access_m),
            wait=headway / 2,
            ride=ride,
            egress=a.walk.minutes(egress_m),
            origin_stop=o_stop,
            destination_stop=d_stop,
            access_m=access_m,
            egress_m=egress_m,
            ride_m=ride_m,
            vehicle=vehicle,
            headway=headway,
            headway_known=headway_known,
        )

    def _rides(
        self,
        origins: NDArray[np.float64],
        destinations: NDArray[np.float64],
        o_stop: NDArray[np.intp],
        d_stop: NDArray[np.intp],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        """Straight-line metres, minutes and vehicle of each ride (inf: no ride, same stop)."""
        start, end = origins.copy(), destinations.copy()
        stops = self.stops
        if stops is not None:
            start[o_stop >= 0] = np.column_stack([stops.lon, stops.lat])[o_stop[o_stop >= 0]]
            end[d_stop >= 0] = np.column_stack([stops.lon, stops.lat])[d_stop[d_stop >= 0]]
        metres = great_circle_m(
            start[:, None, 0], start[:, None, 1], end[None, :, 0], end[None, :, 1]
        )
        o_vehicle = np.full(len(origins), -1, dtype=np.int64)
        d_vehicle = np.full(len(destinations), -1, dtype=np.int64)
        if stops is not None:
            o_vehicle[o_stop >= 0] = stops.vehicle[o_stop[o_stop >= 0]]
            d_vehicle[d_stop >= 0] = stops.vehicle[d_stop[d_stop >= 0]]
        by_origin, origin_vehicle = self._ride_minutes(metres, o_vehicle[:, None])
        by_destination, destination_vehicle = self._ride_minutes(metres, d_vehicle[None, :])
        slower = by_destination > by_origin
        minutes = np.where(slower, by_destination, by_origin)
        vehicle = np.where(slower, destination_vehicle, origin_vehicle)
        same = (o_stop[:, None] >= 0) & (o_stop[:, None] == d_stop[None, :])
        minutes[same] = np.inf
        return metres, minutes, vehicle

    def _ride_minutes(
        self, metres: NDArray[np.float64], vehicle: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Minutes in ``vehicle`` (-1: the distance's), and the vehicle, shape of ``metres``."""
        a = self.assumptions
        per_min = np.array([a.ride_m_per_min(v) for v in VEHICLES])
        vehicle = np.broadcast_to(vehicle, metres.shape)
        known = np.where(vehicle >= 0, vehicle, 0)
        minutes = np.where(vehicle >= 0, metres / per_min[known], np.nan)
        bus, coach = VEHICLES.index("bus"), VEHICLES.index("coach")
        urban = metres <= a.urban_ride_max_m
        by_distance = np.maximum(
            np.minimum(metres, a.urban_ride_max_m) / per_min[bus], metres / per_min[coach]
        )
        minutes = np.where(vehicle >= 0, minutes, by_distance)
        chosen = np.where(vehicle >= 0, vehicle, np.where(urban, bus, coach)).astype(np.int64)
        return minutes, chosen

    def _ride_reach(self, minutes: float, vehicle: int) -> float:
        """Straight-line metres a ride covers in ``minutes`` (vehicle -1: the distance's)."""
        a = self.assumptions
        if vehicle >= 0:
            return minutes * a.ride_m_per_min(VEHICLES[vehicle])
        bus_reach = minutes * a.ride_m_per_min("bus")
        if bus_reach <= a.urban_ride_max_m:
            return bus_reach
        return max(a.urban_ride_max_m, minutes * a.ride_m_per_min("coach"))

    def _journey(self, plan: _Plan, j: int) -> Journey:
        """The journey to destination ``j`` from the only origin of ``plan``."""
        if plan.walk[0, j] <= plan.transit[0, j]:
            walk = street_journey(
                "walk",
                float(plan.walk[0, j]),
                estimated=True,
                metres=float(self.assumptions.walk.metres(plan.walk_m[0, j])),
            )
            return Journey(mode="transit", legs=walk.legs, notice=_WALK_WINS)
        a = self.assumptions
        o, d = int(plan.origin_stop[0]), int(plan.destination_stop[j])
        vehicle = VEHICLES[int(plan.vehicle[0, j])]
        o_name = self._name(o)
        d_name = self._name(d)
        legs = (
            Leg(
                kind="walk",
                minutes=float(plan.access[0]),
                estimated=True,
                metres=float(a.walk.metres(plan.access_m[0])),
                to_name=o_name,
            ),
            Leg(kind="wait", minutes=float(plan.wait[0]), estimated=True, from_name=o_name),
            Leg(
                kind="ride",
                minutes=float(plan.ride[0, j]),
                estimated=True,
                metres=float(plan.ride_m[0, j]) * a.ride_detour,
                vehicle=vehicle,
                from_name=o_name,
                to_name=d_name,
            ),
            Leg(
                kind="walk",
                minutes=float(plan.egress[j]),
                estimated=True,
                metres=float(a.walk.metres(plan.egress_m[j])),
                from_name=d_name,
            ),
        )
        return Journey(mode="transit", legs=legs, notice=self._notice(plan, j, vehicle))

    def _name(self, stop: int) -> str | None:
        return None if self.stops is None or stop < 0 else str(self.stops.names[stop])

    def _notice(self, plan: _Plan, j: int, vehicle: Vehicle) -> str:
        a = self.assumptions
        if plan.origin_stop[0] >= 0:
            access = f"arrêt le plus proche à {_metres_text(float(plan.access_m[0]))}"
        else:
            access = f"arrêt supposé à {_metres_text(a.access_m)}"
        headway = float(plan.headway[0])
        if plan.headway_known[0]:
            wait = f"un départ toutes les {headway:.0f} min en semaine à cet arrêt"
        else:
            wait = f"un départ supposé toutes les {headway:.0f} min"
        speed = decimal(a.ride_speed_kmh[vehicle])
        return (
            "Estimation sans horaires : "
            f"{access}, attente de la moitié de l'intervalle ({wait}), "
            f"trajet en {VEHICLE_LABELS[vehicle]} à {speed} km/h de moyenne sur "
            f"{decimal(a.ride_detour)} fois la distance à vol d'oiseau."
        )


_WALK_WINS: Final = (
    "À pied : plus rapide que les transports en commun estimés "
    "(marche jusqu'à l'arrêt, attente et trajet)."
)


def _metres_text(metres: float) -> str:
    """Metres for a sentence, rounded to 10 m (« 350 m », « 1,2 km »)."""
    if metres >= 1000:
        return f"{metres / 1000:.1f} km".replace(".", ",")
    return f"{round(metres, -1):.0f} m"


def _points(points: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(points, dtype=np.float64)
    if array.ndim == 1 and array.size == 0:
        array = array.reshape(0, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        msg = "Les points doivent former un tableau de forme (n, 2) de paires (lon, lat)."
        raise ValueError(msg)
    lon, lat = array[:, 0], array[:, 1]
    if not (np.isfinite(array).all() and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
        msg = "Coordonnées invalides : longitude dans [-180, 180], latitude dans [-90, 90]."
        raise ValueError(msg)
    return array


def _budget(max_minutes: float | None) -> float:
    if max_minutes is None:
        return math.inf
    value = float(max_minutes)
    if math.isnan(value) or value < 0:
        msg = "Durée maximale invalide : un nombre de minutes positif ou nul."
        raise ValueError(msg)
    return value


# -- every mode by estimate ------------------------------------------------------------------


class EstimatedTravel:
    """A `geodata.journeys.JourneyModel` made of estimates only: the straight line for walk,
    bike and car (`geodata.traveltime.StraightLineEstimator`), `TransitEstimate` for transit.

    What a territory without any registered network answers; every time and leg is flagged
    estimated. ``transit`` gives the transit estimate its stops (a timetable's).
    """

    def __init__(self, transit: TransitEstimate | None = None) -> None:
        self.transit = transit or TransitEstimate()
        self._street = {mode: StraightLineEstimator(mode) for mode in ("walk", "bike", "car")}

    def times(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> JourneyMinutes:
        """Estimated minutes by ``mode`` (see `geodata.journeys.TravelTimeModel.times`)."""
        if mode == "transit":
            return self.transit.times(lon, lat, destinations, max_minutes=max_minutes)
        minutes = self._street[mode].travel_times(
            [[lon, lat]], destinations, max_minutes=max_minutes
        )[0]
        return JourneyMinutes(minutes, np.ones(minutes.shape[0], dtype=bool))

    def journeys(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> Sequence[Journey | None]:
        """Estimated journeys by ``mode``: one leg for a street mode (its length the straight
        line × detour), `TransitEstimate.journeys` for transit."""
        if mode == "transit":
            return self.transit.journeys(lon, lat, destinations, max_minutes=max_minutes)
        estimator = self._street[mode]
        minutes = estimator.travel_times([[lon, lat]], destinations, max_minutes=max_minutes)[0]
        metres = estimator.metres([[lon, lat]], destinations)[0]
        return [
            street_journey(mode, float(value), estimated=True, metres=float(length))
            if math.isfinite(value)
            else None
            for value, length in zip(minutes, metres, strict=True)
        ]
