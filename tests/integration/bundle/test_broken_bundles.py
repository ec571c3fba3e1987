"""Broken bundles through `xuequ import`: every one is refused with the file, row and column that
caused it, a non-zero exit, no traceback, and a database whose row counts are what they were.

Each case edits a copy of the mini bundle after it was imported once. Whole-file problems (a
missing or empty file, a mass delete) have no row or column; the case says so with None. The
length, character and database-only cases run on PostgreSQL too: those are where PostgreSQL
used to answer with a DataError or an IntegrityError of its own.
"""
from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from models import Base
from models.db import session_scope
from service.cli import app
from tests.bundle_edits import append_row, drop_column, read_rows, set_cell, write_rows

runner = CliRunner()


@dataclass(frozen=True)
class Case:
    name: str
    edit: Callable[[Path], None]
    file: str
    row: int | None
    column: str | None
    words: str = ""  # a word the English message must hold
    both_databases: bool = False  # also on PostgreSQL
    setup: Callable[[str], None] | None = None  # database state the case needs (after the first import)


def _rewrite(file: str, delimiter: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        rows = read_rows(folder, file)
        with open(folder / file, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return edit


def _cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda folder: set_cell(folder, file, row, column, value)


def _text(file: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).write_text(text, encoding="utf-8")


def _header_only(file: str) -> Callable[[Path], None]:
    return lambda folder: write_rows(folder, file, read_rows(folder, file)[:1])


def _drop(file: str, column: str) -> Callable[[Path], None]:
    return lambda folder: drop_column(folder, file, column)


def _append(file: str, values: dict[str, str]) -> Callable[[Path], None]:
    return lambda folder: append_row(folder, file, values)


def _scores_for(student_id: str) -> Callable[[str], None]:
    def setup(url: str) -> None:
        from models import Exam, Item, Score

        with session_scope(url) as session:
            session.add(Item(item_id="I1", subject="math", grade=8, item_type="single_choice", max_score=3, key="A",
                             knowledge_area="数与代数", cognitive_level="remember", difficulty=0.7))
            session.flush()
            session.add(Score(exam_id=session.get(Exam, "E1").exam_id, student_id=student_id, item_id="I1",
                              subject="math", score=3))
    return setup


def _remove_last_row(file: str) -> Callable[[Path], None]:
    return lambda folder: write_rows(folder, file, read_rows(folder, file)[:-1])


def _item_usage_without_items(folder: Path) -> None:
    write_rows(folder, "item_usage.csv", [["item_id", "exam_id", "cohort", "used_on"],
                                          ["BANK-404", "E1", "2019", "2026-11-10"]])


CASES = [
    # --- the crashes of the issue: KeyError, DataError, a silent mass delete ---
    Case("schools.csv without school_id", _drop("schools.csv", "school_id"), "schools.csv", 1, "school_id", "missing"),
    Case("classes.csv without class_id", _drop("classes.csv", "class_id"), "classes.csv", 1, "class_id", "missing"),
    Case("students.csv of blank lines", _text("students.csv", "\n\n  \n\n"), "students.csv", None, None, "empty"),
    Case("a 150-character name", _cell("teachers.csv", 3, "name", "王" * 150), "teachers.csv", 3, "name", "limit",
         both_databases=True),
    Case("an 80-character room id", _cell("rooms.csv", 2, "room_id", "R" * 80), "rooms.csv", 2, "room_id", "limit",
         both_databases=True),
    Case("a NUL byte in a school name", _cell("schools.csv", 2, "name", "实验\x00小学"), "schools.csv", 2, "name",
         "U+0000", both_databases=True),
    Case("a bell character in a class id", _cell("classes.csv", 2, "class_id", "S1-3-1\x07"), "classes.csv", 2,
         "class_id", "U+0007", both_databases=True),
    Case("an escape character in an exam id", _cell("exam_sessions.csv", 2, "exam_id", "E1\x1b"),
         "exam_sessions.csv", 2, "exam_id", "U+001B", both_databases=True),
    Case("an 80-character session id", _cell("exam_sessions.csv", 3, "session_id", "S" * 80), "exam_sessions.csv", 3,
         "session_id", "limit", both_databases=True),
    Case("a header-only students.csv", _header_only("students.csv"), "students.csv", None, None, "would delete 6"),
    Case("a pipe-delimited teachers.csv", _rewrite("teachers.csv", "|"), "teachers.csv", 1, None, "separated by '|'"),
    # --- references between files ---
    Case("unknown cluster of a school", _cell("schools.csv", 2, "cluster_id", "C9"), "schools.csv", 2, "cluster_id",
         "unknown id 'C9'"),
    Case("unknown school of a teacher", _cell("teachers.csv", 4, "school_id", "S99"), "teachers.csv", 4, "school_id",
         "unknown id 'S99'"),
    Case("unknown school of a class", _cell("classes.csv", 3, "school_id", "S99"), "classes.csv", 3, "school_id",
         "unknown id"),
    Case("unknown class of a class teacher", _cell("class_teachers.csv", 2, "class_id", "X-1"), "class_teachers.csv",
         2, "class_id", "classes.csv"),
    Case("unknown teacher of a class", _cell("class_teachers.csv", 3, "teacher_id", "T99"), "class_teachers.csv", 3,
         "teacher_id", "teachers.csv"),
    Case("unknown class of a student", _cell("students.csv", 2, "class_id", "X-1"), "students.csv", 2, "class_id",
         "classes.csv"),
    Case("a student's class at another school", _cell("students.csv", 2, "school_id", "S5"), "students.csv", 2,
         "school_id", "belongs to school"),
    Case("unknown school of a room", _cell("rooms.csv", 3, "school_id", "S99"), "rooms.csv", 3, "school_id",
         "schools.csv"),
    Case("unknown school of a need", _cell("needs.csv", 2, "school_id", "S99"), "needs.csv", 2, "school_id",
         "schools.csv"),
    Case("unknown teacher unavailable", _cell("unavailability.csv", 2, "teacher_id", "T99"), "unavailability.csv", 2,
         "teacher_id", "teachers.csv"),
    Case("unknown exam of a session", _cell("exam_sessions.csv", 2, "exam_id", "E9"), "exam_sessions.csv", 2,
         "exam_id", "exams.csv"),
    Case("unknown school in distances", _text("distances.csv", "from_id,to_id,km,minutes\nS1,S99,3.5,10\n"),
         "distances.csv", 2, "to_id", "schools.csv"),
    # --- the usual ---
    Case("duplicate teacher id", _append("teachers.csv", {
        "teacher_id": "T01", "name": "重名", "school_id": "S1", "subject": "math", "grades": "3", "role": "teacher",
        "backbone": "0", "famous": "0", "years_at_school": "1", "teaching_years": "1", "birth_year": "2000",
        "volunteer": "0"}), "teachers.csv", 14, "teacher_id", "duplicate"),
    Case("two lead schools", _cell("schools.csv", 3, "is_lead", "1"), "schools.csv", 3, "is_lead", "2 lead schools"),
    Case("a cluster without a lead", _cell("schools.csv", 5, "is_lead", "否"), "clusters.csv", 3, "cluster_id",
         "no lead"),
    Case("a number that is not one", _cell("rooms.csv", 2, "capacity", "many"), "rooms.csv", 2, "capacity",
         "expected an integer"),
    Case("a negative capacity", _cell("rooms.csv", 4, "capacity", "-5"), "rooms.csv", 4, "capacity", "not negative"),
    Case("a latitude out of range", _cell("schools.csv", 4, "lat", "134.5"), "schools.csv", 4, "lat", "out of range"),
    Case("a bad date", _cell("unavailability.csv", 2, "date", "2026-13-40"), "unavailability.csv", 2, "date",
         "YYYY-MM-DD"),
    Case("a bad time", _cell("exam_sessions.csv", 3, "start", "25:00"), "exam_sessions.csv", 3, "start", "HH:MM"),
    Case("an unknown subject", _cell("teachers.csv", 2, "subject", "书法"), "teachers.csv", 2, "subject",
         "unknown subject"),
    Case("an unknown role", _cell("teachers.csv", 5, "role", "班主任"), "teachers.csv", 5, "role", "invalid value"),
    Case("a bad boolean", _cell("teachers.csv", 6, "backbone", "maybe"), "teachers.csv", 6, "backbone", "1/0"),
    Case("an unknown grade", _cell("classes.csv", 2, "grade", "十三年级"), "classes.csv", 2, "grade", "unknown grade"),
    Case("grade 8 at a primary school", _cell("needs.csv", 2, "grade", "初二"), "needs.csv", 2, "grade",
         "not taught"),
    Case("an empty required cell", _cell("teachers.csv", 7, "name", ""), "teachers.csv", 7, "name",
         "must not be empty"),
    Case("a missing required file", lambda folder: (folder / "rooms.csv").unlink(), "rooms.csv", None, None,
         "missing required file"),
    # --- refusals only the database can see, translated back to the file ---
    Case("a removed student who has scores", _remove_last_row("students.csv"), "students.csv", None, "student_id",
         "still refer", both_databases=True, setup=_scores_for("ST006")),
    Case("a usage row of an item the bank lacks", _item_usage_without_items, "item_usage.csv", 2, "item_id",
         "refused", both_databases=True),
]


def row_counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def refused(url: str, folder: Path, tmp_path: Path, case: Case) -> None:
    """Import the broken bundle and check the refusal; the database must not change."""
    before = row_counts(url)
    errors = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", str(folder), "--db", url, "--errors-csv", str(errors)])
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "constraint" not in result.output.lower()
    assert "未导入任何数据" in result.output
    with open(errors, encoding="utf-8-sig", newline="") as handle:
        problems = list(csv.DictReader(handle))
    where = [(p["file"], int(p["row"]) if p["row"] else None, p["column"] or None) for p in problems]
    assert (case.file, case.row, case.column) in where, where
    found = problems[where.index((case.file, case.row, case.column))]
    assert case.words in found["message_en"], found
    assert found["message_zh"] and not found["message_zh"].isascii()
    assert row_counts(url) == before


def _forget_engine(url: str) -> None:
    from models.db import database_url, dispose_engines

    dispose_engines(database_url(url))  # SQLite folds its WAL back into the file, so the file can be copied


@pytest.fixture(scope="module")
def imported_sqlite(tmp_path_factory) -> Path:
    """The mini bundle imported once into a SQLite file; each case works on a copy (2 s saved per case)."""
    from tests.conftest import FIXTURES

    path = tmp_path_factory.mktemp("baseline") / "baseline.db"
    url = f"sqlite:///{path}"
    first = runner.invoke(app, ["import", str(FIXTURES / "mini_bundle"), "--db", url])
    assert first.exit_code == 0, first.output
    _forget_engine(url)
    return path


def _run(url: str, mini_bundle: Path, tmp_path: Path, case: Case, *, imported: bool = False) -> None:
    if not imported:
        first = runner.invoke(app, ["import", str(mini_bundle), "--db", url])
        assert first.exit_code == 0, first.output
    if case.setup:
        case.setup(url)
    case.edit(mini_bundle)
    refused(url, mini_bundle, tmp_path, case)


def test_there_are_enough_cases():
    assert len(CASES) >= 27
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for c in CASES if not c.both_databases], ids=lambda c: c.name)
def test_broken_bundle_on_sqlite(case, mini_bundle, tmp_path, imported_sqlite):
    shutil.copyfile(imported_sqlite, tmp_path / "broken.db")
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    try:
        _run(url, mini_bundle, tmp_path, case, imported=True)
    finally:
        _forget_engine(url)


@pytest.mark.parametrize("case", [c for c in CASES if c.both_databases], ids=lambda c: c.name)
def test_broken_bundle_on_both_databases(case, db_url, mini_bundle, tmp_path):
    _run(db_url, mini_bundle, tmp_path, case)
