"""Upsert the reference lists (States, mechanisms) into their tables, idempotently.

Run by the migration that creates the tables and again by ``followup migrate``, so that
a newer copy of the lists reaches existing databases.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.reference.countries import countries
from shared.reference.mechanisms import mechanisms


def sync_reference_data(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO countries (iso3, iso2, m49, name, formal_name, un_status, regional_group)"
            " VALUES (:iso3, :iso2, :m49, :name, :formal_name, :un_status, :regional_group)"
            " ON CONFLICT (iso3) DO UPDATE SET iso2 = excluded.iso2, m49 = excluded.m49,"
            " name = excluded.name, formal_name = excluded.formal_name,"
            " un_status = excluded.un_status, regional_group = excluded.regional_group"
        ),
        [
            {
                "iso3": c.iso3,
                "iso2": c.iso2,
                "m49": c.m49,
                "name": c.name,
                "formal_name": c.formal_name,
                "un_status": c.un_status,
                "regional_group": c.regional_group,
            }
            for c in countries()
        ],
    )
    connection.execute(
        text(
            "INSERT INTO mechanisms (code, name, kind) VALUES (:code, :name, :kind)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind"
        ),
        [{"code": m.code, "name": m.name, "kind": m.kind} for m in mechanisms()],
    )
