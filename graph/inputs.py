"""The boundary of every request: what a person's input may be before any rule of the domain.

`InputModel` is the base of every request body (the records of `graph.models`, the matching
profile, the bodies and query models of ``service``). It refuses unknown fields
(``extra="forbid"``), strips surrounding whitespace, and refuses the NUL character (U+0000)
in any text, lists of texts included: PostgreSQL cannot store it, and no French text holds it
(error type ``string_nul_character``, « caractère nul interdit »). Nested records are
`InputModel` too, so the error names the innermost field.

Records read back from the store are validated with the `STORED` context: the rules a write
must meet but a stored value may predate (the territorial bound of
`graph.models.PartnerFields`) are then skipped, so that a record stored before a rule was
tightened still loads. Only trusted code passes that context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "NUL_ERROR",
    "NUL_MESSAGE",
    "STORED",
    "InputModel",
    "document_has_nul",
    "has_nul",
    "is_stored",
    "one_of",
]

STORED: Final[Mapping[str, str]] = MappingProxyType({"origin": "stored"})
"""Validation context of a record read back from the store (``context=STORED``)."""

NUL_ERROR: Final = "string_nul_character"
"""Error type of a text holding the NUL character."""
NUL_MESSAGE: Final = "caractère nul interdit"

_NUL: Final = "\x00"


def is_stored(info: ValidationInfo) -> bool:
    """Whether this validation reads a stored record (context `STORED`)."""
    context = info.context
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

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_character(cls, value: Any) -> Any:
        if has_nul(value):
            raise PydanticCustomError(NUL_ERROR, NUL_MESSAGE)
        return value


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
