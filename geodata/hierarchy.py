# ruff: noqa: PLR0912, PLR0915, PLR0917 — numba kernels: flat loops over plain array arguments
"""Contraction hierarchy of a street network, and many-to-many travel times over it.

Imported by `geodata.traveltime` on first use only (it imports numba).

The hierarchy (Geisberger, Sanders, Schultes & Delling 2008, *Contraction hierarchies: faster
and simpler hierarchical routing in road networks*, WEA 2008) contracts the nodes one by one,
least important first; contracting ``v`` adds a *shortcut* ``u → w`` of weight
``w(u, v) + w(v, w)`` for every pair of its remaining neighbours whose shortest path runs through
``v`` (a bounded *witness* search from ``u`` that avoids ``v`` decides; when it gives up, the
shortcut is added, which is always correct: a shortcut is the length of a real path). Node
order: the lazily updated priority of RoutingKit (Dibbelt, Strasser & Wagner 2016, *Customizable
contraction hierarchies*) — ``level + added/removed arcs + added/removed hops``. Afterwards every
shortest path is an *up-down* path: up through ever more important nodes, then down.

Many-to-many (Knopp, Sanders, Schultes, Schulz & Wagner 2007, *Computing many-to-many shortest
paths using highway hierarchies*, ALENEX 2007): one backward upward search per target leaves, at
every node ``x`` it settles, an entry ``(target, d(x → target))`` in ``x``'s *bucket*; then one
forward upward search per source scans the bucket of every node it settles:
``d(s, t) = min over x of d(s → x) + d(x → t)``. Both searches *stall on demand* (a node reached
more cheaply through a more important neighbour is not expanded) and stop at the time budget.

PHAST (Delling, Goldberg, Nowatzyk & Werneck 2011, *PHAST: hardware-accelerated shortest path
trees*) is the alternative measured for the benchmark's 1,000 × 1,000 matrix: an upward search
from a source, then one sweep over every node in decreasing rank that relaxes the downward arcs;
the sweep is restricted to the nodes that lead down to a target (RPHAST) and runs 8 sources at a
time. Figures in `geodata.traveltime`.

Arrays: node ids are the network's (0 … n − 1) unless said; weights are seconds, float64.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import numba
import numpy as np
from numpy.typing import NDArray

_WITNESS_SETTLE_LIMIT = 500
"""Nodes a witness search settles before it gives up (the shortcut is then added)."""

_SIMULATION_SETTLE_LIMIT = 50
"""The same limit while only estimating a node's priority (cheaper, a little less exact)."""

_jit = numba.njit(cache=True, nogil=True)


# -- an indexed binary min-heap over node ids ------------------------------------------------
# heap[i]: node in slot i; key[i]: its key; pos[v]: slot of v, -1 never queued, -2 popped.


@_jit
def _sift_up(heap: Any, key: Any, pos: Any, i: Any) -> None:
    v = heap[i]
    k = key[i]
    while i > 0:
        parent = (i - 1) >> 1
        if key[parent] <= k:
            break
        heap[i] = heap[parent]
        key[i] = key[parent]
        pos[heap[i]] = i
        i = parent
    heap[i] = v
    key[i] = k
    pos[v] = i


@_jit
def _sift_down(heap: Any, key: Any, pos: Any, i: Any, size: Any) -> None:
    v = heap[i]
    k = key[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[child + 1] < key[child]:
            child += 1
        if key[child] >= k:
            break
        heap[i] = heap[child]
        key[i] = key[child]
        pos[heap[i]] = i
        i = child
    heap[i] = v
    key[i] = k
    pos[v] = i


@_jit
def _push(heap: Any, key: Any, pos: Any, size: Any, v: Any, k: Any) -> Any:
    heap[size] = v
    key[size] = k
    pos[v] = size
    _sift_up(heap, key, pos, size)
    return size + 1


@_jit
def _pop(heap: Any, key: Any, pos: Any, size: Any) -> Any:
    """Remove the root (read ``heap[0]``/``key[0]`` first); returns the new size."""
    pos[heap[0]] = -2
    size -= 1
    if size > 0:
        heap[0] = heap[size]
        key[0] = key[size]
        pos[heap[0]] = 0
        root = np.int64(0)
        _sift_down(heap, key, pos, root, size)
    return size


# -- the graph being contracted: per-node arc lists in one growable buffer --------------------


@_jit
def _append(
    start: Any, length: Any, cap: Any, nb: Any, wt: Any, hp: Any, end: Any, u: Any,
    x: Any, w: Any, h: Any,
) -> Any:  # fmt: skip
    """Append arc (x, w, h) to u's list, moving the list to ``end`` when full; the caller made
    room (see `_reserve`). Returns the new end of the buffer."""
    if length[u] == cap[u]:
        new_cap = max(4, 2 * cap[u])
        old = start[u]
        for i in range(length[u]):
            nb[end + i] = nb[old + i]
            wt[end + i] = wt[old + i]
            hp[end + i] = hp[old + i]
        start[u] = end
        cap[u] = new_cap
        end += new_cap
    slot = start[u] + length[u]
    nb[slot] = x
    wt[slot] = w
    hp[slot] = h
    length[u] += 1
    return end


@_jit
def _find(start: Any, length: Any, nb: Any, u: Any, x: Any) -> Any:
    for slot in range(start[u], start[u] + length[u]):
        if nb[slot] == x:
            return slot
    return -1


@_jit
def _remove(start: Any, length: Any, nb: Any, wt: Any, hp: Any, u: Any, x: Any) -> None:
    slot = _find(start, length, nb, u, x)
    if slot < 0:
        return
    last = start[u] + length[u] - 1
    nb[slot] = nb[last]
    wt[slot] = wt[last]
    hp[slot] = hp[last]
    length[u] -= 1


@_jit
def _grown(nb: Any, wt: Any, hp: Any, needed: Any) -> tuple[Any, Any, Any]:
    size = max(needed, 2 * nb.shape[0])
    new_nb = np.empty(size, dtype=np.int64)
    new_wt = np.empty(size, dtype=np.float64)
    new_hp = np.empty(size, dtype=np.int64)
    for i in range(nb.shape[0]):
        new_nb[i] = nb[i]
        new_wt[i] = wt[i]
        new_hp[i] = hp[i]
    return new_nb, new_wt, new_hp


# -- witness searches --------------------------------------------------------------------------


@_jit
def _witness(
    o_start: Any, o_len: Any, o_nb: Any, o_wt: Any, v: Any, u: Any, w_uv: Any, limit: Any,
    via: Any, dist: Any, heap: Any, key: Any, pos: Any, touched: Any,
) -> Any:  # fmt: skip
    """Witness search for the in-neighbour ``u`` of ``v``: Dijkstra from ``u`` avoiding ``v``,
    until every out-neighbour ``x`` of ``v`` is settled or farther than ``w(u, v) + w(v, x)``
    (the path through ``v``, ``via[x]``), or ``limit`` nodes are settled. Leaves tentative
    distances in ``dist`` (each the length of a real path, so a witness wherever
    ``dist[x] <= via[x]``); returns how many nodes it touched (``touched[:count]``, which the
    caller resets), 0 when ``v`` has no out-neighbour but ``u``."""
    bound = -1.0
    for b in range(o_start[v], o_start[v] + o_len[v]):
        x = o_nb[b]
        if x != u:
            via[x] = w_uv + o_wt[b]
            bound = max(bound, via[x])
    if bound < 0:
        return 0
    dist[u] = 0.0
    size = np.int64(0)
    size = _push(heap, key, pos, size, u, 0.0)
    touched[0] = u
    n_touched = 1
    settled = 0
    while size > 0:
        y = heap[0]
        dy = key[0]
        if dy > bound:
            break
        size = _pop(heap, key, pos, size)
        settled += 1
        if settled > limit:
            break
        if via[y] >= 0:  # a target settled: the bound is the farthest one left
            via[y] = -1.0
            bound = -1.0
            for b in range(o_start[v], o_start[v] + o_len[v]):
                bound = max(bound, via[o_nb[b]])
            if bound < 0:
                break
        for slot in range(o_start[y], o_start[y] + o_len[y]):
            z = o_nb[slot]
            if z == v:
                continue
            nd = dy + o_wt[slot]
            if nd > bound:
                continue
            pz = pos[z]
            if pz == -2:
                continue
            if pz == -1:
                touched[n_touched] = z
                n_touched += 1
                dist[z] = nd
                size = _push(heap, key, pos, size, z, nd)
            elif nd < dist[z]:
                dist[z] = nd
                key[pz] = nd
                _sift_up(heap, key, pos, pz)
    for i in range(n_touched):
        pos[touched[i]] = -1
    for b in range(o_start[v], o_start[v] + o_len[v]):
        via[o_nb[b]] = -1.0
    return n_touched


@_jit
def _priority(
    v: Any, limit: Any, level: Any,
    o_start: Any, o_len: Any, o_nb: Any, o_wt: Any, o_hp: Any,
    i_start: Any, i_len: Any, i_nb: Any, i_wt: Any, i_hp: Any,
    via: Any, dist: Any, heap: Any, key: Any, pos: Any, touched: Any,
) -> Any:  # fmt: skip
    """RoutingKit's priority of contracting ``v`` now: level + added/removed arcs + hops."""
    added = 0
    added_hops = 0
    removed = o_len[v] + i_len[v]
    removed_hops = 0
    for slot in range(o_start[v], o_start[v] + o_len[v]):
        removed_hops += o_hp[slot]
    for slot in range(i_start[v], i_start[v] + i_len[v]):
        removed_hops += i_hp[slot]
    for a in range(i_start[v], i_start[v] + i_len[v]):
        u = i_nb[a]
        count = _witness(
            o_start, o_len, o_nb, o_wt, v, u, i_wt[a], limit, via, dist, heap, key, pos, touched
        )
        for b in range(o_start[v], o_start[v] + o_len[v]):
            x = o_nb[b]
            if x != u and dist[x] > i_wt[a] + o_wt[b]:
                added += 1
                added_hops += i_hp[a] + o_hp[b]
        for i in range(count):
            dist[touched[i]] = np.inf
    value = float(level[v])
    if removed > 0:
        value += added / removed
    if removed_hops > 0:
        value += added_hops / removed_hops
    return value


@_jit
def _add_or_improve(
    o_start: Any, o_len: Any, o_cap: Any, o_nb: Any, o_wt: Any, o_hp: Any, o_end: Any,
    i_start: Any, i_len: Any, i_cap: Any, i_nb: Any, i_wt: Any, i_hp: Any, i_end: Any,
    u: Any, x: Any, w: Any, h: Any,
) -> tuple[Any, Any]:  # fmt: skip
    """Arc ``u → x`` of weight ``w`` (``h`` original arcs), or a lighter weight for the arc
    already there; both lists kept in step. Returns the ends of both buffers."""
    slot = _find(o_start, o_len, o_nb, u, x)
    if slot >= 0:
        if w < o_wt[slot]:
            o_wt[slot] = w
            o_hp[slot] = h
            back = _find(i_start, i_len, i_nb, x, u)
            i_wt[back] = w
            i_hp[back] = h
        return o_end, i_end
    o_end = _append(o_start, o_len, o_cap, o_nb, o_wt, o_hp, o_end, u, x, w, h)
    i_end = _append(i_start, i_len, i_cap, i_nb, i_wt, i_hp, i_end, x, u, w, h)
    return o_end, i_end


@_jit
def _contract_all(
    indptr: Any, indices: Any, weights: Any, limit: Any, simulation_limit: Any
) -> tuple[Any, ...]:
    """Contract every node; returns ``rank`` (contraction order of each node), the upward arcs
    ``(tail, head, weight)`` (``rank[tail] < rank[head]``), the downward arcs as
    ``(low, high, weight)`` for an arc ``high → low`` (``rank[low] < rank[high]``), and their
    count, shortcuts included."""
    n = indptr.shape[0] - 1
    o_len = np.zeros(n, dtype=np.int64)
    i_len = np.zeros(n, dtype=np.int64)
    o_cap = np.zeros(n, dtype=np.int64)
    i_cap = np.zeros(n, dtype=np.int64)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            x = np.int64(indices[e])
            if x != u:
                o_cap[u] += 1
                i_cap[x] += 1
    o_start = np.empty(n, dtype=np.int64)
    i_start = np.empty(n, dtype=np.int64)
    o_end = np.int64(0)
    i_end = np.int64(0)
    for u in range(n):
        o_cap[u] += 2
        i_cap[u] += 2
        o_start[u] = o_end
        i_start[u] = i_end
        o_end += o_cap[u]
        i_end += i_cap[u]
    o_nb = np.empty(2 * o_end, dtype=np.int64)
    o_wt = np.empty(2 * o_end, dtype=np.float64)
    o_hp = np.empty(2 * o_end, dtype=np.int64)
    i_nb = np.empty(2 * i_end, dtype=np.int64)
    i_wt = np.empty(2 * i_end, dtype=np.float64)
    i_hp = np.empty(2 * i_end, dtype=np.int64)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            x = np.int64(indices[e])
            if x != u:
                o_end, i_end = _add_or_improve(
                    o_start, o_len, o_cap, o_nb, o_wt, o_hp, o_end,
                    i_start, i_len, i_cap, i_nb, i_wt, i_hp, i_end,
                    u, x, weights[e], np.int64(1),
                )  # fmt: skip

    dist = np.full(n, np.inf)
    via = np.full(n, -1.0)
    heap = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.float64)
    pos = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    level = np.zeros(n, dtype=np.int64)
    q_heap = np.empty(n, dtype=np.int64)
    q_key = np.empty(n, dtype=np.float64)
    q_pos = np.full(n, -1, dtype=np.int64)
    q_size = np.int64(0)
    for v in range(n):
        p = _priority(
            v, simulation_limit, level,
            o_start, o_len, o_nb, o_wt, o_hp, i_start, i_len, i_nb, i_wt, i_hp,
            via, dist, heap, key, pos, touched,
        )  # fmt: skip
        q_size = _push(q_heap, q_key, q_pos, q_size, v, p)

    out_size = 2 * (o_end + i_end) + 16
    up = np.empty((out_size, 2), dtype=np.int64)
    up_w = np.empty(out_size, dtype=np.float64)
    down = np.empty((out_size, 2), dtype=np.int64)
    down_w = np.empty(out_size, dtype=np.float64)
    n_up = 0
    n_down = 0
    rank = np.empty(n, dtype=np.int64)
    r = 0
    while q_size > 0:
        v = q_heap[0]
        p = _priority(
            v, simulation_limit, level,
            o_start, o_len, o_nb, o_wt, o_hp, i_start, i_len, i_nb, i_wt, i_hp,
            via, dist, heap, key, pos, touched,
        )  # fmt: skip
        if p > q_key[0]:
            q_key[0] = p
            root = np.int64(0)
            _sift_down(q_heap, q_key, q_pos, root, q_size)
            if q_heap[0] != v:
                continue
        q_size = _pop(q_heap, q_key, q_pos, q_size)
        rank[v] = r
        r += 1

        # room: every list that may grow, then the arcs of the hierarchy
        need_o = 0
        for a in range(i_start[v], i_start[v] + i_len[v]):
            need_o += 4 * (o_len[i_nb[a]] + o_len[v]) + 8
        need_i = 0
        for b in range(o_start[v], o_start[v] + o_len[v]):
            need_i += 4 * (i_len[o_nb[b]] + i_len[v]) + 8
        if o_end + need_o > o_nb.shape[0]:
            o_nb, o_wt, o_hp = _grown(o_nb, o_wt, o_hp, o_end + need_o)
        if i_end + need_i > i_nb.shape[0]:
            i_nb, i_wt, i_hp = _grown(i_nb, i_wt, i_hp, i_end + need_i)
        if n_up + o_len[v] > up.shape[0] or n_down + i_len[v] > down.shape[0]:
            size = 2 * up.shape[0] + o_len[v] + i_len[v]
            grown_up = np.empty((size, 2), dtype=np.int64)
            grown_up[:n_up] = up[:n_up]
            grown_up_w = np.empty(size, dtype=np.float64)
            grown_up_w[:n_up] = up_w[:n_up]
            grown_down = np.empty((size, 2), dtype=np.int64)
            grown_down[:n_down] = down[:n_down]
            grown_down_w = np.empty(size, dtype=np.float64)
            grown_down_w[:n_down] = down_w[:n_down]
            up, up_w, down, down_w = grown_up, grown_up_w, grown_down, grown_down_w

        for b in range(o_start[v], o_start[v] + o_len[v]):
            up[n_up, 0] = v
            up[n_up, 1] = o_nb[b]
            up_w[n_up] = o_wt[b]
            n_up += 1
        for a in range(i_start[v], i_start[v] + i_len[v]):
            down[n_down, 0] = v
            down[n_down, 1] = i_nb[a]
            down_w[n_down] = i_wt[a]
            n_down += 1

        # shortcuts u → x past v, unless a witness path is as short
        for a in range(i_start[v], i_start[v] + i_len[v]):
            u = i_nb[a]
            count = _witness(
                o_start, o_len, o_nb, o_wt, v, u, i_wt[a], limit, via, dist, heap, key, pos,
                touched,
            )  # fmt: skip
            for b in range(o_start[v], o_start[v] + o_len[v]):
                x = o_nb[b]
                via_x = i_wt[a] + o_wt[b]
                if x != u and dist[x] > via_x:
                    o_end, i_end = _add_or_improve(
                        o_start, o_len, o_cap, o_nb, o_wt, o_hp, o_end,
                        i_start, i_len, i_cap, i_nb, i_wt, i_hp, i_end,
                        u, x, via_x, i_hp[a] + o_hp[b],
                    )  # fmt: skip
            for i in range(count):
                dist[touched[i]] = np.inf

        # v leaves the graph; its neighbours rise a level (their priority is brought up to
        # date lazily, when they reach the top of the queue: updating every neighbour at once
        # took twice as long for the same hierarchy)
        for a in range(i_start[v], i_start[v] + i_len[v]):
            u = i_nb[a]
            _remove(o_start, o_len, o_nb, o_wt, o_hp, u, v)
            level[u] = max(level[u], level[v] + 1)
        for b in range(o_start[v], o_start[v] + o_len[v]):
            x = o_nb[b]
            _remove(i_start, i_len, i_nb, i_wt, i_hp, x, v)
            level[x] = max(level[x], level[v] + 1)
        o_len[v] = 0
        i_len[v] = 0
    return rank, up[:n_up], up_w[:n_up], down[:n_down], down_w[:n_down], n_up, n_down, r


# -- queries -----------------------------------------------------------------------------------
# Nodes are renumbered by decreasing rank (the most important node is 0): upward arcs point to
# smaller ids, and a sweep in increasing id order visits nodes before those below them.
# ``up``: arcs v → x with x more important, by v. ``down``: arcs u → v with u more important,
# stored by v (the arcs a backward upward search follows, and the ones PHAST relaxes).


@_jit
def _backward_buckets(
    up_ptr: Any, up_head: Any, up_w: Any, down_ptr: Any, down_tail: Any, down_w: Any,
    targets: Any, bound: Any,
) -> tuple[Any, ...]:  # fmt: skip
    """One backward upward search per target (stalled on demand, cut at ``bound`` seconds);
    returns the bucket entries ``(node, target index, seconds node → target)`` and their
    count."""
    n = up_ptr.shape[0] - 1
    dist = np.full(n, np.inf)
    heap = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.float64)
    pos = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    size_out = max(64, 64 * targets.shape[0])
    e_node = np.empty(size_out, dtype=np.int32)
    e_target = np.empty(size_out, dtype=np.int32)
    e_dist = np.empty(size_out, dtype=np.float64)
    count = 0
    for j in range(targets.shape[0]):
        t = targets[j]
        dist[t] = 0.0
        size = np.int64(0)
        size = _push(heap, key, pos, size, t, 0.0)
        touched[0] = t
        n_touched = 1
        while size > 0:
            x = heap[0]
            dx = key[0]
            size = _pop(heap, key, pos, size)
            stalled = False
            for a in range(up_ptr[x], up_ptr[x + 1]):  # x → y, y above: x → y → t shorter?
                if dist[up_head[a]] + up_w[a] < dx:
                    stalled = True
                    break
            if stalled:
                continue
            if count == e_node.shape[0]:
                bigger = 2 * count
                grown_node = np.empty(bigger, dtype=np.int32)
                grown_node[:count] = e_node
                grown_target = np.empty(bigger, dtype=np.int32)
                grown_target[:count] = e_target
                grown_dist = np.empty(bigger, dtype=np.float64)
                grown_dist[:count] = e_dist
                e_node, e_target, e_dist = grown_node, grown_target, grown_dist
            e_node[count] = x
            e_target[count] = j
            e_dist[count] = dx
            count += 1
            for a in range(down_ptr[x], down_ptr[x + 1]):  # u → x, u above
                u = np.int64(down_tail[a])
                nd = dx + down_w[a]
                if nd > bound:
                    continue
                pu = pos[u]
                if pu == -2:
                    continue
                if pu == -1:
                    touched[n_touched] = u
                    n_touched += 1
                    dist[u] = nd
                    size = _push(heap, key, pos, size, u, nd)
                elif nd < dist[u]:
                    dist[u] = nd
                    key[pu] = nd
                    _sift_up(heap, key, pos, pu)
        for i in range(n_touched):
            dist[touched[i]] = np.inf
            pos[touched[i]] = -1
    return e_node, e_target, e_dist, count


@_jit
def _bucket_index(n: Any, e_node: Any, e_target: Any, e_dist: Any) -> tuple[Any, Any, Any]:
    """Bucket entries sorted by node (a counting sort): ``ptr`` (n + 1), targets, seconds."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(e_node.shape[0]):
        ptr[e_node[i] + 1] += 1
    for v in range(n):
        ptr[v + 1] += ptr[v]
    fill = ptr[:-1].copy()
    target = np.empty(e_node.shape[0], dtype=np.int32)
    dist = np.empty(e_node.shape[0], dtype=np.float64)
    for i in range(e_node.shape[0]):
        slot = fill[e_node[i]]
        fill[e_node[i]] += 1
        target[slot] = e_target[i]
        dist[slot] = e_dist[i]
    return ptr, target, dist


@_jit
def _forward_scan(
    up_ptr: Any, up_head: Any, up_w: Any, down_ptr: Any, down_tail: Any, down_w: Any,
    sources: Any, budgets: Any, b_ptr: Any, b_target: Any, b_dist: Any, n_targets: Any,
) -> Any:  # fmt: skip
    """One forward upward search per source (stalled on demand, cut at its budget), scanning
    the buckets of the nodes it settles: (len(sources), n_targets) seconds, ``inf`` beyond the
    budget."""
    n = up_ptr.shape[0] - 1
    out = np.full((sources.shape[0], n_targets), np.inf)
    dist = np.full(n, np.inf)
    heap = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.float64)
    pos = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    for i in range(sources.shape[0]):
        s = sources[i]
        budget = budgets[i]
        row = out[i]
        if budget < 0:
            continue
        dist[s] = 0.0
        size = np.int64(0)
        size = _push(heap, key, pos, size, s, 0.0)
        touched[0] = s
        n_touched = 1
        while size > 0:
            x = heap[0]
            dx = key[0]
            size = _pop(heap, key, pos, size)
            stalled = False
            for a in range(down_ptr[x], down_ptr[x + 1]):  # u → x, u above: s → u → x shorter?
                if dist[down_tail[a]] + down_w[a] < dx:
                    stalled = True
                    break
            if stalled:
                continue
            for b in range(b_ptr[x], b_ptr[x + 1]):
                total = dx + b_dist[b]
                j = b_target[b]
                row[j] = min(row[j], total)
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
            dist[touched[k]] = np.inf
            pos[touched[k]] = -1
        for j in range(n_targets):
            if row[j] > budget:
                row[j] = np.inf
    return out


# -- the hierarchy as arrays -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """A contraction hierarchy, ready for queries.

    Attributes
    ----------
    order
        int32 (n,): the query id of each network node (0 is the most important node).
    up_ptr, up_head, up_w
        Upward arcs ``v → x`` (``x < v`` in query ids) in CSR by ``v``: int64 (n + 1,), int32,
        float64 seconds.
    down_ptr, down_tail, down_w
        Downward arcs ``u → v`` (``u < v``) in CSR by ``v``: int64 (n + 1,), int32, float64.
    """

    order: NDArray[np.int32]
    up_ptr: NDArray[np.int64]
    up_head: NDArray[np.int32]
    up_w: NDArray[np.float64]
    down_ptr: NDArray[np.int64]
    down_tail: NDArray[np.int32]
    down_w: NDArray[np.float64]

    @classmethod
    def from_arrays(cls, *arrays: NDArray[Any]) -> Hierarchy:
        """A hierarchy from its seven arrays in field order (as saved), copied read-only and
        checked; `ValueError` in French when they do not fit together."""
        dtypes: tuple[type[np.generic], ...] = (np.int32, np.int64, np.int32, np.float64)
        dtypes += (np.int64, np.int32, np.float64)
        if len(arrays) != len(dtypes):
            msg = "Hiérarchie de contraction incomplète."
            raise ValueError(msg)
        order, up_ptr, up_head, up_w, down_ptr, down_tail, down_w = (
            _frozen(a, t) for a, t in zip(arrays, dtypes, strict=True)
        )
        n = order.shape[0]
        ok = (
            up_ptr.shape == (n + 1,)
            and down_ptr.shape == (n + 1,)
            and np.array_equal(np.sort(order), np.arange(n))
            and up_head.shape == up_w.shape == (int(up_ptr[-1]),)
            and down_tail.shape == down_w.shape == (int(down_ptr[-1]),)
            and bool(np.all(np.diff(up_ptr) >= 0) and np.all(np.diff(down_ptr) >= 0))
            and int(up_ptr[0]) == int(down_ptr[0]) == 0
            and all(a.size == 0 or (a.min() >= 0 and a.max() < n) for a in (up_head, down_tail))
            and bool(np.all(up_w >= 0) and np.all(down_w >= 0))
        )
        if not ok:
            msg = "Hiérarchie de contraction incohérente : tailles ou valeurs invalides."
            raise ValueError(msg)
        return cls(order, up_ptr, up_head, up_w, down_ptr, down_tail, down_w)

    @property
    def n_nodes(self) -> int:
        return int(self.order.shape[0])

    @property
    def n_arcs(self) -> int:
        """Arcs of the hierarchy, shortcuts included (each stored once, up or down)."""
        return int(self.up_head.shape[0] + self.down_tail.shape[0])

    @property
    def nbytes(self) -> int:
        arrays: list[NDArray[Any]] = [self.order, self.up_ptr, self.up_head, self.up_w]
        arrays += [self.down_ptr, self.down_tail, self.down_w]
        return sum(int(a.nbytes) for a in arrays)


def _frozen(values: NDArray[Any], dtype: type[np.generic]) -> NDArray[Any]:
    array = np.array(values, dtype=dtype, copy=True, order="C")
    array.setflags(write=False)
    return array


def _csr(by: NDArray[Any], other: NDArray[Any], w: NDArray[np.float64], n: int) -> tuple[Any, ...]:
    order = np.lexsort((other, by))
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(by, minlength=n), out=ptr[1:])
    return ptr, np.ascontiguousarray(other[order], dtype=np.int32), np.ascontiguousarray(w[order])


def contract(
    indptr: NDArray[np.int64], indices: NDArray[np.int32], weights: NDArray[np.float64]
) -> Hierarchy:
    """The contraction hierarchy of a directed graph in CSR form (weights in seconds, ≥ 0)."""
    rank, up, up_w, down, down_w, _, _, _ = _contract_all(
        indptr, indices, weights, _WITNESS_SETTLE_LIMIT, _SIMULATION_SETTLE_LIMIT
    )
    n = indptr.shape[0] - 1
    order = (n - 1 - rank).astype(np.int32)
    up_ptr, up_head, up_wt = _csr(order[up[:, 0]], order[up[:, 1]], up_w, n)
    down_ptr, down_tail, down_wt = _csr(order[down[:, 0]], order[down[:, 1]], down_w, n)
    return Hierarchy.from_arrays(order, up_ptr, up_head, up_wt, down_ptr, down_tail, down_wt)


Mapper = Callable[[Callable[[slice], Any], list[slice]], Iterable[Any]]
"""``map``-like: applies a function to batches (the caller's thread pool, or plain `map`)."""


def _batches(count: int, parts: int) -> list[slice]:
    bounds = np.linspace(0, count, min(count, parts) + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


def many_to_many(
    hierarchy: Hierarchy,
    sources: NDArray[np.int64],
    budgets: NDArray[np.float64],
    targets: NDArray[np.int64],
    *,
    mapper: Mapper = map,
    parts: int = 1,
) -> NDArray[np.float64]:
    """Seconds from each source node to each target node over the hierarchy (buckets).

    Parameters
    ----------
    hierarchy
        Of the network the node ids belong to.
    sources, targets
        Network node ids (distinct targets).
    budgets
        Seconds per source: longer paths are ``inf`` (``inf`` for none).
    mapper, parts
        The searches run in ``parts`` batches through ``mapper`` (a thread pool's ``map``: the
        kernels release the GIL).

    Returns
    -------
    numpy.ndarray
        float64 (len(sources), len(targets)).
    """
    h = hierarchy
    arcs = (h.up_ptr, h.up_head, h.up_w, h.down_ptr, h.down_tail, h.down_w)
    source_ids = h.order[sources].astype(np.int64)
    target_ids = h.order[targets].astype(np.int64)
    finite = budgets[np.isfinite(budgets)]
    bound = math.inf if finite.size < budgets.size else float(finite.max(initial=-1.0))
    if target_ids.size == 0 or bound < 0:
        return np.full((source_ids.size, target_ids.size), np.inf)

    def backward(batch: slice) -> tuple[Any, Any, Any]:
        node, target, dist, count = _backward_buckets(*arcs, target_ids[batch], bound)
        return node[:count], target[:count] + batch.start, dist[:count]

    found = list(mapper(backward, _batches(target_ids.size, parts)))
    buckets = _bucket_index(
        h.n_nodes,
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
    )

    def forward(batch: slice) -> NDArray[np.float64]:
        return cast(
            "NDArray[np.float64]",
            _forward_scan(*arcs, source_ids[batch], budgets[batch], *buckets, target_ids.size),
        )

    rows = list(mapper(forward, _batches(source_ids.size, parts)))
    if not rows:
        return np.full((0, target_ids.size), np.inf)
    return np.concatenate(rows, axis=0)
