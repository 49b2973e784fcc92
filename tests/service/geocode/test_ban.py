"""``GET /v1/geocode`` with ``MAILLAGE_GEOCODER=ban``, against a real local HTTP server that
answers in the national address API's format (a GeoJSON FeatureCollection): candidates
mapped, the point to search around passed on, and every failure of the remote — an error
status, an answer too slow, a body in another format, nobody listening — a French 503 with
``Retry-After`` that quotes neither the address nor the remote error. The address is never
logged."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from geodata.ban import BanGeocoder
from geodata.geocoding import GeocoderUnavailableError
from service.app import create_app
from service.deps import get_session
from service.settings import Settings

ADDRESS = "12 rue de la République Alès"  # what a person typed: never in a log nor an error

# The answer the national API gives (its documented format; points of Alès).
FEATURES: list[dict[str, Any]] = [
    {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [4.080652, 44.126539]},
        "properties": {
            "label": "12 Rue de la République 30100 Alès",
            "score": 0.9713,
            "housenumber": "12",
            "id": "30007_3380_00012",
            "name": "12 Rue de la République",
            "postcode": "30100",
            "citycode": "30007",
            "x": 787041.0,
            "y": 6340436.3,
            "city": "Alès",
            "context": "30, Gard, Occitanie",
            "type": "housenumber",
            "importance": 0.68,
            "street": "Rue de la République",
        },
    },
    {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [4.080913, 44.126916]},
        "properties": {
            "label": "Rue de la République 30100 Alès",
            "score": 0.71,
            "postcode": "30100",
            "citycode": "30007",
            "city": "Alès",
            "type": "street",
        },
    },
    {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [4.0810, 44.1250]},
        "properties": {
            "label": "Alès",
            "score": 0.45,
            "postcode": "30100",
            "citycode": "30007",
            "city": "Alès",
            "type": "municipality",
        },
    },
]


@dataclass
class Remote:
    """What the local server answers next, and the requests it received."""

    url: str
    mode: str = "ok"  # ok, error, slow, garbage
    requests: list[dict[str, list[str]]] = field(default_factory=list)


@pytest.fixture(scope="module")
def remote() -> Iterator[Remote]:
    state = Remote(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            query = parse_qs(parsed.query)
            state.requests.append(query)
            if parsed.path != "/search/" or state.mode == "error":
                self._send(500 if parsed.path == "/search/" else 404, b'{"message": "boom"}')
                return
            if state.mode == "slow":
                time.sleep(1.5)
            if state.mode == "garbage":
                self._send(200, b"<html>maintenance</html>", "text/html")
                return
            limit = int(query.get("limit", ["5"])[0])
            body = {
                "type": "FeatureCollection",
                "version": "draft",
                "features": FEATURES[:limit],
                "attribution": "BAN",
                "licence": "ETALAB-2.0",
                "query": query.get("q", [""])[0],
                "limit": limit,
            }
            self._send(200, json.dumps(body).encode())

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):  # the client gave up (the slow case)
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/search/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _client(db: Session, postgis_url: str, url: str) -> TestClient:
    settings = Settings(
        env="test",
        database_url=postgis_url,
        snapshot_refresh="inline",
        geocoder="ban",
        geocoder_url=url,
        geocoder_timeout_seconds=0.5,
    )
    app = create_app(settings)

    def _session() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = _session
    return TestClient(app)


@pytest.fixture
def ban(db: Session, postgis_url: str, remote: Remote) -> Iterator[TestClient]:
    remote.mode = "ok"
    remote.requests.clear()
    yield _client(db, postgis_url, remote.url)
    remote.mode = "ok"


def test_candidates_in_the_ban_format_are_mapped(ban: TestClient, remote: Remote) -> None:
    answer = ban.get("/v1/geocode", params={"q": ADDRESS, "limit": 3, "lat": 44.12, "lon": 4.08})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["geocoder"] == "ban"
    assert body["attribution"] == ["Base Adresse Nationale (Licence Ouverte 2.0)"]
    first, street, commune = body["results"]
    assert first == {
        "label": "12 Rue de la République 30100 Alès",
        "lon": 4.080652,
        "lat": 44.126539,
        "precision": "housenumber",
        "score": 0.9713,
        "code_insee": "30007",
        "postcode": "30100",
        "city": "Alès",
        "source": "ban",
    }
    assert (street["precision"], commune["precision"]) == ("street", "municipality")
    (sent,) = remote.requests
    assert sent == {"q": [ADDRESS], "limit": ["3"], "lat": ["44.12"], "lon": ["4.08"]}


def test_limit_is_passed_and_no_point_is_sent_without_one(ban: TestClient, remote: Remote) -> None:
    body = ban.get("/v1/geocode", params={"q": ADDRESS, "limit": 1}).json()
    assert [r["label"] for r in body["results"]] == ["12 Rue de la République 30100 Alès"]
    assert remote.requests == [{"q": [ADDRESS], "limit": ["1"]}]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("error", "ne répond pas"),
        ("slow", "ne répond pas"),
        ("garbage", "format inattendu"),
    ],
)
def test_a_failing_remote_is_a_french_503_that_quotes_nothing(
    ban: TestClient, remote: Remote, mode: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    remote.mode = mode
    caplog.set_level(logging.DEBUG)
    started = time.perf_counter()
    answer = ban.get("/v1/geocode", params={"q": ADDRESS})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 503
    assert answer.headers["Retry-After"].isdigit()
    detail = answer.json()["detail"]
    assert message in detail
    assert "République" not in detail
    assert "127.0.0.1" not in detail
    assert elapsed < 1.4, "the timeout (0.5 s) bounds the wait"
    assert all("République" not in r.getMessage() for r in caplog.records)


def test_nobody_listening_is_a_503(db: Session, postgis_url: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _client(db, postgis_url, f"http://127.0.0.1:{port}/search/")
    answer = client.get("/v1/geocode", params={"q": ADDRESS})
    assert answer.status_code == 503
    assert "ne répond pas" in answer.json()["detail"]


def test_the_address_is_never_logged(remote: Remote, caplog: pytest.LogCaptureFixture) -> None:
    remote.mode = "ok"
    caplog.set_level(logging.DEBUG)
    geocoder = BanGeocoder(remote.url, timeout_s=2)
    try:
        assert geocoder.search(ADDRESS, limit=2)[0].code_insee == "30007"
        remote.mode = "error"
        with pytest.raises(GeocoderUnavailableError) as caught:
            geocoder.search(ADDRESS, limit=2)
        assert "République" not in str(caught.value)
    finally:
        remote.mode = "ok"
        geocoder.close()
    logged = [r.getMessage() for r in caplog.records]
    assert all("Rue" not in m and "R%C3%A9publique" not in m and "rue+de" not in m for m in logged)
