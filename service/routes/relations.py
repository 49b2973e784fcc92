"""``/v1/relations``: who works with whom (typed, directed, dated edges)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from graph.models import RelationFields, dump
from service import store
from service.auth import check_can_write_partner
from service.deps import RelationDep, SessionDep, WriterDep
from service.schemas import RelationCreate, RelationOut, RelationPatch
from service.tables import Relation

router = APIRouter(prefix="/v1/relations", tags=["relations"])

_DUPLICATE = "Cette relation existe déjà (même source, même cible, même type)."


def _out(session: SessionDep, row: Relation) -> RelationOut:
    source = store.get_partner(session, row.source_partner_id)
    target = store.get_partner(session, row.target_partner_id)
    return store.relation_out(row, source.name, target.name)


@router.get("/{relation_id}", summary="Lire une relation")
def read_relation(session: SessionDep, relation: RelationDep) -> RelationOut:
    return _out(session, relation)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Créer une relation")
def create_relation(session: SessionDep, writer: WriterDep, body: RelationCreate) -> RelationOut:
    source = store.get_partner(session, body.source_partner_id)
    store.get_partner(session, body.target_partner_id)
    check_can_write_partner(session, writer, source)
    row = Relation(
        source_partner_id=body.source_partner_id, target_partner_id=body.target_partner_id
    )
    store.apply_relation(
        row,
        RelationFields.model_validate(
            body.model_dump(exclude={"source_partner_id", "target_partner_id"})
        ),
    )
    session.add(row)
    store.commit(session, conflict=_DUPLICATE)
    return _out(session, row)


@router.patch("/{relation_id}", summary="Modifier une relation")
def update_relation(
    session: SessionDep, writer: WriterDep, relation: RelationDep, body: RelationPatch
) -> RelationOut:
    check_can_write_partner(session, writer, store.get_partner(session, relation.source_partner_id))
    merged: dict[str, Any] = dump(store.relation_record(relation))
    merged.update(body.model_dump(exclude_unset=True))
    store.apply_relation(relation, RelationFields.model_validate(merged))
    store.commit(session, conflict=_DUPLICATE)
    return _out(session, relation)


@router.delete("/{relation_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer")
def delete_relation(session: SessionDep, writer: WriterDep, relation: RelationDep) -> Response:
    check_can_write_partner(session, writer, store.get_partner(session, relation.source_partner_id))
    session.delete(relation)
    store.commit(session, conflict=_DUPLICATE)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
