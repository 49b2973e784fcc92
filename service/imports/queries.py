"""The SQL of imports and exports: reads of partners by key, the staging tables of an open-data
import and the set-based statements that classify, assign, write, reopen and close.

Functions return statements (executed by their caller, their parameters bound); ``COPY``
statements are strings handed to psycopg's ``cursor.copy``. Points are EPSG:4326 longitude
and latitude in degrees; distances are metres on the spheroid (geography).

The staging tables of an open-data import (`service.imports.sources`) are temporary:
``import_part`` holds the part being written, ``import_staged`` the rows of the parts written
that are not *simple* (several provenances or opportunities), written at the end.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import TextClause, select, text, tuple_
from sqlalchemy.dialects.postgresql import Insert, insert

from service.db import AnySelect
from service.tables import Opportunity, Partner, Provenance, Relation

Key = tuple[str, str]
"""``(source, source_id)``."""

# -- partners, opportunities and relations by key (GeoJSON imports, exports, merges) ----------


def partners_by_key(keys: Sequence[Key]) -> AnySelect:
    """Partners whose own ``(source, source_id)`` is one of ``keys``."""
    return select(Partner).where(tuple_(Partner.source, Partner.source_id).in_(keys))


def partners_by_provenance(keys: Sequence[Key]) -> AnySelect:
    """``(source, source_id, partner)`` of the provenances whose key is one of ``keys``."""
    return (
        select(Provenance.source, Provenance.source_id, Partner)
        .join(Partner, Partner.id == Provenance.partner_id)
        .where(tuple_(Provenance.source, Provenance.source_id).in_(keys))
    )


def partners_by_id(ids: Iterable[uuid.UUID]) -> AnySelect:
    """Partners by id, in id order."""
    return select(Partner).where(Partner.id.in_(list(ids))).order_by(Partner.id)


def provenances_of(partner_ids: Sequence[uuid.UUID]) -> AnySelect:
    """Every provenance row of these partners."""
    return select(Provenance).where(Provenance.partner_id.in_(partner_ids))


def opportunities_of(partner_ids: Sequence[uuid.UUID]) -> AnySelect:
    """Every opportunity of these partners."""
    return select(Opportunity).where(Opportunity.partner_id.in_(partner_ids))


def relations_from(partner_ids: Sequence[uuid.UUID]) -> AnySelect:
    """Every relation these partners start."""
    return select(Relation).where(Relation.source_partner_id.in_(partner_ids))


def upsert_provenances(values: Sequence[Mapping[str, Any]]) -> Insert:
    """Insert provenance rows ``{partner_id, source, source_id}``, or give the existing row of
    the same key to the partner, seen now and not gone."""
    stmt = insert(Provenance).values(list(values))
    return stmt.on_conflict_do_update(
        constraint="uq_provenance_source_source_id",
        set_={
            "partner_id": stmt.excluded.partner_id,
            "seen_at": stmt.excluded.seen_at,
            "gone_at": None,
        },
    )


def partners_to_export(source: str | None) -> AnySelect:
    """All partners (or those of one source), by ``(source, source_id, id)``."""
    stmt = select(Partner).order_by(Partner.source, Partner.source_id, Partner.id)
    return stmt.where(Partner.source == source) if source else stmt


def opportunities_to_export(partner_ids: Sequence[uuid.UUID]) -> AnySelect:
    """The opportunities of these partners, by ``(source_id, title, id)``."""
    return opportunities_of(partner_ids).order_by(
        Opportunity.source_id, Opportunity.title, Opportunity.id
    )


def relations_to_export(partner_ids: Sequence[uuid.UUID]) -> AnySelect:
    """The relations these partners start, by ``(kind, id)``."""
    return relations_from(partner_ids).order_by(Relation.kind, Relation.id)


def open_partners_to_export() -> AnySelect:
    """Open partners, by ``(source, source_id, id)`` (the data·inclusion export)."""
    return (
        select(Partner)
        .where(Partner.status == "open")
        .order_by(Partner.source, Partner.source_id, Partner.id)
    )


# -- reading feeds -------------------------------------------------------------------------


def commune_centroids(departement: str | None) -> TextClause:
    """``(code_insee, lon, lat)`` of the stored communes (of one département, given as the
    ``commune.departement`` column writes it): the centroid, or a point inside when the
    centroid falls outside."""
    where = "WHERE departement = :departement" if departement else ""
    stmt = text(
        f"""
        SELECT code_insee, ST_X(p), ST_Y(p) FROM (
            SELECT code_insee, CASE WHEN ST_Contains(geom, ST_Centroid(geom))
                THEN ST_Centroid(geom) ELSE ST_PointOnSurface(geom) END AS p
            FROM commune {where}
        ) c
        """  # noqa: S608 (only a constant clause is interpolated)
    )
    return stmt.bindparams(departement=departement.upper()) if departement else stmt


# -- the staging tables of an open-data import -----------------------------------------------

_STAGED_PARTNER_COLUMNS: Final = (
    ("name", "text"),
    ("kind", "varchar(64)"),
    ("siret", "varchar(14)"),
    ("address", "text"),
    ("code_insee", "varchar(5)"),
    ("lon", "float8"),
    ("lat", "float8"),
    ("capacity", "integer"),
    ("available_places", "integer"),
    ("opening_hours", "text"),
    ("publics", "varchar(100)[]"),
    ("thematiques", "varchar(100)[]"),
    ("description", "text"),
)
STAGED_PARTNER_FIELDS: Final = tuple(name for name, _ in _STAGED_PARTNER_COLUMNS)
"""The partner fields staged in their own typed columns, after ``simple``, in this order: the
set-based statements read them there (each also in ``record``, which the provenance keeps)."""

_STAGING_COLUMNS = f"""
    idx integer NOT NULL,
    source varchar(64) NOT NULL,
    source_id varchar(200) NOT NULL,
    family varchar(64) NOT NULL,
    record jsonb,
    updated_on date,
    simple boolean NOT NULL,
    {"".join(f"{name} {kind}, " for name, kind in _STAGED_PARTNER_COLUMNS)}
    partner_id uuid NOT NULL DEFAULT gen_random_uuid(),
    known boolean NOT NULL DEFAULT false,
    tracked boolean NOT NULL DEFAULT false,
    changed boolean NOT NULL DEFAULT true
"""

_STAGED_FIRST: Final = ("idx", "source", "source_id", "family", "record", "updated_on", "simple")
_COPY_COLUMNS = ", ".join(_STAGED_FIRST + STAGED_PARTNER_FIELDS)

COPY_PART: Final = f"COPY import_part ({_COPY_COLUMNS}) FROM STDIN"
"""The ``COPY`` of a part's rows, in the text format of `service.imports.staging.copy_text`."""

COPY_ASSIGNED: Final = "COPY import_assigned (idx, partner_id, simple) FROM STDIN"
"""The ``COPY`` of the partner each placed record goes to (rows ``(idx, partner_id, simple)``)."""


def create_staging() -> list[TextClause]:
    """``import_part`` and ``import_staged``, temporary tables dropped at the end of the
    import, or of the transaction."""
    return [
        *(
            text(f"CREATE TEMP TABLE {table} ({_STAGING_COLUMNS}) ON COMMIT DROP")
            for table in ("import_part", "import_staged")
        ),
        text("CREATE UNIQUE INDEX ON import_staged (source, source_id)"),
        text("CREATE INDEX ON import_staged (partner_id)"),
    ]


def drop_staging() -> list[TextClause]:
    """Drop the staging tables at the end of the import."""
    return [text("DROP TABLE import_part"), text("DROP TABLE import_staged")]


def any_partner() -> TextClause:
    """Whether the store holds a partner (a boolean)."""
    return text("SELECT EXISTS (SELECT 1 FROM partner)")


def feed_listed(feed: str) -> TextClause:
    """Whether the feed has live records (a boolean): some may go."""
    return text(
        "SELECT EXISTS (SELECT 1 FROM provenance WHERE feed = :feed AND gone_at IS NULL)"
    ).bindparams(feed=feed)


def truncate_part() -> TextClause:
    return text("TRUNCATE import_part")


def analyze_part() -> TextClause:
    """Statistics of the part's keys (not of the JSON): index lookups, not scans."""
    return text("ANALYZE import_part (source, source_id)")


def part_counts() -> TextClause:
    """New, changed and unchanged records of the part, and the indexes of the rows that are
    not simple."""
    return text(
        "SELECT count(*) FILTER (WHERE NOT known), "
        "count(*) FILTER (WHERE known AND changed), "
        "count(*) FILTER (WHERE known AND NOT changed), "
        "coalesce(array_agg(idx) FILTER (WHERE NOT simple), '{}') FROM import_part"
    )


def stage_others() -> TextClause:
    """Keep the part's rows that are not simple for the end of the import."""
    return text("INSERT INTO import_staged SELECT * FROM import_part WHERE NOT simple")


def new_records() -> TextClause:
    """Indexes of the part's records that belong to no stored partner."""
    return text("SELECT idx FROM import_part WHERE NOT known")


def classify_tracked() -> TextClause:
    """Records whose provenance exists: ``known``, ``tracked``, ``changed`` (record, date or
    gone), ``simple`` (the partner's own key, its one provenance, no opportunities)."""
    return text(
        """
        UPDATE import_part s SET
            partner_id = p.partner_id,
            known = true,
            tracked = true,
            changed = p.record IS DISTINCT FROM s.record
                OR p.source_updated_on IS DISTINCT FROM s.updated_on
                OR p.gone_at IS NOT NULL,
            simple = s.simple AND pa.source = p.source AND pa.source_id = p.source_id
                AND coalesce(jsonb_array_length(p.record -> 'opportunities'), 0) = 0
                AND NOT EXISTS (
                    SELECT 1 FROM provenance q
                    WHERE q.partner_id = p.partner_id AND q.id <> p.id
                )
        FROM provenance p JOIN partner pa ON pa.id = p.partner_id
        WHERE p.source = s.source AND p.source_id = s.source_id
        """
    )


def classify_untracked() -> TextClause:
    """Records without provenance whose key a partner holds: ``known``, that partner's."""
    return text(
        """
        UPDATE import_part s SET partner_id = o.id, known = true
        FROM partner o
        WHERE NOT s.known AND o.source = s.source AND o.source_id = s.source_id
        """
    )


def create_assigned() -> TextClause:
    return text("CREATE TEMP TABLE import_assigned (idx integer, partner_id uuid, simple boolean)")


def apply_assigned() -> TextClause:
    """Give the part's placed records their partner; a lone record stays simple only without
    opportunities."""
    return text(
        """
        UPDATE import_part s SET partner_id = a.partner_id,
            simple = a.simple AND jsonb_array_length(s.record -> 'opportunities') = 0
        FROM import_assigned a WHERE a.idx = s.idx
        """
    )


def drop_assigned() -> TextClause:
    return text("DROP TABLE import_assigned")


def not_simple(partner_ids: Sequence[uuid.UUID]) -> TextClause:
    """The part's records of these partners are not simple (they receive another source's)."""
    return text("UPDATE import_part SET simple = false WHERE partner_id = ANY(:ids)").bindparams(
        ids=list(partner_ids)
    )


def near_pairs(*, now: dt.datetime, near_m: float, siret_near_m: float) -> TextClause:
    """``(idx, partner id)``: the part's new records and the partners stored before the
    import (not created at ``now``) within ``near_m`` metres, or sharing their SIRET within
    ``siret_near_m`` metres."""
    point = "ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography"
    founded = "pa.created_at <> :now"  # the partners this import created have its time
    return text(
        f"""
        SELECT s.idx, pa.id FROM import_part s JOIN partner pa
            ON pa.siret = s.siret
            AND ST_DWithin(pa.geom::geography, {point}, :siret_near)
        WHERE NOT s.known AND {founded}
        UNION
        SELECT s.idx, pa.id FROM import_part s JOIN partner pa
            ON ST_DWithin(pa.geom::geography, {point}, :near)
        WHERE NOT s.known AND {founded}
        """  # noqa: S608 (only constants are interpolated)
    ).bindparams(near=near_m, siret_near=siret_near_m, now=now)


def missing_provenances(
    *, feed: str, now: dt.datetime, exempt: Sequence[str], departement: str | None
) -> TextClause:
    """``(provenance id, partner id)`` of the feed's live records neither seen at ``now`` nor
    staged, but those of ``exempt`` source ids (and, with ``departement``, only of partners
    whose code INSEE starts with it)."""
    scope = "AND pa.code_insee LIKE :prefix" if departement else ""
    stmt = text(
        f"""
        SELECT p.id, p.partner_id FROM provenance p JOIN partner pa ON pa.id = p.partner_id
        WHERE p.feed = :feed AND p.gone_at IS NULL AND p.seen_at <> :now
            AND p.source_id <> ALL(:exempt) {scope}
            AND NOT EXISTS (
                SELECT 1 FROM import_staged s
                WHERE s.source = p.source AND s.source_id = p.source_id
            )
        """  # noqa: S608 (only constants are interpolated)
    ).bindparams(feed=feed, exempt=list(exempt), now=now)
    return stmt.bindparams(prefix=departement.upper() + "%") if departement else stmt


def changed_complex_partners() -> TextClause:
    """The partners of the staged rows that are not simple and changed."""
    return text("SELECT DISTINCT partner_id FROM import_staged WHERE NOT simple AND changed")


def partners_keeping_provenance(
    partner_ids: Sequence[uuid.UUID], gone: Sequence[int]
) -> TextClause:
    """Those of ``partner_ids`` with a live provenance other than the ``gone`` ones."""
    return text(
        "SELECT partner_id FROM provenance WHERE partner_id = ANY(:ids) "
        "AND gone_at IS NULL AND NOT (id = ANY(:gone))"
    ).bindparams(ids=list(partner_ids), gone=list(gone))


def staged_records(partner_ids: Sequence[uuid.UUID]) -> TextClause:
    """``(idx, partner_id)`` of the staged rows of these partners."""
    return text(
        "SELECT idx, partner_id FROM import_staged WHERE partner_id = ANY(:ids)"
    ).bindparams(ids=list(partner_ids))


# -- writing the simple records, provenances; reopening, closing -----------------------------

_PARTNER_COLUMNS = (
    "name",
    "kind",
    "family",
    "siret",
    "address",
    "code_insee",
    "geom",
    "capacity",
    "available_places",
    "opening_hours",
    "publics",
    "thematiques",
    "eligibility",
    "contact",
    "description",
    "source",
    "source_id",
)

# the partner fields of a staged record: typed columns (a JSON lookup per field, or one
# jsonb_to_record call, cost PostgreSQL ~0.35 s per 100,000 rows); the two documents from the
# record, by path (no copy of the partner object)
_PARTNER_VALUES = {
    **{column: f"s.{column}" for column in _PARTNER_COLUMNS},
    "geom": "ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)",
    "publics": "coalesce(s.publics, '{}')",
    "thematiques": "coalesce(s.thematiques, '{}')",
    "eligibility": "coalesce(s.record #> '{partner,eligibility}', '{}')",
    "contact": "coalesce(s.record #> '{partner,contact}', '{}')",
}
_COLUMNS = ", ".join(_PARTNER_COLUMNS)
_SELECTED = ", ".join(f"{_PARTNER_VALUES[c]} AS {c}" for c in _PARTNER_COLUMNS)


def insert_simple_partners(now: dt.datetime) -> TextClause:
    """One ``INSERT`` of the part's new simple records as partners, created at ``now``."""
    return text(
        f"""
        INSERT INTO partner (id, {_COLUMNS}, created_at, updated_at)
        SELECT s.partner_id, {_SELECTED}, :now, :now
        FROM import_part s
        WHERE s.simple AND NOT s.known
        """  # noqa: S608 (only constants are interpolated)
    ).bindparams(now=now)


def update_simple_partners(now: dt.datetime) -> TextClause:
    """One ``UPDATE`` of the partners of the part's changed simple records, touching only
    those whose fields differ (``updated_at`` = ``now``)."""
    compared = [c for c in _PARTNER_COLUMNS if c != "geom"]
    return text(
        f"""
        UPDATE partner pa SET ({_COLUMNS}, updated_at) = ({
            ", ".join(f"v.{c}" for c in _PARTNER_COLUMNS)
        }, :now)
        FROM (
            SELECT s.partner_id, {_SELECTED}
            FROM import_part s
            WHERE s.simple AND s.known AND s.changed
        ) v
        WHERE pa.id = v.partner_id
            AND ({", ".join(f"pa.{c}" for c in compared)}, ST_AsBinary(pa.geom))
            IS DISTINCT FROM
            ({", ".join(f"v.{c}" for c in compared)}, ST_AsBinary(v.geom))
        """  # noqa: S608 (only constants are interpolated)
    ).bindparams(now=now)


def write_provenances(*, feed: str, now: dt.datetime, simple: bool) -> list[TextClause]:
    """Insert or update the provenances of the part's simple records (``simple``), or of the
    staged others: partner, record, dates (seen at ``now``); not gone."""
    table, which = ("import_part", "s.simple") if simple else ("import_staged", "NOT s.simple")
    inserted = text(
        f"""
        INSERT INTO provenance
            (partner_id, source, source_id, feed, record, source_updated_on, seen_at)
        SELECT s.partner_id, s.source, s.source_id, :feed, s.record, s.updated_on, :now
        FROM {table} s WHERE NOT s.tracked AND {which}
        """  # noqa: S608 (only constants are interpolated)
    )
    updated = text(
        f"""
        UPDATE provenance p SET
            partner_id = s.partner_id,
            feed = :feed,
            record = s.record,
            source_updated_on = s.updated_on,
            seen_at = :now,
            gone_at = NULL
        FROM {table} s
        WHERE s.tracked AND {which} AND p.source = s.source AND p.source_id = s.source_id
        """  # noqa: S608 (only constants are interpolated)
    )
    return [stmt.bindparams(feed=feed, now=now) for stmt in (inserted, updated)]


def reopen(now: dt.datetime) -> TextClause:
    """Reopen the closed partners the part lists again."""
    return text(
        """
        UPDATE partner pa SET status = 'open', closed_at = NULL, updated_at = :now
        FROM import_part s
        WHERE pa.status = 'closed' AND pa.id = s.partner_id
        """
    ).bindparams(now=now)


def mark_gone(provenance_ids: Sequence[int], now: dt.datetime) -> TextClause:
    """These provenances are gone since ``now``."""
    return text("UPDATE provenance SET gone_at = :now WHERE id = ANY(:ids)").bindparams(
        now=now, ids=list(provenance_ids)
    )


def close_partners(partner_ids: Iterable[uuid.UUID], now: dt.datetime) -> TextClause:
    """Close those of these open partners left without a live provenance."""
    return text(
        """
        UPDATE partner pa SET status = 'closed', closed_at = :now, updated_at = :now
        WHERE pa.id = ANY(:ids) AND pa.status = 'open' AND NOT EXISTS (
            SELECT 1 FROM provenance q WHERE q.partner_id = pa.id AND q.gone_at IS NULL
        )
        """
    ).bindparams(now=now, ids=list(partner_ids))
