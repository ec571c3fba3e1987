"""`xuequ rotation …`, `xuequ policy …`, `xuequ invigilation plan`, `xuequ marking plan`."""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from domain.labels import label
from service.options import DbOption, use_db

console = Console()

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

AREA_HELP = "One of: rotation, exam_logistics, question_setting, marking, analysis."


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
        text = _editor_text(current, area, lang)
        if text is None:
            console.print("未修改" if lang == "zh" else "no change")
            return
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
