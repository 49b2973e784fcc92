"""What the login and logout forms send: ``application/x-www-form-urlencoded`` fields, read
leniently (a missing field is empty: the route says what is wrong, on the page) and bounded
(`service.guards.BodyGuard` bounds the body; ten fields at most are parsed)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request

MAX_NEXT = 500


async def form_fields(request: Request) -> dict[str, str]:
    """The first value of each field of an urlencoded form body ({} for any other body)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    try:
        text = (await request.body()).decode("utf-8")
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in parsed.items() if values}


def local_path(value: str | None) -> str:
    """Where to go after logging in: a path of this site only (an open redirection to another
    site is refused), ``/`` otherwise."""
    if (
        not value
        or len(value) > MAX_NEXT
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 for c in value)
    ):
        return "/"
    return value


@dataclass(frozen=True, slots=True)
class LoginForm:
    email: str
    password: str
    csrf: str
    next_path: str


async def login_form(request: Request) -> LoginForm:
    fields = await form_fields(request)
    return LoginForm(
        email=fields.get("email", "").strip(),
        password=fields.get("password", ""),
        csrf=fields.get("csrf", ""),
        next_path=local_path(fields.get("suite")),
    )


@dataclass(frozen=True, slots=True)
class LogoutForm:
    csrf: str


async def logout_form(request: Request) -> LogoutForm:
    fields = await form_fields(request)
    return LogoutForm(csrf=fields.get("csrf", ""))
