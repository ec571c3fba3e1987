"""What a bundle of the contract as written (FORMATS.md) leaves out, derived from what it has.

`exams.csv` is the project's own file: a bureau's bundle names its exam only in
`exam_sessions.csv`. The exam row is derived from its sessions: the grade they sit, the school
year and term their first date falls in, and a readable Chinese name
(`2026学年第一学期八年级联考（11月）`).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from bundle.spec import EXAMS

# A Chinese school year starts in September: term 1 runs September–January, term 2 February–August.
SCHOOL_YEAR_START_MONTH = 9
TERM_2_START_MONTH = 2
_NUMERALS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def school_term(day: dt.date) -> tuple[int, int]:
    """(school year, term) of a date: 2026-11-12 → (2026, 1); 2027-01-14 → (2026, 1); 2027-04-20 → (2026, 2)."""
    school_year = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    term = 2 if TERM_2_START_MONTH <= day.month < SCHOOL_YEAR_START_MONTH else 1
    return school_year, term


def exam_kind(day: dt.date, grade: int) -> str:
    """The usual kind of a joint exam held on this date (DOMAIN.md): finals close a term (January,
    June–July), midterms sit in its middle (November, April–May), grade 9 has feedback exams in
    October and December; anything else is a unit test."""
    if day.month in (1, 6, 7):
        return "final"
    if day.month in (11, 4, 5):
        return "midterm"
    if grade == 9 and day.month in (10, 12):
        return "feedback"
    return "unit"


def exam_name(school_year: int, term: int, grade: int, day: dt.date) -> str:
    """2026学年第一学期八年级联考（11月）: the month says which of the term's exams it is."""
    return f"{school_year}学年第{_NUMERALS[term]}学期{_NUMERALS[grade]}年级联考（{day.month}月）"


def derive_exams(sessions: pd.DataFrame) -> pd.DataFrame:
    """One exams.csv row per exam named in exam_sessions.csv (typed as `bundle.validate` gives them).

    The grade is the one most of its sessions sit (an exam is of one grade); the term is that of
    its first session. The frame is marked `derived`, so an import adds missing exams without
    overwriting or deleting the exams a database already has.
    """
    rows = []
    for exam_id, group in sessions.groupby("exam_id", sort=True):
        dates = sorted(dt.date.fromisoformat(d) for d in group["date"].dropna())
        grades = group["grade"].dropna()
        if not dates or grades.empty:
            continue  # the session rows themselves are reported as incomplete
        grade = int(grades.mode().min())
        first = dates[0]
        school_year, term = school_term(first)
        rows.append({"exam_id": exam_id, "name": exam_name(school_year, term, grade, first),
                     "kind": exam_kind(first, grade), "school_year": school_year, "term": term, "grade": grade,
                     "cluster_id": None})
    frame = pd.DataFrame(rows, columns=EXAMS.column_names)
    frame = frame.astype({"school_year": "Int64", "term": "Int64", "grade": "Int64"}).astype(
        {"exam_id": object, "name": object, "kind": object, "cluster_id": object})
    frame.attrs["derived"] = True
    frame.attrs["source"] = "exam_sessions.csv"
    return frame
