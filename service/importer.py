"""Transactional upsert of partner collections, and their export.

An import is all-or-nothing by default: when any feature is rejected, nothing is written and
the report lists every rejection. With ``partial=True`` the valid features are written and
the rejected ones reported. Partners are matched on ``(source, source_id)``; a feature's
``opportunities`` list, when present, is the partner's complete list (missing ones are
removed), matched on ``source_id`` or else on the title; ``relations`` are added or updated,
never removed by an import. Writing the same file twice reports everything unchanged.

The caller owns the transaction: it commits after a successful import.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from geodata.sources.geojson import (
    ParsedCollection,
    PartnerFeature,
    Rejection,
    opportunity_key,
)
from graph.models import dump
from service import store
from service.tables import Opportunity, Partner, Relation

Progress = Callable[[int], None]


@dataclass(slots=True)
class ImportReport:
    """What an import did (or would have done, when ``applied`` is false)."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    opportunities: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)
    applied: bool = False

    @property
    def rejected(self) -> int:
        return len({r.index for r in self.rejections})

    def summary(self) -> dict[str, int]:
        return {
            "créés": self.created,
            "mis à jour": self.updated,
            "inchangés": self.unchanged,
            "rejetés": self.rejected,
        }


def import_collection(
    session: Session,
    parsed: ParsedCollection,
    *,
    partial: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert a parsed collection; see the module docstring for the rules."""
    report = ImportReport(total=parsed.total, rejections=list(parsed.rejections))
    features = _resolve_relation_targets(session, parsed.features, report)
    if report.rejections and not partial:
        return report
    existing = _existing_partners(session, [f.key for f in features])
    rows: dict[tuple[str, str], Partner] = {}
    changed: set[tuple[str, str]] = set()
    for feature in features:
        row, status = _upsert_partner(session, existing.get(feature.key), feature)
        rows[feature.key] = row
        if status != "unchanged":
            changed.add(feature.key)
        setattr(report, status, getattr(report, status) + 1)
        if progress:
            progress(1)
    session.flush()
    _sync_opportunities(session, features, rows, report, changed)
    _upsert_relations(session, features, rows, report, changed)
    for key in changed:
        rows[key].updated_at = store.now()
    # a partner whose only change is in its opportunities or relations counts as updated
    moved = sum(1 for f in features if f.key in changed) - report.created - report.updated
    report.updated += moved
    report.unchanged -= moved
    session.flush()
    report.applied = True
    return report


def _resolve_relation_targets(
    session: Session, features: list[PartnerFeature], report: ImportReport
) -> list[PartnerFeature]:
    """Drop (and reject) features whose relations point at unknown partners, until stable."""
    wanted = {
        (ref.target_source, ref.target_source_id) for f in features for ref in f.relations or ()
    }
    in_store = set(_existing_partners(session, list(wanted)))
    kept = features
    while True:
        in_file = {f.key for f in kept}
        next_kept: list[PartnerFeature] = []
        for feature in kept:
            missing = [
                (i, ref)
                for i, ref in enumerate(feature.relations or ())
                if (ref.target_source, ref.target_source_id) not in in_file | in_store
            ]
            if not missing:
                next_kept.append(feature)
                continue
            for i, ref in missing:
                report.rejections.append(
                    Rejection(
                        feature.index,
                        f"relations[{i}].target_source_id",
                        f"partenaire cible introuvable : ({ref.target_source}, "
                        f"{ref.target_source_id}) n'est ni dans le fichier (valide) ni en base",
                        feature.partner.source_id,
                    )
                )
        if len(next_kept) == len(kept):
            return kept
        kept = next_kept


def _existing_partners(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Partner]:
    keys = list(keys)
    found: dict[tuple[str, str], Partner] = {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        stmt = select(Partner).where(tuple_(Partner.source, Partner.source_id).in_(chunk))
        for row in session.scalars(stmt):
            assert row.source_id is not None
            found[(row.source, row.source_id)] = row
    return found


def _comparable(record: Any) -> dict[str, Any]:
    values = dump(record)
    values.pop("organisation_id", None)
    return values


def _upsert_partner(
    session: Session, row: Partner | None, feature: PartnerFeature
) -> tuple[Partner, str]:
    record = feature.partner
    if row is None:
        row = Partner()
        store.apply_partner(row, record)
        session.add(row)
        return row, "created"
    if _comparable(store.partner_record(row)) == _comparable(record):
        return row, "unchanged"
    if record.organisation_id is None and row.organisation_id is not None:
        record = record.model_copy(update={"organisation_id": str(row.organisation_id)})
    store.apply_partner(row, record)
    return row, "updated"


def _sync_opportunities(
    session: Session,
    features: list[PartnerFeature],
    rows: dict[tuple[str, str], Partner],
    report: ImportReport,
    changed: set[tuple[str, str]],
) -> None:
    synced = [f for f in features if f.opportunities is not None]
    current: dict[uuid.UUID, dict[str, Opportunity]] = defaultdict(dict)
    ids = [rows[f.key].id for f in synced]
    for start in range(0, len(ids), 1000):
        stmt = select(Opportunity).where(Opportunity.partner_id.in_(ids[start : start + 1000]))
        for opp in session.scalars(stmt):
            current[opp.partner_id][opportunity_key(store.opportunity_record(opp))] = opp
    for feature in synced:
        partner = rows[feature.key]
        stored = current[partner.id]
        for record in feature.opportunities or ():
            key = opportunity_key(record)
            found = stored.pop(key, None)
            if found is None:
                opp = Opportunity(partner_id=partner.id)
                store.apply_opportunity(opp, record)
                session.add(opp)
                report.opportunities["créées"] += 1
                changed.add(feature.key)
            elif dump(store.opportunity_record(found)) != dump(record):
                store.apply_opportunity(found, record)
                report.opportunities["mises à jour"] += 1
                changed.add(feature.key)
            else:
                report.opportunities["inchangées"] += 1
        for opp in stored.values():
            session.delete(opp)
            report.opportunities["supprimées"] += 1
            changed.add(feature.key)


def _upsert_relations(
    session: Session,
    features: list[PartnerFeature],
    rows: dict[tuple[str, str], Partner],
    report: ImportReport,
    changed: set[tuple[str, str]],
) -> None:
    with_relations = [f for f in features if f.relations]
    if not with_relations:
        return
    targets = _existing_partners(
        session,
        {(r.target_source, r.target_source_id) for f in with_relations for r in f.relations or ()},
    )
    targets.update(rows)
    sources = [rows[f.key].id for f in with_relations]
    current: dict[tuple[uuid.UUID, uuid.UUID, str], Relation] = {}
    for start in range(0, len(sources), 1000):
        stmt = select(Relation).where(Relation.source_partner_id.in_(sources[start : start + 1000]))
        for rel in session.scalars(stmt):
            current[(rel.source_partner_id, rel.target_partner_id, rel.kind)] = rel
    for feature in with_relations:
        source = rows[feature.key]
        for ref in feature.relations or ():
            target = targets[(ref.target_source, ref.target_source_id)]
            existing = current.get((source.id, target.id, ref.fields.kind))
            if existing is None:
                rel = Relation(source_partner_id=source.id, target_partner_id=target.id)
                store.apply_relation(rel, ref.fields)
                session.add(rel)
                current[(source.id, target.id, ref.fields.kind)] = rel
                report.relations["créées"] += 1
                changed.add(feature.key)
            elif dump(store.relation_record(existing)) != dump(ref.fields):
                store.apply_relation(existing, ref.fields)
                report.relations["mises à jour"] += 1
                changed.add(feature.key)
            else:
                report.relations["inchangées"] += 1


def export_collection(session: Session, *, source: str | None = None) -> dict[str, Any]:
    """All partners (or those of one source) as a FeatureCollection that imports back as is."""
    stmt = select(Partner).order_by(Partner.source, Partner.source_id, Partner.id)
    if source:
        stmt = stmt.where(Partner.source == source)
    partners = list(session.scalars(stmt))
    ids = [p.id for p in partners]
    opportunities: dict[uuid.UUID, list[Opportunity]] = defaultdict(list)
    relations: dict[uuid.UUID, list[Relation]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for opp in session.scalars(
            select(Opportunity)
            .where(Opportunity.partner_id.in_(chunk))
            .order_by(Opportunity.source_id, Opportunity.title, Opportunity.id)
        ):
            opportunities[opp.partner_id].append(opp)
        for rel in session.scalars(
            select(Relation)
            .where(Relation.source_partner_id.in_(chunk))
            .order_by(Relation.kind, Relation.id)
        ):
            relations[rel.source_partner_id].append(rel)
    by_id = {p.id: p for p in partners}
    missing = {r.target_partner_id for rels in relations.values() for r in rels} - set(by_id)
    if missing:  # relations to partners of another source
        by_id.update(
            {p.id: p for p in session.scalars(select(Partner).where(Partner.id.in_(missing)))}
        )
    features = []
    for partner in partners:
        record = store.partner_record(partner)
        props: dict[str, Any] = {"id": str(partner.id), "family": partner.family}
        props.update(dump(record))
        props.pop("organisation_id", None)
        props.pop("lon")
        props.pop("lat")
        props["updated_at"] = partner.updated_at.isoformat()
        props["opportunities"] = [
            dump(store.opportunity_record(o)) for o in opportunities[partner.id]
        ]
        props["relations"] = [
            _relation_ref(rel, partner, by_id[rel.target_partner_id])
            for rel in relations[partner.id]
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [record.lon, record.lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _relation_ref(rel: Relation, source: Partner, target: Partner) -> dict[str, Any]:
    ref: dict[str, Any] = {"target_source_id": target.source_id, "kind": rel.kind}
    if target.source != source.source:
        ref["target_source"] = target.source
    ref.update({k: v for k, v in dump(store.relation_record(rel)).items() if v is not None})
    return ref
