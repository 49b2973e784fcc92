"""Downloading a big file over a bad connection: a transfer cut short is resumed where it
stopped, never taken for a whole file, and a leftover ``.part`` is trusted only as far as the
published checksum says — against a real HTTP server on 127.0.0.1 that honours ``Range``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from service.imports.download import Client, FetchError
from tests.service.imports import serving

BODY = bytes(range(256)) * 4096  # 1 MiB, every byte position distinguishable
ETAG = '"v1"'


@dataclass
class Served:
    """Files of the server: path → body; ``cut`` paths send only part of their first answer."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)  # path → bytes sent before hanging up
    ranges: bool = True  # honour Range requests
    requests: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    sent: int = 0  # body bytes sent, all requests together


@pytest.fixture
def served() -> Iterator[tuple[str, Served]]:
    state = Served()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            asked = self.headers.get("Range")
            state.requests.append((self.path, asked, self.headers.get("If-Range")))
            body = state.files.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if asked and state.ranges and self.headers.get("If-Range") in (None, ETAG):
                start = int(asked.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("ETag", ETAG)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            chunk = body[start:]
            if self.path in state.cut:
                chunk = chunk[: state.cut.pop(self.path)]
                self.close_connection = True
            state.sent += len(chunk)  # counted before the write: the client may be done first
            self.wfile.write(chunk)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as base:
        yield base, state


def client(base: str, retries: int = 3) -> Client:
    return Client(base, retries=retries, backoff_s=0.01, timeout_s=10)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_transfer_cut_short_is_resumed_where_it_stopped(
    served: tuple[str, Served], tmp_path: Path
) -> None:
    base, state = served
    state.files["/extrait.osm.pbf"] = BODY
    state.cut["/extrait.osm.pbf"] = 300_000
    path = tmp_path / "extrait.osm.pbf"
    done = client(base).download(
        "https://example.org/extrait.osm.pbf", path, name="extrait.osm.pbf", checksum=None
    )
    assert path.read_bytes() == BODY
    assert (done.size, done.sha256, done.attempts) == (len(BODY), sha256(BODY), 2)
    assert state.requests == [
        ("/extrait.osm.pbf", None, None),
        ("/extrait.osm.pbf", "bytes=300000-", ETAG),
    ]
    assert state.sent == len(BODY)  # nothing sent twice
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extrait.osm.pbf"]


def test_without_range_support_the_whole_file_is_fetched_again(
    served: tuple[str, Served], tmp_path: Path
) -> None:
    base, state = served
    state.ranges = False
    state.files["/extrait.osm.pbf"] = BODY
    state.cut["/extrait.osm.pbf"] = 300_000
    path = tmp_path / "extrait.osm.pbf"
    client(base).download("https://x/extrait.osm.pbf", path, name="extrait", checksum=None)
    assert path.read_bytes() == BODY
    assert state.sent == 300_000 + len(BODY)


def test_a_truncated_body_is_never_kept_as_a_whole_file(
    served: tuple[str, Served], tmp_path: Path
) -> None:
    base, state = served
    state.files["/extrait.osm.pbf"] = BODY
    state.cut["/extrait.osm.pbf"] = 300_000
    path = tmp_path / "extrait.osm.pbf"
    with pytest.raises(FetchError, match=r"échec après 1 tentative\(s\) \(transfert interrompu"):
        client(base, retries=0).download(
            "https://x/extrait.osm.pbf", path, name="extrait", checksum=None
        )
    assert list(tmp_path.iterdir()) == []  # unverifiable: no half file left


def test_a_part_left_by_an_earlier_run_is_resumed_when_a_checksum_can_verify_it(
    served: tuple[str, Served], tmp_path: Path
) -> None:
    base, state = served
    state.files["/extrait.osm.pbf"] = BODY
    checksum = ("md5", hashlib.md5(BODY).hexdigest())  # noqa: S324 (Geofabrik publishes md5)
    state.cut["/extrait.osm.pbf"] = 400_000
    path = tmp_path / "extrait.osm.pbf"
    with pytest.raises(FetchError):  # the first run gives up after the cut
        client(base, retries=0).download(
            "https://x/extrait.osm.pbf", path, name="extrait", checksum=checksum
        )
    assert (tmp_path / "extrait.osm.pbf.part").stat().st_size == 400_000  # kept: verifiable
    done = client(base).download(
        "https://x/extrait.osm.pbf", path, name="extrait", checksum=checksum
    )
    assert path.read_bytes() == BODY
    assert state.requests[-1][1] == "bytes=400000-"
    assert state.sent == len(BODY)
    assert done.sha256 == sha256(BODY)
    # a second run finds the file whole and verified: nothing is fetched
    again = client(base).download(
        "https://x/extrait.osm.pbf", path, name="extrait", checksum=checksum
    )
    assert again.attempts == 0
    assert len(state.requests) == 2


def test_a_part_of_another_version_is_fetched_whole_again(
    served: tuple[str, Served], tmp_path: Path
) -> None:
    base, state = served
    state.files["/extrait.osm.pbf"] = BODY
    (tmp_path / "extrait.osm.pbf.part").write_bytes(b"X" * 500_000)  # yesterday's extract
    path = tmp_path / "extrait.osm.pbf"
    checksum = ("sha256", sha256(BODY))
    client(base).download("https://x/extrait.osm.pbf", path, name="extrait", checksum=checksum)
    assert path.read_bytes() == BODY
    assert [asked for _, asked, _ in state.requests] == ["bytes=500000-", None]
    # a leftover as long as the file (or longer) gets 416, then the whole file
    (tmp_path / "extrait.osm.pbf.part").write_bytes(b"X" * (len(BODY) + 10))
    path.unlink()
    client(base).download("https://x/extrait.osm.pbf", path, name="extrait", checksum=checksum)
    assert path.read_bytes() == BODY


def test_a_wrong_checksum_keeps_nothing(served: tuple[str, Served], tmp_path: Path) -> None:
    base, state = served
    state.files["/extrait.osm.pbf"] = BODY
    path = tmp_path / "extrait.osm.pbf"
    with pytest.raises(FetchError, match="somme de contrôle md5 incorrecte"):
        client(base).download(
            "https://x/extrait.osm.pbf", path, name="extrait", checksum=("md5", "0" * 32)
        )
    assert list(tmp_path.iterdir()) == []
