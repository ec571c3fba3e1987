"""The `xuequ` command line, as a user types it."""
from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from service.cli import app
from tests.bundle_edits import set_cell

runner = CliRunner()


def all_command_paths(command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if hasattr(command, "commands"):  # a group (typer vendors its own click)
        for name, sub in command.commands.items():
            paths += all_command_paths(sub, prefix + (name,))
    return paths


@pytest.mark.parametrize("path", all_command_paths(get_command(app)), ids=lambda p: " ".join(p) or "xuequ")
def test_every_verb_has_help(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_import_export_and_a_refused_bundle(mini_bundle, tmp_path, db_url):
    ok = runner.invoke(app, ["import", str(mini_bundle), "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert "teachers" in ok.output

    set_cell(mini_bundle, "rooms.csv", 3, "capacity", "-5")
    errors = tmp_path / "errors.csv"
    bad = runner.invoke(app, ["import", str(mini_bundle), "--db", db_url, "--errors-csv", str(errors)])
    assert bad.exit_code == 2
    assert "rooms.csv 第3行 列 capacity" in bad.output
    assert "capacity" in errors.read_text(encoding="utf-8-sig")

    out = tmp_path / "export"
    exported = runner.invoke(app, ["export", str(out), "--db", db_url])
    assert exported.exit_code == 0, exported.output
    assert (out / "rooms.csv").read_text(encoding="utf-8-sig").count("\n") == 4  # header + 3 rooms, unchanged


def test_template_and_demo_data(tmp_path):
    assert runner.invoke(app, ["template", str(tmp_path / "t.xlsx")]).exit_code == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 5000
    result = runner.invoke(app, ["demo-data", "--out", str(tmp_path / "d"), "--schools", "5", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "teachers.csv").exists()
