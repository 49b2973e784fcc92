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
platforms of the same ``parent_station`` whatever their distance, at the walking speed; a hook
can give street-network walking times instead (`TransitNetwork.from_gtfs`). Stops of different
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
trip) take ``ceil(distance / walking speed)`` seconds.

Departure window
----------------
`travel_times` runs one query per departure minute of a window (08:00, 08:01, ... 08:59 for
``window_minutes=60``) and reports, per origin and destination, the **median** travel time
over those departures, as r5py/R5 do: travel time = arrival - departure, including the wait
for the first vehicle.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata import feeds, gtfs
from geodata.sphere import EARTH_RADIUS_M, great_circle_m, unit_xyz_m

if TYPE_CHECKING:
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.base import BaseGeometry

DAY_S = 86_400
_INF = 2**62  # "unreachable" in the integer kernel
_FORMAT = "maillage-transit-2"
_FORMATS = ("maillage-transit-1", _FORMAT)  # load reads both
_DAY_CACHE_SIZE = 8
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

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
    the transfer is forbidden.
    """

    indptr: NDArray[np.int64]
    to: NDArray[np.int32]
    seconds: NDArray[np.int32]
    transfer: NDArray[np.int32]

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
    timezone
        IANA name of the feeds' clock (``agency_timezone``), used to read aware datetimes.
    feed_names
        The merged feeds' names (``("",)`` for one unnamed feed).
    service_feed
        (s,) int16: the feed of each service of ``calendar``; None for all in the first.
    transfer_rules_ignored
        How many rows of ``transfers.txt`` were left out (module docstring).
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
        walk_speed_kmh: float = 4.5,
        timezone: str | None = None,
        feed_names: tuple[str, ...] = ("",),
        service_feed: NDArray[np.int16] | None = None,
        transfer_rules_ignored: int = 0,
    ) -> None:
        if not walk_speed_kmh > 0:
            raise ValueError("La vitesse de marche doit être strictement positive")
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
        self.stops = stops
        self.connections = connections
        self.calendar = calendar
        self.footpaths = footpaths
        self.trip_ids = trip_ids
        self.change_seconds = np.ascontiguousarray(change_seconds, dtype=np.int32)
        self.min_transfer_s = int(min_transfer_s)
        self.walk_speed_kmh = float(walk_speed_kmh)
        self.timezone = timezone
        self.feed_names = tuple(feed_names)
        self.service_feed = np.asarray(service_feed, dtype=np.int16)
        self.transfer_rules_ignored = int(transfer_rules_ignored)
        self.served = np.zeros(n_stops, dtype=bool)
        """(n,) bool: stops where some connection lets riders board or alight."""
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
        walk_speed_kmh: float = 4.5,
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
        max_transfer_m
            Longest footpath between two stops, metres (straight line by default; with a
            hook, its walking time at ``walk_speed_kmh``). Platforms of one
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
            max_transfer_m=max_transfer_m,
            min_transfer_s=min_transfer_s,
            footpaths=footpaths,
        )

    @classmethod
    def from_feed(
        cls,
        feed: feeds.Feed,
        *,
        walk_speed_kmh: float = 4.5,
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
        speed_mps = walk_speed_kmh / 3.6
        walks = _footpaths(
            feed.stops,
            served,
            speed_mps=speed_mps,
            max_transfer_m=max_transfer_m,
            hook=footpaths,
        )
        rules = _transfer_rules(
            feed.stops, served, walks, feed.transfers, min_transfer_s, speed_mps=speed_mps
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
            timezone=feed.timezone,
            feed_names=feed.names,
            service_feed=feed.service_feed,
            transfer_rules_ignored=rules.ignored,
        )

    def save(self, path: str | Path) -> Path:
        """Write the network to one compressed ``.npz`` file (no pickle; `load` reads it).

        Returns the path written (exactly ``path``: no suffix is added).
        """
        s, c, k, f = self.stops, self.connections, self.calendar, self.footpaths
        arrays: dict[str, NDArray[Any]] = {
            "format": np.array(_FORMAT),
            "walk_speed_kmh": np.array(self.walk_speed_kmh),
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
        }
        target = Path(path)
        with target.open("wb") as stream:
            np.savez_compressed(stream, allow_pickle=False, **arrays)
        return target

    @classmethod
    def load(cls, path: str | Path) -> TransitNetwork:
        """Read a network written by `save` (this format, or the previous one: a network saved
        before transfers, pickup/drop-off types and feeds were kept, read as one feed where
        every call lets riders board and alight and no change time applies)."""
        with np.load(Path(path), allow_pickle=False) as data:
            if "format" not in data or str(data["format"]) not in _FORMATS:
                raise ValueError(f"{path} n'est pas un réseau de transport enregistré par maillage")
            a = {name: data[name] for name in data.files}
        first_format = str(a["format"]) == _FORMATS[0]
        if first_format:
            a["flags"] = np.full(a["dep_stop"].size, BOARD | ALIGHT, dtype=np.int8)
            a["fp_transfer"] = a["fp_seconds"]
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
            indptr=a["fp_indptr"], to=a["fp_to"], seconds=a["fp_seconds"], transfer=a["fp_transfer"]
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
            timezone=str(a["timezone"]) or None,
            feed_names=("",) if first_format else tuple(str(n) for n in a["feed_names"]),
            service_feed=None if first_format else a["service_feed"],
            transfer_rules_ignored=0 if first_format else int(a["transfer_rules_ignored"]),
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
    ) -> NDArray[np.float64]:
        """Median door-to-door public transport time over a departure window, minutes.

        For each origin, each departure ``departure + k * step_minutes`` (``k`` from 0 while
        under ``window_minutes``) and each destination, the travel time is the earliest of

        - walking straight to the destination (no distance limit);
        - walking to a stop within ``max_access_m``, riding with transfers (CSA), and
          walking from a stop within ``max_access_m`` of the destination;

        minus the departure time. The result is the median over the departures (numpy's
        median: the mean of the two middle values for an even count).

        Parameters
        ----------
        origins, destinations
            (n, 2) arrays of EPSG:4326 ``(lon, lat)``.
        departure
            First departure. A naive datetime is read in the feed's local time; an aware
            one is converted to the feed's ``agency_timezone`` (kept as is if the feed has
            none).
        window_minutes, step_minutes
            The departure window and the spacing of departures in it, minutes.
        max_minutes
            When given, a departure whose trip takes longer counts as unreachable (``inf``)
            before the median, and medians above it are ``inf``.
        max_access_m
            Longest walk from an origin to a stop and from a stop to a destination, metres.

        Returns
        -------
        (len(origins), len(destinations)) float64
            Minutes; ``inf`` where unreachable.
        """
        origin_xy = _lonlat_array(origins, "origines")
        destination_xy = _lonlat_array(destinations, "destinations")
        day, departures = self._departures(departure, window_minutes, step_minutes)
        budget = _budget_seconds(max_minutes)
        egress = self._egress(destination_xy, max_access_m)
        direct = self._walk_seconds(
            great_circle_m(
                origin_xy[:, None, 0],
                origin_xy[:, None, 1],
                destination_xy[:, 0],
                destination_xy[:, 1],
            )
        )
        access = self._near_stops(origin_xy, max_access_m)
        result = np.full((origin_xy.shape[0], destination_xy.shape[0]), np.inf)
        for k in range(origin_xy.shape[0]):
            per_run = np.repeat(direct[k][None, :], departures.size, axis=0)
            src_stop, src_seconds = access.around(k)
            if src_stop.size and egress.stop.size:
                arrivals = _as_float(self._scan(day, src_stop, src_seconds, departures, budget))
                via = arrivals[:, egress.stop] + egress.seconds
                best = np.minimum.reduceat(via, egress.group_start, axis=1) - departures[:, None]
                per_run[:, egress.destination] = np.minimum(per_run[:, egress.destination], best)
            result[k] = _median_within(per_run, budget)
        return result

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
        speed = self.walk_speed_kmh / 3.6
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
        if departure.tzinfo is not None and self.timezone:
            from zoneinfo import ZoneInfo

            departure = departure.astimezone(ZoneInfo(self.timezone))
        start = departure.hour * 3600 + departure.minute * 60 + departure.second
        offsets = 60 * np.arange(0, window_minutes, step_minutes, dtype=np.int64)
        return departure.date(), start + offsets

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
        return _kernel()(
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
        return np.ceil(metres / (self.walk_speed_kmh / 3.6))

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

    def _near_stops(self, xy: NDArray[np.float64], radius_m: float) -> _Near:
        """Served stops within ``radius_m`` of each point, with the walking seconds."""
        if not radius_m >= 0:
            raise ValueError("La distance de marche maximale doit être positive ou nulle")
        if xy.shape[0] == 0 or not self.served.any():
            empty = np.zeros(0, dtype=np.int64)
            return _Near(empty, empty, np.zeros(0), xy.shape[0])
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
        return _Near(
            point[keep][order],
            stop[keep][order],
            self._walk_seconds(metres[keep][order]),
            xy.shape[0],
        )

    def _egress(self, xy: NDArray[np.float64], radius_m: float) -> _Egress:
        near = self._near_stops(xy, radius_m)
        if near.stop.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return _Egress(empty, np.zeros(0), empty, empty)
        group_start = np.flatnonzero(np.r_[True, np.diff(near.point) != 0])
        return _Egress(near.stop, near.seconds, group_start, near.point[group_start])


class _Near(NamedTuple):
    """Point–stop pairs within a walking radius, sorted by point."""

    point: NDArray[np.int64]
    stop: NDArray[np.int64]
    seconds: NDArray[np.float64]
    n_points: int

    def around(self, k: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        lo, hi = np.searchsorted(self.point, [k, k + 1])
        return self.stop[lo:hi], self.seconds[lo:hi].astype(np.int64)


class _Egress(NamedTuple):
    """Stop → destination walks grouped by destination (for `numpy.minimum.reduceat`)."""

    stop: NDArray[np.int64]
    seconds: NDArray[np.float64]
    group_start: NDArray[np.int64]
    destination: NDArray[np.int64]


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
    speed_mps: float,
    max_transfer_m: float,
    hook: FootpathHook | None,
) -> Footpaths:
    """Walking transfers between served stops: near pairs, plus platforms of one station."""
    index = np.flatnonzero(served)
    lon, lat = stops.lon[index], stops.lat[index]
    if hook is None:
        i, j, metres = _pairs_within(lon, lat, max_transfer_m)
        seconds = np.ceil(metres / speed_mps)
    else:
        minutes = np.asarray(hook(np.column_stack([lon, lat])), dtype=np.float64)
        if minutes.shape != (index.size, index.size):
            raise ValueError("Le calcul des correspondances à pied doit rendre une matrice n × n")
        limit = max_transfer_m / speed_mps
        i, j = np.nonzero(np.isfinite(minutes) & (minutes * 60 <= limit))
        keep = i != j
        i, j = i[keep], j[keep]
        seconds = np.ceil(minutes[i, j] * 60)
    si, sj = _same_parent_pairs(stops.parent_ids[index])
    station_seconds = np.ceil(great_circle_m(lon[si], lat[si], lon[sj], lat[sj]) / speed_mps)
    origin = index[np.concatenate([i, si])]
    target = index[np.concatenate([j, sj])]
    duration = np.concatenate([seconds, station_seconds]).astype(np.int64)
    order = np.lexsort((duration, target, origin))  # keep the quickest of duplicate pairs
    origin, target, duration = origin[order], target[order], duration[order]
    first = np.ones(origin.size, dtype=bool)
    first[1:] = (np.diff(origin) != 0) | (np.diff(target) != 0)
    origin, target, duration = origin[first], target[first], duration[first]
    return _csr(stops.ids.size, origin, target, duration, duration)


def _csr(
    n_stops: int,
    origin: NDArray[np.integer[Any]],
    target: NDArray[np.integer[Any]],
    seconds: NDArray[np.integer[Any]],
    transfer: NDArray[np.integer[Any]],
) -> Footpaths:
    """Footpaths from pairs sorted by origin."""
    indptr = np.zeros(n_stops + 1, dtype=np.int64)
    np.add.at(indptr, origin + 1, 1)
    return Footpaths(
        indptr=np.cumsum(indptr),
        to=target.astype(np.int32),
        seconds=seconds.astype(np.int32),
        transfer=transfer.astype(np.int32),
    )


class _Rules(NamedTuple):
    footpaths: Footpaths
    change_seconds: NDArray[np.int32]
    ignored: int


def _transfer_rules(
    stops: gtfs.Stops,
    served: NDArray[np.bool_],
    walks: Footpaths,
    transfers: gtfs.Transfers,
    min_transfer_s: int,
    *,
    speed_mps: float,
) -> _Rules:
    """Apply ``transfers.txt`` to the footpaths and the change times (module docstring)."""
    n = stops.ids.size
    change = np.full(n, min_transfer_s, dtype=np.int64)
    origin, target, seconds = walks.pairs()
    origin, target = origin.astype(np.int64), target.astype(np.int64)
    seconds = seconds.astype(np.int64)
    usable = ~transfers.restricted & (transfers.kind <= 3)
    ignored = int((~usable).sum())
    u, v, kind, minimum = _expand_rule_stations(stops, served, transfers, usable)
    if u.size == 0:
        return _Rules(walks, change.astype(np.int32), ignored)

    same = u == v
    change[u[same]] = _rule_seconds(kind[same], minimum[same], change[u[same]])
    u, v, kind, minimum = u[~same], v[~same], kind[~same], minimum[~same]

    straight = np.ceil(
        great_circle_m(stops.lon[u], stops.lat[u], stops.lon[v], stops.lat[v]) / speed_mps
    ).astype(np.int64)
    key_walk = origin * n + target
    key_rule = u * n + v
    position = np.searchsorted(key_walk, key_rule)  # pairs() is sorted by (origin, target)
    found = position < key_walk.size
    found[found] = key_walk[position[found]] == key_rule[found]
    walk = np.where(found, seconds[np.minimum(position, max(key_walk.size - 1, 0))], straight)
    rule = _rule_seconds(kind, minimum, walk)  # -1: forbidden

    transfer = seconds.copy()
    transfer[position[found]] = rule[found]
    seconds = seconds.copy()
    allowed = rule >= 0
    seconds[position[found & allowed]] = np.minimum(
        seconds[position[found & allowed]], rule[found & allowed]
    )
    added = ~found & allowed
    origin = np.concatenate([origin, u[added]])
    target = np.concatenate([target, v[added]])
    seconds = np.concatenate([seconds, rule[added]])
    transfer = np.concatenate([transfer, rule[added]])
    order = np.lexsort((target, origin))
    footpaths = _csr(n, origin[order], target[order], seconds[order], transfer[order])
    return _Rules(footpaths, change.astype(np.int32), ignored)


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


def _median_within(per_run: NDArray[np.float64], budget: int) -> NDArray[np.float64]:
    """Median over runs (axis 0), seconds in, minutes out; beyond ``budget`` s is ``inf``."""
    if budget >= 0:
        per_run = np.where(per_run > budget, np.inf, per_run)
    median: NDArray[np.float64] = np.median(per_run / 60.0, axis=0)
    if budget >= 0:
        median[median * 60.0 > budget] = np.inf
    return median


# --- the compiled kernel --------------------------------------------------------------------


def _scan_kernel(  # noqa: PLR0912, PLR0915, PLR0917 - one tight numba loop, plain arguments
    dep_stop: NDArray[np.int32],
    arr_stop: NDArray[np.int32],
    dep_time: NDArray[np.int32],
    arr_time: NDArray[np.int32],
    trip: NDArray[np.int32],
    flags: NDArray[np.int8],
    n_trip_slots: int,
    fp_indptr: NDArray[np.int64],
    fp_to: NDArray[np.int32],
    fp_seconds: NDArray[np.int32],
    fp_transfer: NDArray[np.int32],
    change: NDArray[np.int32],
    src_stop: NDArray[np.int64],
    src_offset: NDArray[np.int64],
    departures: NDArray[np.int64],
    budget: int,
    n_stops: int,
) -> NDArray[np.int64]:
    """CSA with "at", "alight" and "ready" labels, once per departure (module docstring).

    Sources are reached at ``departures[r] + src_offset``; connections departing after
    ``departures[r] + budget`` are not scanned (``budget < 0``: no limit). Returns the
    (runs, n_stops) arrival seconds, ``_INF`` where unreachable.
    """
    inf = np.int64(4611686018427387904)  # == _INF; a literal keeps the kernel self-contained
    n_runs = departures.shape[0]
    m = dep_time.shape[0]
    out = np.empty((n_runs, n_stops), dtype=np.int64)
    arr = np.empty(n_stops, dtype=np.int64)  # a rider is at the stop
    alight = np.empty(n_stops, dtype=np.int64)  # a vehicle drops a rider there
    ready = np.empty(n_stops, dtype=np.int64)  # a rider can board another vehicle there
    boarded = np.zeros(n_trip_slots, dtype=np.bool_)
    for r in range(n_runs):
        tau = departures[r]
        t_max = tau + budget if budget >= 0 else inf
        arr[:] = inf
        alight[:] = inf
        ready[:] = inf
        boarded[:] = False
        for j in range(src_stop.shape[0]):  # the start stops, then one footpath from each
            s = src_stop[j]
            t0 = tau + src_offset[j]
            arr[s] = min(arr[s], t0)
            ready[s] = min(ready[s], t0)
            for e in range(fp_indptr[s], fp_indptr[s + 1]):
                v = fp_to[e]
                tv = t0 + fp_seconds[e]
                arr[v] = min(arr[v], tv)
                ready[v] = min(ready[v], tv)
        block_end = np.searchsorted(dep_time, tau)
        block_start = block_end
        t = tau
        again = False
        while True:
            if not again:  # next block of connections departing in the same second
                block_start = block_end
                if block_start >= m or dep_time[block_start] > t_max:
                    break
                t = dep_time[block_start]
                block_end = block_start + 1
                while block_end < m and dep_time[block_end] == t:
                    block_end += 1
            again = False
            for c in range(block_start, block_end):
                k = trip[c]
                if not boarded[k]:
                    if (flags[c] & 1) == 0 or ready[dep_stop[c]] > t:
                        continue
                    boarded[k] = True
                if (flags[c] & 2) == 0:
                    continue
                a = np.int64(arr_time[c])
                s = arr_stop[c]
                if a >= alight[s]:
                    continue
                alight[s] = a
                arr[s] = min(arr[s], a)
                if change[s] >= 0:
                    ready[s] = min(ready[s], a + change[s])
                for e in range(fp_indptr[s], fp_indptr[s + 1]):
                    v = fp_to[e]
                    arr[v] = min(arr[v], a + fp_seconds[e])
                    if fp_transfer[e] >= 0:
                        ready[v] = min(ready[v], a + fp_transfer[e])
                if a == t:  # a zero-duration hop may enable a connection of this block
                    again = True
        out[r] = arr
    return out


@functools.cache
def _kernel() -> Callable[..., NDArray[np.int64]]:
    """The kernel compiled by numba, on first use (cached on disk between processes)."""
    from numba import njit

    return cast(Callable[..., NDArray[np.int64]], njit(cache=True, nogil=True)(_scan_kernel))
