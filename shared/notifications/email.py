"""E-mail reminders: a readable text, sent over SMTP (SMTP_URL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

import aiosmtplib

from shared.settings import Settings

KIND_LABELS = {
    "hrc_response": "Responses to pending UPR recommendations",
    "upr_midterm_report": "UPR mid-term report",
    "upr_next_review": "Next Universal Periodic Review",
    "treaty_followup": "Treaty-body follow-up report",
    "mandate_end": "End of an OHCHR mandate",
    "mandate_renewal": "Renewal of an OHCHR mandate",
    "programme_milestone": "Programme milestone",
    "programme_evaluation": "Programme evaluation",
    "other": "Deadline",
}


def when(due: dt.date, today: dt.date) -> str:
    days = (due - today).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a notification mail goes to, who sends it, and the event it carries."""

    event_id: str
    to: str
    sender: str


def _message(envelope: Envelope, subject: str, body: str) -> EmailMessage:
    """A mail with the headers every notification carries."""
    message = EmailMessage()
    message["From"] = envelope.sender
    message["To"] = envelope.to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # A stable Message-ID: a resend of the same reminder is recognisably the same mail.
    message["Message-ID"] = f"<{envelope.event_id}@followup>"
    message["X-Followup-Event-Id"] = envelope.event_id
    message.set_content(body)
    return message


def reminder_message(
    envelope: Envelope,
    *,
    title: str,
    kind: str,
    country_code: str | None,
    country_name: str,
    due: dt.date,
    status: str,
    link: str,
    calendar_link: str | None,
    draft_link: str | None = None,
    subscription: str,
    today: dt.date,
) -> EmailMessage:
    lines = [
        "Follow-up reminder",
        "",
        f"What:     {title}",
        f"Kind:     {KIND_LABELS.get(kind, kind)}",
        f"Country:  {country_name}" + (f" ({country_code})" if country_code else ""),
        f"Due:      {due:%A %d %B %Y} ({when(due, today)})",
        f"Status:   {status}",
        "",
        f"Details:  {link}",
    ]
    if calendar_link:
        lines.append(f"Calendar: {calendar_link}")
    if draft_link:
        lines.append(f"Draft:    {draft_link}")
    lines += [
        "",
        f"You receive this message because of the subscription {subscription}.",
        f"Reminder id: {envelope.event_id}",
    ]
    return _message(
        envelope,
        f"[Follow-up] {country_name}: {title} — {when(due, today)} ({due})",
        "\n".join(lines) + "\n",
    )


def ping_message(envelope: Envelope, *, subscription: str) -> EmailMessage:
    """The test message of POST /v1/subscriptions/{id}/ping."""
    return _message(
        envelope,
        "[Follow-up] Test message",
        "Follow-up test message\n\n"
        f"Sent on request to test the subscription {subscription}: reminders will reach"
        " this address.\n"
        f"Event id: {envelope.event_id}\n",
    )


async def send(message: EmailMessage, settings: Settings) -> None:
    """Send over SMTP_URL: smtp://[user:pass@]host[:port] (STARTTLS when the server
    offers it) or smtps://... (implicit TLS)."""
    if settings.smtp_url is None:
        raise RuntimeError("SMTP_URL is not set: e-mail reminders cannot be sent")
    url = urlsplit(settings.smtp_url.get_secret_value())
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise RuntimeError("SMTP_URL must look like smtp://host:port or smtps://host:port")
    tls = url.scheme == "smtps"
    await aiosmtplib.send(
        message,
        hostname=url.hostname,
        port=url.port or (465 if tls else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=tls,
        timeout=settings.webhook_timeout_s,
    )
