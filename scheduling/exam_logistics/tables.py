"""Build invigilation and marking inputs from bundle-shaped DataFrames (bundle/spec.py columns).

The lead feeds these from the database or a bundle. Both typed tables (as `bundle.validate`
returns them: bools, lists of grades, ISO dates) and raw text cells ("1", "7;8") are accepted.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Mapping

import pandas as pd

from domain.vocab import BOOL_TRUE, OBJECTIVE_ITEM_TYPES
from .data import ExamRoom, ExamSchool, ExamSession, ExamTeacher, InvigilationInput, ItemGroup, MarkingInput
from .policy import InvigilationPolicy, MarkingPolicy

Tables = Mapping[str, pd.DataFrame]


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _str(v) -> str:
    if _missing(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _bool(v) -> bool:
    if isinstance(v, bool):
        return v
    if _missing(v):
        return False
    return str(v).strip().lower() in BOOL_TRUE


def _int(v, default: int = 0) -> int:
    if _missing(v) or _str(v) == "":
        return default
    return int(float(v))


def _float(v, default: float = 0.0) -> float:
    if _missing(v) or _str(v) == "":
        return default
    return float(v)


def _grades(v) -> tuple[int, ...]:
    if isinstance(v, (list, tuple, set)):
        return tuple(sorted({int(g) for g in v}))
    if _missing(v):
        return ()
    return tuple(sorted({int(p) for p in re.split(r"[;；,]", str(v)) if p.strip()}))


def _table(tables: Tables, name: str) -> pd.DataFrame:
    t = tables.get(name)
    return t if t is not None else pd.DataFrame()


def exam_sessions(tables: Tables, exam_id: str) -> list[ExamSession]:
    es = _table(tables, "exam_sessions")
    if es.empty:
        raise ValueError("exam_sessions table is empty")
    rows = es[es["exam_id"].map(_str) == str(exam_id)]
    if rows.empty:
        raise ValueError(f"exam {exam_id!r} has no sessions in exam_sessions")
    return [ExamSession(_str(r.session_id), _str(r.subject), _int(r.grade), _str(r.date)[:10],
                        _str(r.start) or "08:30", _str(r.end) or "10:30") for r in rows.itertuples(index=False)]


def candidates_by_school_grade(tables: Tables) -> Counter:
    """Candidates (考生) per (school_id, grade): students of classes of the grade, else class sizes."""
    classes = _table(tables, "classes")
    students = _table(tables, "students")
    out: Counter = Counter()
    if classes.empty:
        return out
    grade_of = {_str(c): _int(g) for c, g in zip(classes["class_id"], classes["grade"])}
    if not students.empty:
        for cls, school in zip(students["class_id"], students["school_id"]):
            g = grade_of.get(_str(cls))
            if g is not None:
                out[_str(school), g] += 1
    else:
        for school, g, size in zip(classes["school_id"], classes["grade"], classes["size"]):
            out[_str(school), _int(g)] += _int(size)
    return out


def _exam_cluster(tables: Tables, exam_id: str) -> str:
    exams = _table(tables, "exams")
    if exams.empty or "cluster_id" not in exams:
        return ""
    rows = exams[exams["exam_id"].map(_str) == str(exam_id)]
    return _str(rows["cluster_id"].iloc[0]) if len(rows) else ""


def participating_schools(tables: Tables, exam_id: str, grades: Iterable[int], candidates: Counter,
                          school_ids: Iterable[str] | None = None) -> list[ExamSchool]:
    """The exam's cluster (exams.cluster_id), or every school with candidates of the exam's grades."""
    schools = _table(tables, "schools")
    grades = set(grades)
    cluster = _exam_cluster(tables, exam_id)
    wanted = {str(s) for s in school_ids} if school_ids is not None else None
    out = []
    for r in schools.itertuples(index=False):
        sid = _str(r.school_id)
        if wanted is not None:
            if sid not in wanted:
                continue
        elif cluster:
            if _str(getattr(r, "cluster_id", "")) != cluster:
                continue
        elif not any(candidates.get((sid, g), 0) > 0 for g in grades):
            continue
        out.append(ExamSchool(sid, _str(getattr(r, "name", "")), _float(getattr(r, "lat", 0.0)),
                              _float(getattr(r, "lon", 0.0)), _str(getattr(r, "locality", "")) or "urban",
                              _str(getattr(r, "cluster_id", "")), _bool(getattr(r, "is_lead", False))))
    return out


def _teachers(tables: Tables, school_ids: set[str], sessions: list[ExamSession]) -> list[ExamTeacher]:
    teachers = _table(tables, "teachers")
    unav = _table(tables, "unavailability")
    session_ids = {s.session_id for s in sessions}
    dates: dict[str, set[str]] = {}
    sess: dict[str, set[str]] = {}
    if not unav.empty:
        for tid, date, sid in zip(unav["teacher_id"], unav["date"], unav.get("session_id", [None] * len(unav))):
            tid, sid = _str(tid), _str(sid)
            if sid:
                if sid in session_ids:
                    sess.setdefault(tid, set()).add(sid)
            else:
                dates.setdefault(tid, set()).add(_str(date)[:10])
    # grades of the classes a teacher teaches (class_teachers.csv) count as grades taught too
    taught: dict[str, set[int]] = {}
    ct, classes = _table(tables, "class_teachers"), _table(tables, "classes")
    if not ct.empty and not classes.empty:
        grade_of = {_str(c): _int(g) for c, g in zip(classes["class_id"], classes["grade"])}
        for cls, tid in zip(ct["class_id"], ct["teacher_id"]):
            g = grade_of.get(_str(cls))
            if g is not None:
                taught.setdefault(_str(tid), set()).add(g)
    out = []
    for r in teachers.itertuples(index=False):
        school = _str(r.school_id)
        if school not in school_ids:
            continue
        tid = _str(r.teacher_id)
        grades = tuple(sorted(set(_grades(getattr(r, "grades", None))) | taught.get(tid, set())))
        out.append(ExamTeacher(tid, school, _str(r.subject).lower(), grades,
                               _str(getattr(r, "role", "")) or "teacher", _bool(getattr(r, "backbone", False)),
                               _int(getattr(r, "teaching_years", 0)), _str(getattr(r, "name", "")),
                               frozenset(dates.get(tid, ())), frozenset(sess.get(tid, ()))))
    return out


def _distances(tables: Tables) -> dict[tuple[str, str], float] | None:
    """The rows of distances.csv as given; `domain.geo.SchoolDistances` applies them (both ways)."""
    d = _table(tables, "distances")
    if d.empty:
        return None
    return {(_str(a), _str(b)): float(km) for a, b, km in zip(d["from_id"], d["to_id"], d["km"]) if not _missing(km)}


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
    rooms = [ExamRoom(_str(r.school_id), _str(r.room_id), _int(r.capacity)) for r in rooms_t.itertuples(index=False)
             if _str(r.school_id) in ids] if not rooms_t.empty else []
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
        used = set(usage.loc[usage["exam_id"].map(_str) == str(exam_id), "item_id"].map(_str))
        rows = items[items["item_id"].map(_str).isin(used) & (items["subject"].map(_str) == subject)]
        if "grade" in rows:
            rows = rows[rows["grade"].map(_int) == int(grade)]
        rows = rows[~rows["item_type"].map(_str).isin(OBJECTIVE_ITEM_TYPES)]
        current: list[str] = []
        seconds = 0.0
        for r in rows.itertuples(index=False):
            current.append(_str(r.item_id))
            seconds += policy.seconds_base + policy.seconds_per_point * _float(r.max_score)
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
