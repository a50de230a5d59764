"""Recommendations: search with every filter of the API (shareable URLs, keyset paging)
and a recommendation's page."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, get_origin

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from services.web.pages.common import PAGE_SIZE, NotFoundPage, lang_of, parse_uuid, read_session
from services.web.rendering import query_string, render
from shared import i18n
from shared.action_plans import actions as plan_actions
from shared.action_plans.schemas import ActionFilter
from shared.assessments import service as assessments
from shared.db import Database
from shared.errors import InvalidCursor, InvalidInput, NotFound
from shared.institutions import service as institutions
from shared.programmes import links
from shared.recommendations import service, validation
from shared.recommendations.schemas import RecommendationListQuery, RecommendationQuery
from shared.reference import taxonomies
from shared.reference.countries import countries
from shared.reference.mechanisms import mechanisms

# The API's filters, in the order of the form (include_deleted is for sync clients only).
FILTERS = [name for name in RecommendationQuery.model_fields if name != "include_deleted"]
_REPEATABLE = frozenset(
    name for name, f in RecommendationQuery.model_fields.items() if get_origin(f.annotation) is list
)
INDEPENDENT = ("nhri", "civil_society", "un")
MAX_PAGE = 100


@dataclass(slots=True)
class SearchForm:
    values: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        return (self.values.get(name) or [""])[0]

    def has(self, name: str, value: str) -> bool:
        return value in self.values.get(name, [])

    @property
    def active(self) -> bool:
        return any(self.values.values())


def _one(name: str, values: list[str]) -> dict[str, Any]:
    return {name: values if name in _REPEATABLE else values[0]}


def _bad_values(name: str, values: list[str]) -> list[str]:
    """The values of one filter that the API would refuse (each checked alone)."""
    bad = []
    for value in values:
        try:
            validation.to_filter(RecommendationQuery.model_validate(_one(name, [value])))
        except (ValidationError, InvalidInput):
            bad.append(value)
    return bad


def read_form(request: Request) -> SearchForm:
    params = request.query_params
    form = SearchForm()
    for name in FILTERS:
        values = [v.strip() for v in params.getlist(name) if v.strip()]
        if not values:
            continue
        if name not in _REPEATABLE:
            values = values[-1:]
        form.values[name] = values
        bad = _bad_values(name, values)
        if bad:
            form.errors[name] = bad
    return form


@cache
def options(lang: str) -> dict[str, list[tuple[str, str]]]:
    """The choices of the form's lists, labelled in `lang`."""
    states = sorted(
        ((c.iso3, i18n.country_name(c.iso3, lang)) for c in countries()),
        key=lambda x: x[1].casefold(),
    )
    t = i18n.translator(lang)
    return {
        "country": states,
        "recommending_state": states,
        "mechanism": [(m.code, f"{m.acronym} – {m.name}") for m in mechanisms()],
        "cycle": [(str(n), t("Cycle %(n)s", n=n)) for n in range(1, 6)],
        "theme": [(th.code, f"{th.code} {th.name}") for th in taxonomies.themes()],
        "affected_person": [(p.name, p.name) for p in taxonomies.affected_persons()],
        "sdg": [
            (str(g), t("Goal %(n)s: %(name)s", n=g, name=name))
            for g, name in sorted(taxonomies.sdg_goals().items())
        ],
    }


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else PAGE_SIZE


async def search(request: Request) -> Response:
    lang = lang_of(request)
    form = read_form(request)
    items: list[dict[str, Any]] = []
    next_cursor = None
    cursor = request.query_params.get("cursor") or None
    status_code = 200
    if form.errors:
        status_code = 422
    else:
        values: dict[str, Any] = {}
        for name, vals in form.values.items():
            values.update(_one(name, vals))
        values["limit"] = _limit(request)
        values["cursor"] = cursor
        try:
            query = RecommendationListQuery.model_validate(values)
            f = validation.to_filter(query)
            db: Database = request.app.state.db
            async with db.read_driver() as driver:
                page = await service.list_page(driver, f, cursor=query.cursor, limit=query.limit)
            items = [orjson.loads(item) for item in page.items]
            next_cursor = page.next_cursor
        except (InvalidCursor, ValidationError):
            form.errors["cursor"] = [cursor or ""]
            status_code = 400
    params = [(k, v) for k, v in request.query_params.multi_items() if v.strip()]
    return render(
        request,
        lang,
        "search.html",
        status_code=status_code,
        title=i18n.translator(lang)("Recommendations"),
        form=form,
        options=options(lang),
        items=items,
        next_url=query_string(params, cursor=next_cursor) if next_cursor else None,
        first_url=query_string(params, cursor=None) if cursor else None,
    )


async def detail(request: Request) -> Response:
    lang = lang_of(request)
    rec_id = parse_uuid(str(request.path_params["rec_id"]))
    db: Database = request.app.state.db
    try:
        async with db.read_driver() as driver:
            raw = await service.get_item(driver, str(rec_id))
        async with read_session(request) as session:
            updates = await service.list_updates(session, rec_id)
            positions = await service.position_history(session, rec_id)
            owners = await institutions.owners(session, rec_id)
            actions = await plan_actions.list_actions(
                session, ActionFilter(recommendation_id=rec_id), cursor=None, limit=50
            )
            linked = await links.programmes_of_recommendation(
                session, rec_id, cursor=None, limit=50
            )
            assessed = await assessments.list_assessments(
                session, recommendation_id=rec_id, limit=100
            )
    except NotFound:
        raise NotFoundPage(str(rec_id)) from None
    rec = orjson.loads(raw.json)
    government = [u for u in updates if u.source == "government"]
    independent = [u for u in updates if u.source in INDEPENDENT]
    history: list[dict[str, Any]] = [
        {"at": p.changed_at, "kind": "position", "value": p.position, "source": p.source_symbol}
        for p in positions
    ] + [
        {"at": u.created_at, "kind": "status", "value": u.status, "source": u.source}
        for u in updates
    ]
    history.sort(key=lambda h: h["at"], reverse=True)
    return render(
        request,
        lang,
        "recommendation.html",
        title=rec["ref"],
        rec=rec,
        government=government,
        independent=independent,
        assessments=assessed.items,
        positions=positions,
        owners=owners,
        actions=actions.items,
        programmes=linked.items,
        history=history,
    )
