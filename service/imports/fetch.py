"""Fetching the official files of a département: manifests, downloads, checksums.

:func:`manifest` lists, per département, where the official files are published (see
:data:`GEOFABRIK_REGIONS`, :data:`TERRITORIES` and the entries below); :func:`fetch` downloads
them with retries and exponential backoff, into ``.part`` files renamed atomically once
complete, checks the checksum the publisher gives (data.gouv.fr resources carry one,
Geofabrik publishes an ``.md5`` beside each extract) and writes ``SHA256SUMS``; a transfer
cut short is resumed where it stopped (`service.imports.download`). Entries resolved through
an API (data.gouv.fr, transport.data.gouv.fr) always take the latest resource. ``base_url``
replaces the scheme and host of every URL (tests serve small files from ``127.0.0.1``).

The addresses follow the publishers' documented patterns but could not be checked online
from the offline build: the data.gouv.fr dataset slugs, the Les emplois API query and the
transport.data.gouv.fr search terms are the parts to confirm on a connected machine. Only
départements of :data:`TERRITORIES` (the Gard) get the SIAE and GTFS entries; elsewhere,
``--manifest`` supplies them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from geodata.sources.common import fold
from service.imports.download import Client, FetchError, digest

GEOFABRIK: Final = "https://download.geofabrik.de/europe/france"
DATA_GOUV_API: Final = "https://www.data.gouv.fr/api/1/datasets"
TRANSPORT_API: Final = "https://transport.data.gouv.fr/api/datasets"
DECOUPAGE: Final = "https://unpkg.com/@etalab/decoupage-administratif@6.0.0/data"
EMPLOIS_API: Final = "https://emplois.inclusion.beta.gouv.fr/api/v1/siaes/"

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


@dataclass(frozen=True, slots=True)
class DataGouvResource:
    """The latest resource of a data.gouv.fr dataset whose URL or title matches ``pattern``.

    Resolved through ``{DATA_GOUV_API}/{dataset}/``; the resource's published checksum (sha1,
    sha256 or md5) is verified.
    """

    name: str
    dataset: str
    pattern: str
    what: str


@dataclass(frozen=True, slots=True)
class TransportGtfs:
    """Every GTFS resource of the transport.data.gouv.fr datasets matching ``terms``.

    Resolved through the catalogue ``{TRANSPORT_API}``; files are named
    ``gtfs-{dataset slug}-{resource id}.zip``.
    """

    terms: tuple[str, ...]
    what: str = "horaires GTFS des réseaux du département (transport.data.gouv.fr)"


@dataclass(frozen=True, slots=True)
class EmploisSiaes:
    """Every SIAE of a département from the Les emplois API, page after page.

    ``{EMPLOIS_API}?departement={departement}`` answers ``{"count", "next", "previous",
    "results"}`` 20 SIAE at a time; ``next`` is followed to the last page and the SIAE are
    written together in one file of the same shape (``next`` null). A page that fails (after
    the retries) writes nothing: the file of an earlier run stays as it was, so an import never
    sees a partial list and never closes the SIAE of the pages it missed.
    """

    departement: str
    name: str = "siae.json"
    what: str = "SIAE du département (Les emplois de l'inclusion, API, toutes les pages)"
    max_pages: int = 1_000


Entry = Download | DataGouvResource | TransportGtfs | EmploisSiaes


def manifest(departement: str) -> list[Entry]:
    """Where the official files of a département are published.

    =======================  =================================================================
    OSM (streets)            Geofabrik, the old region's extract (:data:`GEOFABRIK_REGIONS`)
    GTFS                     transport.data.gouv.fr, datasets of :data:`TERRITORIES`
    FINESS                   data.gouv.fr ``finess-extraction-du-fichier-des-etablissements``,
                             ``etalab-cs1100507-stock-*.csv`` (geolocated establishments)
    SIAE                     Les emplois de l'inclusion API, by département, every page
    data·inclusion           data.gouv.fr ``referentiel-de-loffre-dinsertion-liste-des-
                             structures-et-services-dinsertion``: structures and services JSON
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
            "finess-extraction-du-fichier-des-etablissements",
            r"etalab-cs1100507-stock-[0-9-]+\.csv$",
            "FINESS, établissements géolocalisés (data.gouv.fr)",
        ),
        DataGouvResource(
            "data-inclusion-structures.json",
            "referentiel-de-loffre-dinsertion-liste-des-structures-et-services-dinsertion",
            r"structures[^/]*\.json$",
            "data·inclusion, structures (data.gouv.fr)",
        ),
        DataGouvResource(
            "data-inclusion-services.json",
            "referentiel-de-loffre-dinsertion-liste-des-structures-et-services-dinsertion",
            r"services[^/]*\.json$",
            "data·inclusion, services (data.gouv.fr)",
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
class Fetched:
    """A file written by :func:`fetch`: its path, size in bytes and SHA-256."""

    path: Path
    size: int
    sha256: str
    what: str
    attempts: int = 1


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
    """Download the manifest's files into ``out`` and write ``out/SHA256SUMS``.

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
        A failed entry does not stop the others. A file already present whose published
        checksum matches is kept as is.
    """
    out.mkdir(parents=True, exist_ok=True)
    client = Client(base_url, retries, backoff_s, timeout_s)
    report = FetchReport()
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
                log(
                    f"✓ {entry.name} — {entry.what}, {fetched.size} octets, "
                    f"sha256 {fetched.sha256[:12]}…"
                )
            continue
        try:
            targets = _resolve(entry, client)
        except FetchError as exc:
            report.failures.append(str(exc))
            continue
        for target in targets:
            try:
                done = client.download(
                    target.url, out / target.name, name=target.name, checksum=target.checksum
                )
            except FetchError as exc:
                report.failures.append(str(exc))
                if log:
                    log(f"✗ {target.name} : {exc}")
                continue
            fetched = Fetched(out / target.name, done.size, done.sha256, target.what, done.attempts)
            report.files.append(fetched)
            if log:
                log(
                    f"✓ {target.name} — {target.what}, {fetched.size} octets, "
                    f"sha256 {fetched.sha256[:12]}…"
                )
    write_sums(out, report.files)
    return report


def fetch_pages(entry: EmploisSiaes, client: Client, out: Path) -> Fetched:
    """Follow the API's ``next`` pages and write every SIAE in one file (see `EmploisSiaes`).

    Raises
    ------
    FetchError
        In French: a page failed, was not a page of the API, the pages loop, or they do not
        add up to the ``count`` the first page announced. Nothing is written then.
    """
    query = urllib.parse.urlencode({"departement": entry.departement})
    url: str | None = f"{EMPLOIS_API}?{query}"
    results: list[object] = []
    count: int | None = None
    seen: set[str] = set()
    pages = 0
    while url:
        if url in seen or pages >= entry.max_pages:
            raise FetchError(f"{entry.name} : pagination sans fin ({url}) : rien n'est écrit")
        seen.add(url)
        pages += 1
        try:
            page = client.json(url)
        except FetchError as exc:
            raise FetchError(
                f"{entry.name} : page {pages} en échec, rien n'est écrit ({exc})"
            ) from exc
        if not isinstance(page, Mapping) or not isinstance(page.get("results"), list):
            raise FetchError(
                f"{entry.name} : la page {pages} n'est pas une page de l'API (« results »)"
            )
        if count is None and isinstance(page.get("count"), int):
            count = page["count"]
        results.extend(page["results"])
        following = page.get("next")
        url = str(following) if following else None
    if count is not None and count != len(results):
        raise FetchError(
            f"{entry.name} : {len(results)} SIAE reçues sur {count} annoncées "
            f"({pages} page(s)) : liste changée pendant la lecture, rien n'est écrit"
        )
    body = json.dumps(
        {"count": len(results), "next": None, "previous": None, "results": results},
        ensure_ascii=False,
    ).encode("utf-8")
    path = out / entry.name
    part = path.with_name(path.name + ".part")
    part.write_bytes(body)
    os.replace(part, path)
    return Fetched(path, len(body), hashlib.sha256(body).hexdigest(), entry.what, pages)


def write_sums(out: Path, files: Iterable[Fetched]) -> None:
    """``SHA256SUMS`` in the format of ``sha256sum -c``, merged with an existing one."""
    path = out / "SHA256SUMS"
    sums: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name:
                sums[name] = digest
    sums.update({file.path.name: file.sha256 for file in files})
    part = path.with_name(path.name + ".part")
    part.write_text("".join(f"{sums[n]}  {n}\n" for n in sorted(sums)), encoding="utf-8")
    os.replace(part, path)


def _resolve(entry: Download | DataGouvResource | TransportGtfs, client: Client) -> list[Download]:
    """The files an entry stands for (APIs are asked for the latest resources)."""
    if isinstance(entry, Download):
        if entry.checksum_url is None:
            return [entry]
        return [replace(entry, checksum=_published_checksum(entry, client))]
    if isinstance(entry, DataGouvResource):
        page = client.json(f"{DATA_GOUV_API}/{entry.dataset}/")
        pattern = re.compile(entry.pattern, re.IGNORECASE)
        resources = [
            r
            for r in page.get("resources", [])
            if isinstance(r, Mapping)
            and (pattern.search(str(r.get("url", ""))) or pattern.search(str(r.get("title", ""))))
        ]
        if not resources:
            raise FetchError(
                f"{entry.name} : aucune ressource « {entry.pattern} » dans le jeu de données "
                f"data.gouv.fr « {entry.dataset} »"
            )
        latest = max(resources, key=lambda r: str(r.get("last_modified") or ""))
        checksum = latest.get("checksum") or {}
        pair = None
        if checksum.get("type") and checksum.get("value"):
            pair = (_algorithm(str(checksum["type"])), str(checksum["value"]).lower())
        return [Download(entry.name, str(latest["url"]), entry.what, pair)]
    catalogue = client.json(TRANSPORT_API)
    found = []
    for dataset in catalogue if isinstance(catalogue, list) else []:
        words = set(re.split(r"[^a-z0-9]+", fold(f"{dataset.get('slug')} {dataset.get('title')}")))
        if not words & set(entry.terms):
            continue
        for resource in dataset.get("resources", []):
            if str(resource.get("format", "")).upper() == "GTFS" and resource.get("url"):
                found.append(
                    Download(
                        f"gtfs-{dataset.get('slug')}-{resource.get('id')}.zip",
                        str(resource["url"]),
                        f"GTFS « {dataset.get('title')} »",
                    )
                )
    if not found:
        raise FetchError("aucun jeu GTFS trouvé sur transport.data.gouv.fr pour ce département")
    return found


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


def describe(path: Path, what: str) -> Fetched:
    """A file written otherwise than by a download (an extract cut here), for `write_sums`."""
    return Fetched(path, path.stat().st_size, digest(path, "sha256"), what, 0)


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
