"""Marking quality control tables (阅卷质量监控): standard scripts, checks, marker states, problems, set-aside marks.

- `MarkingStandard` 标准卷: a script with expert scores per item, imported by the research office
  (marking/FORMAT.md, standard_scripts.csv). Used for trial marking (试评) and seeded into live marking.
- `MarkingCheck`: one quality-control task for one marker, with its mark: a trial script, a
  re-mark of one of the marker's own scripts (回评) or a seeded standard script. A check never
  touches a script's marks or final scores. On PostgreSQL its id comes from the marking task ids'
  sequence (migration 0007), so a check's task id reads like any other; on SQLite check ids start
  at CHECK_ID_BASE.
- `MarkerState`: a marker's pause (暂停) and trial (试评) state.
- `MarkingProblem` 问题卷: a script a marker sent to the group leader (blank, illegible, …).
- `SetAsideMark`: a mark a leader returned (退回重评) or superseded, kept for audit and never counted.

Times are unix epoch seconds, like the queue's tables.
"""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.district import Id

CHECK_ID_BASE = 1_000_000_000  # SQLite: check ids from here (marking task ids stay far below)


class MarkingStandard(Base):
    """A standard script (标准卷) of an item group: answers and the expert scores of its items."""

    __tablename__ = "marking_standard"
    __table_args__ = (UniqueConstraint("exam_id", "subject", "item_group", "name"),)
    standard_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"))
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))  # the research office's id of the standard (e.g. B01)
    purpose: Mapped[str] = mapped_column(String(8))  # trial (试评), seed (质检), both
    answers: Mapped[dict] = mapped_column(default=dict)  # item_id -> answer text or scan reference
    expert_scores: Mapped[dict] = mapped_column(default=dict)  # item_id -> the expert group's score
    imported_at: Mapped[float] = mapped_column(Float)


class MarkingCheck(Base):
    """A quality-control task for one marker (trial, recheck 回评, standard), with the mark given."""

    __tablename__ = "marking_check"
    __table_args__ = (
        Index("ix_marking_check_marker", "exam_id", "teacher_id", "state"),
        {"sqlite_autoincrement": True},
    )
    check_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exam_id: Mapped[str] = mapped_column(Id)
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    teacher_id: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(8))  # trial, recheck, standard
    trial_round: Mapped[int] = mapped_column(default=0)  # trial: 1, 2, … (0 otherwise)
    standard_id: Mapped[int | None]  # trial and standard: the standard script
    script_id: Mapped[int | None]  # recheck: the marker's own script
    original_mark_id: Mapped[int | None]  # recheck: the mark it is compared with
    original_scores: Mapped[dict | None]  # recheck: that mark's scores (kept if the mark is set aside)
    code: Mapped[str] = mapped_column(String(16))  # what the marker sees (a fresh code, like any script's)
    state: Mapped[str] = mapped_column(String(8), default="waiting")  # waiting, leased, done, dropped
    due_mark: Mapped[int] = mapped_column(default=0)  # served once the exam's marks reach this mark id
    created_at: Mapped[float] = mapped_column(Float)
    leased_at: Mapped[float | None] = mapped_column(Float)
    lease_expires_at: Mapped[float | None] = mapped_column(Float)
    done_at: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict | None]  # item_id -> score given
    seconds: Mapped[float | None] = mapped_column(Float)


class MarkerState(Base):
    """A marker's pause (暂停评卷) and trial marking (试评) state; no row: not paused, no trial yet."""

    __tablename__ = "marking_marker_state"
    exam_id: Mapped[str] = mapped_column(Id, primary_key=True)
    teacher_id: Mapped[str] = mapped_column(Id, primary_key=True)
    paused: Mapped[bool] = mapped_column(default=False)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_by: Mapped[str | None] = mapped_column(Id)
    paused_at: Mapped[float | None] = mapped_column(Float)
    trial_state: Mapped[str] = mapped_column(String(12), default="not_started")  # in_progress, passed, failed, waived
    trial_round: Mapped[int] = mapped_column(default=0)
    trial_decided_by: Mapped[str | None] = mapped_column(Id)  # a leader who let them mark or retake
    updated_at: Mapped[float] = mapped_column(Float)


class MarkingProblem(Base):
    """A problem script (问题卷) a marker sent to the group leader, and how the leader settled it."""

    __tablename__ = "marking_problem"
    __table_args__ = (Index("ix_marking_problem_group", "exam_id", "subject", "item_group", "state"),)
    problem_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    exam_id: Mapped[str] = mapped_column(Id)
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    script_id: Mapped[int | None]  # the script (None: a standard script of a check)
    task_id: Mapped[int | None]  # the marking task it came from (None: a check)
    check_id: Mapped[int | None]  # the check it came from
    code: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(12))  # blank, illegible, off_topic, cheating, other
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(Id)
    reported_at: Mapped[float] = mapped_column(Float)
    script_status: Mapped[str | None] = mapped_column(String(16))  # the script's status before (restored on return)
    state: Mapped[str] = mapped_column(String(8), default="open")  # open, returned, scored, closed
    resolved_by: Mapped[str | None] = mapped_column(Id)
    resolved_at: Mapped[float | None] = mapped_column(Float)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class SetAsideMark(Base):
    """A mark taken out of the count (退回重评, or superseded by the leader's mark), kept for audit."""

    __tablename__ = "marking_set_aside"
    set_aside_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    mark_id: Mapped[int]  # the mark's id when it counted
    task_id: Mapped[int]
    script_id: Mapped[int]
    exam_id: Mapped[str] = mapped_column(Id)
    marker_id: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(12))
    scores: Mapped[dict] = mapped_column(default=dict)
    total: Mapped[float] = mapped_column(Float)
    marked_at: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float | None] = mapped_column(Float)
    set_aside_by: Mapped[str] = mapped_column(Id)
    set_aside_at: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
