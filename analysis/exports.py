"""The CSV files of the figures beyond FORMATS.md v1 (formats in analysis/FORMAT.md):

per exam — `write_exam_figures(analysis, out_dir)`:
- participation.csv   expected (应考), sat (实考), absent (缺考), exempt (免考) and 参考率 per level, group, paper;
- absentees.csv       every absent or exempt student × paper, with the previous exam's z when known;
- borderline.csv      临界生 (FORMATS.md v2 columns first), a task list per class and teacher;
- borderline_conversion.csv  转化率 since the previous exam (only with a previous exam and its papers);
- cohort_trends.csv, student_trends.csv  学情档案 over the cohort's stored exams (only with history);
- transition.csv      小学–初中衔接, per primary school (only when the class lists name primary schools);

per school year — `write_year_figures(appraisal, out_dir)`: appraisal.csv (teachers), appraisal_classes.csv,
bundled.csv (捆绑评价: pairs, then pair groups).

Every cell goes through `bundle.cells.safe_frame` (no formula reaches a spreadsheet). Pure: writes only
under out_dir.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.appraisal import YearAppraisal
from analysis.pipeline import ExamAnalysis
from bundle.cells import safe_frame
from bundle.spec import EXPORT_COLUMNS

PARTICIPATION_COLUMNS = ("exam_id", "level", "group_id", "group_name", "subject", "expected", "sat", "absent",
                         "exempt", "participation_rate")
ABSENTEE_COLUMNS = ("exam_id", "student_id", "name", "school_id", "school_name", "class_id", "subject", "status",
                    "source", "prev_z")
BORDERLINE_EXTRA = ("line_score", "full_marks", "teacher_name")


def _write(frame: pd.DataFrame, path: Path) -> Path:
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8", float_format="%.6g")
    return path


def _names(analysis: ExamAnalysis) -> tuple[dict, dict]:
    schools = dict(zip(analysis.schools["school_id"], analysis.schools["name"]))
    teachers = dict(zip(analysis.teachers["teacher_id"], analysis.teachers["name"]))
    return schools, teachers


def participation_export(analysis: ExamAnalysis) -> pd.DataFrame:
    schools, _ = _names(analysis)
    a = analysis.attendance
    name = [schools.get(g, g) if level == "school" else g for level, g in zip(a["level"], a["group_id"])]
    return a.assign(exam_id=analysis.exam_id, group_name=name)[list(PARTICIPATION_COLUMNS)]


def absentees_export(analysis: ExamAnalysis) -> pd.DataFrame:
    schools, _ = _names(analysis)
    a = analysis.absentees
    out = a.assign(exam_id=analysis.exam_id, school_name=a["school_id"].map(lambda s: schools.get(s, s)))
    if "prev_z" not in out:
        out["prev_z"] = float("nan")
    return out[list(ABSENTEE_COLUMNS)]


def borderline_export(analysis: ExamAnalysis) -> pd.DataFrame:
    """FORMATS.md v2 columns first, then line_score, full_marks and the teacher's name."""
    _, teachers = _names(analysis)
    b = analysis.borderline
    out = b.assign(teacher_name=b["teacher_id"].map(lambda t: teachers.get(t, t)))
    return out[[*EXPORT_COLUMNS["borderline"], *BORDERLINE_EXTRA]]


def write_exam_figures(analysis: ExamAnalysis, out_dir: Path | str) -> list[Path]:
    """The per-exam CSV files listed in the module docstring that this analysis has."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [_write(participation_export(analysis), out / "participation.csv"),
             _write(absentees_export(analysis), out / "absentees.csv"),
             _write(borderline_export(analysis), out / "borderline.csv")]
    if analysis.has_previous and len(analysis.conversion):
        paths.append(_write(analysis.conversion.assign(exam_id=analysis.exam_id)[
            ["exam_id", *analysis.conversion.columns]], out / "borderline_conversion.csv"))
    if analysis.trends is not None:
        paths.append(_write(analysis.trends.trend, out / "cohort_trends.csv"))
        paths.append(_write(analysis.trends.students, out / "student_trends.csv"))
    if len(analysis.transition):
        paths.append(_write(analysis.transition, out / "transition.csv"))
    return paths


def write_year_figures(appraisal: YearAppraisal, out_dir: Path | str) -> list[Path]:
    """appraisal.csv, appraisal_classes.csv and bundled.csv (the last even when empty: no pairs on record)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [_write(appraisal.teachers, out / "appraisal.csv"), _write(appraisal.classes, out / "appraisal_classes.csv"),
            _write(appraisal.bundled, out / "bundled.csv")]
