"""`followup erase-person`: erase one person's data (focal points, e-mail subscriptions,
mentions in the audit log), as `POST /v1/personal-data/erasures` does."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from shared.auth.schemas import OPERATOR
from shared.privacy import service
from shared.privacy.schemas import ErasureIn


def erase_person(
    email: Annotated[str | None, typer.Option(help="the person's e-mail address")] = None,
    name: Annotated[str | None, typer.Option(help="the person's name (focal points)")] = None,
) -> None:
    """Erase one person; the audit log keeps an "[erased]" marker instead of the data."""
    from services.cli.main import fail, out, run_in_unit_of_work

    try:
        person = ErasureIn(email=email, name=name)
    except ValidationError as exc:
        raise fail("; ".join(str(e["msg"]) for e in exc.errors())) from None
    erased = run_in_unit_of_work(lambda s: service.erase_person(s, OPERATOR, person))
    extra = "".join(f", {n} {key}" for key, n in erased.other.items())
    out.print(
        f"erased {erased.focal_points} focal point(s), {erased.subscriptions} subscription(s)"
        f"{extra}; {erased.audit_entries} audit entr(y/ies) redacted",
        markup=False,
        highlight=False,
    )
