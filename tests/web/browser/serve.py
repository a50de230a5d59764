"""`python -m tests.web.browser.serve PORT DBNAME`: a scratch database with the seeded
world, and the portal on 127.0.0.1:PORT, for the browser tests (prints READY when it
answers; SIGTERM stops it and drops the database)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from typing import Any

import httpx
import uvicorn
from sqlalchemy.engine import make_url

from services.api.app import create_app as create_api
from services.web.app import create_app as create_web
from shared.db import Database
from shared.institutions.models import Institution
from shared.settings import Settings
from tests.conftest import scratch_database, upgrade
from tests.web.seed import seed


async def main(port: int, name: str) -> None:
    # Development: the sign-in page then offers the development sign-in as any role.
    base = Settings(environment="development", rate_limit_per_minute=0)
    async with scratch_database(base, name) as engine:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        url = make_url(base.database_url).set(database=name)
        settings = base.model_copy(
            update={"database_url": url.render_as_string(hide_password=False)}
        )
        db = Database(settings)
        api = create_api(settings, db=db)
        transport = httpx.ASGITransport(app=api)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://api") as client,
            db.sessionmaker() as session,
        ):
            seeded = await seed(session, client)
            session.add(Institution(id=uuid.uuid4(), country="PRY", kind="ministry",
                                    name="Ministry of Justice"))  # fmt: skip
            session.add(Institution(id=uuid.uuid4(), country="PRY", kind="nhri",
                                    name="Defensoría del Pueblo"))  # fmt: skip
            await session.commit()
        await api.state.queue.close()
        server = uvicorn.Server(
            uvicorn.Config(
                create_web(settings, db=db), host="127.0.0.1", port=port, log_config=None,
                access_log=False, lifespan="on",
            )
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: setattr(server, "should_exit", True))

        async def announce() -> None:
            # uvicorn offers no start event to wait on.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            facts: dict[str, Any] = {"recs": seeded.recs, "mandate": seeded.mandate,
                                     "programme": seeded.programme}  # fmt: skip
            print("READY " + json.dumps(facts), flush=True)

        await asyncio.gather(server.serve(), announce())
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
