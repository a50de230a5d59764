"""The FastAPI application factory."""

from __future__ import annotations

from typing import Unpack

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from services.api import lean, openapi
from services.api.action_plans.router import router as action_plans
from services.api.assessments.router import router as assessments
from services.api.audit.router import router as audit_router
from services.api.caching import CacheControlMiddleware, CompressMiddleware
from services.api.calendar.router import router as calendar
from services.api.catalog.router import router as catalog
from services.api.cooperation.router import router as cooperation
from services.api.deadlines.router import router as deadlines
from services.api.documents.router import router as documents
from services.api.ingestion.router import router as ingestion
from services.api.institutions.router import router as institutions
from services.api.mandates.router import router as mandates
from services.api.middleware import RequestContextMiddleware
from services.api.people.router import router as people
from services.api.platform.router import router as platform_router
from services.api.privacy.router import router as privacy_router
from services.api.problems import install_problem_handlers
from services.api.programmes.router import router as programmes
from services.api.ratelimit import RateLimiter, RateLimitMiddleware
from services.api.recommendations import fast  # noqa: F401 - registers its lean routes
from services.api.recommendations.router import detail_router
from services.api.recommendations.router import router as recommendations
from services.api.reports.router import router as reports
from services.api.review.router import router as review
from services.api.spreadsheets.router import router as spreadsheets
from services.api.stats.router import router as stats
from services.api.subscriptions.router import reminders_router
from services.api.subscriptions.router import router as subscriptions
from services.api.uhri.router import router as uhri
from shared.runtime import HandedIn, ProcessResources
from shared.settings import Settings

DESCRIPTION = """
Follow-up of human-rights recommendations: which recommendations a State received,
what it answered, what is being done about each, which OHCHR mandates and programmes
support that work, and which follow-up deadlines are coming.

Reads are public unless the deployment turns public reads off; writes need
`Authorization: Bearer <api key>` with the right scope (and country), or
`Authorization: Bearer <OpenID Connect access token>` of a person whose roles allow the
write (see `GET /v1/me`). Errors are
RFC 9457 `application/problem+json` documents with a stable `code`.
"""


def create_app(settings: Settings | None = None, **handed_in: Unpack[HandedIn]) -> FastAPI:
    resources = ProcessResources.open(settings, **handed_in)
    settings = resources.settings
    app = FastAPI(
        title="Follow-up API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lambda _app: resources.lifetime(),
        generate_unique_id_function=openapi.operation_id,
        # Served by openapi.install from packaged assets, not from a CDN.
        docs_url=None,
        redoc_url=None,
        # Metrics are Prometheus's (/metrics) and logs structlog's: FastAPI's own
        # OpenTelemetry hooks would only ask, on every request, whether anyone listens.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    resources.install(app.state)
    app.state.rate_limiter = RateLimiter(
        app.state.queue,
        settings.rate_limit_per_minute,
        anonymous_per_minute=settings.rate_limit_anonymous_per_minute,
        client_header=settings.rate_limit_client_header,
    )

    install_problem_handlers(app)
    openapi.install(app)
    app.include_router(platform_router)
    app.include_router(audit_router)
    app.include_router(privacy_router)
    for router in _domain_routers():
        app.include_router(router)
    # First: the lean routes (the anonymous hot reads of services/api/recommendations/fast.py,
    # registered when it is imported), answered without FastAPI's per-request machinery.
    lean.install(app, public_read=settings.api_public_read)

    # Innermost of the middleware: a 429 still gets CORS fields, a request id and a log line.
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=[
                "ETag",
                "Link",
                "Sync-Token",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            max_age=600,
        )
    app.add_middleware(
        CacheControlMiddleware,
        max_age=settings.cache_max_age_s,
        stale_while_revalidate=settings.cache_stale_while_revalidate_s,
    )
    app.add_middleware(CompressMiddleware, **settings.compression())
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


def _domain_routers() -> list[APIRouter]:
    return [
        recommendations,
        spreadsheets,
        reports,
        people,
        review,
        assessments,
        catalog,
        documents,
        mandates,
        programmes,
        stats,
        institutions,
        action_plans,
        cooperation,
        uhri,
        deadlines,
        calendar,
        ingestion,
        subscriptions,
        reminders_router,
        # Last: GET /v1/recommendations/{rec_id:anything} would shadow the routes of the other
        # routers under /v1/recommendations/{id}/ (programmes, actions, institutions).
        detail_router,
    ]
