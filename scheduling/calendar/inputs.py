"""Plain typed inputs of the activity calendar, and their construction from bundle-shaped tables.

`calendar_input_from_tables` takes the district's tables (`bundle/spec.py` names: schools, teachers,
unavailability, exam_sessions, exams, distances, and the calendar's own facilities and
facility_requests, see FORMAT.md), the cluster's current rotation roster (rotation.csv rows: who
teaches where this term, leaders' exchange weekdays) and the term, and keeps what one cluster's
calendar needs. Cells are read by `bundle.cells`.
"""
from __future__ import annotations

import calendar as std_calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bundle.cells import cell_bool, cell_float, cell_int, cell_text, is_blank
from domain.vocab import STAGE_GRADES

from .policy import CalendarPolicy

BANDS = ("primary", "junior", "high")  # 学段 of a subject group (grades 1–6, 7–9, 10–12)
HALF_WORDS = {"am": "am", "上午": "am", "pm": "pm", "下午": "pm"}


def band_of_grade(grade: int) -> str:
    return "primary" if grade <= 6 else "junior" if grade <= 9 else "high"


@dataclass(frozen=True)
class CalendarSchool:
    school_id: str
    name: str
    is_lead: bool
    stage: str
    locality: str
    tier: str
    lat: float
    lon: float


@dataclass(frozen=True)
class CalendarTeacher:
    teacher_id: str
    name: str
    school_id: str  # where the teacher teaches this term (the rotation host when posted)
    subject: str
    grades: tuple[int, ...]
    role: str = "teacher"
    backbone: bool = False
    famous: bool = False
    home_school_id: str = ""  # the school of teachers.csv (differs when posted this term)

    @property
    def band(self) -> str:
        return band_of_grade(min(self.grades)) if self.grades else "primary"


@dataclass(frozen=True)
class Facility:
    """A facility a school offers the cluster (共享设施): a lab, gym, library or hall."""

    facility_id: str
    school_id: str
    kind: str  # lab 实验室, gym 体育馆, library 图书馆, hall 报告厅/会议室
    name: str
    capacity: int  # people at once
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # open on
    open_from: str = "08:00"
    open_until: str = "17:30"


@dataclass(frozen=True)
class FacilityRequest:
    """A school's term plan of use: a class (or group) uses a facility kind `per_week` half days a week."""

    request_id: str
    school_id: str
    kind: str
    size: int
    per_week: int = 1
    subject: str = ""
    grade: int | None = None
    class_id: str = ""
    teacher_id: str = ""  # the class's teacher, busy at the booked half day too


@dataclass(frozen=True)
class Unavailable:
    teacher_id: str
    date: dt.date
    half: str | None = None  # None: the whole day


@dataclass(frozen=True)
class LeaderDay:
    """A leader spends this weekday at the partner school between start and end (rotation roster)."""

    teacher_id: str
    weekday: int
    start: dt.date
    end: dt.date
    to_school_id: str = ""


@dataclass(frozen=True)
class Pin:
    """The planner's decision on one activity: its date (and half day) and/or its host school."""

    activity_id: str
    date: dt.date | None = None
    half: str | None = None
    host_school_id: str | None = None


@dataclass(frozen=True)
class Recorded:
    """An activity already in the calendar: held ones stay as they were; planned ones are kept if possible."""

    activity_id: str
    status: str  # planned, held, cancelled
    date: dt.date
    half: str  # am, pm, day
    host_school_id: str
    teacher_ids: tuple[str, ...] = ()
    facility_id: str = ""
    presenter_id: str = ""


@dataclass(frozen=True)
class CalendarInput:
    cluster_id: str
    cluster_name: str
    school_year: int
    term: int
    start: dt.date
    end: dt.date
    schools: tuple[CalendarSchool, ...]
    teachers: tuple[CalendarTeacher, ...]
    facilities: tuple[Facility, ...] = ()
    requests: tuple[FacilityRequest, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    leader_days: tuple[LeaderDay, ...] = ()
    exam_days: Mapping[dt.date, str] = field(default_factory=dict)  # date → exam name (联考日)
    distances: Mapping[tuple[str, str], float] = field(default_factory=dict)
    pins: tuple[Pin, ...] = ()
    recorded: tuple[Recorded, ...] = ()  # the calendar so far (re-planning)
    not_before: dt.date | None = None  # nothing new before this date (re-planning mid-term)

    def check(self) -> None:
        ids = [s.school_id for s in self.schools]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate school ids")
        known = set(ids)
        for t in self.teachers:
            if t.school_id not in known:
                raise ValueError(f"teacher {t.teacher_id}: school {t.school_id} is not in the cluster")
        for f in self.facilities:
            if f.school_id not in known:
                raise ValueError(f"facility {f.facility_id}: school {f.school_id} is not in the cluster")
        if self.end < self.start:
            raise ValueError("the term ends before it starts")


# --- the term's dates -------------------------------------------------------------------------------

def _md_date(school_year: int, month_day: str, *, next_year: bool) -> dt.date:
    month, day = (int(p) for p in month_day.split("-"))
    year = school_year + 1 if next_year else school_year
    return dt.date(year, month, min(day, std_calendar.monthrange(year, month)[1]))


def term_dates(school_year: int, term: int, policy: CalendarPolicy) -> tuple[dt.date, dt.date]:
    """Start and end of the term by the policy (term 1 from September; term 2 in the next calendar year)."""
    p = policy.term
    if term == 1:
        return (_md_date(school_year, p.term1_start, next_year=int(p.term1_start[:2]) < 8),
                _md_date(school_year, p.term1_end, next_year=int(p.term1_end[:2]) < 8))
    return _md_date(school_year, p.term2_start, next_year=True), _md_date(school_year, p.term2_end, next_year=True)


def holidays(start: dt.date, end: dt.date, policy: CalendarPolicy) -> set[dt.date]:
    """The policy's holidays (MM-DD or MM-DD..MM-DD, every year the term touches) within the term."""
    out: set[dt.date] = set()
    for year in range(start.year, end.year + 1):
        for item in policy.term.holidays:
            first, _, last = str(item).partition("..")
            a = _md_date(year, first, next_year=False)
            b = _md_date(year, last or first, next_year=False)
            day = a
            while day <= b:
                if start <= day <= end:
                    out.add(day)
                day += dt.timedelta(days=1)
    return out


def teaching_days(data: CalendarInput, policy: CalendarPolicy) -> list[dt.date]:
    """Weekdays of the term (the policy's weekdays) that are not holidays; joint-exam days included."""
    off = holidays(data.start, data.end, policy)
    days, day = [], data.start
    while day <= data.end:
        if day.isoweekday() in policy.time.weekdays and day not in off:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# --- from tables ------------------------------------------------------------------------------------

def _grades(value: Any) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(sorted({int(v) for v in value}))
    if is_blank(value):
        return ()
    return tuple(sorted({int(p) for p in str(value).replace("；", ";").split(";") if p.strip()}))


def _weekdays(value: Any) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        days = [int(v) for v in value]
    elif is_blank(value):
        return (1, 2, 3, 4, 5)
    else:
        days = [int(p) for p in str(value).replace("；", ";").split(";") if p.strip()]
    return tuple(sorted(set(days))) or (1, 2, 3, 4, 5)


def _date(value: Any) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _rows(frame: pd.DataFrame | None) -> Iterable[dict]:
    if frame is None or len(frame) == 0:
        return []
    return frame.to_dict("records")


def calendar_input_from_tables(tables: Mapping[str, pd.DataFrame], school_year: int, term: int, cluster_id: str,
                               policy: CalendarPolicy | None = None, *, roster: pd.DataFrame | None = None,
                               term_start: dt.date | None = None, term_end: dt.date | None = None,
                               cluster_name: str | None = None, pins: Iterable[Pin] = (),
                               recorded: Iterable[Recorded] = (), not_before: dt.date | None = None) -> CalendarInput:
    """One cluster's calendar input. `roster`: rotation.csv rows of the cluster's current roster
    (postings move a teacher to the host school for the term; leaders' rows give their exchange
    weekdays); `term_start`/`term_end`: the database's term dates (else the policy's)."""
    policy = policy or CalendarPolicy()
    default_start, default_end = term_dates(school_year, term, policy)
    start, end = term_start or default_start, term_end or default_end
    schools = []
    for r in _rows(tables.get("schools")):
        if cell_text(r.get("cluster_id")) != cluster_id:
            continue
        schools.append(CalendarSchool(cell_text(r["school_id"]), cell_text(r.get("name"), cell_text(r["school_id"])),
                                      cell_bool(r.get("is_lead")), cell_text(r.get("stage"), "primary"),
                                      cell_text(r.get("locality"), "urban"), cell_text(r.get("tier"), "ordinary"),
                                      cell_float(r.get("lat"), 0.0), cell_float(r.get("lon"), 0.0)))
    ids = {s.school_id for s in schools}
    stage_of = {s.school_id: s.stage for s in schools}
    posted: dict[str, str] = {}
    leader_days: list[LeaderDay] = []
    for r in _rows(roster):
        kind = cell_text(r.get("kind"), "teacher")
        teacher_id = cell_text(r.get("teacher_id"))
        first, last = _date(r.get("start")), _date(r.get("end"))
        if kind == "teacher" and cell_text(r.get("to_school_id")) in ids:
            posted[teacher_id] = cell_text(r["to_school_id"])
        elif kind == "leader" and not is_blank(r.get("weekday")) and first and last:
            leader_days.append(LeaderDay(teacher_id, int(cell_int(r.get("weekday"), 1)), first, last,
                                         cell_text(r.get("to_school_id"))))
    teachers = []
    for r in _rows(tables.get("teachers")):
        home = cell_text(r.get("school_id"))
        teacher_id = cell_text(r["teacher_id"])
        where = posted.get(teacher_id, home)
        if where not in ids:
            continue
        grades = _grades(r.get("grades")) or STAGE_GRADES.get(stage_of.get(where, "primary"), ())[:1]
        teachers.append(CalendarTeacher(teacher_id, cell_text(r.get("name"), teacher_id), where,
                                        cell_text(r.get("subject")), grades, cell_text(r.get("role"), "teacher"),
                                        cell_bool(r.get("backbone")), cell_bool(r.get("famous")), home))
    teacher_ids = {t.teacher_id for t in teachers}
    facilities = [Facility(cell_text(r["facility_id"]), cell_text(r["school_id"]), cell_text(r["kind"]),
                           cell_text(r.get("name"), cell_text(r["facility_id"])), cell_int(r.get("capacity"), 0),
                           _weekdays(r.get("weekdays")), cell_text(r.get("open_from"), "08:00") or "08:00",
                           cell_text(r.get("open_until"), "17:30") or "17:30")
                  for r in _rows(tables.get("facilities")) if cell_text(r.get("school_id")) in ids]
    class_teacher = {(cell_text(r["class_id"]), cell_text(r["subject"])): cell_text(r["teacher_id"])
                     for r in _rows(tables.get("class_teachers"))}
    requests = []
    for r in _rows(tables.get("facility_requests")):
        if cell_text(r.get("school_id")) not in ids:
            continue
        class_id, subject = cell_text(r.get("class_id")), cell_text(r.get("subject"))
        teacher = cell_text(r.get("teacher_id")) or class_teacher.get((class_id, subject), "")
        requests.append(FacilityRequest(cell_text(r["request_id"]), cell_text(r["school_id"]), cell_text(r["kind"]),
                                        cell_int(r.get("size"), 0), cell_int(r.get("per_week"), 1) or 1, subject,
                                        cell_int(r.get("grade")), class_id,
                                        teacher if teacher in teacher_ids else ""))
    session_half: dict[tuple[str, str], str] = {}
    for r in _rows(tables.get("exam_sessions")):
        start_time = cell_text(r.get("start"), "08:00")
        session_half[(cell_text(r["session_id"]), str(_date(r.get("date"))))] = \
            "am" if start_time < policy.time.am_end else "pm"
    unavailable = []
    for r in _rows(tables.get("unavailability")):
        teacher_id = cell_text(r.get("teacher_id"))
        day = _date(r.get("date"))
        if teacher_id not in teacher_ids or day is None or not start <= day <= end:
            continue
        session = cell_text(r.get("session_id"))
        half = HALF_WORDS.get(session) if session else None
        if session and half is None:
            half = session_half.get((session, str(day)))  # an exam session: its half day; unknown: the day
        unavailable.append(Unavailable(teacher_id, day, half))
    exam_cluster = {cell_text(r["exam_id"]): cell_text(r.get("cluster_id")) for r in _rows(tables.get("exams"))}
    exam_name = {cell_text(r["exam_id"]): cell_text(r.get("name"), cell_text(r["exam_id"]))
                 for r in _rows(tables.get("exams"))}
    exam_days: dict[dt.date, str] = {}
    for r in _rows(tables.get("exam_sessions")):
        exam_id = cell_text(r["exam_id"])
        if exam_cluster.get(exam_id, "") not in ("", cluster_id):
            continue
        day = _date(r.get("date"))
        if day is not None and start <= day <= end:
            exam_days.setdefault(day, exam_name.get(exam_id, exam_id))
    distances = {(cell_text(r["from_id"]), cell_text(r["to_id"])): float(r["km"])
                 for r in _rows(tables.get("distances"))
                 if cell_text(r.get("from_id")) in ids and cell_text(r.get("to_id")) in ids}
    name = cluster_name or next((cell_text(r.get("name")) for r in _rows(tables.get("clusters"))
                                 if cell_text(r.get("cluster_id")) == cluster_id), cluster_id)
    data = CalendarInput(cluster_id, name or cluster_id, school_year, term, start, end,
                         tuple(sorted(schools, key=lambda s: (not s.is_lead, s.school_id))),
                         tuple(sorted(teachers, key=lambda t: t.teacher_id)), tuple(facilities), tuple(requests),
                         tuple(unavailable), tuple(leader_days), exam_days, distances, tuple(pins), tuple(recorded),
                         not_before)
    data.check()
    return data
