"""The shared reads of the store: its revision, what a snapshot is built from, the networks,
the API keys, the orientation counts along relations.

Functions return composable ``Select`` objects (executed by their caller); points come out as
EPSG:4326 longitude and latitude in degrees.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    DateTime,
    Delete,
    Text,
    TextClause,
    Update,
    case,
    cast,
    delete,
    exists,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import Insert, insert

from service.db import AnySelect
from service.national_tables import NationalDepartement
from service.tables import (
    ApiKey,
    Commune,
    DemandLayer,
    DemandValue,
    Network,
    Opportunity,
    Partner,
    Provenance,
    Relation,
    RelationFlow,
    StoreRevision,
    UserAccount,
    UserSession,
)

DEMO_SOURCE = "demo"
"""The source of the fictitious demo partners."""


def revision() -> AnySelect:
    """The store revision: a counter a trigger bumps on every write to the stored tables."""
    return select(StoreRevision.revision).where(StoreRevision.id == 1)


def partner_versions() -> AnySelect:
    """(id as text, row version) of every open partner, by id.

    The version is the row's ``xmin``: any update gives the row a new one, so a snapshot
    re-reads only the partners whose version moved.
    """
    return (
        select(cast(Partner.id, Text), literal_column("partner.xmin::text::bigint"))
        .where(Partner.status == "open")
        .order_by(Partner.id)
    )


def open_partners(ids: Sequence[str] | None = None) -> AnySelect:
    """Every open partner (or those of ``ids``) as plain columns; closed structures propose
    nothing and support no one.

    Ids and JSON documents come as text: no UUID objects, and ``jsonb`` prints a document in
    one canonical form, so equal eligibilities are equal strings (validated once).
    """
    stmt = (
        select(
            cast(Partner.id, Text),
            Partner.name,
            Partner.kind,
            func.ST_X(Partner.geom),
            func.ST_Y(Partner.geom),
            Partner.thematiques,
            Partner.available_places,
            Partner.capacity,
            Partner.opening_hours,
            cast(Partner.eligibility, Text),
            cast(Partner.organisation_id, Text),
            Partner.address,
            Partner.contact["phone"].astext,
            Partner.contact["email"].astext,
            # an ESAT's activities are searched by the matcher; other descriptions stay in
            # the store (the snapshot keeps no text it does not use)
            case((Partner.kind == "esat", Partner.description), else_=None),
        )
        .where(Partner.status == "open")
        .order_by(Partner.id)
    )
    if ids is not None:
        stmt = stmt.where(Partner.id.in_([uuid.UUID(i) for i in ids]))
    return stmt


def opportunities(partner_ids: Sequence[str] | None = None) -> AnySelect:
    """Every opportunity (or those of the partners ``partner_ids``) as plain columns, ids and
    requirements as text (see `open_partners`)."""
    stmt = select(
        cast(Opportunity.id, Text).label("id"),
        Opportunity.title,
        Opportunity.kind,
        cast(Opportunity.partner_id, Text).label("partner_id"),
        Opportunity.contract,
        Opportunity.rome_code,
        Opportunity.hours_min,
        Opportunity.hours_max,
        Opportunity.schedule,
        Opportunity.atypical_hours,
        Opportunity.places,
        cast(Opportunity.requirements, Text).label("requirements"),
        Opportunity.starts_on,
        Opportunity.ends_on,
    ).order_by(Opportunity.id)
    if partner_ids is not None:
        stmt = stmt.where(Opportunity.partner_id.in_([uuid.UUID(i) for i in partner_ids]))
    return stmt


def relation_pairs() -> AnySelect:
    """Every relation as (source partner id, target partner id), as text."""
    return select(
        cast(Relation.source_partner_id, Text), cast(Relation.target_partner_id, Text)
    ).order_by(Relation.id)


def relation_flows(since: dt.date | None = None, until: dt.date | None = None) -> AnySelect:
    """The orientation counts of the periods lying within ``since`` – ``until`` (both
    included; ``None``: unbounded): relation id, source and target partner ids (text), the
    relation's kind, period start and end, sent, received, accepted (``NULL``: undeclared).
    A period that straddles a bound is left out, never cut: its counts are not spread."""
    stmt = select(
        cast(RelationFlow.relation_id, Text),
        cast(Relation.source_partner_id, Text),
        cast(Relation.target_partner_id, Text),
        Relation.kind,
        RelationFlow.period_start,
        RelationFlow.period_end,
        RelationFlow.sent,
        RelationFlow.received,
        RelationFlow.accepted,
    ).join(Relation, Relation.id == RelationFlow.relation_id)
    if since is not None:
        stmt = stmt.where(RelationFlow.period_start >= since)
    if until is not None:
        stmt = stmt.where(RelationFlow.period_end <= until)
    return stmt.order_by(RelationFlow.period_start, Relation.id)


FINGERPRINTED = ("partner", "opportunity", "relation", "commune", "demand_layer", "demand_value")
"""The tables a snapshot is read from, each with a fingerprint of its rows' versions."""


def table_fingerprints() -> TextClause:
    """(table, rows, sum and max of the rows' ``xmin``) for each table of `FINGERPRINTED`.

    Any insert, update or delete gives a row a new version (a new ``xmin``) or changes the
    count, so an unchanged fingerprint means an unchanged table: its part of the snapshot can
    be kept. Table names are constants of this module, never input.
    """
    parts = [
        f"SELECT '{table}' AS name, count(*) AS n, "  # noqa: S608 - constant table names
        f"coalesce(sum(xmin::text::bigint), 0) AS s, "
        f"coalesce(max(xmin::text::bigint), 0) AS m FROM {table}"
        for table in FINGERPRINTED
    ]
    return text(" UNION ALL ".join(parts))


def communes() -> AnySelect:
    """Communes with a boundary: code, name, population, WKB polygon, town hall (lon, lat).

    The town hall falls back to a point inside the commune when unknown.
    """
    town_hall = func.coalesce(Commune.town_hall, func.ST_PointOnSurface(Commune.geom))
    return (
        select(
            Commune.code_insee,
            Commune.name,
            Commune.population,
            func.ST_AsBinary(Commune.geom),
            func.ST_X(town_hall),
            func.ST_Y(town_hall),
        )
        .where(Commune.geom.is_not(None))
        .order_by(Commune.code_insee)
    )


def demand_layers() -> AnySelect:
    """Every stored demand layer, without its values."""
    return select(DemandLayer).order_by(DemandLayer.name)


def demand_values(layer_id: int) -> AnySelect:
    """Zone ids and values of one demand layer."""
    return select(DemandValue.zone_id, DemandValue.value).where(DemandValue.layer_id == layer_id)


def networks() -> AnySelect:
    """The registered travel networks, by name and mode."""
    return select(Network).order_by(Network.name, Network.mode)


def provenance_of(source: str, source_id: str) -> AnySelect:
    """The provenance row of one record of a source."""
    return select(Provenance).where(Provenance.source == source, Provenance.source_id == source_id)


def demo_present() -> AnySelect:
    """Whether the store holds the fictitious demo partners (a boolean)."""
    return select(exists().where(Partner.source == DEMO_SOURCE))


def national_choices() -> AnySelect:
    """The (mode, category, budget in minutes) a loaded national run answers, sorted: what
    the map of France on /carte may ask."""
    columns = (
        NationalDepartement.mode,
        NationalDepartement.category,
        NationalDepartement.max_minutes,
    )
    return select(*columns).distinct().order_by(*columns)


def register_network(values: dict[str, Any]) -> Insert:
    """Insert a network, or update the one of the same name and mode (``built_at`` now)."""
    stmt = insert(Network).values(**values)
    return stmt.on_conflict_do_update(
        constraint="uq_network_name_mode",
        set_={k: stmt.excluded[k] for k in values if k not in ("name", "mode")}
        | {"built_at": func.now()},
    )


def remove_network(name: str, mode: str) -> Delete:
    """Delete the network of this name and mode (its file stays on disk)."""
    return delete(Network).where(Network.name == name, Network.mode == mode)


def count_partners() -> AnySelect:
    """How many partners the store holds, open or closed."""
    return select(func.count(Partner.id))


def platform_organisation() -> AnySelect:
    """The organisation the demo's editor key belongs to: its employment platform, else any."""
    return (
        select(Partner).order_by((Partner.kind != "plateforme-emploi"), Partner.source_id).limit(1)
    )


def api_key_by_hash(key_hash: str) -> AnySelect:
    """The API key row whose SHA-256 digest (hex) is ``key_hash``, revoked or not."""
    return select(ApiKey).where(ApiKey.key_hash == key_hash)


def api_keys() -> AnySelect:
    """Every API key, oldest first, with the name of its organisation (``None`` without one)."""
    return (
        select(ApiKey, Partner.name.label("organisation_name"))
        .outerjoin(Partner, Partner.id == ApiKey.organisation_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )


def touch_api_key(key_id: uuid.UUID, now: dt.datetime, *, every: dt.timedelta) -> Update:
    """Record the use of a key at ``now`` unless it was recorded less than ``every`` ago (two
    requests racing on one key write it once)."""
    return (
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at <= now - every),
        )
        .values(last_used_at=now)
    )


# -- freshness: the rule of each source (shared by the partners search and the figures) -------


def confirmed_at() -> Any:
    """When a provenance's record was last known true, by the rule of its source.

    Two signals are kept apart on each provenance: ``seen_at``, the last import that listed
    the record, and ``source_updated_on``, the source's own date of last change. A record of
    a register (`geodata.sources.provenances.REGISTERS`: FINESS, Les emplois) is confirmed
    when an extract lists it: ``seen_at``. A record of a service directory (data·inclusion
    producers, médiation numérique) is confirmed when its producer dated it *and* an import
    still listed it: the earlier of ``source_updated_on`` and ``seen_at`` (``seen_at`` when
    undated).
    """
    from geodata.sources.provenances import REGISTERS

    return case(
        (Provenance.source.in_(sorted(REGISTERS)), Provenance.seen_at),
        (Provenance.source_updated_on.is_(None), Provenance.seen_at),
        else_=func.least(
            Provenance.seen_at, cast(Provenance.source_updated_on, DateTime(timezone=True))
        ),
    )


def geocoding() -> Any:
    """How a partner's point was obtained: the ``geocoding`` of its canonical provenance's
    record (``source``, ``swapped``, ``commune``); ``source`` for a point written in maillage
    (API, GeoJSON), which has no source record."""
    recorded = (
        select(Provenance.record["geocoding"].astext)
        .where(
            Provenance.partner_id == Partner.id,
            Provenance.source == Partner.source,
            Provenance.source_id == Partner.source_id,
        )
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(recorded, "source")


def freshness() -> Any:
    """When a partner's data was last known true: its best-confirmed live record's
    `confirmed_at` (records gone from their source do not count), else, for a partner written
    in maillage, its ``updated_at``. ``GET /v1/partners?stale=true`` lists the partners whose
    freshness is older than ``MAILLAGE_STALE_AFTER_DAYS``."""
    newest = (
        select(func.max(confirmed_at()))
        .where(
            Provenance.partner_id == Partner.id,
            Provenance.gone_at.is_(None),
            Provenance.record.is_not(None),
        )
        .scalar_subquery()
    )
    return func.coalesce(newest, Partner.updated_at)


def user_session_with_account(id_hash: str) -> AnySelect:
    """The session of this digest, its account and the name of the account's organisation."""
    return (
        select(UserSession, UserAccount, Partner.name.label("organisation_name"))
        .join(UserAccount, UserAccount.id == UserSession.user_id)
        .outerjoin(Partner, Partner.id == UserAccount.organisation_id)
        .where(UserSession.id_hash == id_hash)
    )


def touch_user_session(id_hash: str, now: dt.datetime, *, every: dt.timedelta) -> Update:
    """Record a session's activity at ``now`` unless recorded less than ``every`` ago."""
    return (
        update(UserSession)
        .where(UserSession.id_hash == id_hash, UserSession.last_seen_at <= now - every)
        .values(last_seen_at=now)
    )


def delete_user_session(id_hash: str) -> Delete:
    """End one session (logout, expiry)."""
    return delete(UserSession).where(UserSession.id_hash == id_hash)
