"""`xuequ rotation …`, `xuequ policy …`, `xuequ invigilation plan`, `xuequ marking plan`."""
from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from service.options import DbOption, use_db

console = Console()
REPO = Path(__file__).resolve().parents[1]
POLICY_DIR = REPO / "policies"

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
    """Plan the exchange roster (a new version of the scope's plan, revising the last one)."""
    from flows.term_schedule import term_schedule
    from scheduling.rotation import load_rotation_policy
    from service.policy_option import policy_or_exit

    policy_or_exit(load_rotation_policy, policy, lang)  # a bad file: one line, before any work
    use_db(db)

    def decisions(values: list[str]) -> list[dict]:
        return [{"teacher_id": v.split(":")[0], "to_school_id": v.split(":")[1] if ":" in v else None} for v in values]

    result = term_schedule(school_year=year, term=term, cluster_id=cluster, policy_file=str(policy) if policy else None,
                           out_dir=str(out), lang=lang, time_limit_s=time_limit, pins=decisions(pin),
                           forbids=decisions(forbid), actor=os.environ.get("USER", "cli"))
    console.print(result.summary, markup=False, highlight=False)
    console.print(f"plan {result.scope} v{result.version}: {result.status}; changed {result.changed}; files in {out}")
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
    """Why the policy cannot be met (rules in conflict, with numbers and what to loosen), or that it can."""
    from flows.common import load_tables
    from flows.term_schedule import ROTATION_TABLES
    from models.db import database_url
    from scheduling.rotation import attainment, load_rotation_policy, plan_rotation, rotation_input_from_tables

    from service.policy_option import policy_or_exit

    rules = policy_or_exit(load_rotation_policy, policy, lang) or load_rotation_policy()
    use_db(db)
    tables = load_tables.fn(database_url(), ROTATION_TABLES)
    data = rotation_input_from_tables(tables, year, cluster, rules, term=term)
    result = plan_rotation(data, rules, time_limit_s=30, lang=lang)
    if not result.explanations:
        console.print(f"{result.status}: the policy can be met ({len(result.plan.postings)} postings)")
    elif result.relaxed:
        console.print("政策不能全部满足，尽力方案：" + attainment(result, data, rules).line("zh") if lang == "zh" else
                      "the policy cannot be met in full; best-effort roster: " + attainment(result, data, rules).line("en"),
                      markup=False, highlight=False)
    for explanation in result.explanations:
        console.print("• " + explanation.text(lang), markup=False, highlight=False)
    for shortfall in result.shortfalls:
        console.print("  - " + shortfall.message(lang), markup=False, highlight=False)


# --- policies ---

AREAS = {
    "rotation": ("scheduling.rotation.policy", "RotationPolicy"),
    "exam_logistics": None,  # two tables, checked by load_policies
    "question_setting": ("scheduling.question_setting.policy", "QuestionSettingPolicy"),
    "marking": ("marking.policy", "MarkingPolicy"),
    "analysis": ("analysis.policy", "AnalysisPolicy"),
}


def check_policy(area: str, text: str) -> None:
    """Parse and validate a policy's TOML text with its area's own rules; raises PolicyError with the reason."""
    from domain.policy import PolicyError

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"not valid TOML: {error}", zh=f"不是有效的 TOML：{error}") from None
    if area == "exam_logistics":
        from scheduling.exam_logistics.policy import ExamLogisticsPolicy

        ExamLogisticsPolicy.from_dict(data)
        return
    module_name, class_name = AREAS[area]
    import importlib

    getattr(importlib.import_module(module_name), class_name).from_dict(data)


def _area_file(area: str) -> Path:
    if area not in AREAS:
        raise typer.BadParameter(f"unknown area {area!r}; one of {', '.join(AREAS)}")
    return POLICY_DIR / f"{area}.toml"


def _stored(scope: str, year: int, term: int | None, version: int | None, area: str):
    from sqlalchemy import select

    from models import PolicySet
    from models.db import session_scope

    scope_key = scope if area == "rotation" else f"{scope}/{area}"  # rotation plans file theirs by cluster
    with session_scope() as session:
        query = select(PolicySet).where(PolicySet.scope == scope_key, PolicySet.school_year == year,
                                        PolicySet.term == term)
        if version is not None:
            query = query.where(PolicySet.version == version)
        row = session.scalars(query.order_by(PolicySet.version.desc()).limit(1)).first()
        return (row.version, row.content) if row else (None, None)


@policy_app.command("show")
def policy_show(
    area: str = typer.Option("rotation", help=f"One of: {', '.join(AREAS)}."),
    scope: Optional[str] = typer.Option(None, help="A cluster id (or 'district') whose stored version to show."),
    year: Optional[int] = typer.Option(None, help="School year of the stored version."),
    term: Optional[int] = typer.Option(None, help="Term of the stored version."),
    version: Optional[int] = typer.Option(None, help="Version number (default: the latest)."),
    db: DbOption = None,
) -> None:
    """Print a policy: the repository's defaults, or a cluster's stored version."""
    use_db(db, check=bool(scope))  # the defaults need no database
    if scope:
        found, content = _stored(scope, year or 0, term, version, area)
        if content is None:
            console.print(f"no stored {area} policy for {scope} {year}-{term}; the defaults apply:")
        else:
            typer.echo(f"# {area} policy of {scope}, {year}-{term}, version {found}")
            typer.echo(content)
            return
    typer.echo(_area_file(area).read_text(encoding="utf-8"))


@policy_app.command("edit")
def policy_edit(
    area: str = typer.Option("rotation", help=f"One of: {', '.join(AREAS)}."),
    scope: str = typer.Option(..., help="A cluster id, or 'district'."),
    year: int = typer.Option(..., help="School year."),
    term: Optional[int] = typer.Option(None, help="Term 1 or 2 (omit for the school year)."),
    file: Optional[Path] = typer.Option(None, help="Take the new text from this file instead of opening $EDITOR."),
    comment: str = typer.Option("", help="Why it changed (kept in the audit log)."),
    db: DbOption = None,
) -> None:
    """Edit a cluster's policy: validated, then stored as a new version (audited)."""
    from sqlalchemy import func, select

    from models import PolicySet
    from models.db import session_scope
    from models.migrate import upgrade

    use_db(db, check=False)
    upgrade()
    scope_key = scope if area == "rotation" else f"{scope}/{area}"
    _, current = _stored(scope, year, term, None, area)
    current = current or _area_file(area).read_text(encoding="utf-8")
    if file is not None:
        from domain.policy import PolicyError, read_toml
        from service.policy_option import fail_policy

        try:
            text = read_toml(file)[1]  # missing, GBK or not TOML: the same one line as below
        except PolicyError as error:
            fail_policy(error, prefix="policy not saved: ")
    else:
        text = typer.edit(current, extension=".toml")
        if text is None:
            console.print("no change")
            return
    from domain.policy import PolicyError
    from service.policy_option import fail_policy

    try:
        try:
            check_policy(area, text)
        except (TypeError, ValueError) as error:  # a rule a section checks without PolicyError
            raise error if isinstance(error, PolicyError) else PolicyError(str(error)) from None
    except PolicyError as error:
        fail_policy(error.in_file(file) if file is not None else error, prefix="policy not saved: ")
    if text == current:
        console.print("no change")
        return
    with session_scope() as session:
        session.info["actor"] = os.environ.get("USER", "cli")
        version = (session.scalar(select(func.max(PolicySet.version)).where(
            PolicySet.scope == scope_key, PolicySet.school_year == year, PolicySet.term == term)) or 0) + 1
        session.add(PolicySet(scope=scope_key, school_year=year, term=term, version=version, content=text,
                              created_by=session.info["actor"], comment=comment or None))
    console.print(f"saved {area} policy of {scope} {year}-{term} as version {version}")


@policy_app.command("diff")
def policy_diff(
    old: str = typer.Argument(..., help="A TOML file, or 'SCOPE:YEAR:TERM:VERSION' of a stored rotation policy."),
    new: str = typer.Argument(..., help="Likewise."),
    db: DbOption = None,
) -> None:
    """Show what changed between two policies, line by line."""
    use_db(db, check=not (Path(old).exists() and Path(new).exists()))  # two files need no database

    def text_of(ref: str) -> str:
        if Path(ref).exists():
            return Path(ref).read_text(encoding="utf-8")
        scope, year, term, version = ref.split(":")
        _, content = _stored(scope, int(year), int(term) if term else None, int(version), "rotation")
        if content is None:
            raise typer.BadParameter(f"no stored policy {ref}")
        return content

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
    """Invigilation and marking plans of a joint exam: invigilation.csv, marking.csv, notices, room sheets."""
    from flows.logistics import exam_logistics
    from scheduling.exam_logistics.policy import load_policies
    from service.policy_option import policy_or_exit

    policy_or_exit(load_policies, policy, lang)  # a bad file: one line, before any work
    use_db(db)
    outcome = exam_logistics(exam, out_dir=str(out), lang=lang, time_limit_s=time_limit,
                             policy_file=str(policy) if policy else None, actor=os.environ.get("USER", "cli"))
    console.print(f"{outcome.status}: {outcome.message}", markup=False, highlight=False)
    if outcome.status != "done":
        raise typer.Exit(code=1)


# --- invigilation replans: pin, forbid, repair (each a new plan version that keeps what it can) ---

def _invigilation_replan(exam: str, out: Path, policy: Optional[Path], time_limit: float, lang: str,
                         db: str | None, **kwargs) -> None:
    from flows.logistics import change_lines, replan_invigilation
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
