"""The whole exam season as one flow run on a small county: setting to analysis, then a rerun that changes nothing."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from bundle.spec import EXPORT_COLUMNS
from service.demo_job import run_season_with_simulated_schools
from models import Score
from models.db import session_scope
from models.marking import Marker, MarkingMark, MarkingScript, MarkingTask

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["setting", "approval", "logistics", "ingest", "marking", "finalise", "analysis"]


# The demo's default county (30 schools, seed 1: its first exam is one cluster of five schools), and
# a small county that cannot meet the demo policy (8 schools, seed 2: its township sites lack
# invigilators of other schools and its subjects lack markers), which must still run to the end on
# best-effort plans.
# The short county runs in test_exam_season_flow_short.py: the two long runs go to different test workers.
COUNTIES = {"default": (30, 1), "short": (8, 2)}


@pytest.fixture
def county() -> str:
    return "default"


@pytest.fixture
def county_db(tmp_path, county) -> str:
    schools, seed = COUNTIES[county]
    from bundle.validate import load_bundle
    from bundle.io import write_bundle
    from demo.district import generate_district
    from models.bundles import import_tables
    from models.migrate import upgrade

    write_bundle(generate_district(seed=seed, schools=schools), tmp_path / "bundle")
    url = f"sqlite:///{tmp_path / 'county.db'}"
    upgrade(url)
    with session_scope(url) as session:
        import_tables(session, load_bundle(tmp_path / "bundle"))
    return url


def _season_exam(url: str) -> str:
    from models import ExamSession

    with session_scope(url) as session:
        return session.scalars(select(ExamSession.exam_id).limit(1)).one()


@pytest.mark.slow
def test_a_whole_season_runs_to_reports_and_a_rerun_changes_nothing(county_db, county, tmp_path):
    demo_db = county_db
    exam_id = _season_exam(demo_db)
    out = tmp_path / "season"
    run = lambda: run_season_with_simulated_schools(  # noqa: E731
        exam_id, db_url=demo_db, out_dir=out, reviewer="教研室（测试）",
        logistics_policy_file=str(ROOT / "policies" / "demo_exam_logistics.toml"))
    first = run()
    assert [s.stage for s in first.stages] == STAGES
    assert first.status == "done", first.markdown()

    # logistics: the plans in the contract's columns, and the marking plan is who marked
    marking_plan = pd.read_csv(out / "logistics" / "marking.csv", dtype=str)
    assert tuple(marking_plan.columns) == EXPORT_COLUMNS["marking"]
    assert tuple(pd.read_csv(out / "logistics" / "invigilation.csv", nrows=1).columns) == EXPORT_COLUMNS["invigilation"]
    if county == "short":  # best-effort plans, each relaxation listed (the validators ran on them in the stage)
        assert len(pd.read_csv(out / "logistics" / "invigilation_relaxations.csv")) > 0
        assert len(pd.read_csv(out / "logistics" / "marking_shortfalls.csv")) > 0
        assert "尽力方案" in first.stages[2].message

    with session_scope(demo_db) as session:
        markers = dict(session.execute(select(Marker.teacher_id, Marker.school_id)
                                       .where(Marker.exam_id == exam_id)).tuples().all())
        assert set(markers) == set(marking_plan["teacher_id"])
        scripts = session.scalars(select(MarkingScript).where(MarkingScript.exam_id == exam_id)).all()
        marks = {m.mark_id: m for m in session.scalars(select(MarkingMark).where(MarkingMark.exam_id == exam_id))}
        open_tasks = session.scalar(select(func.count()).select_from(MarkingTask)
                                    .where(MarkingTask.exam_id == exam_id, MarkingTask.state != "done"))
        stored_scores = session.scalar(select(func.count()).select_from(Score).where(Score.exam_id == exam_id))
    # marking: every script final, no open task, every final traceable to marks of that script, never
    # a marker of the script's own school
    assert scripts and {s.status for s in scripts} == {"final"} and open_tasks == 0
    for script in scripts:
        for item_id, mark_ids in script.final_marks.items():
            assert mark_ids and all(marks[m].script_id == script.script_id for m in mark_ids)
            assert script.final_sources[item_id] in ("single", "double", "third", "closest", "arbitration")
    script_school = {s.script_id: s.school_id for s in scripts}
    assert all(markers[m.marker_id] != script_school[m.script_id] for m in marks.values())

    # finalise: scores.csv in the contract's columns, one row per stored score
    scores = pd.read_csv(out / "scores.csv", dtype={"student_id": str})
    assert tuple(scores.columns) == EXPORT_COLUMNS["scores"] and len(scores) == stored_scores > 0
    assert scores["score"].notna().all()

    # analysis: the report and the per-school summary of every school that sat the exam
    report = out / "report"
    assert (report / "report.html").stat().st_size > 10_000
    summary = pd.read_csv(report / "school_summary.csv", dtype=str)
    assert tuple(summary.columns) == EXPORT_COLUMNS["school_summary"]
    assert set(summary["school_id"]) == set(scores["school_id"].astype(str))
    # absentees (the simulated schools send no answers for a few students of each paper): listed, none of
    # them with a score of that paper, and counted in the summary beside the sat
    absentees = pd.read_csv(report / "absentees.csv", dtype=str)
    assert len(absentees) > 0 and set(absentees["status"]) <= {"absent", "exempt"}
    scored = set(zip(scores["student_id"].astype(str), scores["subject"]))
    assert not scored & set(zip(absentees["student_id"], absentees["subject"]))
    counts = summary.astype({c: int for c in ("expected", "sat", "absent", "students")})
    assert (counts["sat"] == counts["students"]).all() and (counts["expected"] >= counts["sat"]).all()
    assert counts["absent"].sum() == (absentees["status"] == "absent").sum()
    assert tuple(pd.read_csv(report / "borderline.csv", nrows=0).columns[:9]) == EXPORT_COLUMNS["borderline"]
    for name in ("participation.csv", "appraisal.csv", "appraisal_classes.csv", "bundled.csv"):
        assert (report / name).exists(), name

    before = (out / "scores.csv").read_bytes()
    second = run()
    assert [s.status for s in second.stages] == ["already-done"] * len(STAGES)
    assert (out / "scores.csv").read_bytes() == before
    with session_scope(demo_db) as session:
        assert session.scalar(select(func.count()).select_from(MarkingMark)
                              .where(MarkingMark.exam_id == exam_id)) == len(marks)
