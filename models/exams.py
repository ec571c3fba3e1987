"""Joint exams, the question bank, papers, responses and scores."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.district import Id


class Exam(Base):
    """A joint exam (联考): one paper per subject, one marking standard, one analysis."""

    __tablename__ = "exam"
    exam_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # unit, midterm, final, feedback
    school_year: Mapped[int]
    term: Mapped[int]
    grade: Mapped[int]
    cluster_id: Mapped[str | None] = mapped_column(ForeignKey("cluster.cluster_id"))  # None: district-wide
    sessions: Mapped[list[ExamSession]] = relationship(back_populates="exam", order_by="ExamSession.session_id")


class ExamSession(Base):
    __tablename__ = "exam_session"
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), primary_key=True)
    session_id: Mapped[str] = mapped_column(Id, primary_key=True)
    grade: Mapped[int]
    subject: Mapped[str] = mapped_column(String(16))
    date: Mapped[str] = mapped_column(String(10))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    exam: Mapped[Exam] = relationship(back_populates="sessions")


class Item(Base):
    """A question bank item (题库)."""

    __tablename__ = "item"
    item_id: Mapped[str] = mapped_column(Id, primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), index=True)
    grade: Mapped[int] = mapped_column(index=True)
    item_type: Mapped[str] = mapped_column(String(24))  # 题型
    max_score: Mapped[float] = mapped_column(Float)
    key: Mapped[str | None] = mapped_column(Text)  # answer key
    knowledge_area: Mapped[str] = mapped_column(String(100))  # 知识领域
    cognitive_level: Mapped[str] = mapped_column(String(24))  # 认知层次
    difficulty: Mapped[float] = mapped_column(Float)  # 难度估计 (expected score share)
    discrimination: Mapped[float | None] = mapped_column(Float)
    options: Mapped[int | None]
    score_step: Mapped[float | None] = mapped_column(Float)
    enemies: Mapped[list] = mapped_column(default=list)  # overlapping items (互斥)
    stem: Mapped[str | None] = mapped_column(Text)
    rubric: Mapped[str | None] = mapped_column(Text)


class ItemUsage(Base):
    """Usage history: which exam used an item, for which cohort (no reuse for the same cohort)."""

    __tablename__ = "item_usage"
    item_id: Mapped[str] = mapped_column(ForeignKey("item.item_id"), primary_key=True)
    exam_id: Mapped[str] = mapped_column(Id, primary_key=True)
    cohort: Mapped[int]
    used_on: Mapped[str] = mapped_column(String(10))


class Paper(Base):
    """An assembled paper of one subject of an exam; versioned, locked once approved."""

    __tablename__ = "paper"
    __table_args__ = (UniqueConstraint("exam_id", "subject", "form", "version"),)
    paper_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), index=True)
    subject: Mapped[str] = mapped_column(String(16))
    form: Mapped[str] = mapped_column(String(4), default="A")
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, approved, rejected, locked
    blueprint: Mapped[dict] = mapped_column(default=dict)  # 双向细目表
    total: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[PaperItem]] = relationship(back_populates="paper", order_by="PaperItem.position",
                                                  cascade="all, delete-orphan")


class PaperItem(Base):
    """An item on a paper with its marking standard (评分标准)."""

    __tablename__ = "paper_item"
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.paper_id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # question number 1..n
    item_id: Mapped[str] = mapped_column(ForeignKey("item.item_id"))
    item_group: Mapped[str | None] = mapped_column(String(32))  # pipeline marking group (题组)
    max_score: Mapped[float] = mapped_column(Float)
    score_step: Mapped[float] = mapped_column(Float, default=1.0)
    tolerance: Mapped[float | None] = mapped_column(Float)  # double-marking tolerance (双评误差)
    key: Mapped[str | None] = mapped_column(Text)
    rubric: Mapped[str | None] = mapped_column(Text)
    paper: Mapped[Paper] = relationship(back_populates="items")


class Response(Base):
    """A student's raw answer to an item (objective answer text, or a subjective script reference)."""

    __tablename__ = "response"
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("student.student_id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.item_id"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)


class Score(Base):
    """A final item score (scores.csv): auto-scored, or finalised from marks."""

    __tablename__ = "score"
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("student.student_id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.item_id"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), index=True)
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="auto")  # auto, double, third, arbitration, import


class SeasonStage(Base):
    """Where an exam season stands: one row per stage, so a rerun continues where it stopped."""

    __tablename__ = "season_stage"
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.exam_id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)  # setting, approval, logistics, ...
    status: Mapped[str] = mapped_column(String(16))  # done, waiting, skipped, failed
    message: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
