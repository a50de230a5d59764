"""What a report shows, assembled from the repository's rows: clusters of recommendations,
each with its latest status, actions and assessments, and the summary counts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from shared.i18n.vocabulary import N_
from shared.kernel.shapes import record_of
from shared.reference.taxonomies import themes as uhri_themes

# UHRI theme groups in report order. G (groups of persons) and H (persons at risk) carry no
# group of their own in the taxonomy: they read as "Specific persons or groups" (F).
THEME_GROUPS: dict[str, str] = {
    "A": N_("General framework of implementation"),
    "B": N_("Universal or cross-cutting issues"),
    "D": N_("Civil & political rights"),
    "E": N_("Economic, social and cultural rights"),
    "F": N_("Specific persons or groups"),
}
OTHER_THEMES = N_("Other themes")
NOT_IN_PLAN = N_("Not covered by the action plan")


@cache
def _group_of_code() -> dict[str, str]:
    groups: dict[str, str] = {}
    for theme in uhri_themes():
        group = theme.group_code or theme.code[:1]
        groups[theme.code] = "F" if group in ("G", "H") else group
    return groups


def theme_cluster(themes: Sequence[str]) -> str:
    """The cluster of a recommendation: the group of its first coded UHRI theme."""
    groups = _group_of_code()
    for theme in themes:
        group = groups.get(theme)
        if group in THEME_GROUPS:
            return group
    return "other"


@dataclass(frozen=True, slots=True)
class Progress:
    status: str
    narrative: str
    evidence_links: list[str]
    reported_on: dt.date
    author: str | None
    source: str
    # Who speaks: the NHRI or civil-society organisation of an assessment.
    organisation: str | None = None


@dataclass(slots=True)
class Item:
    id: uuid.UUID
    ref: str
    paragraph: str
    document_symbol: str
    text: str
    position: str
    status: str
    themes: list[str]
    institutions: list[str]
    recommending_states: list[str] = field(default_factory=list)
    progress: Progress | None = None
    actions: list[str] = field(default_factory=list)
    assessments: list[Progress] = field(default_factory=list)
    due_date: dt.date | None = None


@dataclass(slots=True)
class Cluster:
    key: str
    # A message id to translate (theme groups), or the State's own words (action plans).
    title: str
    translate: bool
    items: list[Item] = field(default_factory=list)

    def positions(self) -> Counter[str]:
        return Counter(i.position for i in self.items)

    def statuses(self) -> Counter[str]:
        return Counter(i.status for i in self.items)


@dataclass(slots=True)
class ReportData:
    kind: str
    country: str
    country_name: str
    mechanism: str
    cycle: int | None
    language: str
    generated_on: dt.date
    clusters: list[Cluster]
    due_date: dt.date | None = None

    @property
    def items(self) -> list[Item]:
        return [i for c in self.clusters for i in c.items]


def items_from_rows(
    rows: Sequence[Any],
    states: Sequence[Any],
    latest: Sequence[Any],
    assessments: Sequence[Any],
    actions: Sequence[Any],
) -> list[Item]:
    items = {r.id: record_of(Item, r) for r in rows}
    for s in states:
        items[s.recommendation_id].recommending_states.append(s.name)
    for u in latest:
        item = items[u.recommendation_id]
        item.progress = record_of(Progress, u)
        # The government's latest word is the status the report states.
        item.status = u.status
    for a in assessments:
        items[a.recommendation_id].assessments.append(
            record_of(Progress, a, organisation=a.organisation or None)
        )
    for a in actions:
        due = f" ({a.due_date.isoformat()})" if a.due_date else ""
        items[a.recommendation_id].actions.append(f"{a.description}{due} — {a.plan_title}")
    return list(items.values())


def by_theme(items: Sequence[Item]) -> list[Cluster]:
    clusters = {key: Cluster(key, title, True) for key, title in THEME_GROUPS.items()}
    clusters["other"] = Cluster("other", OTHER_THEMES, True)
    for item in items:
        clusters[theme_cluster(item.themes)].items.append(item)
    return [c for c in clusters.values() if c.items]


def by_plan(items: Sequence[Item], plan_actions: Sequence[Any]) -> list[Cluster]:
    """One cluster per action of the plan, in plan order; a recommendation several actions
    cover sits under the first (its other actions are listed on it)."""
    clusters = [Cluster(str(a.id), a.description, False) for a in plan_actions]
    cluster_of: dict[uuid.UUID, Cluster] = {}
    for cluster, action in zip(clusters, plan_actions, strict=True):
        for rec_id in action.recommendations:
            cluster_of.setdefault(rec_id, cluster)
    rest = Cluster("none", NOT_IN_PLAN, True)
    for item in items:
        cluster_of.get(item.id, rest).items.append(item)
    return [c for c in [*clusters, rest] if c.items]
