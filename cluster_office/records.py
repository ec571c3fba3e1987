"""The plain records the ledger and the dossier count (loaded by app.ledger; built by hand in tests)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ACTIVITY_KINDS = ("joint_meeting", "teaching_meeting", "lesson_prep", "research", "training", "demo_lesson",
                  "famous_lesson")  # calendar.csv kinds (FORMATS.md)
LOG_KINDS = ("attendance", "log", "observation", "mentoring", "demo_lesson")  # exchange_log.csv kinds


@dataclass(frozen=True)
class SchoolRecord:
    school_id: str
    name: str
    cluster_id: str
    is_lead: bool
    tier: str  # quality, ordinary, weak
    locality: str  # urban, township, rural
    quota_sender: bool  # carries the 10% rotation quota (the rotation policy's sender tiers/localities)
    eligible: int = 0  # teachers eligible for exchange this school year (符合交流条件教师)
    subjects: tuple[str, ...] = ()  # subjects taught at the school


@dataclass(frozen=True)
class PostingRecord:
    """One row of the stored rotation roster (rotation.csv)."""

    teacher_id: str
    from_school_id: str
    to_school_id: str
    kind: str  # teacher, leader, principal
    term: int | None  # the roster's term (None: a whole-year roster)
    start: dt.date | None
    backbone: bool  # backbone or famous, as the roster counted it (优秀教师)
    mentor_of: str | None = None


@dataclass(frozen=True)
class ActivityRecord:
    """One cluster activity of the calendar (calendar.csv; helper `cal`'s repository)."""

    activity_id: str
    cluster_id: str
    kind: str
    date: dt.date
    term: int
    host_school_id: str
    subject: str | None = None
    teacher_ids: tuple[str, ...] = ()
    status: str = "held"  # planned, held, cancelled
    presenter_id: str | None = None  # who gives a demonstration lesson (else: every teacher listed)


@dataclass(frozen=True)
class LogRecord:
    """What was recorded as done by an exchange teacher or leader at the host school (exchange_log.csv)."""

    teacher_id: str
    school_id: str  # where it happened (the host school)
    date: dt.date
    kind: str  # attendance 考勤, log 交流日志, observation 听课, mentoring 师徒说课, demo_lesson 示范课
    count: int = 1


@dataclass(frozen=True)
class MeetingHeld:
    cluster_id: str
    kind: str  # principals, teaching, monthly
    date: dt.date
    term: int


@dataclass
class LedgerInput:
    """One cluster's (or the district's) school year."""

    school_year: int
    schools: list[SchoolRecord]
    postings: list[PostingRecord] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    meetings: list[MeetingHeld] = field(default_factory=list)
    teacher_names: dict[str, str] = field(default_factory=dict)
    teacher_school: dict[str, str] = field(default_factory=dict)  # teacher → their own school
    cluster_names: dict[str, str] = field(default_factory=dict)
