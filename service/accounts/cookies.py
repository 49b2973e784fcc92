"""The cookies of people's sessions: flags in one place."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from fastapi.responses import Response

from service.accounts.users import OpenedSession
from service.auth import SESSION_COOKIE
from service.settings import Settings


def secure_cookies(request: Request) -> bool:
    """``Secure`` cookies: `Settings.cookie_secure`, else in production or over https."""
    settings: Settings = request.app.state.settings
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return settings.env == "production" or request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, opened: OpenedSession) -> None:
    """The session cookie: ``HttpOnly``, ``SameSite=Lax`` (a link from another site opens the
    page logged in; the CSRF token guards every change), ``Secure`` as `secure_cookies` says,
    living as long as the session may."""
    max_age = int((opened.expires_at - dt.datetime.now(dt.UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def delete_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request)
    )
