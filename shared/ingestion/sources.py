"""Where documents come from: configured sources, folder listings, index pages, HTTP fetches.

A source is a JSON object (``INGEST_SOURCES`` is a list of them):

* ``{"type": "folder", "path": "../shared/data/upr"}``: every document file below the
  folder (relative paths are resolved against the repository root);
* ``{"type": "urls", "urls": ["https://...", ...]}``: documents by URL;
* ``{"type": "index", "url": "https://...", "pattern": "optional regex"}``: an HTML page
  whose links are documents (links ending in a document extension, or UN document
  links, or those matching ``pattern``).

Fetches are bounded: timeouts, a maximum size, a content-type check, a limited number of
redirects, and conditional GET (ETag / Last-Modified) so that an unchanged remote
document costs one 304.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from shared import egress
from shared.errors import InvalidInput
from shared.settings import REPO_ROOT, Settings

DOCUMENT_EXTENSIONS = (".pdf", ".docx", ".doc", ".html", ".htm", ".txt")
# Media types a document may be served as; anything else (images, archives, ...) is refused.
ALLOWED_MEDIA_TYPES = frozenset(
    {
        "application/pdf",
        "application/x-pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/msword",
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        # Many document servers (the UN's among them) send files as generic bytes.
        "application/octet-stream",
        "binary/octet-stream",
        "application/download",
        "application/force-download",
    }
)
_UN_DOCUMENT_LINK = re.compile(
    r"(?:documents(?:-dds-ny)?\.un\.org|docs\.un\.org|undocs\.org)|/api/symbol/access|OpenElement",
    re.I,
)
USER_AGENT = "followup-ingestion/1.0 (+https://followup.example.org)"


@dataclass(frozen=True, slots=True)
class FolderSource:
    path: Path
    type: Literal["folder"] = "folder"


@dataclass(frozen=True, slots=True)
class UrlsSource:
    urls: tuple[str, ...]
    type: Literal["urls"] = "urls"


@dataclass(frozen=True, slots=True)
class IndexSource:
    url: str
    pattern: str | None = None
    type: Literal["index"] = "index"


Source = FolderSource | UrlsSource | IndexSource


@dataclass(frozen=True, slots=True)
class Entry:
    """One document to ingest: a file path or a URL."""

    source_type: Literal["file", "url"]
    key: str


def _check_url(url: object, where: str) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise InvalidInput(f"{where}: {url!r} is not an http(s) URL")
    if not urlsplit(url).netloc:
        raise InvalidInput(f"{where}: {url!r} has no host")
    return url


def resolve_path(path: str) -> Path:
    candidate = Path(path).expanduser()
    return (candidate if candidate.is_absolute() else REPO_ROOT / candidate).resolve()


def parse_sources(raw: Sequence[Any]) -> list[Source]:
    """Validate source configuration; InvalidInput names the offending entry."""
    sources: list[Source] = []
    for i, item in enumerate(raw):
        where = f"sources[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where}: a source is an object with a 'type'")
        kind = item.get("type")
        if kind == "folder":
            path = item.get("path")
            if not isinstance(path, str) or not path.strip():
                raise InvalidInput(f"{where}: a folder source needs a 'path'")
            sources.append(FolderSource(path=resolve_path(path)))
        elif kind == "urls":
            urls = item.get("urls")
            if not isinstance(urls, list) or not urls:
                raise InvalidInput(f"{where}: a urls source needs a non-empty 'urls' list")
            sources.append(UrlsSource(urls=tuple(_check_url(u, where) for u in urls)))
        elif kind == "index":
            url = _check_url(item.get("url"), where)
            pattern = item.get("pattern")
            if pattern is not None:
                if not isinstance(pattern, str):
                    raise InvalidInput(f"{where}: 'pattern' must be a regular expression")
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise InvalidInput(f"{where}: bad 'pattern': {exc}") from None
            sources.append(IndexSource(url=url, pattern=pattern))
        else:
            raise InvalidInput(f"{where}: unknown type {kind!r}; use 'folder', 'urls' or 'index'")
    return sources


def source_to_json(source: Source) -> dict[str, Any]:
    if isinstance(source, FolderSource):
        return {"type": "folder", "path": str(source.path)}
    if isinstance(source, UrlsSource):
        return {"type": "urls", "urls": list(source.urls)}
    out: dict[str, Any] = {"type": "index", "url": source.url}
    if source.pattern:
        out["pattern"] = source.pattern
    return out


def list_folder(path: Path) -> list[Path]:
    """Document files below ``path`` (recursively), in a stable order; hidden files skipped."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no folder {path}")
    root = path.resolve()
    files = [
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in DOCUMENT_EXTENSIONS
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
        # A link inside the folder may not lead out of it.
        and p.resolve().is_relative_to(root)
    ]
    return sorted(files, key=lambda p: str(p.relative_to(path)))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value:
                    self.hrefs.append(value.strip())


def extract_links(html: str, base_url: str, pattern: str | None = None) -> list[str]:
    """Absolute URLs of the document links of an index page, in page order, deduplicated."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    wanted = re.compile(pattern) if pattern else None
    links: dict[str, None] = {}
    for href in parser.hrefs:
        url, _ = urldefrag(urljoin(base_url, href))
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        path = urlsplit(url).path.lower()
        if wanted is not None:
            keep = bool(wanted.search(url))
        else:
            keep = path.endswith(DOCUMENT_EXTENSIONS) or bool(_UN_DOCUMENT_LINK.search(url))
        if keep and url != base_url:
            links[url] = None
    return list(links)


# --- fetching ------------------------------------------------------------------------


class FetchError(Exception):
    """A document could not be fetched, or was refused (size, type, status, redirects)."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    not_modified: bool
    data: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    filename: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def make_client(settings: Settings, *, max_bytes: int | None = None) -> httpx.AsyncClient:
    """The egress client (shared/egress): public addresses only, pinned, every redirect
    hop checked; ``fetch`` applies its own, usually lower, size limit."""
    return egress.make_client(
        settings,
        timeout=httpx.Timeout(
            settings.ingest_timeout_s, connect=min(10.0, settings.ingest_timeout_s)
        ),
        max_bytes=max_bytes if max_bytes is not None else settings.ingest_max_bytes,
        follow_redirects=True,
        max_redirects=settings.ingest_max_redirects,
        headers={"User-Agent": USER_AGENT},
    )


def _under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


async def check_submitted(sources: Sequence[Source], settings: Settings) -> None:
    """The checks for sources given over HTTP (INGEST_SOURCES is trusted): folders must
    lie under INGEST_FOLDER_ROOTS, URLs must pass the egress checks now (the fetch checks
    again when it connects). Raises InvalidInput (422) naming the source."""
    roots = [resolve_path(root) for root in settings.ingest_folder_roots]
    policy = egress.Policy.from_settings(settings)
    for i, source in enumerate(sources):
        where = f"sources[{i}]"
        if isinstance(source, FolderSource):
            if not _under(source.path, roots):
                raise InvalidInput(
                    f"{where}: the folder {str(source.path)!r} is not under a folder that "
                    "may be ingested (INGEST_FOLDER_ROOTS)",
                    code="folder_not_allowed",
                )
            continue
        for url in source.urls if isinstance(source, UrlsSource) else (source.url,):
            try:
                await egress.check_url(url, policy)
            except egress.EgressRefused as exc:
                raise egress.EgressRefused(f"{where}: {exc.detail}") from None


def _media_type(header: str | None) -> str | None:
    return header.split(";")[0].strip().lower() or None if header else None


def _filename(response: httpx.Response) -> str | None:
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", disposition, re.I)
    if match:
        return match.group(1).strip()
    name = urlsplit(str(response.url)).path.rsplit("/", 1)[-1]
    return name or None


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    allowed_types: frozenset[str] = ALLOWED_MEDIA_TYPES,
) -> Fetched:
    """GET ``url`` within the limits; ``not_modified`` when the server answers 304."""
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(url=url, not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} from {url}")
            media_type = _media_type(response.headers.get("content-type"))
            if media_type is not None and media_type not in allowed_types:
                raise FetchError(f"refused content type {media_type!r} from {url}")
            declared = response.headers.get("content-length")
            if declared and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    f"{url} is {int(declared)} bytes, over the limit of {max_bytes} bytes"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url} exceeds the limit of {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(
                url=url,
                not_modified=False,
                data=b"".join(chunks),
                content_type=media_type,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                filename=_filename(response),
            )
    except egress.EgressRefused as exc:
        raise FetchError(f"refused {url}: {exc.detail}") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {client.max_redirects} redirects from {url}") from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out fetching {url}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None


async def fetch_index(client: httpx.AsyncClient, source: IndexSource, max_bytes: int) -> list[str]:
    """The document links of an index page."""
    page = await fetch(
        client,
        source.url,
        max_bytes=max_bytes,
        allowed_types=frozenset({"text/html", "application/xhtml+xml", "text/plain"}),
    )
    text = page.data.decode("utf-8", errors="replace")
    return extract_links(text, str(source.url), source.pattern)


async def list_sources(
    sources: Sequence[Source], client: httpx.AsyncClient, max_bytes: int
) -> tuple[list[Entry], list[str]]:
    """Every document the sources name, and a message per source that could not be listed."""
    import asyncio

    entries: list[Entry] = []
    errors: list[str] = []
    for source in sources:
        if isinstance(source, FolderSource):
            try:
                files = await asyncio.to_thread(list_folder, source.path)
            except OSError as exc:
                errors.append(f"folder {source.path}: {exc}")
                continue
            entries += [Entry("file", str(p)) for p in files]
        elif isinstance(source, UrlsSource):
            entries += [Entry("url", u) for u in source.urls]
        else:
            try:
                links = await fetch_index(client, source, max_bytes)
            except FetchError as exc:
                errors.append(f"index {source.url}: {exc}")
                continue
            if not links:
                errors.append(f"index {source.url}: no document links found")
            entries += [Entry("url", u) for u in links]
    return list(dict.fromkeys(entries)), errors
