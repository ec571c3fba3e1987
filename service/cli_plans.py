"""`xuequ rotation …`, `xuequ policy …`, `xuequ invigilation plan`, `xuequ marking plan`."""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from domain.labels import label
from service.terminal import terminal
from service.options import DbOption, use_db

console = terminal()

rotation_app = typer.Typer(help="Teacher exchange rotation (交流轮岗): plan a roster, explain a policy that cannot be met.",
                           no_args_is_help=True)
policy_app = typer.Typer(help="Policy files (政策参数): show, edit as a new version, diff.", no_args_is_help=True)
invigilation_app = typer.Typer(help="Invigilation (监考安排) of a joint exam.", no_args_is_help=True)





# --- rotation ---

@rotation_app.command("plan")
def rotation_plan(
    year: int = typer.Option(..., "--year", help="School year (its first calendar year, 2026 = 2026–2027)."),
    term: Optional[int] = typer.Option(None, "--term", help="Term 1 or 2; omit for a whole school year."),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="One cluster; omit for the whole district."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Policy TOML (default policies/rotation.toml)."),
    out: Path = typer.Option(Path("out/rotation"), "--out", help="Output folder: rotation.csv, rosters, summary."),
    time_limit: float = typer.Option(30.0, help="Solver seconds (2 workers)."),
    forbid: list[str] = typer.Option([], help="TEACHER or TEACHER:SCHOOL the teacher must not go to (repeatable)."),
    pin: list[str] = typer.Option([], help="TEACHER or TEACHER:SCHOOL the teacher must go to (repeatable)."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Plan the exchange roster (a new version of the scope's plan, revising the last one), in-process.

    The policy is the one in force for the cluster and term (its stored version, else the district's,
    else policies/rotation.toml); `--policy FILE` overrides it for this run."""
    from app.term_planning import plan_rotation
    from scheduling.rotation import load_rotation_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_rotation_policy, policy, lang)  # a bad file: one line, before any work
    use_db(db)

    def decisions(values: list[str]) -> list[dict]:
        return [{"teacher_id": v.split(":")[0], "to_school_id": v.split(":")[1] if ":" in v else None} for v in values]

    result = plan_rotation(year, term, cluster, policy_file=str(policy) if policy else None, out_dir=out, lang=lang,
                           time_limit_s=time_limit, pins=decisions(pin), forbids=decisions(forbid),
                           actor=os.environ.get("USER", "cli"))
    console.print(result.summary, markup=False, highlight=False)
    console.print(f"方案 {result.scope} 第 {result.version} 版：{label('solver_status', result.status)}；"
                  f"{'首个版本' if result.changed is None else f'变动 {result.changed} 项'}；文件在 {out}；{result.policy}" if lang == "zh" else
                  f"plan {result.scope} v{result.version}: {result.status}; changed {result.changed}; files in {out}; "
                  f"{result.policy}", markup=False, highlight=False)
    if result.relaxed:
        note = ("政策不能全部满足：已写出尽力方案，未满足的规则及经重算验证的修改建议见 rotation_explanations.txt"
                if lang == "zh" else "the policy cannot be met in full: a best-effort roster is written; what it misses "
                "and the verified changes are in rotation_explanations.txt")
        console.print(note, markup=False, highlight=False)
    console.print(result.attainment, markup=False, highlight=False)
    if result.violations:
        console.print("[red]validator:[/] " + "; ".join(result.violations))
        raise typer.Exit(code=1)


@rotation_app.command("explain")
def rotation_explain(
    year: int = typer.Option(..., "--year", help="School year."),
    term: Optional[int] = typer.Option(None, "--term", help="Term 1 or 2."),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="One cluster; omit for the district."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="Policy TOML."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Why the policy in force cannot be met (rules in conflict, with numbers and what to loosen), or that it can."""
    from app.term_planning import explain_rotation
    from scheduling.rotation import load_rotation_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_rotation_policy, policy, lang)
    use_db(db)
    result = explain_rotation(year, term, cluster, policy_file=str(policy) if policy else None, lang=lang)
    console.print(result.policy, markup=False, highlight=False)
    if not result.explanations:
        console.print(f"{label('solver_status', result.status)}：政策可以全部满足（{result.postings} 项派出）" if lang == "zh"
                      else f"{result.status}: the policy can be met ({result.postings} postings)",
                      markup=False, highlight=False)
    elif result.relaxed:
        console.print(("政策不能全部满足，尽力方案：" if lang == "zh" else "the policy cannot be met in full; best-effort roster: ")
                      + result.attainment, markup=False, highlight=False)
    for explanation in result.explanations:
        console.print("• " + explanation, markup=False, highlight=False)
    for shortfall in result.shortfalls:
        console.print("  - " + shortfall, markup=False, highlight=False)


# --- policies ---

AREA_HELP = "One of: rotation, exam_logistics, question_setting, marking, analysis, formation, calendar, ledger."


def _area(area: str, lang: str = "zh") -> str:
    from app.policies import area_of
    from domain.policy import PolicyError
    from service.policy_option import fail_policy

    try:
        return area_of(area).name
    except PolicyError as error:
        fail_policy(error, lang)
    raise AssertionError  # pragma: no cover - fail_policy exits


def _editor_text(current: str, area: str, lang: str) -> str | None:
    """The planner's new text from $EDITOR (or vi), re-opened until it validates or they give up."""
    import click

    from app.policies import parse_policy
    from domain.policy import PolicyError

    text = current
    while True:
        edited = click.edit(text, editor=os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi",
                            extension=".toml", require_save=True)
        if edited is None:
            return None  # closed without saving
        try:
            parse_policy(area, edited)
            return edited
        except PolicyError as error:
            typer.echo(error.line(lang), err=True)
            if not typer.confirm("重新编辑？" if lang == "zh" else "Edit again?", default=True):
                return None
            text = edited


@policy_app.command("show")
def policy_show(
    area: str = typer.Option("rotation", help=AREA_HELP),
    scope: Optional[str] = typer.Option(None, help="A cluster id (or 'district') whose policy in force to show."),
    year: Optional[int] = typer.Option(None, help="School year."),
    term: Optional[int] = typer.Option(None, help="Term 1 or 2 (omit for the school year)."),
    version: Optional[int] = typer.Option(None, help="A stored version number (default: the one in force)."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Print the policy in force for a cluster and term (and where it comes from), or a stored version."""
    from app.policies import resolve_in, resolve_policy
    from models.db import session_scope
    from models.policies import stored_policy

    area = _area(area, lang)
    use_db(db, check=bool(scope))  # the repository file needs no database
    if scope and version is not None:
        with session_scope() as session:
            row = stored_policy(session, area, scope, year or 0, term, version)
            content = row.content if row is not None else None
        if content is None:
            typer.echo(f"没有存储的版本 {scope} {year}-{term} 第 {version} 版" if lang == "zh"
                       else f"no stored version {scope} {year}-{term} v{version}", err=True)
            raise typer.Exit(code=1)
        typer.echo(f"# {area} {scope} {year}-{term} v{version}")
        typer.echo(content)
        return
    if scope:
        with session_scope() as session:
            resolved = resolve_in(session, area, cluster_id=scope, school_year=year or 0, term=term)
    else:
        resolved = resolve_policy(area)
    typer.echo("# " + resolved.describe(lang) + (f" (version {resolved.version})" if resolved.version else ""))
    typer.echo(resolved.text)


@policy_app.command("edit")
def policy_edit(
    area: str = typer.Option("rotation", help=AREA_HELP),
    scope: str = typer.Option(..., help="A cluster id, or 'district'."),
    year: int = typer.Option(..., help="School year."),
    term: Optional[int] = typer.Option(None, help="Term 1 or 2 (omit for the school year)."),
    file: Optional[Path] = typer.Option(None, help="Take the new text from this file instead of opening $EDITOR."),
    comment: str = typer.Option("", help="Why it changed (kept in the audit log)."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Edit the policy of a cluster (or the district) and term: opens $EDITOR (or vi) on the policy in
    force, validates on save, stores a new version; the audit log keeps who, when and the diff."""
    from app.policies import edit_policy, in_force_text
    from domain.policy import PolicyError, read_toml
    from models.db import session_scope
    from models.migrate import upgrade
    from service.policy_option import fail_policy

    area = _area(area, lang)
    use_db(db, check=False)
    upgrade()
    if file is not None:
        try:
            text = read_toml(file)[1]  # missing, GBK or not TOML: one line
        except PolicyError as error:
            fail_policy(error, lang, prefix="未保存：" if lang == "zh" else "policy not saved: ")
    else:
        with session_scope() as session:
            current = in_force_text(session, area, scope, year, term)
        edited = _editor_text(current, area, lang)
        if edited is None:
            console.print("未修改" if lang == "zh" else "no change")
            return
        text = edited
    try:
        saved = edit_policy(area, scope, year, term, text, actor=os.environ.get("USER", "cli"), comment=comment,
                            file=str(file) if file else None)
    except PolicyError as error:
        fail_policy(error, lang, prefix="未保存：" if lang == "zh" else "policy not saved: ")
    if saved.version is None:
        console.print("未修改" if lang == "zh" else "no change")
        return
    console.print(f"已保存 {area} 政策 {scope} {year}-{term} 第 {saved.version} 版 (version {saved.version})"
                  if lang == "zh" else f"saved {area} policy of {scope} {year}-{term} as version {saved.version}",
                  markup=False, highlight=False)


@policy_app.command("revert")
def policy_revert(
    to: int = typer.Option(..., "--to", help="The stored version to bring back (as the next version)."),
    area: str = typer.Option("rotation", help=AREA_HELP),
    scope: str = typer.Option(..., help="A cluster id, or 'district'."),
    year: int = typer.Option(..., help="School year."),
    term: Optional[int] = typer.Option(None, help="Term 1 or 2 (omit for the school year)."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Undo (撤销): an earlier version's text becomes the next version (audited, nothing is deleted)."""
    from app.policies import revert_policy

    area = _area(area, lang)
    use_db(db)
    try:
        saved = revert_policy(area, scope, year, term, to, actor=os.environ.get("USER", "cli"))
    except KeyError:
        typer.echo(f"没有存储的版本 {scope} {year}-{term} 第 {to} 版" if lang == "zh"
                   else f"no stored version {scope} {year}-{term} v{to}", err=True)
        raise typer.Exit(code=1) from None
    console.print(("已是该版本的内容，未修改" if lang == "zh" else "already in force: no change") if saved.version is None
                  else (f"已恢复第 {to} 版为第 {saved.version} 版" if lang == "zh"
                        else f"version {to} restored as version {saved.version}"), markup=False, highlight=False)


@policy_app.command("history")
def policy_history(
    area: str = typer.Option("rotation", help=AREA_HELP),
    scope: str = typer.Option(..., help="A cluster id, or 'district'."),
    year: int = typer.Option(..., help="School year."),
    term: Optional[int] = typer.Option(None, help="Term 1 or 2 (omit for the school year)."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Every stored version: who saved it, when, and why."""
    from models.db import session_scope
    from models.policies import policy_versions

    area = _area(area, lang)
    use_db(db)
    with session_scope() as session:
        rows = [(r.version, r.created_by, r.created_at, r.comment or "")
                for r in policy_versions(session, area, scope, year, term)]
    if not rows:
        console.print("没有存储的版本" if lang == "zh" else "no stored versions")
    for version, who, when, why in rows:
        console.print(f"v{version}  {when:%Y-%m-%d %H:%M}  {who}  {why}", markup=False, highlight=False)


@policy_app.command("diff")
def policy_diff(
    old: str = typer.Argument(..., help="A TOML file, or 'SCOPE:YEAR:TERM:VERSION' of a stored policy."),
    new: str = typer.Argument(..., help="Likewise."),
    area: str = typer.Option("rotation", help=AREA_HELP),
    db: DbOption = None,
) -> None:
    """Show what changed between two policies, line by line."""
    from models.db import session_scope
    from models.policies import stored_policy

    area = _area(area)
    use_db(db, check=not (Path(old).exists() and Path(new).exists()))  # two files need no database

    def text_of(ref: str) -> str:
        if Path(ref).exists():
            return Path(ref).read_text(encoding="utf-8")
        scope, year, term, version = ref.split(":")
        with session_scope() as session:
            row = stored_policy(session, area, scope, int(year), int(term) if term else None, int(version))
            if row is None:
                raise typer.BadParameter(f"no stored policy {ref}")
            return row.content

    lines = list(difflib.unified_diff(text_of(old).splitlines(), text_of(new).splitlines(), old, new, lineterm=""))
    typer.echo("\n".join(lines) if lines else "no differences")


# --- exam logistics ---

# The options every invigilation verb shares (one definition, the same help everywhere).
ExamOpt = Annotated[str, typer.Option("--exam", help="Exam id (exam_sessions.csv).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
LogisticsPolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="Policy TOML (default "
                                                            "policies/exam_logistics.toml).")]
InvLangOpt = Annotated[str, typer.Option("--lang", help="zh or en.")]


@invigilation_app.command("plan")
def invigilation_plan(
    exam: ExamOpt,
    out: OutOpt = Path("out/logistics"),
    policy: LogisticsPolicyOpt = None,
    time_limit: float = typer.Option(60.0, help="Solver seconds per plan (2 workers)."),
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """Invigilation and marking plans of a joint exam: invigilation.csv, marking.csv, notices, room sheets.
    Runs in-process (no Prefect server) under the exam-logistics policy in force for the exam."""
    from app.exam_logistics import plan_logistics
    from app.stages import status_label
    from scheduling.exam_logistics.policy import load_policies
    from service.policy_option import policy_or_exit

    policy_or_exit(load_policies, policy, lang)  # a bad file: one line, before any work
    use_db(db)
    from app.exam_season import check_exam

    check_exam(exam)
    outcome = plan_logistics(exam, out_dir=str(out), lang=lang, time_limit_s=time_limit,
                             policy_file=str(policy) if policy else None, actor=os.environ.get("USER", "cli"))
    console.print(f"{status_label(outcome.status, lang)}：{outcome.message}" if lang == "zh" else
                  f"{outcome.status}: {outcome.message}", markup=False, highlight=False)
    if outcome.status != "done":
        raise typer.Exit(code=1)


# --- invigilation replans: pin, forbid, repair (each a new plan version that keeps what it can) ---

def _invigilation_replan(exam: str, out: Path, policy: Optional[Path], time_limit: float, lang: str,
                         db: str | None, **kwargs) -> None:
    from app.exam_logistics import change_lines, replan_invigilation
    from scheduling.exam_logistics.policy import load_policies
    from service.policy_option import policy_or_exit

    policy_or_exit(load_policies, policy, lang)  # a bad file: one line, before any work
    use_db(db)
    try:
        result = replan_invigilation(exam, out_dir=str(out), time_limit_s=time_limit,
                                     policy_file=str(policy) if policy else None,
                                     actor=os.environ.get("USER", "cli"), **kwargs)
    except LookupError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(code=2)
    if not result.version:
        label = "validator" if result.status == "failed" else result.status
        console.print(f"[red]no new version ({label}):[/]")
        for line in result.violations[:20]:
            console.print("  • " + line, markup=False, highlight=False)
        raise typer.Exit(code=1)
    for e in result.result.explanations:
        if e.code == "relaxation_summary":
            console.print(e.text(lang), markup=False, highlight=False)
    head = (f"监考安排 {exam} 第 {result.version} 版：{result.status}，改动 {len(result.changes)} 行（共 "
            f"{len(result.result.assignments)} 行）；文件在 {out}") if lang == "zh" else (
        f"invigilation {exam} v{result.version}: {result.status}, {len(result.changes)} rows changed "
        f"(of {len(result.result.assignments)}); files in {out}")
    console.print(head, markup=False, highlight=False)
    for line in change_lines(result.changes, result.data, lang):
        console.print("  " + line, markup=False, highlight=False)


@invigilation_app.command("pin")
def invigilation_pin(
    exam: ExamOpt,
    teacher: str = typer.Option(..., "--teacher", help="Teacher id to place."),
    session: str = typer.Option(..., "--session", help="Session id (exam_sessions.csv)."),
    site: Optional[str] = typer.Option(None, "--site", help="Site school id (optional)."),
    role: Optional[str] = typer.Option(None, "--role", help="chief, assistant or reserve (optional)."),
    room: Optional[str] = typer.Option(None, "--room", help="Room id at the site (optional)."),
    out: OutOpt = Path("out/logistics"),
    policy: LogisticsPolicyOpt = None,
    time_limit: float = typer.Option(60.0, help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """Put a teacher into a session (and site, role, room): a new version that changes as little as it can."""
    from scheduling.exam_logistics import Pin

    _invigilation_replan(exam, out, policy, time_limit, lang, db, pins=[Pin(teacher, session, site, role, room)])


@invigilation_app.command("forbid")
def invigilation_forbid(
    exam: ExamOpt,
    teacher: str = typer.Option(..., "--teacher", help="Teacher id to keep out."),
    session: Optional[str] = typer.Option(None, "--session", help="Only this session (default: the whole exam)."),
    site: Optional[str] = typer.Option(None, "--site", help="Only this site (default: every site)."),
    out: OutOpt = Path("out/logistics"),
    policy: LogisticsPolicyOpt = None,
    time_limit: float = typer.Option(60.0, help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """Keep a teacher out of the exam, a session or a site: a new version that changes as little as it can."""
    from scheduling.exam_logistics import Forbid

    _invigilation_replan(exam, out, policy, time_limit, lang, db, forbids=[Forbid(teacher, session, site)])


@invigilation_app.command("repair")
def invigilation_repair(
    exam: ExamOpt,
    absent: list[str] = typer.Option(..., "--absent", help="Teacher id who cannot come (repeatable)."),
    out: OutOpt = Path("out/logistics"),
    policy: LogisticsPolicyOpt = None,
    time_limit: float = typer.Option(20.0, help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """Last-minute absences: fill each place they leave with the fewest changes (a new version)."""
    _invigilation_replan(exam, out, policy, time_limit, lang, db, absent=list(absent))


# --- what-if runs (情景方案): plan under a named scenario, compare side by side, adopt one ---
# In-process (no Prefect): a scenario's plan is stored beside the current plan, never over it.

NameArg = Annotated[str, typer.Argument(help="The scenario's name (情景名称), e.g. 宽松距离.")]
NamesArg = Annotated[Optional[list[str]], typer.Argument(help="Scenario names (default: every one not yet adopted).")]
PolicyVersionOpt = Annotated[Optional[int], typer.Option("--policy-version", help="A stored version of the policy "
                                                         "(of the cluster, else the district) instead of a file.")]
CompareOutOpt = Annotated[Optional[Path], typer.Option("--out", help="Also write the comparison as this CSV file.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Adopt even if the current plan changed since the run.")]
ScopeYearOpt = Annotated[Optional[int], typer.Option("--year", help="School year (default: found from the names).")]
ScopeTermOpt = Annotated[Optional[int], typer.Option("--term", help="Term 1 or 2.")]
ScopeClusterOpt = Annotated[Optional[str], typer.Option("--cluster", help="One cluster; omit for the district.")]


def _scenario_failed(error, lang: str) -> None:
    typer.echo(error.line(lang), err=True)
    raise typer.Exit(code=2)


def _one_policy_source(policy: Optional[Path], policy_version: Optional[int], lang: str) -> None:
    if policy is not None and policy_version is not None:
        typer.echo("--policy 与 --policy-version 只能给一个" if lang == "zh"
                   else "give --policy or --policy-version, not both", err=True)
        raise typer.Exit(code=2)


def _print_run(run, lang: str) -> None:
    """What a what-if run stored, in one headline, then its figures and what it could not meet."""
    zh = lang == "zh"
    if not run.version:
        from app.scenarios import status_text

        status = status_text(run.kind, run.status, lang)
        console.print((f"情景方案 {run.name} 未保存（{status}）：" if zh else f"scenario {run.name} not stored ({status}):"),
                      markup=False, highlight=False)
        for line in (run.violations or run.explanations)[:20]:
            console.print("  • " + line, markup=False, highlight=False)
        raise typer.Exit(code=1)
    from app.scenarios import status_text

    status = status_text(run.kind, run.status, lang)
    if zh:
        against = (f"较当前方案（第 {run.base_version} 版）变动 {run.changes} 项" if run.base_version
                   else "尚无当前方案")
        console.print(f"情景方案 {run.name}（{run.scope}）第 {run.version} 次运行：{status}；{against}；"
                      f"当前方案未被替换；{run.policy}", markup=False, highlight=False)
    else:
        against = (f"{run.changes} changes against the current plan v{run.base_version}" if run.base_version
                   else "no current plan yet")
        console.print(f"scenario {run.name} ({run.scope}) run {run.version}: {status}; {against}; the current plan "
                      f"is unchanged; {run.policy}", markup=False, highlight=False)
    if run.headline:
        console.print(run.headline, markup=False, highlight=False)
    if run.relaxed:
        console.print(("政策不能全部满足：尽力方案（" if zh else "the policy cannot be met in full: best-effort (")
                      + f"{len(run.explanations)} " + ("条说明）" if zh else "explanations)"), markup=False,
                      highlight=False)
    if run.files:
        console.print(("文件：" if zh else "files: ") + ", ".join(run.files), markup=False, highlight=False)
    console.print((f"比较：xuequ {run.kind} compare；采用：xuequ {run.kind} adopt {run.name}" if zh else
                   f"compare: xuequ {run.kind} compare; adopt: xuequ {run.kind} adopt {run.name}"),
                  markup=False, highlight=False)
    if run.violations:
        console.print("[red]validator:[/] " + "; ".join(run.violations))
        raise typer.Exit(code=1)


def _print_comparison(comparison, lang: str, out: Optional[Path]) -> None:
    from rich.table import Table

    frame = comparison.frame(lang, text=True)
    table = Table(title=(f"方案比较 {comparison.scope}" if lang == "zh" else f"plans compared: {comparison.scope}"))
    for n, column in enumerate(frame.columns):
        table.add_column(str(column), justify="left" if n == 0 else "right", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    console.print(table)
    if out is not None:
        written = comparison.write_csv(out, lang)
        console.print(f"{'已写出' if lang == 'zh' else 'written'} {written}", markup=False, highlight=False)


def _print_adoption(adoption, lang: str) -> None:
    before = adoption.replaced_version
    console.print((f"已采用情景 {adoption.name}：成为 {adoption.scope} 第 {adoption.version} 版（当前方案）"
                   + (f"，原第 {before} 版保留为历史" if before else "") + f"；操作人 {adoption.actor}")
                  if lang == "zh" else
                  (f"scenario {adoption.name} adopted: now {adoption.scope} v{adoption.version} (current)"
                   + (f", v{before} kept as history" if before else "") + f"; by {adoption.actor}"),
                  markup=False, highlight=False)


def _rotation_decisions(values: list[str]) -> list[dict]:
    return [{"teacher_id": v.split(":")[0], "to_school_id": v.split(":")[1] if ":" in v else None} for v in values]


@rotation_app.command("whatif")
def rotation_whatif(
    name: NameArg,
    year: int = typer.Option(..., "--year", help="School year (its first calendar year, 2026 = 2026–2027)."),
    term: Optional[int] = typer.Option(None, "--term", help="Term 1 or 2; omit for a whole school year."),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="One cluster; omit for the whole district."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="The scenario's policy TOML."),
    policy_version: PolicyVersionOpt = None,
    pin: list[str] = typer.Option([], help="TEACHER or TEACHER:SCHOOL the teacher must go to (repeatable)."),
    forbid: list[str] = typer.Option([], help="TEACHER or TEACHER:SCHOOL the teacher must not go to (repeatable)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the scenario's roster files here."),
    time_limit: float = typer.Option(30.0, help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """Plan the roster under a named scenario (another policy, pins, forbids), beside the current plan.

    The current plan stays current (and is what `rotation plan` revises) until `rotation adopt NAME`."""
    from app.scenarios import ScenarioError, run_rotation_scenario
    from scheduling.rotation import load_rotation_policy
    from service.policy_option import policy_or_exit

    _one_policy_source(policy, policy_version, lang)
    policy_or_exit(load_rotation_policy, policy, lang)  # a bad file: one line, before any work
    use_db(db)
    try:
        run = run_rotation_scenario(name, year, term, cluster, policy_file=str(policy) if policy else None,
                                    policy_version=policy_version, pins=_rotation_decisions(pin),
                                    forbids=_rotation_decisions(forbid), lang=lang, time_limit_s=time_limit,
                                    out_dir=out, actor=os.environ.get("USER", "cli"))
    except ScenarioError as error:
        _scenario_failed(error, lang)
    _print_run(run, lang)


@rotation_app.command("compare")
def rotation_compare(
    names: NamesArg = None,
    year: ScopeYearOpt = None,
    term: ScopeTermOpt = None,
    cluster: ScopeClusterOpt = None,
    out: CompareOutOpt = None,
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """The current roster and scenarios side by side (a column each; --out writes a CSV).

    Rows: required rotations made, backbone share, posts filled, distances, monthly subsidies, and the
    changes against the current plan."""
    from app.scenarios import ScenarioError, compare_rotation

    use_db(db)
    try:
        comparison = compare_rotation(year, term, cluster, list(names or []))
    except ScenarioError as error:
        _scenario_failed(error, lang)
    _print_comparison(comparison, lang, out)


@rotation_app.command("adopt")
def rotation_adopt(
    name: NameArg,
    year: ScopeYearOpt = None,
    term: ScopeTermOpt = None,
    cluster: ScopeClusterOpt = None,
    force: ForceOpt = False,
    db: DbOption = None,
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
) -> None:
    """The scenario's roster becomes the next version of the current plan (audited); the old one stays as history."""
    from app.scenarios import ROTATION, ScenarioError, adopt_scenario, rotation_scope

    use_db(db)
    try:
        scope = rotation_scope(year, term, cluster, [name])
        adoption = adopt_scenario(ROTATION, name, scope, actor=os.environ.get("USER", "cli"), force=force)
    except ScenarioError as error:
        _scenario_failed(error, lang)
    _print_adoption(adoption, lang)


def _exam_pins(values: list[str]) -> list:
    from scheduling.exam_logistics import Pin

    out = []
    for value in values:
        parts = [p or None for p in value.split(":")] + [None] * 4
        out.append(Pin(parts[0] or "", parts[1] or "", parts[2], parts[3], parts[4]))  # '' is refused as unknown
    return out


def _exam_forbids(values: list[str]) -> list:
    from scheduling.exam_logistics import Forbid

    out = []
    for value in values:
        parts = [p or None for p in value.split(":")] + [None] * 2
        out.append(Forbid(parts[0] or "", parts[1], parts[2]))
    return out


@invigilation_app.command("whatif")
def invigilation_whatif(
    name: NameArg,
    exam: ExamOpt,
    policy: LogisticsPolicyOpt = None,
    policy_version: PolicyVersionOpt = None,
    pin: list[str] = typer.Option([], help="TEACHER:SESSION[:SITE[:ROLE[:ROOM]]] to place (repeatable)."),
    forbid: list[str] = typer.Option([], help="TEACHER[:SESSION[:SITE]] to keep out (repeatable)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the scenario's invigilation.csv here."),
    time_limit: float = typer.Option(60.0, help="Solver seconds (2 workers)."),
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """Replan the exam's invigilation under a named scenario (policy, pins, forbids), beside the current plan.

    The current plan stays current (and is what `invigilation pin|forbid|repair` revise) until
    `invigilation adopt NAME`."""
    from app.scenarios import ScenarioError, run_invigilation_scenario
    from scheduling.exam_logistics.policy import load_policies
    from service.policy_option import policy_or_exit

    _one_policy_source(policy, policy_version, lang)
    policy_or_exit(load_policies, policy, lang)
    use_db(db)
    malformed = [v for v in pin if len(v.split(":")) < 2 or not all(v.split(":")[:2])]
    if malformed:
        typer.echo((f"--pin {malformed[0]}：须写作 教师:场次[:考点[:角色[:考场]]]" if lang == "zh"
                    else f"--pin {malformed[0]}: write TEACHER:SESSION[:SITE[:ROLE[:ROOM]]]"), err=True)
        raise typer.Exit(code=2)
    try:
        run = run_invigilation_scenario(name, exam, policy_file=str(policy) if policy else None,
                                        policy_version=policy_version, pins=_exam_pins(pin),
                                        forbids=_exam_forbids(forbid), lang=lang, time_limit_s=time_limit,
                                        out_dir=out, actor=os.environ.get("USER", "cli"))
    except ScenarioError as error:
        _scenario_failed(error, lang)
    _print_run(run, lang)


@invigilation_app.command("compare")
def invigilation_compare(
    exam: ExamOpt,
    names: NamesArg = None,
    out: CompareOutOpt = None,
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """The exam's current invigilation plan and scenarios side by side (a column each; --out writes a CSV).

    Rows: km, the most sessions of one teacher, quota deviations, relaxations, and the changes against
    the current plan."""
    from app.scenarios import ScenarioError, compare_invigilation

    use_db(db)
    try:
        comparison = compare_invigilation(exam, list(names or []))
    except ScenarioError as error:
        _scenario_failed(error, lang)
    _print_comparison(comparison, lang, out)


@invigilation_app.command("adopt")
def invigilation_adopt(
    name: NameArg,
    exam: ExamOpt,
    force: ForceOpt = False,
    db: DbOption = None,
    lang: InvLangOpt = "zh",
) -> None:
    """The scenario's plan becomes the exam's next invigilation version (audited); the old one stays as history."""
    from app.scenarios import INVIGILATION, ScenarioError, adopt_scenario

    use_db(db)
    try:
        adoption = adopt_scenario(INVIGILATION, name, exam, actor=os.environ.get("USER", "cli"), force=force)
    except ScenarioError as error:
        _scenario_failed(error, lang)
    _print_adoption(adoption, lang)
