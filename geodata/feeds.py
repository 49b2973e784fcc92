"""GTFS feeds read whole, clipped to a territory and merged into one timetable.

A `Feed` holds every table a router needs (`geodata.gtfs` reads them), with the trips of
``frequencies.txt`` already expanded into concrete trips. Pure functions; nothing at import.

Clipping (`clip_feed`)
----------------------
A territory is a polygon in EPSG:4326, usually a département plus a buffer in metres
(`buffered_area`, drawn in an azimuthal equidistant projection centred on the polygon, so
the buffer is true to the metre near the centre and within 0.1 % at 100 km from it). A stop is
kept when its coordinates lie inside (boundary included); a station is kept when one of its
platforms is. Each trip keeps its calls at kept stops, in order, with their times: a trip
that leaves the territory and comes back still links its last call before leaving to its
first call after returning (the rider stays aboard through the outside part, which takes the
time the timetable says), but nobody boards or alights outside. This is the same journey
set as the whole feed with every outside call turned into ``pickup_type = drop_off_type = 1``
and no walk to or from an outside stop. Trips left with fewer than two calls, services and
routes no kept trip uses and transfer rules naming a dropped stop are dropped.

Merging (`merge_feeds`)
-----------------------
Several feeds (regional trains, urban buses, coaches) become one: every identifier
(``stop_id``, ``parent_station``, ``trip_id``, ``route_id``, ``service_id``) is prefixed with
the feed's name and a colon, ``"ter:StopPoint:OCE..."``, so equal identifiers of two feeds
stay apart; each service remembers its feed (`Feed.service_feed`), so each calendar keeps its
own dates. Walking transfers between the stops of different feeds are the router's business:
it links stops by distance whatever their feed. The feeds must run on one clock (the same
``agency_timezone``, or none).

Errors are `ValueError`s with a French message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from geodata import gtfs

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

FEED_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
"""What a feed name may be: letters, digits, ``_`` and ``-`` (it prefixes identifiers)."""


@dataclass(frozen=True, slots=True, eq=False)
class Feed:
    """One GTFS feed, or several merged, with frequencies expanded.

    Attributes
    ----------
    names : tuple of str
        The feed names, in merge order (one name, possibly ``""``, for a single feed).
    service_feed : (s,) int16
        For each service of `calendar`, the index of its feed in ``names``.
    timezone : str or None
        The IANA ``agency_timezone`` shared by the feeds.
    routes : geodata.gtfs.Routes
        The lines of ``routes.txt`` (none when the feed has no such file); a trip names its
        line by ``trips.route_ids``.
    """

    names: tuple[str, ...]
    stops: gtfs.Stops
    calendar: gtfs.Calendar
    service_feed: NDArray[np.int16]
    trips: gtfs.Trips
    stop_times: gtfs.StopTimes
    transfers: gtfs.Transfers
    timezone: str | None
    routes: gtfs.Routes


def read_feed(path: gtfs.FeedPath, *, name: str = "", area: BaseGeometry | None = None) -> Feed:
    """Read every table of a GTFS feed (zip or folder) that routing needs.

    Parameters
    ----------
    path
        The ``.zip`` archive or the folder of ``.txt`` tables.
    name
        The feed's name, used as a prefix when it is merged with others.
    area
        When given, a polygon (EPSG:4326 lon/lat) the feed is clipped to (`clip_feed`).
    """
    stops = gtfs.read_stops(path)
    calendar = gtfs.read_calendar(path)
    trips = gtfs.read_trips(path, calendar)
    stop_times = gtfs.read_stop_times(path, stops, trips)
    trips, stop_times = gtfs.expand_frequencies(
        trips, stop_times, gtfs.read_frequencies(path, trips)
    )
    feed = Feed(
        names=(name,),
        stops=stops,
        calendar=calendar,
        service_feed=np.zeros(calendar.service_ids.size, dtype=np.int16),
        trips=trips,
        stop_times=stop_times,
        transfers=gtfs.read_transfers(path, stops),
        timezone=gtfs.read_timezone(path),
        routes=gtfs.read_routes(path),
    )
    return feed if area is None else clip_feed(feed, area)


def buffered_area(area: BaseGeometry, buffer_m: float) -> BaseGeometry:
    """``area`` (EPSG:4326) grown by ``buffer_m`` metres, in EPSG:4326.

    The buffer is drawn in an azimuthal equidistant projection centred on the area's
    centroid (exact distances from the centre; about 0.1 % off at 100 km from it).
    """
    import shapely
    from pyproj import CRS, Transformer

    if not (np.isfinite(buffer_m) and buffer_m >= 0):
        raise ValueError("La marge autour du territoire se compte en mètres, positive ou nulle")
    if buffer_m == 0:
        return area
    centre = area.centroid
    local = CRS.from_proj4(
        f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs"
    )
    forward = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    back = Transformer.from_crs(local, "EPSG:4326", always_xy=True)

    def project(transformer: Any) -> Any:
        def apply(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        return apply

    grown = shapely.buffer(shapely.transform(area, project(forward)), buffer_m, quad_segs=16)
    return shapely.transform(grown, project(back))


def clip_feed(feed: Feed, area: BaseGeometry) -> Feed:
    """Keep the stops inside ``area`` (EPSG:4326) and what uses them (module docstring)."""
    import shapely

    stops = feed.stops
    located = np.isfinite(stops.lon) & np.isfinite(stops.lat)
    inside = np.zeros(stops.ids.size, dtype=bool)
    inside[located] = shapely.intersects_xy(area, stops.lon[located], stops.lat[located])
    keep = inside.copy()
    keep[stops.parent[inside & (stops.parent >= 0)]] = True  # the station of a kept platform
    new_stop = np.cumsum(keep) - 1

    st = feed.stop_times
    rows = keep[st.stop]
    calls = np.bincount(st.trip[rows], minlength=feed.trips.ids.size)
    keep_trip = calls >= 2
    rows &= keep_trip[st.trip]
    new_trip = np.cumsum(keep_trip) - 1

    used = np.zeros(feed.calendar.service_ids.size, dtype=bool)
    services = feed.trips.service[keep_trip]
    used[services[services >= 0]] = True
    new_service = np.cumsum(used) - 1

    parent = stops.parent[keep]
    has_parent = parent >= 0
    parent = np.where(has_parent & keep[np.maximum(parent, 0)], new_stop[parent], -1)
    trips = feed.trips
    service = trips.service[keep_trip]
    k = feed.calendar
    exceptions = used[k.exception_service]
    transfers = feed.transfers
    kept_rules = keep[transfers.from_stop] & keep[transfers.to_stop]
    routes = feed.routes
    kept_routes = np.isin(routes.ids, trips.route_ids[keep_trip])
    return replace(
        feed,
        routes=gtfs.Routes(
            ids=routes.ids[kept_routes],
            short_names=routes.short_names[kept_routes],
            long_names=routes.long_names[kept_routes],
            route_type=routes.route_type[kept_routes],
        ),
        stops=gtfs.Stops(
            ids=stops.ids[keep],
            names=stops.names[keep],
            lon=stops.lon[keep],
            lat=stops.lat[keep],
            location_type=stops.location_type[keep],
            parent=parent.astype(np.int32),
            parent_ids=stops.parent_ids[keep],
        ),
        calendar=gtfs.Calendar(
            service_ids=k.service_ids[used],
            weekdays=k.weekdays[used],
            start=k.start[used],
            end=k.end[used],
            exception_service=new_service[k.exception_service[exceptions]].astype(np.int32),
            exception_date=k.exception_date[exceptions],
            exception_type=k.exception_type[exceptions],
        ),
        service_feed=feed.service_feed[used],
        trips=gtfs.Trips(
            ids=trips.ids[keep_trip],
            route_ids=trips.route_ids[keep_trip],
            service=np.where(service >= 0, new_service[service], -1).astype(np.int32),
        ),
        stop_times=gtfs.StopTimes(
            trip=new_trip[st.trip[rows]].astype(np.int32),
            stop=new_stop[st.stop[rows]].astype(np.int32),
            sequence=st.sequence[rows],
            arrival=st.arrival[rows],
            departure=st.departure[rows],
            pickup=st.pickup[rows],
            drop_off=st.drop_off[rows],
        ),
        transfers=gtfs.Transfers(
            from_stop=new_stop[transfers.from_stop[kept_rules]].astype(np.int32),
            to_stop=new_stop[transfers.to_stop[kept_rules]].astype(np.int32),
            kind=transfers.kind[kept_rules],
            min_seconds=transfers.min_seconds[kept_rules],
            restricted=transfers.restricted[kept_rules],
        ),
    )


def merge_feeds(feeds: Sequence[Feed]) -> Feed:
    """One feed from several, identifiers prefixed by their feed's name (module docstring).

    A single feed is returned as it is (no prefix).
    """
    if len(feeds) == 1:
        return feeds[0]
    if not feeds:
        raise ValueError("Aucun flux GTFS à fusionner")
    names = [name for feed in feeds for name in feed.names]
    if len(set(names)) != len(names) or not all(FEED_NAME.fullmatch(n) for n in names):
        raise ValueError(
            "Chaque flux fusionné a un nom distinct fait de lettres, chiffres, _ ou - "
            "(40 caractères au plus)"
        )
    zones = {feed.timezone for feed in feeds} - {None}
    if len(zones) > 1:
        raise ValueError("Les flux fusionnés doivent partager un même fuseau horaire")
    parts = [_prefixed(feed) for feed in feeds]
    stop_offset = np.cumsum([0, *(p.stops.ids.size for p in parts)])
    trip_offset = np.cumsum([0, *(p.trips.ids.size for p in parts)])
    service_offset = np.cumsum([0, *(p.calendar.service_ids.size for p in parts)])
    feed_offset = np.cumsum([0, *(len(p.names) for p in parts)])

    def cat(values: list[NDArray[Any]], dtype: Any) -> NDArray[Any]:
        return np.concatenate(values).astype(dtype)

    def shifted(values: NDArray[Any], offset: int) -> NDArray[Any]:
        return np.where(values >= 0, values + offset, values)

    return Feed(
        names=tuple(names),
        stops=gtfs.Stops(
            ids=cat([p.stops.ids for p in parts], str),
            names=cat([p.stops.names for p in parts], str),
            lon=cat([p.stops.lon for p in parts], np.float64),
            lat=cat([p.stops.lat for p in parts], np.float64),
            location_type=cat([p.stops.location_type for p in parts], np.int8),
            parent=cat(
                [shifted(p.stops.parent, stop_offset[i]) for i, p in enumerate(parts)], np.int32
            ),
            parent_ids=cat([p.stops.parent_ids for p in parts], str),
        ),
        calendar=gtfs.Calendar(
            service_ids=cat([p.calendar.service_ids for p in parts], str),
            weekdays=np.concatenate([p.calendar.weekdays for p in parts]).reshape(-1, 7),
            start=cat([p.calendar.start for p in parts], np.int32),
            end=cat([p.calendar.end for p in parts], np.int32),
            exception_service=cat(
                [p.calendar.exception_service + service_offset[i] for i, p in enumerate(parts)],
                np.int32,
            ),
            exception_date=cat([p.calendar.exception_date for p in parts], np.int32),
            exception_type=cat([p.calendar.exception_type for p in parts], np.int8),
        ),
        service_feed=cat([p.service_feed + feed_offset[i] for i, p in enumerate(parts)], np.int16),
        trips=gtfs.Trips(
            ids=cat([p.trips.ids for p in parts], str),
            route_ids=cat([p.trips.route_ids for p in parts], str),
            service=cat(
                [shifted(p.trips.service, service_offset[i]) for i, p in enumerate(parts)],
                np.int32,
            ),
        ),
        stop_times=gtfs.StopTimes(
            trip=cat([p.stop_times.trip + trip_offset[i] for i, p in enumerate(parts)], np.int32),
            stop=cat([p.stop_times.stop + stop_offset[i] for i, p in enumerate(parts)], np.int32),
            sequence=cat([p.stop_times.sequence for p in parts], np.int32),
            arrival=cat([p.stop_times.arrival for p in parts], np.int32),
            departure=cat([p.stop_times.departure for p in parts], np.int32),
            pickup=cat([p.stop_times.pickup for p in parts], np.int8),
            drop_off=cat([p.stop_times.drop_off for p in parts], np.int8),
        ),
        transfers=gtfs.Transfers(
            from_stop=cat(
                [p.transfers.from_stop + stop_offset[i] for i, p in enumerate(parts)], np.int32
            ),
            to_stop=cat(
                [p.transfers.to_stop + stop_offset[i] for i, p in enumerate(parts)], np.int32
            ),
            kind=cat([p.transfers.kind for p in parts], np.int8),
            min_seconds=cat([p.transfers.min_seconds for p in parts], np.int32),
            restricted=cat([p.transfers.restricted for p in parts], bool),
        ),
        timezone=next(iter(zones), None),
        routes=gtfs.Routes(
            ids=cat([p.routes.ids for p in parts], str),
            short_names=cat([p.routes.short_names for p in parts], str),
            long_names=cat([p.routes.long_names for p in parts], str),
            route_type=cat([p.routes.route_type for p in parts], np.int16),
        ),
    )


def _prefixed(feed: Feed) -> Feed:
    """The feed with its identifiers prefixed by ``"{name}:"`` (a merged feed: unchanged)."""
    if len(feed.names) != 1:
        return feed
    prefix = f"{feed.names[0]}:"

    def add(values: NDArray[np.str_], *, keep_empty: bool = False) -> NDArray[np.str_]:
        prefixed: NDArray[np.str_] = np.char.add(prefix, values.astype(str))
        if keep_empty:
            prefixed = np.where(values == "", values, prefixed)
        return prefixed

    return replace(
        feed,
        stops=replace(
            feed.stops,
            ids=add(feed.stops.ids),
            parent_ids=add(feed.stops.parent_ids, keep_empty=True),
        ),
        calendar=replace(feed.calendar, service_ids=add(feed.calendar.service_ids)),
        trips=replace(feed.trips, ids=add(feed.trips.ids), route_ids=add(feed.trips.route_ids)),
        routes=replace(feed.routes, ids=add(feed.routes.ids)),
    )
