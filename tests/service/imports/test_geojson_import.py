"""GeoJSON import and export: all-or-nothing, per-feature rejections in French, idempotence."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.sources.geojson import GeoJSONError, load_json, read_partner_collection
from service.imports.geojson import export_collection, import_collection
from service.tables import Opportunity, Partner, Relation


def feature(source_id: str | None, **props: Any) -> dict[str, Any]:
    lon, lat = props.pop("at", (4.0810, 44.1250))
    base: dict[str, Any] = {
        "name": f"Structure {source_id} (fictif)",
        "kind": "chrs",
        "source": "essai",
        "source_id": source_id,
    }
    base.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": base,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


GOOD = collection(
    feature(
        "chrs-1",
        capacity=40,
        available_places=2,
        relations=[{"target_source_id": "aci-1", "kind": "oriente-vers", "since": "2024-01-15"}],
    ),
    feature(
        "aci-1",
        kind="aci",
        name="Chantier du Gardon (fictif)",
        siret="73282932000074",
        at=(4.0900, 44.1300),
        opportunities=[
            {
                "source_id": "o1",
                "title": "Agent·e d'entretien des espaces verts",
                "kind": "emploi",
                "contract": "cddi",
                "rome_code": "A1203",
                "hours_per_week": {"min": 20, "max": 26},
                "schedule": "Mo-Fr 07:30-12:30",
                "places": 3,
                "requirements": {"requires_work_authorization": True},
            },
            {
                "title": "Premières heures en chantier",
                "kind": "programme",
                "contract": "phc",
                "hours_per_week": {"min": 4, "max": 20},
            },
        ],
    ),
    feature(
        "tesa",
        kind="plateforme-emploi",
        name="Plateforme emploi (fictif)",
        relations=[{"target_source_id": "chrs-1", "kind": "membre"}],
    ),
)


def counts(db: Session) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count(Partner.id))) or 0,
        db.scalar(select(func.count(Opportunity.id))) or 0,
        db.scalar(select(func.count(Relation.id))) or 0,
    )


def run(db: Session, data: dict[str, Any], **kwargs: Any) -> Any:
    return import_collection(db, read_partner_collection(data), **kwargs)


def test_import_creates_then_reimport_reports_everything_unchanged(db: Session) -> None:
    first = run(db, GOOD)
    assert first.applied
    assert (first.created, first.updated, first.unchanged, first.rejected) == (3, 0, 0, 0)
    assert first.opportunities["créées"] == 2
    assert first.relations["créées"] == 2
    assert counts(db) == (3, 2, 2)
    second = run(db, GOOD)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 0)
    assert second.opportunities == {"inchangées": 2}
    assert second.relations == {"inchangées": 2}
    assert counts(db) == (3, 2, 2)
    stored = db.scalar(select(Opportunity).where(Opportunity.source_id == "o1"))
    assert stored is not None
    assert (stored.hours_min, stored.hours_max, stored.atypical_hours) == (20, 26, False)


def test_a_change_updates_only_that_partner_and_syncs_its_opportunities(db: Session) -> None:
    run(db, GOOD)
    changed = copy.deepcopy(GOOD)
    changed["features"][0]["properties"]["available_places"] = 0
    del changed["features"][1]["properties"]["opportunities"][1]  # the PHC programme ends
    report = run(db, changed)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert report.opportunities == {"inchangées": 1, "supprimées": 1}
    assert counts(db) == (3, 1, 2)


BAD_FEATURES = [
    (feature("b1", siret="73282932000075"), "siret", "SIRET invalide"),
    (feature("b2", kind="licorne"), "kind", "type d’acteur inconnu"),
    ({"type": "Feature", "geometry": None, "properties": {}}, "geometry", "Point"),
    (feature("b4", at=(4.08, 95.0)), "lat", "inférieur ou égal à 90"),
    (feature("chrs-1", name="Doublon (fictif)"), "source_id", "doublon"),
    (
        feature("b6", relations=[{"target_source_id": "nulle-part", "kind": "membre"}]),
        "relations[0].target_source_id",
        "introuvable",
    ),
    (
        feature("b7", opportunities=[{"title": "Vendeur", "kind": "emploi", "rome_code": "Z999"}]),
        "opportunities[0].rome_code",
        "code ROME invalide",
    ),
    (feature("b8", opening_hours="du lundi au vendredi"), "opening_hours", "horaires invalides"),
    (feature(None), "source_id", "obligatoire pour l'import"),
    (feature("b10", couleur="bleu"), "couleur", "champ inconnu"),
]


def test_bad_features_are_all_reported_and_the_store_is_left_unchanged(db: Session) -> None:
    run(db, GOOD)
    before = json.dumps(export_collection(db), sort_keys=True)
    data = collection(*GOOD["features"], *(f for f, _, _ in BAD_FEATURES))
    report = run(db, data)
    assert not report.applied
    assert report.rejected == len(BAD_FEATURES)
    by_index = {r.index: r for r in report.rejections}
    for offset, (_, field, reason) in enumerate(BAD_FEATURES):
        rejection = by_index[len(GOOD["features"]) + offset]
        assert rejection.field == field, rejection
        assert reason in rejection.reason, rejection
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    db.expire_all()
    assert json.dumps(export_collection(db), sort_keys=True) == before


def test_partial_import_writes_the_valid_features(db: Session) -> None:
    data = collection(*GOOD["features"], BAD_FEATURES[0][0], BAD_FEATURES[5][0])
    report = run(db, data, partial=True)
    assert report.applied
    assert (report.created, report.rejected) == (3, 2)
    assert counts(db) == (3, 2, 2)


def test_a_relation_to_a_rejected_feature_rejects_its_source_too(db: Session) -> None:
    data = collection(
        feature("a", kind="licorne"),
        feature("b", relations=[{"target_source_id": "a", "kind": "convention"}]),
    )
    report = run(db, data, partial=True)
    assert report.rejected == 2
    assert {r.field for r in report.rejections} == {"kind", "relations[0].target_source_id"}
    assert counts(db) == (0, 0, 0)


def test_export_imports_back_unchanged(db: Session) -> None:
    run(db, GOOD)
    exported = export_collection(db)
    assert len(exported["features"]) == 3
    props = {f["properties"]["source_id"]: f["properties"] for f in exported["features"]}
    assert props["aci-1"]["family"] == "employeurs-inclusifs"
    assert props["tesa"]["relations"] == [{"target_source_id": "chrs-1", "kind": "membre"}]
    report = run(db, json.loads(json.dumps(exported)))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


def test_whole_file_errors_are_french(tmp_path: Path) -> None:
    with pytest.raises(GeoJSONError, match="FeatureCollection"):
        read_partner_collection({"type": "Feature"})
    broken = tmp_path / "casse.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(GeoJSONError, match="JSON invalide"):
        load_json(broken)
    bom = tmp_path / "bom.geojson"
    bom.write_text(json.dumps(GOOD), encoding="utf-8-sig")
    assert len(read_partner_collection(load_json(bom)).features) == 3


def test_a_nul_character_anywhere_in_properties_rejects_that_feature_only(db: Session) -> None:
    nul = "\x00"
    data = collection(
        *GOOD["features"],
        feature("n1", name=f"Foyer{nul} (fictif)"),
        feature("n2", description=f"a{nul}b"),
        feature("n3", relations=[{"target_source_id": f"chrs-1{nul}", "kind": "convention"}]),
        feature("n4", opportunities=[{"title": "Vente", "kind": "emploi", "source_id": nul}]),
        feature("n5", **{f"clé{nul}": 1}),
    )
    report = run(db, data, partial=True)
    assert report.applied
    assert report.created == len(GOOD["features"])
    first = len(GOOD["features"])
    assert {(r.index, r.field, r.reason) for r in report.rejections} == {
        (first + i, "properties", "caractère nul interdit") for i in range(5)
    }
    assert counts(db) == (3, 2, 2)


def test_a_feature_outside_france_is_rejected_alone(db: Session) -> None:
    data = collection(
        *GOOD["features"], feature("zero", at=(0.0, 0.0)), feature("berlin", at=(13.4, 52.52))
    )
    report = run(db, data, partial=True)
    assert report.created == len(GOOD["features"])
    assert [(r.source_id, r.field) for r in report.rejections] == [
        ("zero", "properties"),
        ("berlin", "properties"),
    ]
    assert all(r.reason.startswith("lon, lat : point hors de France") for r in report.rejections)
