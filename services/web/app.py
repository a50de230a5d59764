"""The public portal (and the signed-in workspace): server-rendered pages over the same
`shared/` services and database as the API, in its own process (`followup web`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Unpack

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware

from services.web import signin, workspace
from services.web.pages import country, home, programmes, recommendations
from services.web.pages.common import NotFoundPage, language_of, not_found
from shared import i18n
from shared.asgi import HttpMiddleware
from shared.runtime import HandedIn, ProcessResources
from shared.settings import Settings

STATIC = Path(__file__).parent / "static"

# No script, style or font from anywhere else; inline SVG charts need no exception.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders(HttpMiddleware):
    """Security headers on every response, and `Server-Timing: app;dur=<ms>` (the time
    from the request to the start of the response, which the benchmark reads)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers = message.setdefault("headers", [])
                headers += [
                    (b"server-timing", f"app;dur={elapsed:.2f}".encode()),
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def root(request: Request) -> Response:
    """`/`: to the visitor's language, from Accept-Language."""
    lang = i18n.negotiate(request.headers.get("accept-language"))
    return RedirectResponse(f"/{lang}/", status_code=302, headers={"Vary": "Accept-Language"})


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def csrf_failed(request: Request, exc: Exception) -> Response:
    lang = language_of(request)
    t = i18n.translator(lang)
    return PlainTextResponse(
        t("This form has expired. Go back, reload the page and send it again."), status_code=403
    )


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 404 or isinstance(exc, NotFoundPage):
        return not_found(request, language_of(request))
    return PlainTextResponse(str(getattr(exc, "detail", "")), status_code=status)


def routes() -> list[BaseRoute]:
    return [
        Route("/", root),
        Route("/healthz", healthz),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/{lang}", home.redirect_slash),
        Route("/{lang}/", home.page),
        Route("/{lang}/countries", home.countries),
        Route("/{lang}/countries/{iso3}", country.page),
        Route("/{lang}/countries/{iso3}/{chart}.csv", country.chart_csv),
        Route("/{lang}/recommendations", recommendations.search),
        Route("/{lang}/recommendations/{rec_id}", recommendations.detail),
        Route("/{lang}/programmes", programmes.programme_list),
        Route("/{lang}/programmes/{ident}", programmes.programme_page),
        Route("/{lang}/mandates", programmes.mandate_list),
        Route("/{lang}/mandates/{ident}", programmes.mandate_page),
        Route("/auth/callback", signin.oidc_callback),
        Route("/{lang}/sign-in", signin.sign_in_page),
        Route("/{lang}/sign-in/oidc", signin.oidc_start),
        Route("/{lang}/sign-in/dev", signin.dev_sign_in, methods=["POST"]),
        Route("/{lang}/sign-out", signin.sign_out, methods=["POST"]),
        *workspace.routes(),
    ]


def create_app(settings: Settings | None = None, **handed_in: Unpack[HandedIn]) -> Starlette:
    resources = ProcessResources.open(settings, **handed_in)
    settings = resources.settings

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for lang in i18n.available_languages():
            i18n.translator(lang)
        async with resources.lifetime():
            yield

    app = Starlette(
        routes=routes(),
        middleware=[
            # Pages and CSV downloads leave compressed (zstd, brotli or gzip) for phones
            # and field offices on slow links.
            Middleware(CompressMiddleware, **settings.compression()),
            Middleware(SecurityHeaders),
            # Signed (not readable by scripts, not sent cross-site on POST); Secure
            # everywhere but on a development or test machine's plain http.
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key.get_secret_value(),
                session_cookie="followup_session",
                max_age=settings.web_session_hours * 3600,
                same_site="lax",
                https_only=settings.environment == "production",
            ),
        ],
        exception_handlers={
            HTTPException: http_error,
            NotFoundPage: http_error,
            signin.CsrfFailed: csrf_failed,
        },
        lifespan=lifespan,
    )
    resources.install(app.state)
    # A database handed in may be a test's single connection: no concurrent reads on it.
    app.state.parallel_reads = resources.owns_db
    return app
