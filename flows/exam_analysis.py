"""The analysis stage (统一试卷分析) as a Prefect flow: scores → 三率一分, item analysis, comparisons → reports.

The steps are the use case's (`app.exam_analysis`); `xuequ report` runs them in-process.
"""
from __future__ import annotations

from prefect import flow, task

from analysis.pipeline import ExamAnalysis
from analysis.policy import AnalysisPolicy
from app import exam_analysis as use_case
from app.policies import ResolvedPolicy
from app.stages import StageOutcome
from flows.common import IO_RETRIES, publish_markdown, publish_table, resolved_url

# named here for callers of the stage's pieces
read_scores_csv = use_case.read_scores_csv


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def analysis_policy(url: str, exam_id: str, policy_file: str | None) -> ResolvedPolicy:
    """The analysis policy in force for the exam, or the run's file (统一考核 weights live here)."""
    return use_case.analysis_policy(url, exam_id, policy_file)


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def load_exam_scores(url: str, exam_id: str, scores_file: str | None, previous_scores_file: str | None) -> dict:
    """Scores (this and the previous exam), the papers' items, the district tables, the class lists and the
    cohort's earlier exams (trends)."""
    return use_case.load_exam_scores(url, exam_id, scores_file, previous_scores_file, with_history=True)


@task
def analyse(data: dict, policy: AnalysisPolicy) -> ExamAnalysis:
    """三率一分, bands, item analysis, horizontal and vertical comparison, teacher assessment."""
    return use_case.analyse(data, policy)


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def write_exam_reports(result: ExamAnalysis, out_dir: str, lang: str) -> list[str]:
    """HTML report, Excel workbook, school_summary.csv, item_stats.csv, per-school analysis skeletons and the
    figures' CSV files (participation, absentees, borderline, …: analysis/FORMAT.md)."""
    return use_case.write_exam_reports(result, out_dir, lang)


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def appraise_year(url: str, result: ExamAnalysis, out_dir: str, lang: str, policy_file: str | None) -> StageOutcome | None:
    """The year's appraisal (统一考核) and bundled evaluation (捆绑评价) over the exam's school year so far."""
    where = use_case.exam_year(url, result.exam_id)
    if where is None:
        return None
    school_year, cluster_id = where
    return use_case.appraise_year(school_year, db_url=url, out_dir=out_dir, lang=lang, policy_file=policy_file,
                                  cluster_id=cluster_id, known={result.exam_id: result})


@flow(name="exam-analysis", log_prints=True)
def exam_analysis(exam_id: str, db_url: str | None = None, out_dir: str = "out/report", lang: str = "zh",
                  scores_file: str | None = None, previous_scores_file: str | None = None,
                  policy_file: str | None = None) -> StageOutcome:
    """Analyse one joint exam on one standard and write the reports people bring to the joint meeting."""
    url = resolved_url(db_url)
    policy = analysis_policy(url, exam_id, policy_file)
    data = load_exam_scores(url, exam_id, scores_file, previous_scores_file)
    if data["scores"].empty:
        return use_case.no_scores(exam_id)
    result = analyse(data, policy.policy)
    files = write_exam_reports(result, out_dir, lang) + [use_case.write_policy_note(out_dir, policy, lang)]
    year = appraise_year(url, result, out_dir, lang, policy_file) if scores_file is None else None
    if year is not None:
        files += year.detail.get("files", [])
    publish_markdown(f"{exam_id}-analysis", result.headline_markdown(lang=lang), "三率一分 headline")
    publish_table(f"{exam_id}-school-summary", result.school_summary_export(), "school_summary.csv")
    students = data["scores"]["student_id"].nunique()
    return StageOutcome("analysis", "done",
                        f"{students} students analysed (previous exam: {data['previous_id'] or 'none'}); "
                        f"{len(files)} files in {out_dir}; {policy.describe(lang)}",
                        {"files": files, "policy": policy.record()})
