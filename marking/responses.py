"""Ingest each school's responses (作答数据): CSV or Excel, long or wide, all or nothing.

The format is in `marking/FORMAT.md`. Every problem names the file, row and column (header row 1);
if there is any, nothing is written.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd
from sqlalchemy import CursorResult, delete, insert, select, tuple_
from sqlalchemy.orm import Session

from bundle.io import cell_text
from bundle.problems import BundleError, Problem
from marking.paper import PaperEntry, paper_entries
from models import audit
from models.district import Student
from models.exams import Exam, Response
from models.marking import MarkingScript

ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese Excel saves CSV as GBK/GB18030
HEADER_SYNONYMS = {
    "student_id": ("student_id", "学籍号", "考号", "exam_number", "准考证号"),
    "subject": ("subject", "学科", "科目"),
    "item_id": ("item_id", "题目编号"),
    "question": ("question", "题号"),
    "answer": ("answer", "作答", "答案", "response"),
    "exam_id": ("exam_id", "考试编号"),
}
_QUESTION_HEADER = re.compile(r"^(?:q|Q|第)?\s*(\d+)\s*(?:题)?$")
_CHUNK = 500


@dataclass
class ResponseSheet:
    """One responses file (or sheet) as text cells; `rows[i]` is the user-visible row of `cells[i]`."""

    source: str
    header: list[str]
    cells: list[list[str]]
    rows: list[int]


def _sheet(source: str, lines: list[list[str]]) -> ResponseSheet:
    header = [str(h).strip().lstrip("\ufeff") for h in (lines[0] if lines else [])]
    cells, rows = [], []
    for offset, values in enumerate(lines[1:]):
        if not any(str(v).strip() for v in values):
            continue  # blank lines are not data
        cells.append([str(v).strip() for v in values] + [""] * (len(header) - len(values)))
        rows.append(offset + 2)
    return ResponseSheet(source, header, cells, rows)


def read_response_file(path: str | Path) -> list[ResponseSheet]:
    """A CSV file, or every sheet of an .xlsx workbook, as text cells."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # a corrupt or non-Excel file
            raise BundleError([Problem(path.name, None, None, f"无法读取 Excel 文件：{error}",
                                       f"cannot read the workbook: {error}")]) from error
        sheets = []
        for sheet in workbook.worksheets:
            lines = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            if lines:
                sheets.append(_sheet(f"{path.name}:{sheet.title}", lines))
        workbook.close()
        return sheets
    raw = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BundleError([Problem(path.name, None, None, "无法识别文件编码，请另存为 UTF-8 编码的 CSV",
                                   "unreadable encoding: save the file as UTF-8 CSV")])
    return [_sheet(path.name, list(csv.reader(io.StringIO(text))))]


def sheet_from_frame(frame: pd.DataFrame, source: str = "responses.csv") -> ResponseSheet:
    """A DataFrame (e.g. built in a test) as if read from a file."""
    lines = [[str(c) for c in frame.columns]]
    lines += [["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else cell_text(v)
               for v in row] for row in frame.itertuples(index=False)]
    return _sheet(source, lines)


@dataclass(frozen=True)
class ResponseContext:
    """What the responses are checked against: the exam's students and papers."""

    exam_id: str
    student_school: Mapping[str, str]  # student_id -> school_id
    entries: Sequence[PaperEntry]
    opened: frozenset[tuple[str, str]] = frozenset()  # (student_id, subject) already in the marking queue

    def items(self, subject: str) -> dict[str, PaperEntry]:
        return {e.item_id: e for e in self.entries if e.subject == subject}

    def by_position(self, subject: str) -> dict[int, PaperEntry]:
        return {e.position: e for e in self.entries if e.subject == subject}

    @property
    def subjects(self) -> set[str]:
        return {e.subject for e in self.entries}


@dataclass
class ParsedResponses:
    records: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # student, subject, item, answer
    problems: list[Problem] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records, columns=["student_id", "subject", "item_id", "answer"])


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        for canonical, spellings in HEADER_SYNONYMS.items():
            if name.lower() in spellings or name in spellings:
                found.setdefault(canonical, index)
    return found


def _p(source: str, row: int | None, column: str | None, zh: str, en: str) -> Problem:
    return Problem(source, row, column, zh, en)


def parse_responses(sheets: Iterable[ResponseSheet], context: ResponseContext, *, subject: str | None = None,
                    school_id: str | None = None) -> ParsedResponses:
    """Check every sheet against the exam (long or wide format); records and problems."""
    out = ParsedResponses()
    seen: dict[tuple[str, str, str], tuple[str, int]] = {}  # (student, subject, item) -> (source, row)
    for sheet in sheets:
        columns = _columns(sheet.header)
        if "student_id" not in columns:
            out.problems.append(_p(sheet.source, 1, "student_id", "缺少学籍号（考号）列 student_id",
                                   "missing column student_id (学籍号/考号)"))
            continue
        if "subject" not in columns and subject is None:
            out.problems.append(_p(sheet.source, 1, "subject", "缺少学科列 subject（或在导入时指定学科）",
                                   "missing column subject (or give the subject when importing)"))
            continue
        if "answer" in columns:
            _parse_long(sheet, columns, context, subject, school_id, out, seen)
        else:
            _parse_wide(sheet, columns, context, subject, school_id, out, seen)
    return out


def _check_row(sheet: ResponseSheet, row: int, cells: list[str], columns: dict[str, int], context: ResponseContext,
               subject_arg: str | None, school_id: str | None, out: ParsedResponses) -> tuple[str, str] | None:
    """The row's (student, subject) if both are known; problems otherwise."""
    ok = True
    if "exam_id" in columns and cells[columns["exam_id"]] and cells[columns["exam_id"]] != context.exam_id:
        out.problems.append(_p(sheet.source, row, sheet.header[columns["exam_id"]],
                               f"考试编号 {cells[columns['exam_id']]} 不是本次考试 {context.exam_id}",
                               f"exam {cells[columns['exam_id']]} is not this exam ({context.exam_id})"))
        ok = False
    student = cells[columns["student_id"]]
    student_header = sheet.header[columns["student_id"]]
    if not student:
        out.problems.append(_p(sheet.source, row, student_header, "学籍号为空", "empty student_id"))
        ok = False
    elif student not in context.student_school:
        out.problems.append(_p(sheet.source, row, student_header, f"未知的学生 {student}（不在学生名单中）",
                               f"unknown student {student} (not in students)"))
        ok = False
    elif school_id is not None and context.student_school[student] != school_id:
        out.problems.append(_p(sheet.source, row, student_header,
                               f"学生 {student} 属于学校 {context.student_school[student]}，不是 {school_id}",
                               f"student {student} belongs to school {context.student_school[student]}, "
                               f"not {school_id}"))
        ok = False
    subject = cells[columns["subject"]] if "subject" in columns and cells[columns["subject"]] else subject_arg
    if subject is None or subject not in context.subjects:
        column = sheet.header[columns["subject"]] if "subject" in columns else "subject"
        out.problems.append(_p(sheet.source, row, column, f"本次考试没有学科 {subject} 的已审定试卷",
                               f"the exam has no approved paper for subject {subject}"))
        ok = False
    if ok and (student, subject) in context.opened:
        out.problems.append(_p(sheet.source, row, student_header,
                               f"学生 {student} 的{subject}答卷已进入阅卷，不能再改作答数据",
                               f"student {student}'s {subject} scripts are already in marking; responses are frozen"))
        ok = False
    return (student, subject) if ok and subject is not None else None


def _add(out: ParsedResponses, seen: dict, sheet: ResponseSheet, row: int, column: str, student: str, subject: str,
         item_id: str, answer: str) -> None:
    key = (student, subject, item_id)
    if key in seen:
        first_source, first_row = seen[key]
        where = f"{first_row}" if first_source == sheet.source else f"{first_source} {first_row}"
        out.problems.append(_p(sheet.source, row, column,
                               f"重复：学生 {student} 的题目 {item_id} 已在第 {where} 行出现",
                               f"duplicate: student {student}'s answer to item {item_id} already at row {where}"))
        return
    seen[key] = (sheet.source, row)
    out.records.append((student, subject, item_id, answer or None))


def _parse_long(sheet: ResponseSheet, columns: dict[str, int], context: ResponseContext, subject_arg: str | None,
                school_id: str | None, out: ParsedResponses, seen: dict) -> None:
    if "item_id" not in columns and "question" not in columns:
        out.problems.append(_p(sheet.source, 1, "item_id", "缺少题目列：item_id（题目编号）或 question（题号）",
                               "missing item column: item_id or question (题号)"))
        return
    for cells, row in zip(sheet.cells, sheet.rows):
        known = _check_row(sheet, row, cells, columns, context, subject_arg, school_id, out)
        if known is None:
            continue
        student, subject = known
        if "item_id" in columns and cells[columns["item_id"]]:
            item_id, header = cells[columns["item_id"]], sheet.header[columns["item_id"]]
            if item_id not in context.items(subject):
                out.problems.append(_p(sheet.source, row, header, f"题目 {item_id} 不在本次考试{subject}试卷上",
                                       f"item {item_id} is not on this exam's {subject} paper"))
                continue
        else:
            header = sheet.header[columns["question"]] if "question" in columns else "question"
            text = cells[columns["question"]] if "question" in columns else ""
            entry = context.by_position(subject).get(int(text)) if text.isdigit() else None
            if entry is None:
                out.problems.append(_p(sheet.source, row, header, f"题号 {text!r} 不在本次考试{subject}试卷上",
                                       f"question {text!r} is not on this exam's {subject} paper"))
                continue
            item_id = entry.item_id
        _add(out, seen, sheet, row, header, student, subject, item_id, cells[columns["answer"]])


def _parse_wide(sheet: ResponseSheet, columns: dict[str, int], context: ResponseContext, subject_arg: str | None,
                school_id: str | None, out: ParsedResponses, seen: dict) -> None:
    reserved = set(columns.values())
    all_items = {e.item_id for e in context.entries}
    question_columns: list[tuple[int, str, str | int]] = []  # (index, header, item id or position)
    for index, header in enumerate(sheet.header):
        if index in reserved or not header:
            continue
        match = _QUESTION_HEADER.match(header)
        if match:
            question_columns.append((index, header, int(match.group(1))))
        elif header in all_items:
            question_columns.append((index, header, header))
        # other columns (names, classes) are allowed and ignored
    if not question_columns:
        out.problems.append(_p(sheet.source, 1, None, "没有作答列：宽表每题一列，列名为题号（如 1、Q1、第1题）或题目编号",
                               "no answer columns: a wide file has one column per question, named by its number "
                               "(1, Q1, 第1题) or item id"))
        return
    students_seen: dict[tuple[str, str], int] = {}
    for cells, row in zip(sheet.cells, sheet.rows):
        known = _check_row(sheet, row, cells, columns, context, subject_arg, school_id, out)
        if known is None:
            continue
        student, subject = known
        if (student, subject) in students_seen:
            out.problems.append(_p(sheet.source, row, sheet.header[columns["student_id"]],
                                   f"重复：学生 {student} 已在第 {students_seen[(student, subject)]} 行出现",
                                   f"duplicate: student {student} already at row {students_seen[(student, subject)]}"))
            continue
        students_seen[(student, subject)] = row
        by_position, items = context.by_position(subject), context.items(subject)
        for index, header, ref in question_columns:
            entry = by_position.get(ref) if isinstance(ref, int) else items.get(ref)
            answer = cells[index] if index < len(cells) else ""
            if entry is None:
                if answer:  # a column for a question this subject's paper lacks
                    out.problems.append(_p(sheet.source, row, header, f"列 {header} 不是{subject}试卷上的题",
                                           f"column {header} is not a question of the {subject} paper"))
                continue
            _add(out, seen, sheet, row, header, student, subject, entry.item_id, answer)


@dataclass
class IngestReport:
    files: list[str]
    students: int
    responses: int
    replaced: int  # responses that already existed and were overwritten


def response_context(session: Session, exam_id: str) -> ResponseContext:
    if session.get(Exam, exam_id) is None:
        raise BundleError([Problem("responses", None, None, f"没有考试 {exam_id}", f"no exam {exam_id}")])
    entries = paper_entries(session, exam_id)
    students = dict(session.execute(select(Student.student_id, Student.school_id)).tuples().all())
    opened = frozenset(session.execute(select(MarkingScript.student_id, MarkingScript.subject)
                                       .where(MarkingScript.exam_id == exam_id).distinct()).tuples().all())
    return ResponseContext(exam_id, students, entries, opened)


def ingest_responses(session: Session, exam_id: str, files: Sequence[str | Path | ResponseSheet], *,
                     subject: str | None = None, school_id: str | None = None) -> IngestReport:
    """Check every file, then write all their responses in the caller's transaction, or raise BundleError.

    A student's earlier responses to the same items are replaced (a school may resend a corrected
    file) until the student's scripts enter marking; then they are frozen.
    """
    sheets: list[ResponseSheet] = []
    problems: list[Problem] = []
    for file in files:
        if isinstance(file, ResponseSheet):
            sheets.append(file)
            continue
        try:
            sheets += read_response_file(file)
        except BundleError as error:
            problems += error.problems
    context = response_context(session, exam_id)
    if not context.entries:
        problems.append(Problem("responses", None, None, f"考试 {exam_id} 没有已审定或锁定的试卷",
                                f"exam {exam_id} has no approved or locked paper"))
    parsed = parse_responses(sheets, context, subject=subject, school_id=school_id)
    problems += parsed.problems
    if problems:
        raise BundleError(problems)
    records = parsed.records
    keys = [(s, i) for s, _, i, _ in records]
    replaced = 0
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        condition = (Response.exam_id == exam_id) & tuple_(Response.student_id, Response.item_id).in_(chunk)
        deleted = cast(CursorResult, session.execute(delete(Response).where(condition)))  # a DELETE's result
        replaced += deleted.rowcount or 0
    rows = [{"exam_id": exam_id, "student_id": s, "item_id": i, "subject": subj, "answer": a}
            for s, subj, i, a in records]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Response), rows[start:start + 5000])
    session.flush()
    audit.record(session, "import", "response", exam_id,
                 {"files": [s.source for s in sheets], "responses": len(rows), "replaced": replaced})
    return IngestReport([s.source for s in sheets], len({s for s, *_ in records}), len(rows), replaced)
