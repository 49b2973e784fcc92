"""Travel times for the service: registered networks, loaded once, and per-origin caches.

A search asks "how long from this point to these partners, by this mode". The answer comes from
the network registered for that mode whose extent contains the point (street networks for walk,
bike and car); where there is none, or where a partner lies more than 1 km from the network,
from the straight-line estimate of `geodata.traveltime`, flagged ``estimated``. Public
transport weighs the walk, the registered timetable's rides and the estimate's
(`service.transit`). Networks are loaded at startup (`TravelService.from_store`) and kept in
memory; per-origin results are cached (LRU), so paging through results or asking again is
cheap.

`TravelService` is a `geodata.journeys.JourneyModel`: besides the minutes to every
destination (`TravelService.times`) it tells the legs of the few trips shown
(`TravelService.journeys`), each flagged estimated or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from geodata.journeys import Journey, street_journey
from geodata.lru import LRUCache
from geodata.modes import StreetMode
from geodata.transit_estimate import StopService, TransitEstimate
from graph.inputs import DateTime
from service import transit
from service.store import queries

if TYPE_CHECKING:
    from geodata.transit import WindowStatistic

logger = logging.getLogger("maillage")

MAX_MINUTES = 180.0
"""The largest travel-time budget a request may ask for, minutes."""

DEPARTURE_DESCRIPTION = (
    "transports en commun : heure de départ (heure locale, début de la fenêtre) ; défaut : "
    "mardi prochain 08:00"
)
"""The French description of a request's ``departure``."""

DepartureTime = DateTime | None
"""A departure of a request: an ISO 8601 date and time, naive (local) or with an offset; any
date, which a timetable answers by one of its own (`service.transit.resolve_departure`)."""


@dataclass(frozen=True, slots=True)
class LoadedNetwork:
    """A network in memory, with the extent (EPSG:4326 lon/lat bounds) it serves."""

    id: uuid.UUID
    name: str
    mode: str
    bounds: tuple[float, float, float, float]
    network: Any  # geodata.traveltime.StreetNetwork | geodata.transit.TransitNetwork

    def covers(self, lon: float, lat: float) -> bool:
        minx, miny, maxx, maxy = self.bounds
        return minx <= lon <= maxx and miny <= lat <= maxy


@dataclass(frozen=True, slots=True)
class TravelResult:
    """Minutes to each destination (``inf``: not reachable within the budget), which are
    estimates, the network that answered, and the French notice of a timetable answer whose
    date had to move into the timetable's validity."""

    minutes: np.ndarray
    estimated: np.ndarray  # bool per destination
    network: str | None
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Minutes from each origin (rows) to each destination (columns), ``inf`` when not
    reachable within the budget, which pairs are estimates, the networks that answered and
    the notices of their timetable answers."""

    minutes: np.ndarray  # float64 (n, m)
    estimated: np.ndarray  # bool (n, m)
    networks: tuple[str, ...]
    notices: tuple[str, ...] = ()


def _digest(points: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(points, dtype=np.float64).tobytes()).hexdigest()


class TravelService:
    """Travel times from a point to many destinations, by mode, with fallbacks and caches."""

    def __init__(self, networks: Sequence[LoadedNetwork] = (), *, cache_size: int = 256) -> None:
        self.networks = list(networks)
        self._origins: LRUCache[Any, Any] = LRUCache(cache_size)
        self._snaps: LRUCache[Any, Any] = LRUCache(cache_size)
        self._default_estimate = TransitEstimate()
        self._estimates: dict[uuid.UUID, TransitEstimate] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_store(cls, session: Session, home: Path) -> TravelService:
        """Load every registered network; a missing or unreadable file is logged and skipped."""
        loaded = []
        for row in session.scalars(queries.networks()):
            path = Path(row.path)
            if not path.is_absolute():
                path = home / path
            try:
                network = load_any_network(path, row.mode)
            except (OSError, ValueError) as exc:
                logger.warning("réseau %s (%s) non chargé : %s", row.name, row.mode, exc)
                continue
            bounds = to_shape(row.bbox).bounds
            loaded.append(LoadedNetwork(row.id, row.name, row.mode, bounds, network))
        return cls(loaded)

    def warm_up(self) -> None:
        """Compile the shortest-path kernels and build the timetables' estimates now rather
        than on the first request."""
        if any(n.mode != "transit" for n in self.networks):
            from geodata.traveltime import warm_up

            warm_up()
        for loaded in self.networks:
            if loaded.mode == "transit":
                self._estimate(loaded)

    def network_for(self, mode: str, lon: float, lat: float) -> LoadedNetwork | None:
        for candidate in self.networks:
            if candidate.mode == mode and candidate.covers(lon, lat):
                return candidate
        return None

    def times(
        self,
        mode: str,
        lon: float,
        lat: float,
        destinations: np.ndarray,
        *,
        max_minutes: float | None = None,
        departure: dt.datetime | None = None,
        window_minutes: int = 60,
        statistic: WindowStatistic = "median",
    ) -> TravelResult:
        """Minutes from (lon, lat) to each destination row (lon, lat), EPSG:4326.

        Walk, bike and car: the registered street network, the straight-line estimate off it.
        Transit: the quickest of the walk, a timetable ride and an estimated ride
        (`service.transit`); the timetable's window reports its median (aggregate
        accessibility) or, with ``statistic="quickest"``, one person's quickest trip leaving
        within it (`geodata.transit.WindowStatistic`); ``notice`` says when the departure's
        date had to move into the timetable's validity."""
        destinations = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        if mode == "transit":
            plan = self._transit_plan(
                lon, lat, destinations, max_minutes, departure, window_minutes, statistic
            )
            return TravelResult(plan.minutes, plan.estimated, plan.network, plan.notice)
        return self._street_times(mode, lon, lat, destinations, max_minutes)

    def journeys(
        self,
        mode: str,
        lon: float,
        lat: float,
        destinations: np.ndarray,
        *,
        max_minutes: float | None = None,
        departure: dt.datetime | None = None,
        window_minutes: int = 60,
        statistic: WindowStatistic = "median",
    ) -> list[Journey | None]:
        """The journey to each destination (``None`` where `times` answers ``inf``), for the
        few trips shown: one leg of the street mode; for transit the timetable's legs, the
        estimate's, or the walk — whichever `times` chose (same ``statistic``), with the same
        notice."""
        destinations = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        if mode != "transit":
            result = self._street_times(mode, lon, lat, destinations, max_minutes)
            metres = _estimated_metres(mode, lon, lat, destinations)
            return [
                street_journey(
                    cast("StreetMode", mode),
                    float(minutes),
                    estimated=bool(estimated),
                    metres=float(length) if estimated else None,
                )
                if np.isfinite(minutes)
                else None
                for minutes, estimated, length in zip(
                    result.minutes, result.estimated, metres, strict=True
                )
            ]
        plan = self._transit_plan(
            lon, lat, destinations, max_minutes, departure, window_minutes, statistic
        )
        out: list[Journey | None] = [None] * len(destinations)
        rides = np.flatnonzero(plan.source == transit.TIMETABLE)
        loaded = self.network_for("transit", lon, lat)
        tell = None if loaded is None else getattr(loaded.network, "journeys", None)
        if rides.size and tell is not None:  # a timetable that cannot tell its legs: None
            found = tell(
                lon,
                lat,
                destinations[rides],
                departure=plan.departure,
                window_minutes=window_minutes,
                max_minutes=max_minutes,
                statistic=statistic,
                **self._walk_hook(lon, lat, max_minutes, statistic),
            )
            for k, journey in zip(rides, found, strict=True):
                if transit.has_ride(journey):
                    out[k] = transit.with_notice(transit.honest(journey), plan.notice)
        estimates = np.flatnonzero(plan.source == transit.ESTIMATE)
        if estimates.size:
            estimate = self._estimate(loaded)
            found = estimate.journeys(lon, lat, destinations[estimates], max_minutes=max_minutes)
            for k, journey in zip(estimates, found, strict=True):
                out[k] = journey
        walks = np.flatnonzero(plan.source == transit.WALK)
        metres = _estimated_metres("walk", lon, lat, destinations[walks])
        for k, length in zip(walks, metres, strict=True):
            minutes = float(plan.walk_minutes[k])
            if np.isfinite(minutes):
                estimated = bool(plan.walk_estimated[k])
                out[k] = transit.walk_journey(
                    minutes,
                    estimated=estimated,
                    metres=float(length) if estimated else None,
                    notice=plan.notice,
                )
        return out

    def at(
        self, departure: dt.datetime | None, window_minutes: int = 60
    ) -> transit.DepartureTravel:
        """This service with the departure fixed: the `geodata.journeys.JourneyModel` one
        request hands to `graph.matching`, keeping the notices its answers carried."""
        return transit.DepartureTravel(self, departure, window_minutes)

    def _street_times(
        self,
        mode: str,
        lon: float,
        lat: float,
        destinations: np.ndarray,
        max_minutes: float | None,
    ) -> TravelResult:
        from geodata.traveltime import StraightLineEstimator

        estimator = StraightLineEstimator(mode)
        origin = np.array([[lon, lat]])
        loaded = self.network_for(mode, lon, lat)
        if loaded is None or len(destinations) == 0:
            minutes = estimator.travel_times(origin, destinations, max_minutes=max_minutes)[0]
            return TravelResult(minutes, np.ones(len(destinations), dtype=bool), None)
        minutes, off_network = self._street(loaded, lon, lat, destinations, max_minutes)
        estimated = off_network.copy()
        if estimated.any():
            fallback = estimator.travel_times(
                origin, destinations[estimated], max_minutes=max_minutes
            )[0]
            minutes = minutes.copy()
            minutes[estimated] = fallback
        return TravelResult(minutes, estimated, loaded.name)

    def _transit_plan(  # noqa: PLR0917 - the arguments of `times`, passed on
        self,
        lon: float,
        lat: float,
        destinations: np.ndarray,
        max_minutes: float | None,
        departure: dt.datetime | None,
        window_minutes: int,
        statistic: WindowStatistic = "median",
    ) -> transit.TransitPlan:
        """Walk, timetable ride, estimated ride: the quickest per destination
        (`service.transit`)."""
        walk = self._street_times("walk", lon, lat, destinations, max_minutes)
        loaded = self.network_for("transit", lon, lat)
        timetable = timetable_walk = None
        used, notice = None, None
        if loaded is not None:
            used, notice = transit.resolve_departure(loaded.network, departure)
        if loaded is not None and used is not None and len(destinations):
            timetable = self._timetable(
                loaded, lon, lat, destinations, max_minutes, used, window_minutes, statistic
            )
            timetable_walk = transit.network_walk_minutes(loaded.network, lon, lat, destinations)
        ride, source = transit.weigh(walk.minutes, walk.estimated, timetable, timetable_walk)
        missing = np.flatnonzero(~np.isfinite(ride))
        if missing.size:
            estimate = self._estimate(loaded)
            guess = estimate.travel_times(
                [[lon, lat]], destinations[missing], max_minutes=max_minutes
            )[0]
            own_walk = transit.estimate_walk_minutes(estimate, lon, lat, destinations[missing])
            transit.fill_estimate(ride, source, guess, own_walk, missing)
        minutes, estimated, source = transit.quickest(walk.minutes, walk.estimated, ride, source)
        return transit.TransitPlan(
            minutes=minutes,
            estimated=estimated,
            source=source,
            walk_minutes=walk.minutes,
            walk_estimated=walk.estimated,
            network=None if loaded is None else loaded.name,
            departure=used,
            notice=notice,
        )

    def _estimate(self, loaded: LoadedNetwork | None) -> TransitEstimate:
        """The public transport estimate: with the real stops of ``loaded``'s timetable
        (built once per network), or with the default stops."""
        if loaded is None:
            return self._default_estimate
        with self._lock:
            estimate = self._estimates.get(loaded.id)
            if estimate is None:
                estimate = TransitEstimate(
                    StopService.from_network(
                        loaded.network, trip_route_types=_trip_route_types(loaded.network)
                    )
                )
                self._estimates[loaded.id] = estimate
        return estimate

    def matrix(
        self,
        mode: str,
        origins: np.ndarray,
        destinations: np.ndarray,
        *,
        max_minutes: float | None = None,
        departure: dt.datetime | None = None,
        window_minutes: int = 60,
    ) -> TravelMatrix:
        """`times` from every origin row (lon, lat) at once: the same minutes and the same
        estimates, row by row, but the origins a street network covers are answered together by
        `geodata.traveltime.StreetNetwork.travel_times` — one bounded search per destination
        over the reversed graph, or the contraction hierarchy, whichever costs less — instead of
        one search per origin. Transit keeps one `times` query per origin."""
        from geodata.traveltime import StraightLineEstimator

        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        destinations = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        n, m = len(origins), len(destinations)
        minutes = np.full((n, m), np.inf)
        estimated = np.ones((n, m), dtype=bool)
        if m == 0:
            return TravelMatrix(minutes, estimated, ())
        networks: set[str] = set()
        if mode == "transit":
            notices: dict[str, None] = {}
            for i in range(n):
                result = self.times(
                    mode, float(origins[i, 0]), float(origins[i, 1]), destinations,
                    max_minutes=max_minutes, departure=departure, window_minutes=window_minutes,
                )  # fmt: skip
                minutes[i], estimated[i] = result.minutes, result.estimated
                if result.network is not None:
                    networks.add(result.network)
                if result.notice:
                    notices[result.notice] = None
            return TravelMatrix(minutes, estimated, tuple(sorted(networks)), tuple(notices))
        pending = np.ones((n, m), dtype=bool)  # pairs the straight-line estimate answers
        unassigned = np.ones(n, dtype=bool)
        for loaded in self.networks:  # the first network covering an origin, as network_for
            if loaded.mode != mode:
                continue
            minx, miny, maxx, maxy = loaded.bounds
            lon, lat = origins[:, 0], origins[:, 1]
            inside = unassigned & (minx <= lon) & (lon <= maxx) & (miny <= lat) & (lat <= maxy)
            rows = np.flatnonzero(inside)
            if rows.size == 0:
                continue
            unassigned[rows] = False
            networks.add(loaded.name)
            minutes[rows], estimated[rows] = self._street_matrix(
                loaded, origins[rows], destinations, max_minutes
            )
            pending[rows] = estimated[rows]
        if pending.any():
            estimator = StraightLineEstimator(mode)
            rows_pending = np.flatnonzero(pending.any(axis=1))
            guess = estimator.travel_times(
                origins[rows_pending], destinations, max_minutes=max_minutes
            )
            minutes[rows_pending] = np.where(pending[rows_pending], guess, minutes[rows_pending])
        return TravelMatrix(minutes, estimated, tuple(sorted(networks)))

    def _street_matrix(
        self,
        loaded: LoadedNetwork,
        origins: np.ndarray,
        destinations: np.ndarray,
        max_minutes: float | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Network minutes from origins inside ``loaded``'s extent, and which pairs need the
        estimate instead: those of an origin or a destination more than 1 km from the network
        (as `_street` decides for one origin)."""
        net = loaded.network
        snap = self._snaps.get_or_compute(
            (loaded.id, _digest(destinations)), lambda: net.snap(destinations)
        )
        origin_snap = net.snap(origins)
        minutes = net.travel_times(origin_snap, snap, max_minutes=max_minutes)
        estimated = (
            np.asarray(origin_snap.too_far, dtype=bool)[:, None]
            | np.asarray(snap.too_far, dtype=bool)[None, :]
        )
        return minutes, estimated

    def _street(
        self,
        loaded: LoadedNetwork,
        lon: float,
        lat: float,
        destinations: np.ndarray,
        max_minutes: float | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        net = loaded.network
        snap = self._snaps.get_or_compute(
            (loaded.id, _digest(destinations)), lambda: net.snap(destinations)
        )
        origin_snap = net.snap(np.array([[lon, lat]]))
        if bool(origin_snap.too_far[0]):
            return np.full(len(destinations), np.inf), np.ones(len(destinations), dtype=bool)
        key = (loaded.id, round(lon, 6), round(lat, 6), max_minutes)
        node_minutes = self._origins.get_or_compute(
            key, lambda: net.one_to_all(lon, lat, max_minutes=max_minutes)
        )
        minutes = net.node_times_to(snap, node_minutes, max_minutes=max_minutes)
        return minutes, np.asarray(snap.too_far, dtype=bool)

    def _timetable(  # noqa: PLR0917 - the arguments of `times`, passed on
        self,
        loaded: LoadedNetwork,
        lon: float,
        lat: float,
        destinations: np.ndarray,
        max_minutes: float | None,
        departure: dt.datetime,
        window_minutes: int,
        statistic: WindowStatistic,
    ) -> np.ndarray:
        """The timetable's median (or quickest) minutes over the window (cached per
        origin)."""
        key = (
            loaded.id,
            round(lon, 6),
            round(lat, 6),
            _digest(destinations),
            max_minutes,
            departure,
            window_minutes,
            statistic,
        )

        def compute() -> np.ndarray:
            result = loaded.network.travel_times(
                np.array([[lon, lat]]),
                destinations,
                departure=departure,
                window_minutes=window_minutes,
                max_minutes=max_minutes,
                statistic=statistic,
                **self._walk_hook(lon, lat, max_minutes, statistic),
            )
            minutes: np.ndarray = np.asarray(result, dtype=np.float64)[0]
            return minutes

        minutes: np.ndarray = self._origins.get_or_compute(key, compute)
        return minutes

    def _walk_hook(
        self, lon: float, lat: float, max_minutes: float | None, statistic: WindowStatistic
    ) -> dict[str, Any]:
        """The ``walk`` argument of the timetable's queries from (lon, lat), for one person's
        trip only (`service.transit.walk_hook`)."""
        loaded = self.network_for("walk", lon, lat)
        if loaded is None or statistic != "quickest":
            return {}
        return {"walk": transit.walk_hook(loaded.network, max_minutes)}

    def isochrone(
        self,
        mode: str,
        lon: float,
        lat: float,
        minutes: float,
        *,
        departure: dt.datetime | None = None,
        window_minutes: int = 60,
    ) -> Isochrone:
        """The area reachable within ``minutes``, EPSG:4326, and what it assumes.

        Street modes: the network's, or the straight-line disc off it. Transit: the
        timetable's area joined to the walk's (its walks are straight lines: estimated), or
        the estimate's disc where no timetable is registered."""
        import shapely

        from geodata.traveltime import StraightLineEstimator

        loaded = self.network_for(mode, lon, lat)
        if mode == "transit":
            walk = self.isochrone("walk", lon, lat, minutes)
            if loaded is None:
                polygon = self._default_estimate.isochrone(lon, lat, minutes)
                return Isochrone(
                    shapely.union_all([polygon, walk.polygon]),
                    True,
                    None,
                    transit.estimate_assumptions(
                        self._default_estimate.assumptions, real_stops=False
                    ),
                )
            used, notice = transit.resolve_departure(loaded.network, departure)
            polygon = loaded.network.isochrone(
                lon, lat, minutes, departure=used, window_minutes=window_minutes
            )
            said = transit.timetable_assumptions(loaded.name, loaded.network)
            return Isochrone(
                shapely.union_all([polygon, walk.polygon]),
                True,
                loaded.name,
                " ".join(part for part in (notice, said) if part),
            )
        if loaded is not None and not bool(loaded.network.snap(np.array([[lon, lat]])).too_far[0]):
            return Isochrone(loaded.network.isochrone(lon, lat, minutes), False, loaded.name, None)
        polygon = StraightLineEstimator(mode).isochrone(lon, lat, minutes)
        return Isochrone(polygon, True, None, transit.street_assumptions(mode))

    def assumptions(self, mode: str, lon: float, lat: float) -> str:
        """What an estimated answer by ``mode`` from (lon, lat) assumes, in French."""
        if mode != "transit":
            return transit.street_assumptions(mode)
        loaded = self.network_for("transit", lon, lat)
        estimate = self._estimate(loaded)
        said = transit.estimate_assumptions(estimate.assumptions, real_stops=loaded is not None)
        if loaded is None:
            return said
        timetable = transit.timetable_assumptions(loaded.name, loaded.network)
        return f"{timetable} {said}"


@dataclass(frozen=True, slots=True)
class Isochrone:
    """An area reachable in a time (EPSG:4326), whether it is an estimate, the network that
    drew it, and what the reader must know (French; None for a network's own area)."""

    polygon: Any
    estimated: bool
    network: str | None
    notice: str | None


def _estimated_metres(mode: str, lon: float, lat: float, destinations: np.ndarray) -> np.ndarray:
    """The length of each straight-line estimate's route, metres: the straight line × the
    mode's detour (for a walk, `geodata.walking`'s estimated walk)."""
    from geodata.traveltime import StraightLineEstimator

    metres: np.ndarray = StraightLineEstimator(mode).metres([[lon, lat]], destinations)[0]
    return metres


def _trip_route_types(network: Any) -> Any:
    """The GTFS ``route_type`` of each trip of a timetable, when it keeps them."""
    return getattr(network, "trip_route_types", None)


def load_any_network(path: Path, mode: str) -> Any:
    """A street network (walk, bike, car) or a timetable (transit) saved by the CLI."""
    if mode == "transit":
        from geodata.transit import TransitNetwork

        return TransitNetwork.load(path)
    from geodata.traveltime import load_network

    return load_network(path, mode)
