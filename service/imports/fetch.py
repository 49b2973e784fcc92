"""Fetching the official files of a département: manifests, downloads, checksums.

:func:`manifest` lists, per département, where the official files are published (see
:data:`GEOFABRIK_REGIONS`, :data:`TERRITORIES` and the entries below); :func:`fetch` downloads
them with retries and exponential backoff, into ``.part`` files renamed atomically once
complete, checks the checksum the publisher gives (data.gouv.fr resources carry one,
Geofabrik publishes an ``.md5`` beside each extract) and writes ``SHA256SUMS`` and
``MANIFEST.json`` (each file's publisher's date, checksum, URL: `service.imports.fetched`); a
transfer cut short is resumed where it stopped (`service.imports.download`). Entries resolved
through an API (data.gouv.fr, transport.data.gouv.fr) always take the latest resource.
``base_url`` replaces the scheme and host of every URL (tests serve small files from
``127.0.0.1``).

Running it again is idempotent: a file whose published checksum, portal date or HTTP
validators (``ETag``, ``Last-Modified``: a conditional request answered ``304``) say it has
not changed is not downloaded again, and both ``SHA256SUMS`` and ``MANIFEST.json`` come out
byte for byte the same.

data.gouv.fr datasets are named by their **identifier**, which a renamed dataset keeps (the
data·inclusion dataset changed its slug in 2025), and read through the portal's API v2, whose
list of resources is paginated (``next_page``, followed to the end: the FINESS dataset holds
every monthly extract). The identifiers come from the publishers' own code (data·inclusion's
``DATAGOUV_DI_DATASET_ID`` and resource ids in gip-inclusion/data-inclusion) and from scripts
calling ``/api/1/datasets/53699569a3a729239d2046eb`` for FINESS; the Les emplois API query and
the transport.data.gouv.fr search terms are the parts to confirm on a connected machine. Only
départements of :data:`TERRITORIES` (the Gard) get the SIAE and GTFS entries; elsewhere,
``--manifest`` supplies them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from geodata.sources.common import fold
from service.imports.download import Client, FetchError
from service.imports.emplois import EmploisSiaes, fetch_pages
from service.imports.fetched import Fetched, describe, previous, unchanged, write_sums

GEOFABRIK: Final = "https://download.geofabrik.de/europe/france"
DATA_GOUV_API: Final = "https://www.data.gouv.fr/api/2/datasets"
FINESS_DATASET: Final = "53699569a3a729239d2046eb"
"""« FINESS Extraction du Fichier des établissements » (slug
``finess-extraction-du-fichier-des-etablissements``)."""
DATA_INCLUSION_DATASET: Final = "6233723c2c1e4a54af2f6b2d"
"""« Référentiel de l'offre d'insertion » of data·inclusion (slug changed in 2025 to
``referentiel-de-loffre-dinsertion-sociale-et-professionnelle-data-inclusion``)."""
DATA_INCLUSION_STRUCTURES_JSON: Final = "4fc64287-e869-4550-8fb9-b1e0b7809ffa"
DATA_INCLUSION_SERVICES_JSON: Final = "0eac1faa-66f9-4e49-8fb3-f0721027d89f"
_PAGE_SIZE: Final = 50
_MAX_PAGES: Final = 200
TRANSPORT_API: Final = "https://transport.data.gouv.fr/api/datasets"
DECOUPAGE: Final = "https://unpkg.com/@etalab/decoupage-administratif@6.0.0/data"

GEOFABRIK_REGIONS: Final[Mapping[str, tuple[str, ...]]] = {
    # Geofabrik still cuts France along the regions before 2016: region extract → départements
    "alsace": ("67", "68"),
    "aquitaine": ("24", "33", "40", "47", "64"),
    "auvergne": ("03", "15", "43", "63"),
    "basse-normandie": ("14", "50", "61"),
    "bourgogne": ("21", "58", "71", "89"),
    "bretagne": ("22", "29", "35", "56"),
    "centre": ("18", "28", "36", "37", "41", "45"),
    "champagne-ardenne": ("08", "10", "51", "52"),
    "corse": ("2A", "2B"),
    "franche-comte": ("25", "39", "70", "90"),
    "haute-normandie": ("27", "76"),
    "ile-de-france": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "languedoc-roussillon": ("11", "30", "34", "48", "66"),
    "limousin": ("19", "23", "87"),
    "lorraine": ("54", "55", "57", "88"),
    "midi-pyrenees": ("09", "12", "31", "32", "46", "65", "81", "82"),
    "nord-pas-de-calais": ("59", "62"),
    "pays-de-la-loire": ("44", "49", "53", "72", "85"),
    "picardie": ("02", "60", "80"),
    "poitou-charentes": ("16", "17", "79", "86"),
    "provence-alpes-cote-d-azur": ("04", "05", "06", "13", "83", "84"),
    "rhone-alpes": ("01", "07", "26", "38", "42", "69", "73", "74"),
    "guadeloupe": ("971",),
    "martinique": ("972",),
    "guyane": ("973",),
    "reunion": ("974",),
    "mayotte": ("976",),
}
"""Geofabrik extract (``{GEOFABRIK}/{region}-latest.osm.pbf``) covering each département."""


@dataclass(frozen=True, slots=True)
class Territory:
    """What the manifest needs to know of a département beyond its code.

    Attributes
    ----------
    prefecture : str
        Code INSEE of the préfecture.
    gtfs_terms : tuple of str
        Words (folded: lower case, no accents) of the titles or slugs of the département's
        transport.data.gouv.fr datasets; every GTFS resource of a matching dataset is fetched.
    """

    prefecture: str
    gtfs_terms: tuple[str, ...] = ()


TERRITORIES: Final[Mapping[str, Territory]] = {
    # Gard: Tango (Nîmes Métropole), Ales'y (Alès Agglomération), liO (Région Occitanie, the
    # regional coaches that serve the département). CHECK online that the catalogue still names
    # them so; pass a --manifest to pin exact resources.
    "30": Territory("30189", ("nimes", "tango", "ales", "alesy", "gard", "lio")),
}


@dataclass(frozen=True, slots=True)
class Download:
    """One file at a fixed URL; ``checksum`` is ``(algorithm, hex digest)`` when published.

    ``checksum_url`` is a file published beside it whose first word is the digest (``md5sum``
    format: Geofabrik's ``*.osm.pbf.md5``); the algorithm is its extension. It is read at each
    fetch, so an extract already on disk is kept when the publisher's digest still matches.
    """

    name: str
    url: str
    what: str
    checksum: tuple[str, str] | None = None
    checksum_url: str | None = None
    date: str | None = None
    date_source: str | None = None
    dataset: str | None = None
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class DataGouvResource:
    """A resource of the data.gouv.fr dataset whose identifier is ``dataset``: the one whose
    identifier is ``resource`` when given and still there, else the latest (``last_modified``)
    whose URL or title matches ``pattern``.

    Resolved through ``{DATA_GOUV_API}/{dataset}/resources/``, every page; the resource's
    published checksum (sha1, sha256 or md5) is verified and its ``last_modified`` is the
    file's date.
    """

    name: str
    dataset: str
    pattern: str
    what: str
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class TransportGtfs:
    """Every GTFS resource of the transport.data.gouv.fr datasets matching ``terms``.

    Resolved through the catalogue ``{TRANSPORT_API}``; files are named
    ``gtfs-{dataset slug}-{resource id}.zip``.
    """

    terms: tuple[str, ...]
    what: str = "horaires GTFS des réseaux du département (transport.data.gouv.fr)"


Entry = Download | DataGouvResource | TransportGtfs | EmploisSiaes

__all__ = ["EmploisSiaes", "Entry", "FetchReport", "fetch", "fetch_pages", "manifest"]


def manifest(departement: str) -> list[Entry]:
    """Where the official files of a département are published.

    =======================  =================================================================
    OSM (streets)            Geofabrik, the old region's extract (:data:`GEOFABRIK_REGIONS`)
    GTFS                     transport.data.gouv.fr, datasets of :data:`TERRITORIES`
    FINESS                   data.gouv.fr dataset `FINESS_DATASET`,
                             ``etalab-cs1100507-stock-*.csv`` (geolocated establishments)
    SIAE                     Les emplois de l'inclusion API, by département, every page
    data·inclusion           data.gouv.fr dataset `DATA_INCLUSION_DATASET`: structures and
                             services JSON (their resource ids)
    communes                 ``@etalab/decoupage-administratif`` 6.0.0 (``communes.json``)
    =======================  =================================================================

    Raises
    ------
    ValueError
        French message when the département is not known to Geofabrik's cut.
    """
    code = departement.strip().upper()
    region = next((r for r, deps in GEOFABRIK_REGIONS.items() if code in deps), None)
    if region is None:
        raise ValueError(f"département inconnu : « {departement} »")
    entries: list[Entry] = [
        Download(
            f"{region}-latest.osm.pbf",
            f"{GEOFABRIK}/{region}-latest.osm.pbf",
            f"rues OpenStreetMap ({region}, Geofabrik)",
            checksum_url=f"{GEOFABRIK}/{region}-latest.osm.pbf.md5",
        ),
        DataGouvResource(
            "finess-etablissements.csv",
            FINESS_DATASET,
            r"etalab-cs1100507-stock-[0-9-]+\.csv$",
            "FINESS, établissements géolocalisés (data.gouv.fr)",
        ),
        DataGouvResource(
            "data-inclusion-structures.json",
            DATA_INCLUSION_DATASET,
            r"structures[^/]*\.json$",
            "data·inclusion, structures (data.gouv.fr)",
            DATA_INCLUSION_STRUCTURES_JSON,
        ),
        DataGouvResource(
            "data-inclusion-services.json",
            DATA_INCLUSION_DATASET,
            r"services[^/]*\.json$",
            "data·inclusion, services (data.gouv.fr)",
            DATA_INCLUSION_SERVICES_JSON,
        ),
        Download(
            "communes.json",
            f"{DECOUPAGE}/communes.json",
            "communes, codes postaux et population (@etalab/decoupage-administratif)",
        ),
    ]
    entries.append(EmploisSiaes(code))
    territory = TERRITORIES.get(code)
    if territory is not None and territory.gtfs_terms:
        entries.append(TransportGtfs(territory.gtfs_terms))
    return entries


@dataclass(slots=True)
class FetchReport:
    """Files written and failures (French messages), in manifest order."""

    files: list[Fetched] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


Log = Callable[[str], None]


def fetch(
    entries: Sequence[Entry],
    out: Path,
    *,
    base_url: str | None = None,
    retries: int = 3,
    backoff_s: float = 0.5,
    timeout_s: float = 60.0,
    log: Log | None = None,
) -> FetchReport:
    """Download the manifest's files into ``out``; write ``SHA256SUMS`` and ``MANIFEST.json``.

    Parameters
    ----------
    entries : sequence of Entry
        From :func:`manifest` (or hand-written).
    out : Path
        Directory, created if needed.
    base_url : str, optional
        ``http://127.0.0.1:8765``: replaces scheme and host of every URL, path kept.
    retries : int
        Further attempts after a failed one (network error, transfer cut short — resumed —,
        HTTP 416, 429 or 5xx); waits
        ``backoff_s * 2**n`` seconds (n = 0, 1, ...) with ±20 % jitter in between.
    backoff_s, timeout_s : float
        First wait and per-request timeout, seconds.
    log : callable, optional
        Receives one French line per file.

    Returns
    -------
    FetchReport
        A failed entry does not stop the others. A file already present is kept as is when
        its published checksum matches, when the portal gives the same URL and date as last
        time, or when the server answers a conditional request ``304 Not Modified``.
    """
    out.mkdir(parents=True, exist_ok=True)
    client = Client(base_url, retries, backoff_s, timeout_s)
    report = FetchReport()
    before = previous(out)
    for entry in entries:
        if isinstance(entry, EmploisSiaes):
            try:
                fetched = fetch_pages(entry, client, out)
            except FetchError as exc:
                report.failures.append(str(exc))
                if log:
                    log(f"✗ {entry.name} : {exc}")
                continue
            report.files.append(fetched)
            if log:
                log(_line(fetched))
            continue
        try:
            targets = _resolve(entry, client)
        except FetchError as exc:
            report.failures.append(str(exc))
            continue
        for target in targets:
            try:
                fetched = _download(target, client, out, before.get(target.name))
            except FetchError as exc:
                report.failures.append(str(exc))
                if log:
                    log(f"✗ {target.name} : {exc}")
                continue
            report.files.append(fetched)
            if log:
                log(_line(fetched))
    write_sums(out, report.files)
    return report


def _download(target: Download, client: Client, out: Path, entry: dict[str, Any] | None) -> Fetched:
    """One file, kept when unchanged (see `fetch`); its date: the portal's, else the HTTP
    ``Last-Modified`` of the answer, else (kept without asking) the earlier run's."""
    path = out / target.name
    same = unchanged(path, entry)
    known = entry if same and entry is not None else {}
    if (
        target.date is not None
        and known.get("url") == target.url
        and known.get("date") == target.date
    ):  # the portal says this very file, unchanged since it was fetched
        return _fetched(target, path, known, attempts=0, etag=None, last_modified=None)
    validators = {k: str(known[k]) for k in ("etag", "last_modified") if known.get(k)}
    done = client.download(
        target.url, path, name=target.name, checksum=target.checksum, validators=validators
    )
    if done.attempts == 0 or done.not_modified:  # kept: the earlier run's validators stand
        return _fetched(target, path, known, attempts=done.attempts, etag=None, last_modified=None)
    return _fetched(
        target, path, {}, attempts=done.attempts, etag=done.etag, last_modified=done.last_modified
    )


def _fetched(
    target: Download,
    path: Path,
    known: Mapping[str, Any],
    *,
    attempts: int,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    fetched = describe(path, target.what)
    fetched.attempts = attempts
    fetched.url = target.url
    fetched.dataset = target.dataset
    fetched.resource = target.resource
    fetched.etag = etag or known.get("etag")
    fetched.last_modified = last_modified or known.get("last_modified")
    if target.date is not None:
        fetched.date, fetched.date_source = target.date, target.date_source
    elif last_modified is not None:
        fetched.date, fetched.date_source = _iso(last_modified), "HTTP Last-Modified"
    else:
        fetched.date, fetched.date_source = known.get("date"), known.get("date_source")
    return fetched


def _iso(http_date: str) -> str:
    """An HTTP date (``Tue, 12 May 2026 09:11:52 GMT``) as ISO 8601, UTC; as given when
    unreadable."""
    try:
        return email.utils.parsedate_to_datetime(http_date).astimezone(dt.UTC).isoformat()
    except (TypeError, ValueError):
        return http_date


def _line(fetched: Fetched) -> str:
    kept = " (inchangé, gardé)" if fetched.attempts == 0 else ""
    date = f", du {fetched.date}" if fetched.date else ""
    return (
        f"✓ {fetched.path.name} — {fetched.what}, {fetched.size} octets{date}, "
        f"sha256 {fetched.sha256[:12]}…{kept}"
    )


def _resolve(entry: Download | DataGouvResource | TransportGtfs, client: Client) -> list[Download]:
    """The files an entry stands for (APIs are asked for the latest resources)."""
    if isinstance(entry, Download):
        if entry.checksum_url is None:
            return [entry]
        return [replace(entry, checksum=_published_checksum(entry, client))]
    if isinstance(entry, DataGouvResource):
        return [_data_gouv(entry, client)]
    catalogue = client.json(TRANSPORT_API)
    found = []
    for dataset in catalogue if isinstance(catalogue, list) else []:
        words = set(re.split(r"[^a-z0-9]+", fold(f"{dataset.get('slug')} {dataset.get('title')}")))
        if not words & set(entry.terms):
            continue
        for resource in dataset.get("resources", []):
            if str(resource.get("format", "")).upper() == "GTFS" and resource.get("url"):
                updated = resource.get("updated")
                found.append(
                    Download(
                        f"gtfs-{dataset.get('slug')}-{resource.get('id')}.zip",
                        str(resource["url"]),
                        f"GTFS « {dataset.get('title')} »",
                        date=str(updated) if updated else None,
                        date_source="transport.data.gouv.fr (updated)" if updated else None,
                        dataset=str(dataset.get("id") or dataset.get("slug")),
                        resource=str(resource.get("id")),
                    )
                )
    if not found:
        raise FetchError("aucun jeu GTFS trouvé sur transport.data.gouv.fr pour ce département")
    return found


def data_gouv_resources(dataset: str, client: Client) -> list[Mapping[str, Any]]:
    """Every resource of a data.gouv.fr dataset (its identifier), page after page.

    ``{DATA_GOUV_API}/{dataset}/resources/?page=1&page_size=50`` answers
    ``{"data", "next_page", "page", "page_size", "total"}``; ``next_page`` is followed to the
    end.

    Raises
    ------
    FetchError
        In French, when a page is not such a page or the pages loop.
    """
    url: str | None = f"{DATA_GOUV_API}/{dataset}/resources/?page=1&page_size={_PAGE_SIZE}"
    seen: set[str] = set()
    resources: list[Mapping[str, Any]] = []
    while url:
        if url in seen or len(seen) >= _MAX_PAGES:
            raise FetchError(f"jeu de données data.gouv.fr {dataset} : pagination sans fin")
        seen.add(url)
        page = client.json(url)
        if not isinstance(page, Mapping) or not isinstance(page.get("data"), list):
            raise FetchError(
                f"jeu de données data.gouv.fr {dataset} : réponse inattendue de l'API "
                "(liste « data » des ressources attendue)"
            )
        resources.extend(r for r in page["data"] if isinstance(r, Mapping))
        following = page.get("next_page")
        url = str(following) if following else None
    return resources


def _data_gouv(entry: DataGouvResource, client: Client) -> Download:
    """The resource an entry names (see `DataGouvResource`), with its checksum and date."""
    resources = data_gouv_resources(entry.dataset, client)
    chosen = next((r for r in resources if entry.resource and r.get("id") == entry.resource), None)
    if chosen is None:
        pattern = re.compile(entry.pattern, re.IGNORECASE)
        matching = [
            r
            for r in resources
            if pattern.search(str(r.get("url", ""))) or pattern.search(str(r.get("title", "")))
        ]
        if not matching:
            raise FetchError(
                f"{entry.name} : aucune ressource « {entry.pattern} » dans le jeu de données "
                f"data.gouv.fr {entry.dataset} ({len(resources)} ressource(s) lue(s))"
            )
        chosen = max(matching, key=lambda r: str(r.get("last_modified") or ""))
    checksum = chosen.get("checksum") or {}
    pair = None
    if checksum.get("type") and checksum.get("value"):
        pair = (_algorithm(str(checksum["type"])), str(checksum["value"]).lower())
    modified = chosen.get("last_modified")
    return Download(
        entry.name,
        str(chosen["url"]),
        entry.what,
        pair,
        date=str(modified) if modified else None,
        date_source="data.gouv.fr (last_modified)" if modified else None,
        dataset=entry.dataset,
        resource=str(chosen["id"]) if chosen.get("id") else None,
    )


def _published_checksum(entry: Download, client: Client) -> tuple[str, str]:
    """``(algorithm, digest)`` read from ``entry.checksum_url`` (``<hex>  <name>``)."""
    assert entry.checksum_url is not None
    body = client.content(entry.checksum_url)
    algorithm = _algorithm(entry.checksum_url.rsplit(".", 1)[-1])
    words = body.decode("ascii", errors="replace").split()
    size = (
        hashlib.new(algorithm).digest_size * 2 if algorithm in hashlib.algorithms_available else 0
    )
    if not words or not size or not re.fullmatch(f"[0-9a-fA-F]{{{size}}}", words[0]):
        raise FetchError(
            f"{entry.name} : somme de contrôle publiée illisible ({entry.checksum_url})"
        )
    return algorithm, words[0].lower()


def _algorithm(name: str) -> str:
    """data.gouv.fr checksum types (``sha1``, ``sha2``, ``sha256``, ``md5``) → hashlib names."""
    lowered = name.lower()
    return "sha256" if lowered in ("sha2", "sha256") else lowered


def read_manifest(path: Path) -> list[Entry]:
    """A hand-written manifest: a JSON array of ``{"name", "url", "what"?, "sha256"?}``.

    Raises
    ------
    ValueError
        French message when the file is not such an array.
    """
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"manifeste illisible : {path}") from exc
    if not isinstance(items, list) or not all(
        isinstance(i, Mapping) and i.get("name") and i.get("url") for i in items
    ):
        raise ValueError("manifeste : tableau JSON d'objets {name, url, what?, sha256?} attendu")
    return [
        Download(
            str(i["name"]),
            str(i["url"]),
            str(i.get("what") or i["name"]),
            ("sha256", str(i["sha256"]).lower()) if i.get("sha256") else None,
        )
        for i in items
    ]
