"""What the marker API reads for a marker besides the queue: a leased script's answers and scan keys,
a scanned image a marker may see, and the names a marker's page shows (all cheap, per request).

Nothing here returns a student id, a student's name or a school: answers are text or an opaque scan
key (marking/scans.py), and a scan's file path stays on the server.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from marking.rules import ItemStandard
from marking.scans import is_scan, parse_key, scan_url

from .connection import _reading, _url
from .records import MarkerRef, NotFound, group_items

_ANSWERS = """
SELECT response.item_id, response.answer FROM response
JOIN marking_script ON marking_script.exam_id = response.exam_id
                   AND marking_script.student_id = response.student_id
WHERE marking_script.script_id = :script AND response.item_id IN ({items})
"""
_SCRIPT_BY_CODE = """
SELECT script_id, subject, item_group FROM marking_script WHERE exam_id = :exam AND code = :code
"""
_HOLDS = """
SELECT 1 FROM marking_task WHERE script_id = :script AND marker_id = :marker AND state = 'leased' LIMIT 1
"""
_ANSWER = """
SELECT response.answer FROM response
JOIN marking_script ON marking_script.exam_id = response.exam_id
                   AND marking_script.student_id = response.student_id
WHERE marking_script.script_id = :script AND response.item_id = :item
"""


def task_answers(session: Session, exam_id: str, subject: str, item_group: str, script_id: int, code: str,
                 items: Sequence[ItemStandard]) -> tuple[dict[str, str | None], dict[str, str]]:
    """A leased script's answers to these items: (text answers, scan URLs) by item id.

    A scanned answer is null in the first and `scans/<key>` in the second; a text answer (or a
    blank, null) is in the first only. One indexed read.
    """
    answers: dict[str, str | None] = {i.item_id: None for i in items}
    if not items:
        return answers, {}
    params: dict[str, object] = {"script": script_id, **{f"i{k}": i.item_id for k, i in enumerate(items)}}
    if script_id < 0:  # a standard script (标准卷) of quality control: its answers are stored with it
        from .quality_store import standard_answers

        rows = list(standard_answers(session, -script_id, items).items())
    else:
        with _reading(session) as db:
            rows = db.execute(_ANSWERS.format(items=", ".join(f":i{k}" for k in range(len(items)))),
                              params).fetchall()
    place = {item.item_id: k + 1 for k, item in enumerate(group_items(session, exam_id, subject, item_group))}
    scans: dict[str, str] = {}
    for item_id, answer in rows:
        if is_scan(answer):
            scans[item_id] = scan_url(code, place[item_id])
        else:
            answers[item_id] = answer
    return answers, scans


@dataclass(frozen=True)
class ScanAccess:
    """A scan key resolved for a marker: the file reference (server side only) if they may see it."""

    found: bool  # the key names a scanned answer of a script of the marker's exam
    allowed: bool  # the marker holds a lease on the script, or leads its group
    reference: str | None = None


def scan_for(session: Session, marker: MarkerRef, key: str) -> ScanAccess:
    """Whether the key names a scanned answer this marker may see, and its file reference."""
    parsed = parse_key(key)
    if parsed is None:
        return ScanAccess(False, False)
    code, index = parsed
    with _reading(session) as db:
        script = db.execute(_SCRIPT_BY_CODE, {"exam": marker.exam_id, "code": code}).fetchone()
    if script is None:  # perhaps the code of a quality check (试评, 回评, 标准卷): its holder or a leader sees it
        from .quality_store import check_scan

        found = check_scan(session, marker, code, index)
        return ScanAccess(False, False) if found is None else ScanAccess(*found)
    with _reading(session) as db:
        script_id, subject, item_group = script
        try:
            items = group_items(session, marker.exam_id, subject, item_group)
        except NotFound:
            return ScanAccess(False, False)
        if index > len(items):
            return ScanAccess(False, False)
        leads = marker.is_leader and (marker.subject, marker.item_group) == (subject, item_group)
        holds = leads or db.execute(_HOLDS, {"script": script_id, "marker": marker.teacher_id}).fetchone() is not None
        row = db.execute(_ANSWER, {"script": script_id, "item": items[index - 1].item_id}).fetchone()
    reference = row[0] if row is not None else None
    if not is_scan(reference):
        return ScanAccess(False, holds)
    return ScanAccess(True, holds, reference if holds else None)


# --- names a marker's page shows (cached per process: they do not change while marking) -------------

_names: dict[tuple, str | None] = {}


def _name(session: Session, key: tuple, sql: str, params: dict) -> str | None:
    cache_key = (_url(session), *key)
    if cache_key not in _names:
        with _reading(session) as db:
            row = db.execute(sql, params).fetchone()
        if len(_names) > 10000:
            _names.clear()
        _names[cache_key] = row[0] if row is not None else None
    return _names[cache_key]


def exam_name(session: Session, exam_id: str) -> str | None:
    return _name(session, ("exam", exam_id), "SELECT name FROM exam WHERE exam_id = :exam", {"exam": exam_id})


def teacher_name(session: Session, teacher_id: str) -> str | None:
    return _name(session, ("teacher", teacher_id), "SELECT name FROM teacher WHERE teacher_id = :teacher",
                 {"teacher": teacher_id})


_standards: dict[tuple, dict[str, dict]] = {}


def marking_standard(session: Session, exam_id: str, subject: str, item_group: str) -> dict[str, dict]:
    """The group's marking standard (评分标准) by item: {"rubric", "answer" (参考答案, the paper's key of a
    subjective item, or null), "samples" (样例: scored sample answers; no paper or bank holds any yet, so
    always empty)}. Items with neither rubric nor reference answer are left out."""
    from marking.paper import paper_entries

    cache_key = (_url(session), exam_id, subject, item_group)
    if cache_key not in _standards:
        items = group_items(session, exam_id, subject, item_group)
        keys = {e.item_id: e.key for e in paper_entries(session, exam_id, [subject]) if not e.objective}
        session.commit()
        _standards[cache_key] = {
            i.item_id: {"rubric": i.rubric or "", "answer": keys.get(i.item_id) or None, "samples": []}
            for i in items if i.rubric or keys.get(i.item_id)}
    return _standards[cache_key]


def group_positions(session: Session, exam_id: str, subject: str, item_group: str) -> list[int]:
    """The question numbers (题号) of a group's items."""
    return [i.position for i in group_items(session, exam_id, subject, item_group)]


_ARBITRATION_TASKS = """
SELECT task_id, script_id, code, state, items, school_id FROM marking_task
WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group AND kind = 'arbitration'
  AND state <> 'done'
ORDER BY task_id
"""


def arbitration_rows(session: Session, marker: MarkerRef) -> list[dict]:
    """The leader's group's scripts waiting for (or in) arbitration, with their marks so far (kind, item
    scores, total; no marker): `views.arbitration_queue` in two indexed reads instead of one per script."""
    from marking.sql import Driver

    params = {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group}
    with _reading(session) as db:
        tasks = db.execute(_ARBITRATION_TASKS, params).fetchall()
        scripts = sorted({row[1] for row in tasks})
        marks: dict[int, list[dict]] = {}
        if scripts:
            names = ", ".join(f":s{k}" for k in range(len(scripts)))
            for script_id, kind, scores, total in db.execute(
                    f"SELECT script_id, kind, scores, total FROM marking_mark WHERE script_id IN ({names}) "
                    "ORDER BY mark_id", {f"s{k}": s for k, s in enumerate(scripts)}).fetchall():
                marks.setdefault(script_id, []).append({"kind": kind, "scores": Driver.loads(scores), "total": total})
    return [{"task_id": task_id, "code": code, "state": state, "items": list(Driver.loads(items) or []),
             "recused": school_id == marker.school_id, "marks": marks.get(script_id, [])}
            for task_id, script_id, code, state, items, school_id in tasks]
