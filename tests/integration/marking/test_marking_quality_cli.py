"""`xuequ marking standards`, `quality` and the quality lines of `status`: Chinese, names, not ids."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from marking.policy import MarkingPolicy
from marking.sample import SampleItem
from marking.queue import lease_next, submit_mark
from marking.simulate import SimulatedMarker, run_simulated_marking
from models.db import session_scope
from models.district import Teacher
from models.marking_quality import MarkingStandard
from service.cli_marking import app

ONE_ITEM = (SampleItem(1, "subjective", 10, 1),)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_standards_import_then_quality_and_status_name_the_markers(make_exam, tmp_path):
    policy = MarkingPolicy.from_dict({"quality": {"min_marks_before_alerts": 5, "trial_scripts": 2}})
    exam = make_exam(policy=policy, students_per_school=6, items=ONE_ITEM)
    with session_scope(exam.url) as session:  # people read names: give the sample's teachers some
        for n, teacher in enumerate(session.query(Teacher).order_by(Teacher.teacher_id)):
            teacher.name = f"教师{n + 1:02d}"
    runner = CliRunner()
    policy_file = tmp_path / "marking.toml"
    policy_file.write_text("[quality]\nmin_marks_before_alerts = 5\ntrial_scripts = 2\n", encoding="utf-8")
    bad = tmp_path / "standard_scripts.csv"
    bad.write_text("standard_id,subject,question,answer,expert_score\nB1,math,1,scan/b1.png,11\n", encoding="utf-8")
    refused = runner.invoke(app, ["standards", str(bad), "--exam", exam.exam_id, "--db", exam.url])
    assert refused.exit_code == 2 and "第2行 列 expert_score" in refused.output and "未写入" in refused.output
    good = tmp_path / "standards_ok.csv"
    good.write_text("standard_id,subject,question,answer,expert_score,purpose\n"
                    "B1,math,1,scan/b1.png,2,trial\nB2,math,1,scan/b2.png,8,trial\nB3,math,1,文字,5,seed\n",
                    encoding="utf-8")
    imported = runner.invoke(app, ["standards", str(good), "--exam", exam.exam_id, "--db", exam.url])
    assert imported.exit_code == 0 and "导入 3 份标准卷" in imported.output

    # one marker gives everyone the middle (保险分) once past the trial; the others mark closely
    plan = exam.sample.plan
    middle = exam.markers("Q1", school="S-SCH1")[0]
    with exam.session() as session:
        expert = {-s.standard_id: s.expert_scores for s in session.query(MarkingStandard)}
        while (lease := lease_next(session, middle, policy=policy)) is not None:
            given = expert[lease.script_id] if lease.kind == "trial" else {"S-I01": 5}
            submit_mark(session, middle, lease.task_id, given, policy=policy)
    truth = exam.sample.true_scores
    markers = [SimulatedMarker(t, noise=0.02) for t in plan["teacher_id"] if t != middle.teacher_id]
    run_simulated_marking(exam.url, exam.exam_id, markers, truth, threads=1, seed=3, policy=policy)
    with session_scope(exam.url) as session:
        name = session.get(Teacher, middle.teacher_id).name
    shown = runner.invoke(app, ["quality", "--exam", exam.exam_id, "--db", exam.url, "--format", "markdown",
                                "--policy", str(policy_file)])
    assert shown.exit_code == 0, shown.output
    assert "教师01" in shown.output and "S-SCH1-Q1-M1" not in shown.output  # names, not ids
    assert "| 教师 | 题组 | 评卷 |" in shown.output and "试评" in shown.output
    csv = runner.invoke(app, ["quality", "--exam", exam.exam_id, "--db", exam.url, "--format", "csv", "--lang",
                              "en"])
    assert csv.output.splitlines()[0].startswith("teacher,group,marks")
    status = runner.invoke(app, ["status", "--exam", exam.exam_id, "--db", exam.url, "--policy", str(policy_file)])
    assert status.exit_code == 0
    assert f"数学 Q1 {name}：给分标准差 0.00" in status.output and "疑似保险分" in status.output
    missing = runner.invoke(app, ["quality", "--exam", "NOPE", "--db", exam.url])
    assert missing.exit_code == 1
