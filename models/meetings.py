"""Joint meetings (联席会议), their agenda items and decisions, and the exchange log (交流记录)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.district import Id


class Meeting(Base):
    """A meeting of a cluster: principals' joint meeting (校长联席会议), teaching meeting (教学工作例会),
    monthly management meeting (学区管理例会)."""

    __tablename__ = "meeting"
    meeting_id: Mapped[str] = mapped_column(Id, primary_key=True)
    cluster_id: Mapped[str] = mapped_column(ForeignKey("cluster.cluster_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # principals, teaching, monthly
    date: Mapped[str] = mapped_column(String(10))  # ISO date
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned, held (minutes recorded)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AgendaItem(Base):
    """An item a school submits for a meeting's agenda (议题, 提前报送)."""

    __tablename__ = "agenda_item"
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.meeting_id", ondelete="CASCADE"), index=True)
    school_id: Mapped[str | None] = mapped_column(ForeignKey("school.school_id"))
    text: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MeetingDecision(Base):
    """One decision of a meeting's minutes (decisions.csv)."""

    __tablename__ = "meeting_decision"
    decision_id: Mapped[str] = mapped_column(Id, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.meeting_id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    host_school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"))
    assisting_school_ids: Mapped[list] = mapped_column(default=list)
    due: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, done, late
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExchangeLogEntry(Base):
    """What an exchange teacher or leader was recorded doing at the host school (exchange_log.csv)."""

    __tablename__ = "exchange_log"
    entry_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teacher.teacher_id"), index=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"))
    date: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16))  # attendance, log, observation, mentoring, demo_lesson
    count: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(Text, default="")
