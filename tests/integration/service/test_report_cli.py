"""`xuequ report` on a demo district with simulated scores (no marking needed)."""
from __future__ import annotations

import csv

import pandas as pd
from typer.testing import CliRunner

from bundle.spec import EXPORT_COLUMNS
from demo.district import generate_district
from demo.season import bank_paper, exam_students, paper_scores, previous_exam_scores, school_drift
from service.cli import app

runner = CliRunner()


def test_report_from_scores_files(tmp_path):
    from bundle.io import write_bundle

    tables = generate_district(seed=4, schools=10)
    write_bundle(tables, tmp_path / "bundle")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(tmp_path / "bundle"), "--db", db]).exit_code == 0
    exam_id = tables["exam_sessions"]["exam_id"].iloc[0]
    grade = int(tables["exam_sessions"]["grade"].iloc[0])
    subjects = ["chinese", "math"]
    items = pd.concat([bank_paper(tables["items"], s, grade, seed=n) for n, s in enumerate(subjects)])
    students = exam_students(tables["students"], tables["classes"], grade)
    scores = paper_scores(exam_id, students, items, seed=1, school_drift=school_drift(tables["schools"], seed=2))
    previous_id = tables["exams"].query("grade == @grade - 1")["exam_id"].iloc[-1]
    previous, _ = previous_exam_scores(tables, previous_id, grade, subjects, seed=3)
    scores.to_csv(tmp_path / "scores.csv", index=False)
    previous.to_csv(tmp_path / "previous.csv", index=False)

    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--exam", exam_id, "--out", str(out), "--db", db,
                                 "--scores", str(tmp_path / "scores.csv"),
                                 "--previous-scores", str(tmp_path / "previous.csv")])
    assert result.exit_code == 0, result.output
    with open(out / "school_summary.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(EXPORT_COLUMNS["school_summary"])
    assert {r["subject"] for r in rows} == set(subjects)
    assert {r["school_id"] for r in rows} == set(students["school_id"])
    assert all(0 <= float(r["pass_rate"]) <= 1 for r in rows)
    assert any(r["improvement_rate"] not in ("", "nan") for r in rows)  # the previous exam was found
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "优秀率" in html and "<script" in html and "http://" not in html.split("<body", 1)[1][:2000]
    assert (out / "item_stats.csv").exists() and (out / "analysis.xlsx").exists()
    # the reports for each audience, by name: questions with their bank type (题型), schools' PDFs
    bureau = (out / "bureau.html").read_text(encoding="utf-8")
    assert "第1题" in bureau and "单选题" in bureau and "试卷质量分析" in bureau
    school_ids = sorted(set(students["school_id"]))
    assert all((out / "schools" / f"{s}.pdf").stat().st_size > 5_000 for s in school_ids)
    assert (out / "bureau.pdf").exists() and (out / "index.html").exists()
    assert list((out / "students").glob("*/*.html")) and list((out / "teachers").glob("*/*.html"))

    # the bureau stores its own analysis policy for the year and term: the next report uses it
    exam = tables["exams"].set_index("exam_id").loc[exam_id]
    strict = tmp_path / "analysis.toml"
    strict.write_text("pass_fraction = 0.95\nexcellent_fraction = 0.99\n", encoding="utf-8")
    saved = runner.invoke(app, ["policy", "edit", "--area", "analysis", "--scope", "district", "--year",
                                str(int(exam["school_year"])), "--term", str(int(exam["term"])), "--file", str(strict),
                                "--db", db])
    assert saved.exit_code == 0, saved.output
    again = runner.invoke(app, ["report", "--exam", exam_id, "--out", str(tmp_path / "report2"), "--db", db,
                                "--scores", str(tmp_path / "scores.csv"),
                                "--previous-scores", str(tmp_path / "previous.csv"), "--audiences", "bureau",
                                "--pdf", "none"])
    assert again.exit_code == 0, again.output
    with open(tmp_path / "report2" / "school_summary.csv", encoding="utf-8-sig") as handle:
        stricter = list(csv.DictReader(handle))
    key = lambda r: (r["subject"], r["school_id"])  # noqa: E731
    before = {key(r): float(r["pass_rate"]) for r in rows}
    after = {key(r): float(r["pass_rate"]) for r in stricter}
    assert all(after[k] <= before[k] for k in before) and sum(after.values()) < sum(before.values())
    # each report says which policy produced it
    assert "仓库默认文件 policies/analysis.toml" in (out / "policy.md").read_text(encoding="utf-8")
    assert (tmp_path / "report2" / "bureau.html").exists() and not list((tmp_path / "report2" / "schools").glob("*.pdf"))
    assert not (tmp_path / "report2" / "students").exists()
    refused = runner.invoke(app, ["report", "--exam", exam_id, "--db", db, "--audiences", "parents"])
    assert refused.exit_code == 2 and "parents" in refused.output
    note = (tmp_path / "report2" / "policy.md").read_text(encoding="utf-8")
    assert "考试分析政策 district" in note and "第 1 版" in note and "pass_fraction = 0.95" in note
