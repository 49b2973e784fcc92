"""Demand layers for coverage: numbers per zone (commune or INSPIRE grid cell).

- ``demand_layer``: one row per layer (``name`` unique: ``filosofi``, ``qpv``, ``demandeurs``...),
  with a French label, a unit, where it comes from and what its zones are (``commune``,
  ``grid1km``, ``grid200m``);
- ``demand_value``: the value of each zone of a layer (``zone_id``: code INSEE or INSPIRE id),
  deleted with its layer.

Both bump the store revision (the trigger function of migration 0003), so cached coverage
results are recomputed after an import.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("demand_layer", "demand_value")


def upgrade() -> None:
    op.create_table(
        "demand_layer",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("zone_kind", sa.String(length=16), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "zone_kind IN ('commune', 'grid1km', 'grid200m')",
            name=op.f("ck_demand_layer_zone_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_demand_layer_name")),
    )
    op.create_table(
        "demand_value",
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_demand_value_value_positive")),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["demand_layer.id"],
            name=op.f("fk_demand_value_layer_id_demand_layer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("layer_id", "zone_id", name=op.f("pk_demand_value")),
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bumps_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_store_revision()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_revision ON {table}")
    op.drop_table("demand_value")
    op.drop_table("demand_layer")
