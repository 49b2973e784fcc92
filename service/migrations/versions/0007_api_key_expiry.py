"""API keys may expire, and their last use is kept.

``expires_at`` (``NULL``: never) is checked by `service.auth.authenticate`: an expired key is
refused with 401 like a revoked one. ``last_used_at`` is written by the same function at most
once a minute per key (a busy key costs one small ``UPDATE`` a minute, not one per request);
``maillage apikey list`` shows both.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_key", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_key", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("api_key", "last_used_at")
    op.drop_column("api_key", "expires_at")
