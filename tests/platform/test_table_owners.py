"""One owner per table: the tables more than one domain once wrote are written only by the
module of the domain that owns their model; every other domain calls it.

A write is SQL text (``INSERT INTO t``, ``UPDATE t``, ``DELETE FROM t``), a SQLAlchemy
``insert``/``update``/``delete`` of the model, or a new model instance (an ORM insert).
That every write to ``recommendations`` stamps one clock: tests/recommendations/test_write_path.py.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Owner:
    table: str
    model: str
    models_module: str
    # Files or folders (relative to the root) allowed to write the table.
    writers: tuple[str, ...]

    def allows(self, relative: str) -> bool:
        return any(relative == w or relative.startswith(f"{w}/") for w in self.writers)


OWNERS = (
    Owner(
        "recommendations",
        "Recommendation",
        "shared.recommendations.models",
        ("shared/recommendations/writes.py",),
    ),
    Owner(
        "recommending_states",
        "RecommendingState",
        "shared.recommendations.models",
        ("shared/recommendations/related_writes.py",),
    ),
    Owner(
        "position_changes",
        "PositionChange",
        "shared.recommendations.models",
        ("shared/recommendations/related_writes.py",),
    ),
    Owner("outbox", "OutboxEvent", "shared.kernel.outbox", ("shared/kernel/outbox.py",)),
    # The review workflow: its repository writes, its service edits the rows it loaded.
    Owner("progress_reports", "ProgressReport", "shared.review.models", ("shared/review",)),
)


def _sources() -> list[Path]:
    return [p for folder in ("shared", "services") for p in sorted((ROOT / folder).rglob("*.py"))]


def _sql_writes(owner: Owner) -> re.Pattern[str]:
    return re.compile(rf"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+{owner.table}\b", re.IGNORECASE)


def _orm_writes(tree: ast.AST, owner: Owner) -> list[int]:
    """Lines that insert, update or delete the model, or make a new instance of it, under
    whatever name the module imported it (other modules have classes of the same name),
    by SQLAlchemy's statements under any name (``sa.insert``, ``pg_insert``)."""
    parent, _, leaf = owner.models_module.rpartition(".")
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {
        alias.asname or alias.name
        for node in imports
        if isinstance(node, ast.ImportFrom) and node.module == owner.models_module
        for alias in node.names
        if alias.name == owner.model
    }
    # The models module itself, for ``models.Model``.
    modules = {
        alias.asname or alias.name
        for node in imports
        for alias in node.names
        if (isinstance(node, ast.ImportFrom) and node.module == parent and alias.name == leaf)
        or (isinstance(node, ast.Import) and alias.name == owner.models_module and alias.asname)
    }
    statements = {"insert", "update", "delete"}
    statements |= {
        alias.asname
        for node in imports
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in {"insert", "update", "delete"} and alias.asname
    }

    def is_model(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in names
        return (
            isinstance(node, ast.Attribute)
            and node.attr == owner.model
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        )

    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        called = (
            callee.id
            if isinstance(callee, ast.Name)
            else callee.attr
            if isinstance(callee, ast.Attribute)
            else None
        )
        made = is_model(callee)
        written = called in statements and any(is_model(a) for a in node.args)
        if made or written:
            lines.append(node.lineno)
    return lines


def offenders(owner: Owner, sources: list[Path], root: Path = ROOT) -> list[str]:
    found = []
    pattern = _sql_writes(owner)
    for path in sources:
        relative = path.relative_to(root).as_posix()
        if owner.allows(relative):
            continue
        source = path.read_text()
        lines = {source.count("\n", 0, m.start()) + 1 for m in pattern.finditer(source)}
        lines.update(_orm_writes(ast.parse(source), owner))
        text = source.splitlines()
        found += [f"{relative}:{n}: {text[n - 1].strip()}" for n in sorted(lines)]
    return found


@pytest.mark.parametrize("owner", OWNERS, ids=lambda o: o.table)
def test_only_the_owner_writes_the_table(owner: Owner) -> None:
    assert offenders(owner, _sources()) == [], f"write {owner.table} through {owner.writers}"


def _lines_found(tmp_path: Path, source: str) -> dict[str, list[str]]:
    """The lines of a probe module in another domain that the check finds, by table."""
    module = tmp_path / "shared" / "spreadsheets" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    return {
        o.table: [line.split(":")[1] for line in offenders(o, [module], tmp_path)] for o in OWNERS
    }


def test_the_check_finds_a_second_writer(tmp_path: Path) -> None:
    """The check itself: SQL text over several lines, a Core statement and a new instance
    under another name are all found; a same-named class of another module is not."""
    found = _lines_found(
        tmp_path,
        "from shared.kernel.outbox import OutboxEvent as Event\n"
        "from shared.ingestion.parsed import PositionChange\n"
        "from sqlalchemy import update\n"
        "SQL = '''UPDATE\n    progress_reports SET state = 'draft' '''\n"
        "STMT = update(Event)\n"
        "ROW = Event(event_type='x')\n"
        "PARSED = PositionChange(1, 'supported', 'x')\n",
    )
    assert found["progress_reports"] == ["4"]
    assert found["outbox"] == ["6", "7"]
    assert found["position_changes"] == []
    assert found["recommending_states"] == []


def test_the_check_finds_writes_under_other_names(tmp_path: Path) -> None:
    """Statements through a module (``sa.insert``) or an alias (``pg_insert``), and the
    model through its module (``models.Model``), are writes too."""
    found = _lines_found(
        tmp_path,
        "import sqlalchemy as sa\n"
        "from sqlalchemy.dialects.postgresql import insert as pg_insert\n"
        "from shared.recommendations import models\n"
        "from shared.recommendations.models import RecommendingState\n"
        "A = pg_insert(RecommendingState).on_conflict_do_nothing()\n"
        "B = sa.delete(models.RecommendingState)\n"
        "C = models.PositionChange(position='supported')\n"
        "D = sa.select(models.PositionChange)\n"
        "E = sa.update(models.Recommendation).values(status='implemented')\n"
        "F = 'DELETE FROM recommendations WHERE id = :id'\n",
    )
    assert found["recommending_states"] == ["5", "6"]
    assert found["position_changes"] == ["7"]
    assert found["recommendations"] == ["9", "10"]
