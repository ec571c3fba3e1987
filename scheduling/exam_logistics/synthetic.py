"""A synthetic district in bundle shape, for tests and the benchmark (until demo.district exists).

Geography follows the demo policy's county: an urban core of ~28% of the schools within 3.5 km of
the county seat, townships 22–58 km out with a central school and village schools around it.
Rooms in use per school are drawn so that the whole district fills exactly `n_rooms` 30-seat
rooms in every session; teachers are spread in proportion to the rooms (± noise).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

SUBJECT_SHARE = {"chinese": 0.15, "math": 0.15, "english": 0.13, "physics": 0.07, "chemistry": 0.05,
                 "biology": 0.05, "politics": 0.06, "history": 0.06, "geography": 0.05, "pe": 0.08,
                 "music": 0.05, "art": 0.05, "it": 0.05}
TIMETABLE = [  # (subject, day index, start, end)
    ("chinese", 0, "08:30", "11:00"), ("math", 0, "14:30", "16:30"),
    ("english", 1, "08:30", "10:30"), ("physics", 1, "14:30", "16:00"),
    ("chemistry", 2, "08:30", "10:00"), ("politics", 2, "14:30", "16:00"),
    ("history", 3, "08:30", "10:00"), ("biology", 3, "14:30", "15:30"),
]
SEAT = 30


def _offset(lat: float, lon: float, km: float, angle: float) -> tuple[float, float]:
    dlat = km * math.cos(angle) / 111.0
    dlon = km * math.sin(angle) / (111.0 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def synthetic_district(seed: int = 0, n_schools: int = 100, n_teachers: int = 6000, n_rooms: int = 1600,
                       n_sessions: int = 6, grade: int = 9, exam_id: str = "EX-D", start_date: str = "2025-01-14",
                       unavailable_share: float = 0.01, urban_share: float = 0.28,
                       schools_per_township: float = 5.5) -> dict[str, pd.DataFrame]:
    """Bundle-shaped tables: clusters, schools, teachers, rooms, classes, students, exam_sessions,
    exams, unavailability, items, item_usage. Exam `exam_id` is district-wide; every cluster also
    has its own exam `f"{exam_id}-{cluster_id}"` with the same timetable."""
    rng = np.random.default_rng(seed)
    seat_lat, seat_lon = 34.5, 113.0
    n_urban = max(1, round(n_schools * urban_share)) if n_schools > 3 else n_schools
    rows = []
    for i in range(n_urban):
        lat, lon = _offset(seat_lat, seat_lon, 3.5 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi))
        rows.append(("urban", lat, lon, f"U{i // 5 + 1:02d}"))
    rest = n_schools - n_urban
    n_town = max(1, round(rest / schools_per_township)) if rest else 0
    towns = []
    for k in range(n_town):
        angle = 2 * math.pi * k / max(n_town, 1) + rng.uniform(-0.2, 0.2)
        towns.append(_offset(seat_lat, seat_lon, rng.uniform(22, 58), angle))
    for i in range(rest):
        k = i % n_town
        tlat, tlon = towns[k]
        central = i < n_town
        lat, lon = (tlat, tlon) if central else _offset(tlat, tlon, rng.uniform(2, 9), rng.uniform(0, 2 * math.pi))
        rows.append(("township" if central else "rural", lat, lon, f"T{k + 1:02d}"))
    schools = pd.DataFrame({
        "school_id": [f"S{i + 1:03d}" for i in range(n_schools)],
        "name": [f"{'城区' if r[0] == 'urban' else ('乡镇' if r[0] == 'township' else '村')}第{i + 1}中学" for i, r in enumerate(rows)],
        "cluster_id": [r[3] for r in rows],
        "is_lead": False,
        "stage": "junior",
        "locality": [r[0] for r in rows],
        "tier": rng.choice(["quality", "ordinary", "weak"], size=n_schools, p=[0.25, 0.5, 0.25]),
        "lat": [r[1] for r in rows],
        "lon": [r[2] for r in rows],
        "hardship": [0 if r[0] == "urban" else (1 if r[0] == "township" else 2) for r in rows],
    })
    # one lead per cluster: its first school (the central school of a township)
    first = schools.groupby("cluster_id").head(1).index
    schools.loc[first, "is_lead"] = True
    clusters = pd.DataFrame({"cluster_id": sorted(schools["cluster_id"].unique())})
    clusters["name"] = clusters["cluster_id"].map(lambda c: f"第{c}学区")

    # rooms in use per school: urban big, rural small; exactly n_rooms in total
    weight = np.array([{"urban": 2.2, "township": 1.3, "rural": 0.7}[r[0]] for r in rows]) * rng.uniform(0.7, 1.3, n_schools)
    rooms_used = np.maximum(1, np.floor(weight / weight.sum() * n_rooms)).astype(int)
    while rooms_used.sum() < n_rooms:
        rooms_used[rng.integers(n_schools)] += 1
    while rooms_used.sum() > n_rooms:
        i = int(rng.integers(n_schools))
        if rooms_used[i] > 1:
            rooms_used[i] -= 1
    room_rows: list[tuple[str, str, int]] = []
    class_rows: list[tuple[str, str, int, int]] = []
    student_rows: list[tuple[str, str, str]] = []
    for i, sid in enumerate(schools["school_id"]):
        extra = int(rng.integers(0, 4))
        for r in range(rooms_used[i] + extra):
            room_rows.append((sid, f"{r + 1:02d}", SEAT))
        candidates = SEAT * rooms_used[i] - int(rng.integers(0, SEAT))
        n_classes = max(1, math.ceil(candidates / 45))
        sizes = [candidates // n_classes + (1 if c < candidates % n_classes else 0) for c in range(n_classes)]
        for g in (7, 8, 9):
            for c, size in enumerate(sizes if g == grade else [max(1, s + int(rng.integers(-3, 4))) for s in sizes]):
                cid = f"{sid}-{g}-{c + 1:02d}"
                class_rows.append((cid, sid, g, size))
                if g == grade:
                    student_rows.extend((f"{cid}-{k + 1:03d}", cid, sid) for k in range(size))
    rooms = pd.DataFrame(room_rows, columns=["school_id", "room_id", "capacity"])
    classes = pd.DataFrame(class_rows, columns=["class_id", "school_id", "grade", "size"])
    students = pd.DataFrame(student_rows, columns=["student_id", "class_id", "school_id"])

    # teachers ∝ rooms (± noise); one principal per school, ~7% leaders, 20% backbone
    share = rooms_used * rng.uniform(0.9, 1.1, n_schools)
    per_school = np.maximum(4, np.floor(share / share.sum() * n_teachers)).astype(int)
    while per_school.sum() < n_teachers:
        per_school[rng.integers(n_schools)] += 1
    while per_school.sum() > n_teachers:
        i = int(rng.integers(n_schools))
        if per_school[i] > 4:
            per_school[i] -= 1
    subjects = list(SUBJECT_SHARE)
    p = np.array(list(SUBJECT_SHARE.values()))
    p = p / p.sum()
    t_rows = []
    n = 0
    for i, sid in enumerate(schools["school_id"]):
        for k in range(per_school[i]):
            n += 1
            role = "principal" if k == 0 else ("leader" if rng.random() < 0.07 else "teacher")
            years = int(rng.integers(0, 36))
            subject = str(rng.choice(subjects, p=p))
            low = 9 if subject == "chemistry" else (8 if subject == "physics" else 7)  # taught from grade 9 / 8
            g1 = int(rng.integers(low, 10))
            grades = [g1] if rng.random() < 0.8 else sorted({g1, int(rng.integers(low, 10))})
            t_rows.append({
                "teacher_id": f"T{n:05d}", "name": f"教师{n}", "school_id": sid,
                "subject": subject, "grades": grades, "role": role,
                "backbone": bool(rng.random() < 0.2), "famous": False, "years_at_school": min(years, int(rng.integers(0, 20))),
                "teaching_years": years, "birth_year": 2025 - 23 - years, "volunteer": bool(rng.random() < 0.3),
                "last_rotation_year": None, "home_lat": None, "home_lon": None,
            })
    teachers = pd.DataFrame(t_rows)

    d0 = np.datetime64(start_date)
    sess = []
    for k, (subject, day, start, end) in enumerate(TIMETABLE[:n_sessions]):
        sess.append((exam_id, grade, f"E{k + 1}", subject, str(d0 + np.timedelta64(day, "D")), start, end))
    exam_sessions = pd.DataFrame(sess, columns=["exam_id", "grade", "session_id", "subject", "date", "start", "end"])
    cluster_exams = []
    for c in clusters["cluster_id"]:
        e = exam_sessions.copy()
        e["exam_id"] = f"{exam_id}-{c}"
        cluster_exams.append(e)
    exam_sessions = pd.concat([exam_sessions] + cluster_exams, ignore_index=True)
    exams = pd.DataFrame([(exam_id, "区联考", "final", 2024, 1, grade, None)] +
                         [(f"{exam_id}-{c}", f"{c}学区联考", "final", 2024, 1, grade, c) for c in clusters["cluster_id"]],
                         columns=["exam_id", "name", "kind", "school_year", "term", "grade", "cluster_id"])

    u_rows = []
    dates = sorted(exam_sessions["date"].unique())
    for tid in teachers["teacher_id"].sample(frac=unavailable_share, random_state=seed):
        if rng.random() < 0.5:
            u_rows.append((tid, str(rng.choice(dates)), None))
        else:
            r = exam_sessions.iloc[int(rng.integers(min(len(exam_sessions), n_sessions)))]
            u_rows.append((tid, r["date"], r["session_id"]))
    unavailability = pd.DataFrame(u_rows, columns=["teacher_id", "date", "session_id"])

    item_rows: list[tuple[object, ...]] = []  # items.csv rows; key, discrimination, options, enemies may be blank
    usage_rows = []
    for subject, *_ in TIMETABLE[:n_sessions]:
        scores = [50] if subject == "chinese" else []
        scores += [int(s) for s in rng.integers(4, 16, size=int(rng.integers(4, 8)))]
        for k, score in enumerate(scores):
            iid = f"I-{subject}-{k + 1:02d}"
            item_rows.append((iid, subject, grade, "subjective", float(score), None, "综合", "apply", 0.6, None, None, None))
            usage_rows.append((iid, exam_id, 2022, start_date))
        for k in range(10):
            iid = f"I-{subject}-C{k + 1:02d}"
            item_rows.append((iid, subject, grade, "single_choice", 3.0, "A", "基础", "remember", 0.7, None, 4, None))
            usage_rows.append((iid, exam_id, 2022, start_date))
    items = pd.DataFrame(item_rows, columns=["item_id", "subject", "grade", "item_type", "max_score", "key",
                                             "knowledge_area", "cognitive_level", "difficulty", "discrimination",
                                             "options", "enemies"])
    item_usage = pd.DataFrame(usage_rows, columns=["item_id", "exam_id", "cohort", "used_on"])
    return {"clusters": clusters, "schools": schools, "teachers": teachers, "rooms": rooms, "classes": classes,
            "students": students, "exam_sessions": exam_sessions, "exams": exams, "unavailability": unavailability,
            "items": items, "item_usage": item_usage}
