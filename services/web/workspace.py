"""The signed-in workspace: focal points report progress on what their institution owns
(draft, submit, resubmit when returned), coordinators review the submissions of their
State (return with a comment, or validate: the public page then shows the new status).

Every write goes through the review service (`shared.review`), which checks who may do
what; a refused or invalid form comes back with what was typed and the reason beside
the field."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.web.pages.common import (
    NotFoundPage,
    lang_of,
    parse_uuid,
    read_session,
    write_session,
)
from services.web.rendering import render
from services.web.signin import SignedIn, check_csrf, csrf_token, current
from shared import i18n
from shared.assessments import service as assessments
from shared.assessments.schemas import AssessmentIn
from shared.db import Database
from shared.errors import DomainError, NotFound
from shared.institutions import service as institutions
from shared.recommendations import service as recommendations
from shared.recommendations.models import STATUSES
from shared.recommendations.schemas import RecommendationFilter
from shared.review import service as review
from shared.review.schemas import ReportIn, ReportOut, ReportPatch, ReviewIn

OWNED_LIMIT = 100
ASSESSOR_ROLES = ("nhri", "civil_society")
FORM_FIELDS = ("status", "narrative", "evidence_links", "reported_on")

# Stores a form about a recommendation (who, which, the typed values, the whole form);
# answers the path to show next, without the language.
SaveForm = Callable[[Request, SignedIn, uuid.UUID, dict[str, Any], dict[str, Any]], Awaitable[str]]
# What else a form's page shows, as template variables.
PageParts = Callable[[Request, SignedIn, uuid.UUID], Awaitable[dict[str, Any]]]


def _to_sign_in(request: Request, lang: str) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/{lang}/sign-in?next={target}", status_code=303)


async def _who(request: Request, lang: str) -> SignedIn | Response:
    who = await current(request)
    return who if who is not None else _to_sign_in(request, lang)


async def owned(request: Request, who: SignedIn) -> list[dict[str, Any]]:
    """The recommendations owned by the focal point's institutions, in list order."""
    items: list[dict[str, Any]] = []
    db: Database = request.app.state.db
    for m in who.actor.roles_in("focal_point"):
        if not (m.country and m.institution):
            continue
        f = RecommendationFilter(countries=(m.country,), institutions=(m.institution,))
        async with db.read_driver() as driver:
            page = await recommendations.list_page(driver, f, cursor=None, limit=OWNED_LIMIT)
        items += [orjson.loads(i) for i in page.items]
    return items


async def home(request: Request) -> Response:
    lang = lang_of(request)
    who = await _who(request, lang)
    if isinstance(who, Response):
        return who
    actor = who.actor
    async with read_session(request) as session:
        mine = (await review.list_reports(session, actor, limit=100)).items
        queue: list[ReportOut] = []
        for m in actor.roles_in("coordinator"):
            queue += (
                await review.list_reports(
                    session, actor, country=m.country, states=("submitted",), limit=100
                )
            ).items
        assessed = []
        for m in actor.memberships:
            if m.role in ASSESSOR_ROLES and m.institution_id is not None:
                assessed += (
                    await assessments.list_assessments(
                        session, organisation_id=m.institution_id, limit=100
                    )
                ).items
    drafted = [r for r in mine if r.state != "submitted" or not actor.coordinates(r.country)]
    return render(
        request,
        lang,
        "workspace.html",
        title=i18n.translator(lang)("Workspace"),
        who=who,
        csrf=csrf_token(request),
        owned=await owned(request, who),
        reports=drafted if actor.roles_in("focal_point") else [],
        queue=queue,
        assessed=assessed,
        to_assess=await to_assess(request, who),
    )


async def to_assess(request: Request, who: SignedIn) -> list[dict[str, Any]]:
    """For NHRIs and civil society: their State's recommendations, to assess (the first
    page; the public search finds the others, each with an "assess" link here)."""
    countries = sorted(
        {m.country for m in who.actor.memberships if m.role in ASSESSOR_ROLES and m.country}
    )
    if not countries:
        return []
    db: Database = request.app.state.db
    f = RecommendationFilter(countries=tuple(countries))
    async with db.read_driver() as driver:
        page = await recommendations.list_page(driver, f, cursor=None, limit=OWNED_LIMIT)
    return [orjson.loads(i) for i in page.items]


async def assessment_form(request: Request) -> Response:
    """An NHRI's or a civil-society organisation's assessment of a recommendation,
    published at once beside the Government's reports (never changing its status)."""
    return await _recommendation_form(request, "assessment_new.html", _save_assessment)


async def _save_assessment(
    request: Request, who: SignedIn, rec_id: uuid.UUID, values: dict[str, Any], form: dict[str, Any]
) -> str:
    try:
        data = AssessmentIn.model_validate(
            {
                "recommendation_id": str(rec_id),
                "status": values["status"],
                "narrative": values["narrative"],
                "evidence_links": values["evidence_links"],
                "assessed_on": values["reported_on"],
            }
        )
        async with write_session(request) as session:
            await assessments.create(session, who.actor, data)
    except ValidationError as exc:
        raise _renamed(exc) from None
    return f"/recommendations/{rec_id}"


def _renamed(exc: ValidationError) -> ValidationError:
    """The assessment's `assessed_on` is the form's `reported_on` field."""
    errors = [
        {**e, "loc": tuple("reported_on" if p == "assessed_on" else p for p in e["loc"])}
        for e in exc.errors()
    ]
    return ValidationError.from_exception_data(exc.title, errors)  # type: ignore[arg-type]


def _form_values(form: dict[str, Any]) -> dict[str, Any]:
    links = [line.strip() for line in str(form.get("evidence_links", "")).splitlines()]
    return {
        "status": str(form.get("status", "")),
        "narrative": str(form.get("narrative", "")),
        "evidence_links": [link for link in links if link],
        "reported_on": str(form.get("reported_on", "")).strip() or None,
    }


def _refusal(exc: ValidationError | DomainError, lang: str) -> tuple[dict[str, str], int]:
    """The messages of a refused form, and its status: 403 when not allowed, else 422."""
    status_code = 403 if isinstance(exc, DomainError) and exc.status == 403 else 422
    return _errors_of(exc, lang), status_code


def _errors_of(exc: Exception, lang: str) -> dict[str, str]:
    """Messages by form field (`_form` for the whole form)."""
    t = i18n.translator(lang)
    if isinstance(exc, ValidationError):
        out: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "_form"
            field = field if field in FORM_FIELDS else "_form"
            if field == "narrative":
                out[field] = t("Describe what was done (up to 20,000 characters).")
            elif field == "evidence_links":
                out[field] = t("Each line must be a web address starting with https:// or http://.")
            elif field == "reported_on":
                out[field] = t("Enter a date as YYYY-MM-DD.")
            else:
                out[field] = t("Choose a status.")
        return out
    if isinstance(exc, DomainError):
        if exc.status == 403:
            return {"_form": t("You may not report on or review this item.")}
        if exc.status in (409, 412):
            return {"_form": t("This report changed meanwhile; reload the page and try again.")}
        return {"_form": exc.detail}
    return {"_form": str(exc)}


async def _rec(request: Request, rec_id: uuid.UUID) -> dict[str, Any]:
    db: Database = request.app.state.db
    try:
        async with db.read_driver() as driver:
            raw = await recommendations.get_item(driver, str(rec_id))
    except NotFound:
        raise NotFoundPage(str(rec_id)) from None
    rec: dict[str, Any] = orjson.loads(raw.json)
    return rec


async def report_form(request: Request) -> Response:
    """A recommendation: the form of a new report, and the reports on it the person sees."""
    return await _recommendation_form(request, "report_new.html", _save_report, _existing)


async def _save_report(
    request: Request, who: SignedIn, rec_id: uuid.UUID, values: dict[str, Any], form: dict[str, Any]
) -> str:
    data = ReportIn.model_validate({"recommendation_id": str(rec_id), **values})
    async with write_session(request) as session:
        report = await review.create_draft(session, who.actor, data)
        if form.get("action") == "submit":
            await review.submit(session, who.actor, report.id, report.version)
    return f"/workspace/reports/{report.id}"


async def _existing(request: Request, who: SignedIn, rec_id: uuid.UUID) -> dict[str, Any]:
    """The reports on the recommendation that the person sees."""
    async with read_session(request) as session:
        existing = (
            await review.list_reports(session, who.actor, recommendation_id=rec_id, limit=50)
        ).items
    return {"existing": existing}


async def _recommendation_form(
    request: Request,
    template: str,
    save: SaveForm,
    more: PageParts | None = None,
) -> Response:
    """A form about one recommendation (a report, an assessment): shown with today's date
    and the recommendation's status; once sent and saved, to the page `save` names."""
    lang = lang_of(request)
    who = await _who(request, lang)
    if isinstance(who, Response):
        return who
    rec_id = parse_uuid(str(request.path_params["rec_id"]))
    rec = await _rec(request, rec_id)
    values: dict[str, Any] = {"status": rec["status"], "narrative": "", "evidence_links": [],
                              "reported_on": dt.date.today().isoformat()}  # fmt: skip
    errors: dict[str, str] = {}
    status_code = 200
    if request.method == "POST":
        form = await check_csrf(request)
        values = _form_values(form)
        try:
            target = await save(request, who, rec_id, values, form)
        except (ValidationError, DomainError) as exc:
            errors, status_code = _refusal(exc, lang)
        else:
            return RedirectResponse(f"/{lang}{target}", status_code=303)
    return render(
        request,
        lang,
        template,
        status_code=status_code,
        title=rec["ref"],
        rec=rec,
        values=values,
        errors=errors,
        statuses=STATUSES,
        csrf=csrf_token(request),
        **(await more(request, who, rec_id) if more else {}),
    )


async def report_page(request: Request) -> Response:
    """A report: edit and submit it (its institution, while draft or returned), or review
    it (the State's coordinators, once submitted)."""
    lang = lang_of(request)
    who = await _who(request, lang)
    if isinstance(who, Response):
        return who
    report_id = parse_uuid(str(request.path_params["report_id"]))
    try:
        async with read_session(request) as session:
            report = await review.get(session, who.actor, report_id)
            institution = (
                (await institutions.get_institution(session, report.institution_id)).name
                if report.institution_id
                else None
            )
    except (NotFound, DomainError):
        raise NotFoundPage(str(report_id)) from None
    values: dict[str, Any] = report.model_dump(include=set(FORM_FIELDS), mode="json")
    comment = ""
    errors: dict[str, str] = {}
    status_code = 200
    if request.method == "POST":
        form = await check_csrf(request)
        action = str(form.get("action", ""))
        comment = str(form.get("comment", ""))
        version = int(str(form.get("version", "0")) or 0) or None
        try:
            async with write_session(request) as session:
                if action in ("save", "submit"):
                    values = _form_values(form)
                    changes = ReportPatch.model_validate(values)
                    report = await review.edit(session, who.actor, report_id, version, changes)
                    if action == "submit":
                        await review.submit(session, who.actor, report_id, report.version)
                elif action in ("validate", "return"):
                    if action == "return" and not comment.strip():
                        t = i18n.translator(lang)
                        errors = {"comment": t("Say what must change before it is validated.")}
                        raise _Invalid
                    reviewed = ReviewIn(comment=comment.strip() or None)
                    step = review.validate if action == "validate" else review.return_report
                    await step(session, who.actor, report_id, version, reviewed)
                else:
                    raise NotFoundPage(action)
        except _Invalid:
            status_code = 422
        except (ValidationError, DomainError) as exc:
            errors, status_code = _refusal(exc, lang)
        else:
            return RedirectResponse(f"/{lang}/workspace/reports/{report_id}", status_code=303)
    rec = await _rec(request, report.recommendation_id) if report.recommendation_id else None
    actor = who.actor
    return render(
        request,
        lang,
        "report.html",
        status_code=status_code,
        title=rec["ref"] if rec else i18n.translator(lang)("Progress report"),
        report=report,
        institution=institution,
        rec=rec,
        values=values,
        comment=comment,
        errors=errors,
        statuses=STATUSES,
        may_edit=report.state in review.EDITABLE
        and (
            actor.coordinates(report.country)
            or (report.institution_id in actor.institutions("focal_point"))
        ),
        may_review=report.state == "submitted" and actor.coordinates(report.country),
        csrf=csrf_token(request),
    )


class _Invalid(Exception):
    """A form error found before calling the service."""


def routes() -> list[BaseRoute]:
    return [
        Route("/{lang}/workspace", home),
        Route("/{lang}/workspace/recommendations/{rec_id}", report_form, methods=["GET", "POST"]),
        Route("/{lang}/workspace/reports/{report_id}", report_page, methods=["GET", "POST"]),
        Route("/{lang}/workspace/assess/{rec_id}", assessment_form, methods=["GET", "POST"]),
    ]
