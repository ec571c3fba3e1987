"""A planner's stored policy takes effect: `policy edit` → the next `rotation plan`, `rotation explain`
and the roster's report use it and say so; nothing else writes a policy version; an edit opens
$EDITOR and validates on save; an undo is the next version; every change is audited with its diff."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models import AuditEntry, Plan, PolicySet
from service.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]
DEFAULT = (REPO / "policies" / "rotation.toml").read_text(encoding="utf-8")
YEAR = ["--year", "2026", "--term", "1"]


def rows(db: str, statement):
    engine = create_engine(db)
    try:
        with Session(engine) as session:
            return session.execute(statement).all()
    finally:
        engine.dispose()


@pytest.fixture
def district(mini_bundle, tmp_path) -> str:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(mini_bundle), "--db", db]).exit_code == 0
    return db


def test_a_stored_cluster_policy_changes_the_next_plan_explanation_and_report(district, tmp_path):
    plan = ["rotation", "plan", *YEAR, "--cluster", "C1", "--db", district, "--time-limit", "10"]
    before = runner.invoke(app, [*plan, "--out", str(tmp_path / "v1")])
    assert before.exit_code == 0, before.output
    assert "仓库默认文件 policies/rotation.toml" in before.output.replace("\n", "")
    assert rows(district, select(func.count()).select_from(PolicySet))[0][0] == 0  # planning stores no policy

    strict = tmp_path / "strict.toml"
    strict.write_text(DEFAULT.replace("max_km = 40.0", "max_km = 1.0", 1), encoding="utf-8")
    saved = runner.invoke(app, ["policy", "edit", "--scope", "C1", *YEAR, "--file", str(strict), "--db", district])
    assert saved.exit_code == 0 and "第 1 版" in saved.output

    after = runner.invoke(app, [*plan, "--out", str(tmp_path / "v2")])
    assert after.exit_code == 0, after.output
    assert "交流轮岗政策 C1 2026 学年第 1 学期 第 1 版" in after.output.replace("\n", "")
    (policy_id,), = rows(district, select(PolicySet.policy_set_id))
    plans = rows(district, select(Plan.version, Plan.policy_set_id, Plan.summary).where(Plan.kind == "rotation")
                 .order_by(Plan.version))
    assert [(v, p) for v, p, _ in plans] == [(1, None), (2, policy_id)]  # the edit is linked, not buried
    assert plans[1][2]["policy"]["source"] == "cluster" and plans[0][2]["policy"]["source"] == "file"
    assert rows(district, select(func.count()).select_from(PolicySet))[0][0] == 1
    # the report says which policy produced it, and the 1 km limit shows in what the plan explains
    report = (tmp_path / "v2" / "rotation_summary.md").read_text(encoding="utf-8")
    assert "C1 2026 学年第 1 学期 第 1 版" in report
    assert "在 1 公里内" in (tmp_path / "v2" / "rotation_explanations.txt").read_text(encoding="utf-8")
    assert "在 1 公里内" not in (tmp_path / "v1" / "rotation_explanations.txt").read_text(encoding="utf-8")

    explained = runner.invoke(app, ["rotation", "explain", *YEAR, "--cluster", "C1", "--db", district])
    assert explained.exit_code == 0, explained.output
    assert "第 1 版" in explained.output and "在 1 公里内" in explained.output.replace("\n", "")
    # another cluster, and the district, still plan under the repository file
    other = runner.invoke(app, ["rotation", "explain", *YEAR, "--cluster", "C2", "--db", district])
    assert "仓库默认文件" in other.output


def test_the_district_version_applies_where_a_cluster_has_none_and_a_run_file_overrides_both(district, tmp_path):
    from app.policies import resolve_policy

    year_wide = tmp_path / "district.toml"
    year_wide.write_text(DEFAULT.replace("max_km = 40.0", "max_km = 33.0", 1), encoding="utf-8")
    # saved for the whole school year (no term): applies to term 1 too
    assert runner.invoke(app, ["policy", "edit", "--scope", "district", "--year", "2026", "--file", str(year_wide),
                               "--db", district]).exit_code == 0
    resolved = resolve_policy("rotation", cluster_id="C1", school_year=2026, term=1, url=district)
    assert (resolved.source, resolved.scope, resolved.term, resolved.policy.distance.max_km) == \
        ("district", "district", None, 33.0)
    assert resolve_policy("rotation", cluster_id="C1", school_year=2027, term=1, url=district).source == "file"
    override = resolve_policy("rotation", cluster_id="C1", school_year=2026, term=1, url=district,
                              override=str(REPO / "policies" / "rotation.toml"))
    assert override.source == "override" and override.policy.distance.max_km == 40.0


def test_policy_edit_opens_the_editor_validates_on_save_and_an_undo_is_the_next_version(district, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^max_km = .*/max_km = 45.0/' \"$1\"\n", encoding="utf-8")
    editor.chmod(0o755)
    args = ["policy", "edit", "--scope", "C1", *YEAR, "--db", district]
    first = runner.invoke(app, args, env={"EDITOR": str(editor)})
    assert first.exit_code == 0, first.output
    assert "第 1 版" in first.output

    broken = tmp_path / "broken.sh"
    broken.write_text("#!/bin/sh\nsed -i 's/^max_km = .*/max_kilometres = 45.0/' \"$1\"\n", encoding="utf-8")
    broken.chmod(0o755)
    refused = runner.invoke(app, args, env={"EDITOR": str(broken)}, input="n\n")
    assert refused.exit_code == 0 and "max_kilometres" in refused.output and "未修改" in refused.output

    shown = runner.invoke(app, ["policy", "show", "--scope", "C1", *YEAR, "--db", district])
    assert "max_km = 45.0" in shown.output and "第 1 版" in shown.output

    wider = tmp_path / "wider.toml"
    wider.write_text(DEFAULT.replace("max_km = 40.0", "max_km = 50.0", 1), encoding="utf-8")
    assert "第 2 版" in runner.invoke(app, [*args, "--file", str(wider)]).output
    undo = runner.invoke(app, ["policy", "revert", "--to", "1", "--scope", "C1", *YEAR, "--db", district])
    assert undo.exit_code == 0 and "第 3 版" in undo.output, undo.output
    contents = [c for (c,) in rows(district, select(PolicySet.content).order_by(PolicySet.version))]
    assert contents[2] == contents[0] and "max_km = 45.0" in contents[2]
    # who, when and the diff of every change
    edits = rows(district, select(AuditEntry.actor, AuditEntry.at, AuditEntry.detail, AuditEntry.note)
                 .where(AuditEntry.action == "edit").order_by(AuditEntry.audit_id))
    assert len(edits) == 3 and all(actor and at for actor, at, _, _ in edits)
    assert "-max_km = 40.0" in edits[0][2]["diff"] and "+max_km = 45.0" in edits[0][2]["diff"]
    assert "-max_km = 50.0" in edits[2][2]["diff"] and edits[2][3] == "revert to v1"
    history = runner.invoke(app, ["policy", "history", "--scope", "C1", *YEAR, "--db", district])
    assert [line.split()[0] for line in history.output.splitlines()] == ["v1", "v2", "v3"]


def test_the_interactive_commands_answer_without_prefect(district, tmp_path):
    """In a fresh process with an unreachable Prefect API, the planners' interactive verbs answer and
    never import Prefect (no temporary server, no 10 s start-up)."""
    commands = [
        ["rotation", "plan", "--year", "2026", "--term", "1", "--cluster", "C1", "--out", str(tmp_path / "out"),
         "--time-limit", "5"],
        ["rotation", "explain", "--year", "2026", "--term", "1", "--cluster", "C1"],
        ["invigilation", "plan", "--exam", "E1", "--out", str(tmp_path / "logistics"), "--time-limit", "3"],
        ["marking", "explain", "--exam", "E1", "--time-limit", "3"],
        ["season", "status", "--exam", "E1"],
        ["paper", "set", "--exam", "E1"],  # the mini bundle has no question bank: a one-line refusal, exit 1
        ["policy", "show", "--scope", "C1", "--year", "2026", "--term", "1"],
    ]
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from service.cli import app\n"
        f"for command in {commands!r}:\n"
        f"    result = CliRunner().invoke(app, [*command, '--db', {district!r}])\n"
        "    print(command[0], command[1], result.exit_code, result.exception is None or "
        "isinstance(result.exception, SystemExit))\n"
        "print('prefect' in sys.modules)\n")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "False", done.stdout + done.stderr  # Prefect was never imported
    assert lines[:-1] == ["rotation plan 0 True", "rotation explain 0 True", "invigilation plan 0 True",
                          "marking explain 0 True", "season status 0 True", "paper set 1 True",
                          "policy show 0 True"], done.stdout + done.stderr
