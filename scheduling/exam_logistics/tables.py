"""Build invigilation and marking inputs from bundle-shaped DataFrames (bundle/spec.py columns).

The lead feeds these from the database or a bundle. Both typed tables (as `bundle.validate`
returns them: bools, lists of grades, ISO dates) and raw text cells ("1", "7;8") are accepted
(`bundle.cells` reads them: a blank count or coordinate is 0 here, an unknown boolean is no).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Mapping

import pandas as pd

from bundle.cells import cell_bool, cell_float, cell_int, cell_text, is_blank
from domain.vocab import OBJECTIVE_ITEM_TYPES
from .data import ExamRoom, ExamSchool, ExamSession, ExamTeacher, InvigilationInput, ItemGroup, MarkingInput
from .policy import InvigilationPolicy, MarkingPolicy

Tables = Mapping[str, pd.DataFrame]


def _grades(v) -> tuple[int, ...]:
    if isinstance(v, (list, tuple, set)):
        return tuple(sorted({int(g) for g in v}))
    if is_blank(v):
        return ()
    return tuple(sorted({int(p) for p in re.split(r"[;；,]", str(v)) if p.strip()}))


def _table(tables: Tables, name: str) -> pd.DataFrame:
    t = tables.get(name)
    return t if t is not None else pd.DataFrame()


def exam_sessions(tables: Tables, exam_id: str) -> list[ExamSession]:
    es = _table(tables, "exam_sessions")
    if es.empty:
        raise ValueError("exam_sessions table is empty")
    rows = es[es["exam_id"].map(cell_text) == str(exam_id)]
    if rows.empty:
        raise ValueError(f"exam {exam_id!r} has no sessions in exam_sessions")
    return [ExamSession(cell_text(r.session_id), cell_text(r.subject), cell_int(r.grade, 0), cell_text(r.date)[:10],
                        cell_text(r.start) or "08:30", cell_text(r.end) or "10:30")
            for r in rows.itertuples(index=False)]


def candidates_by_school_grade(tables: Tables) -> Counter:
    """Candidates (考生) per (school_id, grade): students of classes of the grade, else class sizes."""
    classes = _table(tables, "classes")
    students = _table(tables, "students")
    out: Counter = Counter()
    if classes.empty:
        return out
    grade_of = {cell_text(c): cell_int(g, 0) for c, g in zip(classes["class_id"], classes["grade"])}
    if not students.empty:
        for cls, school in zip(students["class_id"], students["school_id"]):
            g = grade_of.get(cell_text(cls))
            if g is not None:
                out[cell_text(school), g] += 1
    else:
        for school, g, size in zip(classes["school_id"], classes["grade"], classes["size"]):
            out[cell_text(school), cell_int(g, 0)] += cell_int(size, 0)
    return out


def _exam_cluster(tables: Tables, exam_id: str) -> str:
    exams = _table(tables, "exams")
    if exams.empty or "cluster_id" not in exams:
        return ""
    rows = exams[exams["exam_id"].map(cell_text) == str(exam_id)]
    return cell_text(rows["cluster_id"].iloc[0]) if len(rows) else ""


def participating_schools(tables: Tables, exam_id: str, grades: Iterable[int], candidates: Counter,
                          school_ids: Iterable[str] | None = None) -> list[ExamSchool]:
    """The exam's cluster (exams.cluster_id), or every school with candidates of the exam's grades."""
    schools = _table(tables, "schools")
    grades = set(grades)
    cluster = _exam_cluster(tables, exam_id)
    wanted = {str(s) for s in school_ids} if school_ids is not None else None
    out = []
    for r in schools.itertuples(index=False):
        sid = cell_text(r.school_id)
        if wanted is not None:
            if sid not in wanted:
                continue
        elif cluster:
            if cell_text(getattr(r, "cluster_id", "")) != cluster:
                continue
        elif not any(candidates.get((sid, g), 0) > 0 for g in grades):
            continue
        out.append(ExamSchool(sid, cell_text(getattr(r, "name", "")), cell_float(getattr(r, "lat", 0.0), 0.0),
                              cell_float(getattr(r, "lon", 0.0), 0.0), cell_text(getattr(r, "locality", "")) or "urban",
                              cell_text(getattr(r, "cluster_id", "")), cell_bool(getattr(r, "is_lead", False))))
    return out


def _teachers(tables: Tables, school_ids: set[str], sessions: list[ExamSession]) -> list[ExamTeacher]:
    teachers = _table(tables, "teachers")
    unav = _table(tables, "unavailability")
    session_ids = {s.session_id for s in sessions}
    dates: dict[str, set[str]] = {}
    sess: dict[str, set[str]] = {}
    if not unav.empty:
        for tid, date, sid in zip(unav["teacher_id"], unav["date"], unav.get("session_id", [None] * len(unav))):
            tid, sid = cell_text(tid), cell_text(sid)
            if sid:
                if sid in session_ids:
                    sess.setdefault(tid, set()).add(sid)
            else:
                dates.setdefault(tid, set()).add(cell_text(date)[:10])
    # grades of the classes a teacher teaches (class_teachers.csv) count as grades taught too
    taught: dict[str, set[int]] = {}
    ct, classes = _table(tables, "class_teachers"), _table(tables, "classes")
    if not ct.empty and not classes.empty:
        grade_of = {cell_text(c): cell_int(g, 0) for c, g in zip(classes["class_id"], classes["grade"])}
        for cls, tid in zip(ct["class_id"], ct["teacher_id"]):
            g = grade_of.get(cell_text(cls))
            if g is not None:
                taught.setdefault(cell_text(tid), set()).add(g)
    out = []
    for r in teachers.itertuples(index=False):
        school = cell_text(r.school_id)
        if school not in school_ids:
            continue
        tid = cell_text(r.teacher_id)
        grades = tuple(sorted(set(_grades(getattr(r, "grades", None))) | taught.get(tid, set())))
        out.append(ExamTeacher(tid, school, cell_text(r.subject).lower(), grades,
                               cell_text(getattr(r, "role", "")) or "teacher", cell_bool(getattr(r, "backbone", False)),
                               cell_int(getattr(r, "teaching_years", 0), 0), cell_text(getattr(r, "name", "")),
                               frozenset(dates.get(tid, ())), frozenset(sess.get(tid, ()))))
    return out


def _distances(tables: Tables) -> dict[tuple[str, str], float] | None:
    """The rows of distances.csv as given; `domain.geo.SchoolDistances` applies them (both ways)."""
    d = _table(tables, "distances")
    if d.empty:
        return None
    return {(cell_text(a), cell_text(b)): float(km)
            for a, b, km in zip(d["from_id"], d["to_id"], d["km"]) if not is_blank(km)}


def invigilation_input_from_tables(tables: Tables, exam_id: str, policy: InvigilationPolicy | None = None, *,
                                   school_ids: Iterable[str] | None = None) -> InvigilationInput:
    """The invigilation input of one joint exam. Sites are the participating schools; each session
    uses the fewest rooms of a site that seat its candidates of the session's grade."""
    del policy  # the input holds facts only; rules are applied by the planner
    sessions = exam_sessions(tables, exam_id)
    candidates = candidates_by_school_grade(tables)
    schools = participating_schools(tables, exam_id, {s.grade for s in sessions}, candidates, school_ids)
    ids = {s.school_id for s in schools}
    rooms_t = _table(tables, "rooms")
    rooms = [ExamRoom(cell_text(r.school_id), cell_text(r.room_id), cell_int(r.capacity, 0))
             for r in rooms_t.itertuples(index=False) if cell_text(r.school_id) in ids] if not rooms_t.empty else []
    grades = {s.grade for s in sessions}
    cand = {(s, g): n for (s, g), n in candidates.items() if s in ids and g in grades}
    return InvigilationInput(str(exam_id), tuple(schools), tuple(_teachers(tables, ids, sessions)), tuple(sessions),
                             tuple(rooms), cand, _distances(tables))


def item_groups_from_bank(tables: Tables, exam_id: str, subject: str, grade: int,
                          policy: MarkingPolicy) -> list[ItemGroup]:
    """The exam's subjective items of a subject (item_usage → items), grouped in bank order until a
    group takes at least `min_group_seconds` per script; the policy's default groups otherwise."""
    items = _table(tables, "items")
    usage = _table(tables, "item_usage")
    groups: list[ItemGroup] = []
    if not items.empty and not usage.empty:
        used = set(usage.loc[usage["exam_id"].map(cell_text) == str(exam_id), "item_id"].map(cell_text))
        rows = items[items["item_id"].map(cell_text).isin(used) & (items["subject"].map(cell_text) == subject)]
        if "grade" in rows:
            rows = rows[rows["grade"].map(lambda g: cell_int(g, 0)) == int(grade)]
        rows = rows[~rows["item_type"].map(cell_text).isin(OBJECTIVE_ITEM_TYPES)]
        current: list[str] = []
        seconds = 0.0
        for r in rows.itertuples(index=False):
            current.append(cell_text(r.item_id))
            seconds += policy.seconds_base + policy.seconds_per_point * cell_float(r.max_score, 0.0)
            if seconds >= policy.min_group_seconds:
                groups.append(ItemGroup(subject, f"{subject}-G{len(groups) + 1}", seconds, tuple(current)))
                current, seconds = [], 0.0
        if current:
            if groups:
                last = groups.pop()
                groups.append(ItemGroup(subject, last.group_id, last.seconds_per_script + seconds, last.items + tuple(current)))
            else:
                groups.append(ItemGroup(subject, f"{subject}-G1", seconds, tuple(current)))
    if not groups:
        groups = [ItemGroup(subject, f"{subject}-G{i + 1}", policy.default_group_seconds)
                  for i in range(policy.default_groups_per_subject)]
    return merged_groups(groups, policy.max_groups_per_subject)


def merged_groups(groups: list[ItemGroup], limit: int) -> list[ItemGroup]:
    """A subject's item groups merged down to `limit` (policy `max_groups_per_subject`; 0 = no limit):
    each time the adjacent pair that takes least time together."""
    groups = list(groups)
    while limit and len(groups) > limit:
        i = min(range(len(groups) - 1), key=lambda k: groups[k].seconds_per_script + groups[k + 1].seconds_per_script)
        a, b = groups[i], groups[i + 1]
        groups[i:i + 2] = [ItemGroup(a.subject, a.group_id, a.seconds_per_script + b.seconds_per_script, a.items + b.items)]
    return groups


def default_marking_site(schools: list[ExamSchool]) -> str | None:
    """The lead school (学区长学校) if there is one, else the school nearest the others' centre."""
    if not schools:
        return None
    leads = [s for s in schools if s.is_lead]
    if len(leads) == 1:
        return leads[0].school_id
    lat = sum(s.lat for s in schools) / len(schools)
    lon = sum(s.lon for s in schools) / len(schools)
    return min(schools, key=lambda s: (s.lat - lat) ** 2 + ((s.lon - lon) * math.cos(math.radians(lat))) ** 2).school_id


def marking_input_from_tables(tables: Tables, exam_id: str, policy: MarkingPolicy | None = None, *,
                              grade: int | None = None, site_school_id: str | None = None,
                              hours_available: float | None = None, dates: Iterable[str] = (),
                              school_ids: Iterable[str] | None = None) -> MarkingInput:
    """The marking input of one joint exam and grade: scripts = candidates of the grade per subject."""
    policy = policy or MarkingPolicy()
    sessions = exam_sessions(tables, exam_id)
    grades = sorted({s.grade for s in sessions})
    if grade is None:
        if len(grades) != 1:
            raise ValueError(f"exam {exam_id!r} has grades {grades}; say which grade to mark")
        grade = grades[0]
    sessions = [s for s in sessions if s.grade == grade]
    candidates = candidates_by_school_grade(tables)
    schools = participating_schools(tables, exam_id, [grade], candidates, school_ids)
    ids = {s.school_id for s in schools}
    cand = {s: candidates.get((s, grade), 0) for s in sorted(ids)}
    subjects = list(dict.fromkeys(s.subject for s in sessions))
    groups = [g for subj in subjects for g in item_groups_from_bank(tables, exam_id, subj, grade, policy)]
    scripts = {subj: sum(cand.values()) for subj in subjects}
    site = site_school_id if site_school_id is not None else default_marking_site(schools)
    return MarkingInput(str(exam_id), int(grade), tuple(schools), tuple(_teachers(tables, ids, sessions)), tuple(groups),
                        scripts, cand, hours_available, site, tuple(dates), _distances(tables))
