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
~95 % of the register (hospitals, pharmacies, nursing homes...) are skipped, not rejected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from geodata.sources.common import (
    LAMBERT_93,
    LocationError,
    ReadResult,
    Rejection,
    RowProblems,
    SourceFormatError,
    SourceRecord,
    clean_contact,
    clean_siret,
    clean_text,
    decode_text,
    fold,
    join_address,
    locate,
    normalize_code_insee,
    parse_date,
    parse_float,
    to_wgs84,
    validate_partner,
)
from graph import vocabulary

__all__ = ["CATEGORY_KINDS", "PROVENANCE", "read_finess"]

PROVENANCE: Final = "finess"

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


@dataclass(frozen=True, slots=True)
class _Geolocation:
    x: float | None
    y: float | None
    system: str
    updated: str


def read_finess(
    source: Path | bytes,
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    categories: Mapping[str, str] | None = None,
    departements: Container[str] | None = None,
) -> ReadResult:
    """Read the FINESS establishments extract (geolocated version).

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
        skipped.

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
    data = source.read_bytes() if isinstance(source, Path) else source
    text = decode_text(data).text
    lines = text.splitlines()
    if not lines or not _HEADER.match(lines[0].strip()):
        raise SourceFormatError(
            "extraction FINESS attendue : la première ligne doit commencer par « finess;etalab »"
        )
    kinds = {**CATEGORY_KINDS, **(categories or {})}
    for kind in kinds.values():
        vocabulary.check_kind(kind)
    structures, geolocations = _split(lines[1:])
    result = ReadResult()
    seen: dict[str, int] = {}
    for index, fields in enumerate(structures):
        row = _Row(index, fields)
        if len(fields) < _MIN_STRUCTURE_FIELDS:
            number = row.get("nofinesset") or None
            result.rejections.append(
                Rejection(
                    index,
                    "structureet",
                    f"ligne incomplète : {len(_STRUCTURE_FIELDS)} champs attendus, "
                    f"{len(fields)} trouvés",
                    number,
                )
            )
            continue
        category = row.get("categetab")
        if category not in kinds or (
            departements is not None and row.get("departement") not in departements
        ):
            result.skipped += 1
            continue
        record = _read_establishment(row, kinds[category], geolocations, commune_centroids)
        if isinstance(record, list):
            result.rejections.extend(record)
            continue
        if record.source_id in seen:
            result.rejections.append(
                Rejection(
                    index,
                    "nofinesset",
                    f"doublon : même numéro FINESS que l'établissement n°{seen[record.source_id]}",
                    record.source_id,
                )
            )
            continue
        seen[record.source_id] = index
        result.records.append(record)
    return result


def _split(lines: list[str]) -> tuple[list[list[str]], dict[str, _Geolocation]]:
    """``structureet`` rows in order and ``geolocalisation`` rows by FINESS number."""
    structures: list[list[str]] = []
    geolocations: dict[str, _Geolocation] = {}
    for fields in csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=";"):
        if not fields:
            continue
        section = fields[0].strip().lower()
        if section == "structureet":
            structures.append(fields)
        elif section == "geolocalisation" and len(fields) >= 4:
            # sourcecoordet may itself hold ";" in hand-edited files: everything between the
            # coordinates and the last field (datemaj) is the coordinate source.
            middle = fields[4:-1] if len(fields) > 5 else fields[4:5]
            geolocations[fields[1].strip()] = _Geolocation(
                x=parse_float(fields[2]),
                y=parse_float(fields[3]),
                system=",".join(middle),
                updated=fields[-1] if len(fields) > 5 else "",
            )
    return structures, geolocations


class _Row:
    def __init__(self, index: int, fields: list[str]) -> None:
        self.index = index
        self.fields = fields

    def get(self, name: str) -> str:
        position = _STRUCTURE_FIELDS.index(name)
        return self.fields[position].strip() if position < len(self.fields) else ""


def _read_establishment(
    row: _Row,
    kind: str,
    geolocations: Mapping[str, _Geolocation],
    commune_centroids: Mapping[str, tuple[float, float]] | None,
) -> SourceRecord | list[Rejection]:
    number = row.get("nofinesset")
    problems = RowProblems(row.index, number or None)
    if not _FINESS_NUMBER.match(number):
        problems.reject("nofinesset", f"numéro FINESS invalide : « {number} » (9 caractères)")
    code_insee = _code_insee(row, problems)
    siret = clean_siret(row.get("siret"), problems)
    location = _location(row, geolocations.get(number), code_insee, commune_centroids, problems)
    if problems or location is None:
        return problems.rejections
    name = row.get("rslongue") or row.get("rs")
    fields: dict[str, Any] = {
        "name": name,
        "kind": _refine_kind(kind, row.get("categetab"), name),
        "lon": location.lon,
        "lat": location.lat,
        "siret": siret,
        "address": _address(row),
        "code_insee": code_insee,
        "contact": clean_contact(phone=_phone(row.get("telephone")), note=problems.note),
        "source": PROVENANCE,
        "source_id": number,
    }
    partner = validate_partner(fields, problems)
    if partner is None:
        return problems.rejections
    extra: dict[str, Any] = {
        "nofinessej": row.get("nofinessej"),
        "categetab": row.get("categetab"),
        "libcategetab": row.get("libcategetab"),
        "categagretab": row.get("categagretab"),
    }
    geolocation = geolocations.get(number)
    if geolocation is not None:
        extra["sourcecoordet"] = geolocation.system
    if problems.notes:
        extra["notes"] = problems.notes
    return SourceRecord(
        partner=partner,
        provenance=PROVENANCE,
        source_id=number,
        geocoding=location.geocoding,
        extra=extra,
        index=row.index,
        updated_on=parse_date(row.get("maj")),
    )


def _refine_kind(kind: str, category: str, name: str) -> str:
    """Category 219 ("Autre Centre d'Accueil") also holds day centres: trust the name then."""
    if category == "219" and "accueil de jour" in fold(name):
        return "accueil-de-jour"
    return kind


def _code_insee(row: _Row, problems: RowProblems) -> str | None:
    departement = row.get("departement").upper()
    commune = row.get("commune")
    if not departement or not commune:
        return None
    if departement.isdigit():
        departement = departement.zfill(2)
    commune = commune.zfill(3)
    if len(departement) == 2 and departement[0] == "9" and departement[1] in _OVERSEAS_LETTERS:
        raw = "97" + commune
    else:
        raw = departement + commune
    try:
        return normalize_code_insee(raw)
    except ValueError as exc:
        problems.reject("commune", str(exc))
        return None


def _location(
    row: _Row,
    geolocation: _Geolocation | None,
    code_insee: str | None,
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    problems: RowProblems,
) -> Any:
    lon = lat = None
    if (
        geolocation is not None
        and geolocation.x is not None
        and geolocation.y is not None
        and (geolocation.x or geolocation.y)
    ):
        epsg = _system(geolocation.system, row.get("departement").upper())
        lon, lat = to_wgs84(geolocation.x, geolocation.y, epsg=epsg)
    try:
        location = locate(lon, lat, code_insee=code_insee, commune_centroids=commune_centroids)
    except LocationError as exc:
        problems.reject("geolocalisation", str(exc))
        return None
    if location.note:
        problems.note(location.note)
    return location


def _system(text: str, departement: str) -> int:
    upper = text.upper()
    for fragment, epsg in _SYSTEMS:
        if fragment in upper:
            return epsg
    return _DEFAULT_SYSTEMS.get(departement, LAMBERT_93)


def _address(row: _Row) -> str | None:
    street_type = row.get("typvoie")
    street = clean_text(
        " ".join(
            part
            for part in (
                row.get("numvoie"),
                row.get("compvoie"),
                _STREET_TYPES.get(street_type.upper(), street_type),
                row.get("voie"),
            )
            if part
        )
    )
    return join_address(
        row.get("compldistrib"), street, row.get("lieuditbp"), row.get("ligneacheminement")
    )


def _phone(value: str) -> str | None:
    digits = value.strip()
    if len(digits) == 9 and digits.isdigit():
        return "0" + digits  # a spreadsheet dropped the leading zero
    return digits or None
