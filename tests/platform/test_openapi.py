"""The OpenAPI document stays fit for client generators, whoever adds the next route.

Each rule here is one a generator or an integrator depends on (docs/conventions.md, HTTP):
a route that breaks one fails this file with the operation named.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

PROBLEM_SCHEMA = {"application/problem+json": {"$ref": "#/components/schemas/Problem"}}
Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(spec: dict[str, Any]) -> Iterator[Operation]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def header_params(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}


def query_params(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


def test_operation_ids_are_unique_snake_case_names(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId", "") for _, _, op in operations(spec)]
    bad = [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+|[a-z]+", i)]
    assert not bad, f"operation ids must be the route functions' names, verb first: {bad}"
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    # Named for what they do, never derived from the path.
    assert not [i for i in ids if "_v1_" in i or i.endswith(("_get", "_post", "_patch"))]


def test_component_names_are_plain(spec: dict[str, Any]) -> None:
    """Generators cannot resolve FastAPI's module-path names of same-named models."""
    assert [n for n in spec["components"]["schemas"] if not n.isidentifier() or "__" in n] == []


def test_one_declared_tag_per_operation(spec: dict[str, Any]) -> None:
    declared = {t["name"] for t in spec["tags"]}
    assert all(t.get("description") for t in spec["tags"])
    wrong = [
        (method, path, op.get("tags"))
        for method, path, op in operations(spec)
        if len(op.get("tags", [])) != 1 or op["tags"][0] not in declared
    ]
    assert not wrong, "add the tag to services/api/openapi.TAGS, one per operation"


def test_errors_are_problem_documents_and_nothing_else(spec: dict[str, Any]) -> None:
    wrong = []
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            content = response.get("content", {})
            schemas = {media: body.get("schema") for media, body in content.items()}
            if int(status) >= 400 and schemas != PROBLEM_SCHEMA:
                wrong.append((method, path, status, response.get("content")))
    assert not wrong
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "errors"} <= set(problem["properties"])


def test_no_empty_media_type(spec: dict[str, Any]) -> None:
    """An empty schema makes generators skip the body (or parse nothing)."""
    empty = []
    for method, path, op in operations(spec):
        bodies = [op.get("requestBody", {}).get("content", {})] + [
            r.get("content", {}) for r in op["responses"].values()
        ]
        for content in bodies:
            empty += [(method, path, media) for media, body in content.items() if not body]
    assert not empty


def test_only_the_errors_an_operation_can_return(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        statuses = {int(s) for s in op["responses"]}
        headers = header_params(op)
        if method == "GET":
            assert not statuses & {412, 428}, (method, path)
            assert 413 not in statuses, (method, path)
        if 428 in statuses or 412 in statuses:
            assert "If-Match" in headers, (method, path)
        if "{" not in path:
            assert 404 not in statuses or op["responses"]["404"]["description"], (method, path)
        if not op.get("parameters") and "requestBody" not in op:
            assert 422 not in statuses, (method, path)
        assert 503 in statuses, (method, path)


def versioned(spec: dict[str, Any], response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    name = schema.get("$ref", "").rpartition("/")[2]
    return "version" in spec["components"]["schemas"].get(name, {}).get("properties", {})


def test_conditional_headers(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        responses = op["responses"]
        headers = header_params(op)
        if method in ("PATCH", "PUT") and versioned(spec, responses.get("200", {})):
            assert "If-Match" in headers, f"{method} {path}: a versioned write takes edge.IfMatch"
            assert {"412", "428"} <= set(responses), (method, path)
        if "If-Match" in headers or "If-None-Match" in headers:
            ok = next(s for s in responses if s.startswith("2"))
            assert "ETag" in responses[ok].get("headers", {}), (method, path)
        if "If-None-Match" in headers:
            assert "ETag" in responses["304"]["headers"], (method, path)
        if "201" in responses:
            assert "Location" in responses["201"].get("headers", {}), (method, path)
        if "cursor" in query_params(op):
            assert "Link" in responses["200"].get("headers", {}), (method, path)
        for status in ("429", "503"):
            if status in responses:
                assert "Retry-After" in responses[status]["headers"], (method, path)
    cacheable = [p for m, p, op in operations(spec) if "If-None-Match" in header_params(op)]
    assert "/v1/recommendations/{rec_id}" in cacheable


def test_enums_are_named_components(spec: dict[str, Any]) -> None:
    inline: list[str] = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "enum" in node and not where.startswith("#/components/schemas/"):
                inline.append(where)
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}/{i}")

    visit(spec["paths"], "#/paths")
    for name, schema in spec["components"]["schemas"].items():
        for key, value in schema.items():
            visit(value, f"#/schemas/{name}/{key}")
    assert not inline
    schemas = spec["components"]["schemas"]
    positions = [n for n, s in schemas.items() if set(s.get("enum", ())) >= {"supported", "noted"}]
    assert positions == ["Position"]
    assert "Status" in schemas


def test_bearer_security_scheme(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert scheme["description"]
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    assert by_id["patch_recommendation"]["security"] == [{"bearer": []}]
    # Public reads: a key is optional.
    assert by_id["list_recommendations"]["security"] == [{}, {"bearer": []}]
    for _, _, op in operations(spec):
        if "401" in op["responses"]:
            assert op.get("security"), op["operationId"]


def test_non_json_bodies_are_declared(spec: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    media = {
        "export_recommendations_csv": "text/csv",
        "export_recommendations_ndjson": "application/x-ndjson",
        "export_action_plan_csv": "text/csv",
        "get_country_calendar": "text/calendar",
    }
    for op_id, kind in media.items():
        assert kind in by_id[op_id]["responses"]["200"]["content"], op_id
    for op_id in ("import_institutions", "import_actions"):
        body = by_id[op_id]["requestBody"]["content"]
        assert {"text/csv", "multipart/form-data"} <= set(body), op_id


async def test_docs_served_without_a_cdn(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        response = await client.get(page)
        assert response.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        assert assets, page
        assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
        for asset in assets:
            fetched = await client.get(asset)
            assert fetched.status_code == 200, asset
            assert len(fetched.content) > 1000, asset


def test_main_operations_have_examples(spec: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    patch = by_id["patch_recommendation"]
    assert patch["requestBody"]["content"]["application/json"]["example"]["themes"]
    assert patch["responses"]["412"]["content"]["application/problem+json"]["example"]["code"]
    update = by_id["create_recommendation_update"]["requestBody"]["content"]
    assert update["application/json"]["example"]["source"] == "government"
