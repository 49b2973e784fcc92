"""``GET /v1/network/isolated``: hosting structures with no employer partner, each with its
nearest SIAE; it holds with points a write could no longer store (legacy rows at (0, 0) or at
subnormal coordinates made the geography KNN fail, « index returned tuples in wrong order »)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from graph import vocabulary
from service.store import records
from service.tables import Partner, Relation
from tests.conftest import ALES, NIMES

SUBNORMAL = 5e-324  # the smallest positive double


def stored(db: Session, name: str, kind: str, lon: float, lat: float) -> Partner:
    """A partner row written straight to the store, past the API's validation."""
    row = Partner(
        id=uuid.uuid4(),
        name=name,
        kind=kind,
        family=vocabulary.family_of(kind),
        source="test",
        source_id=uuid.uuid4().hex,
        geom=records.point(lon, lat),
    )
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def indexed(db: Session) -> None:
    """Plan as on a large store: through the GiST index on ``geom::geography`` (a handful of
    rows would be read in full and sorted, which never failed)."""
    db.execute(text("SET LOCAL enable_seqscan = off"))
    db.execute(text("SET LOCAL enable_sort = off"))


def isolated(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/network/isolated")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_isolated_structure_comes_with_its_nearest_siae(
    client: TestClient, db: Session, make_partner: Callable[..., Partner]
) -> None:
    chrs = make_partner(name="CHRS d'Alès (fictif)", kind="chrs", at=ALES)
    linked = make_partner(name="CHRS de Nîmes (fictif)", kind="chrs", at=NIMES)
    near = make_partner(name="ACI d'Alès (fictif)", kind="aci", at=(4.09, 44.13))
    far = make_partner(name="EI de Nîmes (fictif)", kind="ei", at=(4.37, 43.84))
    db.add(Relation(source_partner_id=linked.id, target_partner_id=far.id, kind="convention"))
    db.flush()
    body = isolated(client)
    assert body["hosting"] == 2
    assert [item["id"] for item in body["items"]] == [str(chrs.id)]
    nearest = body["items"][0]["nearest_siae"]
    assert nearest["id"] == str(near.id)
    assert 500 < nearest["distance_m"] < 1500


@pytest.mark.parametrize(
    "point",
    [(0.0, 0.0), (SUBNORMAL, SUBNORMAL), (-SUBNORMAL, SUBNORMAL), (1e-310, -1e-310), (180, 90)],
)
@pytest.mark.usefixtures("indexed")
def test_a_hosting_structure_at_a_degenerate_point_does_not_break_the_list(
    client: TestClient, db: Session, point: tuple[float, float]
) -> None:
    odd = stored(db, "CHRS mal placé (fictif)", "chrs", *point)
    stored(db, "CHRS d'Alès (fictif)", "chrs", *ALES)
    siae = stored(db, "ACI d'Alès (fictif)", "aci", 4.09, 44.13)
    stored(db, "ACI du large (fictif)", "aci", 0.0, 0.0)
    body = isolated(client)
    found = {item["id"]: item for item in body["items"]}
    assert str(odd.id) in found
    assert all(item["nearest_siae"] is not None for item in body["items"])
    ales = next(item for item in body["items"] if item["name"] == "CHRS d'Alès (fictif)")
    assert ales["nearest_siae"]["id"] == str(siae.id)


@pytest.mark.usefixtures("indexed")
def test_a_hosting_structure_far_from_every_siae_still_gets_the_nearest(
    client: TestClient, db: Session
) -> None:
    reunion = stored(db, "CHRS de Saint-Denis (fictif)", "chrs", 55.45, -20.88)
    siae = stored(db, "ACI d'Alès (fictif)", "aci", 4.09, 44.13)
    body = isolated(client)
    item = next(i for i in body["items"] if i["id"] == str(reunion.id))
    assert item["nearest_siae"]["id"] == str(siae.id)
    assert item["nearest_siae"]["distance_m"] > 8_000_000
