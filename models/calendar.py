"""The cluster's activity calendar: shared facilities, the schools' term plans of use, and the calendar
itself (activities planned, held or cancelled; weekly facility bookings), with its repository.

The calendar table keeps the current calendar of each cluster and term: a new plan replaces the
planned rows and keeps what was held or cancelled as it was recorded (`replace_calendar`);
`activities()` is what the cluster office's ledger counts.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Float, ForeignKey, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.district import Id


class Facility(Base):
    """A facility a school offers the cluster (共享设施, facilities.csv)."""

    __tablename__ = "facility"
    facility_id: Mapped[str] = mapped_column(Id, primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # lab, gym, library, hall
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    weekdays: Mapped[list] = mapped_column(default=list)  # open on (1–5); empty: every weekday
    open_from: Mapped[str | None] = mapped_column(String(5))
    open_until: Mapped[str | None] = mapped_column(String(5))


class FacilityRequest(Base):
    """A school's term plan of use of a facility kind (设施使用计划, facility_requests.csv)."""

    __tablename__ = "facility_request"
    request_id: Mapped[str] = mapped_column(Id, primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str | None] = mapped_column(String(16))
    grade: Mapped[int | None]
    class_id: Mapped[str | None] = mapped_column(Id)
    size: Mapped[int]
    per_week: Mapped[int]
    teacher_id: Mapped[str | None] = mapped_column(Id)


class CalendarActivity(Base):
    """One activity of a cluster's term calendar (a row of calendar.csv) and what became of it."""

    __tablename__ = "calendar_activity"
    cluster_id: Mapped[str] = mapped_column(Id, primary_key=True)
    school_year: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(200), primary_key=True)  # names cluster, year, term, quota
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.plan_id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24))
    rule: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(16))
    band: Mapped[str] = mapped_column(String(16))
    grade: Mapped[int | None]
    date: Mapped[str] = mapped_column(String(10), index=True)
    half: Mapped[str] = mapped_column(String(4))  # am, pm, day
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    host_school_id: Mapped[str] = mapped_column(Id)
    facility_id: Mapped[str | None] = mapped_column(Id)
    teacher_ids: Mapped[list] = mapped_column(default=list)
    presenter_id: Mapped[str | None] = mapped_column(Id)
    travel_km: Mapped[float] = mapped_column(Float, default=0.0)
    scope: Mapped[str] = mapped_column(String(255))
    quota_key: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned, held, cancelled
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class CalendarFeed(Base):
    """A subscription address (日历订阅地址) of a school's or a teacher's calendar: the secret token in
    `/feeds/<token>.ics` is the only credential a phone has, so it is long and random; reissuing it
    (a new token in the same row) is how an address that leaked is revoked."""

    __tablename__ = "calendar_feed"
    owner_kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # school, teacher
    owner_id: Mapped[str] = mapped_column(Id, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FacilityBooking(Base):
    """A weekly booking of a facility in a cluster's term calendar (facility_bookings.csv)."""

    __tablename__ = "facility_booking"
    cluster_id: Mapped[str] = mapped_column(Id, primary_key=True)
    school_year: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(Id, primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.plan_id", ondelete="SET NULL"))
    school_id: Mapped[str] = mapped_column(Id)
    facility_id: Mapped[str] = mapped_column(Id)
    facility_school_id: Mapped[str] = mapped_column(Id)
    half: Mapped[str] = mapped_column(String(4))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    dates: Mapped[list] = mapped_column(default=list)
    km: Mapped[float] = mapped_column(Float, default=0.0)
    size: Mapped[int]


# --- the repository --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityRecord:
    """An activity as plain values (what the ledger counts)."""

    cluster_id: str
    school_year: int
    term: int
    activity_id: str
    kind: str
    rule: str
    subject: str
    band: str
    grade: int | None
    date: dt.date
    half: str
    start: str
    end: str
    host_school_id: str
    facility_id: str | None
    teacher_ids: tuple[str, ...]
    presenter_id: str | None
    status: str
    scope: str
    quota_key: str
    title: str
    recorded_by: str | None = None
    recorded_at: dt.datetime | None = None


def _record(row: CalendarActivity) -> ActivityRecord:
    return ActivityRecord(row.cluster_id, row.school_year, row.term, row.activity_id, row.kind, row.rule, row.subject,
                          row.band, row.grade, dt.date.fromisoformat(row.date), row.half, row.start, row.end,
                          row.host_school_id, row.facility_id, tuple(row.teacher_ids or ()), row.presenter_id,
                          row.status, row.scope, row.quota_key, row.title, row.recorded_by, row.recorded_at)


def activities(session: Session, cluster_id: str | None = None, year: int | None = None,
               term: int | None = None) -> list[ActivityRecord]:
    """The calendar's activities (planned, held and cancelled), by date; filtered by cluster, school year, term."""
    query = select(CalendarActivity)
    if cluster_id is not None:
        query = query.where(CalendarActivity.cluster_id == cluster_id)
    if year is not None:
        query = query.where(CalendarActivity.school_year == year)
    if term is not None:
        query = query.where(CalendarActivity.term == term)
    rows = session.scalars(query.order_by(CalendarActivity.date, CalendarActivity.start,
                                          CalendarActivity.activity_id))
    return [_record(r) for r in rows]


def activity(session: Session, activity_id: str) -> CalendarActivity | None:
    """The stored row of one activity id (ids name their cluster, year and term)."""
    return session.scalars(select(CalendarActivity).where(CalendarActivity.activity_id == activity_id)).first()


def record_status(session: Session, activity_id: str, status: str, *, actor: str, note: str | None = None) -> \
        CalendarActivity | None:
    """Record an activity as held or cancelled (or planned again); None when no such activity."""
    if status not in ("planned", "held", "cancelled"):
        raise ValueError(f"unknown status {status!r}")
    row = activity(session, activity_id)
    if row is None:
        return None
    row.status, row.recorded_by, row.recorded_at = status, actor, utcnow()
    if note is not None:
        row.note = note
    return row


def replace_calendar(session: Session, cluster_id: str, year: int, term: int, rows: Iterable[dict],
                     bookings: Iterable[dict], plan_id: int | None) -> tuple[int, int]:
    """The scope's new calendar: planned rows are replaced; held and cancelled ones stay as recorded
    (a new row with the same id as one of them is not written). Returns (activities, bookings) written."""
    scope = (CalendarActivity.cluster_id == cluster_id, CalendarActivity.school_year == year,
             CalendarActivity.term == term)
    kept = set(session.scalars(select(CalendarActivity.activity_id).where(*scope)
                               .where(CalendarActivity.status != "planned")))
    session.execute(delete(CalendarActivity).where(*scope).where(CalendarActivity.status == "planned"))
    written = 0
    for row in rows:
        if row["activity_id"] in kept:
            continue
        session.add(CalendarActivity(cluster_id=cluster_id, school_year=year, term=term, plan_id=plan_id, **row))
        written += 1
    session.execute(delete(FacilityBooking).where(FacilityBooking.cluster_id == cluster_id,
                                                  FacilityBooking.school_year == year, FacilityBooking.term == term))
    booked = 0
    for row in bookings:
        session.add(FacilityBooking(cluster_id=cluster_id, school_year=year, term=term, plan_id=plan_id, **row))
        booked += 1
    session.flush()
    return written, booked


def recorded_activities(session: Session, cluster_id: str, year: int, term: int) -> list[CalendarActivity]:
    return list(session.scalars(select(CalendarActivity).where(
        CalendarActivity.cluster_id == cluster_id, CalendarActivity.school_year == year, CalendarActivity.term == term)))
