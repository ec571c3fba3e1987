"""Read queries of the term planning pages (学期排班): what changed between two versions of a roster,
the leaders' week, mentoring pairs, the cluster's teachers and schools for the forms, policy versions.

Names, never ids, in everything a person reads; the ids stay for the forms' values.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.term_planning import RosterRow, RosterView, plan_scope, roster_view
from models.db import session_scope
from models.district import School, Teacher
from models.plans import Plan
from models.policies import policy_versions
from models.scenarios import current_plan

WEEKDAYS = (1, 2, 3, 4, 5)  # Monday … Friday: the leaders' exchange days


@dataclass(frozen=True)
class RowChange:
    """One teacher whose rows differ between two versions: added, removed or moved (another host)."""

    change: str  # added, removed, moved
    teacher_name: str
    kind: str
    from_school_name: str
    before: tuple[str, ...]  # host school names before
    after: tuple[str, ...]


def _hosts(rows: tuple[RosterRow, ...]) -> dict[tuple[str, str], tuple[RosterRow, tuple[str, ...]]]:
    """(teacher, kind) → (a row, the host schools by name, sorted)."""
    out: dict[tuple[str, str], tuple[RosterRow, set[str]]] = {}
    for r in rows:
        first, hosts = out.setdefault((r.teacher_id, r.kind), (r, set()))
        hosts.add(r.to_school_name)
    return {k: (row, tuple(sorted(hosts))) for k, (row, hosts) in out.items()}


def roster_changes(before: RosterView, after: RosterView) -> list[RowChange]:
    """What `after` changed against `before`, per teacher and kind of exchange; added first, then moved,
    then removed, by teacher name."""
    old, new = _hosts(before.rows), _hosts(after.rows)
    changes = []
    for key in new.keys() - old.keys():
        row, hosts = new[key]
        changes.append(RowChange("added", row.teacher_name, row.kind, row.from_school_name, (), hosts))
    for key in old.keys() & new.keys():
        if old[key][1] != new[key][1]:
            row = new[key][0]
            changes.append(RowChange("moved", row.teacher_name, row.kind, row.from_school_name, old[key][1], new[key][1]))
    for key in old.keys() - new.keys():
        row, hosts = old[key]
        changes.append(RowChange("removed", row.teacher_name, row.kind, row.from_school_name, hosts, ()))
    order = {"added": 0, "moved": 1, "removed": 2}
    return sorted(changes, key=lambda c: (order[c.change], c.teacher_name, c.kind))


def previous_version(url: str, view: RosterView) -> RosterView | None:
    """The version the current roster revised (its parent), else the one before it."""
    with session_scope(url) as session:
        row = current_plan(session, "rotation", view.scope)
        parent = session.get(Plan, row.parent_plan_id) if row is not None and row.parent_plan_id else None
        version = parent.version if parent is not None and parent.scope == view.scope else view.version - 1
    if version < 1:
        return None
    return roster_view(view.school_year, view.term, view.cluster_id, url=url, version=version)


@dataclass(frozen=True)
class WeekCell:
    away: tuple[tuple[str, str], ...]  # (leader, host school) leaving this school that day
    visiting: tuple[tuple[str, str], ...]  # (leader, home school) coming to this school that day


def leader_months(view: RosterView) -> list[str]:
    """The months of the leaders' exchange (their rows' start, YYYY-MM), in order."""
    return sorted({r.start[:7] for r in view.rows if r.kind == "leader" and r.start})


def leader_week(view: RosterView, month: str, schools: list[tuple[str, str]]) -> list[tuple[str, list[WeekCell]]]:
    """Per school (id, name) of the cluster, Monday to Friday: who of its leaders is away where, and who
    comes to it, in the month `month` (YYYY-MM)."""
    rows = [r for r in view.rows if r.kind == "leader" and (r.start or "").startswith(month) and r.weekday]
    grid = []
    for school_id, name in schools:
        cells = []
        for day in WEEKDAYS:
            away = tuple(sorted((r.teacher_name, r.to_school_name) for r in rows
                                if r.from_school_id == school_id and r.weekday == day))
            visiting = tuple(sorted((r.teacher_name, r.from_school_name) for r in rows
                                    if r.to_school_id == school_id and r.weekday == day))
            cells.append(WeekCell(away, visiting))
        grid.append((name, cells))
    return grid


@dataclass(frozen=True)
class MentorRow:
    mentor_name: str
    apprentice_name: str
    school_name: str
    subject: str


def mentoring_pairs(url: str, school_year: int, term: int | None, cluster_id: str) -> list[MentorRow]:
    """The current roster's mentoring pairs (师徒结对), by name."""
    with session_scope(url) as session:
        row = current_plan(session, "rotation", plan_scope(school_year, term, cluster_id))
        pairs = ((row.summary or {}).get("plan") or {}).get("mentoring", []) if row is not None else []
        ids = {p["mentor_id"] for p in pairs} | {p["apprentice_id"] for p in pairs}
        names = dict(session.execute(select(Teacher.teacher_id, Teacher.name).where(Teacher.teacher_id.in_(ids))).all())
        schools = dict(session.execute(select(School.school_id, School.name)).all())
    return sorted((MentorRow(names.get(p["mentor_id"], p["mentor_id"]), names.get(p["apprentice_id"], p["apprentice_id"]),
                             schools.get(p["school_id"], p["school_id"]), p["subject"]) for p in pairs),
                  key=lambda m: (m.school_name, m.mentor_name, m.apprentice_name))


def cluster_schools(url: str, cluster_id: str) -> list[tuple[str, str]]:
    """(id, name) of the cluster's schools, the lead school first."""
    with session_scope(url) as session:
        return [(s.school_id, s.name) for s in session.scalars(
            select(School).where(School.cluster_id == cluster_id).order_by(School.is_lead.desc(), School.school_id))]


def cluster_teachers(url: str, cluster_id: str) -> list[tuple[str, str, str]]:
    """(id, name, school name) of the cluster's teachers, by school then name (the what-if form's choice)."""
    with session_scope(url) as session:
        return [(t, n, s) for t, n, s in session.execute(
            select(Teacher.teacher_id, Teacher.name, School.name).join(School, School.school_id == Teacher.school_id)
            .where(School.cluster_id == cluster_id).order_by(School.is_lead.desc(), School.school_id, Teacher.name))]


def teacher_in_cluster(url: str, teacher_id: str, cluster_id: str) -> bool:
    with session_scope(url) as session:
        school = session.scalar(select(Teacher.school_id).where(Teacher.teacher_id == teacher_id))
        return school is not None and session.scalar(
            select(School.cluster_id).where(School.school_id == school)) == cluster_id


@dataclass(frozen=True)
class PolicyVersionRow:
    version: int
    created_by: str
    created_at: str
    comment: str | None


def stored_policy_versions(url: str, cluster_id: str, school_year: int, term: int | None) -> list[PolicyVersionRow]:
    """The cluster's stored rotation policy versions for this term, newest first."""
    with session_scope(url) as session:
        return [PolicyVersionRow(v.version, v.created_by, v.created_at.strftime("%Y-%m-%d %H:%M"), v.comment)
                for v in reversed(policy_versions(session, "rotation", cluster_id, school_year, term))]
