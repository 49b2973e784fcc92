"""Public employment agencies and other prescribers, from Les emplois de l'inclusion.

Les emplois de l'inclusion keeps a referential of "organisations prescriptrices": every France
Travail agency, Mission locale, Cap emploi, and the social structures allowed to prescribe an
IAE journey. The shape read here is its Django fixture (a JSON array of
``{"model": "prescribers.prescriberorganization", "pk": …, "fields": {…}}``), as in the
gip-inclusion/les-emplois repository; ``../shared/data/structures`` holds a real sample.

Fields used: ``kind`` (see :data:`KINDS`), ``name``, ``address_line_1``, ``address_line_2``,
``post_code``, ``city``, ``department``, ``coords`` (``SRID=4326;POINT (lon lat)``, EWKT),
``website``, ``uid`` (the stable identifier, becomes ``source_id``), ``code_safir_pole_emploi``.
Names, addresses and coordinates are public referential data. **E-mails, phones and SIRETs of
the published fixture are fake**: they are ignored unless ``trust_contacts=True`` (for a real
export from Les emplois).

The fixture has no code INSEE (``insee_city`` is empty): it is derived from the postcode when
that postcode serves a single commune (``postcode_to_insee``), which also allows geocoding an
agency without coordinates to its commune's centroid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Mapping
from pathlib import Path
from typing import Any, Final

from geodata.sources import provenances
from geodata.sources.common import (
    Location,
    LocationError,
    ReadResult,
    Rejection,
    RowProblems,
    SourceFormatError,
    SourceRecord,
    clean_contact,
    clean_siret,
    clean_text,
    join_address,
    keep_unique,
    locate,
    read_text,
    to_wgs84,
    validate_partner,
)

__all__ = ["KINDS", "PROVENANCE", "parse_ewkt_point", "read_prescriber_organizations"]

PROVENANCE: Final = provenances.AGENCIES

KINDS: Final[Mapping[str, str]] = {
    # Les emplois PrescriberOrganizationKind → maillage kind
    "FT": "france-travail",
    "PE": "france-travail",  # before the 2024 renaming of Pôle emploi
    "ML": "mission-locale",
    "CAP_EMPLOI": "cap-emploi-reseau-cheops",
    "CCAS": "ccas-cias",
    "DEPT": "departements",
    "SPIP": "spip",
    "PLIE": "plie",
    "AFPA": "afpa",
    "E2C": "ecoles-de-la-deuxieme-chance",
    "EPIDE": "epide",
    "CAARUD": "caarud",
    "CSAPA": "csapa",
    "CADA": "cada",
    "CHRS": "chrs",
    "CHU": "chu",
    "CPH": "cph",
    "HUDA": "huda",
    "CAF": "caf",
    "OACAS": "oacas",
    "PENSION": "pension-de-famille",
    "RS_FJT": "residences-fjt",
    "CAVA": "aava",  # centre d'adaptation à la vie active: the establishment form of the AAVA
}
"""Prescriber kinds with a maillage equivalent. Without one (PJJ, ASE, CIDFF, MSA, OIL, ODC,
PIJ_BIJ, PREVENTION, OHPD, OCASF, Orienteur, Autre) the organisation is refused with a
French reason naming the kind."""

_MODEL: Final = "prescribers.prescriberorganization"
_EWKT_POINT: Final = re.compile(
    r"^\s*(?:SRID=(\d+);)?\s*POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$", re.IGNORECASE
)


def parse_ewkt_point(text: str) -> tuple[float, float]:
    """``(lon, lat)`` EPSG:4326 from an (E)WKT point such as ``SRID=4326;POINT (4.36 43.83)``.

    Another SRID is projected to EPSG:4326; without SRID, EPSG:4326 is assumed.

    Raises
    ------
    ValueError
        French message, when the text is not a point.
    """
    match = _EWKT_POINT.match(text)
    if match is None:
        raise ValueError(f"point WKT attendu, ex. « SRID=4326;POINT (4.36 43.83) » : « {text} »")
    srid = int(match.group(1) or 4326)
    x, y = float(match.group(2)), float(match.group(3))
    return (x, y) if srid == 4326 else to_wgs84(x, y, epsg=srid)


def read_prescriber_organizations(
    path: Path,
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    postcode_to_insee: Mapping[str, str] | None = None,
    departements: Container[str] | None = None,
    trust_contacts: bool = False,
) -> ReadResult:
    """Read the prescriber organisations fixture of Les emplois de l'inclusion.

    Parameters
    ----------
    path : Path
        JSON array of Django fixture entries.
    commune_centroids : Mapping[str, tuple[float, float]], optional
        Code INSEE → ``(lon, lat)`` EPSG:4326, for organisations without ``coords``.
    postcode_to_insee : Mapping[str, str], optional
        Unambiguous postcode → code INSEE (`geodata.sources.territory.postcode_index`).
    departements : container of str, optional
        Keep only these départements (``department`` field); others are skipped.
    trust_contacts : bool
        Read ``email``, ``phone`` and ``siret``. ``False`` by default: the published fixture's
        are fake. ``website`` is always read.

    Returns
    -------
    ReadResult
        ``index`` is the position in the array; ``source_id`` the ``uid`` (else ``pk``).
    """
    try:
        entries = json.loads(read_text(path).text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{path.name} : JSON invalide (ligne {exc.lineno})") from exc
    if not isinstance(entries, list):
        raise SourceFormatError(f"{path.name} : tableau JSON (fixture Django) attendu")
    result = ReadResult()
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        fields = entry.get("fields") if isinstance(entry, Mapping) else None
        if not isinstance(fields, Mapping) or entry.get("model", _MODEL) != _MODEL:
            result.rejections.append(
                Rejection(index, "model", f"entrée « {_MODEL} » attendue (objet avec « fields »)")
            )
            continue
        if departements is not None and str(fields.get("department") or "") not in departements:
            result.skipped += 1
            continue
        source_id = clean_text(fields.get("uid")) or clean_text(entry.get("pk"))
        record = _read_entry(
            index,
            source_id,
            fields,
            commune_centroids=commune_centroids,
            postcode_to_insee=postcode_to_insee,
            trust_contacts=trust_contacts,
        )
        if isinstance(record, list):
            result.rejections.extend(record)
            continue
        keep_unique(result, record, index, seen, field="uid", noun="l'entrée")
    return result


def _location(
    coords: Any,
    code_insee: str | None,
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    problems: RowProblems,
) -> Location | None:
    lon = lat = None
    text = clean_text(coords)
    if text is not None:
        try:
            lon, lat = parse_ewkt_point(text)
        except ValueError as exc:
            problems.note(f"{exc} : ignoré")
    try:
        return locate(lon, lat, code_insee=code_insee, commune_centroids=commune_centroids)
    except LocationError as exc:
        problems.reject("coords", str(exc))
        return None


def _read_entry(
    index: int,
    source_id: str | None,
    fields: Mapping[str, Any],
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    postcode_to_insee: Mapping[str, str] | None,
    trust_contacts: bool,
) -> SourceRecord | list[Rejection]:
    problems = RowProblems(index, source_id)
    if source_id is None:
        problems.reject("uid", "identifiant manquant (ni « uid » ni « pk »)")
    raw_kind = clean_text(fields.get("kind")) or ""
    kind = KINDS.get(raw_kind)
    if kind is None:
        problems.reject(
            "kind",
            f"type d'organisation « {raw_kind or '(vide)'} » sans équivalent dans maillage",
        )
    postcode = clean_text(fields.get("post_code"))
    code_insee = (postcode_to_insee or {}).get(postcode or "")
    location = _location(fields.get("coords"), code_insee, commune_centroids, problems)
    siret = clean_siret(fields.get("siret"), problems) if trust_contacts else None
    if problems or location is None or kind is None or source_id is None:
        return problems.rejections
    if location.note:
        problems.note(location.note)
    contact = clean_contact(
        phone=fields.get("phone") if trust_contacts else None,
        email=fields.get("email") if trust_contacts else None,
        website=fields.get("website"),
        note=problems.note,
    )
    partner = validate_partner(
        {
            "name": clean_text(fields.get("name")),
            "kind": kind,
            "lon": location.lon,
            "lat": location.lat,
            "siret": siret,
            "address": join_address(
                fields.get("address_line_1"),
                fields.get("address_line_2"),
                clean_text(f"{postcode or ''} {fields.get('city') or ''}"),
            ),
            "code_insee": code_insee,
            "contact": contact,
            "description": clean_text(fields.get("description")),
            "source": PROVENANCE,
            "source_id": source_id,
        },
        problems,
    )
    if partner is None:
        return problems.rejections
    extra: dict[str, Any] = {"kind": raw_kind}
    for key in ("code_safir_pole_emploi", "authorization_status", "department"):
        if fields.get(key):
            extra[key] = fields[key]
    if problems.notes:
        extra["notes"] = problems.notes
    return SourceRecord(
        partner=partner,
        provenance=PROVENANCE,
        source_id=source_id,
        geocoding=location.geocoding,
        extra=extra,
        index=index,
    )
