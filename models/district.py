"""The district as schools describe it: clusters, schools, teachers, rooms, classes, students, needs."""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

Id = String(64)


class District(Base):
    __tablename__ = "district"
    district_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    clusters: Mapped[list[Cluster]] = relationship(back_populates="district")


class Cluster(Base):
    """A 大学区: one lead school (学区长学校) and up to nine member schools."""

    __tablename__ = "cluster"
    cluster_id: Mapped[str] = mapped_column(Id, primary_key=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("district.district_id"))
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[District] = relationship(back_populates="clusters")
    schools: Mapped[list[School]] = relationship(back_populates="cluster")

    @property
    def lead(self) -> School | None:
        return next((s for s in self.schools if s.is_lead), None)

    @property
    def members(self) -> list[School]:
        return [s for s in self.schools if not s.is_lead]


class School(Base):
    __tablename__ = "school"
    school_id: Mapped[str] = mapped_column(Id, primary_key=True)
    cluster_id: Mapped[str] = mapped_column(ForeignKey("cluster.cluster_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_lead: Mapped[bool]  # 学区长学校
    stage: Mapped[str] = mapped_column(String(16))  # 学段
    locality: Mapped[str] = mapped_column(String(16))  # 城乡
    tier: Mapped[str] = mapped_column(String(16))  # 办学水平
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    hardship: Mapped[int]  # 艰苦程度 0–3
    cluster: Mapped[Cluster] = relationship(back_populates="schools")


class Teacher(Base):
    __tablename__ = "teacher"
    teacher_id: Mapped[str] = mapped_column(Id, primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(16))
    grades: Mapped[list] = mapped_column(default=list)  # 任教年级
    role: Mapped[str] = mapped_column(String(16))  # teacher, leader, principal
    backbone: Mapped[bool]  # 骨干教师
    famous: Mapped[bool]  # 名师
    years_at_school: Mapped[int]
    teaching_years: Mapped[int]  # 教龄
    birth_year: Mapped[int]
    volunteer: Mapped[bool]  # 自愿交流
    last_rotation_year: Mapped[int | None]
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    gender: Mapped[str | None] = mapped_column(String(1))


class Room(Base):
    """An exam room (考场) at a school site."""

    __tablename__ = "room"
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), primary_key=True)
    room_id: Mapped[str] = mapped_column(Id, primary_key=True)
    capacity: Mapped[int]  # 座位数


class SchoolClass(Base):
    __tablename__ = "school_class"
    class_id: Mapped[str] = mapped_column(Id, primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), index=True)
    grade: Mapped[int]
    size: Mapped[int]


class ClassTeacher(Base):
    __tablename__ = "class_teacher"
    class_id: Mapped[str] = mapped_column(ForeignKey("school_class.class_id"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teacher.teacher_id"), index=True)


class Student(Base):
    __tablename__ = "student"
    student_id: Mapped[str] = mapped_column(Id, primary_key=True)  # 学籍号
    class_id: Mapped[str] = mapped_column(ForeignKey("school_class.class_id"), index=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    ability: Mapped[float | None] = mapped_column(Float)  # latent θ, simulated data only


class Term(Base):
    """A school term: school_year is the first calendar year (2026 = 2026–2027), term 1 or 2."""

    __tablename__ = "term"
    term_id: Mapped[str] = mapped_column(Id, primary_key=True)  # e.g. "2026-1"
    school_year: Mapped[int]
    term: Mapped[int]
    start: Mapped[str | None] = mapped_column(String(10))
    end: Mapped[str | None] = mapped_column(String(10))


class TeachingNeed(Base):
    """Posts a receiving school asks rotation to fill (needs.csv)."""

    __tablename__ = "teaching_need"
    school_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), primary_key=True)
    grade: Mapped[int] = mapped_column(primary_key=True)
    posts: Mapped[int]  # 岗位数


class Unavailability(Base):
    __tablename__ = "unavailability"
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teacher.teacher_id"), primary_key=True)
    date: Mapped[str] = mapped_column(String(10), primary_key=True)
    # "" means the whole day: a primary key column cannot be NULL on every backend.
    session_id: Mapped[str] = mapped_column(Id, primary_key=True, default="")


class Distance(Base):
    """Road distances that override great-circle km (distances.csv)."""

    __tablename__ = "distance"
    from_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), primary_key=True)
    to_id: Mapped[str] = mapped_column(ForeignKey("school.school_id"), primary_key=True)
    km: Mapped[float] = mapped_column(Float)
    minutes: Mapped[float | None] = mapped_column(Float)


class Researcher(Base):
    """A district subject researcher (教研员)."""

    __tablename__ = "researcher"
    researcher_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(16))
    grades: Mapped[list] = mapped_column(default=list)


Index("ix_teacher_subject", Teacher.subject)
