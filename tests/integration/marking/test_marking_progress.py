"""Progress per item group and per marker, the careless-marker flag, and `xuequ marking status`."""
from __future__ import annotations

import math

from typer.testing import CliRunner

from marking.progress import marker_progress, marking_progress, progress_markdown
from marking.queue import lease_next, submit_mark
from marking.simulate import SimulatedMarker, run_simulated_marking
from models.db import session_scope
from service.cli_marking import app


def test_progress_counts_and_rates_follow_the_marks(small_exam):
    a = small_exam.markers("Q7", school="S-SCH1")[0]
    b = small_exam.markers("Q7", school="S-SCH2")[0]
    with small_exam.session() as session:
        # one first mark each (a: school 1, b: school 2), then b holds a lease
        lease_a = lease_next(session, a)
        submit_mark(session, a, lease_a.task_id, {"S-I07": 9}, seconds=30)
        lease_b = lease_next(session, b)
        submit_mark(session, b, lease_b.task_id, {"S-I07": 2}, seconds=60)
        leased = lease_next(session, b)
    with session_scope(small_exam.url) as session:
        groups = marking_progress(session, small_exam.exam_id).set_index("item_group")
        markers = marker_progress(session, small_exam.exam_id).set_index("teacher_id")
    q7, g1 = groups.loc["Q7"], groups.loc["G1"]
    assert (q7["scripts"], q7["final"], q7["marks_done"], q7["marks_needed"], q7["leased"]) == (12, 0, 2, 24, 1)
    assert (g1["scripts"], g1["marks_done"], g1["done_pct"]) == (12, 0, 0.0)
    assert q7["median_seconds"] == 45.0 and q7["markers"] == 8
    assert markers.loc[a.teacher_id, "marks"] == 1 and markers.loc[a.teacher_id, "marks_per_hour"] == 120.0
    assert leased is not None and math.isnan(markers.loc[a.teacher_id, "agreement_rate"])
    text = progress_markdown(groups.reset_index(), markers.reset_index(), exam_id=small_exam.exam_id)
    assert "| math | Q7 | 12 | 0.0% |" in text and "# 阅卷进度" in text


def test_a_careless_marker_is_flagged_and_the_careful_are_not(make_exam):
    exam = make_exam(schools=3, students_per_school=25, markers_per_school=2)
    plan = exam.sample.plan
    careless_id = plan[(plan["item_group"] == "Q7") & (plan["role"] == "marker")]["teacher_id"].iloc[0]
    markers = [SimulatedMarker(t, bias=0.0, noise=0.02, careless=1.0 if t == careless_id else 0.0)
               for t in plan["teacher_id"]]
    # one thread: each marker works by its own clock, so who marks what does not depend on CPU load
    report = run_simulated_marking(exam.url, exam.exam_id, markers, exam.sample.true_scores, threads=1, seed=2)
    assert not report.timed_out
    with session_scope(exam.url) as session:
        groups = marking_progress(session, exam.exam_id).set_index("item_group")
        flagged = marker_progress(session, exam.exam_id).set_index("teacher_id")
    assert flagged.loc[careless_id, "flagged"] and "agreement" in flagged.loc[careless_id, "flag_reason"]
    assert flagged.loc[careless_id, "agreement_rate"] < 0.7
    others = flagged.drop(index=careless_id)
    # careful markers agree better; those of the other group, never paired with the careless one, pass
    careful_q7 = others[(others["item_group"] == "Q7") & (others["role"] == "marker")]
    assert (careful_q7["agreement_rate"] > flagged.loc[careless_id,
                                                                                      "agreement_rate"]).all()
    assert not others.loc[others["item_group"] == "G1", "flagged"].any()
    assert careless_id in groups.loc["Q7", "flagged_markers"] and groups.loc["G1", "flagged_markers"] == ""
    assert groups.loc["Q7", "done_pct"] == 100.0 and groups.loc["Q7", "agreement_rate"] < groups.loc["G1",
                                                                                                        "agreement_rate"]


def test_status_command_prints_the_table_markdown_and_csv(small_exam):
    runner = CliRunner()
    table = runner.invoke(app, ["status", "--exam", small_exam.exam_id, "--db", small_exam.url])
    assert table.exit_code == 0, table.output
    assert "Q7" in table.output and "G1" in table.output
    markdown = runner.invoke(app, ["status", "--exam", small_exam.exam_id, "--db", small_exam.url, "--format",
                                   "markdown", "--markers"])
    assert markdown.exit_code == 0 and "| math | G1 | 12 | 0.0% |" in markdown.output
    csv = runner.invoke(app, ["status", "--exam", small_exam.exam_id, "--db", small_exam.url, "--format", "csv"])
    assert csv.output.splitlines()[0].startswith("subject,item_group,scripts,final,done_pct")
    missing = runner.invoke(app, ["status", "--exam", "NOPE", "--db", small_exam.url])
    assert missing.exit_code == 1
