"""The analysis stage (统一试卷分析): scores → 三率一分, item analysis, comparisons → reports.

Scores come from the database (after marking) or from a `scores.csv` file (FORMATS.md), so the
analysis runs before marking exists or for an exam marked elsewhere.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import flow, task
from sqlalchemy import select

from analysis.pipeline import ExamAnalysis, analyse_exam
from analysis.policy import AnalysisPolicy
from analysis.report import write_reports
from bundle.spec import EXPORT_COLUMNS
from app.policies import resolve_exam_policy
from flows.common import IO_RETRIES, StageOutcome, load_tables, publish_markdown, publish_table, resolved_url
from models.db import session_scope

SCORE_COLUMNS = list(EXPORT_COLUMNS["scores"])


def scores_from_db(url: str, exam_id: str) -> pd.DataFrame:
    """Final item scores of an exam in the scores.csv shape."""
    from models import Score, Student

    with session_scope(url) as session:
        rows = session.execute(
            select(Score.exam_id, Score.student_id, Student.school_id, Student.class_id, Score.subject, Score.item_id,
                   Score.score).join(Student, Student.student_id == Score.student_id)
            .where(Score.exam_id == exam_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SCORE_COLUMNS)


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


def items_for(url: str, exam_id: str, item_ids: set[str]) -> pd.DataFrame:
    """The papers' items (item_id, subject, max_score): locked papers first, else the bank's entries."""
    from models import Item, Paper, PaperItem

    with session_scope(url) as session:
        rows = session.execute(select(PaperItem.item_id, Paper.subject, PaperItem.max_score)
                               .join(Paper, Paper.paper_id == PaperItem.paper_id)
                               .where(Paper.exam_id == exam_id, Paper.status == "locked")).all()
        known = {r[0] for r in rows}
        missing = sorted(item_ids - known)
        for start in range(0, len(missing), 500):
            rows += session.execute(select(Item.item_id, Item.subject, Item.max_score)
                                    .where(Item.item_id.in_(missing[start:start + 500]))).all()
    items = pd.DataFrame([tuple(r) for r in rows], columns=["item_id", "subject", "max_score"])
    unknown = item_ids - set(items["item_id"])
    if unknown:
        raise ValueError(f"scores name item(s) that are on no paper and not in the bank: {', '.join(sorted(unknown)[:10])}")
    return items[items["item_id"].isin(item_ids)].drop_duplicates("item_id")


def previous_exam_of(url: str, exam_id: str) -> str | None:
    """The cohort's latest earlier joint exam that has scores (for the improvement rate)."""
    from models import Exam, Score

    with session_scope(url) as session:
        exam = session.get(Exam, exam_id)
        if exam is None:
            return None
        cohort = exam.school_year - exam.grade + 1
        earlier = session.scalars(select(Exam).where(Exam.exam_id != exam_id, Exam.school_year - Exam.grade + 1 == cohort,
                                                     (Exam.school_year * 10 + Exam.term) <= exam.school_year * 10 + exam.term)
                                  .order_by((Exam.school_year * 10 + Exam.term).desc())).all()
        for candidate in earlier:
            if session.scalar(select(Score.exam_id).where(Score.exam_id == candidate.exam_id).limit(1)):
                return candidate.exam_id
    return None


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def load_exam_scores(url: str, exam_id: str, scores_file: str | None, previous_scores_file: str | None) -> dict:
    """Scores (this and the previous exam), the papers' items and the district tables."""
    scores = read_scores_csv(Path(scores_file)) if scores_file else scores_from_db(url, exam_id)
    scores = scores[scores["exam_id"] == exam_id] if len(scores) else scores
    previous_id = None
    if previous_scores_file:
        previous = read_scores_csv(Path(previous_scores_file))
        previous_id = str(previous["exam_id"].iloc[0]) if len(previous) else None
    else:
        previous_id = previous_exam_of(url, exam_id)
        previous = scores_from_db(url, previous_id) if previous_id else None
    tables = load_tables.fn(url, ["schools", "classes", "class_teachers", "teachers"])
    return {"scores": scores, "previous": previous, "previous_id": previous_id,
            "items": items_for(url, exam_id, set(scores["item_id"])) if len(scores) else None,
            "previous_items": items_for(url, previous_id, set(previous["item_id"])) if previous is not None
            and previous_id else None, **tables}


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def analysis_policy(url: str, exam_id: str, policy_file: str | None) -> AnalysisPolicy:
    """The analysis policy in force for the exam (its cluster's or the district's stored version, else
    policies/analysis.toml), or `--policy FILE` for this run: the unified assessment weights (统一考核) live here."""
    return resolve_exam_policy("analysis", exam_id, override=policy_file, url=url).policy


@task
def analyse(data: dict, policy: AnalysisPolicy) -> ExamAnalysis:
    """三率一分, bands, item analysis, horizontal and vertical comparison, teacher assessment."""
    return analyse_exam(data["scores"], data["items"], data["schools"], data["classes"], data["class_teachers"],
                        previous_scores=data["previous"], policy=policy, previous_items=data["previous_items"],
                        teachers=data["teachers"])


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def write_exam_reports(result: ExamAnalysis, out_dir: str, lang: str) -> list[str]:
    """HTML report, Excel workbook, school_summary.csv, item_stats.csv, per-school analysis skeletons."""
    return [str(p) for p in write_reports(result, Path(out_dir), lang=lang)]


@flow(name="exam-analysis", log_prints=True)
def exam_analysis(exam_id: str, db_url: str | None = None, out_dir: str = "out/report", lang: str = "zh",
                  scores_file: str | None = None, previous_scores_file: str | None = None,
                  policy_file: str | None = None) -> StageOutcome:
    """Analyse one joint exam on one standard and write the reports people bring to the joint meeting."""
    url = resolved_url(db_url)
    policy = analysis_policy(url, exam_id, policy_file)
    data = load_exam_scores(url, exam_id, scores_file, previous_scores_file)
    if data["scores"].empty:
        return StageOutcome("analysis", "blocked", f"no scores for {exam_id}: finish marking or pass a scores.csv")
    result = analyse(data, policy)
    files = write_exam_reports(result, out_dir, lang)
    publish_markdown(f"{exam_id}-analysis", result.headline_markdown(lang=lang), "三率一分 headline")
    publish_table(f"{exam_id}-school-summary", result.school_summary_export(), "school_summary.csv")
    students = data["scores"]["student_id"].nunique()
    return StageOutcome("analysis", "done",
                        f"{students} students analysed (previous exam: {data['previous_id'] or 'none'}); "
                        f"{len(files)} files in {out_dir}", {"files": files})


def report_now(exam_id: str, db_url: str | None = None, out_dir: str = "out/report", lang: str = "zh",
               scores_file: str | None = None, previous_scores_file: str | None = None,
               policy_file: str | None = None) -> StageOutcome:
    """The same stage without Prefect (for `xuequ report`): no API server to start for a quick report."""
    url = resolved_url(db_url)
    policy = analysis_policy.fn(url, exam_id, policy_file)  # before any work
    data = load_exam_scores.fn(url, exam_id, scores_file, previous_scores_file)
    if data["scores"].empty:
        return StageOutcome("analysis", "blocked", f"no scores for {exam_id}: finish marking or pass a scores.csv")
    result = analyse.fn(data, policy)
    files = write_exam_reports.fn(result, out_dir, lang)
    return StageOutcome("analysis", "done", result.headline_markdown(lang=lang), {"files": files})
