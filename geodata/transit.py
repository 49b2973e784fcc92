"""Public transport travel times from GTFS timetables, by the Connection Scan Algorithm.

Model
-----
A *connection* is one vehicle moving between two consecutive calls of a trip:
``(dep_stop, arr_stop, dep_time, arr_time, trip, service)``, with two flags: whether a rider
may board at ``dep_stop`` (its ``pickup_type`` is not 1, and some later call of the trip lets
riders alight) and alight at ``arr_stop`` (its ``drop_off_type`` is not 1, and some earlier
call lets riders board); a trip still runs through calls where neither is allowed. All
connections are kept in one table sorted by departure time; a query keeps those whose service
runs on the query date (`geodata.gtfs.active_services`), plus the after-midnight part of the
previous service day (times ``>= 24:00:00``) moved 24 h earlier, so a 00:30 query on Tuesday
can catch Monday's 24:40 train. Trips of ``frequencies.txt`` are expanded into concrete trips
when read (`geodata.gtfs.expand_frequencies`); several feeds can be merged into one network and
clipped to a territory (`geodata.feeds`).

*Footpaths* link stops at most ``max_transfer_m`` apart in straight line, and every two
platforms of the same ``parent_station`` whatever their distance, by the estimated walk of
`geodata.walking` (the straight line × the walk detour, at the walking speed); a hook can give
street-network walking times instead (`TransitNetwork.from_gtfs`). Stops of different
feeds are linked the same way. **A walk is one footpath**: after alighting, or from where a
query starts, a rider walks at most one footpath before boarding (the classic CSA model, as in
R5 and OpenTripPlanner). With straight-line footpaths two walks in a row are never quicker than
the direct one (triangle inequality), except through the platforms of a station further apart
than ``max_transfer_m``.

*Transfers* — changing vehicles — follow ``transfers.txt`` where it speaks, per pair of stops
``(from_stop, to_stop)`` (directed; a station stands for all its platforms, and a rule naming
a platform overrides one naming its station):

- ``transfer_type`` 0 (recommended): the walk between the stops; 1 (timed: the departing
  vehicle waits): no time at all; 2: ``min_transfer_time`` seconds (an empty time counts as 0);
  3: forbidden; type 2 without a time counts as type 0. A listed pair that no footpath links
  gets one, at the rule's time (the walk in straight line for type 0).
- between two stops, the time to be *ready to board* replaces the walk, and the rider is
  counted *at* the other stop after the shorter of the two;
- from a stop to itself, it sets the stop's *change time*.

Where ``transfers.txt`` is silent, a transfer costs the walk between the stops, and at the
same stop the change time ``min_transfer_s`` (default 0: none, as in CSA's base model; R5's
boarding slack is 60 s). Staying aboard the same trip is never a transfer. Ignored (counted in
`TransitNetwork.transfer_rules_ignored`): rules restricted to routes or trips
(``from_route_id``, ``to_route_id``, ``from_trip_id``, ``to_trip_id``) and in-seat rules
(types 4 and 5) — a vehicle-specific rule would need one label per vehicle, not per stop.

Only *served* stops (where some connection lets riders board or alight) are boarded, walked to
or used for access and egress; a station (``location_type`` 1) is reported through its
platforms. Not modelled: vehicle capacity, fares, ``pathways.txt``, ``block_id`` (staying
seated from one trip to the next).

Algorithm
---------
Earliest arrival is the Connection Scan Algorithm (CSA) of Dibbelt, Pajor, Strasser and Wagner,
"Connection Scan Algorithm", ACM Journal of Experimental Algorithmics 23 (2018), first
published as "Intriguingly Simple and Fast Transit Routing" (SEA 2013): one pass over the
connections in departure order. Each stop carries three labels: ``arrival`` (the earliest time
a rider is at the stop: the answer), ``alight`` (the earliest time a vehicle drops a rider
there) and ``ready`` (the earliest time a rider can board *another* vehicle there). A
connection is usable when its trip was already boarded (the *trip flag*) or when boarding is
allowed and ``ready[dep_stop] <= dep_time``; a usable connection that lets riders alight
improves ``alight`` and ``arrival`` at its arrival stop, then ``ready`` there by the change
time, and ``arrival`` and ``ready`` at the end of each footpath by its walk and its transfer
time (the paper's footpath relaxation at arrival, with the "ready to board" label of its
section on minimum change times). The query's start stops are reached, and walk one footpath,
before the scan. Connections departing in the same second are scanned again while one of them
improved a stop *to that very second* (a zero-duration hop): otherwise a transfer between two
zero-duration connections in the wrong order would be missed. With these rules the result
equals a brute-force search on the time-expanded graph (events "at a stop", "ready to board",
"aboard"; checked in ``tests/geodata/test_transit*.py``).

The core is compiled with numba on first use (``cache=True``: compiled once per machine, not
at import), runs without the GIL, and answers a one-to-all query on a full day of the NYC
subway in about 0.1 ms.

Validity
--------
A network knows the service period of each of its feeds (`TransitNetwork.service_period`).
`TransitNetwork.resolve_date` maps a date outside it to the same weekday inside it, with a
French notice naming the period used (see there).

Units and coordinates
---------------------
Inside: integer seconds after midnight of the query date (GTFS counts from "noon minus 12 h",
which differs by an hour on the two days of a daylight-saving change: ignored). Out:
`travel_times` gives minutes (float64, ``inf`` when unreachable). Coordinates are EPSG:4326
``(lon, lat)``. Distances are great-circle (haversine on a sphere of radius 6 371 008.8 m),
within 0.5 % of the WGS84 ellipsoid; walking legs (access, egress, transfers, the walk-only
trip) are `geodata.walking`'s estimated walk: ``ceil(distance × walk detour / walking speed)``
seconds, the very walk of the walk estimate, and their legs say ``distance × walk detour``
metres.

Departure window
----------------
`travel_times` reports, per origin and destination, the **median** travel time over the
departures of a window (08:00, 08:01, ... 08:59 for ``window_minutes=60``), as r5py/R5 do:
travel time = arrival - departure, including the wait for the first vehicle. The median is
the *lower* one, the ``ceil(n / 2)``-th smallest of the ``n`` times: a time some departure
actually takes (R5's non-interpolated percentile, ``ceil(50 / 100 × n) - 1`` as a 0-based
index), so a journey can be told whose legs add up to it (`TransitNetwork.journeys`).

The median answers *aggregate* questions — how well a place is served over an hour, coverage
and isochrones — as r5py does for accessibility. One person planning a trip asks another:
with ``statistic="quickest"`` the window reports the quickest of its departures, the best
concrete journey leaving within the window, timed from the moment the person leaves (with an
hourly train, the median counts up to an hour of waiting at home; the quickest leaves home
in time for the train). Both statistics are an observed run, told with its legs.

Two methods give the same medians (``method`` of `travel_times`; tests and
``scripts/bench transit`` check them equal):

- *per minute*: one CSA query per origin and departure;
- *profile*: the window searched once per **stop**, shared by every origin walking to it.
  A rider reaching a stop ``u`` at time ``t`` boards directly exactly the connections ``c``
  whose latest catching time ``b_c = dep_c - walk(u, stop of c)`` (the stop itself or one
  footpath away) is at least ``t``; so the arrivals by vehicle from ``u`` are a step function
  of ``t``, constant between two consecutive ``b_c``: its *breakpoints*. One CSA scan per
  breakpoint within the window (from the first departure to the last plus the longest walk
  to ``u``, and the first after) gives the whole function; the scans run from the latest
  breakpoint to the earliest, each keeping the labels of the later one (a rider there
  earlier can wait for all the later one caught: the label reuse of rRAPTOR, Delling, Pajor
  and Werneck, "Round-Based Public Transit Routing", Transportation Science 49(3), 2015),
  only the boarded trips being forgotten. An origin's arrival at a stop, for a departure
  ``tau``, is then the minimum over its access stops ``u`` of the step function at
  ``tau + walk(origin, u)`` and of the walks from ``u`` — the decomposition is exact because
  every journey starts at one access stop. A search within ``max_minutes`` scans each
  breakpoint's connections only up to that budget; beyond it every time is ``inf`` anyway.
  On the NYC subway a window for 6,264 origins × 500 destinations within 90 minutes costs
  1.4 s of CPU instead of 11.5 s by the minute (``scripts/bench transit``; 4.0 s against
  26 s of wall time on a loaded 2-core machine), the TER of the Gard for its 6,264 cells of
  1 km 0.1 s against 1.1 s.

Journeys
--------
`TransitNetwork.journeys` tells the legs of the trip behind a reported time, for a few
destinations: the window's runs of the one origin (per minute), the departure whose time is
the lower median, and that run scanned once more remembering how each label was first
reached (from the start, by a footpath, by alighting from a connection) and where each trip
was boarded (`geodata.transit_kernels.trace`, equal labels). Walking these back from the
destination's best stop gives the walk, the waits, the rides, the transfers and the last
walk, whose whole seconds add up to the reported time. Each trip's line (``routes.txt``:
short or long name, ``route_type``) is kept in the network (`TransitNetwork.routes`,
``trip_route``, ``trip_route_types``). Walks to and from the stops are the estimated walk
(estimates), or a walking network's where a `WalkHook` says (not estimates); a ride's times
are the timetable's.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata import feeds, gtfs
from geodata import transit_kernels as kernels
from geodata.journeys import Journey, Leg, LegKind, vehicle_of_route_type
from geodata.sphere import EARTH_RADIUS_M, great_circle_m, unit_xyz_m
from geodata.walking import WALK_DETOUR, WALK_SPEED_KMH, EstimatedWalk

if TYPE_CHECKING:
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.base import BaseGeometry

DAY_S = 86_400
_INF = kernels.INF  # "unreachable" in the integer kernels
_ORIGIN_CHUNK = 1024  # origins whose direct walks are held at once
_PROFILE_MIN_ORIGINS = 8  # below, "auto" does not even plan the profile search
_PROFILE_MAX_BYTES = 1 << 28  # the profiles of one batch of destinations, at most
_FORMAT = "maillage-transit-4"  # 4: the walk detour is kept (`geodata.walking`)
_FORMATS = ("maillage-transit-1", "maillage-transit-2", "maillage-transit-3", _FORMAT)
_DAY_CACHE_SIZE = 8
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

WindowMethod = Literal["auto", "profile", "per_minute"]
WindowStatistic = Literal["median", "quickest"]
"""What a departure window reports: ``"median"``, the lower median of the departures' times
(aggregate accessibility, as r5py); ``"quickest"``, the quickest of them (one person's trip:
the best concrete journey leaving within the window, timed from leaving home)."""
"""How `TransitNetwork.travel_times` searches a departure window (same results)."""

WalkHook = Callable[[NDArray[np.float64], NDArray[np.float64]], ArrayLike]
"""Walking times from points to points: given (k, 2) and (m, 2) arrays of ``(lon, lat)``,
return a (k, m) matrix of walking minutes — NaN where it cannot say (a point off its walking
network: the estimated walk of `geodata.walking` stands), ``inf`` where there is no walk —,
e.g. from a walking `StreetNetwork`. Given to `TransitNetwork.travel_times` and
`TransitNetwork.journeys` (``walk``), it times the walks to the stops, from the stops and
the walk-only trip; their legs are then not estimated."""

FootpathHook = Callable[[NDArray[np.float64]], ArrayLike]
"""Walking times between stops: given an (n, 2) array of stop ``(lon, lat)``, return an (n, n)
matrix of walking minutes (``inf`` where there is no path), e.g.
``lambda xy: street.travel_times(xy, xy, max_minutes=8.0)`` with a walking `StreetNetwork`."""


@dataclass(frozen=True, slots=True, eq=False)
class Connections:
    """Every connection of the feed, sorted by departure then arrival time.

    Attributes
    ----------
    dep_stop, arr_stop : (c,) int32
        Indices into the stops.
    dep_time, arr_time : (c,) int32
        Seconds after midnight of the service day (may exceed 86 400); ``arr_time >= dep_time``.
    trip : (c,) int32
        Index into the trip identifiers.
    service : (c,) int32
        Index into `geodata.gtfs.Calendar.service_ids`, -1 for a trip whose service is undefined.
    flags : (c,) int8
        `BOARD` when riders may board at ``dep_stop``, plus `ALIGHT` when they may alight at
        ``arr_stop``.
    """

    dep_stop: NDArray[np.int32]
    arr_stop: NDArray[np.int32]
    dep_time: NDArray[np.int32]
    arr_time: NDArray[np.int32]
    trip: NDArray[np.int32]
    service: NDArray[np.int32]
    flags: NDArray[np.int8]


BOARD = 1
"""`Connections.flags` bit: riders may board (``pickup_type`` is not 1)."""
ALIGHT = 2
"""`Connections.flags` bit: riders may alight (``drop_off_type`` is not 1)."""


@dataclass(frozen=True, slots=True, eq=False)
class Footpaths:
    """Footpaths in compressed sparse rows: from stop ``i``, the footpaths
    ``to[indptr[i]:indptr[i + 1]]``.

    ``seconds`` is the walk (a rider is *at* the other stop after it); ``transfer`` the time
    to be ready to board there after alighting here (``transfers.txt`` or the walk), -1 where
    the transfer is forbidden. ``walk_estimated`` and ``transfer_estimated`` say whether each
    of these two times is a straight-line estimate (True) rather than read from a street
    network (the hook of `TransitNetwork.from_gtfs`) or from ``transfers.txt`` (False).
    """

    indptr: NDArray[np.int64]
    to: NDArray[np.int32]
    seconds: NDArray[np.int32]
    transfer: NDArray[np.int32]
    walk_estimated: NDArray[np.bool_]
    transfer_estimated: NDArray[np.bool_]

    def pairs(self) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32]]:
        """The footpaths as ``(from, to, seconds)`` arrays."""
        counts = np.diff(self.indptr)
        origin = np.repeat(np.arange(counts.size, dtype=np.int32), counts)
        return origin, self.to, self.seconds


class _Day(NamedTuple):
    """The connections running on one date, as the kernel reads them."""

    dep_stop: NDArray[np.int32]
    arr_stop: NDArray[np.int32]
    dep_time: NDArray[np.int32]
    arr_time: NDArray[np.int32]
    trip: NDArray[np.int32]  # trips of the previous service day are shifted by n_trips
    flags: NDArray[np.int8]


class TransitNetwork:
    """GTFS timetables ready for earliest-arrival and travel-time queries.

    Build it with `from_gtfs` (or `from_feed`, or `load`); the constructor takes already-built
    arrays.

    Parameters
    ----------
    stops
        All stops (of every feed); only stops where some connection lets riders board or
        alight are boarded, alighted or walked to (stations are reported through their
        platforms).
    connections
        Sorted by ``dep_time``.
    calendar
        The services of the feeds.
    footpaths
        Walks and transfers between served stops (see the module docstring).
    trip_ids
        ``trip_id`` of each trip index used by ``connections.trip``.
    change_seconds
        (n_stops,) int32: the time to board another vehicle at a stop after alighting
        there, -1 where that is forbidden; None for ``min_transfer_s`` everywhere.
    min_transfer_s
        The change time at a stop where ``transfers.txt`` is silent, seconds.
    walk_speed_kmh
        Walking speed for access, egress and walk-only trips, km/h.
    walk_detour
        Length walked / straight line for those walks (`geodata.walking.WALK_DETOUR`).
    timezone
        IANA name of the feeds' clock (``agency_timezone``), used to read aware datetimes.
    feed_names
        The merged feeds' names (``("",)`` for one unnamed feed).
    service_feed
        (s,) int16: the feed of each service of ``calendar``; None for all in the first.
    transfer_rules_ignored
        How many rows of ``transfers.txt`` were left out (module docstring).
    routes
        The lines of ``routes.txt``; None for none.
    trip_route
        (t,) int32: the index in ``routes`` of each trip's line, -1 where unknown; None for
        all unknown.
    change_estimated
        (n_stops,) bool: whether a stop's change time is the ``min_transfer_s`` setting
        (True) rather than a rule of ``transfers.txt``; None for all True.

    Attributes
    ----------
    routes : geodata.gtfs.Routes
    trip_route : (t,) int32
    trip_route_types : (t,) int16
        GTFS ``route_type`` of each trip of ``trip_ids`` (-1 when unknown): what
        `geodata.transit_estimate.StopService.from_network` takes as ``trip_route_types``.
    served : (n_stops,) bool
        Stops where some connection lets riders board or alight.
    """

    def __init__(
        self,
        stops: gtfs.Stops,
        connections: Connections,
        calendar: gtfs.Calendar,
        footpaths: Footpaths,
        *,
        trip_ids: NDArray[np.str_],
        change_seconds: NDArray[np.int32] | None = None,
        min_transfer_s: int = 0,
        walk_speed_kmh: float = WALK_SPEED_KMH,
        walk_detour: float = WALK_DETOUR,
        timezone: str | None = None,
        feed_names: tuple[str, ...] = ("",),
        service_feed: NDArray[np.int16] | None = None,
        transfer_rules_ignored: int = 0,
        routes: gtfs.Routes | None = None,
        trip_route: NDArray[np.int32] | None = None,
        change_estimated: NDArray[np.bool_] | None = None,
    ) -> None:
        if not walk_speed_kmh > 0:
            raise ValueError("La vitesse de marche doit être strictement positive")
        self.walk = EstimatedWalk(float(walk_speed_kmh), float(walk_detour))
        n_stops = stops.ids.size
        if footpaths.indptr.size != n_stops + 1:
            raise ValueError("Les correspondances à pied ne correspondent pas aux arrêts")
        if connections.dep_time.size and np.any(np.diff(connections.dep_time) < 0):
            raise ValueError("Les connexions doivent être triées par heure de départ")
        if change_seconds is None:
            change_seconds = np.full(n_stops, min_transfer_s, dtype=np.int32)
        if change_seconds.shape != (n_stops,):
            raise ValueError("Les temps de correspondance ne correspondent pas aux arrêts")
        if service_feed is None:
            service_feed = np.zeros(calendar.service_ids.size, dtype=np.int16)
        routes = routes if routes is not None else gtfs.Routes.empty()
        if trip_route is None:
            trip_route = np.full(trip_ids.size, -1, dtype=np.int32)
        if trip_route.shape != trip_ids.shape or (
            trip_route.size and int(trip_route.max()) >= routes.ids.size
        ):
            raise ValueError("Les lignes des courses ne correspondent pas aux lignes du réseau")
        if change_estimated is None:
            change_estimated = np.ones(n_stops, dtype=bool)
        self.stops = stops
        self.connections = connections
        self.calendar = calendar
        self.footpaths = footpaths
        self.trip_ids = trip_ids
        self.change_seconds = np.ascontiguousarray(change_seconds, dtype=np.int32)
        self.min_transfer_s = int(min_transfer_s)
        self.walk_speed_kmh = float(walk_speed_kmh)
        self.walk_detour = float(walk_detour)
        self.timezone = timezone
        self.feed_names = tuple(feed_names)
        self.service_feed = np.asarray(service_feed, dtype=np.int16)
        self.transfer_rules_ignored = int(transfer_rules_ignored)
        self.routes = routes
        self.trip_route = np.ascontiguousarray(trip_route, dtype=np.int32)
        known = self.trip_route >= 0
        self.trip_route_types = np.full(trip_ids.size, -1, dtype=np.int16)
        self.trip_route_types[known] = routes.route_type[self.trip_route[known]]
        self.change_estimated = np.asarray(change_estimated, dtype=bool)
        self.served = np.zeros(n_stops, dtype=bool)
        flags = connections.flags
        self.served[connections.dep_stop[(flags & BOARD) != 0]] = True
        self.served[connections.arr_stop[(flags & ALIGHT) != 0]] = True
        if np.isnan(stops.lon[self.served]).any() or np.isnan(stops.lat[self.served]).any():
            raise ValueError("Un arrêt desservi n'a pas de coordonnées dans stops.txt")
        self._days: dict[date, _Day] = {}
        self._lock = threading.Lock()
        self._tree: Any = None

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_gtfs(
        cls,
        path: gtfs.FeedPath | Mapping[str, gtfs.FeedPath],
        *,
        walk_speed_kmh: float = WALK_SPEED_KMH,
        walk_detour: float = WALK_DETOUR,
        max_transfer_m: float = 500.0,
        min_transfer_s: int = 0,
        footpaths: FootpathHook | None = None,
        area: BaseGeometry | None = None,
        buffer_m: float = 0.0,
    ) -> TransitNetwork:
        """Read GTFS feeds (zip or folder) and build their connections and footpaths.

        Parameters
        ----------
        path
            The ``.zip`` archive or the folder of ``.txt`` tables; or, to merge several feeds
            into one network, a mapping from each feed's name (letters, digits, ``_``, ``-``:
            it prefixes the feed's identifiers, ``"ter:StopPoint:..."``) to its path.
        walk_speed_kmh
            Walking speed, km/h (r5py's default is 3.6).
        walk_detour
            Length walked / straight line of every walk no hook gives (≥ 1): with the speed,
            `geodata.walking`'s estimated walk.
        max_transfer_m
            Longest footpath between two stops, straight-line metres (with a hook: walks no
            longer than the estimated walk of this straight line). Platforms of one
            ``parent_station`` are always linked.
        min_transfer_s
            Change time at a stop where ``transfers.txt`` is silent, seconds (default 0).
        footpaths
            None (default) for straight-line footpaths; or a `FootpathHook` giving
            street-network walking minutes between the served stops, e.g. from a walking
            ``geodata.traveltime.StreetNetwork``. The hook receives every served stop at once
            and returns a dense matrix: fine for a city (a few thousand stops), not for a
            whole country.
        area
            When given, a polygon (EPSG:4326 lon/lat) the feeds are clipped to, grown by
            ``buffer_m`` metres (`geodata.feeds.clip_feed`, `geodata.feeds.buffered_area`).
        buffer_m
            The margin around ``area``, metres.
        """
        if not (walk_speed_kmh > 0 and max_transfer_m >= 0):
            raise ValueError("Vitesse de marche > 0 et distance de correspondance ≥ 0 attendues")
        if area is not None:
            area = feeds.buffered_area(area, buffer_m)
        paths = dict(path) if isinstance(path, Mapping) else {"": path}
        feed = feeds.merge_feeds(
            [feeds.read_feed(source, name=name, area=area) for name, source in paths.items()]
        )
        return cls.from_feed(
            feed,
            walk_speed_kmh=walk_speed_kmh,
            walk_detour=walk_detour,
            max_transfer_m=max_transfer_m,
            min_transfer_s=min_transfer_s,
            footpaths=footpaths,
        )

    @classmethod
    def from_feed(
        cls,
        feed: feeds.Feed,
        *,
        walk_speed_kmh: float = WALK_SPEED_KMH,
        walk_detour: float = WALK_DETOUR,
        max_transfer_m: float = 500.0,
        min_transfer_s: int = 0,
        footpaths: FootpathHook | None = None,
    ) -> TransitNetwork:
        """Build the network of a feed already read (`geodata.feeds`); parameters as
        `from_gtfs`."""
        if not (walk_speed_kmh > 0 and max_transfer_m >= 0):
            raise ValueError("Vitesse de marche > 0 et distance de correspondance ≥ 0 attendues")
        if not (isinstance(min_transfer_s, int | np.integer) and 0 <= min_transfer_s <= DAY_S):
            raise ValueError("Le temps de correspondance se compte en secondes entières ≥ 0")
        connections = _connections(feed.stop_times, feed.trips)
        served = np.zeros(feed.stops.ids.size, dtype=bool)
        served[connections.dep_stop[(connections.flags & BOARD) != 0]] = True
        served[connections.arr_stop[(connections.flags & ALIGHT) != 0]] = True
        walk = EstimatedWalk(float(walk_speed_kmh), float(walk_detour))
        walks = _footpaths(
            feed.stops,
            served,
            walk=walk,
            max_transfer_m=max_transfer_m,
            hook=footpaths,
        )
        rules = _transfer_rules(
            feed.stops, served, walks, feed.transfers, min_transfer_s, walk=walk
        )
        trip_route = np.full(feed.trips.ids.size, -1, dtype=np.int32)
        listed = np.isin(feed.trips.route_ids, feed.routes.ids)
        trip_route[listed] = gtfs._index_of(
            feed.routes.ids, feed.trips.route_ids[listed], what="route_id"
        )
        return cls(
            feed.stops,
            connections,
            feed.calendar,
            rules.footpaths,
            trip_ids=feed.trips.ids,
            change_seconds=rules.change_seconds,
            min_transfer_s=int(min_transfer_s),
            walk_speed_kmh=walk_speed_kmh,
            walk_detour=walk_detour,
            timezone=feed.timezone,
            feed_names=feed.names,
            service_feed=feed.service_feed,
            transfer_rules_ignored=rules.ignored,
            routes=feed.routes,
            trip_route=trip_route,
            change_estimated=rules.change_estimated,
        )

    def save(self, path: str | Path) -> Path:
        """Write the network to one compressed ``.npz`` file (no pickle; `load` reads it).

        Returns the path written (exactly ``path``: no suffix is added).
        """
        s, c, k, f = self.stops, self.connections, self.calendar, self.footpaths
        arrays: dict[str, NDArray[Any]] = {
            "format": np.array(_FORMAT),
            "walk_speed_kmh": np.array(self.walk_speed_kmh),
            "walk_detour": np.array(self.walk_detour),
            "timezone": np.array(self.timezone or ""),
            "min_transfer_s": np.array(self.min_transfer_s),
            "transfer_rules_ignored": np.array(self.transfer_rules_ignored),
            "feed_names": np.array(self.feed_names, dtype=str),
            "stop_ids": s.ids,
            "stop_names": s.names,
            "stop_lon": s.lon,
            "stop_lat": s.lat,
            "stop_location_type": s.location_type,
            "stop_parent": s.parent,
            "stop_parent_ids": s.parent_ids,
            "change_seconds": self.change_seconds,
            "dep_stop": c.dep_stop,
            "arr_stop": c.arr_stop,
            "dep_time": c.dep_time,
            "arr_time": c.arr_time,
            "trip": c.trip,
            "service": c.service,
            "flags": c.flags,
            "trip_ids": self.trip_ids,
            "service_ids": k.service_ids,
            "service_feed": self.service_feed,
            "weekdays": k.weekdays,
            "start": k.start,
            "end": k.end,
            "exception_service": k.exception_service,
            "exception_date": k.exception_date,
            "exception_type": k.exception_type,
            "fp_indptr": f.indptr,
            "fp_to": f.to,
            "fp_seconds": f.seconds,
            "fp_transfer": f.transfer,
            "fp_walk_estimated": f.walk_estimated,
            "fp_transfer_estimated": f.transfer_estimated,
            "change_estimated": self.change_estimated,
            "route_ids": self.routes.ids,
            "route_short_names": self.routes.short_names,
            "route_long_names": self.routes.long_names,
            "route_types": self.routes.route_type,
            "trip_route": self.trip_route,
        }
        target = Path(path)
        with target.open("wb") as stream:
            np.savez_compressed(stream, allow_pickle=False, **arrays)
        return target

    @classmethod
    def load(cls, path: str | Path) -> TransitNetwork:
        """Read a network written by `save`, in this format or an earlier one.

        Format 1 (before transfers, pickup/drop-off types and feeds were kept) is read as one
        feed where every call lets riders board and alight and no change time applies;
        formats 1 and 2 (before lines were kept) as trips of unknown line and vehicle, whose
        walks and change times all count as estimates; formats 1 to 3 (before the walk detour
        was kept) walk the straight line, as their footpaths were built: rebuild them for
        `geodata.walking`'s estimated walk.
        """
        with np.load(Path(path), allow_pickle=False) as data:
            if "format" not in data or str(data["format"]) not in _FORMATS:
                raise ValueError(f"{path} n'est pas un réseau de transport enregistré par maillage")
            a = {name: data[name] for name in data.files}
        first_format = str(a["format"]) == _FORMATS[0]
        if first_format:
            a["flags"] = np.full(a["dep_stop"].size, BOARD | ALIGHT, dtype=np.int8)
            a["fp_transfer"] = a["fp_seconds"]
        routes = None
        if "route_ids" in a:
            routes = gtfs.Routes(
                ids=a["route_ids"],
                short_names=a["route_short_names"],
                long_names=a["route_long_names"],
                route_type=a["route_types"],
            )
        stops = gtfs.Stops(
            ids=a["stop_ids"],
            names=a["stop_names"],
            lon=a["stop_lon"],
            lat=a["stop_lat"],
            location_type=a["stop_location_type"],
            parent=a["stop_parent"],
            parent_ids=a["stop_parent_ids"],
        )
        connections = Connections(
            dep_stop=a["dep_stop"],
            arr_stop=a["arr_stop"],
            dep_time=a["dep_time"],
            arr_time=a["arr_time"],
            trip=a["trip"],
            service=a["service"],
            flags=a["flags"],
        )
        calendar = gtfs.Calendar(
            service_ids=a["service_ids"],
            weekdays=a["weekdays"],
            start=a["start"],
            end=a["end"],
            exception_service=a["exception_service"],
            exception_date=a["exception_date"],
            exception_type=a["exception_type"],
        )
        footpaths = Footpaths(
            indptr=a["fp_indptr"],
            to=a["fp_to"],
            seconds=a["fp_seconds"],
            transfer=a["fp_transfer"],
            walk_estimated=a.get("fp_walk_estimated", np.ones(a["fp_to"].size, dtype=bool)),
            transfer_estimated=a.get("fp_transfer_estimated", np.ones(a["fp_to"].size, dtype=bool)),
        )
        return cls(
            stops,
            connections,
            calendar,
            footpaths,
            trip_ids=a["trip_ids"],
            change_seconds=None if first_format else a["change_seconds"],
            min_transfer_s=0 if first_format else int(a["min_transfer_s"]),
            walk_speed_kmh=float(a["walk_speed_kmh"]),
            walk_detour=float(a.get("walk_detour", 1.0)),
            timezone=str(a["timezone"]) or None,
            feed_names=("",) if first_format else tuple(str(n) for n in a["feed_names"]),
            service_feed=None if first_format else a["service_feed"],
            transfer_rules_ignored=0 if first_format else int(a["transfer_rules_ignored"]),
            routes=routes,
            trip_route=a.get("trip_route"),
            change_estimated=a.get("change_estimated"),
        )

    @property
    def stop_lon(self) -> NDArray[np.float64]:
        """(n_stops,) longitude of every stop of ``stops.txt``, aligned with `earliest_arrival`
        (NaN for a node without coordinates; `served` marks the stops vehicles call at)."""
        return self.stops.lon

    @property
    def stop_lat(self) -> NDArray[np.float64]:
        """(n_stops,) latitude, as `stop_lon`."""
        return self.stops.lat

    # --- validity -----------------------------------------------------------------------

    def service_period(self, feed: str | None = None) -> tuple[date, date] | None:
        """First and last date on which some service runs (None for an empty calendar).

        Parameters
        ----------
        feed
            A feed's name (`feed_names`) for its own period; None for the whole network's
            (from the earliest first date to the latest last date of its feeds).

        A date inside the period may still have no service (a weekday rule, a removal).
        """
        k = self.calendar
        mine = np.ones(k.service_ids.size, dtype=bool)
        if feed is not None:
            if feed not in self.feed_names:
                raise ValueError("Flux inconnu dans ce réseau")
            mine = self.service_feed == self.feed_names.index(feed)
        rule = k.weekdays.any(axis=1) & (k.start <= k.end) & mine
        added = (k.exception_type == 1) & mine[k.exception_service]
        firsts = np.concatenate([k.start[rule], k.exception_date[added]])
        lasts = np.concatenate([k.end[rule], k.exception_date[added]])
        if firsts.size == 0:
            return None
        return date.fromordinal(int(firsts.min())), date.fromordinal(int(lasts.max()))

    def resolve_date(self, day: date) -> tuple[date, str | None]:
        """The date whose timetable answers a query for ``day``, and a French notice if it
        is not ``day`` itself. Pure: reads nothing but the network.

        The *period* is the span during which every feed has a timetable (the latest first
        date to the earliest last date of `service_period` over the feeds; the whole span if
        the feeds do not overlap). A ``day`` inside it is its own answer, notice None. A
        ``day`` outside is answered by **the same weekday inside the period, the nearest one
        to ``day``**, among the *typical* ones: days running at least 80 % of the median
        number of trips of that weekday in the period — so a public holiday (Easter Monday:
        4,809 TER trips instead of ~10,700) or a thin last day does not stand for a usual one.
        A period without that weekday (a feed of a few days) answers ``day`` itself with a
        notice saying it is outside the period; a network without any service answers
        ``(day, None)``.

        Returns
        -------
        (date_used, notice)
            e.g. ``(date(2025, 4, 22), "Horaires du réseau valables du 22/01/2025 au
            22/04/2025 : le mardi 22/04/2025 a servi pour le mardi 08/12/2026.")``.
        """
        if isinstance(day, datetime):
            day = day.date()
        period = self._common_period()
        if period is None or period[0] <= day <= period[1]:
            return day, None
        first, last = period
        valid = f"Horaires du réseau valables du {first:%d/%m/%Y} au {last:%d/%m/%Y} : "
        weekday = _WEEKDAYS[day.weekday()]
        candidates = self._typical_days(first, last, day.weekday())
        if candidates.size == 0:
            return day, f"{valid}le {weekday} {day:%d/%m/%Y} est hors de cette période."
        used = date.fromordinal(int(candidates[np.argmin(np.abs(candidates - day.toordinal()))]))
        return (
            used,
            f"{valid}le {weekday} {used:%d/%m/%Y} a servi pour le {weekday} {day:%d/%m/%Y}.",
        )

    def _common_period(self) -> tuple[date, date] | None:
        periods = (
            [self.service_period(name) for name in self.feed_names]
            if len(self.feed_names) > 1
            else [self.service_period()]
        )
        known = [p for p in periods if p is not None]
        if not known:
            return None
        first, last = max(p[0] for p in known), min(p[1] for p in known)
        if first > last:  # feeds of disjoint periods: their whole span
            first, last = min(p[0] for p in known), max(p[1] for p in known)
        return first, last

    def _typical_days(self, first: date, last: date, weekday: int) -> NDArray[np.int64]:
        """Ordinals of the dates of ``weekday`` in [first, last] running at least 80 % of the
        median number of trips of those dates (all of them when none runs any)."""
        start = first.toordinal() + (weekday - first.weekday()) % 7
        days = np.arange(start, last.toordinal() + 1, 7, dtype=np.int64)
        if days.size == 0:
            return days
        trip_service = np.full(self.trip_ids.size, -1, dtype=np.int64)
        trip_service[self.connections.trip] = self.connections.service
        per_service = np.bincount(
            trip_service[trip_service >= 0], minlength=self.calendar.service_ids.size
        )
        trips = np.array(
            [
                per_service[gtfs.active_services(self.calendar, date.fromordinal(int(d)))].sum()
                for d in days
            ]
        )
        if trips.max() == 0:
            return days
        typical: NDArray[np.int64] = days[trips >= 0.8 * np.median(trips)]
        return typical

    def __repr__(self) -> str:
        return (
            f"TransitNetwork({int(self.served.sum())} arrêts desservis, "
            f"{self.trip_ids.size} courses, {self.connections.dep_time.size} connexions)"
        )

    # --- queries ------------------------------------------------------------------------

    def earliest_arrival(
        self,
        source_stops: ArrayLike,
        source_times: ArrayLike,
        day: date,
        *,
        max_minutes: float | None = None,
    ) -> NDArray[np.float64]:
        """Earliest arrival at every stop from stops reached at given times (one-to-all CSA).

        Parameters
        ----------
        source_stops
            Stop indices (int) or ``stop_id`` strings. A station (``location_type`` 1) stands
            for all its platforms.
        source_times
            Seconds after midnight of ``day`` at which each source is reached (a scalar is
            broadcast).
        day
            The service date.
        max_minutes
            When given, connections departing more than this after the earliest source time
            are not scanned and later arrivals are ``inf``.

        Returns
        -------
        (n_stops,) float64
            Arrival, seconds after midnight of ``day`` (``inf`` when unreachable). A station
            gets the earliest arrival at its platforms. Footpaths are walked from the sources
            too.
        """
        if isinstance(day, datetime):
            day = day.date()
        stop_index = self._source_indices(source_stops)
        times = np.broadcast_to(np.asarray(source_times, dtype=np.int64), stop_index.shape)
        stop_index, times = self._expand_stations(stop_index, times)
        if stop_index.size == 0:
            return np.full(self.stops.ids.size, np.inf)
        start = int(times.min())
        budget = _budget_seconds(max_minutes)
        raw = self._scan(day, stop_index, times - start, np.array([start]), budget)[0]
        arrival = _as_float(raw)
        if budget >= 0:
            arrival[arrival > start + budget] = np.inf
        return self._fill_stations(arrival)

    def travel_times(
        self,
        origins: ArrayLike,
        destinations: ArrayLike,
        *,
        departure: datetime,
        window_minutes: int = 60,
        step_minutes: int = 1,
        max_minutes: float | None = None,
        max_access_m: float = 1000.0,
        method: WindowMethod = "auto",
        statistic: WindowStatistic = "median",
        walk: WalkHook | None = None,
    ) -> NDArray[np.float64]:
        """Median door-to-door public transport time over a departure window, minutes.

        For each origin, each departure ``departure + k * step_minutes`` (``k`` from 0 while
        under ``window_minutes``) and each destination, the travel time is the earliest of

        - walking straight to the destination (no distance limit);
        - walking to a stop within ``max_access_m``, riding with transfers (CSA), and
          walking from a stop within ``max_access_m`` of the destination;

        minus the departure time. The result is the *lower median* over the departures: the
        ``ceil(n / 2)``-th smallest of the ``n`` times, a time actually observed (R5's
        non-interpolated percentile; for an odd ``n``, the median).

        Parameters
        ----------
        origins, destinations
            (n, 2) arrays of EPSG:4326 ``(lon, lat)``.
        departure
            First departure. A naive datetime is read in the feed's local time; an aware
            one is converted to the feed's ``agency_timezone`` (kept as is if the feed has
            none). The date is taken as it is (see `resolve_date` for a date outside the
            timetable's validity).
        window_minutes, step_minutes
            The departure window and the spacing of departures in it, minutes.
        max_minutes
            When given, a departure whose trip takes longer counts as unreachable (``inf``)
            before the median, and medians above it are ``inf``.
        max_access_m
            Longest walk from an origin to a stop and from a stop to a destination, metres.
        method
            ``"per_minute"``: one CSA query per origin and departure; ``"profile"``: the
            profile search (module docstring), which pays from a few origins sharing stops
            on; ``"auto"`` (default): the one with fewer scans. All give the same result.
        statistic
            ``"median"`` (default): the lower median over the departures, for aggregate
            accessibility (coverage, isochrones, as r5py); ``"quickest"``: the quickest of
            them, one person's trip — the best concrete journey leaving within the window,
            timed from the moment they leave (no wait at home).
        walk
            A `WalkHook` timing the walks to and from the stops and the walk-only trip (a
            walking network's); None (default): the estimated walk of `geodata.walking`.
            The stops walked to are still those within ``max_access_m`` in straight line.

        Returns
        -------
        (len(origins), len(destinations)) float64
            Minutes; ``inf`` where unreachable.
        """
        if method not in ("auto", "profile", "per_minute"):
            raise ValueError("Méthode inconnue : auto, profile ou per_minute attendu")
        origin_xy = _lonlat_array(origins, "origines")
        destination_xy = _lonlat_array(destinations, "destinations")
        day, departures = self._departures(departure, window_minutes, step_minutes)
        rank = _rank(departures.size, statistic)
        budget = _budget_seconds(max_minutes)
        egress = self._egress(destination_xy, max_access_m, walk)
        access = self._near_stops(origin_xy, max_access_m, walk)
        result = np.full((origin_xy.shape[0], destination_xy.shape[0]), np.inf)
        sharing = np.unique(access.point).size >= _PROFILE_MIN_ORIGINS or method == "profile"
        if method != "per_minute" and egress.stop.size and access.stop.size and sharing:
            plan = self._profile_plan(day, departures, access, egress, rank)
            if method == "profile" or plan.scans < departures.size * plan.origins_with_stops:
                self._by_profile(plan, origin_xy, destination_xy, budget, result, walk)
                return result
        for first in range(0, origin_xy.shape[0], _ORIGIN_CHUNK):
            chunk = slice(first, min(first + _ORIGIN_CHUNK, origin_xy.shape[0]))
            direct = self._direct_seconds(origin_xy[chunk], destination_xy, walk)
            for k in range(chunk.start, chunk.stop):
                per_run = self._runs(day, departures, budget, access, egress, k, direct[k - first])
                result[k] = _median_within(per_run, budget, rank)
        return result

    def journeys(
        self,
        lon: float,
        lat: float,
        destinations: ArrayLike,
        *,
        departure: datetime,
        window_minutes: int = 60,
        max_minutes: float | None = None,
        max_access_m: float = 1000.0,
        statistic: WindowStatistic = "median",
        walk: WalkHook | None = None,
    ) -> list[Journey | None]:
        """The journey from ``(lon, lat)`` to each destination, with its legs.

        The departure's date is first moved into the timetable's validity (`resolve_date`;
        the French notice, when there is one, is each journey's ``notice``). Among the
        window's departures (one a minute), the journey told is the one whose time is the
        window's lower median (``statistic="median"``) or its quickest (``"quickest"``), the
        figure `travel_times` reports for the resolved departure with the same ``statistic``
        (the earliest such departure when several give it): ``journey.minutes`` *is* that
        figure. ``None`` where it is ``inf`` (beyond ``max_minutes``).

        Legs: a walk to the first stop (straight line: ``estimated``, with its ``metres``),
        a wait at the stop (when the vehicle is not there yet), a ride (line: the
        ``route_short_name``, else the ``route_long_name``; vehicle from the ``route_type``;
        stop names; departure and arrival read from the timetable, naive local times: not
        estimated), a transfer between two stops or at one (the walk, or the time
        ``transfers.txt`` sets, or the change time), further waits and rides, and the walk
        to the destination (straight line: ``estimated``). When walking straight there is
        at least as quick, the journey is that single walk leg. A walk between two stops
        is ``estimated`` unless a street network gave it (the ``footpaths`` hook of
        `from_gtfs`); a change time is unless ``transfers.txt`` set it.

        Parameters
        ----------
        lon, lat
            The origin, EPSG:4326 degrees.
        destinations
            (n, 2) array of EPSG:4326 ``(lon, lat)``.
        departure, window_minutes, max_minutes, max_access_m, statistic, walk
            As `travel_times` (one departure a minute); the walks a ``walk`` hook times
            are not estimated, and carry no straight-line ``metres``.
        """
        origin_xy = _lonlat_array([[lon, lat]], "origine")
        destination_xy = _lonlat_array(destinations, "destinations")
        local = self._local(departure)
        day, notice = self.resolve_date(local.date())
        day_start = datetime.combine(day, time())
        local = datetime.combine(day, local.time())
        _, departures = self._departures(local, window_minutes, 1)
        budget = _budget_seconds(max_minutes)
        egress = self._egress(destination_xy, max_access_m, walk)
        access = self._near_stops(origin_xy, max_access_m, walk)
        metres = self.walk.metres(
            great_circle_m(lon, lat, destination_xy[:, 0], destination_xy[:, 1])
        )
        seconds, said = self._direct(origin_xy, destination_xy, walk)  # as travel_times does
        direct, direct_estimated = seconds[0], ~said[0]
        per_run = self._runs(day, departures, budget, access, egress, 0, direct)
        chosen = _lower_median(per_run, _rank(departures.size, statistic))
        minutes = chosen / 60.0
        journeys: list[Journey | None] = [None] * destination_xy.shape[0]
        traces: dict[int, _Trace] = {}
        src_stop, src_seconds = access.around(0)
        src_estimated = access.estimated_around(0)
        for d in np.flatnonzero(np.isfinite(chosen)).tolist():
            run = int(np.argmax(per_run[:, d] == chosen[d]))
            if per_run[run, d] >= direct[d]:  # walking straight there is at least as quick
                estimated = bool(direct_estimated[d])
                only = _step(
                    "walk",
                    int(direct[d]),
                    estimated,
                    metres=float(metres[d]) if estimated else None,
                )
                journeys[d] = _journey([only], int(chosen[d]), float(minutes[d]), notice)
                continue
            if run not in traces:
                traces[run] = self._trace(day, src_stop, src_seconds, int(departures[run]), budget)
            steps = self._legs(
                traces[run],
                d,
                egress,
                _Sources(src_stop, src_seconds, src_estimated),
                origin_xy[0],
                destination_xy[d],
                day_start,
            )
            journeys[d] = _journey(steps, int(chosen[d]), float(minutes[d]), notice)
        return journeys

    def isochrone(
        self,
        lon: float,
        lat: float,
        minutes: float,
        *,
        departure: datetime,
        window_minutes: int = 60,
        step_minutes: int = 1,
        max_access_m: float = 1000.0,
    ) -> Polygon | MultiPolygon:
        """The area reachable within ``minutes`` by public transport and walking.

        The union of a walking disc around the origin (radius ``minutes`` at walking speed)
        and, around each stop whose median travel time over the window ``t`` is under
        ``minutes``, a disc of the remaining walk, ``(minutes - t)`` at walking speed, capped
        at ``max_access_m`` like egress in `travel_times`. Discs are drawn in a local
        equirectangular projection centred on the origin (scale error under 1 % within
        30 km at mid-latitudes) and returned in EPSG:4326. Medians are taken per stop, so
        the area approximates, and does not exactly equal, where `travel_times` ≤ minutes.

        Returns
        -------
        shapely Polygon, or MultiPolygon when the reachable areas are disjoint
            EPSG:4326 ``(lon, lat)``.
        """
        import shapely

        if not (math.isfinite(minutes) and minutes > 0):
            raise ValueError("La durée de l'isochrone doit être strictement positive")
        origin = _lonlat_array([[lon, lat]], "origine")
        day, departures = self._departures(departure, window_minutes, step_minutes)
        budget = math.ceil(minutes * 60)
        per_stop = np.full(self.stops.ids.size, np.inf)  # median minutes
        src_stop, src_seconds = self._near_stops(origin, max_access_m).around(0)
        if src_stop.size:
            arrivals = _as_float(self._scan(day, src_stop, src_seconds, departures, budget))
            per_stop = _median_within(arrivals - departures[:, None], budget)
        speed = self.walk.straight_m_per_min / 60.0  # straight-line metres a second
        reached = np.flatnonzero(per_stop < minutes)
        radius = np.minimum((minutes - per_stop[reached]) * 60 * speed, max_access_m)
        lon0, lat0 = float(origin[0, 0]), float(origin[0, 1])
        scale_x = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        scale_y = math.radians(1.0) * EARTH_RADIUS_M
        x = np.concatenate([[0.0], (self.stops.lon[reached] - lon0) * scale_x])
        y = np.concatenate([[0.0], (self.stops.lat[reached] - lat0) * scale_y])
        discs = shapely.buffer(
            shapely.points(x, y), np.concatenate([[minutes * 60 * speed], radius]), quad_segs=16
        )
        area = shapely.union_all(discs)

        def to_lonlat(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.column_stack([lon0 + xy[:, 0] / scale_x, lat0 + xy[:, 1] / scale_y])

        return cast("Polygon | MultiPolygon", shapely.transform(area, to_lonlat))

    # --- steps --------------------------------------------------------------------------

    def _source_indices(self, source_stops: ArrayLike) -> NDArray[np.int64]:
        values = np.atleast_1d(np.asarray(source_stops))
        if values.dtype.kind in "US":
            return gtfs._index_of(self.stops.ids, values.astype(str), what="Arrêt").astype(np.int64)
        if values.size and values.dtype.kind not in "iu":
            raise ValueError("Les arrêts de départ sont des indices entiers ou des stop_id")
        index = values.astype(np.int64)
        if index.size and (index.min() < 0 or index.max() >= self.stops.ids.size):
            raise ValueError("Indice d'arrêt hors limites")
        return index

    def _expand_stations(
        self, stop_index: NDArray[np.int64], times: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Replace each unserved station by its served platforms, at the station's time."""
        station = (self.stops.location_type[stop_index] == 1) & ~self.served[stop_index]
        if not station.any():
            return stop_index, np.ascontiguousarray(times)
        children = self.stops.parent
        extra_stops, extra_times = [], []
        for s, t in zip(stop_index[station], times[station], strict=True):
            platforms = np.flatnonzero((children == s) & self.served)
            extra_stops.append(platforms)
            extra_times.append(np.full(platforms.size, t, dtype=np.int64))
        return (
            np.concatenate([stop_index[~station], *extra_stops]).astype(np.int64),
            np.concatenate([times[~station], *extra_times]).astype(np.int64),
        )

    def _fill_stations(self, arrival: NDArray[np.float64]) -> NDArray[np.float64]:
        """Give every station the earliest arrival at its platforms."""
        child = np.flatnonzero(self.stops.parent >= 0)
        np.minimum.at(arrival, self.stops.parent[child], arrival[child])
        return arrival

    def _departures(
        self, departure: datetime, window_minutes: int, step_minutes: int
    ) -> tuple[date, NDArray[np.int64]]:
        """The service date and the departure seconds of the window."""
        if window_minutes < 1 or step_minutes < 1:
            raise ValueError("La fenêtre et le pas de départ se comptent en minutes entières ≥ 1")
        departure = self._local(departure)
        start = departure.hour * 3600 + departure.minute * 60 + departure.second
        offsets = 60 * np.arange(0, window_minutes, step_minutes, dtype=np.int64)
        return departure.date(), start + offsets

    def _local(self, departure: datetime) -> datetime:
        """``departure`` on the feed's clock (an aware one converted, a naive one kept)."""
        if departure.tzinfo is not None and self.timezone:
            from zoneinfo import ZoneInfo

            departure = departure.astimezone(ZoneInfo(self.timezone))
        return departure

    def _day(self, day: date) -> _Day:
        """The connections running on ``day`` (cached for a few dates)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        c = self.connections
        known = c.service >= 0
        today = np.zeros(c.service.size, dtype=bool)
        today[known] = gtfs.active_services(self.calendar, day)[c.service[known]]
        yesterday = np.zeros(c.service.size, dtype=bool)
        yesterday[known] = gtfs.active_services(self.calendar, day - timedelta(days=1))[
            c.service[known]
        ]
        overnight = yesterday & (c.dep_time >= DAY_S)
        dep = np.concatenate([c.dep_time[today], c.dep_time[overnight] - DAY_S])
        arr = np.concatenate([c.arr_time[today], c.arr_time[overnight] - DAY_S])
        order = np.lexsort((arr, dep))
        n_trips = self.trip_ids.size
        result = _Day(
            dep_stop=np.ascontiguousarray(
                np.concatenate([c.dep_stop[today], c.dep_stop[overnight]])[order]
            ),
            arr_stop=np.ascontiguousarray(
                np.concatenate([c.arr_stop[today], c.arr_stop[overnight]])[order]
            ),
            dep_time=np.ascontiguousarray(dep[order], dtype=np.int32),
            arr_time=np.ascontiguousarray(arr[order], dtype=np.int32),
            trip=np.ascontiguousarray(
                np.concatenate([c.trip[today], c.trip[overnight] + n_trips])[order],
                dtype=np.int32,
            ),
            flags=np.ascontiguousarray(
                np.concatenate([c.flags[today], c.flags[overnight]])[order], dtype=np.int8
            ),
        )
        with self._lock:
            if len(self._days) >= _DAY_CACHE_SIZE:
                self._days.pop(next(iter(self._days)))
            self._days[day] = result
        return result

    def _scan(
        self,
        day: date,
        src_stop: NDArray[np.int64],
        src_seconds: NDArray[np.int64],
        departures: NDArray[np.int64],
        budget: int,
    ) -> NDArray[np.int64]:
        """Run the CSA kernel once per departure: (runs, n_stops) int64 arrivals."""
        d = self._day(day)
        f = self.footpaths
        scan: Callable[..., NDArray[np.int64]] = kernels.compiled("scan")
        return scan(
            d.dep_stop,
            d.arr_stop,
            d.dep_time,
            d.arr_time,
            d.trip,
            d.flags,
            2 * self.trip_ids.size,
            f.indptr,
            f.to,
            f.seconds,
            f.transfer,
            self.change_seconds,
            np.ascontiguousarray(src_stop, dtype=np.int64),
            np.ascontiguousarray(src_seconds, dtype=np.int64),
            np.ascontiguousarray(departures, dtype=np.int64),
            np.int64(budget),
            self.stops.ids.size,
        )

    def _walk_seconds(self, metres: NDArray[np.float64]) -> NDArray[np.float64]:
        """Whole seconds of the estimated walk over straight-line ``metres``."""
        return self.walk.seconds(metres)

    def _direct_seconds(
        self,
        origin_xy: NDArray[np.float64],
        destination_xy: NDArray[np.float64],
        walk: WalkHook | None = None,
    ) -> NDArray[np.float64]:
        """(origins, destinations) seconds of walking from each to each (`_direct`)."""
        return self._direct(origin_xy, destination_xy, walk)[0]

    def _direct(
        self,
        origin_xy: NDArray[np.float64],
        destination_xy: NDArray[np.float64],
        walk: WalkHook | None,
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(origins, destinations) seconds of the walk from each to each — the estimated walk,
        or the hook's where it says — and where the hook said it."""
        seconds = self._walk_seconds(
            great_circle_m(
                origin_xy[:, None, 0],
                origin_xy[:, None, 1],
                destination_xy[:, 0],
                destination_xy[:, 1],
            )
        )
        if walk is None or seconds.size == 0:
            return seconds, np.zeros(seconds.shape, dtype=bool)
        return _hooked(seconds, _minutes_of(walk, origin_xy, destination_xy))

    def _runs(  # noqa: PLR0917 - the pieces of one window query
        self,
        day: date,
        departures: NDArray[np.int64],
        budget: int,
        access: _Near,
        egress: _Egress,
        k: int,
        direct: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """(runs, destinations) seconds from origin ``k`` for each departure (one CSA query
        each), ``inf`` beyond the budget: the per-minute method."""
        per_run = np.repeat(direct[None, :], departures.size, axis=0)
        src_stop, src_seconds = access.around(k)
        if src_stop.size and egress.stop.size:
            arrivals = _as_float(self._scan(day, src_stop, src_seconds, departures, budget))
            via = arrivals[:, egress.stop] + egress.seconds
            best = np.minimum.reduceat(via, egress.group_start, axis=1) - departures[:, None]
            per_run[:, egress.destination] = np.minimum(per_run[:, egress.destination], best)
        if budget >= 0:
            per_run[per_run > budget] = np.inf
        return per_run

    # --- the profile search of a departure window ---------------------------------------

    def _profile_plan(
        self,
        day: date,
        departures: NDArray[np.int64],
        access: _Near,
        egress: _Egress,
        rank: int,
    ) -> _ProfilePlan:
        """The stops to profile (those some origin walks to) and their breakpoints: the
        latest times at which a rider there can still catch each departure (module
        docstring), between the window's first departure and its last plus the longest
        walk to the stop, and the first one after."""
        d = self._day(day)
        f = self.footpaths
        stops, slot = np.unique(access.stop, return_inverse=True)
        board = (d.flags & BOARD) != 0
        order = np.lexsort((d.dep_time[board], d.dep_stop[board]))
        by_stop = d.dep_stop[board][order]
        times = d.dep_time[board][order].astype(np.int64)
        start = np.searchsorted(by_stop, np.arange(self.stops.ids.size + 1))
        latest = np.full(stops.size, departures[-1], dtype=np.int64)
        np.maximum.at(latest, slot, departures[-1] + access.seconds.astype(np.int64))
        first = int(departures[0])
        parts = []
        for i, u in enumerate(stops.tolist()):
            pieces = [times[start[u] : start[u + 1]]]
            for e in range(f.indptr[u], f.indptr[u + 1]):
                v = int(f.to[e])
                pieces.append(times[start[v] : start[v + 1]] - int(f.seconds[e]))
            candidates = np.unique(np.concatenate(pieces))
            lo = np.searchsorted(candidates, first)
            hi = np.searchsorted(candidates, latest[i], side="right")
            parts.append(candidates[lo : min(hi + 1, candidates.size)])
        bp_indptr = np.zeros(stops.size + 1, dtype=np.int64)
        bp_indptr[1:] = np.cumsum([part.size for part in parts])
        has_stops = np.unique(access.point).size
        return _ProfilePlan(
            day=day,
            departures=departures,
            access=access,
            egress=egress,
            stops=stops.astype(np.int64),
            slot=slot.astype(np.int64),
            bp_indptr=bp_indptr,
            bp_time=np.concatenate(parts).astype(np.int64),
            scans=int(bp_indptr[-1]),
            origins_with_stops=has_stops,
            rank=rank,
        )

    def _by_profile(  # noqa: PLR0917 - the pieces of one window query
        self,
        plan: _ProfilePlan,
        origin_xy: NDArray[np.float64],
        destination_xy: NDArray[np.float64],
        budget: int,
        result: NDArray[np.float64],
        walk: WalkHook | None = None,
    ) -> None:
        """Fill ``result`` (origins, destinations) by the profile search, destinations in
        batches small enough for the profiles (breakpoints × their egress stops) to stay
        within `_PROFILE_MAX_BYTES`."""
        access, egress = plan.access, plan.egress
        with_stops = np.unique(access.point)
        without = np.setdiff1d(np.arange(origin_xy.shape[0]), with_stops)
        for first in range(0, without.size, _ORIGIN_CHUNK):
            rows = without[first : first + _ORIGIN_CHUNK]
            direct = self._direct_seconds(origin_xy[rows], destination_xy, walk)
            if budget >= 0:
                direct[direct > budget] = np.inf
            result[rows] = direct / 60.0
        n_destinations = destination_xy.shape[0]
        per_destination = np.zeros(n_destinations, dtype=np.int64)
        per_destination[egress.destination] = np.diff(np.r_[egress.group_start, egress.stop.size])
        pair_indptr = np.r_[0, np.cumsum(per_destination)].astype(np.int64)
        profile_bytes = 16 * max(plan.scans, 1) * np.unique(egress.stop).size
        batches = max(1, math.ceil(profile_bytes / _PROFILE_MAX_BYTES))
        for batch in np.array_split(np.arange(n_destinations), batches):
            if batch.size == 0:
                continue
            lo, hi = pair_indptr[batch[0]], pair_indptr[batch[-1] + 1]
            window = self._profile_batch(
                plan,
                egress.stop[lo:hi].astype(np.int64),
                egress.seconds[lo:hi].astype(np.float64),
                pair_indptr[batch[0] : batch[-1] + 2] - lo,
                origin_xy[with_stops],
                destination_xy[batch],
                budget,
                walk,
            )
            result[np.ix_(with_stops, batch)] = window

    def _profile_batch(  # noqa: PLR0917 - the pieces of one batch
        self,
        plan: _ProfilePlan,
        egress_stop: NDArray[np.int64],
        egress_seconds: NDArray[np.float64],
        egress_indptr: NDArray[np.int64],
        origin_xy: NDArray[np.float64],
        destination_xy: NDArray[np.float64],
        budget: int,
        walk: WalkHook | None = None,
    ) -> NDArray[np.float64]:
        """The window medians from the origins that walk to some stop (all of ``plan``'s, in
        order) to a batch of destinations, whose egress pairs are given in rows."""
        d = self._day(plan.day)
        f = self.footpaths
        columns = np.unique(egress_stop)
        column_of = np.full(self.stops.ids.size, -1, dtype=np.int64)
        column_of[columns] = np.arange(columns.size)
        profiles: Callable[..., NDArray[np.int64]] = kernels.compiled("stop_profiles")
        profile = profiles(
            d.dep_stop,
            d.arr_stop,
            d.dep_time,
            d.arr_time,
            d.trip,
            d.flags,
            2 * self.trip_ids.size,
            f.indptr,
            f.to,
            f.seconds,
            f.transfer,
            self.change_seconds,
            plan.stops,
            plan.bp_indptr,
            plan.bp_time,
            columns.astype(np.int64),
            np.int64(budget),
            self.stops.ids.size,
        )
        arrivals = profile.astype(np.float64)  # exact: whole seconds below 2**53
        arrivals[profile >= _INF] = np.inf
        del profile
        walk_column, walk_seconds, walk_indptr = [], [], [0]
        for u in plan.stops.tolist():
            targets = np.r_[u, f.to[f.indptr[u] : f.indptr[u + 1]]].astype(np.int64)
            seconds = np.r_[0, f.seconds[f.indptr[u] : f.indptr[u + 1]]].astype(np.int64)
            kept = column_of[targets] >= 0
            walk_column.append(column_of[targets[kept]])
            walk_seconds.append(seconds[kept])
            walk_indptr.append(walk_indptr[-1] + int(kept.sum()))
        window: Callable[..., NDArray[np.float64]] = kernels.compiled("window_medians")
        access = plan.access
        rank = plan.rank
        result = np.empty((origin_xy.shape[0], destination_xy.shape[0]))
        point_rank = np.searchsorted(np.unique(access.point), access.point)  # 0.. in order
        for first in range(0, origin_xy.shape[0], _ORIGIN_CHUNK):
            last = min(first + _ORIGIN_CHUNK, origin_xy.shape[0])
            lo, hi = np.searchsorted(point_rank, [first, last])
            acc_indptr = np.searchsorted(point_rank[lo:hi], np.arange(first, last + 1))
            result[first:last] = window(
                plan.departures,
                acc_indptr.astype(np.int64),
                plan.slot[lo:hi],
                access.seconds[lo:hi].astype(np.int64),
                plan.bp_indptr,
                plan.bp_time,
                arrivals,
                np.asarray(walk_indptr, dtype=np.int64),
                np.concatenate(walk_column).astype(np.int64),
                np.concatenate(walk_seconds).astype(np.int64),
                egress_indptr.astype(np.int64),
                column_of[egress_stop].astype(np.int64),
                egress_seconds,
                self._direct_seconds(origin_xy[first:last], destination_xy, walk),
                np.int64(budget),
                np.int64(rank),
            )
        return result

    # --- journeys -----------------------------------------------------------------------

    def _trace(
        self,
        day: date,
        src_stop: NDArray[np.int64],
        src_seconds: NDArray[np.int64],
        tau: int,
        budget: int,
    ) -> _Trace:
        """One departure's labels and how each was reached (`geodata.transit_kernels.trace`)."""
        d = self._day(day)
        f = self.footpaths
        trace: Callable[..., tuple[NDArray[np.int64], ...]] = kernels.compiled("trace")
        arr, ready, how, boarded_at = trace(
            d.dep_stop,
            d.arr_stop,
            d.dep_time,
            d.arr_time,
            d.trip,
            d.flags,
            2 * self.trip_ids.size,
            f.indptr,
            f.to,
            f.seconds,
            f.transfer,
            self.change_seconds,
            np.ascontiguousarray(src_stop, dtype=np.int64),
            np.ascontiguousarray(src_seconds, dtype=np.int64),
            np.int64(tau),
            np.int64(budget),
            self.stops.ids.size,
        )
        return _Trace(d, tau, arr, ready, how, boarded_at)

    def _legs(  # noqa: PLR0917 - the pieces of one journey
        self,
        trace: _Trace,
        destination: int,
        egress: _Egress,
        sources: _Sources,
        origin: NDArray[np.float64],
        destination_xy: NDArray[np.float64],
        day_start: datetime,
    ) -> list[_Step]:
        """The legs of the traced run to ``destination``, each with its whole seconds."""
        group = int(np.searchsorted(egress.destination, destination))
        lo = int(egress.group_start[group])
        hi = int(egress.group_start[group + 1]) if group + 1 < egress.group_start.size else None
        stops, seconds = egress.stop[lo:hi], egress.seconds[lo:hi]
        via = trace.arr[stops] + seconds.astype(np.int64)
        best = int(np.argmin(via))
        last = int(stops[best])
        tell = _Teller(self, trace, sources, origin, day_start)
        steps = tell.at(last)
        lon, lat = destination_xy
        estimated = bool(egress.estimated[lo:hi][best])
        metres = float(
            self.walk.metres(great_circle_m(self.stops.lon[last], self.stops.lat[last], lon, lat))
        )
        steps.append(
            _step(
                "walk",
                int(seconds[best]),
                estimated,
                metres=metres if estimated else None,
                from_name=self._stop_name(last),
            )
        )
        return steps

    def _stop_name(self, stop: int) -> str | None:
        """A stop's name, else its station's, else None."""
        name = str(self.stops.names[stop])
        parent = int(self.stops.parent[stop])
        if not name and parent >= 0:
            name = str(self.stops.names[parent])
        return name or None

    def _stop_tree(self) -> Any:
        """A k-d tree of the served stops in Earth-centred 3-D metres (built once)."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            served = np.flatnonzero(self.served)
            self._tree = (
                cKDTree(unit_xyz_m(self.stops.lon[served], self.stops.lat[served])),
                served,
            )
        return self._tree

    def _near_stops(
        self,
        xy: NDArray[np.float64],
        radius_m: float,
        walk: WalkHook | None = None,
        *,
        to_stops: bool = True,
    ) -> _Near:
        """Served stops within ``radius_m`` (straight line) of each point, with the walking
        seconds: the estimated walk, or the ``walk`` hook's where it says (from the points to
        the stops, or from the stops when not ``to_stops``; a pair it cannot walk is left
        out)."""
        if not radius_m >= 0:
            raise ValueError("La distance de marche maximale doit être positive ou nulle")
        if xy.shape[0] == 0 or not self.served.any():
            empty = np.zeros(0, dtype=np.int64)
            return _Near(empty, empty, np.zeros(0), xy.shape[0], np.zeros(0, dtype=bool))
        from scipy.spatial import cKDTree

        tree, served = self._stop_tree()
        pairs = cKDTree(unit_xyz_m(xy[:, 0], xy[:, 1])).sparse_distance_matrix(
            tree, _chord_m(radius_m), output_type="ndarray"
        )
        point = pairs["i"].astype(np.int64)
        stop = served[pairs["j"]].astype(np.int64)
        metres = _arc_m(pairs["v"])
        keep = metres <= radius_m
        order = np.lexsort((stop[keep], point[keep]))
        point, stop = point[keep][order], stop[keep][order]
        seconds = self._walk_seconds(metres[keep][order])
        said = np.zeros(seconds.shape, dtype=bool)
        if walk is not None and point.size:
            points, at_point = np.unique(point, return_inverse=True)
            stops, at_stop = np.unique(stop, return_inverse=True)
            stop_xy = np.column_stack([self.stops.lon[stops], self.stops.lat[stops]])
            if to_stops:
                minutes = _minutes_of(walk, xy[points], stop_xy)
            else:
                minutes = _minutes_of(walk, stop_xy, xy[points]).T
            seconds, said = _hooked(seconds, minutes[at_point, at_stop])
            walked = np.isfinite(seconds)
            point, stop, seconds, said = point[walked], stop[walked], seconds[walked], said[walked]
        return _Near(point, stop, seconds, xy.shape[0], ~said)

    def _egress(
        self, xy: NDArray[np.float64], radius_m: float, walk: WalkHook | None = None
    ) -> _Egress:
        near = self._near_stops(xy, radius_m, walk, to_stops=False)
        if near.stop.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return _Egress(empty, np.zeros(0), empty, empty, np.zeros(0, dtype=bool))
        group_start = np.flatnonzero(np.r_[True, np.diff(near.point) != 0])
        return _Egress(
            near.stop, near.seconds, group_start, near.point[group_start], near.estimated
        )


class _Near(NamedTuple):
    """Point–stop pairs within a walking radius, sorted by point."""

    point: NDArray[np.int64]
    stop: NDArray[np.int64]
    seconds: NDArray[np.float64]
    n_points: int
    estimated: NDArray[np.bool_]  # per pair: the estimated walk, not a hook's

    def around(self, k: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        lo, hi = np.searchsorted(self.point, [k, k + 1])
        return self.stop[lo:hi], self.seconds[lo:hi].astype(np.int64)

    def estimated_around(self, k: int) -> NDArray[np.bool_]:
        lo, hi = np.searchsorted(self.point, [k, k + 1])
        return self.estimated[lo:hi]


class _Sources(NamedTuple):
    """The stops one origin walks to: their seconds and whether each walk is estimated."""

    stop: NDArray[np.int64]
    seconds: NDArray[np.int64]
    estimated: NDArray[np.bool_]


def _minutes_of(
    walk: WalkHook, a: NDArray[np.float64], b: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The hook's (len(a), len(b)) minutes, checked."""
    minutes = np.asarray(walk(a, b), dtype=np.float64)
    if minutes.shape != (a.shape[0], b.shape[0]):
        raise ValueError("Le calcul des marches doit rendre une matrice (départs × arrivées)")
    return minutes


def _hooked(
    seconds: NDArray[np.float64], minutes: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The hook's whole seconds (rounded up) where it says (not NaN), the estimated walk's
    elsewhere; and where it said."""
    said = ~np.isnan(minutes)
    with np.errstate(invalid="ignore"):
        hooked = np.ceil(np.where(said, minutes, 0.0) * 60.0 - 1e-6)
    return np.where(said, hooked, seconds), said


class _Egress(NamedTuple):
    """Stop → destination walks grouped by destination (for `numpy.minimum.reduceat`)."""

    stop: NDArray[np.int64]
    seconds: NDArray[np.float64]
    group_start: NDArray[np.int64]
    destination: NDArray[np.int64]
    estimated: NDArray[np.bool_]  # per pair


# --- building -----------------------------------------------------------------------------


def _connections(stop_times: gtfs.StopTimes, trips: gtfs.Trips) -> Connections:
    """One connection per pair of consecutive calls of a trip, sorted by departure time."""
    same_trip = np.flatnonzero(stop_times.trip[:-1] == stop_times.trip[1:])
    dep_time = stop_times.departure[same_trip]
    arr_time = np.maximum(stop_times.arrival[same_trip + 1], dep_time)
    board, alight = _useful_calls(stop_times)
    flags = np.where(board[same_trip], BOARD, 0) | np.where(alight[same_trip + 1], ALIGHT, 0)
    order = np.lexsort((arr_time, dep_time))  # stable: a trip's legs keep their order on ties
    trip = stop_times.trip[same_trip][order]
    return Connections(
        dep_stop=np.ascontiguousarray(stop_times.stop[same_trip][order], dtype=np.int32),
        arr_stop=np.ascontiguousarray(stop_times.stop[same_trip + 1][order], dtype=np.int32),
        dep_time=np.ascontiguousarray(dep_time[order], dtype=np.int32),
        arr_time=np.ascontiguousarray(arr_time[order], dtype=np.int32),
        trip=np.ascontiguousarray(trip, dtype=np.int32),
        service=np.ascontiguousarray(trips.service[trip], dtype=np.int32),
        flags=np.ascontiguousarray(flags[order], dtype=np.int8),
    )


def _useful_calls(
    stop_times: gtfs.StopTimes,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per call: riders may board there and alight at a later call of the trip; riders may
    alight there having boarded at an earlier call. (Sorted by trip then sequence.)"""
    board = stop_times.pickup != 1
    alight = stop_times.drop_off != 1
    n = board.size
    if n == 0:
        return board, alight
    starts = np.r_[True, stop_times.trip[1:] != stop_times.trip[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    ends = np.r_[stop_times.trip[1:] != stop_times.trip[:-1], True]
    last = np.minimum.accumulate(np.where(ends, np.arange(n), n)[::-1])[::-1]
    alights = np.cumsum(alight)
    boards = np.cumsum(board)
    later_alight = alights[last] - alights > 0
    earlier_board = (boards - board) - (boards[first] - board[first]) > 0
    return board & later_alight, alight & earlier_board


def _footpaths(
    stops: gtfs.Stops,
    served: NDArray[np.bool_],
    *,
    walk: EstimatedWalk,
    max_transfer_m: float,
    hook: FootpathHook | None,
) -> Footpaths:
    """Walking transfers between served stops: near pairs, plus platforms of one station."""
    index = np.flatnonzero(served)
    lon, lat = stops.lon[index], stops.lat[index]
    if hook is None:
        i, j, metres = _pairs_within(lon, lat, max_transfer_m)
        seconds = walk.seconds(metres)
        straight = np.ones(i.size, dtype=bool)
    else:
        minutes = np.asarray(hook(np.column_stack([lon, lat])), dtype=np.float64)
        if minutes.shape != (index.size, index.size):
            raise ValueError("Le calcul des correspondances à pied doit rendre une matrice n × n")
        limit = float(walk.metres(max_transfer_m)) / walk.metres_per_second
        i, j = np.nonzero(np.isfinite(minutes) & (minutes * 60 <= limit))
        keep = i != j
        i, j = i[keep], j[keep]
        seconds = np.ceil(minutes[i, j] * 60)
        straight = np.zeros(i.size, dtype=bool)
    si, sj = _same_parent_pairs(stops.parent_ids[index])
    station_seconds = walk.seconds(great_circle_m(lon[si], lat[si], lon[sj], lat[sj]))
    origin = index[np.concatenate([i, si])]
    target = index[np.concatenate([j, sj])]
    duration = np.concatenate([seconds, station_seconds]).astype(np.int64)
    estimated = np.concatenate([straight, np.ones(si.size, dtype=bool)])
    # keep the quickest of duplicate pairs, a street network's walk on a tie
    order = np.lexsort((estimated, duration, target, origin))
    origin, target, duration = origin[order], target[order], duration[order]
    estimated = estimated[order]
    first = np.ones(origin.size, dtype=bool)
    first[1:] = (np.diff(origin) != 0) | (np.diff(target) != 0)
    origin, target, duration = origin[first], target[first], duration[first]
    estimated = estimated[first]
    return _csr(stops.ids.size, origin, target, duration, duration, estimated, estimated)


def _csr(  # noqa: PLR0917 - the columns of one table
    n_stops: int,
    origin: NDArray[np.integer[Any]],
    target: NDArray[np.integer[Any]],
    seconds: NDArray[np.integer[Any]],
    transfer: NDArray[np.integer[Any]],
    walk_estimated: NDArray[np.bool_],
    transfer_estimated: NDArray[np.bool_],
) -> Footpaths:
    """Footpaths from pairs sorted by origin."""
    indptr = np.zeros(n_stops + 1, dtype=np.int64)
    np.add.at(indptr, origin + 1, 1)
    return Footpaths(
        indptr=np.cumsum(indptr),
        to=target.astype(np.int32),
        seconds=seconds.astype(np.int32),
        transfer=transfer.astype(np.int32),
        walk_estimated=np.asarray(walk_estimated, dtype=bool),
        transfer_estimated=np.asarray(transfer_estimated, dtype=bool),
    )


class _Rules(NamedTuple):
    footpaths: Footpaths
    change_seconds: NDArray[np.int32]
    change_estimated: NDArray[np.bool_]
    ignored: int


def _transfer_rules(
    stops: gtfs.Stops,
    served: NDArray[np.bool_],
    walks: Footpaths,
    transfers: gtfs.Transfers,
    min_transfer_s: int,
    *,
    walk: EstimatedWalk,
) -> _Rules:
    """Apply ``transfers.txt`` to the footpaths and the change times (module docstring)."""
    n = stops.ids.size
    change = np.full(n, min_transfer_s, dtype=np.int64)
    change_estimated = np.ones(n, dtype=bool)  # the setting, not the feed
    origin, target, seconds = walks.pairs()
    origin, target = origin.astype(np.int64), target.astype(np.int64)
    seconds = seconds.astype(np.int64)
    walk_estimated = walks.walk_estimated.copy()
    usable = ~transfers.restricted & (transfers.kind <= 3)
    ignored = int((~usable).sum())
    u, v, kind, minimum = _expand_rule_stations(stops, served, transfers, usable)
    if u.size == 0:
        return _Rules(walks, change.astype(np.int32), change_estimated, ignored)

    same = u == v
    change[u[same]] = _rule_seconds(kind[same], minimum[same], change[u[same]])
    change_estimated[u[same]] = _rule_is_default(kind[same], minimum[same])
    u, v, kind, minimum = u[~same], v[~same], kind[~same], minimum[~same]

    straight = walk.seconds(
        great_circle_m(stops.lon[u], stops.lat[u], stops.lon[v], stops.lat[v])
    ).astype(np.int64)
    key_walk = origin * n + target
    key_rule = u * n + v
    position = np.searchsorted(key_walk, key_rule)  # pairs() is sorted by (origin, target)
    found = position < key_walk.size
    found[found] = key_walk[position[found]] == key_rule[found]
    at = np.minimum(position, max(key_walk.size - 1, 0))
    walked = np.where(found, seconds[at], straight)
    rule = _rule_seconds(kind, minimum, walked)  # -1: forbidden
    # a rule's time is the walk's (estimated as the walk is) for type 0, read from the feed else
    rule_estimated = np.where(found, walk_estimated[at], True) & _rule_is_default(kind, minimum)

    transfer = seconds.copy()
    transfer_estimated = walk_estimated.copy()
    transfer[position[found]] = rule[found]
    transfer_estimated[position[found]] = rule_estimated[found]
    seconds = seconds.copy()
    allowed = rule >= 0
    quicker = found & allowed
    quicker[quicker] = rule[quicker] < seconds[position[quicker]]
    seconds[position[quicker]] = rule[quicker]
    walk_estimated[position[quicker]] = rule_estimated[quicker]
    added = ~found & allowed
    origin = np.concatenate([origin, u[added]])
    target = np.concatenate([target, v[added]])
    seconds = np.concatenate([seconds, rule[added]])
    transfer = np.concatenate([transfer, rule[added]])
    walk_estimated = np.concatenate([walk_estimated, rule_estimated[added]])
    transfer_estimated = np.concatenate([transfer_estimated, rule_estimated[added]])
    order = np.lexsort((target, origin))
    footpaths = _csr(
        n,
        origin[order],
        target[order],
        seconds[order],
        transfer[order],
        walk_estimated[order],
        transfer_estimated[order],
    )
    return _Rules(footpaths, change.astype(np.int32), change_estimated, ignored)


def _rule_seconds(
    kind: NDArray[np.int64], minimum: NDArray[np.int64], default: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Seconds a transfer rule asks: type 0 the default, 1 none, 2 its minimum (the default
    when empty), 3 -1 (forbidden)."""
    result = default.copy()
    result[kind == 1] = 0
    timed = (kind == 2) & (minimum >= 0)
    result[timed] = minimum[timed]
    result[kind == 3] = -1
    return result


def _rule_is_default(kind: NDArray[np.int64], minimum: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether a rule's time is the default it is given (type 0, or 2 without a time)."""
    default: NDArray[np.bool_] = (kind == 0) | ((kind == 2) & (minimum < 0))
    return default


def _expand_rule_stations(
    stops: gtfs.Stops,
    served: NDArray[np.bool_],
    transfers: gtfs.Transfers,
    usable: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Rule pairs between served stops, a station standing for its served platforms; for a
    pair named several times, the rule naming the most platforms rather than stations wins,
    then the last row."""
    members: dict[int, NDArray[np.int64]] = {}

    def expand(stop: int) -> NDArray[np.int64]:
        if stop not in members:
            children = np.flatnonzero((stops.parent == stop) & served)
            itself = np.array([stop] if served[stop] else [], dtype=np.int64)
            members[stop] = np.concatenate([itself, children]).astype(np.int64)
        return members[stop]

    station = stops.location_type == 1
    a_all, b_all = transfers.from_stop.astype(np.int64), transfers.to_stop.astype(np.int64)
    plain = usable & ~station[a_all] & ~station[b_all]
    direct = np.flatnonzero(plain & served[a_all] & served[b_all])
    parts = [np.column_stack([a_all[direct], b_all[direct], np.full(direct.size, 2), direct])]
    for r in np.flatnonzero(usable & ~plain):  # rules naming a station: few
        a, b = int(transfers.from_stop[r]), int(transfers.to_stop[r])
        left = expand(a) if station[a] else np.array([a] if served[a] else [], dtype=np.int64)
        right = expand(b) if station[b] else np.array([b] if served[b] else [], dtype=np.int64)
        if left.size and right.size:
            x, y = np.meshgrid(left, right, indexing="ij")
            specific = int(not station[a]) + int(not station[b])
            parts.append(
                np.column_stack(
                    [x.ravel(), y.ravel(), np.full(x.size, specific), np.full(x.size, r)]
                )
            )
    table = np.concatenate(parts).astype(np.int64)
    order = np.lexsort((table[:, 3], table[:, 2], table[:, 1], table[:, 0]))
    table = table[order]
    last = np.ones(len(table), dtype=bool)
    last[:-1] = (table[1:, 0] != table[:-1, 0]) | (table[1:, 1] != table[:-1, 1])
    table = table[last]
    row = table[:, 3]
    return (
        table[:, 0],
        table[:, 1],
        transfers.kind[row].astype(np.int64),
        transfers.min_seconds[row].astype(np.int64),
    )


def _pairs_within(
    lon: NDArray[np.float64], lat: NDArray[np.float64], metres: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Ordered pairs ``(i, j)``, ``i != j``, at most ``metres`` apart, with their distance."""
    if lon.size < 2 or metres <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    from scipy.spatial import cKDTree

    pairs = cKDTree(unit_xyz_m(lon, lat)).query_pairs(_chord_m(metres), output_type="ndarray")
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    distance = great_circle_m(lon[i], lat[i], lon[j], lat[j])
    keep = distance <= metres
    i, j, distance = i[keep], j[keep], distance[keep]
    return np.r_[i, j], np.r_[j, i], np.r_[distance, distance]


def _same_parent_pairs(parent_ids: NDArray[np.str_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Ordered pairs of distinct stops sharing a non-empty ``parent_station``."""
    with_parent = np.flatnonzero(parent_ids != "")
    if with_parent.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    _, group = np.unique(parent_ids[with_parent], return_inverse=True)
    i, j = [], []
    for g in np.unique(group):
        members = with_parent[group == g]
        if members.size > 1:
            a, b = np.meshgrid(members, members, indexing="ij")
            off_diagonal = a != b
            i.append(a[off_diagonal])
            j.append(b[off_diagonal])
    if not i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(i).astype(np.int64), np.concatenate(j).astype(np.int64)


# --- geometry and small helpers -----------------------------------------------------------


def _chord_m(arc_m: float) -> float:
    return 2 * EARTH_RADIUS_M * math.sin(min(arc_m / (2 * EARTH_RADIUS_M), math.pi / 2))


def _arc_m(chord_m: NDArray[np.float64]) -> NDArray[np.float64]:
    ratio = np.clip(np.asarray(chord_m, dtype=np.float64) / (2 * EARTH_RADIUS_M), 0.0, 1.0)
    arc: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(ratio)
    return arc


def _lonlat_array(points: ArrayLike, what: str) -> NDArray[np.float64]:
    xy = np.asarray(points, dtype=np.float64)
    if xy.ndim == 1 and xy.size == 0:
        xy = xy.reshape(0, 2)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"Les {what} doivent former un tableau (n, 2) de (lon, lat)")
    if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise ValueError(f"Coordonnées invalides parmi les {what} (EPSG:4326, lon puis lat)")
    return xy


def _budget_seconds(max_minutes: float | None) -> int:
    if max_minutes is None:
        return -1
    if not (math.isfinite(max_minutes) and max_minutes >= 0):
        raise ValueError("max_minutes doit être un nombre positif ou nul")
    return math.floor(max_minutes * 60)


def _as_float(raw: NDArray[np.int64]) -> NDArray[np.float64]:
    out = raw.astype(np.float64)
    out[raw >= _INF] = np.inf
    return out


def _rank(runs: int, statistic: WindowStatistic) -> int:
    """The rank (0-based, ascending) of the run a window reports: 0 for the quickest, the
    lower median's ``ceil(n / 2) - 1`` for the median."""
    if statistic == "quickest":
        return 0
    if statistic == "median":
        return (runs - 1) // 2
    raise ValueError("Statistique de fenêtre inconnue : median ou quickest attendu")


def _lower_median(per_run: NDArray[np.float64], rank: int | None = None) -> NDArray[np.float64]:
    """The ``rank``-th smallest of the ``n`` runs (axis 0; by default the ``ceil(n / 2)``-th,
    the lower median): an observed value."""
    if rank is None:
        rank = (per_run.shape[0] - 1) // 2
    chosen: NDArray[np.float64] = np.partition(per_run, rank, axis=0)[rank]
    return chosen


def _median_within(
    per_run: NDArray[np.float64], budget: int, rank: int | None = None
) -> NDArray[np.float64]:
    """Lower median (or the ``rank``-th smallest) over runs (axis 0), seconds in, minutes
    out; beyond ``budget`` s is ``inf``."""
    if budget >= 0:
        per_run = np.where(per_run > budget, np.inf, per_run)
    median: NDArray[np.float64] = _lower_median(per_run, rank) / 60.0
    return median


# --- journeys -----------------------------------------------------------------------------


class _Step(NamedTuple):
    """A leg and its whole seconds (the leg's minutes may be nudged by float rounding)."""

    seconds: int
    leg: Leg


def _step(
    kind: LegKind,
    seconds: int,
    estimated: bool,
    **fields: Any,
) -> _Step:
    return _Step(
        int(seconds), Leg(kind=kind, minutes=seconds / 60.0, estimated=estimated, **fields)
    )


def _journey(steps: list[_Step], seconds: int, minutes: float, notice: str | None) -> Journey:
    """The journey of ``steps``, whose legs add up to exactly ``minutes`` (the last leg, and
    the one before when needed, take the float rounding: less than 1e-12 minute);
    ``seconds`` checks them."""
    if sum(step.seconds for step in steps) != seconds:
        raise RuntimeError("Trajet incohérent : ses étapes ne font pas sa durée")
    legs = [step.leg for step in steps]
    values = [leg.minutes for leg in legs]
    nudges = [0] if len(values) < 2 else sorted(range(-8, 9), key=abs)
    before = values[-2] if len(values) >= 2 else 0.0
    for j in nudges:
        if len(values) >= 2:
            values[-2] = before + j * float(np.spacing(before))
        total = 0.0
        for value in values[:-1]:
            total += value
        last = _closing(total, minutes)
        if last is not None and min(values) >= 0:
            values[-1] = last
            break
    legs = [
        leg.model_copy(update={"minutes": value}) for leg, value in zip(legs, values, strict=True)
    ]
    journey = Journey(mode="transit", legs=tuple(legs), notice=notice)
    if journey.minutes != minutes:
        raise RuntimeError("Trajet incohérent : ses étapes ne font pas sa durée")
    return journey


def _closing(total: float, minutes: float) -> float | None:
    """A last leg ``x ≥ 0`` with ``total + x == minutes`` in floating point, when one lies a
    few steps of the finer spacing from ``minutes - total``; None otherwise (the sum's ties
    can skip ``minutes``: the leg before then moves by a bit)."""
    last = minutes - total
    step = max(float(np.spacing(minutes)) / 4, float(np.spacing(abs(last))))
    for k in sorted(range(-16, 17), key=abs):
        candidate = last + k * step
        if candidate >= 0 and total + candidate == minutes:
            return candidate
    return None


class _Trace(NamedTuple):
    """One departure's labels (`geodata.transit_kernels.trace`) on the day's connections."""

    day: _Day
    tau: int
    arr: NDArray[np.int64]
    ready: NDArray[np.int64]
    how: NDArray[np.int64]
    boarded_at: NDArray[np.int64]


class _Teller:
    """Tells, leg by leg, how a traced run reached a stop (parents of its labels)."""

    def __init__(
        self,
        network: TransitNetwork,
        trace: _Trace,
        sources: _Sources,
        origin: NDArray[np.float64],
        day_start: datetime,
    ) -> None:
        self.net = network
        self.trace = trace
        self.src_stop = sources.stop
        self.src_seconds = sources.seconds
        self.src_estimated = sources.estimated
        self.origin = origin
        self.day_start = day_start

    def at(self, stop: int) -> list[_Step]:
        """The legs until the rider is *at* ``stop``."""
        way, first, second = (int(x) for x in self.trace.how[stop, 0:3])
        return self._via(way, first, second, stop, ready=False)

    def ready(self, stop: int) -> list[_Step]:
        """The legs until the rider is *ready to board* at ``stop``."""
        way, first, second = (int(x) for x in self.trace.how[stop, 3:6])
        return self._via(way, first, second, stop, ready=True)

    def _via(self, way: int, first: int, second: int, stop: int, *, ready: bool) -> list[_Step]:
        f = self.net.footpaths
        if way in (kernels.FROM_SOURCE, kernels.FROM_SOURCE_WALK):
            start = int(self.src_stop[first])
            steps = [self._access(first)]
            if way == kernels.FROM_SOURCE_WALK:
                steps.append(self._walk(start, stop, second))
            return steps
        if way not in (kernels.FROM_RIDE, kernels.FROM_RIDE_WALK):
            raise RuntimeError("Trajet introuvable : étiquette sans origine")
        steps = self._ride(first)
        alighted = int(self.trace.day.arr_stop[first])
        if way == kernels.FROM_RIDE_WALK and not ready:
            steps.append(self._walk(alighted, stop, second))
        elif way == kernels.FROM_RIDE_WALK:
            estimated = bool(f.transfer_estimated[second])
            steps.append(
                _step(
                    "transfer",
                    int(f.transfer[second]),
                    estimated,
                    metres=self._metres(alighted, stop) if estimated else None,
                    from_name=self.net._stop_name(alighted),
                    to_name=self.net._stop_name(stop),
                )
            )
        elif ready and self.net.change_seconds[stop] > 0:
            name = self.net._stop_name(stop)
            steps.append(
                _step(
                    "transfer",
                    int(self.net.change_seconds[stop]),
                    bool(self.net.change_estimated[stop]),
                    from_name=name,
                    to_name=name,
                )
            )
        return [step for step in steps if step.seconds > 0 or step.leg.kind == "ride"]

    def _ride(self, alighting: int) -> list[_Step]:
        """The legs until the rider alights from connection ``alighting``: those until ready
        at the boarding stop, the wait there, the ride."""
        d = self.trace.day
        boarding = int(self.trace.boarded_at[d.trip[alighting]])
        stop = int(d.dep_stop[boarding])
        steps = self.ready(stop)
        wait = int(d.dep_time[boarding]) - int(self.trace.ready[stop])
        name = self.net._stop_name(stop)
        if wait > 0:
            steps.append(_step("wait", wait, False, from_name=name))
        trip = int(d.trip[alighting]) % self.net.trip_ids.size
        route = int(self.net.trip_route[trip])
        line = vehicle = None
        if route >= 0:
            r = self.net.routes
            line = str(r.short_names[route]) or str(r.long_names[route]) or None
            kind = int(r.route_type[route])
            vehicle = vehicle_of_route_type(kind) if kind >= 0 else None
        leaves, arrives = int(d.dep_time[boarding]), int(d.arr_time[alighting])
        steps.append(
            _step(
                "ride",
                arrives - leaves,
                False,
                line=line,
                vehicle=vehicle,
                from_name=name,
                to_name=self.net._stop_name(int(d.arr_stop[alighting])),
                departure=self.day_start + timedelta(seconds=leaves),
                arrival=self.day_start + timedelta(seconds=arrives),
            )
        )
        return steps

    def _access(self, source: int) -> _Step:
        stop = int(self.src_stop[source])
        metres = float(
            self.net.walk.metres(
                great_circle_m(
                    self.origin[0],
                    self.origin[1],
                    self.net.stops.lon[stop],
                    self.net.stops.lat[stop],
                )
            )
        )
        name = self.net._stop_name(stop)
        estimated = bool(self.src_estimated[source])
        return _step(
            "walk",
            int(self.src_seconds[source]),
            estimated,
            metres=metres if estimated else None,
            to_name=name,
        )

    def _walk(self, start: int, end: int, footpath: int) -> _Step:
        f = self.net.footpaths
        estimated = bool(f.walk_estimated[footpath])
        return _step(
            "walk",
            int(f.seconds[footpath]),
            estimated,
            metres=self._metres(start, end) if estimated else None,
            from_name=self.net._stop_name(start),
            to_name=self.net._stop_name(end),
        )

    def _metres(self, a: int, b: int) -> float:
        """Metres of the estimated walk from stop ``a`` to stop ``b``."""
        lon, lat = self.net.stops.lon, self.net.stops.lat
        return float(self.net.walk.metres(great_circle_m(lon[a], lat[a], lon[b], lat[b])))


class _ProfilePlan(NamedTuple):
    """What the profile search of one window needs (`TransitNetwork._profile_plan`)."""

    day: date
    departures: NDArray[np.int64]
    access: _Near
    egress: _Egress
    stops: NDArray[np.int64]  # the stops profiled ("slots")
    slot: NDArray[np.int64]  # per access pair, the slot of its stop
    bp_indptr: NDArray[np.int64]
    bp_time: NDArray[np.int64]
    scans: int
    origins_with_stops: int
    rank: int  # the run reported (`_rank`)
