"""UHRI-scale data for the benchmarks: N recommendations drawn from the real documents.

The corpus is the parsed content of ``../shared/data/upr`` (WG reports for texts and
recommending States, OHCHR matrices for themes, affected persons and SDG goals), read with
``shared.ingestion.parse.parse_bytes`` once and cached in ``.local/bench/corpus.json``.

Generated data: every UN Member State reviewed in each UPR cycle 1-4 (one WG report and
one Add.1 per review), the number of recommendations per review following the real
spread of States in the corpus and growing by cycle; texts recombined from two real
recommendations (or kept verbatim), the real recommending States of the first one; about
60/40 supported/noted; themes and SDGs sampled as the matrices tag them. Mandates,
programmes and 1,000,000 deadlines go into their tables only when the migrated schema
has them.

Loading goes through the application's migrated schema: secondary indexes are dropped,
rows COPYed (``copy_records_to_table``) with foreign-key triggers off
(``session_replication_role = replica``; the rows are consistent by construction and
checked after), the indexes rebuilt from their own definitions, then VACUUM ANALYZE.

    python -m bench.generate [N]      # load into BENCH_DATABASE (followup_bench)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]

from shared.kernel.sdg import sdg_goals_of

ROOT = Path(__file__).resolve().parents[1]
UPR = ROOT.parent / "shared" / "data" / "upr"
CACHE = ROOT / ".local" / "bench" / "corpus.json"
LOAD_FIGURES = ROOT / ".local" / "bench"
GENERATOR_VERSION = 4
DEFAULT_ROWS = 300_000
DEADLINES = 1_000_000
BATCH = 25_000
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

# UPR sessions per cycle (first session, number of sessions).
CYCLES = {1: (1, 12), 2: (13, 14), 3: (27, 14), 4: (41, 14)}
# Recommendations per review grow with the cycles (UHRI: ~20k in cycle 1, ~60-70k later).
CYCLE_WEIGHT = {1: 0.45, 2: 1.0, 3: 1.25, 4: 1.35}
FIRST_SESSION = dt.date(2008, 4, 7)
POSITIONS = (
    ("supported", "Supported", 0.585),
    ("noted", "Noted", 0.385),
    ("partially_supported", "Partially supported", 0.02),
    ("pending", None, 0.01),
)
STATUSES = (
    ("no_information", 0.70),
    ("not_started", 0.05),
    ("in_progress", 0.12),
    ("partially_implemented", 0.08),
    ("implemented", 0.05),
)
INSTITUTIONS = (
    "Ministry of Justice",
    "Ministry of Foreign Affairs",
    "Ministry of the Interior",
    "Ministry of Education",
    "Ministry of Health",
    "Ministry of Labour and Social Affairs",
    "National Human Rights Institution",
    "Parliament",
    "Supreme Court",
    "Office of the Ombudsperson",
)

REC_COLUMNS = (
    "id",
    "ref",
    "kind",
    "document_id",
    "document_symbol",
    "document_date",
    "paragraph",
    "paragraph_key",
    "printed_number",
    "text",
    "state_under_review",
    "mechanism",
    "cycle",
    "session",
    "position",
    "position_raw",
    "position_source",
    "themes",
    "affected_persons",
    "sdg_targets",
    "sdg_goals",
    "institutions",
    "status",
    "version",
    "deleted_at",
    "created_at",
    "updated_at",
    # Filled with a placeholder by COPY (triggers are off while loading), then built by
    # the database's own recommendation_item() once the recommending States are in.
    "item",
)
STATE_COLUMNS = ("recommendation_id", "ordinal", "name", "iso3")
DOC_COLUMNS = (
    "id",
    "symbol",
    "kind",
    "title",
    "state_under_review",
    "state_name",
    "mechanism",
    "cycle",
    "session",
    "date",
    "report_symbol",
    "sha256",
    "size",
    "provenance",
    "warnings",
    "created_at",
    "updated_at",
)


# --- the corpus -------------------------------------------------------------------------


def build_corpus() -> dict[str, Any]:
    """Parse every real document once: texts, recommending States, tags, sizes."""
    from shared.ingestion.parse import parse_bytes
    from shared.reference.taxonomies import resolve_affected_person, resolve_theme

    if not UPR.is_dir():
        raise SystemExit(f"no corpus at {UPR}: the generator needs ../shared/data/upr")
    recs: list[list[Any]] = []
    sizes: dict[str, list[int]] = defaultdict(list)
    tagsets: list[list[Any]] = []
    files = 0
    for path in sorted(UPR.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".txt", ".pdf", ".docx"):
            continue
        try:
            doc = parse_bytes(path.read_bytes(), path.name)
        except Exception:  # noqa: S112 - an unreadable file is simply not in the corpus
            continue
        files += 1
        if doc.kind == "wg_report" and doc.state_under_review:
            sizes[doc.state_under_review].append(len(doc.recommendations))
            for r in doc.recommendations:
                text = " ".join(r.text.split())
                if 30 <= len(text) <= 2000:
                    states = [[s.name[:300], s.iso3] for s in r.recommending_states]
                    recs.append([text, states])
        elif doc.kind == "matrix":
            for r in doc.recommendations:
                themes = [t for t in (resolve_theme(label) for label in r.themes) if t]
                persons = [p for p in (resolve_affected_person(x) for x in r.affected_persons) if p]
                targets = [t for t in r.sdg_targets if "." in t]
                goals = sorted(
                    {int(t) for t in r.sdg_targets if t.isdigit() and 1 <= int(t) <= 17}
                    | set(sdg_goals_of(targets))
                )
                tagsets.append([list(dict.fromkeys(themes)), list(dict.fromkeys(persons)), goals])
    return {
        "version": GENERATOR_VERSION,
        "files": files,
        "recommendations": recs,
        "sizes": sizes,
        "tagsets": tagsets,
    }


def corpus() -> dict[str, Any]:
    if CACHE.exists():
        data: dict[str, Any] = json.loads(CACHE.read_text())
        if data.get("version") == GENERATOR_VERSION:
            return data
    data = build_corpus()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(data))
    return data


# --- generation -------------------------------------------------------------------------


def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values = [p[0] for p in pairs]
    cum: list[float] = []
    total = 0.0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum


def session_date(session: int) -> dt.date:
    return FIRST_SESSION + dt.timedelta(days=(session - 1) * 120 + 10)


class Generator:
    """Deterministic (seeded) rows for N recommendations."""

    def __init__(
        self, data: dict[str, Any], countries: list[tuple[str, str]], n: int, seed: int = 7
    ) -> None:
        from shared.reference.taxonomies import sdg_targets

        self.rng = random.Random(seed)
        self.n = n
        self.recs = data["recommendations"]
        self.tagsets = data["tagsets"] or [[[], [], []]]
        targets_by_goal: dict[int, list[str]] = defaultdict(list)
        for t in sdg_targets():
            targets_by_goal[t.goal].append(t.target)
        self.targets_by_goal = targets_by_goal
        goal_counts = Counter(g for ts in self.tagsets for g in ts[2])
        self.goals, self.goal_cum = _weighted(sorted(goal_counts.items()) or [(16, 1.0)])
        self.positions = POSITIONS
        self.status_values, self.status_cum = _weighted(STATUSES)
        self.position_values, self.position_cum = _weighted([(p, w) for *p, w in POSITIONS])
        sizes: dict[str, list[int]] = data["sizes"]
        median = statistics.median([statistics.mean(v) for v in sizes.values()] or [150])
        self.documents: list[dict[str, Any]] = []
        weights: list[float] = []
        order = list(countries)
        self.rng.shuffle(order)
        per_hrc: Counter[int] = Counter()
        for slot, (iso3, name) in enumerate(order):
            size = statistics.mean(sizes[iso3]) if sizes.get(iso3) else median
            for cycle, (first, count) in CYCLES.items():
                session = first + slot % count
                hrc = 8 + (session - 1) * 51 // 47
                per_hrc[hrc] += 1
                symbol = f"A/HRC/{hrc}/{per_hrc[hrc] + 4}"
                date = session_date(session)
                self.documents.append(
                    {
                        "id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
                        "add1_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
                        "symbol": symbol,
                        "state": iso3,
                        "state_name": name,
                        "cycle": cycle,
                        "session": session,
                        "date": date,
                        "lead": 100 + self.rng.randrange(60),
                    }
                )
                weights.append(size * CYCLE_WEIGHT[cycle])
        total = sum(weights)
        counts = [int(n * w / total) for w in weights]
        for i in sorted(range(len(counts)), key=lambda i: -weights[i])[: n - sum(counts)]:
            counts[i] += 1
        for doc, count in zip(self.documents, counts, strict=True):
            doc["count"] = count
        self.ids_sample: list[uuid.UUID] = []

    def document_rows(self) -> Iterator[tuple[Any, ...]]:
        for d in self.documents:
            created = dt.datetime.combine(d["date"], dt.time(12), dt.UTC)
            title = (
                f"Report of the Working Group on the Universal Periodic Review: {d['state_name']}"
            )
            yield (
                d["id"], d["symbol"], "wg_report", title, d["state"], d["state_name"], "UPR",
                d["cycle"], d["session"], d["date"], None, uuid.uuid4().hex + uuid.uuid4().hex,
                200_000 + self.rng.randrange(400_000), "{}", "[]", created, created,
            )  # fmt: skip
            add1_date = d["date"] + dt.timedelta(days=90)
            created = dt.datetime.combine(add1_date, dt.time(12), dt.UTC)
            yield (
                d["add1_id"], d["symbol"] + "/Add.1", "add1_views", f"{title}. Addendum",
                d["state"], d["state_name"], "UPR", d["cycle"], d["session"], add1_date,
                d["symbol"], uuid.uuid4().hex + uuid.uuid4().hex,
                20_000 + self.rng.randrange(80_000), "{}", "[]", created, created,
            )  # fmt: skip

    def _text(self) -> tuple[str, list[list[Any]]]:
        rng = self.rng
        text, states = self.recs[rng.randrange(len(self.recs))]
        if rng.random() < 0.6:
            other = self.recs[rng.randrange(len(self.recs))][0]
            i = text.find(" ", int(len(text) * (0.35 + 0.3 * rng.random())))
            j = other.find(" ", int(len(other) * (0.3 + 0.3 * rng.random())))
            if i > 0 and j > 0:
                text = text[:i] + other[j:]
        return text, states

    def _tags(self) -> tuple[list[str], list[str], list[str], list[int]]:
        rng = self.rng
        if rng.random() < 0.1:
            return [], [], [], []
        themes, persons, goals = self.tagsets[rng.randrange(len(self.tagsets))]
        if not goals and rng.random() < 0.5:
            goals = [self.goals[self._pick(self.goal_cum)]]
        targets = sorted(
            {rng.choice(self.targets_by_goal[g]) for g in goals if g in self.targets_by_goal}
        )
        return list(themes), list(persons), targets, sdg_goals_of(targets)

    def _pick(self, cum: list[float]) -> int:
        x = self.rng.random() * cum[-1]
        for i, c in enumerate(cum):
            if x < c:
                return i
        return len(cum) - 1

    def recommendation_batches(
        self, batch: int = BATCH
    ) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """(recommendation rows, recommending-State rows), ``batch`` recommendations at a time."""
        rng = self.rng
        recs: list[tuple[Any, ...]] = []
        states: list[tuple[Any, ...]] = []
        week_ago = NOW - dt.timedelta(days=7)
        sample_every = max(1, self.n // 200_000)
        k = 0
        for d in self.documents:
            add1 = d["symbol"] + "/Add.1"
            base = dt.datetime.combine(d["date"], dt.time(9), dt.UTC)
            for item in range(1, d["count"] + 1):
                rec_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                paragraph = f"{d['lead']}.{item}"
                text, rec_states = self._text()
                position, raw = self.positions[self._pick(self.position_cum)][:2]
                if d["cycle"] == 4 and d["session"] >= 53 and rng.random() < 0.5:
                    position, raw = "pending", None
                themes, persons, targets, goals = self._tags()
                institutions = (
                    rng.sample(INSTITUTIONS, rng.randint(1, 2)) if rng.random() < 0.08 else []
                )
                status = self.status_values[self._pick(self.status_cum)]
                created = base + dt.timedelta(seconds=rng.randrange(30 * 86400))
                created = min(created, week_ago)
                updated, version, deleted = created, 1, None
                r = rng.random()
                if r < 0.02:
                    updated = week_ago + dt.timedelta(seconds=rng.randrange(7 * 86400))
                    version = rng.randint(2, 4)
                    if rng.random() < 0.05:
                        deleted = updated
                elif r < 0.15:
                    span = max(1, int((week_ago - created).total_seconds()))
                    updated = created + dt.timedelta(seconds=rng.randrange(span))
                    version = rng.randint(2, 3)
                recs.append(
                    (
                        rec_id, f"{d['symbol']}#{paragraph}", "recommendation", d["id"],
                        d["symbol"], d["date"], paragraph, [d["lead"], item], f"{d['lead']}.{item}",
                        text, d["state"], "UPR", d["cycle"], d["session"], position, raw,
                        d["symbol"] if position == "pending" else add1, themes, persons, targets,
                        goals, institutions, status, version, deleted, created, updated, "{}",
                    )
                )  # fmt: skip
                for ordinal, (name, iso3) in enumerate(rec_states, start=1):
                    states.append((rec_id, ordinal, name, iso3))
                k += 1
                if k % sample_every == 0 and deleted is None:
                    self.ids_sample.append(rec_id)
                if len(recs) >= batch:
                    yield recs, states
                    recs, states = [], []
        if recs:
            yield recs, states


# --- mandates, programmes, deadlines (only when their tables exist) ---------------------

MANDATE_TYPES = (
    ("country_office", 0.45),
    ("human_rights_adviser", 0.3),
    ("peace_mission_component", 0.15),
    ("regional_office", 0.1),
)
REGIONS = (
    "East Africa", "Southern Africa", "West Africa", "Central Africa",
    "Middle East and North Africa", "South-East Asia", "Pacific", "Central Asia",
    "South America", "Central America", "Europe",
)  # fmt: skip
DEADLINE_KINDS = (
    ("hrc_response", 0.2),
    ("upr_midterm_report", 0.1),
    ("upr_next_review", 0.1),
    ("treaty_followup", 0.25),
    ("mandate_end", 0.02),
    ("mandate_renewal", 0.02),
    ("programme_milestone", 0.2),
    ("programme_evaluation", 0.06),
    ("other", 0.05),
)
TARGET_GROUPS = (
    "police_academies", "military_academies", "justice_sector", "prison_administration",
    "national_mechanisms", "nhris", "parliament", "government", "civil_society", "media",
)  # fmt: skip

MANDATE_COLUMNS = (
    "id", "type", "title", "country", "region", "countries", "legal_basis_kind",
    "legal_basis_reference", "start_date", "end_date", "renewal_due_on", "funding_required",
    "funding_secured", "currency", "funding_sources", "version",
)  # fmt: skip
PROGRAMME_COLUMNS = (
    "id", "title", "summary", "country", "region", "countries", "mandate_id", "start_date",
    "end_date", "budget", "currency", "objectives", "target_groups", "themes", "sdg_targets",
    "sdg_goals", "version",
)  # fmt: skip
DEADLINE_COLUMNS = (
    "id", "kind", "due_date", "subject_type", "subject_id", "country", "title", "description",
    "status", "origin", "rule", "met_at", "version", "created_at", "updated_at",
)  # fmt: skip


def mandate_rows(gen: Generator, states: list[str], n: int = 100) -> list[tuple[Any, ...]]:
    from decimal import Decimal

    rng = gen.rng
    values, cum = _weighted(MANDATE_TYPES)
    rows = []
    for _ in range(n):
        kind = values[gen._pick(cum)]
        country = None if kind == "regional_office" else rng.choice(states)
        region = rng.choice(REGIONS) if country is None else None
        covered = [country] if country else rng.sample(states, 4)
        start = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000))
        end = start + dt.timedelta(days=365 * rng.randint(2, 10)) if rng.random() < 0.8 else None
        required = Decimal(rng.randrange(500_000, 20_000_000))
        rows.append(
            (
                uuid.uuid4(), kind, f"OHCHR {kind.replace('_', ' ')} {country or region}",
                country, region, covered, rng.choice(("host_country_agreement", "hrc_resolution")),
                f"Agreement {rng.randrange(1000)}/{start.year}", start, end,
                end - dt.timedelta(days=180) if end else None, required,
                (required * Decimal(rng.randrange(30, 100)) / 100).quantize(Decimal("0.01")),
                "USD", ["regular budget", "voluntary contributions"][: rng.randint(1, 2)], 1,
            )
        )  # fmt: skip
    return rows


def programme_rows(
    gen: Generator, states: list[str], mandates: list[uuid.UUID], n: int = 1000
) -> list[tuple[Any, ...]]:
    from decimal import Decimal

    rng = gen.rng
    rows = []
    for i in range(n):
        country = rng.choice(states)
        themes, _, targets, goals = gen._tags()
        start = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(5000))
        rows.append(
            (
                uuid.uuid4(), f"Technical cooperation programme {i + 1} ({country})",
                "Strengthening national capacities to implement UPR recommendations.",
                country, None, [country],
                rng.choice(mandates) if mandates and rng.random() < 0.6 else None,
                start, start + dt.timedelta(days=365 * rng.randint(3, 10)),
                Decimal(rng.randrange(100_000, 10_000_000)), "USD",
                ["Train officials on international human rights standards"],
                rng.sample(TARGET_GROUPS, rng.randint(1, 3)), themes, targets, goals, 1,
            )
        )  # fmt: skip
    return rows


def deadline_batches(
    gen: Generator, states: list[str], n: int = DEADLINES, batch: int = 100_000
) -> Iterator[list[tuple[Any, ...]]]:
    rng = gen.rng
    values, cum = _weighted(DEADLINE_KINDS)
    ids = gen.ids_sample or [uuid.uuid4()]
    rows: list[tuple[Any, ...]] = []
    today = NOW.date()
    for _ in range(n):
        kind = values[gen._pick(cum)]
        due = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(12 * 365))
        status = ("met" if rng.random() < 0.7 else "missed") if due < today else "open"
        title = f"{kind.replace('_', ' ').capitalize()} due"
        created = dt.datetime.combine(
            due - dt.timedelta(days=rng.randrange(30, 900)), dt.time(8), dt.UTC
        )
        created = min(created, NOW)
        rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4), kind, due, "recommendation",
                str(rng.choice(ids)), rng.choice(states), title, None, status, "manual", None,
                created if status == "met" else None, 1, created, created,
            )
        )  # fmt: skip
        if len(rows) >= batch:
            yield rows
            rows = []
    if rows:
        yield rows


# --- loading ----------------------------------------------------------------------------


def pg_dsn(url: str) -> str:
    """asyncpg DSN from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    query = ("?" + tail.split("?", 1)[1]) if "?" in tail else ""
    return f"{head}/{name}{query}"


async def recreate_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(pg_dsn(with_database(admin_url, "postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(  # noqa: S603 - our own CLI
        [str(ROOT / ".venv" / "bin" / "followup"), "migrate"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    return {r[0] for r in rows}


async def _fits(conn: asyncpg.Connection, table: str, columns: Sequence[str]) -> str | None:
    """None when ``columns`` can fill ``table``; else why not."""
    rows = await conn.fetch(
        "SELECT column_name, is_nullable, column_default, is_generated, identity_generation"
        " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    existing = {r[0] for r in rows}
    unknown = set(columns) - existing
    required = {
        r[0] for r in rows if r[1] == "NO" and r[2] is None and r[3] == "NEVER" and r[4] is None
    } - set(columns)
    if unknown or required:
        return f"schema differs (unknown {sorted(unknown)}, unfilled {sorted(required)})"
    return None


async def _drop_indexes(conn: asyncpg.Connection, tables: Sequence[str]) -> list[str]:
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'"
        " AND i.tablename = ANY($1::text[]) AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        list(tables),
    )
    for name, _ in rows:
        await conn.execute(f'DROP INDEX "{name}"')
    return [r[1] for r in rows]


async def load(url: str, n: int, seed: int = 7) -> dict[str, Any]:
    """Fill the migrated database at ``url`` with ``n`` recommendations; timings back."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = corpus()
    timings["corpus_s"] = time.perf_counter() - t0
    conn = await asyncpg.connect(pg_dsn(url))
    notes: list[str] = []
    counts: dict[str, int] = {}
    try:
        countries = [
            (r[0], r[1])
            for r in await conn.fetch(
                "SELECT iso3, name FROM countries WHERE un_status = 'Member State' ORDER BY iso3"
            )
        ]
        gen = Generator(data, countries, n, seed)
        tables = await _tables(conn)
        extra: dict[str, tuple[str, ...]] = {}
        for table, columns in (
            ("mandates", MANDATE_COLUMNS),
            ("programmes", PROGRAMME_COLUMNS),
            ("deadlines", DEADLINE_COLUMNS),
        ):
            if table not in tables:
                notes.append(f"{table}: no such table in the migrated schema; not generated")
                continue
            why = await _fits(conn, table, columns)
            if why:
                notes.append(f"{table}: {why}; not generated")
                continue
            extra[table] = columns
        big = [
            "recommendations",
            "recommending_states",
            *(["deadlines"] if "deadlines" in extra else []),
        ]
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET synchronous_commit = off")
        t = time.perf_counter()
        async with conn.transaction():
            indexes = await _drop_indexes(conn, big)
            docs = list(gen.document_rows())
            await conn.copy_records_to_table("documents", records=docs, columns=DOC_COLUMNS)
            counts["documents"] = len(docs)
            counts["recommendations"] = counts["recommending_states"] = 0
            gen_s = 0.0
            batches = gen.recommendation_batches()
            while True:
                g = time.perf_counter()
                item = next(batches, None)
                gen_s += time.perf_counter() - g
                if item is None:
                    break
                recs, states = item
                await conn.copy_records_to_table(
                    "recommendations", records=recs, columns=REC_COLUMNS
                )
                await conn.copy_records_to_table(
                    "recommending_states", records=states, columns=STATE_COLUMNS
                )
                counts["recommendations"] += len(recs)
                counts["recommending_states"] += len(states)
            timings["generate_s"] = gen_s
            timings["copy_recommendations_s"] = time.perf_counter() - t - gen_s
            t = time.perf_counter()
            states_list = [c[0] for c in countries]
            if "mandates" in extra:
                mandates = mandate_rows(gen, states_list)
                await conn.copy_records_to_table(
                    "mandates", records=mandates, columns=MANDATE_COLUMNS
                )
                counts["mandates"] = len(mandates)
                if "programmes" in extra:
                    programmes = programme_rows(gen, states_list, [m[0] for m in mandates])
                    await conn.copy_records_to_table(
                        "programmes", records=programmes, columns=PROGRAMME_COLUMNS
                    )
                    counts["programmes"] = len(programmes)
            elif "programmes" in extra:
                notes.append("programmes: not generated without mandates")
            if "deadlines" in extra:
                counts["deadlines"] = 0
                for rows in deadline_batches(gen, states_list):
                    await conn.copy_records_to_table(
                        "deadlines", records=rows, columns=DEADLINE_COLUMNS
                    )
                    counts["deadlines"] += len(rows)
            timings["copy_other_s"] = time.perf_counter() - t
            # Before the indexes are rebuilt: the new row versions then cost no index writes.
            t = time.perf_counter()
            await conn.execute("UPDATE recommendations r SET item = recommendation_item(r)")
            timings["items_s"] = time.perf_counter() - t
            t = time.perf_counter()
            for definition in indexes:
                await conn.execute(definition)
            timings["indexes_s"] = time.perf_counter() - t
            t = time.perf_counter()
            orphans = await conn.fetchval(
                "SELECT (SELECT count(*) FROM recommending_states s WHERE NOT EXISTS"
                "  (SELECT 1 FROM recommendations r WHERE r.id = s.recommendation_id))"
                " + (SELECT count(*) FROM recommendations r WHERE NOT EXISTS"
                "  (SELECT 1 FROM documents d WHERE d.id = r.document_id))"
                " + (SELECT count(*) FROM recommendations r WHERE NOT EXISTS"
                "  (SELECT 1 FROM countries c WHERE c.iso3 = r.state_under_review))"
                " + (SELECT count(*) FROM recommending_states s WHERE s.iso3 IS NOT NULL"
                "  AND NOT EXISTS (SELECT 1 FROM countries c WHERE c.iso3 = s.iso3))"
            )
            if orphans:
                raise RuntimeError(f"{orphans} rows break a foreign key")
            timings["check_s"] = time.perf_counter() - t
        await conn.execute("SET session_replication_role = DEFAULT")
        t = time.perf_counter()
        for table in ("documents", *big, *(k for k in extra if k != "deadlines")):
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        timings["vacuum_analyze_s"] = time.perf_counter() - t
        name = url.rsplit("/", 1)[1].split("?")[0]
        await conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{marker(n, seed)}'")
    finally:
        await conn.close()
    timings["total_s"] = time.perf_counter() - t0
    return {
        "rows": counts,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "corpus": {
            "files_parsed": data["files"],
            "recommendations": len(data["recommendations"]),
            "matrix_tag_sets": len(data["tagsets"]),
        },
        "notes": notes,
    }


def marker(n: int, seed: int) -> str:
    return f"followup bench data: rows={n} seed={seed} generator={GENERATOR_VERSION}"


async def loaded_marker(url: str) -> str | None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    try:
        conn = await asyncpg.connect(pg_dsn(url))
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        value = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
        return str(value) if value else None
    finally:
        await conn.close()


async def prepare(url: str, n: int, seed: int = 7, *, force: bool = False) -> dict[str, Any]:
    """A migrated database at ``url`` holding the data; reused when already loaded."""
    name = url.rsplit("/", 1)[1].split("?")[0]
    # The figures of the load that made this database's data, when this checkout made it.
    figures = LOAD_FIGURES / f"load-{name}.json"
    if not force and await loaded_marker(url) == marker(n, seed):
        previous = json.loads(figures.read_text()) if figures.exists() else {}
        if previous.get("marker") == marker(n, seed):
            return {**previous, "reused": True}
        return {"reused": True}
    t = time.perf_counter()
    await recreate_database(url, name)
    migrate(url)
    migrate_s = time.perf_counter() - t
    result = await load(url, n, seed)
    result["seconds"]["create_and_migrate_s"] = round(migrate_s, 2)
    result["loaded_at"] = dt.datetime.now(dt.UTC).isoformat()
    result["marker"] = marker(n, seed)
    LOAD_FIGURES.mkdir(parents=True, exist_ok=True)
    figures.write_text(json.dumps(result, indent=2))
    result["reused"] = False
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_ROWS", DEFAULT_ROWS))
    base = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54329/followup")
    url = with_database(base, os.environ.get("BENCH_DATABASE", "followup_bench"))
    print(json.dumps(asyncio.run(prepare(url, n, force=True)), indent=2))


if __name__ == "__main__":
    main()
