"""French messages for validation errors: what a user reads in a 422 or an import report.

A message names the field and the rule, never the value given: a 422 may answer a request
that describes a person (a matching profile), and what it says can end up in a client's logs.
So no message quotes the input, an unknown field is reported at its parent (the field's name
is input too: « situation : champ inconnu »), and the input itself is never part of an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Pydantic error types → French templates (ctx values are substituted).
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "finite_number": "nombre fini attendu (ni NaN ni infini)",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "string_type": "texte attendu",
    "string_too_short": "texte trop court (au moins {min_length} caractère(s))",
    "string_too_long": "texte trop long (au plus {max_length} caractères)",
    "string_pattern_mismatch": "format invalide",
    "string_nul_character": "caractère nul interdit",
    "greater_than": "doit être strictement supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than": "doit être strictement inférieur à {lt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "literal_error": "valeur inconnue (valeurs admises : {expected})",
    "enum": "valeur inconnue (valeurs admises : {expected})",
    "uuid_parsing": "identifiant (UUID) invalide",
    "uuid_type": "identifiant (UUID) invalide",
    "date_parsing": "date invalide (format AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date invalide (format AAAA-MM-JJ)",
    "date_type": "date invalide (format AAAA-MM-JJ)",
    "datetime_parsing": "date et heure invalides (format ISO 8601)",
    "datetime_type": "date et heure invalides (format ISO 8601)",
    "datetime_from_date_parsing": "date et heure invalides (format ISO 8601)",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "dict_type": "objet attendu",
    "model_type": "objet attendu",
    "model_attributes_type": "objet attendu",
    "too_short": "liste trop courte (au moins {min_length} élément(s))",
    "too_long": "liste trop longue (au plus {max_length} éléments)",
    "json_invalid": "JSON invalide",
    "frozen_instance": "champ non modifiable",
    "location_type": "objet attendu : lat et lon, partner_id ou code_insee",
    "candidates_type": "town_halls, centroids ou une liste de points (lat, lon, label)",
}


_MAX_LISTED_CHOICES = 8
"""Beyond this many admitted values, a message counts them instead of listing them."""

_SOURCES = ("body", "query", "path", "header")


def located(error: dict[str, Any]) -> tuple[Any, ...]:
    """Where an error is reported: its ``loc``, or its parent's for an unknown field (whose
    name is the caller's input, not ours)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "extra_forbidden" and loc and loc[-1] not in _SOURCES:
        return loc[:-1]
    return loc


def _loc_text(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in _SOURCES]
    return ".".join(parts)


def _choices(expected: str) -> str:
    """Pydantic's "'a', 'b' or 'c'" in French, or their number when they are many."""
    count = expected.count("'") // 2
    if count > _MAX_LISTED_CHOICES:
        return f"{count} valeurs"
    return expected.replace("' or '", "' ou '")


def french_message(error: dict[str, Any]) -> str:
    """One pydantic error as a French sentence, prefixed by the field it concerns.

    The input is never quoted: templates only use the rule's own context (bounds, lengths,
    admitted values), and a validator's own message (``value_error``) is written, by the
    rule of `graph.validation` and `graph.vocabulary`, without the value.
    """
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        text = str(ctx["error"])
    elif kind in _PYDANTIC_MESSAGES:
        if "expected" in ctx:
            ctx = {**ctx, "expected": _choices(str(ctx["expected"]))}
        try:
            text = _PYDANTIC_MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            text = _PYDANTIC_MESSAGES[kind].split(" (")[0]
    else:
        text = "valeur invalide"
    where = _loc_text(located(error))
    return f"{where} : {text}" if where else text


def french_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic errors in FastAPI's shape (``loc``, ``msg``, ``type``), with French messages;
    never the ``input``, ``ctx`` or ``url`` pydantic adds, which may quote the input."""
    out: list[dict[str, Any]] = []
    for error in errors:
        item = {"loc": list(located(error)), "msg": french_message(error), "type": error["type"]}
        if item not in out:  # two unknown fields of one object: one error at the object
            out.append(item)
    return out
