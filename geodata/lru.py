"""The one LRU cache of maillage: bounded, thread-safe, each missing key computed once.

Routes run in a thread pool and share caches (travel times per origin, snapped points, coverage
results): two threads that miss the same key wait for one computation instead of doing it
twice, and a computation never holds the lock that other keys need.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

__all__ = ["LRUCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """At most ``size`` entries, the least recently used evicted first.

    `hits` and `misses` count lookups by `kind` of key (``kind(key)``, the whole cache when no
    ``kind`` is given): figures for a benchmark or a health page, never for logic.
    """

    def __init__(self, size: int, *, kind: Callable[[K], str] | None = None) -> None:
        if size < 1:
            msg = "Taille de cache invalide : au moins une entrée."
            raise ValueError(msg)
        self.size = size
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self._kind = kind
        self._data: OrderedDict[K, V] = OrderedDict()
        self._pending: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The cached value (marked recently used), or ``None``; counts nothing."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, evicting the least recently used beyond `size`."""
        with self._lock:
            self._store(key, value)

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The cached value for ``key``, or ``compute()`` stored (once, whatever the threads)."""
        what = self._kind(key) if self._kind is not None else ""
        with self._lock:
            if key in self._data:
                self.hits[what] += 1
                self._data.move_to_end(key)
                return self._data[key]
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._lock:
                if key in self._data:
                    self.hits[what] += 1
                    self._data.move_to_end(key)
                    return self._data[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._pending.pop(key, None)
            with self._lock:
                self.misses[what] += 1
                self._store(key, value)
        return value

    def discard_if(self, predicate: Callable[[K], bool]) -> int:
        """Drop every entry whose key satisfies ``predicate``; returns how many were dropped."""
        with self._lock:
            doomed = [k for k in self._data if predicate(k)]
            for key in doomed:
                del self._data[key]
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._data))

    def _store(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)
