"""Initial schema: partners, opportunities, relations, communes, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The embedded cluster and the docker image connect as a superuser; on a managed database
    # an administrator creates these extensions beforehand and the IF NOT EXISTS keeps quiet.
    for extension in ("postgis", "pg_trgm", "unaccent"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_table(
        "commune",
        sa.Column("code_insee", sa.String(length=5), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("epci", sa.String(length=9), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "town_hall",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint("population >= 0", name=op.f("ck_commune_population_positive")),
        sa.PrimaryKeyConstraint("code_insee", name=op.f("pk_commune")),
    )
    op.create_index(op.f("ix_commune_departement"), "commune", ["departement"], unique=False)
    op.create_index("ix_commune_geom", "commune", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "partner",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("code_insee", sa.String(length=5), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("available_places", sa.Integer(), nullable=True),
        sa.Column("opening_hours", sa.Text(), nullable=True),
        sa.Column(
            "publics", postgresql.ARRAY(sa.String(length=100)), server_default="{}", nullable=False
        ),
        sa.Column(
            "thematiques",
            postgresql.ARRAY(sa.String(length=100)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "eligibility",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "contact", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("organisation_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "available_places IS NULL OR (available_places >= 0 AND "
            "(capacity IS NULL OR available_places <= capacity))",
            name=op.f("ck_partner_available_places_within_capacity"),
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_partner_capacity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["partner.id"],
            name=op.f("fk_partner_organisation_id_partner"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_partner_source_source_id")),
    )
    op.create_index(op.f("ix_partner_code_insee"), "partner", ["code_insee"], unique=False)
    op.create_index(op.f("ix_partner_family"), "partner", ["family"], unique=False)
    op.create_index(
        "ix_partner_geog",
        "partner",
        [sa.literal_column("(geom::geography)")],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index("ix_partner_geom", "partner", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_partner_kind"), "partner", ["kind"], unique=False)
    op.create_index(
        op.f("ix_partner_organisation_id"), "partner", ["organisation_id"], unique=False
    )
    op.create_index(
        "ix_partner_publics", "partner", ["publics"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_partner_siret"), "partner", ["siret"], unique=False)
    op.create_index(
        "ix_partner_thematiques", "partner", ["thematiques"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role <> 'editor' OR organisation_id IS NOT NULL",
            name=op.f("ck_api_key_editor_has_organisation"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'editor', 'platform', 'viewer')", name=op.f("ck_api_key_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["partner.id"],
            name=op.f("fk_api_key_organisation_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_table(
        "opportunity",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("partner_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("contract", sa.String(length=32), nullable=True),
        sa.Column("rome_code", sa.String(length=5), nullable=True),
        sa.Column("hours_min", sa.Float(), nullable=True),
        sa.Column("hours_max", sa.Float(), nullable=True),
        sa.Column("schedule", sa.Text(), nullable=True),
        sa.Column("atypical_hours", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column(
            "requirements",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('emploi', 'immersion', 'formation', 'benevolat', 'programme')",
            name=op.f("ck_opportunity_kind_known"),
        ),
        sa.CheckConstraint(
            "hours_min IS NULL OR hours_max IS NULL OR hours_min <= hours_max",
            name=op.f("ck_opportunity_hours_ordered"),
        ),
        sa.CheckConstraint(
            "places IS NULL OR places >= 0", name=op.f("ck_opportunity_places_positive")
        ),
        sa.CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on",
            name=op.f("ck_opportunity_dates_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_opportunity_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
        sa.UniqueConstraint(
            "partner_id", "source_id", name=op.f("uq_opportunity_partner_id_source_id")
        ),
    )
    op.create_index(op.f("ix_opportunity_kind"), "opportunity", ["kind"], unique=False)
    op.create_index(op.f("ix_opportunity_partner_id"), "opportunity", ["partner_id"], unique=False)
    op.create_index(op.f("ix_opportunity_rome_code"), "opportunity", ["rome_code"], unique=False)
    op.create_table(
        "relation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source_partner_id", sa.UUID(), nullable=False),
        sa.Column("target_partner_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('oriente-vers', 'prescrit', 'convention', 'membre', 'recrute', "
            "'referent-employeur', 'finance')",
            name=op.f("ck_relation_kind_known"),
        ),
        sa.CheckConstraint(
            "since IS NULL OR until IS NULL OR since <= until",
            name=op.f("ck_relation_dates_ordered"),
        ),
        sa.CheckConstraint(
            "source_partner_id <> target_partner_id", name=op.f("ck_relation_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["source_partner_id"],
            ["partner.id"],
            name=op.f("fk_relation_source_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_partner_id"],
            ["partner.id"],
            name=op.f("fk_relation_target_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relation")),
        sa.UniqueConstraint(
            "source_partner_id",
            "target_partner_id",
            "kind",
            name=op.f("uq_relation_source_partner_id_target_partner_id_kind"),
        ),
    )
    op.create_index(
        op.f("ix_relation_source_partner_id"), "relation", ["source_partner_id"], unique=False
    )
    op.create_index(
        op.f("ix_relation_target_partner_id"), "relation", ["target_partner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_relation_target_partner_id"), table_name="relation")
    op.drop_index(op.f("ix_relation_source_partner_id"), table_name="relation")
    op.drop_table("relation")
    op.drop_index(op.f("ix_opportunity_rome_code"), table_name="opportunity")
    op.drop_index(op.f("ix_opportunity_partner_id"), table_name="opportunity")
    op.drop_index(op.f("ix_opportunity_kind"), table_name="opportunity")
    op.drop_table("opportunity")
    op.drop_table("api_key")
    op.drop_index("ix_partner_thematiques", table_name="partner", postgresql_using="gin")
    op.drop_index(op.f("ix_partner_siret"), table_name="partner")
    op.drop_index("ix_partner_publics", table_name="partner", postgresql_using="gin")
    op.drop_index(op.f("ix_partner_organisation_id"), table_name="partner")
    op.drop_index(op.f("ix_partner_kind"), table_name="partner")
    op.drop_index("ix_partner_geom", table_name="partner", postgresql_using="gist")
    op.drop_index("ix_partner_geog", table_name="partner", postgresql_using="gist")
    op.drop_index(op.f("ix_partner_family"), table_name="partner")
    op.drop_index(op.f("ix_partner_code_insee"), table_name="partner")
    op.drop_table("partner")
    op.drop_index("ix_commune_geom", table_name="commune", postgresql_using="gist")
    op.drop_index(op.f("ix_commune_departement"), table_name="commune")
    op.drop_table("commune")
