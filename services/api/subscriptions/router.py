"""Subscriptions to deadline reminders and change events, and the reminders sent."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api import edge
from services.api.deps import SettingsDep, SubscriptionsWriter, WriteSession
from services.api.schemas import PageOut
from shared.notifications import ping, reminders, schemas, subscriptions

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])
routes = edge.Routes(router)
reminders_router = APIRouter(prefix="/v1/reminders", tags=["subscriptions"])
reminder_routes = edge.Routes(reminders_router)

# Subscriptions and reminders belong to the API key that created them (admin keys not
# limited to countries see all); every route needs the `subscriptions:write` scope, since
# addresses and URLs are not public.


@routes.create("", schemas.SubscriptionCreated, "Subscribe to reminders and change events")
async def create_subscription(
    data: schemas.SubscriptionIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: SubscriptionsWriter,
    settings: SettingsDep,
) -> schemas.SubscriptionCreated:
    """Subscribe an e-mail address (`channel: email`, `address`) or a webhook
    (`channel: webhook`, `url`) to deadline reminders: `countries` and `kinds` filter
    (empty: all), `lead_days` say how early (default 90, 30, 7 and 1 days before the due
    date), `overdue` adds a reminder the day after. Webhooks may also choose change
    `events` (`recommendation.position_changed`, `recommendation.status_changed`,
    `programme.updated`, `mandate.updated`).

    Webhook URLs must be https and resolve to public addresses. Every webhook POST is
    signed: `X-Followup-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`,
    with the event id in `X-Followup-Event-Id` (deduplicate on it). The signing `secret`
    is in this response only: keep it.
    """
    created = await subscriptions.create_subscription(session, actor, data, settings)
    edge.set_etag(response, created.version)
    edge.set_location(request, response, "get_subscription", subscription_id=created.id)
    return created


@routes.read("", PageOut[schemas.SubscriptionOut], "List subscriptions")
async def list_subscriptions(
    paging: edge.Paging, session: WriteSession, actor: SubscriptionsWriter
) -> PageOut[schemas.SubscriptionOut]:
    """The subscriptions of this API key (all of them for admin keys), oldest first."""
    return await paging.fetch(
        PageOut[schemas.SubscriptionOut], subscriptions.list_subscriptions, session, actor
    )


# The subscription of the path: the key's own; any for admin keys not limited to countries
# (checked by the service).
Subscription = Annotated[
    edge.Target, edge.target_of("subscription_id", WriteSession, SubscriptionsWriter)
]


@routes.read("/{subscription_id}", schemas.SubscriptionOut, "One subscription")
async def get_subscription(one: Subscription, if_none_match: edge.IfNoneMatch) -> Response:
    """One subscription, with an `ETag`. The signing secret is never shown again."""
    return edge.current(await subscriptions.get_subscription(*one.args), if_none_match)


@routes.change("/{subscription_id}", schemas.SubscriptionOut, "Change a subscription")
async def patch_subscription(
    data: schemas.SubscriptionPatch, version: edge.IfMatch, one: Subscription
) -> Response:
    """Change filters, lead days, events, or pause it (`active: false`). Needs `If-Match`."""
    return edge.versioned(await subscriptions.patch_subscription(*one.args, version, data))


@routes.delete("/{subscription_id}", "Unsubscribe")
async def delete_subscription(one: Subscription) -> None:
    """Stop the subscription; its reminders and their delivery log stay readable."""
    await subscriptions.deactivate_subscription(*one.args)


@router.post(
    "/{subscription_id}/ping",
    response_model=schemas.PingOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=edge.errors(**{"409": "The subscription was deleted"}),
    summary="Send a test event",
)
async def ping_subscription(one: Subscription) -> schemas.PingOut:
    """Send a signed test event (`subscription.ping`) to a webhook subscription, to check
    the receiver and its signature check before real events flow (an e-mail subscription
    gets a test message). It is delivered like every event (same signature, same
    retries), by the worker, right after this answer: follow it in
    `GET /v1/subscriptions/{id}/deliveries`. Its `data`:
    `{"subscription_id", "subscription_name", "message"}`. 409 for a deleted
    subscription."""
    return await ping.ping(*one.args)


@routes.read("/{subscription_id}/deliveries", PageOut[schemas.DeliveryOut], "Delivery attempts")
async def list_deliveries(one: Subscription, paging: edge.Paging) -> PageOut[schemas.DeliveryOut]:
    """Every attempt to deliver an event to this subscription, newest first: the event
    id and type, when it started, the latency, the receiver's status code or the error,
    the outcome (`delivered`, `retry`, `failed`) and, while a retry is pending, when it
    comes."""
    return await paging.fetch(PageOut[schemas.DeliveryOut], ping.deliveries, *one.args)


@reminder_routes.read("", PageOut[schemas.ReminderOut], "List reminders")
async def list_reminders(
    paging: edge.Paging,
    session: WriteSession,
    actor: SubscriptionsWriter,
    subscription_id: uuid.UUID | None = None,
    deadline_id: uuid.UUID | None = None,
    status: Annotated[list[schemas.ReminderStatus], Query()] = [],  # noqa: B006
    event_type: Annotated[list[schemas.EventType], Query()] = [],  # noqa: B006
) -> PageOut[schemas.ReminderOut]:
    """Reminders and change events sent (or being sent) to this key's subscriptions,
    newest first, each with its log of delivery attempts (time, duration, HTTP status
    or error). `id` is the event id the receiver saw."""
    return await paging.fetch(
        PageOut[schemas.ReminderOut],
        reminders.list_reminders,
        session,
        actor,
        subscription_id=subscription_id,
        statuses=tuple(dict.fromkeys(status)),
        event_types=tuple(dict.fromkeys(event_type)),
        deadline_id=deadline_id,
    )


@reminder_routes.read("/{reminder_id}", schemas.ReminderOut, "One reminder")
async def get_reminder(
    reminder_id: uuid.UUID, session: WriteSession, actor: SubscriptionsWriter
) -> schemas.ReminderOut:
    """One reminder with its delivery attempts."""
    return await reminders.get_reminder(session, actor, reminder_id)
