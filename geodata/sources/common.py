"""Shared robustness layer of the open-data readers: text, CSV, codes, coordinates, records.

Every reader of ``geodata.sources`` turns one published file into validated
`graph.models.PartnerFields` (wrapped in a :class:`SourceRecord` that keeps the provenance) and
a list of `geodata.sources.geojson.Rejection` whose reasons are in French. The messy parts they
share live here, each decided once:

Text
    :func:`decode_text` reads a byte order mark (UTF-8, UTF-16), else tries strict UTF-8, else
    falls back to Windows-1252 (the "ANSI" of French spreadsheets and of the FINESS extract,
    a superset of Latin-1 for printable characters), else Latin-1, which never fails. French
    text in Latin-1 is practically never valid UTF-8 (``é`` is the lone byte ``0xE9``, which
    UTF-8 only allows as the lead of a three-byte sequence), so the order is safe.
CSV
    :func:`sniff_delimiter` counts ``;``, ``,`` and tabulations outside quotes in the header
    line and keeps the most frequent (``;`` on a tie: the French default, since ``,`` is the
    decimal separator there).
Codes INSEE
    :func:`normalize_code_insee` restores the leading zero a spreadsheet drops (``1053`` →
    ``01053``) only when that is unambiguous, and upper-cases Corsica (``2a004`` → ``2A004``).
Coordinates
    EPSG:4326 longitude/latitude in degrees everywhere after reading. :func:`to_wgs84`
    projects Lambert-93 (EPSG:2154) and the overseas UTM systems with pyproj
    (``always_xy=True``; transformers built on first use and cached); :func:`to_wgs84_arrays`
    and :func:`in_france_mask` do the same for whole arrays at once. :func:`locate` checks
    the point lies in metropolitan France or overseas (`geodata.france`), swaps latitude and
    longitude when only the swapped point does, and falls back to the commune centroid for
    missing or (0, 0) coordinates, saying which it did (``geocoding``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import gc
import io
import math
import re
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import ValidationError

from geodata.france import FRANCE_BOUNDS, in_france, in_france_mask
from geodata.sources.geojson import Rejection
from graph import validation
from graph.messages import french_message
from graph.models import Contact, OpportunityFields, PartnerFields

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray
    from pyproj import Transformer

    from geodata.sources.communes import CommuneReference

__all__ = [
    "COMMUNE_TOLERANCE_M",
    "FRANCE_BOUNDS",
    "LAMBERT_93",
    "CsvTable",
    "DecodedText",
    "GeocodingMethod",
    "Location",
    "LocationError",
    "ReadResult",
    "ReadStream",
    "Rejection",
    "RowProblems",
    "SourceFormatError",
    "SourceRecord",
    "clean_contact",
    "clean_opening_hours",
    "clean_siret",
    "clean_text",
    "decode_text",
    "departement_of",
    "fold",
    "french_hours_to_osm",
    "gc_paused",
    "in_france",
    "in_france_mask",
    "join_address",
    "keep_unique",
    "lambert93_to_wgs84",
    "locate",
    "normalize_code_insee",
    "parse_csv",
    "parse_date",
    "parse_float",
    "read_text",
    "sniff_delimiter",
    "to_wgs84",
    "to_wgs84_arrays",
    "validate_opportunity",
    "validate_partner",
    "validate_partner_with_contact",
    "wgs84_to_lambert93",
]

GeocodingMethod = Literal["source", "commune", "swapped"]
"""How a record's point was obtained.

``source``: the coordinates the file gives, as given. ``swapped``: the file's latitude and
longitude were exchanged (the point only falls in France once swapped). ``commune``: the file
gave no usable point; the record sits on its commune's centroid, an approximation a map should
show as such.
"""

LAMBERT_93: Final = 2154
"""EPSG code of RGF93 / Lambert-93, the legal projection of metropolitan France (metres)."""

_WGS84: Final = 4326


class SourceFormatError(ValueError):
    """A file as a whole cannot be read (wrong format, missing header); French message."""


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class SourceRecord:
    """One partner read from an open-data source, with where it came from.

    Attributes
    ----------
    partner : PartnerFields
        The validated partner; ``partner.source`` equals ``provenance`` and
        ``partner.source_id`` equals ``source_id``. Coordinates are EPSG:4326 lon/lat.
    opportunities : tuple of OpportunityFields
        Places the partner offers according to the source (jobs, trainings, programmes).
    provenance : str
        Name of the source (``finess``, ``dora``, ``hinaura``...): with ``source_id``, the key
        that re-imports update.
    source_id : str
        Identifier of the record in that source (FINESS number, data·inclusion id...).
    geocoding : {"source", "commune", "swapped"}
        How the point was obtained, see :data:`GeocodingMethod`.
    extra : Mapping[str, Any]
        What the source says that ``PartnerFields`` has no field for, kept for display and
        audit: raw labels, secondary identifiers, ``notes`` (a list of French sentences about
        values that were dropped or repaired).
    index : int
        Position of the record in its file (from 0), as in rejections.
    updated_on : datetime.date or None
        Date the source last changed the record (``date_maj``), for freshness.
    """

    partner: PartnerFields
    provenance: str
    source_id: str
    opportunities: tuple[OpportunityFields, ...] = ()
    geocoding: GeocodingMethod = "source"
    extra: Mapping[str, Any] = field(default_factory=dict)
    index: int = 0
    updated_on: dt.date | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(provenance, source_id)``: how the record is recognised across imports."""
        return self.provenance, self.source_id


@dataclass(slots=True)
class ReadResult:
    """What a reader made of one file.

    Attributes
    ----------
    records : list of SourceRecord
        Valid records, in file order.
    rejections : list of Rejection
        Every problem of every refused record (a record may have several), French reasons.
    skipped : int
        Rows deliberately left out because they are outside the reader's scope (a FINESS
        category that is not an inclusion actor, another département...): not errors.
    attached, offered : int
        Items folded into a record: without becoming an opportunity, or as one (see
        :attr:`total`).
    complete : bool
        False when the file says it is only part of the source's list (a Les emplois API
        page whose ``next`` is set): records it does not list must not be taken for gone.
    notes : list of str
        French sentences about the file as a whole, for the import's report.
    defaulted : int
        Records given a catch-all kind because the source names no maillage kind for them.
    """

    records: list[SourceRecord] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: int = 0
    attached: int = 0
    offered: int = 0
    complete: bool = True
    notes: list[str] = field(default_factory=list)
    defaulted: int = 0

    @property
    def rejected_indexes(self) -> set[int]:
        """Positions of the refused records."""
        return {rejection.index for rejection in self.rejections}

    @property
    def total(self) -> int:
        """Items of the file: records, refused, skipped, attached and offered items.

        Every item of a file is counted once: a record (a partner), a refused item, an item
        out of scope (``skipped``), an item folded into a record without becoming a partner
        or an opportunity (``attached``: a data·inclusion service that only describes its
        structure, a closed job description) or one that became an opportunity
        (``offered``). Opportunities nested inside a record (the ``postes`` of a Les emplois
        page) are part of that record, not items.
        """
        return (
            len(self.records)
            + len(self.rejected_indexes)
            + self.skipped
            + self.attached
            + self.offered
        )

    def extend(self, other: ReadResult) -> None:
        """Append another part of the same file (records, rejections, counts, notes)."""
        self.records.extend(other.records)
        self.rejections.extend(other.rejections)
        self.skipped += other.skipped
        self.attached += other.attached
        self.offered += other.offered
        self.defaulted += other.defaulted
        self.complete = self.complete and other.complete
        self.notes.extend(note for note in other.notes if note not in self.notes)

    @classmethod
    def concat(cls, parts: Iterable[ReadResult]) -> ReadResult:
        """One result from the successive parts of a file (see :class:`ReadStream`)."""
        whole = cls()
        for part in parts:
            whole.extend(part)
        return whole


@dataclass(slots=True)
class ReadStream:
    """A file read in successive parts, so that writing can start before reading ends.

    A streaming reader checks the file's format when called (a
    :class:`SourceFormatError` is raised then, before any part is produced) and returns
    this; iterating it yields `ReadResult` parts in file order, whose ``index`` values keep
    counting across parts. ``ReadResult.concat(stream)`` is what the non-streaming reader
    returns.

    Attributes
    ----------
    parts : Iterator[ReadResult]
        The parts, produced lazily (at most ``chunk_size`` rows each).
    expected : int
        Rows the file holds (records, rejected and skipped rows together), for progress.
    """

    parts: Iterator[ReadResult]
    expected: int

    def __iter__(self) -> Iterator[ReadResult]:
        return self.parts


_RAMP_MIN_SIZE = 1_000
"""Parts of at least this size ramp up and down at the ends of a long file (`part_bounds`)."""


def part_bounds(total: int, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the successive parts of ``total`` rows, each of at most ``size``.

    A file is read one part ahead of its writer: the writer waits for the first part to be
    read, and the last part's write overlaps no reading. When the file holds at least four
    parts of ``size`` (``size`` ≥ 1,000), its first two and last two parts are a quarter then
    a half of ``size`` (and a half then a quarter), so that the writer starts sooner and the
    end waits less; the parts in between are of ``size``. Otherwise every part but the last
    is of ``size``.
    """
    if total <= 0:
        return []
    if size < _RAMP_MIN_SIZE or total < 4 * size:
        return [(start, min(start + size, total)) for start in range(0, total, size)]
    quarter, half = size // 4, size // 2
    head = [quarter, half]
    tail = [half, quarter]
    middle = total - sum(head) - sum(tail)
    sizes = [
        *head,
        *([size] * (middle // size)),
        *([middle % size] if middle % size else []),
        *tail,
    ]
    bounds, start = [], 0
    for length in sizes:
        bounds.append((start, start + length))
        start += length
    return bounds


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block: for reading many records at once.

    Every record a reader builds is about ten objects the collector tracks (the pydantic models,
    their field sets and lists), which all outlive the read. The collector runs a full pass
    over every tracked object each time their number grows by a quarter, so that reading
    100,000 FINESS establishments spent as long in the collector as in the reading itself.
    With the pause, it runs once after the block instead.

    The pause is process-wide (every thread) and lasts only the block; the collector is
    turned back on afterwards, even on error, unless it was already off before (the block is
    then a no-op). Objects are still freed by reference counting meanwhile: only reference
    cycles wait. Keep the block short: one part of a file in a reader, never across a
    ``yield``; or one whole import (`service.imports.sources.import_source`, whose parts
    are freed once written), so that the collector does not walk the parts in flight
    after each of them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keep_unique(
    result: ReadResult,
    record: SourceRecord,
    index: int,
    seen: dict[str, int],
    *,
    field: str,
    noun: str,
) -> None:
    """Keep ``record`` unless an earlier row of the file had its ``source_id``.

    A repeated identifier rejects the later row, naming the first one (``noun`` says what a
    row is in this source, e.g. « la ligne », « le lieu »); ``seen`` maps identifiers to the
    index of their first row and is updated.
    """
    first = seen.setdefault(record.source_id, index)
    if first != index:
        result.rejections.append(
            Rejection(
                index,
                field,
                f"doublon : même identifiant que {noun} n°{first}",
                record.source_id,
            )
        )
        return
    result.records.append(record)


class RowProblems:
    """Collects the problems of one row so that all of them are reported, not only the first.

    Parameters
    ----------
    index : int
        Position of the row in its file (from 0).
    source_id : str or None
        Identifier of the row in its source, when readable.
    """

    def __init__(self, index: int, source_id: str | None = None) -> None:
        self.index = index
        self.source_id = source_id
        self.rejections: list[Rejection] = []
        self.notes: list[str] = []

    def reject(self, where: str, reason: str) -> None:
        """Record a problem that refuses the row."""
        self.rejections.append(Rejection(self.index, where, reason, self.source_id))

    def note(self, text: str) -> None:
        """Record a repair or a dropped value that does not refuse the row (French)."""
        self.notes.append(text)

    def __bool__(self) -> bool:
        return bool(self.rejections)


def validate_partner(fields: Mapping[str, Any], problems: RowProblems) -> PartnerFields | None:
    """Validate partner fields; on failure, add every pydantic error to ``problems``.

    Returns
    -------
    PartnerFields or None
        ``None`` when invalid (the reasons are in ``problems``).
    """
    try:
        return PartnerFields.model_validate(dict(fields))
    except ValidationError as exc:
        for error in exc.errors():
            problems.reject(_where(error["loc"]), french_message({**error, "loc": ()}))
        return None


def validate_partner_with_contact(
    fields: Mapping[str, Any],
    problems: RowProblems,
    *,
    phone: Any = None,
    email: Any = None,
    website: Any = None,
) -> PartnerFields | None:
    """:func:`validate_partner` of ``fields`` plus ``contact=clean_contact(phone, email, website)``.

    The same partner, notes and reasons as those two steps, in one pydantic validation for a
    valid row: the contact values are validated inside the partner. Only when that fails (an
    invalid contact value, which is dropped with a note, or an invalid partner) is the row
    validated again the two-step way.
    """
    try:
        return PartnerFields.model_validate(
            {**fields, "contact": _contact_values(phone, email, website)}
        )
    except ValidationError:
        pass
    contact = clean_contact(phone=phone, email=email, website=website, note=problems.note)
    return validate_partner({**fields, "contact": contact}, problems)


def validate_opportunity(
    fields: Mapping[str, Any], problems: RowProblems, where: str
) -> OpportunityFields | None:
    """Validate opportunity fields; errors are reported under ``where`` (``postes[2]``...)."""
    try:
        return OpportunityFields.model_validate(dict(fields))
    except ValidationError as exc:
        for error in exc.errors():
            location = _where(error["loc"])
            problems.reject(f"{where}.{location}", french_message({**error, "loc": ()}))
        return None


def _where(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "enregistrement"


# --- text ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text decoded from bytes and the codec that decoded it (``utf-8``, ``cp1252``...)."""

    text: str
    encoding: str


_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> DecodedText:
    """Decode a file's bytes: byte order mark, else UTF-8, else Windows-1252, else Latin-1.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    DecodedText
        The text without its byte order mark, and the codec used.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return DecodedText(data.decode(codec).lstrip("\ufeff"), codec)
    for codec in ("utf-8", "cp1252"):
        try:
            return DecodedText(data.decode(codec), codec)
        except UnicodeDecodeError:
            continue
    # cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D); Latin-1 maps them all.
    return DecodedText(data.decode("latin-1"), "latin-1")


def read_text(path: Path) -> DecodedText:
    """Read and decode a text file, see :func:`decode_text`."""
    return decode_text(path.read_bytes())


def clean_text(value: Any) -> str | None:
    """A value as one-line text: whitespace collapsed, ``None`` when empty or absent."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def join_address(*parts: Any) -> str | None:
    """Non-empty address parts joined by ", " (``None`` when all are empty)."""
    cleaned = [text for part in parts if (text := clean_text(part))]
    return ", ".join(cleaned) or None


def parse_date(value: Any) -> dt.date | None:
    """A date written ``AAAA-MM-JJ``, ``JJ/MM/AAAA`` or as an ISO datetime; ``None`` otherwise."""
    if value is None:
        return None
    return _parse_date_text(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=8192)
def _parse_date_text(value: str) -> dt.date | None:
    """:func:`parse_date` of a text, cached: a file repeats the same few thousand dates."""
    text = clean_text(value)
    if text is None:
        return None
    for pattern, order in ((_ISO_DATE, (1, 2, 3)), (_FRENCH_DATE, (3, 2, 1))):
        match = pattern.match(text)
        if match:
            year, month, day = (int(match.group(i)) for i in order)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_FRENCH_DATE: Final = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


def parse_float(value: Any) -> float | None:
    """A finite number from a number or a text (``"43,83"`` accepted); ``None`` otherwise."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    text = str(value)
    try:
        # A plain number, as most files write them: float() accepts exactly the texts that the
        # cleaning below leaves unchanged but for surrounding whitespace, which it ignores too.
        number = float(text)
    except ValueError:
        text = text.strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            return None
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def fold(text: str) -> str:
    """Lower case without accents (``"Nîmes"`` → ``"nimes"``), for comparing labels."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


# --- CSV -------------------------------------------------------------------------------------

_DELIMITERS: Final = (";", ",", "\t")


def sniff_delimiter(text: str) -> str:
    """The field separator of a CSV text: ``;``, ``,`` or a tabulation.

    The first non-empty line (the header) is scanned and separators inside double quotes are
    ignored; the most frequent wins, ``;`` on a tie or when none is found.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])  # first max: ";" on ties
    return best if counts[best] else ";"


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A parsed CSV: its header (names stripped) and its data rows (lists of raw strings)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    delimiter: str

    def row_dict(self, row: Sequence[str]) -> dict[str, str] | None:
        """The row keyed by the header, or ``None`` when its width differs from the header's."""
        if len(row) != len(self.header):
            return None
        return dict(zip(self.header, row, strict=True))


def parse_csv(text: str, *, delimiter: str | None = None) -> CsvTable:
    """Parse a CSV text whose first line is a header.

    Parameters
    ----------
    text : str
        Decoded text (see :func:`decode_text`).
    delimiter : str, optional
        Field separator; sniffed with :func:`sniff_delimiter` when not given.

    Raises
    ------
    SourceFormatError
        When the text has no header line.
    """
    separator = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    lines = [tuple(row) for row in reader if any(cell.strip() for cell in row)]
    if not lines:
        raise SourceFormatError("fichier CSV vide : une ligne d'en-tête est attendue")
    header = tuple(name.strip().lstrip("\ufeff") for name in lines[0])
    return CsvTable(header, tuple(lines[1:]), separator)


# --- codes -----------------------------------------------------------------------------------

_FOUR_DIGITS: Final = re.compile(r"^[0-9]{4}$")
_SPREADSHEET_FLOAT: Final = re.compile(r"^([0-9]{4,5})\.0+$")
_OLD_CORSICA: Final = re.compile(r"^20[0-9]{3}$")


def normalize_code_insee(value: str | int, *, known_codes: Container[str] | None = None) -> str:
    """Normalise a commune's code INSEE (code officiel géographique) read from a file.

    Repairs, in order:

    1. surrounding spaces, lower-case Corsica (``2a004`` → ``2A004``), a spreadsheet's float
       (``30189.0`` → ``30189``);
    2. a lost leading zero: a code of exactly four digits can only be a code of départements
       ``01``-``09`` whose zero was dropped (every code INSEE has five characters and no other
       département starts with ``0``), so it is padded (``1053`` → ``01053``). When
       ``known_codes`` is given, the padded code must also be one of them; three digits or
       fewer are never padded (which zeros were lost is then ambiguous);
    3. a pre-1976 Corsican code ``20xxx`` becomes ``2Axxx`` or ``2Bxxx`` only when
       ``known_codes`` is given and exactly one of the two exists.

    Parameters
    ----------
    value : str or int
        The code as read (an ``int`` when a JSON or spreadsheet typed it as a number).
    known_codes : container of str, optional
        The codes that exist (e.g. from :func:`geodata.sources.territory.read_communes`).

    Returns
    -------
    str
        A five-character code that passes `graph.validation.validate_code_insee` (and is in
        ``known_codes`` when given).

    Raises
    ------
    ValueError
        French message, when the code cannot be repaired unambiguously.
    """
    text = str(value).strip().upper()
    float_match = _SPREADSHEET_FLOAT.match(text)
    if float_match:
        text = float_match.group(1)
    if _FOUR_DIGITS.match(text):
        text = "0" + text
    if known_codes is not None and _OLD_CORSICA.match(text) and text not in known_codes:
        candidates = [f"2{half}{text[2:]}" for half in "AB" if f"2{half}{text[2:]}" in known_codes]
        if len(candidates) == 1:
            text = candidates[0]
    code = validation.validate_code_insee(text)
    if known_codes is not None and code not in known_codes:
        raise ValueError(f"code INSEE inconnu : « {value} » (aucune commune ne porte ce code)")
    return code


def departement_of(code_insee: str) -> str:
    """Département of a commune: ``30189`` → ``30``, ``2A004`` → ``2A``, ``97105`` → ``971``."""
    return code_insee[:3] if code_insee.startswith("97") else code_insee[:2]


# --- coordinates -----------------------------------------------------------------------------


@functools.cache
def _transformer(source_epsg: int, target_epsg: int) -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(source_epsg, target_epsg, always_xy=True)


def to_wgs84(x: float, y: float, *, epsg: int) -> tuple[float, float]:
    """Project a point from a French projected system to EPSG:4326.

    Parameters
    ----------
    x, y : float
        Easting and northing in metres of ``epsg`` (e.g. Lambert-93, EPSG:2154).
    epsg : int
        Source system: 2154 (Lambert-93, metropole), 5490 (RGAF09 / UTM 20N, Antilles),
        2972 (RGFG95 / UTM 22N, Guyane), 2975 (RGR92 / UTM 40S, Réunion),
        4471 (RGM04 / UTM 38S, Mayotte), or any EPSG code pyproj knows.

    Returns
    -------
    tuple of float
        ``(lon, lat)`` in degrees (EPSG:4326, longitude first).
    """
    lon, lat = _transformer(epsg, _WGS84).transform(x, y)
    return float(lon), float(lat)


def to_wgs84_arrays(
    x: ArrayLike, y: ArrayLike, *, epsg: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`to_wgs84` of many points at once, in one pyproj call.

    Parameters
    ----------
    x, y : array_like of float
        Eastings and northings in metres of ``epsg``, of the same shape.
    epsg : int
        Source system, as for :func:`to_wgs84`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` float64 arrays in degrees (EPSG:4326), equal value for value to what
        :func:`to_wgs84` gives point by point; a point PROJ cannot project is ``inf``.
    """
    import numpy as np

    lon, lat = _transformer(epsg, _WGS84).transform(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    )
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def lambert93_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """Lambert-93 (EPSG:2154, metres) → ``(lon, lat)`` EPSG:4326 degrees."""
    return to_wgs84(x, y, epsg=LAMBERT_93)


def wgs84_to_lambert93(lon: float, lat: float) -> tuple[float, float]:
    """``(lon, lat)`` EPSG:4326 degrees → Lambert-93 ``(x, y)`` in metres (EPSG:2154)."""
    x, y = _transformer(_WGS84, LAMBERT_93).transform(lon, lat)
    return float(x), float(y)


@dataclass(frozen=True, slots=True)
class Location:
    """A checked EPSG:4326 point, how it was obtained and, if repaired, a French note."""

    lon: float
    lat: float
    geocoding: GeocodingMethod
    note: str | None = None


class LocationError(ValueError):
    """No usable point and no commune centroid to fall back on (French message)."""


COMMUNE_TOLERANCE_M: Final = 1_000.0
"""How far outside its commune's boundary a source's point may lie and be kept, metres.

The boundaries of the national list are generalised (IGN Admin Express, simplified for
display) and a street-level geocoder may put a building on the far side of the boundary
road; beyond a kilometre, the point is another place than the commune the row names."""


def locate(
    lon: float | None,
    lat: float | None,
    *,
    code_insee: str | None = None,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    communes: CommuneReference | None = None,
    tolerance_m: float = COMMUNE_TOLERANCE_M,
    measured_m: float | None = None,
) -> Location:
    """Check a point read from a source, repairing what can be repaired.

    Rules, in order:

    1. missing, non-finite or (0, 0) coordinates → the centroid of ``code_insee``
       (``geocoding="commune"``);
    2. a point inside :data:`FRANCE_BOUNDS` → kept (``geocoding="source"``);
    3. a point outside whose swap (lat, lon) is inside → swapped (``geocoding="swapped"``);
       no box overlaps another's swap, so the repair is unambiguous;
    4. otherwise → the commune centroid, with a note saying the point was ignored.

    With ``communes`` (the national list) and a ``code_insee`` it knows the boundary of, the
    point kept by rule 2 or 3 must also lie in that commune, or within ``tolerance_m`` of it
    (:data:`COMMUNE_TOLERANCE_M`); otherwise it is replaced by the commune's centroid
    (``geocoding="commune"``) with a French note naming the file's values and the distance.

    Parameters
    ----------
    lon, lat : float or None
        The point as read, EPSG:4326 degrees.
    code_insee : str, optional
        The record's commune, for the fallback and the check.
    commune_centroids : Mapping[str, tuple[float, float]], optional
        ``code_insee`` → ``(lon, lat)`` of the commune's centroid, EPSG:4326
        (see `geodata.sources.territory.commune_centroids`); those of ``communes`` when not
        given.
    communes : CommuneReference, optional
        The national commune list (`geodata.sources.communes`), for the check.
    tolerance_m : float
        See above, metres.
    measured_m : float, optional
        The distance from ``(lon, lat)`` to the commune ``code_insee``, metres, when the
        caller measured it already for many points at once (`CommuneReference.distances_m`).

    Returns
    -------
    Location

    Raises
    ------
    LocationError
        When the point is unusable and the commune's centroid is unknown.
    """
    if commune_centroids is None and communes is not None:
        commune_centroids = communes.centroids
    point_missing = (
        lon is None
        or lat is None
        or not (math.isfinite(lon) and math.isfinite(lat))
        or (lon == 0 and lat == 0)
    )
    found: Location | None = None
    if lon is not None and lat is not None and not point_missing:
        if in_france(lon, lat):
            found = Location(lon, lat, "source")
        elif in_france(lat, lon):
            found = Location(
                lat, lon, "swapped", "latitude et longitude inversées dans la source : corrigé"
            )
    if found is not None:
        if communes is None or not code_insee:
            return found
        return _in_commune(
            found,
            lon=lon,
            lat=lat,
            code_insee=code_insee,
            communes=communes,
            centroids=commune_centroids,
            tolerance_m=tolerance_m,
            measured_m=measured_m,
        )
    centroid = (commune_centroids or {}).get(code_insee) if code_insee else None
    if point_missing:
        if centroid is None:
            raise LocationError(
                _no_point_reason("coordonnées absentes ou nulles (0, 0)", code_insee)
            )
        return Location(
            centroid[0], centroid[1], "commune", "coordonnées absentes : centre de la commune"
        )
    if centroid is None:
        raise LocationError(
            _no_point_reason(f"coordonnées hors de France ({lon}, {lat})", code_insee)
        )
    return Location(
        centroid[0],
        centroid[1],
        "commune",
        f"coordonnées hors de France ({lon}, {lat}) ignorées : centre de la commune",
    )


def _in_commune(
    found: Location,
    *,
    lon: Any,
    lat: Any,
    code_insee: str,
    communes: CommuneReference,
    centroids: Mapping[str, tuple[float, float]] | None,
    tolerance_m: float,
    measured_m: float | None = None,
) -> Location:
    """``found`` when it lies in (or near) its commune, else the commune's centroid."""
    if measured_m is not None and found.geocoding == "source":  # measured for (lon, lat)
        distance: float | None = measured_m
    else:
        distance = communes.distance_m(code_insee, found.lon, found.lat)
    if distance is None or distance <= tolerance_m:
        return found
    if found.geocoding == "source":  # the swap may be the one in the commune
        swapped = communes.distance_m(code_insee, lat, lon) if in_france(lat, lon) else None
        if swapped is not None and swapped <= tolerance_m:
            return Location(
                lat, lon, "swapped", "latitude et longitude inversées dans la source : corrigé"
            )
    centroid = (centroids or {}).get(code_insee)
    if centroid is None:
        return found
    entry = communes.get(code_insee)
    name = f" ({entry.name})" if entry is not None else ""
    return Location(
        centroid[0],
        centroid[1],
        "commune",
        f"point de la source (longitude {lon}, latitude {lat}) à {distance / 1000:.1f} km "
        f"de la commune {code_insee}{name} qu'elle indique : remplacé par le centre de la "
        "commune",
    )


def _no_point_reason(problem: str, code_insee: str | None) -> str:
    if code_insee:
        return f"{problem} et centre de la commune {code_insee} inconnu : impossible de localiser"
    return f"{problem} et commune inconnue : impossible de localiser"


# --- contact and hours -----------------------------------------------------------------------


def clean_siret(value: Any, problems: RowProblems, where: str = "siret") -> str | None:
    """A validated SIRET, ``None`` when absent; an invalid one refuses the row.

    Spaces are removed. Zeros only (``00000000000000``, which passes the Luhn check) is a
    placeholder some exports use for "unknown": it is read as absent, with a note.
    """
    text = clean_text(value)
    if text is None:
        return None
    if not text.replace(" ", "").strip("0"):  # zeros only (text is not blank)
        problems.note(f"SIRET de remplacement « {text} » ignoré")
        return None
    try:
        return validation.validate_siret(text)
    except ValueError as exc:
        problems.reject(where, str(exc))
        return None


_CONTACT_LABELS: Final = {"phone": "téléphone", "email": "courriel", "website": "site web"}


def clean_contact(
    *, phone: Any = None, email: Any = None, website: Any = None, note: Callable[[str], None]
) -> Contact:
    """A `graph.models.Contact` from raw values; an invalid value is dropped with a note.

    Contact details are secondary: a malformed phone number never refuses a structure, it is
    left out and ``note`` receives a French sentence saying so.
    """
    candidates = _contact_values(phone, email, website)
    try:
        return Contact.model_validate(candidates)  # the usual case: all valid, one validation
    except ValidationError:
        pass
    values: dict[str, str] = {}
    for name, text in candidates.items():  # find the invalid ones, field by field
        try:
            Contact.model_validate({name: text})
        except ValidationError:
            note(f"{_CONTACT_LABELS[name]} invalide ignoré : « {text[:60]} »")
            continue
        values[name] = text
    return Contact.model_validate(values)


def _contact_values(phone: Any, email: Any, website: Any) -> dict[str, str]:
    """The contact values :func:`clean_contact` validates: one-line text, a bare website
    prefixed with ``https://``, absent ones left out."""
    values: dict[str, str] = {}
    for name, raw in (("phone", phone), ("email", email), ("website", website)):
        text = clean_text(raw)
        if text is None:
            continue
        if name == "website" and not re.match(r"^https?://", text, re.IGNORECASE):
            text = f"https://{text}" if "." in text and " " not in text else text
        values[name] = text
    return values


def clean_opening_hours(value: Any, *, note: Callable[[str], None]) -> str | None:
    """OSM ``opening_hours`` text: as given when valid, else converted from French, else ``None``.

    A value that is not valid OSM syntax goes through :func:`french_hours_to_osm`; when that
    gives a valid expression it is kept with a note, otherwise the value is dropped with a note.
    """
    text = clean_text(value)
    if text is None:
        return None
    try:
        return validation.validate_opening_hours(text)
    except ValueError:
        pass
    converted = french_hours_to_osm(text)
    if converted is not None:
        note(f"horaires convertis au format OpenStreetMap : « {text[:80]} » → « {converted} »")
        return converted
    note(f"horaires non convertibles au format OpenStreetMap, ignorés : « {text[:80]} »")
    return None


_FRENCH_DAYS: Final = {
    "lundi": "Mo",
    "mardi": "Tu",
    "mercredi": "We",
    "jeudi": "Th",
    "vendredi": "Fr",
    "samedi": "Sa",
    "dimanche": "Su",
    "lun": "Mo",
    "mar": "Tu",
    "mer": "We",
    "jeu": "Th",
    "ven": "Fr",
    "sam": "Sa",
    "dim": "Su",
}
_FRENCH_TIME: Final = re.compile(r"\b(\d{1,2})\s*[h:](\d{2})?")


def french_hours_to_osm(text: str) -> str | None:
    """Convert simple French opening hours to OSM ``opening_hours``; ``None`` if not possible.

    Handles day names and abbreviations (``lundi``, ``mar.``), ranges of days (``du lundi au
    vendredi``), times written ``9h``, ``9h30`` or ``9:30``, ``et``/``,`` between time ranges
    and ``;``, ``/`` or new lines between rules: ``Du lundi au vendredi 9h-12h et 14h-17h ;
    samedi 9h30-12h`` → ``Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:30-12:00``. Anything else
    (exceptions, "sur rendez-vous", holidays) makes the conversion fail rather than guess.
    """
    rules: list[str] = []
    for part in re.split(r"[;/\n]+", fold(text)):
        if not part.strip():
            continue
        words = re.sub(r"[.:,]?\s+", " ", part.replace("–", "-")).strip()
        words = re.sub(
            r"\b(du|le|les|de|et)\b", lambda m: " et " if m.group(1) == "et" else " ", words
        )
        words = re.sub(r"\s+(au|a)\s+", "-", words)
        words = _FRENCH_TIME.sub(lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}", words)
        tokens = words.replace(" - ", "-").split()
        days: list[str] = []
        times: list[str] = []
        for word in tokens:
            if word == "et":
                continue
            day_range = [_FRENCH_DAYS.get(day.strip(".")) for day in word.split("-")]
            if all(day_range) and not times:
                days.append("-".join(day for day in day_range if day))
            elif re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", word):
                times.append(word)
            else:
                return None
        if not days or not times:
            return None
        rules.append(f"{','.join(days)} {','.join(times)}")
    candidate = "; ".join(rules)
    try:
        return validation.validate_opening_hours(candidate) if candidate else None
    except ValueError:
        return None
