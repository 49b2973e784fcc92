"""Nothing a person typed reaches a log: access lines drop the query string, and a 500 is
logged once, by its route template and exception classes, without values.

The 500s here are real failures of real routes on the real database: a trigger refuses the
insert of a partner (PostgreSQL's message quotes the planted name and point), a search's count
divides by zero with the planted point and text bound as parameters.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.app import create_app
from service.db import AnySelect
from service.deps import get_session
from service.logs import DropQueryString, MaskTracebacks, masked_traceback
from service.partners import queries as partner_queries
from service.settings import Settings
from tests.conftest import bearer

PLANTED_LON, PLANTED_LAT = 4.555555, 44.777777
PLANTED_NAME = "Foyer Zéphyrin-Quastel 7731"
PLANTED = ("4.555555", "44.777777", "Zéphyrin", "Quastel", "7731")

# the test's own HTTP client (httpx, httpx2) logs the URL it asks for
CLIENT_LOGGERS = ("httpx", "httpcore")

REFERENCE = re.compile(r"^Erreur interne du serveur\. Référence : ([0-9a-f]{12})\.$")


def test_query_string_is_dropped_from_access_records() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/partners?lat=44.12&lon=4.08", "1.1", 200),
        None,
    )
    assert DropQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /v1/partners?… HTTP/1.1" 200'
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("no query",), None)
    assert DropQueryString().filter(plain)
    assert plain.getMessage() == "no query"


# -- 500s -------------------------------------------------------------------------------------


def _app(db: Session, postgis_url: str, env: str) -> TestClient:
    settings = Settings(env=env, database_url=postgis_url, snapshot_refresh="inline")
    app = create_app(settings)

    def _session() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = _session
    return TestClient(app)


@pytest.fixture
def refusing_trigger(db: Session, keys: dict[str, str]) -> None:
    """Inserting a partner fails with PostgreSQL's own message quoting its name and point
    (rolled back with the test's transaction); the keys' organisation is stored before."""
    db.execute(
        text(
            "CREATE FUNCTION test_refuse_partner() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'refusé : % à %', NEW.name, ST_AsText(NEW.geom); END $$"
        )
    )
    db.execute(
        text(
            "CREATE TRIGGER test_refuse_partner BEFORE INSERT ON partner "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_partner()"
        )
    )


def _server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]


def _assert_nothing_planted(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    written = [r.getMessage() + (r.exc_text or "") for r in _server_records(caplog)]
    for planted in PLANTED:
        for piece in [*written, *texts]:
            assert planted not in piece


def _assert_one_500(response_text: str, response_id: str | None, detail: str) -> str:
    match = REFERENCE.match(detail)
    assert match, response_text
    assert response_id == match.group(1)
    return match.group(1)


@pytest.mark.usefixtures("refusing_trigger")
@pytest.mark.parametrize("env", ["production", "development"])
def test_failed_write_is_logged_once_without_its_values(
    db: Session,
    postgis_url: str,
    keys: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    env: str,
) -> None:
    client = _app(db, postgis_url, env)
    body = {
        "name": PLANTED_NAME,
        "kind": "chrs",
        "lon": PLANTED_LON,
        "lat": PLANTED_LAT,
        "code_insee": "30007",
        "description": f"Accueil de {PLANTED_NAME}",
    }
    caplog.set_level(logging.DEBUG)
    response = client.post("/v1/partners", json=body, headers=bearer(keys["admin"]))

    assert response.status_code == 500
    reference = _assert_one_500(
        response.text, response.headers.get("x-request-id"), response.json()["detail"]
    )
    errors = [r for r in _server_records(caplog) if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    (record,) = errors
    message = record.getMessage()
    assert record.exc_info is None
    first_line = message.splitlines()[0]
    assert "POST /v1/partners" in first_line
    assert "psycopg.errors.RaiseException" in first_line  # the cause, by class only
    assert reference in first_line
    if env == "production":
        assert "\n" not in message
    else:
        assert "Traceback (valeurs masquées)" in message
        assert 'File "' in message
        assert "create_partner" in message  # the route's frame is named
    _assert_nothing_planted(caplog, response.text, str(dict(response.headers)))


def test_failed_search_logs_its_route_template_not_its_query(
    db: Session,
    postgis_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing_count(stmt: AnySelect) -> AnySelect:
        # the search with the planted point and text bound, then a division by zero
        return select(literal(1) / literal(0)).select_from(stmt.subquery())

    monkeypatch.setattr(partner_queries, "count_of", failing_count)
    client = _app(db, postgis_url, "development")
    caplog.set_level(logging.DEBUG)
    response = client.get(
        "/v1/partners",
        params={"lat": PLANTED_LAT, "lon": PLANTED_LON, "radius_km": 20, "q": PLANTED_NAME},
    )

    assert response.status_code == 500
    _assert_one_500(response.text, response.headers.get("x-request-id"), response.json()["detail"])
    errors = [r for r in _server_records(caplog) if r.levelno >= logging.WARNING]
    assert len(errors) == 1
    assert "GET /v1/partners (sqlalchemy.exc.DataError" in errors[0].getMessage()
    _assert_nothing_planted(caplog, response.text)


def test_failed_read_logs_the_path_template_not_the_identifier(
    db: Session, postgis_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_get(session: Session, partner_id: object) -> None:
        raise ValueError(f"fiche {partner_id} : {PLANTED_NAME}")

    monkeypatch.setattr(partner_queries, "get_partner", failing_get)
    client = _app(db, postgis_url, "production")
    caplog.set_level(logging.DEBUG)
    identifier = "0b7d7e3c-1f6a-4c1e-9a52-3b1f2d4c5e6f"
    response = client.get(f"/v1/partners/{identifier}")

    assert response.status_code == 500
    (record,) = [r for r in _server_records(caplog) if r.levelno >= logging.WARNING]
    assert "GET /v1/partners/{partner_id} (ValueError)" in record.getMessage()
    assert identifier not in record.getMessage()
    _assert_nothing_planted(caplog, response.text)


def test_database_errors_never_quote_bound_values(engine: Engine) -> None:
    """`make_engine` hides parameters: an error's text (what any log would print) names the
    statement, never the values bound to it."""
    with engine.connect() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(
            text("SELECT ST_GeomFromText(:wkt, 4326), :name, 1 / 0"),
            {"wkt": f"POINT ({PLANTED_LON} {PLANTED_LAT})", "name": PLANTED_NAME},
        )
    assert "parameters hidden" in str(raised.value)
    assert all(planted not in str(raised.value) for planted in PLANTED)


# -- tracebacks without values ----------------------------------------------------------------


def _raised() -> BaseException:
    try:
        try:
            raise KeyError(PLANTED_NAME)
        except KeyError as inner:
            raise RuntimeError(f"point {PLANTED_LON} {PLANTED_LAT}") from inner
    except RuntimeError as exc:
        return exc


def test_masked_traceback_names_frames_and_classes_only() -> None:
    masked = masked_traceback(_raised())
    assert masked.count("Traceback (valeurs masquées)") == 2
    assert "KeyError (message masqué)" in masked
    assert "RuntimeError (message masqué)" in masked
    assert masked.index("KeyError") < masked.index("RuntimeError")  # innermost first, as Python
    assert f'File "{__file__}"' in masked
    assert "in _raised" in masked
    assert all(planted not in masked for planted in PLANTED)


def test_uvicorn_tracebacks_are_masked() -> None:
    exc = _raised()
    record = logging.LogRecord(
        "uvicorn.error",
        logging.ERROR,
        __file__,
        1,
        "Exception in ASGI application\n",
        None,
        (type(exc), exc, exc.__traceback__),
    )
    assert MaskTracebacks().filter(record)
    formatted = logging.Formatter().format(record)
    assert formatted.startswith("Exception in ASGI application")
    assert "RuntimeError (message masqué)" in formatted
    assert all(planted not in formatted for planted in PLANTED)
    assert sys.exc_info() == (None, None, None)
