"""Where the new records of an open-data import go, and the partners merged from several.

Placing (`stored_candidates`, `place_cluster`, `assign`)
    The new records of a part that may be the same structure as another — near a partner
    stored before the import (same SIRET within 10 km, or within 200 m), or any new one of a
    part holding several sources — are shown to `graph.dedup.deduplicate` with those stored
    partners. A record matching a partner of *another* source becomes one more provenance of
    that partner (one pin, two provenances), never a second partner; a partner never gets two
    records of one source.

Merging (`write_complex_partners`)
    A partner with several provenances or with opportunities gets the merged record
    (`graph.dedup.Cluster.partner`: the canonical record — precise point, most complete,
    official source first — with its gaps filled by the others, named by an official register
    when one lists it, the other names kept as aliases) and its source opportunities
    synchronised (only those a source gave: an opportunity added in maillage stays). A partner
    whose provenance is maillage's own (edited through the API, GeoJSON) keeps its fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from geodata.sources.geojson import opportunity_key
from graph.models import OpportunityFields, PartnerFields, dump
from service.imports import queries
from service.imports.report import ImportReport
from service.imports.staging import comparable, copy_assigned, record_of
from service.store import records as record_rows
from service.tables import Opportunity, Partner, Provenance

if TYPE_CHECKING:
    from geodata.sources.common import SourceRecord

_CHUNK = 1000
"""Ids per ``IN`` list."""

# Distances (metres, geodesic) under which stored partners are worth showing to the dedup rule:
# a little more than its 150 m (names) and 10 km (same SIRET), which are haversine distances.
_NEAR_M = 200.0
_SIRET_NEAR_M = 10_500.0


@dataclass(frozen=True, slots=True, eq=False)
class Stored:
    """A stored partner offered to the dedup rule (as `graph.dedup.Candidate`)."""

    partner_id: uuid.UUID
    partner: PartnerFields
    provenance: str
    source_id: str
    geocoding: str
    sources: frozenset[str]


@dataclass(slots=True)
class Plan:
    """Where the new records of one part near others go: ``partner_id`` by record index;
    ``merged``: those attached to a partner founded by another source's record."""

    partner_of: dict[int, uuid.UUID] = field(default_factory=dict)
    merged: set[int] = field(default_factory=set)
    new_partners: set[uuid.UUID] = field(default_factory=set)
    attached_to: set[uuid.UUID] = field(default_factory=set)


def place_cluster(members: Sequence[Any], plan: Plan, attached: dict[uuid.UUID, set[str]]) -> None:
    """A cluster's new records join its best stored partner, or found a new one together.

    ``attached`` holds, across the parts of the import, the sources already attached to each
    stored partner: a partner never gets two records of one source.
    """
    stored = [member for member in members if isinstance(member, Stored)]
    fresh = [member for member in members if not isinstance(member, Stored)]
    target = stored[0] if stored else None
    taken = set(target.sources) | attached[target.partner_id] if target else set()
    founded: uuid.UUID | None = None
    for record in fresh:  # in rank order: the canonical record first
        if target is not None and record.provenance not in taken:
            plan.partner_of[record.index] = target.partner_id
            plan.merged.add(record.index)
            plan.attached_to.add(target.partner_id)
            attached[target.partner_id].add(record.provenance)
            taken.add(record.provenance)
        elif target is None and founded is not None and record.provenance not in taken:
            plan.partner_of[record.index] = founded
            plan.merged.add(record.index)
            taken.add(record.provenance)
        else:  # alone, or a second record of a source the partner already has
            partner_id = uuid.uuid4()
            plan.partner_of[record.index] = partner_id
            plan.new_partners.add(partner_id)
            if target is None and founded is None:
                founded = partner_id
                taken.add(record.provenance)


def assign(session: Session, plan: Plan) -> None:
    """Write the plan's partner ids into the staged part; lone records without
    opportunities on a new partner are simple."""
    population = Counter(plan.partner_of.values())
    session.execute(queries.create_assigned())
    copy_assigned(
        session,
        (
            (index, partner_id, partner_id in plan.new_partners and population[partner_id] == 1)
            for index, partner_id in plan.partner_of.items()
        ),
    )
    session.execute(queries.apply_assigned())
    session.execute(queries.drop_assigned())
    # a partner that receives a record of another source is no longer simple
    if plan.attached_to:
        session.execute(queries.not_simple(list(plan.attached_to)))


def stored_candidates(session: Session, now: dt.datetime) -> tuple[list[Stored], set[int]]:
    """Partners stored before the import near the part's new records (or sharing their
    SIRET), and those records. Partners founded by earlier parts of the import are not
    candidates: records of one part are never compared with another part's."""
    pairs = session.execute(
        queries.near_pairs(now=now, near_m=_NEAR_M, siret_near_m=_SIRET_NEAR_M)
    ).all()
    if not pairs:
        return [], set()
    ids = sorted({partner_id for _, partner_id in pairs})
    provenances: dict[uuid.UUID, list[Provenance]] = defaultdict(list)
    partners: list[Partner] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        partners.extend(session.scalars(queries.partners_by_id(chunk)))
        for row in session.scalars(queries.provenances_of(chunk)):
            provenances[row.partner_id].append(row)
    stored = []
    for partner in partners:
        rows = provenances[partner.id]
        canonical = next(
            (r for r in rows if (r.source, r.source_id) == (partner.source, partner.source_id)),
            None,
        )
        geocoding = (canonical.record or {}).get("geocoding", "source") if canonical else "source"
        stored.append(
            Stored(
                partner_id=partner.id,
                partner=record_rows.partner_record(partner),
                provenance=partner.source,
                source_id=partner.source_id or str(partner.id),
                geocoding=geocoding,
                sources=frozenset({partner.source, *(r.source for r in rows)}),
            )
        )
    return stored, {index for index, _ in pairs}


def write_complex_partners(
    session: Session,
    by_index: Mapping[int, SourceRecord],
    partner_ids: set[uuid.UUID],
    missing: Sequence[tuple[int, uuid.UUID]],
    report: ImportReport,
) -> None:
    """Merge the records of each partner with several sources (or with opportunities);
    ``by_index`` holds every record of the import that is not simple."""
    if not partner_ids:
        return
    incoming: dict[uuid.UUID, list[SourceRecord]] = defaultdict(list)
    for index, partner_id in session.execute(queries.staged_records(list(partner_ids))):
        incoming[partner_id].append(by_index[index])
    gone = {provenance_id for provenance_id, _ in missing}
    ids = list(partner_ids)
    partners: dict[uuid.UUID, Partner] = {}
    provenances: dict[uuid.UUID, list[Provenance]] = defaultdict(list)
    opportunities: dict[uuid.UUID, list[Opportunity]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        partners.update((row.id, row) for row in session.scalars(queries.partners_by_id(chunk)))
        for row in session.scalars(queries.provenances_of(chunk)):
            provenances[row.partner_id].append(row)
        for opp in session.scalars(queries.opportunities_of(chunk)):
            opportunities[opp.partner_id].append(opp)
    for partner_id in sorted(partner_ids):
        rows = provenances[partner_id]
        before = [record_of(r) for r in rows if r.record is not None and r.gone_at is None]
        new_keys = {record.key for record in incoming[partner_id]}
        after = [
            record_of(r)
            for r in rows
            if r.record is not None
            and r.gone_at is None
            and r.id not in gone
            and (r.source, r.source_id) not in new_keys
        ]
        after.extend(incoming[partner_id])
        manual = any(r.record is None for r in rows if (r.source, r.source_id) not in new_keys)
        partner = partners.get(partner_id)
        if partner is None:
            partner = Partner(id=partner_id)
            session.add(partner)
            partners[partner_id] = partner
        if after and not manual:
            _apply_merged(partner, after)
        _sync_source_opportunities(
            session,
            partner,
            before=before,
            after=after,
            stored=opportunities[partner_id],
            report=report,
        )
    session.flush()


def _canonical_order(records: Iterable[SourceRecord]) -> list[SourceRecord]:
    """The records of one partner, canonical first, by the rule of `graph.dedup`."""
    from graph.dedup import canonical_order

    return canonical_order(records)


def _apply_merged(partner: Partner, records: Sequence[SourceRecord]) -> None:
    """Write the merged record and its aliases (the names a register's name won over) onto
    the partner when they differ (its organisation kept)."""
    from graph.dedup import Cluster

    cluster = Cluster(tuple(_canonical_order(records)))
    merged = cluster.partner()
    aliases = list(cluster.aliases)
    if (
        partner.name is not None
        and list(partner.aliases or []) == aliases
        and comparable(record_rows.partner_record(partner)) == comparable(merged)
    ):
        return
    if partner.organisation_id is not None:
        merged = merged.model_copy(update={"organisation_id": partner.organisation_id})
    record_rows.apply_partner(partner, merged)
    partner.aliases = aliases


def _source_opportunities(records: Sequence[SourceRecord]) -> dict[str, OpportunityFields]:
    """The opportunities the sources give a partner, canonical record's first, once each."""
    found: dict[str, OpportunityFields] = {}
    for record in _canonical_order(records):
        for opportunity in record.opportunities:
            found.setdefault(opportunity_key(opportunity), opportunity)
    return found


def _sync_source_opportunities(
    session: Session,
    partner: Partner,
    *,
    before: Sequence[SourceRecord],
    after: Sequence[SourceRecord],
    stored: Sequence[Opportunity],
    report: ImportReport,
) -> None:
    """Create, update or delete the opportunities the sources gave (others are left alone)."""
    wanted = _source_opportunities(after)
    previous = _source_opportunities(before)
    if not wanted and not previous:
        return
    rows = {opportunity_key(record_rows.opportunity_record(opp)): opp for opp in stored}
    changed = False
    for key, record in wanted.items():
        row = rows.get(key)
        if row is None:
            opp = Opportunity(partner_id=partner.id)
            record_rows.apply_opportunity(opp, record)
            session.add(opp)
            report.opportunities["créées"] += 1
            changed = True
        elif dump(record_rows.opportunity_record(row)) != dump(record):
            record_rows.apply_opportunity(row, record)
            report.opportunities["mises à jour"] += 1
            changed = True
        else:
            report.opportunities["inchangées"] += 1
    for key in previous.keys() - wanted.keys():
        if key in rows:
            session.delete(rows[key])
            report.opportunities["supprimées"] += 1
            changed = True
    if changed and partner.name is not None:
        partner.updated_at = record_rows.now()
