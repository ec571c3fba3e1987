"""Plain typed inputs of the rotation roster, and their construction from bundle-shaped tables.

The lead feeds `rotation_input_from_tables` from the database or a bundle (columns as in
`bundle/spec.py`: schools, teachers, class_teachers, classes, needs, optional distances).
Cells are read by `bundle.cells`: a blank count is 0, a blank year or coordinate is None, and a
boolean that is neither yes nor no is refused (strict), since it decides who must rotate.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from bundle.cells import cell_bool, cell_float, cell_int, cell_text, is_blank
from domain.vocab import STAGE_GRADES

if TYPE_CHECKING:  # pragma: no cover
    from .policy import RotationPolicy
    from .results import RotationPlan


@dataclass(frozen=True)
class RotationSchool:
    school_id: str
    name: str
    cluster_id: str
    is_lead: bool  # 学区长学校
    stage: str  # primary, junior, nine_year, high
    locality: str  # 城乡: urban, township, rural
    tier: str  # 办学水平: quality, ordinary, weak
    lat: float
    lon: float
    hardship: int = 0  # 艰苦程度 0–3
    grades: tuple[int, ...] = ()  # grades the school teaches; empty: those of its stage


@dataclass(frozen=True)
class RotationTeacher:
    teacher_id: str
    name: str
    school_id: str
    subject: str
    grades: tuple[int, ...]  # 任教年级
    role: str = "teacher"  # teacher, leader (中层干部), principal (校长)
    backbone: bool = False  # 骨干
    famous: bool = False  # 名师
    years_at_school: int = 0  # 本校任教年限
    teaching_years: int = 0  # 教龄
    birth_year: int = 1980
    volunteer: bool = False  # 自愿交流
    last_rotation_year: int | None = None  # 上次交流年份
    home_lat: float | None = None
    home_lon: float | None = None
    gender: str | None = None  # M or F, optional

    @property
    def has_home(self) -> bool:
        return self.home_lat is not None and self.home_lon is not None


@dataclass(frozen=True)
class TeachingNeed:
    """Posts a receiving school asks rotation to fill (a row of needs.csv)."""

    school_id: str
    subject: str
    grade: int
    posts: int


@dataclass(frozen=True)
class Pin:
    """A planner's decision: the teacher rotates to this school (None: to some school)."""

    teacher_id: str
    to_school_id: str | None = None


@dataclass(frozen=True)
class Forbid:
    """A planner's decision: the teacher does not go to this school (None: does not rotate at all)."""

    teacher_id: str
    to_school_id: str | None = None


@dataclass(frozen=True)
class RotationInput:
    school_year: int  # 学年 (its first calendar year: 2025 for 2025–2026)
    schools: tuple[RotationSchool, ...]
    teachers: tuple[RotationTeacher, ...]
    needs: tuple[TeachingNeed, ...]
    term: int | None = None  # 1 or 2; None plans the whole school year
    distances: Mapping[tuple[str, str], float] = field(default_factory=dict)  # school→school km override
    school_pairs: tuple[tuple[str, str], ...] = ()  # leader exchange pairs; empty: from the policy's pairing
    pins: tuple[Pin, ...] = ()
    forbids: tuple[Forbid, ...] = ()
    previous: RotationPlan | None = None  # the plan being revised (重排)

    def school(self, school_id: str) -> RotationSchool:
        return self._schools_by_id()[school_id]

    def _schools_by_id(self) -> dict[str, RotationSchool]:
        cache = self.__dict__.get("_school_index")
        if cache is None:
            cache = {s.school_id: s for s in self.schools}
            object.__setattr__(self, "_school_index", cache)
        return cache

    def teacher(self, teacher_id: str) -> RotationTeacher:
        cache = self.__dict__.get("_teacher_index")
        if cache is None:
            cache = {t.teacher_id: t for t in self.teachers}
            object.__setattr__(self, "_teacher_index", cache)
        return cache[teacher_id]

    def check(self) -> None:
        """Raise ValueError for references the model cannot interpret."""
        schools = self._schools_by_id()
        if len(schools) != len(self.schools):
            raise ValueError("duplicate school_id in rotation input")
        ids = [t.teacher_id for t in self.teachers]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate teacher_id in rotation input")
        teachers = set(ids)
        for t in self.teachers:
            if t.school_id not in schools:
                raise ValueError(f"teacher {t.teacher_id} belongs to unknown school {t.school_id}")
        for n in self.needs:
            if n.school_id not in schools:
                raise ValueError(f"need at unknown school {n.school_id}")
            if n.posts < 0:
                raise ValueError(f"need {n} has negative posts")
        decisions: tuple[Pin | Forbid, ...] = (*self.pins, *self.forbids)
        for rule in decisions:
            if rule.teacher_id not in teachers:
                raise ValueError(f"{type(rule).__name__.lower()} names unknown teacher {rule.teacher_id}")
            if rule.to_school_id is not None and rule.to_school_id not in schools:
                raise ValueError(f"{type(rule).__name__.lower()} names unknown school {rule.to_school_id}")
        for a, b in self.school_pairs:
            if a not in schools or b not in schools or a == b:
                raise ValueError(f"school pair ({a}, {b}) names unknown or identical schools")
        if self.term not in (None, 1, 2):
            raise ValueError("term must be 1, 2 or None")

    def school_grades(self, school: RotationSchool) -> tuple[int, ...]:
        return school.grades or STAGE_GRADES.get(school.stage, ())


# --- construction from bundle-shaped tables -----------------------------------------------------

def _grades(value: Any) -> tuple[int, ...]:
    if isinstance(value, (list, tuple, set)):
        parts = list(value)
    elif hasattr(value, "tolist") and not isinstance(value, str):
        parts = list(value.tolist())
    elif is_blank(value):
        return ()
    else:
        parts = [p for p in re.split(r"[;；,]", str(value)) if p.strip()]
    return tuple(sorted({int(float(p)) for p in parts}))


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    return frame.astype(object).to_dict("records")


def rotation_input_from_tables(tables: Mapping[str, pd.DataFrame], school_year: int, cluster_id: str | None = None,
                               policy: RotationPolicy | None = None, *, term: int | None = None,
                               pins: Iterable[Pin] = (), forbids: Iterable[Forbid] = (),
                               previous: RotationPlan | None = None) -> RotationInput:
    """A `RotationInput` from bundle-shaped DataFrames (typed as `bundle.validate` gives them, or raw text).

    `cluster_id` restricts the input to one cluster's schools; without it the whole district is
    planned. A policy that allows cross-cluster postings needs the whole district, so combining
    such a policy with `cluster_id` raises ValueError. Teacher grades are the union of
    teachers.grades and the grades of the classes they teach (class_teachers × classes); school
    grades are those of its classes, or of its stage when it has none.
    """
    if policy is not None and policy.scope.cross_cluster and cluster_id is not None:
        raise ValueError("the policy allows cross-cluster postings: plan the whole district (cluster_id=None)")
    school_rows = _records(tables.get("schools"))
    if cluster_id is not None:
        school_rows = [r for r in school_rows if str(r["cluster_id"]) == str(cluster_id)]
        if not school_rows:
            raise ValueError(f"no schools in cluster {cluster_id}")
    school_ids = {str(r["school_id"]) for r in school_rows}

    class_grade: dict[str, int] = {}
    grades_by_school: dict[str, set[int]] = defaultdict(set)
    for r in _records(tables.get("classes")):
        grade = cell_int(r.get("grade"))
        if grade is None:
            continue
        class_grade[str(r["class_id"])] = grade
        grades_by_school[str(r["school_id"])].add(grade)
    taught: dict[str, set[int]] = defaultdict(set)
    for r in _records(tables.get("class_teachers")):
        grade = class_grade.get(str(r["class_id"]))
        if grade is not None and not is_blank(r.get("teacher_id")):
            taught[str(r["teacher_id"])].add(grade)

    schools = tuple(
        RotationSchool(
            school_id=str(r["school_id"]), name=cell_text(r.get("name")) or str(r["school_id"]),
            cluster_id=str(r["cluster_id"]), is_lead=cell_bool(r.get("is_lead"), strict=True), stage=str(r["stage"]),
            locality=str(r["locality"]), tier=str(r["tier"]), lat=float(r["lat"]), lon=float(r["lon"]),
            hardship=cell_int(r.get("hardship"), 0) or 0,
            grades=tuple(sorted(grades_by_school.get(str(r["school_id"]), ()))),
        )
        for r in school_rows
    )
    teachers = []
    for r in _records(tables.get("teachers")):
        if str(r["school_id"]) not in school_ids:
            continue
        teacher_id = str(r["teacher_id"])
        grades = tuple(sorted(set(_grades(r.get("grades"))) | taught.get(teacher_id, set())))
        gender = cell_text(r.get("gender"))
        teachers.append(RotationTeacher(
            teacher_id=teacher_id, name=cell_text(r.get("name")) or teacher_id, school_id=str(r["school_id"]),
            subject=str(r["subject"]).strip().lower(), grades=grades, role=cell_text(r.get("role")) or "teacher",
            backbone=cell_bool(r.get("backbone"), strict=True), famous=cell_bool(r.get("famous"), strict=True),
            years_at_school=cell_int(r.get("years_at_school"), 0) or 0,
            teaching_years=cell_int(r.get("teaching_years"), 0) or 0,
            birth_year=cell_int(r.get("birth_year"), 1970) or 1970,
            volunteer=cell_bool(r.get("volunteer"), strict=True),
            last_rotation_year=cell_int(r.get("last_rotation_year")), home_lat=cell_float(r.get("home_lat")),
            home_lon=cell_float(r.get("home_lon")), gender=gender.upper() if gender else None,
        ))
    needs_by_key: dict[tuple[str, str, int], int] = defaultdict(int)
    for r in _records(tables.get("needs")):
        if str(r["school_id"]) in school_ids:
            key = (str(r["school_id"]), str(r["subject"]).strip().lower(), int(cell_int(r["grade"]) or 0))
            needs_by_key[key] += int(cell_int(r.get("posts"), 0) or 0)
    needs = tuple(TeachingNeed(s, subj, g, p) for (s, subj, g), p in sorted(needs_by_key.items()) if p > 0)
    distances: dict[tuple[str, str], float] = {}
    for r in _records(tables.get("distances")):
        a, b = str(r["from_id"]), str(r["to_id"])
        if a in school_ids and b in school_ids and not is_blank(r.get("km")):
            distances[(a, b)] = float(r["km"])
    data = RotationInput(school_year=int(school_year), schools=schools, teachers=tuple(teachers), needs=needs,
                         term=term, distances=distances, pins=tuple(pins), forbids=tuple(forbids),
                         previous=previous)
    data.check()
    return data
