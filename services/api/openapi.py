"""The OpenAPI document, shaped for client generators.

FastAPI's own document is the starting point; this module makes it say what the API
does, from the declarations of ``services/api/edge.py`` and the routes' dependencies:

- operation ids are the route functions' names (``list_recommendations``), one tag per
  domain, each described;
- per operation, only the problems it can return, each ``application/problem+json`` with
  the ``Problem`` schema: 401/429 (and 403) from the caller's dependency, 404 for a path
  parameter or a body naming other resources by id (``*_id``, ``*_ids``), 422 for any
  parameter or body, 400 for a ``cursor``, 412/428 from ``IfMatch``, 412 from
  ``OptionalIfMatch``, 400/409/413 for a body, 503 always,
  plus what the route declares with ``edge.errors(...)``;
- the ``bearer`` security scheme, optional on public reads;
- response headers: ``ETag`` (conditional operations, created resources with a
  version), ``Location`` (201, 202, 303), ``Link`` (lists), ``Sync-Token`` (lists that take
  ``since_token``), ``Retry-After`` (429, 503), and 304 on
  operations that take ``If-None-Match``;
- enumerations as named components (one ``Position``, one ``Status``...), named after
  the ``Literal`` aliases of ``shared/<domain>/schemas.py``;
- media types of non-JSON bodies (CSV, NDJSON, iCalendar, Word) with a string schema.
"""

from __future__ import annotations

import importlib
import importlib.resources
import pkgutil
import re
import typing
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.staticfiles import StaticFiles

import shared
from services.api import deps, edge
from services.api.problems import Problem

REF = "#/components/schemas/"
ASSETS = "/docs-assets"

# One tag per domain, in the order /docs shows them.
TAGS: list[dict[str, str]] = [
    {"name": "recommendations", "description": "Recommendations, their tags and progress."},
    {"name": "documents", "description": "Outcome documents recommendations come from."},
    {"name": "reference", "description": "States, mechanisms and the taxonomies."},
    {"name": "institutions", "description": "National institutions that own recommendations."},
    {"name": "national mechanisms", "description": "National mechanisms for reporting."},
    {"name": "action plans", "description": "National action plans and their actions."},
    {"name": "cooperation", "description": "Offers of technical cooperation and matches."},
    {"name": "mandates", "description": "OHCHR field presences and their renewals."},
    {"name": "programmes", "description": "Programmes, indicators, milestones, evaluations."},
    {"name": "deadlines", "description": "Follow-up deadlines and calendars."},
    {"name": "stats", "description": "Figures: progress, coverage, accountability."},
    {"name": "assessments", "description": "Independent assessments by NHRIs, civil society, UN."},
    {"name": "review", "description": "Progress reports drafted, reviewed and published."},
    {"name": "reports", "description": "Word drafts of the reports a State hands in."},
    {"name": "subscriptions", "description": "Reminders and change events by e-mail or webhook."},
    {"name": "ingestion", "description": "Ingestion runs and UHRI imports (admin)."},
    {"name": "people", "description": "Who the caller is; users and their roles."},
    {"name": "personal data", "description": "Erasure of a person's data (admin)."},
    {"name": "audit", "description": "Who changed what (admin)."},
    {"name": "platform", "description": "Health, readiness and metrics."},
]

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "the version of the resource; send it in `If-Match` to change it"
        " and in `If-None-Match` to get 304 while it is current",
        "schema": {"type": "string", "example": '"v3"'},
    },
    "Location": {
        "description": "the URL of the created resource",
        "schema": {"type": "string", "format": "uri"},
    },
    "Link": {
        "description": 'the next page: `<url>; rel="next"` (absent on the last page)',
        "schema": {"type": "string"},
    },
    "Sync-Token": {
        "description": "the same `sync_token` as the body: pass it as `since_token` to get"
        " every change committed after this answer",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer"},
    },
}


# Examples of the main operations (request bodies, and problems integrators meet first).
_STALE = {
    "type": "https://followup.example.org/problems/stale_version",
    "title": "Precondition failed",
    "status": 412,
    "detail": "the recommendation changed since version 3; read it again",
    "instance": "/v1/recommendations/5f0c7c1e-8d2a-4c53-9a53-2f3c1f3f8b11",
    "code": "stale_version",
}
_INVALID = {
    "type": "https://followup.example.org/problems/validation_error",
    "title": "Invalid input",
    "status": 422,
    "detail": "cycle: Input should be less than or equal to 20",
    "instance": "/v1/recommendations",
    "code": "validation_error",
    "errors": [
        {
            "loc": ["query", "cycle", 0],
            "field": "cycle",
            "message": "Input should be less than or equal to 20",
            "type": "less_than_equal",
        }
    ],
}
EXAMPLES: dict[str, dict[str, Any]] = {
    "patch_recommendation": {
        "request": {"themes": ["A12", "D51"], "sdg_targets": ["16.3"]},
        "412": _STALE,
    },
    "create_recommendation_update": {
        "request": {
            "status": "in_progress",
            "narrative": "The bill creating the national preventive mechanism is before the"
            " Senate.",
            "source": "government",
            "evidence_links": ["https://www.senado.gov.py/"],
        },
    },
    "list_recommendations": {"422": _INVALID},
    "change_recommendation_tags": {
        "request": {"add": {"themes": ["A12"]}, "remove": {"institutions": ["Senate"]}},
    },
}


def _add_examples(op: dict[str, Any]) -> None:
    examples = EXAMPLES.get(op.get("operationId", ""), {})
    for key, example in examples.items():
        if key == "request":
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                body["example"] = example
        elif key in op["responses"]:
            for content in op["responses"][key].get("content", {}).values():
                content["example"] = example


def install(app: FastAPI) -> None:
    """Serve the shaped document at /openapi.json (built once, on first request), and
    Swagger UI at /docs and ReDoc at /redoc from assets shipped in a pinned package
    (``fastapi-offline``), so that both work on a network without a CDN. The app must be
    created with ``docs_url=None, redoc_url=None``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    assets = importlib.resources.files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    # The pages never change: built once, each request gets a fresh response of them.
    pages = {
        "/docs": get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters={"persistAuthorization": True},
        ),
        "/docs/oauth2-redirect": get_swagger_ui_oauth2_redirect_html(),
        "/redoc": get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        ),
    }
    for path, page in pages.items():
        app.add_route(path, _html_page(bytes(page.body)), include_in_schema=False)


def _html_page(body: bytes) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """A route that answers an HTML page built in advance."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(body)

    return page


def operation_id(route: APIRoute) -> str:
    """``generate_unique_id_function`` of the app: the route function's name."""
    return route.name


def build(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
        # Relative: clients call the host that served the document.
        servers=[{"url": "/", "description": "this deployment"}],
    )
    _qualified_names_to_domain_names(doc)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_problem_schema(schemas)
    components["headers"] = HEADERS
    routes = {
        (context.path_format, method.lower()): context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            route = routes.get((path, method))
            if route is not None:
                _shape_operation(op, route, schemas)
            _order_path_parameters(op, path)
    _name_enums(doc)
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(doc, REF + unused):
            schemas.pop(unused, None)
    return doc


def _qualified_names_to_domain_names(doc: dict[str, Any]) -> None:
    """Two domains with a model of the same name (`ReportOut` of reports and of review)
    get module paths as names from FastAPI (`shared__review__schemas__ReportOut`), which
    generators cannot resolve: name them after their domain (`ReviewReportOut`)."""
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    renames = {}
    for name in list(schemas):
        if "__" in name:
            parts = name.split("__")
            renames[name] = _camel(parts[1]) + parts[-1]
            schemas[renames[name]] = schemas.pop(name)
            schemas[renames[name]]["title"] = renames[name]
    if not renames:
        return

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF) and ref[len(REF) :] in renames:
                node["$ref"] = REF + renames[ref[len(REF) :]]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(doc)


# --- operations ------------------------------------------------------------------------------


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _references(op: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether the JSON body names other resources by id (a 404 when one does not exist)."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    properties = schemas.get(ref.removeprefix(REF), {}).get("properties", {})
    return any(name.endswith(("_id", "_ids")) for name in properties)


def _problem_statuses(op: dict[str, Any], route: APIRoute, schemas: dict[str, Any]) -> set[int]:
    statuses: set[int] = set()
    for call in _calls(route.dependant):
        statuses |= edge.declared_by(call)
    params = op.get("parameters", [])
    if params or "requestBody" in op:
        statuses.add(422)
    if any(p["in"] == "path" for p in params) or _references(op, schemas):
        statuses.add(404)
    if any(p["in"] == "query" and p["name"] == "cursor" for p in params):
        statuses.add(400)
    if "requestBody" in op:
        # Too large (the middleware), not JSON at all (FastAPI's 400), or a value another
        # row already holds (a unique constraint: the handlers' 409).
        statuses |= {400, 409, 413}
    statuses.add(503)
    statuses |= {int(s) for s in route.responses if int(s) >= 400}
    return statuses


def _order_path_parameters(op: dict[str, Any], path: str) -> None:
    """Path parameters in the order the path names them, as generated clients take them
    (FastAPI lists a route's own first, then those of its dependencies)."""
    params: list[dict[str, Any]] | None = op.get("parameters")
    if not params:
        return
    in_path = iter(
        sorted(
            (p for p in params if p["in"] == "path"),
            key=lambda p: path.index("{" + p["name"] + "}"),
        )
    )
    op["parameters"] = [next(in_path) if p["in"] == "path" else p for p in params]


def _shape_operation(op: dict[str, Any], route: APIRoute, schemas: dict[str, Any]) -> None:
    # One tag per operation: a route's own tag (a recommendation's actions listed by the
    # action plans router) wins over its router's.
    op["tags"] = op.get("tags", [])[-1:]
    for param in op.get("parameters", []):
        # Optional headers: a plain string, not "string or null" (a header is absent, never
        # null), which generators turn into awkward unions.
        schema = param.get("schema", {})
        if param["in"] == "header" and "anyOf" in schema:
            kept = [s for s in schema.pop("anyOf") if s.get("type") != "null"]
            schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
    responses: dict[str, Any] = op.setdefault("responses", {})
    declared = {int(s): r for s, r in route.responses.items() if int(s) >= 400}
    for key in list(responses):
        if int(key) >= 400:
            del responses[key]
    for code in sorted(_problem_statuses(op, route, schemas)):
        entry = edge.problem_response(code, declared.get(code, {}).get("description"))
        if code in (429, 503):
            entry["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
        responses[str(code)] = entry

    calls = set(_calls(route.dependant))
    if deps.bearer in calls:
        # Public reads take a key (for personal data, or when public reads are off).
        op["security"] = [{}, {"bearer": []}] if deps.optional_reader in calls else [{"bearer": []}]
    header_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
    conditional = bool(header_params & {"If-Match", "If-None-Match"})
    for status, response in responses.items():
        code = int(status)
        if not 200 <= code < 400:
            continue
        headers = response.setdefault("headers", {})
        if code < 300 and (conditional or (code == 201 and _has_version(response, schemas))):
            headers["ETag"] = {"$ref": "#/components/headers/ETag"}
        if code in (201, 202, 303):  # created, accepted (follow it), see other
            headers["Location"] = {"$ref": "#/components/headers/Location"}
        queries = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        if code == 200 and "cursor" in queries:
            headers["Link"] = {"$ref": "#/components/headers/Link"}
        if code == 200 and "since_token" in queries:
            headers["Sync-Token"] = {"$ref": "#/components/headers/Sync-Token"}
        if not headers:
            del response["headers"]
        for media, body in response.get("content", {}).items():
            if not body.get("schema"):
                # Text (CSV, NDJSON, iCalendar) or a file (.docx): a generator needs a schema
                # to hand the body over at all.
                if media == "application/json":
                    body["schema"] = {"type": "object"}
                elif media.startswith("text/") or media.endswith("ndjson"):
                    body["schema"] = {"type": "string"}
                else:
                    body["schema"] = _BINARY
    if "If-None-Match" in header_params:
        responses["304"] = {
            "description": "Not modified: the `ETag` sent in `If-None-Match` is current",
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        }
    op["responses"] = dict(sorted(responses.items()))
    _add_examples(op)


_BINARY = {"type": "string", "format": "binary"}


def _has_version(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    target = schemas.get(ref.removeprefix(REF), {}) if ref.startswith(REF) else schema
    return "version" in target.get("properties", {})


def _add_problem_schema(schemas: dict[str, Any]) -> None:
    schema = Problem.model_json_schema(ref_template=REF + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schema["description"] = (
        "An RFC 9457 problem document. `code` is stable and machine-readable; `errors`"
        " lists each invalid field of a 422."
    )
    schemas["Problem"] = schema


def _referenced(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_referenced(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_referenced(v, ref) for v in node)
    return False


# --- enumerations ----------------------------------------------------------------------------


def _literal_names() -> dict[frozenset[str], str]:
    """Value set -> name, from the module-level ``Literal`` aliases of the domains'
    schemas (``Position = Literal[...]`` in ``shared/recommendations/schemas.py``)."""
    names: dict[frozenset[str], str] = {}
    # The same values under two names: the recommendations' name wins (they are what the
    # other domains describe), then the first domain in alphabetical order.
    domains = sorted(info.name for info in pkgutil.iter_modules(shared.__path__))
    for domain in sorted(domains, key=lambda d: d != "recommendations"):
        try:
            module = importlib.import_module(f"shared.{domain}.schemas")
        except ModuleNotFoundError:
            continue
        for name, value in sorted(vars(module).items()):
            if typing.get_origin(value) is typing.Literal:
                values = frozenset(str(v) for v in typing.get_args(value))
                names.setdefault(values, name)
    return names


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def _name_enums(doc: dict[str, Any]) -> None:
    """Replace every inline string enum by a reference to a named component."""
    known = _literal_names()
    schemas: dict[str, Any] = doc["components"]["schemas"]
    by_values: dict[frozenset[str], str] = {}

    def component_for(values: list[Any], hint: str) -> str:
        key = frozenset(str(v) for v in values)
        if key in by_values:
            return by_values[key]
        name = known.get(key) or _camel(hint.removesuffix("s") if hint.endswith("s") else hint)
        base, n = name or "Enum", 2
        name = base
        while name in schemas:
            name, n = f"{base}{n}", n + 1
        schemas[name] = {"type": "string", "enum": sorted(values), "title": name}
        by_values[key] = name
        return name

    def visit(node: Any, hint: str) -> Any:
        if isinstance(node, list):
            return [visit(v, hint) for v in node]
        if not isinstance(node, dict):
            return node
        if "enum" in node and node.get("type", "string") == "string" and "$ref" not in node:
            name = component_for(node["enum"], hint)
            ref: dict[str, Any] = {"$ref": REF + name}
            for keep in ("description", "default", "examples"):
                if keep in node:
                    ref[keep] = node[keep]
            return ref
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {p: visit(v, p) for p, v in value.items()}
            elif key == "parameters" and isinstance(value, list):
                out[key] = [visit(p, p.get("name", hint)) for p in value]
            else:
                out[key] = visit(value, hint)
        return out

    doc["paths"] = visit(doc.get("paths", {}), "")
    for name in sorted(schemas):
        if "enum" not in schemas[name]:
            schemas[name] = visit(schemas[name], name)
