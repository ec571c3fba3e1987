"""Opening the queue (开启阅卷): one anonymous script per student and item group, with its tasks."""
from __future__ import annotations

import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from marking.paper import paper_entries, subjective_groups
from marking.policy import MarkingPolicy, load_policy
from models.district import Student
from models.exams import Response
from models.marking import MarkingGroup, MarkingScript

from .records import _PRIORITY, SCRIPTS, TASKS, _group_cache


# --- opening the queue ----------------------------------------------------------------------

@dataclass
class OpenReport:
    groups: list[tuple[str, str]] = field(default_factory=list)  # (subject, item_group)
    scripts: int = 0  # scripts created now
    tasks: int = 0
    double_marked: int = 0
    already_open: int = 0  # scripts that existed before


def _unit_hash(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def _new_codes(count: int, taken: set[str]) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = secrets.token_hex(6).upper()
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def open_marking(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None, seed: int = 0,
                 subjects: Sequence[str] | None = None) -> OpenReport:
    """Open the queue from Responses and the approved/locked papers' subjective items.

    One anonymous script per student who sat the subject and item group, with one task per mark it
    needs (double marking for a `double_share` of scripts, drawn by a seeded hash). Idempotent: run
    again after more responses arrive, it adds only the new scripts. The group's marking standard
    (max, step, tolerance) is frozen on first open.
    """
    from marking.assist_store import clear_assist_cache

    from .quality_store import forget_exam

    policy = policy or load_policy()
    _group_cache.clear()
    clear_assist_cache()
    forget_exam()  # quality control reads pauses, trials and checks again
    now = time.time()
    report = OpenReport()
    groups = subjective_groups(paper_entries(session, exam_id, subjects))
    existing_groups = {(g.subject, g.item_group): g for g in session.scalars(
        select(MarkingGroup).where(MarkingGroup.exam_id == exam_id))}
    for (subject, name), entries in groups.items():
        report.groups.append((subject, name))
        if (subject, name) not in existing_groups:
            session.add(MarkingGroup(exam_id=exam_id, subject=subject, item_group=name,
                                     items=[e.standard(policy.double).to_dict() for e in entries],
                                     double_share=policy.double.double_share, opened_at=now))
    session.flush()
    sat = session.execute(
        select(Response.student_id, Response.subject, Student.school_id)
        .join(Student, Student.student_id == Response.student_id)
        .where(Response.exam_id == exam_id).distinct()).tuples().all()
    existing = set(session.execute(select(MarkingScript.student_id, MarkingScript.subject, MarkingScript.item_group)
                                   .where(MarkingScript.exam_id == exam_id)).tuples().all())
    report.already_open = len(existing)
    taken = set(session.scalars(select(MarkingScript.code).where(MarkingScript.exam_id == exam_id)))
    new_scripts: list[dict] = []
    for student_id, subject, school_id in sorted(sat):
        for (group_subject, name) in groups:
            if group_subject != subject or (student_id, subject, name) in existing:
                continue
            share = existing_groups[(subject, name)].double_share if (subject, name) in existing_groups \
                else policy.double.double_share
            double = _unit_hash(seed, exam_id, subject, name, student_id) < share
            new_scripts.append({"exam_id": exam_id, "subject": subject, "item_group": name, "student_id": student_id,
                                "school_id": school_id, "marks_needed": 2 if double else 1, "marks_done": 0,
                                "status": "marking"})
    # Queue order is a seeded shuffle, not student order: student ids group by school, and a queue
    # that runs school by school would make a marker of that school skip hundreds of scripts on
    # every lease (and would tell markers which school a run of scripts came from).
    new_scripts.sort(key=lambda s: _unit_hash(seed, "order", exam_id, s["subject"], s["item_group"], s["student_id"]))
    for script, code in zip(new_scripts, _new_codes(len(new_scripts), taken)):
        script["code"] = code
    # A script's place in its group's queue continues after the scripts opened earlier.
    placed = Counter((subject, name) for _, subject, name in existing)
    lag = policy.queue.second_mark_lag
    for start in range(0, len(new_scripts), 2000):
        chunk = new_scripts[start:start + 2000]
        ids = session.execute(insert(SCRIPTS).returning(SCRIPTS.c.script_id, sort_by_parameter_order=True),
                              chunk).scalars().all()
        tasks = []
        for script, script_id in zip(chunk, ids):
            group = (script["subject"], script["item_group"])
            place = placed[group]
            placed[group] += 1
            orders = {"first": 2 * place, "second": 2 * (place + lag) + 1}
            kinds = ("first", "second") if script["marks_needed"] == 2 else ("first",)
            tasks += [{"script_id": script_id, "exam_id": exam_id, "subject": script["subject"],
                       "item_group": script["item_group"], "school_id": script["school_id"], "code": script["code"],
                       "kind": kind, "priority": _PRIORITY[kind], "queue_order": orders[kind], "state": "waiting",
                       "lease_count": 0, "items": None, "created_at": now} for kind in kinds]
        session.execute(insert(TASKS), tasks)
        report.tasks += len(tasks)
    report.scripts = len(new_scripts)
    report.double_marked = sum(1 for s in new_scripts if s["marks_needed"] == 2)
    session.flush()
    return report
