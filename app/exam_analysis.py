"""Exam analysis (统一试卷分析) for the research office, schools and teachers: scores → 三率一分, item
analysis, comparisons, unified assessment → reports.

Scores come from the database (after marking) or from a `scores.csv` file (FORMATS.md), so the
analysis runs before marking exists or for an exam marked elsewhere. `analyse_and_report` is what
`xuequ report` runs in-process and the `exam-analysis` flow runs as tasks.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from analysis.audience_reports import write_audience_reports
from analysis.matrix import ABSENT_WORDS, score_values
from analysis.appraisal import year_appraisal
from analysis.exports import write_exam_figures, write_year_figures
from analysis.pipeline import ExamAnalysis, analyse_exam
from analysis.policy import AnalysisPolicy
from analysis.report import write_reports
from app.errors import UserError
from app.policies import ResolvedPolicy, resolve_exam_policy
from app.stages import StageOutcome
from models.bundles import export_tables
from models.db import database_url, session_scope
from models.exams import Exam
from models.scores import (SCORE_COLUMNS, blueprints_for, cohort_exams_of, exams_of_year, items_for, mentor_pairs,
                           previous_exam_of, responses_for, scores_from_db)

ANALYSIS_TABLES = ["clusters", "schools", "classes", "class_teachers", "teachers", "students"]


def read_scores_csv(path: Path) -> pd.DataFrame:
    """scores.csv with its contract columns: ids as text, scores as numbers; an empty score cell or
    `缺考` is NaN (the student was absent from that paper, FORMATS.md v2).

    Fast on millions of rows: the C parser reads ids as plain Python strings (object dtype, not
    pandas 3's `str` dtype, which the analysis would convert again) and parses scores as floats
    itself; only when a score is not a number is the column read again as text to name the row."""
    ids = [c for c in SCORE_COLUMNS if c != "score"]
    with open(path, encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    missing = [c for c in SCORE_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
    options = dict(usecols=SCORE_COLUMNS, encoding="utf-8-sig", keep_default_na=False, low_memory=False)
    try:
        frame = pd.read_csv(path, dtype={**{c: object for c in ids}, "score": "float64"},
                            na_values={"score": ["", *ABSENT_WORDS]}, **options)
    except ValueError:  # a cell the float parser refuses (" 缺考 ", "abc"): read the scores as text, name the row
        frame = pd.read_csv(path, dtype=object, **options)
        try:
            frame["score"] = score_values(frame["score"])
        except ValueError as error:
            raise ValueError(f"{path.name}: {error}") from None
    return frame[SCORE_COLUMNS]


def analysis_policy(url: str, exam_id: str, policy_file: str | None) -> ResolvedPolicy:
    """The analysis policy in force for the exam (its cluster's or the district's stored version, else
    policies/analysis.toml), or `--policy FILE` for this run: the unified assessment weights (统一考核) live here."""
    return resolve_exam_policy("analysis", exam_id, override=policy_file, url=url)


def write_policy_note(out_dir: str | Path, policy: ResolvedPolicy, lang: str = "zh") -> str:
    """policy.md beside the reports: which policy produced them (its version, or the file), and its text."""
    path = Path(out_dir) / "policy.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "本报告依据" if lang == "zh" else "These reports follow"
    path.write_text(f"# {head}：{policy.describe(lang)}\n\n```toml\n{policy.text.rstrip()}\n```\n", encoding="utf-8")
    return str(path)


class ScoresProblem(UserError):
    """Scores (or the tables beside them) that the analysis cannot use: one line, what to fix."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the scores cannot be analysed: {detail}", f"成绩数据有问题，无法分析：{detail}")


ROSTER_SYNONYMS = {"student_id": ("student_id", "学籍号"), "class_id": ("class_id", "班级编号", "班级"),
                   "school_id": ("school_id", "学校编号"), "name": ("name", "姓名"),
                   "primary_school_id": ("primary_school_id", "毕业小学", "小学", "原小学")}
ATTENDANCE_SYNONYMS = {"exam_id": ("exam_id", "考试编号"), "subject": ("subject", "学科", "科目"),
                       "student_id": ("student_id", "学籍号"), "status": ("status", "状态", "考试状态")}


def _read_with_synonyms(path: Path, synonyms: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> pd.DataFrame:
    """A small CSV (UTF-8, a BOM allowed) with Chinese headers accepted; text cells, empty as ''."""
    try:
        frame = pd.read_csv(path, dtype=object, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ScoresProblem(f"{path.name}: {error}") from None
    rename = {}
    for name, words in synonyms.items():
        for header in frame.columns:
            if str(header).strip() in words:
                rename[header] = name
                break
    frame = frame.rename(columns=rename)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ScoresProblem(f"{path.name}: missing column(s) {', '.join(missing)}")
    return frame[[c for c in synonyms if c in frame.columns]]


def read_attendance_csv(path: Path | str) -> pd.DataFrame:
    """attendance.csv (analysis/FORMAT.md): exam_id, subject, student_id, status (sat 实考, absent 缺考, exempt 免考)."""
    return _read_with_synonyms(Path(path), ATTENDANCE_SYNONYMS, ("subject", "student_id", "status"))


def read_roster_csv(path: Path | str) -> pd.DataFrame:
    """A students.csv (class lists) with the optional primary_school_id column (analysis/FORMAT.md)."""
    return _read_with_synonyms(Path(path), ROSTER_SYNONYMS, ("student_id", "class_id", "school_id"))


def exam_roster(students: pd.DataFrame | None, classes: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame | None:
    """The class lists of the exam: students of the schools in the scores, in classes of the grades sat."""
    if students is None or students.empty or scores.empty:
        return None
    grade_of = dict(zip(classes["class_id"].astype(str), classes["grade"].astype(str))) if "grade" in classes else {}
    sat_classes = set(scores["class_id"].astype(str))
    grades = {grade_of[c] for c in sat_classes if c in grade_of}
    roster = students.copy()
    roster["class_id"] = roster["class_id"].astype(str)
    roster["school_id"] = roster["school_id"].astype(str)
    in_grade = roster["class_id"].map(grade_of).isin(grades) | roster["class_id"].isin(sat_classes)
    return roster[in_grade & roster["school_id"].isin(set(scores["school_id"].astype(str)))].reset_index(drop=True)


def load_exam_scores(url: str, exam_id: str, scores_file: str | None, previous_scores_file: str | None, *,
                     attendance_file: str | None = None, roster_file: str | None = None,
                     with_history: bool = False) -> dict:
    """Scores (this and the previous exam), the papers' items, the district tables and the class lists;
    with_history, the cohort's earlier exams (学情档案). Bad files are one ScoresProblem line."""
    try:
        with session_scope(url) as session:
            scores = read_scores_csv(Path(scores_file)) if scores_file else scores_from_db(session, exam_id)
            scores = scores[scores["exam_id"] == exam_id] if len(scores) else scores
            if previous_scores_file:
                previous = read_scores_csv(Path(previous_scores_file))
                previous_id = str(previous["exam_id"].iloc[0]) if len(previous) else None
            else:
                previous_id = previous_exam_of(session, exam_id)
                previous = scores_from_db(session, previous_id) if previous_id else None
            tables = export_tables(session, ANALYSIS_TABLES)
            previous_items = items_for(session, previous_id, set(previous["item_id"])) \
                if previous is not None and previous_id else None
            history: list[tuple[str, pd.DataFrame, pd.DataFrame | None]] = []
            if with_history and len(scores):
                for earlier in cohort_exams_of(session, exam_id):
                    if earlier == previous_id:
                        continue
                    earlier_scores = scores_from_db(session, earlier)
                    history.append((earlier, earlier_scores, items_for(session, earlier, set(earlier_scores["item_id"]))))
                if previous_id and previous is not None:
                    history.append((previous_id, previous, previous_items))
            item_ids = set(scores["item_id"]) if len(scores) else set()
            items = items_for(session, exam_id, item_ids) if len(scores) else None
            responses = responses_for(session, exam_id, item_ids) if len(scores) else None  # 选项分析
            blueprints = blueprints_for(session, exam_id)  # 双向细目表 of the locked papers
            exam_names = {e.exam_id: e.name for e in (session.get(Exam, exam_id), session.get(Exam, previous_id or ""))
                          if e is not None}
    except (OSError, ValueError) as error:
        raise ScoresProblem(str(error)) from None
    students = read_roster_csv(roster_file) if roster_file else tables.pop("students", None)
    tables.pop("students", None)
    return {"scores": scores, "previous": previous, "previous_id": previous_id, "items": items,
            "previous_items": previous_items, "roster": exam_roster(students, tables["classes"], scores),
            "attendance": read_attendance_csv(attendance_file) if attendance_file else None,
            "history": history, "responses": responses, "blueprints": blueprints, "exam_names": exam_names,
            **tables}


def analyse(data: dict, policy: AnalysisPolicy) -> ExamAnalysis:
    """三率一分, attendance, bands, item analysis, horizontal and vertical comparison, borderline students,
    trends, teacher assessment. Data the analysis refuses is one ScoresProblem line, not a traceback."""
    schools = data["schools"]
    clusters = data.get("clusters")
    if clusters is not None and len(clusters) and "name" in clusters:  # 学区名称 in the reports
        schools = schools.merge(clusters[["cluster_id", "name"]].rename(columns={"name": "cluster_name"}),
                                on="cluster_id", how="left")
    try:
        result = analyse_exam(data["scores"], data["items"], schools, data["classes"], data["class_teachers"],
                              previous_scores=data["previous"], policy=policy, previous_items=data["previous_items"],
                              teachers=data["teachers"], roster=data.get("roster"), attendance=data.get("attendance"),
                              history=data.get("history") or (), responses=data.get("responses"),
                              blueprints=data.get("blueprints"))
    except ValueError as error:
        raise ScoresProblem(str(error)) from None
    names = data.get("exam_names") or {}
    result.exam_name = names.get(result.exam_id)
    result.previous_exam_name = names.get(result.previous_exam_id) if result.previous_exam_id else None
    return result


def write_exam_reports(result: ExamAnalysis, out_dir: str | Path, lang: str, *, audiences: str | None = None,
                       pdf: str = "schools", notes: list[str] | None = None) -> list[str]:
    """HTML report, Excel workbook, school_summary.csv, item_stats.csv, per-school analysis skeletons, the
    figures' CSV files (participation, absentees, borderline, conversion, trends, transition: analysis/FORMAT.md),
    and the reports for each audience (bureau, schools, classes, teachers, students' 成绩单; PDFs as `pdf` says:
    none, schools or classes). `notes` collects why a part could not be written (no Chinese font for PDFs)."""
    paths = [str(p) for p in write_reports(result, Path(out_dir), lang=lang)] + \
        [str(p) for p in write_exam_figures(result, out_dir)]
    written = write_audience_reports(result, Path(out_dir), lang, audiences=audiences, pdf=pdf)
    if notes is not None:
        notes.extend(written.notes)
    return paths + [str(p) for p in written.paths]


def appraise_year(school_year: int, db_url: str | None = None, out_dir: str | Path = "out/appraisal",
                  lang: str = "zh", policy_file: str | None = None, cluster_id: str | None = None,
                  known: dict[str, ExamAnalysis] | None = None) -> StageOutcome:
    """The year's appraisal (统一考核) and bundled evaluation (捆绑评价) over every joint exam of the school
    year that has scores: appraisal.csv, appraisal_classes.csv, bundled.csv (analysis/FORMAT.md).

    One policy for the year: the one in force for its latest exam (or `policy_file`). known: analyses
    already made with that policy (the season's own exam), not made again."""
    url = database_url(db_url)
    with session_scope(url) as session:
        exams = exams_of_year(session, school_year, cluster_id)
        pairs = mentor_pairs(session, school_year)
    if not exams:
        return StageOutcome("appraisal", "blocked", f"{school_year} 学年还没有有成绩的联考 | no joint exam of "
                            f"{school_year} has scores yet")
    policy = analysis_policy(url, exams[-1], policy_file)
    analyses, skipped = [], []
    for exam_id in exams:
        done = (known or {}).get(exam_id)
        if done is not None and done.policy == policy.policy:
            analyses.append(done)
            continue
        try:
            analyses.append(analyse(load_exam_scores(url, exam_id, None, None), policy.policy))
        except ScoresProblem as problem:  # one exam's bad data does not stop the year
            skipped.append(f"{exam_id}: {problem.line(lang)}")
    if not analyses:
        return StageOutcome("appraisal", "failed", "; ".join(skipped))
    result = year_appraisal(analyses, policy.policy, pairs=pairs)
    result.notes += [f"left out {s}" for s in skipped]
    files = [str(p) for p in write_year_figures(result, out_dir)]
    zh = lang == "zh"
    ranked = int(result.teachers["ranked"].sum()) if len(result.teachers) else 0
    pair_count = int((result.bundled["kind"] == "pair").sum()) if len(result.bundled) else 0
    message = (f"{school_year} 学年统一考核：{len(exams)} 次联考（{'、'.join(exams)}），{len(result.teachers)} 位教师·学科"
               f"（{ranked} 位参加排名），{len(result.classes)} 个班级·学科，{pair_count} 对师徒捆绑评价" if zh else
               f"{school_year} appraisal: {len(exams)} joint exam(s) ({', '.join(exams)}), {len(result.teachers)} "
               f"teacher-subjects ({ranked} ranked), {len(result.classes)} class-subjects, {pair_count} bundled pairs")
    if result.notes:
        message += ("；" if zh else "; ") + "; ".join(result.notes)
    return StageOutcome("appraisal", "done", message, {"files": files, "exams": exams, "policy": policy.record()})


def exam_year(url: str, exam_id: str) -> tuple[int, str | None] | None:
    """The school year and cluster of a stored exam (None when the database does not know it)."""
    from models import Exam

    with session_scope(url) as session:
        exam = session.get(Exam, exam_id)
        return None if exam is None else (int(exam.school_year), exam.cluster_id)


def no_scores(exam_id: str) -> StageOutcome:
    return StageOutcome("analysis", "blocked", f"{exam_id} 还没有成绩：请先完成阅卷，或用 --scores 指定 scores.csv"
                        f" | no scores for {exam_id}: finish marking or pass a scores.csv")


def analyse_and_report(exam_id: str, db_url: str | None = None, out_dir: str = "out/report", lang: str = "zh",
                       scores_file: str | None = None, previous_scores_file: str | None = None,
                       policy_file: str | None = None, attendance_file: str | None = None,
                       roster_file: str | None = None, audiences: str | None = None,
                       pdf: str = "schools") -> StageOutcome:
    """The analysis of one joint exam, in-process (for `xuequ report`: no Prefect server for a quick report)."""
    url = database_url(db_url)
    policy = analysis_policy(url, exam_id, policy_file)  # before any work
    data = load_exam_scores(url, exam_id, scores_file, previous_scores_file, attendance_file=attendance_file,
                            roster_file=roster_file, with_history=True)
    if data["scores"].empty:
        return no_scores(exam_id)
    result = analyse(data, policy.policy)
    notes: list[str] = []
    files = write_exam_reports(result, out_dir, lang, audiences=audiences, pdf=pdf, notes=notes)
    files.append(write_policy_note(out_dir, policy, lang))
    message = result.headline_markdown(lang=lang) + f"\n\n{policy.describe(lang)}"
    if notes:
        message += "\n\n" + "\n".join(notes)
    return StageOutcome("analysis", "done", message, {"files": files, "policy": policy.record(), "notes": notes})
