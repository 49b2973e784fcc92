"""Opening hours told in French words, whatever the ``opening_hours`` syntax."""

from __future__ import annotations

import pytest

from graph.validation import opening_hours_in_french


@pytest.mark.parametrize(
    ("expression", "french"),
    [
        (
            "Mo-Fr 08:30-12:00,14:00-17:00; Sa 09:00-12:00",
            "du lundi au vendredi de 8 h 30 à 12 h et de 14 h à 17 h ; le samedi de 9 h à 12 h",
        ),
        ("Mo-Sa 09:00-19:30", "du lundi au samedi de 9 h à 19 h 30"),
        ("Mo-We,Fr 08:00-12:00", "du lundi au mercredi et le vendredi de 8 h à 12 h"),
        ("Mo,We,Fr 08:00-12:00", "le lundi, le mercredi et le vendredi de 8 h à 12 h"),
        ("Sa,Su 10:00-18:00", "le samedi et le dimanche de 10 h à 18 h"),
        ("Mo-Fr 22:00-06:00", "du lundi au vendredi de 22 h à 6 h"),
        ("Su 22:00-06:00", "le dimanche de 22 h à 6 h"),
        (
            "Fr 18:00-24:00; Sa 00:00-24:00",
            "le vendredi de 18 h à 24 h ; le samedi toute la journée",
        ),
        ("Mo-Fr 00:00-24:00", "du lundi au vendredi toute la journée"),
        ("24/7", "tous les jours, 24 h sur 24"),
        ("Mo-Fr 06:00-14:00; PH off", "du lundi au vendredi de 6 h à 14 h"),
        (
            "Mo-Fr 09:00-17:00; We 09:00-12:00",
            "le lundi, le mardi, le jeudi et le vendredi de 9 h à 17 h ; le mercredi de 9 h à 12 h",
        ),
        ("mo-fr 09:00-12:00 unknown", "fermé toute la semaine"),
    ],
)
def test_opening_hours_in_french(expression: str, french: str) -> None:
    assert opening_hours_in_french(expression) == french


def test_invalid_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="opening_hours"):
        opening_hours_in_french("lundi 8h-12h")
