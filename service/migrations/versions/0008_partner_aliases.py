"""A partner's other names: when a service directory (data·inclusion) and an official register
(FINESS, Les emplois) describe one structure, the register's name is the partner's and the
directory's is kept in ``partner.aliases`` (`graph.dedup.Cluster.aliases`), which the text
search of ``GET /v1/partners?q=`` also reads.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "partner",
        sa.Column("aliases", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("partner", "aliases")
