"""Reading a CSV file of orientation counts: what a spreadsheet writes is understood, anything
else is rejected line by line, never a crash."""

from __future__ import annotations

import datetime as dt
import uuid

from service.flows.csvfile import read_rows

TODAY = dt.date(2026, 12, 5)
RELATION = uuid.UUID("6f1c1f2e-8a53-4a55-9a3b-0c2d7e1f4b10")


def _read(content: bytes) -> tuple[list[object], list[tuple[int, str | None, str]]]:
    rows, rejections = read_rows(content, today=TODAY, retention_months=36)
    return list(rows), [(r.line, r.column, r.message) for r in rejections]


def test_a_spreadsheet_export_is_read_whatever_its_header_spelling() -> None:
    content = (
        "\ufeffRelation;Début;Fin;Orientations envoyées;REÇUES;Acceptées\r\n"
        f"{RELATION};2026-10;;12;10;7\r\n"
        f"{RELATION};2026-01-01;2026-06-30;40;;\r\n"
        ";;;;;\r\n"
    ).encode()
    rows, rejections = read_rows(content, today=TODAY, retention_months=36)
    assert rejections == []
    assert [(r.line, r.period_start, r.period_end) for r in rows] == [
        (2, dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (3, dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    ]
    assert rows[1].given == {"sent"}  # empty cells keep the stored values


def test_every_bad_line_is_named_with_its_column() -> None:
    content = (
        "relation,debut,fin,envoyees,recues,acceptees\n"
        "pas-un-id,2026-10,,1,,\n"
        f"{RELATION},2026-10-02,,1,,\n"
        f"{RELATION},2027-01,,1,,\n"
        f"{RELATION},2026-10,,-1,,\n"
        f"{RELATION},2026-10,,,2,3\n"
        f"{RELATION},2026-10,,,,\n"
        f"{RELATION},2026-10\n"
    ).encode()
    _, rejections = _read(content)
    assert rejections == [
        (2, "relation", "identifiant (UUID) attendu"),
        (3, "debut", "le premier jour d'un mois est attendu"),
        (4, "debut", "période à venir (les comptes portent sur le passé)"),
        (5, "envoyees", "nombre entier positif ou nul attendu"),
        (6, "acceptees", "plus d'orientations acceptées que reçues"),
        (7, None, "au moins un compte est attendu (envoyées, reçues ou acceptées)"),
        (8, None, "6 colonnes attendues, comme l'en-tête"),
    ]


def test_what_is_not_a_csv_file_of_counts_is_one_rejection() -> None:
    assert _read(b"\xff\xfe")[1] == [(1, None, "fichier illisible : du texte UTF-8 est attendu")]
    assert _read(b"")[1][0][:2] == (1, None)
    assert _read(b"relation;debut\n")[1] == [
        (1, None, "en-tête : au moins une colonne de comptes (envoyees, recues, acceptees)")
    ]
    assert _read(b"relation;debut;nom\n")[1][0][2].startswith("en-tête : colonne inconnue")
    # a carriage return inside an unquoted header (found by schemathesis): no crash
    _, rejections = _read("\U000d3b33.Q\u0092\u00ad¤\r\U000fab98".encode())
    assert [line for line, _, _ in rejections] == [1]
    assert _read(b"relation;debut;envoyees\n")[1] == [
        (2, None, "aucune ligne de comptes après l'en-tête")
    ]
