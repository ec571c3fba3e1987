"""Term planning (学期排班) for the cluster office and planners: plan the rotation roster, explain it.

One use case per job, called alike by `xuequ rotation plan|explain` (in-process, no Prefect server),
the `term-schedule` flow and, next, the web console:

    plan_rotation: load → the policy in force → the latest plan to revise → solve → check → attainment
                   → store a new version (linked to the policy version) → export
    explain_rotation: the same inputs, solved, and what cannot be met and why

Re-planning revises the latest plan of the same scope: every other assignment is kept unless the
policy cannot be met otherwise.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from app.policies import ResolvedPolicy, resolve_in
from bundle.cells import safe_frame
from models.db import database_url, session_scope
from scheduling.rotation import (Forbid, LeaderExchange, MentorPair, PartTimePosting, Pin, Posting, PrincipalMonth,
                                 RotationInput, RotationPlan, RotationPolicy, RotationResult, plan_rotation as solve,
                                 rotation_input_from_tables)
from scheduling.rotation.attainment import Attainment, attainment, attainment_frame, hard_rule_ceilings
from scheduling.rotation.validate import unexplained_violations, validate_roster
from scheduling.rotation.writers import (rotation_frame, summary_frame, summary_markdown, write_rotation_csv,
                                         write_school_rosters_xlsx)

ROTATION_TABLES = ["schools", "teachers", "classes", "class_teachers", "needs", "distances"]
NUM_WORKERS = 2  # CP-SAT workers: the machines we run on have 2 cores


@dataclass
class TermScheduleResult:
    scope: str
    status: str  # the solver's status: OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    plan_id: int | None
    version: int | None
    postings: int
    leader_exchanges: int
    violations: list[str]
    explanations: list[str]
    changed: int | None
    files: list[str] = field(default_factory=list)
    summary: str = ""
    relaxed: bool = False  # a best-effort roster: the policy cannot be met, the explanations say what it misses
    attainment: str = ""  # what the roster reaches (and, when best-effort, what the hard rules allow)
    policy: str = ""  # which policy produced it, as a person reads it
    summary_table: pd.DataFrame | None = None
    calendar: Any = None  # the term's activity calendar planned after the roster (app.activity_calendar), if any


def plan_scope(school_year: int, term: int | None, cluster_id: str | None) -> str:
    return f"{school_year}-{term or 'Y'}:{cluster_id or 'district'}"


# --- the plan as JSON, so a later run can revise it ---

def plan_to_json(plan: RotationPlan) -> dict:
    return json_ready(dataclasses.asdict(plan))


def json_ready(value):
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def plan_from_json(data: dict) -> RotationPlan:
    def build(cls, rows):
        fields = {f.name: f.type for f in dataclasses.fields(cls)}
        out = []
        for row in rows:
            row = dict(row)
            for key in ("start", "end"):
                if key in row and isinstance(row[key], str):
                    row[key] = dt.date.fromisoformat(row[key])
            out.append(cls(**{k: v for k, v in row.items() if k in fields}))
        return tuple(out)

    return RotationPlan(school_year=data["school_year"], term=data.get("term"),
                        postings=build(Posting, data.get("postings", [])),
                        mentoring=build(MentorPair, data.get("mentoring", [])),
                        leader_exchanges=build(LeaderExchange, data.get("leader_exchanges", [])),
                        principal_months=build(PrincipalMonth, data.get("principal_months", [])),
                        part_time=build(PartTimePosting, data.get("part_time", [])))


def cluster_ids(url: str | None = None) -> list[str]:
    """Every cluster of the district, in id order."""
    from sqlalchemy import select

    from models import Cluster

    with session_scope(url) as session:
        return list(session.scalars(select(Cluster.cluster_id).order_by(Cluster.cluster_id)))


# --- the steps ---

@dataclass
class RotationCase:
    """What one planning run works on: the cluster's facts, the policy in force, the plan it revises."""

    scope: str
    school_year: int
    term: int | None
    cluster_id: str | None
    policy: ResolvedPolicy
    data: RotationInput
    parent_id: int | None
    previous: RotationPlan | None

    @property
    def rules(self) -> RotationPolicy:
        return self.policy.policy


def latest_plan(session, scope: str) -> tuple[int | None, RotationPlan | None]:
    """The latest stored plan of this scope, to revise rather than replace."""
    from sqlalchemy import select

    from models import Plan

    row = session.scalars(select(Plan).where(Plan.kind == "rotation", Plan.scope == scope)
                          .order_by(Plan.version.desc()).limit(1)).first()
    if row is None or "plan" not in (row.summary or {}):
        return None, None
    return row.plan_id, plan_from_json(row.summary["plan"])


def load_case(school_year: int, term: int | None, cluster_id: str | None, *, policy_file: str | None = None,
              url: str | None = None, pins: list[dict] | None = None, forbids: list[dict] | None = None,
              revise: bool = True, resolved: ResolvedPolicy | None = None) -> RotationCase:
    """The cluster's tables, the policy in force (app.policies) and the latest plan, in one read.
    `resolved` replaces the policy in force (a stored version chosen for a what-if run)."""
    from models.bundles import export_tables

    scope = plan_scope(school_year, term, cluster_id)
    with session_scope(url) as session:
        tables = export_tables(session, ROTATION_TABLES)
        policy = resolved or resolve_in(session, "rotation", cluster_id=cluster_id, school_year=school_year,
                                        term=term, override=policy_file)
        parent_id, previous = latest_plan(session, scope) if revise else (None, None)
    data = rotation_input_from_tables(tables, school_year, cluster_id, policy.policy, term=term,
                                      pins=[Pin(**p) for p in pins or []], forbids=[Forbid(**f) for f in forbids or []],
                                      previous=previous)
    return RotationCase(scope, school_year, term, cluster_id, policy, data, parent_id, previous)


def solve_case(case: RotationCase, time_limit_s: float, lang: str) -> RotationResult:
    """The CP-SAT roster, with explanations when the policy cannot be met."""
    return solve(case.data, case.rules, time_limit_s=time_limit_s, num_workers=NUM_WORKERS, previous=case.previous,
                 lang=lang)


def check_roster(case: RotationCase, result: RotationResult) -> list[str]:
    """Independent check of the roster against the policy (not the model's own constraints). A
    best-effort roster breaks rules on purpose: only what its explanations do not name is reported."""
    return [str(v) for v in unexplained_violations(result, validate_roster(case.data, case.rules, result.plan))]


def measure_attainment(case: RotationCase, result: RotationResult,
                       time_limit_s: float) -> tuple[Attainment, Attainment | None]:
    """What the roster reaches; for a best-effort roster also the most the hard rules allow."""
    reached = attainment(result, case.data, case.rules)
    ceiling = None
    if result.relaxed:
        ceiling = hard_rule_ceilings(case.data, case.rules, time_limit_s=max(2.0, time_limit_s / 3),
                                     num_workers=NUM_WORKERS)
    return reached, ceiling


def store_plan(case: RotationCase, result: RotationResult, actor: str, url: str | None = None, *,
               status: str = "draft", summary_extra: dict | None = None) -> tuple[int, int]:
    """A new plan version with its assignments, linked to the policy version in force (audited). The
    policy's text is kept with the plan; a stored policy is never written here (only `policy edit` does).
    `status` and `summary_extra` mark a what-if run (app.scenarios)."""
    from sqlalchemy import func, select

    from models import Plan, RotationAssignment

    rows = rotation_frame(result).to_dict("records")
    with session_scope(url) as session:
        session.info["actor"] = actor
        version = (session.scalar(select(func.max(Plan.version)).where(Plan.kind == "rotation",
                                                                        Plan.scope == case.scope)) or 0) + 1
        plan = Plan(kind="rotation", scope=case.scope, version=version, school_year=case.school_year, term=case.term,
                    cluster_id=case.cluster_id, policy_set_id=case.policy.policy_set_id, status=status,
                    policy_content=case.policy.text, created_by=actor, solver_status=result.status,
                    objective=result.objective, bound=result.bound, parent_plan_id=case.parent_id,
                    summary={"plan": plan_to_json(result.plan), "changed": result.changed,
                             "policy": case.policy.record(),
                             "explanations": [e.text("zh") for e in result.explanations],
                             "shortfalls": [s.message("zh") for s in result.shortfalls],
                             "explained": explained_json(result)} | (summary_extra or {}))
        plan.rotations = [RotationAssignment(seq=n, **_assignment(row)) for n, row in enumerate(rows, start=1)]
        session.add(plan)
        session.flush()
        return plan.plan_id, version


def explained_json(result: RotationResult) -> list[dict]:
    """The explanations and shortfalls with what they are about (rule, school or pair, policy key) and
    both languages, so a reader can put each one beside the number it explains (the console's roster)."""
    return ([{"code": e.code, "scope": e.scope, "policy_key": e.policy_key, "zh": e.text("zh"), "en": e.text("en")}
             for e in result.explanations]
            + [{"code": "unfilled_post", "scope": s.school_id, "policy_key": "", "zh": s.message("zh"),
                "en": s.message("en")} for s in result.shortfalls])


def _assignment(row: dict) -> dict:
    def clean(value):
        return None if value is None or (isinstance(value, float) and pd.isna(value)) or value == "" else value

    weekday = clean(row.get("weekday"))
    hours = clean(row.get("hours_per_week"))
    return {"teacher_id": row["teacher_id"], "from_school_id": row["from_school_id"],
            "to_school_id": row["to_school_id"], "kind": row["kind"], "direction": row["direction"],
            "start": str(row["start"]) if clean(row.get("start")) else None,
            "end": str(row["end"]) if clean(row.get("end")) else None, "backbone": bool(row["backbone"]),
            "distance_km": float(row["distance_km"]), "subsidy_yuan_per_month": float(row["subsidy_yuan_per_month"]),
            "mentor_of": clean(row.get("mentor_of")), "weekday": int(weekday) if weekday is not None else None,
            "hours_per_week": float(hours) if hours is not None else None}


def roster_summary(case: RotationCase, result: RotationResult, lang: str, reached: Attainment | None = None,
                   ceiling: Attainment | None = None) -> str:
    """The summary a cluster office reads (rotation_summary.md), ending with the policy that produced it."""
    return (summary_markdown(result, case.data, case.rules, lang=lang, reached=reached, ceiling=ceiling).rstrip()
            + f"\n\n{case.policy.describe(lang)}\n")


def export_plan(case: RotationCase, result: RotationResult, out_dir: str | Path, lang: str,
                reached: Attainment | None = None, ceiling: Attainment | None = None) -> list[str]:
    """rotation.csv, the per-school Excel rosters, the summary table, the explanations (every
    shortfall: who, where, how many, the key to change) and the attainment table — always, a
    best-effort roster included."""
    data, policy = case.data, case.rules
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_rotation_csv(result, out / "rotation.csv"),
             write_school_rosters_xlsx(result, data, out / "rotation_rosters.xlsx", lang=lang)]
    summary = summary_frame(result, data, policy, lang=lang)
    safe_frame(summary).to_csv(out / "rotation_summary.csv", index=False, encoding="utf-8-sig")
    files.append(out / "rotation_summary.csv")
    (out / "rotation_summary.md").write_text(roster_summary(case, result, lang, reached, ceiling), encoding="utf-8")
    files.append(out / "rotation_summary.md")
    lines = [e.text(lang) for e in result.explanations] + [s.message(lang) for s in result.shortfalls]
    (out / "rotation_explanations.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    files.append(out / "rotation_explanations.txt")
    if reached is not None:
        attainment_frame(reached, data, ceiling, lang=lang).to_csv(out / "rotation_attainment.csv", index=False,
                                                                   encoding="utf-8-sig")
        files.append(out / "rotation_attainment.csv")
    return [str(f) for f in files]


# --- the use cases ---

def plan_rotation(school_year: int = 2026, term: int | None = 1, cluster_id: str | None = None, *,
                  policy_file: str | None = None, url: str | None = None, out_dir: str | Path = "out/term",
                  lang: str = "zh", time_limit_s: float = 30.0, pins: list[dict] | None = None,
                  forbids: list[dict] | None = None, actor: str = "term-schedule") -> TermScheduleResult:
    """The exchange roster, leaders' days and principals' months for a term, stored and exported."""
    url = database_url(url)
    case = load_case(school_year, term, cluster_id, policy_file=policy_file, url=url, pins=pins, forbids=forbids)
    result = solve_case(case, time_limit_s, lang)
    violations = check_roster(case, result)
    reached, ceiling = measure_attainment(case, result, time_limit_s)
    plan_id, version = store_plan(case, result, actor, url)
    files = export_plan(case, result, out_dir, lang, reached, ceiling)
    summary = roster_summary(case, result, lang, reached, ceiling)
    allow = f"；{'硬性规则允许' if lang == 'zh' else 'hard rules allow'} {ceiling.line(lang)}" if ceiling else ""
    return TermScheduleResult(scope=case.scope, status=result.status, plan_id=plan_id, version=version,
                              postings=len(result.plan.postings), leader_exchanges=len(result.plan.leader_exchanges),
                              violations=violations, explanations=[e.text(lang) for e in result.explanations],
                              changed=result.changed, files=files, summary=summary, relaxed=result.relaxed,
                              attainment=reached.line(lang) + allow, policy=case.policy.describe(lang),
                              summary_table=summary_frame(result, case.data, case.rules, lang=lang))


@dataclass
class RotationExplanation:
    status: str
    relaxed: bool
    postings: int
    attainment: str
    explanations: list[str]
    shortfalls: list[str]
    policy: str


def explain_rotation(school_year: int, term: int | None, cluster_id: str | None, *, policy_file: str | None = None,
                     url: str | None = None, lang: str = "zh", time_limit_s: float = 30.0) -> RotationExplanation:
    """Why the policy in force cannot be met (rules in conflict, with numbers and what to loosen), or that it can."""
    case = load_case(school_year, term, cluster_id, policy_file=policy_file, url=url, revise=False)
    result = solve(case.data, case.rules, time_limit_s=time_limit_s, num_workers=NUM_WORKERS, lang=lang)
    return RotationExplanation(result.status, result.relaxed, len(result.plan.postings),
                               attainment(result, case.data, case.rules).line(lang),
                               [e.text(lang) for e in result.explanations],
                               [s.message(lang) for s in result.shortfalls], case.policy.describe(lang))


# --- the current roster as a person reads it (the web console's roster page) ---

@dataclass(frozen=True)
class RosterRow:
    teacher_id: str
    teacher_name: str
    subject: str | None
    from_school_id: str
    from_school_name: str
    to_school_id: str
    to_school_name: str
    kind: str  # teacher, leader, principal, part_time
    direction: str  # support (支教), learn (跟岗)
    backbone: bool
    distance_km: float
    subsidy_yuan_per_month: float
    start: str | None
    end: str | None
    weekday: int | None
    hours_per_week: float | None


@dataclass(frozen=True)
class RosterView:
    scope: str
    school_year: int
    term: int | None
    cluster_id: str | None
    cluster_name: str | None
    version: int
    created_by: str
    created_at: dt.datetime
    solver_status: str | None
    rows: tuple[RosterRow, ...]
    # what the policy asked and the roster could not give (stored in Chinese when the plan was made);
    # non-empty for a best-effort roster (尽力方案)
    shortfalls: tuple[str, ...] = ()


def roster_view(school_year: int, term: int | None, cluster_id: str | None, *,
                url: str | None = None, version: int | None = None) -> RosterView | None:
    """The current roster of a cluster and term (the latest stored version of its scope; what-if runs
    are not it), or the given earlier `version`, with teachers and schools by name; None when none is
    stored. A teacher or school no longer in the district reads as its id."""
    from sqlalchemy import select

    from models import Cluster, Plan, School, Teacher
    from models.scenarios import current_plan

    scope = plan_scope(school_year, term, cluster_id)
    with session_scope(url) as session:
        plan = (current_plan(session, "rotation", scope) if version is None else session.scalars(
            select(Plan).where(Plan.kind == "rotation", Plan.scope == scope, Plan.version == version)).first())
        if plan is None:
            return None
        assignments = sorted(plan.rotations, key=lambda a: a.seq)
        teacher_ids = {a.teacher_id for a in assignments}
        teachers = {t.teacher_id: t for t in session.scalars(select(Teacher).where(Teacher.teacher_id.in_(teacher_ids)))}
        schools = {s.school_id: s.name for s in session.scalars(select(School))}
        cluster = session.get(Cluster, cluster_id) if cluster_id else None
        rows = tuple(RosterRow(
            a.teacher_id, teachers[a.teacher_id].name if a.teacher_id in teachers else a.teacher_id,
            teachers[a.teacher_id].subject if a.teacher_id in teachers else None,
            a.from_school_id, schools.get(a.from_school_id, a.from_school_id),
            a.to_school_id, schools.get(a.to_school_id, a.to_school_id), a.kind, a.direction, a.backbone,
            a.distance_km, a.subsidy_yuan_per_month, a.start, a.end, a.weekday, a.hours_per_week)
            for a in assignments)
        summary = plan.summary or {}
        return RosterView(scope, school_year, term, cluster_id, cluster.name if cluster else None, plan.version,
                          plan.created_by, plan.created_at, plan.solver_status, rows,
                          tuple(summary.get("explanations", [])) + tuple(summary.get("shortfalls", [])))


def stored_roster_scopes(url: str | None = None) -> list[tuple[int, int | None, str | None]]:
    """(school year, term, cluster) of every stored current roster, newest term first (what-if runs excluded)."""
    from sqlalchemy import select

    from models import Plan
    from models.scenarios import SEPARATOR

    with session_scope(url) as session:
        found = set(session.execute(select(Plan.school_year, Plan.term, Plan.cluster_id)
                                    .where(Plan.kind == "rotation", ~Plan.scope.contains(SEPARATOR))).all())
    return sorted(((y, t, c) for y, t, c in found if y is not None),
                  key=lambda k: (-k[0], -(k[1] or 0), k[2] or ""))


# --- how far the current roster reaches its policy, school by school (the console's roster page) ---

@dataclass(frozen=True)
class SchoolAttainment:
    """One school of the cluster: its 10% rule (when it carries it) and the posts it asked, as reached,
    with the explanations (in the reader's language) that are about this school."""

    school_id: str
    school_name: str
    quota_school: bool  # carries the rotation quota (quota.sender_tiers / sender_localities)
    eligible: int  # teachers eligible to rotate under the plan's policy
    required: int  # ⌈quota.min_fraction × eligible⌉ for a quota school, else 0
    made: int  # required rotations made (at most `required`)
    rotating_out: int
    backbone_out: int
    posts: int  # posts asked in needs.csv
    posts_filled: int
    explanations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterAttainment:
    version: int
    policy: str  # which policy the roster was made under, as a person reads it
    min_fraction: float
    backbone_min_share: float
    sender_tiers: tuple[str, ...]
    sender_localities: tuple[str, ...]
    required_rotations: int
    rotations_made: int
    posts: int
    posts_filled: int
    backbone_rotating: int
    rotating: int
    schools: tuple[SchoolAttainment, ...]
    explanations: tuple[str, ...] = ()  # about no single school (the cluster, a pair, a teacher)


def _school_of_scope(scope: str, schools: set[str]) -> str | None:
    """The school an explanation is about: its scope, or the first part of `school/subject/grade`,
    `mentor@school`; None for a pair, a teacher or the cluster."""
    for candidate in (scope, scope.split("/", 1)[0], scope.rsplit("@", 1)[-1]):
        if candidate in schools:
            return candidate
    return None


def roster_attainment(school_year: int, term: int | None, cluster_id: str | None, *, url: str | None = None,
                      lang: str = "zh") -> RosterAttainment | None:
    """The current roster's attainment (scheduling.rotation.attainment) under the policy it was made
    with, per school, against the cluster's facts as they are now; each stored explanation beside the
    school it is about. None when no roster is stored."""
    from app.scenarios import _plan_policy
    from models.scenarios import current_plan
    from scheduling.rotation.rules import is_eligible, is_quota_sender

    url = database_url(url)
    scope = plan_scope(school_year, term, cluster_id)
    with session_scope(url) as session:
        row = current_plan(session, "rotation", scope)
        if row is None or "plan" not in (row.summary or {}):
            return None
        plan, summary, version = plan_from_json(row.summary["plan"]), dict(row.summary), row.version
        in_force = resolve_in(session, "rotation", cluster_id=cluster_id, school_year=school_year, term=term)
        policy = _plan_policy("rotation", row, in_force)
    case = load_case(school_year, term, cluster_id, url=url, revise=False, resolved=policy)
    rules, data = case.rules, case.data
    reached = attainment(plan, data, rules)
    ids = {s.school_id for s in data.schools if cluster_id is None or s.cluster_id == cluster_id}
    about: dict[str | None, list[str]] = {}
    for item in summary.get("explained", []):
        about.setdefault(_school_of_scope(item.get("scope") or "", ids), []).append(item["en" if lang == "en" else "zh"])
    filled = Counter((p.to_school_id, p.subject, p.grade) for p in plan.postings)
    schools = []
    for s in sorted((s for s in data.schools if s.school_id in ids), key=lambda s: (not s.is_lead, s.school_id)):
        out = [p for p in plan.postings if p.from_school_id == s.school_id]
        made, required = reached.quota_by_school.get(s.school_id, (0, 0))
        schools.append(SchoolAttainment(
            s.school_id, s.name, is_quota_sender(s, rules),
            sum(1 for t in data.teachers if t.school_id == s.school_id and is_eligible(t, school_year, rules)),
            required, made, len(out), sum(1 for p in out if p.backbone),  # backbone as the policy counts it
            sum(n.posts for n in data.needs if n.school_id == s.school_id),
            sum(min(filled[(n.school_id, n.subject, n.grade)], n.posts) for n in data.needs
                if n.school_id == s.school_id),
            tuple(about.get(s.school_id, []))))
    return RosterAttainment(version, policy.describe(lang), rules.quota.min_fraction, rules.quota.backbone_min_share,
                            tuple(rules.quota.sender_tiers), tuple(rules.quota.sender_localities),
                            reached.required_rotations, reached.rotations_made, reached.posts, reached.posts_filled,
                            reached.backbone_rotating, reached.rotating, tuple(schools), tuple(about.get(None, [])))
