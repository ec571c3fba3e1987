"""A realistic demo county (县), deterministic by seed: one DataFrame per bundle file of bundle/spec.py.

    frames = generate_district(seed=1, schools=30, school_year=2026)
    frames["teachers"].head()
    bundle.io.write_bundle(frames, Path("out/demo"))   # a CSV bundle any import reads

The frames hold typed values (ids str, bools bool, grade and enemy lists as Python lists, dates
'YYYY-MM-DD', times 'HH:MM', empty nullable cells None/NaN) in exactly the columns of each
FileSpec, in order. `distances` is not generated: great-circle distances apply.

What the county looks like: an urban core (城区) of a few km around a county seat at
(34.5 N, 113.0 E); townships (乡镇) 22–58 km out with their village schools (农村) a few km away;
clusters of one urban quality lead plus members in its direction (城乡统筹、强弱搭配、相对就近);
a grade-8 (or grade-6) midterm joint exam of term 1 with its question bank. See demo/README.md.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bundle.spec import INPUT_BY_NAME
from demo import exams, facilities, layout, needs, staff
from demo.policy import DemoPolicy

DEFAULT_SCHOOLS = 30
FRAMES = ("clusters", "schools", "teachers", "rooms", "classes", "class_teachers", "students", "needs",
          "unavailability", "exam_sessions", "exams", "items", "item_usage", "researchers", "facilities",
          "facility_requests")


@dataclass(frozen=True)
class DemoSize:
    """Headline counts of a generated district."""
    schools: int
    clusters: int
    teachers: int
    classes: int
    students: int
    items: int
    needs_posts: int
    seconds: float = 0.0

    @classmethod
    def of(cls, frames: dict[str, pd.DataFrame], seconds: float = 0.0) -> DemoSize:
        return cls(len(frames["schools"]), len(frames["clusters"]), len(frames["teachers"]), len(frames["classes"]),
                   len(frames["students"]), len(frames["items"]), int(frames["needs"]["posts"].sum()), seconds)


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part, so changing one part leaves the others' data unchanged."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def _to_spec(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the spec's columns, in order; ids and strings as str."""
    spec = INPUT_BY_NAME[name]
    out = frame[spec.column_names].reset_index(drop=True)
    for column in spec.columns:
        if column.kind in ("id", "str", "subject", "choice", "date", "time") and not column.nullable:
            out[column.name] = out[column.name].astype(str)
    return out


def generate_district(seed: int = 1, schools: int = DEFAULT_SCHOOLS, school_year: int = 2026, *,
                      policy: DemoPolicy | None = None) -> dict[str, pd.DataFrame]:
    """One DataFrame per bundle file (clusters ... researchers), deterministic by (seed, schools, year, policy)."""
    policy = policy or DemoPolicy()
    school_frame, clusters = layout.build_schools(_rng(seed, "schools"), schools, policy)
    classes = staff.build_classes(_rng(seed, "classes"), school_frame, policy)
    posts, class_teachers = staff.assign_teachers(_rng(seed, "assignment"), school_frame, classes)
    teachers = staff.build_teachers(_rng(seed, "teachers"), school_frame, posts, school_year, policy)
    class_teachers["teacher_id"] = teachers["teacher_id"].to_numpy()[class_teachers["_teacher"].to_numpy()]
    students = staff.build_students(_rng(seed, "students"), school_frame, classes, school_year, policy)
    need_frame = needs.build_needs(_rng(seed, "needs"), school_frame, classes, teachers, school_year, policy)
    teachers = staff.young_teachers_where_needed(_rng(seed, "young"), teachers, need_frame, school_year)

    plan = exams.plan_exam(school_frame, school_year)
    rooms = staff.build_rooms(school_frame, classes, plan.grade, policy)
    sessions = exams.build_sessions(plan)
    items = exams.build_bank(_rng(seed, "items"), plan, policy)
    usage, exam_frame = exams.build_usage_and_exams(_rng(seed, "usage"), plan, items, policy)
    researchers = exams.build_researchers(_rng(seed, "researchers"), plan)
    unavailability = exams.build_unavailability(_rng(seed, "unavailability"), teachers, sessions, policy)
    leave = facilities.build_leave(_rng(seed, "leave"), teachers, sessions, school_year)
    unavailability = pd.concat([unavailability, leave], ignore_index=True).drop_duplicates(
        ["teacher_id", "date", "session_id"]).reset_index(drop=True)
    facility_frame = facilities.build_facilities(_rng(seed, "facilities"), school_frame)
    requests = facilities.build_requests(school_frame, classes, class_teachers)

    raw = {"clusters": clusters, "schools": school_frame, "teachers": teachers, "rooms": rooms, "classes": classes,
           "class_teachers": class_teachers, "students": students, "needs": need_frame,
           "unavailability": unavailability, "exam_sessions": sessions, "exams": exam_frame, "items": items,
           "item_usage": usage, "researchers": researchers, "facilities": facility_frame,
           "facility_requests": requests}
    return {name: _to_spec(name, raw[name]) for name in FRAMES}


def timed_district(seed: int = 1, schools: int = DEFAULT_SCHOOLS, school_year: int = 2026, *,
                   policy: DemoPolicy | None = None) -> tuple[dict[str, pd.DataFrame], DemoSize]:
    """`generate_district` and its size, with the wall-clock seconds it took."""
    start = time.perf_counter()
    frames = generate_district(seed, schools, school_year, policy=policy)
    return frames, DemoSize.of(frames, time.perf_counter() - start)
