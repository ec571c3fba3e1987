"""A synthetic district for tests and the benchmark, as bundle-shaped DataFrames.

Deterministic from a seed. Clusters of urban quality lead schools with ordinary, township and
rural members; teachers per subject and grade; needs at weaker schools sized so that the 10%
quotas of the senders can usually be met. `demo.district.generate_district` is the realistic
generator; this one only has to exercise every rule of the roster.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from domain.vocab import STAGE_GRADES, subjects_for_grade

MAIN_SUBJECTS = ("chinese", "math", "english")


def _eligible(row: dict, school_year: int = 2025) -> bool:
    """Eligible under the default policy (6 years here, no rotation in 3 years, > 3 years to 60)."""
    last = row["last_rotation_year"]
    return (row["role"] == "teacher" and row["years_at_school"] >= 6
            and (last is None or not school_year - 3 <= last < school_year)
            and 60 - (school_year - row["birth_year"]) > 3)


def _school_kinds(size: int, rng: np.random.Generator) -> list[tuple[str, str, int]]:
    """(locality, tier, hardship) of a cluster's schools: the lead first."""
    kinds = [("urban", "quality", 0)]
    menu = [("urban", "ordinary", 0), ("township", "ordinary", 1), ("township", "weak", 2), ("rural", "weak", 2),
            ("rural", "weak", 3), ("urban", "quality", 0)]
    weights = np.array([0.2, 0.25, 0.15, 0.25, 0.1, 0.05])
    for _ in range(size - 1):
        kinds.append(menu[int(rng.choice(len(menu), p=weights / weights.sum()))])
    if size > 1 and all(locality == "urban" for locality, _, _ in kinds):
        kinds[-1] = ("rural", "weak", 2)  # every cluster pairs urban with rural (城乡统筹)
    return kinds


def generate_tables(seed: int = 0, schools: int = 10, cluster_size: int = 8, *, teachers_per_class: float = 1.0,
                    need_ratio: float = 1.0, district_km: float = 60.0) -> dict[str, pd.DataFrame]:
    """Bundle-shaped tables: clusters, schools, teachers, classes, class_teachers, needs."""
    rng = np.random.default_rng(seed)
    n_clusters = max(1, round(schools / cluster_size))
    sizes = [schools // n_clusters + (1 if c < schools % n_clusters else 0) for c in range(n_clusters)]
    school_rows, teacher_rows, class_rows, ct_rows, need_rows, cluster_rows = [], [], [], [], [], []
    base_lat, base_lon = 34.5, 113.5
    km_lat = 1 / 111.0
    km_lon = 1 / (111.0 * math.cos(math.radians(base_lat)))
    made = 0
    tid = 0
    for c in range(n_clusters):
        cluster_id = f"C{c + 1:02d}"
        cluster_rows.append({"cluster_id": cluster_id, "name": f"第{c + 1}学区"})
        size = sizes[c]
        centre = rng.uniform(0, district_km, size=2)
        stage = "primary" if rng.random() < 0.7 else "junior"
        for k, (locality, tier, hardship) in enumerate(_school_kinds(size, rng)):
            made += 1
            school_id = f"S{made:03d}"
            radius = {"urban": 3.0, "township": 10.0, "rural": 16.0}[locality]
            angle = rng.uniform(0, 2 * math.pi)
            r = radius * (0.5 + rng.random()) if k else rng.uniform(0, 2)
            lat = base_lat + (centre[0] + r * math.sin(angle)) * km_lat
            lon = base_lon + (centre[1] + r * math.cos(angle)) * km_lon
            school_rows.append({"school_id": school_id, "name": f"{school_id}学校", "cluster_id": cluster_id,
                                "is_lead": k == 0, "stage": stage, "locality": locality, "tier": tier,
                                "lat": round(lat, 5), "lon": round(lon, 5), "hardship": hardship})
            classes_per_grade = {"urban": 3, "township": 2, "rural": 1}[locality] + int(rng.integers(0, 2))
            grades = STAGE_GRADES[stage]
            young_share = 0.45 if locality != "urban" else 0.15
            backbone_share = 0.25 if tier == "quality" else (0.2 if locality == "urban" else 0.1)
            staff: list[dict] = []

            def new_teacher(subject: str, grade_list: list[int], role: str = "teacher") -> dict:
                nonlocal tid
                tid += 1
                young = role == "teacher" and rng.random() < young_share
                teaching_years = int(rng.integers(0, 6)) if young else int(rng.integers(6, 36))
                years_here = min(teaching_years, int(rng.integers(0, teaching_years + 1)) if young
                                 else int(rng.integers(3, teaching_years + 1)))
                birth_year = 2025 - 22 - teaching_years - int(rng.integers(0, 4))
                last = int(2025 - rng.integers(1, 12)) if rng.random() < 0.2 else None
                has_home = rng.random() < 0.7
                row = {
                    "teacher_id": f"T{tid:05d}", "name": f"教师{tid}", "school_id": school_id, "subject": subject,
                    "grades": ";".join(str(g) for g in grade_list), "role": role,
                    "backbone": (not young) and rng.random() < backbone_share,
                    "famous": (not young) and tier == "quality" and rng.random() < 0.04,
                    "years_at_school": years_here, "teaching_years": teaching_years, "birth_year": birth_year,
                    "volunteer": rng.random() < 0.35, "last_rotation_year": last,
                    "home_lat": round(lat + rng.normal(0, 3) * km_lat, 5) if has_home else None,
                    "home_lon": round(lon + rng.normal(0, 3) * km_lon, 5) if has_home else None,
                    "gender": "F" if rng.random() < 0.7 else "M",
                }
                staff.append(row)
                return row

            new_teacher("chinese", [grades[0]], "principal")
            leaders = (5 + cluster_size // 2) if k == 0 else 2 + int(rng.integers(0, 3))
            for _ in range(leaders):
                new_teacher(str(rng.choice(MAIN_SUBJECTS)), [int(rng.choice(grades))], "leader")
            for g in grades:
                class_ids = [f"{school_id}-{g}-{i + 1}" for i in range(classes_per_grade)]
                for class_id in class_ids:
                    class_rows.append({"class_id": class_id, "school_id": school_id, "grade": g,
                                       "size": int(rng.integers(25, 50))})
                for subject in subjects_for_grade(g):
                    per_teacher = 2 if subject in MAIN_SUBJECTS else 4
                    count = max(1, round(classes_per_grade / per_teacher * teachers_per_class))
                    if subject in MAIN_SUBJECTS and locality == "urban":
                        count += 1
                    teachers = [new_teacher(subject, [g]) for _ in range(count)]
                    for i, class_id in enumerate(class_ids):
                        ct_rows.append({"class_id": class_id, "subject": subject,
                                        "teacher_id": teachers[i % len(teachers)]["teacher_id"]})
            teacher_rows += staff
        # Needs at the cluster's weaker schools, sized from the senders' quotas.
        cluster_schools = school_rows[-size:]
        senders = [s for s in cluster_schools if s["tier"] == "quality" or s["locality"] == "urban"]
        weaker = [s for s in cluster_schools if s not in senders]
        if not weaker:
            continue
        for sender in senders:
            staff = [t for t in teacher_rows if t["school_id"] == sender["school_id"] and _eligible(t)]
            settled = [t for t in staff if t["subject"] in MAIN_SUBJECTS]
            if not settled:
                continue
            posts = max(1, round(math.ceil(0.1 * len(staff)) * 1.5 * need_ratio))
            backbone = [t for t in settled if t["backbone"] or t["famous"]] or \
                [t for t in staff if t["backbone"] or t["famous"]]
            for p in range(posts):
                if backbone and p < max(1, posts // 3):
                    model = backbone[int(rng.integers(0, len(backbone)))]
                else:
                    model = settled[int(rng.integers(0, len(settled)))]
                grade = int(model["grades"].split(";")[0])
                # Prefer a host with a young teacher of the subject and grade: room for a mentor (师徒结对).
                hosts = [h for h in weaker if any(
                    t["school_id"] == h["school_id"] and t["subject"] == model["subject"] and t["role"] == "teacher"
                    and t["teaching_years"] <= 5 and str(grade) in t["grades"].split(";") for t in teacher_rows)]
                pool = hosts if hosts and (model in backbone or rng.random() < 0.8) else weaker
                host = pool[int(rng.integers(0, len(pool)))]
                need_rows.append({"school_id": host["school_id"], "subject": model["subject"], "grade": grade,
                                  "posts": 1})
        # A few learning posts at urban schools for rural teachers (跟岗).
        rural = [s for s in weaker if s["locality"] != "urban"]
        if rural and rng.random() < 0.7:
            host = senders[int(rng.integers(0, len(senders)))]
            need_rows.append({"school_id": host["school_id"], "subject": "math",
                              "grade": int(STAGE_GRADES[host["stage"]][0]), "posts": 1})
    needs = pd.DataFrame(need_rows, columns=["school_id", "subject", "grade", "posts"])
    if len(needs):
        needs = needs.groupby(["school_id", "subject", "grade"], as_index=False)["posts"].sum()
    return {
        "clusters": pd.DataFrame(cluster_rows),
        "schools": pd.DataFrame(school_rows),
        "teachers": pd.DataFrame(teacher_rows),
        "classes": pd.DataFrame(class_rows),
        "class_teachers": pd.DataFrame(ct_rows),
        "needs": needs,
    }
