"""The PostGIS store: partners and their provenances, opportunities, relations and their
orientation counts, communes, API keys, people's accounts and their sessions.

Geometries are stored in EPSG:4326 (lon/lat degrees). Distances are computed on the
``geography`` cast, in metres; a functional GiST index on ``geom::geography`` serves
``ST_DWithin`` and nearest-neighbour (``<->``) searches on it. Partners have no other spatial
index (migration 0006): every write would pay for it and no query uses it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base

ROLES = ("admin", "editor", "platform", "viewer")

PARTNER_SEARCH = (
    "setweight(to_tsvector('maillage_fr'::regconfig, coalesce(name, '') || ' ' || "
    "maillage_join(aliases)), 'A') || "
    "setweight(to_tsvector('maillage_fr'::regconfig, coalesce(address, '')), 'C')"
)
"""The partner's search document (migration 0008): name and aliases weigh A, the address C."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )


class Partner(Timestamped, Base):
    __tablename__ = "partner"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    family: Mapped[str] = mapped_column(String(64))  # 12 values: an index would not pay
    siret: Mapped[str | None] = mapped_column(String(14))
    address: Mapped[str | None] = mapped_column(Text)
    code_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False), nullable=False
    )
    capacity: Mapped[int | None] = mapped_column(Integer)
    available_places: Mapped[int | None] = mapped_column(Integer)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    publics: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    thematiques: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    # other names the sources give it (a directory's, when a register's name won: graph.dedup)
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}", default=list)
    # French text search document, kept by PostgreSQL (migration 0008); never loaded by default
    search: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(PARTNER_SEARCH, persisted=True), deferred=True
    )
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    contact: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="SET NULL")
    )
    # "closed": every source that listed the partner has dropped it (see service.imports.sources)
    status: Mapped[str] = mapped_column(String(16), server_default="open", default="open")
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    opportunities: Mapped[list[Opportunity]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", passive_deletes=True
    )
    provenances: Mapped[list[Provenance]] = relationship(
        back_populates="partner",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="[Provenance.source, Provenance.source_id]",
    )

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at_when_closed"
        ),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
        CheckConstraint(
            "available_places IS NULL OR (available_places >= 0 AND "
            "(capacity IS NULL OR available_places <= capacity))",
            name="available_places_within_capacity",
        ),
        Index("ix_partner_search", "search", postgresql_using="gin"),
        Index(
            "ix_partner_geog",
            text("(geom::geography)"),
            postgresql_using="gist",
        ),
        # partial indexes: looked up by value only, NULL for most partners (cheaper writes)
        Index("ix_partner_closed", "id", postgresql_where=text("status = 'closed'")),
        Index("ix_partner_siret", "siret", postgresql_where=text("siret IS NOT NULL")),
        Index(
            "ix_partner_organisation_id",
            "organisation_id",
            postgresql_where=text("organisation_id IS NOT NULL"),
        ),
        Index("ix_partner_thematiques", "thematiques", postgresql_using="gin"),
        Index("ix_partner_publics", "publics", postgresql_using="gin"),
    )


class Provenance(Base):
    """One source's record of a partner: a partner listed by FINESS and by DORA has two.

    ``(source, source_id)`` is unique: a source's record belongs to one partner. The partner's
    own ``source``/``source_id`` name its canonical provenance, one of these rows.

    ``feed`` names the ``maillage import`` command that last brought the record
    (``finess``, ``data-inclusion``...; ``NULL`` for GeoJSON imports and API edits): a re-import
    of that feed sets ``gone_at`` on the records it no longer lists. ``record`` is the record
    as the source gave it (partner fields, ``geocoding``, ``opportunities``, ``extra``), kept
    to merge the sources of one partner and to tell whether the source changed; ``NULL`` when
    the partner row itself is the record (edited in maillage, GeoJSON).
    ``source_updated_on`` is the source's own date of last change (``date_maj``, ``maj``);
    ``seen_at`` the last import that listed the record.
    """

    __tablename__ = "provenance"

    # never shown; a sequence keeps bulk inserts cheap (no random UUID index pages)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(200))
    # no index: a re-import reads most of its feed's rows, a sequential scan is what it wants
    feed: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    source_updated_on: Mapped[dt.date | None] = mapped_column(Date)
    seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )
    gone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    partner: Mapped[Partner] = relationship(back_populates="provenances")

    __table_args__ = (UniqueConstraint("source", "source_id"),)


class Opportunity(Timestamped, Base):
    __tablename__ = "opportunity"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    contract: Mapped[str | None] = mapped_column(String(32))
    rome_code: Mapped[str | None] = mapped_column(String(5), index=True)
    hours_min: Mapped[float | None] = mapped_column(Float)
    hours_max: Mapped[float | None] = mapped_column(Float)
    schedule: Mapped[str | None] = mapped_column(Text)
    atypical_hours: Mapped[bool] = mapped_column(server_default=text("false"), default=False)
    places: Mapped[int | None] = mapped_column(Integer)
    requirements: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    description: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    source_id: Mapped[str | None] = mapped_column(String(200))

    partner: Mapped[Partner] = relationship(back_populates="opportunities")

    __table_args__ = (
        UniqueConstraint("partner_id", "source_id"),
        CheckConstraint(
            "kind IN ('emploi', 'immersion', 'formation', 'benevolat', 'programme')",
            name="kind_known",
        ),
        CheckConstraint("places IS NULL OR places >= 0", name="places_positive"),
        CheckConstraint(
            "hours_min IS NULL OR hours_max IS NULL OR hours_min <= hours_max",
            name="hours_ordered",
        ),
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name="dates_ordered"
        ),
    )


class Relation(Timestamped, Base):
    __tablename__ = "relation"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    source_partner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    target_partner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    since: Mapped[dt.date | None] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source_partner_id", "target_partner_id", "kind"),
        CheckConstraint("source_partner_id <> target_partner_id", name="not_self"),
        CheckConstraint(
            "kind IN ('oriente-vers', 'prescrit', 'convention', 'membre', 'recrute', "
            "'referent-employeur', 'finance')",
            name="kind_known",
        ),
        CheckConstraint("since IS NULL OR until IS NULL OR since <= until", name="dates_ordered"),
    )


class RelationFlow(Timestamped, Base):
    """Orientation counts along a relation over one period of whole months (migration 0011):
    sent, received, accepted — numbers of orientations, never a person (`graph.flows`).

    ``NULL`` counts are undeclared, not zero. Periods of one relation never overlap (an
    exclusion constraint on the date range, ``btree_gist``), so summing them never counts an
    orientation twice. ``source``: ``declared`` through the API, ``import`` from a CSV file;
    ``declared_by``: the organisation whose editor wrote last (``NULL``: an administrator).
    Rows whose period ended before the retention (``MAILLAGE_FLOW_RETENTION_MONTHS``) are
    purged on every write and by ``maillage network purge-flows``.
    """

    __tablename__ = "relation_flow"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    relation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("relation.id", ondelete="CASCADE")
    )
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date, index=True)
    sent: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int | None] = mapped_column(Integer)
    accepted: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    declared_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="SET NULL")
    )

    __table_args__ = (
        UniqueConstraint("relation_id", "period_start"),
        ExcludeConstraint(
            ("relation_id", "="),
            (text("daterange(period_start, period_end, '[]')"), "&&"),
            using="gist",
            name="relation_flow_periods_apart",
        ),
        CheckConstraint("source IN ('declared', 'import')", name="source_known"),
        CheckConstraint(
            "sent IS NOT NULL OR received IS NOT NULL OR accepted IS NOT NULL",
            name="some_count",
        ),
        CheckConstraint(
            "coalesce(sent, 0) >= 0 AND coalesce(received, 0) >= 0 AND coalesce(accepted, 0) >= 0",
            name="counts_positive",
        ),
        CheckConstraint(
            "accepted IS NULL OR received IS NULL OR accepted <= received",
            name="accepted_within_received",
        ),
        CheckConstraint(
            "extract(day FROM period_start) = 1 AND period_end >= period_start "
            "AND period_end = (date_trunc('month', period_end) + interval '1 month' "
            "- interval '1 day')::date "
            "AND period_end < period_start + interval '12 months'",
            name="whole_months",
        ),
    )


class Commune(Base):
    __tablename__ = "commune"

    code_insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    departement: Mapped[str] = mapped_column(String(3), index=True)
    population: Mapped[int] = mapped_column(Integer)
    epci: Mapped[str | None] = mapped_column(String(9))
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    town_hall: Mapped[Any | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    town_hall_address: Mapped[str | None] = mapped_column(Text)  # the geocoder's (0008)

    __table_args__ = (
        Index("ix_commune_geom", "geom", postgresql_using="gist"),
        Index(
            "ix_commune_name_search",
            text("to_tsvector('maillage_fr'::regconfig, name)"),
            postgresql_using="gin",
        ),
        CheckConstraint("population >= 0", name="population_positive"),
    )


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'editor', 'platform', 'viewer')", name="role_known"),
        CheckConstraint(
            "role <> 'editor' OR organisation_id IS NOT NULL", name="editor_has_organisation"
        ),
    )


class UserAccount(Base):
    """A person who logs in to the pages (migration 0008): a counsellor, an official.

    Like an API key, an account has a role and, for an editor, an organisation (a partner).
    ``email`` is unique whatever its case (a unique index on ``lower(email)``). The password is
    kept as an argon2id hash only (``None``: the account logs in through OpenID Connect only).
    ``failed_attempts`` counts the failed logins since the last success; past
    ``Settings.login_max_failures`` the account is locked until ``locked_until``.
    """

    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("partner.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failed_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    oidc_subject: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_user_account_email_lower", text("lower(email)"), unique=True),
        Index(
            "ix_user_account_organisation_id",
            "organisation_id",
            postgresql_where=text("organisation_id IS NOT NULL"),
        ),
        CheckConstraint("role IN ('admin', 'editor', 'platform', 'viewer')", name="role_known"),
        CheckConstraint(
            "role <> 'editor' OR organisation_id IS NOT NULL", name="editor_has_organisation"
        ),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_positive"),
    )


class UserSession(Base):
    """A person's login (server-side session): the cookie holds an opaque random id, only its
    SHA-256 digest is stored. It ends at ``expires_at`` (absolute), or when ``last_seen_at``
    is older than the idle limit, or when the row is deleted (logout, account disabled)."""

    __tablename__ = "user_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (CheckConstraint("method IN ('password', 'oidc')", name="method_known"),)


class OidcLogin(Base):
    """An OpenID Connect login under way: the browser holds an opaque random id in a cookie
    (its SHA-256 digest is the key), the row keeps what the callback checks — ``state``,
    ``nonce`` and the PKCE ``code_verifier`` — for a few minutes."""

    __tablename__ = "oidc_login"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now, index=True
    )


class Network(Base):
    """A travel network built with ``maillage network build`` and registered for a territory.

    The arrays live on disk (``path``, absolute or relative to ``MAILLAGE_HOME``); the row says
    which mode it serves and where (``bbox``, EPSG:4326), so a search knows which one to use.
    """

    __tablename__ = "network"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    node_count: Mapped[int] = mapped_column(Integer)
    bbox: Mapped[Any] = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=False))
    built_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )

    __table_args__ = (
        UniqueConstraint("name", "mode"),
        CheckConstraint("mode IN ('walk', 'bike', 'car', 'transit')", name="mode_known"),
        Index("ix_network_bbox", "bbox", postgresql_using="gist"),
    )


class StoreRevision(Base):
    """One row counting writes to the store, bumped by triggers (migration 0003).

    In-memory snapshots (matching, coverage) compare it to the revision they were built at
    and rebuild when the store has changed — whoever wrote: the API, an import, psql.
    """

    __tablename__ = "store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    changed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# --- demand layers (coverage) ----------------------------------------------------------------


class DemandLayer(Base):
    """A numeric layer per zone that coverage can weigh demand by (migration 0005).

    Loaded with ``maillage import demand`` (job seekers, RSA, children under 3...),
    ``maillage import filosofi`` (``filosofi``: INSEE ``ind`` per grid cell) or
    ``maillage import qpv`` (``qpv``: people living in a QPV, per commune). ``zone_kind`` says
    what ``demand_value.zone_id`` holds: a code INSEE (``commune``) or an INSPIRE cell id
    (``grid1km``, ``grid200m``).
    """

    __tablename__ = "demand_layer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    zone_kind: Mapped[str] = mapped_column(String(16))
    loaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )

    __table_args__ = (
        CheckConstraint("zone_kind IN ('commune', 'grid1km', 'grid200m')", name="zone_kind_known"),
    )


class DemandValue(Base):
    """One zone's value in a demand layer (persons, or the layer's unit)."""

    __tablename__ = "demand_value"

    layer_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("demand_layer.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[float] = mapped_column(Float)  # double precision

    __table_args__ = (CheckConstraint("value >= 0", name="value_positive"),)


# --- reference repertoires (migration 0008) --------------------------------------------------


class ReferenceRelease(Base):
    """Which release of a national repertoire is loaded (``rome``), with its credit line."""

    __tablename__ = "reference_release"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    credit: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_now
    )


class RomeTitle(Base):
    """A ROME 4.0 job title (`geodata.sources.rome.JobTitle`), loaded by ``maillage reference
    load-rome``. ``search`` holds the words of its labels and codes (`geodata.words`); its
    trigram index serves ``search LIKE '% word%'``."""

    __tablename__ = "rome_title"

    code_ogr: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(Text)
    label_short: Mapped[str] = mapped_column(Text)
    code_rome: Mapped[str] = mapped_column(String(5))
    code_fiche: Mapped[str] = mapped_column(String(5))
    rome_label: Mapped[str] = mapped_column(Text)
    principal: Mapped[bool] = mapped_column(Boolean)
    rare: Mapped[bool] = mapped_column(Boolean)
    search: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_rome_title_search",
            "search",
            postgresql_using="gin",
            postgresql_ops={"search": "gin_trgm_ops"},
        ),
    )
