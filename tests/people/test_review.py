"""The review workflow of progress reports, per role: draft, submit, return, resubmit,
validate (published), who sees unpublished reports, who may do what, reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans import actions
from shared.action_plans import service as action_plans
from shared.action_plans.schemas import ActionIn, PlanIn
from shared.audit.models import AuditEntry
from shared.auth.schemas import OPERATOR
from shared.kernel.outbox import OutboxEvent
from shared.review import service as review
from shared.review.models import ProgressReport
from tests.conftest import KeyFactory
from tests.people.conftest import Credentials, World


async def _count(session: AsyncSession, model: type) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_draft_submit_return_resubmit_validate(
    oidc_client: httpx.AsyncClient, credentials: Credentials, world: World, session: AsyncSession
) -> None:
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    coordinator = await credentials("coordinator", country="PRY")
    rec = world.justice_rec.id
    draft = await oidc_client.post(
        "/v1/progress-reports",
        json={
            "recommendation_id": str(rec),
            "status": "in_progress",
            "narrative": "Draft bill written.",
            "evidence_links": ["https://example.org/bill"],
        },
        headers=focal,
    )
    assert draft.status_code == 201, draft.text
    report = draft.json()
    assert (report["state"], report["institution_id"]) == ("draft", str(world.justice.id))
    url = f"/v1/progress-reports/{report['id']}"

    # Unpublished: the institution and the State's coordinators see it, nobody else.
    ury = await credentials("coordinator", country="URY")
    health = await credentials("focal_point", country="PRY", institution="Ministry of Health")
    assert (await oidc_client.get(url, headers=coordinator)).status_code == 200
    for outsider in (ury, health, {}):
        assert (await oidc_client.get(url, headers=outsider)).status_code == 404
        listed = await oidc_client.get("/v1/progress-reports", headers=outsider)
        assert report["id"] not in {r["id"] for r in listed.json()["items"]}

    submitted = await oidc_client.post(f"{url}/submit", headers=focal)
    assert submitted.json()["state"] == "submitted"
    queue = await oidc_client.get(
        "/v1/progress-reports?country=PRY&state=submitted", headers=coordinator
    )
    assert [r["id"] for r in queue.json()["items"]] == [report["id"]]

    no_comment = await oidc_client.post(f"{url}/return", json={}, headers=coordinator)
    assert (no_comment.status_code, no_comment.json()["code"]) == (422, "comment_required")
    returned = await oidc_client.post(
        f"{url}/return", json={"comment": "Add the bill's number."}, headers=coordinator
    )
    assert returned.json()["state"] == "returned"
    assert returned.json()["review_comment"] == "Add the bill's number."

    edited = await oidc_client.patch(
        url,
        json={"narrative": "Bill 123/2026 tabled in parliament."},
        headers={**focal, "If-Match": returned.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    stale = await oidc_client.patch(
        url, json={"narrative": "x"}, headers={**focal, "If-Match": returned.headers["etag"]}
    )
    assert stale.status_code == 412
    assert (await oidc_client.post(f"{url}/submit", headers=focal)).json()["state"] == "submitted"

    # Nothing published yet.
    item = await oidc_client.get(f"/v1/recommendations/{rec}")
    assert item.json()["status"] == "no_information"
    validated = await oidc_client.post(f"{url}/validate", json={}, headers=coordinator)
    assert validated.status_code == 200, validated.text
    assert validated.json()["state"] == "validated"
    item = await oidc_client.get(f"/v1/recommendations/{rec}")
    assert item.json()["status"] == "in_progress"
    updates = (await oidc_client.get(f"/v1/recommendations/{rec}/updates")).json()
    assert [(u["narrative"], u["source"], u["author"]) for u in updates] == [
        ("Bill 123/2026 tabled in parliament.", "government", "Ministry of Justice")
    ]
    assert updates[0]["id"] == validated.json()["published_update_id"]
    # Published: visible to everyone, frozen.
    assert (await oidc_client.get(url)).status_code == 200
    frozen = await oidc_client.patch(
        url, json={"narrative": "x"}, headers={**focal, "If-Match": validated.headers["etag"]}
    )
    assert (frozen.status_code, frozen.json()["code"]) == (409, "not_editable")
    steps = (
        (
            await session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "progress_report", AuditEntry.entity_id == report["id"])
                .order_by(AuditEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert [s.removeprefix("progress_report.") for s in steps] == [
        "create",
        "submit",
        "return",
        "edit",
        "submit",
        "validate",
    ]


async def test_refusals_change_nothing(
    oidc_client: httpx.AsyncClient,
    credentials: Credentials,
    world: World,
    session: AsyncSession,
    api_keys: KeyFactory,
) -> None:
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    health = await credentials("focal_point", country="PRY", institution="Ministry of Health")
    ury = await credentials("coordinator", country="URY")
    nhri = await credentials("nhri", institution=str(world.nhri.id))
    body = {
        "recommendation_id": str(world.justice_rec.id),
        "status": "implemented",
        "narrative": "n",
    }
    for caller, code in ((health, "not_owner"), (ury, "not_owner"), (nhri, "not_allowed")):
        answer = await oidc_client.post("/v1/progress-reports", json=body, headers=caller)
        assert (answer.status_code, answer.json()["code"]) == (403, code), answer.text
    assert await _count(session, ProgressReport) == 0

    report = (await oidc_client.post("/v1/progress-reports", json=body, headers=focal)).json()
    url = f"/v1/progress-reports/{report['id']}"
    await oidc_client.post(f"{url}/submit", headers=focal)
    before = (await session.execute(text("SELECT state, version FROM progress_reports"))).all()
    for caller in (focal, health, ury):
        answer = await oidc_client.post(f"{url}/validate", json={}, headers=caller)
        assert answer.status_code == 403, answer.text
    assert (
        await session.execute(text("SELECT state, version FROM progress_reports"))
    ).all() == before
    # A focal point has no route around the review: the direct update needs a key's scope.
    direct = await oidc_client.post(
        f"/v1/recommendations/{world.justice_rec.id}/updates",
        json={"status": "implemented", "narrative": "n", "source": "government"},
        headers=focal,
    )
    assert direct.status_code == 403
    # An API key that writes PRY's recommendations counts as its coordinator.
    key = await api_keys.headers("recommendations:write", countries=["PRY"])
    answer = await oidc_client.post(f"{url}/validate", json={}, headers=key)
    assert answer.json()["state"] == "validated"


async def _reminders(session: AsyncSession) -> Sequence[dict[str, Any]]:
    """The payloads of the review reminders emitted so far."""
    query = select(OutboxEvent.payload).where(OutboxEvent.event_type == "review.reminder")
    return (await session.scalars(query)).all()


async def test_reminders_once_a_day(
    oidc_client: httpx.AsyncClient, credentials: Credentials, world: World, session: AsyncSession
) -> None:
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    body = {
        "recommendation_id": str(world.justice_rec.id),
        "status": "in_progress",
        "narrative": "n",
    }
    report = (await oidc_client.post("/v1/progress-reports", json=body, headers=focal)).json()
    await oidc_client.post(f"/v1/progress-reports/{report['id']}/submit", headers=focal)
    now = dt.datetime.now(dt.UTC)
    await session.execute(
        text("UPDATE progress_reports SET submitted_at = :at"), {"at": now - dt.timedelta(days=10)}
    )
    counts = await review.remind(session, waiting_days=7, now=now)
    # Health owns a recommendation with no update; Justice's has a report.
    assert counts == {"waiting": 1, "returned": 0, "silent": 0}
    await credentials("focal_point", country="PRY", institution="Ministry of Health")
    counts = await review.remind(session, waiting_days=7, now=now)
    assert counts == {"waiting": 0, "returned": 0, "silent": 1}
    payloads = await _reminders(session)
    assert {(p["audience"], p["reason"], p["country"]) for p in payloads} == {
        ("coordinator", "reports_waiting", "PRY"),
        ("focal_point", "no_update_this_cycle", "PRY"),
    }


async def test_reminders_count_reports_per_state_and_institution(
    oidc_client: httpx.AsyncClient, credentials: Credentials, world: World, session: AsyncSession
) -> None:
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    coordinator = await credentials("coordinator", country="PRY")
    urls = []
    for narrative in ("first", "second", "third"):
        body = {
            "recommendation_id": str(world.justice_rec.id),
            "status": "in_progress",
            "narrative": narrative,
        }
        report = (await oidc_client.post("/v1/progress-reports", json=body, headers=focal)).json()
        url = f"/v1/progress-reports/{report['id']}"
        await oidc_client.post(f"{url}/submit", headers=focal)
        urls.append(url)
    for url in urls[:2]:
        answer = await oidc_client.post(f"{url}/return", json={"comment": "c"}, headers=coordinator)
        assert answer.json()["state"] == "returned"
    now = dt.datetime.now(dt.UTC)
    await session.execute(
        text("UPDATE progress_reports SET submitted_at = :at"), {"at": now - dt.timedelta(days=10)}
    )
    counts = await review.remind(session, waiting_days=7, now=now)
    assert counts == {"waiting": 1, "returned": 1, "silent": 0}
    payloads = await _reminders(session)
    assert {(p["reason"], p["country"], p.get("institution"), p["count"]) for p in payloads} == {
        ("reports_waiting", "PRY", None, 1),
        ("reports_returned", "PRY", "Ministry of Justice", 2),
    }


async def test_action_reports_publish_an_action_update(
    oidc_client: httpx.AsyncClient, credentials: Credentials, world: World, session: AsyncSession
) -> None:
    plan = await action_plans.create_plan(
        session, OPERATOR, PlanIn(country="PRY", title="National human rights action plan")
    )
    action = await actions.create_action(
        session,
        OPERATOR,
        plan.id,
        ActionIn(description="Draft the bill", institution_ids=[world.justice.id]),
    )
    await session.commit()
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    health = await credentials("focal_point", country="PRY", institution="Ministry of Health")
    coordinator = await credentials("coordinator", country="PRY")
    body = {"action_id": str(action.id), "status": "ongoing", "narrative": "Drafting."}
    refused = await oidc_client.post("/v1/progress-reports", json=body, headers=health)
    assert refused.status_code == 403
    wrong = await oidc_client.post(
        "/v1/progress-reports", json={**body, "status": "implemented"}, headers=focal
    )
    assert wrong.status_code == 422
    report = (await oidc_client.post("/v1/progress-reports", json=body, headers=focal)).json()
    await oidc_client.post(f"/v1/progress-reports/{report['id']}/submit", headers=focal)
    done = await oidc_client.post(
        f"/v1/progress-reports/{report['id']}/validate", json={}, headers=coordinator
    )
    assert done.json()["state"] == "validated", done.text
    updates = await actions.list_updates(session, plan.id, action.id)
    assert [(u.status, u.narrative, u.author) for u in updates] == [
        ("ongoing", "Drafting.", "Ministry of Justice")
    ]


async def test_people_on_the_routes_written_for_keys(
    oidc_client: httpx.AsyncClient, credentials: Credentials, world: World
) -> None:
    """A coordinator writes its own State's data, not another's; other roles have no
    write scope there (their writes go through reports and assessments)."""
    pry = await credentials("coordinator", country="PRY")
    patch = {"themes": ["A12"]}
    mine = await oidc_client.patch(
        f"/v1/recommendations/{world.justice_rec.id}",
        json=patch,
        headers={**pry, "If-Match": f'"v{world.justice_rec.version}"'},
    )
    assert mine.status_code == 200, mine.text
    other = await oidc_client.patch(
        f"/v1/recommendations/{world.ury_rec.id}",
        json=patch,
        headers={**pry, "If-Match": f'"v{world.ury_rec.version}"'},
    )
    assert (other.status_code, other.json()["code"]) == (403, "country_not_allowed")
    for role, scope in (
        ("focal_point", {"country": "PRY", "institution": "Ministry of Justice"}),
        ("nhri", {"institution": str(world.nhri.id)}),
        ("viewer", {}),
    ):
        headers = await credentials(role, **scope)
        refused = await oidc_client.patch(
            f"/v1/recommendations/{world.justice_rec.id}",
            json=patch,
            headers={**headers, "If-Match": '"v2"'},
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "missing_scope"), role
