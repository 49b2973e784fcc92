"""The proposal rules (README, « Règles des propositions »), asserted on the Gard demo through
HTTP for the personas of domain.md §9, a homeless 19-year-old in Saint-Jean-du-Gard and a
person oriented to ESAT who wishes « espaces verts »; then a cohort of 40 in which some cannot
be assigned.

Each rule is checked against what the answer itself says, independently of how the matcher
computes it: the hours component against the hours an obstacle states, the crèche of a trip
against its published opening hours (minute by minute), the counts against the lists.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from graph.matching import DROP_OFF_MINUTES
from tests.conftest import bearer
from tests.service.matching.test_matches_api import amina, jordan, karim, nadia, post, serguei

SAINT_JEAN_DU_GARD = "30269"
MONT_AIGOUAL = {"lat": 44.1215, "lon": 3.5819}  # far from every structure of the demo

Body = dict[str, Any]


def amina_available(session: Session) -> Body:
    """Amina, available during school hours: some jobs start before she can; every proposal
    asked (100), the early cleaning jobs among them."""
    return {**amina(session), "available": "Mo-Fr 08:30-16:30", "limit": 100}


def nadia_plain(session: Session) -> Body:
    return nadia()


def young_homeless(session: Session) -> Body:
    return {
        "location": {"code_insee": SAINT_JEAN_DU_GARD},
        "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "transit", "max_minutes": 45}],
        "situation": {
            "age": 19,
            "homeless": True,
            "work_authorization": True,
            "driving_licence": False,
        },
    }


def esat_green_spaces(session: Session) -> Body:
    return {**nadia(), "wishes": {"keywords": "espaces verts"}}


# persona, body builder, what the persona must get besides the rules every answer obeys
PERSONAS: list[tuple[str, Callable[[Session], Body], set[str]]] = [
    ("amina", amina_available, {"creche", "disponibilites"}),
    ("jordan", jordan, {"tapaj", "phc", "hebergement", "addictions"}),
    ("serguei", serguei, {"langue"}),
    ("nadia", nadia_plain, {"esat-first"}),
    ("karim", karim, {"no-employment"}),
    ("jeune-sans-abri", young_homeless, {"phc", "tapaj", "hebergement", "beyond"}),
    ("esat-espaces-verts", esat_green_spaces, {"esat-first", "espaces-verts"}),
]


@pytest.mark.parametrize(
    ("name", "build", "expected"), PERSONAS, ids=[name for name, _, _ in PERSONAS]
)
def test_the_proposal_rules_hold_for_each_persona(
    demo_app: Any, name: str, build: Callable[[Session], Body], expected: set[str]
) -> None:
    client, keys, session = demo_app
    body = build(session)
    result = post(client, keys["platform"], body)
    items = result["items"]
    assert items, name
    for item in items:
        _assert_contacts_and_legs(item)
        _assert_hours_component(item, body)
        _assert_creche_open_before_the_trip(item)
        _assert_named_partners(obstacle["supports"] for obstacle in item["obstacles"])
    _assert_named_partners(support["partners"] for support in result["supports"])
    _assert_named_partners(pathway["carriers"] for pathway in result["pathways"])
    _assert_counts(result)
    _assert_expected(result, expected)


def _assert_contacts_and_legs(item: Body) -> None:
    """Each proposal carries the partner's address, phone, e-mail, hours and the trip's legs."""
    partner = item["partner"]
    for field in ("address", "phone", "email", "opening_hours"):
        assert field in partner
    assert partner["address"]
    assert partner["phone"]
    assert partner["email"]
    journey = item["travel"]["journey"]
    assert journey is not None
    assert journey["legs"]
    assert sum(leg["minutes"] for leg in journey["legs"]) == pytest.approx(
        item["travel"]["minutes"], abs=1.0
    )
    # the reason says the trip the legs tell: a public transport answer that is a walk is a walk
    walked = all(leg["kind"] == "walk" for leg in journey["legs"])
    trip_reasons = [r for r in item["reasons"] if " min " in r and "au plus" in r]
    assert len(trip_reasons) == 1, item["reasons"]
    if walked and item["travel"]["mode"] != "walk":
        assert "à pied (plus rapide" in trip_reasons[0]
    elif not walked:
        assert "à pied (plus rapide" not in trip_reasons[0]


_STATED_HOURS = re.compile(r"couvrent ([\d,]+) h des ([\d,]+) h par semaine")


def _assert_hours_component(item: Body, body: Body) -> None:
    """The hours component is the share of the offer's hours the person can cover: the one the
    « disponibilites » obstacle states, bounded by the wished hours."""
    hours = item["components"]["hours"]
    wished = body.get("hours_per_week")
    stated = [
        _STATED_HOURS.search(o["message"])
        for o in item["obstacles"]
        if o["code"] == "disponibilites"
    ]
    if stated:
        assert stated[0] is not None
        available, needed = (float(stated[0].group(n).replace(",", ".")) for n in (1, 2))
        limit = min(available, wished["max"]) if wished else available
        assert hours == pytest.approx(min(limit, needed) / needed, abs=1e-3)
        assert hours < 1
    low, schedule = item["opportunity"]["hours_min"], item["opportunity"]["schedule"]
    if not stated and body.get("available") and wished and low is not None:
        offered = min(low, _minutes_open(schedule).sum() / 60) if schedule else low
        assert hours == pytest.approx(min(1.0, wished["max"] / offered), abs=1e-3)
    if not body.get("available") and not wished:
        assert hours == 0.5


def _minutes_open(expression: str) -> np.ndarray:
    """Minutes of the reference week (Monday 4 March 2024) during which ``expression`` is open."""
    import opening_hours

    start = datetime(2024, 3, 4)  # noqa: DTZ001 (wall-clock local times)
    open_ = np.zeros(7 * 24 * 60, dtype=bool)
    for begin, end, state, _ in opening_hours.OpeningHours(expression).intervals(
        start, start + timedelta(days=7)
    ):
        if state == opening_hours.State.OPEN:
            first = int((begin - start).total_seconds() // 60)
            open_[first : int((end - start).total_seconds() // 60)] = True
    return open_


def _assert_creche_open_before_the_trip(item: Body) -> None:
    """Through a crèche, the child is left before the trip to work and taken back after the
    trip home: the crèche keeps the child, margins included, during the hours the job needs."""
    creche, schedule = item["travel"]["creche"], item["opportunity"]["schedule"]
    if creche is None or schedule is None:
        return
    onward = item["travel"]["minutes"] - creche["minutes"] - DROP_OFF_MINUTES
    margin = int(np.ceil(DROP_OFF_MINUTES + onward - 1e-6))
    kept = _minutes_open(creche["opening_hours"] or "Mo-Fr 07:30-18:30")
    window = np.ones_like(kept)
    for shift in range(-margin, margin + 1):
        window &= np.roll(kept, -shift)
    work = _minutes_open(schedule)
    needed = work.sum() / 60
    if item["opportunity"]["hours_min"] is not None:
        needed = min(needed, item["opportunity"]["hours_min"])
    assert (work & window).sum() / 60 >= needed - 1e-6, (creche["name"], schedule)


def _assert_named_partners(lists: Any) -> None:
    """Every obstacle, support and pathway names at least one partner; one beyond the budget
    says so, with its trip."""
    for partners in lists:
        assert partners
        for partner in partners:
            assert partner["name"]
            assert partner["access"]
            if not partner["reachable"]:
                assert "au-delà de votre temps de trajet" in partner["access"]


def _assert_counts(result: Body) -> None:
    """A support's count is the number of offers its message counts and its items list."""
    items = result["items"]
    by_code = Counter(o["code"] for item in items for o in item["obstacles"])
    for support in result["supports"]:
        numbers = [
            int(n) for n in re.findall(r"\b(\d+) (?:offres?|propositions?)\b", support["message"])
        ]
        code = support["code"]
        if code == "creche-sur-le-trajet":
            assert support["items"] == sum(1 for i in items if i["travel"]["creche"])
        elif code in by_code:
            assert support["items"] == by_code[code]
        if code in ("hebergement", "addictions"):
            assert support["items"] == 0
        else:
            assert numbers == [support["items"]], support["message"]


def _assert_expected(result: Body, expected: set[str]) -> None:
    items, pathways = result["items"], {p["code"]: p for p in result["pathways"]}
    supports = {s["code"]: s for s in result["supports"]}
    obstacles = {o["code"] for i in items for o in i["obstacles"]}
    for code in expected & {"phc", "tapaj", "langue"}:
        assert pathways[code]["carriers"], code
    for code in expected & {"hebergement", "addictions"}:
        assert supports[code]["partners"], code
    if "creche" in expected:
        assert any(i["travel"]["creche"] for i in items)
    if "disponibilites" in expected:
        assert "disponibilites" in obstacles
    if "esat-first" in expected:
        sheltered = [i["opportunity"]["contract"] == "esat" for i in items]
        assert sheltered[0]
        assert sheltered == sorted(sheltered, reverse=True)  # every ESAT before the others
    if "espaces-verts" in expected:
        assert "espaces verts" in items[0]["opportunity"]["title"]
        for item in items:
            if item["opportunity"]["contract"] == "esat":
                assert item["components"]["wish"] > 0  # matched on the ESAT's workshops
    if "no-employment" in expected:
        assert not {i["opportunity"]["kind"] for i in items} & {"emploi", "immersion"}
    if "beyond" in expected:
        beyond = [c for p in result["pathways"] for c in p["carriers"] if not c["reachable"]]
        assert beyond
        assert all(c["minutes"] is None or c["minutes"] > 45 for c in beyond)


# --- a cohort of 40 ------------------------------------------------------------------------------


def test_a_cohort_of_40_explains_every_person_left_unassigned(demo_app: Any) -> None:
    client, keys, session = demo_app
    walker = {**young_homeless(session), "modes": [{"mode": "walk", "max_minutes": 20}]}
    far_away = {
        "location": MONT_AIGOUAL,
        "modes": [{"mode": "walk", "max_minutes": 30}, {"mode": "transit", "max_minutes": 45}],
        "situation": {"age": 40, "homeless": True, "work_authorization": False},
    }
    personas = [build(session) for _, build, _ in PERSONAS]
    persons = [*(personas * 4)[:25], *([walker] * 10), *([far_away] * 5)]
    assert len(persons) == 40
    response = client.post(
        "/v1/matches/batch", json={"persons": persons}, headers=bearer(keys["platform"])
    )
    assert response.status_code == 200, response.text
    result = response.json()
    people = result["persons"]
    assert len(people) == 40
    unassigned = [p for p in people if p["assigned"] is None]
    assert result["assigned"] == 40 - len(unassigned)
    reasons = Counter(p["unassigned"]["reason"] for p in unassigned)
    assert {u["reason"]: u["count"] for u in result["unassigned"]} == reasons
    assert reasons["aucune-offre-a-portee"] >= 5  # the five far away reach nothing
    assert reasons["places-prises"] >= 1  # ten walkers share the places of a small town
    for body, person in zip(persons, people, strict=True):
        if person["assigned"] is not None:
            continue
        assert person["unassigned"]["message"]
        if body["situation"].get("homeless"):
            assert person["pathways"]
        _assert_named_partners(p["carriers"] for p in person["pathways"])
        _assert_named_partners(s["partners"] for s in person["supports"])
        if person["unassigned"]["reason"] == "places-prises":
            assert person["full_offers"]
            for offer in person["full_offers"]:
                assert any("Complet pour le moment" in r for r in offer["reasons"])
    for person in people:
        if person["assigned"] is None and person["reachable"] == 0:
            assert person["unassigned"]["reason"] == "aucune-offre-a-portee"
    used: Counter[str] = Counter(
        p["assigned"]["opportunity"]["id"] for p in people if p["assigned"] is not None
    )
    assert {u["opportunity_id"]: u["used"] for u in result["places_used"]} == used
    for row in result["places_used"]:
        assert row["used"] <= (1 if row["places"] is None else row["places"])
