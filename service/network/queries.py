"""The network feature's SQL: the typed relations and where each partner is (commune, EPCI).

The rest of what the analyses read — open partners, their places and offers — comes from the
store snapshot; these two reads complete it once per snapshot revision
(`service.network.compute.territory`).
"""

from __future__ import annotations

from sqlalchemy import Text, cast, select

from service.db import AnySelect
from service.tables import Commune, Partner, Relation


def typed_relations() -> AnySelect:
    """Every relation as (source partner id, target partner id, kind), ids as text, in
    relation id order."""
    return select(
        cast(Relation.source_partner_id, Text),
        cast(Relation.target_partner_id, Text),
        Relation.kind,
    ).order_by(Relation.id)


def partner_places() -> AnySelect:
    """Every open partner as (id as text, code INSEE, EPCI SIREN of its commune); the EPCI is
    ``NULL`` when the commune is not loaded or has none."""
    return (
        select(cast(Partner.id, Text), Partner.code_insee, Commune.epci)
        .outerjoin(Commune, Commune.code_insee == Partner.code_insee)
        .where(Partner.status == "open")
        .order_by(Partner.id)
    )
