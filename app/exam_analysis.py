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

from analysis.matrix import ABSENT_WORDS, score_values
from analysis.pipeline import ExamAnalysis, analyse_exam
from analysis.policy import AnalysisPolicy
from analysis.report import write_reports
from app.policies import ResolvedPolicy, resolve_exam_policy
from app.stages import StageOutcome
from models.bundles import export_tables
from models.db import database_url, session_scope
from models.scores import SCORE_COLUMNS, items_for, previous_exam_of, scores_from_db

ANALYSIS_TABLES = ["schools", "classes", "class_teachers", "teachers"]


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
    except ValueError:  # a score that is not a number: read the column as text to say which row
        text = pd.read_csv(path, usecols=["score"], dtype=object, encoding="utf-8-sig", keep_default_na=False)
        try:
            score_values(text["score"])
        except ValueError as error:
            raise ValueError(f"{path.name}: {error}") from None
        raise
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
        return {"scores": scores, "previous": previous, "previous_id": previous_id,
                "items": items_for(session, exam_id, set(scores["item_id"])) if len(scores) else None,
                "previous_items": items_for(session, previous_id, set(previous["item_id"]))
                if previous is not None and previous_id else None, **tables}


def analyse(data: dict, policy: AnalysisPolicy) -> ExamAnalysis:
    """三率一分, bands, item analysis, horizontal and vertical comparison, teacher assessment."""
    return analyse_exam(data["scores"], data["items"], data["schools"], data["classes"], data["class_teachers"],
                        previous_scores=data["previous"], policy=policy, previous_items=data["previous_items"],
                        teachers=data["teachers"])


def write_exam_reports(result: ExamAnalysis, out_dir: str | Path, lang: str) -> list[str]:
    """HTML report, Excel workbook, school_summary.csv, item_stats.csv, per-school analysis skeletons."""
    return [str(p) for p in write_reports(result, Path(out_dir), lang=lang)]


def no_scores(exam_id: str) -> StageOutcome:
    return StageOutcome("analysis", "blocked", f"{exam_id} 还没有成绩：请先完成阅卷，或用 --scores 指定 scores.csv"
                        f" | no scores for {exam_id}: finish marking or pass a scores.csv")


def analyse_and_report(exam_id: str, db_url: str | None = None, out_dir: str = "out/report", lang: str = "zh",
                       scores_file: str | None = None, previous_scores_file: str | None = None,
                       policy_file: str | None = None) -> StageOutcome:
    """The analysis of one joint exam, in-process (for `xuequ report`: no Prefect server for a quick report)."""
    url = database_url(db_url)
    policy = analysis_policy(url, exam_id, policy_file)  # before any work
    data = load_exam_scores(url, exam_id, scores_file, previous_scores_file)
    if data["scores"].empty:
        return no_scores(exam_id)
    result = analyse(data, policy.policy)
    files = write_exam_reports(result, out_dir, lang) + [write_policy_note(out_dir, policy, lang)]
    return StageOutcome("analysis", "done", result.headline_markdown(lang=lang) + f"\n\n{policy.describe(lang)}",
                        {"files": files, "policy": policy.record()})
