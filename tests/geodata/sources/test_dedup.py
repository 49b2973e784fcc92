"""Deduplication: one structure read from two sources is one partner with two provenances."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from geodata.sources.agencies import read_prescriber_organizations
from geodata.sources.common import SourceRecord
from geodata.sources.data_inclusion import read_data_inclusion
from geodata.sources.finess import read_finess
from geodata.sources.siae import read_siae
from geodata.sphere import haversine_m
from graph.dedup import canonical_order, deduplicate, name_similarity, name_tokens
from graph.models import PartnerFields
from tests.geodata.sources import CENTROIDS, FIXTURES, shared

# Named places (EPSG:4326 lon, lat)
NIMES_ARENA = (4.3597, 43.8347)
ALES = (4.0810, 44.1250)
METRES_PER_DEGREE_LAT = 6_371_008.8 * 3.141592653589793 / 180  # ≈ 111 195 m


@dataclass(frozen=True)
class Toy:
    """The minimum deduplication needs of a record."""

    partner: PartnerFields
    provenance: str
    source_id: str
    geocoding: str = "source"
    extra: dict[str, Any] = field(default_factory=dict)


def toy(
    provenance: str,
    source_id: str,
    name: str,
    *,
    at: tuple[float, float] = NIMES_ARENA,
    north_m: float = 0.0,
    geocoding: str = "source",
    **fields: Any,
) -> Toy:
    lon, lat = at
    partner = PartnerFields(
        name=name,
        kind=fields.pop("kind", "chrs"),
        lon=lon,
        lat=lat + north_m / METRES_PER_DEGREE_LAT,
        source=provenance,
        source_id=source_id,
        **fields,
    )
    return Toy(partner, provenance, source_id, geocoding)


def groups(clusters: list[Any]) -> list[set[str]]:
    return [{record.source_id for record in cluster.records} for cluster in clusters]


# --- names and distances ---------------------------------------------------------------------


def test_name_tokens_fold_accents_stop_words_and_acronyms() -> None:
    assert name_tokens("Association La Clède — CHRS d'Alès") == {"clede", "chrs", "ales"}
    assert name_tokens("CENTRE D'HÉBERGEMENT ET DE RÉINSERTION SOCIALE") == {"chrs"}
    assert name_tokens("Établissement et service d'aide par le travail") == {"esat"}
    assert name_tokens("la") == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "similarity"),
    [
        ("ESAT Les Ateliers de la Clède", "Les ateliers de la Clède", 2 / 3),
        ("France Travail - APE ALES AVENE", "France Travail Alès Avène", 0.8),
        ("CHRS Nîmes", "CHU Nîmes", 1 / 3),
        ("Mairie", "", 0.0),
    ],
)
def test_name_similarity(a: str, b: str, similarity: float) -> None:
    assert name_similarity(a, b) == pytest.approx(similarity)


def test_haversine() -> None:
    lon, lat = NIMES_ARENA
    assert haversine_m(lon, lat, lon, lat + 0.001) == pytest.approx(111.195, abs=1e-3)
    assert haversine_m(*NIMES_ARENA, *ALES) == pytest.approx(38_700, rel=0.02)


# --- the rule --------------------------------------------------------------------------------


def test_same_siret_from_two_sources_is_one_structure() -> None:
    siret = "91740029375509"
    clusters = deduplicate(
        [
            toy("finess", "f1", "ESAT des Costières", siret=siret, kind="esat"),
            # 2 km away (geocoded to the commune's centroid, say): the SIRET and name suffice
            toy("dora", "d1", "ESAT Les Costières", siret=siret, north_m=2_000, kind="esat"),
            # any name at the same place: the SIRET and the place suffice
            toy("soliguide", "s1", "Les Ateliers", siret=siret, north_m=60, kind="esat"),
        ]
    )
    assert groups(clusters) == [{"f1", "d1", "s1"}]
    assert {link.rule for link in clusters[0].links} == {"siret"}
    assert max(link.distance_m for link in clusters[0].links) == pytest.approx(2_000, rel=1e-2)


def test_a_shared_siret_alone_does_not_merge() -> None:
    siret = "91740029375509"  # the head-office SIRET several services publish
    antennas = [
        toy("finess", "f1", "Mission locale antenne Nîmes", siret=siret),
        toy("dora", "d1", "Mission locale antenne Alès", at=ALES, siret=siret),
    ]
    assert groups(deduplicate(antennas)) == [{"f1"}, {"d1"}]  # 38 km apart
    assert groups(deduplicate(antennas, siret_max_distance_m=None)) == [{"f1", "d1"}]
    services = [
        toy("finess", "f1", "CHRS La Clède", siret=siret),
        toy("dora", "d1", "Chantier d'insertion La Clède", siret=siret, north_m=800, kind="aci"),
    ]
    assert groups(deduplicate(services)) == [{"f1"}, {"d1"}]  # other names, 800 m apart


@pytest.mark.parametrize(("north_m", "merged"), [(0, True), (100, True), (149, True), (151, False)])
def test_similar_names_within_150_m(north_m: float, merged: bool) -> None:
    records = [
        toy("finess", "f1", "CHRS Le Mas du Gardon"),
        toy(
            "soliguide",
            "s1",
            "Centre d'hébergement et de réinsertion sociale Le Mas du Gardon",
            north_m=north_m,
        ),
    ]
    assert len(deduplicate(records)) == (1 if merged else 2)


def test_different_names_at_the_same_address_stay_apart() -> None:
    records = [toy("finess", "f1", "CHRS Nîmes"), toy("dora", "d1", "CHU Nîmes")]
    assert len(deduplicate(records)) == 2


def test_one_source_never_merges_with_itself() -> None:
    siret = "91740029375509"
    records = [
        toy("finess", "chrs", "CHRS Le Mas", siret=siret),
        toy("finess", "chu", "CHU Le Mas", siret=siret, kind="chu"),
        toy("dora", "mas", "Le Mas : CHRS et CHU", siret=siret),
    ]
    # dora joins one FINESS establishment; the group then refuses the second one.
    assert sorted(map(len, groups(deduplicate(records)))) == [1, 2]


def test_canonical_record_rule() -> None:
    precise = toy("hinaura", "h1", "Espace numérique du Mas", kind="conseillers-numeriques")
    complete_but_approximate = toy(
        "finess",
        "f1",
        "Espace numérique du Mas",
        north_m=50,
        geocoding="commune",
        kind="conseillers-numeriques",
        address="1 rue du Mas, 30000 Nîmes",
        code_insee="30189",
        opening_hours="Mo-Fr 09:00-17:00",
    )
    cluster = deduplicate([complete_but_approximate, precise])[0]
    assert cluster.canonical is precise  # a precise point beats completeness
    assert cluster.same_as == (("finess", "f1"),)
    merged = cluster.partner()
    assert (merged.lon, merged.lat) == (precise.partner.lon, precise.partner.lat)
    assert merged.address == "1 rue du Mas, 30000 Nîmes"  # gap filled from the other record
    assert merged.opening_hours == "Mo-Fr 09:00-17:00"

    richer = toy("dora", "d1", "CHRS Le Mas", description="Hébergement et accompagnement.")
    poorer = toy("finess", "f2", "CHRS Le Mas", north_m=10)
    assert deduplicate([poorer, richer])[0].canonical is richer  # then completeness
    same = [toy("dora", "d2", "CHRS Le Mas"), toy("finess", "f3", "CHRS Le Mas", north_m=10)]
    assert deduplicate(same)[0].canonical.provenance == "finess"  # then source priority
    # the same rule, for records already known to be one structure (the importer's merges)
    assert canonical_order([complete_but_approximate, precise])[0] is precise
    assert canonical_order([poorer, richer])[0] is richer
    assert [r.provenance for r in canonical_order(same)] == ["finess", "dora"]
    assert [r.provenance for r in canonical_order(same, ("dora", "finess"))] == ["dora", "finess"]


def test_the_official_name_wins_and_the_directory_names_are_kept_as_aliases() -> None:
    # the DORA record is canonical (more complete, precise point), yet FINESS names it
    dora = toy(
        "dora",
        "d1",
        "Les ateliers de la Clède",
        kind="esat",
        description="Atelier de menuiserie et espaces verts.",
        opening_hours="Mo-Fr 08:00-16:30",
    )
    finess = toy("finess", "f1", "ESAT LES ATELIERS DE LA CLEDE", kind="esat", north_m=40)
    soliguide = toy("soliguide", "s1", "Les Ateliers de la Clède", kind="esat", north_m=60)
    (cluster,) = deduplicate([dora, finess, soliguide])
    assert cluster.canonical is dora
    assert cluster.named_by is finess
    merged = cluster.partner()
    assert merged.name == "ESAT LES ATELIERS DE LA CLEDE"
    assert (merged.source, merged.source_id) == ("dora", "d1")  # point and kind: canonical's
    assert merged.opening_hours == "Mo-Fr 08:00-16:30"
    # Soliguide spells DORA's name with another capital letter: one alias, not two
    assert cluster.aliases == ("Les ateliers de la Clède",)

    # among registers, source priority (FINESS before Les emplois) names the partner
    siae = toy("emplois-siae", "e1", "Ateliers de la Clède", kind="esat", north_m=20)
    (both,) = deduplicate([siae, finess, dora])
    assert both.partner().name == "ESAT LES ATELIERS DE LA CLEDE"
    assert set(both.aliases) == {"Ateliers de la Clède", "Les ateliers de la Clède"}
    # without a register, the canonical record names it and nothing is an alias of itself
    (directories,) = deduplicate([dora, soliguide])
    assert directories.partner().name == "Les ateliers de la Clède"
    assert directories.aliases == ()


def test_result_does_not_depend_on_input_order() -> None:
    records = [
        toy("finess", "f1", "CHRS Le Mas"),
        toy("dora", "d1", "CHRS Le Mas - Nîmes", north_m=40),
        toy("soliguide", "s1", "Le Mas CHRS", north_m=80),
        toy("finess", "f2", "CADA des Costières", north_m=500, kind="cada"),
        toy("dora", "d2", "CADA Costières", north_m=560, kind="cada"),
    ]
    expected = sorted(sorted(group) for group in groups(deduplicate(records)))
    assert expected == [["d1", "f1", "s1"], ["d2", "f2"]]
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    again = deduplicate(shuffled)
    assert sorted(sorted(group) for group in groups(again)) == expected
    canonicals = {c.canonical.source_id for c in deduplicate(records)}
    assert {c.canonical.source_id for c in again} == canonicals


# --- across real-format files ----------------------------------------------------------------


def _fixture_records() -> list[SourceRecord]:
    finess = read_finess(FIXTURES / "finess_gard.csv", commune_centroids=CENTROIDS)
    di = read_data_inclusion(FIXTURES / "data_inclusion_gard.jsonl", commune_centroids=CENTROIDS)
    siae = read_siae(
        FIXTURES / "siae_gard.csv",
        jobs=FIXTURES / "siae_gard_postes.csv",
        commune_centroids=CENTROIDS,
        postcode_to_insee={"30000": "30189"},
    )
    return [*finess.records, *di.records, *siae.records]


def test_finess_and_data_inclusion_give_one_partner_per_structure() -> None:
    records = _fixture_records()
    clusters = deduplicate(records)
    by_member = {key: cluster for cluster in clusters for key in map(_key, cluster.records)}

    esat = by_member["finess", "300000029"]  # same SIRET in FINESS and in DORA
    assert {_key(r) for r in esat.records} == {
        ("finess", "300000029"),
        ("dora", "dora--esat-ateliers-gardon"),
    }
    assert esat.links[0].rule == "siret"
    assert esat.links[0].distance_m < 150
    merged = esat.partner()
    assert merged.siret == "29141777263178"
    assert merged.kind == "esat"
    assert "se-former--trouver-sa-formation" in merged.thematiques  # from the DORA services

    chrs = by_member["finess", "300000011"]  # no SIRET in Soliguide: name and distance
    assert sorted(chrs.provenances) == ["finess", "soliguide"]
    (link,) = chrs.links
    assert link.rule == "nom-distance"
    assert link.distance_m < 150
    assert link.similarity >= 0.5
    # FINESS names the CHRS; Soliguide's name is kept for searches
    assert chrs.partner().name == (
        "CENTRE D'HEBERGEMENT ET DE REINSERTION SOCIALE LE MAS DU GARDON"
    )
    assert chrs.aliases == ("CHRS Le Mas du Gardon - Alès",)

    # One pin per structure: 12 FINESS + 7 data·inclusion + 8 SIAE records, 2 duplicates.
    assert len(records) == 27
    assert len(clusters) == 25
    # Shared SIRETs alone merge nothing: the SIAE of Bastia has the SIRET of the CHRS of Alès
    # (300 km away), the GEIQ of Nîmes the SIRET of the CSAPA (1.2 km away, another name).
    assert len(by_member["emplois-siae", "1007"].records) == 1
    assert len(by_member["emplois-siae", "1005"].records) == 1
    # The CHRS and the day centre of the same association and address-book stay two partners.
    assert by_member["finess", "300000128"] is not chrs


def test_real_agency_and_data_inclusion_agency_are_one_partner() -> None:
    agencies = read_prescriber_organizations(
        shared("structures/les_emplois_prescriber_organizations.json"), departements={"30"}
    )
    di = read_data_inclusion(FIXTURES / "data_inclusion_gard.jsonl", commune_centroids=CENTROIDS)
    clusters = deduplicate([*agencies.records, *di.records])
    ales = next(
        cluster
        for cluster in clusters
        if ("dora", "dora--ft-ales-avene") in {_key(record) for record in cluster.records}
    )
    assert sorted(ales.provenances) == ["dora", "emplois-prescripteurs"]
    assert {record.partner.name for record in ales.records} == {
        "France Travail - APE ALES AVENE",
        "France Travail Alès Avène",
    }
    assert len(clusters) == len(agencies.records) + len(di.records) - 1


def _key(record: Any) -> tuple[str, str]:
    return record.provenance, record.source_id


def test_duplicates_across_sources_make_one_cluster_with_both_provenances() -> None:
    clusters = deduplicate(_fixture_records())
    assert len(clusters) == 25
    esat = next(c for c in clusters if c.canonical.partner.kind == "esat")
    assert _key(esat.canonical) == ("dora", "dora--esat-ateliers-gardon")  # the more complete
    assert [list(key) for key in esat.same_as] == [["finess", "300000029"]]
    assert esat.links[0].rule == "siret"
    assert esat.partner().siret == "29141777263178"
    # equally complete: FINESS, the official register, is canonical
    chrs = next(c for c in clusters if _key(c.canonical) == ("finess", "300000011"))
    assert [list(key) for key in chrs.same_as] == [["soliguide", "soliguide--mas-du-gardon"]]
    assert chrs.partner().thematiques == ["remobilisation--bien-etre-confiance-en-soi"]
    alone = next(c for c in clusters if _key(c.canonical) == ("emplois-siae", "1007"))
    assert not alone.same_as
