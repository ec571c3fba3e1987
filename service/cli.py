"""The `xuequ` command line: `xuequ --help`, and `--help` on every verb."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from rich.table import Table

from bundle.guard import DEFAULT_MAX_DELETE_SHARE
from bundle.problems import BundleError
from service.terminal import terminal
from service.options import DbOption, LangOption, SafeGroup, use_db

app = typer.Typer(cls=SafeGroup,  # database problems end in one line, not a traceback (service/options.py)
                  help="学区 xuequ — rotation rosters, joint-exam logistics, marking and analysis for school clusters.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _mount_subcommands() -> None:
    from service.cli_enrollment import app as enrollment_app
    from service.cli_clusters import app as clusters_app
    from service.cli_calendar import app as calendar_app
    from service.cli_marking import app as marking_app
    from service.cli_plans import invigilation_app, invigilation_plan, policy_app, rotation_app
    from service.cli_users import app as user_app
    from service.cli_office import ledger, meeting_app
    from service.web.cli import serve_web

    marking_app.command("plan", help="Marking groups (and invigilation) of a joint exam: marking.csv and notices; "
                                     "both plans are made together.")(invigilation_plan)
    app.add_typer(marking_app, name="marking", help="Marking (阅卷): plan, ingest responses, open the queue, markers, "
                                                    "status, finalise.")
    app.add_typer(rotation_app, name="rotation")
    app.add_typer(policy_app, name="policy")
    app.add_typer(invigilation_app, name="invigilation")
    app.add_typer(user_app, name="user")
    app.add_typer(enrollment_app, name="enrollment")
    app.add_typer(clusters_app, name="clusters")
    app.add_typer(calendar_app, name="calendar")
    app.command("web")(serve_web)
    app.add_typer(meeting_app, name="meeting")
    app.command("ledger")(ledger)


_mount_subcommands()
console = terminal()
err_console = terminal(stderr=True)





def _fail_bundle(error: BundleError, lang: str, errors_file: Path | None = None) -> None:
    title = (f"数据包有 {len(error.problems)} 个问题，未导入任何数据：" if lang == "zh"
             else f"The bundle has {len(error.problems)} problem(s); nothing was imported:")
    err_console.print(f"[bold red]{title}[/]")
    err_console.print(error.render(lang, limit=100), markup=False, highlight=False)
    if errors_file is not None:
        import pandas as pd

        from bundle.cells import safe_frame

        safe_frame(pd.DataFrame([{"file": p.file, "row": p.row, "column": p.column, "message_zh": p.message_zh,
                                  "message_en": p.message_en} for p in error.problems])).to_csv(
            errors_file, index=False, encoding="utf-8-sig")
        err_console.print(f"(all problems: {errors_file})")
    raise typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, revision: str = typer.Option("head", help="Target revision.")) -> None:
    """Create or migrate the database schema to the latest version."""
    from models.db import database_url
    from models.migrate import upgrade

    use_db(db, check=False)
    upgrade(revision=revision)
    console.print(f"database at {revision}: {database_url()}")


@db_app.command("tables")
def db_tables(db: DbOption = None) -> None:
    """List the tables of the database."""
    from models.migrate import current_tables

    use_db(db)
    for name in current_tables():
        console.print(name)


@app.command("import")
def import_bundle(
    path: Annotated[Path, typer.Argument(help="A folder of CSV files or one .xlsx workbook (FORMATS.md).")],
    db: DbOption = None,
    district_id: str = typer.Option("district", help="District id to file the clusters under."),
    district_name: Optional[str] = typer.Option(None, help="District name (区/县)."),
    prune: bool = typer.Option(True, help="Delete rows that a present file no longer lists."),
    allow_deletes: bool = typer.Option(False, "--allow-deletes",
                                       help="Consent to deleting more than --max-delete-share of a table."),
    max_delete_share: float = typer.Option(DEFAULT_MAX_DELETE_SHARE, min=0.0, max=1.0,
                                           help="Share of a table's rows an import may delete without "
                                                "--allow-deletes (a few rows always may)."),
    lang: LangOption = "zh",
    errors_csv: Optional[Path] = typer.Option(None, help="Also write every problem to this CSV file."),
) -> None:
    """Validate a district bundle and upsert it by ids, all or nothing."""
    from bundle.guard import DeletePolicy
    from bundle.validate import load_bundle
    from models.bundles import import_tables
    from models.db import session_scope
    from models.migrate import upgrade

    use_db(db, check=False)  # an import creates the schema of a new database
    started = time.perf_counter()
    try:
        tables = load_bundle(path)
        upgrade()
        with session_scope() as session:
            session.info["actor"] = os.environ.get("USER", "cli")
            report = import_tables(session, tables, district_id=district_id, district_name=district_name,
                                   prune=prune, source=str(path),
                                   deletes=DeletePolicy(max_share=max_delete_share, allow=allow_deletes))
    except BundleError as error:
        _fail_bundle(error, lang, errors_csv)
        return
    table = Table(title="导入结果 import" if lang == "zh" else "import")
    for column in ("file", "inserted", "updated", "deleted"):
        table.add_column(column, justify="right" if column != "file" else "left")
    for row in report.to_frame().itertuples(index=False):
        table.add_row(row.file, str(row.inserted), str(row.updated), str(row.deleted))
    console.print(table)
    console.print(f"{report.changed} row(s) changed in {time.perf_counter() - started:.1f} s")


@app.command("export")
def export_bundle(
    path: Annotated[Path, typer.Argument(help="Output folder for CSV files, or a path ending in .xlsx.")],
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Export the district from the database as a bundle (same columns as the import)."""
    from bundle.io import write_bundle
    from models.bundles import export_tables
    from models.db import session_scope

    use_db(db)
    with session_scope() as session:
        tables = export_tables(session)
    files = write_bundle(tables, path)
    console.print(f"已写出 {len(files)} 个文件到 {path}" if lang == "zh" else f"wrote {len(files)} file(s) to {path}")


@app.command("template")
def template(path: Annotated[Path, typer.Argument(help="Where to write the empty workbook (.xlsx).")]) -> None:
    """Write an empty bundle workbook with headers and a notes sheet in Chinese and English."""
    from bundle.template import write_template

    if path.suffix.lower() != ".xlsx":
        path = path / "xuequ_template.xlsx" if path.is_dir() or not path.suffix else path.with_suffix(".xlsx")
    write_template(path)
    console.print(f"template: {path}")


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Output folder (CSV) or .xlsx path.")] = Path("demo_bundle"),
    seed: int = typer.Option(1, help="Random seed; the same seed gives the same district."),
    schools: int = typer.Option(30, help="Number of schools (100 ≈ 6,000 teachers, 60,000 students)."),
    school_year: int = typer.Option(2026, help="School year (its first calendar year)."),
) -> None:
    """Generate a realistic demo county district as a bundle."""
    from bundle.io import write_bundle
    from demo.district import generate_district

    tables = generate_district(seed=seed, schools=schools, school_year=school_year)
    write_bundle(tables, out)
    sizes = ", ".join(f"{name} {len(frame)}" for name, frame in tables.items())
    console.print(f"demo district (seed {seed}) → {out}: {sizes}")


paper_app = typer.Typer(help="Papers of a joint exam: show, approve, reject or swap items (审题), set one again.",
                        no_args_is_help=True)
season_app = typer.Typer(help="The exam season: run it, or see where it stands.", no_args_is_help=True)
app.add_typer(paper_app, name="paper")
app.add_typer(season_app, name="season")


@paper_app.command("show")
def paper_show(exam: str = typer.Option(..., "--exam", help="Exam id."),
               subject: Optional[str] = typer.Option(None, help="Only this subject."), db: DbOption = None) -> None:
    """List the papers of an exam: versions, status, items and marking standard."""
    from sqlalchemy import select

    from models import Paper
    from models.db import session_scope

    use_db(db)
    with session_scope() as session:
        query = select(Paper).where(Paper.exam_id == exam).order_by(Paper.subject, Paper.version)
        if subject:
            query = query.where(Paper.subject == subject)
        for paper in session.scalars(query):
            console.print(f"[bold]{paper.subject} v{paper.version}[/] {paper.status} · {paper.total:g} 分 · "
                          f"{len(paper.items)} 题 · reviewed by {paper.reviewed_by or '-'} {paper.review_comment or ''}")
            console.print("  " + " ".join(f"{i.position}:{i.item_id}" for i in paper.items), highlight=False)


@paper_app.command("approve")
def paper_approve(
    exam: str = typer.Option(..., "--exam", help="Exam id."),
    subject: str = typer.Option(..., help="Subject of the paper (its latest draft is reviewed)."),
    reviewer: str = typer.Option(os.environ.get("USER", "教研室"), help="Who reviews (recorded in the audit log)."),
    reject: bool = typer.Option(False, "--reject", help="Reject: a new paper is assembled."),
    swap: Optional[str] = typer.Option(None, help="Item ids to swap out, separated by commas; the rest stays."),
    comment: str = typer.Option("", help="Comments for the setting team."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Question-setting policy TOML for the "
                                          "re-assembly (default policies/question_setting.toml)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Approve (lock), reject, or swap items of a draft paper; resumes a flow run waiting for it.

    A swap or rejection the blueprint cannot absorb keeps the draft as it is and says why."""
    from flows.question_setting import PaperReview, submit_review
    from scheduling.question_setting import load_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_policy, policy, lang)
    use_db(db)
    decision: Literal["approve", "reject", "swap"] = "swap" if swap else "reject" if reject else "approve"
    review = PaperReview(decision=decision, reviewer=reviewer, comment=comment,
                         remove_items=[i.strip() for i in (swap or "").split(",") if i.strip()])
    console.print(submit_review(exam, subject, review, lang=lang, policy_file=str(policy) if policy else None),
                  markup=False, highlight=False)


@paper_app.command("set")
def paper_set(
    exam: str = typer.Option(..., "--exam", help="Exam id."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Question-setting policy TOML for this run "
                                          "(default: the policy in force for the exam)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Question setting (统一命题), in-process: the setting team and a draft paper for every subject of the
    exam that has none yet (the season's setting stage, without Prefect)."""
    from app.paper_setting import set_papers
    from app.stages import status_label
    from models.db import database_url
    from scheduling.question_setting import load_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_policy, policy, lang)
    use_db(db)
    outcome = set_papers(exam, database_url(), lang=lang, policy_file=str(policy) if policy else None)
    console.print(f"{status_label(outcome.status, lang)}：{outcome.message}" if lang == "zh" else
                  f"{outcome.status}: {outcome.message}", markup=False, highlight=False)
    if outcome.status != "done":
        raise typer.Exit(code=1)


@paper_app.command("assemble")
def paper_assemble(
    exam: str = typer.Option(..., "--exam", help="Exam id."),
    subject: str = typer.Option(..., help="Subject whose paper to set again."),
    actor: str = typer.Option(os.environ.get("USER", "教研室"), "--by", help="Who asks (recorded in the audit log)."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Question-setting policy TOML "
                                          "(default policies/question_setting.toml)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Set a subject's paper again: a new draft for review (keeps what it can of the last version)."""
    from app.paper_setting import assemble_again
    from models.db import database_url
    from scheduling.question_setting import load_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_policy, policy, lang)
    use_db(db)
    made, summary = assemble_again(database_url(), exam, subject, actor=actor, lang=lang,
                                   policy_file=str(policy) if policy else None)
    console.print(summary, markup=False, highlight=False)
    if not made:
        raise typer.Exit(code=1)


@season_app.command("run")
def season_run(
    exam: str = typer.Option(..., "--exam", help="Exam id."),
    out: Path = typer.Option(Path("out"), help="Output folder for plans, scores and reports."),
    approval_timeout: int = typer.Option(3600, help="Seconds to wait for paper reviews before leaving the season waiting."),
    policy: list[str] = typer.Option([], "--policy", help="AREA=FILE, repeatable: exam_logistics, question_setting "
                                     "or analysis policy TOML; a bare FILE is the exam_logistics policy."),
    verbose: bool = typer.Option(False, "--verbose", help="Show Prefect's log of every flow and task run."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Run (or continue) the exam season of one joint exam, in this process.

    Waiting for a paper review prints one line (what to review, with which command) and exits 0;
    stopped by Ctrl-C or a kill (SIGINT, SIGTERM, SIGHUP) it stops the temporary Prefect server it
    started and exits 130; a rerun continues where the season stopped."""
    from service.policy_option import season_policy_files

    policy_files = season_policy_files(policy, lang)  # every file read now: a bad one is one line, exit 2
    if not verbose:  # before Prefect reads its settings: the season's own lines, not every task's
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from app.exam_season import check_exam

    use_db(db)
    check_exam(exam)  # an unknown exam: one line, before any flow starts
    from flows.common import Stopped, stops_cleanly
    from flows.exam_season import exam_season

    try:
        with stops_cleanly():
            result = exam_season(exam, out_dir=str(out), approval_timeout_s=approval_timeout, lang=lang,
                                 policy_files=policy_files)
    except KeyboardInterrupt as stop:
        name = stop.args[0] if isinstance(stop, Stopped) else "SIGINT"
        err_console.print((f"考试季已停止（{name}）：已完成的阶段已保存，再次运行 xuequ season run --exam {exam} "
                           "从停下的地方继续" if lang == "zh" else
                           f"season stopped ({name}): finished stages are kept; run xuequ season run --exam {exam} "
                           "again to continue"), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=130) from None
    if result.status == "waiting" and result.stages and result.stages[-1].stage == "approval":
        typer.echo(result.stages[-1].message)  # one line: which papers, which command, then rerun
        return
    console.print(result.markdown(), markup=False, highlight=False)


@season_app.command("status")
def season_status(exam: str = typer.Option(..., "--exam", help="Exam id."), db: DbOption = None,
                  lang: LangOption = "zh") -> None:
    """Where the season of an exam stands, stage by stage in pipeline order (stages not run yet included)."""
    from app.exam_season import season_status as status_of

    use_db(db)
    status = status_of(exam, lang=lang)
    zh = lang == "zh"
    table = Table(title=f"考试季 {status.exam_name}（{exam}）" if zh else f"Exam season {status.exam_name} ({exam})")
    for column in (("阶段", "状态", "更新时间", "说明") if zh else ("stage", "status", "updated", "message")):
        table.add_column(column)
    for row in status.rows:
        table.add_row(row.label, row.status_label, f"{row.updated:%Y-%m-%d %H:%M}" if row.updated else "–", row.message)
    console.print(table)
    if status.next_stage:
        console.print((f"下一步：{dict((r.stage, r.label) for r in status.rows)[status.next_stage]}"
                       f"（xuequ season run --exam {exam}）") if zh else
                      f"next: {status.next_stage} (xuequ season run --exam {exam})", markup=False, highlight=False)


@app.command("report")
def report(
    exam: Optional[str] = typer.Option(None, "--exam", help="Exam id: that exam's reports."),
    year: Optional[int] = typer.Option(None, "--year", help="School year: the year's appraisal (统一考核) and bundled "
                                       "evaluation (捆绑评价) over its joint exams with scores: appraisal.csv, "
                                       "appraisal_classes.csv, bundled.csv (analysis/FORMAT.md)."),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="With --year: that cluster's exams (and the "
                                          "district-wide ones) only."),
    out: Path = typer.Option(Path("out/report"), help="Output folder for the HTML report, workbook and CSV files."),
    scores: Optional[Path] = typer.Option(None, help="A scores.csv (FORMATS.md); default: the database's final scores."),
    previous_scores: Optional[Path] = typer.Option(None, help="The cohort's previous exam scores.csv (提高率)."),
    attendance: Optional[Path] = typer.Option(None, help="attendance.csv: students absent (缺考) or exempt (免考) "
                                              "from a paper (analysis/FORMAT.md)."),
    students: Optional[Path] = typer.Option(None, help="A students.csv (class lists: who was expected, 应考) instead of "
                                            "the database's; may name each student's primary school "
                                            "(primary_school_id, 小学–初中衔接)."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Analysis policy TOML (default policies/analysis.toml)."),
    audiences: str = typer.Option("all", "--audiences",
                                  help="Reports to write: all, or a comma list of bureau, schools, classes, teachers, "
                                       "students (成绩单)."),
    pdf: str = typer.Option("schools", "--pdf", help="PDFs: none, schools (bureau and each school, the default) or "
                                                     "classes (also each class's report and score reports)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """Analyse a joint exam (三率一分, absentees, borderline students, item analysis, comparisons) and write its
    reports; or, with --year, the year's appraisal of teachers and classes and the bundled evaluation."""
    from analysis.audience_reports import PDF_CHOICES, parse_audiences

    try:
        parse_audiences(audiences)
        if pdf not in PDF_CHOICES:
            raise ValueError(f"--pdf 只能是 {' / '.join(PDF_CHOICES)} | --pdf must be one of {', '.join(PDF_CHOICES)}")
    except ValueError as error:
        console.print(str(error), markup=False, highlight=False)
        raise typer.Exit(code=2)
    from analysis.policy import load_policy
    from app.exam_analysis import analyse_and_report, appraise_year
    from service.policy_option import policy_or_exit

    if exam is None and year is None:
        err_console.print("请给出 --exam（一次考试的报告）或 --year（学年统一考核）" if lang == "zh" else
                          "give --exam (one exam's reports) or --year (the year's appraisal)", markup=False)
        raise typer.Exit(code=2)
    policy_or_exit(load_policy, policy, lang)  # a bad file: one line, before any work
    use_db(db)
    outcomes = []
    if exam is not None:
        if scores is None:  # from the database: the exam must be known (a scores.csv may come from elsewhere)
            from app.exam_season import check_exam

            check_exam(exam)
        outcomes.append(analyse_and_report(exam, out_dir=str(out), lang=lang,
                                           scores_file=str(scores) if scores else None,
                                           previous_scores_file=str(previous_scores) if previous_scores else None,
                                           policy_file=str(policy) if policy else None,
                                           attendance_file=str(attendance) if attendance else None,
                                           roster_file=str(students) if students else None,
                                           audiences=audiences, pdf=pdf))
    if year is not None:
        outcomes.append(appraise_year(year, out_dir=out, lang=lang, policy_file=str(policy) if policy else None,
                                      cluster_id=cluster))
    for outcome in outcomes:
        console.print(outcome.message, markup=False, highlight=False)
    if any(outcome.status != "done" for outcome in outcomes):
        raise typer.Exit(code=1)
    console.print(f"files in {out}: {sum(len(o.detail['files']) for o in outcomes)}")


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder for the bundle, plans and reports.")] = Path("out"),
    seed: int = typer.Option(1, help="Random seed of the demo district."),
    schools: int = typer.Option(30, help="Number of schools (try 100 for a larger district)."),
    db: DbOption = None,
    lang: LangOption = "zh",
) -> None:
    """The main job: generate a demo district, import it, plan the term, run an exam season, write everything."""
    from service.demo_job import run_demo

    from service.demo_job import DemoDatabaseInUse

    use_db(db, check=False)
    try:
        code = run_demo(out=out, seed=seed, schools=schools, lang=lang, console=console)
    except DemoDatabaseInUse as error:
        console.print(f"[red]{error}")
        code = 2
    raise typer.Exit(code=code)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
