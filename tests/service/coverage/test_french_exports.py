"""What /carte leans on, on the Gard demo: the CSV in the French Excel convention (« ; », decimal
comma, UTF-8 with BOM) holding the same values as the plain CSV; the list of demands a coverage
may weigh, loaded or not; travel times said alike in the sentences and in the fields."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.conftest import bearer
from tests.service.coverage.test_coverage_api import CRECHES, demo, get

__all__ = ["demo"]

DECIMAL_POINT = re.compile(r"^-?[0-9]+\.[0-9]+(e-?[0-9]+)?$")


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents
    header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    return header, rows


@pytest.mark.parametrize(
    ("path", "stem"), [("/v1/coverage", "couverture"), ("/v1/gaps", "manques")]
)
def test_the_french_csv_holds_the_plain_values_with_a_decimal_comma(
    demo: Any, path: str, stem: str
) -> None:
    client, keys, _ = demo
    plain = get(client, keys["viewer"], path, format="csv", **CRECHES)
    french = get(client, keys["viewer"], path, format="csv-fr", **CRECHES)
    assert french.headers["content-type"].startswith("text/csv")
    disposition = french.headers["content-disposition"]
    assert (
        disposition
        == f'attachment; filename="{stem}-garde-enfants-walk-20min-communes.excel-fr.csv"'
    )
    assert french.content.decode("utf-8-sig").splitlines()[0].count(";") >= 10  # « ; » separates
    plain_header, plain_rows = read_csv(plain.content)
    header, rows = read_csv(french.content)
    assert header == plain_header
    assert len(rows) == len(plain_rows) > 10
    decimals = 0
    for row, plain_row in zip(rows, plain_rows, strict=True):
        assert len(row) == len(header)
        for name, cell, plain_cell in zip(header, row, plain_row, strict=True):
            if DECIMAL_POINT.match(plain_cell):
                assert cell == plain_cell.replace(".", ","), (name, cell, plain_cell)
                assert float(cell.replace(",", ".")) == float(plain_cell)
                decimals += 1
            else:
                assert cell == plain_cell, (name, cell, plain_cell)  # texts, integers, empty
            assert not DECIMAL_POINT.match(cell), (name, cell)
    assert decimals > len(rows)  # lon, lat, e2sfca... all with the comma


def test_the_demands_say_which_are_loaded_and_how_to_load_the_others(demo: Any) -> None:
    client, keys, _ = demo
    items = get(client, keys["viewer"], "/v1/coverage/demands").json()["items"]
    by_name = {item["name"]: item for item in items}
    assert [item["name"] for item in items][:4] == ["population", "qpv", "enfants_0_3", "ahi"]
    assert by_name["population"]["available"] is True
    assert by_name["ahi"]["available"] is True
    children = by_name["enfants_0_3"]
    assert children["available"] is False  # the demo imports no Filosofi grid
    assert children["label"] == "enfants de 0 à 3 ans (Filosofi, Insee)"
    assert "maillage import filosofi" in children["reason"]
    assert children["reason"].startswith("Aucune population carroyée Filosofi chargée")
    assert "maillage import qpv" in by_name["qpv"]["reason"]
    refused = client.get(
        "/v1/coverage", params={**CRECHES, "demand": "enfants_0_3"}, headers=bearer(keys["viewer"])
    )
    assert refused.status_code == 422
    assert "aucune population carroyée Filosofi chargée" in refused.json()["detail"]
    assert client.get("/v1/coverage/demands").status_code == 401


def french_minutes(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0").replace(".", ",")


def test_a_gap_says_the_nearest_minutes_its_field_gives(demo: Any) -> None:
    """« la plus proche (…) est à 20,4 min » and ``nearest_minutes: 20.4``: one rounding (up to
    the tenth, never under the budget) for the sentence, the fields and the zones."""
    client, keys, _ = demo
    for budget in (10, 20):
        params = {**CRECHES, "max_minutes": budget}
        gaps = get(client, keys["viewer"], "/v1/gaps", **params).json()["items"]
        zones = get(client, keys["viewer"], "/v1/coverage", **params).json()["features"]
        minutes = {f["properties"]["zone_id"]: f["properties"]["nearest_minutes"] for f in zones}
        said = [g for g in gaps if g["nearest_minutes"] is not None]
        assert said
        for gap in said:
            assert f"est à {french_minutes(gap['nearest_minutes'])} min" in gap["message"]
            assert minutes[gap["zone_id"]] == gap["nearest_minutes"]
            assert round(gap["nearest_minutes"], 1) == gap["nearest_minutes"]
            if gap["kind"] == "aucun-site-atteignable":
                assert gap["nearest_minutes"] > budget
