"""Deadlines: derivation rules, idempotent recomputation, the API and the iCalendar feed."""

from __future__ import annotations

import datetime as dt

import httpx
from icalendar import Calendar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deadlines import rules, service
from shared.deadlines.models import Deadline
from shared.recommendations.models import Recommendation
from tests.conftest import KeyFactory
from tests.deadline_rows import country_deadline
from tests.recommendations import factory


async def _deadlines(session: AsyncSession, subject_id: str) -> dict[str, Deadline]:
    rows = (
        (await session.execute(select(Deadline).where(Deadline.subject_id == subject_id)))
        .scalars()
        .all()
    )
    return {r.rule or r.kind: r for r in rows}


def test_add_months_clamps_the_day() -> None:
    assert rules.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert rules.add_months(dt.date(2023, 11, 15), 54) == dt.date(2028, 5, 15)


async def test_wg_report_derives_deadlines_idempotently(session: AsyncSession) -> None:
    doc = await factory.document(session, "A/HRC/99/1", "PRY", dt.date(2030, 1, 10))
    rec = await factory.recommendation(session, doc, "100.1", "Ratify", position="pending")
    await factory.recommendation(session, doc, "100.2", "Adopt", position="supported")
    doc_id, rec_id = doc.id, rec.id

    changed = await service.recompute_for_document(session, doc.id)
    assert len(changed) == 3
    by_rule = await _deadlines(session, str(doc.id))
    hrc = by_rule[rules.HRC_RESPONSE]
    assert hrc.due_date == dt.date(2030, 4, 10)
    assert (hrc.status, hrc.origin, hrc.country) == ("open", "derived", "PRY")
    # No Add.1 known: adoption = report date + 4 months; mid-term 2 years after it.
    assert by_rule[rules.MIDTERM_REPORT].due_date == dt.date(2032, 5, 10)
    next_review = (await _deadlines(session, "PRY"))[rules.NEXT_REVIEW]
    assert next_review.due_date == dt.date(2034, 7, 10)

    # Recomputing changes nothing.
    versions = {r.id: r.version for r in (await session.execute(select(Deadline))).scalars()}
    assert await service.recompute_for_document(session, doc.id) == []
    session.expire_all()
    after = {r.id: r.version for r in (await session.execute(select(Deadline))).scalars()}
    assert after == versions

    # The pending recommendation gets a position (Add.1): the response deadline is met,
    # and the Add.1 date now dates the adoption.
    await session.execute(
        update(Recommendation).where(Recommendation.id == rec_id).values(position="supported")
    )
    add1 = await factory.document(
        session, "A/HRC/99/1/Add.1", "PRY", dt.date(2030, 3, 1), kind="add1_views"
    )
    add1.report_symbol = "A/HRC/99/1"
    await session.flush()
    assert await service.recompute_for_document(session, add1.id)
    session.expire_all()
    by_rule = await _deadlines(session, str(doc_id))
    assert by_rule[rules.HRC_RESPONSE].status == "met"
    assert by_rule[rules.HRC_RESPONSE].met_at is not None
    assert by_rule[rules.MIDTERM_REPORT].due_date == dt.date(2032, 3, 1)


async def test_treaty_followup_two_years_for_cedaw(session: AsyncSession) -> None:
    co = await factory.document(
        session,
        "CEDAW/C/PRY/CO/9",
        "PRY",
        dt.date(2031, 2, 1),
        kind="concluding_observations",
        mechanism="CEDAW",
    )
    await service.recompute_for_document(session, co.id)
    assert (await _deadlines(session, str(co.id)))[rules.TREATY_FOLLOWUP].due_date == dt.date(
        2033, 2, 1
    )
    crc = await factory.document(
        session,
        "CRC/C/PRY/CO/7",
        "PRY",
        dt.date(2031, 2, 1),
        kind="concluding_observations",
        mechanism="CRC",
    )
    await service.recompute_for_document(session, crc.id)
    assert (await _deadlines(session, str(crc.id)))[rules.TREATY_FOLLOWUP].due_date == dt.date(
        2032, 2, 1
    )


async def test_manual_deadline_api(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    body = {
        "kind": "other",
        "due_date": "2031-05-01",
        "subject_type": "country",
        "subject_id": "URY",
        "title": "National action plan review",
    }
    pry = await api_keys.headers("recommendations:write", countries=["PRY"])
    assert (await client.post("/v1/deadlines", json=body, headers=pry)).status_code == 403
    assert (await client.post("/v1/deadlines", json=body)).status_code == 401
    headers = await api_keys.headers("recommendations:write", countries=["URY"])
    created = await client.post("/v1/deadlines", json=body, headers=headers)
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["origin"], item["country"], item["status"]) == ("manual", "URY", "open")
    etag = created.headers["ETag"]

    # A deadline about Paraguay's document, named as Uruguay's: the subject decides.
    pry_doc = await factory.document(session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1), cycle=3)
    await session.commit()
    named = {**body, "subject_type": "document", "subject_id": str(pry_doc.id), "country": "URY"}
    refused = await client.post("/v1/deadlines", json=named, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "country_not_allowed")

    page = await client.get("/v1/deadlines", params={"country": "URY", "kind": "other"})
    assert [i["id"] for i in page.json()["items"]] == [item["id"]]
    none = await client.get("/v1/deadlines", params={"country": "URY", "due_before": "2031-05-01"})
    assert none.json()["items"] == []
    bad = await client.get("/v1/deadlines", params={"country": "XXX", "status": "late"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"

    url = f"/v1/deadlines/{item['id']}"
    assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 304
    assert (await client.patch(url, json={"status": "met"}, headers=headers)).status_code == 428
    met = await client.patch(url, json={"status": "met"}, headers={**headers, "If-Match": etag})
    assert met.status_code == 200, met.text
    assert met.json()["status"] == "met"
    assert met.json()["met_at"]
    stale = await client.patch(url, json={"title": "x"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412

    # A derived deadline keeps its rule's date.
    doc = await factory.document(session, "A/HRC/98/2", "URY", dt.date(2030, 6, 1))
    await service.recompute_for_document(session, doc.id)
    await session.commit()
    derived = (await client.get("/v1/deadlines", params={"subject_id": str(doc.id)})).json()
    first = derived["items"][0]
    moved = await client.patch(
        f"/v1/deadlines/{first['id']}",
        json={"due_date": "2040-01-01"},
        headers={**headers, "If-Match": f'"v{first["version"]}"'},
    )
    assert moved.status_code == 422
    assert moved.json()["code"] == "derived_deadline"


async def test_pagination_is_keyset(client: httpx.AsyncClient, session: AsyncSession) -> None:
    for i in range(5):
        session.add(
            country_deadline(dt.date(2035, 1, 1 + i % 2), f"d{i}", country="CHL", kind="other")
        )
    await session.commit()
    seen: list[str] = []
    url: str | None = "/v1/deadlines?country=CHL&limit=2"
    while url:
        response = await client.get(url)
        seen += [i["id"] for i in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        url = f"/v1/deadlines?country=CHL&limit=2&cursor={cursor}" if cursor else None
    assert len(seen) == len(set(seen)) == 5
    assert (await client.get("/v1/deadlines?cursor=garbage")).status_code == 400


async def test_calendar_feed_parses_with_stable_uids(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    doc = await factory.document(session, "A/HRC/97/3", "BOL", dt.date(2030, 6, 1))
    await factory.recommendation(session, doc, "90.1", "Ratify", position="pending")
    await service.recompute_for_document(session, doc.id)
    await session.commit()

    first = await client.get("/v1/calendar/bol.ics")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(first.content)
    events = cal.walk("VEVENT")
    assert len(events) == 3
    uids = {str(e["UID"]) for e in events}
    ids = {str(d.id) for d in (await session.execute(select(Deadline))).scalars()}
    assert {u.removesuffix("@followup") for u in uids} <= ids
    assert all(isinstance(e.decoded("DTSTART"), dt.date) for e in events)
    second = Calendar.from_ical((await client.get("/v1/calendar/BOL.ics")).content)
    assert {str(e["UID"]) for e in second.walk("VEVENT")} == uids
    assert (await client.get("/v1/calendar/XXX.ics")).status_code == 404
