"""Joint-exam logistics stage (联考监考与阅卷安排): invigilation and marking plans, stored and exported.

The marking plan decides the item groups (题组) of pipeline marking; they are written onto the
locked papers' items, so the marking queue hands out exactly the groups the markers were given.
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from sqlalchemy import func, select

from flows.common import IO_RETRIES, StageOutcome, load_tables, publish_markdown, publish_table, resolved_url
from models.db import session_scope
from scheduling.exam_logistics import (InvigilationInput, InvigilationResult, MarkingInput, MarkingResult,
                                       invigilation_frame, invigilation_input_from_tables, load_policies,
                                       marking_frame, marking_input_from_tables, plan_invigilation, plan_marking,
                                       validate_invigilation, validate_marking, write_invigilation_csv,
                                       write_invigilation_notices_xlsx, write_marking_csv, write_marking_notices_xlsx,
                                       write_room_sheets_xlsx)
from scheduling.exam_logistics.marking_explain import best_effort_lines, relaxation_records, write_shortfalls_csv

LOGISTICS_TABLES = ["schools", "teachers", "rooms", "classes", "class_teachers", "students", "exam_sessions",
                    "unavailability", "items", "item_usage", "distances"]


@task
def plan_exam_invigilation(tables: dict, exam_id: str, time_limit_s: float,
                           policy_file: str | None) -> tuple[InvigilationInput, InvigilationResult, list[str]]:
    """Invigilators for every room and session (CP-SAT, 2 workers), checked by the independent validator."""
    policy, _ = load_policies(policy_file) if policy_file else load_policies()
    data = invigilation_input_from_tables(tables, exam_id, policy)
    result = plan_invigilation(data, policy, time_limit_s=time_limit_s, num_workers=2)
    violations = [str(v) for v in validate_invigilation(data, policy, result.assignments)] if result.ok else []
    return data, result, violations


@task
def plan_exam_marking(tables: dict, exam_id: str, time_limit_s: float,
                      policy_file: str | None) -> tuple[MarkingInput, MarkingResult, list[str]]:
    """Marker groups for every subjective item group (CP-SAT, 2 workers), checked by the validator."""
    _, policy = load_policies(policy_file) if policy_file else load_policies()
    data = marking_input_from_tables(tables, exam_id, policy)
    # a subject short of markers or leaders gets a best-effort group (policy best_effort): never a refusal
    # that would discard the other subjects' groups and the invigilation plan
    result = plan_marking(data, policy, time_limit_s=time_limit_s, num_workers=2)
    violations = [str(v) for v in validate_marking(data, policy, result.assignments,
                                                   relaxations=result.relaxations)] if result.ok else []
    return data, result, violations


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def store_logistics(url: str, exam_id: str, invigilation: InvigilationResult, marking: MarkingResult,
                    groups: dict[str, str], actor: str, marking_relaxations: list[dict] | None = None) -> dict[str, int]:
    """Both plans as new versions (audited), and the item groups onto the locked papers' items."""
    from models import InvigilationAssignment, MarkingAssignment, Paper, PaperItem, Plan

    versions = {}
    with session_scope(url) as session:
        session.info["actor"] = actor
        for kind, result, rows, model in (
                ("invigilation", invigilation, invigilation_frame(invigilation), InvigilationAssignment),
                ("marking", marking, marking_frame(marking), MarkingAssignment)):
            version = (session.scalar(select(func.max(Plan.version)).where(Plan.kind == kind, Plan.scope == exam_id))
                       or 0) + 1
            summary = {"explanations": [e.zh for e in result.explanations]}
            if kind == "marking":  # a best-effort plan keeps what it relaxed, group by group
                summary |= {"best_effort": bool(marking_relaxations), "relaxations": marking_relaxations or []}
            plan = Plan(kind=kind, scope=exam_id, version=version, exam_id=exam_id, created_by=actor,
                        solver_status=result.status, summary=summary)
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


@task(retries=IO_RETRIES, retry_delay_seconds=2)
def export_logistics(out_dir: str, inv_data: InvigilationInput, invigilation: InvigilationResult,
                     mark_data: MarkingInput, marking: MarkingResult) -> list[str]:
    """invigilation.csv, marking.csv, per-teacher notices and per-site room sheets (Excel, Chinese)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_invigilation_csv(invigilation, out / "invigilation.csv"),
             write_invigilation_notices_xlsx(invigilation, inv_data, out / "invigilation_notices.xlsx"),
             write_room_sheets_xlsx(invigilation, inv_data, out / "room_sheets.xlsx"),
             write_marking_csv(marking, out / "marking.csv"),
             write_marking_notices_xlsx(marking, mark_data, out / "marking_groups.xlsx"),
             write_shortfalls_csv(mark_data, marking, out / "marking_shortfalls.csv")]
    return [str(f) for f in files]


@flow(name="exam-logistics", log_prints=True)
def exam_logistics(exam_id: str, db_url: str | None = None, out_dir: str = "out/logistics", lang: str = "zh",
                   time_limit_s: float = 60.0, policy_file: str | None = None,
                   actor: str = "exam-logistics") -> StageOutcome:
    """Who invigilates which room and who marks which item group, fair to every school."""
    url = resolved_url(db_url)
    tables = load_tables(url, LOGISTICS_TABLES)
    inv_data, invigilation, inv_violations = plan_exam_invigilation(tables, exam_id, time_limit_s, policy_file)
    mark_data, marking, mark_violations = plan_exam_marking(tables, exam_id, time_limit_s, policy_file)
    problems = [e.text(lang) for e in invigilation.explanations if not invigilation.ok]
    problems += [e.text(lang) for e in marking.explanations if not marking.ok]
    if problems:
        return StageOutcome("logistics", "blocked", "；".join(problems))
    if inv_violations or mark_violations:
        return StageOutcome("logistics", "failed", "validator: " + "; ".join((inv_violations + mark_violations)[:10]))
    groups = {item: g.group_id for g in mark_data.groups for item in g.items}
    versions = store_logistics(url, exam_id, invigilation, marking, groups, actor,
                               relaxation_records(mark_data, marking))
    files = export_logistics(out_dir, inv_data, invigilation, mark_data, marking)
    publish_table(f"{exam_id}-invigilation-stats", _stats_frame(invigilation.stats), "invigilation plan")
    summary = (f"invigilation v{versions['invigilation']}: {invigilation.status}, "
               f"{len(invigilation.assignments)} assignments; marking v{versions['marking']}: {marking.status}, "
               f"{len(marking.assignments)} markers in {len(mark_data.groups)} item groups")
    shortfalls = best_effort_lines(marking, lang)
    if shortfalls:  # best-effort groups: stated with their shortfall, the season goes on
        summary += (f"; {len(marking.best_effort_groups())} best-effort marking group(s), see "
                    f"{out_dir}/marking_shortfalls.csv\n" + "\n".join(shortfalls))
    publish_markdown(f"{exam_id}-logistics", f"### 监考与阅卷安排\n\n{summary}\n")
    return StageOutcome("logistics", "done", summary, {"files": files})


def _stats_frame(stats: dict):
    import pandas as pd

    plain = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
    return pd.DataFrame({"statistic": list(plain), "value": [str(v) for v in plain.values()]})


