"""Writing the reports for each audience under an exam's report folder:

    index.html                               links to every report below
    bureau.html, bureau.pdf                  the bureau's (教研室) report
    schools/<school_id>.html, .pdf           each school's 学校质量分析报告 (beside its .md skeleton)
    classes/<school_id>/<class_id>.html      each class's report (班级质量分析); .pdf with pdf="classes"
    teachers/<school_id>/<teacher_id>.html   each teacher's report (教师质量分析)
    students/<school_id>/<class_id>.html     the class's score reports (成绩单), a page per student; .pdf with pdf="classes"

Folders per school, so a school can be handed exactly its own files. With lang="en" every file
gets an ".en" suffix, as the other reports do. PDFs: pdf="none", "schools" (bureau and schools, the
default) or "classes" (also each class's report and score reports); they share one cut of the
Chinese font (analysis/report_pdf.py). No Chinese font on the machine: the HTML is written and a
note says why there is no PDF.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis import labels as L
from analysis.audiences import (ItemRates, People, bureau_doc, class_doc, exam_name, school_doc, teacher_doc,
                                transcripts_by_class)
from analysis.pdf_font import FontUnavailable
from analysis.pipeline import ExamAnalysis
from analysis.report_doc import Doc, index_html, to_html
from analysis.school_report import school_reports

AUDIENCES = ("bureau", "schools", "classes", "teachers", "students")
PDF_CHOICES = ("none", "schools", "classes")


@dataclass
class AudienceReports:
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per part (html, pdf, …)


def parse_audiences(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """"all", a comma list ("bureau,schools") or names; refuses an unknown audience in words."""
    if value is None:
        return AUDIENCES
    names = [v.strip() for v in (value.split(",") if isinstance(value, str) else value) if v.strip()]
    if not names or names == ["all"]:
        return AUDIENCES
    unknown = [n for n in names if n not in AUDIENCES]
    if unknown:
        raise ValueError(f"未知的报告对象 unknown audience {', '.join(unknown)}: choose from all, {', '.join(AUDIENCES)}")
    return tuple(n for n in AUDIENCES if n in names)


def _safe(name) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name)) or "_"


def write_audience_reports(analysis: ExamAnalysis, out_dir: Path, lang: str = "zh", *,
                           audiences: Iterable[str] | str | None = None, pdf: str = "schools") -> AudienceReports:
    L.check_lang(lang)
    if pdf not in PDF_CHOICES:
        raise ValueError(f"pdf must be one of {PDF_CHOICES}, not {pdf!r}")
    chosen = parse_audiences(audiences)
    out_dir = Path(out_dir)
    suffix = "" if lang == "zh" else f".{lang}"
    result = AudienceReports()
    started = time.perf_counter()
    people = People(analysis, lang)
    rates = ItemRates(analysis)
    reports = {r.school_id: r for r in school_reports(analysis, lang)}
    to_print: list[tuple[Doc, Path, str]] = []
    links: dict[str, list[tuple[str, str]]] = {a: [] for a in (*AUDIENCES, "pdf")}

    def emit(doc: Doc, relative: str, audience: str, label: str, printable: bool) -> None:
        path = out_dir / f"{relative}{suffix}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        depth = relative.count("/")
        back = [(L.text("index", lang), "../" * depth + f"index{suffix}.html")]
        path.write_text(to_html(doc, links=back), encoding="utf-8")
        result.paths.append(path)
        links[audience].append((label, f"{relative}{suffix}.html"))
        if printable:
            to_print.append((doc, out_dir / f"{relative}{suffix}.pdf", label))

    school_of_class = dict(zip(analysis.classes["class_id"], analysis.classes["school_id"]))
    if "bureau" in chosen:
        emit(bureau_doc(analysis, lang, people=people), "bureau", "bureau", L.text("bureau_report", lang),
             pdf != "none")
    if "schools" in chosen:
        for school_id in analysis.schools["school_id"]:
            doc = school_doc(analysis, reports[school_id], lang, people=people, rates=rates)
            emit(doc, f"schools/{_safe(school_id)}", "schools", people.school(school_id), pdf != "none")
    if "classes" in chosen:
        for class_id in analysis.classes["class_id"]:
            school_id = school_of_class[class_id]
            doc = class_doc(analysis, class_id, lang, people=people, rates=rates)
            emit(doc, f"classes/{_safe(school_id)}/{_safe(class_id)}", "classes",
                 f"{people.school(school_id)} {people.class_(class_id)}", pdf == "classes")
    if "teachers" in chosen:
        taught = analysis.class_assessment.dropna(subset=["teacher_id"])
        first_school = taught.sort_values(["school_id", "class_id"]).drop_duplicates("teacher_id")
        for teacher_id, school_id in zip(first_school["teacher_id"], first_school["school_id"]):
            doc = teacher_doc(analysis, teacher_id, lang, people=people, rates=rates)
            emit(doc, f"teachers/{_safe(school_id)}/{_safe(teacher_id)}", "teachers",
                 f"{people.school(school_id)} {people.teacher(teacher_id)}", False)
    if "students" in chosen:
        for class_id, doc in transcripts_by_class(analysis, lang, people=people, rates=rates):
            school_id = school_of_class[class_id]
            emit(doc, f"students/{_safe(school_id)}/{_safe(class_id)}", "students",
                 f"{people.school(school_id)} {people.class_(class_id)}", pdf == "classes")
    result.seconds["html"] = time.perf_counter() - started

    if to_print:
        started = time.perf_counter()
        try:
            from analysis.report_pdf import PdfWriter

            writer = PdfWriter([doc for doc, _, _ in to_print])
            result.seconds["font"] = time.perf_counter() - started
            for doc, path, label in to_print:
                try:
                    result.paths.append(writer.write(doc, path))
                except Exception as error:  # one document's layout must not cost the season its other reports
                    path.unlink(missing_ok=True)
                    result.notes.append(f"PDF 未生成 not written: {label} ({type(error).__name__}: {error})")
                    continue
                links["pdf"].append((f"{label} (PDF)", path.relative_to(out_dir).as_posix()))
        except FontUnavailable as error:
            result.notes.append(str(error))
        result.seconds["pdf"] = time.perf_counter() - started

    index = out_dir / f"index{suffix}.html"
    sections = [(L.text("bureau_report", lang), links["bureau"]),
                (L.text("school_report_title", lang), links["schools"]),
                (L.text("class_report", lang), links["classes"]),
                (L.text("teacher_report", lang), links["teachers"]),
                (L.text("transcript", lang), links["students"]), ("PDF", links["pdf"])]
    index.write_text(index_html(f"{exam_name(analysis)} · {L.text('index', lang)}", analysis.exam_id, lang, sections,
                                notes=result.notes), encoding="utf-8")
    result.paths.append(index)
    return result
