"""What-if runs (情景方案) as a planner uses them: `xuequ rotation|invigilation whatif NAME`, `compare`,
`adopt`. A scenario is stored but never current: the next `rotation plan` and `invigilation forbid`
still start from the current plan; compare states each plan's figures (checked here against the
stored rows); adopt makes the scenario's plan the next current version, audited; an unknown name is
one line and exit 2."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models import AuditEntry, ExamSession, InvigilationAssignment, Plan, PolicySet, RotationAssignment
from service.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]
DEMO_POLICY = (REPO / "policies" / "demo_rotation.toml").read_text(encoding="utf-8")
TERM = ["--year", "2026", "--term", "1", "--cluster", "C01"]
SCOPE = "2026-1:C01"
PLANNER = {"USER": "王老师"}


def query(db: str, statement) -> list:
    engine = create_engine(db)
    try:
        with Session(engine) as session:
            return list(session.execute(statement).all())
    finally:
        engine.dispose()


def plans(db: str, kind: str) -> list:
    """(plan_id, scope, version, status, parent_plan_id, created_by) of every stored plan of a kind."""
    return query(db, select(Plan.plan_id, Plan.scope, Plan.version, Plan.status, Plan.parent_plan_id, Plan.created_by)
                 .where(Plan.kind == kind).order_by(Plan.plan_id))


def one_line_refusal(result) -> None:
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output, result.output


# --- rotation -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory) -> Path:
    """A small demo county (12 schools) where the demo policy rotates teachers in cluster C01."""
    from bundle.io import write_bundle
    from demo.district import generate_district

    folder = tmp_path_factory.mktemp("whatif_bundle")
    write_bundle(generate_district(seed=3, schools=12), folder)
    return folder


@pytest.fixture
def county(demo_bundle, tmp_path) -> tuple[str, Path]:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(demo_bundle), "--db", db]).exit_code == 0
    policy = tmp_path / "demo.toml"
    policy.write_text(DEMO_POLICY, encoding="utf-8")
    near = tmp_path / "near.toml"  # a what-if: nobody travels more than 20 km
    near.write_text(DEMO_POLICY.replace("max_km = 60.0", "max_km = 20.0"), encoding="utf-8")
    assert "max_km = 20.0" in near.read_text(encoding="utf-8")
    return db, tmp_path


def rotation_rows(db: str, plan_id: int) -> list:
    return query(db, select(RotationAssignment.teacher_id, RotationAssignment.to_school_id,
                            RotationAssignment.distance_km, RotationAssignment.subsidy_yuan_per_month)
                 .where(RotationAssignment.plan_id == plan_id, RotationAssignment.kind == "teacher"))


def comparison_csv(path: Path) -> dict[str, dict[str, str]]:
    """figure → {column title → cell} of a comparison CSV."""
    with open(path, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    first = next(iter(rows[0]))
    return {row[first]: row for row in rows}


def test_a_rotation_scenario_is_stored_beside_the_current_plan_compared_and_adopted(county):
    db, tmp = county
    base = ["--db", db, "--time-limit", "5"]
    first = runner.invoke(app, ["rotation", "plan", *TERM, "--policy", str(tmp / "demo.toml"), "--out",
                                str(tmp / "v1"), *base])
    assert first.exit_code == 0, first.output
    near = runner.invoke(app, ["rotation", "whatif", "近距离", *TERM, "--policy", str(tmp / "near.toml"), *base],
                         env=PLANNER)
    assert near.exit_code == 0, near.output
    assert "情景方案 近距离" in near.output and "当前方案未被替换" in near.output.replace("\n", "")
    (v1, *_), scenario = plans(db, "rotation")[0], plans(db, "rotation")[1]
    assert scenario[1:5] == (f"{SCOPE}#whatif:近距离", 1, "scenario", v1)  # its own scope, based on v1

    # the next real plan revises the current plan (v1), not the scenario
    dropped = rotation_rows(db, v1)[0][0]
    second = runner.invoke(app, ["rotation", "plan", *TERM, "--policy", str(tmp / "demo.toml"), "--forbid", dropped,
                                 "--out", str(tmp / "v2"), *base])
    assert second.exit_code == 0 and "第 2 版" in second.output, second.output
    v2 = plans(db, "rotation")[-1]
    assert v2[1:5] == (SCOPE, 2, "draft", v1)

    # compare: the current plan (v2) and the scenario, names not ids; figures from the stored rows
    out = tmp / "compare.csv"
    compared = runner.invoke(app, ["rotation", "compare", *TERM, "--db", db, "--out", str(out), "--lang", "en"])
    assert compared.exit_code == 0, compared.output
    assert "current (v2)" in compared.output and "近距离" in compared.output
    table = comparison_csv(out)
    current_rows, near_rows = rotation_rows(db, v2[0]), rotation_rows(db, scenario[0])
    for rows, column in ((current_rows, "current (v2)"), (near_rows, "近距离")):
        assert float(table["total distance (km)"][column]) == pytest.approx(sum(r[2] for r in rows), abs=0.05)
        assert float(table["subsidies per month (yuan)"][column]) == pytest.approx(sum(r[3] for r in rows))
        assert int(table["teachers rotating"][column]) == len(rows)
    assert all(r[2] <= 20.0 for r in near_rows) and len(near_rows) < len(current_rows)  # the what-if is felt
    before = {r[0]: r[1] for r in current_rows}
    after = {r[0]: r[1] for r in near_rows}
    assert int(table["added vs current (teachers)"]["近距离"]) == len(after.keys() - before.keys())
    assert int(table["removed vs current (teachers)"]["近距离"]) == len(before.keys() - after.keys())
    assert int(table["moved vs current (teachers)"]["近距离"]) == sum(
        1 for t in before.keys() & after.keys() if before[t] != after[t])
    assert table["added vs current (teachers)"]["current (v2)"] == ""  # the current plan has no changes to itself
    assert int(table["posts asked"]["近距离"]) >= int(table["posts filled"]["近距离"])
    zh = runner.invoke(app, ["rotation", "compare", "近距离", "--db", db])  # the scope found from the name
    assert zh.exit_code == 0 and "当前方案（第 2 版）" in zh.output and "月补助合计" in zh.output, zh.output

    # adopting a scenario planned against a version that is no longer current: refused in one line
    stale = runner.invoke(app, ["rotation", "adopt", "近距离", "--db", db])
    one_line_refusal(stale)
    assert "第 1 版" in stale.output and "--force" in stale.output

    # run again against v2, then adopt: the next current version, audited, v2 kept as history
    again = runner.invoke(app, ["rotation", "whatif", "近距离", *TERM, "--policy", str(tmp / "near.toml"), *base],
                          env=PLANNER)
    assert again.exit_code == 0 and "第 2 次运行" in again.output, again.output
    rerun = plans(db, "rotation")[-1]
    adopted = runner.invoke(app, ["rotation", "adopt", "近距离", *TERM, "--db", db], env=PLANNER)
    assert adopted.exit_code == 0 and "第 3 版" in adopted.output, adopted.output
    v3 = plans(db, "rotation")[-1]
    assert v3[1:] == (SCOPE, 3, "draft", v2[0], "王老师")
    assert sorted(rotation_rows(db, v3[0])) == sorted(rotation_rows(db, rerun[0]))
    assert [p[3] for p in plans(db, "rotation") if p[0] == rerun[0]] == ["adopted"]
    assert [p[2] for p in plans(db, "rotation") if p[1] == SCOPE] == [1, 2, 3]  # history kept
    audit = query(db, select(AuditEntry.actor, AuditEntry.at, AuditEntry.detail)
                  .where(AuditEntry.action == "adopt"))
    assert len(audit) == 1 and audit[0][0] == "王老师" and audit[0][1] is not None
    assert audit[0][2] == {"scenario": "近距离", "scenario_plan_id": rerun[0], "plan_id": v3[0],
                                "replaced_plan_id": v2[0]}
    one_line_refusal(runner.invoke(app, ["rotation", "adopt", "近距离", "--db", db]))  # a run is adopted once

    third = runner.invoke(app, ["rotation", "plan", *TERM, "--policy", str(tmp / "demo.toml"), "--out",
                                str(tmp / "v4"), *base])
    assert third.exit_code == 0 and "第 4 版" in third.output, third.output
    assert plans(db, "rotation")[-1][4] == v3[0]  # the adopted plan is what the next plan revises


def test_unknown_or_bad_scenario_names_are_one_line(county):
    db, tmp = county
    for args in (["rotation", "adopt", "没有这个", *TERM], ["rotation", "compare", "没有这个", *TERM],
                 ["rotation", "adopt", "没有这个"], ["invigilation", "adopt", "没有这个", "--exam", "E1"],
                 ["invigilation", "compare", "没有这个", "--exam", "E1"],
                 ["rotation", "whatif", "a#b", *TERM, "--time-limit", "1"],
                 ["rotation", "whatif", "x", *TERM, "--policy", str(tmp / "near.toml"), "--policy-version", "1"]):
        result = runner.invoke(app, [*args, "--db", db])
        one_line_refusal(result)
    english = runner.invoke(app, ["rotation", "adopt", "没有这个", *TERM, "--db", db, "--lang", "en"])
    assert "no rotation scenario named '没有这个'" in english.output
    assert plans(db, "rotation") == []  # nothing was stored


def test_a_stored_policy_version_can_be_the_scenario(county):
    db, tmp = county
    assert runner.invoke(app, ["policy", "edit", "--scope", "C01", "--year", "2026", "--term", "1",
                               "--file", str(tmp / "near.toml"), "--db", db]).exit_code == 0
    # a stored version, by its number, is the scenario's policy (and says so)
    run = runner.invoke(app, ["rotation", "whatif", "第一版", *TERM, "--policy-version", "1", "--db", db,
                              "--time-limit", "5"])
    assert run.exit_code == 0, run.output
    assert "交流轮岗政策C012026学年第1学期第1版" in "".join(run.output.split())
    (policy_id,), = query(db, select(PolicySet.policy_set_id))
    (linked, content), = query(db, select(Plan.policy_set_id, Plan.policy_content).where(Plan.kind == "rotation"))
    assert linked == policy_id and "max_km = 20.0" in content
    missing = runner.invoke(app, ["rotation", "whatif", "第九版", *TERM, "--policy-version", "9", "--db", db])
    one_line_refusal(missing)
    assert "第 9 版" in missing.output


def test_whatif_compare_and_adopt_answer_without_prefect(county):
    """In a fresh process with an unreachable Prefect API: no Prefect import, no flow, no server."""
    db, tmp = county
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from service.cli import app\n"
        f"args = {TERM!r} + ['--db', {db!r}]\n"
        "run = CliRunner().invoke(app, ['rotation', 'whatif', 'A', *args, '--time-limit', '3'])\n"
        "compared = CliRunner().invoke(app, ['rotation', 'compare', *args])\n"
        "adopted = CliRunner().invoke(app, ['rotation', 'adopt', 'A', *args])\n"
        "print(run.exit_code, compared.exit_code, adopted.exit_code, 'prefect' in sys.modules)\n")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp,
                          timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "0 0 0 False", done.stdout + done.stderr


# --- invigilation ---------------------------------------------------------------------------------

def invigilation_rows(db: str, plan_id: int) -> list:
    return query(db, select(InvigilationAssignment.teacher_id, InvigilationAssignment.session_id,
                            InvigilationAssignment.site_school_id, InvigilationAssignment.room_id,
                            InvigilationAssignment.role, InvigilationAssignment.distance_km)
                 .where(InvigilationAssignment.plan_id == plan_id))


def test_an_invigilation_scenario_leaves_the_current_plan_to_the_replans_until_adopted(mini_bundle, db_url, tmp_path):
    from app.exam_logistics import LOGISTICS_TABLES, latest_invigilation, store_logistics
    from models.bundles import export_tables
    from models.db import session_scope
    from scheduling.exam_logistics import invigilation_input_from_tables, load_policies, plan_invigilation

    assert runner.invoke(app, ["import", str(mini_bundle), "--db", db_url]).exit_code == 0
    with session_scope(db_url) as session:
        data = invigilation_input_from_tables(export_tables(session, LOGISTICS_TABLES), "E1")
    first = plan_invigilation(data, load_policies()[0], time_limit_s=5)
    assert first.ok
    store_logistics(db_url, "E1", first, None, {}, "test")
    v1 = plans(db_url, "invigilation")[0][0]
    teachers = [t for t, _ in Counter(a.teacher_id for a in first.assignments).most_common()]
    assert len(teachers) >= 2

    base = ["--exam", "E1", "--db", db_url, "--time-limit", "5"]
    scenario = runner.invoke(app, ["invigilation", "whatif", "少一人", "--forbid", teachers[0], *base], env=PLANNER)
    assert scenario.exit_code == 0, scenario.output
    assert latest_invigilation(db_url, "E1")[1] == 1  # the current plan is still v1 for every replan

    # `invigilation forbid` starts from the current plan: its forbids are its own, not the scenario's
    forbid = runner.invoke(app, ["invigilation", "forbid", "--teacher", teachers[1], *base,
                                 "--out", str(tmp_path / "out")])
    assert forbid.exit_code == 0 and "第 2 版" in forbid.output, forbid.output
    _, version, _, _, _, forbids = latest_invigilation(db_url, "E1")
    assert version == 2 and [f.teacher_id for f in forbids] == [teachers[1]]
    rows = plans(db_url, "invigilation")
    v2, what_if = rows[-1][0], rows[1][0]
    assert rows[-1][4] == v1 and rows[1][1:4] == ("E1#whatif:少一人", 1, "scenario")

    out = tmp_path / "compare.csv"
    compared = runner.invoke(app, ["invigilation", "compare", "--exam", "E1", "--db", db_url, "--out", str(out)])
    assert compared.exit_code == 0 and "少一人" in compared.output, compared.output
    table = comparison_csv(out)
    dates = dict(query(db_url, select(ExamSession.session_id, ExamSession.date).where(ExamSession.exam_id == "E1")))
    for plan_id, column in ((v2, "当前方案（第 2 版）"), (what_if, "少一人")):
        stored = invigilation_rows(db_url, plan_id)
        trips = {(t, dates[s], site): km for t, s, site, _, _, km in stored}  # one trip a teacher and day
        assert float(table["出行里程（公里，每人每天一程）"][column]) == pytest.approx(sum(trips.values()), abs=0.05)
        assert int(table["单人最多场次"][column]) == max(Counter(r[0] for r in stored).values())
        assert int(table["监考安排（人次）"][column]) == len(stored)
    current = {(r[0], r[1]): r for r in invigilation_rows(db_url, v2)}
    changed = {(r[0], r[1]): r for r in invigilation_rows(db_url, what_if)}
    assert int(table["较当前新增（行）"]["少一人"]) == len(changed.keys() - current.keys())
    assert int(table["较当前撤下（行）"]["少一人"]) == len(current.keys() - changed.keys())

    stale = runner.invoke(app, ["invigilation", "adopt", "少一人", "--exam", "E1", "--db", db_url])
    one_line_refusal(stale)
    adopted = runner.invoke(app, ["invigilation", "adopt", "少一人", "--exam", "E1", "--force", "--db", db_url],
                            env=PLANNER)
    assert adopted.exit_code == 0 and "第 3 版" in adopted.output, adopted.output
    _, version, current_rows, _, _, forbids = latest_invigilation(db_url, "E1")
    assert version == 3 and teachers[0] not in {a.teacher_id for a in current_rows}
    assert [f.teacher_id for f in forbids] == [teachers[0]]  # the scenario's decisions come with it
    assert sorted(invigilation_rows(db_url, plans(db_url, "invigilation")[-1][0])) == \
        sorted(invigilation_rows(db_url, what_if))
    assert plans(db_url, "invigilation")[-1][4:] == (v2, "王老师")
    assert query(db_url, select(AuditEntry.actor).where(AuditEntry.action == "adopt")) == [("王老师",)]
