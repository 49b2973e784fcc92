"""People's accounts, their sessions and OpenID Connect logins under way.

``user_account``: a person who logs in to the pages, with a role and an organisation like an
API key, an argon2id password hash, the failed attempts and lockout; ``email`` unique whatever
its case. ``user_session``: server-side sessions (the cookie's random id, stored as its
SHA-256 digest) with their CSRF token and their expiry. ``oidc_login``: the state, nonce and
PKCE verifier of a ProConnect login between the redirection and the return.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("organisation_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("oidc_subject", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'editor', 'platform', 'viewer')",
            name=op.f("ck_user_account_role_known"),
        ),
        sa.CheckConstraint(
            "role <> 'editor' OR organisation_id IS NOT NULL",
            name=op.f("ck_user_account_editor_has_organisation"),
        ),
        sa.CheckConstraint(
            "failed_attempts >= 0", name=op.f("ck_user_account_failed_attempts_positive")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["partner.id"],
            name=op.f("fk_user_account_organisation_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("oidc_subject", name=op.f("uq_user_account_oidc_subject")),
    )
    op.create_index(
        "ix_user_account_email_lower", "user_account", [sa.text("lower(email)")], unique=True
    )
    op.create_index(
        "ix_user_account_organisation_id",
        "user_account",
        ["organisation_id"],
        postgresql_where=sa.text("organisation_id IS NOT NULL"),
    )
    op.create_table(
        "user_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('password', 'oidc')", name=op.f("ck_user_session_method_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"])
    op.create_index(op.f("ix_user_session_expires_at"), "user_session", ["expires_at"])
    op.create_table(
        "oidc_login",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next_path", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_oidc_login")),
    )
    op.create_index(op.f("ix_oidc_login_created_at"), "oidc_login", ["created_at"])


def downgrade() -> None:
    op.drop_table("oidc_login")
    op.drop_table("user_session")
    op.drop_table("user_account")
