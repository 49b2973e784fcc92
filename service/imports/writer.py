"""Transactional upserts of partners — GeoJSON collections and open-data sources — and exports.

An import is all-or-nothing by default: when any feature is rejected, nothing is written and
the report lists every rejection. With ``partial=True`` the valid features are written and
the rejected ones reported. Writing the same file twice reports everything unchanged. The
caller owns the transaction: it commits after a successful import, so an import killed midway
(even by ``kill -9``) leaves the store as it was.

GeoJSON (`import_collection`)
    Partners are matched on ``(source, source_id)``; a feature's ``opportunities`` list, when
    present, is the partner's complete list (missing ones are removed), matched on
    ``source_id`` or else on the title; ``relations`` are added or updated, never removed by an
    import. Each partner keeps the provenance row of its ``(source, source_id)``.

Open-data sources (`import_source`)
    The records of a `geodata.sources` reader (FINESS, data·inclusion, SIAE, agencies,
    médiation numérique) are upserted on their provenance ``(source, source_id)``. A file
    comes whole or, from a streaming reader (`geodata.sources.finess.iter_finess`), in parts
    that a background thread reads while the previous part is written; each part goes
    through steps 1 to 4, what needs the whole file waits for the end:

    1. **Staging.** The part's records are copied (``COPY``, psycopg 3) into a temporary
       table, as the JSON of what the source said (partner fields, geocoding, opportunities,
       extra).
    2. **Classification**, in SQL: a record whose provenance exists belongs to that partner;
       it is *unchanged* when the source's record and date are the same as last time.
    3. **Deduplication** of the new records, with `graph.dedup.deduplicate`, among themselves
       and against the partners stored before the import that could be the same structure
       (same SIRET within 10 km, or within 200 m; the rule itself decides): a new record
       matching a partner of *another* source becomes one more provenance of that partner
       (``same_as``: one pin, two provenances), never a second partner. A partner never gets
       two records of one source.
    4. **Writing.** Partners with one provenance and no opportunities (nearly all of a FINESS
       file) are written by set-based statements (one ``INSERT`` of the new, one ``UPDATE``
       of the changed whose fields differ), with their provenance rows (``seen_at``,
       ``source_updated_on``, the record). At the end, partners with several provenances or
       with opportunities are merged in Python (`graph.dedup.Cluster.partner`: the canonical
       record — precise point, most complete, official source first — with its gaps filled by
       the others) and their source opportunities synchronised (only those a source gave: an
       opportunity added in maillage stays). A partner whose provenance is maillage's own
       (edited through the API, GeoJSON) keeps its fields: sources only attach to it.
    5. **Freshness.** With ``close_missing``, a record of this feed that the new file no
       longer lists is marked gone (``gone_at``); a partner all of whose provenances are
       gone is **closed** (``status='closed'``, ``closed_at``), never deleted, and reopened
       when a source lists it again. Records refused in a ``partial`` import are not taken
       for gone.

    The import runs in a ``SAVEPOINT`` of the caller's transaction: a rejection found in a
    late part (without ``partial``) rolls back the parts already written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import sys
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

import pydantic_core
from sqlalchemy import CursorResult, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geodata.sources.geojson import (
    ParsedCollection,
    PartnerFeature,
    Rejection,
    opportunity_key,
)
from graph import vocabulary
from graph.models import OpportunityFields, PartnerFields, dump
from service.store import records as record_rows
from service.tables import Opportunity, Partner, Provenance, Relation

if TYPE_CHECKING:
    from geodata.sources.common import ReadResult, SourceRecord

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
    merged: int = 0
    closed: int = 0
    reopened: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({r.index for r in self.rejections})

    def summary(self) -> dict[str, int]:
        """French counts; those of source imports only when not zero.

        ``rattachés``: new records attached to a partner of another source (one structure,
        several provenances); ``fermés``/``rouverts``: partners closed because every source
        dropped them, or reopened; ``hors périmètre``: rows the reader left out on purpose.
        """
        counts = {
            "créés": self.created,
            "mis à jour": self.updated,
            "inchangés": self.unchanged,
            "rejetés": self.rejected,
        }
        extra = {
            "rattachés": self.merged,
            "fermés": self.closed,
            "rouverts": self.reopened,
            "hors périmètre": self.skipped,
        }
        return counts | {name: value for name, value in extra.items() if value}


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
    for start in range(0, len(values), 1000):
        stmt = insert(Provenance).values(values[start : start + 1000])
        stmt = stmt.on_conflict_do_update(
            constraint="uq_provenance_source_source_id",
            set_={
                "partner_id": stmt.excluded.partner_id,
                "seen_at": stmt.excluded.seen_at,
                "gone_at": None,
            },
        )
        session.execute(stmt)


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
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        stmt = select(Partner).where(tuple_(Partner.source, Partner.source_id).in_(chunk))
        for row in session.scalars(stmt):
            assert row.source_id is not None
            found[(row.source, row.source_id)] = row
    others = [key for key in keys if key not in found]
    for start in range(0, len(others), 1000):
        chunk = others[start : start + 1000]
        by_provenance = (
            select(Provenance.source, Provenance.source_id, Partner)
            .join(Partner, Partner.id == Provenance.partner_id)
            .where(tuple_(Provenance.source, Provenance.source_id).in_(chunk))
        )
        for source, source_id, partner in session.execute(by_provenance):
            found[(source, source_id)] = partner
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
        record_rows.apply_partner(row, record)
        session.add(row)
        return row, "created"
    if _comparable(record_rows.partner_record(row)) == _comparable(record):
        return row, "unchanged"
    if record.organisation_id is None and row.organisation_id is not None:
        record = record.model_copy(update={"organisation_id": str(row.organisation_id)})
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
    for start in range(0, len(ids), 1000):
        stmt = select(Opportunity).where(Opportunity.partner_id.in_(ids[start : start + 1000]))
        for opp in session.scalars(stmt):
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


# -- open-data sources ----------------------------------------------------------------------

# Distances (metres, geodesic) under which stored partners are worth showing to the dedup rule:
# a little more than its 150 m (names) and 10 km (same SIRET), which are haversine distances.
_NEAR_M = 200.0
_SIRET_NEAR_M = 10_500.0


@dataclass(frozen=True, slots=True, eq=False)
class _Stored:
    """A stored partner offered to the dedup rule (as `graph.dedup.Candidate`)."""

    partner_id: uuid.UUID
    partner: PartnerFields
    provenance: str
    source_id: str
    geocoding: str
    sources: frozenset[str]


@dataclass(slots=True)
class _Plan:
    """Where the new records of one part near others go: ``partner_id`` by record index;
    ``merged``: those attached to a partner founded by another source's record."""

    partner_of: dict[int, uuid.UUID] = field(default_factory=dict)
    merged: set[int] = field(default_factory=set)
    new_partners: set[uuid.UUID] = field(default_factory=set)
    attached_to: set[uuid.UUID] = field(default_factory=set)


def import_source(
    session: Session,
    result: ReadResult | Iterable[ReadResult],
    *,
    source: str,
    partial: bool = False,
    close_missing: bool = True,
    departement: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert the records of an open-data reader; see the module docstring for the rules.

    Parameters
    ----------
    session : Session
        Open session; nothing is committed here (the caller commits). The import runs in a
        ``SAVEPOINT``: when it writes nothing (rejections without ``partial``) or fails, the
        session is as before.
    result : ReadResult or iterable of ReadResult
        What a `geodata.sources` reader made of one file: whole, or in successive parts (a
        `geodata.sources.common.ReadStream`). Parts are read (and serialised) by a background
        thread one part ahead while the previous part is written, so reading and writing
        overlap; a whole file of one provenance is written in parts the same way. A file
        whose records come from several provenances (data·inclusion) must be given whole:
        its records are deduplicated among themselves.
    source : str
        Name of the feed (``finess``, ``data-inclusion``, ``siae``, ``agencies``,
        ``mediation-numerique``): the records a later import of the same feed no longer lists
        are the ones marked gone. The records keep their own provenance (``dora``...).
    partial : bool
        Write the valid records despite rejections (by default, any rejection writes nothing;
        the whole file is still read, so that every rejection is reported).
    close_missing : bool
        Mark gone the records of this feed absent from ``result``, and close the partners left
        without any live provenance.
    departement : str, optional
        The file only covers this département (``30``, ``2A``, ``971``): only records of
        partners whose code INSEE is in it can be gone.
    progress : callable, optional
        Called with the number of rows (records, rejected and skipped rows) of each part
        written.

    Returns
    -------
    ImportReport
        Record counts (created, updated, unchanged, attached) and partner counts (closed,
        reopened); ``applied`` is false when nothing was written.

    Raises
    ------
    ValueError
        When parts of a streamed file come from several provenances.
    """
    from geodata.sources.common import ReadResult

    report = ImportReport()
    parts = _parts_of(result) if isinstance(result, ReadResult) else result
    savepoint = session.begin_nested()
    try:
        run = _SourceImport(session, report, feed=source)
        with _ReadAhead(parts, _Preparation()) as prepared:
            for part in prepared:
                report.total += part.total
                report.skipped += part.skipped
                report.rejections.extend(part.rejections)
                if report.rejections and not partial:
                    continue  # read on: every rejection is reported, nothing is written
                run.write_part(part)
                if progress:
                    progress(part.total)
        if report.rejections and not partial:
            savepoint.rollback()
            return report
        run.finish(departement=departement, close_missing=close_missing)
        savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    session.expire_all()  # rows were written behind the ORM's back
    report.applied = True
    return report


_PART_ROWS = 10_000
"""Records per part when a whole file of one provenance is written in parts."""


def _parts_of(result: ReadResult) -> Iterable[ReadResult]:
    """A whole file as parts: lazily, in `_PART_ROWS` records (so that serialising one part
    overlaps with writing the previous one), when its records come from one provenance;
    else at once (its records are deduplicated among themselves). The first part carries
    the rejections and skipped rows."""
    records = result.records
    if len(records) <= _PART_ROWS or len({record.provenance for record in records}) > 1:
        return [result]

    def parts() -> Iterator[ReadResult]:
        for start in range(0, len(records), _PART_ROWS):
            first = start == 0
            yield type(result)(
                records=records[start : start + _PART_ROWS],
                rejections=result.rejections if first else [],
                skipped=result.skipped if first else 0,
            )

    return parts()


@dataclass(frozen=True, slots=True)
class _Part:
    """One part of a file, ready to be written: its records with a new key, their ``COPY``
    text, and the rejections (the reader's, and those of keys already seen)."""

    records: list[SourceRecord]
    copy_text: str
    rejections: list[Rejection]
    skipped: int
    total: int


class _Preparation:
    r"""Turns the parts of a file, in order, into `_Part`\ s (in the reader thread when the
    file is streamed): a key seen in an earlier row is rejected, the others serialised."""

    def __init__(self) -> None:
        # "provenance\x1fsource_id" → index: strings, which the cyclic garbage collector
        # does not track (100,000 tuples made it walk every record of the file, again and again)
        self.seen: dict[str, int] = {}

    def __call__(self, part: ReadResult) -> _Part:
        rejections = list(part.rejections)
        records: list[SourceRecord] = []
        for record in part.records:
            key = f"{record.provenance}\x1f{record.source_id}"
            first = self.seen.setdefault(key, record.index)
            if first != record.index:
                rejections.append(
                    Rejection(
                        record.index,
                        "source_id",
                        f"doublon : même (source, source_id) que l'élément n°{first}",
                        record.source_id,
                    )
                )
                continue
            records.append(record)
        return _Part(records, _copy_text(records), rejections, part.skipped, part.total)


class _ReadAhead:
    """The parts of a file, read and prepared by a background thread one part ahead of the
    writer.

    Reading a part (decoding, projecting, validating, serialising: Python) then overlaps with
    writing the previous one (mostly PostgreSQL's work, during which psycopg releases the
    GIL); the interpreter's switch interval is shortened meanwhile, so that the writer gets
    the GIL back as soon as a statement returns. A list of parts is simply prepared in the
    caller's thread. An error of the reader is raised in the writer's thread; when the writer
    stops early, the reader thread is told to stop and joined.
    """

    _END: Final = object()
    _SWITCH_INTERVAL_S: Final = 0.0005

    def __init__(self, parts: Iterable[ReadResult], prepare: Callable[[ReadResult], _Part]) -> None:
        self._parts = parts
        self._prepare = prepare
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._interval = sys.getswitchinterval()

    def __enter__(self) -> Iterator[_Part]:
        if isinstance(self._parts, list | tuple):
            return map(self._prepare, self._parts)
        sys.setswitchinterval(min(self._interval, self._SWITCH_INTERVAL_S))
        self._thread = threading.Thread(target=self._produce, name="maillage-lecture", daemon=True)
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        while self._thread.is_alive():  # unblock a reader waiting to hand over a part
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()
        sys.setswitchinterval(self._interval)

    def _produce(self) -> None:
        try:
            for part in self._parts:
                if not self._hand_over(self._prepare(part)):
                    return
            self._hand_over(self._END)
        except BaseException as exc:  # handed to the writer's thread, raised there
            self._hand_over(_ReaderFailure(exc))

    def _hand_over(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self) -> Iterator[_Part]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, _ReaderFailure):
                raise item.error
            yield item


@dataclass(frozen=True, slots=True)
class _ReaderFailure:
    error: BaseException


class _SourceImport:
    """One source import in progress, part after part, inside the caller's transaction.

    Each part is copied into ``import_part``, classified against the store, deduplicated
    against the partners stored before the import, and its *simple* records (one partner, one
    provenance, no opportunities: nearly all of a FINESS file) are written at once with their
    provenances (``seen_at`` = the import's time), the closed partners it lists reopened and
    its records counted; its other rows are appended to ``import_staged``. What needs the
    whole file waits for :meth:`finish`: records gone from the feed (neither seen nor
    staged), partners merged from several records, their provenances, closing.
    """

    def __init__(self, session: Session, report: ImportReport, *, feed: str) -> None:
        self.session = session
        self.report = report
        self.feed = feed
        self.now = record_rows.now()
        self.kept: dict[int, SourceRecord] = {}  # records that are not simple, by index
        self.attached: dict[uuid.UUID, set[str]] = defaultdict(set)  # stored partner → sources
        self.merged = 0
        self.provenances: set[str] = set()
        self.parts = 0
        self.had_partners = bool(session.scalar(text("SELECT EXISTS (SELECT 1 FROM partner)")))
        self.feed_listed = bool(  # live records of this feed before the import: some may go
            session.scalar(
                text(
                    "SELECT EXISTS (SELECT 1 FROM provenance WHERE feed = :feed "
                    "AND gone_at IS NULL)"
                ),
                {"feed": feed},
            )
        )
        _create_staging(session)

    def write_part(self, part: _Part) -> None:
        """Stage, classify, place and write one part (see the class docstring)."""
        records = part.records
        sources = {record.provenance for record in records}
        self.parts += 1
        self.provenances |= sources
        if self.parts > 1 and len(self.provenances) > 1:
            raise ValueError(
                "un fichier lu par parties doit venir d'une seule provenance "
                f"({', '.join(sorted(self.provenances))}) : le passer en entier"
            )
        session = self.session
        session.execute(text("TRUNCATE import_part"))
        _copy_part(session, part.copy_text)
        known = 0
        if self.had_partners:  # else every record is new: nothing to classify or to meet
            # statistics of the keys (not of the JSON): index lookups, not scans
            session.execute(text("ANALYZE import_part (source, source_id)"))
            known = _classify_part(session)
        plan = self._plan(records, any_new=known < len(records), mixed=len(sources) > 1)
        self.merged += len(plan.merged)
        _write_simple_partners(session, self.now)
        _write_provenances(session, feed=self.feed, now=self.now, simple=True)
        new, changed, unchanged, others = session.execute(
            text(
                "SELECT count(*) FILTER (WHERE NOT known), "
                "count(*) FILTER (WHERE known AND changed), "
                "count(*) FILTER (WHERE known AND NOT changed), "
                "coalesce(array_agg(idx) FILTER (WHERE NOT simple), '{}') FROM import_part"
            )
        ).one()
        self.report.created += new
        self.report.updated += changed
        self.report.unchanged += unchanged
        by_index = {record.index: record for record in records}
        self.kept.update((index, by_index[index]) for index in others)
        self.report.reopened += _reopen(session, self.now)
        # simple rows are written (their provenance seen now): only the others wait for the end
        if others:
            session.execute(
                text("INSERT INTO import_staged SELECT * FROM import_part WHERE NOT simple")
            )

    def _plan(self, records: Sequence[SourceRecord], *, any_new: bool, mixed: bool) -> _Plan:
        """Give every new record of the part a partner: a stored one of another source, or a
        new one.

        Only the records that may be the same structure as another are shown to the dedup
        rule: those near a partner stored before the import (SQL), and all new ones of the
        part when it holds several sources. The others keep the new partner id they were
        staged with: one partner each.
        """
        from graph.dedup import Candidate, deduplicate

        plan = _Plan()
        session = self.session
        stored: list[_Stored] = []
        near: set[int] = set()
        if not any_new:  # a re-import: every record already has its partner
            return plan
        if self.had_partners:
            stored, near = _stored_candidates(session, self.now)
        if mixed:
            near = set(session.scalars(text("SELECT idx FROM import_part WHERE NOT known")))
        if near:
            fresh = [record for record in records if record.index in near]
            candidates: list[Candidate] = [*stored, *fresh]
            for cluster in deduplicate(candidates):
                _place_cluster(cluster.records, plan, self.attached)
            _assign(session, plan)
        return plan

    def finish(self, *, departement: str | None, close_missing: bool) -> None:
        """What needs the whole file: gone records, merged partners, counts, closing."""
        session = self.session
        report = self.report
        missing = _missing_provenances(
            session,
            feed=self.feed,
            now=self.now,
            departement=departement,
            any_record=bool(report.created or report.updated or report.unchanged),
            report=report,
            close_missing=close_missing and self.feed_listed,
        )
        complex_ids = _mark_complex(session, set(self.attached), missing)
        _write_complex_partners(session, self.kept, complex_ids, missing, report)
        _write_provenances(session, feed=self.feed, now=self.now, simple=False)
        report.created -= self.merged  # attached to a partner, not created
        report.merged += self.merged
        report.closed = _close(session, missing, self.now)
        session.execute(text("DROP TABLE import_part"))
        session.execute(text("DROP TABLE import_staged"))


_STAGING_COLUMNS = """
    idx integer NOT NULL,
    source varchar(64) NOT NULL,
    source_id varchar(200) NOT NULL,
    family varchar(64) NOT NULL,
    record jsonb,
    updated_on date,
    simple boolean NOT NULL,
    partner_id uuid NOT NULL DEFAULT gen_random_uuid(),
    known boolean NOT NULL DEFAULT false,
    tracked boolean NOT NULL DEFAULT false,
    changed boolean NOT NULL DEFAULT true
"""


def _create_staging(session: Session) -> None:
    """``import_part`` (the part being written) and ``import_staged`` (the rows of the parts
    written that are not simple), temporary tables dropped at the end of the import, or of
    the transaction."""
    for table in ("import_part", "import_staged"):
        session.execute(text(f"CREATE TEMP TABLE {table} ({_STAGING_COLUMNS}) ON COMMIT DROP"))
    session.execute(text("CREATE UNIQUE INDEX ON import_staged (source, source_id)"))
    session.execute(text("CREATE INDEX ON import_staged (partner_id)"))


def record_payload(record: SourceRecord) -> str:
    """What a source said about a partner, as stored in ``provenance.record``: JSON text of
    ``{"partner", "geocoding", "opportunities", "extra"}`` (computed fields, the organisation
    and the fields without value left out: a missing field is ``None`` when read back)."""
    partner = _PARTNER_JSON.to_json(
        record.partner, exclude=_PARTNER_EXCLUDE, exclude_none=True
    ).decode()
    opportunities = ",".join(
        _OPPORTUNITY_JSON.to_json(o, exclude=_OPPORTUNITY_EXCLUDE, exclude_none=True).decode()
        for o in record.opportunities
    )
    extra = pydantic_core.to_json(record.extra, fallback=str).decode()
    geocoding = _GEOCODING_JSON[record.geocoding]
    return (
        f'{{"partner": {partner}, "geocoding": {geocoding}, '
        f'"opportunities": [{opportunities}], "extra": {extra}}}'
    )


# one import serialises every record: the models' serialisers, called directly
_PARTNER_JSON = PartnerFields.__pydantic_serializer__
_OPPORTUNITY_JSON = OpportunityFields.__pydantic_serializer__
_PARTNER_EXCLUDE: set[str] = {*PartnerFields.model_computed_fields, "organisation_id"}
_OPPORTUNITY_EXCLUDE: set[str] = set(OpportunityFields.model_computed_fields)
_GEOCODING_JSON = {method: json.dumps(method) for method in ("source", "commune", "swapped")}


def _record_of(row: Provenance) -> SourceRecord:
    """The stored record of a provenance row (which has one) as a `SourceRecord`."""
    from geodata.sources.common import SourceRecord

    payload = row.record or {}
    return SourceRecord(
        partner=PartnerFields.model_validate(payload["partner"]),
        provenance=row.source,
        source_id=row.source_id,
        opportunities=tuple(
            OpportunityFields.model_validate(o) for o in payload.get("opportunities", ())
        ),
        geocoding=payload.get("geocoding", "source"),
        extra=payload.get("extra", {}),
        updated_on=row.source_updated_on,
    )


def _copy_text(records: Sequence[SourceRecord]) -> str:
    """The rows of ``import_part`` for these records, in ``COPY``'s text format: a new
    partner id each (the column default) and ``simple`` = "carries no opportunities"."""
    lines = []
    for record in records:
        fields = (
            str(record.index),
            record.provenance,  # a source code: lower-case letters, digits, « . _ - »
            _copy_escape(record.source_id),
            vocabulary.family_of(record.partner.kind),
            # JSON has no raw control character: only its backslashes need doubling
            record_payload(record).replace("\\", "\\\\"),
            record.updated_on.isoformat() if record.updated_on else "\\N",
            "f" if record.opportunities else "t",
        )
        lines.append("\t".join(fields))
    lines.append("")
    return "\n".join(lines)


def _copy_escape(value: str) -> str:
    """A text field in ``COPY``'s text format: backslash, tabulation, newline and carriage
    return escaped (``str.replace`` is a fast scan when, as nearly always, they are absent)."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


_COPY_COLUMNS = "idx, source, source_id, family, record, updated_on, simple"


def _copy_part(session: Session, copy_text: str) -> None:
    """``COPY`` a part's rows (see `_copy_text`) into ``import_part``."""
    cursor = _driver_connection(session).cursor()
    with cursor, cursor.copy(f"COPY import_part ({_COPY_COLUMNS}) FROM STDIN") as copy:
        copy.write(copy_text)


def _classify_part(session: Session) -> int:
    """Classify the staged part against the store. Two ``UPDATE``s (of the known records
    only: none on a first import) say:

    - ``known``: its provenance exists (``tracked``), or a partner holds its key without one;
      it belongs to that partner;
    - ``changed``: new, or the source's record or date differ from last time, or it was gone;
    - ``simple``: the partner has this one provenance, its own key, and neither the stored
      nor the new record carries opportunities: writing the record is writing the partner.

    Returns the number of known records.
    """
    tracked = session.execute(
        text(
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
    )
    untracked = session.execute(
        text(
            """
            UPDATE import_part s SET partner_id = o.id, known = true
            FROM partner o
            WHERE NOT s.known AND o.source = s.source AND o.source_id = s.source_id
            """
        )
    )
    return sum(cast(CursorResult[Any], result).rowcount for result in (tracked, untracked))


def _driver_connection(session: Session) -> Any:
    """The psycopg connection under the session's transaction (for COPY)."""
    return session.connection().connection.driver_connection


def _place_cluster(
    members: Sequence[Any], plan: _Plan, attached: dict[uuid.UUID, set[str]]
) -> None:
    """A cluster's new records join its best stored partner, or found a new one together.

    ``attached`` holds, across the parts of the import, the sources already attached to each
    stored partner: a partner never gets two records of one source.
    """
    stored = [member for member in members if isinstance(member, _Stored)]
    fresh = [member for member in members if not isinstance(member, _Stored)]
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


def _assign(session: Session, plan: _Plan) -> None:
    """Write the plan's partner ids into the staged part; lone records without
    opportunities on a new partner are simple."""
    population = Counter(plan.partner_of.values())
    session.execute(
        text("CREATE TEMP TABLE import_assigned (idx integer, partner_id uuid, simple boolean)")
    )
    cursor = _driver_connection(session).cursor()
    with cursor, cursor.copy("COPY import_assigned (idx, partner_id, simple) FROM STDIN") as copy:
        for index, partner_id in plan.partner_of.items():
            simple = partner_id in plan.new_partners and population[partner_id] == 1
            copy.write_row((index, partner_id, simple))
    session.execute(
        text(
            """
            UPDATE import_part s SET partner_id = a.partner_id,
                simple = a.simple AND jsonb_array_length(s.record -> 'opportunities') = 0
            FROM import_assigned a WHERE a.idx = s.idx
            """
        )
    )
    session.execute(text("DROP TABLE import_assigned"))
    # a partner that receives a record of another source is no longer simple
    if plan.attached_to:
        session.execute(
            text("UPDATE import_part SET simple = false WHERE partner_id = ANY(:ids)"),
            {"ids": list(plan.attached_to)},
        )


def _stored_candidates(session: Session, now: dt.datetime) -> tuple[list[_Stored], set[int]]:
    """Partners stored before the import near the part's new records (or sharing their
    SIRET), and those records. Partners founded by earlier parts of the import are not
    candidates: records of one part are never compared with another part's."""
    point = (
        "ST_SetSRID(ST_MakePoint((s.record -> 'partner' ->> 'lon')::float8, "
        "(s.record -> 'partner' ->> 'lat')::float8), 4326)::geography"
    )
    founded = "pa.created_at <> :now"  # the partners this import created have its time
    pairs = session.execute(
        text(
            f"""
            SELECT s.idx, pa.id FROM import_part s JOIN partner pa
                ON pa.siret = s.record -> 'partner' ->> 'siret'
                AND ST_DWithin(pa.geom::geography, {point}, :siret_near)
            WHERE NOT s.known AND {founded}
            UNION
            SELECT s.idx, pa.id FROM import_part s JOIN partner pa
                ON ST_DWithin(pa.geom::geography, {point}, :near)
            WHERE NOT s.known AND {founded}
            """  # noqa: S608 (only constants are interpolated)
        ),
        {"near": _NEAR_M, "siret_near": _SIRET_NEAR_M, "now": now},
    ).all()
    if not pairs:
        return [], set()
    ids = sorted({partner_id for _, partner_id in pairs})
    provenances: dict[uuid.UUID, list[Provenance]] = defaultdict(list)
    partners: list[Partner] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        partners.extend(
            session.scalars(select(Partner).where(Partner.id.in_(chunk)).order_by(Partner.id))
        )
        for row in session.scalars(select(Provenance).where(Provenance.partner_id.in_(chunk))):
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
            _Stored(
                partner_id=partner.id,
                partner=record_rows.partner_record(partner),
                provenance=partner.source,
                source_id=partner.source_id or str(partner.id),
                geocoding=geocoding,
                sources=frozenset({partner.source, *(r.source for r in rows)}),
            )
        )
    return stored, {index for index, _ in pairs}


def _missing_provenances(
    session: Session,
    *,
    feed: str,
    now: dt.datetime,
    departement: str | None,
    any_record: bool,
    report: ImportReport,
    close_missing: bool,
) -> list[tuple[int, uuid.UUID]]:
    """``(provenance id, partner id)`` of this feed's records that the file no longer lists:
    neither seen by this import (``seen_at``, set with each simple record) nor staged for
    the end (the others)."""
    if not close_missing:
        return []
    if not any_record:
        report.notes.append(
            "aucun enregistrement valide : aucune fiche n'est considérée comme fermée"
        )
        return []
    exempt = [r.source_id for r in report.rejections if r.source_id]
    if any(r.source_id is None for r in report.rejections):
        report.notes.append(
            "des lignes rejetées n'ont pas d'identifiant : aucune fiche n'est considérée "
            "comme fermée par cet import"
        )
        return []
    scope = ""
    params: dict[str, Any] = {"feed": feed, "exempt": exempt, "now": now}
    if departement:
        scope = "AND pa.code_insee LIKE :prefix"
        params["prefix"] = departement.upper() + "%"
    rows = session.execute(
        text(
            f"""
            SELECT p.id, p.partner_id FROM provenance p JOIN partner pa ON pa.id = p.partner_id
            WHERE p.feed = :feed AND p.gone_at IS NULL AND p.seen_at <> :now
                AND p.source_id <> ALL(:exempt) {scope}
                AND NOT EXISTS (
                    SELECT 1 FROM import_staged s
                    WHERE s.source = p.source AND s.source_id = p.source_id
                )
            """  # noqa: S608 (only constants are interpolated)
        ),
        params,
    ).all()
    return [(row[0], row[1]) for row in rows]


def _mark_complex(
    session: Session, attached: set[uuid.UUID], missing: Sequence[tuple[int, uuid.UUID]]
) -> set[uuid.UUID]:
    """Partners merged in Python: several provenances or opportunities, and new or changed
    records; or that lose a provenance while keeping another."""
    ids = set(
        session.scalars(
            text("SELECT DISTINCT partner_id FROM import_staged WHERE NOT simple AND changed")
        )
    )
    ids |= attached
    losing = {partner_id for _, partner_id in missing}
    if losing:
        ids |= set(
            session.scalars(
                text(
                    "SELECT partner_id FROM provenance WHERE partner_id = ANY(:ids) "
                    "AND gone_at IS NULL AND NOT (id = ANY(:gone))"
                ),
                {"ids": list(losing), "gone": [pid for pid, _ in missing]},
            )
        )
    return ids


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


# the partner fields of a staged record, read in one call (not one JSON lookup per field)
_PARTNER_RECORD = """
    jsonb_to_record(s.record -> 'partner') AS p(
        name text, kind varchar, siret varchar, address text, code_insee varchar,
        lon float8, lat float8, capacity integer, available_places integer,
        opening_hours text, publics varchar[], thematiques varchar[], eligibility jsonb,
        contact jsonb, description text
    )
"""


def _write_simple_partners(session: Session, now: dt.datetime) -> None:
    """Set-based writes of the simple records of the staged part: one ``INSERT`` for the new
    ones, one ``UPDATE`` for the changed ones, touching only the partners whose fields
    differ."""
    values = {
        **{column: f"p.{column}" for column in _PARTNER_COLUMNS},
        "family": "s.family",
        "geom": "ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)",
        "publics": "coalesce(p.publics, '{}')",
        "thematiques": "coalesce(p.thematiques, '{}')",
        "eligibility": "coalesce(p.eligibility, '{}')",
        "contact": "coalesce(p.contact, '{}')",
        "source": "s.source",
        "source_id": "s.source_id",
    }
    columns = ", ".join(_PARTNER_COLUMNS)
    selected = ", ".join(f"{values[c]} AS {c}" for c in _PARTNER_COLUMNS)
    session.execute(
        text(
            f"""
            INSERT INTO partner (id, {columns}, created_at, updated_at)
            SELECT s.partner_id, {selected}, :now, :now
            FROM import_part s, {_PARTNER_RECORD}
            WHERE s.simple AND NOT s.known
            """  # noqa: S608 (only constants are interpolated)
        ),
        {"now": now},
    )
    compared = [c for c in _PARTNER_COLUMNS if c != "geom"]
    session.execute(
        text(
            f"""
            UPDATE partner pa SET ({columns}, updated_at) = ({
                ", ".join(f"v.{c}" for c in _PARTNER_COLUMNS)
            }, :now)
            FROM (
                SELECT s.partner_id, {selected}
                FROM import_part s, {_PARTNER_RECORD}
                WHERE s.simple AND s.known AND s.changed
            ) v
            WHERE pa.id = v.partner_id
                AND ({", ".join(f"pa.{c}" for c in compared)}, ST_AsBinary(pa.geom))
                IS DISTINCT FROM
                ({", ".join(f"v.{c}" for c in compared)}, ST_AsBinary(v.geom))
            """  # noqa: S608 (only constants are interpolated)
        ),
        {"now": now},
    )


def _write_complex_partners(
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
    for index, partner_id in session.execute(
        text("SELECT idx, partner_id FROM import_staged WHERE partner_id = ANY(:ids)"),
        {"ids": list(partner_ids)},
    ):
        incoming[partner_id].append(by_index[index])
    gone = {provenance_id for provenance_id, _ in missing}
    ids = list(partner_ids)
    partners: dict[uuid.UUID, Partner] = {}
    provenances: dict[uuid.UUID, list[Provenance]] = defaultdict(list)
    opportunities: dict[uuid.UUID, list[Opportunity]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        partners.update(
            (row.id, row) for row in session.scalars(select(Partner).where(Partner.id.in_(chunk)))
        )
        for row in session.scalars(select(Provenance).where(Provenance.partner_id.in_(chunk))):
            provenances[row.partner_id].append(row)
        for opp in session.scalars(select(Opportunity).where(Opportunity.partner_id.in_(chunk))):
            opportunities[opp.partner_id].append(opp)
    for partner_id in sorted(partner_ids):
        rows = provenances[partner_id]
        before = [_record_of(r) for r in rows if r.record is not None and r.gone_at is None]
        new_keys = {record.key for record in incoming[partner_id]}
        after = [
            _record_of(r)
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
    """Write the merged record onto the partner when it differs (its organisation kept)."""
    from graph.dedup import Cluster

    merged = Cluster(tuple(_canonical_order(records))).partner()
    if partner.name is not None and _comparable(record_rows.partner_record(partner)) == _comparable(
        merged
    ):
        return
    if partner.organisation_id is not None:
        merged = merged.model_copy(update={"organisation_id": str(partner.organisation_id)})
    record_rows.apply_partner(partner, merged)


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


def _write_provenances(session: Session, *, feed: str, now: dt.datetime, simple: bool) -> None:
    """Insert or update the provenances of the simple records of the staged part
    (``simple``), or of the other records of the whole import: partner, record, dates; not
    gone."""
    table, which = ("import_part", "s.simple") if simple else ("import_staged", "NOT s.simple")
    session.execute(
        text(
            f"""
            INSERT INTO provenance
                (partner_id, source, source_id, feed, record, source_updated_on, seen_at)
            SELECT s.partner_id, s.source, s.source_id, :feed, s.record, s.updated_on, :now
            FROM {table} s WHERE NOT s.tracked AND {which}
            """  # noqa: S608 (only constants are interpolated)
        ),
        {"feed": feed, "now": now},
    )
    session.execute(
        text(
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
        ),
        {"feed": feed, "now": now},
    )


def _reopen(session: Session, now: dt.datetime) -> int:
    """Reopen the closed partners the staged part lists again; returns how many."""
    result = session.execute(
        text(
            """
            UPDATE partner pa SET status = 'open', closed_at = NULL, updated_at = :now
            FROM import_part s
            WHERE pa.status = 'closed' AND pa.id = s.partner_id
            """
        ),
        {"now": now},
    )
    return cast(CursorResult[Any], result).rowcount


def _close(session: Session, missing: Sequence[tuple[int, uuid.UUID]], now: dt.datetime) -> int:
    """Mark the missing provenances gone; close partners left without a live one."""
    if not missing:
        return 0
    session.execute(
        text("UPDATE provenance SET gone_at = :now WHERE id = ANY(:ids)"),
        {"now": now, "ids": [provenance_id for provenance_id, _ in missing]},
    )
    result = session.execute(
        text(
            """
            UPDATE partner pa SET status = 'closed', closed_at = :now, updated_at = :now
            WHERE pa.id = ANY(:ids) AND pa.status = 'open' AND NOT EXISTS (
                SELECT 1 FROM provenance q WHERE q.partner_id = pa.id AND q.gone_at IS NULL
            )
            """
        ),
        {"now": now, "ids": list({partner_id for _, partner_id in missing})},
    )
    return cast(CursorResult[Any], result).rowcount


def export_data_inclusion(session: Session, *, producer: str = "maillage") -> list[dict[str, Any]]:
    """Open partners as data·inclusion v1 structures (`geodata.sources.data_inclusion`).

    Each structure's ``id`` is ``{producer}--{partner id}`` (stable across exports) and its
    ``date_maj`` the day the partner last changed in maillage (``updated_at``, UTC). Ordered by
    ``(source, source_id, id)``.

    Raises
    ------
    geodata.sources.data_inclusion.DataInclusionExportError
        Listing every partner that cannot be a v1 structure (French reasons).
    """
    from geodata.sources.data_inclusion import DataInclusionExportError, to_data_inclusion

    partners = list(
        session.scalars(
            select(Partner)
            .where(Partner.status == "open")
            .order_by(Partner.source, Partner.source_id, Partner.id)
        )
    )
    structures: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    for index, partner in enumerate(partners):
        try:
            structures.extend(
                to_data_inclusion(
                    [record_rows.partner_record(partner)],
                    date_maj=partner.updated_at.astimezone(dt.UTC).date(),
                    source=producer,
                    ids=[str(partner.id)],
                )
            )
        except DataInclusionExportError as exc:
            problems.extend((index, f"{partner.name} : {reason}") for _, reason in exc.problems)
    if problems:
        raise DataInclusionExportError(problems)
    return structures
