"""A bundle with exactly FORMATS.md's files and columns imports, on SQLite and PostgreSQL.

The demo generator writes the project's extension files too (exams.csv, items.csv, …) and a few
optional columns; here they are dropped, so what is left is the contract as a bureau reads it.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from models import Exam, ExamSession, Student, Teacher
from models.db import session_scope
from service.cli import app

runner = CliRunner()

# FORMATS.md, "Input files" (version 1, kept by version 2), copied literally: the test is the contract.
CONTRACT: dict[str, tuple[str, ...]] = {
    "clusters": ("cluster_id", "name"),
    "schools": ("school_id", "name", "cluster_id", "is_lead", "stage", "locality", "tier", "lat", "lon", "hardship"),
    "teachers": ("teacher_id", "name", "school_id", "subject", "grades", "role", "backbone", "famous",
                 "years_at_school", "teaching_years", "birth_year", "volunteer", "last_rotation_year", "home_lat",
                 "home_lon"),
    "rooms": ("school_id", "room_id", "capacity"),
    "classes": ("class_id", "school_id", "grade", "size"),
    "class_teachers": ("class_id", "subject", "teacher_id"),
    "students": ("student_id", "class_id", "school_id"),
    "needs": ("school_id", "subject", "grade", "posts"),
    "unavailability": ("teacher_id", "date", "session_id"),
    "exam_sessions": ("exam_id", "grade", "session_id", "subject", "date", "start", "end"),
}


def contract_only(folder: Path) -> None:
    """Remove every file and column the contract does not name."""
    for path in folder.glob("*.csv"):
        name = path.stem
        if name not in CONTRACT:
            path.unlink()
            continue
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        keep = [rows[0].index(column) for column in CONTRACT[name]]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows([[row[i] for i in keep] for row in rows])


@pytest.fixture(scope="module")
def contract_bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("contract") / "bundle"
    result = runner.invoke(app, ["demo-data", "--out", str(folder), "--schools", "6", "--seed", "3"])
    assert result.exit_code == 0, result.output
    contract_only(folder)
    assert sorted(p.stem for p in folder.glob("*.csv")) == sorted(CONTRACT)
    return folder


def test_a_bundle_of_the_contract_as_written_imports(contract_bundle, db_url):
    result = runner.invoke(app, ["import", str(contract_bundle), "--db", db_url])
    assert result.exit_code == 0, result.output
    with open(contract_bundle / "exam_sessions.csv", encoding="utf-8-sig", newline="") as handle:
        sessions = list(csv.DictReader(handle))
    with open(contract_bundle / "students.csv", encoding="utf-8-sig", newline="") as handle:
        students = sum(1 for _ in csv.DictReader(handle))
    exam_ids = {s["exam_id"] for s in sessions}
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Student)) == students
        assert session.scalar(select(func.count()).select_from(ExamSession)) == len(sessions)
        exams = {e.exam_id: e for e in session.scalars(select(Exam))}
        assert set(exams) == exam_ids  # one exam derived per exam named in the sessions
        for exam_id, exam in exams.items():
            mine = [s for s in sessions if s["exam_id"] == exam_id]
            first = min(s["date"] for s in mine)
            year, month = int(first[:4]), int(first[5:7])
            assert exam.grade == int(mine[0]["grade"])
            # the demo's midterm sits in November of the school year's first calendar year
            assert (exam.school_year, exam.term) == ((year, 1) if month >= 9 else (year - 1, 1 if month == 1 else 2))
            grade_zh = "八年级" if exam.grade == 8 else "六年级"
            assert exam.name == f"{exam.school_year}学年第一学期{grade_zh}联考（{month}月）"
    again = runner.invoke(app, ["import", str(contract_bundle), "--db", db_url])
    assert again.exit_code == 0 and "0 row(s) changed" in again.output, again.output


@pytest.mark.slow  # two generated districts and three imports: 6–8 s on a loaded machine
def test_a_derived_exam_never_overwrites_the_named_one(contract_bundle, db_url, tmp_path):
    """Imported once with exams.csv (a real name), then as the contract bundle: the name stays."""
    result = runner.invoke(app, ["demo-data", "--out", str(tmp_path / "full"), "--schools", "6", "--seed", "3"])
    assert result.exit_code == 0
    assert runner.invoke(app, ["import", str(tmp_path / "full"), "--db", db_url]).exit_code == 0
    with session_scope(db_url) as session:
        names = {e.exam_id: e.name for e in session.scalars(select(Exam))}
    result = runner.invoke(app, ["import", str(contract_bundle), "--db", db_url, "--no-prune"])
    assert result.exit_code == 0, result.output
    with session_scope(db_url) as session:
        assert {e.exam_id: e.name for e in session.scalars(select(Exam))} == names
        assert session.get(Teacher, session.scalars(select(Teacher.teacher_id)).first()).gender is not None


def test_a_teachers_file_saved_with_semicolons_reads_the_same(contract_bundle, tmp_path):
    from bundle.validate import load_bundle

    folder = tmp_path / "semicolon"
    folder.mkdir()
    for path in contract_bundle.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    with open(folder / "teachers.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    for delimiter, label in ((";", "semicolon"), ("\t", "tab")):
        with open(folder / "teachers.csv", "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        tables = load_bundle(folder)
        original = load_bundle(contract_bundle)
        assert tables["teachers"].astype(str).equals(original["teachers"].astype(str)), label


def test_a_version_2_bundle_reads_like_version_1(contract_bundle, tmp_path):
    """Version 2 adds files (attendance.csv, decisions.csv, applications.csv, …) that `xuequ import` leaves to
    the commands that read them: their presence changes nothing here."""
    from bundle.validate import load_bundle

    folder = tmp_path / "v2"
    folder.mkdir()
    for path in contract_bundle.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "attendance.csv").write_text("exam_id,subject,student_id,status\nE1,math,X1,缺考\n", encoding="utf-8")
    (folder / "decisions.csv").write_text("meeting_id,decision_id,date,text,host_school_id,assisting_school_ids,due,"
                                          "status,reason\nM1,D1,2026-09-10,联合教研,S001,,2026-10-01,open,\n",
                                          encoding="utf-8")
    (folder / "capacities.csv").write_text("zone_id,school_id,seats,lottery\nZ1,S001,40,1\n", encoding="utf-8")
    v2, v1 = load_bundle(folder), load_bundle(contract_bundle)
    assert set(v2) == set(v1)
    for name in v1:
        assert v2[name].astype(str).equals(v1[name].astype(str)), name
