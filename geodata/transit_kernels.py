"""The compiled loops of the transit router (`geodata.transit`), plain functions of arrays.

Each function here is compiled by numba on first use (`compiled`; ``cache=True``: once per
machine, not at import) and runs without the GIL. They take the connections of one day as
`geodata.transit` lays them out (sorted by departure time; ``flags`` bit 1 boarding, bit 2
alighting), the footpaths in compressed rows and integer seconds after midnight of the query
date; ``INF`` means unreachable. What they compute is documented in `geodata.transit`:

- `scan`: the Connection Scan Algorithm, once per departure of a window;
- `trace`: one departure, remembering how each label was reached (journeys with legs);
- `stop_profiles`: for boarding stops, the rides' arrivals as a step function of the time a
  rider reaches the stop (the profile search of a departure window);
- `window_medians`: an origin's median over a window from the profiles of its stops.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

INF = 2**62
"""Unreachable, in integer seconds."""

# How a label was reached (`trace`): by walking from the query's start, by a footpath after
# that walk, by alighting from a vehicle, by a footpath or a change after alighting.
FROM_SOURCE = 1
FROM_SOURCE_WALK = 2
FROM_RIDE = 3
FROM_RIDE_WALK = 4


def scan(  # noqa: PLR0912, PLR0915, PLR0917 - one tight numba loop, plain arguments
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
    """CSA with "at", "alight" and "ready" labels, once per departure.

    Sources are reached at ``departures[r] + src_offset``; connections departing after
    ``departures[r] + budget`` are not scanned (``budget < 0``: no limit). Returns the
    (runs, n_stops) arrival seconds, ``INF`` where unreachable.
    """
    inf = np.int64(4611686018427387904)  # == INF; a literal keeps the kernel self-contained
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


def trace(  # noqa: PLR0912, PLR0915, PLR0917 - one tight numba loop, plain arguments
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
    tau: int,
    budget: int,
    n_stops: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """`scan` for one departure ``tau``, remembering how each label was first reached.

    Returns
    -------
    arr, ready : (n_stops,) int64
        The "at" and "ready to board" labels, equal to `scan`'s.
    how : (n_stops, 6) int64
        Per stop, for the "at" label then the "ready" label: the way (`FROM_SOURCE`: the
        source index; `FROM_SOURCE_WALK`: the source and the footpath; `FROM_RIDE`: the
        alighting connection, for "ready" a change at the same stop; `FROM_RIDE_WALK`: the
        connection and the footpath), then its two references (-1 when unused).
    boarded_at : (n_trip_slots,) int64
        The connection where each trip was boarded, -1 when it was not.
    """
    inf = np.int64(4611686018427387904)
    m = dep_time.shape[0]
    arr = np.full(n_stops, inf, dtype=np.int64)
    alight = np.full(n_stops, inf, dtype=np.int64)
    ready = np.full(n_stops, inf, dtype=np.int64)
    how = np.full((n_stops, 6), -1, dtype=np.int64)
    boarded_at = np.full(n_trip_slots, -1, dtype=np.int64)
    t_max = tau + budget if budget >= 0 else inf
    for j in range(src_stop.shape[0]):
        s = src_stop[j]
        t0 = tau + src_offset[j]
        if t0 < arr[s]:
            arr[s] = t0
            how[s, 0], how[s, 1], how[s, 2] = 1, j, -1
        if t0 < ready[s]:
            ready[s] = t0
            how[s, 3], how[s, 4], how[s, 5] = 1, j, -1
        for e in range(fp_indptr[s], fp_indptr[s + 1]):
            v = fp_to[e]
            tv = t0 + fp_seconds[e]
            if tv < arr[v]:
                arr[v] = tv
                how[v, 0], how[v, 1], how[v, 2] = 2, j, e
            if tv < ready[v]:
                ready[v] = tv
                how[v, 3], how[v, 4], how[v, 5] = 2, j, e
    block_end = np.searchsorted(dep_time, tau)
    block_start = block_end
    t = np.int64(tau)
    again = False
    while True:
        if not again:
            block_start = block_end
            if block_start >= m or dep_time[block_start] > t_max:
                break
            t = np.int64(dep_time[block_start])
            block_end = block_start + 1
            while block_end < m and dep_time[block_end] == t:
                block_end += 1
        again = False
        for c in range(block_start, block_end):
            k = trip[c]
            if boarded_at[k] < 0:
                if (flags[c] & 1) == 0 or ready[dep_stop[c]] > t:
                    continue
                boarded_at[k] = c
            if (flags[c] & 2) == 0:
                continue
            a = np.int64(arr_time[c])
            s = arr_stop[c]
            if a >= alight[s]:
                continue
            alight[s] = a
            if a < arr[s]:
                arr[s] = a
                how[s, 0], how[s, 1], how[s, 2] = 3, c, -1
            if change[s] >= 0 and a + change[s] < ready[s]:
                ready[s] = a + change[s]
                how[s, 3], how[s, 4], how[s, 5] = 3, c, -1
            for e in range(fp_indptr[s], fp_indptr[s + 1]):
                v = fp_to[e]
                if a + fp_seconds[e] < arr[v]:
                    arr[v] = a + fp_seconds[e]
                    how[v, 0], how[v, 1], how[v, 2] = 4, c, e
                if fp_transfer[e] >= 0 and a + fp_transfer[e] < ready[v]:
                    ready[v] = a + fp_transfer[e]
                    how[v, 3], how[v, 4], how[v, 5] = 4, c, e
            if a == t:
                again = True
    return arr, ready, how, boarded_at


def stop_profiles(  # noqa: PLR0912, PLR0915, PLR0917 - one tight numba loop, plain arguments
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
    stops: NDArray[np.int64],
    bp_indptr: NDArray[np.int64],
    bp_time: NDArray[np.int64],
    columns: NDArray[np.int64],
    budget: int,
    n_stops: int,
) -> NDArray[np.int64]:
    """The arrivals by vehicle from each of ``stops``, at each of its breakpoints.

    For stop ``stops[i]`` and breakpoint ``t = bp_time[p]`` (``bp_indptr[i] <= p <
    bp_indptr[i + 1]``, ascending), row ``p`` of the result holds, at the stops ``columns``,
    the earliest arrival by at least one vehicle of a rider *ready to board* at ``stops[i]``
    at ``t`` (who may first walk one footpath), exact wherever it is at most ``t + budget``
    (``budget < 0``: everywhere). The walks alone are left out: they are the caller's.

    The breakpoints of one stop are scanned from the latest to the earliest, each scan
    keeping the labels of the later one (the rider leaving earlier may wait for everything
    the later one caught: rRAPTOR's reuse of labels, on connections); only the trips boarded
    are forgotten between scans.
    """
    inf = np.int64(4611686018427387904)
    m = dep_time.shape[0]
    n_columns = columns.shape[0]
    out = np.empty((bp_time.shape[0], n_columns), dtype=np.int64)
    arr = np.empty(n_stops, dtype=np.int64)
    alight = np.empty(n_stops, dtype=np.int64)
    ready = np.empty(n_stops, dtype=np.int64)
    boarded = np.zeros(n_trip_slots, dtype=np.bool_)
    for i in range(stops.shape[0]):
        u = stops[i]
        arr[:] = inf
        alight[:] = inf
        ready[:] = inf
        for p in range(bp_indptr[i + 1] - 1, bp_indptr[i] - 1, -1):
            tau = bp_time[p]
            t_max = tau + budget if budget >= 0 else inf
            boarded[:] = False
            ready[u] = min(ready[u], tau)
            for e in range(fp_indptr[u], fp_indptr[u + 1]):
                v = fp_to[e]
                ready[v] = min(ready[v], tau + fp_seconds[e])
            block_end = np.searchsorted(dep_time, tau)
            block_start = block_end
            t = tau
            again = False
            while True:
                if not again:
                    block_start = block_end
                    if block_start >= m or dep_time[block_start] > t_max:
                        break
                    t = np.int64(dep_time[block_start])
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
                    if a == t:
                        again = True
            for q in range(n_columns):
                out[p, q] = arr[columns[q]]
    return out


def window_medians(  # noqa: PLR0912, PLR0915, PLR0917 - one tight numba loop
    departures: NDArray[np.int64],
    acc_indptr: NDArray[np.int64],
    acc_slot: NDArray[np.int64],
    acc_seconds: NDArray[np.int64],
    bp_indptr: NDArray[np.int64],
    bp_time: NDArray[np.int64],
    profile: NDArray[np.float64],
    walk_indptr: NDArray[np.int64],
    walk_column: NDArray[np.int64],
    walk_seconds: NDArray[np.int64],
    egress_indptr: NDArray[np.int64],
    egress_column: NDArray[np.int64],
    egress_seconds: NDArray[np.float64],
    direct: NDArray[np.float64],
    budget: int,
    rank: int,
) -> NDArray[np.float64]:
    """Per origin (rows of ``direct``) and destination, the ``rank``-th smallest travel time
    over the departures, minutes (``inf`` beyond ``budget`` seconds when ``budget >= 0``).

    For a departure ``tau`` an origin reaches each of its stops (slot ``acc_slot``) at
    ``tau + acc_seconds``; from there the stop's profile (`stop_profiles`, as float64
    seconds, ``inf`` where unreachable: the row of its first breakpoint at or after that
    time) gives the rides' arrivals at the columns, and its walks (``walk_*``: itself and
    its footpaths) the walks'. A destination takes the best column plus its egress walk
    (``egress_*``), or the straight walk ``direct`` (seconds). Times are whole seconds held
    in float64 (exact below 2**53), so the minima run on vectors of departures.
    """
    n_runs = departures.shape[0]
    n_origins, n_destinations = direct.shape
    n_columns = profile.shape[1]
    out = np.empty((n_origins, n_destinations), dtype=np.float64)
    best = np.empty(n_columns, dtype=np.float64)
    by_column = np.empty((n_columns, n_runs), dtype=np.float64)  # best - departure
    row = np.empty(n_runs, dtype=np.float64)
    limit = np.float64(budget) if budget >= 0 else np.inf
    for o in range(n_origins):
        for r in range(n_runs):
            tau = departures[r]
            best[:] = np.inf
            for a in range(acc_indptr[o], acc_indptr[o + 1]):
                slot = acc_slot[a]
                t = tau + acc_seconds[a]
                lo, hi = bp_indptr[slot], bp_indptr[slot + 1]
                p = lo + np.searchsorted(bp_time[lo:hi], t)
                if p < hi:
                    line = profile[p]
                    for q in range(n_columns):
                        best[q] = min(best[q], line[q])
                for w in range(walk_indptr[slot], walk_indptr[slot + 1]):
                    q = walk_column[w]
                    best[q] = min(best[q], np.float64(t + walk_seconds[w]))
            for q in range(n_columns):
                by_column[q, r] = best[q] - tau
        for d in range(n_destinations):
            walk = direct[o, d]
            row[:] = walk
            for g in range(egress_indptr[d], egress_indptr[d + 1]):
                column = by_column[egress_column[g]]
                extra = egress_seconds[g]
                for r in range(n_runs):
                    row[r] = min(row[r], column[r] + extra)
            shorter = False
            for r in range(n_runs):
                if row[r] > limit:
                    row[r] = np.inf
                if row[r] != walk:
                    shorter = True
            chosen = row[0]
            if shorter:  # Wirth's selection of the rank-th smallest, in place
                lo, hi = 0, n_runs - 1
                while lo < hi:
                    pivot = row[rank]
                    i, j = lo, hi
                    while i <= j:
                        while row[i] < pivot:
                            i += 1
                        while pivot < row[j]:
                            j -= 1
                        if i <= j:
                            row[i], row[j] = row[j], row[i]
                            i += 1
                            j -= 1
                    if j < rank:
                        lo = i
                    if rank < i:
                        hi = j
                chosen = row[rank]
            out[o, d] = chosen / 60.0
    return out


@functools.cache
def compiled(name: str) -> Callable[..., Any]:
    """The function ``name`` of this module compiled by numba, on first use (cached on disk
    between processes)."""
    from numba import njit

    return cast(Callable[..., Any], njit(cache=True, nogil=True)(globals()[name]))
