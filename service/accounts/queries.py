"""The SQL of accounts: people, their sessions, OpenID Connect logins under way."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Delete, Update, case, delete, func, select, update

from service.db import AnySelect
from service.tables import OidcLogin, Partner, UserAccount, UserSession


def account_by_email(email: str) -> AnySelect:
    """The account of this email, whatever its case (``lower(email)`` is uniquely indexed)."""
    return select(UserAccount).where(func.lower(UserAccount.email) == email.strip().lower())


def account_by_subject(subject: str) -> AnySelect:
    """The account bound to this OpenID Connect subject (``issuer|sub``)."""
    return select(UserAccount).where(UserAccount.oidc_subject == subject)


def accounts() -> AnySelect:
    """Every account, by email, with the name of its organisation (``None`` without one)."""
    return (
        select(UserAccount, Partner.name.label("organisation_name"))
        .outerjoin(Partner, Partner.id == UserAccount.organisation_id)
        .order_by(func.lower(UserAccount.email))
    )


def organisation_by_siret(siret: str) -> AnySelect:
    """The open partners of this SIRET, the oldest first (one organisation is taken)."""
    return (
        select(Partner)
        .where(Partner.siret == siret, Partner.status == "open")
        .order_by(Partner.created_at, Partner.id)
        .limit(1)
    )


def end_sessions_of(user_id: uuid.UUID) -> Delete:
    """End every session of an account (disabled, password reset)."""
    return delete(UserSession).where(UserSession.user_id == user_id)


def end_session(id_hash: str) -> Delete:
    return delete(UserSession).where(UserSession.id_hash == id_hash)


def purge_sessions(now: dt.datetime, *, idle: dt.timedelta) -> Delete:
    """Delete the sessions that have ended (past their end, or idle for longer than ``idle``)."""
    return delete(UserSession).where(
        (UserSession.expires_at <= now) | (UserSession.last_seen_at <= now - idle)
    )


def record_failure(user_id: uuid.UUID, *, limit: int, lock_until: dt.datetime) -> Update:
    """Count a failed login; the ``limit``-th locks the account until ``lock_until`` and starts
    the count again (one atomic statement: two concurrent failures both count). Returns the
    account's ``locked_until``."""
    count = UserAccount.failed_attempts + 1
    locks = count >= limit
    return (
        update(UserAccount)
        .where(UserAccount.id == user_id)
        .values(
            failed_attempts=case((locks, 0), else_=count),
            locked_until=case((locks, lock_until), else_=UserAccount.locked_until),
        )
        .returning(UserAccount.locked_until)
    )


def oidc_login(id_hash: str) -> AnySelect:
    return select(OidcLogin).where(OidcLogin.id_hash == id_hash)


def end_oidc_login(id_hash: str) -> Delete:
    return delete(OidcLogin).where(OidcLogin.id_hash == id_hash)


def purge_oidc_logins(before: dt.datetime) -> Delete:
    return delete(OidcLogin).where(OidcLogin.created_at < before)
