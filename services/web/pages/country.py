"""A State: its recommendations by position and status, by cycle, theme and SDG goal,
over time; programme coverage, mandates and their funding gap; national mechanism,
action plans and deadlines. Every chart has its table and a CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.web.charts import POSITION_COLORS, STATUS_COLORS, Chart, Series
from services.web.pages.common import NotFoundPage, each_read, lang_of, settings_of
from services.web.rendering import render
from shared import i18n
from shared.action_plans import service as plans
from shared.deadlines import service as deadlines
from shared.deadlines.schemas import DeadlineFilter
from shared.institutions import national_mechanisms
from shared.mandates import service as mandates
from shared.mandates.schemas import MandateFilter
from shared.portal import service as portal
from shared.programmes import service as programmes
from shared.programmes.schemas import ProgrammeFilter
from shared.recommendations import stats
from shared.recommendations.models import POSITIONS, STATUSES
from shared.reference import taxonomies
from shared.reference.countries import by_iso3
from shared.stats.coverage import coverage

TOP_TAGS = 12
MONTHS = 36


@cache
def _theme_names() -> dict[str, str]:
    return {t.code: t.name for t in taxonomies.themes()}


def theme_label(value: str) -> str:
    name = _theme_names().get(value)
    return f"{value} {name}" if name else value


def goal_label(goal: int | str, t: i18n.Translator) -> str:
    short = taxonomies.sdg_goals().get(int(goal), "")
    return t("Goal %(n)s: %(name)s", n=goal, name=short) if short else t("Goal %(n)s", n=goal)


@dataclass(slots=True)
class CountryData:
    iso3: str
    cycle: int | None
    progress: stats.Progress
    cycles: list[portal.CycleStatus]
    coverage: Any
    mandates: list[Any]
    # Shown on the page, not in the charts.
    programmes: list[Any] = field(default_factory=list)
    mechanisms: list[Any] = field(default_factory=list)
    plans: list[Any] = field(default_factory=list)
    deadlines: list[Any] = field(default_factory=list)


async def load(
    request: Request, iso3: str, cycle: int | None, *, lists: bool = True
) -> CountryData:
    """What the State's page shows; without ``lists``, only what its charts draw."""
    code = iso3.upper()
    settings = settings_of(request)
    today = dt.date.today()
    if code not in by_iso3():
        raise NotFoundPage(iso3)
    deadline_filter = DeadlineFilter(
        countries=(code,), statuses=("open",), due_after=today - dt.timedelta(days=1)
    )
    # The reads answer CountryData's fields after iso3 and cycle, in their order: what
    # the charts draw, then the page's lists.
    charted = (
        lambda s: stats.progress(s, code, cycle),
        lambda s: portal.by_cycle(s, code),
        lambda s: coverage(s, code, on=today, uncovered_limit=0),
        lambda s: _items(
            mandates.list_page(
                s,
                MandateFilter(countries=(code,)),
                cursor=None,
                limit=50,
                expiring_days=settings.mandate_expiring_days,
            )
        ),
    )
    listed = (
        lambda s: _items(
            programmes.list_page(s, ProgrammeFilter(countries=(code,)), cursor=None, limit=50)
        ),
        lambda s: _items(
            national_mechanisms.list_mechanisms(s, None, [code], cursor=None, limit=5)
        ),
        lambda s: _items(plans.list_plans(s, [code], [], cursor=None, limit=10)),
        lambda s: _items(deadlines.list_page(s, deadline_filter, cursor=None, limit=20)),
    )
    return CountryData(code, cycle, *await each_read(request, *charted, *(listed if lists else ())))


async def _items(page: Awaitable[Any]) -> list[Any]:
    """The items of a page of a list."""
    items: list[Any] = (await page).items
    return items


def _status_series(lang: str) -> list[Series]:
    return [Series(s, i18n.label("status", s, lang), STATUS_COLORS[s]) for s in STATUSES[::-1]]


def _floats(counts: dict[str, int]) -> dict[str, float]:
    return {k: float(v) for k, v in counts.items()}


def charts(data: CountryData, lang: str) -> list[Chart]:
    t = i18n.translator(lang)
    name = i18n.country_name(data.iso3, lang)
    base = f"/{lang}/countries/{data.iso3}"
    status_series = _status_series(lang)

    matrix: dict[str, dict[str, float]] = {p: {} for p in POSITIONS}
    for c in data.progress.by_position_status:
        matrix.setdefault(c.position, {})[c.status] = c.count

    def status_chart(
        chart_id: str,
        title: str,
        description: str,
        rows: list[tuple[str, dict[str, float]]],
        kind: str = "bars",
    ) -> Chart:
        """Recommendations by implementation status, one bar (or column) per row."""
        return Chart(
            id=chart_id,
            title=title,
            description=description,
            series=status_series,
            rows=rows,
            kind=kind,
        )

    tag_series = [
        Series("implemented", t("Supported, implemented"), STATUS_COLORS["implemented"]),
        Series("other_supported", t("Supported, not yet implemented"), "#1976d2"),
        Series("not_supported", t("Not supported"), "#757575"),
    ]

    def tag_chart(
        chart_id: str,
        title: str,
        description: str,
        tags: list[stats.TagProgress],
        labeller: Callable[[str], str],
    ) -> Chart:
        """The tags most often given, each split by how much was implemented, with the
        share implemented as an extra column."""
        ranked = sorted(tags, key=lambda x: -x.total)[:TOP_TAGS]
        return Chart(
            id=chart_id,
            title=title,
            description=description,
            series=tag_series,
            rows=[
                (
                    labeller(x.value),
                    {
                        "implemented": x.implemented,
                        "other_supported": x.supported - x.implemented,
                        "not_supported": x.total - x.supported,
                    },
                )
                for x in ranked
            ],
            extra=[
                (labeller(x.value), {"share": i18n.format_percent(x.share_implemented, lang)})
                for x in ranked
            ],
            extra_labels=[t("Share implemented")],
        )

    months = data.progress.over_time[-MONTHS:]
    cov = data.coverage
    cover_series = [
        Series("covered", t("Supported by a programme"), POSITION_COLORS["supported"]),
        Series("uncovered", t("No programme"), "#757575"),
    ]
    cover_rows = [
        (t("All themes"), {"covered": cov.overall.covered, "uncovered": cov.overall.uncovered})
    ] + [
        (theme_label(x.theme), {"covered": x.covered, "uncovered": x.uncovered})
        for x in cov.by_theme[:TOP_TAGS]
    ]
    funding_series = [
        Series("secured", t("Secured"), STATUS_COLORS["implemented"]),
        Series("gap", t("Funding gap"), STATUS_COLORS["not_started"]),
    ]
    out = [
        status_chart(
            "position-status",
            t("Position and implementation status"),
            t("Recommendations to %(name)s by the position taken, split by status.", name=name),
            [(i18n.label("position", p, lang), matrix[p]) for p in POSITIONS if matrix[p]],
        ),
        status_chart(
            "cycles",
            t("By review cycle"),
            t("Recommendations to %(name)s by UPR cycle and status.", name=name),
            [
                (t("Cycle %(n)s", n=c.cycle) if c.cycle else t("No cycle"), _floats(c.counts))
                for c in data.cycles
            ],
        ),
        tag_chart(
            "themes",
            t("By UHRI theme"),
            t("The themes most often tagged, with how much was implemented."),
            data.progress.by_theme,
            theme_label,
        ),
        tag_chart(
            "sdg-goals",
            t("By Sustainable Development Goal"),
            t("Recommendations linked to each SDG goal, with how much was implemented."),
            data.progress.by_sdg_goal,
            lambda g: goal_label(g, t),
        ),
        status_chart(
            "over-time",
            t("Status over time"),
            t("The status of the recommendations at the end of each month."),
            [
                (
                    i18n.format_date(dt.date.fromisoformat(m.month + "-01"), lang, "MMM y"),
                    _floats(m.counts),
                )
                for m in months
            ],
            kind="columns",
        ),
        Chart(
            id="coverage",
            title=t("Coverage by OHCHR programmes"),
            description=t("Supported recommendations that a running programme supports, by theme."),
            series=cover_series,
            rows=cover_rows,
        ),
        Chart(
            id="funding",
            title=t("Mandates and their funding gap"),
            description=t("Funding secured and still missing for each mandate."),
            series=funding_series,
            rows=[
                (
                    f"{m.title} ({m.funding.currency})",
                    {
                        "secured": float(m.funding.secured or 0),
                        "gap": float(m.funding.gap or 0),
                    },
                )
                for m in data.mandates
                if m.funding.required is not None or m.funding.secured is not None
            ],
        ),
    ]
    for chart in out:
        chart.csv_url = f"{base}/{chart.id}.csv" + (f"?cycle={data.cycle}" if data.cycle else "")
    return out


def _cycle(request: Request) -> int | None:
    raw = request.query_params.get("cycle", "")
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 20:
        return int(raw)
    return None


async def page(request: Request) -> Response:
    lang = lang_of(request)
    iso3 = str(request.path_params["iso3"])
    if iso3 != iso3.upper():
        target = request.url.path.replace(f"/{iso3}", f"/{iso3.upper()}", 1)
        return RedirectResponse(target, status_code=301)
    data = await load(request, iso3, _cycle(request))
    return render(
        request,
        lang,
        "country.html",
        title=i18n.country_name(data.iso3, lang),
        data=data,
        charts=charts(data, lang),
        cycles=sorted(c.cycle for c in data.cycles if c.cycle),
        theme_label=theme_label,
    )


async def chart_csv(request: Request) -> Response:
    lang = lang_of(request)
    iso3 = str(request.path_params["iso3"])
    wanted = str(request.path_params["chart"])
    data = await load(request, iso3, _cycle(request), lists=False)
    for chart in charts(data, lang):
        if chart.id == wanted:
            body = chart.csv(i18n.translator(lang)("Category"))
            filename = f"{data.iso3}-{chart.id}.csv"
            return Response(
                "\ufeff" + body,
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
    raise NotFoundPage(wanted)
