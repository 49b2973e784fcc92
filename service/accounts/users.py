"""People's accounts: creation and changes (the ``maillage user`` commands), login with a
password and its lockout, sessions opened and closed.

A failed login never says whether the email has an account: the same message, the same time
(an unknown email is checked against a dummy hash), and the same lockout — an unknown email is
locked after as many failures as a real account (`UnknownEmails`, kept in memory).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.accounts import passwords, queries
from service.auth import hash_key
from service.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
)
from service.settings import Settings
from service.tables import ROLES, Partner, UserAccount, UserSession

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254
MAX_NAME = 200

WRONG_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."
DISABLED = "Ce compte est désactivé : adressez-vous à l'administrateur du service."


def locked_message(minutes: int) -> str:
    return (
        "Trop d'essais infructueux : la connexion à ce compte est suspendue pendant "
        f"{minutes} minutes. Réessayez plus tard ou adressez-vous à l'administrateur du service."
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def normalise_email(email: str) -> str:
    """An email as stored and compared: trimmed; its case is kept but never compared."""
    value = email.strip()
    if len(value) > MAX_EMAIL or not EMAIL.match(value):
        raise InvalidInputError(
            "Adresse électronique invalide : une adresse comme prenom.nom@structure.fr est "
            f"attendue ({MAX_EMAIL} caractères au plus)."
        )
    return value


def _display_name(name: str) -> str:
    value = " ".join(name.split())
    if not value or len(value) > MAX_NAME:
        raise InvalidInputError(
            f"Nom affiché invalide : de 1 à {MAX_NAME} caractères (prénom et nom de la personne)."
        )
    return value


def create_account(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: str,
    organisation_id: uuid.UUID | None,
    password: str | None,
) -> UserAccount:
    """Create an account (flushed, not committed); ``password`` ``None``: OpenID Connect only."""
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidInputError(f"Rôle inconnu : choisissez parmi {', '.join(ROLES)}.")
    if role == "editor" and organisation_id is None:
        raise InvalidInputError("Un compte « editor » doit être rattaché à une organisation.")
    if organisation_id is not None and session.get(Partner, organisation_id) is None:
        raise InvalidInputError("Organisation inconnue : aucun partenaire de cet identifiant.")
    if session.scalar(queries.account_by_email(email)) is not None:
        raise ConflictError("Un compte existe déjà pour cette adresse électronique.")
    if password is not None:
        passwords.check_rule(password, role=role, email=email)
    row = UserAccount(
        email=email,
        display_name=_display_name(display_name),
        role=role,
        organisation_id=organisation_id,
        password_hash=passwords.hash_password(password) if password is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def account(session: Session, email: str) -> UserAccount:
    row: UserAccount | None = session.scalar(queries.account_by_email(email))
    if row is None:
        raise InvalidInputError("Compte inconnu : aucun compte pour cette adresse électronique.")
    return row


def set_disabled(session: Session, email: str, *, disabled: bool) -> UserAccount:
    """Disable an account (its sessions end at once) or enable it again (unlocked)."""
    row = account(session, email)
    if disabled:
        row.disabled_at = row.disabled_at or _now()
        session.execute(queries.end_sessions_of(row.id))
    else:
        row.disabled_at = None
        row.failed_attempts = 0
        row.locked_until = None
    session.flush()
    return row


def reset_password(session: Session, email: str, password: str) -> UserAccount:
    """A new password: the account is unlocked and its sessions end."""
    row = account(session, email)
    passwords.check_rule(password, role=row.role, email=row.email)
    row.password_hash = passwords.hash_password(password)
    row.failed_attempts = 0
    row.locked_until = None
    session.execute(queries.end_sessions_of(row.id))
    session.flush()
    return row


def list_accounts(session: Session) -> list[tuple[UserAccount, str | None]]:
    return [(row, name) for row, name in session.execute(queries.accounts()).all()]


class UnknownEmails:
    """The failed logins of emails that have no account, counted like a real account's
    (``failed_attempts``, ``locked_until``) so that the lockout reveals nothing. In memory, at
    most ``size`` emails (the oldest forgotten first), by the SHA-256 of the lower-case email."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[int, dt.datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(email: str) -> str:
        return hashlib.sha256(email.strip().lower().encode()).hexdigest()

    def locked(self, email: str, now: dt.datetime) -> bool:
        with self._lock:
            _, until = self._entries.get(self._key(email), (0, None))
            return until is not None and until > now

    def fail(self, email: str, *, limit: int, lock_until: dt.datetime) -> bool:
        """Count a failure; whether it locks."""
        key = self._key(email)
        with self._lock:
            count, until = self._entries.pop(key, (0, None))
            count += 1
            locks = count >= limit
            self._entries[key] = (0, lock_until) if locks else (count, until)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return locks


def login(
    session: Session,
    email: str,
    password: str,
    *,
    settings: Settings,
    unknown: UnknownEmails,
    now: dt.datetime | None = None,
) -> UserAccount:
    """The account these credentials open (its failures reset, ``last_login_at`` set; not
    committed), else `AuthenticationError` (wrong), `RateLimitedError` (locked: too many
    failures) or `PermissionDeniedError` (disabled, told only to who knows the password).
    Failures are committed."""
    now = now or _now()
    lockout = dt.timedelta(minutes=settings.login_lockout_minutes)
    locked = RateLimitedError(
        locked_message(settings.login_lockout_minutes), int(lockout.total_seconds())
    )
    row: UserAccount | None = (
        session.scalar(queries.account_by_email(email)) if len(email) <= MAX_EMAIL else None
    )
    if row is None:
        passwords.verify(None, password)  # as long as for an account
        if unknown.locked(email, now):
            raise locked
        if unknown.fail(email, limit=settings.login_max_failures, lock_until=now + lockout):
            raise locked
        raise AuthenticationError(WRONG_CREDENTIALS)
    if row.locked_until is not None and row.locked_until > now:
        passwords.verify(row.password_hash, password)
        raise locked
    if not passwords.verify(row.password_hash, password):
        until = session.scalar(
            queries.record_failure(
                row.id, limit=settings.login_max_failures, lock_until=now + lockout
            )
        )
        session.commit()
        if until is not None and until > now:
            raise locked
        raise AuthenticationError(WRONG_CREDENTIALS)
    if row.disabled_at is not None:
        raise PermissionDeniedError(DISABLED)
    if row.password_hash is not None and passwords.needs_rehash(row.password_hash):
        row.password_hash = passwords.hash_password(password)
    row.failed_attempts = 0
    row.locked_until = None
    row.last_login_at = now
    return row


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A new session: ``cookie`` (the clear random id, set once in the browser) and its end."""

    cookie: str
    csrf_token: str
    expires_at: dt.datetime


def open_session(
    session: Session,
    user: UserAccount,
    *,
    method: str,
    settings: Settings,
    previous_cookie: str | None = None,
    now: dt.datetime | None = None,
) -> OpenedSession:
    """A new session for ``user`` — always a new random id (no session fixation): the session
    the browser held before, if any, ends. Committed."""
    now = now or _now()
    if previous_cookie:
        session.execute(queries.end_session(hash_key(previous_cookie)))
    session.execute(
        queries.purge_sessions(now, idle=dt.timedelta(minutes=settings.session_idle_minutes))
    )
    cookie = secrets.token_urlsafe(32)
    opened = OpenedSession(
        cookie=cookie,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + dt.timedelta(hours=settings.session_max_hours),
    )
    session.add(
        UserSession(
            id_hash=hash_key(cookie),
            user_id=user.id,
            csrf_token=opened.csrf_token,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=opened.expires_at,
        )
    )
    session.commit()
    return opened


def close_session(session: Session, cookie: str) -> None:
    """Logout: the session ends (committed)."""
    session.execute(queries.end_session(hash_key(cookie)))
    session.commit()
