"""Validators of identifiers, codes, French levels and opening hours."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.inputs import NO_NUL, NOT_BLANK, padded
from graph.validation import (
    CODE_INSEE_FORM,
    FRENCH_LEVELS,
    ROME_CODE_FORM,
    SIRET_FORM,
    french_level_rank,
    has_atypical_hours,
    opening_hours_weekly_minutes,
    validate_code_insee,
    validate_opening_hours,
    validate_rome_code,
    validate_siren,
    validate_siret,
)

GOOGLE_FRANCE = "73282932000074"  # real SIRET (Google France, Paris)
LA_POSTE_HEAD_OFFICE = "35600000000048"  # real SIRET, passes Luhn
LA_POSTE_OFFICE = "35600000049837"  # fails Luhn, digit sum 45: valid by La Poste's rule


# --- SIRET / SIREN ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (GOOGLE_FRANCE, GOOGLE_FRANCE),
        ("732 829 320 00074", GOOGLE_FRANCE),
        (" 73282932000074\n", GOOGLE_FRANCE),
        ("732\u00a0829\u00a0320\u00a000074", GOOGLE_FRANCE),  # non-breaking spaces
        (LA_POSTE_HEAD_OFFICE, LA_POSTE_HEAD_OFFICE),
        (LA_POSTE_OFFICE, LA_POSTE_OFFICE),
    ],
)
def test_valid_siret(value: str, expected: str) -> None:
    assert validate_siret(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "73282932000075",  # last digit altered
        "73282932000047",  # last two digits swapped
        "83282932000074",  # first digit altered
        "73282932000072",  # digit sum multiple of 5, but not La Poste: the exception is La Poste's
        "35600000049838",  # La Poste, digit sum 46
    ],
)
def test_siret_with_a_wrong_check_digit(value: str) -> None:
    with pytest.raises(ValueError, match=r"^SIRET invalide : la clé de contrôle \(Luhn\)"):
        validate_siret(value)


def test_siret_whose_siren_has_a_wrong_check_digit() -> None:
    # 14 digits pass Luhn, but the SIREN 732829321 does not.
    with pytest.raises(ValueError, match="clé de contrôle du SIREN"):
        validate_siret("73282932100007")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "7328293200007",
        "732829320000740",
        "7328293200007A",
        "732-829-320-00074",
        "٧٣٢٨٢٩٣٢٠٠٠٠٧٤",  # Arabic-Indic digits: str.isdigit() would accept them
    ],
)
def test_siret_of_the_wrong_form(value: str) -> None:
    with pytest.raises(ValueError, match=r"^SIRET invalide : 14 chiffres attendus$"):
        validate_siret(value)


@pytest.mark.parametrize(
    ("value", "expected"), [("732 829 320", "732829320"), ("356000000", "356000000")]
)
def test_valid_siren(value: str, expected: str) -> None:
    assert validate_siren(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("732829321", "la clé de contrôle"),
        ("73282932", "9 chiffres attendus"),
        (GOOGLE_FRANCE, "9 chiffres attendus"),
    ],
)
def test_invalid_siren(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^SIREN invalide : {message}"):
        validate_siren(value)


# --- ROME ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("D1106", "D1106"), ("k2204", "K2204"), (" a1101 ", "A1101"), ("N4105", "N4105")],
)
def test_valid_rome_code(value: str, expected: str) -> None:
    assert validate_rome_code(value) == expected


@pytest.mark.parametrize("value", ["O1234", "Z9999", "D110", "D11066", "DD106", "1106D", ""])
def test_invalid_rome_code(value: str) -> None:
    with pytest.raises(ValueError, match=r"^code ROME invalide \(format attendu : une lettre de A"):
        validate_rome_code(value)


# --- code INSEE ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30189", "30189"),  # Nîmes
        ("01053", "01053"),  # Bourg-en-Bresse: the leading zero is kept
        ("2A004", "2A004"),  # Ajaccio
        ("2b033", "2B033"),  # Bastia, lower case accepted
        ("21231", "21231"),  # Dijon: 21-29 are ordinary départements
        ("95127", "95127"),
        ("97411", "97411"),  # Saint-Denis (La Réunion)
        ("97608", "97608"),  # Dzaoudzi (Mayotte)
        ("97701", "97701"),  # Saint-Barthélemy
        (" 30007 ", "30007"),  # Alès
    ],
)
def test_valid_code_insee(value: str, expected: str) -> None:
    assert validate_code_insee(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "20004",  # 20 no longer exists: Corsica is 2A/2B
        "00123",
        "96001",
        "97901",  # no collectivity 979
        "98735",
        "2C004",
        "1053",  # a lost leading zero is not restored
        "301890",
        "3018A",
        "",
    ],
)
def test_invalid_code_insee(value: str) -> None:
    with pytest.raises(ValueError, match=r"^code INSEE invalide \(5 caractères attendus"):
        validate_code_insee(value)


# --- the patterns the OpenAPI document shows ---------------------------------------------------

ODD_TEXTS = ["", " ", "\n", "\x1c", "\u00a0", "\ufeff", "\x00", "ı1106", "Ｄ1106", "٣0189"]


def _accepts(validate: Callable[[str], str], value: str) -> bool:
    try:
        validate(value)
    except ValueError as error:
        return "clé de contrôle" in str(error)  # the form is right, the check digits are not
    return True


@pytest.mark.parametrize(
    ("form", "validate", "samples"),
    [
        (ROME_CODE_FORM, validate_rome_code, ["D1106", "k2204", " a1101\n", "\x1cD1106", "O1234",
                                              "D1106\x00", "ı1106", "D 1106", "D11066"]),
        (CODE_INSEE_FORM, validate_code_insee, ["30189", "2b033", "\u300097411 ", "20004", "2C004",
                                                "3018A", "97901", "301890", "30189\n\n"]),
        (SIRET_FORM, validate_siret, [GOOGLE_FRANCE, "732 829 320 00074", "732\u00a0829 32000074",
                                      "73282932000075", "7328293200007", "73282932000074 1",
                                      " 73282932000074\x1f", "73282932000O74"]),
    ],
)  # fmt: skip
def test_the_pattern_of_a_code_accepts_what_its_validator_accepts(
    form: str, validate: Callable[[str], str], samples: list[str]
) -> None:
    pattern = re.compile(padded(form))  # JSON Schema: a search, anchored by ^ and $
    for value in [*samples, *ODD_TEXTS]:
        assert (pattern.search(value) is not None) == _accepts(validate, value), repr(value)


def test_a_text_pattern_refuses_nul_and_a_not_blank_one_whitespace_alone() -> None:
    for value in ["a", " a ", "\ufeff", "é\n"]:
        assert re.search(NOT_BLANK, value), repr(value)
        assert re.search(NO_NUL, value), repr(value)
    for value in ["", " ", "\n", "\x1c", "\u3000\t", "a\x00"]:
        assert not re.search(NOT_BLANK, value), repr(value)
    assert re.search(NO_NUL, "")
    assert not re.search(NO_NUL, "a\x00b")


# --- French level ----------------------------------------------------------------------------


def test_french_levels_are_ranked_lowest_first() -> None:
    assert FRENCH_LEVELS == ("A0", "A1", "A2", "B1", "B2", "C1", "C2")
    assert [french_level_rank(level) for level in FRENCH_LEVELS] == list(range(7))
    assert french_level_rank("a1") == 1
    assert french_level_rank("B1") > french_level_rank("A2")


@pytest.mark.parametrize("value", ["A3", "D1", "", "débutant"])
def test_unknown_french_level(value: str) -> None:
    with pytest.raises(ValueError, match=r"^niveau de français inconnu"):
        french_level_rank(value)


# --- opening hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mo-Fr 08:30-17:00", "Mo-Fr 08:30-17:00"),
        ("  Mo-Fr 08:30-12:00,13:30-17:00\n", "Mo-Fr 08:30-12:00,13:30-17:00"),
        ("Mo-Sa 09:00-19:00; PH off", "Mo-Sa 09:00-19:00; PH off"),
        ("24/7", "24/7"),
        ("Mo-Fr 22:00-06:00", "Mo-Fr 22:00-06:00"),
        ('Tu 14:00-16:00 "sur rendez-vous"', 'Tu 14:00-16:00 "sur rendez-vous"'),
    ],
)
def test_valid_opening_hours(value: str, expected: str) -> None:
    assert validate_opening_hours(value) == expected


@pytest.mark.parametrize(
    "value",
    ["Mo-Fr 8h-16h", "lundi au vendredi 9h-17h", "Mo-Fr 25:00-26:00", "Mo-Fr 09:00-17:00,"],
)
def test_invalid_opening_hours(value: str) -> None:
    with pytest.raises(ValueError, match=r"^horaires invalides") as caught:
        validate_opening_hours(value)
    message = str(caught.value)
    assert "syntaxe OpenStreetMap opening_hours attendue" in message
    assert value not in message  # the rule, never the value


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_blank_opening_hours_are_refused(value: str) -> None:
    # The parser itself would read a blank expression as 24/7.
    with pytest.raises(ValueError, match=r"^horaires invalides : valeur vide"):
        validate_opening_hours(value)


def test_messages_state_the_rule_never_the_value() -> None:
    planted = "zq-planté-7f3a91"
    for validate in (validate_opening_hours, validate_rome_code, validate_code_insee,
                     french_level_rank, validate_siret, validate_siren):  # fmt: skip
        with pytest.raises(ValueError, match=r"invalide|inconnu") as caught:
            validate(planted)
        assert planted not in str(caught.value), validate


@pytest.mark.parametrize(
    ("value", "atypical"),
    [
        ("Mo-Fr 09:00-17:00", False),
        ("Mo-Fr 06:00-14:00", True),
        ("Mo-Sa 09:00-19:00", False),
        ("Su 10:00-12:00", True),
        ("Mo-Fr 14:00-21:30", True),
        ("Mo-Fr 22:00-06:00", True),
        ("24/7", True),
        ("Mo-Fr 07:00-20:00", False),  # the bounds themselves are standard
        ("Mo-Fr 06:59-12:00", True),
        ("Sa 19:00-20:30", True),  # Saturday evening
        ("Fr 18:00-00:00", True),  # closes at midnight
        ("Su 23:00-01:00", True),
        ("Mo-Fr 08:00-12:00 unknown", False),  # unknown is not open
        ("Mo-Fr 09:00-17:00; PH off", False),
        ("off", False),
    ],
)
def test_has_atypical_hours(value: str, atypical: bool) -> None:
    assert has_atypical_hours(value) is atypical


def test_has_atypical_hours_rejects_invalid_syntax() -> None:
    with pytest.raises(ValueError, match=r"^horaires invalides"):
        has_atypical_hours("Mo-Fr 8h-16h")


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("Mo-Fr 09:00-17:00", 5 * 8 * 60),
        ("Mo-Fr 08:30-12:00,13:30-17:00", 5 * 7 * 60),
        ("Mo-Fr 22:00-06:00", 5 * 8 * 60),  # each night counted fully, Friday's into Saturday
        ("Su 23:00-01:00", 120),  # last week's Sunday night spills into Monday
        ("24/7", 7 * 24 * 60),
        ("off", 0),
        ("Mo 09:00-10:30", 90),
    ],
)
def test_opening_hours_weekly_minutes(value: str, minutes: float) -> None:
    assert opening_hours_weekly_minutes(value) == pytest.approx(minutes)


def test_opening_hours_weekly_minutes_rejects_invalid_syntax() -> None:
    with pytest.raises(ValueError, match=r"^horaires invalides"):
        opening_hours_weekly_minutes("tous les jours")


def test_opening_hours_parser_is_not_loaded_at_import() -> None:
    code = "import sys, graph.validation; assert 'opening_hours' not in sys.modules"
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True)
