"""Open-data sources into the store (`import_source`).

The records of a `geodata.sources` reader (FINESS, data·inclusion, SIAE, agencies, médiation
numérique; opened by `service.imports.feeds.open_feed`) are upserted on their provenance
``(source, source_id)``. An import is all-or-nothing by default (with ``partial=True`` the
valid records are written and the rejected ones reported); writing the same file twice reports
everything unchanged. The caller owns the transaction: it commits after a successful import,
so an import killed midway (even by ``kill -9``) leaves the store as it was. A file comes whole
or, from a streaming reader (`geodata.sources.finess.iter_finess`), in parts that a background
thread reads while the previous part is written (`service.imports.readahead`); each part goes
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

The SQL is in `service.imports.queries`; placing and merging in `service.imports.clusters`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.orm import Session

from service.imports import queries
from service.imports.clusters import (
    Plan,
    Stored,
    assign,
    place_cluster,
    stored_candidates,
    write_complex_partners,
)
from service.imports.readahead import Part, Preparation, ReadAhead, parts_of
from service.imports.report import ImportReport, Progress
from service.imports.staging import copy_part
from service.store import records as record_rows

if TYPE_CHECKING:
    from geodata.sources.common import ReadResult, SourceRecord


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
    from geodata.sources.common import ReadResult, gc_paused

    report = ImportReport()
    parts = parts_of(result) if isinstance(result, ReadResult) else result
    # Python's cyclic collector waits for the end of the import (`gc_paused`): the parts
    # in flight are ~10 tracked objects per record, which it would walk again and again
    with gc_paused():
        savepoint = session.begin_nested()
        complete = True
        try:
            run = _SourceImport(session, report, feed=source)
            with ReadAhead(parts, Preparation()) as prepared:
                for part in prepared:
                    report.total += part.total
                    report.skipped += part.skipped
                    report.attached += part.attached
                    report.offered += part.offered
                    report.defaulted += part.defaulted
                    report.records += len(part.records)
                    report.rejections.extend(part.rejections)
                    report.notes.extend(note for note in part.notes if note not in report.notes)
                    complete = complete and part.complete
                    if report.rejections and not partial:
                        continue  # read on: every rejection is reported, nothing is written
                    run.write_part(part)
                    if progress:
                        progress(part.total)
            if report.rejections and not partial:
                savepoint.rollback()
                return report
            if close_missing and not complete:
                report.notes.append(
                    "fichier incomplet : aucune fiche n'est considérée comme fermée par cet import"
                )
            run.finish(departement=departement, close_missing=close_missing and complete)
            savepoint.commit()
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
    session.expire_all()  # rows were written behind the ORM's back
    report.applied = True
    return report


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
        self.had_partners = bool(session.scalar(queries.any_partner()))
        # live records of this feed before the import: some may go
        self.feed_listed = bool(session.scalar(queries.feed_listed(feed)))
        for statement in queries.create_staging():
            session.execute(statement)

    def write_part(self, part: Part) -> None:
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
        session.execute(queries.truncate_part())
        copy_part(session, part.copy_text)
        known = 0
        if self.had_partners:  # else every record is new: nothing to classify or to meet
            session.execute(queries.analyze_part())
            known = _classify_part(session)
        plan = self._plan(records, any_new=known < len(records), mixed=len(sources) > 1)
        self.merged += len(plan.merged)
        session.execute(queries.insert_simple_partners(self.now))
        session.execute(queries.update_simple_partners(self.now))
        _write_provenances(session, feed=self.feed, now=self.now, simple=True)
        new, changed, unchanged, others = session.execute(queries.part_counts()).one()
        self.report.created += new
        self.report.updated += changed
        self.report.unchanged += unchanged
        by_index = {record.index: record for record in records}
        self.kept.update((index, by_index[index]) for index in others)
        self.report.reopened += _rowcount(session.execute(queries.reopen(self.now)))
        # simple rows are written (their provenance seen now): only the others wait for the end
        if others:
            session.execute(queries.stage_others())

    def _plan(self, records: Sequence[SourceRecord], *, any_new: bool, mixed: bool) -> Plan:
        """Give every new record of the part a partner: a stored one of another source, or a
        new one.

        Only the records that may be the same structure as another are shown to the dedup
        rule: those near a partner stored before the import (SQL), and all new ones of the
        part when it holds several sources. The others keep the new partner id they were
        staged with: one partner each.
        """
        from graph.dedup import Candidate, deduplicate

        plan = Plan()
        session = self.session
        stored: list[Stored] = []
        near: set[int] = set()
        if not any_new:  # a re-import: every record already has its partner
            return plan
        if self.had_partners:
            stored, near = stored_candidates(session, self.now)
        if mixed:
            near = set(session.scalars(queries.new_records()))
        if near:
            fresh = [record for record in records if record.index in near]
            candidates: list[Candidate] = [*stored, *fresh]
            for cluster in deduplicate(candidates):
                place_cluster(cluster.records, plan, self.attached)
            assign(session, plan)
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
        write_complex_partners(session, self.kept, complex_ids, missing, report)
        _write_provenances(session, feed=self.feed, now=self.now, simple=False)
        report.created -= self.merged  # attached to a partner, not created
        report.merged += self.merged
        report.closed = _close(session, missing, self.now)
        for statement in queries.drop_staging():
            session.execute(statement)


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
    rows = session.execute(
        queries.missing_provenances(feed=feed, now=now, exempt=exempt, departement=departement)
    ).all()
    return [(row[0], row[1]) for row in rows]


def _mark_complex(
    session: Session, attached: set[uuid.UUID], missing: Sequence[tuple[int, uuid.UUID]]
) -> set[uuid.UUID]:
    """Partners merged in Python: several provenances or opportunities, and new or changed
    records; or that lose a provenance while keeping another."""
    ids = set(session.scalars(queries.changed_complex_partners()))
    ids |= attached
    losing = {partner_id for _, partner_id in missing}
    if losing:
        gone = [provenance_id for provenance_id, _ in missing]
        ids |= set(session.scalars(queries.partners_keeping_provenance(list(losing), gone)))
    return ids


def _close(session: Session, missing: Sequence[tuple[int, uuid.UUID]], now: dt.datetime) -> int:
    """Mark the missing provenances gone; close partners left without a live one."""
    if not missing:
        return 0
    session.execute(queries.mark_gone([provenance_id for provenance_id, _ in missing], now))
    closed = queries.close_partners({partner_id for _, partner_id in missing}, now)
    return _rowcount(session.execute(closed))


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
    tracked = session.execute(queries.classify_tracked())
    untracked = session.execute(queries.classify_untracked())
    return _rowcount(tracked) + _rowcount(untracked)


def _write_provenances(session: Session, *, feed: str, now: dt.datetime, simple: bool) -> None:
    """Insert or update the provenances of the simple records of the staged part
    (``simple``), or of the other records of the whole import: partner, record, dates; not
    gone."""
    for statement in queries.write_provenances(feed=feed, now=now, simple=simple):
        session.execute(statement)


def _rowcount(result: Any) -> int:
    """Rows an ``UPDATE`` touched."""
    return cast(CursorResult[Any], result).rowcount
