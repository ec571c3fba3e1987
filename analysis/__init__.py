"""Statistics and reports of joint exams: pure pandas/numpy (no database, no Prefect).

Entry points:
- `analysis.pipeline.analyse_exam(scores, items, schools, classes, class_teachers, previous_scores=None,
  policy=AnalysisPolicy(), *, previous_items=None, responses=None, teachers=None) -> ExamAnalysis`
- `ExamAnalysis.headline_markdown(lang="zh")`, `.school_summary_export()`, `.item_stats_export()`
- `analysis.report.write_reports(analysis, out_dir, lang="zh") -> list[Path]`
- `analysis.audience_reports.write_audience_reports(analysis, out_dir, lang="zh", audiences=None, pdf="schools")`:
  students' 成绩单, class, teacher, school and bureau reports (HTML; PDFs via analysis.report_pdf)
- `analysis.pipeline.bundled_evaluation_of(analyses, pairs)` and `analysis.report.write_bundled_report(...)`
- `analysis.policy.AnalysisPolicy` (defaults in policies/analysis.toml); definitions in analysis/METHODS.md.
"""
