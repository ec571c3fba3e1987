"""Plain typed inputs and results of joint-exam logistics (联考监考与阅卷).

Inputs are what a bureau or cluster office knows about one joint exam: the schools (exam sites are
schools), the teachers, the exam rooms, the timetable and the candidates; results are flat
assignment rows shaped like the `invigilation.csv` / `marking.csv` exports, plus explanations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from domain.labels import LABELS
from domain.geo import SchoolDistances
from domain.vocab import SUBJECTS

# one explanation type for every planner, re-exported here
from ..cpsat import Explanation

# --------------------------------------------------------------------------------------------
# shared


@dataclass(frozen=True)
class ExamSchool:
    school_id: str
    name: str = ""
    lat: float = 0.0
    lon: float = 0.0
    locality: str = "urban"  # 城乡: urban, township, rural
    cluster_id: str = ""
    is_lead: bool = False

    @property
    def rural(self) -> bool:
        return self.locality == "rural"

    @property
    def label(self) -> str:
        return self.name or self.school_id


@dataclass(frozen=True)
class ExamTeacher:
    teacher_id: str
    school_id: str
    subject: str
    grades: tuple[int, ...] = ()  # 任教年级
    role: str = "teacher"  # teacher, leader (中层干部), principal
    backbone: bool = False  # 骨干教师
    teaching_years: int = 0  # 教龄
    name: str = ""
    unavailable_dates: frozenset[str] = frozenset()  # whole days, YYYY-MM-DD
    unavailable_sessions: frozenset[str] = frozenset()  # session ids

    @property
    def label(self) -> str:
        return self.name or self.teacher_id


def subject_zh(subject: str) -> str:
    return SUBJECTS.get(subject, subject)


# --------------------------------------------------------------------------------------------
# invigilation (监考)


@dataclass(frozen=True)
class ExamRoom:
    school_id: str  # the site (考点) is a school
    room_id: str  # 考场号
    capacity: int  # 座位数


@dataclass(frozen=True)
class ExamSession:
    session_id: str
    subject: str
    grade: int
    date: str  # YYYY-MM-DD
    start: str = "08:30"  # HH:MM
    end: str = "10:30"

    def overlaps(self, other: ExamSession) -> bool:
        return self.date == other.date and self.start < other.end and other.start < self.end


class _SchoolsAndTeachers:
    """Lookups shared by the invigilation and marking inputs (both hold schools, teachers, distances)."""

    schools: tuple[ExamSchool, ...]
    teachers: tuple[ExamTeacher, ...]
    distances_km: Mapping[tuple[str, str], float] | None

    @cached_property
    def school_by_id(self) -> dict[str, ExamSchool]:
        return {s.school_id: s for s in self.schools}

    @cached_property
    def teacher_by_id(self) -> dict[str, ExamTeacher]:
        return {t.teacher_id: t for t in self.teachers}

    @cached_property
    def _distances(self) -> SchoolDistances:
        """km between the schools, in the order of `schools` (distances.csv wins, either way)."""
        return SchoolDistances([s.school_id for s in self.schools], [s.lat for s in self.schools],
                               [s.lon for s in self.schools], self.distances_km)

    def km(self, from_school: str, to_school: str) -> float:
        return self._distances.km(from_school, to_school)


@dataclass
class InvigilationInput(_SchoolsAndTeachers):
    """One joint exam's timetable with everything invigilation needs.

    `candidates[(school_id, grade)]` counts the school's candidates (考生) of a grade; they sit at
    their own school's site. Which rooms a session uses follows from it (`session_rooms`).
    """
    exam_id: str
    schools: tuple[ExamSchool, ...]
    teachers: tuple[ExamTeacher, ...]
    sessions: tuple[ExamSession, ...]
    rooms: tuple[ExamRoom, ...]
    candidates: Mapping[tuple[str, int], int]
    distances_km: Mapping[tuple[str, str], float] | None = None

    @cached_property
    def session_by_id(self) -> dict[str, ExamSession]:
        return {s.session_id: s for s in self.sessions}

    @property
    def distance_matrix(self) -> np.ndarray:
        """km between schools, rows and columns in the order of `schools`."""
        return self._distances.matrix

    @cached_property
    def dates(self) -> tuple[str, ...]:
        return tuple(sorted({s.date for s in self.sessions}))

    @cached_property
    def _room_plan(self) -> tuple[dict[tuple[str, str], tuple[ExamRoom, ...]], list[dict]]:
        return plan_session_rooms(self)

    @property
    def session_rooms(self) -> dict[tuple[str, str], tuple[ExamRoom, ...]]:
        """Rooms in use, by (session_id, site school_id): the fewest rooms that seat the candidates."""
        return self._room_plan[0]

    @property
    def room_shortages(self) -> list[dict]:
        """Sites whose rooms cannot seat their candidates: dicts with site, session_id, candidates, seats."""
        return self._room_plan[1]


def plan_session_rooms(data: InvigilationInput) -> tuple[dict[tuple[str, str], tuple[ExamRoom, ...]], list[dict]]:
    """At each site, each session uses the smallest number of rooms that seats the site's
    candidates of the session's grade (largest rooms first). Sessions of other grades that overlap
    in time at the same site take rooms that are still free."""
    rooms_by_site: dict[str, list[ExamRoom]] = {}
    for r in data.rooms:
        rooms_by_site.setdefault(r.school_id, []).append(r)
    for rs in rooms_by_site.values():
        rs.sort(key=lambda r: (-r.capacity, r.room_id))
    plan: dict[tuple[str, str], tuple[ExamRoom, ...]] = {}
    shortages: list[dict] = []
    # Lower grades choose first; a session of a higher grade that overlaps them takes what is left.
    sessions = sorted(data.sessions, key=lambda s: (s.grade, s.date, s.start, s.session_id))
    for school in data.schools:
        site = school.school_id
        for session in sessions:
            need = int(data.candidates.get((site, session.grade), 0))
            if need <= 0:
                continue
            busy = {r.room_id for other in sessions if other.grade < session.grade and other.overlaps(session)
                    for r in plan.get((other.session_id, site), ())}
            chosen: list[ExamRoom] = []
            seats = 0
            for room in rooms_by_site.get(site, []):
                if seats >= need:
                    break
                if room.room_id in busy or room.capacity <= 0:
                    continue
                chosen.append(room)
                seats += room.capacity
            if seats < need:
                shortages.append({"site": site, "session_id": session.session_id, "candidates": need, "seats": seats})
            if chosen:
                plan[(session.session_id, site)] = tuple(chosen)
    return plan, shortages


@dataclass(frozen=True)
class InvigilationAssignment:
    """One row of invigilation.csv."""
    exam_id: str
    session_id: str
    site_school_id: str
    room_id: str  # empty for a reserve (备用监考)
    teacher_id: str
    teacher_school_id: str
    role: str  # chief (主监考), assistant (副监考), reserve (备用)
    distance_km: float


@dataclass(frozen=True)
class Pin:
    """Force a teacher into a session; optionally at a site, in a role and a room."""
    teacher_id: str
    session_id: str
    site_school_id: str | None = None
    role: str | None = None
    room_id: str | None = None


@dataclass(frozen=True)
class Forbid:
    """Keep a teacher out of a session (any site), a site (any session), or a site in one session."""
    teacher_id: str
    session_id: str | None = None
    site_school_id: str | None = None


#: Chinese and English names of the relaxation tiers (放宽层级), see InvigilationPolicy.relaxation_tiers.
TIER_NAMES = LABELS["invigilation_tier"]  # (中文, English) per tier, from the one registry


@dataclass(frozen=True)
class RelaxationUse:
    """One use of a relaxation tier in a plan (counted and listed; the validator accepts exactly these)."""
    tier: str  # distance, own_school_assistant, shared_reserve, extra_session, quota, unstaffed
    session_id: str = ""  # for extra_session: the session beyond the day limit
    site_school_id: str = ""
    teacher_id: str = ""
    school_id: str = ""  # quota: the school outside its range
    room_id: str = ""  # unstaffed: the room ("" for a reserve place)
    role: str = ""  # unstaffed: the place's role
    partner_site_id: str = ""  # shared_reserve: the site of the town whose reserves cover this one
    count: int = 1  # shared_reserve: reserve places covered; quota: invigilator-sessions outside the range
    km: float | None = None  # distance: the teacher's one-way km

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


@dataclass
class InvigilationResult:
    exam_id: str
    status: str  # optimal, feasible, relaxed (complete under declared relaxations), infeasible, unknown
    assignments: list[InvigilationAssignment] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # JSON-shaped figures of the run
    relaxations: list[RelaxationUse] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible", "relaxed")

    def tier_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.relaxations:
            out[r.tier] = out.get(r.tier, 0) + r.count
        return out

    def loads(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.assignments:
            out[a.teacher_id] = out.get(a.teacher_id, 0) + 1
        return out


@dataclass(frozen=True)
class Change:
    """One difference between a plan and its repair: a teacher's row in a session."""
    kind: str  # removed, added, moved (site or room), role
    teacher_id: str
    session_id: str
    before: InvigilationAssignment | MarkingAssignment | None
    after: InvigilationAssignment | MarkingAssignment | None


# --------------------------------------------------------------------------------------------
# marking (阅卷)


@dataclass(frozen=True)
class ItemGroup:
    """An item or item group (题组) of a subject, marked by one marker group (流水阅卷)."""
    subject: str
    group_id: str
    seconds_per_script: float  # expected marking time of one script's answer to the group
    items: tuple[str, ...] = ()
    label: str = ""


@dataclass
class MarkingInput(_SchoolsAndTeachers):
    exam_id: str
    grade: int
    schools: tuple[ExamSchool, ...]
    teachers: tuple[ExamTeacher, ...]
    groups: tuple[ItemGroup, ...]
    scripts: Mapping[str, int]  # subject -> scripts (答卷份数)
    candidates: Mapping[str, int]  # school_id -> candidates of the exam (quota basis)
    hours_available: float | None = None  # per marker; policy default when None
    site_school_id: str | None = None  # centralised marking site (集中阅卷点)
    dates: tuple[str, ...] = ()  # marking dates (teachers unavailable then do not mark)
    distances_km: Mapping[tuple[str, str], float] | None = None

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.subject for g in self.groups))


@dataclass(frozen=True)
class MarkingAssignment:
    """One row of marking.csv."""
    exam_id: str
    subject: str
    item_group: str
    teacher_id: str
    teacher_school_id: str
    role: str  # leader (题组长) or marker


@dataclass(frozen=True)
class MarkingPin:
    teacher_id: str
    subject: str
    item_group: str
    role: str | None = None


@dataclass(frozen=True)
class MarkingForbid:
    teacher_id: str
    item_group: str | None = None  # None: the teacher does not mark at all


@dataclass(frozen=True)
class MarkingRelaxation:
    """One relaxation a best-effort marking plan declares (尽力方案的放宽), counted.

    kind: adjacent_grade (markers beyond grade_window), acting_leader (leaders who do not qualify),
    longer_window (the group marks for `hours` instead of hours_available, so `count` fewer markers),
    short (markers missing even so), leader_short (leader places unfilled), own_school (markers of
    other schools missing for `school_id`'s scripts, 回避本校), quota (markers outside `school_id`'s
    quota range). The validator checks the plan under exactly these.
    """
    kind: str
    subject: str = ""
    item_group: str = ""
    count: int = 0
    school_id: str = ""
    hours: float | None = None
    numbers: Mapping[str, float] = field(default_factory=dict)


@dataclass
class MarkingResult:
    exam_id: str
    status: str
    assignments: list[MarkingAssignment] = field(default_factory=list)
    group_sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # (subject, group_id) -> markers
    explanations: list[Explanation] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # JSON-shaped figures of the run
    relaxations: list[MarkingRelaxation] = field(default_factory=list)  # empty: every rule holds

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def best_effort(self) -> bool:
        """A plan that holds only under the relaxations it declares (尽力方案)."""
        return bool(self.relaxations)

    def best_effort_groups(self) -> list[tuple[str, str]]:
        """(subject, item_group) of the groups with a relaxation of their own, in plan order."""
        return list(dict.fromkeys((r.subject, r.item_group) for r in self.relaxations if r.item_group))
