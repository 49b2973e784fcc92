"""Logging that keeps personal data out.

- Access lines carry the path, never the query string: a partner search near a person's home
  (``?lat=…&lon=…``) must not end up in server logs; request bodies are never logged at all.
- A traceback is written without values (`masked_traceback`): the frames' file, line and
  function, the exceptions' classes, never an exception's message nor a local variable — a
  psycopg error quotes the row that failed, a validation error the value it refused.
- SQL parameters never reach an exception's text: engines are created with
  ``hide_parameters=True`` (`service.db.make_engine`, the migrations' environment).
"""

from __future__ import annotations

import logging
import traceback


class DropQueryString(logging.Filter):
    """Rewrite uvicorn's access records: ``/v1/partners?lat=…`` becomes ``/v1/partners?…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            record.args = (*args[:2], path + ("?…" if sep else ""), *args[3:])
        return True


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, innermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain[::-1]


def class_name(exc: BaseException) -> str:
    """``sqlalchemy.exc.ProgrammingError``; builtins without their module (``ValueError``)."""
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def exception_classes(exc: BaseException) -> str:
    """The classes of ``exc``'s chain, outermost first: ``ProgrammingError ← UndefinedFunction``."""
    return " ← ".join(class_name(error) for error in reversed(exception_chain(exc)))


def masked_traceback(exc: BaseException) -> str:
    """Python's traceback layout with every value masked: for each exception of the chain
    (innermost first, as Python prints them), its frames as ``File "…", line N, in function``
    and its class. No message, no source line, no local variable."""
    blocks = []
    for error in exception_chain(exc):
        lines = ["Traceback (valeurs masquées) :"]
        for frame, line in traceback.walk_tb(error.__traceback__):
            code = frame.f_code
            lines.append(f'  File "{code.co_filename}", line {line}, in {code.co_name}')
        lines.append(f"{class_name(error)} (message masqué)")
        blocks.append("\n".join(lines))
    return "\n\nqui a provoqué :\n\n".join(blocks)


class MaskTracebacks(logging.Filter):
    """For records logged with ``exc_info`` by code we do not write (uvicorn's « Exception in
    ASGI application », a failed lifespan): the traceback is replaced by `masked_traceback`,
    appended to the message, so that an exception's text never reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = record.exc_info
        if info and info[1] is not None:
            record.msg = f"{record.getMessage()}\n{masked_traceback(info[1])}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
