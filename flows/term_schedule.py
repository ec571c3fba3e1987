"""The term schedule (学期排班), run by the cluster office before each term or school year.

load → rotation roster and leaders' exchange days → validate → store a versioned plan → export →
artifacts. Re-running after a change (a teacher falls ill, a need changes) revises the latest
plan of the same scope: every other assignment is kept unless the policy cannot be met otherwise.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import flow, task

from bundle.cells import safe_frame
from flows.common import IO_RETRIES, load_tables, log, publish_markdown, publish_table, resolved_url
from models.db import session_scope
from scheduling.rotation import (Forbid, LeaderExchange, MentorPair, PartTimePosting, Pin, Posting, PrincipalMonth,
                                 RotationInput, RotationPlan, RotationPolicy, RotationResult,
                                 plan_rotation, rotation_input_from_tables)
from scheduling.rotation.attainment import Attainment, attainment, attainment_frame, hard_rule_ceilings
from scheduling.rotation.validate import unexplained_violations, validate_roster
from scheduling.rotation.writers import (rotation_frame, summary_frame, summary_markdown, write_rotation_csv,
                                         write_school_rosters_xlsx)

ROTATION_TABLES = ["schools", "teachers", "classes", "class_teachers", "needs", "distances"]


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


# --- tasks ---

@task
def read_policy(policy_file: str | None) -> tuple[RotationPolicy, str]:
    """The policy and its text (the repository's defaults when no file is given)."""
    from domain.policy import PolicyError, read_toml
    from scheduling.rotation import DEFAULT_POLICY_PATH, RotationPolicy

    path = Path(policy_file) if policy_file else Path(DEFAULT_POLICY_PATH)
    data, text = read_toml(path)  # a missing, GBK or broken file: a PolicyError naming it
    try:
        return RotationPolicy.from_dict(data), text
    except PolicyError as error:
        raise error.in_file(path) from None


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def latest_plan(url: str, scope: str) -> tuple[int | None, RotationPlan | None]:
    """The latest stored plan of this scope, to revise rather than replace."""
    from sqlalchemy import select

    from models import Plan

    with session_scope(url) as session:
        row = session.scalars(select(Plan).where(Plan.kind == "rotation", Plan.scope == scope)
                              .order_by(Plan.version.desc()).limit(1)).first()
        if row is None or "plan" not in (row.summary or {}):
            return None, None
        return row.plan_id, plan_from_json(row.summary["plan"])


@task
def solve_rotation(data: RotationInput, policy: RotationPolicy, time_limit_s: float, lang: str,
                   previous: RotationPlan | None) -> RotationResult:
    """The CP-SAT roster (2 workers), with explanations when the policy cannot be met."""
    return plan_rotation(data, policy, time_limit_s=time_limit_s, num_workers=2, previous=previous, lang=lang)


@task
def check_roster(data: RotationInput, policy: RotationPolicy, result: RotationResult) -> list[str]:
    """Independent check of the roster against the policy (not the model's own constraints). A
    best-effort roster breaks rules on purpose: only what its explanations do not name is reported."""
    return [str(v) for v in unexplained_violations(result, validate_roster(data, policy, result.plan))]


@task
def measure_attainment(data: RotationInput, policy: RotationPolicy, result: RotationResult,
                       time_limit_s: float) -> tuple[Attainment, Attainment | None]:
    """What the roster reaches; for a best-effort roster also the most the hard rules allow."""
    reached = attainment(result, data, policy)
    ceiling = None
    if result.relaxed:
        ceiling = hard_rule_ceilings(data, policy, time_limit_s=max(2.0, time_limit_s / 3), num_workers=2)
    return reached, ceiling


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def store_plan(url: str, scope: str, school_year: int, term: int | None, cluster_id: str | None,
               result: RotationResult, policy_text: str, parent_id: int | None, actor: str) -> tuple[int, int]:
    """A new plan version with its assignments, under the policy version it used (audited)."""
    from sqlalchemy import func, select

    from models import Plan, PolicySet, RotationAssignment

    rows = rotation_frame(result).to_dict("records")
    with session_scope(url) as session:
        session.info["actor"] = actor
        policy_scope = cluster_id or "district"
        policy = session.scalars(select(PolicySet).where(
            PolicySet.scope == policy_scope, PolicySet.school_year == school_year, PolicySet.term == term)
            .order_by(PolicySet.version.desc()).limit(1)).first()
        if policy is None or policy.content != policy_text:
            policy = PolicySet(scope=policy_scope, school_year=school_year, term=term,
                               version=(policy.version + 1) if policy else 1, content=policy_text, created_by=actor)
            session.add(policy)
            session.flush()
        version = (session.scalar(select(func.max(Plan.version)).where(Plan.kind == "rotation",
                                                                        Plan.scope == scope)) or 0) + 1
        plan = Plan(kind="rotation", scope=scope, version=version, school_year=school_year, term=term,
                    cluster_id=cluster_id, policy_set_id=policy.policy_set_id, policy_content=policy_text,
                    created_by=actor, solver_status=result.status, objective=result.objective, bound=result.bound,
                    parent_plan_id=parent_id,
                    summary={"plan": plan_to_json(result.plan), "changed": result.changed,
                             "explanations": [e.text("zh") for e in result.explanations],
                             "shortfalls": [s.message("zh") for s in result.shortfalls]})
        plan.rotations = [RotationAssignment(seq=n, **_assignment(row)) for n, row in enumerate(rows, start=1)]
        session.add(plan)
        session.flush()
        return plan.plan_id, version


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


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def export_plan(result: RotationResult, data: RotationInput, policy: RotationPolicy, out_dir: str,
                lang: str, reached: Attainment | None = None, ceiling: Attainment | None = None) -> list[str]:
    """rotation.csv, the per-school Excel rosters, the summary table, the explanations (every
    shortfall: who, where, how many, the key to change) and the attainment table — always, a
    best-effort roster included."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_rotation_csv(result, out / "rotation.csv"),
             write_school_rosters_xlsx(result, data, out / "rotation_rosters.xlsx", lang=lang)]
    summary = summary_frame(result, data, policy, lang=lang)
    safe_frame(summary).to_csv(out / "rotation_summary.csv", index=False, encoding="utf-8-sig")
    files.append(out / "rotation_summary.csv")
    (out / "rotation_summary.md").write_text(summary_markdown(result, data, policy, lang=lang, reached=reached,
                                                              ceiling=ceiling), encoding="utf-8")
    files.append(out / "rotation_summary.md")
    lines = [e.text(lang) for e in result.explanations] + [s.message(lang) for s in result.shortfalls]
    (out / "rotation_explanations.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    files.append(out / "rotation_explanations.txt")
    if reached is not None:
        attainment_frame(reached, data, ceiling, lang=lang).to_csv(out / "rotation_attainment.csv", index=False,
                                                                   encoding="utf-8-sig")
        files.append(out / "rotation_attainment.csv")
    return [str(f) for f in files]


@flow(name="term-schedule", log_prints=True)
def term_schedule(school_year: int = 2026, term: int | None = 1, cluster_id: str | None = None,
                  policy_file: str | None = None, db_url: str | None = None, out_dir: str = "out/term",
                  lang: str = "zh", time_limit_s: float = 30.0, pins: list[dict] | None = None,
                  forbids: list[dict] | None = None, actor: str = "term-schedule") -> TermScheduleResult:
    """The exchange roster, leaders' days and principals' months for a term, stored and exported."""
    url = resolved_url(db_url)
    scope = plan_scope(school_year, term, cluster_id)
    tables = load_tables(url, ROTATION_TABLES)
    policy, policy_text = read_policy(policy_file)
    parent_id, previous = latest_plan(url, scope)
    data = rotation_input_from_tables(tables, school_year, cluster_id, policy, term=term,
                                      pins=[Pin(**p) for p in pins or []], forbids=[Forbid(**f) for f in forbids or []],
                                      previous=previous)
    result = solve_rotation(data, policy, time_limit_s, lang, previous)
    violations = check_roster(data, policy, result)
    reached, ceiling = measure_attainment(data, policy, result, time_limit_s)
    plan_id, version = store_plan(url, scope, school_year, term, cluster_id, result, policy_text, parent_id, actor)
    files = export_plan(result, data, policy, out_dir, lang, reached, ceiling)
    summary = summary_markdown(result, data, policy, lang=lang, reached=reached, ceiling=ceiling)
    publish_markdown(f"rotation-{scope}", summary, f"轮岗名单 rotation roster {scope} v{version}")
    publish_table(f"rotation-summary-{scope}", summary_frame(result, data, policy, lang=lang))
    log(f"rotation {scope} v{version}: {result.status}, {len(result.plan.postings)} postings, "
        f"{len(result.plan.leader_exchanges)} leader exchanges, changed {result.changed}")
    return TermScheduleResult(scope=scope, status=result.status, plan_id=plan_id, version=version,
                              postings=len(result.plan.postings), leader_exchanges=len(result.plan.leader_exchanges),
                              violations=violations, explanations=[e.text(lang) for e in result.explanations],
                              changed=result.changed, files=files, summary=summary, relaxed=result.relaxed,
                              attainment=reached.line(lang) + (f"；{'硬性规则允许' if lang == 'zh' else 'hard rules allow'} "
                                                               f"{ceiling.line(lang)}" if ceiling else ""))
