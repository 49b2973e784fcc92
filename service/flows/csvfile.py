"""Reading a CSV file of orientation counts: one line per relation and period, every line
checked, each rejected line with its number, its column and the rule it breaks, in French.

The file (UTF-8, with or without the byte-order mark spreadsheets write; ``;`` or ``,``
between columns, as its first line uses) has a header line whose names are read without
case, accents nor punctuation (« Reçues », « orientations_recues » and « RECUES » are one
column):

==================  =======================================================================
column              what it holds
==================  =======================================================================
``relation``        the relation's identifier (UUID), or else the three columns below
``source``          the source partner's identifier (UUID)
``cible``           the target partner's identifier (UUID)
``type``            the relation's kind (``oriente-vers``, ``prescrit``…)
``debut``           first day of the period: ``AAAA-MM-01``, or the month ``AAAA-MM``
``fin``             last day of the period (``AAAA-MM-JJ`` or ``AAAA-MM``); empty: the month
                    of ``debut``
``envoyees``        orientations sent (whole number); empty: keeps the stored value
``recues``          orientations received; empty: keeps the stored value
``acceptees``       orientations accepted among those received; empty: keeps the stored value
==================  =======================================================================

Nothing here touches the database: `read_rows` returns the lines it understood and the
rejections; the route resolves the relations and writes all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass

from geodata.words import words
from graph.flows import (
    FlowCounts,
    count_problems,
    month_end,
    period_shape_problems,
    period_time_problems,
)
from graph.models import RELATION_KINDS
from service.flows.parameters import MAX_COUNT

MAX_ROWS = 10_000
COUNT_COLUMNS = {"envoyees": "sent", "recues": "received", "acceptees": "accepted"}
KNOWN_COLUMNS = ("relation", "source", "cible", "type", "debut", "fin", *COUNT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A rejected line (``line`` 1 is the header) and, when one is at fault, its column."""

    line: int
    column: str | None
    message: str

    @property
    def text(self) -> str:
        where = f"ligne {self.line}" + (f", colonne « {self.column} »" if self.column else "")
        return f"{where} : {self.message}"


@dataclass(frozen=True, slots=True)
class CsvRow:
    """A line understood: the relation (by id, or by its ends and kind), the period, and the
    counts given (``given``: the fields whose cell was not empty)."""

    line: int
    relation_id: uuid.UUID | None
    ends: tuple[uuid.UUID, uuid.UUID, str] | None
    period_start: dt.date
    period_end: dt.date
    counts: FlowCounts
    given: frozenset[str]

    def counts_over(self, stored: FlowCounts | None) -> FlowCounts:
        """The counts once this line is applied to the ``stored`` ones."""
        base = stored or FlowCounts()
        return FlowCounts(
            **{
                field: getattr(self.counts if field in self.given else base, field)
                for field in ("sent", "received", "accepted")
            }
        )


class _RefusedError(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        self.column = column
        self.message = message


def read_rows(
    content: bytes, *, today: dt.date, retention_months: int
) -> tuple[list[CsvRow], list[Rejection]]:
    """The lines of ``content`` that can be written, and the rejected ones."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Rejection(1, None, "fichier illisible : du texte UTF-8 est attendu")]
    if "\x00" in text:
        return [], [Rejection(1, None, "caractère nul interdit dans le fichier")]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [Rejection(1, None, "ligne d'en-tête absente (relation, debut, envoyees…)")]
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[CsvRow] = []
    rejections: list[Rejection] = []
    try:
        header = [_column(name) for name in next(reader)]
        problem = _header_problem(header)
        if problem is not None:
            return [], [Rejection(1, None, problem)]
        for cells in reader:
            number = reader.line_num  # the file's line where this row ends
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(rejections) >= MAX_ROWS:
                rejections.append(Rejection(number, None, f"plus de {MAX_ROWS} lignes par fichier"))
                break
            if len(cells) != len(header):
                rejections.append(
                    Rejection(number, None, f"{len(header)} colonnes attendues, comme l'en-tête")
                )
                continue
            try:
                rows.append(
                    _row(
                        number,
                        dict(zip(header, cells, strict=True)),
                        today=today,
                        retention_months=retention_months,
                    )
                )
            except _RefusedError as refused:
                rejections.append(Rejection(number, refused.column, refused.message))
    except csv.Error:
        rejections.append(
            Rejection(
                reader.line_num or 1,
                None,
                "CSV illisible (guillemet non fermé, fin de ligne dans un champ non cité ou "
                "champ trop long)",
            )
        )
    if not rows and not rejections:
        rejections.append(Rejection(2, None, "aucune ligne de comptes après l'en-tête"))
    return rows, rejections


def _column(name: str) -> str:
    found = words(name)
    if found[:1] == ["orientations"]:
        found = found[1:]
    return "_".join(found)


def _header_problem(header: list[str]) -> str | None:
    unknown = [name for name in header if name not in KNOWN_COLUMNS]
    if unknown:
        return (
            "en-tête : colonne inconnue (attendues : relation, ou source, cible et type ; "
            "debut, fin, envoyees, recues, acceptees)"
        )
    if len(set(header)) != len(header):
        return "en-tête : une colonne figure deux fois"
    if "debut" not in header:
        return "en-tête : la colonne « debut » est obligatoire"
    if "relation" not in header and not {"source", "cible", "type"} <= set(header):
        return (
            "en-tête : la colonne « relation », ou les colonnes « source », « cible » et « type »"
        )
    if not set(COUNT_COLUMNS) & set(header):
        return "en-tête : au moins une colonne de comptes (envoyees, recues, acceptees)"
    return None


def _row(line: int, cells: dict[str, str], *, today: dt.date, retention_months: int) -> CsvRow:
    cell = {name: value.strip() for name, value in cells.items()}
    relation_id: uuid.UUID | None = None
    ends: tuple[uuid.UUID, uuid.UUID, str] | None = None
    if cell.get("relation"):
        relation_id = _uuid(cell["relation"], "relation")
    else:
        kind = cell.get("type", "")
        if not (cell.get("source") and cell.get("cible") and kind):
            raise _RefusedError(
                None, "la relation est attendue : « relation », ou source, cible, type"
            )
        if kind not in RELATION_KINDS:
            raise _RefusedError("type", "type de relation inconnu")
        ends = (_uuid(cell["source"], "source"), _uuid(cell["cible"], "cible"), kind)
    start = _date(cell.get("debut", ""), "debut", first=True)
    end = _date(cell["fin"], "fin", first=False) if cell.get("fin") else month_end(start)
    problems = period_shape_problems(start, end) + period_time_problems(
        start, end, today=today, retention_months=retention_months
    )
    if problems:
        raise _located(problems[0])
    values = {
        field: _count(cell[column], column)
        for column, field in COUNT_COLUMNS.items()
        if cell.get(column)
    }
    counts = FlowCounts(**values)
    problems = count_problems(counts)
    if problems:
        raise _located(problems[0])
    return CsvRow(
        line=line,
        relation_id=relation_id,
        ends=ends,
        period_start=start,
        period_end=end,
        counts=counts,
        given=frozenset(values),
    )


_COLUMN_OF = {
    "period_start": "debut",
    "period_end": "fin",
    **{field: column for column, field in COUNT_COLUMNS.items()},
}


def _located(problem: str) -> _RefusedError:
    """A problem of `graph.flows` (« field : rule ») located at the file's column."""
    field, separator, message = problem.partition(" : ")
    if separator and field in _COLUMN_OF:
        return _RefusedError(_COLUMN_OF[field], message)
    return _RefusedError(None, problem)


def _uuid(value: str, column: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _RefusedError(column, "identifiant (UUID) attendu") from None


def _date(value: str, column: str, *, first: bool) -> dt.date:
    """``AAAA-MM-JJ``, or ``AAAA-MM``: the first (``first``) or the last day of the month."""
    try:
        if len(value) == 7:
            day = dt.date.fromisoformat(value + "-01")
            return day if first else month_end(day)
        if len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise _RefusedError(column, "date attendue (AAAA-MM-JJ ou AAAA-MM)")


def _count(value: str, column: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise _RefusedError(column, "nombre entier positif ou nul attendu")
    count = int(value)
    if count > MAX_COUNT:
        raise _RefusedError(column, f"au plus {MAX_COUNT:,} orientations".replace(",", " "))
    return count
