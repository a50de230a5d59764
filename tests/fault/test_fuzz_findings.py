"""Bugs the fuzzer found, pinned by plain tests (the fuzzer may not draw them again)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import KeyFactory
from tests.recommendations.conftest import Corpus


async def test_superscript_digits_are_refused_not_crashed(client: httpx.AsyncClient) -> None:
    # "¹".isdigit() is true but int("¹") raises: it answered 500.
    for path in ("/v1/recommendations", "/v1/recommendations/export.ndjson"):
        response = await client.get(path, params={"sdg": "¹"})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_superscript_version_in_if_match_is_a_412(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory
) -> None:
    headers = [
        (name.encode(), value.encode())
        for name, value in (await api_keys.headers("recommendations:write")).items()
    ]
    # Header values travel as Latin-1 bytes: b"\xb9" is "¹".
    response = await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}",
        json={"themes": ["A12"]},
        headers=[*headers, (b"If-Match", '"v¹"'.encode("latin-1"))],
    )
    assert response.status_code == 412, response.text
    assert response.json()["code"] == "stale_version"


def test_redirects_and_not_modified_document_no_body(app: FastAPI) -> None:
    # GET /v1/reports/draft documented its 303 as JSON while sending an empty body.
    with_body = [
        f"{method.upper()} {path} {code}"
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
        for code, response in operation.get("responses", {}).items()
        if code.startswith("3") and "content" in response
    ]
    assert with_body == []
