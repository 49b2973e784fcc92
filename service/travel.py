"""Travel times for the service: registered networks, loaded once, and per-origin caches.

A search asks "how long from this point to these partners, by this mode". The answer comes from
the network registered for that mode whose extent contains the point (street networks for walk,
bike and car; a GTFS timetable for transit); where there is none, or where a partner lies more
than 1 km from the network, from the straight-line estimate of `geodata.traveltime`, flagged
``estimated``. Networks are loaded at startup (`TravelService.from_store`) and kept in memory;
per-origin results are cached (LRU), so paging through results or asking again is cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from geodata.lru import LRUCache
from service.store import queries

logger = logging.getLogger("maillage")

MAX_MINUTES = 180.0
"""The largest travel-time budget a request may ask for, minutes."""

PARIS = ZoneInfo("Europe/Paris")


def next_weekday_morning(today: dt.date | None = None) -> dt.datetime:
    """The next Tuesday at 08:00 (local time): a typical working-day departure."""
    today = today or dt.datetime.now(PARIS).date()
    days = (1 - today.weekday()) % 7 or 7
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(8, 0))


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
    """Minutes to each destination (``inf``: not reachable within the budget) and how known."""

    minutes: np.ndarray
    estimated: np.ndarray  # bool per destination
    network: str | None


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Minutes from each origin (rows) to each destination (columns), ``inf`` when not
    reachable within the budget, which pairs are estimates, and the networks that answered."""

    minutes: np.ndarray  # float64 (n, m)
    estimated: np.ndarray  # bool (n, m)
    networks: tuple[str, ...]


def _digest(points: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(points, dtype=np.float64).tobytes()).hexdigest()


class TravelService:
    """Travel times from a point to many destinations, by mode, with fallbacks and caches."""

    def __init__(self, networks: Sequence[LoadedNetwork] = (), *, cache_size: int = 256) -> None:
        self.networks = list(networks)
        self._origins: LRUCache[Any, Any] = LRUCache(cache_size)
        self._snaps: LRUCache[Any, Any] = LRUCache(cache_size)

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
        """Compile the shortest-path kernels now rather than on the first request."""
        if any(n.mode != "transit" for n in self.networks):
            from geodata.traveltime import warm_up

            warm_up()

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
    ) -> TravelResult:
        """Minutes from (lon, lat) to each destination row (lon, lat), EPSG:4326."""
        from geodata.traveltime import StraightLineEstimator

        destinations = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        estimator = StraightLineEstimator(mode)
        origin = np.array([[lon, lat]])
        loaded = self.network_for(mode, lon, lat)
        if loaded is None or len(destinations) == 0:
            minutes = estimator.travel_times(origin, destinations, max_minutes=max_minutes)[0]
            return TravelResult(minutes, np.ones(len(destinations), dtype=bool), None)
        if mode == "transit":
            minutes, off_network = self._transit(
                loaded,
                origin,
                destinations=destinations,
                max_minutes=max_minutes,
                departure=departure,
                window_minutes=window_minutes,
            )
        else:
            minutes, off_network = self._street(loaded, lon, lat, destinations, max_minutes)
        estimated = off_network.copy()
        if estimated.any():
            fallback = estimator.travel_times(
                origin, destinations[estimated], max_minutes=max_minutes
            )[0]
            minutes = minutes.copy()
            minutes[estimated] = fallback
        return TravelResult(minutes, estimated, loaded.name)

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
        one search per origin. Transit keeps one query per origin."""
        from geodata.traveltime import StraightLineEstimator

        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        destinations = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        n, m = len(origins), len(destinations)
        minutes = np.full((n, m), np.inf)
        estimated = np.ones((n, m), dtype=bool)
        if m == 0:
            return TravelMatrix(minutes, estimated, ())
        pending = np.ones((n, m), dtype=bool)  # pairs the straight-line estimate answers
        unassigned = np.ones(n, dtype=bool)
        networks: set[str] = set()
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
            if mode == "transit":
                for i in rows:
                    result = self.times(
                        mode, float(origins[i, 0]), float(origins[i, 1]), destinations,
                        max_minutes=max_minutes, departure=departure,
                        window_minutes=window_minutes,
                    )  # fmt: skip
                    minutes[i], estimated[i] = result.minutes, result.estimated
                pending[rows] = False
            else:
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

    def _transit(
        self,
        loaded: LoadedNetwork,
        origin: np.ndarray,
        *,
        destinations: np.ndarray,
        max_minutes: float | None,
        departure: dt.datetime | None,
        window_minutes: int,
    ) -> tuple[np.ndarray, np.ndarray]:

        departure = departure or default_departure(loaded.network)
        key = (
            loaded.id,
            _digest(origin),
            _digest(destinations),
            max_minutes,
            departure,
            window_minutes,
        )

        def compute() -> np.ndarray:
            result = loaded.network.travel_times(
                origin,
                destinations,
                departure=departure,
                window_minutes=window_minutes,
                max_minutes=max_minutes,
            )
            minutes: np.ndarray = np.asarray(result, dtype=np.float64)[0]
            return minutes

        minutes = self._origins.get_or_compute(key, compute)
        return minutes, np.zeros(len(destinations), dtype=bool)

    def isochrone(
        self,
        mode: str,
        lon: float,
        lat: float,
        minutes: float,
        *,
        departure: dt.datetime | None = None,
        window_minutes: int = 60,
    ) -> tuple[Any, bool, str | None]:
        """(polygon EPSG:4326, estimated, network name) reachable within ``minutes``."""
        from geodata.traveltime import StraightLineEstimator

        loaded = self.network_for(mode, lon, lat)
        if loaded is not None and mode == "transit":
            polygon = loaded.network.isochrone(
                lon,
                lat,
                minutes,
                departure=departure or default_departure(loaded.network),
                window_minutes=window_minutes,
            )
            return polygon, False, loaded.name
        if loaded is not None and not bool(loaded.network.snap(np.array([[lon, lat]])).too_far[0]):
            return loaded.network.isochrone(lon, lat, minutes), False, loaded.name
        return StraightLineEstimator(mode).isochrone(lon, lat, minutes), True, None


def default_departure(network: Any, today: dt.date | None = None) -> dt.datetime:
    """Next Tuesday 08:00, or the first Tuesday 08:00 of the timetable's period when the next
    one falls outside it (a feed published for past or future dates still answers)."""
    departure = next_weekday_morning(today)
    period = network.service_period() if hasattr(network, "service_period") else None
    if period is None:
        return departure
    first, last = period
    if first <= departure.date() <= last:
        return departure
    return next_weekday_morning(min(first - dt.timedelta(days=1), last))


def load_any_network(path: Path, mode: str) -> Any:
    """A street network (walk, bike, car) or a timetable (transit) saved by the CLI."""
    if mode == "transit":
        from geodata.transit import TransitNetwork

        return TransitNetwork.load(path)
    from geodata.traveltime import load_network

    return load_network(path, mode)
