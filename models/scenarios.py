"""What-if runs (情景方案) as stored: a plan made under a named scenario that is kept but is not current.

A scenario's plan is a `Plan` row of the same kind, with `status = "scenario"`, its name in
`summary["scenario"]`, and a scope of its own: the current plan's scope followed by `#whatif:NAME`.
Every reader of the current plan (`rotation plan` revising the latest version, `invigilation
pin|forbid|repair`, the exam season) selects by the plan's own scope, so a scenario can never be taken
for the current plan, and no reader had to learn a new filter. Rerunning a scenario stores the next
version of its scope; the latest one is what `compare` and `adopt` see.

Adoption copies the scenario's plan, rows and all, as the next version of the current scope (so the
current plan is always the latest version of its scope, as before); the old current stays as history
and the scenario row is marked `adopted`. The audit log (models.audit) records both rows and an
`adopt` entry naming the scenario, by `session.info["actor"]`.
"""
from __future__ import annotations

import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import record
from models.plans import InvigilationAssignment, Plan, RotationAssignment

SCENARIO = "scenario"  # a what-if plan, never current
ADOPTED = "adopted"  # a what-if plan that was copied as the current version
SEPARATOR = "#whatif:"
MAX_NAME = 40  # the scope column holds 128 characters: an exam id (≤ 64) + the separator + the name


class ScenarioNameError(ValueError):
    """A name that cannot be a scenario's (empty, too long, a control character, the separator)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def line(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"情景名称 {self.name!r} 不可用：须为 1–{MAX_NAME} 个字符，不含控制字符和 “#”"
        return f"scenario name {self.name!r} cannot be used: 1–{MAX_NAME} characters, no control characters, no '#'"


def checked_name(name: str) -> str:
    """The scenario name as stored (surrounding blanks removed), or ScenarioNameError."""
    cleaned = (name or "").strip()
    if (not cleaned or len(cleaned) > MAX_NAME or "#" in cleaned
            or any(unicodedata.category(ch).startswith("C") for ch in cleaned)):
        raise ScenarioNameError(name)
    return cleaned


def scenario_scope(base_scope: str, name: str) -> str:
    """The scope a scenario's plans are stored under, e.g. `2026-1:C1#whatif:宽松距离`."""
    return f"{base_scope}{SEPARATOR}{checked_name(name)}"


def base_scope_of(scope: str) -> str:
    return scope.split(SEPARATOR, 1)[0]


def name_of(plan: Plan) -> str:
    return (plan.summary or {}).get("scenario", {}).get("name") or plan.scope.split(SEPARATOR, 1)[-1]


def next_version(session: Session, kind: str, scope: str) -> int:
    return (session.scalar(select(func.max(Plan.version)).where(Plan.kind == kind, Plan.scope == scope)) or 0) + 1


def current_plan(session: Session, kind: str, scope: str) -> Plan | None:
    """The current plan: the latest version of the scope (what every planner revises)."""
    return session.scalars(select(Plan).where(Plan.kind == kind, Plan.scope == scope)
                           .order_by(Plan.version.desc()).limit(1)).first()


def scenario_plan(session: Session, kind: str, base_scope: str, name: str) -> Plan | None:
    """The latest run of the named scenario of this scope; None if it was never run."""
    return current_plan(session, kind, scenario_scope(base_scope, name))


def scenario_plans(session: Session, kind: str, base_scope: str, *, include_adopted: bool = False) -> list[Plan]:
    """The latest run of every scenario of this scope, oldest scenario first; adopted ones only if asked."""
    rows = session.scalars(select(Plan).where(Plan.kind == kind,
                                              Plan.scope.startswith(base_scope + SEPARATOR, autoescape=True))
                           .order_by(Plan.plan_id)).all()
    latest: dict[str, Plan] = {}  # in the order the scenarios were first run
    for row in rows:  # versions grow with plan ids: the last row of a scope is its latest run
        latest[row.scope] = row
    return [p for p in latest.values() if include_adopted or p.status == SCENARIO]


def scopes_with_scenario(session: Session, kind: str, name: str) -> list[str]:
    """The current scopes that have a scenario of this name (to find it when no scope is given)."""
    suffix = SEPARATOR + checked_name(name)
    return sorted({base_scope_of(s) for s in session.scalars(
        select(Plan.scope).where(Plan.kind == kind, Plan.scope.endswith(suffix, autoescape=True)))})


def scopes_with_scenarios(session: Session, kind: str) -> list[str]:
    """Every current scope that has at least one scenario not yet adopted."""
    return sorted({base_scope_of(s) for s in session.scalars(
        select(Plan.scope).where(Plan.kind == kind, Plan.status == SCENARIO,
                                 Plan.scope.contains(SEPARATOR, autoescape=True)))})


_ROWS = {"rotation": ("rotations", RotationAssignment), "invigilation": ("invigilations", InvigilationAssignment)}


def adopt_plan(session: Session, scenario: Plan, *, actor: str) -> Plan:
    """Copy a scenario's plan as the next version of its current scope (audited); return the new row.

    The new version revises the plan that was current (`parent_plan_id`), keeps the scenario's
    policy link, solver figures and summary, and says where it came from in `summary["adopted_from"]`."""
    attribute, model = _ROWS[scenario.kind]
    base = base_scope_of(scenario.scope)
    replaced = current_plan(session, scenario.kind, base)
    summary = {k: v for k, v in (scenario.summary or {}).items() if k != "scenario"}
    summary["adopted_from"] = {"scenario": name_of(scenario), "plan_id": scenario.plan_id,
                               "scenario_version": scenario.version, "by": actor,
                               "replaced_version": replaced.version if replaced else None}
    adopted = Plan(kind=scenario.kind, scope=base, version=next_version(session, scenario.kind, base),
                   school_year=scenario.school_year, term=scenario.term, cluster_id=scenario.cluster_id,
                   exam_id=scenario.exam_id, policy_set_id=scenario.policy_set_id,
                   policy_content=scenario.policy_content, created_by=actor, solver_status=scenario.solver_status,
                   objective=scenario.objective, bound=scenario.bound, summary=summary,
                   parent_plan_id=replaced.plan_id if replaced else None)
    columns = [c.key for c in model.__table__.columns if c.key != "plan_id"]
    setattr(adopted, attribute, [model(**{c: getattr(row, c) for c in columns})
                                 for row in sorted(getattr(scenario, attribute), key=lambda r: r.seq)])
    session.add(adopted)
    scenario.status = ADOPTED  # its summary stays as it was: the audit entry holds only the status change
    session.flush()
    record(session, "adopt", "plan", f"{adopted.kind}:{base}:v{adopted.version}",
           {"scenario": name_of(scenario), "scenario_plan_id": scenario.plan_id, "plan_id": adopted.plan_id,
            "replaced_plan_id": replaced.plan_id if replaced else None})
    return adopted
