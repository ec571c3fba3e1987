"""The demo county's shared facilities (共享设施) and the schools' term plans of use, and teachers'
days of leave in term 1 — the activity calendar's inputs (scheduling/calendar/FORMAT.md).

- Facilities: every school has a hall where cluster activities meet (urban quality 报告厅 200 seats,
  other urban 120, township 会议室 60, village 会议室 30); junior and nine-year schools a physics,
  chemistry and biology lab (50), urban and township central primaries a science lab (45); urban
  schools a gym (150); urban and township schools a library (urban 60, township 40) that closes at
  16:30, so only mornings suit it. A few labs close on Fridays.
- Plans of use: village schools have no lab: each of their grade 5–6 classes asks for a science lab
  half day a week (the nearest township lab is 2–7 km away); each village school asks the library
  for its grade-3 reading class; township junior schools book their own lab for a grade-8 physics class.
- Leave: ~1% of teachers are away one to three whole days of term 1 (not on the joint exam's days).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

HALL = {"urban_quality": ("报告厅", 200), "urban": ("报告厅", 120), "township": ("会议室", 60), "rural": ("会议室", 30)}


def build_facilities(rng: np.random.Generator, schools: pd.DataFrame) -> pd.DataFrame:
    rows: list[tuple] = []
    for s in schools.itertuples(index=False):
        key = "urban_quality" if s.locality == "urban" and s.tier == "quality" else s.locality
        hall_name, hall_seats = HALL[key]
        rows.append((f"{s.school_id}-HALL", s.school_id, "hall", f"{s.name}{hall_name}", hall_seats, None, None, None))
        central = s.locality == "township" and s.name.endswith("中心小学")
        if s.stage in ("junior", "nine_year"):
            fridays = bool(rng.random() < 0.3)
            rows.append((f"{s.school_id}-LAB", s.school_id, "lab", f"{s.name}理化生实验室", 50,
                         ["1", "2", "3", "4"] if fridays else None, None, None))
        elif s.locality == "urban" or central:
            rows.append((f"{s.school_id}-LAB", s.school_id, "lab", f"{s.name}科学实验室", 45, None, None, None))
        if s.locality == "urban":
            rows.append((f"{s.school_id}-GYM", s.school_id, "gym", f"{s.name}体育馆", 150, None, None, None))
        if s.locality in ("urban", "township"):
            rows.append((f"{s.school_id}-LIB", s.school_id, "library", f"{s.name}图书馆",
                         60 if s.locality == "urban" else 40, None, "08:00", "16:30"))
    return pd.DataFrame(rows, columns=["facility_id", "school_id", "kind", "name", "capacity", "weekdays",
                                       "open_from", "open_until"]).astype({"weekdays": object, "open_from": object,
                                                                          "open_until": object})


def build_requests(schools: pd.DataFrame, classes: pd.DataFrame, class_teachers: pd.DataFrame) -> pd.DataFrame:
    teacher_of = {(c, s): t for c, s, t in class_teachers[["class_id", "subject", "teacher_id"]].itertuples(index=False)}
    rows = []
    for s in schools.itertuples(index=False):
        mine = classes[classes["school_id"] == s.school_id]
        if s.locality == "rural":
            for c in mine[mine["grade"].isin([5, 6])].itertuples(index=False):
                rows.append((f"{c.class_id}-LAB", s.school_id, "lab", "science", int(c.grade), c.class_id, int(c.size),
                             1, teacher_of.get((c.class_id, "science"))))
            for c in mine[mine["grade"] == 3].head(1).itertuples(index=False):
                rows.append((f"{c.class_id}-LIB", s.school_id, "library", "chinese", 3, c.class_id, int(c.size), 1,
                             teacher_of.get((c.class_id, "chinese"))))
        elif s.locality == "township" and s.stage in ("junior", "nine_year"):
            for c in mine[mine["grade"] == 8].head(1).itertuples(index=False):
                rows.append((f"{c.class_id}-LAB", s.school_id, "lab", "physics", 8, c.class_id, int(c.size), 1,
                             teacher_of.get((c.class_id, "physics"))))
    return pd.DataFrame(rows, columns=["request_id", "school_id", "kind", "subject", "grade", "class_id", "size",
                                       "per_week", "teacher_id"]).astype({"teacher_id": object})


def build_leave(rng: np.random.Generator, teachers: pd.DataFrame, sessions: pd.DataFrame, school_year: int,
                share: float = 0.01) -> pd.DataFrame:
    """Whole days of leave in term 1 (September to mid-January), never on a joint-exam day."""
    exam_days = set(sessions["date"]) if len(sessions) else set()
    start = dt.date(school_year, 9, 7)
    dates = [start + dt.timedelta(days=n) for n in range(0, 120)]
    days = [d.isoformat() for d in dates if d.isoweekday() <= 5 and d.isoformat() not in exam_days]
    count = min(len(teachers), max(3, round(share * len(teachers))))
    who = np.sort(rng.choice(len(teachers), size=count, replace=False))
    rows = []
    for t in who:
        first = int(rng.integers(0, len(days) - 3))
        for d in days[first:first + int(rng.integers(1, 4))]:
            rows.append((teachers["teacher_id"].iat[t], d, None))
    return pd.DataFrame(rows, columns=["teacher_id", "date", "session_id"]).astype({"session_id": object})
