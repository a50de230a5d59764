"""A seeded database for the fuzzer: the shared UPR documents ingested by the CLI (the
same code path as production ingestion), then mandates, programmes, action plans and
their parts generated over HTTP, so that generated requests meet real rows."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.data import UPR_DATA

COUNTRIES = ["PRY", "URY", "SVN", "EGY", "CHN", "BRA", "KEN", "FJI"]
# The fast run ingests one country's whole UPR history (WG reports, Add.1 views, outcome
# decisions, thematic lists) and a few plain-text reports; the nightly run everything.
FAST_DOCUMENTS = [
    "reports/slovenia",
    "matrices/slovenia_UPR34_2019_thematic_list.docx",
    "reports/pdf/uruguay2014.pdf",
    "reports/pdf/egypt2014.pdf",
]


def documents(full: bool) -> list[Path]:
    if full:
        return [UPR_DATA]
    return [UPR_DATA / name for name in FAST_DOCUMENTS]


def ingest(followup: Path, env: dict[str, str], cwd: Path, targets: list[Path]) -> str:
    """Ingest with the CLI; a document the parser refuses (some plain-text reports carry
    no document symbol) is reported, not fatal."""
    done = subprocess.run(
        [str(followup), "ingest", "--quiet", *map(str, targets)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert "Ingestion summary" in done.stdout, done.stdout + done.stderr
    return done.stdout


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), f"{response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def generate(url: str, admin_key: str, rng: random.Random, per_country: int) -> dict[str, int]:
    """Mandates, programmes with indicators, milestones and evaluations, institutions,
    national mechanisms, action plans with actions, offers and subscriptions."""
    counts: dict[str, int] = {}

    def count(kind: str) -> None:
        counts[kind] = counts.get(kind, 0) + 1

    today = dt.date.today()
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        recs = client.get("/v1/recommendations", params={"limit": 200}).json()["items"]
        rec_ids = [r["id"] for r in recs]
        assert rec_ids, "the ingestion gave no recommendations"
        for country in COUNTRIES:
            institution = _created(
                client.post(
                    "/v1/institutions",
                    json={"country": country, "name": f"Ministry of Justice of {country}"},
                )
            )
            count("institutions")
            _created(
                client.post(
                    "/v1/national-mechanisms",
                    json={
                        "country": country,
                        "name": f"National mechanism of {country}",
                        "member_institution_ids": [institution["id"]],
                    },
                )
            )
            count("national mechanisms")
            for i in range(per_country):
                start = today - dt.timedelta(days=rng.randrange(30, 2000))
                end = today + dt.timedelta(days=rng.randrange(-200, 1500))
                end = max(end, start + dt.timedelta(days=1))
                mandate = _created(
                    client.post(
                        "/v1/mandates",
                        json={
                            "type": rng.choice(["human_rights_adviser", "country_office"]),
                            "title": f"Presence {i} in {country}",
                            "country": country,
                            "legal_basis": {"kind": "host_country_agreement", "reference": "MoU"},
                            "start_date": str(start),
                            "end_date": str(end),
                        },
                    )
                )
                count("mandates")
                programme = _created(
                    client.post(
                        "/v1/programmes",
                        json={
                            "title": f"Programme {i} in {country}",
                            "country": country,
                            "mandate_id": mandate["id"],
                            "start_date": str(start),
                            "end_date": str(end),
                            "budget": str(rng.randrange(1000, 10**7)),
                            "currency": "USD",
                        },
                    )
                )
                count("programmes")
                base = f"/v1/programmes/{programme['id']}"
                indicator = _created(
                    client.post(
                        f"{base}/indicators",
                        json={"name": "People trained", "unit": "people", "frequency": "annual"},
                    )
                )
                _created(
                    client.post(
                        f"{base}/indicators/{indicator['id']}/measurements",
                        json={"measured_on": str(start), "value": rng.randrange(0, 500)},
                    )
                )
                _created(
                    client.post(
                        f"{base}/milestones", json={"title": "Launch", "due_date": str(end)}
                    )
                )
                _created(
                    client.post(f"{base}/evaluations", json={"date": str(start), "kind": "final"})
                )
                count("programme parts")
                plan = _created(
                    client.post("/v1/action-plans", json={"country": country, "title": f"Plan {i}"})
                )
                count("action plans")
                own = [r for r in recs if r.get("country") == country][:3]
                _created(
                    client.post(
                        f"/v1/action-plans/{plan['id']}/actions",
                        json={
                            "description": f"Action {i}",
                            "institution_ids": [institution["id"]],
                            "recommendation_ids": [r["id"] for r in own],
                        },
                    )
                )
                count("actions")
            _created(
                client.post(
                    "/v1/cooperation/offers",
                    json={
                        "offered_by_state": country,
                        "title": f"Exchange offered by {country}",
                        "recommendation_ids": rng.sample(rec_ids, min(2, len(rec_ids))),
                    },
                )
            )
            count("offers")
            _created(
                client.post(
                    "/v1/subscriptions",
                    json={
                        "channel": "email",
                        "address": "desk@example.org",
                        "countries": [country],
                    },
                )
            )
            count("subscriptions")
    return counts
