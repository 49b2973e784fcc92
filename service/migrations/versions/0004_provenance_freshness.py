"""Provenances and freshness: one partner may come from several sources; a partner dropped by
every source that listed it is closed, not deleted.

- ``provenance``: one row per (source, source_id) record of a partner, with the import feed
  that brought it, the record as the source gave it, the source's own date of last change
  (``source_updated_on``), when an import last listed it (``seen_at``) and when a re-import of
  its feed stopped listing it (``gone_at``). Every existing partner gets the row of its own
  ``(source, source_id)`` (``source_id`` falls back to the partner id when empty).
- ``partner.status`` (``open`` | ``closed``) and ``partner.closed_at``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "partner",
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
    )
    op.add_column("partner", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_partner_status_known"), "partner", "status IN ('open', 'closed')"
    )
    op.create_check_constraint(
        op.f("ck_partner_closed_at_when_closed"),
        "partner",
        "(status = 'closed') = (closed_at IS NOT NULL)",
    )
    op.create_table(
        "provenance",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("partner_id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("feed", sa.String(length=64), nullable=True),
        sa.Column("record", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("source_updated_on", sa.Date(), nullable=True),
        sa.Column(
            "seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_provenance_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_provenance_source_source_id")),
    )
    op.create_index(op.f("ix_provenance_partner_id"), "provenance", ["partner_id"], unique=False)
    op.execute(
        """
        INSERT INTO provenance (partner_id, source, source_id, seen_at)
        SELECT id, source, coalesce(source_id, id::text), updated_at FROM partner
        """
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_provenance_partner_id"), table_name="provenance")
    op.drop_table("provenance")
    op.drop_constraint(op.f("ck_partner_closed_at_when_closed"), "partner", type_="check")
    op.drop_constraint(op.f("ck_partner_status_known"), "partner", type_="check")
    op.drop_column("partner", "closed_at")
    op.drop_column("partner", "status")
