"""Store revision: a counter bumped by every write to partners, opportunities, relations and
communes, so in-memory snapshots know when to rebuild.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("partner", "opportunity", "relation", "commune")


def upgrade() -> None:
    op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_store_revision_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_revision")),
    )
    op.execute("INSERT INTO store_revision (id, revision) VALUES (1, 0)")
    op.execute(
        """
        CREATE FUNCTION bump_store_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE store_revision SET revision = revision + 1, changed_at = now() WHERE id = 1;
            RETURN NULL;
        END;
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bumps_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_store_revision()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_revision ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_store_revision()")
    op.drop_table("store_revision")
