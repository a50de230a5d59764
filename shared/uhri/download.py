"""Download of the UHRI export (conditional GET, bounded size) and its import from a URL."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import egress
from shared.db import unit_of_work
from shared.ingestion.sources import FetchError, make_client
from shared.settings import Settings, get_settings
from shared.uhri.importer import create_import, finish, import_file
from shared.uhri.repository import UhriRepository
from shared.uhri.schemas import UhriImportOut
from shared.uhri.service import Progress, Trigger, UhriImportFailed
from shared.uhri.settings import UhriSettings, get_uhri_settings

# --- download -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Downloaded:
    not_modified: bool
    path: Path | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    size: int = 0


def _client(app: Settings, settings: UhriSettings) -> httpx.AsyncClient:
    # The ingestion's egress client (user agent, redirect limit), with the export's own
    # timeout and size limit.
    return make_client(
        app.model_copy(update={"ingest_timeout_s": settings.timeout_s}),
        max_bytes=settings.max_bytes,
    )


async def download(
    url: str,
    folder: Path,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    settings: UhriSettings | None = None,
    client: httpx.AsyncClient | None = None,
) -> Downloaded:
    """Stream ``url`` into a file in ``folder`` (constant memory, size-limited), with a
    conditional GET when validators are given. Raises ``FetchError``."""
    settings = settings or get_uhri_settings()
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    http = client or _client(get_settings(), settings)
    name = Path(httpx.URL(url).path).name or "export"
    target = folder / name
    digest = hashlib.sha256()
    size = 0
    try:
        async with http.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Downloaded(not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} from {url}")
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > settings.max_bytes:
                raise FetchError(
                    f"{url} is {int(declared)} bytes, over the limit of {settings.max_bytes}"
                )
            handle = await asyncio.to_thread(target.open, "wb")
            try:
                async for chunk in response.aiter_bytes(1 << 20):
                    size += len(chunk)
                    if size > settings.max_bytes:
                        raise FetchError(f"{url} exceeds the limit of {settings.max_bytes} bytes")
                    digest.update(chunk)
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
            if declared.isascii() and declared.isdigit() and size != int(declared):
                raise FetchError(f"{url}: got {size} of {declared} bytes (truncated)")
            return Downloaded(
                not_modified=False,
                path=target,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                sha256=digest.hexdigest(),
                size=size,
            )
    except egress.EgressRefused as exc:
        raise FetchError(f"refused {url}: {exc.detail}") from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out fetching {url}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    finally:
        if own:
            await http.aclose()


async def import_url(
    sessionmaker: async_sessionmaker[AsyncSession],
    url: str,
    *,
    trigger: Trigger = "cron",
    conditional: bool = True,
    full: bool | None = None,
    progress: Progress | None = None,
    settings: UhriSettings | None = None,
    client: httpx.AsyncClient | None = None,
) -> UhriImportOut:
    """Download the export at ``url`` and import it. ``conditional``: send the validators
    of the last import of the same URL; a 304 records a ``not_modified`` import and
    changes nothing else."""
    settings = settings or get_uhri_settings()
    etag = last_modified = None
    if conditional:
        async with unit_of_work(sessionmaker, None) as session:
            last = await UhriRepository(session).last_fetch(url)
            if last is not None:
                etag, last_modified = last.etag, last.last_modified
    with tempfile.TemporaryDirectory(prefix="uhri-") as folder:
        try:
            fetched = await download(
                url,
                Path(folder),
                etag=etag,
                last_modified=last_modified,
                settings=settings,
                client=client,
            )
        except FetchError as exc:
            import_id, _ = await create_import(
                sessionmaker, source=url, trigger=trigger, full=False, status="running"
            )
            await finish(sessionmaker, import_id, {"status": "failed", "error": str(exc)})
            raise UhriImportFailed(str(exc), import_id) from None
        validators = {
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
        }
        if fetched.not_modified or fetched.path is None:
            import_id, _ = await create_import(
                sessionmaker,
                source=url,
                trigger=trigger,
                full=False,
                status="running",
                **validators,
            )
            return await finish(sessionmaker, import_id, {"status": "not_modified"})
        return await import_file(
            sessionmaker,
            fetched.path,
            source=url,
            trigger=trigger,
            full=full,
            progress=progress,
            settings=settings,
            validators={**validators, "sha256": fetched.sha256, "size": fetched.size},
        )
