"""Sign-in (development tokens; the OpenID Connect redirect with PKCE), sessions, CSRF,
sign-out and the focal point's workspace."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from services.web.app import create_app
from shared.db import Database
from shared.institutions.models import Institution
from shared.queue import JobQueue
from shared.settings import OidcIssuer, Settings
from tests.web.seed import Seeded


@pytest.fixture
def dev_settings(settings: Settings) -> Settings:
    # Development tokens are trusted only in development; an OIDC client is configured
    # too so the redirect to the provider can be checked.
    issuer = OidcIssuer(issuer="https://id.example.org", audience="followup")
    return settings.model_copy(
        update={
            "environment": "development",
            "oidc_issuers": [issuer],
            "web_oidc_issuer": issuer.issuer,
            "web_oidc_client_id": "portal",
            "web_public_url": "https://portal.example.org",
        }
    )


@pytest.fixture
def portal_app(dev_settings: Settings, db: Database, clean_redis: JobQueue) -> Starlette:
    app = create_app(dev_settings, db=db, queue=clean_redis)
    app.state.oidc_discovery = {
        "authorization_endpoint": "https://id.example.org/auth",
        "token_endpoint": "https://id.example.org/token",
    }
    return app


@pytest.fixture
async def desk(portal_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=portal_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


@pytest.fixture
async def other_desk(portal_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser (its own cookies): the coordinator's."""
    transport = httpx.ASGITransport(app=portal_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


@pytest.fixture
async def ministry(session: AsyncSession, seeded: Seeded) -> Institution:
    row = Institution(id=uuid.uuid4(), country="PRY", name="Ministry of Justice", kind="ministry")
    session.add(row)
    await session.commit()
    return row


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = await client.get("/en/sign-in?next=/en/workspace")
    form = {"csrf": csrf_of(page.text), "next": "/en/workspace", **fields}
    return await client.post("/en/sign-in/dev", data=form)


async def test_workspace_needs_sign_in(desk: httpx.AsyncClient) -> None:
    response = await desk.get("/fr/workspace")
    assert response.status_code == 303
    assert response.headers["location"] == "/fr/sign-in?next=/fr/workspace"
    page = await desk.get("/fr/sign-in")
    assert "Se connecter" in page.text


async def test_focal_point_signs_in_sees_owned_recommendations_and_signs_out(
    desk: httpx.AsyncClient, ministry: Institution, seeded: Seeded
) -> None:
    response = await sign_in(
        desk, role="focal_point", country="PRY", institution="Ministry of Justice", name="Ana"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/en/workspace"
    cookie = response.headers["set-cookie"]
    assert "followup_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    page = await desk.get("/en/workspace")
    assert page.status_code == 200
    assert "Signed in as Ana." in page.text
    assert "Ministry of Justice" in page.text
    assert f"/en/workspace/recommendations/{seeded.recs['torture']}" in page.text
    assert seeded.recs["women"] not in page.text  # owned by nobody
    out = await desk.post("/en/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    assert (await desk.get("/en/workspace")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(
    desk: httpx.AsyncClient, ministry: Institution
) -> None:
    await desk.get("/en/sign-in")
    forged = await desk.post(
        "/en/sign-in/dev", data={"role": "coordinator", "country": "PRY", "csrf": "forged"}
    )
    assert forged.status_code == 403
    assert (await desk.get("/en/workspace")).status_code == 303
    await sign_in(desk, role="coordinator", country="PRY")
    assert (await desk.post("/en/sign-out", data={})).status_code == 403
    assert (await desk.get("/en/workspace")).status_code == 200


async def test_bad_sign_in_keeps_what_was_typed(desk: httpx.AsyncClient) -> None:
    response = await sign_in(desk, role="wizard", country="PRY", name="Zoe")
    assert response.status_code == 422
    assert 'value="Zoe"' in response.text
    assert 'value="PRY"' in response.text
    assert 'role="alert"' in response.text


async def test_no_open_redirect_after_sign_in(desk: httpx.AsyncClient) -> None:
    page = await desk.get("/en/sign-in")
    response = await desk.post(
        "/en/sign-in/dev",
        data={"csrf": csrf_of(page.text), "role": "viewer", "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/en/workspace"


async def test_oidc_sign_in_redirects_with_pkce_and_checks_the_state(
    desk: httpx.AsyncClient,
) -> None:
    response = await desk.get("/es/sign-in/oidc?next=/es/workspace")
    assert response.status_code == 303
    target = urlparse(response.headers["location"])
    assert target.netloc == "id.example.org"
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == "portal"
    assert params["redirect_uri"] == "https://portal.example.org/auth/callback"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["ui_locales"] == "es"
    # A callback with another state is refused before any call to the provider.
    bad = await desk.get("/auth/callback", params={"code": "x", "state": "not-it"})
    assert bad.status_code == 303
    assert bad.headers["location"] == "/es/sign-in?error=state"


async def test_focal_point_submits_coordinator_returns_then_validates(
    desk: httpx.AsyncClient,
    other_desk: httpx.AsyncClient,
    ministry: Institution,
    seeded: Seeded,
) -> None:
    rec = seeded.recs["torture"]
    await sign_in(desk, role="focal_point", country="PRY", institution="Ministry of Justice")
    form_url = f"/en/workspace/recommendations/{rec}"
    form = await desk.get(form_url)
    assert form.status_code == 200
    csrf = csrf_of(form.text)
    # A bad evidence link: the form comes back with everything typed and the reason.
    typed = {
        "csrf": csrf,
        "action": "submit",
        "status": "partially_implemented",
        "narrative": "The bill passed its first reading.",
        "evidence_links": "not a link",
        "reported_on": "2026-11-30",
    }
    refused = await desk.post(form_url, data=typed)
    assert refused.status_code == 422
    assert "The bill passed its first reading." in refused.text
    assert 'id="err-evidence_links"' in refused.text
    assert ">not a link</textarea>" in refused.text
    assert '<option value="partially_implemented" selected>' in refused.text
    sent = await desk.post(form_url, data={**typed, "evidence_links": "https://example.org/b"})
    assert sent.status_code == 303
    report_url = sent.headers["location"]
    assert "Submitted" in (await desk.get(report_url)).text

    await sign_in(other_desk, role="coordinator", country="PRY", name="Coordinator")
    queue = await other_desk.get("/en/workspace")
    assert report_url in queue.text
    page = await other_desk.get(report_url)
    csrf_c = csrf_of(page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    no_comment = await other_desk.post(
        report_url, data={"csrf": csrf_c, "action": "return", "version": version.group(1)}
    )
    assert no_comment.status_code == 422
    assert 'id="err-comment"' in no_comment.text
    returned = await other_desk.post(
        report_url,
        data={"csrf": csrf_c, "action": "return", "version": version.group(1),
              "comment": "Attach the parliament record."},
    )  # fmt: skip
    assert returned.status_code == 303

    # The focal point sees the comment, edits and resubmits.
    home = await desk.get("/en/workspace")
    assert "Attach the parliament record." in home.text
    page = await desk.get(report_url)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    resent = await desk.post(
        report_url,
        data={**typed, "evidence_links": "https://example.org/record", "version": version.group(1)},
    )
    assert resent.status_code == 303

    page = await other_desk.get(report_url)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    validated = await other_desk.post(
        report_url, data={"csrf": csrf_c, "action": "validate", "version": version.group(1)}
    )
    assert validated.status_code == 303
    public = await desk.get(f"/en/recommendations/{rec}")
    assert "https://example.org/record" in public.text
    assert "Partially implemented" in public.text.split("Progress reported", 1)[1]


async def test_a_focal_point_cannot_report_on_what_others_own(
    desk: httpx.AsyncClient, ministry: Institution, seeded: Seeded
) -> None:
    await sign_in(desk, role="focal_point", country="PRY", institution="Ministry of Justice")
    url = f"/en/workspace/recommendations/{seeded.recs['women']}"
    page = await desk.get(url)
    response = await desk.post(
        url,
        data={"csrf": csrf_of(page.text), "action": "submit", "status": "implemented",
              "narrative": "Done.", "evidence_links": "", "reported_on": ""},
    )  # fmt: skip
    assert response.status_code == 403
    assert "You may not report on or review this item." in response.text
    assert ">Done.</textarea>" in response.text


async def test_nhri_publishes_an_assessment_beside_the_government(
    desk: httpx.AsyncClient, session: AsyncSession, seeded: Seeded
) -> None:
    session.add(
        Institution(id=uuid.uuid4(), country="PRY", name="Defensoría del Pueblo", kind="nhri")
    )
    await session.commit()
    await sign_in(desk, role="nhri", country="PRY", institution="Defensoría del Pueblo")
    home = await desk.get("/es/workspace")
    rec = seeded.recs["women"]
    assert f"/es/workspace/assess/{rec}" in home.text
    url = f"/es/workspace/assess/{rec}"
    page = await desk.get(url)
    typed = {"csrf": csrf_of(page.text), "status": "not_started",
             "narrative": "Sin avances en los refugios.", "evidence_links": "",
             "reported_on": "31/11/2026"}  # fmt: skip
    refused = await desk.post(url, data=typed)
    assert refused.status_code == 422
    assert 'id="err-reported_on"' in refused.text
    assert "Sin avances en los refugios." in refused.text
    done = await desk.post(url, data={**typed, "reported_on": "2026-11-30"})
    assert done.status_code == 303
    public = await desk.get(f"/es/recommendations/{rec}")
    independent = public.text.split("Evaluaciones independientes", 1)[1]
    assert "Sin avances en los refugios." in independent
    assert "Defensoría del Pueblo" in independent
    # The Government's status is unchanged.
    assert "Sin información" in public.text.split("Evaluaciones independientes", 1)[0]
