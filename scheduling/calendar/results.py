"""What the calendar planner returns: placed activities, facility bookings, explanations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..cpsat import Explanation

__all__ = ["Activity", "Booking", "CalendarPlan", "CalendarResult", "Explanation"]


@dataclass(frozen=True)
class Activity:
    """One activity of the calendar (a row of calendar.csv)."""

    activity_id: str
    kind: str  # lesson_prep 集体备课, same_lesson 同研一节课, research 教研活动, training 培训, demo_lesson 示范课, famous_lesson 名师示范课
    rule: str  # the policy table it counts toward (same_grade_prep is a lesson_prep with a grade)
    subject: str
    band: str  # primary, junior, high (the subject group's stage band)
    grade: int | None
    date: dt.date
    half: str  # am, pm, day
    start: str  # HH:MM
    end: str
    host_school_id: str
    facility_id: str  # the venue ("" none)
    teacher_ids: tuple[str, ...]
    presenter_id: str = ""  # who gives a demonstration lesson
    travel_km: float = 0.0  # person-km there and back, all participants
    scope: str = ""  # the quota instance it serves (subject/band, pair, famous teacher)
    period: str = ""  # 2026-10, or k/n of the term
    quota_key: str = ""  # the policy key asking for it
    status: str = "planned"  # planned, held, cancelled


@dataclass(frozen=True)
class Booking:
    """A weekly facility booking of a school's term plan of use (设施使用计划)."""

    request_id: str
    school_id: str  # the school whose class uses it
    facility_id: str
    facility_school_id: str
    kind: str
    weekday: int
    half: str
    start: str
    end: str
    dates: tuple[dt.date, ...]
    km: float  # one way, school to facility
    size: int
    subject: str = ""
    grade: int | None = None
    class_id: str = ""
    teacher_id: str = ""


@dataclass(frozen=True)
class CalendarPlan:
    cluster_id: str
    school_year: int
    term: int
    activities: tuple[Activity, ...] = ()
    bookings: tuple[Booking, ...] = ()


@dataclass
class CalendarResult:
    status: str  # the time model's solver status: OPTIMAL, FEASIBLE, UNKNOWN
    plan: CalendarPlan
    explanations: list[Explanation] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # activity ids the policy asks for that are not placed
    missing: int = 0  # activities that could not even be asked for (no presenter, no paired school, …)
    booking_short: dict[str, int] = field(default_factory=dict)  # request → weekly sessions not booked
    required: dict[str, int] = field(default_factory=dict)  # rule → activities the policy asks for
    stats: dict = field(default_factory=dict)

    @property
    def relaxed(self) -> bool:
        """A best-effort calendar: something the policy asks for is not in it (the explanations say why)."""
        return bool(self.unplaced or self.missing or self.booking_short)

    def messages(self, lang: str = "zh") -> list[str]:
        return [e.text(lang) for e in self.explanations]
