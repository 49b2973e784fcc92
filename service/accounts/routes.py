"""The login and logout pages (French, server-rendered by the pages' layout) and their forms.

- ``GET /connexion``: the form (email, password), with a CSRF token in a hidden field and in a
  cookie of its own (`LOGIN_CSRF_COOKIE`, ``HttpOnly``, ``SameSite=Strict``, path
  ``/connexion``): the ``POST`` must carry both, equal, and come from this site
  (``Sec-Fetch-Site``, ``Origin``: `service.auth.same_site`). The ProConnect button when
  OpenID Connect is configured (`service.accounts.oidc`).
- ``POST /connexion``: rate-limited per address, then `users.login`; a success opens a new
  session (`users.open_session`: a new random id, the previous session ends) and redirects
  (303) to ``suite``, a path of this site; a failure renders the form again with its French
  message and status (401 wrong, 429 locked or too many tries, 403 disabled or CSRF).
- ``POST /deconnexion``: the session's CSRF token in a hidden field; the session ends, its
  cookie is deleted, back to ``/connexion``.

The session cookie's flags: `service.accounts.cookies`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts import oidc, users
from service.accounts.cookies import delete_session_cookie, secure_cookies, set_session_cookie
from service.accounts.parameters import (
    LoginForm,
    LogoutForm,
    local_path,
    login_form,
    logout_form,
)
from service.accounts.throttle import LoginThrottle
from service.auth import SESSION_COOKIE, Principal, same_site
from service.deps import SessionDep
from service.errors import MaillageError
from service.settings import Settings

LOGIN_CSRF_COOKIE = "maillage_connexion"
CSRF_EXPIRED = (
    "Le formulaire a expiré ou ne vient pas de ce site : il est rechargé, saisissez à nouveau "
    "vos identifiants."
)
MISSING = "Saisissez votre adresse électronique et votre mot de passe."
LOGGED_OUT = "Vous êtes déconnecté(e)."
SESSION_ENDED = "Votre session a expiré : reconnectez-vous."

router = APIRouter(include_in_schema=False)


def install(app: FastAPI, settings: Settings) -> None:
    """The login routes, their throttle and (when configured) the ProConnect routes."""
    app.state.login_throttle = LoginThrottle(settings.rate_limit_login_per_minute)
    app.include_router(router)
    app.include_router(oidc.router)


def _person(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal if principal is not None and principal.user_id is not None else None


def render_login(
    request: Request,
    session: SessionDep,
    *,
    next_path: str,
    message: str | None = None,
    kind: str = "error",
    status_code: int = 200,
) -> HTMLResponse:
    """The login form with a fresh CSRF token (field and cookie)."""
    settings: Settings = request.app.state.settings
    token = secrets.token_urlsafe(32)
    context: dict[str, Any] = {
        "login_csrf": token,
        "next_path": next_path,
        "message": message,
        "message_kind": kind,
        "oidc_enabled": settings.oidc_enabled,
        "oidc_label": settings.oidc_label,
        "max_failures": settings.login_max_failures,
        "person": _person(request),
    }
    response: HTMLResponse = request.app.state.render_page(
        request,
        session,
        "connexion.html",
        page="connexion",
        title="Connexion",
        context=context,
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/connexion",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/connexion", response_class=HTMLResponse)
def login_page(
    request: Request,
    session: SessionDep,
    suite: str | None = None,
    deconnecte: str | None = None,
    erreur: str | None = None,
) -> HTMLResponse:
    message, kind = None, "error"
    if deconnecte is not None:
        message, kind = LOGGED_OUT, "success"
    elif erreur is not None:
        message = oidc.ERRORS.get(erreur, oidc.ERRORS["proconnect"])
    elif getattr(request.state, "session_ended", False):
        message, kind = SESSION_ENDED, "info"
    return render_login(request, session, next_path=local_path(suite), message=message, kind=kind)


@router.post("/connexion", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    form: Annotated[LoginForm, Depends(login_form)],
) -> Response:
    settings: Settings = request.app.state.settings
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    wait = throttle.retry_after(address)
    if wait is not None:
        response = render_login(
            request,
            session,
            next_path=form.next_path,
            message=f"Trop de tentatives de connexion depuis cette adresse : réessayez dans "
            f"{wait} s.",
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if (
        not expected
        or not secrets.compare_digest(form.csrf.encode(), expected.encode())
        or not same_site(request.headers)
    ):
        return render_login(
            request, session, next_path=form.next_path, message=CSRF_EXPIRED, status_code=403
        )
    if not form.email or not form.password:
        return render_login(
            request, session, next_path=form.next_path, message=MISSING, status_code=422
        )
    try:
        user = users.login(
            session, form.email, form.password, settings=settings, unknown=throttle.unknown
        )
    except MaillageError as exc:
        response = render_login(
            request,
            session,
            next_path=form.next_path,
            message=exc.message,
            status_code=exc.status_code,
        )
        retry = getattr(exc, "retry_after_s", None)
        if retry is not None:
            response.headers["Retry-After"] = str(retry)
        return response
    opened = users.open_session(
        session,
        user,
        method="password",
        settings=settings,
        previous_cookie=request.cookies.get(SESSION_COOKIE),
    )
    done = RedirectResponse(form.next_path, status_code=303)
    set_session_cookie(done, request, opened)
    done.delete_cookie(LOGIN_CSRF_COOKIE, path="/connexion")
    return done


@router.post("/deconnexion")
def logout(
    request: Request,
    session: SessionDep,
    form: Annotated[LogoutForm, Depends(logout_form)],
) -> Response:
    person = _person(request)
    if person is not None:
        if not (
            secrets.compare_digest(form.csrf.encode(), (person.csrf_token or "").encode())
            and same_site(request.headers)
        ):
            return render_login(
                request,
                session,
                next_path="/",
                message="Déconnexion refusée : le formulaire ne vient pas de ce site ou a "
                "expiré. Utilisez le bouton « Se déconnecter » de la page.",
                status_code=403,
            )
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            users.close_session(session, cookie)
    response = RedirectResponse("/connexion?deconnecte", status_code=303)
    delete_session_cookie(response, request)
    return response
