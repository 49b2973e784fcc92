"""Robustness helpers: encodings, separators, codes INSEE, projections, coordinate sanity."""

from __future__ import annotations

import datetime as dt
import gc
import math
import random

import numpy as np
import pytest

from geodata.sources.common import (
    LocationError,
    RowProblems,
    clean_contact,
    clean_siret,
    decode_text,
    french_hours_to_osm,
    gc_paused,
    lambert93_to_wgs84,
    locate,
    normalize_code_insee,
    parse_csv,
    parse_date,
    parse_float,
    part_bounds,
    sniff_delimiter,
    to_wgs84,
    to_wgs84_arrays,
    validate_partner,
    validate_partner_with_contact,
    wgs84_to_lambert93,
)
from tests.geodata.sources import CENTROIDS

# --- text and CSV ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Nîmes;Alès".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Nîmes;Alès".encode(), "utf-8-sig"),
        ("Nîmes;Alès".encode("utf-16"), "utf-16"),
        ("Nîmes;Alès".encode("latin-1"), "cp1252"),
        ("Nîmes;Alès".encode("cp1252"), "cp1252"),
    ],
)
def test_decode_detects_bom_utf8_and_latin1(data: bytes, encoding: str) -> None:
    decoded = decode_text(data)
    assert decoded.text == "Nîmes;Alès"
    assert decoded.encoding == encoding


def test_decode_reads_windows_1252_only_letters() -> None:
    # « œ » and « € » exist in Windows-1252 (0x9C, 0x80) but not in Latin-1.
    assert decode_text("Cœur de ville, 5 €".encode("cp1252")).text == "Cœur de ville, 5 €"


def test_decode_never_fails() -> None:
    assert decode_text(b"caf\xe9 \x81").encoding == "latin-1"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("code;nom;population", ";"),
        ("code,nom,population", ","),
        ("code\tnom\tpopulation", "\t"),
        ('"nom, complet";code;population', ";"),  # the comma inside quotes does not count
        ("code", ";"),
    ],
)
def test_sniff_delimiter(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header + "\n1;2;3\n") == delimiter


def test_parse_csv_keeps_quoted_separators_and_flags_wrong_widths() -> None:
    table = parse_csv('\ufeffcode,nom\n30189,"Nîmes, préfecture"\n30007,Alès,extra\n')
    assert table.header == ("code", "nom")
    assert table.row_dict(table.rows[0]) == {"code": "30189", "nom": "Nîmes, préfecture"}
    assert table.row_dict(table.rows[1]) is None


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("43,8347", 43.8347),
        ("4.36", 4.36),
        (" 1 000,5 ", 1000.5),
        ("\u00a01\u00a0000,5", 1000.5),
        (" 787773.4 ", 787773.4),
        ("", None),
        ("  ", None),
        ("nan", None),
        ("inf", None),
        ("1e400", None),
        ("abc", None),
        (12, 12.0),
        (True, None),
        (None, None),
    ],
)
def test_parse_float(value: object, expected: float | None) -> None:
    assert parse_float(value) == expected


def test_parse_date_reads_iso_french_and_datetimes() -> None:
    assert str(parse_date("2025-10-01")) == "2025-10-01"
    assert str(parse_date("01/10/2025")) == "2025-10-01"
    assert str(parse_date(" 01/10/2025 ")) == "2025-10-01"
    assert str(parse_date("2020-04-09T10:04:08.343Z")) == "2020-04-09"
    assert parse_date("31/02/2025") is None
    assert parse_date("") is None
    assert parse_date(None) is None
    assert parse_date(dt.date(2025, 10, 1)) == dt.date(2025, 10, 1)  # read from its text
    assert parse_date("2025-10-01") is parse_date("2025-10-01")  # cached: one date per text


# --- codes INSEE -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30189", "30189"),
        ("1053", "01053"),  # Bourg-en-Bresse after a spreadsheet ate the zero
        (1053, "01053"),
        ("30189.0", "30189"),
        ("2a004", "2A004"),  # Ajaccio
        (" 2B033 ", "2B033"),  # Bastia
        ("97105", "97105"),  # Basse-Terre
    ],
)
def test_normalize_code_insee(value: str | int, expected: str) -> None:
    assert normalize_code_insee(value) == expected


@pytest.mark.parametrize("value", ["189", "3018A", "20004", "ABCDE", "123456"])
def test_normalize_code_insee_refuses_ambiguous_or_malformed_codes(value: str) -> None:
    with pytest.raises(ValueError, match="code INSEE invalide"):
        normalize_code_insee(value)


def test_normalize_code_insee_with_known_codes() -> None:
    known = {"2A004", "2B033", "01053"}
    # A pre-1976 Corsican code is resolved only when exactly one half of Corsica has it.
    assert normalize_code_insee("20004", known_codes=known) == "2A004"
    assert normalize_code_insee("1053", known_codes=known) == "01053"
    with pytest.raises(ValueError, match="code INSEE inconnu"):
        normalize_code_insee("9710", known_codes=known)  # "09710": no such commune


# --- projections -----------------------------------------------------------------------------


def test_lambert93_origin_is_the_published_pair() -> None:
    """Lambert-93's defining point: λ0 = 3° E, φ0 = 46° 30' N ↔ X0 = 700 000 m, Y0 = 6 600 000 m.

    Published by IGN (projection parameters of RGF93 / Lambert-93, EPSG:2154; décret
    n° 2000-1276 of 26 December 2000): the false easting and northing at the origin.
    """
    lon, lat = lambert93_to_wgs84(700_000, 6_600_000)
    assert lon == pytest.approx(3.0, abs=1e-9)
    assert lat == pytest.approx(46.5, abs=1e-9)
    x, y = wgs84_to_lambert93(3.0, 46.5)
    assert (x, y) == pytest.approx((700_000, 6_600_000), abs=1e-3)


def test_lambert93_round_trip_at_the_nimes_arena() -> None:
    arena = (4.3597, 43.8347)
    x, y = wgs84_to_lambert93(*arena)
    assert 808_000 < x < 811_000  # Nîmes is ~810 km east, ~6 305 km north in Lambert-93
    assert 6_303_000 < y < 6_306_000
    assert lambert93_to_wgs84(x, y) == pytest.approx(arena, abs=1e-9)


def test_overseas_utm_projection() -> None:
    # RGR92 / UTM 40S: the point of false easting 500 000 m sits on the 57° E meridian.
    lon, _lat = to_wgs84(500_000, 7_660_000, epsg=2975)
    assert lon == pytest.approx(57.0, abs=1e-9)


@pytest.mark.parametrize(
    ("epsg", "x_range", "y_range"),
    [
        (2154, (100_000, 1_250_000), (6_000_000, 7_150_000)),  # Lambert-93, metropole
        (2975, (300_000, 400_000), (7_630_000, 7_700_000)),  # UTM 40S, La Réunion
        (5490, (620_000, 720_000), (1_580_000, 1_820_000)),  # UTM 20N, Antilles
    ],
)
def test_array_projection_equals_the_point_projection(
    epsg: int, x_range: tuple[float, float], y_range: tuple[float, float]
) -> None:
    rng = random.Random(epsg)
    xs = [round(rng.uniform(*x_range), 1) for _ in range(500)]
    ys = [round(rng.uniform(*y_range), 1) for _ in range(500)]
    lon, lat = to_wgs84_arrays(xs, ys, epsg=epsg)
    assert lon.dtype == lat.dtype == np.float64
    # exactly the same floats: a reader may project a whole file at once or point by point
    assert list(zip(lon.tolist(), lat.tolist(), strict=True)) == [
        to_wgs84(x, y, epsg=epsg) for x, y in zip(xs, ys, strict=True)
    ]
    empty_lon, empty_lat = to_wgs84_arrays([], [], epsg=epsg)
    assert empty_lon.shape == empty_lat.shape == (0,)


# --- coordinates -----------------------------------------------------------------------------


def test_locate_keeps_a_good_point() -> None:
    location = locate(4.3597, 43.8347)
    assert (location.lon, location.lat, location.geocoding) == (4.3597, 43.8347, "source")


def test_locate_swaps_latitude_and_longitude() -> None:
    location = locate(43.8347, 4.3597)
    assert (location.lon, location.lat, location.geocoding) == (4.3597, 43.8347, "swapped")
    assert location.note is not None
    assert "inversées" in location.note


@pytest.mark.parametrize(("lon", "lat"), [(0.0, 0.0), (None, None), (math.nan, 43.8)])
def test_locate_falls_back_to_the_commune_centroid(lon: float | None, lat: float | None) -> None:
    location = locate(lon, lat, code_insee="30189", commune_centroids=CENTROIDS)
    assert (location.lon, location.lat) == CENTROIDS["30189"]
    assert location.geocoding == "commune"


def test_locate_replaces_a_point_outside_france_by_the_centroid() -> None:
    location = locate(13.40, 52.52, code_insee="30007", commune_centroids=CENTROIDS)
    assert location.geocoding == "commune"
    assert location.note is not None
    assert "hors de France" in location.note


def test_locate_without_point_nor_centroid_says_why_in_french() -> None:
    with pytest.raises(LocationError, match="impossible de localiser"):
        locate(0.0, 0.0, code_insee="30999", commune_centroids=CENTROIDS)


# --- hours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Du lundi au vendredi 9h-12h et 14h-17h ; samedi 9h30-12h",
            "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:30-12:00",
        ),
        ("Lun. - Ven. : 08h30 - 17h00", "Mo-Fr 08:30-17:00"),
        ("mardi et jeudi 14h-18h", "Tu,Th 14:00-18:00"),
        ("Du lundi au vendredi de 9h à 12h", "Mo-Fr 09:00-12:00"),
        ("sur rendez-vous", None),
        ("lundi matin", None),
    ],
)
def test_french_hours_to_osm(text: str, expected: str | None) -> None:
    assert french_hours_to_osm(text) == expected


# --- SIRET -----------------------------------------------------------------------------------


def test_clean_siret() -> None:
    problems = RowProblems(3, "x")
    assert clean_siret("732 829 320 00074", problems) == "73282932000074"
    assert clean_siret("00000000000000", problems) is None  # a placeholder, not a SIRET
    assert clean_siret("", problems) is None
    assert not problems
    assert problems.notes == ["SIRET de remplacement « 00000000000000 » ignoré"]
    assert clean_siret("73282932000075", problems, "pivot") is None
    (rejection,) = problems.rejections
    assert (rejection.index, rejection.field, rejection.source_id) == (3, "pivot", "x")
    assert rejection.reason == "SIRET invalide : la clé de contrôle (Luhn) ne correspond pas"


# --- contact and validation ------------------------------------------------------------------

_PARTNER = {
    "name": "CHRS du Gardon",
    "kind": "chrs",
    "lon": 4.0886,
    "lat": 44.1252,
    "source": "finess",
    "source_id": "300000011",
}


def test_clean_contact_drops_invalid_values_with_a_note() -> None:
    notes: list[str] = []
    contact = clean_contact(
        phone=" 04 66  52 00 00 ", email="pas-un-courriel", website="example.org", note=notes.append
    )
    assert (contact.phone, contact.email, contact.website) == (
        "04 66 52 00 00",
        None,
        "https://example.org",
    )
    assert notes == ["courriel invalide ignoré : « pas-un-courriel »"]
    assert clean_contact(note=notes.append).model_fields_set == set()


@pytest.mark.parametrize(
    ("fields", "contact"),
    [
        (_PARTNER, {"phone": "0466520000"}),
        (_PARTNER, {"phone": "abc", "email": "contact@example.org"}),  # phone dropped, noted
        (_PARTNER, {}),
        ({**_PARTNER, "name": ""}, {"phone": "0466520000"}),  # invalid partner
        ({**_PARTNER, "name": ""}, {"phone": "abc"}),  # both
    ],
)
def test_validate_partner_with_contact_is_the_two_steps_in_one(
    fields: dict[str, object], contact: dict[str, str]
) -> None:
    one, two = RowProblems(7, "x"), RowProblems(7, "x")
    partner = validate_partner_with_contact(fields, one, **contact)
    expected = validate_partner({**fields, "contact": clean_contact(**contact, note=two.note)}, two)
    assert partner == expected
    if partner is not None and expected is not None:
        assert partner.model_dump() == expected.model_dump()
        assert partner.contact.model_fields_set == expected.contact.model_fields_set
    assert (one.notes, one.rejections) == (two.notes, two.rejections)


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("total", "size"),
    [(0, 10), (1, 10), (10, 10), (20, 3), (39_999, 10_000), (40_000, 10_000),
     (100_000, 10_000), (123_457, 10_000), (4_000, 1_000)],
)  # fmt: skip
def test_parts_cover_every_row_once_in_order_and_never_exceed_the_size(
    total: int, size: int
) -> None:
    bounds = part_bounds(total, size)
    assert [row for start, stop in bounds for row in range(start, stop)] == list(range(total))
    assert all(0 < stop - start <= size for start, stop in bounds)


def test_a_long_file_starts_and_ends_with_short_parts() -> None:
    sizes = [stop - start for start, stop in part_bounds(100_000, 10_000)]
    assert sizes[:2] == [2_500, 5_000]
    assert sizes[-2:] == [5_000, 2_500]
    assert set(sizes[2:-2]) <= {5_000, 10_000}
    # a short file, or small parts, keep parts of one size
    assert [b - a for a, b in part_bounds(39_999, 10_000)] == [10_000] * 3 + [9_999]
    assert [b - a for a, b in part_bounds(20, 3)] == [3] * 6 + [2]
