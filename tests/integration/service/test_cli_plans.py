"""`xuequ policy` and `xuequ rotation explain` as a planner uses them."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()
POLICIES = Path(__file__).resolve().parents[3] / "policies"


def test_policy_edit_stores_versions_refuses_bad_ones_and_diffs(tmp_path, db_url):
    edited = tmp_path / "c1.toml"
    edited.write_text((POLICIES / "rotation.toml").read_text(encoding="utf-8").replace(
        "max_km = 40.0", "max_km = 45.0", 1), encoding="utf-8")
    args = ["policy", "edit", "--scope", "C1", "--year", "2026", "--term", "1", "--db", db_url]
    first = runner.invoke(app, [*args, "--file", str(edited), "--comment", "乡镇路远"])
    assert first.exit_code == 0, first.output
    assert "version 1" in first.output

    broken = tmp_path / "broken.toml"
    broken.write_text("[distance]\nmax_kilometres = 45\n", encoding="utf-8")
    refused = runner.invoke(app, [*args, "--file", str(broken)])
    assert refused.exit_code == 2 and "max_kilometres" in refused.output

    shown = runner.invoke(app, ["policy", "show", "--scope", "C1", "--year", "2026", "--term", "1", "--db", db_url])
    assert "version 1" in shown.output and "max_km = 45.0" in shown.output

    again = tmp_path / "c1b.toml"
    again.write_text(edited.read_text(encoding="utf-8").replace("max_km = 45.0", "max_km = 50.0", 1), encoding="utf-8")
    assert "version 2" in runner.invoke(app, [*args, "--file", str(again)]).output
    diff = runner.invoke(app, ["policy", "diff", "C1:2026:1:1", "C1:2026:1:2", "--db", db_url])
    assert "-max_km = 45.0" in diff.output and "+max_km = 50.0" in diff.output


def test_rotation_explain_names_the_rule_and_the_numbers(mini_bundle, tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(mini_bundle), "--db", db]).exit_code == 0
    strict = tmp_path / "strict.toml"
    strict.write_text((POLICIES / "rotation.toml").read_text(encoding="utf-8").replace(
        "max_km = 40.0", "max_km = 1.0", 1), encoding="utf-8")
    result = runner.invoke(app, ["rotation", "explain", "--year", "2026", "--term", "1", "--policy", str(strict),
                                 "--db", db, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "quota" in result.output and "km" in result.output
