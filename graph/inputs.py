"""The boundary of every request: what a person's input may be before any rule of the domain.

`InputModel` is the base of every request body (the records of `graph.models`, the matching
profile, the bodies and query models of ``service``). It refuses unknown fields
(``extra="forbid"``), strips surrounding whitespace (`SPACE`, what `str.strip` removes), and
refuses the NUL character (U+0000) in any text, lists of texts included: PostgreSQL cannot
store it, and no French text holds it (error type ``string_nul_character``, « caractère nul
interdit »). Nested records are `InputModel` too, so the error names the innermost field.

The scalar types below are strict where a lax conversion would hide a mistake: a boolean or a
text is never a number (``"lat": true`` is not 1.0, ``"lat": "44.1"`` is refused), a number is
never a boolean (``"qpv": 1.0``) nor a date (``"since": -1`` was 31 December 1969), and a date
is an ISO 8601 text or a date. An integer is a number without a fractional part, as JSON
Schema defines it (``3.0`` is 3, ``2.5`` is refused). Their errors carry pydantic's usual
types (``float_type``, ``int_type``, ``bool_type``, ``date_type``, ``datetime_type``) so
`graph.messages` words them.

What a validator checks and pydantic cannot derive is said in the JSON schema too, so that the
OpenAPI document tells what is accepted: `Documented` adds keywords (a vocabulary's ``enum``, a
code's ``pattern``) to a field's schema, in the regex syntax that Python's `re` and ECMA-262
read alike (explicit classes: `SPACES`, NUL written ``\\u0000``; never ``\\s``, ``\\d``
or ``.``): `NOT_BLANK` for a text that must hold something, `NO_NUL` for any other text,
`padded` for a code.

Records read back from the store are validated with the `STORED` context: the rules a write
must meet but a stored value may predate (these strict types, the territorial bound of
`graph.models.PartnerFields`) are then skipped, so that a record stored before a rule was
tightened still loads. Only trusted code passes that context.
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    TypeAdapter,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

__all__ = [
    "NOT_BLANK",
    "NO_NUL",
    "NUL_ERROR",
    "NUL_MESSAGE",
    "SPACE",
    "SPACES",
    "STORED",
    "Boolean",
    "Date",
    "DateTime",
    "Documented",
    "InputModel",
    "Integer",
    "Number",
    "Strict",
    "document_has_nul",
    "has_nul",
    "is_stored",
    "one_of",
    "padded",
    "split_numbers",
]

STORED: Final[Mapping[str, str]] = MappingProxyType({"origin": "stored"})
"""Validation context of a record read back from the store (``context=STORED``)."""

NUL_ERROR: Final = "string_nul_character"
"""Error type of a text holding the NUL character."""
NUL_MESSAGE: Final = "caractère nul interdit"

_NUL: Final = "\x00"

SPACES: Final = r"\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Whitespace as `str.isspace` sees it (what `str.strip` removes and `InputModel` strips around
a text), as the inside of a regex class. Written out, not ``\\s``: ECMA-262's ``\\s``, which
JSON Schema uses and the fuzz test's generator follows, leaves out U+001C to U+001F and U+0085
and takes U+FEFF in."""
SPACE: Final = f"[{SPACES}]"
"""One whitespace character (`SPACES`)."""
NO_NUL: Final = r"^[^\u0000]*$"
"""Pattern of a text: any characters but NUL."""
NOT_BLANK: Final = rf"^[^\u0000]*[^{SPACES}\u0000][^\u0000]*$"
"""Pattern of a text that must hold something once stripped: a character that is neither
whitespace nor NUL."""


def padded(core: str) -> str:
    """The pattern of a code ``core`` (a regex without anchors) as a text may hold it: with
    surrounding whitespace, which `InputModel` strips before checking the code."""
    return f"^{SPACE}*(?:{core}){SPACE}*$"


_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\S+)?")


def is_stored(info: ValidationInfo) -> bool:
    """Whether this validation reads a stored record (context `STORED`)."""
    context = info.context
    if context is None:  # the usual case, answered without the costly Mapping check
        return False
    return isinstance(context, Mapping) and context.get("origin") == STORED["origin"]


def has_nul(value: Any) -> bool:
    """Whether a text, or a text of a list, tuple or set, holds the NUL character.

    Mappings are not searched: a nested record is an `InputModel` and checks its own fields.
    """
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_nul(item) for item in value)
    return False


def document_has_nul(value: Any) -> bool:
    """Whether a JSON-like document (texts, lists, mappings, keys included) holds a NUL
    character anywhere: an imported row is refused whole when it does."""
    if isinstance(value, Mapping):
        return any(document_has_nul(k) or document_has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(document_has_nul(item) for item in value)
    return isinstance(value, str) and _NUL in value


class InputModel(BaseModel):
    """Base of every model that validates a person's input (bodies and query parameters)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _at_the_boundary(cls, value: Any, info: ValidationInfo) -> Any:
        # runs for every field of every record an import reads: the two usual values, absent
        # and a text, take a short path (the same checks: no NUL, strict type, stripped)
        if value is None:
            return None  # no NUL, and `Strict.check` lets None through
        if type(value) is str:
            if _NUL in value:
                raise PydanticCustomError(NUL_ERROR, NUL_MESSAGE)
            _check_strict(cls, value, info)
            return value.strip()
        if has_nul(value):
            raise PydanticCustomError(NUL_ERROR, NUL_MESSAGE)
        _check_strict(cls, value, info)
        return _stripped(value)


def _stripped(value: Any) -> Any:
    """A text, or the texts of a list, without surrounding whitespace (`SPACE`).

    `str.strip` rather than pydantic's ``str_strip_whitespace``, which removes a slightly
    different set (not U+001C to U+001F): the patterns of the JSON schema and the validators
    of `graph.validation` then agree on what whitespace is.
    """
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and any(isinstance(item, str) for item in value):
        return [item.strip() if isinstance(item, str) else item for item in value]
    return value


@dataclass(frozen=True, slots=True)
class Documented:
    """JSON Schema keywords that a validator of the field enforces, added to its schema (in
    ``Annotated``): a vocabulary's ``enum``, a code's ``pattern``.

    ``keywords`` is called when the schema is generated, never at import: a vocabulary is
    read from its reference file then. The validator stays the one that decides; the keywords
    say the same thing to the clients (and to the fuzz test, which holds the service to them).
    """

    keywords: Callable[[], Mapping[str, Any]]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.keywords())
        return schema


def one_of(
    pick: Callable[[Any], TypeAdapter[Any] | None], error_type: str, message: str
) -> WrapValidator:
    """A union validated as the one member ``pick`` chooses from the input.

    Pydantic validates a plain union against every member and reports the errors of all of
    them, each located under the member's name (``location.PointLocation.lat``); a tagged union
    adds the tag to the location. Here the errors are those of the chosen member only, located
    at the field itself. ``pick`` returns ``None`` when no member fits: the error is then
    ``error_type`` with the French ``message`` (which must not quote the input). A value
    that is already an instance of a member passes through the union unchanged.
    """

    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if isinstance(value, BaseModel):
            return handler(value)
        adapter = pick(value)
        if adapter is None:
            raise PydanticCustomError(error_type, message)
        return adapter.validate_python(value, context=info.context)

    return WrapValidator(validate)


# --- strict scalars ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Strict:
    """Marks a type as strict (in ``Annotated``); `InputModel` checks it before pydantic
    converts anything, unless the record is `STORED`.

    A marker rather than a pydantic validator: pydantic keeps the field's constraints (bounds)
    on the number itself, so the JSON schema still says ``minimum``/``maximum``.
    """

    accepts: Callable[[Any], bool]
    error_type: str
    message: str

    def check(self, value: Any) -> None:
        if value is not None and not self.accepts(value):
            raise PydanticCustomError(self.error_type, self.message)


def _is_number(value: Any) -> bool:
    if type(value) is float or type(value) is int:  # the usual values, without the ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    """An integer, or a number without a fractional part (JSON Schema's ``integer``: JSON has
    one kind of number, and ``3.0`` is written by many clients for 3)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, float) and value.is_integer()


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) or (
        isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()) is not None
    )


def _is_datetime(value: Any) -> bool:
    return isinstance(value, dt.datetime) or (
        isinstance(value, str) and _ISO_DATETIME.fullmatch(value.strip()) is not None
    )


Number = Annotated[float, Strict(_is_number, "float_type", "nombre attendu")]
"""A number (integer or decimal), never a boolean nor a text."""
Integer = Annotated[int, Strict(_is_integer, "int_type", "nombre entier attendu")]
"""An integer (``3`` or ``3.0``), never a boolean, a decimal with a fractional part nor a text."""
Boolean = Annotated[
    bool, Strict(lambda v: isinstance(v, bool), "bool_type", "booléen attendu (true ou false)")
]
"""``true`` or ``false``, never ``1``, ``0.0`` nor ``"yes"``."""
Date = Annotated[dt.date, Strict(_is_date, "date_type", "date attendue (format AAAA-MM-JJ)")]
"""A date, as ``AAAA-MM-JJ`` text: never a number (pydantic would read a Unix time)."""
DateTime = Annotated[
    dt.datetime,
    Strict(_is_datetime, "datetime_type", "date et heure attendues (format ISO 8601)"),
]
"""A date and time, ISO 8601 text (``2025-03-04T08:00``): never a number nor a Unix time."""


def _strict_of(annotation: Any) -> tuple[Strict, bool] | None:
    """The `Strict` marker an annotation carries, and whether it is on the items of a list
    or a tuple (``list[Number]``, ``tuple[Number, Number]``), looking through ``Annotated`` and
    ``X | None``."""
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        for item in metadata:
            if isinstance(item, Strict):
                return item, False
        return _strict_of(base)
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation) or (Any,)
        found = _strict_of(item)
        return (found[0], True) if found and not found[1] else None
    if typing.get_origin(annotation) is tuple:  # a tuple of one strict type: its items
        markers = {_strict_of(item) for item in typing.get_args(annotation) if item != ...}
        found = markers.pop() if len(markers) == 1 else None
        return (found[0], True) if found and not found[1] else None
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(arguments) == 1 and typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return _strict_of(arguments[0])
    return None


@functools.cache
def _strict_fields(model: type[BaseModel]) -> Mapping[str, tuple[Strict, bool]]:
    """The strict fields of a model, by name (computed once per model)."""
    found: dict[str, tuple[Strict, bool]] = {}
    for name, info in model.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, Strict)), None)
        strict = (marker, False) if marker else _strict_of(info.annotation)
        if strict is not None:
            found[name] = strict
    return found


def _check_strict(model: type[BaseModel], value: Any, info: ValidationInfo) -> None:
    if info.field_name is None:
        return
    strict = _strict_fields(model).get(info.field_name)
    if strict is None or is_stored(info):
        return
    marker, of_items = strict
    if not of_items:
        marker.check(value)
    elif isinstance(value, list | tuple):
        for item in value:
            marker.check(item)


def split_numbers(value: Any) -> Any:
    """A query list of numbers, ``bbox=4.0,43.9,4.2,44.2`` (one text) or repeated values, as a
    list of texts; anything else is left for pydantic to refuse (« liste attendue », « nombre
    attendu »)."""
    if isinstance(value, str):
        value = [value]
    elif not isinstance(value, list | tuple):
        return value
    parts: list[Any] = []
    for item in value:
        if isinstance(item, str):
            parts.extend(p.strip() for p in item.split(","))  # an empty one is refused
        else:
            parts.append(item)
    return parts or None
