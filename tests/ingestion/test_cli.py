"""`followup parse FILE --json`: output shape and clean failure on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from services.cli.parse_cmd import parse
from tests.data import UPR_DATA, require

app = typer.Typer()
app.command("parse")(parse)
app.command("noop")(lambda: None)  # keeps "parse" a sub-command, as in the real app
runner = CliRunner()


def test_parse_json_shape() -> None:
    path = require(UPR_DATA / "reports" / "slovenia" / "C3_A_HRC_43_15_WG_report.pdf")
    result = runner.invoke(app, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["document"]["symbol"] == "A/HRC/43/15"
    assert data["document"]["cycle"] == 3
    assert len(data["recommendations"]) == 215
    first = data["recommendations"][0]
    assert first["recommending_states"][0] == {"name": "France", "iso3": "FRA"}
    assert {"paragraph", "text", "position", "position_source", "printed_number"} <= set(first)


def test_parse_add1_includes_position_changes() -> None:
    path = require(UPR_DATA / "reports" / "slovenia" / "C4_A_HRC_59_15_Add1_views.pdf")
    data = json.loads(runner.invoke(app, ["parse", str(path), "--json"]).stdout)
    assert len(data["position_changes"]) == 254


def test_parse_summary() -> None:
    path = require(UPR_DATA / "matrices" / "china_UPR17_2013_matrix.docx")
    result = runner.invoke(app, ["parse", str(path)])
    assert result.exit_code == 0
    assert "252 recommendations" in result.stdout


def test_unsupported_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "old.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    result = runner.invoke(app, ["parse", str(bad), "--json"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "unsupported format" in result.stderr
    assert "Traceback" not in result.output


def test_unreadable_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.5\n garbage")
    result = runner.invoke(app, ["parse", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
