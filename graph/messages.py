"""French messages for validation errors: what a user reads in a 422 or an import report."""

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
    "literal_error": "valeur non reconnue (valeurs possibles : {expected})",
    "enum": "valeur non reconnue (valeurs possibles : {expected})",
    "uuid_parsing": "identifiant (UUID) invalide",
    "uuid_type": "identifiant (UUID) invalide",
    "date_parsing": "date invalide (format AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date invalide (format AAAA-MM-JJ)",
    "date_type": "date invalide (format AAAA-MM-JJ)",
    "datetime_parsing": "date et heure invalides (format ISO 8601)",
    "list_type": "liste attendue",
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


def _loc_text(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts)


def french_message(error: dict[str, Any]) -> str:
    """One pydantic error as a French sentence, prefixed by the field it concerns."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        text = str(ctx["error"])
    elif kind in _PYDANTIC_MESSAGES:
        if "expected" in ctx:  # pydantic lists choices as "'a', 'b' or 'c'"
            ctx = {**ctx, "expected": str(ctx["expected"]).replace("' or '", "' ou '")}
        try:
            text = _PYDANTIC_MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            text = _PYDANTIC_MESSAGES[kind].split(" (")[0]
    else:
        text = "valeur invalide"
    where = _loc_text(error.get("loc", ()))
    return f"{where} : {text}" if where else text


def french_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic errors in FastAPI's shape, with French messages and no echoed input."""
    return [
        {"loc": list(e.get("loc", ())), "msg": french_message(e), "type": e.get("type", "")}
        for e in errors
    ]
