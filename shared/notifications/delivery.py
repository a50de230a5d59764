"""Sending one prepared delivery: a signed webhook POST or an e-mail. Never raises."""

from __future__ import annotations

import time

import httpx
import structlog

from shared import egress
from shared.notifications import email, webhooks
from shared.notifications.delivery_states import Delivery, Outcome
from shared.settings import Settings

log = structlog.get_logger(__name__)

USER_AGENT = "Followup-Webhooks/1"
MAX_RESPONSE_BYTES = 1 << 20  # a receiver's answer is not used; past this it is an error


async def send_webhook(delivery: Delivery, settings: Settings) -> Outcome:
    assert delivery.secret is not None
    try:
        # The URL's form is checked again before signing; the address is checked by the
        # connection itself (resolved once, pinned).
        egress.check_url_form(delivery.target, webhooks.policy(settings))
    except egress.EgressRefused as exc:
        return Outcome(ok=False, error=exc.detail, retryable=False)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        webhooks.EVENT_ID_HEADER: str(delivery.reminder_id),
        webhooks.EVENT_TYPE_HEADER: delivery.event_type,
        webhooks.SIGNATURE_HEADER: webhooks.signature(delivery.secret, timestamp, delivery.body),
    }
    try:
        # No redirects: a receiver answers where it is told to; its body is not read.
        async with egress.make_client(
            settings,
            policy=webhooks.policy(settings),
            timeout=settings.webhook_timeout_s,
            max_bytes=MAX_RESPONSE_BYTES,
            max_seconds=settings.webhook_timeout_s,
            follow_redirects=False,
        ) as client:
            response = await client.post(delivery.target, content=delivery.body, headers=headers)
    except egress.EgressRefused as exc:
        return Outcome(ok=False, error=exc.detail, retryable=False)
    except httpx.HTTPError as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code)
    return Outcome(
        ok=False,
        status_code=response.status_code,
        error=f"the receiver answered {response.status_code}",
    )


async def send_email(delivery: Delivery, settings: Settings) -> Outcome:
    assert delivery.message is not None
    try:
        await email.send(delivery.message, settings)
    except RuntimeError as exc:  # not configured: retrying will not help
        return Outcome(ok=False, error=str(exc), retryable=False)
    except Exception as exc:  # SMTP errors of every kind are worth a retry
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(ok=True)


async def send(delivery: Delivery, settings: Settings) -> Outcome:
    if delivery.channel == "webhook":
        return await send_webhook(delivery, settings)
    if delivery.message is None:
        return Outcome(ok=False, error="change events are sent to webhooks only", retryable=False)
    return await send_email(delivery, settings)
