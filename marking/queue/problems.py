"""Problem scripts (问题卷): a marker sends a script to the group leader instead of marking it.

Reasons: blank (空白卷), illegible or mis-scanned (字迹不清或扫描问题), off topic (答非所问), suspected
cheating (疑似作弊), other. The marker's task leaves the queue (state `problem`), the script's other
waiting tasks are held (nobody else gets it meanwhile) and the script's status is `problem`. The
leader sees it with the marks it has so far and settles it: `return` puts it back in the queue for
marking (the held tasks too), `score` marks it with the leader's own mark (final; see remarking.py).

A problem reported on a quality-control check (a trial script, 回评 or a standard script) drops the
check (not counted) and tells the leader; returning it gives the check back to the marker.

Reporting and submitting the same task race on one conditional update of the task row: exactly one
of them wins, the other finds the task gone (LeaseLost).
"""
from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy, load_policy
from marking.quality import PROBLEM_REASONS
from models import audit
from models.marking_quality import MarkingCheck, MarkingProblem

from .connection import _writing
from .leasing import _acting_for
from .records import LeaseLost, MarkerRef, QueueError, group_items
from .remarking import Missing, leader_mark, lock_script, teacher_names
from .views import script_marks


class ProblemSettled(QueueError):
    """The problem was settled already."""

    code = "problem_settled"
    zh = "这份问题卷已经处理过"


_REPORT_TASK = """
UPDATE marking_task SET state = 'problem', lease_expires_at = NULL
WHERE task_id = :task AND marker_id = :marker AND exam_id = :exam AND state = 'leased'
  AND subject = :subject AND item_group = :item_group
RETURNING script_id, code, kind
"""
_NEW_PROBLEM = """
INSERT INTO marking_problem (exam_id, subject, item_group, script_id, task_id, check_id, code, reason, note,
                             reported_by, reported_at, script_status, state)
VALUES (:exam, :subject, :item_group, :script, :task, :check, :code, :reason, :note, :marker, :now, :status, 'open')
RETURNING problem_id
"""


def report_problem(session: Session, marker: MarkerRef, task_id: int, reason: str, note: str | None = None, *,
                   policy: MarkingPolicy | None = None) -> int:
    """The marker sends the script of a task they hold to the group leader; the problem's id.

    Raises LeaseLost when the marker does not hold the task (e.g. already submitted)."""
    if reason not in PROBLEM_REASONS:
        raise ValueError(f"reason must be one of {PROBLEM_REASONS}")
    acting = _acting_for(session, marker, task_id)
    now = time.time()
    params = {"task": task_id, "marker": marker.teacher_id, "exam": marker.exam_id, "subject": acting.subject,
              "item_group": acting.item_group, "reason": reason, "note": note, "now": now}
    with _writing(session) as db:
        taken = db.execute(_REPORT_TASK, params).fetchone()
        if taken is not None:
            script_id, code, _kind = taken
            lock = " FOR UPDATE" if db.postgres else ""
            # the script's other waiting tasks are held; then the script row (task rows before the script row,
            # as every submit takes them)
            db.execute(f"SELECT task_id FROM marking_task WHERE script_id = :script AND state = 'waiting'{lock}",
                       {"script": script_id}).fetchall()
            db.execute("UPDATE marking_task SET state = 'held' WHERE script_id = :script AND state = 'waiting'",
                       {"script": script_id})
            status = db.execute(f"SELECT status FROM marking_script WHERE script_id = :script{lock}",
                                {"script": script_id}).fetchone()[0]
            db.execute("UPDATE marking_script SET status = 'problem' WHERE script_id = :script", {"script": script_id})
            problem_id = db.execute(_NEW_PROBLEM, {**params, "script": script_id, "check": None, "code": code,
                                                   "status": status}).fetchone()[0]
            return int(problem_id)
        dropped = db.execute(
            "UPDATE marking_check SET state = 'dropped' WHERE check_id = :task AND teacher_id = :marker "
            "AND exam_id = :exam AND state = 'leased' RETURNING kind, script_id, code, subject, item_group",
            params).fetchone()
        if dropped is None:
            raise LeaseLost(f"task {task_id} is not leased to teacher {marker.teacher_id}")
        kind, script_id, code, subject, group = dropped
        problem_id = db.execute(_NEW_PROBLEM, {**params, "subject": subject, "item_group": group, "script": script_id,
                                               "task": None, "check": task_id, "code": code,
                                               "status": None}).fetchone()[0]
    if kind == "trial":
        from .quality_store import finish_trial

        finish_trial(session, marker, policy or load_policy())  # the round may be complete without this script
    return int(problem_id)


def open_problems(session: Session, leader: MarkerRef, *, include_settled: bool = False) -> list[dict]:
    """Problem scripts of the leader's group (open ones; all with `include_settled`), each with the
    script's answers (text, or scan URLs by opaque key as the marker API serves them) and the marks it
    has so far (kind, scores, total: no marker names, no student)."""
    from .serving import task_answers

    query = select(MarkingProblem).where(MarkingProblem.exam_id == leader.exam_id,
                                         MarkingProblem.subject == leader.subject,
                                         MarkingProblem.item_group == leader.item_group)
    if not include_settled:
        query = query.where(MarkingProblem.state == "open")
    problems = session.scalars(query.order_by(MarkingProblem.problem_id)).all()
    items = group_items(session, leader.exam_id, leader.subject, leader.item_group)
    names = teacher_names(session, [p.reported_by for p in problems])
    checks = {c.check_id: c for c in session.scalars(select(MarkingCheck).where(
        MarkingCheck.check_id.in_([p.check_id for p in problems if p.check_id is not None])))}
    out = []
    for p in problems:
        check = checks.get(p.check_id) if p.check_id is not None else None
        source = p.script_id if p.script_id is not None else -int(check.standard_id) if check and check.standard_id \
            else None
        out.append({"problem_id": p.problem_id, "code": p.code, "reason": p.reason, "note": p.note,
                    "reported_at": p.reported_at, "reported_by": names[p.reported_by], "state": p.state,
                    "check": check.kind if check is not None else None,
                    "items": [{"item_id": i.item_id, "position": i.position, "max_score": i.max_score,
                               "score_step": i.step, "rubric": i.rubric} for i in items],
                    "earlier_marks": ([{k: m[k] for k in ("kind", "scores", "total")}
                                       for m in script_marks(session, p.script_id)]
                                      if p.script_id is not None and check is None else [])})
        answers, scans = (task_answers(session, leader.exam_id, leader.subject, leader.item_group, source, p.code,
                                       items) if source is not None else ({}, {}))
        out[-1].update(answers=answers, scans=scans)
    session.commit()
    return out


def resolve_problem(session: Session, leader: MarkerRef, problem_id: int, action: str,
                    scores: Mapping[str, float] | None = None, note: str | None = None) -> dict:
    """The leader settles a problem script: `return` (back to the queue for marking) or `score` (the
    leader's own mark is final)."""
    if action not in ("return", "score"):
        raise ValueError("action must be return or score")
    problem = session.get(MarkingProblem, problem_id)
    if problem is None or (problem.exam_id, problem.subject, problem.item_group) != (
            leader.exam_id, leader.subject, leader.item_group):
        session.commit()
        raise Missing(f"no problem {problem_id} in group {leader.subject}/{leader.item_group}",
                      f"本题组没有编号为 {problem_id} 的问题卷")
    session.commit()
    now = time.time()
    if problem.check_id is not None:  # a quality-control check: give it back to its marker, or close it
        with _writing(session) as db:
            settled = db.execute("UPDATE marking_problem SET state = :state, resolved_by = :leader, "
                                 "resolved_at = :now, resolution_note = :note WHERE problem_id = :problem "
                                 "AND state = 'open'", {"state": "returned" if action == "return" else "closed",
                                                        "leader": leader.teacher_id, "now": now, "note": note,
                                                        "problem": problem_id}).rowcount
            if not settled:
                raise ProblemSettled(f"problem {problem_id} is settled already")
            if action == "return":
                db.execute("UPDATE marking_check SET state = 'waiting', leased_at = NULL, lease_expires_at = NULL "
                           "WHERE check_id = :check AND state = 'dropped'", {"check": problem.check_id})
        return {"problem_id": problem_id, "state": "returned" if action == "return" else "closed"}
    if action == "score":
        if scores is None:
            raise ValueError("scores are needed to score a problem script")
        if problem.state != "open":
            raise ProblemSettled(f"problem {problem_id} is settled already")
        result = leader_mark(session, leader, problem.code, scores, reason=f"问题卷 {problem.reason}")
        with _writing(session) as db:
            db.execute("UPDATE marking_problem SET resolution_note = :note WHERE problem_id = :problem",
                       {"note": note, "problem": problem_id})
        return {"problem_id": problem_id, "state": "scored", "final_scores": result["final_scores"]}
    with _writing(session) as db:
        lock_script(db, int(problem.script_id or 0))
        settled = db.execute("UPDATE marking_problem SET state = 'returned', resolved_by = :leader, resolved_at = :now, "
                             "resolution_note = :note WHERE problem_id = :problem AND state = 'open'",
                             {"leader": leader.teacher_id, "now": now, "note": note, "problem": problem_id}).rowcount
        if not settled:
            raise ProblemSettled(f"problem {problem_id} is settled already")
        db.execute("UPDATE marking_task SET state = 'waiting', marker_id = NULL, leased_at = NULL, "
                   "lease_expires_at = NULL WHERE task_id = :task AND state = 'problem'", {"task": problem.task_id})
        others = db.execute("SELECT count(*) FROM marking_problem WHERE script_id = :script AND state = 'open'",
                            {"script": problem.script_id}).fetchone()[0]
        if not others:  # the script is no one's problem any more: its held tasks and status come back
            db.execute("UPDATE marking_task SET state = 'waiting' WHERE script_id = :script AND state = 'held'",
                       {"script": problem.script_id})
            db.execute("UPDATE marking_script SET status = :status WHERE script_id = :script AND status = 'problem'",
                       {"status": problem.script_status or "marking", "script": problem.script_id})
    session.info.setdefault("actor", leader.teacher_id)
    audit.record(session, "return_problem", "marking_script", problem.code,
                 {"problem_id": problem_id, "reason": problem.reason, "note": note})
    session.commit()
    return {"problem_id": problem_id, "state": "returned"}
