"""Who is calling: API keys (machines) and people's sessions, and their roles.

A key is ``mlg_`` followed by 43 URL-safe random characters (256 bits). Only its SHA-256
digest is stored: with that much entropy a slow password hash adds nothing, and a digest
lets the key be looked up by an index. Roles, from most to least powerful:

- ``admin``: everything;
- ``editor``: writes the partners of its own organisation (the partner it is attached to and
  the partners that organisation manages), their opportunities and the relations they start;
- ``platform``: reads, and queries matches (job-mediation platforms);
- ``viewer``: reads, including coverage.

Public partner data may be read without a key; every write needs one. A key that is given
is always checked, on every route: a malformed header, an unknown, revoked or expired key is
answered 401, never silently ignored (as PostgREST does for a bad token). A key may expire
(``expires_at``); its last use is recorded (``last_used_at``) at most once a minute.

People log in on ``/connexion`` (`service.accounts`) and get a session: a cookie
(`SESSION_COOKIE`, ``HttpOnly``, ``SameSite=Lax``) holding 256 random bits, stored as its
SHA-256 digest in ``user_session`` with the session's CSRF token. `authenticate_request`
gives one `Principal` either way: a ``Bearer`` key when one is given (a key given is always
checked), else the session cookie. A session that ended (idle, past its absolute lifetime,
account disabled) is no error: the caller is anonymous, and a route that needs a role answers
401 « session expirée ». A request authenticated by its cookie that may change something
(POST, PUT, PATCH, DELETE) must carry the session's CSRF token in `CSRF_HEADER` and must not
come from another site (``Sec-Fetch-Site``, ``Origin``): 403 otherwise. A key needs no such
token: a browser never adds an ``Authorization`` header to a request another site forges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from geodata.sources import provenances
from service.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from service.store import queries
from service.tables import ROLES, ApiKey, Partner

KEY_PREFIX = "mlg_"

SESSION_COOKIE = "maillage_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_PATHS = frozenset({"/connexion", "/deconnexion"})
"""Forms that check their own CSRF token (a field of the form, not `CSRF_HEADER`)."""
AUTHENTICATION_REQUIRED = (
    "Authentification requise : connectez-vous sur la page /connexion, ou fournissez une clé "
    "d'API (en-tête Authorization: Bearer <clé>)."
)
SESSION_ENDED = "Session expirée ou close : reconnectez-vous sur la page /connexion."
CSRF_REFUSED = (
    "Requête refusée : jeton anti-falsification (CSRF) absent ou invalide, ou requête venue "
    "d'un autre site ; rechargez la page et réessayez."
)

LAST_USE_EVERY = dt.timedelta(minutes=1)
"""A key's ``last_used_at`` is written at most this often (one small UPDATE, committed)."""

ROLE_LABELS = {
    "admin": "administration",
    "editor": "édition des fiches de sa structure",
    "platform": "plateforme de mise en relation",
    "viewer": "consultation",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the role and, for an editor, its organisation; a key (``key_id``) or a
    person logged in (``user_id``, with the session's digest and CSRF token)."""

    key_id: uuid.UUID | None
    role: str
    organisation_id: uuid.UUID | None
    user_id: uuid.UUID | None = None
    session_hash: str | None = None
    csrf_token: str | None = None
    display_name: str | None = None
    organisation_name: str | None = None

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise PermissionDeniedError(
                f"Accès refusé : le rôle « {self.role} » ne permet pas cette opération."
            )


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_api_key(
    session: Session,
    *,
    role: str,
    organisation_id: uuid.UUID | None = None,
    name: str | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[str, ApiKey]:
    """Create a key and return it in clear (shown once) with its stored row; ``expires_at``
    (timezone-aware) ends its validity, ``None`` never."""
    if expires_at is not None and expires_at <= dt.datetime.now(dt.UTC):
        raise InvalidInputError("Date d'expiration déjà passée : choisissez une date future.")
    if role not in ROLES:
        raise InvalidInputError(f"Rôle inconnu « {role} » : {', '.join(ROLES)}.")
    if role == "editor" and organisation_id is None:
        raise InvalidInputError("Une clé « editor » doit être rattachée à une organisation.")
    if organisation_id is not None and session.get(Partner, organisation_id) is None:
        raise InvalidInputError(f"Organisation inconnue : aucun partenaire {organisation_id}.")
    key = generate_key()
    row = ApiKey(
        role=role,
        organisation_id=organisation_id,
        name=name,
        prefix=key[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(key),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return key, row


def authenticate(session: Session, authorization: str | None) -> Principal | None:
    """The principal behind an ``Authorization: Bearer`` header; ``None`` when absent.

    Records the key's use (``last_used_at``, committed) when the last record is older than
    `LAST_USE_EVERY`: call it before the request writes anything of its own.

    Raises `AuthenticationError` for a malformed header or an unknown, revoked or expired key.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError(
            "En-tête Authorization invalide : « Authorization: Bearer <clé> » attendu."
        )
    row = session.scalar(queries.api_key_by_hash(hash_key(token)))
    if row is None or row.revoked_at is not None:
        raise AuthenticationError("Clé d'API inconnue ou révoquée.")
    now = dt.datetime.now(dt.UTC)
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthenticationError(
            "Clé d'API expirée : demandez une nouvelle clé à l'administrateur du service."
        )
    principal = Principal(key_id=row.id, role=row.role, organisation_id=row.organisation_id)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_EVERY:
        session.execute(queries.touch_api_key(row.id, now, every=LAST_USE_EVERY))
        session.commit()
    return principal


@dataclass(frozen=True, slots=True)
class RequestAuth:
    """What `authenticate_request` found: the principal (``None``: anonymous) and whether a
    session cookie was given that no longer opens a session."""

    principal: Principal | None
    session_ended: bool = False


LAST_SEEN_EVERY = dt.timedelta(minutes=1)
"""A session's ``last_seen_at`` is written at most this often: the idle limit is exact to it."""


def authenticate_request(
    session: Session,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    cookie: str | None,
    idle: dt.timedelta,
) -> RequestAuth:
    """The caller of a request: its ``Authorization`` key (`authenticate`), else its session
    cookie (`authenticate_session`), checked against CSRF when the request may change
    something. ``headers`` are read case-insensitively (lower-case names)."""
    authorization = headers.get("authorization")
    if authorization:
        return RequestAuth(authenticate(session, authorization))
    if not cookie:
        return RequestAuth(None)
    principal = authenticate_session(session, cookie, idle=idle)
    if principal is None:
        return RequestAuth(None, session_ended=True)
    if method in UNSAFE_METHODS and path.rstrip("/") not in FORM_PATHS:
        given = headers.get(CSRF_HEADER.lower()) or ""
        if not same_site(headers) or not secrets.compare_digest(
            given.encode(), (principal.csrf_token or "").encode()
        ):
            raise PermissionDeniedError(CSRF_REFUSED)
    return RequestAuth(principal)


def same_site(headers: Mapping[str, str]) -> bool:
    """Whether a browser's request comes from this site: ``Sec-Fetch-Site`` is same-origin
    (or none: typed by the person), and ``Origin``, when given, names this host. A client
    that sends neither (not a browser, or an old one) passes: the CSRF token decides."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None:
        return True
    host = headers.get("host", "")
    return origin != "null" and urlsplit(origin).netloc == host


def authenticate_session(
    session: Session, cookie: str, *, idle: dt.timedelta, now: dt.datetime | None = None
) -> Principal | None:
    """The person behind a session cookie, ``None`` when it opens no session: unknown,
    past its absolute end, idle for longer than ``idle``, or its account disabled (an ended
    session is deleted). Records ``last_seen_at`` (committed) at most every `LAST_SEEN_EVERY`."""
    now = now or dt.datetime.now(dt.UTC)
    found = session.execute(queries.user_session_with_account(hash_key(cookie))).first()
    if found is None:
        return None
    row, user, organisation_name = found
    if user.disabled_at is not None or row.expires_at <= now or row.last_seen_at <= now - idle:
        session.execute(queries.delete_user_session(row.id_hash))
        session.commit()
        return None
    principal = Principal(
        key_id=None,
        role=user.role,
        organisation_id=user.organisation_id,
        user_id=user.id,
        session_hash=row.id_hash,
        csrf_token=row.csrf_token,
        display_name=user.display_name,
        organisation_name=organisation_name,
    )
    if now - row.last_seen_at >= LAST_SEEN_EVERY:
        session.execute(queries.touch_user_session(row.id_hash, now, every=LAST_SEEN_EVERY))
        session.commit()
    return principal


def revoke_api_key(session: Session, key_id: uuid.UUID) -> dt.datetime | None:
    """Revoke a key; returns when it had been revoked already (``None``: revoked now)."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise InvalidInputError("Clé inconnue : aucune clé de cet identifiant.")
    if row.revoked_at is not None:
        return row.revoked_at
    row.revoked_at = dt.datetime.now(dt.UTC)
    return None


def check_can_write_partner(session: Session, principal: Principal, partner: Partner) -> None:
    """An editor writes only its organisation's partners (their opportunities, the relations
    they start); admins write everything."""
    if principal.role == "admin":
        return
    org = principal.organisation_id
    if org is None or org not in (partner.id, partner.organisation_id):
        raise PermissionDeniedError(
            "Accès refusé : cette fiche n'appartient pas à votre organisation."
        )


def check_can_change_fiche(session: Session, principal: Principal, partner: Partner) -> None:
    """`check_can_write_partner`, and an editor never modifies nor deletes an official fiche:
    one that an imported source describes (`geodata.sources.provenances.official`: FINESS,
    Les emplois, data·inclusion's producers...), whose next import would rewrite it anyway.
    Its opportunities and relations stay the organisation's to write."""
    check_can_write_partner(session, principal, partner)
    if principal.role == "admin":
        return
    sources = {partner.source, *(p.source for p in partner.provenances)}
    if provenances.official(sources):
        raise PermissionDeniedError(
            "Accès refusé : cette fiche vient d'une source officielle importée (FINESS, "
            "Les emplois de l'inclusion, data·inclusion…) ; seul un administrateur la modifie "
            "ou la supprime."
        )


def check_source_claim(principal: Principal, source: str, *, current: str | None = None) -> None:
    """Only imports and administrators write a provenance fed by an importer
    (`geodata.sources.provenances.RESERVED`); keeping a fiche's ``current`` one is no claim."""
    if principal.role == "admin" or source == current:
        return
    if provenances.is_reserved(source):
        raise PermissionDeniedError(
            "Accès refusé : la provenance demandée (champ « source ») est réservée aux imports "
            "et aux administrateurs ; une fiche écrite par l'API garde la provenance "
            "« maillage » ou une provenance propre à votre organisation."
        )
