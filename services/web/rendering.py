"""Templates and the per-request page context: language, direction, formatting helpers.

One Jinja2 environment per language, each with that language's gettext installed
(newstyle: `_("%(n)s items", n=3)` escapes and formats), so concurrent requests in
different languages never share translation state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from shared import i18n

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translator(lang).translations, newstyle=True
    )
    env.globals.update(_helpers(lang))
    return env


def _helpers(lang: str) -> dict[str, Any]:
    def date(value: dt.date | dt.datetime | str | None, fmt: str = "medium") -> str:
        # Items built by PostgreSQL as JSON carry ISO dates as text.
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10]) if value else None
        return i18n.format_date(value, lang, fmt)

    def number(value: int | float | Decimal | None) -> str:
        return i18n.format_number(value, lang)

    def percent(value: float | None, digits: int = 0) -> str:
        return i18n.format_percent(value, lang, digits) if value is not None else "–"

    def label(group: str, value: str | None) -> str:
        return i18n.label(group, value, lang)

    def country(iso3: str | None, fallback: str | None = None) -> str:
        return i18n.country_name(iso3, lang, fallback) if iso3 else (fallback or "")

    return {
        "lang": lang,
        "dir": i18n.direction(lang),
        "languages": [(code, i18n.language_name(code)) for code in i18n.available_languages()],
        "fdate": date,
        "fnum": number,
        "fpct": percent,
        "label": label,
        "country": country,
        "labels": i18n.LABELS,
    }


def query_string(params: list[tuple[str, str]], **changes: str | None) -> str:
    """The query string of `params` with some keys replaced (None removes them)."""
    kept = [(k, v) for k, v in params if k not in changes]
    kept += [(k, v) for k, v in changes.items() if v is not None]
    return ("?" + urlencode(kept)) if kept else ""


def render(
    request: Request, lang: str, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    path = request.url.path
    rest = path.split("/", 2)[2] if path.count("/") >= 2 else ""
    suffix = ("?" + request.url.query) if request.url.query else ""
    switch = {code: f"/{code}/{rest}{suffix}" for code in i18n.available_languages()}
    context.setdefault("switch", switch)
    context.setdefault("path", path)
    html = environment(lang).get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)
