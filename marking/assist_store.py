"""The exam's fill-in rule (marking/assist.py) read from the database, cached per process, and the
single-marking fallback written back.

The rule applies only when the exam's latest marking plan is a declared best-effort plan (its stored
summary has `best_effort`): a regular plan that leaves scripts unmarkable is a planning error, which
the stage reports as before (`unmarkable_scripts`).
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from marking.assist import SINGLE, AssistPlan, Person, plan_assists
from marking.policy import MarkingPolicy, load_policy
from marking.rules import MarkRecord, resolve_script

CACHE_SECONDS = 15.0  # markers and scripts change rarely once marking runs; a new plan re-registers
_cache: dict[tuple[str, str], tuple[float, AssistPlan]] = {}
_guard = threading.Lock()


def clear_assist_cache() -> None:
    with _guard:
        _cache.clear()


def declared_best_effort(session: Session, exam_id: str) -> bool:
    """True when the exam's latest marking plan is a best-effort plan (its summary says so)."""
    from models import Plan

    plan = session.scalars(select(Plan).where(Plan.kind == "marking", Plan.exam_id == exam_id)
                           .order_by(Plan.version.desc()).limit(1)).first()
    return bool(plan is not None and (plan.summary or {}).get("best_effort"))


def load_assists(session: Session, exam_id: str) -> AssistPlan:
    """The fill-in plan of the exam now (empty unless the marking plan is best-effort)."""
    from models.marking import Marker, MarkingScript

    if not declared_best_effort(session, exam_id):
        return AssistPlan()
    people = [Person(*row) for row in session.execute(
        select(Marker.teacher_id, Marker.school_id, Marker.subject, Marker.item_group, Marker.role)
        .where(Marker.exam_id == exam_id).order_by(Marker.teacher_id)).tuples()]
    # every script counts (a script switched to single marking still needs its one mark)
    scripts = {(s, g, school): int(n) for s, g, school, n in session.execute(
        select(MarkingScript.subject, MarkingScript.item_group, MarkingScript.school_id, func.count())
        .where(MarkingScript.exam_id == exam_id)
        .group_by(MarkingScript.subject, MarkingScript.item_group, MarkingScript.school_id)).tuples()}
    return plan_assists(people, scripts)


def cached_assists(session: Session, exam_id: str, url: str) -> AssistPlan:
    """`load_assists`, cached per process for CACHE_SECONDS (the lease path asks on every empty poll)."""
    now = time.monotonic()
    with _guard:
        hit = _cache.get((url, exam_id))
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    plan = load_assists(session, exam_id)
    session.commit()  # leave no read transaction open on the lease path
    with _guard:
        _cache[(url, exam_id)] = (now, plan)
    return plan


def apply_single_marking(session: Session, exam_id: str, plan: AssistPlan, *,
                         policy: MarkingPolicy | None = None) -> int:
    """Scripts of a SINGLE case (the subject has one teacher of another school) need one mark only:
    their waiting second marks are withdrawn and a script whose first mark is in is final (单评).
    Runs in the caller's transaction; returns how many scripts changed."""
    from models.marking import MarkingGroup, MarkingMark, MarkingScript, MarkingTask

    policy = policy or load_policy()
    changed = 0
    for case in plan.single():
        scripts = session.scalars(select(MarkingScript).where(
            MarkingScript.exam_id == exam_id, MarkingScript.subject == case.subject,
            MarkingScript.item_group == case.item_group, MarkingScript.school_id == case.school_id,
            MarkingScript.marks_needed == 2, MarkingScript.status == "marking")).all()
        if not scripts:
            continue
        from marking.rules import ItemStandard

        raw = session.scalar(select(MarkingGroup.items).where(
            MarkingGroup.exam_id == exam_id, MarkingGroup.subject == case.subject,
            MarkingGroup.item_group == case.item_group))
        items = [ItemStandard.from_dict(d) for d in raw or []]
        ids = [s.script_id for s in scripts]
        session.execute(delete(MarkingTask).where(MarkingTask.script_id.in_(ids), MarkingTask.kind == "second",
                                                  MarkingTask.state == "waiting"))
        marks: dict[int, list[MarkRecord]] = {}
        for mark in session.scalars(select(MarkingMark).where(MarkingMark.script_id.in_(ids))):
            marks.setdefault(mark.script_id, []).append(MarkRecord(mark.mark_id, mark.kind, mark.scores,
                                                                   mark.marker_id))
        for script in scripts:
            script.marks_needed = 1
            done = marks.get(script.script_id, [])
            if script.marks_done >= 1 and done:
                resolution = resolve_script(items, done[:1], 1, policy.double)
                session.execute(update(MarkingScript).where(MarkingScript.script_id == script.script_id).values(
                    status="final", source=resolution.source, final_scores=resolution.finals,
                    final_sources=resolution.sources, final_marks=resolution.marks_used, finalised_at=time.time()))
            changed += 1
    session.flush()
    return changed


def single_marked_cases(plan: AssistPlan) -> list:
    return [c for c in plan.cases if c.how == SINGLE]


def _stuck_rows(session: Session, exam_id: str, plan: AssistPlan, policy: MarkingPolicy) -> list:
    """Waiting tasks that nobody registered may take, counting the fill-ins of `plan`."""
    from marking.queue import MarkerRef, default_kinds
    from models.marking import Marker, MarkingMark, MarkingTask

    people = [MarkerRef(exam_id, t, s, subj, g, r) for t, s, subj, g, r in session.execute(
        select(Marker.teacher_id, Marker.school_id, Marker.subject, Marker.item_group, Marker.role)
        .where(Marker.exam_id == exam_id)).tuples()]
    school_of = {p.teacher_id: p.school_id for p in people}
    takers: dict[tuple[str, str, str], list[tuple[str, str, tuple[str, ...] | None]]] = {}
    for p in people:  # (teacher, school, only these script schools or None) per (subject, group, kind)
        for kind in default_kinds(p, policy):
            takers.setdefault((p.subject, p.item_group, kind), []).append((p.teacher_id, p.school_id, None))
    for g in plan.grants:
        for kind in g.kinds:
            takers.setdefault((g.subject, g.item_group, kind), []).append(
                (g.teacher_id, school_of.get(g.teacher_id, ""), g.schools))
    waiting = session.execute(select(MarkingTask.task_id, MarkingTask.script_id, MarkingTask.subject,
                                     MarkingTask.item_group, MarkingTask.school_id, MarkingTask.kind)
                              .where(MarkingTask.exam_id == exam_id, MarkingTask.state == "waiting")).all()
    marked: dict[int, set[str]] = {}
    ids = sorted({w.script_id for w in waiting})
    for start in range(0, len(ids), 5000):
        for script_id, marker_id in session.execute(select(MarkingMark.script_id, MarkingMark.marker_id)
                                                    .where(MarkingMark.script_id.in_(ids[start:start + 5000]))):
            marked.setdefault(script_id, set()).add(marker_id)
    return [w for w in waiting
            if not any(school != w.school_id and teacher not in marked.get(w.script_id, set())
                       and (only is None or w.school_id in only)
                       for teacher, school, only in takers.get((w.subject, w.item_group, w.kind), []))]


def stuck_tasks(session: Session, exam_id: str, plan: AssistPlan, *,
                policy: MarkingPolicy | None = None) -> dict[tuple[str, str, str, str], int]:
    """Waiting tasks that nobody registered may take, counting the fill-ins of `plan`:
    (subject, item_group, school_id, kind) → tasks. Waiting cannot help these."""
    out: dict[tuple[str, str, str, str], int] = {}
    for w in _stuck_rows(session, exam_id, plan, policy or load_policy()):
        key = (w.subject, w.item_group, w.school_id, w.kind)
        out[key] = out.get(key, 0) + 1
    return out


def settle_unarbitrable(session: Session, exam_id: str, plan: AssistPlan, *,
                        policy: MarkingPolicy | None = None) -> dict[tuple[str, str, str], int]:
    """Arbitrations nobody may give (every teacher of another school in the subject marked the script),
    settled by the policy's `double.unarbitrable` rule: `closest_pair` finalises each such script with
    the mean of its two closest marks (source `closest`, marking/rules.py); `wait` leaves them.
    Runs in the caller's transaction; returns (subject, item_group, school_id) → scripts settled."""
    from marking.rules import ItemStandard, settle_without_arbiter
    from models.marking import MarkingGroup, MarkingMark, MarkingScript, MarkingTask

    policy = policy or load_policy()
    if policy.double.unarbitrable != "closest_pair":
        return {}
    rows = [w for w in _stuck_rows(session, exam_id, plan, policy) if w.kind == "arbitration"]
    items: dict[tuple[str, str], list[ItemStandard]] = {}
    settled: dict[tuple[str, str, str], int] = {}
    for w in rows:
        if (w.subject, w.item_group) not in items:
            raw = session.scalar(select(MarkingGroup.items).where(
                MarkingGroup.exam_id == exam_id, MarkingGroup.subject == w.subject,
                MarkingGroup.item_group == w.item_group))
            items[(w.subject, w.item_group)] = [ItemStandard.from_dict(d) for d in raw or []]
        script = session.get_one(MarkingScript, w.script_id)  # a task always names its script (foreign key)
        marks = [MarkRecord(m.mark_id, m.kind, m.scores, m.marker_id) for m in session.scalars(
            select(MarkingMark).where(MarkingMark.script_id == w.script_id).order_by(MarkingMark.mark_id))]
        resolution = settle_without_arbiter(items[(w.subject, w.item_group)], marks, script.marks_needed, policy.double)
        if resolution.status != "final":
            continue
        session.execute(delete(MarkingTask).where(MarkingTask.task_id == w.task_id, MarkingTask.state == "waiting"))
        session.execute(update(MarkingScript).where(MarkingScript.script_id == w.script_id).values(
            status="final", source=resolution.source, agreed=resolution.agreed, final_scores=resolution.finals,
            final_sources=resolution.sources, final_marks=resolution.marks_used, finalised_at=time.time()))
        key = (w.subject, w.item_group, w.school_id)
        settled[key] = settled.get(key, 0) + 1
    session.flush()
    return settled
