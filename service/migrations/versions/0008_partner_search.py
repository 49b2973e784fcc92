"""French text search on partners: aliases, a stored search document and its GIN index.

``maillage_fr`` is PostgreSQL's ``french`` configuration with ``unaccent`` before the French
stemmer, so « Alès », « ALES » and « alès » are one lexeme and « crèches » finds « Crèche ».
``partner.search`` is generated from the name and aliases (weight A) and the address (weight C):
PostgreSQL keeps it up to date on every insert and update, bulk imports (COPY) included, and the
GIN index answers word-prefix queries (``'ale':*``) without reading the table. The commune names
get the same treatment, so a word of a query can name a commune. ``partner.aliases`` holds the
other names of a partner (a service directory's name when an official one won, an acronym).

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

# as in service.tables.PARTNER_SEARCH at this revision (a migration does not import the models)
SEARCH = (
    "setweight(to_tsvector('maillage_fr'::regconfig, coalesce(name, '') || ' ' || "
    "maillage_join(aliases)), 'A') || "
    "setweight(to_tsvector('maillage_fr'::regconfig, coalesce(address, '')), 'C')"
)


def upgrade() -> None:
    op.execute("CREATE TEXT SEARCH CONFIGURATION maillage_fr (COPY = french)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION maillage_fr "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
    )
    # array_to_string is only STABLE; for text[] it is immutable, which a generated column needs
    op.execute(
        "CREATE FUNCTION maillage_join(text[]) RETURNS text LANGUAGE sql IMMUTABLE "
        "PARALLEL SAFE AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$"
    )
    op.add_column(
        "partner",
        sa.Column("aliases", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "partner",
        sa.Column("search", postgresql.TSVECTOR(), sa.Computed(SEARCH, persisted=True)),
    )
    op.create_index("ix_partner_search", "partner", ["search"], postgresql_using="gin")
    op.execute(
        "CREATE INDEX ix_commune_name_search ON commune "
        "USING gin (to_tsvector('maillage_fr'::regconfig, name))"
    )


def downgrade() -> None:
    op.drop_index("ix_commune_name_search", table_name="commune")
    op.drop_index("ix_partner_search", table_name="partner")
    op.drop_column("partner", "search")
    op.drop_column("partner", "aliases")
    op.execute("DROP FUNCTION maillage_join(text[])")
    op.execute("DROP TEXT SEARCH CONFIGURATION maillage_fr")
