"""Orientation counts along relations, by period, never a person.

``relation_flow``: for a relation and a period of one to twelve whole months, the orientations
sent, received and accepted (``NULL``: not declared), who declared them and how (``declared``
through the API, ``import`` from a CSV file). Periods of one relation never overlap: an
exclusion constraint on the date range, which needs ``btree_gist`` (a contrib extension of
PostgreSQL, trusted since 13) for the equality on the relation. Writes bump the store revision
like the other tables of the graph, so what is cached under a revision sees the new counts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # As in 0001: the embedded cluster and the docker image connect as a superuser; on a
    # managed database an administrator creates the extension beforehand.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "relation_flow",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("relation_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("accepted", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("declared_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "source IN ('declared', 'import')", name=op.f("ck_relation_flow_source_known")
        ),
        sa.CheckConstraint(
            "sent IS NOT NULL OR received IS NOT NULL OR accepted IS NOT NULL",
            name=op.f("ck_relation_flow_some_count"),
        ),
        sa.CheckConstraint(
            "coalesce(sent, 0) >= 0 AND coalesce(received, 0) >= 0 AND coalesce(accepted, 0) >= 0",
            name=op.f("ck_relation_flow_counts_positive"),
        ),
        sa.CheckConstraint(
            "accepted IS NULL OR received IS NULL OR accepted <= received",
            name=op.f("ck_relation_flow_accepted_within_received"),
        ),
        sa.CheckConstraint(
            "extract(day FROM period_start) = 1 AND period_end >= period_start "
            "AND period_end = (date_trunc('month', period_end) + interval '1 month' "
            "- interval '1 day')::date "
            "AND period_end < period_start + interval '12 months'",
            name=op.f("ck_relation_flow_whole_months"),
        ),
        sa.ForeignKeyConstraint(
            ["relation_id"],
            ["relation.id"],
            name=op.f("fk_relation_flow_relation_id_relation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["declared_by"],
            ["partner.id"],
            name=op.f("fk_relation_flow_declared_by_partner"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relation_flow")),
        sa.UniqueConstraint(
            "relation_id", "period_start", name=op.f("uq_relation_flow_relation_id_period_start")
        ),
        postgresql.ExcludeConstraint(
            ("relation_id", "="),
            (sa.text("daterange(period_start, period_end, '[]')"), "&&"),
            using="gist",
            name="relation_flow_periods_apart",
        ),
    )
    op.create_index("ix_relation_flow_period_end", "relation_flow", ["period_end"])
    op.execute(
        "CREATE TRIGGER relation_flow_bumps_revision AFTER INSERT OR UPDATE OR DELETE OR "
        "TRUNCATE ON relation_flow FOR EACH STATEMENT EXECUTE FUNCTION bump_store_revision()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS relation_flow_bumps_revision ON relation_flow")
    op.drop_index("ix_relation_flow_period_end", table_name="relation_flow")
    op.drop_table("relation_flow")
    # btree_gist stays: other objects of the database may use it
