"""Joint-exam logistics (联考监考与阅卷安排) for the research office: invigilation and marking plans,
stored and exported, and the invigilation replans (pin, forbid, repair).

`plan_logistics` is the use case the `exam-logistics` flow runs as a task and `xuequ invigilation
plan` runs in-process (no Prefect server). The marking plan decides the item groups (题组) of
pipeline marking; they are written onto the locked papers' items, so the marking queue hands out
exactly the groups the markers were given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from pathlib import Path

from sqlalchemy import func, select

from app.exam_context import exam_context
from app.policies import ResolvedPolicy, resolve_exam_policy
from app.stages import StageOutcome
from domain.labels import label
from models.bundles import export_tables
from models.db import database_url, session_scope
from scheduling.exam_logistics import (InvigilationInput, InvigilationResult, MarkingInput, MarkingResult,
                                       invigilation_frame, invigilation_input_from_tables,
                                       marking_frame, marking_input_from_tables, plan_invigilation, plan_marking,
                                       validate_invigilation, validate_marking, write_invigilation_csv,
                                       write_invigilation_notices_xlsx, write_marking_csv, write_marking_notices_xlsx,
                                       write_room_sheets_xlsx)
from scheduling.exam_logistics.marking_explain import best_effort_lines, relaxation_records, write_shortfalls_csv
from scheduling.exam_logistics.policy import InvigilationPolicy, MarkingPolicy as MarkingPlanPolicy

LOGISTICS_TABLES = ["schools", "teachers", "rooms", "classes", "class_teachers", "students", "exam_sessions",
                    "unavailability", "items", "item_usage", "distances"]


def plan_exam_invigilation(tables: dict, exam_id: str, time_limit_s: float,
                           policy: InvigilationPolicy) -> tuple[InvigilationInput, InvigilationResult, list[str]]:
    """Invigilators for every room and session (CP-SAT, 2 workers), checked by the independent validator."""
    data = invigilation_input_from_tables(tables, exam_id, policy)
    result = plan_invigilation(data, policy, time_limit_s=time_limit_s, num_workers=2)
    violations = [str(v) for v in validate_invigilation(data, policy, result.assignments,
                                                        relaxations=result.relaxations)] if result.ok else []
    return data, result, violations


def plan_exam_marking(tables: dict, exam_id: str, time_limit_s: float,
                      policy: MarkingPlanPolicy) -> tuple[MarkingInput, MarkingResult, list[str]]:
    """Marker groups for every subjective item group (CP-SAT, 2 workers), checked by the validator."""
    data = marking_input_from_tables(tables, exam_id, policy)
    # a subject short of markers or leaders gets a best-effort group (policy best_effort): never a refusal
    # that would discard the other subjects' groups and the invigilation plan
    result = plan_marking(data, policy, time_limit_s=time_limit_s, num_workers=2)
    violations = [str(v) for v in validate_marking(data, policy, result.assignments,
                                                   relaxations=result.relaxations)] if result.ok else []
    return data, result, violations


def store_logistics(url: str, exam_id: str, invigilation: InvigilationResult | None, marking: MarkingResult | None,
                    groups: dict[str, str], actor: str, marking_relaxations: list[dict] | None = None,
                    policy: ResolvedPolicy | None = None) -> dict[str, int]:
    """The plans that exist as new versions (audited), and the item groups onto the locked papers' items.
    Either plan may be None: the invigilation plan is stored whatever the marking groups' outcome."""
    from models import InvigilationAssignment, MarkingAssignment, Paper, PaperItem, Plan

    versions = {}
    plans: list[tuple[str, Any, Any, Any]] = [
        ("invigilation", invigilation, invigilation_frame, InvigilationAssignment),
        ("marking", marking, marking_frame, MarkingAssignment)]  # the two kinds differ only in these
    with session_scope(url) as session:
        session.info["actor"] = actor
        for kind, result, frame, model in plans:
            if result is None:
                continue
            rows = frame(result)
            version = (session.scalar(select(func.max(Plan.version)).where(Plan.kind == kind, Plan.scope == exam_id))
                       or 0) + 1
            summary: dict[str, Any] = {"explanations": [e.zh for e in result.explanations]}
            if policy is not None:
                summary["policy"] = policy.record()
            if kind == "marking":  # a best-effort plan keeps what it relaxed, group by group
                summary |= {"best_effort": bool(marking_relaxations), "relaxations": marking_relaxations or []}
            if kind == "invigilation":
                summary.update(invigilation_summary(result))
            plan = Plan(kind=kind, scope=exam_id, version=version, exam_id=exam_id, created_by=actor,
                        solver_status=result.status, summary=summary,
                        policy_set_id=policy.policy_set_id if policy else None,
                        policy_content=policy.text if policy else None)
            records = rows.astype(object).where(rows.notna(), None).to_dict("records")
            assignments = [model(seq=n, **{k: (v if v != "" else None) for k, v in r.items() if k in model.__table__.c})
                           for n, r in enumerate(records, start=1)]
            if kind == "invigilation":
                plan.invigilations = assignments
            else:
                plan.markings = assignments
            session.add(plan)
            versions[kind] = version
        for item in session.scalars(select(PaperItem).join(Paper).where(Paper.exam_id == exam_id,
                                                                          Paper.status == "locked")):
            if item.item_id in groups:
                item.item_group = groups[item.item_id]
    return versions


def export_logistics(out_dir: str, inv_data: InvigilationInput, invigilation: InvigilationResult | None,
                     mark_data: MarkingInput, marking: MarkingResult | None) -> list[str]:
    """invigilation.csv (+ its relaxations), marking.csv, per-teacher notices and per-site room sheets
    (Excel, Chinese): the files of each plan that exists."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = write_invigilation_files(out, inv_data, invigilation) if invigilation is not None else []
    if marking is not None:
        files += [write_marking_csv(marking, out / "marking.csv"),
                  write_marking_notices_xlsx(marking, mark_data, out / "marking_groups.xlsx"),
                  write_shortfalls_csv(mark_data, marking, out / "marking_shortfalls.csv")]
    return [str(f) for f in files]


def plan_logistics(exam_id: str, db_url: str | None = None, out_dir: str = "out/logistics", lang: str = "zh",
                   time_limit_s: float = 60.0, policy_file: str | None = None,
                   actor: str = "exam-logistics") -> StageOutcome:
    """Who invigilates which room and who marks which item group, fair to every school."""
    url = database_url(db_url)
    policy = exam_context(url, exam_id).policy("exam_logistics", policy_file)  # the exam's context, loaded once
    with session_scope(url) as session:
        tables = export_tables(session, LOGISTICS_TABLES)
    inv_data, invigilation, inv_violations = plan_exam_invigilation(tables, exam_id, time_limit_s,
                                                                    policy.policy.invigilation)
    mark_data, marking, mark_violations = plan_exam_marking(tables, exam_id, time_limit_s, policy.policy.marking)
    # each plan that exists and validates is stored and written, whatever the other's outcome
    inv_ok = invigilation.ok and not inv_violations
    mark_ok = marking.ok and not mark_violations
    groups = {item: g.group_id for g in mark_data.groups for item in g.items} if mark_ok else {}
    versions: dict[str, int] = {}
    files: list[str] = []
    if inv_ok or mark_ok:
        versions = store_logistics(url, exam_id, invigilation if inv_ok else None, marking if mark_ok else None,
                                   groups, actor, relaxation_records(mark_data, marking) if mark_ok else None, policy)
        files = export_logistics(out_dir, inv_data, invigilation if inv_ok else None, mark_data,
                                 marking if mark_ok else None)
    parts = []
    zh = lang == "zh"
    if inv_ok:
        relaxed = next((e.text(lang) for e in invigilation.explanations if e.code == "relaxation_summary"), "")
        status = label("plan_status", invigilation.status, lang)
        parts.append((f"监考安排第 {versions['invigilation']} 版：{status}，{len(invigilation.assignments)} 个安排" if zh else
                      f"invigilation v{versions['invigilation']}: {status}, {len(invigilation.assignments)} assignments")
                     + (f"（{relaxed}）" if relaxed and zh else f" ({relaxed})" if relaxed else ""))
    if mark_ok:
        status = label("plan_status", marking.status, lang)
        parts.append(f"阅卷安排第 {versions['marking']} 版：{status}，{len(mark_data.groups)} 个题组 "
                     f"{len(marking.assignments)} 名阅卷教师" if zh else
                     f"marking v{versions['marking']}: {status}, {len(marking.assignments)} markers in "
                     f"{len(mark_data.groups)} item groups")
    summary = ("；" if zh else "; ").join(parts + ([policy.describe(lang)] if parts else []))
    shortfalls = best_effort_lines(marking, lang) if mark_ok else []
    if shortfalls:  # best-effort groups: stated with their shortfall, the season goes on
        summary += (f"；{len(marking.best_effort_groups())} 个阅卷题组为尽力方案，见 {out_dir}/marking_shortfalls.csv\n"
                    if zh else f"; {len(marking.best_effort_groups())} best-effort marking group(s), see "
                    f"{out_dir}/marking_shortfalls.csv\n") + "\n".join(shortfalls)
    problems = [e.text(lang) for e in invigilation.explanations if not invigilation.ok]
    problems += [e.text(lang) for e in marking.explanations if not marking.ok]
    detail = {"files": files, "versions": versions, "policy": policy.record(),
              "stats": stats_frame(invigilation.stats).to_dict("records") if inv_ok else []}
    if problems:
        return StageOutcome("logistics", "blocked", "；".join(([summary] if summary else []) + problems), detail)
    if inv_violations or mark_violations:
        return StageOutcome("logistics", "failed", "; ".join(([summary] if summary else []) + [
            "validator: " + "; ".join((inv_violations + mark_violations)[:10])]), detail)
    return StageOutcome("logistics", "done", summary, detail)




@dataclass
class MarkingPreview:
    """The marking groups an exam would get under the policy in force, written nowhere."""

    data: MarkingInput
    result: MarkingResult
    violations: list
    policy: ResolvedPolicy


def preview_marking(exam_id: str, *, policy_file: str | None = None, url: str | None = None,
                    time_limit_s: float = 10.0) -> MarkingPreview:
    """`xuequ marking explain`: plan the marking groups and explain every shortfall (suggestions checked
    by re-solving, within three times the time limit), storing nothing."""
    url = database_url(url)
    policy = resolve_exam_policy("exam_logistics", exam_id, override=policy_file, url=url)
    rules = policy.policy.marking
    with session_scope(url) as session:
        tables = export_tables(session, LOGISTICS_TABLES)
    data = marking_input_from_tables(tables, exam_id, rules)
    result = plan_marking(data, rules, time_limit_s=time_limit_s, num_workers=2, explain_time_s=3 * time_limit_s)
    violations = validate_marking(data, rules, result.assignments, relaxations=result.relaxations) if result.ok else []
    return MarkingPreview(data, result, list(violations), policy)


def stats_frame(stats: dict):
    import pandas as pd

    plain = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
    return pd.DataFrame({"statistic": list(plain), "value": [str(v) for v in plain.values()]})




# ------------------------------------------------------------------------------------------ invigilation only
# The files of an invigilation plan, its stored summary, and the replans of the `xuequ invigilation`
# pin / forbid / repair verbs: each loads the latest version, replans against it (a change penalty keeps
# what it can), stores a new version with the accumulated pins and forbids, and reports what changed.

def write_invigilation_files(out: Path, data: InvigilationInput, result: InvigilationResult) -> list[Path]:
    from scheduling.exam_logistics import write_relaxations_csv

    out.mkdir(parents=True, exist_ok=True)
    return [write_invigilation_csv(result, out / "invigilation.csv"),
            write_relaxations_csv(result, data, out / "invigilation_relaxations.csv"),
            write_invigilation_notices_xlsx(result, data, out / "invigilation_notices.xlsx"),
            write_room_sheets_xlsx(result, data, out / "room_sheets.xlsx")]


def invigilation_summary(result: InvigilationResult, pins=(), forbids=(), changes: int | None = None) -> dict:
    """What a stored invigilation plan keeps besides its rows: relaxations, pins, forbids, changes."""
    out: dict[str, Any] = {"relaxations": [r.to_dict() for r in result.relaxations], "tiers": result.tier_counts(),
           "pins": [dict(p.__dict__) for p in pins], "forbids": [dict(f.__dict__) for f in forbids]}
    if changes is not None:
        out["changed"] = changes
    return out


@dataclass
class InvigilationReplan:
    version: int
    status: str
    changes: list
    violations: list[str]
    result: InvigilationResult
    data: InvigilationInput
    files: list[str]


def invigilation_parts(plan) -> tuple[list, list, list, list]:
    """(rows, relaxations, pins, forbids) of a stored invigilation plan, as the planner takes them."""
    from scheduling.exam_logistics import Forbid, InvigilationAssignment, Pin, RelaxationUse

    rows = [InvigilationAssignment(a.exam_id, a.session_id, a.site_school_id, a.room_id or "", a.teacher_id,
                                   a.teacher_school_id, a.role, a.distance_km)
            for a in sorted(plan.invigilations, key=lambda a: a.seq)]
    summary = plan.summary or {}
    return (rows, [RelaxationUse(**r) for r in summary.get("relaxations", [])],
            [Pin(**p) for p in summary.get("pins", [])], [Forbid(**f) for f in summary.get("forbids", [])])


def latest_invigilation(url: str, exam_id: str):
    """(plan_id, version, rows, relaxations, pins, forbids) of the exam's latest invigilation plan, or None
    (what-if scenarios are filed under scopes of their own, so the current plan is this one)."""
    from models import Plan

    with session_scope(url) as session:
        plan = session.scalars(select(Plan).where(Plan.kind == "invigilation", Plan.scope == exam_id)
                               .order_by(Plan.version.desc()).limit(1)).first()
        if plan is None:
            return None
        return (plan.plan_id, plan.version, *invigilation_parts(plan))


def replan_invigilation(exam_id: str, *, db_url: str | None = None, out_dir: str = "out/logistics",
                        pins=(), forbids=(), absent=(), time_limit_s: float = 60.0, policy_file: str | None = None,
                        actor: str = "invigilation") -> InvigilationReplan:
    """A new version of the exam's invigilation plan: with more pins and forbids (replanned against the
    latest version with a change penalty), or repaired after absences (`absent`: fewest changes)."""
    from models import InvigilationAssignment as Row, Plan
    from scheduling.exam_logistics import (InvigilationResult as Result, diff_plans, repair_invigilation)

    url = database_url(db_url)
    latest = latest_invigilation(url, exam_id)
    if latest is None:
        raise LookupError(f"no invigilation plan of exam {exam_id} yet: run `xuequ invigilation plan --exam {exam_id}`")
    parent_id, _, rows, relax, old_pins, old_forbids = latest
    resolved = resolve_exam_policy("exam_logistics", exam_id, override=policy_file, url=url)
    policy = resolved.policy.invigilation
    with session_scope(url) as session:
        tables = export_tables(session, LOGISTICS_TABLES)
    data = invigilation_input_from_tables(tables, exam_id, policy)
    all_pins = list(dict.fromkeys(list(old_pins) + list(pins)))
    all_forbids = list(dict.fromkeys(list(old_forbids) + list(forbids)))
    previous = Result(exam_id, "feasible", rows, [], {}, relax)
    if absent:
        repaired = repair_invigilation(previous, absent, data, policy, time_limit_s=time_limit_s, num_workers=2,
                                       pins=all_pins, forbids=all_forbids)
        result = repaired.result
        all_forbids = list(dict.fromkeys(all_forbids + [f for f in _absent_forbids(absent)]))
    else:
        result = plan_invigilation(data, policy, time_limit_s=time_limit_s, num_workers=2, pins=all_pins,
                                   forbids=all_forbids, previous=previous)
    if not result.ok:
        return InvigilationReplan(0, result.status, [], [e.zh for e in result.explanations], result, data, [])
    changes = diff_plans(rows, result.assignments)
    violations = [str(v) for v in validate_invigilation(data, policy, result.assignments, pins=all_pins,
                                                        forbids=all_forbids, relaxations=result.relaxations)]
    if violations:
        return InvigilationReplan(0, "failed", changes, violations, result, data, [])
    with session_scope(url) as session:
        session.info["actor"] = actor
        version = (session.scalar(select(func.max(Plan.version)).where(Plan.kind == "invigilation",
                                                                         Plan.scope == exam_id)) or 0) + 1
        summary = {"explanations": [e.zh for e in result.explanations], "policy": resolved.record()}
        summary.update(invigilation_summary(result, all_pins, all_forbids, len(changes)))
        plan = Plan(kind="invigilation", scope=exam_id, version=version, exam_id=exam_id, created_by=actor,
                    solver_status=result.status, summary=summary, parent_plan_id=parent_id,
                    policy_set_id=resolved.policy_set_id, policy_content=resolved.text)
        records = invigilation_frame(result).astype(object).to_dict("records")
        plan.invigilations = [Row(seq=n, **{k: (v if v != "" else None) for k, v in r.items() if k in Row.__table__.c})
                              for n, r in enumerate(records, start=1)]
        session.add(plan)
    files = [str(f) for f in write_invigilation_files(Path(out_dir), data, result)]
    return InvigilationReplan(version, result.status, changes, [], result, data, files)


def _absent_forbids(absent):
    from scheduling.exam_logistics import Forbid

    return [Forbid(t) for t in absent]


def change_lines(changes: list, data: InvigilationInput, lang: str = "zh", limit: int = 40) -> list[str]:
    """What changed, one line per row, names not ids."""
    sb, tb, sess = data.school_by_id, data.teacher_by_id, data.session_by_id
    kind_zh = {"added": "新增", "removed": "撤下", "moved": "调换", "role": "改角色"}

    def where(a) -> str:
        if a is None:
            return "—"
        room = a.room_id or ("备用" if lang == "zh" else "reserve")
        role = label("duty_role", a.role, lang)
        return f"{sb[a.site_school_id].label} {room} {role}"

    out = []
    for c in changes[:limit]:
        t = tb[c.teacher_id].label if c.teacher_id in tb else c.teacher_id
        s = sess.get(c.session_id)
        when = f"{s.date} {s.start}" if s else c.session_id
        kind = kind_zh[c.kind] if lang == "zh" else c.kind
        out.append(f"{kind} {t} {when}: {where(c.before)} → {where(c.after)}")
    if len(changes) > limit:
        out.append(f"…… 另有 {len(changes) - limit} 处" if lang == "zh" else f"... and {len(changes) - limit} more")
    return out
