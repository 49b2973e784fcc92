"""``territory fetch``: the official files of a département from a real local HTTP server —
data.gouv.fr datasets by identifier (API v2, resources page after page), every page of the
Les emplois API, retries, checksums, atomic renames; each file's date and checksum in
``MANIFEST.json`` beside ``SHA256SUMS``; a second run downloads nothing and writes the same
bytes."""

from __future__ import annotations

import email.utils
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli.main import app as cli
from service.imports.fetch import (
    DATA_INCLUSION_DATASET,
    DATA_INCLUSION_SERVICES_JSON,
    DATA_INCLUSION_STRUCTURES_JSON,
    FINESS_DATASET,
    fetch,
    manifest,
)
from tests.geodata.sources import FIXTURES
from tests.service.imports import serving

runner = CliRunner()

FINESS = FIXTURES / "finess_gard.csv"
SIAE_PAGE_1 = FIXTURES / "emplois_siaes_30_page1.json"
SIAE_PAGE_2 = FIXTURES / "emplois_siaes_30_page2.json"
DATA_INCLUSION = FIXTURES / "data_inclusion_gard.jsonl"
FINESS_PATH = (
    "/resources/finess-extraction-du-fichier-des-etablissements/20260512-091152/"
    "etalab-cs1100507-stock-20260512-0339.csv"
)
DI = "/resources/referentiel-de-loffre-dinsertion-sociale-et-professionnelle-data-inclusion"
COMMUNES = "/@etalab/decoupage-administratif@6.0.0/data/communes.json"
COMMUNES_DATE = "Mon, 04 May 2026 10:00:00 GMT"
GTFS = "/resources/81234/download"


class _Files:
    """What the local server answers: path (with query) → responses, the last one repeated;
    a file served with ``modified`` carries ``Last-Modified`` and an ``ETag`` and answers a
    conditional request ``304 Not Modified`` when they still hold."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, bytes]]] = {}
        self.validators: dict[str, tuple[str, str]] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()

    def add(
        self, path: str, body: bytes | Any, *, failures: int = 0, modified: str | None = None
    ) -> bytes:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.routes[path] = [(503, b"indisponible")] * failures + [(200, data)]
        if modified:
            self.validators[path] = (modified, f'"{hashlib.sha256(data).hexdigest()[:16]}"')
        return data


@pytest.fixture
def server() -> Iterator[tuple[str, _Files]]:
    files = _Files()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            files.hits[self.path] += 1
            answers = files.routes.get(self.path, [(404, b"introuvable")])
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            modified, etag = files.validators.get(self.path, (None, None))
            if (
                status == 200
                and etag
                and (
                    self.headers.get("If-None-Match") == etag
                    or self.headers.get("If-Modified-Since") == modified
                )
            ):
                files.not_modified[self.path] += 1
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            if status == 200 and etag and modified:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as base:
        yield base, files


def _resources_pages(files: _Files, dataset: str, resources: list[dict[str, Any]]) -> None:
    """The data.gouv.fr API v2 pages of a dataset's resources, two per page."""
    base = f"/api/2/datasets/{dataset}/resources/"
    pages = [resources[i : i + 2] for i in range(0, len(resources), 2)] or [[]]
    for number, data in enumerate(pages, start=1):
        following = None
        if number < len(pages):
            following = f"https://www.data.gouv.fr{base}?page={number + 1}&page_size=50"
        path = f"{base}?page={number}&page_size=50"
        files.add(
            path,
            {"data": data, "next_page": following, "page": number, "page_size": 50,
             "previous_page": None, "total": len(resources)},
        )  # fmt: skip


def _serve_official_files(
    files: _Files, *, services_checksum: str | None = None
) -> dict[str, bytes]:
    """FINESS (its resource on the second page of its dataset), data·inclusion (by resource
    id), communes, SIAE pages and a GTFS; returns what ``territory fetch`` writes."""
    finess_csv = files.add(FINESS_PATH, FINESS.read_bytes())
    _resources_pages(
        files,
        FINESS_DATASET,
        [
            {"id": "a1", "title": "ancienne extraction", "last_modified": "2026-03-12T09:00:00",
             "url": "https://static.data.gouv.fr/resources/x/etalab-cs1100507-stock-20260312-0339.csv"},
            {"id": "a2", "title": "sans géolocalisation", "last_modified": "2026-05-12T09:11:53",
             "url": "https://static.data.gouv.fr/resources/x/etalab-cs1100502-stock-20260512-0339.csv"},
            {"id": "a3", "title": "Extraction Finess des établissements géolocalisés",
             "url": f"https://static.data.gouv.fr{FINESS_PATH}",
             "last_modified": "2026-05-12T09:11:52",
             "checksum": {"type": "sha1", "value": hashlib.sha1(finess_csv).hexdigest()}},  # noqa: S324
        ],
    )  # fmt: skip
    structures = files.add(f"{DI}/structures-inclusion-20260501.json", DATA_INCLUSION.read_bytes())
    services = files.add(f"{DI}/services-inclusion-20260501.json", b"[]")
    _resources_pages(
        files,
        DATA_INCLUSION_DATASET,
        [
            {"id": "csv-1", "title": "structures-inclusion-20260501.csv",
             "url": f"https://static.data.gouv.fr{DI}/structures-inclusion-20260501.csv",
             "last_modified": "2026-05-01T14:00:00"},
            {"id": DATA_INCLUSION_SERVICES_JSON, "title": "services-inclusion-20260501.json",
             "url": f"https://static.data.gouv.fr{DI}/services-inclusion-20260501.json",
             "last_modified": "2026-05-01T14:02:00",
             "checksum": {"type": "sha256",
                          "value": services_checksum or hashlib.sha256(services).hexdigest()}},
            {"id": DATA_INCLUSION_STRUCTURES_JSON, "title": "structures-inclusion-20260501.json",
             "url": f"https://static.data.gouv.fr{DI}/structures-inclusion-20260501.json",
             "last_modified": "2026-05-01T14:01:00"},
        ],
    )  # fmt: skip
    communes = files.add(COMMUNES, [], modified=COMMUNES_DATE)
    siae = _serve_siae_pages(files)
    gtfs = files.add(GTFS, b"PK\x05\x06" + b"\0" * 18, modified="Tue, 05 May 2026 06:00:00 GMT")
    files.add(
        "/api/datasets",
        [
            {
                "id": "5b0e", "slug": "reseau-tango-nimes-metropole",
                "title": "Réseau Tango (Nîmes Métropole)",
                "resources": [
                    {"id": 81234, "format": "GTFS", "updated": "2026-04-28T06:00:00Z",
                     "url": "https://transport.data.gouv.fr/resources/81234/download"},
                    {"id": 81235, "format": "gtfs-rt", "url": "https://example.org/rt"},
                ],
            },
            {
                "slug": "reseau-star-rennes",
                "title": "Réseau STAR (Rennes)",
                "resources": [{"id": 1, "format": "GTFS", "url": "https://example.org/star.zip"}],
            },
        ],
    )  # fmt: skip
    written = {
        "finess-etablissements.csv": finess_csv,
        "data-inclusion-structures.json": structures,
        "communes.json": communes,
        "siae.json": siae,
        "gtfs-reseau-tango-nimes-metropole-81234.zip": gtfs,
    }
    if services_checksum is None:
        written["data-inclusion-services.json"] = services
    return written


def test_the_manifest_of_the_gard_names_the_official_publications() -> None:
    entries = manifest("30")
    text_ = repr(entries)
    for expected in (
        "download.geofabrik.de/europe/france/languedoc-roussillon-latest.osm.pbf",
        "download.geofabrik.de/europe/france/languedoc-roussillon-latest.osm.pbf.md5",
        f"dataset='{FINESS_DATASET}'",
        "etalab-cs1100507-stock",
        f"dataset='{DATA_INCLUSION_DATASET}'",
        f"resource='{DATA_INCLUSION_STRUCTURES_JSON}'",
        f"resource='{DATA_INCLUSION_SERVICES_JSON}'",
        "@etalab/decoupage-administratif@6.0.0/data/communes.json",
        "EmploisSiaes(departement='30'",
        "TransportGtfs",
    ):
        assert expected in text_
    assert "corse" in repr(manifest("2a"))
    assert "EmploisSiaes(departement='2A'" in repr(manifest("2a"))  # every département
    with pytest.raises(ValueError, match="département inconnu"):
        manifest("99")


def test_territory_fetch_retries_checks_and_renames_atomically(
    server: tuple[str, _Files], tmp_path: Path
) -> None:
    base, files = server
    osm = files.add("/europe/france/languedoc-roussillon-latest.osm.pbf", b"PBF" * 1000, failures=2)
    md5 = hashlib.md5(osm).hexdigest()  # noqa: S324 (Geofabrik publishes md5)
    files.add(
        "/europe/france/languedoc-roussillon-latest.osm.pbf.md5",
        f"{md5}  languedoc-roussillon-latest.osm.pbf\n".encode(),
    )
    written = _serve_official_files(files, services_checksum="0" * 64)  # does not match
    written["languedoc-roussillon-latest.osm.pbf"] = osm
    out = tmp_path / "gard"
    result = runner.invoke(
        cli, ["territory", "fetch", "--departement", "30", "--out", str(out), "--base-url", base]
    )
    assert result.exit_code == 1, result.output  # the services file was refused
    assert "somme de contrôle sha256 incorrecte" in result.output
    assert files.hits["/europe/france/languedoc-roussillon-latest.osm.pbf"] == 3
    # not a real extract: downloaded and verified, but osmium cannot cut it
    assert "découpage impossible de languedoc-roussillon-latest.osm.pbf" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*written, "SHA256SUMS", "MANIFEST.json"]
    )
    for name, data in written.items():
        assert (out / name).read_bytes() == data
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sums == [f"{hashlib.sha256(written[n]).hexdigest()}  {n}" for n in sorted(written)]

    # a second run keeps the files whose published checksum matches
    again = runner.invoke(
        cli, ["territory", "fetch", "--departement", "30", "--out", str(out), "--base-url", base]
    )
    assert again.exit_code == 1
    assert files.hits[FINESS_PATH] == 1  # verified by its published checksum: not fetched again
    assert files.hits["/europe/france/languedoc-roussillon-latest.osm.pbf"] == 3  # md5 matches


def _serve_siae_pages(files: _Files, *, failures: int = 0) -> bytes:
    """The two Les emplois API pages of the fixtures; returns what `territory fetch` writes."""
    first = json.loads(SIAE_PAGE_1.read_text(encoding="utf-8"))
    second = json.loads(SIAE_PAGE_2.read_text(encoding="utf-8"))
    files.add("/api/v1/siaes/?departement=30", first)
    files.add("/api/v1/siaes/?departement=30&page=2", second, failures=failures)
    whole = {
        "count": 36,
        "next": None,
        "previous": None,
        "results": first["results"] + second["results"],
    }
    return json.dumps(whole, ensure_ascii=False).encode("utf-8")


def test_territory_fetch_follows_every_siae_page_and_a_failed_page_writes_nothing(
    server: tuple[str, _Files], tmp_path: Path
) -> None:
    base, files = server
    expected = _serve_siae_pages(files, failures=2)
    manifest_file = tmp_path / "manifeste.json"
    manifest_file.write_text("[]", encoding="utf-8")
    out = tmp_path / "gard"
    out.mkdir()
    (out / "siae.json").write_bytes(b"{}")  # an earlier run's file
    from service.imports.download import Client, FetchError
    from service.imports.fetch import EmploisSiaes, fetch_pages

    client = Client(base, 1, 0.01, 5.0)
    with pytest.raises(FetchError, match="page 2 en échec, rien n'est écrit"):
        fetch_pages(EmploisSiaes("30"), client, out)
    assert (out / "siae.json").read_bytes() == b"{}"  # kept as it was
    assert not list(out.glob("*.part"))
    fetched = fetch_pages(EmploisSiaes("30"), client, out)  # the page is back
    assert (out / "siae.json").read_bytes() == expected
    assert fetched.sha256 == hashlib.sha256(expected).hexdigest()
    assert files.hits["/api/v1/siaes/?departement=30"] == 2


def test_territory_fetch_gives_up_in_french(server: tuple[str, _Files], tmp_path: Path) -> None:
    base, files = server
    files.add("/toujours-en-panne.bin", b"ok", failures=10)
    files.add("/fichier.bin", b"contenu")
    entries = [
        {"name": "panne.bin", "url": "https://example.org/toujours-en-panne.bin"},
        {"name": "absent.bin", "url": "https://example.org/absent.bin"},
        {"name": "faux.bin", "url": "https://example.org/fichier.bin", "sha256": "ab" * 32},
        {"name": "bon.bin", "url": "https://example.org/fichier.bin",
         "sha256": hashlib.sha256(b"contenu").hexdigest()},
    ]  # fmt: skip
    path = tmp_path / "manifeste.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        ["territory", "fetch", "--departement", "30", "--out", str(out), "--manifest", str(path),
         "--base-url", base, "--retries", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "échec après 2 tentative(s) (HTTP 503)" in result.output
    assert "refusé par le serveur (HTTP 404)" in result.output
    assert "somme de contrôle sha256 incorrecte" in result.output
    assert files.hits["/toujours-en-panne.bin"] == 2
    assert files.hits["/absent.bin"] == 1  # a 404 is not retried
    assert sorted(p.name for p in out.iterdir()) == ["MANIFEST.json", "SHA256SUMS", "bon.bin"]


def _without_streets() -> list[Any]:
    """The Gard's official manifest, the regional OSM extract left out (osmium cuts it)."""
    return [e for e in manifest("30") if not getattr(e, "name", "").endswith(".osm.pbf")]


def test_each_file_has_its_date_and_checksum_and_a_second_run_changes_nothing(
    server: tuple[str, _Files], tmp_path: Path
) -> None:
    base, files = server
    written = _serve_official_files(files)
    out = tmp_path / "gard"
    report = fetch(_without_streets(), out, base_url=base, backoff_s=0.01)
    assert report.failures == []
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*written, "SHA256SUMS", "MANIFEST.json"]
    )
    document = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    entries = document["files"]
    assert sorted(entries) == sorted(written)
    for name, data in written.items():
        assert entries[name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert entries[name]["size"] == len(data)
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sums == [f"{entries[n]['sha256']}  {n}" for n in sorted(written)]
    # the publisher's date of each file, and where it comes from
    finess = entries["finess-etablissements.csv"]
    assert (finess["date"], finess["date_source"]) == (
        "2026-05-12T09:11:52",
        "data.gouv.fr (last_modified)",
    )
    assert (finess["dataset"], finess["resource"]) == (FINESS_DATASET, "a3")  # on page 2
    structures = entries["data-inclusion-structures.json"]
    assert structures["resource"] == DATA_INCLUSION_STRUCTURES_JSON  # by id, not by title
    assert structures["date"] == "2026-05-01T14:01:00"
    communes = entries["communes.json"]
    assert (communes["date"], communes["date_source"]) == (
        email.utils.parsedate_to_datetime(COMMUNES_DATE).isoformat(),
        "HTTP Last-Modified",
    )
    assert communes["last_modified"] == COMMUNES_DATE
    assert entries["siae.json"]["date"] == max(
        siae["mis_a_jour_le"]
        for page in (SIAE_PAGE_1, SIAE_PAGE_2)
        for siae in json.loads(page.read_text(encoding="utf-8"))["results"]
    )
    assert entries["gtfs-reseau-tango-nimes-metropole-81234.zip"]["date"] == (
        "2026-04-28T06:00:00Z"
    )
    # both pages of each dataset's resources were read
    assert files.hits[f"/api/2/datasets/{FINESS_DATASET}/resources/?page=2&page_size=50"] == 1

    # a second run: nothing downloaded again, the same bytes
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    downloads = [FINESS_PATH, f"{DI}/structures-inclusion-20260501.json", COMMUNES, GTFS]
    hits = {path: files.hits[path] for path in downloads}
    again = fetch(_without_streets(), out, base_url=base, backoff_s=0.01)
    assert again.failures == []
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    assert files.hits[FINESS_PATH] == hits[FINESS_PATH]  # its published checksum matches
    # same URL and date on the portal: not even asked
    structures_path = f"{DI}/structures-inclusion-20260501.json"
    assert files.hits[structures_path] == hits[structures_path]
    # a file without a portal date is asked for conditionally: 304, nothing transferred
    assert files.hits[COMMUNES] == hits[COMMUNES] + 1
    assert files.not_modified[COMMUNES] == 1
    assert all(f.attempts <= 1 for f in again.files if f.path.name != "siae.json")

    # a new FINESS extract on the portal: fetched, and the manifest says its date
    new_csv = FINESS.read_bytes().replace(b"2026-05-04", b"2026-06-04")
    files.add(FINESS_PATH, new_csv)
    _resources_pages(
        files,
        FINESS_DATASET,
        [{"id": "a4", "title": "Extraction Finess des établissements géolocalisés",
          "url": f"https://static.data.gouv.fr{FINESS_PATH}",
          "last_modified": "2026-06-10T09:00:00",
          "checksum": {"type": "sha1", "value": hashlib.sha1(new_csv).hexdigest()}}],  # noqa: S324
    )  # fmt: skip
    third = fetch(_without_streets(), out, base_url=base, backoff_s=0.01)
    assert third.failures == []
    assert (out / "finess-etablissements.csv").read_bytes() == new_csv
    entry = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))["files"][
        "finess-etablissements.csv"
    ]
    assert (entry["date"], entry["resource"]) == ("2026-06-10T09:00:00", "a4")
    assert entry["sha256"] == hashlib.sha256(new_csv).hexdigest()
