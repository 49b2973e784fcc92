"""Digital-inclusion places ("lieux de médiation numérique") in the Hinaura export format.

Hinaura, the Auvergne-Rhône-Alpes digital-inclusion network, publishes its places as a JSON
array (republished in the npm package ``@gouvfr-anct/cartographie-nationale``, Licence Ouverte
2.0): one object per place with ``id``, ``nom``, ``adresse``, ``code_postal``, ``commune``,
``latitude``, ``longitude``, ``telephone``, ``courriel``, ``site_web``, ``horaires``,
``date_maj``, ``pivot`` (a SIRET, ``00000000000000`` when unknown) and French labels joined by
``;`` in ``services``, ``publics_accueillis``, ``conditions_acces`` and
``modalites_accompagnement``. It is the proof that the mapping layer copes with a messy
source: every label is mapped to a data·inclusion v1 code or kept raw in ``extra``.

Mapping decisions:

- ``services`` → ``thematiques`` with :data:`SERVICE_THEMATIQUES`. The labels are those of
  the former data·inclusion v0 ``numerique--*`` list, which v1 folded into four codes;
  on-site equipment ("Accéder à du matériel") is read as access to a connection and
  equipment on the spot, not as acquiring one's own device.
- ``publics_accueillis`` → ``publics`` with :data:`PUBLIC_CODES`; "Adultes", "Personnes en
  situation d'illettrisme" and "Public langues étrangères" have no v1 public and stay in
  ``extra["publics_accueillis"]``.
- ``kind``: the place's name decides when it names a known network (France Services / MSAP,
  CCAS, Mission locale, mairie, médiathèque is not a kind); otherwise
  ``conseillers-numeriques``, the closest maillage kind of a digital-inclusion place.
- ``horaires`` are OSM ``opening_hours`` in this export; a value that is not is converted
  from French when simple (``lundi 9h-12h``, see
  `geodata.sources.common.french_hours_to_osm`), else dropped with a note.
- No code INSEE in the file: it comes from ``postcode_to_insee`` when the postcode serves a
  single commune.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Mapping, Sequence
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
    clean_opening_hours,
    clean_siret,
    clean_text,
    departement_of,
    fold,
    join_address,
    keep_unique,
    locate,
    parse_date,
    parse_float,
    read_text,
    validate_partner,
)

if TYPE_CHECKING:
    from geodata.sources.communes import CommuneReference

__all__ = [
    "DEFAULT_KIND",
    "PROVENANCE",
    "PUBLIC_CODES",
    "SERVICE_THEMATIQUES",
    "read_mediation_numerique",
    "split_labels",
]

PROVENANCE: Final = provenances.MEDIATION_NUMERIQUE
DEFAULT_KIND: Final = "conseillers-numeriques"

_CONNECTION: Final = "numerique--acceder-a-une-connexion-internet"
_FUNDAMENTALS: Final = "numerique--maitriser-les-fondamentaux-du-numerique"
_ONLINE_SERVICES: Final = "numerique--acceder-a-des-services-en-ligne"

SERVICE_THEMATIQUES: Final[Mapping[str, tuple[str, ...]]] = {
    # Keys are folded labels (lower case, no accents): see fold().
    "acceder a une connexion internet": (_CONNECTION,),
    "acceder a du materiel": (_CONNECTION,),
    "prendre en main un ordinateur": (_FUNDAMENTALS,),
    "prendre en main un smartphone ou une tablette": (_FUNDAMENTALS,),
    "utiliser le numerique au quotidien": (_FUNDAMENTALS,),
    "approfondir ma culture numerique": (_FUNDAMENTALS,),
    "promouvoir la citoyennete numerique": (_FUNDAMENTALS,),
    "realiser des demarches administratives avec un accompagnement": (
        _ONLINE_SERVICES,
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    ),
    "devenir autonome dans les demarches administratives": (_ONLINE_SERVICES,),
    "accompagner les demarches de sante": (_ONLINE_SERVICES, "sante--acces-aux-soins"),
    "soutenir la parentalite et l'education avec le numerique": (
        _FUNDAMENTALS,
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    "creer et developper mon entreprise": ("creer-une-entreprise--developper-son-entreprise",),
    "acquerir un equipement": ("numerique--acquerir-un-equipement",),
}
"""Hinaura ``services`` label (folded) → data·inclusion v1 thematiques."""

PUBLIC_CODES: Final[Mapping[str, str]] = {
    "jeunes (16-26 ans)": "jeunes",
    "seniors (+ 65 ans)": "seniors",
    "familles/enfants": "familles",
    "surdite": "personnes-en-situation-de-handicap",
    "deficience visuelle": "personnes-en-situation-de-handicap",
    "handicaps mentaux : deficiences limitant les activites d'une personne": (
        "personnes-en-situation-de-handicap"
    ),
    "handicaps moteurs": "personnes-en-situation-de-handicap",
    "femmes": "femmes",
    "etudiants": "etudiants",
    "demandeurs d'emploi": "demandeurs-emploi",
}
"""Hinaura ``publics_accueillis`` label (folded) → data·inclusion v1 public."""

_NAME_KINDS: Final = (
    (re.compile(r"\bfrance services?\b|\bmsap\b|maison de services? au public"), "france-service"),
    (re.compile(r"\bccas\b|\bcias\b|centre (inter)?communal d'action sociale"), "ccas-cias"),
    (re.compile(r"\bmission locale\b"), "mission-locale"),
    (re.compile(r"^mairie\b|\bhotel de ville\b"), "communes"),
)


def split_labels(value: Any) -> list[str]:
    """A ``;``-joined label list as clean labels (empty items dropped, order kept)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(";")
    return [text for item in items if (text := clean_text(item))]


def read_mediation_numerique(
    path: Path,
    *,
    commune_centroids: Mapping[str, tuple[float, float]] | None = None,
    postcode_to_insee: Mapping[str, str] | None = None,
    communes: CommuneReference | None = None,
    departements: Container[str] | None = None,
) -> ReadResult:
    """Read a Hinaura JSON export of digital-inclusion places.

    Parameters
    ----------
    path : Path
        JSON array of places.
    commune_centroids : Mapping[str, tuple[float, float]], optional
        Code INSEE → ``(lon, lat)`` EPSG:4326, for places without usable coordinates.
    postcode_to_insee : Mapping[str, str], optional
        Unambiguous postcode → code INSEE.
    communes : CommuneReference, optional
        The national commune list: code INSEE from postcode and ``commune``, centroids, the
        check that a point lies in its commune.
    departements : container of str, optional
        Keep only the places of these départements (by postcode, and town when the postcode is
        shared by two): the others are skipped before being validated.

    Returns
    -------
    ReadResult
        ``index`` is the position in the array; ``extra`` keeps the raw ``services``,
        ``publics_accueillis`` (unmapped ones), ``conditions_acces``,
        ``modalites_accompagnement`` and ``notes``.
    """
    try:
        places = json.loads(read_text(path).text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{path.name} : JSON invalide (ligne {exc.lineno})") from exc
    if not isinstance(places, list):
        raise SourceFormatError(f"{path.name} : tableau JSON de lieux attendu")
    result = ReadResult()
    seen: dict[str, int] = {}
    if commune_centroids is None and communes is not None:
        commune_centroids = communes.centroids
    for index, place in enumerate(places):
        if not isinstance(place, Mapping):
            result.rejections.append(Rejection(index, "lieu", "objet JSON attendu"))
            continue
        code_insee = _code_insee(place, postcode_to_insee, communes)
        if departements is not None and not _in_scope(place, code_insee, departements):
            result.skipped += 1
            continue
        record = _read_place(index, place, code_insee, commune_centroids, communes)
        if isinstance(record, list):
            result.rejections.extend(record)
            continue
        keep_unique(result, record, index, seen, field="id", noun="le lieu")
    return result


def _code_insee(
    place: Mapping[str, Any],
    postcode_to_insee: Mapping[str, str] | None,
    communes: CommuneReference | None,
) -> str | None:
    postcode = clean_text(place.get("code_postal"))
    if communes is not None and postcode:
        from geodata.sources.communes import NoCommuneError

        try:
            return communes.resolve(postcode, clean_text(place.get("commune")))
        except NoCommuneError:
            return None
    found = (postcode_to_insee or {}).get((postcode or "").zfill(5))
    return found


def _in_scope(
    place: Mapping[str, Any], code_insee: str | None, departements: Container[str]
) -> bool:
    """Whether a place lies in the wanted départements, before validation (its commune, else
    its postcode; a place naming neither is out of scope)."""
    if code_insee is not None:
        return departement_of(code_insee) in departements
    from geodata.sources.communes import departements_of_postcode

    postcode = (clean_text(place.get("code_postal")) or "").zfill(5)
    return any(code in departements for code in departements_of_postcode(postcode))


def _read_place(
    index: int,
    place: Mapping[str, Any],
    code_insee: str | None,
    commune_centroids: Mapping[str, tuple[float, float]] | None,
    communes: CommuneReference | None,
) -> SourceRecord | list[Rejection]:
    source_id = clean_text(place.get("id"))
    problems = RowProblems(index, source_id)
    if source_id is None:
        problems.reject("id", "identifiant du lieu manquant")
    name = clean_text(place.get("nom"))
    if name is None:
        problems.reject("nom", "nom du lieu manquant")
    siret = clean_siret(place.get("pivot"), problems, "pivot")
    postcode = clean_text(place.get("code_postal"))
    location = None
    try:
        location = locate(
            parse_float(place.get("longitude")),
            parse_float(place.get("latitude")),
            code_insee=code_insee,
            commune_centroids=commune_centroids,
            communes=communes,
        )
    except LocationError as exc:
        problems.reject("latitude", str(exc))
    if problems or location is None or source_id is None or name is None:
        return problems.rejections
    if location.note:
        problems.note(location.note)
    services = split_labels(place.get("services"))
    publics_raw = split_labels(place.get("publics_accueillis"))
    thematiques, unmapped_services = _map(services, SERVICE_THEMATIQUES)
    publics, unmapped_publics = _map(publics_raw, {k: (v,) for k, v in PUBLIC_CODES.items()})
    if unmapped_services:
        problems.note(f"services sans thématique data·inclusion : {', '.join(unmapped_services)}")
    partner = validate_partner(
        {
            "name": name,
            "kind": _kind_of(name),
            "lon": location.lon,
            "lat": location.lat,
            "siret": siret,
            "address": join_address(
                place.get("adresse"), clean_text(f"{postcode or ''} {place.get('commune') or ''}")
            ),
            "code_insee": code_insee,
            "opening_hours": clean_opening_hours(place.get("horaires"), note=problems.note),
            "publics": publics,
            "thematiques": thematiques,
            "contact": clean_contact(
                phone=place.get("telephone"),
                email=place.get("courriel"),
                website=place.get("site_web"),
                note=problems.note,
            ),
            "source": PROVENANCE,
            "source_id": source_id,
        },
        problems,
    )
    if partner is None:
        return problems.rejections
    extra: dict[str, Any] = {"services": services}
    if unmapped_publics:
        extra["publics_accueillis"] = unmapped_publics
    for key in ("conditions_acces", "modalites_accompagnement"):
        labels = split_labels(place.get(key))
        if labels:
            extra[key] = labels
    if clean_text(place.get("source")):
        extra["source"] = clean_text(place.get("source"))
    if problems.notes:
        extra["notes"] = problems.notes
    return SourceRecord(
        partner=partner,
        provenance=PROVENANCE,
        source_id=source_id,
        geocoding=location.geocoding,
        extra=extra,
        index=index,
        updated_on=parse_date(place.get("date_maj")),
    )


def _map(
    labels: Sequence[str], table: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], list[str]]:
    """Codes of the labels found in ``table`` (deduplicated) and the labels not found."""
    codes: list[str] = []
    unmapped: list[str] = []
    for label in labels:
        mapped = table.get(fold(label))
        if mapped is None:
            unmapped.append(label)
        else:
            codes.extend(mapped)
    return list(dict.fromkeys(codes)), unmapped


def _kind_of(name: str) -> str:
    folded = fold(name).replace("’", "'")
    return next((kind for pattern, kind in _NAME_KINDS if pattern.search(folded)), DEFAULT_KIND)
