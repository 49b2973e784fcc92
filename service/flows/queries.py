"""The flows feature's SQL: the counts of a relation, the relations a file names, the purge.

Functions return composable statements that the routes execute; the territory's counts are
read by `service.store.flows.read_flows`, shared with the network analyses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from sqlalchemy import Delete, Text, cast, delete, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from service.db import AnySelect
from service.errors import NotFoundError
from service.tables import Partner, Relation, RelationFlow

_Source = aliased(Partner)
_Target = aliased(Partner)


def relations_with_parties() -> AnySelect:
    """Relations with their source and target partners: (Relation, source, target)."""
    return (
        select(Relation, _Source, _Target)
        .join(_Source, _Source.id == Relation.source_partner_id)
        .join(_Target, _Target.id == Relation.target_partner_id)
    )


def get_relation(session: Session, relation_id: uuid.UUID) -> tuple[Relation, Partner, Partner]:
    """The relation and its two partners, or 404."""
    row = session.execute(relations_with_parties().where(Relation.id == relation_id)).first()
    if row is None:
        raise NotFoundError("Relation introuvable.")
    return row[0], row[1], row[2]


def relations_by_id(ids: Collection[uuid.UUID]) -> AnySelect:
    return relations_with_parties().where(Relation.id.in_(list(ids)))


def relations_by_ends(ends: Collection[tuple[uuid.UUID, uuid.UUID, str]]) -> AnySelect:
    """Relations named by (source partner id, target partner id, kind)."""
    return relations_with_parties().where(
        tuple_(Relation.source_partner_id, Relation.target_partner_id, Relation.kind).in_(
            list(ends)
        )
    )


def flows_of(relation_ids: Collection[uuid.UUID]) -> AnySelect:
    """The stored periods of these relations, in relation then period order."""
    return (
        select(RelationFlow)
        .where(RelationFlow.relation_id.in_(list(relation_ids)))
        .order_by(RelationFlow.relation_id, RelationFlow.period_start)
    )


def partner_names(ids: Collection[str]) -> AnySelect:
    """(id as text, name, kind) of these partners."""
    return select(cast(Partner.id, Text), Partner.name, Partner.kind).where(
        cast(Partner.id, Text).in_(list(ids))
    )


def relations_touching(partner_id: uuid.UUID) -> AnySelect:
    """Ids (text) of the relations that start or end at this partner."""
    return select(cast(Relation.id, Text)).where(
        or_(Relation.source_partner_id == partner_id, Relation.target_partner_id == partner_id)
    )


def relations_between(source: str, kinds: Collection[str]) -> AnySelect:
    """(relation id, source's source_id, target's source_id, kind) of the relations of these
    kinds whose two partners come from ``source`` (the demo's)."""
    return (
        select(cast(Relation.id, Text), _Source.source_id, _Target.source_id, Relation.kind)
        .join(_Source, _Source.id == Relation.source_partner_id)
        .join(_Target, _Target.id == Relation.target_partner_id)
        .where(_Source.source == source, _Target.source == source, Relation.kind.in_(kinds))
    )


def purge_before(cutoff: dt.date) -> Delete:
    """Delete the periods that ended before ``cutoff`` (the retention)."""
    return delete(RelationFlow).where(RelationFlow.period_end < cutoff)
