"""SIAE and inclusive employers listed by Les emplois de l'inclusion, with their job offers.

Where the files come from: Les emplois de l'inclusion (https://emplois.inclusion.beta.gouv.fr,
GIP de l'inclusion) publishes its employers through its public API ``/api/v1/siaes/``
(JSON, searched by commune and radius) and, for staff and partners, as CSV exports of the
"structures" table; data·inclusion republishes them under the source ``emplois-de-linclusion``.
No official file is reachable offline, so this reader accepts both shapes and the CSV header
below is an assumption, named after the API's fields (including its ``addresse_`` spelling)
plus the coordinates and code INSEE the structures table stores:

CSV (``;`` or ``,``, UTF-8 or Windows-1252, detected)::

    id;siret;type;raison_sociale;enseigne;addresse_ligne_1;addresse_ligne_2;code_postal;ville;
    departement;code_insee;latitude;longitude;telephone;courriel;site_web;description;
    bloque_candidatures;mis_a_jour_le

Only ``siret``, ``type`` and one of ``enseigne``/``raison_sociale`` are required; any other
column may be missing. Job descriptions ("fiches de poste") come in a second CSV joined on
``siae_id`` (the ``id`` column above; ``siret`` when there is no ``id``)::

    siae_id;id;rome;appellation_modifiee;description;type_contrat;nombre_postes;heures_hebdo;
    recrutement_ouvert;mis_a_jour_le

JSON: a list of SIAE or an API page (``{"results": [...]}``), each with the fields above and
the job descriptions nested in ``postes`` (API fields ``id``, ``rome``,
``appellation_modifiee``, ``description``, ``recrutement_ouvert``).

Mapping: ``type`` (ACI, AI, EI, ETTI, EITI, GEIQ, EA, EATT; ACIPHC is an ACI carrying
Premières heures en chantier) → the kind of the same name, lower case; OPCS (organisations
porting social clauses) are not employers of the graph and are refused. A job description
whose recruitment is open becomes an ``emploi`` opportunity; its contract is ``type_contrat``
when given (Les emplois codes ``FIXED_TERM_I`` → ``cddi``...), else the usual contract of the
kind (CDDI for ACI/EI, mise à disposition for AI, intérim for ETTI, alternance for GEIQ).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from geodata.sources import provenances
from geodata.sources.common import (
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
    normalize_code_insee,
    parse_csv,
    parse_date,
    parse_float,
    read_text,
    validate_opportunity,
    validate_partner,
)
from graph.models import OpportunityFields

__all__ = ["CONTRACTS", "KINDS", "PROVENANCE", "read_siae"]

PROVENANCE: Final = provenances.SIAE

KINDS: Final[Mapping[str, str]] = {
    "ACI": "aci",
    "ACIPHC": "aci",
    "AI": "ai",
    "EI": "ei",
    "ETTI": "etti",
    "EITI": "eiti",
    "GEIQ": "geiq",
    "EA": "ea",
    "EATT": "eatt",
}
"""Les emplois ``type`` (``CompanyKind``) → maillage kind."""

CONTRACTS: Final[Mapping[str, str]] = {
    "FIXED_TERM_I": "cddi",
    "FIXED_TERM_USAGE": "cdd",
    "FIXED_TERM": "cdd",
    "PERMANENT": "cdi",
    "PERMANENT_I": "cdi-inclusion",
    "FIXED_TERM_TREMPLIN": "cdd-tremplin",
    "APPRENTICESHIP": "alternance",
    "PROFESSIONAL_TRAINING": "alternance",
    "TEMPORARY": "interim",
    "CDDI": "cddi",
    "CDD": "cdd",
    "CDI": "cdi",
}
"""Les emplois ``contract_type`` codes (and their French abbreviations) → maillage contract."""

_DEFAULT_CONTRACTS: Final = {
    "aci": "cddi",
    "ei": "cddi",
    "ai": "mise-a-disposition",
    "etti": "interim",
    "geiq": "alternance",
}
_ROME: Final = re.compile(r"\b([A-N][0-9]{4})\b")
_TRUE: Final = frozenset({"true", "1", "oui", "o", "yes", "vrai", "t"})


def read_siae(
    path: Path,
    *,
    jobs: Path | None = None,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    postcode_to_insee: Mapping[str, str] | None = None,
) -> ReadResult:
    """Read a Les emplois SIAE export (CSV or JSON) and, optionally, its job descriptions.

    Parameters
    ----------
    path : Path
        The SIAE list (see the module docstring for the accepted shapes).
    jobs : Path, optional
        CSV of job descriptions (JSON files carry them in ``postes`` instead).
    commune_centroids : Mapping[str, tuple[float, float]], optional
        Code INSEE → ``(lon, lat)`` EPSG:4326, for SIAE without usable coordinates.
    postcode_to_insee : Mapping[str, str], optional
        Unambiguous postcode → code INSEE (`geodata.sources.territory.postcode_index`), used
        when the file has no ``code_insee``.

    Returns
    -------
    ReadResult
        ``index`` counts the SIAE rows (from 0), then the job rows after them; ``source_id``
        is ``id`` when present, else ``"{siret}-{type}"`` (Les emplois keeps one structure per
        SIRET and kind).
    """
    text = read_text(path).text
    if text.lstrip().startswith(("[", "{")):
        rows = _json_rows(text, path.name)
    else:
        table = parse_csv(text)
        rows = [table.row_dict(row) or _width_error(table.header, row) for row in table.rows]
    job_rows: list[Mapping[str, Any]] = []
    if jobs is not None:
        job_table = parse_csv(read_text(jobs).text)
        job_rows = [
            job_table.row_dict(row) or _width_error(job_table.header, row) for row in job_table.rows
        ]
    return _parse(rows, job_rows, commune_centroids, postcode_to_insee)


def _json_rows(text: str, name: str) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{name} : JSON invalide (ligne {exc.lineno})") from exc
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        data = data["results"]
    if not isinstance(data, list):
        raise SourceFormatError(f"{name} : liste de SIAE ou page d'API (« results ») attendue")
    return [row if isinstance(row, Mapping) else {"__error__": "objet attendu"} for row in data]


def _width_error(header: Sequence[str], row: Sequence[str]) -> dict[str, str]:
    return {
        "__error__": f"{len(row)} colonnes au lieu de {len(header)} (séparateur dans un champ ?)"
    }


def _parse(
    rows: Sequence[Mapping[str, Any]],
    job_rows: Sequence[Mapping[str, Any]],
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    postcode_to_insee: Mapping[str, str] | None,
) -> ReadResult:
    result = ReadResult()
    jobs_by_siae: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for offset, job in enumerate(job_rows):
        key = clean_text(job.get("siae_id")) or clean_text(job.get("siret")) or ""
        jobs_by_siae.setdefault(key, []).append((len(rows) + offset, job))
    used_keys: set[str] = set()
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        keys = {k for k in (clean_text(row.get("id")), clean_text(row.get("siret"))) if k}
        jobs = [job for key in sorted(keys) for job in jobs_by_siae.get(key, [])]
        nested = row.get("postes")
        if isinstance(nested, list):
            jobs += [(index, job) for job in nested if isinstance(job, Mapping)]
        used_keys |= keys
        record = _read_row(index, row, commune_centroids, postcode_to_insee)
        if isinstance(record, list):
            result.rejections.extend(record)
            result.rejections.extend(
                Rejection(job_index, "siae_id", "fiche de poste d'une SIAE refusée : ignorée")
                for job_index, _ in jobs
                if job_index != index
            )
            continue
        opportunities, job_rejections = _opportunities(jobs, record.partner.kind)
        result.rejections.extend(job_rejections)
        record = replace(record, opportunities=tuple(opportunities))
        keep_unique(result, record, index, seen, field="id", noun="la ligne")
    for key, jobs in jobs_by_siae.items():
        if key not in used_keys:
            result.rejections.extend(
                Rejection(
                    index, "siae_id", f"fiche de poste d'une SIAE absente du fichier : « {key} »"
                )
                for index, _ in jobs
            )
    return result


def _read_row(
    index: int,
    row: Mapping[str, Any],
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    postcode_to_insee: Mapping[str, str] | None,
) -> SourceRecord | list[Rejection]:
    siret_text = clean_text(row.get("siret"))
    kind_code = (clean_text(row.get("type")) or "").upper()
    source_id = clean_text(row.get("id")) or (f"{siret_text}-{kind_code}" if siret_text else None)
    problems = RowProblems(index, source_id)
    if "__error__" in row:
        problems.reject("ligne", str(row["__error__"]))
        return problems.rejections
    kind = KINDS.get(kind_code)
    if kind is None:
        problems.reject(
            "type",
            f"type de structure « {kind_code or '(vide)'} » non repris : ACI, AI, EI, ETTI, "
            "EITI, GEIQ, EA ou EATT attendu",
        )
    siret = clean_siret(siret_text, problems)
    if siret is None and all(rejection.field != "siret" for rejection in problems.rejections):
        problems.reject("siret", "champ obligatoire")
    postcode = clean_text(row.get("code_postal"))
    code_insee = _code_insee(row.get("code_insee"), postcode, postcode_to_insee, problems)
    location = None
    try:
        location = locate(
            parse_float(row.get("longitude")),
            parse_float(row.get("latitude")),
            code_insee=code_insee,
            commune_centroids=commune_centroids,
        )
    except LocationError as exc:
        problems.reject("latitude", str(exc))
    if problems or location is None or kind is None or source_id is None:
        return problems.rejections
    if location.note:
        problems.note(location.note)
    fields: dict[str, Any] = {
        "name": clean_text(row.get("enseigne")) or clean_text(row.get("raison_sociale")),
        "kind": kind,
        "lon": location.lon,
        "lat": location.lat,
        "siret": siret,
        "address": join_address(
            row.get("addresse_ligne_1"),
            row.get("addresse_ligne_2"),
            clean_text(f"{postcode or ''} {row.get('ville') or ''}"),
        ),
        "code_insee": code_insee,
        "contact": clean_contact(
            phone=row.get("telephone"),
            email=row.get("courriel"),
            website=row.get("site_web"),
            note=problems.note,
        ),
        "description": clean_text(row.get("description")),
        "source": PROVENANCE,
        "source_id": source_id,
    }
    partner = validate_partner(fields, problems)
    if partner is None:
        return problems.rejections
    extra: dict[str, Any] = {"type": kind_code}
    if clean_text(row.get("raison_sociale")):
        extra["raison_sociale"] = clean_text(row.get("raison_sociale"))
    if row.get("bloque_candidatures") is not None:
        extra["bloque_candidatures"] = _is_true(row.get("bloque_candidatures"))
    if problems.notes:
        extra["notes"] = problems.notes
    return SourceRecord(
        partner=partner,
        provenance=PROVENANCE,
        source_id=source_id,
        geocoding=location.geocoding,
        extra=extra,
        index=index,
        updated_on=parse_date(row.get("mis_a_jour_le")),
    )


def _opportunities(
    jobs: Sequence[tuple[int, Mapping[str, Any]]], kind: str
) -> tuple[list[OpportunityFields], list[Rejection]]:
    """Open job descriptions as ``emploi`` opportunities; a bad one is refused alone.

    Closed ones (``recrutement_ouvert`` false) are left out. A job description that does not
    validate is reported at its own index (the SIAE's for nested JSON ``postes``) and does
    not refuse the SIAE.
    """
    opportunities: list[OpportunityFields] = []
    rejections: list[Rejection] = []
    for position, (index, job) in enumerate(jobs):
        if job.get("recrutement_ouvert") is not None and not _is_true(
            job.get("recrutement_ouvert")
        ):
            continue
        rome_match = _ROME.search(str(job.get("rome") or ""))
        hours = parse_float(job.get("heures_hebdo"))
        places = parse_float(job.get("nombre_postes"))
        contract = CONTRACTS.get((clean_text(job.get("type_contrat")) or "").upper())
        fields = {
            "title": clean_text(job.get("appellation_modifiee"))
            or clean_text(_ROME.sub("", str(job.get("rome") or "")).strip(" ()-"))
            or (f"Poste {rome_match.group(1)}" if rome_match else None),
            "kind": "emploi",
            "contract": contract or _DEFAULT_CONTRACTS.get(kind),
            "rome_code": rome_match.group(1) if rome_match else None,
            "hours_per_week": {"min": hours, "max": hours} if hours else None,
            "places": int(places) if places is not None and places.is_integer() else None,
            "description": clean_text(job.get("description")),
            "source_id": clean_text(job.get("id")),
        }
        problems = RowProblems(index, clean_text(job.get("id")))
        opportunity = validate_opportunity(fields, problems, f"postes[{position}]")
        if opportunity is not None:
            opportunities.append(opportunity)
        rejections.extend(problems.rejections)
    return opportunities, rejections


def _code_insee(
    value: Any,
    postcode: str | None,
    postcode_to_insee: Mapping[str, str] | None,
    problems: RowProblems,
) -> str | None:
    text = clean_text(value)
    if text is not None:
        try:
            return normalize_code_insee(text)
        except ValueError as exc:
            problems.reject("code_insee", str(exc))
            return None
    if postcode and postcode_to_insee:
        return postcode_to_insee.get(postcode.zfill(5))
    return None


def _is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE
