"""Writing the reports of an exam analysis: `write_reports(analysis, out_dir, lang) -> list[Path]`.

Files (Chinese by default; with lang="en" the human-readable files get an ".en" suffix so both
languages can share a folder):

- report.html            the analysis report (overview, schools, subjects, items, vertical, assessment,
                         methods), self-contained: plotly.js inlined once, readable offline, printable;
- analysis.xlsx          one sheet per table, Chinese sheet names and headers;
- school_summary.csv     FORMATS.md export (exactly bundle.spec.EXPORT_COLUMNS["school_summary"]);
- item_stats.csv         FORMATS.md export (exactly EXPORT_COLUMNS["item_stats"]);
- students.csv           every student's subject scores, total, z, T and ranks;
- schools/<school_id>.md each school's report skeleton (现状分析, 差异差距, 整改措施).

Pure: reads only the analysis, writes only under out_dir.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import labels as L
from analysis.assessment import BundledEvaluation
from analysis.pipeline import ExamAnalysis
from analysis.report_html import render_html
from analysis.report_tables import all_tables, formats_for, localise_headers
from analysis.school_report import school_reports
from bundle.xlsx import Sheet, write_workbook
from bundle.cells import safe_frame


def _suffix(lang: str) -> str:
    return "" if lang == "zh" else f".{lang}"


def write_reports(analysis: ExamAnalysis, out_dir: Path, lang: str = "zh") -> list[Path]:
    """Write every report file of the analysis to out_dir (created if needed); returns their paths."""
    L.check_lang(lang)
    out_dir = Path(out_dir)
    (out_dir / "schools").mkdir(parents=True, exist_ok=True)
    suffix = _suffix(lang)
    with_students = len(analysis.students) <= analysis.policy.workbook_max_student_rows
    tables = all_tables(analysis, lang, with_students)
    reports = school_reports(analysis, lang)
    paths: list[Path] = []

    html_path = out_dir / f"report{suffix}.html"
    html_path.write_text(render_html(analysis, tables, reports, lang), encoding="utf-8")
    paths.append(html_path)

    paths.append(write_workbook(out_dir / f"analysis{suffix}.xlsx", workbook_sheets(tables, lang)))

    for name, frame in (("school_summary", analysis.school_summary_export()),
                        ("item_stats", analysis.item_stats_export())):
        path = out_dir / f"{name}.csv"
        safe_frame(frame).to_csv(path, index=False, encoding="utf-8", float_format="%.6g")
        paths.append(path)
    students_path = out_dir / "students.csv"
    safe_frame(analysis.students).to_csv(students_path, index=False, encoding="utf-8", float_format="%.6g")
    paths.append(students_path)

    for report in reports:
        path = out_dir / "schools" / f"{_safe_file_name(report.school_id)}{suffix}.md"
        path.write_text(report.to_markdown(), encoding="utf-8")
        paths.append(path)
    return paths


def workbook_sheets(tables: dict[str, pd.DataFrame], lang: str) -> list[Sheet]:
    sheets = []
    for key, frame in tables.items():
        formats = {L.column(c, lang): f for c, f in formats_for(frame).items()}
        sheets.append(Sheet(L.sheet(key, lang), localise_headers(frame, lang), formats))
    return sheets


def write_bundled_report(result: BundledEvaluation, out_dir: Path, lang: str = "zh",
                         teacher_names: dict[str, str] | None = None) -> list[Path]:
    """The bundled evaluation (捆绑评价) of a school year: a workbook (pairs, pair groups) and two CSVs."""
    L.check_lang(lang)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = teacher_names or {}
    pairs = result.pairs.copy()
    groups = result.groups.copy()
    for frame, columns in ((pairs, ("mentor_id", "apprentice_id")), (groups, ("mentor_id",))):
        for column in columns:
            frame[column] = frame[column].map(lambda t: f"{names[t]} ({t})" if t in names else t)
    notes = pd.DataFrame({"field": [L.column("tests", lang)] + ["!"] * len(result.notes),
                          "value": ["; ".join(result.tests)] + result.notes})
    suffix = _suffix(lang)
    book = write_workbook(out_dir / f"bundled_evaluation{suffix}.xlsx", [
        Sheet(L.sheet("bundled_pairs", lang), localise_headers(pairs, lang), {}),
        Sheet(L.sheet("bundled_groups", lang), localise_headers(groups, lang), {}),
        Sheet(L.sheet("overview", lang), localise_headers(notes, lang), {}),
    ])
    paths = [book]
    for name, frame in (("bundled_pairs", result.pairs), ("bundled_groups", result.groups)):
        path = out_dir / f"{name}.csv"
        safe_frame(frame).to_csv(path, index=False, encoding="utf-8", float_format="%.6g")
        paths.append(path)
    return paths


def _safe_file_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name)) or "school"
