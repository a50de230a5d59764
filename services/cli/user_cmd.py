"""`followup user ...` (people and their roles) and `followup dev-token`."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from services.cli.common import fail, out, run_in_unit_of_work
from shared.auth.schemas import OPERATOR
from shared.people import devkey
from shared.people import service as people
from shared.people.config import MembershipSpec
from shared.people.repository import PeopleRepository
from shared.people.schemas import GrantIn, MembershipOut, UserPage
from shared.settings import get_settings

user_app = typer.Typer(help="People who sign in, and their roles.", no_args_is_help=True)

RoleOption = Annotated[
    str, typer.Option(help="admin, coordinator, focal_point, nhri, civil_society or viewer")
]
CountryOption = Annotated[str | None, typer.Option(help="ISO3 code of the State")]
InstitutionOption = Annotated[
    str | None, typer.Option(help="institution or organisation: its name (in --country) or id")
]


def _spec(role: str, country: str | None, institution: str | None) -> GrantIn:
    try:
        return GrantIn(role=role, country=country, institution=institution)
    except ValidationError as exc:
        raise fail("; ".join(str(e["msg"]) for e in exc.errors())) from None


@user_app.command("grant")
def grant(
    role: RoleOption,
    issuer: Annotated[str | None, typer.Option(help="the `iss` of the person's tokens")] = None,
    subject: Annotated[str | None, typer.Option(help="the `sub` of the person's tokens")] = None,
    user: Annotated[
        str | None, typer.Option(help="the user's id (instead of issuer+subject)")
    ] = None,
    country: CountryOption = None,
    institution: InstitutionOption = None,
) -> None:
    """Give a person a role in a scope (the person need not have signed in yet)."""
    spec = _spec(role, country, institution)
    if user is None and not (issuer and subject):
        raise fail("name the person with --issuer and --subject, or --user")

    async def work(session: AsyncSession) -> MembershipOut:
        if user is not None:
            try:
                user_id = uuid.UUID(user)
            except ValueError:
                raise fail(f"--user {user!r} is not a user id") from None
        else:
            assert issuer
            assert subject
            user_id = await PeopleRepository(session).ensure_user(issuer, subject)
        return await people.grant(session, OPERATOR, user_id, spec)

    granted = run_in_unit_of_work(work)
    out.print(
        f"membership {granted.id}: {granted.role}"
        f" {granted.country or ''} {granted.institution or ''}".rstrip()
    )


@user_app.command("list")
def list_users(
    country: Annotated[
        str | None, typer.Option(help="only users with a role in this State")
    ] = None,
) -> None:
    """List users and their memberships."""

    async def work(session: AsyncSession) -> UserPage:
        return await people.list_users(
            session, OPERATOR, country=country.upper() if country else None, cursor=None, limit=500
        )

    page = run_in_unit_of_work(work)
    table = Table("user", "issuer", "subject", "name", "active", "membership", "role", "scope")
    for u in page.items:
        rows: list[MembershipOut | None] = list(u.memberships) or [None]
        for m in rows:
            table.add_row(
                str(u.id),
                u.issuer,
                u.subject,
                u.name or "",
                "yes" if u.active else "no",
                str(m.id) if m else "",
                m.role if m else "",
                " ".join(x for x in (m.country, m.institution) if x) if m else "",
            )
    out.print(table)


@user_app.command("revoke")
def revoke(
    membership: Annotated[str, typer.Argument(help="the membership id (user list)")],
) -> None:
    """Remove a membership."""
    try:
        ident = uuid.UUID(membership)
    except ValueError:
        raise fail(f"{membership!r} is not a membership id") from None
    run_in_unit_of_work(lambda s: people.revoke(s, OPERATOR, ident))
    out.print(f"revoked {ident}")


@user_app.command("deactivate")
def deactivate(user: Annotated[str, typer.Argument(help="the user id")]) -> None:
    """Refuse the user's tokens from now on (401 inactive_user)."""
    try:
        ident = uuid.UUID(user)
    except ValueError:
        raise fail(f"{user!r} is not a user id") from None
    run_in_unit_of_work(lambda s: people.set_active(s, OPERATOR, ident, False))
    out.print(f"deactivated {ident}")


def dev_token(
    role: RoleOption,
    country: CountryOption = None,
    institution: InstitutionOption = None,
    subject: Annotated[str | None, typer.Option(help="the token's `sub`")] = None,
    name: Annotated[str | None, typer.Option(help="the person's name")] = None,
    email: Annotated[str | None, typer.Option(help="the person's e-mail")] = None,
    hours: Annotated[int, typer.Option(min=1, max=168, help="lifetime")] = 8,
) -> None:
    """Print a development access token carrying one role (ENVIRONMENT=development only).

    The API trusts it without any identity provider; the institution is matched by name
    in the State when the token is used (create it first: POST /v1/institutions)."""
    settings = get_settings()
    try:
        spec = MembershipSpec(role=role, country=country, institution=institution)
    except ValidationError as exc:
        raise fail("; ".join(str(e["msg"]) for e in exc.errors())) from None
    try:
        token = devkey.mint(
            settings, spec, subject=subject, name=name, email=email, lifetime_s=hours * 3600
        )
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    print(token)
