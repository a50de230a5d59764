"""No module under shared/ is longer than 500 lines (docs/conventions.md): a longer one
holds more than one subject, and is split into modules whose names say what they hold."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500


def long_modules(folder: Path) -> dict[str, int]:
    """The modules below ``folder`` over the limit, with their number of lines."""
    lengths = {
        str(path.relative_to(folder)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(folder.rglob("*.py"))
    }
    return {name: n for name, n in lengths.items() if n > LIMIT}


def test_no_shared_module_is_longer_than_the_limit() -> None:
    long = long_modules(ROOT / "shared")
    assert not long, f"split these modules of shared/ (over {LIMIT} lines): {long}"


def test_the_check_finds_a_module_one_line_over(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "fits.py").write_text("x = 1\n" * LIMIT, encoding="utf-8")
    (tmp_path / "domain" / "over.py").write_text("x = 1\n" * (LIMIT + 1), encoding="utf-8")
    assert long_modules(tmp_path) == {"domain/over.py": LIMIT + 1}
