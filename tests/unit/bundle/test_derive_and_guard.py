"""Exams derived from their sessions (school year, term, kind, name) and the mass-delete rule."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bundle.derive import derive_exams, exam_kind, exam_name, school_term
from bundle.guard import DeletePolicy, mass_delete_problem, needs_consent


@pytest.mark.parametrize("day,expected", [
    ("2026-09-01", (2026, 1)), ("2026-11-12", (2026, 1)), ("2026-12-31", (2026, 1)), ("2027-01-20", (2026, 1)),
    ("2027-02-01", (2026, 2)), ("2027-04-20", (2026, 2)), ("2027-08-31", (2026, 2)),
])
def test_school_year_starts_in_september_and_term_2_in_february(day, expected):
    assert school_term(dt.date.fromisoformat(day)) == expected


@pytest.mark.parametrize("day,grade,kind", [
    ("2026-11-12", 8, "midterm"), ("2027-01-14", 8, "final"), ("2027-06-29", 7, "final"), ("2027-04-22", 8, "midterm"),
    ("2026-10-09", 9, "feedback"), ("2026-12-10", 9, "feedback"), ("2026-10-09", 8, "unit"),
])
def test_kind_from_the_date(day, grade, kind):
    assert exam_kind(dt.date.fromisoformat(day), grade) == kind


def test_derived_exam_rows():
    sessions = pd.DataFrame({
        "exam_id": ["E2", "E2", "E2", "E1"], "grade": pd.array([8, 8, 8, 6], dtype="Int64"),
        "session_id": ["S1", "S2", "S3", "S1"], "subject": ["math", "physics", "chinese", "math"],
        "date": ["2026-11-13", "2026-11-12", "2026-11-13", "2027-04-21"],
        "start": ["08:30"] * 4, "end": ["10:30"] * 4})
    exams = derive_exams(sessions).set_index("exam_id")
    assert exams.attrs["derived"] is True
    assert exams.loc["E2", "name"] == "2026学年第一学期八年级联考（11月）"
    assert (exams.loc["E2", "school_year"], exams.loc["E2", "term"], exams.loc["E2", "grade"]) == (2026, 1, 8)
    assert exams.loc["E1", "name"] == "2026学年第二学期六年级联考（4月）" and exams.loc["E1", "kind"] == "midterm"
    assert exams.loc["E1", "cluster_id"] is None
    assert exam_name(2030, 2, 12, dt.date(2031, 6, 1)) == "2030学年第二学期十二年级联考（6月）"


@pytest.mark.parametrize("existing,deleting,allow,refused", [
    (2736, 2736, False, True), (2736, 2736, True, False), (100, 20, False, False), (100, 21, False, True),
    (3, 3, False, False), (6, 6, False, True), (0, 0, False, False), (1000, 5, False, False),
])
def test_mass_deletes_need_consent(existing, deleting, allow, refused):
    assert needs_consent(existing, deleting, DeletePolicy(allow=allow)) is refused


def test_the_refusal_names_table_and_count():
    problem = mass_delete_problem("students", 2736, 2736, DeletePolicy())
    assert problem.file == "students.csv"
    assert "2736 of the 2736 rows of students" in problem.message_en and "--allow-deletes" in problem.message_en
    assert "2736 行中的 2736 行" in problem.message_zh


@pytest.mark.parametrize("kwargs", [{"max_share": 1.5}, {"max_share": -0.1}, {"free_rows": -1}])
def test_policy_values_are_checked(kwargs):
    with pytest.raises(ValueError):
        DeletePolicy(**kwargs)
