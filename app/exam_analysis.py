"""Exam analysis (统一试卷分析) for the research office, schools and teachers: scores → 三率一分, item
analysis, comparisons, unified assessment → reports.

Scores come from the database (after marking) or from a `scores.csv` file (FORMATS.md), so the
analysis runs before marking exists or for an exam marked elsewhere. `analyse_and_report` is what
`xuequ report` runs in-process and the `exam-analysis` flow runs as tasks.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.audience_reports import write_audience_reports
from analysis.pipeline import ExamAnalysis, analyse_exam
from analysis.policy import AnalysisPolicy
from analysis.report import write_reports
from app.policies import ResolvedPolicy, resolve_exam_policy
from app.stages import StageOutcome
from models.bundles import export_tables
from models.db import database_url, session_scope
from models.exams import Exam
from models.scores import SCORE_COLUMNS, blueprints_for, items_for, previous_exam_of, responses_for, scores_from_db

ANALYSIS_TABLES = ["clusters", "schools", "classes", "class_teachers", "teachers", "students"]


def read_scores_csv(path: Path) -> pd.DataFrame:
    """scores.csv with its contract columns (ids as text, scores as numbers)."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    missing = [c for c in SCORE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
    frame = frame[SCORE_COLUMNS].copy()
    numbers = pd.to_numeric(frame["score"], errors="coerce")
    bad = numbers.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise ValueError(f"{path.name} row {row}, column score: not a number ({frame['score'].iat[row - 2]!r})")
    frame["score"] = numbers
    return frame


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


def load_exam_scores(url: str, exam_id: str, scores_file: str | None, previous_scores_file: str | None) -> dict:
    """Scores (this and the previous exam), the papers' items and the district tables."""
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
        names = {e.exam_id: e.name for e in (session.get(Exam, exam_id), session.get(Exam, previous_id or ""))
                 if e is not None}
        item_ids = set(scores["item_id"]) if len(scores) else set()
        return {"scores": scores, "previous": previous, "previous_id": previous_id,
                "items": items_for(session, exam_id, item_ids) if len(scores) else None,
                "responses": responses_for(session, exam_id, item_ids) if len(scores) else None,
                "blueprints": blueprints_for(session, exam_id), "exam_names": names,
                "previous_items": items_for(session, previous_id, set(previous["item_id"]))
                if previous is not None and previous_id else None, **tables}


def analyse(data: dict, policy: AnalysisPolicy) -> ExamAnalysis:
    """三率一分, bands, item analysis, horizontal and vertical comparison, teacher assessment."""
    schools = data["schools"]
    clusters = data.get("clusters")
    if clusters is not None and len(clusters) and "name" in clusters:  # 学区名称 in the reports
        schools = schools.merge(clusters[["cluster_id", "name"]].rename(columns={"name": "cluster_name"}),
                                on="cluster_id", how="left")
    result = analyse_exam(data["scores"], data["items"], schools, data["classes"], data["class_teachers"],
                          previous_scores=data["previous"], policy=policy, previous_items=data["previous_items"],
                          teachers=data["teachers"], students=data.get("students"), responses=data.get("responses"),
                          blueprints=data.get("blueprints"))
    names = data.get("exam_names") or {}
    result.exam_name = names.get(result.exam_id)
    result.previous_exam_name = names.get(result.previous_exam_id) if result.previous_exam_id else None
    return result


def write_exam_reports(result: ExamAnalysis, out_dir: str | Path, lang: str, *, audiences: str | None = None,
                       pdf: str = "schools", notes: list[str] | None = None) -> list[str]:
    """HTML report, Excel workbook, school_summary.csv, item_stats.csv, per-school analysis skeletons, and the
    reports for each audience (bureau, schools, classes, teachers, students' 成绩单; PDFs as `pdf` says:
    none, schools or classes). `notes` collects why a part could not be written (no Chinese font for PDFs)."""
    paths = [str(p) for p in write_reports(result, Path(out_dir), lang=lang)]
    written = write_audience_reports(result, Path(out_dir), lang, audiences=audiences, pdf=pdf)
    if notes is not None:
        notes.extend(written.notes)
    return paths + [str(p) for p in written.paths]


def no_scores(exam_id: str) -> StageOutcome:
    return StageOutcome("analysis", "blocked", f"{exam_id} 还没有成绩：请先完成阅卷，或用 --scores 指定 scores.csv"
                        f" | no scores for {exam_id}: finish marking or pass a scores.csv")


def analyse_and_report(exam_id: str, db_url: str | None = None, out_dir: str = "out/report", lang: str = "zh",
                       scores_file: str | None = None, previous_scores_file: str | None = None,
                       policy_file: str | None = None, audiences: str | None = None,
                       pdf: str = "schools") -> StageOutcome:
    """The analysis of one joint exam, in-process (for `xuequ report`: no Prefect server for a quick report)."""
    url = database_url(db_url)
    policy = analysis_policy(url, exam_id, policy_file)  # before any work
    data = load_exam_scores(url, exam_id, scores_file, previous_scores_file)
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
