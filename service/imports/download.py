"""Downloading one file over HTTP robustly: retries with exponential backoff, transfers cut
short resumed where they stopped, checksums verified, ``.part`` files renamed atomically.

`Client.download` writes ``path.part`` and renames it once complete: a reader never sees half a
file. A transfer interrupted within a run goes on from where it stopped (HTTP ``Range``,
guarded by ``If-Range`` so a file changed meanwhile is fetched whole); a body shorter than its
``Content-Length`` is never taken for a whole file (urllib returns it silently). A ``.part``
left by an earlier run is kept, and resumed, only when a published checksum will verify the
result; when the result does not match, the file is fetched whole once more. A file already
on disk is asked for with the validators of its last download (``If-None-Match``,
``If-Modified-Since``): a ``304 Not Modified`` keeps it, nothing transferred.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class FetchError(RuntimeError):
    """A download failed for good (French message)."""


class _NotModifiedError(Exception):
    """The server answered ``304 Not Modified`` to a conditional request."""

    def __init__(self, attempts: int) -> None:
        super().__init__(attempts)
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A file on disk: size in bytes, SHA-256, how many requests it took (0: kept without
    asking), whether the server said it had not changed (``304``), and the validators of the
    answer (``ETag``, ``Last-Modified``; ``None`` when not sent or not asked)."""

    size: int
    sha256: str
    attempts: int
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


class Client:
    """urllib with retries, exponential backoff, resumed transfers and the ``base_url``
    rewrite (``http://127.0.0.1:8765`` replaces scheme and host, path kept)."""

    def __init__(
        self, base_url: str | None, retries: int, backoff_s: float, timeout_s: float
    ) -> None:
        self.base = urllib.parse.urlsplit(base_url) if base_url else None
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s

    def url(self, url: str) -> str:
        if self.base is None:
            return url
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(
            (self.base.scheme, self.base.netloc, parts.path, parts.query, "")
        )

    def content(self, url: str) -> bytes:
        """The whole body of a small answer."""
        chunks: list[bytes] = []
        self.with_retries(url, lambda response: chunks.append(response.read()))
        return b"".join(chunks)

    def json(self, url: str) -> Any:
        try:
            return json.loads(self.content(url))
        except ValueError as exc:
            raise FetchError(f"réponse JSON invalide de {url}") from exc

    def download(
        self,
        url: str,
        path: Path,
        *,
        name: str,
        checksum: tuple[str, str] | None,
        validators: Mapping[str, str] | None = None,
    ) -> Downloaded:
        """Write ``url`` to ``path``; ``checksum`` is ``(hashlib algorithm, hex digest)``.

        A file already at ``path`` whose checksum matches is kept as is. ``validators``
        (``{"etag": …, "last_modified": …}`` of the file's last download, given only when
        ``path`` is that file) make the request conditional: ``304`` keeps the file.

        Raises
        ------
        FetchError
            In French, naming ``name``: refused, failed after the retries, or corrupted.
        """
        if checksum and path.exists() and digest(path, checksum[0]) == checksum[1]:
            return Downloaded(path.stat().st_size, digest(path, "sha256"), 0)
        part = _Partial(path.with_name(path.name + ".part"), checksum)
        if validators and path.is_file():
            part.conditional = _conditional(validators)
        attempts = 0
        for whole in (False, True):
            if whole or not (checksum and part.path.exists()):
                part.restart()
            else:
                part.load()
            resumed_from_disk = part.size > 0
            try:
                attempts += self.with_retries(
                    url, part.save, headers=part.headers, refused=part.refused
                )
            except _NotModifiedError as kept:
                part.path.unlink(missing_ok=True)
                return Downloaded(
                    path.stat().st_size,
                    digest(path, "sha256"),
                    attempts + kept.attempts,
                    not_modified=True,
                    etag=validators.get("etag") if validators else None,
                    last_modified=validators.get("last_modified") if validators else None,
                )
            except FetchError:
                if checksum is None:  # never leave half a file that cannot be verified
                    part.path.unlink(missing_ok=True)
                raise
            if checksum is None:
                break
            algorithm, expected = checksum
            actual = part.hashes[algorithm].hexdigest()
            if actual == expected:
                break
            part.path.unlink(missing_ok=True)
            if whole or not resumed_from_disk:
                raise FetchError(
                    f"{name} : somme de contrôle {algorithm} incorrecte (attendue "
                    f"{expected}, obtenue {actual}) : fichier corrompu ou modifié, non conservé"
                )
        os.replace(part.path, path)  # atomic: a reader never sees half a file
        return Downloaded(
            path.stat().st_size,
            part.hashes["sha256"].hexdigest(),
            attempts,
            etag=part.etag,
            last_modified=part.last_modified,
        )

    def with_retries(
        self,
        url: str,
        consume: Callable[[Any], None],
        *,
        headers: Callable[[], dict[str, str]] | None = None,
        refused: Callable[[int], None] | None = None,
    ) -> int:
        """Call ``consume(response)``; returns the number of attempts it took.

        A network error, a transfer cut short, HTTP 416, 429 or 5xx is retried after
        ``backoff_s * 2**n`` seconds (±20 % jitter), or after the ``Retry-After`` the server
        sent when longer. ``headers`` is asked before each attempt
        (a resumed transfer asks for the rest); ``refused`` receives the status of an HTTP
        error answer.
        """
        actual = self.url(url)
        for attempt in range(self.retries + 1):
            extra = headers() if headers else {}
            request = urllib.request.Request(  # noqa: S310
                actual, headers={"User-Agent": "maillage", **extra}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                    consume(response)
                return attempt + 1
            except urllib.error.HTTPError as exc:
                if exc.code == 304:  # only a conditional request gets it: the file is current
                    raise _NotModifiedError(attempt + 1) from exc
                if refused:
                    refused(exc.code)
                retryable = exc.code in (416, 429) or exc.code >= 500  # 416: range past the end
                if not retryable:
                    raise FetchError(f"{actual} : refusé par le serveur (HTTP {exc.code})") from exc
                problem = f"HTTP {exc.code}"
                wait = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except (
                urllib.error.URLError,
                http.client.HTTPException,
                TimeoutError,
                ConnectionError,
            ) as exc:
                problem = str(getattr(exc, "reason", exc)) or type(exc).__name__
                wait = None
            if attempt == self.retries:
                raise FetchError(f"{actual} : échec après {attempt + 1} tentative(s) ({problem})")
            jitter = 1 + random.uniform(-0.2, 0.2)  # noqa: S311 (not cryptographic)
            time.sleep(max(self.backoff_s * 2**attempt * jitter, wait or 0.0))
        raise AssertionError("unreachable")


class _TruncatedError(ConnectionError):
    """The server closed the connection before sending the bytes it announced."""


class _Partial:
    """A ``.part`` file being written: its size, running digests and the server's validator."""

    def __init__(self, path: Path, checksum: tuple[str, str] | None) -> None:
        self.path = path
        self.algorithms = ["sha256"] + ([checksum[0]] if checksum else [])
        self.size = 0
        self.validator: str | None = None  # ETag or Last-Modified of the response resumed
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.conditional: dict[str, str] = {}  # headers of a request for a file on disk
        self.hashes: dict[str, Any] = {name: hashlib.new(name) for name in self.algorithms}

    def restart(self) -> None:
        """Start from the first byte."""
        self.path.unlink(missing_ok=True)
        self.size = 0
        self.validator = None
        self.hashes = {name: hashlib.new(name) for name in self.algorithms}

    def load(self) -> None:
        """Go on from a ``.part`` already on disk (its bytes are hashed again)."""
        self.size = 0
        self.hashes = {name: hashlib.new(name) for name in self.algorithms}
        with self.path.open("rb") as file:
            while chunk := file.read(1 << 20):
                self.size += len(chunk)
                for running in self.hashes.values():
                    running.update(chunk)

    def refused(self, status: int) -> None:
        """A ``416`` (the range asked for is past the end): start again from the first byte."""
        if status == 416:
            self.restart()

    def headers(self) -> dict[str, str]:
        if not self.size:
            return dict(self.conditional)
        headers = {"Range": f"bytes={self.size}-"}
        if self.validator:
            headers["If-Range"] = self.validator
        return headers

    def save(self, response: Any) -> None:
        """Write a response: appended after a ``206`` that starts where the file stops,
        from the first byte otherwise; a body shorter than announced raises `_TruncatedError`
        (retried, then resumed)."""
        start = _range_start(response.headers.get("Content-Range"))
        if not (self.size and response.status == 206 and start == self.size):
            self.restart()
        self.etag = response.headers.get("ETag")
        self.last_modified = response.headers.get("Last-Modified")
        self.validator = self.etag or self.last_modified
        announced = response.headers.get("Content-Length")
        received = 0
        with self.path.open("ab") as file:
            while chunk := response.read(1 << 20):
                file.write(chunk)
                received += len(chunk)
                self.size += len(chunk)
                for running in self.hashes.values():
                    running.update(chunk)
        if announced is not None and announced.isdigit() and received < int(announced):
            raise _TruncatedError(f"transfert interrompu ({received} octets reçus sur {announced})")


_MAX_RETRY_AFTER_S = 120.0


def _conditional(validators: Mapping[str, str]) -> dict[str, str]:
    """The headers of a conditional request from the validators of the last download."""
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


def _retry_after(value: str | None) -> float | None:
    """Seconds of a ``Retry-After: <seconds>`` header (a 429 of a throttled API: Les emplois
    allows 12 requests a minute), at most two minutes; ``None`` when absent or a date."""
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), _MAX_RETRY_AFTER_S)


def _range_start(content_range: str | None) -> int | None:
    """First byte of ``Content-Range: bytes 100-199/200``."""
    match = re.fullmatch(r"bytes (\d+)-\d+/(?:\d+|\*)", (content_range or "").strip())
    return int(match.group(1)) if match else None


def digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file (hashlib ``algorithm``)."""
    running = hashlib.new(algorithm)
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            running.update(chunk)
    return running.hexdigest()
