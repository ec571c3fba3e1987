"""Ingesting each school's responses into the database: all or nothing, then frozen once marking opens."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from bundle.problems import BundleError
from marking.queue import open_marking
from marking.responses import ingest_responses
from marking.sample import build_sample_exam
from models.db import session_scope
from models.exams import Response


def _school_files(sample, folder):
    """One long CSV per school (question numbers) and one wide workbook for the last school."""
    responses = sample.responses.copy()
    responses["question"] = responses["item_id"].str[-2:].astype(int)
    responses["school"] = responses["student_id"].str.rsplit("-", n=1).str[0]
    files = []
    for school in sample.school_ids[:-1]:
        rows = responses[responses["school"] == school]
        path = folder / f"{school}.csv"
        rows.rename(columns={"student_id": "学籍号", "subject": "学科", "answer": "作答"})[
            ["学籍号", "学科", "question", "作答"]].to_csv(path, index=False, encoding="utf-8-sig")
        files.append(path)
    last = responses[responses["school"] == sample.school_ids[-1]]
    wide = last.pivot(index="student_id", columns="question", values="answer").reset_index()
    wide.columns = ["student_id"] + [f"Q{c}" for c in wide.columns[1:]]
    path = folder / "last.xlsx"
    wide.to_excel(path, sheet_name="math", index=False)
    files.append(path)
    return files


def test_all_schools_files_load_and_a_corrected_resend_replaces(migrated_db, tmp_path):
    with session_scope(migrated_db) as session:
        sample = build_sample_exam(session, students_per_school=5, with_responses=False)
    files = _school_files(sample, tmp_path)
    with session_scope(migrated_db) as session:
        report = ingest_responses(session, sample.exam_id, files, subject="math")
    assert (report.students, report.responses, report.replaced) == (15, 15 * 7, 0)
    with session_scope(migrated_db) as session:
        stored = pd.DataFrame(session.execute(select(Response.student_id, Response.item_id, Response.answer))
                              .tuples().all(), columns=["student_id", "item_id", "answer"])
    expected = sample.responses[["student_id", "item_id", "answer"]]
    merged = expected.merge(stored, on=["student_id", "item_id"], suffixes=("", "_stored"))
    assert len(merged) == 105 and (merged["answer"] == merged["answer_stored"]).all()
    with session_scope(migrated_db) as session:
        again = ingest_responses(session, sample.exam_id, files[:1], subject="math", school_id=sample.school_ids[0])
        assert again.replaced == 35
        assert session.scalar(select(func.count()).select_from(Response)) == 105


def test_a_bad_file_stops_the_whole_import_and_names_file_row_and_column(migrated_db, tmp_path):
    with session_scope(migrated_db) as session:
        sample = build_sample_exam(session, students_per_school=3, with_responses=False)
    good, *_ = _school_files(sample, tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,subject,item_id,answer\n"
                   "S-SCH2-ST0001,math,S-I01,B\n"
                   "NOBODY,math,S-I01,B\n"
                   "S-SCH2-ST0001,math,S-I01,C\n"
                   "S-SCH2-ST0002,math,WRONG,C\n", encoding="utf-8")
    with pytest.raises(BundleError) as caught:
        with session_scope(migrated_db) as session:
            ingest_responses(session, sample.exam_id, [good, bad])
    assert sorted((p.file, p.row, p.column) for p in caught.value.problems) == [
        ("bad.csv", 3, "student_id"), ("bad.csv", 4, "item_id"), ("bad.csv", 5, "item_id")]
    with session_scope(migrated_db) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0  # nothing half-ingested


def test_responses_are_frozen_once_their_scripts_are_in_marking(migrated_db, tmp_path):
    with session_scope(migrated_db) as session:
        sample = build_sample_exam(session, students_per_school=2)
        open_marking(session, sample.exam_id)
    resend = tmp_path / "resend.csv"
    resend.write_text(f"student_id,subject,question,answer\n{sample.student_ids[0]},math,1,A\n", encoding="utf-8")
    with pytest.raises(BundleError, match="already in marking"):
        with session_scope(migrated_db) as session:
            ingest_responses(session, sample.exam_id, [resend])
    with pytest.raises(BundleError, match="no exam"):
        with session_scope(migrated_db) as session:
            ingest_responses(session, "NOPE", [resend])
