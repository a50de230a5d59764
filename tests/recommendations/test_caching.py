"""Compressed answers and cache headers."""

from __future__ import annotations

import gzip

import brotli
import httpx
import pytest
import zstandard

from tests.conftest import KeyFactory
from tests.recommendations.conftest import Corpus

DECODERS = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda body: zstandard.ZstdDecompressor().decompressobj().decompress(body),
}


async def raw_get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The answer and its body exactly as sent (httpx would decode it)."""
    async with client.stream("GET", url, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


@pytest.mark.parametrize("coding", ["zstd", "br", "gzip"])
async def test_list_compressed_with_the_coding_asked(
    client: httpx.AsyncClient, corpus: Corpus, coding: str
) -> None:
    plain, plain_body = await raw_get(
        client, "/v1/recommendations", {"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert len(plain_body) > 1024
    response, body = await raw_get(client, "/v1/recommendations", {"Accept-Encoding": coding})
    assert response.headers["content-encoding"] == coding
    assert "Accept-Encoding" in response.headers["vary"]
    assert len(body) < len(plain_body)
    assert DECODERS[coding](body) == plain_body


async def test_preferred_coding_is_zstd_then_brotli(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    response, _ = await raw_get(
        client, "/v1/recommendations", {"Accept-Encoding": "gzip, br, zstd"}
    )
    assert response.headers["content-encoding"] == "zstd"
    response, _ = await raw_get(client, "/v1/recommendations", {"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "br"


async def test_small_bodies_are_sent_as_they_are(client: httpx.AsyncClient) -> None:
    response, body = await raw_get(client, "/healthz", {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert body.startswith(b"{")


async def test_anonymous_reads_are_publicly_cacheable(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    response = await client.get("/v1/recommendations", params={"country": "PRY"})
    assert response.headers["cache-control"] == ("public, max-age=30, stale-while-revalidate=60")
    assert "Authorization" in response.headers["vary"]
    rec = corpus.recs["p1"]
    detail = await client.get(f"/v1/recommendations/{rec.id}")
    assert detail.headers["cache-control"].startswith("public, ")
    cached = await client.get(
        f"/v1/recommendations/{rec.id}", headers={"If-None-Match": detail.headers["etag"]}
    )
    assert cached.status_code == 304
    assert cached.headers["cache-control"].startswith("public, ")


async def test_reads_with_credentials_stay_private(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("recommendations:write")
    response = await client.get("/v1/recommendations", headers=headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_are_never_cached(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["cache-control"] == "no-store"


async def test_errors_and_writes_carry_no_cache_policy(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/recommendations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert "cache-control" not in missing.headers
    write = await client.post("/v1/recommendations/x/updates", json={})
    assert "cache-control" not in write.headers
