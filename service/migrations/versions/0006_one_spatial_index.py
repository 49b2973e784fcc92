"""Cheaper partner writes: one spatial index, closed partners indexed apart.

Every distance query of maillage (radius search, deduplication, nearest SIAE) works on the
``geography`` cast, served by ``ix_partner_geog``; the plain GiST on ``geom`` served none of
them, and every partner written paid for both (about a third of the cost of a bulk insert).
The nearest-neighbour search (``<->``) moved to the geography too (true distances in metres
on the spheroid instead of degrees).

``ix_partner_closed`` (partial: closed partners only, a handful) lets an import find the
closed partners a source lists again without reading every partner. ``ix_partner_siret`` and
``ix_partner_organisation_id`` become partial too (``IS NOT NULL``): they are only searched
by value, and most partners have neither, so most writes no longer touch them.
``ix_partner_family`` goes: twelve values for the whole table, which a query never reads
through an index (``kind``, sixty values, keeps its own).

Provenance records leave out the fields without value (``exclude_none``: a third smaller,
a third less to copy and write per imported row); the stored ones are stripped the same way
(``jsonb_strip_nulls`` of the partner and of the opportunities, ``extra`` as it was), so
that re-importing an unchanged file still finds every record unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = ("siret", "organisation_id")


def upgrade() -> None:
    op.drop_index("ix_partner_geom", table_name="partner", postgresql_using="gist")
    op.drop_index("ix_partner_family", table_name="partner")
    for column in PARTIAL:
        op.drop_index(f"ix_partner_{column}", table_name="partner")
        op.create_index(
            f"ix_partner_{column}",
            "partner",
            [column],
            unique=False,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.create_index(
        "ix_partner_closed",
        "partner",
        ["id"],
        unique=False,
        postgresql_where=sa.text("status = 'closed'"),
    )
    op.execute(
        """
        UPDATE provenance SET record = jsonb_set(
            jsonb_set(record, '{partner}', jsonb_strip_nulls(record -> 'partner')),
            '{opportunities}', jsonb_strip_nulls(record -> 'opportunities'))
        WHERE record ? 'partner' AND record ? 'opportunities'
        """
    )


def downgrade() -> None:
    # the records keep their stripped form: a field left out reads as null either way
    op.drop_index("ix_partner_closed", table_name="partner")
    for column in PARTIAL:
        op.drop_index(f"ix_partner_{column}", table_name="partner")
        op.create_index(f"ix_partner_{column}", "partner", [column], unique=False)
    op.create_index("ix_partner_family", "partner", ["family"], unique=False)
    op.create_index("ix_partner_geom", "partner", ["geom"], unique=False, postgresql_using="gist")
