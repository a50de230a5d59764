"""Clients generated from the service's own OpenAPI document, used as an integrator would.

A live server (uvicorn, as in production) on a scratch database of its own serves
/openapi.json; from it:
- Spectral, with the committed ruleset tests/js/spectral.yaml, reports no error;
- openapi-typescript generates the TypeScript types, and a client written with
  openapi-fetch type-checks under `tsc --noEmit --strict`;
- openapi-python-client generates a Python client without a warning, and the contract
  runs through it alone: a full sync of a State, a PATCH with If-Match, a progress
  update, a delta sync through `sync_token`, and 401/403/404/412/422/428 each parsed
  into the generated `Problem` model.
The npm tools come from tests/js (scripts/ensure-js-tools.sh), the generator from
scripts/clientgen (its own locked environment).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from scripts.servers import free_port
from shared.auth import service as keys
from shared.settings import Settings
from tests.conftest import scratch_database, upgrade

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
JS = ROOT / "tests" / "js"
SCRATCH = "followup_contract"
PACKAGE = "followup_client"

_INSERT = """
INSERT INTO recommendations (id, ref, kind, document_symbol, document_date, paragraph,
    paragraph_key, text, state_under_review, mechanism, position, themes, affected_persons,
    sdg_targets, sdg_goals, institutions, status, version)
VALUES (:id, :ref, 'recommendation', 'A/HRC/1/1', '2020-01-01', :paragraph, ARRAY[CAST(:n AS int)],
    :text, :country, 'UPR', 'supported', '{}', '{}', '{}', '{}', '{}', 'no_information', 1)
"""


class Server:
    def __init__(self, url: str, keys: dict[str, str], recs: dict[str, list[str]]) -> None:
        self.url = url
        self.keys = keys
        self.recs = recs


@pytest.fixture(scope="module")
async def server(settings: Settings) -> AsyncIterator[Server]:
    async with scratch_database(settings, SCRATCH) as engine:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        recs: dict[str, list[str]] = {"PRY": [], "URY": []}
        async with AsyncSession(engine) as session:
            for country, count in (("PRY", 5), ("URY", 2)):
                for n in range(1, count + 1):
                    rec_id = str(uuid.uuid4())
                    recs[country].append(rec_id)
                    await session.execute(
                        text(_INSERT),
                        {
                            "id": rec_id,
                            "ref": f"A/HRC/1/1#{country}.{n}",
                            "paragraph": f"{n}",
                            "n": n,
                            "text": f"Recommendation {n} to {country}",
                            "country": country,
                        },
                    )
            writer = await keys.create_key(session, "writer", ["recommendations:write"], ["PRY"])
            reader = await keys.create_key(session, "reader", ["personal_data:read"], None)
            await session.commit()
        port = free_port()
        database = make_url(settings.database_url).set(database=SCRATCH)
        env = {
            **os.environ,
            "DATABASE_URL": database.render_as_string(hide_password=False),
            "REDIS_URL": settings.redis_url,
            "RATE_LIMIT_PER_MINUTE": "0",
            "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, before any request
            [BIN / "followup", "api", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as probe:
                for _ in range(300):
                    try:
                        if (await probe.get(f"{url}/readyz", timeout=1)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.1)  # noqa: ASYNC251 - nothing else runs meanwhile
            yield Server(url, {"writer": writer.key, "reader": reader.key}, recs)
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clients")


@pytest.fixture(scope="module")
def document(server: Server, workdir: Path) -> Path:
    path = workdir / "openapi.json"
    path.write_bytes(httpx.get(f"{server.url}/openapi.json").content)
    return path


@pytest.fixture(scope="module")
def js_tools() -> Path:
    subprocess.run(["bash", ROOT / "scripts" / "ensure-js-tools.sh"], check=True)
    return JS / "node_modules" / ".bin"


def test_spectral_finds_no_error(document: Path, js_tools: Path) -> None:
    lint = subprocess.run(
        [
            js_tools / "spectral",
            "lint",
            document,
            "--ruleset",
            JS / "spectral.yaml",
            "--fail-severity",
            "error",
            "--format",
            "text",
        ],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_typescript_client_type_checks(document: Path, js_tools: Path) -> None:
    # Inside tests/js/node_modules, so that `openapi-fetch` resolves from the lock file.
    out = JS / "node_modules" / ".followup-client"
    out.mkdir(exist_ok=True)
    generated = subprocess.run(
        [js_tools / "openapi-typescript", document, "--output", out / "schema.d.ts"],
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    assert "warn" not in generated.stderr.lower(), generated.stderr
    (out / "client.ts").write_text(TS_CLIENT)
    (out / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    checked = subprocess.run(
        [js_tools / "tsc", "--noEmit", "--strict", "--project", out / "tsconfig.json"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "es2022",
        "lib": ["es2022", "dom"],
        "module": "esnext",
        "moduleResolution": "bundler",
        "types": [],
    },
    "files": ["client.ts"],
}

TS_CLIENT = """
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

// A live recommendation or the tombstone of a deleted one.
type Item = components["schemas"]["RecommendationPage"]["items"][number];
type Problem = components["schemas"]["Problem"];

const api = createClient<paths>({ baseUrl: "http://localhost:8000" });

export async function stateCopy(country: string): Promise<Item[]> {
  const copy: Item[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/v1/recommendations", {
      params: { query: { country: [country], limit: 100, cursor } },
    });
    if (error) throw new Error(`${error.status} ${error.code}`);
    copy.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return copy;
}

export async function retag(id: string, etag: string): Promise<string | Problem> {
  const { data, error, response } = await api.PATCH("/v1/recommendations/{rec_id}", {
    params: { path: { rec_id: id }, header: { "If-Match": etag } },
    body: { themes: ["A12"] },
  });
  if (error) return error;
  return response.headers.get("ETag") ?? `"v${data.version}"`;
}
"""


@pytest.fixture(scope="module")
def client_package(document: Path, workdir: Path) -> Iterator[ModuleType]:
    venv = ROOT / ".local" / "clientgen"
    uv = ROOT / ".tools" / "bin" / "uv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv, "sync", "--frozen", "--quiet", "--project", ROOT / "scripts" / "clientgen"],
        env=env,
        check=True,
    )
    spec = json.loads(document.read_text())
    # Non-JSON bodies (CSV, NDJSON, iCalendar, Word, Excel) are files to the client.
    media = {
        m
        for item in spec["paths"].values()
        for op in item.values()
        for part in [op.get("requestBody", {}), *op["responses"].values()]
        for m in part.get("content", {})
        if not m.endswith(("/json", "+json")) and m != "multipart/form-data"
    }
    config = workdir / "clientgen.json"
    config.write_text(
        json.dumps(
            {
                "package_name_override": PACKAGE,
                "content_type_overrides": dict.fromkeys(sorted(media), "application/octet-stream"),
            }
        )
    )
    generated = subprocess.run(
        [
            venv / "bin" / "openapi-python-client",
            "generate",
            "--path",
            document,
            "--config",
            config,
            "--meta",
            "none",
            "--output-path",
            workdir / PACKAGE,
        ],
        # Its post-processing runs ruff: the project's.
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _api(name: str) -> Any:
    domain, _, operation = name.partition(".")
    return importlib.import_module(f"{PACKAGE}.api.{domain}.{operation}")


def _models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture
def clients(client_package: ModuleType, server: Server) -> Iterator[dict[str, Any]]:
    """Generated clients: anonymous, and with the keys of the server (closed after)."""
    made = {"anonymous": client_package.Client(base_url=server.url)}
    for name, key in server.keys.items():
        made[name] = client_package.AuthenticatedClient(base_url=server.url, token=key)
    with contextlib.ExitStack() as stack:
        for client in made.values():
            stack.enter_context(client)
        yield made


def test_contract_through_the_generated_client(
    client_package: ModuleType, server: Server, clients: dict[str, Any]
) -> None:
    models = _models()
    anonymous, writer = clients["anonymous"], clients["writer"]
    list_recommendations = _api("recommendations.list_recommendations")

    # Full sync of a State, page by page; the last page carries the sync token.
    copy: dict[str, Any] = {}
    cursor: Any = client_package.types.UNSET
    while True:
        page = list_recommendations.sync_detailed(
            client=anonymous, country=["PRY"], limit=2, cursor=cursor
        )
        assert page.status_code == 200
        body = page.parsed
        assert isinstance(body, models.RecommendationPage), body
        copy.update({item.id.hex: item for item in body.items})
        if not body.next_cursor:
            token = body.sync_token
            break
        cursor = body.next_cursor
    assert sorted(copy) == sorted(uuid.UUID(r).hex for r in server.recs["PRY"])
    assert token

    # PATCH with If-Match, from the ETag of a read.
    target = server.recs["PRY"][0]
    get_recommendation = _api("recommendations.get_recommendation")
    read = get_recommendation.sync_detailed(client=anonymous, rec_id=target)
    etag = read.headers["etag"]
    patched = _api("recommendations.patch_recommendation").sync_detailed(
        client=writer,
        rec_id=uuid.UUID(target),
        body=models.RecommendationPatch(themes=["A12"]),
        if_match=etag,
    )
    assert patched.status_code == 200, patched.content
    assert isinstance(patched.parsed, models.RecommendationOut)
    assert patched.parsed.themes == ["A12"]
    assert patched.headers["etag"] != etag

    # A progress update.
    update = _api("recommendations.create_recommendation_update").sync_detailed(
        client=writer,
        rec_id=uuid.UUID(target),
        body=models.UpdateIn(
            status=models.Status.IN_PROGRESS,
            narrative="Bill in parliament",
            source=models.UpdateSource.GOVERNMENT,
        ),
    )
    assert update.status_code == 201, update.content
    assert isinstance(update.parsed, models.UpdateOut)
    assert update.headers["location"].endswith(str(update.parsed.id))

    # Delta sync through the token: the one recommendation changed, nothing else.
    delta = list_recommendations.sync_detailed(client=anonymous, country=["PRY"], since_token=token)
    assert delta.status_code == 200, delta.content
    assert isinstance(delta.parsed, models.RecommendationPage)
    changed = {str(item.id): item for item in delta.parsed.items}
    assert set(changed) == {target}
    assert changed[target].status == models.Status.IN_PROGRESS
    assert delta.parsed.sync_token


def test_problems_parse_into_the_generated_model(server: Server, clients: dict[str, Any]) -> None:
    models = _models()
    anonymous, writer, reader = clients["anonymous"], clients["writer"], clients["reader"]
    patch = _api("recommendations.patch_recommendation").sync_detailed
    pry, ury = server.recs["PRY"][1], server.recs["URY"][0]
    body = models.RecommendationPatch(themes=["A12"])
    answers = {
        401: patch(client=anonymous, rec_id=uuid.UUID(pry), body=body, if_match='"v1"'),
        403: patch(client=reader, rec_id=uuid.UUID(pry), body=body, if_match='"v1"'),
        404: _api("recommendations.get_recommendation").sync_detailed(
            client=anonymous, rec_id=str(uuid.uuid4())
        ),
        412: patch(client=writer, rec_id=uuid.UUID(pry), body=body, if_match='"v99"'),
        422: _api("recommendations.list_recommendations").sync_detailed(
            client=anonymous, cycle=[99]
        ),
        428: patch(client=writer, rec_id=uuid.UUID(pry), body=body),
    }
    for status, answer in answers.items():
        assert answer.status_code == status, (status, answer.content)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.parsed
        assert isinstance(problem, models.Problem), (status, problem)
        assert problem.status == status
        assert problem.code
    assert answers[428].parsed.code == "if_match_required"
    errors = answers[422].parsed.errors
    assert errors, answers[422].content
    assert isinstance(errors[0], models.FieldError)
    assert errors[0].field == "cycle"
    # Another State's recommendation: refused for this key, whatever it sends.
    refused = patch(client=writer, rec_id=uuid.UUID(ury), body=body, if_match='"v1"')
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.status == 403
