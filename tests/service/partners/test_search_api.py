"""Text search that understands French, on the Gard demo: a kind and a commune named in the
query rank the partners of that kind in that commune first, words match from their start (« Alès »
is not in « rue des Cigales »), accents, case and elisions are ignored, and a platform is found
with its members. Words of `graph.search` checked alone too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.search import kinds_named, query_words
from service.app import create_app
from service.settings import Settings

ALES = "30007"


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(env="test", database_url=demo_url))) as client:
        yield client


def search(client: TestClient, q: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/partners", params={"q": q, "size": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_query_words_follow_french_writing() -> None:
    assert query_words("CHRS d'Alès") == ["chrs", "ales"]
    assert query_words("l’Œuvre de la Crèche") == ["oeuvre", "creche"]
    assert query_words("Saint-Jean-du-Gard") == ["saint", "jean", "gard"]
    assert query_words("Le Vigan") == ["vigan"]
    assert query_words("  ,;  ") == []
    assert kinds_named("chrs") == {"chrs"}
    assert {"aci", "ei", "ai", "etti", "eiti"} <= kinds_named("siae")
    assert "creches-avip" in kinds_named("creche")
    assert kinds_named("cr") == frozenset()


@pytest.mark.parametrize("q", ["CHRS Alès", "chrs ales", "CHRS d'Alès", "Alès CHRS"])
def test_a_kind_and_a_commune_rank_that_kind_in_that_commune_first(
    client: TestClient, q: str
) -> None:
    items = search(client, q)
    assert items
    assert items[0]["kind"] == "chrs"
    assert items[0]["code_insee"] == ALES
    in_ales = [p for p in items if p["kind"] == "chrs" and p["code_insee"] == ALES]
    assert items[: len(in_ales)] == in_ales, "every CHRS of Alès before anything else"


def test_words_match_from_their_start_only(client: TestClient) -> None:
    for partner in search(client, "Alès"):
        text = f"{partner['name']} {partner.get('address') or ''}".lower()
        assert partner["code_insee"] == ALES or "alès" in text or "ales" in text
    cigales = [p for p in search(client, "gales") if "cigales" in (p.get("address") or "").lower()]
    assert cigales == [], "« gales » is not the start of a word of « Cigales »"


def test_the_platform_is_found_with_its_members(client: TestClient) -> None:
    items = search(client, "TESA")
    assert items
    assert items[0]["kind"] == "plateforme-emploi"
    kinds = {p["kind"] for p in items[1:]}
    assert {"chrs", "mission-locale"} <= kinds, "its members follow it"


def test_a_point_still_orders_by_distance(client: TestClient) -> None:
    items = search(client, "crèche", lat=44.1250, lon=4.0810)
    distances = [p["distance_m"] for p in items]
    assert distances == sorted(distances)
    assert all("creche" in p["kind"] for p in items)


def test_nothing_found_is_an_empty_page(client: TestClient) -> None:
    assert search(client, "zzzzqqq") == []
    assert search(client, "xyzzy%_") == []  # LIKE wildcards mean nothing
