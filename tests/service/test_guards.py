"""The guards in front of the routes (`service.guards`): a key before any body is read, bodies
bounded (413), the expensive routes rate limited (429)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.app import create_app
from service.auth import create_api_key
from service.db import make_engine
from service.deps import get_session
from service.migrate import upgrade
from service.settings import Settings
from tests.conftest import ALES, bearer
from tests.service.serving import served

MB = 1_000_000


def _json_of_size(size: int) -> bytes:
    """A valid JSON body of exactly ``size`` bytes: a cohort of tiny persons (what a parser
    turns into the most objects per byte)."""
    head, item, tail = b'{"persons":[', b'{"modes":[]},', b'{"limit":1}]}'
    count = (size - len(head) - len(tail)) // len(item)
    body = head + item * count + tail
    return body[:-1] + b" " * (size - len(body)) + b"}"


FLAGS = (
    "driving_licence",
    "vehicle",
    "rqth",
    "single_parent",
    "job_seeker_registered",
    "rsa",
    "ass",
    "aah",
    "detld",
    "deld",
    "qpv",
    "zrr",
    "no_diploma",
    "homeless",
    "hosted",
    "addiction",
    "justice",
    "refugee",
    "ase_leaver",
)


def maximal_person() -> dict[str, Any]:
    """A person with every field at its longest (``keywords`` of 200 « é », which a JSON
    encoder escapes to 6 bytes each; 500 characters of opening hours; every situation)."""
    return {
        "modes": [
            {"mode": mode, "max_minutes": 239.99999999999997}
            for mode in ("walk", "bike", "car", "transit")
        ],
        "wishes": {
            "rome_codes": ["D1106"] * 20,
            "kinds": ["emploi", "immersion", "formation", "benevolat", "programme"],
            "keywords": "é" * 200,
        },
        "hours_per_week": {"min": 17.499999999999996, "max": 47.999999999999996},
        "available": "; ".join(["Mo-Fr 08:30-12:00,13:30-17:30"] * 16),
        "situation": {
            "age": 120,
            "work_authorization": True,
            "french_level": "A0",
            "cdaph_orientation": "emploi-accompagne",
            "children_under_3": 20,
            "diploma_level": 8,
            **dict.fromkeys(FLAGS, False),
        },
        "limit": 100,
        "location": {"lat": 44.125012345678901, "lon": 4.081012345678901},
    }


# -- bodies, on a real server ------------------------------------------------------------------


@pytest.fixture
def server_database(scratch_url: str) -> tuple[str, str]:
    """A migrated database of its own with an admin key (committed: the server sees it)."""
    engine = make_engine(scratch_url)
    upgrade(engine)
    with Session(engine) as session:
        key, _ = create_api_key(session, role="admin")
        session.commit()
    engine.dispose()
    return scratch_url, key


def _post_raw(port: int, path: str, body: bytes, headers: str = "") -> tuple[int, float]:
    """Send ``body`` as a naive client does (all of it, whatever the server says) while
    reading the answer; its status and the seconds it took to come."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{headers}\r\n"
    ).encode("ascii")

    def send() -> None:
        try:
            sock.sendall(head)
            for start in range(0, len(body), 64 * 1024):
                sock.sendall(body[start : start + 64 * 1024])
        except OSError:
            pass  # the server answered and closed: the rest of the body was never wanted

    started = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    try:
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    finally:
        elapsed = time.monotonic() - started
        sock.close()
        sender.join(timeout=30)
    return int(answer.split(b" ", 2)[1]), elapsed


def test_an_anonymous_27_mb_body_is_refused_before_it_is_read(
    server_database: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = server_database
    body = _json_of_size(27 * MB)
    with served(url, tmp_path / "server") as server:
        before = server.memory_kib("VmHWM")
        status, seconds = _post_raw(server.port, "/v1/matches/batch", body)
        status_bad_key, _ = _post_raw(
            server.port, "/v1/partners", body, "Authorization: Bearer mlg_inconnue\r\n"
        )
        growth_mb = (server.memory_kib("VmHWM") - before) / 1024
    print(f"\ncorps anonyme de 27 Mo : {status} en {seconds:.2f} s, pic RSS +{growth_mb:.1f} Mio")
    assert status == 401
    assert status_bad_key == 401
    assert seconds < 5
    assert growth_mb < 20  # it was 611 MB: the body was parsed before the key was looked at


def test_an_oversized_body_with_a_key_is_413_and_so_is_a_chunked_one(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = bearer(keys["admin"])
    big = _json_of_size(MB + 1)
    declared = client.post(
        "/v1/partners", content=big, headers={**admin, "Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json() == {
        "detail": "Requête trop volumineuse : le corps dépasse 1000000 octets."
    }

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = client.post(
        "/v1/partners", content=chunks(), headers={**admin, "Content-Type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert streamed.json()["detail"].startswith("Requête trop volumineuse")
    # under the limit, the body is read as before
    small = client.post("/v1/partners", json={"name": "x"}, headers=admin)
    assert small.status_code == 422


def test_a_cohort_of_200_maximal_persons_fits_the_batch_limit(
    client: TestClient, keys: dict[str, str]
) -> None:
    persons = [maximal_person()] * 200
    body = json.dumps({"persons": persons, "alternatives": 10}, indent=4).encode()
    # 884 KB indented by 4, 735 KB by 2, 558 KB compact: the limit leaves twice that
    assert 800_000 < len(body) < Settings().max_batch_body_bytes / 2
    headers = {**bearer(keys["platform"]), "Content-Type": "application/json"}
    answer = client.post("/v1/matches/batch", content=body, headers=headers)
    assert answer.status_code == 200, answer.text[:500]
    assert len(answer.json()["persons"]) == 200
    one_more = json.dumps({"persons": [*persons, *persons, *persons]}, indent=4).encode()
    assert client.post("/v1/matches/batch", content=one_more, headers=headers).status_code == 413
    single = json.dumps({**maximal_person(), "pad": " " * MB}).encode()
    assert client.post("/v1/matches", content=single, headers=headers).status_code == 413


def test_a_body_without_a_key_or_with_a_bad_one_is_401_not_422(client: TestClient) -> None:
    for headers in ({}, bearer("mlg_inconnue"), {"Authorization": "Basic abc"}):
        answer = client.post("/v1/partners", json={"name": "\x00"}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert "\x00" not in answer.text


# -- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def limited(db: Session, postgis_url: str) -> FastAPI:
    app = create_app(
        Settings(
            env="test",
            database_url=postgis_url,
            snapshot_refresh="inline",
            rate_limit_enabled=True,
            rate_limit_matches_per_minute=2,
        )
    )

    def _session() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = _session
    return app


PERSON = {
    "modes": [{"mode": "walk", "max_minutes": 30}],
    "location": {"lat": ALES[1], "lon": ALES[0]},
}


def test_matches_are_limited_per_key_and_per_address(
    limited: FastAPI, keys: dict[str, str]
) -> None:
    here = TestClient(limited, client=("192.0.2.1", 40000))
    there = TestClient(limited, client=("192.0.2.2", 40000))
    platform, editor = bearer(keys["platform"]), bearer(keys["editor"])
    for _ in range(2):
        assert here.post("/v1/matches", json=PERSON, headers=platform).status_code == 200
    refused = here.post("/v1/matches", json=PERSON, headers=platform)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Trop de requêtes : au plus 2 par minute")
    # the same key from elsewhere: its own limit; another key from the same address: the address's
    assert there.post("/v1/matches", json=PERSON, headers=platform).status_code == 429
    assert here.post("/v1/matches", json=PERSON, headers=editor).status_code == 429
    assert there.post("/v1/matches", json=PERSON, headers=editor).status_code == 200
    # other routes are not limited
    assert here.get("/v1/partners").status_code == 200


def test_rate_limits_are_off_in_tests_unless_asked(
    client: TestClient, keys: dict[str, str]
) -> None:
    assert Settings(env="test").rate_limited is False
    assert Settings(env="production", database_url="postgresql://u:s3cr3t@db/m").rate_limited
    statuses = {
        client.post("/v1/matches", json=PERSON, headers=bearer(keys["platform"])).status_code
        for _ in range(70)
    }
    assert statuses == {200}
