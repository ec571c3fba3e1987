"""The group leader's hand on a script (题组长): return a marker's mark for another (退回重评), or mark it
themself (题组长重评, final), and look at a script with its marks.

Both change a script that markers may be marking at that moment, so each is one write transaction
that first locks the script's task rows and then the script row, in the order every submit takes
them (task, then script): a submit in flight on the same script finishes before, or finds its task
gone. A mark taken out of the count moves to `marking_set_aside` with who, when and why: kept for
audit, never counted again.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marking.rules import check_scores
from marking.sql import Driver
from models import audit
from models.district import Teacher
from models.marking import MarkingScript

from .connection import _writing
from .records import MARKS, MarkerRef, NotFound, QueueError, group_items

REGULAR = ("first", "second")
ESCALATED = ("third", "arbitration")


class ScriptLocked(QueueError):
    """The script cannot take this change now (an open problem, or the leader's mark is final)."""

    code = "script_locked"

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


class AmbiguousMark(QueueError):
    """More than one marker's mark could be meant: name the marker. `marks`: the candidates
    (teacher_id, kind, total) for the leader to choose from."""

    code = "ambiguous_mark"
    zh = "这份答卷有多位教师的评分：请指明退回哪一位教师的评分"

    def __init__(self, message: str, marks: list[dict] | None = None):
        super().__init__(message)
        self.marks = marks or []


class Missing(NotFound):
    """Not in the leader's group: no such script, problem, mark or marker."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True)
class ScriptRef:
    script_id: int
    code: str
    subject: str
    item_group: str
    school_id: str


def find_script(session: Session, leader: MarkerRef, code: str) -> ScriptRef:
    """A script of the leader's group by its code (密号); NotFound otherwise."""
    row = session.execute(select(MarkingScript.script_id, MarkingScript.code, MarkingScript.subject,
                                 MarkingScript.item_group, MarkingScript.school_id)
                          .where(MarkingScript.exam_id == leader.exam_id, MarkingScript.code == code.strip().upper(),
                                 MarkingScript.subject == leader.subject,
                                 MarkingScript.item_group == leader.item_group)).first()
    session.commit()
    if row is None:
        raise Missing(f"no script {code} in group {leader.subject}/{leader.item_group}", f"本题组没有密号为 {code} 的答卷")
    return ScriptRef(*row)


def lock_script(db: Driver, script_id: int) -> tuple:
    """Lock the script's task rows, then the script row (the submit's order); the script's row."""
    lock = " FOR UPDATE" if db.postgres else ""
    db.execute(f"SELECT task_id FROM marking_task WHERE script_id = :script ORDER BY task_id{lock}",
               {"script": script_id}).fetchall()
    return db.execute("SELECT status, marks_done, marks_needed, source, final_scores FROM marking_script "
                      f"WHERE script_id = :script{lock}", {"script": script_id}).fetchone()


_MARK_COLUMNS = "mark_id, task_id, script_id, exam_id, marker_id, kind, scores, total, marked_at, seconds"


def set_aside(db: Driver, mark: tuple, by: str, reason: str, now: float) -> None:
    """Move a mark (a row of _MARK_COLUMNS) out of the count into marking_set_aside."""
    mark_id, task_id, script_id, exam_id, marker_id, kind, scores, total, marked_at, seconds = mark
    db.execute("INSERT INTO marking_set_aside (mark_id, task_id, script_id, exam_id, marker_id, kind, scores, total, "
               "marked_at, seconds, set_aside_by, set_aside_at, reason) VALUES (:mark, :task, :script, :exam, :marker, "
               ":kind, :scores, :total, :marked_at, :seconds, :by, :now, :reason)",
               {"mark": mark_id, "task": task_id, "script": script_id, "exam": exam_id, "marker": marker_id,
                "kind": kind, "scores": db.json(Driver.loads(scores)), "total": total, "marked_at": marked_at,
                "seconds": seconds, "by": by, "now": now, "reason": reason})
    db.execute("DELETE FROM marking_mark WHERE mark_id = :mark", {"mark": mark_id})


def _marks(db: Driver, script_id: int) -> list[tuple]:
    return db.execute(f"SELECT {_MARK_COLUMNS} FROM marking_mark WHERE script_id = :script ORDER BY mark_id",
                      {"script": script_id}).fetchall()


def return_mark(session: Session, leader: MarkerRef, code: str, reason: str, teacher_id: str | None = None) -> dict:
    """退回重评: take a marker's mark on the script out of the count and put its task back in the queue
    (at its place, which is early: any marker of the group who may mark it gets it soon). Marks given because of it (a third
    mark or an arbitration after a first or second mark; an arbitration after a third) go too, and
    the script is as it was before that mark: not final, waiting for the mark again.

    `teacher_id` names whose mark; it may be left out when the script has one marker's mark only.
    """
    script = find_script(session, leader, code)
    now = time.time()
    with _writing(session) as db:
        status, _done, _needed, source, _finals = lock_script(db, script.script_id)
        if source == "leader":
            raise ScriptLocked("the group leader's own mark is final on this script", "这份答卷已由题组长评定，不能退回")
        if status == "problem":
            raise ScriptLocked("the script is an open problem script: settle the problem first",
                               "这份答卷是待处理的问题卷：请先处理问题卷")
        marks = [m for m in _marks(db, script.script_id) if m[5] in REGULAR + ESCALATED]
        chosen = [m for m in marks if teacher_id is None or m[4] == teacher_id]
        if not chosen:
            raise Missing(f"no mark of {teacher_id or 'any marker'} on script {script.code}",
                          f"答卷 {script.code} 上没有{'这位教师的' if teacher_id else ''}评分")
        if len(chosen) > 1:
            raise AmbiguousMark(f"script {script.code} has marks of {len(chosen)} markers: name the marker "
                                f"(teacher_id)", [{"teacher_id": m[4], "kind": m[5], "total": m[7]} for m in chosen])
        target = chosen[0]
        kind = target[5]
        later = ESCALATED if kind in REGULAR else ("arbitration",) if kind == "third" else ()
        set_aside(db, target, leader.teacher_id, reason, now)
        for mark in marks:
            if mark[5] in later:
                set_aside(db, mark, leader.teacher_id, f"随{kind}退回：{reason}", now)
        for later_kind in later:
            db.execute("DELETE FROM marking_task WHERE script_id = :script AND kind = :kind",
                       {"script": script.script_id, "kind": later_kind})
        if kind in REGULAR:  # the partner's pair figures (agreement, deviation) compared it with the mark gone
            db.execute("UPDATE marking_mark SET pair_agreed = NULL, pair_deviation = NULL WHERE script_id = :script",
                       {"script": script.script_id})
        db.execute("UPDATE marking_task SET state = 'waiting', marker_id = NULL, leased_at = NULL, "
                   "lease_expires_at = NULL, done_at = NULL WHERE task_id = :task", {"task": target[1]})
        new_status = "marking" if kind in REGULAR else kind
        db.execute("UPDATE marking_script SET status = :status, marks_done = marks_done - :counted, "
                   "agreed = CASE WHEN :regular THEN NULL ELSE agreed END, source = NULL, final_scores = NULL, "
                   "final_sources = NULL, final_marks = NULL, finalised_at = NULL WHERE script_id = :script",
                   {"status": new_status, "counted": 1 if kind in REGULAR else 0, "regular": kind in REGULAR,
                    "script": script.script_id})
    session.info.setdefault("actor", leader.teacher_id)
    audit.record(session, "return_mark", "marking_script", script.code,
                 {"marker": target[4], "kind": kind, "mark_id": target[0], "scores": Driver.loads(target[6]),
                  "reason": reason, "script_status": new_status,
                  "also_set_aside": [m[0] for m in marks if m[5] in later]})
    session.commit()
    return {"code": script.code, "returned": {"teacher_id": target[4], "kind": kind},
            "also_set_aside": sum(1 for m in marks if m[5] in later), "script_status": new_status}


def leader_mark(session: Session, leader: MarkerRef, code: str, scores: Mapping[str, float], *,
                reason: str = "remark") -> dict:
    """题组长重评: the leader's own mark settles the script (final, source `leader`), whatever its marks
    so far; open tasks of the script are withdrawn and open problems of it settled."""
    script = find_script(session, leader, code)
    items = group_items(session, leader.exam_id, script.subject, script.item_group)
    clean = check_scores(items, scores)
    now = time.time()
    with _writing(session) as db:
        status, _done, _needed, _source, old_finals = lock_script(db, script.script_id)
        leader_task = db.execute("SELECT task_id FROM marking_task WHERE script_id = :script AND kind = 'leader'",
                                 {"script": script.script_id}).fetchone()
        for mark in _marks(db, script.script_id):  # the leader's earlier mark here, or an earlier leader mark
            if mark[4] == leader.teacher_id or (leader_task is not None and mark[1] == leader_task[0]):
                set_aside(db, mark, leader.teacher_id, "由题组长重评取代 superseded by the leader's mark", now)
                if leader_task is None or mark[1] != leader_task[0]:  # its task counts no mark now
                    db.execute("UPDATE marking_task SET state = 'dropped' WHERE task_id = :task", {"task": mark[1]})
        if leader_task is None:
            task_id = db.execute(
                "INSERT INTO marking_task (script_id, exam_id, subject, item_group, school_id, code, kind, priority, "
                "queue_order, state, marker_id, lease_count, items, created_at, done_at) VALUES (:script, :exam, "
                ":subject, :item_group, :school, :code, 'leader', 0, 0, 'done', :leader, 0, NULL, :now, :now) "
                "RETURNING task_id",
                {"script": script.script_id, "exam": leader.exam_id, "subject": script.subject,
                 "item_group": script.item_group, "school": script.school_id, "code": script.code,
                 "leader": leader.teacher_id, "now": now}).fetchone()[0]
        else:
            task_id = leader_task[0]
            db.execute("UPDATE marking_task SET state = 'done', marker_id = :leader, done_at = :now "
                       "WHERE task_id = :task", {"leader": leader.teacher_id, "now": now, "task": task_id})
        mark_id = db.execute(
            "INSERT INTO marking_mark (task_id, script_id, exam_id, marker_id, kind, scores, total, leased_at, "
            "marked_at, seconds, subject, item_group) VALUES (:task, :script, :exam, :leader, 'leader', :scores, "
            ":total, NULL, :now, NULL, :subject, :item_group) RETURNING mark_id",
            {"task": task_id, "script": script.script_id, "exam": leader.exam_id, "leader": leader.teacher_id,
             "scores": db.json(clean), "total": round(sum(clean.values()), 6), "now": now,
             "subject": script.subject, "item_group": script.item_group}).fetchone()[0]
        withdrawn = db.execute("UPDATE marking_task SET state = 'dropped' WHERE script_id = :script "
                               "AND state IN ('waiting', 'leased', 'held', 'problem')",
                               {"script": script.script_id}).rowcount or 0
        db.execute("UPDATE marking_script SET status = 'final', source = 'leader', final_scores = :finals, "
                   "final_sources = :sources, final_marks = :used, finalised_at = :now WHERE script_id = :script",
                   {"finals": db.json(clean), "sources": db.json({i: "leader" for i in clean}),
                    "used": db.json({i: [mark_id] for i in clean}), "now": now, "script": script.script_id})
        settled = db.execute("UPDATE marking_problem SET state = 'scored', resolved_by = :leader, resolved_at = :now "
                             "WHERE script_id = :script AND state = 'open'",
                             {"leader": leader.teacher_id, "now": now, "script": script.script_id}).rowcount or 0
    session.info.setdefault("actor", leader.teacher_id)
    audit.record(session, "leader_mark", "marking_script", script.code,
                 {"leader": leader.teacher_id, "scores": clean, "before": {"status": status,
                                                                          "finals": Driver.loads(old_finals)},
                  "reason": reason, "tasks_withdrawn": withdrawn, "problems_settled": settled})
    session.commit()
    return {"code": script.code, "mark_id": mark_id, "script_status": "final", "final_scores": clean,
            "tasks_withdrawn": withdrawn}


def teacher_names(session: Session, teacher_ids) -> dict[str, str]:  # noqa: ANN001
    ids = sorted(set(teacher_ids))
    names = dict(session.execute(select(Teacher.teacher_id, Teacher.name).where(Teacher.teacher_id.in_(ids)))
                 .tuples().all()) if ids else {}
    return {t: names.get(t, t) for t in ids}


def script_view(session: Session, leader: MarkerRef, code: str) -> dict:
    """A script of the leader's group as the leader sees it: answers (text, or scan URLs by opaque key),
    every mark with its marker's name, marks set aside, the final scores and any problem reports. Never
    the student or the school."""
    from models.marking_quality import MarkingProblem, SetAsideMark

    from .serving import task_answers

    script = find_script(session, leader, code)
    row = session.get_one(MarkingScript, script.script_id)
    items = group_items(session, leader.exam_id, script.subject, script.item_group)
    answers, scans = task_answers(session, leader.exam_id, script.subject, script.item_group, script.script_id,
                                  script.code, items)
    marks = session.execute(select(MARKS.c.mark_id, MARKS.c.kind, MARKS.c.marker_id, MARKS.c.scores, MARKS.c.total,
                                   MARKS.c.marked_at, MARKS.c.seconds)
                            .where(MARKS.c.script_id == script.script_id).order_by(MARKS.c.mark_id)).all()
    aside = session.scalars(select(SetAsideMark).where(SetAsideMark.script_id == script.script_id)
                            .order_by(SetAsideMark.set_aside_id)).all()
    problems = session.scalars(select(MarkingProblem).where(MarkingProblem.script_id == script.script_id)
                               .order_by(MarkingProblem.problem_id)).all()
    names = teacher_names(session, [m.marker_id for m in marks] + [a.marker_id for a in aside]
                          + [p.reported_by for p in problems])
    view = {"code": script.code, "status": row.status, "source": row.source, "marks_needed": row.marks_needed,
            "items": [{"item_id": i.item_id, "position": i.position, "max_score": i.max_score,
                       "score_step": i.step, "rubric": i.rubric} for i in items],
            "answers": answers, "scans": scans,
            "marks": [{"mark_id": m.mark_id, "kind": m.kind, "teacher_id": m.marker_id, "name": names[m.marker_id],
                       "scores": m.scores, "total": m.total, "marked_at": m.marked_at, "seconds": m.seconds}
                      for m in marks],
            "set_aside": [{"kind": a.kind, "teacher_id": a.marker_id, "name": names[a.marker_id], "scores": a.scores,
                           "total": a.total, "set_aside_at": a.set_aside_at, "reason": a.reason} for a in aside],
            "final_scores": row.final_scores, "final_sources": row.final_sources,
            "problems": [{"problem_id": p.problem_id, "reason": p.reason, "note": p.note, "state": p.state,
                          "reported_by": names[p.reported_by], "reported_at": p.reported_at} for p in problems]}
    session.commit()
    return view


def marker_marks(session: Session, leader: MarkerRef, teacher_id: str, *, limit: int = 50) -> list[dict]:
    """A marker's latest counted marks in the leader's group, newest first, with the partner's total where
    the script is double-marked: what a leader looks at before returning a script (退回重评)."""
    rows = session.execute(select(MARKS.c.mark_id, MARKS.c.script_id, MARKS.c.kind, MARKS.c.scores, MARKS.c.total,
                                  MARKS.c.marked_at, MARKS.c.seconds, MarkingScript.code, MarkingScript.status,
                                  MarkingScript.agreed)
                           .join(MarkingScript, MarkingScript.script_id == MARKS.c.script_id)
                           .where(MARKS.c.exam_id == leader.exam_id, MARKS.c.marker_id == teacher_id,
                                  MarkingScript.subject == leader.subject,
                                  MarkingScript.item_group == leader.item_group)
                           .order_by(MARKS.c.mark_id.desc()).limit(limit)).all()
    partners: dict[int, float] = {}
    ids = [r.script_id for r in rows]
    if ids:
        for script_id, total in session.execute(select(MARKS.c.script_id, MARKS.c.total).where(
                MARKS.c.script_id.in_(ids), MARKS.c.marker_id != teacher_id,
                MARKS.c.kind.in_(REGULAR))).tuples():
            partners[script_id] = float(total)
    session.commit()
    return [{"mark_id": r.mark_id, "code": r.code, "kind": r.kind, "scores": r.scores, "total": r.total,
             "marked_at": r.marked_at, "seconds": r.seconds, "partner_total": partners.get(r.script_id),
             "agreed": r.agreed, "script_status": r.status} for r in rows]
