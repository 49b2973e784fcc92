"""Guards in front of the routes, as pure ASGI middlewares (they see a request before its body).

- `BodyGuard`: a request that carries a body (POST, PUT, PATCH) needs an API key or a
  person's session (with its CSRF token), checked before a byte of the body is read — every
  route with a body requires a role, but the login and logout forms (`FORM_PATHS`), so an
  anonymous or bad key gets 401 without its body ever being received (an anonymous 27 MB
  body used to be parsed into 611 MB before its 422) — and its body is bounded: a
  ``Content-Length`` over the limit is answered 413 at once, and a body without one (chunked)
  is counted as it is received and refused with 413 as soon as it passes the limit.
  `POST /v1/matches/batch` has its own, larger limit (`Settings.max_batch_body_bytes`, sized
  to 200 persons).
- `RateLimit`: the expensive routes (`ROUTE_GROUPS`) are limited per key (or session) and per
  client address over a moving window of one minute (the ``limits`` library, in memory: one
  process), 429 with ``Retry-After``. The client address is the ASGI client's host: behind a
  reverse proxy, run uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips`` set to the
  proxy's address, or every client shares the proxy's address (and its limit).

They sit outside FastAPI's exception handlers: their answers are built by
`service.errors.error_response`, the one mapping from errors to HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import (
    AUTHENTICATION_REQUIRED,
    FORM_PATHS,
    SESSION_COOKIE,
    SESSION_ENDED,
    authenticate_request,
)
from service.errors import (
    AuthenticationError,
    MaillageError,
    PayloadTooLargeError,
    RateLimitedError,
    error_response,
    is_database_outage,
    log_database_outage,
    retry_after_of,
)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
BATCH_PATH = "/v1/matches/batch"


def too_large_message(limit: int) -> str:
    return f"Requête trop volumineuse : le corps dépasse {limit} octets."


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def session_cookie(headers: Headers) -> str | None:
    """The session cookie of a request, if any."""
    raw = headers.get("cookie")
    return cookie_parser(raw).get(SESSION_COOKIE) if raw else None


def _check_caller(scope: Scope, headers: Headers) -> None:
    """`service.auth.authenticate_request` on a session of the request's kind (worker
    thread): 401 for an anonymous caller, a bad key or an ended session; 403 for a session
    request without its CSRF token."""
    from service.deps import request_session

    app = scope["app"]
    with request_session(app) as session:
        found = authenticate_request(
            session,
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            cookie=session_cookie(headers),
            idle=dt.timedelta(minutes=app.state.settings.session_idle_minutes),
        )
    if found.principal is None:
        raise AuthenticationError(SESSION_ENDED if found.session_ended else AUTHENTICATION_REQUIRED)


class BodyGuard:
    """401 before the body of an anonymous or badly keyed request is read; 413 past the limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_batch_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch_body_bytes = max_batch_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/")
        limit = self.max_batch_body_bytes if path == BATCH_PATH else self.max_body_bytes
        headers = Headers(scope=scope)
        try:
            if path not in FORM_PATHS:  # the login and logout forms check their own token
                await run_in_threadpool(_check_caller, scope, headers)
            declared = _content_length(headers)
            if declared is not None and declared > limit:
                raise PayloadTooLargeError(too_large_message(limit))
        except Exception as exc:
            if not isinstance(exc, MaillageError) and not is_database_outage(exc):
                raise
            if is_database_outage(exc):
                log_database_outage(exc, f"{scope['method']} {path} (clé d'API)")
            response = error_response(exc, retry_after_s=retry_after_of(scope["app"]))
            await response(scope, receive, send)
            return

        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # FastAPI re-raises an HTTPException met reading a body
                    raise StarletteHTTPException(413, too_large_message(limit))
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except StarletteHTTPException as exc:  # a body read where no handler catches it
            if started or exc.status_code != 413:
                raise
            await error_response(PayloadTooLargeError(too_large_message(limit)))(
                scope, receive, send
            )


ROUTE_GROUPS: dict[tuple[str, str], str] = {
    ("POST", "/v1/matches"): "matches",
    ("POST", "/v1/matches/batch"): "batch",
    ("GET", "/v1/coverage"): "coverage",
    ("GET", "/v1/gaps"): "coverage",
    ("POST", "/v1/siting"): "coverage",
    ("GET", "/ogc/collections/couverture/items"): "coverage",  # the same computations
    ("GET", "/ogc/collections/manques/items"): "coverage",
}
"""The rate-limited routes (method, path) and the group whose limit they share."""


class RateLimit:
    """Per key and per client address, ``limits[group]`` requests per minute (moving window)."""

    def __init__(self, app: ASGIApp, *, limits: Mapping[str, int]) -> None:
        self.app = app
        self.items: dict[str, RateLimitItem] = {
            group: RateLimitItemPerMinute(n) for group, n in limits.items()
        }
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = (
            ROUTE_GROUPS.get((scope["method"], scope["path"].rstrip("/")))
            if scope["type"] == "http"
            else None
        )
        item = self.items.get(group) if group is not None else None
        if group is None or item is None:
            await self.app(scope, receive, send)
            return
        identities = [f"adresse:{scope['client'][0] if scope.get('client') else '?'}"]
        headers = Headers(scope=scope)
        authorization = headers.get("authorization") or session_cookie(headers)
        if authorization:  # the key (or session) as presented; a made-up one still counts
            identities.append("clé:" + hashlib.sha256(authorization.encode()).hexdigest())
        refused = [who for who in identities if not self.limiter.test(item, group, who)]
        if refused:
            reset, _ = self.limiter.get_window_stats(item, group, refused[0])
            retry_after = max(1, math.ceil(reset - time.time()))
            error = RateLimitedError(
                f"Trop de requêtes : au plus {item.amount} par minute pour cette opération, "
                f"réessayez dans {retry_after} s.",
                retry_after,
            )
            await error_response(error)(scope, receive, send)
            return
        for who in identities:
            self.limiter.hit(item, group, who)
        await self.app(scope, receive, send)
