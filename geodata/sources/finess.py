"""FINESS: the national register of health and social establishments, as published by Etalab.

Source: "FINESS Extraction du Fichier des établissements" on data.gouv.fr
(https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/),
resource "Extraction Finess des établissements géolocalisés", a file named like
``etalab-cs1100507-stock-AAAAMMJJ-HHMM.csv``; Licence Ouverte 2.0. The format is described in
the PDF published beside it. It is not a plain CSV:

- encoding Windows-1252 (Latin-1 for French letters), separator ``;``, double quotes only
  around values that contain one, no column header;
- line 1 is ``finess;etalab;<n>;<AAAA-MM-JJ>`` (the extraction date);
- then one ``structureet`` line per establishment, 32 fields: ``structureet; nofinesset;
  nofinessej; rs; rslongue; complrs; compldistrib; numvoie; typvoie; voie; compvoie;
  lieuditbp; commune; departement; libdepartement; ligneacheminement; telephone; telecopie;
  categetab; libcategetab; categagretab; libcategagretab; siret; codeape; codemft; libmft;
  codesph; libsph; dateouv; dateautor; maj; numuai``;
- then one ``geolocalisation`` line per establishment: ``geolocalisation; nofinesset;
  coordxet; coordyet; sourcecoordet; datemaj``, joined on ``nofinesset``. Coordinates are
  projected metres: Lambert-93 (EPSG:2154) in metropolitan France, UTM in overseas
  départements; ``sourcecoordet`` names the system (``…,LAMBERT_93`` in older files,
  ``…,EPSG:2154 RGF93 / Lambert-93 (Métropole)`` in recent ones) and is read to pick it.

``departement`` is ``01``-``95``, ``2A``/``2B``, or ``9A``-``9F`` overseas (Guadeloupe,
Martinique, Guyane, Réunion, Saint-Pierre-et-Miquelon, Mayotte), and ``commune`` is the
3-digit commune number: the code INSEE is ``departement + commune`` (``30`` + ``189``), or
``97`` + ``commune`` overseas (``9D`` + ``411`` → ``97411``). Zeros lost by a spreadsheet
(``1`` for ``01``, ``53`` for ``053``) are restored: both fields have fixed widths.

Only the categories of :data:`CATEGORY_KINDS` (``categetab``) are inclusion actors; the other
~90 % of the register (pharmacies, nursing homes, hospitals...) are skipped, not rejected.

:func:`read_finess` reads the whole file; :func:`iter_finess` gives the same result in parts
(10,000 establishments by default), read one at a time as they are asked for, so that an
importer can write one part while the next is read.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from geodata.sources import provenances
from geodata.sources.common import (
    LAMBERT_93,
    Location,
    LocationError,
    ReadResult,
    ReadStream,
    Rejection,
    RowProblems,
    SourceFormatError,
    SourceRecord,
    clean_siret,
    clean_text,
    decode_text,
    fold,
    gc_paused,
    in_france_mask,
    locate,
    normalize_code_insee,
    parse_date,
    parse_float,
    part_bounds,
    to_wgs84_arrays,
    validate_partner_with_contact,
)
from graph import vocabulary

if TYPE_CHECKING:
    from geodata.sources.communes import CommuneReference

__all__ = [
    "CATEGORY_KINDS",
    "PROVENANCE",
    "commune_centroid_source",
    "iter_finess",
    "read_finess",
]

PROVENANCE: Final = provenances.FINESS

CATEGORY_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # categetab → maillage kind. Codes and labels as they appear in the published extract
        # (libcategetab); CHECK against the official FINESS nomenclature (DREES, "catégories
        # d'établissements", https://finess.esante.gouv.fr → Nomenclatures) before relying on a
        # new extract: categories are occasionally split or relabelled.
        "246": "esat",  # Etablissement et Service d'Aide par le Travail (E.S.A.T.)
        "247": "ea",  # Entreprise adaptée
        "214": "chrs",  # Centre Hébergement & Réinsertion Sociale (C.H.R.S.)
        "219": "chu",  # Autre Centre d'Accueil (hébergement d'urgence; see _refine_kind)
        "442": "cph",  # Centre Provisoire Hébergement (C.P.H.)
        "443": "cada",  # Centre Accueil Demandeurs Asile (C.A.D.A.)
        "258": "pension-de-famille",  # Maisons Relais - Pensions de Famille
        "259": "residences-fjt",  # Autre Résidence Sociale (hors Maison Relais, Pension de Famille)
        "257": "residences-fjt",  # Foyer de Jeunes Travailleurs (résidence sociale ou non)
        "197": "csapa",  # Centre soins accompagnement prévention addictologie (C.S.A.P.A.)
        "178": "caarud",  # Ctre.Accueil/ Accomp.Réduc.Risq.Usag. Drogues (C.A.A.R.U.D.)
        "156": "cmp",  # Centre Médico-Psychologique (C.M.P.)
    }
)
"""FINESS establishment categories (``categetab``) read as inclusion actors, and their kind.

Decisions: résidences sociales (259) join the FJT (257) as ``residences-fjt``, as Les emplois
de l'inclusion groups them ("Résidence sociale / FJT"); "Autre Centre d'Accueil" (219) is where
emergency shelters are registered and becomes ``chu``, or ``accueil-de-jour`` when its name
says so. No FINESS category was found for HUDA (declared to the OFII, not authorised as
ESSMS) nor for MDPH (a GIP, not an establishment): pass ``categories`` to add codes once
checked against the nomenclature.
"""

_STRUCTURE_FIELDS: Final = (
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie",
    "typvoie", "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement",
    "ligneacheminement", "telephone", "telecopie", "categetab", "libcategetab", "categagretab",
    "libcategagretab", "siret", "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv",
    "dateautor", "maj", "numuai",
)  # fmt: skip
_MIN_STRUCTURE_FIELDS: Final = len(_STRUCTURE_FIELDS) - 1  # numuai is often cut off
# Positions of the structureet fields read; all come before numuai, so a complete row has them.
_NOFINESSET: Final = _STRUCTURE_FIELDS.index("nofinesset")
_NOFINESSEJ: Final = _STRUCTURE_FIELDS.index("nofinessej")
_RS: Final = _STRUCTURE_FIELDS.index("rs")
_RSLONGUE: Final = _STRUCTURE_FIELDS.index("rslongue")
_COMPLDISTRIB: Final = _STRUCTURE_FIELDS.index("compldistrib")
_NUMVOIE: Final = _STRUCTURE_FIELDS.index("numvoie")
_TYPVOIE: Final = _STRUCTURE_FIELDS.index("typvoie")
_VOIE: Final = _STRUCTURE_FIELDS.index("voie")
_COMPVOIE: Final = _STRUCTURE_FIELDS.index("compvoie")
_LIEUDITBP: Final = _STRUCTURE_FIELDS.index("lieuditbp")
_COMMUNE: Final = _STRUCTURE_FIELDS.index("commune")
_DEPARTEMENT: Final = _STRUCTURE_FIELDS.index("departement")
_LIGNEACHEMINEMENT: Final = _STRUCTURE_FIELDS.index("ligneacheminement")
_TELEPHONE: Final = _STRUCTURE_FIELDS.index("telephone")
_CATEGETAB: Final = _STRUCTURE_FIELDS.index("categetab")
_LIBCATEGETAB: Final = _STRUCTURE_FIELDS.index("libcategetab")
_CATEGAGRETAB: Final = _STRUCTURE_FIELDS.index("categagretab")
_SIRET: Final = _STRUCTURE_FIELDS.index("siret")
_MAJ: Final = _STRUCTURE_FIELDS.index("maj")
_HEADER: Final = re.compile(r"^finess;etalab", re.IGNORECASE)
_FINESS_NUMBER: Final = re.compile(r"^[0-9][0-9AB][0-9]{7}$")
_OVERSEAS_LETTERS: Final = frozenset("ABCDEF")  # 9A Guadeloupe ... 9F Mayotte

# sourcecoordet fragment → EPSG code of the coordinates
_SYSTEMS: Final = (
    ("LAMBERT_93", LAMBERT_93),
    ("EPSG:2154", LAMBERT_93),
    ("UTM_N20", 5490),
    ("EPSG:5490", 5490),
    ("EPSG:32620", 32620),
    ("UTM_N22", 2972),
    ("EPSG:2972", 2972),
    ("UTM_S40", 2975),
    ("EPSG:2975", 2975),
    ("UTM_S38", 4471),
    ("EPSG:4471", 4471),
    ("UTM_N21", 4467),  # Saint-Pierre-et-Miquelon, RGSPM06 / UTM 21N
    ("EPSG:4467", 4467),
)
# departement → system when sourcecoordet names none
_DEFAULT_SYSTEMS: Final = {"9A": 5490, "9B": 5490, "9C": 2972, "9D": 2975, "9E": 4467, "9F": 4471}

# typvoie abbreviations of the extract → words, for readable addresses
_STREET_TYPES: Final = {
    "R": "rue",
    "AV": "avenue",
    "BD": "boulevard",
    "PL": "place",
    "CHE": "chemin",
    "RTE": "route",
    "ALL": "allée",
    "IMP": "impasse",
    "QUA": "quai",
    "CRS": "cours",
    "PAS": "passage",
    "SQ": "square",
    "FG": "faubourg",
    "LOT": "lotissement",
    "QUAI": "quai",
    "ZA": "ZA",
    "ZI": "ZI",
    "ZAC": "ZAC",
    "MTE": "montée",
    "ESP": "esplanade",
    "CITE": "cité",
    "HAM": "hameau",
    "LD": "lieu-dit",
    "RES": "résidence",
}


_Raw: TypeAlias = str | list[str]
"""A record of the file before it is read: its line, whose fields are ``line.split(";")``, or,
for a line holding a double quote, the fields csv read (a quoted value may hold a ``;`` or span
lines)."""


@dataclass(slots=True)
class _Geolocation:
    """A ``geolocalisation`` line: projected metres of the system ``system`` names."""

    x: float | None
    y: float | None
    system: str


@dataclass(frozen=True, slots=True)
class _Context:
    """What reading every part needs, prepared once per file."""

    kinds: Mapping[str, str]
    departements: Container[str] | None
    geolocations: Mapping[str, _Raw]
    commune_centroids: Mapping[str, tuple[float, float]] | None
    communes: CommuneReference | None = None


@dataclass(slots=True)
class _Establishment:
    """An in-scope ``structureet`` row on its way to a record.

    ``fields`` are stripped. ``point`` is the geolocalisation projected to EPSG:4326
    ``(lon, lat)`` degrees, ``None`` when the file gives no usable coordinates; ``in_france``
    says the point needs none of :func:`locate`'s repairs, ``in_commune`` that it lies in the
    commune the row names (when the national commune list is given; else assumed), and
    ``distance_m`` how far from it, metres, when it does not.
    """

    index: int
    fields: list[str]
    kind: str
    geolocation: _Geolocation | None
    point: tuple[float, float] | None = None
    in_france: bool = False
    in_commune: bool = True
    distance_m: float | None = None


def read_finess(
    source: Path | bytes,
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    categories: Mapping[str, str] | None = None,
    departements: Container[str] | None = None,
    communes: CommuneReference | None = None,
) -> ReadResult:
    """Read the FINESS establishments extract (geolocated version).

    The whole file at once: ``ReadResult.concat(iter_finess(...))``, see :func:`iter_finess`
    to read it part by part.

    Parameters
    ----------
    source : Path or bytes
        The extract file, or its bytes (encoding detected; officially Windows-1252).
    commune_centroids : Mapping[str, tuple[float, float]], optional
        Code INSEE → ``(lon, lat)`` EPSG:4326, for establishments without a usable
        ``geolocalisation`` line (flagged ``geocoding="commune"``).
    categories : Mapping[str, str], optional
        Extra or overriding ``categetab`` → kind entries, merged over :data:`CATEGORY_KINDS`.
    departements : container of str, optional
        Keep only these FINESS département codes (``"30"``, ``"2A"``, ``"9D"``); others are
        skipped before being validated.
    communes : CommuneReference, optional
        The national commune list (`geodata.sources.communes`): centroids of every commune
        (arrondissements included: FINESS writes ``13201``), and the check that a point lies
        in the commune its row names (`geodata.sources.common.locate`).

    Returns
    -------
    ReadResult
        ``index`` is the position of the ``structureet`` line among the establishments (from
        0); ``source_id`` the FINESS number (``nofinesset``); ``extra`` keeps ``nofinessej``,
        the category code and label and the coordinate source; ``updated_on`` is ``maj``.

    Raises
    ------
    SourceFormatError
        When the first line is not the ``finess;etalab;…`` header.
    """
    return ReadResult.concat(
        iter_finess(
            source,
            commune_centroids=commune_centroids,
            categories=categories,
            departements=departements,
            communes=communes,
        )
    )


def iter_finess(
    source: Path | bytes,
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    categories: Mapping[str, str] | None = None,
    departements: Container[str] | None = None,
    communes: CommuneReference | None = None,
    chunk_size: int = 10_000,
) -> ReadStream:
    """Read the FINESS extract in parts, so that a consumer can store one while the next is read.

    When called, the file is decoded, its header checked and its lines sorted into
    ``structureet`` and ``geolocalisation`` records (the ``geolocalisation`` lines follow all
    the ``structureet`` ones, so this cannot wait). The work per establishment (projection,
    checks, validation) is done part by part, as the stream is iterated.

    Parameters
    ----------
    source, commune_centroids, categories, departements
        As for :func:`read_finess`.
    chunk_size : int, default 10 000
        Most ``structureet`` rows per part (at least 1).

    Returns
    -------
    ReadStream
        ``expected`` is the number of ``structureet`` rows. The parts, concatenated, are what
        :func:`read_finess` returns: ``index`` counts across parts, a FINESS number already
        read in an earlier part is rejected as a duplicate, and a skipped row is counted in
        the part where it occurs.

    Raises
    ------
    SourceFormatError
        When the first line is not the ``finess;etalab;…`` header (at call time, before any
        part).
    ValueError
        When ``chunk_size`` is below 1 or a kind of ``categories`` is not a maillage kind.

    Notes
    -----
    Python's cyclic garbage collector is paused while a part is read, process-wide, and
    turned back on before the part is yielded (see `geodata.sources.common.gc_paused`): it
    otherwise took half the reading time.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size doit valoir au moins 1 (reçu : {chunk_size})")
    lines = _lines(source)
    kinds = {**CATEGORY_KINDS, **(categories or {})}
    for kind in kinds.values():
        vocabulary.check_kind(kind)
    structures, geolocations = _split(lines[1:])
    if commune_centroids is None and communes is not None:
        commune_centroids = communes.centroids
    context = _Context(kinds, departements, geolocations, commune_centroids, communes)
    return ReadStream(_parts(structures, context, chunk_size), expected=len(structures))


def _lines(source: Path | bytes) -> list[str]:
    """The decoded lines of the file, the ``finess;etalab`` header first."""
    data = source.read_bytes() if isinstance(source, Path) else source
    lines = decode_text(data).text.splitlines()
    if not lines or not _HEADER.match(lines[0].strip()):
        raise SourceFormatError(
            "extraction FINESS attendue : la première ligne doit commencer par « finess;etalab »"
        )
    return lines


def _split(lines: list[str]) -> tuple[list[_Raw], dict[str, _Raw]]:
    """``structureet`` records in order and ``geolocalisation`` records by FINESS number.

    Records stay unparsed (see :data:`_Raw`) until their part is read. A ``geolocalisation``
    record of fewer than 4 fields is ignored; a later one for the same number wins.
    """
    structures: list[_Raw] = []
    geolocations: dict[str, _Raw] = {}
    for record in _records(lines):
        if isinstance(record, str) and record.startswith("structureet;"):
            structures.append(record)  # the usual spelling, no need to split
            continue
        head = record.split(";", 4) if isinstance(record, str) else record
        section = head[0].strip().lower()
        if section == "structureet":
            structures.append(record)
        elif section == "geolocalisation" and len(head) >= 4:
            geolocations[head[1].strip()] = record
    return structures, geolocations


def _records(lines: list[str]) -> Iterator[_Raw]:
    """The non-empty CSV records (``;``-separated) of ``lines``, as csv reads ``"\\n".join(lines)``.

    A line without a double quote is a whole record and is yielded as is: its fields are
    ``line.split(";")``, exactly what csv gives, split only when its part is read. From a line
    with one, csv reads the record, taking the following lines while a quoted value goes on.
    Lines longer than csv's field size limit go to csv too, so that a field over the limit
    raises `csv.Error` as it always did.
    """
    limit = csv.field_size_limit()
    position = 0
    while position < len(lines):
        line = lines[position]
        if '"' not in line and len(line) <= limit:
            position += 1
            if line:
                yield line
            continue
        feed = _LineFeed(lines, position)
        record = next(csv.reader(feed, delimiter=";"), None)
        position = feed.position
        if record:
            yield record


class _LineFeed:
    """``lines[position:]`` as csv reads them from ``"\\n".join(lines)``: each line ended by
    ``\\n`` but the last; ``position`` is the next line to read."""

    def __init__(self, lines: list[str], position: int) -> None:
        self.lines = lines
        self.position = position

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        line = self.lines[self.position]
        self.position += 1
        return line if self.position == len(self.lines) else line + "\n"


def _fields(record: _Raw) -> list[str]:
    return record.split(";") if isinstance(record, str) else record


def _parts(structures: list[_Raw], context: _Context, chunk_size: int) -> Iterator[ReadResult]:
    """The parts of at most ``chunk_size`` establishments, read when asked for."""
    seen: dict[str, int] = {}  # FINESS number → index of its first valid establishment
    for start, stop in part_bounds(len(structures), chunk_size):
        with gc_paused():  # see gc_paused: half the time went to the collector before
            part = _read_part(structures[start:stop], start, context, seen)
        yield part


def _read_part(
    records: Sequence[_Raw], start: int, context: _Context, seen: dict[str, int]
) -> ReadResult:
    """Read the ``structureet`` records whose first has index ``start``.

    Steps: sort the rows into incomplete (rejected), out of scope (skipped) and in scope;
    project the points of the part, one pyproj call per system; then read each establishment
    in order, refusing a FINESS number already in ``seen`` (which is updated).
    """
    part = ReadResult()
    entries = _classify(records, start, context, part)
    _project([entry for entry in entries if isinstance(entry, _Establishment)], context.communes)
    for entry in entries:
        if isinstance(entry, Rejection):
            part.rejections.append(entry)
            continue
        record = _read_establishment(entry, context.commune_centroids, context.communes)
        if isinstance(record, list):
            part.rejections.extend(record)
            continue
        first = seen.setdefault(record.source_id, entry.index)
        if first != entry.index:
            part.rejections.append(
                Rejection(
                    entry.index,
                    "nofinesset",
                    f"doublon : même numéro FINESS que l'établissement n°{first}",
                    record.source_id,
                )
            )
            continue
        part.records.append(record)
    return part


def _classify(
    records: Sequence[_Raw], start: int, context: _Context, part: ReadResult
) -> list[_Establishment | Rejection]:
    """In-scope establishments and incomplete-row rejections, in file order.

    Rows of a category not in ``context.kinds`` or outside ``context.departements`` are
    counted in ``part.skipped``.
    """
    entries: list[_Establishment | Rejection] = []
    for offset, record in enumerate(records):
        index = start + offset
        fields = _fields(record)
        if len(fields) < _MIN_STRUCTURE_FIELDS:
            number = fields[_NOFINESSET].strip() if len(fields) > _NOFINESSET else ""
            entries.append(
                Rejection(
                    index,
                    "structureet",
                    f"ligne incomplète : {len(_STRUCTURE_FIELDS)} champs attendus, "
                    f"{len(fields)} trouvés",
                    number or None,
                )
            )
            continue
        kind = context.kinds.get(fields[_CATEGETAB].strip())
        if kind is None or (
            context.departements is not None
            and fields[_DEPARTEMENT].strip() not in context.departements
        ):
            part.skipped += 1
            continue
        stripped = list(map(str.strip, fields))
        geolocation = context.geolocations.get(stripped[_NOFINESSET])
        entries.append(
            _Establishment(
                index,
                stripped,
                kind,
                None if geolocation is None else _geolocation(geolocation),
            )
        )
    return entries


def _geolocation(record: _Raw) -> _Geolocation:
    fields = _fields(record)
    # sourcecoordet may itself hold ";" in hand-edited files: everything between the
    # coordinates and the last field (datemaj) is the coordinate source.
    middle = fields[4:-1] if len(fields) > 5 else fields[4:5]
    return _Geolocation(x=parse_float(fields[2]), y=parse_float(fields[3]), system=",".join(middle))


def _project(
    establishments: Sequence[_Establishment], communes: CommuneReference | None = None
) -> None:
    """Set ``point``, ``in_france`` and ``in_commune`` of the establishments with coordinates.

    Coordinates are usable when both are numbers, not both zero. They are projected from the
    system of :func:`_system` to EPSG:4326 with one pyproj call per system for the whole part
    (:func:`to_wgs84_arrays`, the same values as :func:`to_wgs84` point by point), and
    checked with :func:`in_france_mask`; with ``communes``, against the boundary of their
    commune, one vectorised test per commune (`shapely.contains_xy`).
    """
    groups: dict[int, tuple[list[_Establishment], list[float], list[float]]] = {}
    for establishment in establishments:
        geolocation = establishment.geolocation
        if (
            geolocation is None
            or geolocation.x is None
            or geolocation.y is None
            or not (geolocation.x or geolocation.y)
        ):
            continue
        epsg = _system(geolocation.system, establishment.fields[_DEPARTEMENT].upper())
        group, xs, ys = groups.setdefault(epsg, ([], [], []))
        group.append(establishment)
        xs.append(geolocation.x)
        ys.append(geolocation.y)
    for epsg, (group, xs, ys) in groups.items():
        lon, lat = to_wgs84_arrays(xs, ys, epsg=epsg)
        inside = in_france_mask(lon, lat)
        for establishment, point_lon, point_lat, point_inside in zip(
            group, lon.tolist(), lat.tolist(), inside.tolist(), strict=True
        ):
            establishment.point = (point_lon, point_lat)
            establishment.in_france = point_inside
    if communes is not None:
        _check_communes([e for e in establishments if e.in_france], communes)


def _check_communes(establishments: Sequence[_Establishment], communes: CommuneReference) -> None:
    """``in_commune`` of points in France: inside their commune's boundary; a point outside
    goes through `locate`, which decides, with its distance measured here (``distance_m``:
    one vectorised call per commune, `CommuneReference.distances_m`)."""
    import numpy as np
    import shapely

    by_code: dict[str, list[_Establishment]] = {}
    for establishment in establishments:
        fields = establishment.fields
        code, _ = _code_insee_of(fields[_DEPARTEMENT].upper(), fields[_COMMUNE])
        if code is not None:
            by_code.setdefault(code, []).append(establishment)
    for code, group in by_code.items():
        geometry = communes.geometry(code)
        if geometry is None:
            continue
        assert all(e.point is not None for e in group)
        xs = np.array([e.point[0] for e in group if e.point is not None])
        ys = np.array([e.point[1] for e in group if e.point is not None])
        inside = shapely.contains_xy(geometry, xs, ys)
        outside = [e for e, flag in zip(group, inside.tolist(), strict=True) if not flag]
        for establishment in outside:
            establishment.in_commune = False
        if outside:
            points = [e.point for e in outside if e.point is not None]
            distances = communes.distances_m(code, [p[0] for p in points], [p[1] for p in points])
            for establishment, distance in zip(outside, distances, strict=True):
                establishment.distance_m = distance


def _read_establishment(
    establishment: _Establishment,
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    communes: CommuneReference | None = None,
) -> SourceRecord | list[Rejection]:
    fields = establishment.fields
    number = fields[_NOFINESSET]
    problems = RowProblems(establishment.index, number or None)
    if not _FINESS_NUMBER.match(number):
        problems.reject("nofinesset", f"numéro FINESS invalide : « {number} » (9 caractères)")
    code_insee = _code_insee(fields[_DEPARTEMENT], fields[_COMMUNE], problems)
    siret = clean_siret(fields[_SIRET], problems)
    location = _location(establishment, code_insee, commune_centroids, communes, problems)
    if problems or location is None:
        return problems.rejections
    name = fields[_RSLONGUE] or fields[_RS]
    partner = validate_partner_with_contact(
        {
            "name": name,
            "kind": _refine_kind(establishment.kind, fields[_CATEGETAB], name),
            "lon": location.lon,
            "lat": location.lat,
            "siret": siret,
            "address": _address(fields),
            "code_insee": code_insee,
            "source": PROVENANCE,
            "source_id": number,
        },
        problems,
        phone=_phone(fields[_TELEPHONE]),
    )
    if partner is None:
        return problems.rejections
    extra: dict[str, Any] = {
        "nofinessej": fields[_NOFINESSEJ],
        "categetab": fields[_CATEGETAB],
        "libcategetab": fields[_LIBCATEGETAB],
        "categagretab": fields[_CATEGAGRETAB],
    }
    if establishment.geolocation is not None:
        extra["sourcecoordet"] = establishment.geolocation.system
    if problems.notes:
        extra["notes"] = problems.notes
    return SourceRecord(
        partner=partner,
        provenance=PROVENANCE,
        source_id=number,
        geocoding=location.geocoding,
        extra=extra,
        index=establishment.index,
        updated_on=parse_date(fields[_MAJ]),
    )


def _refine_kind(kind: str, category: str, name: str) -> str:
    """Category 219 ("Autre Centre d'Accueil") also holds day centres: trust the name then."""
    if category == "219" and "accueil de jour" in fold(name):
        return "accueil-de-jour"
    return kind


def _code_insee(departement: str, commune: str, problems: RowProblems) -> str | None:
    code, problem = _code_insee_of(departement.upper(), commune)
    if problem is not None:
        problems.reject("commune", problem)
    return code


@functools.lru_cache(maxsize=65_536)
def _code_insee_of(departement: str, commune: str) -> tuple[str | None, str | None]:
    """Code INSEE of a FINESS ``departement`` (upper case) and ``commune``, or why there is none.

    Returns ``(code, None)``, ``(None, None)`` when a field is empty, or ``(None, reason)``
    (French) when the code is malformed. Cached: the whole register names ~35,000 communes.
    """
    if not departement or not commune:
        return None, None
    if departement.isdigit():
        departement = departement.zfill(2)
    commune = commune.zfill(3)
    if len(departement) == 2 and departement[0] == "9" and departement[1] in _OVERSEAS_LETTERS:
        raw = "97" + commune
    else:
        raw = departement + commune
    try:
        return normalize_code_insee(raw), None
    except ValueError as exc:
        return None, str(exc)


def _location(
    establishment: _Establishment,
    code_insee: str | None,
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    communes: CommuneReference | None,
    problems: RowProblems,
) -> Location | None:
    """The checked point: the projected one when in France (and in its commune), else
    :func:`locate`'s repair; ``geocoding="commune"`` when ``sourcecoordet`` says the file's
    point is itself a commune centroid (:func:`commune_centroid_source`)."""
    lon: float | None = None
    lat: float | None = None
    if establishment.point is not None:
        lon, lat = establishment.point
        if establishment.in_france and establishment.in_commune:
            location = Location(lon, lat, "source")  # what locate gives for such a point
            return _centroid_of_source(location, establishment, problems)
    try:
        location = locate(
            lon,
            lat,
            code_insee=code_insee,
            commune_centroids=commune_centroids,
            communes=communes,
            measured_m=establishment.distance_m,
        )
    except LocationError as exc:
        problems.reject("geolocalisation", str(exc))
        return None
    if location.note:
        problems.note(location.note)
    return _centroid_of_source(location, establishment, problems)


def _centroid_of_source(
    location: Location, establishment: _Establishment, problems: RowProblems
) -> Location:
    geolocation = establishment.geolocation
    if location.geocoding == "commune" or geolocation is None:
        return location
    if not commune_centroid_source(geolocation.system):
        return location
    problems.note(
        f"point placé par la source au centre de la commune (sourcecoordet « "
        f"{geolocation.system} ») : position approchée"
    )
    return Location(location.lon, location.lat, "commune")


@functools.lru_cache(maxsize=1024)
def commune_centroid_source(sourcecoordet: str) -> bool:
    """Whether a ``sourcecoordet`` says the point is a commune centroid, not an address.

    ``sourcecoordet`` is ``level,ATLASANTE,score,geocoder,system``: the geocoders ``BAN`` and
    ``BDADRESSE`` place an address (with a numeric score); ``ADMIN-EXPRESS-<year>`` (the IGN
    commune base, score ``.``) places the establishment on its commune's centroid — about
    4,600 establishments of the national register. Older files spell a centroid out
    (``CENTROIDE``). Cached: a file holds a few dozen spellings.
    """
    text = fold(sourcecoordet).upper()
    return "ADMIN-EXPRESS" in text or "ADMIN EXPRESS" in text or "CENTROIDE" in text


@functools.lru_cache(maxsize=1024)
def _system(text: str, departement: str) -> int:
    """EPSG code of the coordinates: named by ``sourcecoordet``, else by the département."""
    upper = text.upper()
    for fragment, epsg in _SYSTEMS:
        if fragment in upper:
            return epsg
    return _DEFAULT_SYSTEMS.get(departement, LAMBERT_93)


def _address(fields: list[str]) -> str | None:
    """``compldistrib, numvoie compvoie typvoie voie, lieuditbp, ligneacheminement``.

    The same text as `join_address` of the parts, whitespace collapsed once for the whole:
    the fields are stripped, so collapsing each part first would change nothing.
    """
    street_type = fields[_TYPVOIE]
    street = " ".join(
        [
            part
            for part in (
                fields[_NUMVOIE],
                fields[_COMPVOIE],
                _STREET_TYPES.get(street_type.upper(), street_type),
                fields[_VOIE],
            )
            if part
        ]
    )
    return clean_text(
        ", ".join(
            [
                part
                for part in (
                    fields[_COMPLDISTRIB],
                    street,
                    fields[_LIEUDITBP],
                    fields[_LIGNEACHEMINEMENT],
                )
                if part
            ]
        )
    )


def _phone(value: str) -> str | None:
    digits = value.strip()
    if len(digits) == 9 and digits.isdigit():
        return "0" + digits  # a spreadsheet dropped the leading zero
    return digits or None
