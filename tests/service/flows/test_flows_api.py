"""Orientation counts through the API: declared by a party to the relation, imported from a
CSV file all or nothing, read exact when signed in and masked when small otherwise, purged
past the retention; on a real PostGIS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from graph.flows import add_months, month_end
from graph.models import RelationFields
from service.auth import create_api_key
from service.store import records
from service.store.flows import read_flows
from service.tables import Partner, Relation, RelationFlow
from tests.conftest import bearer

TODAY = dt.datetime.now(dt.UTC).date()
LAST = add_months(TODAY, -1)  # first day of last month
BEFORE = add_months(TODAY, -2)


def _month(first: dt.date) -> dict[str, str]:
    return {"period_start": first.isoformat(), "period_end": month_end(first).isoformat()}


@pytest.fixture
def relation(db: Session, organisation: Partner, make_partner: Callable[..., Partner]) -> Relation:
    """The organisation's CHRS orients towards an ACI of another organisation."""
    aci = make_partner(name="ACI Les Jardins (fictif)", kind="aci", at=(4.09, 44.13))
    row = Relation(source_partner_id=organisation.id, target_partner_id=aci.id)
    records.apply_relation(row, RelationFields.model_validate({"kind": "oriente-vers"}))
    db.add(row)
    db.flush()
    return row


def test_a_party_declares_then_completes_a_month_and_the_graph_reads_it(
    client: TestClient, db: Session, keys: dict[str, str], relation: Relation
) -> None:
    url = f"/v1/relations/{relation.id}/flows"
    answer = client.put(url, json={**_month(LAST), "sent": 12}, headers=bearer(keys["editor"]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["sent"], body["received"], body["accepted"]) == (12, None, None)
    assert body["source"] == "declared"
    assert body["declared_by"] == str(relation.source_partner_id)
    # the target's side, by an admin: the sender's count is kept
    answer = client.put(
        url,
        json={"period_start": LAST.isoformat(), "received": 10, "accepted": 7},
        headers=bearer(keys["admin"]),
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["sent"], answer.json()["received"], answer.json()["accepted"]) == (
        12,
        10,
        7,
    )
    assert answer.json()["declared_by"] is None
    flows = read_flows(db)
    assert [(f.relation_id, f.counts.volume) for f in flows] == [(str(relation.id), 10)]
    listed = client.get(url, headers=bearer(keys["viewer"])).json()
    assert listed["masked_below"] is None
    assert len(listed["items"]) == 1
    assert listed["items"][0]["period_end"] == month_end(LAST).isoformat()


def test_the_rules_of_a_declaration(
    client: TestClient, keys: dict[str, str], relation: Relation
) -> None:
    url = f"/v1/relations/{relation.id}/flows"
    admin = bearer(keys["admin"])

    def refused(body: Mapping[str, object]) -> str:
        answer = client.put(url, json=body, headers=admin)
        assert answer.status_code == 422, answer.text
        detail = answer.json()["detail"]
        return detail if isinstance(detail, str) else detail[0]["msg"]

    assert "premier jour d'un mois" in refused(
        {"period_start": LAST.replace(day=2).isoformat(), "sent": 1}
    )
    assert "à venir" in refused({"period_start": add_months(TODAY, 1).isoformat(), "sent": 1})
    old = add_months(TODAY, -40)
    assert "durée de conservation" in refused({"period_start": old.isoformat(), "sent": 1})
    assert "au moins un compte" in refused(_month(LAST))
    assert "acceptées que reçues" in refused({**_month(LAST), "received": 2, "accepted": 3})
    assert client.put(url, json={**_month(LAST), "received": 2}, headers=admin).is_success
    # merged with the stored count: 3 accepted of 2 received
    assert "acceptées que reçues" in refused({"period_start": LAST.isoformat(), "accepted": 3})
    # a quarter that would overlap last month
    quarter = {
        "period_start": add_months(TODAY, -3).isoformat(),
        "period_end": month_end(LAST).isoformat(),
        "sent": 30,
    }
    answer = client.put(url, json=quarter, headers=admin)
    assert answer.status_code == 409
    assert "chevauche" in answer.json()["detail"]


def test_only_a_party_writes_and_a_deletion_takes_one_period(
    client: TestClient,
    db: Session,
    keys: dict[str, str],
    relation: Relation,
    make_partner: Callable[..., Partner],
) -> None:
    url = f"/v1/relations/{relation.id}/flows"
    outsider = make_partner(name="CHU Le Phare (fictif)", kind="chu")
    other_key, _ = create_api_key(db, role="editor", organisation_id=outsider.id)
    target_key, _ = create_api_key(db, role="editor", organisation_id=relation.target_partner_id)
    db.flush()
    answer = client.put(url, json={**_month(LAST), "sent": 5}, headers=bearer(other_key))
    assert answer.status_code == 403
    assert "partie à cette relation" in answer.json()["detail"]
    assert client.put(
        url, json={**_month(LAST), "received": 5}, headers=bearer(target_key)
    ).is_success
    assert (
        client.put(
            url, json={**_month(BEFORE), "sent": 1}, headers=bearer(keys["platform"])
        ).status_code
        == 403
    )
    gone = client.delete(url, params={"period_start": LAST.isoformat()}, headers=bearer(target_key))
    assert gone.status_code == 204
    assert db.scalars(select(RelationFlow)).all() == []
    again = client.delete(
        url, params={"period_start": LAST.isoformat()}, headers=bearer(keys["admin"])
    )
    assert again.status_code == 404


def test_anonymous_readers_see_small_counts_masked_and_their_totals_too(
    client: TestClient, keys: dict[str, str], relation: Relation
) -> None:
    admin = bearer(keys["admin"])
    url = f"/v1/relations/{relation.id}/flows"
    client.put(
        url, json={**_month(BEFORE), "sent": 20, "received": 18, "accepted": 3}, headers=admin
    )
    client.put(url, json={**_month(LAST), "sent": 9, "received": 9, "accepted": 6}, headers=admin)
    anonymous = client.get(url).json()
    assert anonymous["masked_below"] == 5
    first = anonymous["items"][0]
    assert (first["accepted"], first["masked"]) == (None, ["accepted"])
    territory = client.get("/v1/network/flows").json()
    (edge,) = territory["relations"]
    assert (edge["sent"], edge["received"], edge["accepted"]) == (29, 27, None)
    assert edge["volume"] == 27
    assert edge["periods"] == 2
    assert territory["totals"]["accepted"] is None
    assert "jamais une personne" in territory["explanation"]
    exact = client.get("/v1/network/flows", headers=bearer(keys["viewer"])).json()
    assert exact["relations"][0]["accepted"] == 9
    assert exact["masked_below"] is None
    assert [p["relations"] for p in exact["periods"]] == [1, 1]
    window = client.get(
        "/v1/network/flows", params={"since": LAST.isoformat()}, headers=admin
    ).json()
    assert window["relations"][0]["sent"] == 9
    assert client.get("/v1/network/flows", params={"kinds": "convention"}).json()["relations"] == []


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_a_csv_file_is_written_whole_or_not_at_all(
    client: TestClient, db: Session, keys: dict[str, str], relation: Relation
) -> None:
    editor = bearer(keys["editor"])
    ends = f"{relation.source_partner_id};{relation.target_partner_id};oriente-vers"
    bad = _csv(
        "source;cible;type;début;fin;Envoyées;Reçues;Acceptées",
        f"{ends};{BEFORE:%Y-%m};;14;12;8",
        f"{ends};{LAST:%Y-%m};;x;;",
        f"{ends};{LAST:%Y-%m};;3;2;5",
        f"{relation.target_partner_id};{relation.source_partner_id};oriente-vers;{LAST:%Y-%m};;1;;",
    )
    answer = client.post("/v1/network/flows/import", content=bad, headers=editor)
    assert answer.status_code == 422, answer.text
    assert [issue["loc"] for issue in answer.json()["detail"]] == [
        ["body", 3, "envoyees"],
        ["body", 4, "acceptees"],
        ["body", 5],  # no relation goes that way
    ]
    assert answer.json()["detail"][0]["msg"].startswith("ligne 3, colonne « envoyees » :")
    assert db.scalars(select(RelationFlow)).all() == []
    unknown = _csv(
        "relation;debut;recues",
        f"{relation.id};{LAST:%Y-%m};4",
        f"{relation.target_partner_id};{BEFORE:%Y-%m};1",
    )
    answer = client.post("/v1/network/flows/import", content=unknown, headers=editor)
    assert [i["loc"] for i in answer.json()["detail"]] == [["body", 3, "relation"]]
    assert db.scalars(select(RelationFlow)).all() == []
    good = _csv(
        "relation,debut,fin,envoyees,recues,acceptees",
        f"{relation.id},{BEFORE:%Y-%m},,14,12,8",
        f"{relation.id},{LAST.isoformat()},{month_end(LAST).isoformat()},9,,",
    )
    answer = client.post("/v1/network/flows/import", content=good, headers=editor)
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"] == 2
    assert answer.json()["created"] == 2
    rows = db.scalars(select(RelationFlow).order_by(RelationFlow.period_start)).all()
    assert [(r.sent, r.received, r.accepted, r.source) for r in rows] == [
        (14, 12, 8, "import"),
        (9, None, None, "import"),
    ]
    overlapping = _csv(
        "relation;debut;fin;envoyees",
        f"{relation.id};{add_months(TODAY, -3).isoformat()};{month_end(LAST).isoformat()};30",
    )
    answer = client.post("/v1/network/flows/import", content=overlapping, headers=editor)
    assert answer.status_code == 422
    assert "chevauche" in answer.json()["detail"][0]["msg"]


def test_an_import_naming_another_organisations_relation_is_refused(
    client: TestClient,
    db: Session,
    relation: Relation,
    make_partner: Callable[..., Partner],
) -> None:
    outsider = make_partner(name="CHU Le Phare (fictif)", kind="chu")
    key, _ = create_api_key(db, role="editor", organisation_id=outsider.id)
    db.flush()
    answer = client.post(
        "/v1/network/flows/import",
        content=_csv("relation;debut;envoyees", f"{relation.id};{LAST:%Y-%m};4"),
        headers=bearer(key),
    )
    assert answer.status_code == 403
    assert "lignes 2" in answer.json()["detail"]
    assert db.scalars(select(RelationFlow)).all() == []


def test_periods_past_the_retention_are_purged_on_write(
    client: TestClient, db: Session, keys: dict[str, str], relation: Relation
) -> None:
    old = add_months(TODAY, -37)
    db.add(
        RelationFlow(
            relation_id=relation.id,
            period_start=old,
            period_end=month_end(old),
            sent=3,
            source="import",
        )
    )
    db.flush()
    url = f"/v1/relations/{relation.id}/flows"
    client.put(url, json={**_month(LAST), "sent": 5}, headers=bearer(keys["admin"]))
    assert [r.period_start for r in db.scalars(select(RelationFlow))] == [LAST]
