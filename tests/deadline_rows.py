"""Open, hand-entered deadlines about a country: the rows the reminder and list tests need."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.deadlines.models import Deadline


def country_deadline(
    due: dt.date, title: str, *, country: str = "PRY", kind: str = "treaty_followup"
) -> Deadline:
    return Deadline(
        id=uuid.uuid4(),
        kind=kind,
        due_date=due,
        subject_type="country",
        subject_id=country,
        country=country,
        title=title,
        origin="manual",
        status="open",
    )
