"""RFC 5545 rendering of deadlines (icalendar)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar, Event

from shared.deadlines.schemas import DeadlineOut

PRODID = "-//Follow-up//Deadlines//EN"


def uid(deadline: DeadlineOut) -> str:
    return f"{deadline.id}@followup"


def render(
    deadlines: Iterable[DeadlineOut], *, name: str, base_url: str, now: dt.datetime
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for d in deadlines:
        event = Event()
        event.add("uid", uid(d))
        event.add("dtstamp", now)
        event.add("last-modified", d.updated_at)
        event.add("created", d.created_at)
        event.add("sequence", d.version)
        event.add("summary", d.title)
        event.add("dtstart", d.due_date)
        event.add("dtend", d.due_date + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("status", "CONFIRMED")
        event.add("categories", [d.kind])
        lines = [d.title, f"Kind: {d.kind}", f"Status: {d.status}"]
        if d.description:
            lines.append(d.description)
        url = f"{base_url.rstrip('/')}/v1/deadlines/{d.id}"
        lines.append(url)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
