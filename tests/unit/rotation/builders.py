"""Tiny hand-made rotation worlds for the tests: schools on a north–south line, 1 km ≈ 0.009°."""
from __future__ import annotations

from scheduling.rotation import (RotationInput, RotationPolicy, RotationSchool, RotationTeacher,
                                 TeachingNeed)

BASE_LAT, BASE_LON = 34.0, 113.0
KM = 1 / 111.195  # degrees of latitude per km


def school(school_id: str, km: float = 0.0, *, cluster: str = "C1", tier: str = "weak", locality: str = "rural",
           lead: bool = False, hardship: int = 0, stage: str = "primary", grades: tuple[int, ...] = ()) -> RotationSchool:
    return RotationSchool(school_id, f"{school_id}校", cluster, lead, stage, locality, tier, BASE_LAT + km * KM,
                          BASE_LON, hardship, grades)


def lead_school(school_id: str = "S1", km: float = 0.0, **kw) -> RotationSchool:
    kw.setdefault("tier", "quality")
    kw.setdefault("locality", "urban")
    return school(school_id, km, lead=True, **kw)


def teacher(teacher_id: str, school_id: str, subject: str = "math", grades: tuple[int, ...] = (3,), *,
            home_km: float | None = None, **kw) -> RotationTeacher:
    """An eligible teacher by default: 10 years at the school, 40 years old in 2025, never rotated."""
    values = dict(role="teacher", backbone=False, famous=False, years_at_school=10, teaching_years=15,
                  birth_year=1985, volunteer=False, last_rotation_year=None)
    values.update(kw)
    home = {} if home_km is None else {"home_lat": BASE_LAT + home_km * KM, "home_lon": BASE_LON}
    return RotationTeacher(teacher_id, f"教师{teacher_id}", school_id, subject, tuple(grades), **values, **home)


def young(teacher_id: str, school_id: str, subject: str = "math", grades: tuple[int, ...] = (3,), **kw) -> RotationTeacher:
    """A possible apprentice: 2 teaching years."""
    kw.setdefault("years_at_school", 2)
    kw.setdefault("teaching_years", 2)
    kw.setdefault("birth_year", 2000)
    return teacher(teacher_id, school_id, subject, grades, **kw)


def need(school_id: str, subject: str = "math", grade: int = 3, posts: int = 1) -> TeachingNeed:
    return TeachingNeed(school_id, subject, grade, posts)


def world(schools, teachers, needs, **kw) -> RotationInput:
    kw.setdefault("school_year", 2025)
    return RotationInput(schools=tuple(schools), teachers=tuple(teachers), needs=tuple(needs), **kw)


def policy(**sections) -> RotationPolicy:
    """The default policy without leaders and principals (tests of the teachers' postings), without the
    excellent teachers per supported school (001) and part-time teaching (tested on their own), changed by sections."""
    base = {"leaders": {"enabled": False}, "principals": {"enabled": False}, "support": {"excellent_per_year": 0},
            "part_time": {"enabled": False}}
    for name, changes in sections.items():
        base[name] = {**base.get(name, {}), **changes}
    return RotationPolicy().replace(**base)


def filler(school_id: str, count: int, start: int = 100, subject: str = "pe", **kw) -> list[RotationTeacher]:
    """Ineligible staff (3 years at the school) that only make a school bigger."""
    kw.setdefault("years_at_school", 3)
    return [teacher(f"F{school_id}{start + i}", school_id, subject, (1, 2, 3, 4, 5, 6), **kw) for i in range(count)]


def keeper(school_id: str, subject: str = "math", grades: tuple[int, ...] = (3,), n: int = 1) -> RotationTeacher:
    """A teacher who cannot rotate (1 year at the school): keeps the subject covered at home."""
    return teacher(f"K{school_id}{subject}{n}", school_id, subject, grades, years_at_school=1)
