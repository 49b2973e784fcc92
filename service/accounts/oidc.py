"""Login through OpenID Connect (ProConnect, the State's identity federation), when
`Settings.oidc_enabled`: the authorization code flow with PKCE (S256), ``state`` and
``nonce`` checked, by Authlib's OAuth 2 client (authlib.integrations.httpx_client) and joserfc
for the signed tokens (Authlib's own ``authlib.jose`` is deprecated in their favour).

1. ``GET /connexion/proconnect?suite=``: the provider's configuration is read
   (``/.well-known/openid-configuration``, kept an hour); ``state``, ``nonce`` and the PKCE
   verifier are drawn and kept in ``oidc_login`` under the digest of a random id that the
   browser holds in a cookie (`FLOW_COOKIE`, ``HttpOnly``, ``SameSite=Lax``, ten minutes, path
   ``/connexion/proconnect``); the browser goes to the provider.
2. ``GET /connexion/proconnect/retour?code=&state=``: the cookie's login under way is taken
   (once: it is deleted), ``state`` compared (and ``iss`` when the provider names itself, RFC
   9207); the code is exchanged with the verifier; the ID
   token's signature (the provider's JWKS), issuer, audience, expiry and ``nonce`` are
   checked; the person's claims are read from the userinfo endpoint (JSON, or a signed JWT as
   ProConnect answers, checked the same way) and must name the same ``sub``.
3. The account: the one already bound to this ``issuer|sub``; else the account of the same
   email (case-insensitive), which gets bound to it (the federation vouches for the email);
   else, with ``MAILLAGE_OIDC_PROVISIONING=siret``, a new « viewer » account whose
   organisation is the open partner of the person's ``siret`` claim. Otherwise no login: an
   administrator creates the account first (``maillage user create``, no password needed).
   A disabled account never logs in.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from service.accounts import queries, users
from service.accounts.cookies import secure_cookies, set_session_cookie
from service.accounts.parameters import local_path
from service.auth import SESSION_COOKIE, hash_key
from service.deps import SessionDep
from service.settings import Settings
from service.tables import OidcLogin, UserAccount

FLOW_COOKIE = "maillage_oidc"
FLOW_PATH = "/connexion/proconnect"
FLOW_LIFETIME = dt.timedelta(minutes=10)
DISCOVERY_TTL_S = 3600.0
HTTP_TIMEOUT_S = 10.0

ERRORS = {
    "proconnect": "La connexion fédérée n'a pas abouti : réessayez, ou connectez-vous avec "
    "votre mot de passe.",
    "etat": "La connexion fédérée a expiré ou n'a pas été commencée dans ce navigateur : "
    "recommencez.",
    "compte": "Aucun compte maillage n'est ouvert pour votre adresse électronique : demandez à "
    "l'administrateur du service de vous en créer un.",
    "desactive": users.DISABLED,
    "indisponible": "Le service de connexion fédérée ne répond pas : réessayez dans quelques "
    "minutes, ou connectez-vous avec votre mot de passe.",
    "inactive": "La connexion fédérée n'est pas configurée sur ce service.",
}

router = APIRouter(include_in_schema=False)


class OidcLoginError(Exception):
    """A failed federated login; ``code`` is a key of `ERRORS`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Provider:
    """The configured provider's discovery document and keys, read once an hour."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._read_at = -DISCOVERY_TTL_S
        self._config: dict[str, Any] = {}
        self._keys: KeySet | None = None

    def http(self) -> httpx.Client:
        return httpx.Client(timeout=HTTP_TIMEOUT_S, follow_redirects=False)

    def config(self) -> dict[str, Any]:
        with self._lock:
            if time.monotonic() - self._read_at < DISCOVERY_TTL_S:
                return self._config
            issuer = (self.settings.oidc_issuer or "").rstrip("/")
            try:
                with self.http() as client:
                    config = client.get(issuer + "/.well-known/openid-configuration")
                    config.raise_for_status()
                    document: dict[str, Any] = config.json()
                    keys = client.get(document["jwks_uri"])
                    keys.raise_for_status()
                    key_set = KeySet.import_key_set(keys.json())
            except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
                raise OidcLoginError("indisponible") from exc
            if str(document.get("issuer", "")).rstrip("/") != issuer:
                raise OidcLoginError("proconnect")  # a document that names another issuer
            self._config, self._keys, self._read_at = document, key_set, time.monotonic()
            return document

    def keys(self) -> KeySet:
        self.config()
        assert self._keys is not None
        return self._keys

    def client(self) -> OAuth2Client:
        config = self.config()
        methods = config.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        secret = self.settings.oidc_client_secret
        return OAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            token_endpoint_auth_method=(
                "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
            ),
            scope=self.settings.oidc_scopes,
            redirect_uri=self.settings.oidc_redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT_S,
        )

    def verified_claims(self, token: str, *, nonce: str | None) -> dict[str, Any]:
        """The claims of a JWT signed by the provider, for this client (issuer, audience,
        expiry; ``nonce`` when given)."""
        config = self.config()
        algorithms = config.get("id_token_signing_alg_values_supported") or ["RS256", "ES256"]
        try:
            decoded = jwt.decode(token, self.keys(), algorithms=algorithms)
            checks: dict[str, Any] = {
                "iss": {"essential": True, "value": config["issuer"]},
                "aud": {"essential": True, "value": self.settings.oidc_client_id},
                "sub": {"essential": True},
            }
            if nonce is not None:
                checks["nonce"] = {"essential": True, "value": nonce}
                checks["exp"] = {"essential": True}
            jwt.JWTClaimsRegistry(leeway=60, **checks).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise OidcLoginError("proconnect") from exc
        return dict(decoded.claims)


def provider(request: Request) -> Provider:
    state = request.app.state
    if getattr(state, "oidc_provider", None) is None:
        state.oidc_provider = Provider(state.settings)
    found: Provider = state.oidc_provider
    return found


def _failed(code: str, next_path: str = "/") -> RedirectResponse:
    target = "/connexion?erreur=" + code
    if next_path != "/":
        from urllib.parse import quote

        target += "&suite=" + quote(next_path, safe="/")
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


@router.get(FLOW_PATH)
def start(request: Request, session: SessionDep, suite: str | None = None) -> Response:
    settings: Settings = request.app.state.settings
    next_path = local_path(suite)
    if not settings.oidc_enabled:
        return _failed("inactive", next_path)
    try:
        found = provider(request)
        config = found.config()
    except OidcLoginError as failure:
        return _failed(failure.code, next_path)
    flow, state, nonce = secrets.token_urlsafe(32), generate_token(43), generate_token(43)
    verifier = generate_token(64)
    now = dt.datetime.now(dt.UTC)
    session.execute(queries.purge_oidc_logins(now - FLOW_LIFETIME))
    session.add(
        OidcLogin(
            id_hash=hash_key(flow),
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path,
            created_at=now,
        )
    )
    session.commit()
    with found.client() as client:
        url, _ = client.create_authorization_url(
            config["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=int(FLOW_LIFETIME.total_seconds()),
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return response


@router.get(FLOW_PATH + "/retour")
def callback(
    request: Request,
    session: SessionDep,
    *,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    iss: str | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.oidc_enabled:
        return _failed("inactive")
    flow = request.cookies.get(FLOW_COOKIE)
    row = session.scalar(queries.oidc_login(hash_key(flow))) if flow else None
    if row is None:
        return _failed("etat")
    session.execute(queries.end_oidc_login(row.id_hash))  # used once, whatever follows
    session.commit()
    next_path = row.next_path
    if row.created_at < dt.datetime.now(dt.UTC) - FLOW_LIFETIME or not secrets.compare_digest(
        (state or "").encode(), row.state.encode()
    ):
        return _failed("etat", next_path)
    issuer = (settings.oidc_issuer or "").rstrip("/")
    if error is not None or not code or (iss is not None and iss.rstrip("/") != issuer):
        return _failed("proconnect", next_path)  # RFC 9207: the answer names its issuer
    try:
        user = _account(session, settings, _claims(provider(request), row, code))
    except OidcLoginError as failure:
        session.rollback()
        return _failed(failure.code, next_path)
    opened = users.open_session(
        session,
        user,
        method="oidc",
        settings=settings,
        previous_cookie=request.cookies.get(SESSION_COOKIE),
    )
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, opened)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=secure_cookies(request))
    return response


def _claims(found: Provider, row: OidcLogin, code: str) -> dict[str, Any]:
    """The person's claims: the ID token checked, then the userinfo of the same subject."""
    config = found.config()
    try:
        with found.client() as client:
            token = client.fetch_token(
                config["token_endpoint"], code=code, code_verifier=row.code_verifier
            )
            id_claims = found.verified_claims(str(token.get("id_token", "")), nonce=row.nonce)
            info: dict[str, Any] = {}
            if config.get("userinfo_endpoint"):
                answer = client.get(config["userinfo_endpoint"])
                answer.raise_for_status()
                if answer.headers.get("content-type", "").startswith("application/jwt"):
                    info = found.verified_claims(answer.text.strip(), nonce=None)
                else:
                    info = answer.json()
    except OidcLoginError:
        raise
    except Exception as exc:  # the provider's errors, whatever their library's class
        raise OidcLoginError("proconnect") from exc
    if info and info.get("sub") != id_claims["sub"]:
        raise OidcLoginError("proconnect")
    return {**info, **id_claims, "iss": config["issuer"]}


def _account(session: Session, settings: Settings, claims: dict[str, Any]) -> UserAccount:
    """The account these claims open (module docstring, 3.); not committed."""
    subject = f"{claims['iss']}|{claims['sub']}"
    user: UserAccount | None = session.scalar(queries.account_by_subject(subject))
    email = str(claims.get("email") or "")
    if user is None and email:
        user = session.scalar(queries.account_by_email(email))
        if user is not None and user.oidc_subject not in (None, subject):
            raise OidcLoginError("compte")  # bound to another identity of the federation
    if user is None and email and settings.oidc_provisioning == "siret":
        user = _provision(session, claims, email)
    if user is None:
        raise OidcLoginError("compte")
    if user.disabled_at is not None:
        raise OidcLoginError("desactive")
    user.oidc_subject = subject
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = dt.datetime.now(dt.UTC)
    return user


def _provision(session: Session, claims: dict[str, Any], email: str) -> UserAccount | None:
    siret = str(claims.get("siret") or "")
    organisation = session.scalar(queries.organisation_by_siret(siret)) if siret else None
    if organisation is None:
        return None
    given = str(claims.get("given_name") or "").strip()
    usual = str(claims.get("usual_name") or claims.get("family_name") or "").strip()
    return users.create_account(
        session,
        email=email,
        display_name=" ".join(p for p in (given, usual) if p) or email.split("@", 1)[0],
        role="viewer",
        organisation_id=organisation.id,
        password=None,
    )
