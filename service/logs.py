"""Logging that keeps personal data out: access lines carry the path, never the query string.

A partner search near a person's home (``?lat=…&lon=…``) or any future query that describes a
person must not end up in server logs; request bodies are never logged at all.
"""

from __future__ import annotations

import logging


class DropQueryString(logging.Filter):
    """Rewrite uvicorn's access records: ``/v1/partners?lat=…`` becomes ``/v1/partners?…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            record.args = (*args[:2], path + ("?…" if sep else ""), *args[3:])
        return True
