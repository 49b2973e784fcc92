"""SIAE and inclusive employers listed by Les emplois de l'inclusion, with their job offers.

Where the files come from: Les emplois de l'inclusion (https://emplois.inclusion.beta.gouv.fr,
GIP de l'inclusion) publishes its employers through its public API ``/api/v1/siaes/``,
asked by département (``?departement=30``) or around a commune (``code_insee`` and
``distance_max_km``), paginated (20 per page by default): each page is
``{"count": N, "next": URL or null, "previous": URL or null, "results": [...]}``.
``maillage territory fetch`` follows ``next`` to the last page and writes every SIAE in one
file of the same shape (``next`` null). A page whose ``next`` is set, or whose ``count``
exceeds its results, is **incomplete**: it is read, but `ReadResult.complete` is false, so
that an import does not take the SIAE of the other pages for closed.

An SIAE of the API (``SiaeSerializer``) has ``cree_le``, ``mis_a_jour_le``, ``siret``,
``type``, ``raison_sociale``, ``enseigne``, ``site_web``, ``description``,
``bloque_candidatures``, ``addresse_ligne_1`` (sic), ``addresse_ligne_2``, ``code_postal``,
``ville``, ``departement`` and ``postes`` — **no identifier, no coordinates, no code
INSEE**. Its job descriptions have ``id``, ``rome`` (« Agent / Agente de propreté (K2204) »),
``cree_le``, ``mis_a_jour_le``, ``recrutement_ouvert`` (« True »/« False »), ``description``,
``appellation_modifiee``, ``type_contrat`` (a label: « CDD insertion », « CDD-I PHC »,
« Contrat de mission intérimaire »...), ``nombre_postes_ouverts``, ``lieu`` and
``profil_recherche``.

Staff CSV exports (``;`` or ``,``, UTF-8 or Windows-1252, detected) are read too, with the same
field names plus, when present, ``id``, ``code_insee``, ``latitude``, ``longitude``,
``telephone`` and ``courriel``; their job descriptions come in a second CSV joined on
``siae_id`` (the ``id`` column; ``siret`` when there is no ``id``)::

    siae_id;id;rome;appellation_modifiee;description;type_contrat;nombre_postes_ouverts;
    heures_hebdo;recrutement_ouvert;mis_a_jour_le

Where an SIAE is: its coordinates when the file gives some (checked by
`geodata.sources.common.locate`), else its commune's centroid (``geocoding: "commune"``). Its
commune is the ``code_insee`` when given, else the postcode **and** ``ville`` against the
national commune list (`geodata.sources.communes.CommuneReference.resolve`: a postcode shared
by several communes is settled by the town name, Cedex and arrondissements included).

Territory: with ``departements``, an SIAE of another département (its ``departement``
field, else its commune's, else its postcode's) is skipped **before** it is validated.

Mapping: ``type`` (ACI, AI, EI, ETTI, EITI, GEIQ, EA, EATT; ACIPHC is an ACI carrying
Premières heures en chantier) → the kind of the same name, lower case; OPCS (organisations
porting social clauses) are not employers of the graph and are refused. A job description
whose recruitment is open becomes an ``emploi`` opportunity with ``nombre_postes_ouverts``
places; its contract is read from ``type_contrat`` (the API's labels, or the codes
``FIXED_TERM_I``... of CSV exports: :data:`CONTRACTS`), else the usual contract of the kind
(CDDI for ACI/EI, mise à disposition for AI, intérim for ETTI, alternance for GEIQ). A nested
job description that does not validate is dropped with a note, never refusing its SIAE.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

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
    departement_of,
    fold,
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

if TYPE_CHECKING:
    from geodata.sources.communes import CommuneReference

__all__ = ["CONTRACTS", "KINDS", "PROVENANCE", "contract_of", "read_siae"]

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

CONTRACTS: Final[Mapping[str, str | None]] = {
    # codes of ContractType (CSV exports)
    "FIXED_TERM_I": "cddi",
    "FED_TERM_I_PHC": "phc",  # sic: the code Les emplois stores
    "FIXED_TERM_I_PHC": "phc",
    "FIXED_TERM_I_CVG": "cvg",
    "FIXED_TERM_USAGE": "cdd",
    "FIXED_TERM": "cdd",
    "PERMANENT": "cdi",
    "PERMANENT_I": "cdi-inclusion",
    "FIXED_TERM_TREMPLIN": "cdd-tremplin",
    "APPRENTICESHIP": "alternance",
    "PROFESSIONAL_TRAINING": "alternance",
    "TEMPORARY": "interim",
    "BUSINESS_CREATION": None,
    "OTHER": None,
    # labels of the API (get_contract_type_display), folded, and the usual abbreviations
    "cdi": "cdi",
    "cdi inclusion": "cdi-inclusion",
    "cdd": "cdd",
    "cdd d usage": "cdd",
    "cdd insertion": "cddi",
    "cdd d insertion": "cddi",
    "cdd de insertion": "cddi",
    "contrat a duree determinee d insertion": "cddi",
    "contrat a duree determinee d insertion cddi": "cddi",
    "cdd d insertion cddi": "cddi",
    "cddi": "cddi",
    "cdd i": "cddi",
    "cdd i phc": "phc",
    "cdd i premieres heures en chantier": "phc",
    "cdd i cvg": "cvg",
    "cdd i convergence": "cvg",
    "cdd tremplin": "cdd-tremplin",
    "contrat d apprentissage": "alternance",
    "contrat de professionalisation": "alternance",  # sic, as Les emplois spells it
    "contrat de professionnalisation": "alternance",
    "contrat de mission interimaire": "interim",
    "accompagnement a la creation d entreprise": None,
    "autre type de contrat": None,
}
"""Les emplois contract (a ``ContractType`` code or its French label) → maillage contract;
``None``: no maillage contract says it (the kind's usual contract is then used)."""

_DEFAULT_CONTRACTS: Final = {
    "aci": "cddi",
    "ei": "cddi",
    "ai": "mise-a-disposition",
    "etti": "interim",
    "geiq": "alternance",
}
_ROME: Final = re.compile(r"\b([A-N][0-9]{4})\b")
_TRUE: Final = frozenset({"true", "1", "oui", "o", "yes", "vrai", "t"})


def contract_of(value: Any) -> str | None:
    """The maillage contract of a Les emplois ``type_contrat`` (code or label), if any."""
    text = clean_text(value)
    if text is None:
        return None
    if text.upper() in CONTRACTS:
        return CONTRACTS[text.upper()]
    # case, accents, hyphens, apostrophes (' ’ ʼ), brackets and the dots of « C.D.D. » aside
    key = " ".join(re.sub(r"[-'’ʼ`´()]", " ", fold(text).replace(".", "")).split())
    return CONTRACTS.get(key)


def read_siae(
    path: Path,
    *,
    jobs: Path | None = None,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    postcode_to_insee: Mapping[str, str] | None = None,
    communes: CommuneReference | None = None,
    departements: Container[str] | None = None,
) -> ReadResult:
    """Read a Les emplois SIAE list (API page(s) in JSON, or CSV) and its job descriptions.

    Parameters
    ----------
    path : Path
        The SIAE list (see the module docstring for the accepted shapes).
    jobs : Path, optional
        CSV of job descriptions (JSON files carry them in ``postes`` instead).
    commune_centroids : Mapping[str, tuple[float, float]], optional
        Code INSEE → ``(lon, lat)`` EPSG:4326, for SIAE without usable coordinates; the
        centroids of ``communes`` when not given.
    postcode_to_insee : Mapping[str, str], optional
        Unambiguous postcode → code INSEE (`geodata.sources.territory.postcode_index`), used
        when the file has no ``code_insee`` and ``communes`` is not given.
    communes : CommuneReference, optional
        The national commune list: code INSEE from postcode and ``ville``, centroids.
    departements : container of str, optional
        Keep only the SIAE of these départements (``"30"``, ``"2A"``, ``"971"``); the others
        are skipped before being validated.

    Returns
    -------
    ReadResult
        ``index`` counts the SIAE rows (from 0), then the job rows after them; ``source_id``
        is ``id`` when present, else ``"{siret}-{type}"`` (Les emplois keeps one structure per
        SIRET and kind). ``complete`` is false for an API page that is not the last one.
    """
    text = read_text(path).text
    complete = True
    if text.lstrip().startswith(("[", "{")):
        rows, complete = _json_rows(text, path.name)
    else:
        table = parse_csv(text)
        rows = [table.row_dict(row) or _width_error(table.header, row) for row in table.rows]
    job_rows: list[Mapping[str, Any]] = []
    if jobs is not None:
        job_table = parse_csv(read_text(jobs).text)
        job_rows = [
            job_table.row_dict(row) or _width_error(job_table.header, row) for row in job_table.rows
        ]
    if commune_centroids is None and communes is not None:
        commune_centroids = communes.centroids
    context = _Context(commune_centroids, postcode_to_insee, communes, departements)
    result = _parse(rows, job_rows, context)
    if not complete:
        result.complete = False
        result.notes.append(
            f"{path.name} n'est qu'une page de la liste des SIAE (« next » renseigné) : "
            "les SIAE absentes de cette page ne sont pas considérées comme fermées"
        )
    return result


class _Context:
    """What reading each row needs."""

    def __init__(
        self,
        centroids: Mapping[str, tuple[float, float]] | None,
        postcode_to_insee: Mapping[str, str] | None,
        communes: CommuneReference | None,
        departements: Container[str] | None,
    ) -> None:
        self.centroids = centroids
        self.postcode_to_insee = postcode_to_insee
        self.communes = communes
        self.departements = departements


def _json_rows(text: str, name: str) -> tuple[list[Mapping[str, Any]], bool]:
    """The SIAE of a JSON list or API page, and whether the file is the whole list."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{name} : JSON invalide (ligne {exc.lineno})") from exc
    complete = True
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        count = data.get("count")
        results = data["results"]
        complete = not data.get("next") and not (isinstance(count, int) and count > len(results))
        data = results
    if not isinstance(data, list):
        raise SourceFormatError(f"{name} : liste de SIAE ou page d'API (« results ») attendue")
    rows = [row if isinstance(row, Mapping) else {"__error__": "objet attendu"} for row in data]
    return rows, complete


def _width_error(header: Sequence[str], row: Sequence[str]) -> dict[str, str]:
    return {
        "__error__": f"{len(row)} colonnes au lieu de {len(header)} (séparateur dans un champ ?)"
    }


def _parse(
    rows: Sequence[Mapping[str, Any]],
    job_rows: Sequence[Mapping[str, Any]],
    context: _Context,
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
        used_keys |= keys
        if "__error__" not in row and not _in_scope(row, context):
            result.skipped += 1 + len(jobs)
            continue
        nested = row.get("postes")
        nested_jobs = (
            [job for job in nested if isinstance(job, Mapping)] if isinstance(nested, list) else []
        )
        record = _read_row(index, row, context)
        if isinstance(record, list):
            result.rejections.extend(record)
            result.rejections.extend(
                Rejection(job_index, "siae_id", "fiche de poste d'une SIAE refusée : ignorée")
                for job_index, _ in jobs
            )
            continue
        opportunities, job_rejections, notes, closed = _opportunities(
            jobs, nested_jobs, record.partner.kind
        )
        result.rejections.extend(job_rejections)
        rejected_jobs = {rejection.index for rejection in job_rejections}
        listed = [job_index for job_index, _ in jobs if job_index not in rejected_jobs]
        result.attached += sum(1 for job_index in closed if job_index in listed)
        result.offered += len(listed) - sum(1 for job_index in closed if job_index in listed)
        extra = dict(record.extra)
        if notes:
            extra["notes"] = [*extra.get("notes", []), *notes]
        record = replace(record, opportunities=tuple(opportunities), extra=extra)
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


def _in_scope(row: Mapping[str, Any], context: _Context) -> bool:
    """Whether the SIAE lies in the wanted départements, read before any validation: its
    ``departement`` field, else its code INSEE, else its postcode (unknown: kept, so that
    validation says what is wrong)."""
    wanted = context.departements
    if wanted is None:
        return True
    stated = clean_text(row.get("departement"))
    if stated:
        code = stated.upper()
        return (code.zfill(2) if code.isdigit() and len(code) < 2 else code) in wanted
    code_insee = clean_text(row.get("code_insee"))
    if code_insee:
        try:
            return departement_of(normalize_code_insee(code_insee)) in wanted
        except ValueError:
            return True
    postcode = clean_text(row.get("code_postal"))
    if postcode and postcode.isdigit() and len(postcode) == 5:
        from geodata.sources.communes import departements_of_postcode

        return any(code in wanted for code in departements_of_postcode(postcode))
    return True


def _read_row(
    index: int, row: Mapping[str, Any], context: _Context
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
    code_insee, unresolved = _code_insee(row, postcode, context, problems)
    location = None
    try:
        location = locate(
            parse_float(row.get("longitude")),
            parse_float(row.get("latitude")),
            code_insee=code_insee,
            commune_centroids=context.centroids,
            communes=context.communes,
        )
    except LocationError as exc:
        if unresolved:
            problems.reject("ville", f"aucune coordonnée et {unresolved}")
        else:
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
    jobs: Sequence[tuple[int, Mapping[str, Any]]],
    nested: Sequence[Mapping[str, Any]],
    kind: str,
) -> tuple[list[OpportunityFields], list[Rejection], list[str], set[int]]:
    """Open job descriptions as ``emploi`` opportunities.

    Closed ones (``recrutement_ouvert`` false) are left out; their indexes (CSV rows) are
    returned last. A CSV job row that does not validate is rejected at its own index and does
    not refuse the SIAE; a nested one (``postes`` of the API) is dropped with a note.
    """
    opportunities: list[OpportunityFields] = []
    rejections: list[Rejection] = []
    notes: list[str] = []
    closed: set[int] = set()
    entries: list[tuple[int | None, Mapping[str, Any]]] = [*jobs, *((None, j) for j in nested)]
    for position, (index, job) in enumerate(entries):
        if job.get("recrutement_ouvert") is not None and not _is_true(
            job.get("recrutement_ouvert")
        ):
            if index is not None:
                closed.add(index)
            continue
        problems = RowProblems(index if index is not None else -1, clean_text(job.get("id")))
        opportunity = validate_opportunity(_job_fields(job, kind), problems, f"postes[{position}]")
        if opportunity is not None:
            opportunities.append(opportunity)
        elif index is not None:
            rejections.extend(problems.rejections)
        else:
            reasons = "; ".join(f"{r.field} : {r.reason}" for r in problems.rejections)
            notes.append(f"fiche de poste n°{position} ignorée ({reasons})")
    return opportunities, rejections, notes, closed


def _job_fields(job: Mapping[str, Any], kind: str) -> dict[str, Any]:
    rome_match = _ROME.search(str(job.get("rome") or ""))
    hours = parse_float(job.get("heures_hebdo"))
    places = parse_float(
        job.get("nombre_postes_ouverts")
        if job.get("nombre_postes_ouverts") is not None
        else job.get("nombre_postes")
    )
    contract = contract_of(job.get("type_contrat"))
    return {
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


def _code_insee(
    row: Mapping[str, Any], postcode: str | None, context: _Context, problems: RowProblems
) -> tuple[str | None, str | None]:
    """The SIAE's code INSEE, and why none was found from its postcode and town."""
    text = clean_text(row.get("code_insee"))
    if text is not None:
        try:
            return normalize_code_insee(text), None
        except ValueError as exc:
            problems.reject("code_insee", str(exc))
            return None, None
    town = clean_text(row.get("ville"))
    if context.communes is not None and (postcode or town):
        return _resolve(
            postcode, town, clean_text(row.get("departement")), context.communes, problems
        )
    code = (
        context.postcode_to_insee.get(postcode.zfill(5))
        if postcode and context.postcode_to_insee
        else None
    )
    why = None
    if code is None and (postcode or town) and not context.postcode_to_insee:
        why = "commune introuvable : aucune liste des communes pour lire le code postal et la ville"
    return code, why


def _resolve(
    postcode: str | None,
    town: str | None,
    departement: str | None,
    communes: CommuneReference,
    problems: RowProblems,
) -> tuple[str | None, str | None]:
    from geodata.sources.communes import NoCommuneError

    try:
        return communes.resolve(postcode, town, departement=departement), None
    except NoCommuneError as exc:
        problems.note(f"commune introuvable : {exc}")
        return None, f"commune introuvable : {exc}"


def _is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE
