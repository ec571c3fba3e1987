"""`xuequ marking …`: ingest responses, open the queue, register markers, watch progress, finalise.

A Typer sub-app; the main CLI mounts it as `marking`.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from bundle.cells import safe_frame
from service.terminal import terminal
from service.options import DbOption, LangOption, use_db

app = typer.Typer(help="阅卷 Marking: responses, the marking queue, progress and final scores.", no_args_is_help=True)
console = terminal()
err_console = terminal(stderr=True)

ExamOption = Annotated[str, typer.Option("--exam", help="Exam id (考试编号).")]
PolicyOption = Annotated[Optional[Path], typer.Option("--policy", help="Marking policy TOML "
                                                      "(default: policies/marking.toml).")]




def _policy(path: Path | None):
    from marking.policy import load_policy
    from service.policy_option import policy_or_exit

    return policy_or_exit(load_policy, path) or load_policy()  # a bad file: one line, exit 2


def _fail(error, lang: str) -> None:
    title = (f"有 {len(error.problems)} 个问题，未写入任何数据：" if lang == "zh"
             else f"{len(error.problems)} problem(s); nothing was written:")
    err_console.print(f"[bold red]{title}[/]")
    err_console.print(error.render(lang, limit=100), markup=False, highlight=False)
    raise typer.Exit(code=2)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


@app.command("status")
def status(exam: ExamOption, db: DbOption = None,
           output: str = typer.Option("table", "--format", help="table, markdown or csv."),
           show_markers: bool = typer.Option(False, "--markers", help="Also list every marker."),
           policy: PolicyOption = None) -> None:
    """Progress per item group: done %, waiting for third mark or arbitration, speed, agreement, flags;
    work nobody may do, problem scripts and markers past a quality threshold (阅卷质量)."""
    from marking.progress import marker_progress, marking_progress, progress_markdown
    from models.db import session_scope

    marking_policy = _policy(policy)
    use_db(db)
    with session_scope() as session:
        groups = marking_progress(session, exam, policy=marking_policy)
        markers = marker_progress(session, exam, policy=marking_policy)
        quality = _quality_notes(session, exam, marking_policy)
    for line in quality.stuck:  # waiting will not help these: the marking plan must change, or escalate
        err_console.print(f"[bold red]无法评阅 cannot be marked:[/] {line}", highlight=False, soft_wrap=True)
    if groups.empty:
        err_console.print(f"exam {exam} has no item group open for marking (run `xuequ marking open`)")
        raise typer.Exit(code=1)
    if output == "markdown":
        notes = "".join(f"- {line.strip()}\n" for line in quality.notes)
        console.print(progress_markdown(groups, markers, exam_id=exam)
                      + (f"\n## 阅卷质量 Quality control\n\n{notes}" if notes else ""), markup=False, highlight=False)
        return
    if output == "csv":
        console.print(safe_frame(groups).to_csv(index=False), markup=False, highlight=False, end="")
        return
    table = Table(title=f"阅卷进度 marking progress {exam}")
    columns = ["subject", "item_group", "scripts", "done_pct", "waiting_third", "waiting_arbitration", "leased",
               "markers", "median_seconds", "agreement_rate", "flagged_markers"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("subject", "item_group", "flagged_markers")
                         else "right")
    for row in groups[columns].itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console.print(table)
    shown = markers if show_markers else markers[markers["flagged"]]
    if len(shown):
        marker_table = Table(title="评卷教师 markers" if show_markers else "需关注 flagged markers")
        marker_columns = ["teacher_id", "item_group", "role", "marks", "median_seconds", "agreement_rate",
                          "mean_deviation", "flag_reason"]
        for column in marker_columns:
            marker_table.add_column(column)
        for row in shown[marker_columns].itertuples(index=False):
            marker_table.add_row(*[_cell(v) for v in row])
        console.print(marker_table)
    for line in quality.notes:  # problem scripts, groups without trial marking, markers past a threshold
        console.print(line, highlight=False, soft_wrap=True, markup=False)


class _QualityNotes:
    def __init__(self, stuck: list[str], notes: list[str]):
        self.stuck, self.notes = stuck, notes


def _quality_notes(session, exam: str, policy, lang: str = "zh") -> _QualityNotes:  # noqa: ANN001
    """What `status` adds from quality control (阅卷质量监控): work nobody may give (third marks and
    arbitrations too), open problem scripts, groups marking without a trial, markers with alerts."""
    from domain.vocab import SUBJECTS
    from marking.assist import group_label
    from marking.monitor import alert_lines, groups_without_standards, marker_rows, open_problem_counts, \
        unmarkable_work

    def group(subject: str, item_group: str) -> str:
        return f"{SUBJECTS.get(subject, subject)} {group_label(item_group)}" if lang == "zh" else \
            f"{subject} {item_group}"

    stuck = [w.message(lang) for w in unmarkable_work(session, exam, policy=policy)]
    notes = []
    for (subject, item_group), n in sorted(open_problem_counts(session, exam).items()):
        notes.append(f"问题卷：{group(subject, item_group)} 有 {n} 份待题组长处理" if lang == "zh" else
                     f"problem scripts: {group(subject, item_group)} has {n} waiting for the leader")
    without = groups_without_standards(session, exam, policy)
    if without:
        names = "、".join(group(s, g) for s, g in without)
        notes.append(f"未试评：{names} 没有试评用标准卷（xuequ marking standards）" if lang == "zh" else
                     f"no trial marking: {names} have no trial standard scripts (xuequ marking standards)")
    alerts = alert_lines(marker_rows(session, exam, policy=policy), lang)
    if alerts:
        notes.append("需关注的评卷教师：" if lang == "zh" else "markers to check:")
        notes += [f"  {line}" for line in alerts]
    return _QualityNotes(stuck, notes)


@app.command("quality")
def quality(exam: ExamOption, db: DbOption = None,
            output: str = typer.Option("table", "--format", help="table, markdown or csv."),
            group: Optional[str] = typer.Option(None, "--group", help="Only this item group (题组)."),
            policy: PolicyOption = None, lang: LangOption = "zh") -> None:
    """Marking quality per marker (阅卷质量): marks, speed, agreement, 三评率, spread against the group
    (保险分), 回评 consistency, standard-script accuracy, trial, and the alerts past the policy's thresholds."""
    from marking.monitor import alert_lines, marker_rows, quality_frame, quality_markdown
    from models.db import session_scope

    marking_policy = _policy(policy)
    use_db(db)
    with session_scope() as session:
        rows = marker_rows(session, exam, policy=marking_policy, item_group=group)
    if not rows:
        err_console.print(f"考试 {exam} 没有登记的评卷教师" if lang == "zh" else f"exam {exam} has no registered markers")
        raise typer.Exit(code=1)
    if output == "markdown":
        console.print(quality_markdown(rows, lang, heading="#"), markup=False, highlight=False)
        return
    frame = quality_frame(rows, lang)
    if output == "csv":
        console.print(safe_frame(frame).to_csv(index=False), markup=False, highlight=False, end="")
        return
    table = Table(title=f"阅卷质量 {exam}" if lang == "zh" else f"marking quality {exam}")
    for column in frame.columns:
        table.add_column(str(column))
    for record in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in record])
    console.print(table)
    for line in alert_lines(rows, lang):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("standards")
def standards(files: Annotated[list[Path], typer.Argument(help="standard_scripts.csv (CSV or .xlsx), "
                                                                "marking/FORMAT.md.")],
              exam: ExamOption, db: DbOption = None,
              subject: Optional[str] = typer.Option(None, help="Subject, when the files have no subject column."),
              lang: LangOption = "zh") -> None:
    """Import standard scripts (标准卷) with expert scores, for trial marking (试评) and quality checks."""
    from bundle.problems import BundleError
    from marking.standards import import_standards
    from models.db import session_scope

    use_db(db)
    try:
        with session_scope() as session:
            session.info["actor"] = os.environ.get("USER", "cli")
            report = import_standards(session, exam, files, subject=subject)
    except BundleError as error:
        _fail(error, lang)
        return
    groups = "，".join(f"{s} {g}：{n}" for (s, g), n in sorted(report.by_group.items()))
    console.print(f"导入 {report.standards} 份标准卷（替换 {report.replaced} 份）：{groups}" if lang == "zh" else
                  f"{report.standards} standard scripts imported ({report.replaced} replaced): {groups}",
                  markup=False, highlight=False)


@app.command("escalate")
def escalate(exam: ExamOption, db: DbOption = None, policy: PolicyOption = None, lang: LangOption = "zh") -> None:
    """Third marks nobody of another school may give go to the group leaders (仲裁)."""
    from marking.queue import escalate_unmarkable_thirds
    from models.db import session_scope

    marking_policy = _policy(policy)
    use_db(db)
    with session_scope() as session:
        moved = escalate_unmarkable_thirds(session, exam, policy=marking_policy)
    console.print(f"{moved} 份待三评的答卷转交题组长仲裁" if lang == "zh" else
                  f"{moved} script(s) waiting for a third mark went to the leaders for arbitration")


@app.command("ingest")
def ingest(files: Annotated[list[Path], typer.Argument(help="Responses files (CSV or .xlsx), marking/FORMAT.md.")],
           exam: ExamOption, db: DbOption = None,
           subject: Optional[str] = typer.Option(None, help="Subject, when the files have no subject column."),
           school: Optional[str] = typer.Option(None, help="The school these files come from (checked)."),
           lang: LangOption = "zh") -> None:
    """Check and load responses, all files or nothing."""
    from bundle.problems import BundleError
    from marking.responses import ingest_responses
    from models.db import session_scope
    from models.migrate import upgrade

    use_db(db, check=False)
    upgrade()
    try:
        with session_scope() as session:
            session.info["actor"] = os.environ.get("USER", "cli")
            report = ingest_responses(session, exam, files, subject=subject, school_id=school)
    except BundleError as error:
        _fail(error, lang)
        return
    console.print(f"{report.responses} responses of {report.students} students from {len(report.files)} file(s) "
                  f"({report.replaced} replaced)")


@app.command("open")
def open_queue(exam: ExamOption, db: DbOption = None, seed: int = typer.Option(0, help="Seed of the double-marked "
                                                                                      "share."),
               policy: PolicyOption = None) -> None:
    """Open the marking queue: one anonymous script per student and item group (again: adds new ones)."""
    from marking.queue import open_marking
    from models.db import session_scope

    marking_policy = _policy(policy)  # a bad policy file: one line before the database is touched
    use_db(db)
    with session_scope() as session:
        report = open_marking(session, exam, policy=marking_policy, seed=seed)
    console.print(f"{len(report.groups)} item group(s); {report.scripts} new scripts ({report.double_marked} double "
                  f"marked), {report.tasks} tasks; {report.already_open} scripts were already open")


@app.command("markers")
def register(plan: Annotated[Path, typer.Argument(help="marking.csv: exam_id, subject, item_group, teacher_id, "
                                                        "teacher_school_id, role.")],
             exam: ExamOption, tokens: Path = typer.Option(..., "--tokens", help="Write teacher_id,token here."),
             reissue: bool = typer.Option(False, "--reissue", help="Issue every marker a new token (the old ones "
                                                                    "stop working)."),
             db: DbOption = None, policy: PolicyOption = None, lang: LangOption = "zh") -> None:
    """Register the marking plan's teachers and issue new ones a login token (shown only once).

    Again with the same plan: nothing changes and every token keeps working (a moved teacher keeps
    theirs); `--reissue` replaces them all, `xuequ marking token` one."""
    import pandas as pd

    from bundle.problems import BundleError
    from marking.queue import register_markers
    from models.db import session_scope

    marking_policy = _policy(policy)
    use_db(db)
    frame = pd.read_csv(plan, dtype=str, encoding="utf-8-sig")
    try:
        with session_scope() as session:
            issued = register_markers(session, exam, frame, source=plan.name, policy=marking_policy, reissue=reissue)
    except BundleError as error:
        _fail(error, lang)
        return
    safe_frame(issued).to_csv(tokens, index=False, encoding="utf-8-sig")
    counts = issued["status"].value_counts().to_dict()
    shown = int(issued["token"].notna().sum())
    if lang == "en":
        console.print(f"{len(issued)} marker(s) registered: {counts.get('new', 0)} new, {counts.get('moved', 0)} "
                      f"moved, {counts.get('kept', 0)} unchanged, {counts.get('reissued', 0)} reissued; {shown} new "
                      f"token(s) in {tokens} (keep it private; the others keep their tokens)")
    else:
        console.print(f"已登记 {len(issued)} 名阅卷教师：新增 {counts.get('new', 0)}，调整 {counts.get('moved', 0)}，"
                      f"未变 {counts.get('kept', 0)}，重发 {counts.get('reissued', 0)}；{shown} 个新令牌写入 {tokens}"
                      f"（请妥善保管；其余教师沿用原令牌）")


@app.command("token")
def token(exam: ExamOption, teacher: str = typer.Option(..., "--teacher", help="The marker's teacher id."),
          db: DbOption = None, policy: PolicyOption = None, lang: LangOption = "zh") -> None:
    """Issue one marker a new login token (prints it; the old one stops working at once)."""
    import datetime as dt

    from marking.queue import NotFound, reissue_token, token_expiry
    from models.db import session_scope

    marking_policy = _policy(policy)
    use_db(db)
    try:
        with session_scope() as session:
            new_token = reissue_token(session, exam, teacher, policy=marking_policy)
            expires = token_expiry(session, exam, teacher)
    except NotFound as error:
        err_console.print(f"教师 {teacher} 未登记为考试 {exam} 的阅卷教师（xuequ marking markers）"
                          if lang == "zh" else str(error), markup=False, highlight=False)
        raise typer.Exit(code=2) from error
    until = dt.datetime.fromtimestamp(expires).strftime("%Y-%m-%d %H:%M") if expires else "–"
    err_console.print(f"{teacher} 的新令牌（旧令牌已失效；有效至 {until}）：" if lang == "zh"
                      else f"new token of {teacher} (the old one no longer works; valid until {until}):",
                      markup=False, highlight=False)
    console.print(new_token, markup=False, highlight=False)


@app.command("serve")
def serve(db: DbOption = None, host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port."),
          workers: int = typer.Option(1, help="Worker processes: several on marking day (one Python process "
                                              "uses one core)."),
          connections: Optional[int] = typer.Option(
              None, "--connections", help="Database connections for all workers together (pool + overflow; "
                                          "default 10 per worker, XUEQU_DB_POOL_SIZE + XUEQU_DB_MAX_OVERFLOW); "
                                          "keep it below the server's max_connections, or use PgBouncer."),
          ) -> None:
    """Serve the marker API (阅卷接口) with the marker's page at / and the group leader's at /leader."""
    import uvicorn

    from models.db import pool_settings

    use_db(db)  # the worker processes read XUEQU_DATABASE_URL
    if connections is not None:  # the budget divided between the workers, half kept open, half overflow
        size, overflow = worker_pool(connections, workers)
        os.environ["XUEQU_DB_POOL_SIZE"], os.environ["XUEQU_DB_MAX_OVERFLOW"] = str(size), str(overflow)
    try:
        size, overflow = pool_settings()
    except ValueError as error:
        err_console.print(str(error), markup=False, highlight=False)
        raise typer.Exit(code=2) from error
    console.print(f"marking pages on http://{host}:{port}/ (leaders: /leader); marker API under /api/v1 "
                  f"({workers} worker process(es), database connections {size} + {overflow} overflow each, "
                  f"at most {workers * (size + overflow)})")
    options = {"http": "httptools"} if _installed("httptools") else {}
    if _installed("uvloop"):
        options["loop"] = "uvloop"
    uvicorn.run("service.marker_site:app", host=host, port=port, workers=workers, log_level="warning",
                **options)  # type: ignore[arg-type]


def worker_pool(connections: int, workers: int) -> tuple[int, int]:
    """Each worker's (pool_size, max_overflow) from a budget of connections for all of them together."""
    each = max(2, connections // max(1, workers))
    return (each + 1) // 2, each // 2


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@app.command("finalise")
def finalise(exam: ExamOption, db: DbOption = None,
             out: Optional[Path] = typer.Option(None, help="Also write scores.csv here."),
             strict: bool = typer.Option(False, help="Fail if any script is still being marked."),
             policy: PolicyOption = None) -> None:
    """Write final scores (auto, single, double, third, arbitration), traceable to their marks."""
    from bundle.io import write_csv
    from bundle.spec import EXPORT_COLUMNS
    from marking.finalise import NotFinished, finalise_scores, scores_frame
    from models.db import session_scope

    marking_policy = _policy(policy)  # a bad policy file: one line before the database is touched
    use_db(db)
    try:
        with session_scope() as session:
            session.info["actor"] = os.environ.get("USER", "cli")
            report = finalise_scores(session, exam, policy=marking_policy, strict=strict)
            frame = scores_frame(session, exam) if out else None
    except NotFinished as error:
        err_console.print(f"[bold red]{error}[/]")
        raise typer.Exit(code=1) from error
    console.print(f"{report.written} scores for {report.students} student-subjects: {dict(report.scores)}; "
                  f"{report.pending_scripts} scripts still in marking, {report.held_back} student-subjects held back")
    if out is not None and frame is not None:
        write_csv(frame, out, EXPORT_COLUMNS["scores"])
        console.print(f"wrote {out}")


def resolve_check(path: Path):
    from scheduling.exam_logistics.policy import load_policies

    return load_policies(path)


@app.command("explain")
def explain(exam: ExamOption, db: DbOption = None,
            policy: Annotated[Optional[Path], typer.Option(
                "--policy", help="Exam-logistics policy TOML (default: policies/exam_logistics.toml).")] = None,
            time_limit: float = typer.Option(10.0, help="Solver seconds (2 workers); checking the suggestions may "
                                                        "take three times as long."),
            lang: LangOption = "zh") -> None:
    """Marking groups (阅卷分组) a joint exam would get, without writing anything: which subjects meet every
    rule, and for a short subject each best-effort group with its numbers (needed, qualified, what was
    relaxed) and the policy values, checked by re-solving, that would let it meet every rule."""
    from app.exam_logistics import preview_marking
    from scheduling.exam_logistics.data import subject_zh
    from service.policy_option import policy_or_exit

    policy_or_exit(lambda path: resolve_check(path), policy, lang)
    use_db(db)
    from app.exam_season import check_exam

    check_exam(exam)
    preview = preview_marking(exam, policy_file=str(policy) if policy else None, time_limit_s=time_limit)
    data, result = preview.data, preview.result
    console.print(preview.policy.describe(lang), markup=False, highlight=False)
    if not result.ok:
        for e in result.explanations:
            console.print("• " + e.text(lang), markup=False, highlight=False)
        raise typer.Exit(code=1)
    violations = preview.violations
    planned = len(result.assignments)
    if not result.best_effort:
        console.print((f"{', '.join(data.subjects)}: every rule holds ({planned} markers in {len(data.groups)} groups)"
                       if lang == "en" else
                       f"{'、'.join(subject_zh(s) for s in data.subjects)}：全部规则都能满足（{len(data.groups)} 个题组，"
                       f"{planned} 名阅卷教师）"), markup=False, highlight=False)
    for e in result.explanations:
        console.print("• " + e.text(lang), markup=False, highlight=False)
    if violations:
        console.print("[red]validator:[/] " + "; ".join(v.message for v in violations[:10]))
        raise typer.Exit(code=1)
