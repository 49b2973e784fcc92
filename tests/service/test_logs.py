"""Access logs keep the path and drop the query string (a search point may be a home)."""

from __future__ import annotations

import logging

from service.logs import DropQueryString


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
