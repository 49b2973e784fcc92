"""Domain errors and their one mapping to HTTP responses.

Routes and services raise the exceptions below; `install_error_handlers` turns them into
FastAPI's ``{"detail": ...}`` shape with a French message. An unexpected exception becomes a
generic 500: its text never reaches the client, it goes to the log.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.messages import french_errors

logger = logging.getLogger("maillage")


class MaillageError(Exception):
    """A domain error whose message is written for the user, in French."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    async def _domain(_: Request, exc: MaillageError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": french_errors(exc.errors())}, status_code=422)

    @app.exception_handler(ValidationError)
    async def _record(_: Request, exc: ValidationError) -> JSONResponse:
        # a record re-validated inside a route (a PATCH merged onto the stored fiche)
        return JSONResponse({"detail": french_errors(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if not isinstance(detail, str) or not _is_french(detail):
            detail = _STATUS_MESSAGES.get(exc.status_code, "Erreur.")
        return JSONResponse(
            {"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("erreur inattendue sur %s %s", request.method, request.url.path)
        return JSONResponse({"detail": _STATUS_MESSAGES[500]}, status_code=500)


def _is_french(detail: str) -> bool:
    # Starlette's own details are its English reason phrases ("Not Found", ...).
    from http import HTTPStatus

    english = {s.phrase for s in HTTPStatus}
    return detail not in english
