"""What the authorization matrix needs: one real object of every writable kind, owned by
Paraguay; a plausible request for every write operation; a snapshot of the database.

The objects are created over HTTP with keys limited to Paraguay, so they are exactly what
a client would have made. A refused request must be refused by the authorization check,
not by a 404 or a 422: the positive control (the same request with the right key for
Paraguay) shows that the request would have passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.institutions.world import World

HOME, OTHER = "PRY", "URY"
# The right keys may also write Argentina: a State has one national mechanism, and
# Paraguay's is already made, so the matrix creates Argentina's.
HOMES = (HOME, "ARG")
FUTURE = str(dt.date.today() + dt.timedelta(days=400))

WRITE_METHODS = ("post", "put", "patch", "delete")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Scope needed by the operations under each first path segment after /v1.
SCOPE_BY_SEGMENT = {
    "recommendations": "recommendations:write",
    "institutions": "recommendations:write",
    "national-mechanisms": "recommendations:write",
    "action-plans": "recommendations:write",
    "cooperation": "recommendations:write",
    # Manual deadlines need the scope of their subject; the matrix's deadline is about a
    # recommendation.
    "deadlines": "recommendations:write",
    "programmes": "programmes:write",
    "mandates": "mandates:write",
    "subscriptions": "subscriptions:write",
    "ingestion": "admin",
    "reports": "recommendations:write",
    # Admins manage people (coordinators too, for their State: a role, not a key scope).
    "users": "admin",
    "personal-data": "admin",
    # Progress reports: keys that write recommendations, or focal points and coordinators
    # (checked on the report's item).
    "progress-reports": "recommendations:write",
    # Assessments: NHRI and civil-society members for their organisation; with a key,
    # admins only (the UN's assessments).
    "assessments": "admin",
}
# Operations whose scope differs from their segment's.
SCOPE_BY_OPERATION = {
    "DELETE /v1/recommendations/{rec_id}": "admin",
}
# Operations on data of no country, or on people (whom API keys manage only with an admin
# key for every country; coordinators manage their State's by signing in): a key limited
# to countries may not run them, whatever its scope.
GLOBAL_OPERATIONS = {
    "POST /v1/ingestion/runs",
    "POST /v1/personal-data/erasures",
    "POST /v1/users",
    "PATCH /v1/users/{user_id}",
    "POST /v1/users/{user_id}/memberships",
    "DELETE /v1/users/{user_id}/memberships/{membership_id}",
}
# Operations anyone may call by design (none yet; a sign-in or token exchange would be).
# Each entry needs its reason.
PUBLIC_BY_DESIGN: dict[str, str] = {}
# What a role may do by design on data that is not its own, with the reason.
ROLE_ALLOWED = {
    # Coordinators register a person (issuer and subject) before granting them a role in
    # their own State; a registration carries no role.
    ("coordinator", "POST /v1/users"): "registration before a grant in the own State",
}
# Uruguay's institutions, for the roles the matrix signs in with.
OTHER_INSTITUTION = "Ministerio de Educación y Cultura"
OTHER_NHRI = "Institución Nacional de Derechos Humanos"
OTHER_CSO = "Servicio Paz y Justicia"

# Subscriptions belong to the key that made them: another key of the same scope gets 404
# (their ids are not disclosed to other keys), as the subscriptions router documents.
OWNER_SCOPED = {
    "PATCH /v1/subscriptions/{subscription_id}",
    "DELETE /v1/subscriptions/{subscription_id}",
    "POST /v1/subscriptions/{subscription_id}/ping",
}

# The id that fills a path parameter, by the path segment just before it.
PARAMETER_OBJECTS = {
    "recommendations": "recommendation",
    "mandates": "mandate",
    "programmes": "programme",
    "indicators": "indicator",
    "milestones": "milestone",
    "evaluations": "evaluation",
    "institutions": "institution",
    "national-mechanisms": "national_mechanism",
    "action-plans": "plan",
    "actions": "action",
    "offers": "offer",
    "deadlines": "deadline",
    "subscriptions": "subscription",
    "reports": "report",
    "users": "user",
    "memberships": "membership",
    "progress-reports": "progress_report",
    "assessments": "assessment",
}
# Where an operation needs another object than its path segment names: a report under
# review can be validated or returned, a draft edited or submitted.
PARAMETER_BY_OPERATION = {
    "POST /v1/progress-reports/{report_id}/validate": "submitted_report",
    "POST /v1/progress-reports/{report_id}/return": "submitted_report",
}


@dataclass
class Seeded:
    """Paraguay's objects (kind -> id) and the keys that made them (scope -> headers)."""

    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    linked_recommendation: str = ""
    workbook: bytes = b""


@dataclass(frozen=True)
class Request:
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)


Body = Callable[[Seeded], Request]


def operation_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def required_scope(method: str, path: str) -> str | None:
    key = operation_key(method, path)
    if key in SCOPE_BY_OPERATION:
        return SCOPE_BY_OPERATION[key]
    return SCOPE_BY_SEGMENT.get(path.split("/")[2])


def concrete_path(path: str, seeded: Seeded, method: str = "") -> str:
    """The path with real ids of Paraguay's objects; KeyError names an unknown parameter."""
    parts = path.split("/")
    out = []
    for i, part in enumerate(parts):
        if part.startswith("{"):
            kind = PARAMETER_OBJECTS[parts[i - 1]]
            if i == len(parts) - 2:
                kind = PARAMETER_BY_OPERATION.get(operation_key(method, path), kind)
            if kind == "recommendation" and parts[1:3] == ["v1", "programmes"]:
                out.append(seeded.linked_recommendation)
            else:
                out.append(seeded.ids[kind])
        else:
            out.append(part)
    return "/".join(out)


def _j(body: dict[str, Any] | None) -> Body:
    return lambda s: Request(json=body)


def mandate_body() -> dict[str, Any]:
    return {
        "type": "human_rights_adviser",
        "title": "Human Rights Adviser in Paraguay",
        "country": HOME,
        "legal_basis": {"kind": "host_country_agreement", "reference": "Letters 2010"},
        "start_date": "2010-01-01",
        "end_date": FUTURE,
    }


def programme_body(seeded: Seeded | None = None) -> dict[str, Any]:
    return {
        "title": "Access to justice",
        "country": HOME,
        "start_date": "2024-01-01",
        "end_date": FUTURE,
    }


# A plausible request for every write operation with a body (by "METHOD /path").
BODIES: dict[str, Body] = {
    "PATCH /v1/recommendations/{rec_id}": _j({"themes": ["A12", "D51"]}),
    "POST /v1/recommendations/{rec_id}/tags": _j({"add": {"themes": ["D51"]}}),
    "POST /v1/recommendations/import.xlsx": lambda s: Request(
        content=s.workbook, content_type=XLSX
    ),
    "POST /v1/reports": _j({"kind": "upr_midterm", "country": HOME, "cycle": 3}),
    "POST /v1/progress-reports": lambda s: Request(
        json={
            "recommendation_id": s.ids["recommendation"],
            "status": "in_progress",
            "narrative": "The bill passed its first reading.",
        }
    ),
    "PATCH /v1/progress-reports/{report_id}": _j({"narrative": "The bill passed."}),
    "POST /v1/progress-reports/{report_id}/submit": _j(None),
    "POST /v1/progress-reports/{report_id}/validate": _j({"comment": "Confirmed."}),
    "POST /v1/progress-reports/{report_id}/return": _j({"comment": "Add the bill's number."}),
    "POST /v1/assessments": lambda s: Request(json=assessment_body(s)),
    "PATCH /v1/assessments/{assessment_id}": _j({"narrative": "Progress confirmed."}),
    "POST /v1/personal-data/erasures": _j({"email": "unit@example.org"}),
    "POST /v1/users": _j({"issuer": "https://id.example.org", "subject": "new-person"}),
    "PATCH /v1/users/{user_id}": _j({"active": False}),
    "POST /v1/users/{user_id}/memberships": _j({"role": "coordinator", "country": HOME}),
    "POST /v1/recommendations/{rec_id}/updates": _j(
        {"status": "in_progress", "narrative": "Bill tabled", "source": "government"}
    ),
    "PUT /v1/recommendations/{rec_id}/institutions": lambda s: Request(
        json={"institution_ids": [s.ids["institution"]]}
    ),
    "POST /v1/mandates": _j(mandate_body()),
    "PATCH /v1/mandates/{mandate_id}": _j({"title": "Adviser to the UN Country Team"}),
    "POST /v1/mandates/{mandate_id}/renewals": _j(
        {"new_end": str(dt.date.today() + dt.timedelta(days=800))}
    ),
    "POST /v1/programmes": _j(programme_body()),
    "PATCH /v1/programmes/{programme_id}": _j({"title": "Access to justice, phase 2"}),
    "POST /v1/programmes/{programme_id}/recommendations": lambda s: Request(
        json={"recommendation_id": s.ids["recommendation"], "note": "core"}
    ),
    "POST /v1/programmes/{programme_id}/indicators": _j(
        {"name": "Cases heard", "unit": "cases", "frequency": "annual"}
    ),
    "POST /v1/programmes/{programme_id}/indicators/{indicator_id}/measurements": _j(
        {"measured_on": "2025-01-01", "value": 12}
    ),
    "POST /v1/programmes/{programme_id}/milestones": _j(
        {"title": "Baseline study", "due_date": "2025-06-30"}
    ),
    "PATCH /v1/programmes/{programme_id}/milestones/{milestone_id}": _j(
        {"achieved_on": "2025-06-01"}
    ),
    "POST /v1/programmes/{programme_id}/evaluations": _j(
        {"date": "2025-03-01", "kind": "mid_term", "findings": "On track"}
    ),
    "PATCH /v1/programmes/{programme_id}/evaluations/{evaluation_id}": _j(
        {"findings": "Slightly late"}
    ),
    "POST /v1/institutions": _j({"country": HOME, "name": "Senate", "kind": "parliament"}),
    "POST /v1/institutions/import": lambda s: Request(
        content=b"name,kind\nChamber of Deputies,parliament\n",
        content_type="text/csv",
        params={"country": HOME},
    ),
    "PATCH /v1/institutions/{ident}": _j({"acronym": "MJT"}),
    "POST /v1/national-mechanisms": lambda s: Request(
        json={"country": "ARG", "name": "Consejo Federal de Derechos Humanos"}
    ),
    "PATCH /v1/national-mechanisms/{ident}": _j({"legal_basis": "Decree 2290/2019"}),
    "POST /v1/action-plans": _j({"country": HOME, "title": "Plan 2026"}),
    "PATCH /v1/action-plans/{plan_id}": _j({"title": "Plan 2025-2030"}),
    "POST /v1/action-plans/{plan_id}/actions": lambda s: Request(
        json={"description": "Train judges", "recommendation_ids": [s.ids["recommendation"]]}
    ),
    "POST /v1/action-plans/{plan_id}/actions/import": lambda s: Request(
        content=b"description,status\nPublish the plan,planned\n", content_type="text/csv"
    ),
    "PATCH /v1/action-plans/{plan_id}/actions/{action_id}": _j({"description": "Train judges"}),
    "POST /v1/action-plans/{plan_id}/actions/{action_id}/updates": _j(
        {"status": "ongoing", "narrative": "First course held"}
    ),
    "POST /v1/cooperation/offers": _j(
        {"offered_by_state": HOME, "title": "Exchange on prison monitoring", "countries": [OTHER]}
    ),
    "PATCH /v1/cooperation/offers/{ident}": _j({"description": "Two visits"}),
    "POST /v1/deadlines": lambda s: Request(json=deadline_body(s)),
    "PATCH /v1/deadlines/{deadline_id}": _j({"status": "met"}),
    "POST /v1/ingestion/runs": _j({"sources": []}),
    "POST /v1/subscriptions": _j(
        {"channel": "email", "address": "desk@example.org", "countries": [HOME]}
    ),
    "PATCH /v1/subscriptions/{subscription_id}": _j({"lead_days": [7]}),
}


def assessment_body(seeded: Seeded) -> dict[str, Any]:
    return {
        "recommendation_id": seeded.ids["recommendation"],
        "status": "in_progress",
        "narrative": "The office observed the first hearings.",
        "source": "un",
        "organisation": "OHCHR",
    }


def deadline_body(seeded: Seeded) -> dict[str, Any]:
    return {
        "due_date": FUTURE,
        "subject_type": "recommendation",
        "subject_id": seeded.ids["recommendation"],
        "country": HOME,
        "title": "Report on the bill",
    }


async def _created(response: httpx.Response) -> str:
    assert response.status_code in (200, 201, 202), response.text
    return str(response.json()["id"])


async def seed(client: httpx.AsyncClient, world: World, keys: dict[str, dict[str, str]]) -> Seeded:
    """Paraguay's objects of every kind, made over HTTP by keys limited to Paraguay."""
    seeded = Seeded(keys=keys)
    rec = str(world.recs["torture"].id)
    seeded.ids["recommendation"] = rec
    seeded.linked_recommendation = str(world.recs["education"].id)
    recs, progs = keys["recommendations:write"], keys["programmes:write"]
    ids = seeded.ids
    ids["institution"] = await _created(
        await client.post(
            "/v1/institutions",
            json={"country": HOME, "name": "Ministry of Justice", "kind": "ministry"},
            headers=recs,
        )
    )
    ids["national_mechanism"] = await _created(
        await client.post(
            "/v1/national-mechanisms", json={"country": HOME, "name": "SIMORE"}, headers=recs
        )
    )
    ids["plan"] = await _created(
        await client.post(
            "/v1/action-plans", json={"country": HOME, "title": "Plan 2025"}, headers=recs
        )
    )
    ids["action"] = await _created(
        await client.post(
            f"/v1/action-plans/{ids['plan']}/actions",
            json={"description": "Designate the NPM", "recommendation_ids": [rec]},
            headers=recs,
        )
    )
    ids["offer"] = await _created(
        await client.post(
            "/v1/cooperation/offers",
            json={"offered_by_state": HOME, "title": "Exchange on NPMs"},
            headers=recs,
        )
    )
    ids["deadline"] = await _created(
        await client.post("/v1/deadlines", json=deadline_body(seeded), headers=recs)
    )
    ids["mandate"] = await _created(
        await client.post("/v1/mandates", json=mandate_body(), headers=keys["mandates:write"])
    )
    ids["programme"] = await _created(
        await client.post("/v1/programmes", json=programme_body(), headers=progs)
    )
    base = f"/v1/programmes/{ids['programme']}"
    linked = await client.post(
        f"{base}/recommendations",
        json={"recommendation_id": seeded.linked_recommendation},
        headers=progs,
    )
    assert linked.status_code in (200, 201), linked.text
    ids["indicator"] = await _created(
        await client.post(
            f"{base}/indicators",
            json={"name": "Visits", "unit": "visits", "frequency": "annual"},
            headers=progs,
        )
    )
    ids["milestone"] = await _created(
        await client.post(
            f"{base}/milestones", json={"title": "Launch", "due_date": FUTURE}, headers=progs
        )
    )
    ids["evaluation"] = await _created(
        await client.post(
            f"{base}/evaluations", json={"date": "2025-01-10", "kind": "mid_term"}, headers=progs
        )
    )
    ids["subscription"] = await _created(
        await client.post(
            "/v1/subscriptions",
            json={"channel": "email", "address": "unit@example.org", "countries": [HOME]},
            headers=keys["subscriptions:write"],
        )
    )
    ids["report"] = await _created(
        await client.post(
            "/v1/reports", json={"kind": "upr_midterm", "country": HOME, "cycle": 3}, headers=recs
        )
    )
    admin = keys["admin"]
    ids["user"] = await _created(
        await client.post(
            "/v1/users", json={"issuer": "https://id.example.org", "subject": "p1"}, headers=admin
        )
    )
    ids["membership"] = await _created(
        await client.post(
            f"/v1/users/{ids['user']}/memberships",
            json={"role": "coordinator", "country": HOME},
            headers=admin,
        )
    )
    seeded.workbook = await _edited_workbook(client)
    made = await client.post("/v1/assessments", json=assessment_body(seeded), headers=admin)
    ids["assessment"] = await _created(made)
    draft = {"recommendation_id": rec, "status": "in_progress", "narrative": "Drafted."}
    for kind in ("progress_report", "submitted_report"):
        ids[kind] = await _created(
            await client.post("/v1/progress-reports", json=draft, headers=recs)
        )
    submitted = await client.post(
        f"/v1/progress-reports/{ids['submitted_report']}/submit", headers=recs
    )
    assert submitted.status_code == 200, submitted.text
    for name, kind in (
        (OTHER_INSTITUTION, "ministry"),
        (OTHER_NHRI, "nhri"),
        (OTHER_CSO, "civil_society"),
    ):
        await _created(
            await client.post(
                "/v1/institutions",
                json={"country": OTHER, "name": name, "kind": kind},
                headers=admin,
            )
        )
    return seeded


async def _edited_workbook(client: httpx.AsyncClient) -> bytes:
    """Paraguay's export with one narrative changed: an import that writes one update."""
    response = await client.get("/v1/recommendations/export.xlsx", params={"country": HOME})
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    column = [c.value for c in sheet[1]].index("narrative") + 1
    sheet.cell(2, column).value = "Edited in the spreadsheet."
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Tables a refused request may not change: every table but the keys (the matrix makes
# keys) and Alembic's bookkeeping.
IGNORED_TABLES = {"api_keys", "alembic_version"}


def _digest_of(table: str) -> str:
    # Table names come from the catalogue, not from input.
    rows = "md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"
    return f"SELECT '{table}', count(*), {rows} FROM public.\"{table}\" r"  # noqa: S608


async def snapshot(conn: AsyncConnection) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the rows' text of every domain table, computed by SQL."""
    tables = (
        await conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        )
    ).scalars()
    parts = [_digest_of(t) for t in tables if t not in IGNORED_TABLES]
    rows = (await conn.execute(text(" UNION ALL ".join(parts)))).all()
    return {name: (count, digest) for name, count, digest in rows}


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def fingerprint(state: dict[str, tuple[int, str]]) -> str:
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()[:12]
