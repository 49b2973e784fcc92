"""National runs loaded for the API: ``national_zone``, ``national_gap`` and
``national_departement``.

``maillage national load DIR`` copies the GeoParquet of ``maillage national coverage`` here:
one row per département × mode × category × budget × zone (indicators), and per ranked gap,
with the run's id, whether the shard's mode had a registered network (``real``) and the
zone's polygon (EPSG:4326). ``/v1/coverage`` and ``/v1/gaps`` serve them with
``departements=``; ``national_departement`` holds each département's summary (share of the
demand within the budget) and outline, for a map of France. No store-revision trigger: the
snapshot never reads them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("max_minutes", sa.Float(), nullable=False),
        sa.Column("real", sa.Boolean(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("zone_name", sa.Text(), nullable=False),
        sa.Column("nearest_site_id", sa.Text(), nullable=True),
        sa.Column("nearest_site_name", sa.Text(), nullable=True),
        sa.Column("nearest_minutes", sa.Float(), nullable=True),
        sa.Column("e2sfca", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            Geometry("GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "national_zone",
        *_common(),
        sa.Column("demand", sa.Float(), nullable=False),
        sa.Column("reachable_sites", sa.Integer(), nullable=False),
        sa.Column("reachable_supply", sa.Float(), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("two_sfca", sa.Float(), nullable=False),
        sa.Column("gap", sa.Text(), nullable=True),
        sa.Column("gap_severity", sa.Float(), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_zone")),
    )
    op.create_index(
        "ix_national_zone_shard",
        "national_zone",
        ["departement", "mode", "category", "max_minutes"],
    )
    op.create_table(
        "national_gap",
        *_common(),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("severity", sa.Float(), nullable=False),
        sa.Column("people_affected", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_gap")),
    )
    op.create_index(
        "ix_national_gap_shard",
        "national_gap",
        ["departement", "mode", "category", "max_minutes"],
    )

    op.create_table(
        "national_departement",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("max_minutes", sa.Float(), nullable=False),
        sa.Column("real", sa.Boolean(), nullable=False),
        sa.Column("zones", sa.Integer(), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("demand_total", sa.Float(), nullable=False),
        sa.Column("demand_within", sa.Float(), nullable=False),
        sa.Column("share_within", sa.Float(), nullable=True),
        sa.Column("median_e2sfca", sa.Float(), nullable=True),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.Column("estimated_share", sa.Float(), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_departement")),
    )
    op.create_index(
        "ix_national_departement_shard",
        "national_departement",
        ["departement", "mode", "category", "max_minutes"],
    )


def downgrade() -> None:
    op.drop_index("ix_national_departement_shard", table_name="national_departement")
    op.drop_table("national_departement")
    op.drop_index("ix_national_gap_shard", table_name="national_gap")
    op.drop_table("national_gap")
    op.drop_index("ix_national_zone_shard", table_name="national_zone")
    op.drop_table("national_zone")
