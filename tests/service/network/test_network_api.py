"""/v1/network/... on the Gard demo: figures equal to networkx's on the stored relations, every
shelter without a link to employment offered partnerships with reasons and travel times,
employers approached by several structures with a referent, CSV in the French Excel convention,
the employer's side, and the scope filters."""

from __future__ import annotations

import csv
import io
import uuid

import networkx as nx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.tables import Partner, Relation
from tests.conftest import bearer
from tests.service.coverage.test_coverage_api import get

Demo = tuple[TestClient, dict[str, str], Session]


def _stored_graph(session: Session, kinds: set[str] | None = None) -> nx.Graph:
    """The undirected simple graph of the open partners and their relations, read with SQL
    here, independently of the feature."""
    graph = nx.Graph()
    graph.add_nodes_from(
        str(pid) for pid in session.scalars(select(Partner.id).where(Partner.status == "open"))
    )
    for source, target, kind in session.execute(
        select(Relation.source_partner_id, Relation.target_partner_id, Relation.kind)
    ):
        if (kinds is None or kind in kinds) and str(source) in graph and str(target) in graph:
            graph.add_edge(str(source), str(target))
    return graph


@pytest.mark.parametrize("kinds", [None, {"oriente-vers", "prescrit", "convention"}])
def test_figures_equal_networkx_on_the_stored_relations(demo: Demo, kinds: set[str] | None) -> None:
    client, keys, session = demo
    params = {"relation_kinds": ",".join(sorted(kinds))} if kinds else {}
    expected = _stored_graph(session, kinds)
    drawn = get(client, keys["viewer"], "/v1/network/graph", **params).json()
    found = get(client, keys["viewer"], "/v1/network/structure", limit=500, **params).json()

    betweenness = nx.betweenness_centrality(expected)
    assert {n["id"]: n["betweenness"] for n in drawn["nodes"]} == pytest.approx(betweenness)
    assert found["betweenness_sources"] is None  # exact on the demo
    components = sorted(sorted(c) for c in nx.connected_components(expected))
    assert sorted(c["members"] for c in found["components"]) == components
    assert {p["id"] for p in found["articulation_points"]} == set(nx.articulation_points(expected))
    bridges = {frozenset(b) for b in nx.bridges(expected)}
    assert {frozenset(p["id"] for p in pair) for pair in found["bridges"]} == bridges
    assert found["links"] == expected.number_of_edges()
    assert all(found["explanations"].values())


def test_every_shelter_without_an_employment_link_gets_a_partnership(demo: Demo) -> None:
    client, keys, _ = demo
    unlinked = client.get("/v1/network/isolated").json()["items"]
    assert unlinked  # the demo leaves a few shelters without any employer
    body = get(
        client, keys["viewer"], "/v1/network/partnerships", origins="hebergement", limit=20
    ).json()
    origins = {o["partner"]["id"]: o for o in body["origins"]}
    for shelter in unlinked:
        origin = origins[str(shelter["id"])]
        assert origin["suggestions"], shelter["name"]
        for s in origin["suggestions"]:
            assert 0 < s["minutes"] <= body["max_minutes"]
            assert s["reasons"][0].startswith("À ")
            assert " min en transports en commun depuis " in s["reasons"][0]
            # no network is registered in the tests: every time is a labelled estimate
            assert s["estimated"] is True
            assert "temps estimé" in s["reasons"][0]
            assert s["partner"]["family"] != "hebergement"
    assert body["estimated_share"] == 1.0
    assert body["rule"].startswith("Partenariats proposés")


def test_partnerships_as_a_csv_for_a_steering_committee(demo: Demo) -> None:
    client, keys, _ = demo
    response = get(client, keys["viewer"], "/v1/network/partnerships", format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["structure", "type de la structure", "déjà liée à l'emploi", "rang"]
    assert len(rows) > 10
    minutes = rows[1][rows[0].index("temps de trajet (min)")]
    assert "," in minutes
    assert "." not in minutes


def test_employers_approached_by_three_structures_get_a_referent(demo: Demo) -> None:
    client, keys, _ = demo
    body = get(client, keys["viewer"], "/v1/network/employers", min_structures=3).json()
    assert body["employers"] >= 6  # the demo solicits three employers in Alès and in Nîmes
    for item in body["items"]:
        structures = {a["partner"]["id"] for a in item["structures"]}
        assert len(structures) >= 3
        assert item["saved"] == len(structures) - 1
        assert item["rule"] in ("referent-existant", "plateforme", "plus-de-liens")
        assert item["referent"]["id"] in structures or item["rule"] == "plateforme"
        assert item["explanation"].startswith(item["employer"]["name"])
    assert body["saved"] == sum(item["saved"] for item in body["items"])
    table = get(client, keys["viewer"], "/v1/network/employers", format="csv", min_structures=3)
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "employeur"
    assert len(rows) - 1 == sum(len(item["structures"]) for item in body["items"])


def test_the_employer_side_reads_the_same_pairs(demo: Demo) -> None:
    client, keys, _ = demo
    body = get(client, keys["viewer"], "/v1/network/partnerships", limit=20).json()
    origin = next(o for o in body["origins"] if o["suggestions"])
    pick = origin["suggestions"][0]
    side = get(
        client,
        keys["viewer"],
        f"/v1/network/employers/{pick['partner']['id']}/partnerships",
        limit=200,
    ).json()
    mine = next(i for i in side["items"] if i["partner"]["id"] == origin["partner"]["id"])
    assert (mine["minutes"], mine["score"]) == (pick["minutes"], pick["score"])
    shelter = origin["partner"]["id"] if origin["partner"]["family"] == "hebergement" else None
    for wrong in filter(None, (shelter, str(uuid.uuid4()))):
        missing = client.get(
            f"/v1/network/employers/{wrong}/partnerships", headers=bearer(keys["viewer"])
        )
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith("Aucun acteur")


def test_scope_by_commune_and_french_422(demo: Demo) -> None:
    client, keys, _ = demo
    ales = get(client, keys["viewer"], "/v1/network/graph", communes="30007").json()
    assert ales["nodes"]
    assert ales["scope"]["communes"] == ["30007"]
    every = get(client, keys["viewer"], "/v1/network/graph").json()
    assert len(ales["nodes"]) < len(every["nodes"])
    ids = {n["id"] for n in ales["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in ales["edges"])
    wrong = client.get(
        "/v1/network/structure", params={"relation_kinds": "amitie"}, headers=bearer(keys["viewer"])
    )
    assert wrong.status_code == 422
    assert "relation_kinds" in wrong.text


def test_on_foot_in_ten_minutes_every_unlinked_shelter_still_has_someone(demo: Demo) -> None:
    client, keys, _ = demo
    unlinked = {str(s["id"]) for s in client.get("/v1/network/isolated").json()["items"]}
    body = get(
        client, keys["viewer"], "/v1/network/partnerships",
        origins="hebergement", mode="walk", max_minutes=10,
    ).json()  # fmt: skip
    shown = [o for o in body["origins"] if o["partner"]["id"] in unlinked]
    assert len(shown) == len(unlinked)
    for origin in shown:
        assert origin["suggestions"]
        for s in origin["suggestions"]:
            # minutes are rounded to 0.1: 10.04 min is beyond 10 and shown 10.0
            assert s["minutes"] >= 10 if s["beyond_budget"] else s["minutes"] <= 10
            assert ("au-delà du budget" in s["reasons"][0]) == s["beyond_budget"]
