"""Validation of a whole bundle: every problem at once, each with file, row and column.

`parse_bundle` turns a `RawBundle` into typed tables (ids str, ints, floats, bools, lists of
grades or ids, ISO dates, HH:MM times) and raises `BundleError` listing every problem: bad
cells, unknown or duplicate ids, clusters without exactly one lead or over the size limit.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from bundle.derive import derive_exams
from bundle.io import RawBundle, RawTable, read_bundle
from bundle.problems import BundleError, Problem
from bundle.spec import Column
from bundle.values import CHOICE_VALUES, SUBJECT_VALUES, choice_code, grade_number, subject_code
from domain.vocab import BOOL_FALSE, BOOL_TRUE, STAGE_GRADES, SUBJECTS

MAX_CLUSTER_SCHOOLS = 10  # 003 part 4: 每个学区学校数原则上不超过10所
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")

Tables = dict[str, pd.DataFrame]


class RowNumbers(tuple):
    """The user-visible row of each frame row, carried in `frame.attrs`. pandas deep-copies attrs on
    every operation; this tuple is immutable, so it hands itself over instead of 60,000 copies."""

    def __deepcopy__(self, memo: dict) -> RowNumbers:
        return self


class _Collector:
    """Collects problems for one table, naming its user-visible rows."""

    def __init__(self, table: RawTable, problems: list[Problem]):
        self.table = table
        self.problems = problems

    def add(self, positions: Iterable[int], column: str | None, zh: str, en: str) -> None:
        for position in positions:
            self.problems.append(Problem(self.table.source, self.table.rows[position], column, zh, en))


def _positions(mask) -> list[int]:
    """Row positions (0-based) where a boolean mask is true."""
    return np.flatnonzero(mask).tolist()


# Characters no database column should hold: NUL (PostgreSQL refuses it) and the other C0 controls.
# Tab and line breaks are allowed only in long free text (an item's stem or rubric).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_SHORT_TEXT = re.compile(r"[\x00-\x1f\x7f]")


def shown(value: str, limit: int = 40) -> str:
    """A cell as a message may quote it: control characters visible as \\xNN, long text cut short."""
    visible = "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in value)
    return visible if len(visible) <= limit else visible[:limit] + "…"


def _check_characters(text: pd.Series, column: Column, report: _Collector) -> pd.Series:
    """Positions holding control characters (NUL and the like) are reported, then read as empty."""
    pattern = _CONTROL if column.max_length is None and column.kind == "str" else _CONTROL_IN_SHORT_TEXT
    if not pattern.search("".join(text.tolist())):  # one scan of the whole column
        return pd.Series(False, index=text.index)
    bad = text.str.contains(pattern).to_numpy(dtype=bool)
    for position in _positions(bad):
        found = _CONTROL_IN_SHORT_TEXT.search(text.iat[position])
        assert found is not None  # `pattern` matched here, and it is a subset of these characters
        char = found.group(0)
        report.add([position], column.name, f"含有不可见的控制字符 U+{ord(char):04X}（如 NUL），请删除",
                   f"contains the control character U+{ord(char):04X} (e.g. NUL): remove it")
    return pd.Series(bad, index=text.index)


def _check_length(text: pd.Series, column: Column, report: _Collector) -> None:
    """Text longer than the database column holds is refused here, not by the database."""
    if column.max_length is None or column.kind not in ("id", "str", "list"):
        return
    if max(map(len, text.tolist()), default=0) <= column.max_length:
        return  # the common case, at C speed
    lengths = text.str.len()
    if column.kind == "list":  # each id of the list is stored whole
        lengths = text.map(lambda cell: max((len(p) for p in re.split(r"[;；]", cell)), default=0))
    for position in _positions((lengths > column.max_length).to_numpy()):
        report.add([position], column.name,
                   f"长度 {lengths.iat[position]} 个字符，超过上限 {column.max_length}：“{shown(text.iat[position])}”",
                   f"{lengths.iat[position]} characters, more than the limit of {column.max_length}: "
                   f"'{shown(text.iat[position])}'")


def _parse_column(raw: pd.Series, column: Column, report: _Collector) -> pd.Series:
    text = raw.astype(object).fillna("").map(str).str.strip()
    controls = _check_characters(text, column, report)
    text = text.where(~controls, "")
    _check_length(text, column, report)
    empty = text == ""
    if not column.nullable:
        blank = _positions((empty & ~controls).to_numpy())
        report.add(blank, column.name, f"{column.zh}不能为空", f"{column.name} must not be empty")
    kind = column.kind
    if kind in ("id", "str"):
        return text.where(~empty, None)
    if kind == "grade":
        grades = text.map(grade_number)
        bad = (~empty & grades.isna()).to_numpy()
        for position in _positions(bad):
            value = shown(text.iat[position])
            report.add([position], column.name, f"未知年级“{value}”：应为 1–12（或 七年级、初一 等）",
                       f"unknown grade '{value}': expected 1–12 (or 七年级, 初一, …)")
        return pd.Series(grades.tolist(), index=text.index, dtype="Int64")
    if kind in ("int", "float"):
        numbers = pd.to_numeric(text.where(~empty, None), errors="coerce")
        bad = (~empty & numbers.isna()).to_numpy().copy()
        if kind == "int":
            bad |= (~numbers.isna() & (numbers != numbers.round())).to_numpy()
        for position in _positions(bad):
            value = shown(text.iat[position])
            expected_zh, expected_en = ("整数", "an integer") if kind == "int" else ("数字", "a number")
            report.add([position], column.name, f"应为{expected_zh}，实际为“{value}”",
                       f"expected {expected_en}, got '{value}'")
        in_range = np.ones(len(text), dtype=bool)
        if column.min is not None:
            in_range &= ~(numbers < column.min).fillna(False).to_numpy()
        if column.max is not None:
            in_range &= ~(numbers > column.max).fillna(False).to_numpy()
        out_of_range = _positions(~in_range)
        if len(out_of_range):
            if column.min == 0 and column.max is not None:
                zh, en = f"取值应在 0 到 {column.max:g} 之间（不能为负）", f"must be between 0 and {column.max:g} (not negative)"
            else:
                zh, en = f"取值超出范围 [{column.min:g}, {column.max:g}]", f"out of range [{column.min:g}, {column.max:g}]"
            report.add(out_of_range, column.name, zh, en)
        numbers = numbers.where(in_range & ~bad)
        return numbers.astype("Int64") if kind == "int" else numbers.astype("float64")
    if kind == "bool":
        lowered = text.str.lower()
        truth = lowered.isin(BOOL_TRUE)
        bad = (~empty & ~truth & ~lowered.isin(BOOL_FALSE)).to_numpy()
        report.add(_positions(bad), column.name, "应为 1/0、true/false 或 是/否", "expected 1/0, true/false or 是/否")
        return truth.astype(bool)
    if kind in ("subject", "choice"):
        codes = text.map(subject_code) if kind == "subject" else text.map(lambda v: choice_code(v, column.choices))
        bad = (~empty & codes.isna()).to_numpy()
        what_zh = "未知学科" if kind == "subject" else "取值无效"
        what_en = "unknown subject" if kind == "subject" else "invalid value"
        allowed = _allowed_values(kind, column)
        for position in _positions(bad):
            value = shown(text.iat[position])
            report.add([position], column.name, f"{what_zh}“{value}”，可选：{allowed}",
                       f"{what_en} '{value}'; allowed: {allowed}")
        return codes.where(~empty & ~pd.Series(bad, index=text.index), None).astype(object)
    if kind in ("list", "grade_list"):
        values: list[list] = []
        for position, cell in enumerate(text.tolist()):
            separators = r"[;；、,，]" if kind == "grade_list" else r"[;；]"  # 七年级、八年级 is a list too
            parts = [p.strip() for p in re.split(separators, cell) if p.strip()] if cell else []
            if kind == "grade_list":
                grades = []
                for part in parts:
                    grade = grade_number(part)
                    if grade is not None:
                        grades.append(grade)
                    else:
                        report.add([position], column.name, f"未知年级“{shown(part)}”：应为 1–12，用;分隔",
                                   f"unknown grade '{shown(part)}': expected 1–12 separated by ;")
                values.append(sorted(set(grades)))
            else:
                values.append(parts)
        return pd.Series(values, index=text.index, dtype=object)
    if kind == "date":
        out: list[str | None] = []
        for position, cell in enumerate(text.tolist()):
            if not cell:
                out.append(None)
                continue
            try:
                out.append(dt.date.fromisoformat(cell[:10]).isoformat())
            except ValueError:
                report.add([position], column.name, f"日期“{shown(cell)}”应为 YYYY-MM-DD",
                           f"date '{shown(cell)}' must be YYYY-MM-DD")
                out.append(None)
        return pd.Series(out, index=text.index, dtype=object)
    if kind == "time":
        out = []
        for position, cell in enumerate(text.tolist()):
            match = _TIME.match(cell) if cell else None
            if cell and not match:
                report.add([position], column.name, f"时间“{shown(cell)}”应为 HH:MM", f"time '{shown(cell)}' must be HH:MM")
            out.append(f"{int(match.group(1)):02d}:{match.group(2)}" if match else None)
        return pd.Series(out, index=text.index, dtype=object)
    raise ValueError(f"unknown column kind {kind}")


def _allowed_values(kind: str, column: Column) -> str:
    """The codes with their Chinese spellings, as a message lists them: primary（小学）, junior（初中）…"""
    codes = list(SUBJECTS) if kind == "subject" else list(column.choices)
    accepted = SUBJECT_VALUES if kind == "subject" else CHOICE_VALUES.get(tuple(column.choices), {})
    labels = {code: next((k for k, v in accepted.items() if v == code and not k.isascii()), "") for code in codes}
    return ", ".join(f"{code}（{labels[code]}）" if labels[code] else code for code in codes)


def _parse_table(table: RawTable, problems: list[Problem]) -> pd.DataFrame:
    report = _Collector(table, problems)
    columns = {}
    for column in table.spec.columns:
        if column.name in table.frame.columns:
            columns[column.name] = _parse_column(table.frame[column.name], column, report)
    frame = pd.DataFrame(columns, index=range(len(table.rows)))
    frame.attrs["rows"] = RowNumbers(table.rows)  # user-visible rows, so the database's refusals can name them
    frame.attrs["source"] = table.source
    frame.attrs["absent"] = list(table.absent_optional)  # an import leaves these columns as they are
    key = list(table.spec.key)
    if len(frame) and all(k in frame.columns for k in key):  # a missing key column is reported already
        keyed = frame[key].astype(object).where(frame[key].notna(), "")
        duplicated = keyed.duplicated(keep="first").to_numpy()
        label = "+".join(key)
        for position in _positions(duplicated):
            values = "/".join(str(keyed.iat[position, i]) for i in range(len(key)))
            report.add([position], key[0], f"编号重复：{label} = {values} 已在前面出现",
                       f"duplicate id: {label} = {values} appears earlier")
    return frame


def parse_table(table: RawTable, problems: list[Problem]) -> pd.DataFrame:
    """One raw table as typed columns (a file outside the bundle); its problems are appended to `problems`."""
    return _parse_table(table, problems)


def _has(tables: Tables, file: str, *columns: str) -> bool:
    """The file was read and has these columns (a missing one is reported once, as a missing column)."""
    return file in tables and all(c in tables[file].columns for c in columns)


def _check_reference(tables: Tables, raw: dict[str, RawTable], problems: list[Problem], file: str, column: str,
                     target_file: str, target_column: str) -> None:
    """Every value of file.column must exist in target_file.target_column."""
    if not _has(tables, file, column) or not _has(tables, target_file, target_column):
        return
    known = set(tables[target_file][target_column].dropna())
    values = tables[file][column]
    unknown = values.notna() & ~values.isin(known)
    report = _Collector(raw[file], problems)
    for position in _positions(unknown.to_numpy()):
        value = values.iat[position]
        report.add([position], column, f"未知编号“{value}”：在 {target_file}.csv 中不存在",
                   f"unknown id '{value}': not in {target_file}.csv")


REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("schools", "cluster_id", "clusters", "cluster_id"),
    ("teachers", "school_id", "schools", "school_id"),
    ("rooms", "school_id", "schools", "school_id"),
    ("classes", "school_id", "schools", "school_id"),
    ("class_teachers", "class_id", "classes", "class_id"),
    ("class_teachers", "teacher_id", "teachers", "teacher_id"),
    ("students", "class_id", "classes", "class_id"),
    ("students", "school_id", "schools", "school_id"),
    ("needs", "school_id", "schools", "school_id"),
    ("unavailability", "teacher_id", "teachers", "teacher_id"),
    ("distances", "from_id", "schools", "school_id"),
    ("distances", "to_id", "schools", "school_id"),
    ("exams", "cluster_id", "clusters", "cluster_id"),
    ("exam_sessions", "exam_id", "exams", "exam_id"),  # only when exams.csv is given; else derived
    ("item_usage", "item_id", "items", "item_id"),
    ("facilities", "school_id", "schools", "school_id"),
    ("facility_requests", "school_id", "schools", "school_id"),
    ("facility_requests", "class_id", "classes", "class_id"),
    ("facility_requests", "teacher_id", "teachers", "teacher_id"),
)


def _check_clusters(tables: Tables, raw: dict[str, RawTable], problems: list[Problem], max_schools: int) -> None:
    if not _has(tables, "schools", "cluster_id", "is_lead") or not _has(tables, "clusters", "cluster_id"):
        return
    schools = tables["schools"]
    report_clusters = _Collector(raw["clusters"], problems)
    report_schools = _Collector(raw["schools"], problems)
    for position, cluster_id in enumerate(tables["clusters"]["cluster_id"].tolist()):
        if cluster_id is None:
            continue
        members = schools[schools["cluster_id"] == cluster_id]
        leads = members[members["is_lead"]]
        if len(members) and len(leads) == 0:
            report_clusters.add([position], "cluster_id", f"学区 {cluster_id} 没有学区长学校（is_lead=1）",
                                f"cluster {cluster_id} has no lead school (is_lead=1)")
        if len(leads) > 1:
            rows = [raw["schools"].rows[i] for i in leads.index]
            report_schools.add(leads.index[1:], "is_lead",
                               f"学区 {cluster_id} 有 {len(leads)} 所学区长学校（第 {', '.join(map(str, rows))} 行），应恰好一所",
                               f"cluster {cluster_id} has {len(leads)} lead schools (rows {', '.join(map(str, rows))}); "
                               "exactly one is allowed")
        if len(members) > max_schools:
            report_clusters.add([position], "cluster_id",
                                f"学区 {cluster_id} 有 {len(members)} 所学校，超过上限 {max_schools} 所",
                                f"cluster {cluster_id} has {len(members)} schools, more than the limit of {max_schools}")


def _check_grades_at_stage(tables: Tables, raw: dict[str, RawTable], problems: list[Problem], file: str) -> None:
    """A class or need's grade must be one the school's stage teaches (no grade 8 at a primary school)."""
    if not _has(tables, file, "school_id", "grade") or not _has(tables, "schools", "school_id", "stage"):
        return
    stage_of = dict(zip(tables["schools"]["school_id"], tables["schools"]["stage"]))
    report = _Collector(raw[file], problems)
    frame = tables[file]
    for position, (school, grade) in enumerate(zip(frame["school_id"].tolist(), frame["grade"].tolist())):
        stage = stage_of.get(school)
        if stage is None or pd.isna(grade):
            continue
        if int(grade) not in STAGE_GRADES[stage]:
            report.add([position], "grade", f"年级 {grade} 不属于该校学段（{stage}）",
                       f"grade {grade} is not taught at a {stage} school")


def _check_student_school(tables: Tables, raw: dict[str, RawTable], problems: list[Problem]) -> None:
    if not _has(tables, "students", "class_id", "school_id") or not _has(tables, "classes", "class_id", "school_id"):
        return
    school_of_class = dict(zip(tables["classes"]["class_id"], tables["classes"]["school_id"]))
    students = tables["students"]
    expected = students["class_id"].map(school_of_class)
    mismatch = (expected.notna() & students["school_id"].notna() & (expected != students["school_id"])).to_numpy()
    report = _Collector(raw["students"], problems)
    for position in _positions(mismatch):
        report.add([position], "school_id",
                   f"学生所在班级 {students['class_id'].iat[position]} 属于学校 {expected.iat[position]}，与 school_id 不符",
                   f"the student's class {students['class_id'].iat[position]} belongs to school "
                   f"{expected.iat[position]}, not {students['school_id'].iat[position]}")


def parse_bundle(raw: RawBundle, *, max_cluster_schools: int = MAX_CLUSTER_SCHOOLS) -> Tables:
    """Typed tables from raw ones, or `BundleError` listing every problem."""
    problems = list(raw.problems)
    tables: Tables = {}
    for name, table in raw.tables.items():
        tables[name] = _parse_table(table, problems)
    for reference in REFERENCES:
        _check_reference(tables, raw.tables, problems, *reference)
    _check_clusters(tables, raw.tables, problems, max_cluster_schools)
    _check_grades_at_stage(tables, raw.tables, problems, "classes")
    _check_grades_at_stage(tables, raw.tables, problems, "needs")
    _check_student_school(tables, raw.tables, problems)
    if problems:
        raise BundleError(sorted(problems, key=_problem_order))
    if "exams" not in tables and _has(tables, "exam_sessions", "exam_id") and len(tables["exam_sessions"]):
        tables["exams"] = derive_exams(tables["exam_sessions"])  # FORMATS.md: exams.csv is ours, so optional
    return tables


def _problem_order(problem: Problem) -> tuple:
    return (problem.file, problem.row or 0, problem.column or "")


def load_bundle(path: Path | str, *, max_cluster_schools: int = MAX_CLUSTER_SCHOOLS) -> Tables:
    """Read and validate a bundle folder or workbook; raise `BundleError` with every problem."""
    return parse_bundle(read_bundle(Path(path)), max_cluster_schools=max_cluster_schools)
