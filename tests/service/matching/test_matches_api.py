"""POST /v1/matches and /v1/matches/batch on the Gard demo, through HTTP: the personas of
domain.md §9, roles, locations, the batch's places, and a profile that never reaches a log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.tables import Partner
from tests.conftest import ALES, NIMES, bearer
from tests.service.test_bad_input import found_in_database

VILLENEUVE_TOWN_HALL = "30351"


def first(session: Session, kind: str, near: tuple[float, float]) -> Partner:
    from sqlalchemy import func

    from service.store.records import point

    row = session.scalar(
        select(Partner)
        .where(Partner.kind == kind)
        .order_by(func.ST_Distance(Partner.geom, point(*near)))
    )
    assert row is not None, kind
    return row


def post(client: TestClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/matches", json=body, headers=bearer(key))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def amina(session: Session) -> dict[str, Any]:
    return {
        "location": {"partner_id": str(first(session, "chrs", ALES).id)},
        "modes": [{"mode": "walk", "max_minutes": 40}, {"mode": "transit", "max_minutes": 40}],
        "wishes": {"rome_codes": ["D1106", "K2204"], "keywords": "vente nettoyage"},
        "hours_per_week": {"min": 20, "max": 26},
        "situation": {
            "age": 29,
            "work_authorization": True,
            "french_level": "B1",
            "driving_licence": False,
            "vehicle": False,
            "children_under_3": 1,
            "single_parent": True,
            "job_seeker_registered": True,
            "rsa": True,
        },
    }


def jordan(session: Session) -> dict[str, Any]:
    return {
        "location": {"partner_id": str(first(session, "chu", NIMES).id)},
        "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "transit", "max_minutes": 45}],
        "wishes": {"kinds": ["emploi", "programme", "immersion"]},
        "situation": {
            "age": 21,
            "homeless": True,
            "addiction": True,
            "no_diploma": True,
            "driving_licence": False,
            "work_authorization": True,
        },
    }


def serguei(session: Session) -> dict[str, Any]:
    return {
        "location": {"partner_id": str(first(session, "cph", ALES).id)},
        "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "transit", "max_minutes": 45}],
        "wishes": {"rome_codes": ["H2913"], "keywords": "soudeur soudure"},
        "situation": {
            "age": 45,
            "work_authorization": True,
            "french_level": "A1",
            "driving_licence": True,
            "vehicle": False,
            "refugee": True,
        },
    }


def nadia() -> dict[str, Any]:
    return {
        "location": {"code_insee": VILLENEUVE_TOWN_HALL},
        "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "transit", "max_minutes": 45}],
        "situation": {
            "age": 52,
            "work_authorization": True,
            "rqth": True,
            "cdaph_orientation": "esat",
        },
    }


def karim(session: Session) -> dict[str, Any]:
    return {
        "location": {"partner_id": str(first(session, "huda", NIMES).id)},
        "modes": [{"mode": "walk", "max_minutes": 45}, {"mode": "transit", "max_minutes": 60}],
        "wishes": {"keywords": "être utile jardin cuisine bénévolat"},
        "situation": {
            "age": 38,
            "work_authorization": False,
            "refugee": True,
            "french_level": "A1",
        },
    }


def test_amina_trips_name_a_creche_avip_with_a_place(demo_app: Any) -> None:
    client, keys, session = demo_app
    result = post(client, keys["platform"], amina(session))
    assert result["items"]
    through_avip = [
        i
        for i in result["items"]
        if i["travel"]["creche"]
        and i["travel"]["creche"]["kind"] == "creches-avip"
        and (i["travel"]["creche"]["available_places"] or 0) > 0
    ]
    assert len(through_avip) >= len(result["items"]) // 2
    assert all(i["travel"]["minutes"] <= 40 for i in result["items"])
    assert all(i["travel"]["estimated"] for i in result["items"])  # no Gard network
    assert any("en passant par Crèche AVIP" in r for i in through_avip for r in i["reasons"])


def test_jordan_gets_tapaj_and_phc_and_nothing_dropped_for_diploma_or_licence(
    demo_app: Any,
) -> None:
    client, keys, session = demo_app
    result = post(client, keys["platform"], jordan(session))
    assert {"tapaj", "phc"} <= {p["code"] for p in result["pathways"]}
    assert all(p["carriers"] and p["message"] for p in result["pathways"])
    assert {e["rule"] for e in result["exclusions"]} <= {
        "autorisation-travail",
        "age",
        "orientation-cdaph",
        "rqth",
        "eligibilite-iae",
    }
    assert sum(e["count"] for e in result["exclusions"]) == 0


def test_serguei_gets_language_support_where_french_above_a1_is_required(demo_app: Any) -> None:
    client, keys, session = demo_app
    result = post(client, keys["platform"], serguei(session))
    language = [o for i in result["items"] for o in i["obstacles"] if o["kind"] == "langue"]
    assert language
    for obstacle in language:
        assert obstacle["supports"][0]["kind"] == "plateforme-linguistique"
    assert any(i["opportunity"]["rome_code"] == "H2913" for i in result["items"])


def test_nadia_gets_esat_offers(demo_app: Any) -> None:
    client, keys, _ = demo_app
    result = post(client, keys["platform"], nadia())
    esat = [i for i in result["items"] if i["opportunity"]["contract"] == "esat"]
    assert esat
    assert any("orientation CDAPH" in r for i in esat for r in i["reasons"])


def test_karim_gets_no_employment_but_activities_open_to_all(demo_app: Any) -> None:
    client, keys, session = demo_app
    result = post(client, keys["platform"], karim(session))
    kinds = {i["opportunity"]["kind"] for i in result["items"]}
    assert kinds
    assert not kinds & {"emploi", "immersion"}
    assert "benevolat" in kinds
    assert {i["opportunity"]["contract"] for i in result["items"]} & {"activite", "aava"}
    assert any(e["rule"] == "autorisation-travail" for e in result["exclusions"])
    assert "autorisation de travail" in " ".join(e["message"] for e in result["exclusions"])


def test_roles_and_bad_locations(demo_app: Any) -> None:
    client, keys, _ = demo_app
    body = nadia()
    assert client.post("/v1/matches", json=body).status_code == 401
    assert client.post("/v1/matches", json=body, headers=bearer(keys["viewer"])).status_code == 403
    unknown = {**body, "location": {"code_insee": "75056"}}
    response = client.post("/v1/matches", json=unknown, headers=bearer(keys["platform"]))
    assert response.status_code == 422
    assert "absente du territoire" in response.json()["detail"]
    nobody = {**body, "location": {"partner_id": str(uuid.uuid4())}}
    assert client.post("/v1/matches", json=nobody, headers=bearer(keys["admin"])).status_code == 422
    point = {**body, "location": {"lat": 44.1250, "lon": 4.0810}}
    assert client.post("/v1/matches", json=point, headers=bearer(keys["admin"])).status_code == 200
    bad = {**body, "situation": {"age": "vingt"}, "modes": []}
    response = client.post("/v1/matches", json=bad, headers=bearer(keys["platform"]))
    assert response.status_code == 422
    messages = " | ".join(d["msg"] for d in response.json()["detail"])
    assert "modes : liste trop courte" in messages
    assert "vingt" not in response.text  # errors never echo the profile


def test_batch_never_exceeds_places(demo_app: Any) -> None:
    client, keys, session = demo_app
    persons = [amina(session), jordan(session), serguei(session), nadia(), karim(session)] * 4
    response = client.post(
        "/v1/matches/batch", json={"persons": persons}, headers=bearer(keys["platform"])
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert len(result["persons"]) == len(persons)
    taken: dict[str, int] = {}
    places: dict[str, int | None] = {}
    for person in result["persons"]:
        if person["assigned"]:
            opportunity = person["assigned"]["opportunity"]
            taken[opportunity["id"]] = taken.get(opportunity["id"], 0) + 1
            places[opportunity["id"]] = opportunity["places"]
    assert taken
    for opportunity_id, count in taken.items():
        limit = places[opportunity_id]
        assert count <= (1 if limit is None else limit)
    assert result["total_score"] == pytest.approx(
        sum(p["assigned"]["score"] for p in result["persons"] if p["assigned"]), abs=1e-3
    )  # scores are rounded to 4 decimals each
    too_many = client.post(
        "/v1/matches/batch", json={"persons": [nadia()] * 201}, headers=bearer(keys["platform"])
    )
    assert too_many.status_code == 422


PLANTED = "zq-planté-7f3a91"


def test_no_profile_field_reaches_the_logs(demo_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, keys, session = demo_app
    body = karim(session)
    body["wishes"]["keywords"] = f"jardin {PLANTED}"
    body["available"] = "Mo-Fr 08:30-16:30"
    with caplog.at_level(logging.DEBUG):
        post(client, keys["platform"], body)
        client.post("/v1/matches", json={**body, "limit": 0}, headers=bearer(keys["platform"]))
    assert caplog.records  # the loggers did speak (httpx, uvicorn...), only never the profile
    assert PLANTED not in caplog.text
    assert "Mo-Fr 08:30-16:30" not in caplog.text


def test_the_snapshot_follows_the_store(
    app: FastAPI,
    client: TestClient,
    keys: dict[str, str],
    make_partner: Callable[..., Partner],
) -> None:
    body = {
        "location": {"lat": ALES[1], "lon": ALES[0]},
        "modes": [{"mode": "walk", "max_minutes": 30}],
        "situation": {"work_authorization": True, "age": 30},
    }
    assert post(client, keys["platform"], body)["items"] == []
    employer = make_partner(
        name="Boulangerie du Gardon (fictif)", kind="entreprise", at=(ALES[0] + 0.004, ALES[1])
    )
    created = client.post(
        "/v1/opportunities",
        json={
            "partner_id": str(employer.id),
            "title": "Vendeur·se en boulangerie",
            "kind": "emploi",
            "contract": "cdi",
            "rome_code": "D1106",
            "places": 1,
        },
        headers=bearer(keys["admin"]),
    )
    assert created.status_code == 201
    items = post(client, keys["platform"], body)["items"]
    assert [i["opportunity"]["title"] for i in items] == ["Vendeur·se en boulangerie"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"available": f"Mo-Fr {PLANTED}"}, "available"),
        ({"wishes": {"rome_codes": ["K2204", PLANTED]}}, "wishes.rome_codes.1"),
        ({"location": {"code_insee": PLANTED}}, "location.code_insee"),
        ({PLANTED: "x"}, ""),
        ({"situation": {PLANTED: True}}, "situation"),
        ({"wishes": {"rome_codes": ["D1106"], PLANTED: 1}}, "wishes"),
    ],
)
def test_a_refused_profile_is_echoed_nowhere(
    demo_app: Any, caplog: pytest.LogCaptureFixture, change: dict[str, Any], where: str
) -> None:
    """The 422 names the field and the rule; the value (or the unknown key) is found neither
    in the answer, nor in the log, nor in the store."""
    client, keys, session = demo_app
    body = {**nadia(), **change}
    with caplog.at_level(logging.DEBUG):
        response = client.post("/v1/matches", json=body, headers=bearer(keys["platform"]))
        batch = client.post(
            "/v1/matches/batch", json={"persons": [body]}, headers=bearer(keys["platform"])
        )
    assert response.status_code == batch.status_code == 422
    assert [".".join(map(str, d["loc"][1:])) for d in response.json()["detail"]] == [where]
    assert PLANTED not in response.text
    assert PLANTED not in batch.text
    assert PLANTED not in caplog.text
    assert found_in_database(session, PLANTED) == []


def test_a_commune_absent_from_the_territory_is_not_named_back(demo_app: Any) -> None:
    client, keys, _ = demo_app
    body = {**nadia(), "location": {"code_insee": "2B049"}}
    response = client.post("/v1/matches", json=body, headers=bearer(keys["platform"]))
    assert response.status_code == 422
    assert (
        response.json()["detail"] == "location.code_insee : commune absente du territoire chargé."
    )
