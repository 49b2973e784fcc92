"""Read a GTFS timetable (zip archive or unzipped folder) into numpy arrays.

Pure functions: each reads one or two tables of the feed and returns a frozen dataclass of
numpy arrays, indexed by position (a stop is ``stops.ids[i]`` and is called ``i`` everywhere
else). Nothing is cached and nothing is read at import.

What is honoured
----------------
- Files are UTF-8 with or without a byte-order mark; a zip may hold the tables at its root or
  in one sub-folder. pandas' C parser reads them, each column dictionary-encoded (`Coded`):
  the national TER feed (300,000 stop times) reads in under a second in ~30 MB.
- Times are seconds after midnight of the *service day* (``int32``); times past
  ``24:00:00`` (a trip that runs after midnight) are kept as they are, e.g. ``25:10:00`` is
  ``90600``. A router decides how to place them on the next calendar day.
- ``stop_times.txt`` rows without times (non-timepoints) are interpolated linearly by their
  position along the trip (not by ``shape_dist_traveled``); a trip's first and last stop must
  carry a time. Within a row, a missing arrival takes the departure and vice versa, and a
  departure earlier than its arrival is lifted to the arrival. ``pickup_type`` and
  ``drop_off_type`` are kept (`StopTimes`).
- ``calendar.txt`` (weekdays between ``start_date`` and ``end_date``, inclusive) and
  ``calendar_dates.txt`` (``exception_type`` 1 = service added on that date, 2 = removed);
  either file may be absent, not both (the SNCF's TER feed has only ``calendar_dates.txt``).
  See `active_services`.
- ``stops.txt`` ``location_type`` (0 or empty: a stop or platform where vehicles call,
  1: a station grouping platforms, 2: an entrance, 3: a generic node, 4: a boarding area) and
  ``parent_station``, kept as the raw identifier too since some feeds (Nantes) name parent
  stations that ``stops.txt`` does not list.
- ``transfers.txt`` rows between listed stops (`read_transfers`; what they mean for a rider
  is `geodata.transit`'s business) and ``frequencies.txt``, expanded into concrete trips
  (`expand_frequencies`).
- ``routes.txt``: each line's ``route_short_name``, ``route_long_name`` and ``route_type``
  (`read_routes`), to tell a rider which line and which vehicle; optional (a feed without it
  rides unnamed lines of unknown vehicle).

What is ignored
---------------
``pathways.txt``, fares, shapes, the rest of ``routes.txt`` (colours, URLs, agency) and
``agency.txt`` beyond its time zone (`read_timezone`).

Errors are `ValueError`s with a French message naming the file and the column or value.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

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
class Routes:
    """The rows of ``routes.txt``.

    Attributes
    ----------
    ids, short_names, long_names : (r,) str
        ``route_id``, ``route_short_name`` and ``route_long_name`` (``""`` when empty).
    route_type : (r,) int16
        GTFS ``route_type`` (basic 0–12 or extended 100–1702, see
        `geodata.journeys.vehicle_of_route_type`), -1 when empty.
    """

    ids: NDArray[np.str_]
    short_names: NDArray[np.str_]
    long_names: NDArray[np.str_]
    route_type: NDArray[np.int16]

    @classmethod
    def empty(cls) -> Routes:
        """No route (a feed without ``routes.txt``)."""
        text = np.zeros(0, dtype=str)
        return cls(ids=text, short_names=text, long_names=text, route_type=np.zeros(0, np.int16))


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
    pickup, drop_off : (k,) int8
        ``pickup_type`` and ``drop_off_type`` (0 when empty): 1 means nobody boards, resp.
        alights, at that call; 0, 2 (phone the agency) and 3 (ask the driver) allow it.
    """

    trip: NDArray[np.int32]
    stop: NDArray[np.int32]
    sequence: NDArray[np.int32]
    arrival: NDArray[np.int32]
    departure: NDArray[np.int32]
    pickup: NDArray[np.int8]
    drop_off: NDArray[np.int8]


@dataclass(frozen=True, slots=True, eq=False)
class Transfers:
    """The rows of ``transfers.txt`` whose stops ``stops.txt`` lists.

    Attributes
    ----------
    from_stop, to_stop : (r,) int32
        Indices into `Stops` (a station stands for its platforms).
    kind : (r,) int8
        ``transfer_type``: 0 recommended, 1 timed (the departing vehicle waits), 2 minimum
        time, 3 forbidden, 4 and 5 in-seat transfers.
    min_seconds : (r,) int32
        ``min_transfer_time``, -1 when empty.
    restricted : (r,) bool
        True when the row names a ``from_route_id``, ``to_route_id``, ``from_trip_id`` or
        ``to_trip_id``: a rule for some vehicles only.
    """

    from_stop: NDArray[np.int32]
    to_stop: NDArray[np.int32]
    kind: NDArray[np.int8]
    min_seconds: NDArray[np.int32]
    restricted: NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class Frequencies:
    """The rows of ``frequencies.txt``.

    Attributes
    ----------
    trip : (f,) int32
        Index into `Trips` of the template trip.
    start, end : (f,) int32
        ``start_time`` and ``end_time``, seconds after midnight of the service day: the first
        departure of the template's first stop is at ``start``, the last before ``end``.
    headway : (f,) int32
        ``headway_secs`` (> 0).
    exact : (f,) bool
        ``exact_times`` = 1 (a schedule) rather than 0 (a frequency).
    """

    trip: NDArray[np.int32]
    start: NDArray[np.int32]
    end: NDArray[np.int32]
    headway: NDArray[np.int32]
    exact: NDArray[np.bool_]


# --- reading tables ----------------------------------------------------------------------


@contextmanager
def _open_member(feed: FeedPath, name: str) -> Iterator[IO[bytes] | None]:
    """Yield a binary stream over table ``name`` of the feed, or None when it is absent."""
    path = Path(feed)
    if path.is_dir():
        file = path / name
        if not file.is_file():
            yield None
            return
        with file.open("rb") as stream:
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
        with archive.open(member) as stream:
            yield stream


@dataclass(frozen=True, slots=True, eq=False)
class Coded:
    """A text column stored as codes into its distinct values (a dictionary encoding).

    ``values[codes]`` is the column; ``values`` are stripped of surrounding spaces and may
    hold a value twice when two raw values differ only by spaces (harmless for look-ups).
    """

    codes: NDArray[np.int32]
    values: NDArray[np.str_]

    def decode(self) -> NDArray[np.str_]:
        """The column as one string per row."""
        decoded: NDArray[np.str_] = self.values[self.codes]
        return decoded


def _read_columns(
    feed: FeedPath,
    name: str,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    must_exist: bool,
) -> dict[str, Coded] | None:
    """Read the named columns of one table, each dictionary-encoded (see `Coded`).

    pandas' C parser reads the file (quotes, a byte-order mark, blank lines, short rows
    padded with ``""``, extra cells ignored); a category per column keeps a national
    ``stop_times.txt`` (300,000 rows of 45-character identifiers) in a few megabytes.
    """
    import pandas as pd

    wanted = {*required, *optional}
    with _open_member(feed, name) as stream:
        if stream is None:
            if must_exist:
                raise ValueError(f"Fichier GTFS obligatoire absent : {name} (flux {feed})")
            return None
        try:
            frame = pd.read_csv(
                stream,
                encoding="utf-8-sig",
                dtype="category",
                na_filter=False,
                index_col=False,
                usecols=lambda column: str(column).strip() in wanted,
                skip_blank_lines=True,
            )
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        except (pd.errors.ParserError, UnicodeDecodeError):
            raise ValueError(f"Fichier GTFS illisible : {name} (CSV UTF-8 attendu)") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"Colonne obligatoire absente de {name} : {', '.join(missing)}")
    rows = len(frame)
    columns: dict[str, Coded] = {}
    for column in [*required, *optional]:
        if column in columns:
            continue
        if column not in frame.columns:
            columns[column] = Coded(np.zeros(rows, dtype=np.int32), np.array([""], dtype=str))
            continue
        series = frame[column]
        if isinstance(series, pd.DataFrame):  # a column named twice: the first one counts
            series = series.iloc[:, 0]
        categorical = series.astype("category")
        values = np.char.strip(np.asarray(categorical.cat.categories, dtype=str))
        codes = np.asarray(categorical.cat.codes, dtype=np.int32)
        if values.size == 0:
            values = np.array([""], dtype=str)
            codes = np.zeros(rows, dtype=np.int32)
        columns[column] = Coded(codes, values)
    return columns


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
    columns = _read_columns(feed, name, required=required, optional=optional, must_exist=must_exist)
    if columns is None:
        return None
    return {column: coded.decode() for column, coded in columns.items()}


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


def parse_dates(values: NDArray[np.str_], *, name: str) -> NDArray[np.int32]:
    """`parse_date` over an array (each distinct string parsed once)."""
    unique, inverse = np.unique(values, return_inverse=True)
    parsed = np.array([parse_date(str(value), name=name) for value in unique], dtype=np.int32)
    return parsed[inverse.reshape(-1)]


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
        start[:n_weekly] = parse_dates(weekly["start_date"], name="calendar.txt")
        end[:n_weekly] = parse_dates(weekly["end_date"], name="calendar.txt")

    if exceptions is not None:
        kinds = exceptions["exception_type"]
        if not np.isin(kinds, ("1", "2")).all():
            raise ValueError(
                "Valeur invalide dans calendar_dates.txt (exception_type) : attendu 1 ou 2"
            )
        exception_service = _index_of(service_ids, exception_ids, what="service_id")
        exception_date = parse_dates(exceptions["date"], name="calendar_dates.txt")
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


def read_routes(feed: FeedPath) -> Routes:
    """Read ``routes.txt`` (required ``route_id``; names and ``route_type`` when present); an
    absent file gives no route. The names only tell riders which line they take, so a
    ``route_id`` listed twice keeps its first row rather than refusing the feed."""
    name = "routes.txt"
    table = read_table(
        feed,
        name,
        required=("route_id",),
        optional=("route_short_name", "route_long_name", "route_type"),
        must_exist=False,
    )
    if table is None:
        return Routes.empty()
    _, first = np.unique(table["route_id"], return_index=True)
    first = np.sort(first)
    route_type = _parse_ints(table["route_type"], default=-1, name=name, column="route_type")
    if ((route_type < -1) | (route_type > 9999)).any():
        raise ValueError("Valeur invalide dans routes.txt (route_type) : attendu 0 à 9999")
    return Routes(
        ids=table["route_id"][first],
        short_names=table["route_short_name"][first],
        long_names=table["route_long_name"][first],
        route_type=route_type[first].astype(np.int16),
    )


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
    ``stop_sequence``; ``pickup_type`` and ``drop_off_type`` are read when present. Empty
    times are interpolated (see the module docstring).
    """
    name = "stop_times.txt"
    columns = _read_columns(
        feed,
        name,
        required=("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
        optional=("pickup_type", "drop_off_type"),
        must_exist=True,
    )
    assert columns is not None  # must_exist=True raised otherwise
    trip = _coded_index(trips.ids, columns["trip_id"], what="stop_times.txt : trip_id")
    stop = _coded_index(stops.ids, columns["stop_id"], what="stop_times.txt : stop_id")
    sequence = _coded_ints(columns["stop_sequence"], default=-1, name=name, column="stop_sequence")
    if (sequence < 0).any():
        raise ValueError("stop_sequence manquant ou négatif dans stop_times.txt")
    pickup = _coded_ints(columns["pickup_type"], default=0, name=name, column="pickup_type")
    drop_off = _coded_ints(columns["drop_off_type"], default=0, name=name, column="drop_off_type")
    try:
        arrival = _coded_times(columns["arrival_time"])
        departure = _coded_times(columns["departure_time"])
    except ValueError as error:
        raise ValueError(f"{error} dans {name}") from None
    del columns

    order = np.lexsort((sequence, trip))
    trip, stop = trip[order], stop[order]
    sequence32 = sequence[order].astype(np.int32)
    arrival, departure = arrival[order], departure[order]
    arrival = np.where(arrival < 0, departure, arrival)
    departure = np.where(departure < 0, arrival, departure)
    arrival, departure = _interpolate_missing(trip, arrival, departure)
    departure = np.maximum(departure, arrival)
    return StopTimes(
        trip=trip,
        stop=stop,
        sequence=sequence32,
        arrival=arrival,
        departure=departure,
        pickup=pickup[order].astype(np.int8),
        drop_off=drop_off[order].astype(np.int8),
    )


def _coded_index(keys: NDArray[np.str_], column: Coded, *, what: str) -> NDArray[np.int32]:
    """`_index_of` for a dictionary-encoded column: each distinct value looked up once."""
    used = np.zeros(column.values.size, dtype=bool)
    used[column.codes] = True
    lookup = np.full(column.values.size, -1, dtype=np.int32)
    lookup[used] = _index_of(keys, column.values[used], what=what)
    index: NDArray[np.int32] = lookup[column.codes]
    return index


def _coded_ints(coded: Coded, *, default: int, name: str, column: str) -> NDArray[np.int64]:
    """`_parse_ints` of a dictionary-encoded column (each distinct value parsed once)."""
    parsed = _parse_ints(coded.values, default=default, name=name, column=column)
    ints: NDArray[np.int64] = parsed[coded.codes]
    return ints


def _coded_times(column: Coded) -> NDArray[np.int32]:
    """`parse_times` of a dictionary-encoded column; -1 where empty."""
    parsed = np.array([parse_time(str(value)) for value in column.values], dtype=np.int32)
    times: NDArray[np.int32] = parsed[column.codes]
    return times


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


def read_transfers(feed: FeedPath, stops: Stops) -> Transfers:
    """Read ``transfers.txt`` (an absent file gives no rule).

    Rows whose ``from_stop_id`` or ``to_stop_id`` is empty (in-seat rules between trips) or
    names a stop that ``stops.txt`` does not list are left out; an empty ``transfer_type``
    is 0. What a router makes of each type is its own business (see `geodata.transit`).
    """
    name = "transfers.txt"
    table = read_table(
        feed,
        name,
        required=("transfer_type",),
        optional=(
            "from_stop_id",
            "to_stop_id",
            "min_transfer_time",
            "from_route_id",
            "to_route_id",
            "from_trip_id",
            "to_trip_id",
        ),
        must_exist=False,
    )
    if table is None:
        empty = np.zeros(0, dtype=np.int32)
        return Transfers(empty, empty, np.zeros(0, dtype=np.int8), empty, np.zeros(0, dtype=bool))
    kind = _parse_ints(table["transfer_type"], default=0, name=name, column="transfer_type")
    if ((kind < 0) | (kind > 5)).any():
        raise ValueError("Valeur invalide dans transfers.txt (transfer_type) : attendu 0 à 5")
    seconds = _parse_ints(
        table["min_transfer_time"], default=-1, name=name, column="min_transfer_time"
    )
    if (seconds < -1).any():
        raise ValueError("Valeur invalide dans transfers.txt (min_transfer_time) : négative")
    known = np.isin(table["from_stop_id"], stops.ids) & np.isin(table["to_stop_id"], stops.ids)
    restricted = np.zeros(known.size, dtype=bool)
    for column in ("from_route_id", "to_route_id", "from_trip_id", "to_trip_id"):
        restricted |= table[column] != ""
    return Transfers(
        from_stop=_index_of(stops.ids, table["from_stop_id"][known], what="Arrêt"),
        to_stop=_index_of(stops.ids, table["to_stop_id"][known], what="Arrêt"),
        kind=kind[known].astype(np.int8),
        min_seconds=seconds[known].astype(np.int32),
        restricted=restricted[known],
    )


def read_frequencies(feed: FeedPath, trips: Trips) -> Frequencies:
    """Read ``frequencies.txt`` (an absent file gives no row).

    Required columns: ``trip_id``, ``start_time``, ``end_time``, ``headway_secs``;
    ``exact_times`` is read when present (empty is 0).
    """
    name = "frequencies.txt"
    table = read_table(
        feed,
        name,
        required=("trip_id", "start_time", "end_time", "headway_secs"),
        optional=("exact_times",),
        must_exist=False,
    )
    if table is None or table["trip_id"].size == 0:
        empty = np.zeros(0, dtype=np.int32)
        return Frequencies(empty, empty, empty, empty, np.zeros(0, dtype=bool))
    trip = _index_of(trips.ids, table["trip_id"], what="frequencies.txt : trip_id")
    try:
        start = parse_times(table["start_time"])
        end = parse_times(table["end_time"])
    except ValueError as error:
        raise ValueError(f"{error} dans {name}") from None
    headway = _parse_ints(table["headway_secs"], default=0, name=name, column="headway_secs")
    if (start < 0).any() or (end < 0).any():
        raise ValueError("start_time ou end_time manquant dans frequencies.txt")
    if (headway <= 0).any():
        raise ValueError("Valeur invalide dans frequencies.txt (headway_secs) : attendu > 0")
    exact = _parse_ints(table["exact_times"], default=0, name=name, column="exact_times")
    if not np.isin(exact, (0, 1)).all():
        raise ValueError("Valeur invalide dans frequencies.txt (exact_times) : attendu 0 ou 1")
    return Frequencies(
        trip=trip,
        start=start,
        end=end,
        headway=headway.astype(np.int32),
        exact=exact == 1,
    )


def expand_frequencies(
    trips: Trips, stop_times: StopTimes, frequencies: Frequencies
) -> tuple[Trips, StopTimes]:
    """Replace each trip of ``frequencies.txt`` by one concrete trip per departure.

    A template trip's stop times give the shape of the run: each copy departs its first stop
    at ``start``, ``start + headway``, ... while before ``end`` (one row of the file), and
    keeps the template's durations between calls, pickup and drop-off types, route and
    service. Both ``exact_times`` take the same departures: for 0 (a frequency, not a
    schedule) they stand for "one vehicle every ``headway`` seconds", which a rider meets
    on average after the same wait. A copy is named ``"{trip_id}@HH:MM:SS"``; the template
    itself no longer runs. Other trips keep their order; copies follow, by template then
    departure. Two rows giving the same departure of one template give one copy.

    Returns
    -------
    (Trips, StopTimes)
        New tables (the inputs are left as they are), stop times sorted by trip and
        ``stop_sequence``.
    """
    if frequencies.trip.size == 0:
        return trips, stop_times
    n_trips = trips.ids.size
    is_template = np.zeros(n_trips, dtype=bool)
    is_template[frequencies.trip] = True

    counts = np.maximum(-(-(frequencies.end - frequencies.start) // frequencies.headway), 0)
    row = np.repeat(np.arange(counts.size), counts)
    rank = np.arange(row.size) - np.repeat(np.cumsum(counts) - counts, counts)
    copy_start = frequencies.start[row] + rank * frequencies.headway[row]
    copy_template = frequencies.trip[row]
    pairs = np.unique(np.column_stack([copy_template, copy_start]).astype(np.int64), axis=0)
    copy_template, copy_start = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)

    first = np.searchsorted(stop_times.trip, np.arange(n_trips))
    last = np.searchsorted(stop_times.trip, np.arange(n_trips), side="right")
    lengths = (last - first)[copy_template]
    rows = np.repeat(first[copy_template] - np.cumsum(lengths) + lengths, lengths) + np.arange(
        lengths.sum()
    )
    copy_of_row = np.repeat(np.arange(copy_template.size), lengths)
    has_rows = lengths > 0
    shift = np.zeros(copy_template.size, dtype=np.int64)
    shift[has_rows] = copy_start[has_rows] - stop_times.departure[first[copy_template[has_rows]]]
    row_shift = shift[copy_of_row]

    kept = ~is_template
    new_index = np.cumsum(kept) - 1  # position of each kept trip among the kept ones
    n_kept = int(kept.sum())
    keep_rows = kept[stop_times.trip]
    stamps = np.array([_hms(int(t)) for t in copy_start], dtype=str)
    copy_ids = np.char.add(np.char.add(trips.ids[copy_template], "@"), stamps)
    new_trips = Trips(
        ids=np.concatenate([trips.ids[kept], copy_ids]).astype(str),
        route_ids=np.concatenate([trips.route_ids[kept], trips.route_ids[copy_template]]).astype(
            str
        ),
        service=np.concatenate([trips.service[kept], trips.service[copy_template]]).astype(
            np.int32
        ),
    )

    def both(values: NDArray[Any], copies: NDArray[Any]) -> NDArray[Any]:
        return np.concatenate([values[keep_rows], copies]).astype(values.dtype)

    new_stop_times = StopTimes(
        trip=both(new_index[stop_times.trip].astype(np.int32), n_kept + copy_of_row),
        stop=both(stop_times.stop, stop_times.stop[rows]),
        sequence=both(stop_times.sequence, stop_times.sequence[rows]),
        arrival=both(stop_times.arrival, stop_times.arrival[rows] + row_shift),
        departure=both(stop_times.departure, stop_times.departure[rows] + row_shift),
        pickup=both(stop_times.pickup, stop_times.pickup[rows]),
        drop_off=both(stop_times.drop_off, stop_times.drop_off[rows]),
    )
    return new_trips, new_stop_times


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
