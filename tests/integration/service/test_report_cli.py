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


def test_report_shows_absentees_and_the_year_appraisal(tmp_path):
    """A blank score cell and 缺考 are absentees (not a traceback, not 0); attendance.csv exempts; a bad cell is
    one line; `--year` appraises the year's exams stored in the database."""
    from sqlalchemy import insert

    from bundle.io import write_bundle
    from models import Score
    from models.db import session_scope

    tables = generate_district(seed=5, schools=6)
    write_bundle(tables, tmp_path / "bundle")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["import", str(tmp_path / "bundle"), "--db", db]).exit_code == 0
    exam_id = tables["exam_sessions"]["exam_id"].iloc[0]
    grade = int(tables["exam_sessions"]["grade"].iloc[0])
    items = pd.concat([bank_paper(tables["items"], s, grade, seed=n) for n, s in enumerate(["chinese", "math"])])
    students = exam_students(tables["students"], tables["classes"], grade)
    scores = paper_scores(exam_id, students, items, seed=1, absent_rate=0.0)
    first, second = students["student_id"].iloc[0], students["student_id"].iloc[1]
    blank = (scores["student_id"] == first) & (scores["subject"] == "math")
    scores["score"] = scores["score"].astype(object)
    scores.loc[blank, "score"] = ""  # every math cell of the first student empty: absent from math
    scores.loc[(scores["student_id"] == second) & (scores["subject"] == "chinese"), "score"] = "缺考"
    scores.to_csv(tmp_path / "scores.csv", index=False)
    third = students["student_id"].iloc[2]
    (tmp_path / "attendance.csv").write_text(f"考试编号,学科,学籍号,状态\n{exam_id},math,{third},免考\n", encoding="utf-8")
    kept = scores[~((scores["student_id"] == third) & (scores["subject"] == "math"))]
    kept.to_csv(tmp_path / "scores.csv", index=False)

    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--exam", exam_id, "--out", str(out), "--db", db, "--scores",
                                 str(tmp_path / "scores.csv"), "--attendance", str(tmp_path / "attendance.csv")])
    assert result.exit_code == 0, result.output
    absentees = pd.read_csv(out / "absentees.csv", dtype=str)
    listed = {(r.student_id, r.subject): (r.status, r.source) for r in absentees.itertuples()}
    assert listed == {(first, "math"): ("absent", "blank_scores"), (second, "chinese"): ("absent", "blank_scores"),
                      (third, "math"): ("exempt", "attendance_exempt")}
    summary = pd.read_csv(out / "school_summary.csv", dtype={"school_id": str})
    math = summary[summary["subject"] == "math"]
    assert math["expected"].sum() == len(students) - 1 and math["absent"].sum() == 1
    assert (math["sat"] == math["students"]).all()
    assert tuple(pd.read_csv(out / "borderline.csv", nrows=0).columns[:9]) == EXPORT_COLUMNS["borderline"]
    participation = pd.read_csv(out / "participation.csv")
    district = participation[(participation["level"] == "district") & (participation["subject"] == "math")].iloc[0]
    assert (district["expected"], district["sat"], district["exempt"]) == (len(students) - 1, len(students) - 2, 1)

    bad = scores.copy()
    bad.loc[bad.index[5], "score"] = "abc"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    refused = runner.invoke(app, ["report", "--exam", exam_id, "--out", str(tmp_path / "bad"), "--db", db,
                                  "--scores", str(tmp_path / "bad.csv")])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "bad.csv" in refused.output and "row 7" in refused.output and "abc" in refused.output

    # the year's appraisal over the exams whose scores are stored
    rows = [{"exam_id": r.exam_id, "student_id": r.student_id, "item_id": r.item_id, "subject": r.subject,
             "score": float(r.score), "source": "import"} for r in paper_scores(exam_id, students, items, seed=2)
            .itertuples(index=False)]
    with session_scope(db) as session:
        session.execute(insert(Score), rows)
    school_year = int(tables["exams"].set_index("exam_id").loc[exam_id, "school_year"])
    year = runner.invoke(app, ["report", "--year", str(school_year), "--out", str(tmp_path / "year"), "--db", db])
    assert year.exit_code == 0, year.output
    appraisal = pd.read_csv(tmp_path / "year" / "appraisal.csv", dtype=str)
    assert set(appraisal["subject"]) == {"chinese", "math"} and (appraisal["exam_ids"] == exam_id).all()
    assert (tmp_path / "year" / "bundled.csv").exists() and (tmp_path / "year" / "appraisal_classes.csv").exists()
    assert runner.invoke(app, ["report", "--db", db]).exit_code == 2  # neither --exam nor --year
