# ruff: noqa: PLR0917 — numba kernels over plain array arguments
"""RPHAST, the many-to-many method measured against buckets and not kept (`geodata.hierarchy`).

PHAST (Delling, Goldberg, Nowatzyk & Werneck 2011, *PHAST: hardware-accelerated shortest path
trees*): an upward search from a source over the contraction hierarchy, then one sweep over
every node in decreasing rank relaxing the downward arcs — a whole shortest-path tree per
source. RPHAST restricts the sweep to the nodes from which a target is reached going down (the
targets' backward upward search spaces); here the sweep runs ``LANES`` sources at a time.
`scripts/bench traveltime` times it on the grid's 1,000 × 1,000 beside the buckets maillage
uses: same hierarchy, same answers, slower there (see `geodata.traveltime`'s docstring).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from geodata.hierarchy import Hierarchy, _pop, _push, _sift_up

LANES = 8
_jit = numba.njit(cache=True, nogil=True)


@_jit
def _upward_into(
    up_ptr: Any, up_head: Any, up_w: Any, source: Any, budget: Any, dist: Any, heap: Any,
    key: Any, pos: Any, touched: Any,
) -> Any:  # fmt: skip
    """Forward upward search from ``source`` (no stalling: the sweep corrects), distances left
    in ``dist``; returns the count of ``touched`` nodes (``pos`` is reset, ``dist`` is not)."""
    dist[source] = 0.0
    size = np.int64(0)
    size = _push(heap, key, pos, size, source, 0.0)
    touched[0] = source
    n_touched = 1
    while size > 0:
        x = heap[0]
        dx = key[0]
        size = _pop(heap, key, pos, size)
        for a in range(up_ptr[x], up_ptr[x + 1]):
            y = np.int64(up_head[a])
            nd = dx + up_w[a]
            if nd > budget:
                continue
            py = pos[y]
            if py == -2:
                continue
            if py == -1:
                touched[n_touched] = y
                n_touched += 1
                dist[y] = nd
                size = _push(heap, key, pos, size, y, nd)
            elif nd < dist[y]:
                dist[y] = nd
                key[py] = nd
                _sift_up(heap, key, pos, py)
    for k in range(n_touched):
        pos[touched[k]] = -1
    return n_touched


@_jit
def _restrict(down_ptr: Any, down_tail: Any, down_w: Any, targets: Any) -> tuple[Any, ...]:
    """The nodes from which a target is reached going down, as a subgraph in increasing query
    id (decreasing rank), and the targets' local indices."""
    n = down_ptr.shape[0] - 1
    keep = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for t in targets:
        if not keep[t]:
            keep[t] = True
            stack[top] = t
            top += 1
    while top > 0:
        top -= 1
        x = stack[top]
        for a in range(down_ptr[x], down_ptr[x + 1]):
            u = down_tail[a]
            if not keep[u]:
                keep[u] = True
                stack[top] = u
                top += 1
    sub_of = np.full(n, -1, dtype=np.int64)
    m = 0
    for v in range(n):
        if keep[v]:
            sub_of[v] = m
            m += 1
    sub_ptr = np.zeros(m + 1, dtype=np.int64)
    sub_tail = np.empty(np.sum(np.diff(down_ptr)[keep]), dtype=np.int64)
    sub_w = np.empty(sub_tail.shape[0], dtype=np.float64)
    slot = 0
    for v in range(n):
        if keep[v]:
            for a in range(down_ptr[v], down_ptr[v + 1]):
                sub_tail[slot] = sub_of[down_tail[a]]
                sub_w[slot] = down_w[a]
                slot += 1
            sub_ptr[sub_of[v] + 1] = slot
    target_slots = np.empty(targets.shape[0], dtype=np.int64)
    for j in range(targets.shape[0]):
        target_slots[j] = sub_of[targets[j]]
    return sub_ptr, sub_tail, sub_w, sub_of, target_slots


@_jit
def _sweep(
    up_ptr: Any, up_head: Any, up_w: Any, sub_ptr: Any, sub_tail: Any, sub_w: Any,
    sub_of: Any, sources: Any, target_slots: Any,
) -> Any:  # fmt: skip
    n = up_ptr.shape[0] - 1
    m = sub_ptr.shape[0] - 1
    out = np.full((sources.shape[0], target_slots.shape[0]), np.inf)
    dist = np.full(n, np.inf)
    heap = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.float64)
    pos = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    lanes = np.full((m, LANES), np.inf)
    for first in range(0, sources.shape[0], LANES):
        last = min(first + LANES, sources.shape[0])
        for i in range(first, last):
            count = _upward_into(
                up_ptr, up_head, up_w, sources[i], np.inf, dist, heap, key, pos, touched
            )
            for k in range(count):
                x = touched[k]
                if sub_of[x] >= 0:
                    lanes[sub_of[x], i - first] = dist[x]
                dist[x] = np.inf
        for v in range(m):
            for a in range(sub_ptr[v], sub_ptr[v + 1]):
                above = sub_tail[a]
                w = sub_w[a]
                for lane in range(LANES):
                    candidate = lanes[above, lane] + w
                    lanes[v, lane] = min(lanes[v, lane], candidate)
        for i in range(first, last):
            for j in range(target_slots.shape[0]):
                out[i, j] = lanes[target_slots[j], i - first]
        lanes[:, :] = np.inf
    return out


def rphast(
    hierarchy: Hierarchy, sources: NDArray[np.int64], targets: NDArray[np.int64]
) -> tuple[NDArray[np.float64], int]:
    """Seconds from each source node to each target node (network ids, no budget), one
    thread; and the count of nodes the sweep is restricted to."""
    h = hierarchy
    source_ids = np.ascontiguousarray(h.order[sources], dtype=np.int64)
    target_ids = np.ascontiguousarray(h.order[targets], dtype=np.int64)
    sub_ptr, sub_tail, sub_w, sub_of, slots = _restrict(
        h.down_ptr, h.down_tail, h.down_w, target_ids
    )
    out = _sweep(h.up_ptr, h.up_head, h.up_w, sub_ptr, sub_tail, sub_w, sub_of, source_ids, slots)
    return out, int(sub_ptr.shape[0] - 1)
