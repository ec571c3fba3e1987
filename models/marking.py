"""Marking (阅卷) tables: item groups, anonymous scripts, the marking queue, marks and markers.

A script (答卷) is one student's answer to one item group (题组) of a subject. Each script gets one
task per mark it needs (first and second for double marking 双评; third 三评 and arbitration 仲裁
when the marks disagree). Tasks are leased to one marker at a time; a mark is unique per task
(a retried submit counts once) and per script and marker (no teacher marks a script twice).

Times on the queue tables are unix epoch seconds (floats): they compare the same way in plain SQL
on SQLite and PostgreSQL, and the lease and submit statements stay cheap.
"""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.district import Id


class MarkingGroup(Base):
    """An item group of a subject of an exam, with its marking standard frozen when marking opens.

    `items` is a list of {item_id, position, max_score, score_step, tolerance, rubric}; `tolerance`
    is the effective double-marking tolerance (双评误差) used for every script of the group.
    """

    __tablename__ = "marking_group"
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), primary_key=True)
    item_group: Mapped[str] = mapped_column(String(32), primary_key=True)  # 题组
    items: Mapped[list] = mapped_column(default=list)
    double_share: Mapped[float] = mapped_column(Float, default=1.0)  # share of scripts marked twice
    opened_at: Mapped[float] = mapped_column(Float)


class MarkingScript(Base):
    """One student's answer to one item group (答卷), shown to markers only by its code (密号)."""

    __tablename__ = "marking_script"
    __table_args__ = (
        UniqueConstraint("exam_id", "subject", "student_id", "item_group"),
        UniqueConstraint("exam_id", "code", name="uq_marking_script_code"),
        ForeignKeyConstraint(["exam_id", "subject", "item_group"],
                             ["marking_group.exam_id", "marking_group.subject", "marking_group.item_group"]),
        # No index on status: the updates a script gets while it is marked stay HOT (in place). The
        # group index holds columns that never change, so it keeps them HOT too (a group's progress).
        Index("ix_marking_script_group", "exam_id", "subject", "item_group"),
    )
    script_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"))
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    student_id: Mapped[str] = mapped_column(ForeignKey("student.student_id"))
    school_id: Mapped[str] = mapped_column(Id)  # the student's school: never shown, keeps own-school markers away
    code: Mapped[str] = mapped_column(String(16))  # 密号, the only name a marker sees
    marks_needed: Mapped[int] = mapped_column(default=2)  # 2 double marking, 1 single
    marks_done: Mapped[int] = mapped_column(default=0)  # first and second marks received
    status: Mapped[str] = mapped_column(String(16), default="marking")  # marking, third, arbitration, final
    agreed: Mapped[bool | None]  # the first two marks within tolerance on every item (None: single)
    source: Mapped[str | None] = mapped_column(String(16))  # single, double, third, closest (无人可仲裁), arbitration
    final_scores: Mapped[dict | None]  # item_id -> final score
    final_sources: Mapped[dict | None]  # item_id -> single, double, third, closest or arbitration
    final_marks: Mapped[dict | None]  # item_id -> [mark_id, ...] behind the final score
    finalised_at: Mapped[float | None] = mapped_column(Float)


class MarkingTask(Base):
    """One mark a script needs: the unit of the queue, leased to one marker at a time."""

    __tablename__ = "marking_task"
    __table_args__ = (
        UniqueConstraint("script_id", "kind"),
        # Partial indexes: the lease scans only waiting tasks of one group in priority order, the
        # reclaim only leased ones; a task leaving a state adds no entry to that state's index.
        Index("ix_marking_task_waiting", "exam_id", "subject", "item_group", "priority", "queue_order", "task_id",
              postgresql_where=text("state = 'waiting'"), sqlite_where=text("state = 'waiting'")),
        Index("ix_marking_task_leased", "exam_id", "lease_expires_at",
              postgresql_where=text("state = 'leased'"), sqlite_where=text("state = 'leased'")),
        # A marker holds at most one lease per item group: the lease statement fails on a second one
        # even when 40 of the marker's requests race (the index decides, not a check that all of them
        # would pass at once). Also counts a group's leased scripts for its progress.
        Index("uq_marking_task_one_lease", "exam_id", "subject", "item_group", "marker_id", unique=True,
              postgresql_where=text("state = 'leased'"), sqlite_where=text("state = 'leased'")),
    )
    task_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("marking_script.script_id"))
    exam_id: Mapped[str] = mapped_column(Id)
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    school_id: Mapped[str] = mapped_column(Id)  # copy of the script's school, for the own-school rule
    code: Mapped[str] = mapped_column(String(16))  # copy of the script's code
    kind: Mapped[str] = mapped_column(String(12))  # first, second, third, arbitration
    priority: Mapped[int] = mapped_column(default=1)  # 0: third marks and arbitration go first
    # Order within a priority: a script's second mark comes `second_mark_lag` scripts after its first,
    # so two markers rarely hold both marks of one script at once (nor wait on each other to submit).
    queue_order: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(8), default="waiting")  # waiting, leased, done
    marker_id: Mapped[str | None] = mapped_column(Id)  # teacher holding (or who last held) the lease
    leased_at: Mapped[float | None] = mapped_column(Float)
    lease_expires_at: Mapped[float | None] = mapped_column(Float)
    lease_count: Mapped[int] = mapped_column(default=0)
    items: Mapped[list | None]  # item ids to mark (third, arbitration); None: every item of the group
    created_at: Mapped[float] = mapped_column(Float)
    done_at: Mapped[float | None] = mapped_column(Float)


class MarkingMark(Base):
    """A mark a marker gave a script: item scores, who, when and how long it took.

    `task_id` and `script_id` carry no foreign keys on purpose: a mark is inserted only by the
    submit statement, from the task row that same statement takes (so both exist by construction),
    and queue rows are never deleted; the two referential checks would cost about a fifth of the
    database work of every mark on marking day.
    """

    __tablename__ = "marking_mark"
    __table_args__ = (
        UniqueConstraint("task_id"),  # a retried submit counts once
        UniqueConstraint("script_id", "marker_id"),  # never the same script twice
        # A marker's and a group's progress read only their own marks (marking/progress.py).
        Index("ix_marking_mark_marker", "exam_id", "marker_id"),
        Index("ix_marking_mark_group", "exam_id", "subject", "item_group"),
    )
    mark_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    task_id: Mapped[int]  # marking_task.task_id
    script_id: Mapped[int]  # marking_script.script_id
    exam_id: Mapped[str] = mapped_column(Id)
    marker_id: Mapped[str] = mapped_column(Id)  # teacher_id
    kind: Mapped[str] = mapped_column(String(12))
    scores: Mapped[dict] = mapped_column(default=dict)  # item_id -> score
    total: Mapped[float] = mapped_column(Float)
    leased_at: Mapped[float | None] = mapped_column(Float)
    marked_at: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float | None] = mapped_column(Float)  # working time on the script
    subject: Mapped[str] = mapped_column(String(16))  # the script's group (copied from the task)
    item_group: Mapped[str] = mapped_column(String(32))
    # Set on both regular marks (first, second) when a script has its second one: whether they agree
    # within tolerance on every item, and this mark's total minus the partner's (双评一致率, 偏差).
    pair_agreed: Mapped[bool | None]
    pair_deviation: Mapped[float | None] = mapped_column(Float)


class Marker(Base):
    """A teacher registered to mark one item group of an exam (from the marking plan, marking.csv).

    The marker logs in with a token issued at registration; only its SHA-256 is stored. The token
    works until `expires_at` (the end of the marking window, unix seconds; None: no end).
    Registering the same plan again keeps every token; `reissue_token` replaces one.
    """

    __tablename__ = "marking_marker"
    __table_args__ = (UniqueConstraint("token_hash"),)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teacher.teacher_id"), primary_key=True)
    school_id: Mapped[str] = mapped_column(Id)
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))  # leader (题组长), marker
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float)
