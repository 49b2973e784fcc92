"""The partners feature's SQL: composable ``Select`` objects that routes execute or paginate.

Distances are metres on the WGS84 spheroid (``geography``), found with ``ST_DWithin`` and
ordered by ``ST_Distance``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from graph.search import is_kind_word, kinds_named, query_words
from service.db import AnySelect
from service.errors import NotFoundError
from service.partners.parameters import OpportunityQuery, PartnerQuery
from service.store.queries import freshness, geocoding
from service.store.records import GEOGRAPHY, point
from service.tables import Commune, Opportunity, Partner, Provenance, Relation


def get_partner(session: Session, partner_id: uuid.UUID) -> Partner:
    row = session.get(Partner, partner_id)
    if row is None:
        raise NotFoundError("Partenaire introuvable.")
    return row


def get_opportunity(session: Session, opportunity_id: uuid.UUID) -> Opportunity:
    row = session.get(Opportunity, opportunity_id)
    if row is None:
        raise NotFoundError("Offre introuvable.")
    return row


def get_relation(session: Session, relation_id: uuid.UUID) -> Relation:
    row = session.get(Relation, relation_id)
    if row is None:
        raise NotFoundError("Relation introuvable.")
    return row


def _lonlat() -> tuple[Any, Any]:
    return func.ST_X(Partner.geom).label("lon"), func.ST_Y(Partner.geom).label("lat")


def partners_query(params: PartnerQuery, *, stale_after_days: int = 365) -> AnySelect:
    """Partners matching the filters, with ``lon``, ``lat`` and ``distance_m`` columns.

    With a point, results are ordered by straight-line distance (metres, geography);
    with ``radius_km`` too, limited to that radius. Without a point, ordered by name.
    ``status`` keeps open partners by default; ``stale`` keeps those whose `freshness` is
    older than ``stale_after_days`` days; ``source`` matches any provenance of a partner.
    """
    lon, lat = _lonlat()
    distance: Any = literal(None).label("distance_m")
    stmt = select(Partner, lon, lat)
    if params.lat is not None and params.lon is not None:
        # a plain ::geography cast, the expression of the ix_partner_geog index (the typmod
        # cast geography(GEOMETRY,-1) would not match it and scan the table)
        here = cast(point(params.lon, params.lat), GEOGRAPHY)
        geog = cast(Partner.geom, GEOGRAPHY)
        distance = func.ST_Distance(geog, here).label("distance_m")
        if params.radius_km is not None:
            stmt = stmt.where(func.ST_DWithin(geog, here, params.radius_km * 1000.0))
        stmt = stmt.add_columns(distance).order_by(distance, Partner.name, Partner.id)
    else:
        stmt = stmt.add_columns(distance).order_by(Partner.name, Partner.id)
    stmt = _categories(stmt, params)
    if params.source:
        stmt = stmt.where(
            or_(
                Partner.source == params.source,
                exists().where(
                    Provenance.partner_id == Partner.id, Provenance.source == params.source
                ),
            )
        )
    if params.status != "all":
        stmt = stmt.where(Partner.status == params.status)
    if params.geocoding is not None:
        stmt = stmt.where(geocoding() == params.geocoding)
    if params.stale:
        limit = func.now() - dt.timedelta(days=stale_after_days)
        stmt = stmt.where(freshness() < limit)
    if params.q:
        stmt, score = _text_search(stmt, params.q)
        if params.lat is None or params.lon is None:
            stmt = stmt.order_by(None).order_by(score.desc(), Partner.name, Partner.id)
    return stmt


FTS_CONFIG = "maillage_fr"
"""The text search configuration of migration 0008: French stemming after ``unaccent``."""


def _word_query(word: str) -> Any:
    """The ``tsquery`` of one folded word (letters and digits only): as a prefix (``'ale':*``),
    but whole for a word that is a kind's code or acronym (`graph.search.is_kind_word`: the
    stem of « chrs » is « chr », the start of « Christol »); empty for a stop word."""
    pattern = word if is_kind_word(word) else f"{word}:*"
    return func.to_tsquery(literal_column(f"'{FTS_CONFIG}'::regconfig"), pattern)


def _text_search(stmt: AnySelect, text: str) -> tuple[AnySelect, Any]:
    """Keep the partners that every word of ``text`` designates, and their relevance score.

    A word (`graph.search.query_words`: folded, elisions dropped) designates a partner when it
    starts a word of its name, aliases or address (the ``search`` document, French stemming,
    word boundaries: « ales » is not in « Cigales »), names its kind (`graph.search.kinds_named`)
    or starts a word of its commune's name; a word that is a stop word for PostgreSQL designates
    every partner. The members (relation ``membre``) of a partner the words designate are found
    too, ranked after it (« TESA » finds the employment platform and its members).
    Score: 2 per word naming the kind, 2 per word naming the commune, 1 for a partner found
    itself rather than through a network, the text rank (name and aliases weigh more than the
    address) and the trigram similarity of the name and aliases to the words.
    """
    words = query_words(text)
    if not words:
        return stmt, literal(0.0)
    queries = [_word_query(word) for word in words]
    found, score = _designated(Partner, words, queries)
    network = aliased(Partner)
    network_found, _ = _designated(network, words, queries)
    member = exists().where(
        Relation.source_partner_id == Partner.id,
        Relation.kind == "membre",
        Relation.target_partner_id == network.id,
        network_found,
    )
    everything = queries[0]
    for query in queries[1:]:
        everything = everything.op("&&")(query)
    names = func.unaccent(
        func.lower(func.concat_ws(" ", Partner.name, func.maillage_join(Partner.aliases)))
    )
    score = (
        score
        + case((found, 1.0), else_=0.0)
        + func.ts_rank(Partner.search, everything)
        + func.similarity(names, " ".join(words))
    )
    return stmt.where(or_(found, member)), score


def _designated(entity: Any, words: list[str], queries: list[Any]) -> tuple[Any, Any]:
    """Whether every word designates ``entity`` (`Partner` or an alias of it), and the score of
    its words naming its kind or commune."""
    conditions = []
    score: Any = literal(0.0)
    for word, query in zip(words, queries, strict=True):
        kinds = sorted(kinds_named(word))
        in_kind = entity.kind.in_(kinds) if kinds else false()
        commune_name = func.to_tsvector(literal_column(f"'{FTS_CONFIG}'::regconfig"), Commune.name)
        in_commune = entity.code_insee.in_(
            select(Commune.code_insee).where(commune_name.op("@@")(query))
        )
        conditions.append(
            or_(func.numnode(query) == 0, entity.search.op("@@")(query), in_kind, in_commune)
        )
        score = score + case((in_kind, 2.0), else_=0.0) + case((in_commune, 2.0), else_=0.0)
    return and_(*conditions), score


def _categories(stmt: AnySelect, params: PartnerQuery) -> AnySelect:
    """Kinds, families, thematiques and publics (any of each list)."""
    if params.kinds:
        stmt = stmt.where(Partner.kind.in_(params.kinds))
    if params.families:
        stmt = stmt.where(Partner.family.in_(params.families))
    if params.thematiques:
        stmt = stmt.where(Partner.thematiques.overlap(params.thematiques))
    if params.publics:
        stmt = stmt.where(Partner.publics.overlap(params.publics))
    return stmt


def opportunities_query(params: OpportunityQuery) -> Select[Opportunity, str]:
    stmt = (
        select(Opportunity, Partner.name)
        .join(Partner, Partner.id == Opportunity.partner_id)
        .order_by(Partner.name, Opportunity.title, Opportunity.id)
    )
    if params.partner_id:
        stmt = stmt.where(Opportunity.partner_id == params.partner_id)
    if params.kinds:
        stmt = stmt.where(Opportunity.kind.in_(params.kinds))
    if params.rome_codes:
        stmt = stmt.where(Opportunity.rome_code.in_([c.upper() for c in params.rome_codes]))
    if params.with_places:
        stmt = stmt.where(or_(Opportunity.places.is_(None), Opportunity.places > 0))
    return stmt


def relations_query(partner_id: uuid.UUID | None = None) -> Select[Relation, str, str]:
    """Relations with their partners' names; for one partner, both directions."""
    source = aliased(Partner)
    target = aliased(Partner)
    stmt = (
        select(Relation, source.name, target.name)
        .join(source, source.id == Relation.source_partner_id)
        .join(target, target.id == Relation.target_partner_id)
        .order_by(Relation.kind, source.name, target.name, Relation.id)
    )
    if partner_id is not None:
        stmt = stmt.where(
            or_(Relation.source_partner_id == partner_id, Relation.target_partner_id == partner_id)
        )
    return stmt


def count_of(stmt: AnySelect) -> AnySelect:
    """How many rows ``stmt`` would return, without its ordering (a page's ``total``)."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def opportunities_of(partner_id: uuid.UUID) -> AnySelect:
    """A partner's opportunities, by title."""
    return (
        select(Opportunity)
        .where(Opportunity.partner_id == partner_id)
        .order_by(Opportunity.title, Opportunity.id)
    )
