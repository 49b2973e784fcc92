"""The parts of an open-data file, read and prepared one part ahead of the writer.

A whole file of one provenance is cut in parts of `_PART_ROWS` records; a streamed file
(`geodata.sources.common.ReadStream`) comes in parts already. Each part is *prepared* —
duplicate keys rejected, the others serialised for ``COPY`` — by a background thread while
the previous part is written (`ReadAhead`).
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from geodata.sources.common import part_bounds
from geodata.sources.geojson import Rejection
from graph.inputs import NUL_MESSAGE, document_has_nul
from service.imports.staging import copy_text

if TYPE_CHECKING:
    from geodata.sources.common import ReadResult, SourceRecord


_PART_ROWS = 10_000
"""Records per part when a whole file of one provenance is written in parts."""


def parts_of(result: ReadResult) -> Iterable[ReadResult]:
    """A whole file as parts: lazily, in `_PART_ROWS` records (so that serialising one part
    overlaps with writing the previous one; shorter at both ends, see
    `geodata.sources.common.part_bounds`), when its records come from one provenance;
    else at once (its records are deduplicated among themselves). The first part carries
    the rejections, the counts and the notes."""
    records = result.records
    if len(records) <= _PART_ROWS or len({record.provenance for record in records}) > 1:
        return [result]

    def parts() -> Iterator[ReadResult]:
        for start, stop in part_bounds(len(records), _PART_ROWS):
            first = start == 0
            yield type(result)(
                records=records[start:stop],
                rejections=result.rejections if first else [],
                skipped=result.skipped if first else 0,
                attached=result.attached if first else 0,
                offered=result.offered if first else 0,
                complete=result.complete,
                notes=result.notes if first else [],
                defaulted=result.defaulted if first else 0,
            )

    return parts()


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a file, ready to be written: its records with a new key, their ``COPY``
    text, and the rejections (the reader's, and those of keys already seen)."""

    records: list[SourceRecord]
    copy_text: str
    rejections: list[Rejection]
    skipped: int
    total: int
    attached: int = 0
    offered: int = 0
    defaulted: int = 0
    complete: bool = True
    notes: tuple[str, ...] = ()


class Preparation:
    r"""Turns the parts of a file, in order, into `Part`\ s (in the reader thread when the
    file is streamed): a key seen in an earlier row is rejected, the others serialised."""

    def __init__(self) -> None:
        # "provenance\x1fsource_id" → index: strings, which the cyclic garbage collector
        # does not track (100,000 tuples made it walk every record of the file, again and again)
        self.seen: dict[str, int] = {}

    def __call__(self, part: ReadResult) -> Part:
        rejections = list(part.rejections)
        records: list[SourceRecord] = []
        for record in part.records:
            key = f"{record.provenance}\x1f{record.source_id}"
            first = self.seen.setdefault(key, record.index)
            if first != record.index:
                rejections.append(
                    Rejection(
                        record.index,
                        "source_id",
                        f"doublon : même (source, source_id) que l'élément n°{first}",
                        record.source_id,
                    )
                )
                continue
            records.append(record)
        text = copy_text(records)
        if "\x00" in text or "\\u0000" in text:  # rare: the part's text at C speed, then by row
            records, text = _without_nul(records, rejections)
        return Part(
            records,
            text,
            rejections,
            part.skipped,
            part.total,
            part.attached,
            part.offered,
            part.defaulted,
            part.complete,
            tuple(part.notes),
        )


def _without_nul(
    records: list[SourceRecord], rejections: list[Rejection]
) -> tuple[list[SourceRecord], str]:
    """The records that hold no NUL character (PostgreSQL stores it neither in text nor in
    ``jsonb``, where JSON writes it ``\\u0000``) and their text; each other record is rejected
    whole."""
    kept: list[SourceRecord] = []
    for record in records:
        if "\x00" in copy_text([record]) or document_has_nul(record.extra):
            source_id = None if "\x00" in record.source_id else record.source_id
            rejections.append(Rejection(record.index, "enregistrement", NUL_MESSAGE, source_id))
        else:
            kept.append(record)
    return kept, copy_text(kept)


class ReadAhead:
    """The parts of a file, read and prepared by a background thread one part ahead of the
    writer.

    Reading a part (decoding, projecting, validating, serialising: Python) then overlaps with
    writing the previous one (mostly PostgreSQL's work, during which psycopg releases the
    GIL); the interpreter's switch interval is shortened meanwhile, so that the writer gets
    the GIL back as soon as a statement returns. A list of parts is simply prepared in the
    caller's thread. An error of the reader is raised in the writer's thread; when the writer
    stops early, the reader thread is told to stop and joined.
    """

    _END: Final = object()
    _SWITCH_INTERVAL_S: Final = 0.0005

    def __init__(self, parts: Iterable[ReadResult], prepare: Callable[[ReadResult], Part]) -> None:
        self._parts = parts
        self._prepare = prepare
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._interval = sys.getswitchinterval()

    def __enter__(self) -> Iterator[Part]:
        if isinstance(self._parts, list | tuple):
            return map(self._prepare, self._parts)
        sys.setswitchinterval(min(self._interval, self._SWITCH_INTERVAL_S))
        self._thread = threading.Thread(target=self._produce, name="maillage-lecture", daemon=True)
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        while self._thread.is_alive():  # unblock a reader waiting to hand over a part
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()
        sys.setswitchinterval(self._interval)

    def _produce(self) -> None:
        try:
            for part in self._parts:
                if not self._hand_over(self._prepare(part)):
                    return
            self._hand_over(self._END)
        except BaseException as exc:  # handed to the writer's thread, raised there
            self._hand_over(_ReaderFailure(exc))

    def _hand_over(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self) -> Iterator[Part]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, _ReaderFailure):
                raise item.error
            yield item


@dataclass(frozen=True, slots=True)
class _ReaderFailure:
    error: BaseException
