"""The recommendation filter a list query names (422 on unknown values)."""

from __future__ import annotations

import datetime as dt

from shared.kernel.validation import (
    Problems,
    affected_persons,
    countries,
    institutions,
    mechanism_codes,
    sdg,
    themes,
)
from shared.recommendations.schemas import ITEM_FIELDS, RecommendationFilter, RecommendationQuery


def to_filter(query: RecommendationQuery) -> RecommendationFilter:
    """The filter a query names; one 422 listing every unknown value."""
    problems = Problems("query")
    goals, targets = sdg(query.sdg, "sdg", problems)
    since = query.updated_since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    f = RecommendationFilter(
        countries=countries(query.country, "country", problems),
        recommending_states=countries(query.recommending_state, "recommending_state", problems),
        mechanisms=mechanism_codes(query.mechanism, "mechanism", problems),
        cycles=tuple(dict.fromkeys(query.cycle)),
        sessions=tuple(dict.fromkeys(query.session)),
        documents=tuple(d.strip() for d in query.document if d.strip()),
        positions=tuple(dict.fromkeys(query.position)),
        statuses=tuple(dict.fromkeys(query.status)),
        kinds=tuple(dict.fromkeys(query.kind)),
        themes=themes(query.theme, "theme", problems),
        affected_persons=affected_persons(query.affected_person, "affected_person", problems),
        sdg_goals=goals,
        sdg_targets=targets,
        institutions=institutions(query.institution, "institution", problems),
        q=query.q.strip() if query.q and query.q.strip() else None,
        updated_since=since,
        include_deleted=query.include_deleted and since is not None,
    )
    since_token = getattr(query, "since_token", None)
    if query.include_deleted and since is None and since_token is None:
        problems.add("include_deleted", "include_deleted needs updated_since")
    if since is not None and since_token is not None:
        problems.add(
            "updated_since", "send either updated_since or since_token (which supersedes it)"
        )
    problems.raise_if_any()
    return f


def item_fields(values: list[str]) -> tuple[str, ...]:
    """The item fields a list asks for (``fields=id,ref`` or repeated); 422 naming the
    allowed ones for any other; empty for every field."""
    names = tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))
    unknown = [n for n in names if n not in ITEM_FIELDS]
    if unknown:
        problems = Problems("query")
        problems.add(
            "fields",
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(ITEM_FIELDS)}",
        )
        problems.raise_if_any()
    return names
