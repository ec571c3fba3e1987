"""Statistics and reports of joint exams: pure pandas/numpy (no database, no Prefect).

Entry points:
- `analysis.pipeline.analyse_exam(scores, items, schools, classes, class_teachers, previous_scores=None,
  policy=AnalysisPolicy(), *, previous_items=None, responses=None, teachers=None, roster=None,
  attendance=None, history=(), students=None, blueprints=None) -> ExamAnalysis` (attendance counts and
  absentees, borderline students and conversion, value added, trends and results by primary school,
  paper quality and the blueprint breakdown included)
- `ExamAnalysis.headline_markdown(lang="zh")`, `.school_summary_export()`, `.item_stats_export()`
- `analysis.report.write_reports(analysis, out_dir, lang="zh") -> list[Path]`
- `analysis.audience_reports.write_audience_reports(analysis, out_dir, lang="zh", audiences=None, pdf="schools")`:
  students' 成绩单, class, teacher, school and bureau reports (HTML; PDFs via analysis.report_pdf)
- `analysis.exports.write_exam_figures(analysis, out_dir)` and `.write_year_figures(appraisal, out_dir)`:
  the CSV files of analysis/FORMAT.md
- `analysis.appraisal.year_appraisal(analyses, policy, pairs)`: the year's 统一考核 and 捆绑评价
- `analysis.pipeline.bundled_evaluation_of(analyses, pairs)` and `analysis.report.write_bundled_report(...)`
- `analysis.policy.AnalysisPolicy` (defaults in policies/analysis.toml); definitions in analysis/METHODS.md.
"""
