"""Responses files (作答数据): long and wide, every problem by file, row and column."""
from __future__ import annotations

import pandas as pd
import pytest

from marking.paper import PaperEntry
from marking.responses import ResponseContext, parse_responses, read_response_file, sheet_from_frame


def _entry(position, item_id, item_type, group=""):
    return PaperEntry("math", "A", position, item_id, item_type, 10.0, 1.0, None, "B", None,
                      group or ("" if item_type != "subjective" else f"Q{position}"))


CONTEXT = ResponseContext(
    exam_id="E1",
    student_school={"s1": "A", "s2": "A", "s3": "B"},
    entries=[_entry(1, "i1", "single_choice"), _entry(2, "i2", "fill_in"), _entry(3, "i3", "subjective", "G1")],
    opened=frozenset({("s3", "math")}),
)


def where(problems):
    return sorted((p.file, p.row, p.column) for p in problems)


def test_long_file_by_item_id_or_question_number():
    frame = pd.DataFrame({"学籍号": ["s1", "s1", "s2"], "学科": ["math"] * 3, "题号": ["1", "3", "1"],
                          "作答": ["B", "scan/s1/3.png", ""]})
    parsed = parse_responses([sheet_from_frame(frame, "a.csv")], CONTEXT)
    assert parsed.problems == []
    assert parsed.records == [("s1", "math", "i1", "B"), ("s1", "math", "i3", "scan/s1/3.png"),
                              ("s2", "math", "i1", None)]


def test_wide_file_with_the_subject_given_on_import_and_extra_columns_ignored():
    frame = pd.DataFrame({"student_id": ["s1", "s2"], "name": ["张三", "李四"], "Q1": ["B", "C"], "第2题": ["0.5", ""],
                          "i3": ["scan/1.png", "scan/2.png"]})
    parsed = parse_responses([sheet_from_frame(frame, "wide.csv")], CONTEXT, subject="math")
    assert parsed.problems == []
    assert len(parsed.records) == 6
    assert ("s2", "math", "i2", None) in parsed.records


def test_every_problem_is_reported_with_file_row_and_column():
    frame = pd.DataFrame({"student_id": ["s1", "zz", "s1", "s2", "s2", "s3"],
                          "subject": ["math", "math", "math", "math", "physics", "math"],
                          "item_id": ["i1", "i1", "i1", "i9", "i1", "i1"],
                          "answer": ["B", "B", "C", "x", "B", "B"]})
    parsed = parse_responses([sheet_from_frame(frame, "bad.csv")], CONTEXT)
    assert where(parsed.problems) == [
        ("bad.csv", 3, "student_id"),  # unknown student
        ("bad.csv", 4, "item_id"),  # duplicate of row 2
        ("bad.csv", 5, "item_id"),  # not on the paper
        ("bad.csv", 6, "subject"),  # no paper for physics
        ("bad.csv", 7, "student_id"),  # already in marking: frozen
    ]
    messages = " ".join(p.message_en for p in parsed.problems)
    assert "unknown student zz" in messages and "row 2" in messages and "i9" in messages


def test_duplicates_across_files_and_wide_rows_and_wrong_school():
    first = pd.DataFrame({"student_id": ["s1"], "subject": ["math"], "question": ["1"], "answer": ["B"]})
    second = pd.DataFrame({"student_id": ["s1", "s1"], "subject": ["math", "math"], "1": ["B", "C"]})
    parsed = parse_responses([sheet_from_frame(first, "one.csv"), sheet_from_frame(second, "two.csv")], CONTEXT)
    assert where(parsed.problems) == [("two.csv", 2, "1"), ("two.csv", 3, "student_id")]
    assert "one.csv 2" in parsed.problems[0].message_en
    other_school = parse_responses([sheet_from_frame(first, "one.csv")], CONTEXT, school_id="B")
    assert where(other_school.problems) == [("one.csv", 2, "student_id")]


def test_missing_columns_and_unknown_question_columns():
    no_student = pd.DataFrame({"id": ["s1"], "subject": ["math"], "answer": ["B"], "item_id": ["i1"]})
    assert where(parse_responses([sheet_from_frame(no_student, "x.csv")], CONTEXT).problems) == [
        ("x.csv", 1, "student_id")]
    no_item = pd.DataFrame({"student_id": ["s1"], "subject": ["math"], "answer": ["B"]})
    assert where(parse_responses([sheet_from_frame(no_item, "y.csv")], CONTEXT).problems) == [("y.csv", 1, "item_id")]
    extra_question = pd.DataFrame({"student_id": ["s1", "s2"], "subject": ["math", "math"], "1": ["B", "B"],
                                   "7": ["", "A"], "question": ["", ""]})
    parsed = parse_responses([sheet_from_frame(extra_question.drop(columns="question"), "z.csv")], CONTEXT)
    assert where(parsed.problems) == [("z.csv", 3, "7")]
    bad_exam = pd.DataFrame({"exam_id": ["E2"], "student_id": ["s1"], "subject": ["math"], "item_id": ["i1"],
                             "answer": ["B"]})
    assert where(parse_responses([sheet_from_frame(bad_exam, "e.csv")], CONTEXT).problems) == [
        ("e.csv", 2, "exam_id")]


def test_reading_csv_in_gb18030_and_excel_sheets(tmp_path):
    csv_path = tmp_path / "学校A.csv"
    csv_path.write_bytes("学籍号,学科,题号,作答\ns1,math,1,B\n\ns2,math,1,C\n".encode("gb18030"))
    [sheet] = read_response_file(csv_path)
    assert sheet.header == ["学籍号", "学科", "题号", "作答"] and sheet.rows == [2, 4]
    xlsx = tmp_path / "school.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"student_id": ["s1"], "subject": ["math"], "1": ["B"], "2": [0.5]}).to_excel(
            writer, sheet_name="答题卡", index=False)
    sheets = read_response_file(xlsx)
    assert [s.source for s in sheets] == ["school.xlsx:答题卡"]
    assert sheets[0].cells == [["s1", "math", "B", "0.5"]]
    parsed = parse_responses(sheets, CONTEXT)
    assert parsed.problems == [] and ("s1", "math", "i2", "0.5") in parsed.records


@pytest.mark.parametrize("header", ["Q3", "第3题", "3", "i3"])
def test_question_headers(header):
    frame = pd.DataFrame({"student_id": ["s1"], header: ["scan.png"]})
    parsed = parse_responses([sheet_from_frame(frame, "h.csv")], CONTEXT, subject="math")
    assert parsed.records == [("s1", "math", "i3", "scan.png")]
