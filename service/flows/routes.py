"""``/v1/relations/{id}/flows`` and ``/v1/network/flows``: how many orientations went along the
territory's relations, by period — aggregated counts, never a person (`graph.flows`).

A structure party to a relation (an editor of its organisation) or an administrator declares
the counts of a period (``PUT``), or imports a CSV file of them, written all or nothing with
each rejected line named (`service.flows.csvfile`). Anyone reads them; without a key or a
session, small counts (1 to ``MAILLAGE_FLOW_MIN_PUBLIC_COUNT`` − 1) and the totals that hold
them are masked. Periods that ended before the retention (``MAILLAGE_FLOW_RETENTION_MONTHS``)
are purged on every write, and by ``maillage network purge-flows``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from graph.flows import (
    FlowCounts,
    count_problems,
    period_time_problems,
    totals_by_period,
    totals_by_relation,
)
from graph.flows import (
    RelationFlow as Flow,
)
from service.auth import Principal, check_can_write_partner
from service.deps import PrincipalDep, SessionDep, WriterDep
from service.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from service.flows import queries
from service.flows.csvfile import CsvRow, Rejection, read_rows
from service.flows.parameters import FlowDeclaration, FlowWindow, PeriodQuery
from service.flows.retention import purge_expired, today
from service.flows.schemas import (
    Counts,
    FlowImport,
    FlowOut,
    PartnerRef,
    PeriodTotal,
    RelationFlows,
    RelationTotal,
    TerritoryFlows,
    counts_out,
    masking_sentence,
    volume_shown,
)
from service.settings import Settings
from service.store import records
from service.store.flows import read_flows
from service.tables import Partner, Relation, RelationFlow

router = APIRouter(prefix="/v1", tags=["orientations"])

_OVERLAP = "Cette période chevauche une autre période déclarée pour cette relation."
_NOT_PARTY = "Accès refusé : votre organisation n'est pas partie à cette relation."


@dataclass(frozen=True, slots=True)
class FlowSettings:
    """What the flows read of the app's `Settings` (a route is handed no settings model)."""

    flow_retention_months: int
    flow_min_public_count: int


def _settings(request: Request) -> FlowSettings:
    settings: Settings = request.app.state.settings
    return FlowSettings(settings.flow_retention_months, settings.flow_min_public_count)


SettingsDep = Annotated[FlowSettings, Depends(_settings)]


def _threshold(principal: Principal | None, settings: FlowSettings) -> int | None:
    """Counts are masked below this for an anonymous reader; exact (``None``) otherwise."""
    return None if principal is not None else settings.flow_min_public_count


# -- one relation -----------------------------------------------------------------------------


@router.get("/relations/{relation_id}/flows", summary="Comptes d'orientations d'une relation")
def relation_flows(
    session: SessionDep, principal: PrincipalDep, settings: SettingsDep, relation_id: uuid.UUID
) -> RelationFlows:
    """Les comptes d'orientations (envoyées, reçues, acceptées) de la relation, période par
    période, la plus ancienne d'abord : des nombres agrégés, jamais une personne. Sans clé ni
    session, un compte de 1 à ``MAILLAGE_FLOW_MIN_PUBLIC_COUNT`` − 1 est masqué (``null``,
    nommé dans ``masked``)."""
    relation, source, target = queries.get_relation(session, relation_id)
    threshold = _threshold(principal, settings)
    rows = session.scalars(queries.flows_of([relation.id])).all()
    return RelationFlows(
        relation_id=relation.id,
        kind=relation.kind,
        source=_ref(source),
        target=_ref(target),
        retention_months=settings.flow_retention_months,
        masked_below=threshold,
        explanation=masking_sentence(threshold),
        items=[_flow_out(row, threshold) for row in rows],
    )


@router.put("/relations/{relation_id}/flows", summary="Déclarer les comptes d'une période")
def declare_flows(
    session: SessionDep,
    writer: WriterDep,
    settings: SettingsDep,
    relation_id: uuid.UUID,
    body: FlowDeclaration,
) -> FlowOut:
    """Déclare (ou corrige) les comptes d'orientations de la relation pour une période de mois
    entiers : un éditeur d'une organisation partie à la relation (source ou cible), ou un
    administrateur. Un compte absent du corps garde sa valeur enregistrée, ``null`` l'efface.
    Règles (422) : période de mois entiers, au plus 12 mois, pas à venir, pas finie avant la
    durée de conservation ; au moins un compte ; acceptées au plus reçues (comptes enregistrés
    compris). Une période qui en chevauche une autre de la relation : 409. Les périodes
    finies avant la durée de conservation sont effacées à cette occasion."""
    relation, source, target = queries.get_relation(session, relation_id)
    _check_party(session, writer, source, target)
    problems = period_time_problems(
        body.period_start, body.end, today=today(), retention_months=settings.flow_retention_months
    )
    if problems:
        raise InvalidInputError(problems[0])
    stored = session.scalars(queries.flows_of([relation.id])).all()
    existing = next((f for f in stored if f.period_start == body.period_start), None)
    if _overlaps(stored, body.period_start, body.end):
        raise ConflictError(_OVERLAP)
    counts = body.counts_over(_counts(existing) if existing is not None else None)
    problems = count_problems(counts)
    if problems:
        raise InvalidInputError(problems[0])
    row = existing if existing is not None else RelationFlow(relation_id=relation.id)
    _apply(row, body.period_start, body.end, counts, source="declared", writer=writer)
    session.add(row)
    purge_expired(session, settings.flow_retention_months)
    records.commit(session, conflict=_OVERLAP)
    return _flow_out(row, None)


@router.delete(
    "/relations/{relation_id}/flows",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Effacer les comptes d'une période",
)
def delete_flows(
    session: SessionDep,
    writer: WriterDep,
    relation_id: uuid.UUID,
    params: Annotated[PeriodQuery, Query()],
) -> Response:
    """Efface les comptes de la période de la relation qui commence à ``period_start`` (une
    déclaration faite par erreur) : mêmes rôles que la déclaration ; 404 sans cette période."""
    relation, source, target = queries.get_relation(session, relation_id)
    _check_party(session, writer, source, target)
    stored = session.scalars(queries.flows_of([relation.id])).all()
    row = next((f for f in stored if f.period_start == params.period_start), None)
    if row is None:
        raise NotFoundError("Aucune période de cette relation ne commence à cette date.")
    session.delete(row)
    records.commit(session, conflict=_OVERLAP)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- the territory ----------------------------------------------------------------------------


@router.get("/network/flows", summary="Comptes d'orientations du territoire")
def territory_flows(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    params: Annotated[FlowWindow, Query()],
) -> TerritoryFlows:
    """Les comptes d'orientations des périodes comprises dans la fenêtre ``since`` –
    ``until`` (une période à cheval sur une borne est laissée de côté, jamais coupée) : par
    relation (sommés sur ses périodes, avec ``volume``, le poids de l'arête : reçues, à défaut
    envoyées), par période (sommés sur les relations) et au total. Des nombres agrégés,
    jamais une personne ; sans clé ni session, un compte de 1 à
    ``MAILLAGE_FLOW_MIN_PUBLIC_COUNT`` − 1 est masqué, et tout total qui le contient."""
    threshold = _threshold(principal, settings)
    flows = read_flows(session, since=params.since, until=params.until)
    if params.kinds:
        flows = [f for f in flows if f.kind in params.kinds]
    if params.partner_id is not None:
        touching = set(session.scalars(queries.relations_touching(params.partner_id)))
        flows = [f for f in flows if f.relation_id in touching]
    names = {
        pid: PartnerRef(id=uuid.UUID(pid), name=name, kind=kind)
        for pid, name, kind in session.execute(
            queries.partner_names({p for f in flows for p in (f.source_id, f.target_id)})
        )
    }
    parts: dict[str, list[FlowCounts]] = defaultdict(list)
    first: dict[str, Flow] = {}
    for flow in flows:
        parts[flow.relation_id].append(flow.counts)
        first.setdefault(flow.relation_id, flow)
    relations = []
    for relation_id, total in totals_by_relation(flows).items():
        flow = first[relation_id]
        shown = counts_out(total, threshold, parts[relation_id])
        relations.append(
            RelationTotal(
                **shown.model_dump(),
                relation_id=uuid.UUID(relation_id),
                kind=flow.kind,
                source=names[flow.source_id],
                target=names[flow.target_id],
                periods=len(parts[relation_id]),
                volume=volume_shown(total, shown),
            )
        )
    periods = []
    for (start, end), total in totals_by_period(flows).items():
        inside = [f.counts for f in flows if (f.period_start, f.period_end) == (start, end)]
        periods.append(
            PeriodTotal(
                **counts_out(total, threshold, inside).model_dump(),
                period_start=start,
                period_end=end,
                relations=len(inside),
            )
        )
    everything = [f.counts for f in flows]
    return TerritoryFlows(
        since=params.since,
        until=params.until,
        retention_months=settings.flow_retention_months,
        masked_below=threshold,
        explanation=masking_sentence(threshold),
        totals=counts_out(sum(everything, FlowCounts()), threshold, everything),
        relations=relations,
        periods=periods,
    )


async def _csv_body(request: Request) -> bytes:
    return await request.body()


_CSV_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {
                "type": "string",
                "description": "fichier CSV UTF-8 (« ; » ou « , ») : en-tête relation (ou "
                "source, cible, type), debut, fin, envoyees, recues, acceptees",
            }
        }
    },
}


@router.post(
    "/network/flows/import",
    summary="Importer des comptes d'orientations (CSV)",
    openapi_extra={"requestBody": _CSV_BODY},
    response_model=FlowImport,
)
def import_flows(
    session: SessionDep,
    writer: WriterDep,
    settings: SettingsDep,
    content: Annotated[bytes, Depends(_csv_body)],
) -> FlowImport | JSONResponse:
    """Un fichier CSV de comptes d'orientations, une ligne par relation et par période, écrit
    **tout ou rien** : une seule ligne rejetée et rien n'est écrit ; la réponse 422 liste
    chaque rejet (``loc`` : ``["body", n° de ligne, colonne]``, ``msg`` en français).
    Colonnes : ``relation`` (identifiant), ou ``source``, ``cible`` et ``type`` ; ``debut``
    (``AAAA-MM-01`` ou ``AAAA-MM``), ``fin`` (vide : le mois de ``debut``) ; ``envoyees``,
    ``recues``, ``acceptees`` (une cellule vide garde la valeur enregistrée). Mêmes règles
    qu'une déclaration ; une relation dont l'organisation de l'éditeur n'est pas partie : 403
    (les lignes sont nommées)."""
    rows, rejections = read_rows(
        content, today=today(), retention_months=settings.flow_retention_months
    )
    resolved, unknown = _resolve(session, rows)
    _check_rows_party(session, writer, resolved)  # before any detail of the stored counts
    stored: dict[uuid.UUID, list[RelationFlow]] = defaultdict(list)
    for row in session.scalars(queries.flows_of({r.id for r, _, _, _ in resolved})):
        stored[row.relation_id].append(row)
    rejections += unknown + _file_problems(resolved, stored)
    if rejections:
        return _rejected(sorted(rejections, key=lambda r: r.line))
    created = 0
    for relation, _, _, line in resolved:
        existing = next(
            (f for f in stored[relation.id] if f.period_start == line.period_start), None
        )
        row = existing if existing is not None else RelationFlow(relation_id=relation.id)
        created += existing is None
        counts = line.counts_over(_counts(existing) if existing is not None else None)
        _apply(row, line.period_start, line.period_end, counts, source="import", writer=writer)
        session.add(row)
    purged, _ = purge_expired(session, settings.flow_retention_months)
    records.commit(session, conflict=_OVERLAP)
    return FlowImport(
        written=len(resolved),
        created=created,
        updated=len(resolved) - created,
        purged=purged,
        retention_months=settings.flow_retention_months,
    )


# -- helpers ----------------------------------------------------------------------------------

Resolved = tuple[Relation, Partner, Partner, CsvRow]


def _ref(partner: Partner) -> PartnerRef:
    return PartnerRef(id=partner.id, name=partner.name, kind=partner.kind)


def _counts(row: RelationFlow) -> FlowCounts:
    return FlowCounts(sent=row.sent, received=row.received, accepted=row.accepted)


def _flow_out(row: RelationFlow, threshold: int | None) -> FlowOut:
    shown: Counts = counts_out(_counts(row), threshold, [])
    return FlowOut(
        **shown.model_dump(),
        period_start=row.period_start,
        period_end=row.period_end,
        source=row.source,
        declared_by=row.declared_by,
        updated_at=row.updated_at,
    )


def _apply(
    row: RelationFlow,
    start: dt.date,
    end: dt.date,
    counts: FlowCounts,
    *,
    source: str,
    writer: Principal,
) -> None:
    row.period_start, row.period_end = start, end
    row.sent, row.received, row.accepted = counts.sent, counts.received, counts.accepted
    row.source = source
    row.declared_by = writer.organisation_id if writer.role == "editor" else None
    row.updated_at = dt.datetime.now(dt.UTC)


def _overlaps(stored: Iterable[RelationFlow], start: dt.date, end: dt.date) -> bool:
    """Whether ``start`` – ``end`` overlaps a stored period that does not start on ``start``
    (that one it replaces)."""
    return any(
        f.period_start != start and f.period_start <= end and start <= f.period_end for f in stored
    )


def _check_party(session: Session, writer: Principal, *parties: Partner) -> None:
    """An editor writes the counts of a relation its organisation is party to (source or
    target, as `service.auth.check_can_write_partner` reads a partner); admins, any."""
    for partner in parties:
        try:
            check_can_write_partner(session, writer, partner)
        except PermissionDeniedError:
            continue
        return
    raise PermissionDeniedError(_NOT_PARTY)


def _check_rows_party(session: Session, writer: Principal, resolved: Sequence[Resolved]) -> None:
    refused = []
    for _, source, target, line in resolved:
        try:
            _check_party(session, writer, source, target)
        except PermissionDeniedError:
            refused.append(line.line)
    if refused:
        shown = ", ".join(str(n) for n in refused[:10]) + (" …" if len(refused) > 10 else "")
        raise PermissionDeniedError(
            f"Accès refusé : votre organisation n'est pas partie aux relations des lignes "
            f"{shown} ; rien n'a été écrit."
        )


def _resolve(session: Session, rows: list[CsvRow]) -> tuple[list[Resolved], list[Rejection]]:
    """Each line with its relation and partners, or a rejection when it names none."""
    by_id = {
        r.id: (r, s, t)
        for r, s, t in session.execute(
            queries.relations_by_id({row.relation_id for row in rows if row.relation_id})
        )
    }
    by_ends = {
        (r.source_partner_id, r.target_partner_id, r.kind): (r, s, t)
        for r, s, t in session.execute(
            queries.relations_by_ends({row.ends for row in rows if row.ends})
        )
    }
    resolved: list[Resolved] = []
    rejections = []
    for row in rows:
        found = (
            by_id.get(row.relation_id)
            if row.relation_id is not None
            else by_ends.get(row.ends)
            if row.ends is not None
            else None
        )
        if found is None:
            rejections.append(
                Rejection(
                    row.line,
                    "relation" if row.relation_id else None,
                    "aucune relation de la base ne correspond",
                )
            )
        else:
            resolved.append((*found, row))
    return resolved, rejections


def _file_problems(
    resolved: Sequence[Resolved], stored: dict[uuid.UUID, list[RelationFlow]]
) -> list[Rejection]:
    """Lines whose period overlaps another line's or a stored one, or whose counts, merged on
    the stored ones, break a rule."""
    rejections = []
    seen: dict[uuid.UUID, list[CsvRow]] = defaultdict(list)
    for relation, _, _, line in resolved:
        others = seen[relation.id]
        if any(
            o.period_start <= line.period_end and line.period_start <= o.period_end for o in others
        ):
            rejections.append(
                Rejection(line.line, "debut", "période qui chevauche une autre ligne du fichier")
            )
            continue
        others.append(line)
        if _overlaps(stored[relation.id], line.period_start, line.period_end):
            rejections.append(Rejection(line.line, "debut", _OVERLAP.lower().rstrip(".")))
            continue
        existing = next(
            (f for f in stored[relation.id] if f.period_start == line.period_start), None
        )
        problems = count_problems(line.counts_over(_counts(existing) if existing else None))
        if problems:
            rejections.append(
                Rejection(line.line, None, problems[0] + " (comptes enregistrés compris)")
            )
    return rejections


def _rejected(rejections: Sequence[Rejection]) -> JSONResponse:
    """422: every rejected line, in the shape of a validation error (`service.contract`)."""
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body", r.line, *([r.column] if r.column else [])],
                    "msg": r.text,
                    "type": "ligne_rejetee",
                }
                for r in rejections
            ]
        },
        status_code=422,
    )
