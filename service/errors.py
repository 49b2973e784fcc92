"""Domain errors and their one mapping to HTTP responses.

Routes and services raise the exceptions below; `install_error_handlers` turns them into
FastAPI's ``{"detail": ...}`` shape with a French message. An unexpected exception becomes a
generic 500 through the outermost middleware `UnexpectedErrors`: its text never reaches the
client nor the log, which gets one record per 500 (method, route template, exception classes, a
reference also returned in ``X-Request-Id``; in development, a traceback without values).

A database that cannot be reached (connection refused or lost, pool exhausted: see
`is_database_outage`) is not a server error: every route answers 503 with ``Retry-After`` and
a French message, wherever the error is raised (a route, a dependency, or the pure ASGI
middlewares of `service.guards`, which call `error_response` themselves because they sit
outside FastAPI's exception handlers).
"""

from __future__ import annotations

import logging
import time
import uuid

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.messages import french_errors
from service.logs import exception_classes, masked_traceback

logger = logging.getLogger("maillage")


class MaillageError(Exception):
    """A domain error whose message is written for the user, in French."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


BAD_REQUEST_PATHS: tuple[str, ...] = ("/ogc",)
"""Paths whose invalid parameters are answered 400, not 422: OGC API – Features asks 400 for
a parameter it cannot read (`service.ogc`); everywhere else, 422."""


def invalid_status(path: str) -> int:
    """The status of invalid parameters on ``path``: 400 under `BAD_REQUEST_PATHS`, else 422."""
    return 400 if path.startswith(BAD_REQUEST_PATHS) else 422


class NotFoundError(MaillageError):
    status_code = 404


class ConflictError(MaillageError):
    status_code = 409


class InvalidInputError(MaillageError):
    status_code = 422


class AuthenticationError(MaillageError):
    status_code = 401


class PermissionDeniedError(MaillageError):
    status_code = 403


class PayloadTooLargeError(MaillageError):
    status_code = 413


class RateLimitedError(MaillageError):
    """Too many requests from one key or one address; ``retry_after_s`` in whole seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ServiceUnavailableError(MaillageError):
    """A service maillage relies on (the national address API) cannot answer now: 503 with
    ``Retry-After`` (whole seconds)."""

    status_code = 503

    def __init__(self, message: str, retry_after_s: int = 30) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# Errors that say the database cannot be reached now, not that a statement is wrong: a refused
# or lost connection (psycopg's OperationalError, AdminShutdown when the postmaster dies, wrapped
# by SQLAlchemy as OperationalError), a connection used after it broke (InterfaceError), a pool
# with no free connection within its timeout (sqlalchemy.exc.TimeoutError).
DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means « the database is unreachable now » (503), not a defect (500)."""
    if isinstance(exc, DATABASE_OUTAGES):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def outage_message(retry_after_s: int) -> str:
    return f"Base de données momentanément indisponible, réessayez dans {retry_after_s} s."


_OUTAGE_LOG_EVERY_S = 10.0
_outage_logged_at = -_OUTAGE_LOG_EVERY_S


def log_database_outage(exc: BaseException, where: str) -> None:
    """One warning line every `_OUTAGE_LOG_EVERY_S` at most while the database is unreachable:
    the error's class only (its text may quote a statement's parameters)."""
    global _outage_logged_at  # noqa: PLW0603 - one clock for the process, like the outage
    now = time.monotonic()
    if now - _outage_logged_at >= _OUTAGE_LOG_EVERY_S:
        _outage_logged_at = now
        logger.warning(
            "base de données injoignable (%s, %s) : réponses 503 jusqu'à son retour",
            type(exc).__name__,
            where,
        )


def error_response(exc: Exception, *, retry_after_s: int = 5) -> JSONResponse:
    """The answer to a domain error or a database outage (``retry_after_s``: the 503's
    ``Retry-After``); anything else is not this function's to answer."""
    if isinstance(exc, MaillageError):
        headers: dict[str, str] | None = None
        if exc.status_code == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, RateLimitedError | ServiceUnavailableError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)
    if is_database_outage(exc):
        return JSONResponse(
            {"detail": outage_message(retry_after_s)},
            status_code=503,
            headers={"Retry-After": str(retry_after_s)},
        )
    raise TypeError(f"{type(exc).__name__} n'a pas de réponse prévue") from exc


def retry_after_of(app: object) -> int:
    """``Retry-After`` of a 503 for this app's settings (5 s without settings)."""
    settings = getattr(getattr(app, "state", None), "settings", None)
    return int(getattr(settings, "db_retry_after_seconds", 5))


_STATUS_MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette ressource.",
    406: "Format de réponse non disponible.",
    413: "Requête trop volumineuse.",
    415: "Type de contenu non pris en charge.",
    422: "Données invalides.",
    429: "Trop de requêtes.",
    500: "Erreur interne du serveur.",
    503: "Service momentanément indisponible.",
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the one mapping from errors to HTTP responses."""

    @app.exception_handler(MaillageError)
    async def _domain(request: Request, exc: MaillageError) -> JSONResponse:
        response = error_response(exc)
        if response.status_code == 422:  # a rule of the service, said as a validation
            response.status_code = invalid_status(request.url.path)
        return response

    async def _database_outage(request: Request, exc: Exception) -> JSONResponse:
        log_database_outage(exc, f"{request.method} {route_template(request.scope)}")
        return error_response(exc, retry_after_s=retry_after_of(request.app))

    for outage in DATABASE_OUTAGES:
        app.add_exception_handler(outage, _database_outage)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": french_errors(exc.errors())}, status_code=invalid_status(request.url.path)
        )

    @app.exception_handler(ValidationError)
    async def _record(_: Request, exc: ValidationError) -> JSONResponse:
        # a record re-validated inside a route (a PATCH merged onto the stored fiche): located
        # in the body, as the request's own errors are
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        return JSONResponse({"detail": french_errors(errors)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if isinstance(detail, str) and detail in _FRAMEWORK_DETAILS:
            detail = _FRAMEWORK_DETAILS[detail]  # a body that is not UTF-8 text: 400
        elif not isinstance(detail, str) or not _is_french(detail):
            detail = _STATUS_MESSAGES.get(exc.status_code, "Erreur.")
        return JSONResponse(
            {"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )


# FastAPI's own English details, and what they say in French.
UNREADABLE_BODY = "Corps de requête illisible : du JSON encodé en UTF-8 est attendu."
_FRAMEWORK_DETAILS = {"There was an error parsing the body": UNREADABLE_BODY}


def _is_french(detail: str) -> bool:
    # Starlette's own details are its English reason phrases ("Not Found", ...).
    from http import HTTPStatus

    english = {s.phrase for s in HTTPStatus} | set(_FRAMEWORK_DETAILS)
    return detail not in english


REQUEST_ID_HEADER = "X-Request-Id"


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/partners/{partner_id}``), never the raw path
    (it may carry an identifier or a value typed by a person)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    return template if isinstance(template, str) else "(aucune route)"


class UnexpectedErrors:
    """Outermost ASGI middleware: an exception no handler answered becomes a 500.

    The answer says « Erreur interne du serveur. Référence : <id>. » with the id in
    ``X-Request-Id``; the log gets exactly one record: method, route template, the chain of
    exception classes and the id — never the exception's text nor the raw path. Outside
    production, the record carries a traceback without values (`masked_traceback`). A database
    outage met here (a middleware's own query) is answered 503 like everywhere else. The
    exception is not re-raised: uvicorn and Starlette's ServerErrorMiddleware never see it, so
    they log nothing of it.
    """

    def __init__(self, app: ASGIApp, *, tracebacks: bool) -> None:
        self.app = app
        self.tracebacks = tracebacks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            where = f"{scope['method']} {route_template(scope)}"
            if is_database_outage(exc):
                log_database_outage(exc, where)
                response = error_response(exc, retry_after_s=retry_after_of(scope.get("app")))
            else:
                reference = uuid.uuid4().hex[:12]
                self._log(exc, where, reference, started=started)
                response = JSONResponse(
                    {"detail": f"{_STATUS_MESSAGES[500]} Référence : {reference}."},
                    status_code=500,
                    headers={REQUEST_ID_HEADER: reference},
                )
            if not started:  # otherwise the answer is cut short: the connection is closed
                await response(scope, receive, send)

    def _log(self, exc: Exception, where: str, reference: str, *, started: bool) -> None:
        cut = " ; réponse déjà commencée, interrompue" if started else ""
        trace = f"\n{masked_traceback(exc)}" if self.tracebacks else ""
        logger.error(
            "erreur inattendue sur %s (%s), référence %s%s%s",
            where,
            exception_classes(exc),
            reference,
            cut,
            trace,
        )
