"""Sign-in for the workspace: the OpenID Connect authorization code flow with PKCE against
the configured issuer (or, in development, a development token chosen on the sign-in
page), a signed session cookie, CSRF tokens on every form, sign-out.

The session holds who signed in (issuer, subject, the memberships their token carried)
and when it ends; the person's memberships are read again on every request, so a
deactivated user or a revoked membership takes effect at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.web.pages.common import lang_of, read_session, settings_of, write_session
from services.web.rendering import render
from shared import i18n
from shared.auth.schemas import Actor
from shared.errors import DomainError, InvalidToken
from shared.people import devkey
from shared.people import service as people
from shared.people.config import MembershipSpec
from shared.people.oidc import TokenVerifier
from shared.settings import Settings

ROLES = ("focal_point", "coordinator", "nhri", "civil_society", "viewer")


class CsrfFailed(Exception):
    """A form came without the session's CSRF token."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    actor: Actor
    name: str | None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> dict[str, Any]:
    """The form's fields, once its CSRF token matches the session's (else CsrfFailed)."""
    form = await request.form()
    given = form.get("csrf")
    expected = request.session.get("csrf")
    if not (
        isinstance(given, str)
        and isinstance(expected, str)
        and hmac.compare_digest(given, expected)
    ):
        raise CsrfFailed
    return {k: form.getlist(k) if len(form.getlist(k)) > 1 else v for k, v in form.items()}


def _start_session(request: Request, identity: people.TokenIdentity, specs: list[MembershipSpec],
                   hours: int) -> None:  # fmt: skip
    request.session.clear()
    request.session.update(
        {
            "iss": identity.issuer,
            "sub": identity.subject,
            "name": identity.name,
            "specs": [s.model_dump() for s in specs],
            "exp": int(time.time()) + hours * 3600,
            "csrf": secrets.token_urlsafe(32),
        }
    )


async def current(request: Request) -> SignedIn | None:
    """The signed-in person, or None (an expired or revoked session is cleared)."""
    session = request.session
    if "sub" not in session or int(session.get("exp", 0)) < time.time():
        if "sub" in session:
            session.clear()
        return None
    identity = people.TokenIdentity(issuer=session["iss"], subject=session["sub"],
                                    name=None, email=None)  # fmt: skip
    specs = [MembershipSpec.model_validate(s) for s in session.get("specs", [])]
    try:
        async with read_session(request) as db:
            actor = await people.token_actor(db, identity, specs, may_write=False)
    except InvalidToken:
        session.clear()
        return None
    if actor is None:
        session.clear()
        return None
    return SignedIn(actor=actor, name=session.get("name"))


async def _sign_in_with_token(request: Request, token: str) -> None:
    verifier: TokenVerifier = request.app.state.tokens
    identity, specs = await verifier.verify(token)
    async with write_session(request) as db:
        await people.token_actor(db, identity, specs, may_write=True)
    _start_session(request, identity, specs, settings_of(request).web_session_hours)


def _safe_next(value: object, lang: str) -> str:
    # Only a path on this site: never an open redirect.
    text = value if isinstance(value, str) else ""
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return f"/{lang}/workspace"


def oidc_configured(settings: Settings) -> bool:
    return bool(settings.web_oidc_issuer and settings.web_oidc_client_id)


async def sign_in_page(request: Request) -> Response:
    lang = lang_of(request)
    settings = settings_of(request)
    return render(
        request,
        lang,
        "sign_in.html",
        title=i18n.translator(lang)("Sign in"),
        csrf=csrf_token(request),
        oidc=oidc_configured(settings),
        dev=settings.dev_tokens_enabled,
        roles=ROLES,
        next=_safe_next(request.query_params.get("next"), lang),
        error=request.query_params.get("error"),
        values={},
    )


async def dev_sign_in(request: Request) -> Response:
    """Development only: sign in as a role chosen on the page (a development token)."""
    lang = lang_of(request)
    settings = settings_of(request)
    if not settings.dev_tokens_enabled:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    form = await check_csrf(request)
    role = str(form.get("role", ""))
    country = str(form.get("country", "")).strip().upper() or None
    institution = str(form.get("institution", "")).strip() or None
    name = str(form.get("name", "")).strip() or None
    try:
        spec = MembershipSpec.model_validate(
            {"role": role, "country": country, "institution": institution}
        )
        token = devkey.mint(settings, spec, name=name,
                            subject=f"dev-{role}-{country}-{institution}".lower())  # fmt: skip
        await _sign_in_with_token(request, token)
    except (ValueError, DomainError) as exc:
        t = i18n.translator(lang)
        return render(
            request,
            lang,
            "sign_in.html",
            status_code=422,
            title=t("Sign in"),
            csrf=csrf_token(request),
            oidc=oidc_configured(settings),
            dev=True,
            roles=ROLES,
            next=_safe_next(form.get("next"), lang),
            error=t(
                "This role, State or institution is not valid: %(detail)s",
                detail=getattr(exc, "detail", None) or str(exc).splitlines()[0],
            ),
            values=form,
        )
    return RedirectResponse(_safe_next(form.get("next"), lang), status_code=303)


async def _discovery(request: Request) -> dict[str, Any]:
    settings = settings_of(request)
    cached = getattr(request.app.state, "oidc_discovery", None)
    if cached is not None:
        return dict(cached)
    issuer = next(i for i in settings.oidc_issuers if i.issuer == settings.web_oidc_issuer)
    async with httpx.AsyncClient(timeout=settings.oidc_http_timeout_s) as client:
        response = await client.get(issuer.discovery)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    request.app.state.oidc_discovery = document
    return document


def _redirect_uri(settings: Settings) -> str:
    return settings.web_public_url.rstrip("/") + "/auth/callback"


async def oidc_start(request: Request) -> Response:
    """To the identity provider: authorization code flow with PKCE (S256), state, nonce."""
    lang = lang_of(request)
    settings = settings_of(request)
    if not oidc_configured(settings):
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    document = await _discovery(request)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    request.session["oidc"] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "lang": lang,
        "next": _safe_next(request.query_params.get("next"), lang),
    }
    params = {
        "response_type": "code",
        "client_id": settings.web_oidc_client_id,
        "redirect_uri": _redirect_uri(settings),
        "scope": settings.web_oidc_scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "ui_locales": lang,
    }
    return RedirectResponse(
        f"{document['authorization_endpoint']}?{urlencode(params)}", status_code=303
    )


async def oidc_callback(request: Request) -> Response:
    """Back from the provider: check the state, exchange the code (with the PKCE verifier)
    for an access token, verify it like the API does, open the session."""
    settings = settings_of(request)
    pending = request.session.pop("oidc", None)
    lang = pending.get("lang", "en") if isinstance(pending, dict) else "en"
    code = request.query_params.get("code")
    state = request.query_params.get("state", "")
    if (
        not isinstance(pending, dict)
        or not code
        or not hmac.compare_digest(str(pending.get("state", "")), state)
    ):
        return RedirectResponse(f"/{lang}/sign-in?error=state", status_code=303)
    document = await _discovery(request)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _redirect_uri(settings),
        "code_verifier": pending["verifier"],
        "client_id": settings.web_oidc_client_id or "",
    }
    # A confidential client authenticates with HTTP Basic; a public one by PKCE alone.
    extra: dict[str, Any] = {}
    if settings.web_oidc_client_secret is not None:
        extra["auth"] = httpx.BasicAuth(
            settings.web_oidc_client_id or "", settings.web_oidc_client_secret.get_secret_value()
        )
    try:
        async with httpx.AsyncClient(timeout=settings.oidc_http_timeout_s) as client:
            response = await client.post(document["token_endpoint"], data=data, **extra)
            response.raise_for_status()
            token = str(response.json()["access_token"])
        await _sign_in_with_token(request, token)
    except (httpx.HTTPError, KeyError, ValueError, DomainError):
        return RedirectResponse(f"/{lang}/sign-in?error=provider", status_code=303)
    return RedirectResponse(str(pending.get("next") or f"/{lang}/workspace"), status_code=303)


async def sign_out(request: Request) -> Response:
    lang = lang_of(request)
    await check_csrf(request)
    request.session.clear()
    return RedirectResponse(f"/{lang}/", status_code=303)
