"""What is said about an account (``maillage user list --json``): never its password hash."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel

from service.tables import UserAccount


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    disabled: bool
    locked_until: dt.datetime | None
    has_password: bool
    oidc_bound: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None

    @classmethod
    def of(cls, row: UserAccount, organisation_name: str | None) -> AccountOut:
        return cls(
            id=row.id,
            email=row.email,
            display_name=row.display_name,
            role=row.role,
            organisation_id=row.organisation_id,
            organisation_name=organisation_name,
            disabled=row.disabled_at is not None,
            locked_until=row.locked_until,
            has_password=row.password_hash is not None,
            oidc_bound=row.oidc_subject is not None,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
        )
