"""GeoJSON imports and exports of partners, with their opportunities and relations.

An import is all-or-nothing by default: when any feature is rejected, nothing is written and
the report lists every rejection. With ``partial=True`` the valid features are written and
the rejected ones reported. Writing the same file twice reports everything unchanged. The
caller owns the transaction: it commits after a successful import.

Partners are matched on ``(source, source_id)``; a feature's ``opportunities`` list, when
present, is the partner's complete list (missing ones are removed), matched on ``source_id``
or else on the title; ``relations`` are added or updated, never removed by an import. Each
partner keeps the provenance row of its ``(source, source_id)``. An export
(`export_collection`) imports back as is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from geodata.sources.geojson import (
    ParsedCollection,
    PartnerFeature,
    Rejection,
    opportunity_key,
)
from graph.models import dump
from service.imports import queries
from service.imports.report import ImportReport, Progress
from service.imports.staging import comparable
from service.store import records as record_rows
from service.tables import Opportunity, Partner, Relation

_CHUNK = 1000
"""Keys or ids per ``IN`` list."""


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
        rows[key].updated_at = record_rows.now()
    # a partner whose only change is in its opportunities or relations counts as updated
    moved = sum(1 for f in features if f.key in changed) - report.created - report.updated
    report.updated += moved
    report.unchanged -= moved
    session.flush()
    _record_provenances(session, rows)
    report.applied = True
    return report


def _record_provenances(session: Session, rows: dict[tuple[str, str], Partner]) -> None:
    """Each imported partner keeps the provenance row of its own ``(source, source_id)``."""
    values = [
        {"partner_id": row.id, "source": source, "source_id": source_id}
        for (source, source_id), row in rows.items()
    ]
    for start in range(0, len(values), _CHUNK):
        session.execute(queries.upsert_provenances(values[start : start + _CHUNK]))


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
    """Partners by ``(source, source_id)``: their own key, else one of their provenances."""
    keys = list(keys)
    found: dict[tuple[str, str], Partner] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        for row in session.scalars(queries.partners_by_key(chunk)):
            assert row.source_id is not None
            found[(row.source, row.source_id)] = row
    others = [key for key in keys if key not in found]
    for start in range(0, len(others), _CHUNK):
        chunk = others[start : start + _CHUNK]
        for source, source_id, partner in session.execute(queries.partners_by_provenance(chunk)):
            found[(source, source_id)] = partner
    return found


def _upsert_partner(
    session: Session, row: Partner | None, feature: PartnerFeature
) -> tuple[Partner, str]:
    record = feature.partner
    if row is None:
        row = Partner()
        record_rows.apply_partner(row, record)
        session.add(row)
        return row, "created"
    if comparable(record_rows.partner_record(row)) == comparable(record):
        return row, "unchanged"
    if record.organisation_id is None and row.organisation_id is not None:
        record = record.model_copy(update={"organisation_id": row.organisation_id})
    record_rows.apply_partner(row, record)
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
    for start in range(0, len(ids), _CHUNK):
        for opp in session.scalars(queries.opportunities_of(ids[start : start + _CHUNK])):
            current[opp.partner_id][opportunity_key(record_rows.opportunity_record(opp))] = opp
    for feature in synced:
        partner = rows[feature.key]
        stored = current[partner.id]
        for record in feature.opportunities or ():
            key = opportunity_key(record)
            found = stored.pop(key, None)
            if found is None:
                opp = Opportunity(partner_id=partner.id)
                record_rows.apply_opportunity(opp, record)
                session.add(opp)
                report.opportunities["créées"] += 1
                changed.add(feature.key)
            elif dump(record_rows.opportunity_record(found)) != dump(record):
                record_rows.apply_opportunity(found, record)
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
    for start in range(0, len(sources), _CHUNK):
        for rel in session.scalars(queries.relations_from(sources[start : start + _CHUNK])):
            current[(rel.source_partner_id, rel.target_partner_id, rel.kind)] = rel
    for feature in with_relations:
        source = rows[feature.key]
        for ref in feature.relations or ():
            target = targets[(ref.target_source, ref.target_source_id)]
            existing = current.get((source.id, target.id, ref.fields.kind))
            if existing is None:
                rel = Relation(source_partner_id=source.id, target_partner_id=target.id)
                record_rows.apply_relation(rel, ref.fields)
                session.add(rel)
                current[(source.id, target.id, ref.fields.kind)] = rel
                report.relations["créées"] += 1
                changed.add(feature.key)
            elif dump(record_rows.relation_record(existing)) != dump(ref.fields):
                record_rows.apply_relation(existing, ref.fields)
                report.relations["mises à jour"] += 1
                changed.add(feature.key)
            else:
                report.relations["inchangées"] += 1


def export_collection(session: Session, *, source: str | None = None) -> dict[str, Any]:
    """All partners (or those of one source) as a FeatureCollection that imports back as is."""
    partners = list(session.scalars(queries.partners_to_export(source)))
    ids = [p.id for p in partners]
    opportunities: dict[uuid.UUID, list[Opportunity]] = defaultdict(list)
    relations: dict[uuid.UUID, list[Relation]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for opp in session.scalars(queries.opportunities_to_export(chunk)):
            opportunities[opp.partner_id].append(opp)
        for rel in session.scalars(queries.relations_to_export(chunk)):
            relations[rel.source_partner_id].append(rel)
    by_id = {p.id: p for p in partners}
    missing = {r.target_partner_id for rels in relations.values() for r in rels} - set(by_id)
    if missing:  # relations to partners of another source
        by_id.update({p.id: p for p in session.scalars(queries.partners_by_id(missing))})
    features = []
    for partner in partners:
        record = record_rows.partner_record(partner)
        props: dict[str, Any] = {"id": str(partner.id), "family": partner.family}
        props.update(dump(record))
        props.pop("organisation_id", None)
        props.pop("lon")
        props.pop("lat")
        props["updated_at"] = partner.updated_at.isoformat()
        props["opportunities"] = [
            dump(record_rows.opportunity_record(o)) for o in opportunities[partner.id]
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
    ref.update({k: v for k, v in dump(record_rows.relation_record(rel)).items() if v is not None})
    return ref
