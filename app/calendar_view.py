"""The stored activity calendar as people read it (学区活动日历): the console's calendar page and its downloads.

`stored_calendar` reads a cluster's term calendar back from the database (the activities as planned,
held or cancelled, the weekly facility bookings, the plan version with its solver status and every
shortfall's explanation) with the names of schools, teachers and facilities, as the same dataclasses
the planner returns, so the planner's writers (`scheduling/calendar/writers.py`, `ics.py`) write the
downloads: calendar.csv, the Excel notices and a school's or a teacher's .ics — one writer each.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import session_scope
from scheduling.calendar.ics import Event, calendar_text
from scheduling.calendar.inputs import CalendarInput, CalendarSchool, CalendarTeacher
from scheduling.calendar.inputs import Facility as FacilityInput
from scheduling.calendar.results import Activity, Booking, CalendarPlan
from scheduling.calendar.writers import (Names, activity_event, booking_events, calendar_frame, write_notices_xlsx)


@dataclass(frozen=True)
class Shortfall:
    """One explanation of what the plan could not place, in the planner's words, with its policy key."""

    zh: str
    en: str
    policy_key: str

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class RecordNote:
    """Who recorded an activity as held or cancelled, and when (recorded_by, recorded_at)."""

    by: str
    at: dt.datetime | None
    note: str = ""


@dataclass
class StoredCalendar:
    cluster_id: str
    cluster_name: str
    school_year: int
    term: int
    plan: CalendarPlan
    data: CalendarInput  # the cluster's schools, teachers and facilities (names, for the writers)
    names: Names
    version: int | None = None
    created_by: str = ""
    created_at: dt.datetime | None = None
    solver_status: str = ""
    shortfalls: list[Shortfall] = field(default_factory=list)
    required: dict[str, int] = field(default_factory=dict)  # rule → activities the policy asks for
    records: dict[str, RecordNote] = field(default_factory=dict)  # activity id → who recorded it

    @property
    def relaxed(self) -> bool:
        return bool(self.shortfalls)

    def planned_by_rule(self) -> dict[str, int]:
        made: dict[str, int] = {}
        for a in self.plan.activities:
            if a.status != "cancelled":
                made[a.rule] = made.get(a.rule, 0) + 1
        return made


def activity_of(row) -> Activity:  # noqa: ANN001 (models.calendar.CalendarActivity)
    """A stored calendar row as the planner's Activity (what the writers take)."""
    return Activity(row.activity_id, row.kind, row.rule, row.subject, row.band, row.grade,
                    dt.date.fromisoformat(row.date), row.half, row.start, row.end, row.host_school_id,
                    row.facility_id or "", tuple(row.teacher_ids or ()), row.presenter_id or "", row.travel_km or 0.0,
                    row.scope, row.period, row.quota_key, row.status)


def bookings_of(session: Session, rows: Iterable) -> list[Booking]:
    """Stored weekly bookings with their request's kind, class and teacher (facility_request; a request
    without a teacher is the class's teacher of the subject, class_teachers.csv, as the planner read it)."""
    from models import ClassTeacher
    from models.calendar import FacilityRequest

    rows = list(rows)
    requests = {r.request_id: r for r in session.scalars(select(FacilityRequest).where(
        FacilityRequest.request_id.in_([b.request_id for b in rows])))} if rows else {}
    classes = [r.class_id for r in requests.values() if r.class_id and not r.teacher_id]
    class_teacher = {(c.class_id, c.subject): c.teacher_id for c in session.scalars(
        select(ClassTeacher).where(ClassTeacher.class_id.in_(classes)))} if classes else {}
    out = []
    for b in rows:
        asked = requests.get(b.request_id)
        teacher = ((asked.teacher_id or class_teacher.get((asked.class_id or "", asked.subject or ""), ""))
                   if asked else "")
        out.append(Booking(b.request_id, b.school_id, b.facility_id, b.facility_school_id,
                           asked.kind if asked else "", b.weekday, b.half, b.start, b.end,
                           tuple(dt.date.fromisoformat(d) for d in b.dates or ()), b.km or 0.0, b.size,
                           (asked.subject or "") if asked else "", asked.grade if asked else None,
                           (asked.class_id or "") if asked else "", teacher))
    return out


def district_names(session: Session, cluster_id: str | None = None, posted: Mapping[str, str] | None = None
                   ) -> tuple[Names, CalendarInput]:
    """Names of the cluster's (or the district's) schools, teachers and facilities, and a CalendarInput
    that carries them for the writers (term dates are filled in by the caller). `posted` (teacher → school
    this term, `app.activity_calendar.term_postings`): a posted teacher counts at the host school, as the
    planner counts them, also one posted in from another cluster."""
    from models import Cluster, School, Teacher
    from models.calendar import Facility

    posted = posted or {}
    school_query = select(School).order_by(School.school_id)
    if cluster_id is not None:
        school_query = school_query.where(School.cluster_id == cluster_id)
    schools = list(session.scalars(school_query))
    ids = [s.school_id for s in schools]
    teachers = list(session.scalars(select(Teacher).where(
        Teacher.school_id.in_(ids) | Teacher.teacher_id.in_(list(posted))).order_by(Teacher.teacher_id)))
    school_of = {t.teacher_id: posted.get(t.teacher_id, t.school_id) for t in teachers}
    facilities = list(session.scalars(select(Facility).order_by(Facility.facility_id)))
    cluster = session.get(Cluster, cluster_id) if cluster_id else None
    today = dt.date.today()
    data = CalendarInput(
        cluster_id or "", cluster.name if cluster else "", today.year, 1, today, today,
        tuple(CalendarSchool(s.school_id, s.name, s.is_lead, s.stage, s.locality, s.tier, s.lat, s.lon) for s in schools),
        tuple(CalendarTeacher(t.teacher_id, t.name, school_of[t.teacher_id], t.subject, tuple(t.grades or ()))
              for t in teachers),
        tuple(FacilityInput(f.facility_id, f.school_id, f.kind, f.name, f.capacity) for f in facilities))
    names = Names.of({s.school_id: s.name for s in schools}, {t.teacher_id: t.name for t in teachers},
                     school_of, {f.facility_id: f.name for f in facilities})
    return names, data


def names_of(session: Session, activities: Iterable[Activity], bookings: Iterable[Booking]) -> Names:
    """The names a feed prints: every school and facility (a title may name a partner school), but only the
    teachers its events mention (a feed is read often, by every subscribed phone: not the whole district's
    teachers each time)."""
    from models import School, Teacher
    from models.calendar import Facility

    teacher_ids = {t for a in activities for t in (*a.teacher_ids, a.presenter_id) if t} | \
        {b.teacher_id for b in bookings if b.teacher_id}
    teachers = session.execute(select(Teacher.teacher_id, Teacher.name, Teacher.school_id).where(
        Teacher.teacher_id.in_(sorted(teacher_ids)))).tuples().all() if teacher_ids else []
    schools = session.execute(select(School.school_id, School.name)).tuples().all()
    facilities = session.execute(select(Facility.facility_id, Facility.name)).tuples().all()
    return Names.of(dict(schools), {t: n for t, n, _ in teachers}, {t: s for t, _, s in teachers}, dict(facilities))


def calendar_terms(cluster_id: str, *, url: str | None = None) -> list[tuple[int, int]]:
    """The terms with a stored calendar for the cluster, latest first."""
    from models.calendar import CalendarActivity

    with session_scope(url) as session:
        rows = session.execute(select(CalendarActivity.school_year, CalendarActivity.term)
                               .where(CalendarActivity.cluster_id == cluster_id).distinct()).all()
    return sorted({(int(y), int(t)) for y, t in rows}, reverse=True)


def default_term(today: dt.date | None = None) -> tuple[int, int]:
    """The school year and term a date falls in: term 1 from August to January, term 2 from February."""
    today = today or dt.date.today()
    if today.month >= 8:
        return today.year, 1
    return (today.year - 1, 1) if today.month == 1 else (today.year - 1, 2)


def stored_calendar(cluster_id: str, school_year: int, term: int, *, url: str | None = None) -> StoredCalendar:
    """The cluster's current calendar of the term (empty when none is stored yet)."""
    from models.calendar import CalendarActivity, FacilityBooking
    from models.scenarios import current_plan

    from app.activity_calendar import term_postings

    with session_scope(url) as session:
        names, data = district_names(session, cluster_id, term_postings(session, school_year, term, cluster_id))
        scope = (CalendarActivity.cluster_id == cluster_id, CalendarActivity.school_year == school_year,
                 CalendarActivity.term == term)
        rows = list(session.scalars(select(CalendarActivity).where(*scope).order_by(
            CalendarActivity.date, CalendarActivity.start, CalendarActivity.activity_id)))
        booked = list(session.scalars(select(FacilityBooking).where(
            FacilityBooking.cluster_id == cluster_id, FacilityBooking.school_year == school_year,
            FacilityBooking.term == term).order_by(FacilityBooking.weekday, FacilityBooking.start,
                                                   FacilityBooking.request_id)))
        bookings = bookings_of(session, booked)
        plan_row = current_plan(session, "calendar", f"{school_year}-{term}:{cluster_id}")
        activities = tuple(activity_of(r) for r in rows)
        records = {r.activity_id: RecordNote(r.recorded_by or "", r.recorded_at, r.note or "")
                   for r in rows if r.recorded_by}
        days = [a.date for a in activities] or [dt.date.today()]
        data = CalendarInput(data.cluster_id, data.cluster_name, school_year, term, min(days), max(days),
                             data.schools, data.teachers, data.facilities)
        stored = StoredCalendar(cluster_id, data.cluster_name, school_year, term,
                                CalendarPlan(cluster_id, school_year, term, activities, tuple(bookings)),
                                data, names, records=records)
        if plan_row is not None:
            summary = plan_row.summary or {}
            stored.version, stored.created_by, stored.created_at = plan_row.version, plan_row.created_by, \
                plan_row.created_at
            stored.solver_status = plan_row.solver_status or ""
            stored.shortfalls = [Shortfall(e.get("zh", ""), e.get("en", ""), e.get("policy_key", ""))
                                 for e in summary.get("explained", [])]
            stored.required = {str(k): int(v) for k, v in (summary.get("required") or {}).items()}
        return stored


# --- what one school or one teacher takes part in ------------------------------------------------------

def concerns_school(a: Activity, school_id: str, teacher_school: Mapping[str, str]) -> bool:
    """It hosts the activity, or one of its teachers (teacher → school this term) takes part."""
    return a.host_school_id == school_id or any(teacher_school.get(t) == school_id for t in a.teacher_ids)


def teacher_schools(session: Session, cluster_id: str, posted: Mapping[str, str]) -> dict[str, str]:
    """Teacher → the school they teach at this term: the cluster's teachers at home, the roster's postings
    (`app.activity_calendar.term_postings`) at their host school (what a feed needs, without the names)."""
    from models import School, Teacher

    in_cluster = select(School.school_id).where(School.cluster_id == cluster_id)
    rows = session.execute(select(Teacher.teacher_id, Teacher.school_id).where(
        Teacher.school_id.in_(in_cluster) | Teacher.teacher_id.in_(list(posted)))).tuples().all()
    return {t: posted.get(t, s) for t, s in rows}


def concerns_teacher(a: Activity, teacher_id: str) -> bool:
    return teacher_id in a.teacher_ids or a.presenter_id == teacher_id


def events_of(activities: Iterable[tuple[Activity, str]], bookings: Iterable[Booking], names: Names,
              lang: str = "zh") -> list[Event]:
    """(activity, its cluster's name) pairs and bookings as iCalendar events (the planner's own event builders)."""
    events = [activity_event(a, names, cluster_name, lang) for a, cluster_name in activities]
    for b in bookings:
        events += booking_events(b, names, lang)
    return events


def feed_stamp() -> dt.datetime:
    """DTSTAMP of a calendar served now, to the hour: ics.py keeps each rendered event by its stamp, and
    a phone polling every few minutes should not add a new copy of every event each time."""
    return dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)


def school_ics(stored: StoredCalendar, school_id: str, lang: str = "zh") -> str:
    """The term's .ics of one school: what it hosts, what its teachers attend, its facility bookings."""
    names = stored.names
    mine = [(a, stored.cluster_name) for a in stored.plan.activities if concerns_school(a, school_id, names.teacher_school)]
    booked = [b for b in stored.plan.bookings if school_id in (b.school_id, b.facility_school_id)]
    return calendar_text(events_of(mine, booked, names, lang), _feed_name(names.school(school_id), stored, lang),
                         feed_stamp())


def teacher_ics(stored: StoredCalendar, teacher_id: str, lang: str = "zh") -> str:
    names = stored.names
    mine = [(a, stored.cluster_name) for a in stored.plan.activities if concerns_teacher(a, teacher_id)]
    booked = [b for b in stored.plan.bookings if b.teacher_id == teacher_id]
    return calendar_text(events_of(mine, booked, names, lang), _feed_name(names.teacher(teacher_id), stored, lang),
                         feed_stamp())


def _feed_name(owner: str, stored: StoredCalendar, lang: str) -> str:
    term = (f"{stored.school_year} 学年第 {stored.term} 学期" if lang == "zh"
            else f"{stored.school_year} term {stored.term}")
    return f"{owner} {stored.cluster_name} {term}"


def calendar_csv_bytes(stored: StoredCalendar, lang: str = "zh") -> bytes:
    """calendar.csv (FORMATS v2 columns, then ours), formula-safe, UTF-8 with BOM for Excel."""
    from bundle.cells import safe_frame

    return safe_frame(calendar_frame(stored.plan, stored.data, lang)).to_csv(index=False).encode("utf-8-sig")


def notices_xlsx_bytes(stored: StoredCalendar, lang: str = "zh") -> bytes:
    """calendar_notices.xlsx: 汇总, a notice sheet per school, 设施使用 (bundle/xlsx.py)."""
    with tempfile.TemporaryDirectory(prefix="xuequ-notices-") as folder:
        path = write_notices_xlsx(stored.plan, stored.data, Path(folder) / "calendar_notices.xlsx", lang)
        return Path(path).read_bytes()


def only_school(stored: StoredCalendar, school_id: str) -> StoredCalendar:
    """The calendar as it concerns one school (a school user's view): what it hosts or its teachers
    attend, its bookings, its own notice sheet; the shortfalls speak of every school, so they stay
    with the cluster office."""
    from dataclasses import replace

    names = stored.names
    plan = replace(stored.plan,
                   activities=tuple(a for a in stored.plan.activities if concerns_school(a, school_id, names.teacher_school)),
                   bookings=tuple(b for b in stored.plan.bookings if school_id in (b.school_id, b.facility_school_id)))
    data = replace(stored.data, schools=tuple(s for s in stored.data.schools if s.school_id == school_id))
    return replace(stored, plan=plan, data=data, shortfalls=[], required={})


@dataclass(frozen=True)
class Week:
    monday: dt.date
    activities: tuple[Activity, ...]

    @property
    def friday(self) -> dt.date:
        return self.monday + dt.timedelta(days=4)


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    weeks: tuple[Week, ...]


def by_month_and_week(activities: Iterable[Activity]) -> list[Month]:
    """Activities by month, then by week (Monday to Friday), in date order: how a notice board reads."""
    months: dict[tuple[int, int], dict[dt.date, list[Activity]]] = {}
    for a in sorted(activities, key=lambda a: (a.date, a.start, a.activity_id)):
        monday = a.date - dt.timedelta(days=a.date.weekday())
        months.setdefault((a.date.year, a.date.month), {}).setdefault(monday, []).append(a)
    return [Month(y, m, tuple(Week(monday, tuple(items)) for monday, items in weeks.items()))
            for (y, m), weeks in months.items()]
