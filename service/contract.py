"""The HTTP contract as the code keeps it: every answer an operation can give is documented,
the Authorize button of ``/docs`` works, and ``OPTIONS`` says which methods a path allows.

FastAPI documents an operation's success and, where it has parameters, a 422 in its own
shape. `install_contract` completes the OpenAPI document from what the code does, with one
rule per status read from the routes themselves (never a list kept by hand beside them):

======  ==========================================================  ===========================
status  when                                                        operations
======  ==========================================================  ===========================
400     a body that cannot be read as JSON text (not UTF-8); under  those with a body; the
        ``/ogc``, invalid parameters (OGC API – Features asks 400)  ``/ogc`` operations
401     a key that is malformed, unknown, revoked or expired; no    all (a key is checked
        key where a role is required                                wherever it is given)
403     the key's role is not enough; for writes, also another      those requiring a role
        organisation's fiche, an official fiche, a reserved         (`service.deps.RoleCheck`)
        provenance (`service.auth`)
404     an identifier names nothing                                 path parameters; a body
                                                                    naming partners (``*_id``)
409     the record would duplicate another (same provenance...)     writes with a body
413     a body over the limit (`service.guards.BodyGuard`)          POST, PUT, PATCH
422     invalid parameters or body                                  parameters or a body
                                                                    (not under ``/ogc``)
429     too many requests (`service.guards.RateLimit`)              `service.guards.ROUTE_GROUPS`
503     the database cannot be reached (`service.errors`)           all (a key is looked up)
======  ==========================================================  ===========================

Their bodies are the ones `service.errors` builds: `ErrorOut` (``{"detail": "…"}``, a French
sentence) and, for a 422 raised by validation, `ValidationErrorOut` (``detail``: a list of
``{loc, msg, type}``); a 422 raised by a rule of the service is an `ErrorOut`. An answer an
operation documents itself (the 503 of ``/health``, with its `Health` body) is kept, and may be
either. The security scheme `SECURITY_SCHEME` (HTTP Bearer) is required where a role is,
optional elsewhere (``[{}, {"cleApi": []}]``).

Every text a request carries refuses the NUL character (`graph.inputs.InputModel`): a text of a
parameter or a body that has no ``pattern``, ``enum`` or ``format`` of its own gets the pattern
`graph.inputs.NO_NUL`, so that the document says it too (the patterns of codes exclude NUL
already).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from graph.inputs import NO_NUL
from service.deps import WRITER_ROLES, RoleCheck
from service.errors import BAD_REQUEST_PATHS
from service.guards import BODY_METHODS, ROUTE_GROUPS

SECURITY_SCHEME = "cleApi"

# The three models below are documented in French: their docstrings are the descriptions of
# the OpenAPI document's error bodies.
REF = "#/components/schemas/{model}"


class ErrorOut(BaseModel):
    """Une erreur : une phrase en français, qui ne reprend jamais les valeurs reçues."""

    detail: str = Field(description="Message en français.")


class ValidationIssue(BaseModel):
    """Un champ refusé par la validation."""

    loc: list[str | int] = Field(description="Où : « body », « query »… puis le champ.")
    msg: str = Field(description="La règle enfreinte, en français (jamais la valeur reçue).")
    type: str = Field(description="Code de l'erreur (pydantic).")


class ValidationErrorOut(BaseModel):
    """Une requête refusée par la validation : chaque champ fautif."""

    detail: list[ValidationIssue]


def _error_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(ErrorOut, "serialization"), (ValidationErrorOut, "serialization")], ref_template=REF
    )
    schemas: dict[str, Any] = top["$defs"]
    return schemas


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


_HEADER = {"schema": {"type": "string"}}
_AUTHENTICATE = {"WWW-Authenticate": {**_HEADER, "description": "« Bearer »"}}
_RETRY_AFTER = {"Retry-After": {**_HEADER, "description": "Secondes avant de réessayer."}}


def _roles_of(dependant: Dependant) -> tuple[str, ...] | None:
    """The roles a `service.deps.RoleCheck` among the route's dependencies requires."""
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleCheck):
            return dependency.call.roles
        found = _roles_of(dependency)
        if found is not None:
            return found
    return None


def _names_partners_in_body(route: RouteContext) -> bool:
    model = route.body_field.field_info.annotation if route.body_field is not None else None
    fields = getattr(model, "model_fields", {})
    return any(name.endswith("partner_id") for name in fields)


def api_routes(routes: list[BaseRoute]) -> Iterator[RouteContext]:
    """The documented API routes, with the prefixes and dependencies of their inclusion."""
    for route in iter_route_contexts(routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


def _answers(
    route: RouteContext, method: str, operation: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    """(status, description) of every answer the rules above give this operation."""
    roles = _roles_of(route.dependant)
    if operation.get("requestBody"):
        yield "400", "Corps illisible : du JSON encodé en UTF-8 est attendu."
    if roles is None:
        yield "401", "Clé mal formée, inconnue, révoquée ou expirée (sans clé, l'opération répond)."
    else:
        yield "401", "Clé absente, mal formée, inconnue, révoquée ou expirée."
        refused = f"Rôle de la clé insuffisant (admis : {', '.join(roles)})"
        if roles == WRITER_ROLES:
            refused += (
                " ; ou, pour un éditeur, fiche d'une autre organisation, fiche officielle "
                "importée ou provenance réservée aux imports"
            )
        yield "403", refused + "."
    if operation.get("parameters") and any(p["in"] == "path" for p in operation["parameters"]):
        yield "404", "Aucune ressource de cet identifiant."
    elif _names_partners_in_body(route):
        yield "404", "Un partenaire nommé par le corps n'existe pas."
    if roles == WRITER_ROLES and method in BODY_METHODS:
        yield "409", "L'écriture ferait un doublon (même provenance, même relation…)."
    if method in BODY_METHODS:
        yield "413", "Corps de requête trop volumineux."
    if (route.path_format or "").startswith(BAD_REQUEST_PATHS) and operation.get("parameters"):
        yield (
            "400",
            "Paramètres invalides (OGC API – Features : 400) : `detail` liste les paramètres "
            "fautifs (ValidationErrorOut) ou énonce la règle enfreinte (ErrorOut).",
        )
    elif operation.get("parameters") or operation.get("requestBody"):
        yield (
            "422",
            (
                "Paramètres ou corps invalides : `detail` liste les champs fautifs "
                "(ValidationErrorOut) ou énonce la règle enfreinte (ErrorOut)."
            ),
        )
    if (method, route.path_format) in ROUTE_GROUPS:
        yield "429", "Trop de requêtes pour cette clé ou cette adresse : voir Retry-After."
    yield "503", "Base de données momentanément injoignable : voir Retry-After."


def _body(status: str, path: str) -> dict[str, Any]:
    if status == "422" or (status == "400" and path.startswith(BAD_REQUEST_PATHS)):
        return {"anyOf": [_ref(ValidationErrorOut), _ref(ErrorOut)]}
    return _ref(ErrorOut)


def _document(operation: dict[str, Any], status: str, description: str, path: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    schema = _body(status, path)
    own = responses.get(status, {}).get("content", {}).get("application/json", {}).get("schema")
    if own is not None and status != "422":  # the operation's own body, or ours
        schema = {"anyOf": [own, schema]}
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if status == "401":
        answer["headers"] = _AUTHENTICATE
    elif status in ("429", "503"):
        answer["headers"] = _RETRY_AFTER
    responses[status] = answer


def _texts_refuse_nul(schema: Any, components: dict[str, Any], seen: set[str]) -> None:
    """Give `NO_NUL` to every text of ``schema`` that says nothing of its characters,
    following references into ``components`` (each once)."""
    if isinstance(schema, list):
        for item in schema:
            _texts_refuse_nul(item, components, seen)
        return
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith(REF.format(model="")):
        name = reference.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _texts_refuse_nul(components.get(name), components, seen)
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(schema):
        schema["pattern"] = NO_NUL
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for item in value.values():
                _texts_refuse_nul(item, components, seen)
        elif key in ("items", "prefixItems", "anyOf", "oneOf", "allOf", "additionalProperties"):
            _texts_refuse_nul(value, components, seen)


def _requests_refuse_nul(spec: dict[str, Any]) -> None:
    components = spec.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                _texts_refuse_nul(parameter.get("schema"), components, seen)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _texts_refuse_nul(content.get("schema"), components, seen)


def complete_document(spec: dict[str, Any], routes: list[BaseRoute]) -> dict[str, Any]:
    """``spec`` (FastAPI's document for ``routes``) with every answer, the error bodies and
    the security scheme; changed in place and returned."""
    for route in api_routes(routes):
        for method in sorted(route.methods or ()):
            operation = spec["paths"][route.path_format][method.lower()]
            documented = dict(_answers(route, method, operation))
            if "422" not in documented:  # FastAPI's, for the key header it does not show
                operation["responses"].pop("422", None)
            for status, description in documented.items():
                _document(operation, status, description, route.path_format or "")
            required = _roles_of(route.dependant) is not None
            operation["security"] = (
                [{SECURITY_SCHEME: []}] if required else [{}, {SECURITY_SCHEME: []}]
            )
    _requests_refuse_nul(spec)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_error_schemas())
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Clé d'API (`maillage apikey create`) : en-tête `Authorization: Bearer <clé>`. "
                "Facultative pour les données publiques, vérifiée partout où elle est donnée."
            ),
        }
    }
    return spec


class AllowedMethods:
    """ASGI middleware: ``OPTIONS`` on a path that routes answer is 204 with ``Allow`` (the
    methods of every route of that path, and OPTIONS); elsewhere, the routes answer as usual
    (404 for a path nothing serves)."""

    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        methods: set[str] = set()
        for route in iter_route_contexts(self.routes):
            if route.methods and route.path_regex.match(scope["path"]):
                methods |= route.methods
        if not methods:
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)


def install_contract(app: FastAPI) -> None:
    """Document every answer in the app's OpenAPI document (built once, on first use) and
    answer ``OPTIONS``; call after the routes are included."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(original(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(AllowedMethods, routes=app.routes)
