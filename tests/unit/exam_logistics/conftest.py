"""Small instances for the exam-logistics tests."""
from __future__ import annotations

import math
import random

import pytest

from scheduling.exam_logistics import (ExamRoom, ExamSchool, ExamSession, ExamTeacher, InvigilationInput, ItemGroup,
                                       MarkingInput)
from scheduling.exam_logistics.synthetic import synthetic_district

SUBJECTS = ["chinese", "math", "english", "physics", "pe", "art"]


def place(lat0: float, lon0: float, km: float, angle: float) -> tuple[float, float]:
    return lat0 + km * math.cos(angle) / 111.0, lon0 + km * math.sin(angle) / (111.0 * math.cos(math.radians(lat0)))


def make_instance(seed: int = 0, n_schools: int = 4, teachers_per_school: tuple[int, int] = (8, 14),
                  rooms_per_school: tuple[int, int] = (1, 3), n_days: int = 2, sessions_per_day: int = 2,
                  radius_km: float = 12.0, unavailable_share: float = 0.05, rural_share: float = 0.25,
                  exam_id: str = "T") -> InvigilationInput:
    """A random cluster-sized exam: schools within `radius_km`, one grade (9), 30-seat rooms."""
    rng = random.Random(seed)
    schools, teachers, rooms, candidates = [], [], [], {}
    subjects = SUBJECTS[: max(2, n_days * sessions_per_day)]
    for i in range(n_schools):
        lat, lon = place(34.5, 113.0, radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi))
        sid = f"S{i + 1}"
        schools.append(ExamSchool(sid, f"学校{i + 1}", lat, lon, "rural" if rng.random() < rural_share else "urban",
                                  "C1", i == 0))
        n_rooms = rng.randint(*rooms_per_school)
        for r in range(n_rooms + rng.randint(0, 1)):
            rooms.append(ExamRoom(sid, f"{r + 1:02d}", 30))
        candidates[sid, 9] = 30 * n_rooms - rng.randint(0, 25)
        for k in range(rng.randint(*teachers_per_school)):
            tid = f"{sid}-T{k + 1:02d}"
            role = "principal" if k == 0 else ("leader" if rng.random() < 0.1 else "teacher")
            teachers.append(ExamTeacher(tid, sid, rng.choice(SUBJECTS + ["music", "it"]), (rng.choice([7, 8, 9]),), role,
                                        rng.random() < 0.25, rng.randint(0, 30), f"教师{tid}"))
    sessions = []
    k = 0
    for d in range(n_days):
        for s in range(sessions_per_day):
            start = ["08:30", "14:30", "16:40"][s]
            end = ["10:30", "16:30", "18:00"][s]
            sessions.append(ExamSession(f"E{k + 1}", subjects[k % len(subjects)], 9, f"2025-01-{14 + d:02d}", start, end))
            k += 1
    out = []
    for t in teachers:
        if rng.random() < unavailable_share:
            if rng.random() < 0.5:
                t = ExamTeacher(**{**t.__dict__, "unavailable_dates": frozenset({rng.choice(sessions).date})})
            else:
                t = ExamTeacher(**{**t.__dict__, "unavailable_sessions": frozenset({rng.choice(sessions).session_id})})
        out.append(t)
    return InvigilationInput(exam_id, tuple(schools), tuple(out), tuple(sessions), tuple(rooms), candidates)


def make_marking(seed: int = 0, n_schools: int = 4, per_school: int = 12, scripts: int = 300,
                 hours: float = 8.0, site: bool = True) -> MarkingInput:
    rng = random.Random(seed)
    schools, teachers, candidates = [], [], {}
    for i in range(n_schools):
        lat, lon = place(34.5, 113.0, 15 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi))
        sid = f"S{i + 1}"
        schools.append(ExamSchool(sid, f"学校{i + 1}", lat, lon, "urban", "C1", i == 0))
        candidates[sid] = rng.randint(50, 150)
        for k in range(per_school):
            subject = ["chinese", "math"][k % 2]
            teachers.append(ExamTeacher(f"{sid}-T{k + 1:02d}", sid, subject, (rng.choice([8, 9, 9]),),
                                        "teacher", rng.random() < 0.4, rng.randint(3, 30), f"教师{sid}{k}"))
    groups = (ItemGroup("chinese", "C-G1", 60.0, ("c1", "c2")), ItemGroup("chinese", "C-G2", 90.0, ("c3",)),
              ItemGroup("math", "M-G1", 45.0, ("m1",)))
    return MarkingInput("M", 9, tuple(schools), tuple(teachers), groups, {"chinese": scripts, "math": scripts},
                        candidates, hours, "S1" if site else None)


@pytest.fixture(scope="session")
def district_tables():
    """A 30-school synthetic district (bundle-shaped tables), built once."""
    return synthetic_district(seed=3, n_schools=30, n_teachers=1500, n_rooms=420, n_sessions=4)
