"""The messy real source: Hinaura digital-inclusion places, French labels, ``;``-joined lists."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from geodata.sources.mediation_numerique import (
    PUBLIC_CODES,
    SERVICE_THEMATIQUES,
    read_mediation_numerique,
    split_labels,
)
from geodata.sources.territory import postcode_index, read_communes
from graph import vocabulary
from tests.geodata.sources import CENTROIDS, shared

REAL = "structures/mediation_numerique_aura.json"


def place(identifier: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": identifier,
        "nom": f"Espace numérique {identifier}",
        "services": "Accéder à une connexion internet;Prendre en main un ordinateur",
        "pivot": "00000000000000",
        "commune": "Nîmes",
        "code_postal": "30000",
        "adresse": "1 place de l'Horloge",
        "latitude": 43.8372,
        "longitude": 4.3594,
        "source": "Hinaura",
        "date_maj": "2022-08-18",
    }
    base.update(fields)
    return base


def test_mapping_tables_use_reference_codes() -> None:
    codes = {code for mapped in SERVICE_THEMATIQUES.values() for code in mapped}
    assert codes <= set(vocabulary.thematiques())
    assert set(PUBLIC_CODES.values()) <= set(vocabulary.publics())


def test_split_labels() -> None:
    assert split_labels("Adultes; Seniors (+ 65 ans);;") == ["Adultes", "Seniors (+ 65 ans)"]
    assert split_labels(None) == []


def test_labels_hours_and_sirets(tmp_path: Path) -> None:
    places = [
        place(
            "1",
            nom="France Services de Nîmes",
            publics_accueillis="Adultes;Jeunes (16-26 ans);Surdité",
            services="Réaliser des démarches administratives avec un accompagnement;Inventer",
            horaires="Lundi au vendredi 9h-12h",
        ),
        place("2", nom="Mairie de Nîmes", horaires="Tous les jours sauf fériés"),
        place("3", pivot="12345678901234"),
        place("4", latitude=0, longitude=0),
        place("5", latitude=0, longitude=0, code_postal="30999"),
    ]
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps(places, ensure_ascii=False), encoding="utf-8")
    result = read_mediation_numerique(
        path, commune_centroids=CENTROIDS, postcode_to_insee={"30000": "30189"}
    )
    by_id = {record.source_id: record for record in result.records}
    first = by_id["1"]
    assert first.partner.kind == "france-service"
    assert first.partner.publics == ["jeunes", "personnes-en-situation-de-handicap"]
    assert first.extra["publics_accueillis"] == ["Adultes"]
    assert first.partner.thematiques == [
        "numerique--acceder-a-des-services-en-ligne",
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    ]
    assert first.partner.opening_hours == "Mo-Fr 09:00-12:00"
    assert first.partner.code_insee == "30189"
    assert any("Inventer" in note for note in first.extra["notes"])
    mairie = by_id["2"]
    assert mairie.partner.kind == "communes"
    assert mairie.partner.opening_hours is None
    assert any("horaires non convertibles" in note for note in mairie.extra["notes"])
    assert (by_id["4"].partner.lon, by_id["4"].partner.lat) == CENTROIDS["30189"]
    assert by_id["4"].geocoding == "commune"
    reasons = {rejection.index: rejection.reason for rejection in result.rejections}
    assert set(reasons) == {2, 4}
    assert reasons[2] == "SIRET invalide : la clé de contrôle (Luhn) ne correspond pas"
    assert "impossible de localiser" in reasons[4]


def test_real_hinaura_export_687_places() -> None:
    communes = read_communes(shared("population/communes_france_2026.json")).items
    result = read_mediation_numerique(shared(REAL), postcode_to_insee=postcode_index(communes))
    assert len(result.records) == 687
    assert result.rejections == []
    kinds = Counter(record.partner.kind for record in result.records)
    assert kinds == {
        "conseillers-numeriques": 505,
        "communes": 94,
        "france-service": 73,
        "ccas-cias": 8,
        "mission-locale": 7,
    }
    assert all(record.partner.thematiques for record in result.records)
    assert sum(1 for record in result.records if record.partner.opening_hours) == 617

    by_id = {record.source_id: record for record in result.records}
    abondance = by_id["0"]  # MAISON DE SERVICES AU PUBLIC D'ABONDANCE
    assert abondance.partner.kind == "france-service"
    assert set(abondance.partner.thematiques) == {
        "numerique--acceder-a-une-connexion-internet",
        "numerique--acceder-a-des-services-en-ligne",
        "sante--acces-aux-soins",
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    }
    assert abondance.partner.opening_hours == "Tu-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"
    assert str(abondance.updated_on) == "2021-05-05"
    arqa = by_id["5"]  # ARQA, Aix-les-Bains: computer, smartphone, everyday digital skills
    assert arqa.partner.kind == "conseillers-numeriques"
    assert "numerique--maitriser-les-fondamentaux-du-numerique" in arqa.partner.thematiques
    assert arqa.partner.contact.website == "https://www.arqa.fr/"
    assert arqa.extra["modalites_accompagnement"] == [
        "Dans un atelier : j'apprends collectivement à utiliser le numérique"
    ]
