"""Read a GTFS timetable (zip archive or unzipped folder) into numpy arrays.

Pure functions: each reads one or two tables of the feed and returns a frozen dataclass of
numpy arrays, indexed by position (a stop is ``stops.ids[i]`` and is called ``i`` everywhere
else). Nothing is cached and nothing is read at import.

What is honoured
----------------
- Files are UTF-8 with or without a byte-order mark; a zip may hold the tables at its root or
  in one sub-folder.
- Times are seconds after midnight of the *service day* (``int32``); times past
  ``24:00:00`` (a trip that runs after midnight) are kept as they are, e.g. ``25:10:00`` is
  ``90600``. A router decides how to place them on the next calendar day.
- ``stop_times.txt`` rows without times (non-timepoints) are interpolated linearly by their
  position along the trip (not by ``shape_dist_traveled``); a trip's first and last stop must
  carry a time. Within a row, a missing arrival takes the departure and vice versa, and a
  departure earlier than its arrival is lifted to the arrival.
- ``calendar.txt`` (weekdays between ``start_date`` and ``end_date``, inclusive) and
  ``calendar_dates.txt`` (``exception_type`` 1 = service added on that date, 2 = removed);
  either file may be absent, not both. See `active_services`.
- ``stops.txt`` ``location_type`` (0 or empty: a stop or platform where vehicles call,
  1: a station grouping platforms, 2: an entrance, 3: a generic node, 4: a boarding area) and
  ``parent_station``, kept as the raw identifier too since some feeds (Nantes) name parent
  stations that ``stops.txt`` does not list.

What is ignored
---------------
``frequencies.txt`` (headway-based trips are read as their single template trip),
``transfers.txt`` (a router builds its own walking transfers), ``pathways.txt``, fares,
shapes and ``agency.txt`` beyond its time zone (`read_timezone`).

Errors are `ValueError`s with a French message naming the file and the column or value.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

FeedPath = str | os.PathLike[str]
"""A GTFS feed: a ``.zip`` archive or a folder holding the ``.txt`` tables."""

Table = dict[str, NDArray[np.str_]]
"""A table read as text: column name → one string per row (``""`` where the cell is empty)."""


@dataclass(frozen=True, slots=True, eq=False)
class Stops:
    """The rows of ``stops.txt``, in file order.

    Attributes
    ----------
    ids, names : (n,) str
        ``stop_id`` and ``stop_name``.
    lon, lat : (n,) float64
        EPSG:4326 degrees; NaN where the feed gives none (allowed for generic nodes and
        boarding areas).
    location_type : (n,) int8
        0 stop or platform, 1 station, 2 entrance, 3 generic node, 4 boarding area.
    parent : (n,) int32
        Index of the ``parent_station`` in this table, -1 when there is none or when the feed
        names a parent it does not list.
    parent_ids : (n,) str
        The raw ``parent_station`` (``""`` when none): platforms sharing it belong together.
    """

    ids: NDArray[np.str_]
    names: NDArray[np.str_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    location_type: NDArray[np.int8]
    parent: NDArray[np.int32]
    parent_ids: NDArray[np.str_]


@dataclass(frozen=True, slots=True, eq=False)
class Calendar:
    """The services of ``calendar.txt`` and ``calendar_dates.txt``.

    Dates are proleptic Gregorian ordinals (`datetime.date.toordinal`), ``int32``.

    Attributes
    ----------
    service_ids : (s,) str
    weekdays : (s, 7) bool
        Monday first. All False for a service known only from ``calendar_dates.txt``.
    start, end : (s,) int32
        Inclusive date range of the weekday rule.
    exception_service : (e,) int32
        Index of the service in ``service_ids``.
    exception_date : (e,) int32
    exception_type : (e,) int8
        1 = service added on that date, 2 = service removed on that date.
    """

    service_ids: NDArray[np.str_]
    weekdays: NDArray[np.bool_]
    start: NDArray[np.int32]
    end: NDArray[np.int32]
    exception_service: NDArray[np.int32]
    exception_date: NDArray[np.int32]
    exception_type: NDArray[np.int8]


@dataclass(frozen=True, slots=True, eq=False)
class Trips:
    """The rows of ``trips.txt``.

    Attributes
    ----------
    ids, route_ids : (t,) str
    service : (t,) int32
        Index into `Calendar.service_ids`; -1 for a ``service_id`` that neither calendar file
        defines (such a trip never runs).
    """

    ids: NDArray[np.str_]
    route_ids: NDArray[np.str_]
    service: NDArray[np.int32]


@dataclass(frozen=True, slots=True, eq=False)
class StopTimes:
    """The rows of ``stop_times.txt``, sorted by trip then ``stop_sequence``.

    Attributes
    ----------
    trip : (k,) int32
        Index into `Trips`.
    stop : (k,) int32
        Index into `Stops`.
    sequence : (k,) int32
        ``stop_sequence``.
    arrival, departure : (k,) int32
        Seconds after midnight of the service day (may exceed 86 400), interpolated where the
        feed leaves them empty; ``departure >= arrival``.
    """

    trip: NDArray[np.int32]
    stop: NDArray[np.int32]
    sequence: NDArray[np.int32]
    arrival: NDArray[np.int32]
    departure: NDArray[np.int32]


# --- reading tables ----------------------------------------------------------------------


@contextmanager
def _open_member(feed: FeedPath, name: str) -> Iterator[io.TextIOBase | None]:
    """Yield a text stream over table ``name`` of the feed, or None when it is absent."""
    path = Path(feed)
    if path.is_dir():
        file = path / name
        if not file.is_file():
            yield None
            return
        with file.open(encoding="utf-8-sig", newline="") as stream:
            yield stream
        return
    if not (path.is_file() and zipfile.is_zipfile(path)):
        raise ValueError(f"Flux GTFS introuvable : {path} n'est ni un dossier ni une archive zip")
    with zipfile.ZipFile(path) as archive:
        candidates = [
            member
            for member in archive.namelist()
            if member.rsplit("/", 1)[-1] == name and not member.startswith("__MACOSX/")
        ]
        if not candidates:
            yield None
            return
        member = min(candidates, key=lambda m: m.count("/"))
        with (
            archive.open(member) as raw,
            io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as stream,
        ):
            yield stream


def read_table(
    feed: FeedPath,
    name: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    must_exist: bool = True,
) -> Table | None:
    """Read the named columns of one table as strings.

    Parameters
    ----------
    feed
        A ``.zip`` archive or a folder.
    name
        The file name, e.g. ``"stops.txt"``.
    required
        Columns that must be present (`ValueError` otherwise).
    optional
        Columns read when present, filled with ``""`` otherwise.
    must_exist
        When False, an absent file gives None instead of a `ValueError`.

    Returns
    -------
    dict or None
        Column → (rows,) str array, cells stripped of surrounding spaces; blank lines skipped.
    """
    with _open_member(feed, name) as stream:
        if stream is None:
            if must_exist:
                raise ValueError(f"Fichier GTFS obligatoire absent : {name} (flux {feed})")
            return None
        reader = csv.reader(stream)
        header = [column.strip() for column in next(reader, [])]
        missing = [column for column in required if column not in header]
        if missing:
            raise ValueError(f"Colonne obligatoire absente de {name} : {', '.join(missing)}")
        wanted = [*required, *(column for column in optional if column in header)]
        positions = [header.index(column) for column in wanted]
        columns: list[list[str]] = [[] for _ in wanted]
        width = len(header)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            cells = row if len(row) >= width else row + [""] * (width - len(row))
            for values, position in zip(columns, positions, strict=True):
                values.append(cells[position].strip())
    table: Table = {
        column: np.array(values, dtype=str) for column, values in zip(wanted, columns, strict=True)
    }
    rows = len(columns[0]) if columns else 0
    for column in optional:
        if column not in table:
            table[column] = np.full(rows, "", dtype=str)
    return table


def _required_table(
    feed: FeedPath, name: str, required: Sequence[str], optional: Sequence[str]
) -> Table:
    table = read_table(feed, name, required=required, optional=optional)
    assert table is not None  # must_exist=True raised otherwise
    return table


def _index_of(keys: NDArray[np.str_], values: NDArray[np.str_], *, what: str) -> NDArray[np.int32]:
    """Positions of ``values`` in ``keys`` (unique); `ValueError` naming the first unknown."""
    if keys.size == 0:
        if values.size:
            raise ValueError(f"{what} inconnu : {values[0]!r}")
        return np.zeros(0, dtype=np.int32)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    position = np.searchsorted(sorted_keys, values).clip(0, keys.size - 1)
    found = sorted_keys[position] == values
    if not found.all():
        raise ValueError(f"{what} inconnu : {values[~found][0]!r}")
    index: NDArray[np.int32] = order[position].astype(np.int32)
    return index


def _unique_ids(ids: NDArray[np.str_], *, name: str, column: str) -> None:
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"Identifiant en double dans {name} ({column}) : {unique[counts > 1][0]!r}"
        )


# --- values --------------------------------------------------------------------------------


def parse_time(value: str) -> int:
    """Seconds after midnight of the service day for ``H:MM:SS`` (hours may exceed 23).

    Returns -1 for an empty string; raises `ValueError` for anything else malformed.
    """
    text = value.strip()
    if not text:
        return -1
    parts = text.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"Horaire GTFS invalide : {value!r} (attendu HH:MM:SS)")
    hours, minutes, seconds = (int(part) for part in parts)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"Horaire GTFS invalide : {value!r} (attendu HH:MM:SS)")
    return hours * 3600 + minutes * 60 + seconds


def parse_times(values: NDArray[np.str_]) -> NDArray[np.int32]:
    """`parse_time` over an array (each distinct string parsed once); -1 where empty."""
    unique, inverse = np.unique(values, return_inverse=True)
    parsed = np.array([parse_time(str(value)) for value in unique], dtype=np.int32)
    return parsed[inverse.reshape(-1)]


def parse_date(value: str, *, name: str) -> int:
    """The ordinal of a ``YYYYMMDD`` date; `ValueError` naming the file otherwise."""
    text = value.strip()
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).toordinal()
    except ValueError:
        raise ValueError(f"Date GTFS invalide dans {name} : {value!r} (attendu AAAAMMJJ)") from None


def _parse_floats(values: NDArray[np.str_], *, name: str, column: str) -> NDArray[np.float64]:
    out = np.full(values.shape, np.nan)
    present = values != ""
    try:
        out[present] = values[present].astype(np.float64)
    except ValueError:
        raise ValueError(f"Nombre invalide dans {name} ({column})") from None
    return out


def _parse_ints(
    values: NDArray[np.str_], *, default: int, name: str, column: str
) -> NDArray[np.int64]:
    out = np.full(values.shape, default, dtype=np.int64)
    present = values != ""
    try:
        out[present] = values[present].astype(np.float64).astype(np.int64)
    except ValueError:
        raise ValueError(f"Entier invalide dans {name} ({column})") from None
    return out


# --- tables ----------------------------------------------------------------------------


def read_stops(feed: FeedPath) -> Stops:
    """Read ``stops.txt`` (required columns ``stop_id``, ``stop_lat``, ``stop_lon``)."""
    name = "stops.txt"
    table = _required_table(
        feed,
        name,
        ("stop_id", "stop_lat", "stop_lon"),
        ("stop_name", "location_type", "parent_station"),
    )
    ids = table["stop_id"]
    _unique_ids(ids, name=name, column="stop_id")
    lon = _parse_floats(table["stop_lon"], name=name, column="stop_lon")
    lat = _parse_floats(table["stop_lat"], name=name, column="stop_lat")
    bad = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        raise ValueError(f"Coordonnées hors limites dans {name} : arrêt {ids[bad][0]!r}")
    location_type = _parse_ints(
        table["location_type"], default=0, name=name, column="location_type"
    )
    parent_ids = table["parent_station"]
    parent = np.full(ids.size, -1, dtype=np.int32)
    has_parent = parent_ids != ""
    if has_parent.any() and ids.size:
        order = np.argsort(ids)
        position = np.searchsorted(ids[order], parent_ids).clip(0, ids.size - 1)
        listed = has_parent & (ids[order][position] == parent_ids)
        parent[listed] = order[position[listed]]
    return Stops(
        ids=ids,
        names=table["stop_name"],
        lon=lon,
        lat=lat,
        location_type=location_type.astype(np.int8),
        parent=parent,
        parent_ids=parent_ids,
    )


def read_calendar(feed: FeedPath) -> Calendar:
    """Read ``calendar.txt`` and ``calendar_dates.txt``; at least one must exist."""
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    weekly = read_table(
        feed,
        "calendar.txt",
        required=("service_id", *days, "start_date", "end_date"),
        must_exist=False,
    )
    exceptions = read_table(
        feed,
        "calendar_dates.txt",
        required=("service_id", "date", "exception_type"),
        must_exist=False,
    )
    if weekly is None and exceptions is None:
        raise ValueError("Le flux GTFS ne contient ni calendar.txt ni calendar_dates.txt")
    weekly_ids = weekly["service_id"] if weekly is not None else np.zeros(0, dtype=str)
    _unique_ids(weekly_ids, name="calendar.txt", column="service_id")
    exception_ids = exceptions["service_id"] if exceptions is not None else np.zeros(0, dtype=str)
    extra = np.setdiff1d(np.unique(exception_ids), weekly_ids)
    service_ids = np.concatenate([weekly_ids, extra]).astype(str)

    n_weekly, n_all = weekly_ids.size, service_ids.size
    weekdays = np.zeros((n_all, 7), dtype=bool)
    start = np.ones(n_all, dtype=np.int32)  # start > end: no weekday rule
    end = np.zeros(n_all, dtype=np.int32)
    if weekly is not None:
        for column, day in enumerate(days):
            flags = weekly[day]
            if not np.isin(flags, ("0", "1")).all():
                raise ValueError(f"Valeur invalide dans calendar.txt ({day}) : attendu 0 ou 1")
            weekdays[:n_weekly, column] = flags == "1"
        start[:n_weekly] = [parse_date(v, name="calendar.txt") for v in weekly["start_date"]]
        end[:n_weekly] = [parse_date(v, name="calendar.txt") for v in weekly["end_date"]]

    if exceptions is not None:
        kinds = exceptions["exception_type"]
        if not np.isin(kinds, ("1", "2")).all():
            raise ValueError(
                "Valeur invalide dans calendar_dates.txt (exception_type) : attendu 1 ou 2"
            )
        exception_service = _index_of(service_ids, exception_ids, what="service_id")
        exception_date = np.array(
            [parse_date(v, name="calendar_dates.txt") for v in exceptions["date"]], dtype=np.int32
        )
        exception_type = kinds.astype(np.int8)
    else:
        exception_service = np.zeros(0, dtype=np.int32)
        exception_date = np.zeros(0, dtype=np.int32)
        exception_type = np.zeros(0, dtype=np.int8)
    return Calendar(
        service_ids=service_ids,
        weekdays=weekdays,
        start=start,
        end=end,
        exception_service=exception_service,
        exception_date=exception_date,
        exception_type=exception_type,
    )


def active_services(calendar: Calendar, day: date) -> NDArray[np.bool_]:
    """Which services run on ``day``: (s,) bool aligned with `Calendar.service_ids`.

    A service runs when its weekday flag is set and ``start <= day <= end``, unless
    ``calendar_dates.txt`` removes it that day (type 2); type 1 adds it whatever the weekly
    rule says.
    """
    ordinal = day.toordinal()
    active = (
        calendar.weekdays[:, day.weekday()]
        & (calendar.start <= ordinal)
        & (ordinal <= calendar.end)
    )
    today = calendar.exception_date == ordinal
    active[calendar.exception_service[today & (calendar.exception_type == 1)]] = True
    active[calendar.exception_service[today & (calendar.exception_type == 2)]] = False
    return active


def read_trips(feed: FeedPath, calendar: Calendar) -> Trips:
    """Read ``trips.txt`` (required ``route_id``, ``service_id``, ``trip_id``)."""
    name = "trips.txt"
    table = _required_table(feed, name, ("route_id", "service_id", "trip_id"), ())
    ids = table["trip_id"]
    _unique_ids(ids, name=name, column="trip_id")
    service_ids = table["service_id"]
    service = np.full(ids.size, -1, dtype=np.int32)
    known = np.isin(service_ids, calendar.service_ids)
    service[known] = _index_of(calendar.service_ids, service_ids[known], what="service_id")
    return Trips(ids=ids, route_ids=table["route_id"], service=service)


def read_stop_times(feed: FeedPath, stops: Stops, trips: Trips) -> StopTimes:
    """Read ``stop_times.txt``, sorted by trip and ``stop_sequence``, with times completed.

    Required columns: ``trip_id``, ``arrival_time``, ``departure_time``, ``stop_id``,
    ``stop_sequence``. Empty times are interpolated (see the module docstring).
    """
    name = "stop_times.txt"
    table = _required_table(
        feed,
        name,
        ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
        (),
    )
    trip = _index_of(trips.ids, table["trip_id"], what="stop_times.txt : trip_id")
    stop = _index_of(stops.ids, table["stop_id"], what="stop_times.txt : stop_id")
    sequence = _parse_ints(table["stop_sequence"], default=-1, name=name, column="stop_sequence")
    if (sequence < 0).any():
        raise ValueError("stop_sequence manquant ou négatif dans stop_times.txt")
    try:
        arrival = parse_times(table["arrival_time"])
        departure = parse_times(table["departure_time"])
    except ValueError as error:
        raise ValueError(f"{error} dans {name}") from None

    order = np.lexsort((sequence, trip))
    trip, stop = trip[order], stop[order]
    sequence32 = sequence[order].astype(np.int32)
    arrival, departure = arrival[order], departure[order]
    arrival = np.where(arrival < 0, departure, arrival)
    departure = np.where(departure < 0, arrival, departure)
    arrival, departure = _interpolate_missing(trip, arrival, departure)
    departure = np.maximum(departure, arrival)
    return StopTimes(
        trip=trip, stop=stop, sequence=sequence32, arrival=arrival, departure=departure
    )


def _interpolate_missing(
    trip: NDArray[np.int32], arrival: NDArray[np.int32], departure: NDArray[np.int32]
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Fill rows without any time linearly between the timed rows around them in the trip."""
    missing = arrival < 0
    if not missing.any():
        return arrival, departure
    n = trip.size
    index = np.arange(n)
    before = np.maximum.accumulate(np.where(missing, -1, index))
    after = np.minimum.accumulate(np.where(missing, n, index)[::-1])[::-1]
    rows = np.flatnonzero(missing)
    prev, nxt = before[rows], after[rows]
    orphan = (prev < 0) | (nxt >= n)
    orphan[~orphan] = (trip[prev[~orphan]] != trip[rows[~orphan]]) | (
        trip[nxt[~orphan]] != trip[rows[~orphan]]
    )
    if orphan.any():
        raise ValueError(
            "stop_times.txt : le premier et le dernier arrêt de chaque course doivent avoir un "
            "horaire"
        )
    fraction = (rows - prev) / (nxt - prev)
    start, stop = departure[prev], arrival[nxt]
    filled = np.rint(start + fraction * (stop - start)).astype(np.int32)
    arrival, departure = arrival.copy(), departure.copy()
    arrival[rows] = filled
    departure[rows] = filled
    return arrival, departure


def read_timezone(feed: FeedPath) -> str | None:
    """The ``agency_timezone`` of the first agency (IANA name), or None if not given."""
    table = read_table(
        feed, "agency.txt", required=(), optional=("agency_timezone",), must_exist=False
    )
    if table is None:
        return None
    zones = table["agency_timezone"]
    zones = zones[zones != ""]
    return str(zones[0]) if zones.size else None
