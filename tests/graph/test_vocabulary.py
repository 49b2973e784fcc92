"""Reference vocabularies: consistency of the CSVs and the checks built on them."""

from __future__ import annotations

import csv
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from graph.vocabulary import (
    SIAE_KINDS,
    UnknownCodeError,
    check_family,
    check_kind,
    check_publics,
    check_thematiques,
    families,
    family_of,
    kinds,
    kinds_in_family,
    publics,
    thematiques,
)

SHARED_V1 = Path(__file__).resolve().parents[2].parent / "shared" / "docs" / "reference" / "v1"


def _shared_values(filename: str) -> list[str]:
    path = SHARED_V1 / filename
    if not path.is_file():
        pytest.skip(f"{path} absent: the shared reference lists are not checked out")
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["value"] for row in csv.DictReader(handle)]


# --- families and kinds ----------------------------------------------------------------------


def test_families_are_the_twelve_of_the_domain_primer() -> None:
    assert list(families()) == [
        "hebergement",
        "insertion-professionnelle",
        "employeurs-inclusifs",
        "remobilisation",
        "employeurs-ordinaires",
        "formation-langue",
        "mobilite",
        "garde-enfants",
        "sante",
        "acces-aux-droits",
        "institutions",
        "reseaux",
    ]
    assert families()["hebergement"].label == "Hébergement (AHI)"


def test_every_family_has_a_kind() -> None:
    used = {kind.family for kind in kinds().values()}
    assert used == set(families())


def test_every_kind_has_a_known_family_and_its_label() -> None:
    for kind in kinds().values():
        assert kind.family in families()
        assert kind.family_label == families()[kind.family].label
        assert kind.label


def test_kinds_are_ordered_by_family() -> None:
    family_order = list(families())
    ranks = [family_order.index(kind.family) for kind in kinds().values()]
    assert ranks == sorted(ranks)
    assert next(iter(kinds())) == "chrs"


def test_kind_count() -> None:
    # domain.md §4 table, each code once, plus the two networks FAS and COORACE.
    assert len(kinds()) == 62


def test_data_inclusion_kinds_exist_in_reseaux_porteurs() -> None:
    porteurs = set(_shared_values("reseaux_porteurs_v1.csv"))
    for kind in kinds().values():
        assert kind.data_inclusion == (kind.code in porteurs), kind.code


def test_data_inclusion_kinds_reuse_the_data_inclusion_label() -> None:
    path = SHARED_V1 / "reseaux_porteurs_v1.csv"
    if not path.is_file():
        pytest.skip(f"{path} absent")
    with path.open(encoding="utf-8", newline="") as handle:
        labels = {row["value"]: row["label"] for row in csv.DictReader(handle)}
    for kind in kinds().values():
        if kind.data_inclusion:
            assert kind.label == labels[kind.code], kind.code


@pytest.mark.parametrize(
    ("kind", "family"),
    [
        ("chrs", "hebergement"),
        ("oacas", "hebergement"),
        ("mobin", "mobilite"),  # also a network: filed under mobilité
        ("departements", "institutions"),  # also RSA support: filed under institutions
        ("ccas-cias", "insertion-professionnelle"),
        ("etcld", "employeurs-inclusifs"),
        ("phc", "remobilisation"),
        ("creches-avip", "garde-enfants"),
        ("federation-des-acteurs-de-la-solidarite", "reseaux"),
        ("coorace", "reseaux"),
    ],
)
def test_family_of(kind: str, family: str) -> None:
    assert family_of(kind) == family


@pytest.mark.parametrize(
    ("code", "data_inclusion"),
    [("chrs", True), ("creches-avip", True), ("phc", False), ("entreprise", False)],
)
def test_data_inclusion_flag(code: str, data_inclusion: bool) -> None:
    assert kinds()[code].data_inclusion is data_inclusion


def test_own_labels_are_french() -> None:
    assert kinds()["phc"].label == "Premières heures en chantier (PHC)"
    assert kinds()["chrs"].family_label == "Hébergement (AHI)"


def test_siae_kinds_are_inclusive_employers() -> None:
    assert sorted(SIAE_KINDS) == ["aci", "ai", "ei", "eiti", "etti"]
    assert kinds_in_family("employeurs-inclusifs") >= SIAE_KINDS


def test_kinds_in_family() -> None:
    assert kinds_in_family("garde-enfants") == {"creches-avip", "creche", "micro-creche-insertion"}
    assert kinds_in_family("remobilisation") == {"phc", "cvg", "tapaj", "aava"}
    with pytest.raises(UnknownCodeError, match=r"^famille inconnue \(\d+ valeurs admises"):
        kinds_in_family("crèches")


def test_check_kind_and_family() -> None:
    assert check_kind("siao") == "siao"
    assert check_family("sante") == "sante"
    with pytest.raises(UnknownCodeError) as caught:
        check_kind("CHRS")  # exact match: codes are lower-case slugs
    assert str(caught.value) == (
        f"type d’acteur inconnu ({len(kinds())} valeurs admises, voir /v1/reference/kinds)"
    )
    assert caught.value.vocabulary == "kind"
    assert caught.value.codes == ("CHRS",)
    with pytest.raises(UnknownCodeError, match="famille inconnue"):
        check_family("logement")


def test_family_of_unknown_kind() -> None:
    with pytest.raises(UnknownCodeError, match=r"valeurs admises, voir /v1/reference/kinds\)$"):
        family_of("foyer")


def test_unknown_code_error_is_a_value_error() -> None:
    assert issubclass(UnknownCodeError, ValueError)


def test_unknown_code_error_survives_pickling() -> None:
    error = UnknownCodeError("public", ["a", "b"], [0, 3])
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (
        str(copy)
        == str(error)
        == ("publics inconnus en position 0, 3 (14 valeurs admises, voir /v1/reference/publics)")
    )
    assert (copy.codes, copy.positions) == (("a", "b"), (0, 3))


def test_mappings_are_read_only() -> None:
    with pytest.raises(TypeError):
        kinds()["nouveau"] = kinds()["chrs"]  # type: ignore[index]


# --- thematiques and publics -----------------------------------------------------------------


def test_thematiques_count_and_example() -> None:
    assert len(thematiques()) == 69
    assert thematiques()["mobilite--preparer-un-permis"].code == "mobilite--preparer-un-permis"
    assert "famille--garde-denfants" in thematiques()


def test_thematiques_match_the_shared_list() -> None:
    assert list(thematiques()) == _shared_values("thematiques_v1.csv")


def test_publics_match_the_shared_list() -> None:
    assert list(publics()) == _shared_values("publics_v1.csv")
    assert len(publics()) == 14


def test_descriptions_with_commas_are_read_whole() -> None:
    actifs = publics()["actifs"]
    assert actifs.label == "Actifs"
    assert actifs.description == (
        "Toute personne ayant un emploi, qu’il soit salarié, libéral ou à son compte"
    )


def test_check_thematiques_dedupes_keeping_order() -> None:
    codes = ["sante--addictions", "mobilite--preparer-un-permis", "sante--addictions"]
    assert check_thematiques(codes) == ["sante--addictions", "mobilite--preparer-un-permis"]
    assert check_thematiques(iter(codes)) == ["sante--addictions", "mobilite--preparer-un-permis"]
    assert check_thematiques([]) == []


def test_check_thematiques_locates_every_unknown_code_without_quoting_it() -> None:
    with pytest.raises(UnknownCodeError) as caught:
        check_thematiques(["foo", "sante--addictions", "bar", "foo"])
    assert str(caught.value) == (
        "thématiques inconnues en position 0, 2, 3 (69 valeurs admises, "
        "voir /v1/reference/thematiques)"
    )
    assert caught.value.codes == ("foo", "bar")


def test_check_thematiques_single_unknown_message() -> None:
    with pytest.raises(UnknownCodeError) as caught:
        check_thematiques(["sante--addictions", "foo"])
    assert str(caught.value) == (
        "thématique inconnue en position 1 (69 valeurs admises, voir /v1/reference/thematiques)"
    )


def test_check_publics() -> None:
    assert check_publics(["jeunes", "jeunes"]) == ["jeunes"]
    with pytest.raises(UnknownCodeError, match=r"^public inconnu en position 0 \(14 valeurs"):
        check_publics(["retraites"])


def test_a_bare_string_is_not_a_list_of_codes() -> None:
    with pytest.raises(TypeError, match="une liste de codes est attendue"):
        check_publics("jeunes")


def test_nothing_is_read_at_import() -> None:
    code = (
        "import graph.vocabulary as v; "
        "assert all(f.cache_info().currsize == 0 for f in (v.families, v.kinds, v.thematiques))"
    )
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True)
