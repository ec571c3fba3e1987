"""Policy sets, versioned plans (rotation, invigilation, marking) and the audit log."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.district import Id


class PolicySet(Base):
    """A versioned policy (TOML text) for a cluster (or the district when cluster_id is None) and term."""

    __tablename__ = "policy_set"
    __table_args__ = (UniqueConstraint("scope", "school_year", "term", "version"),)
    policy_set_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))  # a cluster_id, or "district"
    school_year: Mapped[int]
    term: Mapped[int | None]
    version: Mapped[int]
    content: Mapped[str] = mapped_column(Text)  # the policy file as the planner wrote it
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)


class Plan(Base):
    """A versioned plan: who made it, when, under which policy; the assignments hang off it."""

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("kind", "scope", "version"),)
    plan_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # rotation, invigilation, marking
    scope: Mapped[str] = mapped_column(String(128))  # e.g. "2026-1:C01" or an exam_id
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, published, superseded
    school_year: Mapped[int | None]
    term: Mapped[int | None]
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    exam_id: Mapped[str | None] = mapped_column(String(64))
    policy_set_id: Mapped[int | None] = mapped_column(ForeignKey("policy_set.policy_set_id"))
    policy_content: Mapped[str | None] = mapped_column(Text)  # the exact policy used, even if unsaved
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    solver_status: Mapped[str | None] = mapped_column(String(32))
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[dict] = mapped_column(default=dict)
    parent_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.plan_id"))
    rotations: Mapped[list[RotationAssignment]] = relationship(cascade="all, delete-orphan")
    invigilations: Mapped[list[InvigilationAssignment]] = relationship(cascade="all, delete-orphan")
    markings: Mapped[list[MarkingAssignment]] = relationship(cascade="all, delete-orphan")


class RotationAssignment(Base):
    """One row of rotation.csv."""

    __tablename__ = "rotation_assignment"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[str] = mapped_column(Id, index=True)
    from_school_id: Mapped[str] = mapped_column(Id)
    to_school_id: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(16))  # teacher, leader, principal, part_time (跨校兼课)
    direction: Mapped[str] = mapped_column(String(8))  # support (支教), learn (跟岗)
    start: Mapped[str | None] = mapped_column(String(10))
    end: Mapped[str | None] = mapped_column(String(10))
    backbone: Mapped[bool]
    distance_km: Mapped[float] = mapped_column(Float)
    subsidy_yuan_per_month: Mapped[float] = mapped_column(Float)
    mentor_of: Mapped[str | None] = mapped_column(Id)
    weekday: Mapped[int | None]
    hours_per_week: Mapped[float | None] = mapped_column(Float)  # part-time teaching (跨校兼课) only


class InvigilationAssignment(Base):
    """One row of invigilation.csv."""

    __tablename__ = "invigilation_assignment"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[str] = mapped_column(Id)
    session_id: Mapped[str] = mapped_column(Id)
    site_school_id: Mapped[str] = mapped_column(Id)
    room_id: Mapped[str | None] = mapped_column(Id)  # empty for a reserve
    teacher_id: Mapped[str] = mapped_column(Id, index=True)
    teacher_school_id: Mapped[str] = mapped_column(Id)
    role: Mapped[str] = mapped_column(String(16))  # chief, assistant, reserve
    distance_km: Mapped[float] = mapped_column(Float)


class MarkingAssignment(Base):
    """One row of marking.csv."""

    __tablename__ = "marking_assignment"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[str] = mapped_column(Id)
    subject: Mapped[str] = mapped_column(String(16))
    item_group: Mapped[str] = mapped_column(String(32))
    teacher_id: Mapped[str] = mapped_column(Id, index=True)
    teacher_school_id: Mapped[str] = mapped_column(Id)
    role: Mapped[str] = mapped_column(String(16))  # leader, marker


class AuditEntry(Base):
    """An audit log row for every change to policies and plans (written by models.audit)."""

    __tablename__ = "audit_log"
    audit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))  # insert, update, delete, import
    entity: Mapped[str] = mapped_column(String(32))  # table name
    entity_id: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
