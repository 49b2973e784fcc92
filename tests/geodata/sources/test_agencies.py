"""France Travail, Mission locale, Cap emploi... from the Les emplois prescriber referential."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geodata.sources.agencies import KINDS, parse_ewkt_point, read_prescriber_organizations
from geodata.sources.territory import (
    commune_centroids,
    postcode_index,
    read_commune_polygons,
    read_communes,
)
from graph import vocabulary
from tests.geodata.sources import CENTROIDS, shared

REAL = "structures/les_emplois_prescriber_organizations.json"


def entry(pk: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uid": f"uid-{pk}",
        "kind": "FT",
        "name": f"France Travail - agence {pk}",
        "address_line_1": "29 chemin des 2 Mas",
        "address_line_2": "",
        "post_code": "30100",
        "city": "ALES",
        "department": "30",
        "coords": "SRID=4326;POINT (4.117081 44.120034)",
        "email": "faux@example.org",
        "phone": "06 00 00 00 00",
        "siret": "91740029375509",
        "website": "",
    }
    base.update(fields)
    return {"model": "prescribers.prescriberorganization", "pk": pk, "fields": base}


def write(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "prescribers.json"
    path.write_text(json.dumps(list(entries), ensure_ascii=False), encoding="utf-8")
    return path


def test_kinds_map_to_maillage_kinds() -> None:
    assert set(KINDS.values()) <= set(vocabulary.kinds())
    assert KINDS["FT"] == KINDS["PE"] == "france-travail"
    assert KINDS["CAP_EMPLOI"] == "cap-emploi-reseau-cheops"


def test_fake_contacts_are_ignored_unless_trusted(tmp_path: Path) -> None:
    path = write(tmp_path, entry(1, website="www.francetravail.fr"))
    (record,) = read_prescriber_organizations(path).records
    assert record.partner.contact.phone is None
    assert record.partner.contact.email is None
    assert record.partner.siret is None
    assert record.partner.contact.website == "https://www.francetravail.fr"
    (trusted,) = read_prescriber_organizations(path, trust_contacts=True).records
    assert trusted.partner.contact.email == "faux@example.org"
    assert trusted.partner.siret == "91740029375509"


def test_coordinates_postcodes_and_rejections(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        entry(1),
        entry(2, coords=None, post_code="30000"),  # geocoded to Nîmes' centroid
        entry(3, coords="SRID=2154;POINT (700000 6600000)"),  # Lambert-93 EWKT
        entry(4, kind="PJJ"),
        entry(5, coords=None, post_code="30999"),
        {"model": "siaes.siae", "pk": 6, "fields": {}},
    )
    result = read_prescriber_organizations(
        path, commune_centroids=CENTROIDS, postcode_to_insee={"30000": "30189", "30100": "30007"}
    )
    records = {record.source_id: record for record in result.records}
    assert records["uid-1"].partner.code_insee == "30007"
    assert records["uid-1"].geocoding == "source"
    assert (records["uid-2"].partner.lon, records["uid-2"].partner.lat) == CENTROIDS["30189"]
    assert records["uid-2"].geocoding == "commune"
    assert records["uid-3"].partner.lon == pytest.approx(3.0)
    reasons = {rejection.index: rejection.reason for rejection in result.rejections}
    assert reasons == {
        3: "type d'organisation « PJJ » sans équivalent dans maillage",
        4: "coordonnées absentes ou nulles (0, 0) et commune inconnue : impossible de localiser",
        5: "entrée « prescribers.prescriberorganization » attendue (objet avec « fields »)",
    }


def test_parse_ewkt_point() -> None:
    assert parse_ewkt_point("SRID=4326;POINT (4.36 43.83)") == (4.36, 43.83)
    assert parse_ewkt_point("POINT(4.36 43.83)") == (4.36, 43.83)
    with pytest.raises(ValueError, match="point WKT attendu"):
        parse_ewkt_point("LINESTRING (0 0, 1 1)")


def test_real_referential_14_agencies_in_the_gard() -> None:
    communes = read_communes(shared("population/communes_france_2026.json")).items
    centroids = commune_centroids(
        read_commune_polygons(shared("gard/gard_communes_2026_population.geojson")).items
    )
    path = shared(REAL)
    everything = read_prescriber_organizations(
        path, commune_centroids=centroids, postcode_to_insee=postcode_index(communes)
    )
    assert everything.total == 1003
    assert len(everything.records) == 998
    assert {r.reason for r in everything.rejections} == {
        "type d'organisation « PJJ » sans équivalent dans maillage",
        "type d'organisation « Autre » sans équivalent dans maillage",
    }
    assert all(record.partner.contact.email is None for record in everything.records)
    assert all(record.partner.siret is None for record in everything.records)

    gard = read_prescriber_organizations(
        path,
        commune_centroids=centroids,
        postcode_to_insee=postcode_index(communes),
        departements={"30"},
    )
    assert gard.total - gard.skipped == 14
    assert len(gard.records) == 13
    (rejected,) = gard.rejections  # "Les passerelles numériques", kind "Autre"
    assert "« Autre »" in rejected.reason
    kinds = [record.partner.kind for record in gard.records]
    assert kinds.count("france-travail") == 12
    assert kinds.count("departements") == 1
    geocoded = {r.partner.name for r in gard.records if r.geocoding == "commune"}
    assert geocoded == {"Conseil départemental du Gard", "France Travail – NÎMES CASSEBROUC"}
    ales = next(r for r in gard.records if r.partner.name == "France Travail - APE ALES AVENE")
    assert (ales.partner.lon, ales.partner.lat) == (4.117081, 44.120034)
    assert ales.partner.code_insee == "30007"
