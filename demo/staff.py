"""Classes, teachers and who teaches what, exam rooms, and students with a latent ability.

Every class gets a teacher for every subject taught at its grade (`domain.vocab.subjects_for_grade`).
A teacher teaches 1–3 classes of one subject in at most two adjacent grades; weak schools run
short-handed (each teacher takes more classes), so they have fewer teachers per class.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from demo import names
from demo.layout import KM_PER_DEG_LAT
from demo.policy import DemoPolicy
from domain.vocab import STAGE_GRADES, subjects_for_grade

# Classes a teacher takes (values, probabilities), by stage band and subject.
_LOAD_PRIMARY = {
    "chinese": ((1, 2), (0.85, 0.15)),  # the class teacher (班主任) usually teaches Chinese to one class
    "math": ((1, 2), (0.5, 0.5)),
    "english": ((2, 3), (0.5, 0.5)),
    "science": ((2, 3), (0.4, 0.6)),
}
_LOAD_JUNIOR = {
    "chinese": ((1, 2), (0.2, 0.8)),
    "math": ((1, 2), (0.2, 0.8)),
    "english": ((2, 3), (0.8, 0.2)),
    "physics": ((2, 3), (0.5, 0.5)),
    "chemistry": ((2, 3), (0.5, 0.5)),
}
_LOAD_MINOR = ((2, 3), (0.3, 0.7))  # biology, history, pe, music, ...: as many classes as allowed
_FEMALE_SHARE = {"pe": 0.3, "physics": 0.4, "it": 0.45, "chemistry": 0.5, "math": 0.55}


def _load(rng: np.random.Generator, subject: str, grade: int, weak: bool, rural: bool) -> int:
    if rural:
        return 3  # village schools are short-handed: every teacher takes as many classes as allowed
    table = _LOAD_PRIMARY if grade <= 6 else _LOAD_JUNIOR
    values, p = table.get(subject, _LOAD_MINOR)
    k = int(rng.choice(values, p=p))
    if weak and k < 3 and rng.random() < 0.8:  # short-handed: one more class each
        k += 1
    return k


def _classes_per_grade(rng: np.random.Generator, stage: str, locality: str, tier: str) -> dict[int, int]:
    """Parallel classes per grade (平行班): large urban schools, single classes in villages."""
    def base_primary() -> int:
        if locality == "urban":
            return int(rng.integers(3, 5) if stage == "nine_year" else
                       rng.integers(4, 6) if tier == "quality" else rng.integers(3, 5))
        if locality == "township":
            return int(rng.integers(1, 3) if stage == "nine_year" else rng.integers(2, 4) + (tier == "quality"))
        return 1 if rng.random() < 0.75 else 2

    def base_junior() -> int:
        if locality == "urban":
            return int(rng.integers(4, 7) if stage == "nine_year" else
                       rng.integers(5, 9) if tier == "quality" else rng.integers(4, 7))
        if locality == "township":
            return int(rng.integers(2, 4) if stage == "nine_year" else rng.integers(3, 6))
        return int(rng.integers(1, 3))

    out: dict[int, int] = {}
    primary = base_primary() if stage in ("primary", "nine_year") else 0
    junior = base_junior() if stage in ("junior", "nine_year") else 0
    for grade in STAGE_GRADES[stage]:
        base = primary if grade <= 6 else junior
        jitter = int(rng.integers(-1, 2)) if rng.random() < 0.3 else 0  # cohorts differ a little
        out[grade] = max(1, base + jitter)
    return out


def _class_sizes(rng: np.random.Generator, count: int, locality: str, tier: str, policy: DemoPolicy) -> np.ndarray:
    if locality == "rural":
        lo, hi = policy.rural_class_size_min, policy.rural_class_size_max
    else:
        lo, hi = policy.class_size_min, policy.class_size_max
        if locality == "urban" and tier == "quality":
            lo = max(lo, hi - 5)  # popular schools fill their classes
    return rng.integers(lo, hi + 1, size=count)


def build_classes(rng: np.random.Generator, schools: pd.DataFrame, policy: DemoPolicy) -> pd.DataFrame:
    rows = []
    for school in schools.itertuples(index=False):
        per_grade = _classes_per_grade(rng, school.stage, school.locality, school.tier)
        for grade, count in per_grade.items():
            sizes = _class_sizes(rng, count, school.locality, school.tier, policy)
            for k in range(count):
                rows.append((f"{school.school_id}-G{grade}-{k + 1:02d}", school.school_id, grade, int(sizes[k]), k + 1))
    classes = pd.DataFrame(rows, columns=["class_id", "school_id", "grade", "size", "_number"])
    classes["grade"] = classes["grade"].astype(np.int64)
    classes["size"] = classes["size"].astype(np.int64)
    return classes


def assign_teachers(rng: np.random.Generator, schools: pd.DataFrame, classes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Teacher posts (school, subject, grades) and class_teachers, one teacher per class and subject."""
    weak = dict(zip(schools["school_id"], schools["tier"] == "weak"))
    rural = dict(zip(schools["school_id"], schools["locality"] == "rural"))
    teacher_rows: list[tuple] = []  # (school_id, subject, grades, n_classes)
    ct_rows: list[tuple] = []  # (class_id, subject, teacher index)
    for school_id, school_classes in classes.groupby("school_id", sort=False):
        by_grade = {g: list(c["class_id"]) for g, c in school_classes.groupby("grade", sort=True)}
        subjects = sorted({s for g in by_grade for s in subjects_for_grade(g)})
        for subject in subjects:
            slots = [(g, cid) for g in sorted(by_grade) if subject in subjects_for_grade(g) for cid in by_grade[g]]
            i = 0
            while i < len(slots):
                grade0 = slots[i][0]
                load = _load(rng, subject, grade0, weak[school_id], rural[school_id])
                taken = [slots[i]]
                i += 1
                while len(taken) < load and i < len(slots):
                    grade = slots[i][0]
                    grades_so_far = {g for g, _ in taken}
                    if grade not in grades_so_far:
                        # A second grade only if adjacent, and in big schools only sometimes (most teach one grade).
                        if len(grades_so_far) >= 2 or grade != max(grades_so_far) + 1:
                            break
                        if len(by_grade[grade0]) >= 2 and rng.random() >= 0.3:
                            break
                    taken.append(slots[i])
                    i += 1
                index = len(teacher_rows)
                teacher_rows.append((school_id, subject, sorted({g for g, _ in taken}), len(taken)))
                ct_rows += [(cid, subject, index) for _, cid in taken]
    posts = pd.DataFrame(teacher_rows, columns=["school_id", "subject", "grades", "_classes"])
    class_teachers = pd.DataFrame(ct_rows, columns=["class_id", "subject", "_teacher"])
    return posts, class_teachers


def _top(score: np.ndarray, count: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the `count` highest scores among the allowed ones."""
    score = np.where(allowed, score, -np.inf) if allowed is not None else score
    count = min(count, int(np.isfinite(score).sum()))
    mask = np.zeros(len(score), dtype=bool)
    if count > 0:
        mask[np.argsort(-score, kind="stable")[:count]] = True
    return mask


def _offset_points(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, min_km: float, max_km: float):
    n = len(lat)
    km = rng.uniform(min_km, max_km, size=n)
    bearing = rng.uniform(0, 2 * math.pi, size=n)
    dlat = km * np.cos(bearing) / KM_PER_DEG_LAT
    dlon = km * np.sin(bearing) / (KM_PER_DEG_LAT * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def build_teachers(rng: np.random.Generator, schools: pd.DataFrame, posts: pd.DataFrame, school_year: int,
                   policy: DemoPolicy) -> pd.DataFrame:
    """Teacher attributes, vectorised over all posts: age, years, roles, backbone, famous, home..."""
    n = len(posts)
    school = schools.set_index("school_id").loc[posts["school_id"]]
    locality = school["locality"].to_numpy()
    tier = school["tier"].to_numpy()
    subject = posts["subject"].to_numpy()
    first_grade = np.array([g[0] for g in posts["grades"]])

    # Age: rural schools have older teachers and young special-post (特岗) teachers.
    young = rng.random(n) < np.select([locality == "urban", locality == "township"], [0.2, 0.4], 0.55)
    age = np.where(young, rng.normal(29, 4, n), rng.normal(np.where(locality == "rural", 50, 43), 7, n))
    age = np.clip(np.round(age), 22, 59).astype(np.int64)
    teaching_years = np.maximum(0, age - rng.integers(21, 25, size=n))
    stay = rng.beta(np.where((locality == "urban") & (tier == "quality"), 2.2, 1.3), 1.5, size=n)
    years_at_school = np.minimum(np.round(teaching_years * stay), 30).astype(np.int64)

    # Roles: per school one principal and 2–5 leaders (中层干部), chosen among experienced teachers.
    role = np.full(n, "teacher", dtype=object)
    seniority = teaching_years + rng.gumbel(0, 4, size=n)
    for school_id, index in posts.groupby("school_id", sort=False).indices.items():
        order = index[np.argsort(-seniority[index], kind="stable")]
        n_leaders = int(np.clip(round(len(index) / 25) + 1, 2, 5))
        role[order[0]] = "principal"
        role[order[1:1 + n_leaders]] = "leader"

    # Backbone (骨干) and famous (名师): stronger schools, more experience and leaders more likely.
    merit = (np.select([tier == "quality", tier == "ordinary"], [1.0, 0.4], 0.0) + 0.3 * (locality == "urban")
             + 0.08 * np.minimum(teaching_years, 25) + np.select([role == "principal", role == "leader"], [1.2, 0.8], 0)
             + rng.gumbel(0, 0.7, size=n))
    # Every secondary school names a backbone teacher (学科带头人) per subject where it has an
    # experienced one: joint-exam setting teams draw on them from at least two schools.
    stage = school["stage"].to_numpy()
    secondary = np.isin(stage, ("junior", "nine_year", "high")) & (first_grade >= 7)
    lead_of_subject = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(secondary & (teaching_years >= 5))
    if len(candidates):
        groups = pd.DataFrame({"school": posts["school_id"].to_numpy()[candidates], "subject": subject[candidates],
                               "merit": merit[candidates], "index": candidates})
        # Prefer ten years' teaching: the subject lead also leads a marking group (题组长, 教龄 ≥ 10).
        groups["senior"] = teaching_years[candidates] >= 10
        lead_of_subject[groups.sort_values(["senior", "merit"], ascending=False)
                        .drop_duplicates(["school", "subject"])["index"]] = True
    backbone = _top(merit + 100.0 * lead_of_subject, round(policy.backbone_share * n), teaching_years >= 5)
    famous = _top(merit + rng.gumbel(0, 0.5, size=n), round(policy.famous_share * n), backbone & (teaching_years >= 12))

    volunteer = _top(-0.05 * age + 0.3 * backbone + rng.logistic(0, 0.6, size=n), round(policy.volunteer_share * n))

    # Earlier rotations (上次交流): 1–8 years ago, never before the teacher started.
    rotated = _top(0.7 * backbone + 0.4 * (locality == "urban") + rng.gumbel(0, 1, size=n),
                   round(policy.rotated_before_share * n), teaching_years >= 2)
    years_back = np.minimum(rng.integers(1, 9, size=n), np.maximum(teaching_years, 1))
    last_rotation = [int(school_year - b) if r else None for r, b in zip(rotated, years_back)]

    # Homes: near the school, or in the county seat (many township and village teachers commute).
    known = rng.random(n) < policy.home_known_share
    in_town = (locality == "urban") | (rng.random(n) < policy.rural_home_in_town_share)
    town_lat, town_lon = _offset_points(rng, np.full(n, policy.county_lat), np.full(n, policy.county_lon),
                                        0.2, policy.core_radius_km + 1.0)
    near_lat, near_lon = _offset_points(rng, school["lat"].to_numpy(), school["lon"].to_numpy(), 0.3, 4.0)
    home_lat = np.where(known, np.where(in_town & (locality != "urban"), town_lat, near_lat), np.nan).round(6)
    home_lon = np.where(known, np.where(in_town & (locality != "urban"), town_lon, near_lon), np.nan).round(6)

    p_female = np.array([_FEMALE_SHARE.get(s, 0.7) for s in subject]) - 0.1 * (first_grade >= 7)
    female = rng.random(n) < p_female
    return pd.DataFrame({
        "teacher_id": [f"T{i + 1:05d}" for i in range(n)],
        "name": names.person_names(rng, female),
        "school_id": posts["school_id"].to_numpy(),
        "subject": subject,
        "grades": posts["grades"].to_numpy(),
        "role": role,
        "backbone": backbone,
        "famous": famous,
        "years_at_school": years_at_school,
        "teaching_years": teaching_years.astype(np.int64),
        "birth_year": (school_year - age).astype(np.int64),
        "volunteer": volunteer,
        "last_rotation_year": pd.Series(last_rotation, dtype=object),
        "home_lat": home_lat,
        "home_lon": home_lon,
        "gender": np.where(female, "F", "M"),
    })


def build_rooms(schools: pd.DataFrame, classes: pd.DataFrame, exam_grade: int, policy: DemoPolicy) -> pd.DataFrame:
    """Exam rooms at every school site: one standard room per ~30 students of the exam grade.

    Schools without the exam grade get rooms for their largest grade (they host other exams).
    Big urban sites have a 40-seat lecture room (阶梯教室) as their last room.
    """
    per_grade = classes.groupby(["school_id", "grade"])["size"].sum()
    largest = per_grade.groupby("school_id").max()
    rows = []
    for school in schools.itertuples(index=False):
        students = per_grade.get((school.school_id, exam_grade), largest.get(school.school_id, 0))
        count = max(1, math.ceil(int(students) / policy.room_capacity))
        for r in range(count):
            capacity = 40 if school.locality == "urban" and count >= 8 and r == count - 1 else policy.room_capacity
            rows.append((school.school_id, f"R{r + 1:02d}", capacity))
    rooms = pd.DataFrame(rows, columns=["school_id", "room_id", "capacity"])
    rooms["capacity"] = rooms["capacity"].astype(np.int64)
    return rooms


def build_students(rng: np.random.Generator, schools: pd.DataFrame, classes: pd.DataFrame, school_year: int,
                   policy: DemoPolicy) -> pd.DataFrame:
    """Students of every class, with a latent ability θ = school (tier) + class effect + individual."""
    tier_shift = schools["tier"].map({"quality": policy.tier_ability_shift, "ordinary": 0.0,
                                      "weak": -policy.tier_ability_shift}).to_numpy()
    school_effect = pd.Series(tier_shift + rng.normal(0, policy.school_ability_sd, len(schools)),
                              index=schools["school_id"])
    class_effect = school_effect.loc[classes["school_id"]].to_numpy() + rng.normal(0, policy.class_ability_sd,
                                                                                    len(classes))
    sizes = classes["size"].to_numpy()
    of_class = np.repeat(np.arange(len(classes)), sizes)
    n = len(of_class)
    seat = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    school_number = classes["school_id"].str[1:].astype(int).to_numpy()[of_class]
    cohort = school_year - classes["grade"].to_numpy()[of_class] + 1
    class_number = classes["_number"].to_numpy()[of_class]
    # 学籍号-like id: cohort, school number, class number, seat — unique and readable.
    student_id = (pd.Series(cohort).astype(str) + pd.Series(school_number).astype(str).str.zfill(3)
                  + pd.Series(class_number).astype(str).str.zfill(2) + pd.Series(seat).astype(str).str.zfill(2))
    ability = class_effect[of_class] + rng.normal(0, 1.0, n)
    female = rng.random(n) < 0.48
    return pd.DataFrame({
        "student_id": student_id.to_numpy(),
        "class_id": classes["class_id"].to_numpy()[of_class],
        "school_id": classes["school_id"].to_numpy()[of_class],
        "name": names.person_names(rng, female, children=True),
        "ability": np.round(ability, 4),
    })


def young_teachers_where_needed(rng: np.random.Generator, teachers: pd.DataFrame, needs: pd.DataFrame,
                                school_year: int, per_need: int = 1) -> pd.DataFrame:
    """Schools that ask for rotating teachers have young teachers (特岗, ≤ 4 years) of those subjects.

    Every rotating backbone teacher takes an apprentice of the same subject and grade at the host
    school (师徒结对); weak rural schools are where the young teachers are, so the demo puts up to
    one more than the posts asked for (up to `per_need` + posts) beside each need, preferring teachers
    of the post's grade.
    """
    teachers = teachers.copy()
    plain = (teachers["role"] == "teacher") & ~teachers["backbone"] & ~teachers["famous"]
    chosen: set[int] = set()
    for need in needs.itertuples(index=False):
        pool = teachers.index[plain & (teachers["school_id"] == need.school_id) & (teachers["subject"] == need.subject)]
        pool = [i for i in pool if i not in chosen]
        pool.sort(key=lambda i: (int(need.grade) not in teachers.at[i, "grades"], rng.random()))
        chosen.update(pool[:per_need + int(need.posts)])
    for index in sorted(chosen):
        years = int(rng.integers(1, 5))
        teachers.at[index, "teaching_years"] = years
        teachers.at[index, "years_at_school"] = min(int(teachers.at[index, "years_at_school"]), years)
        teachers.at[index, "birth_year"] = school_year - (22 + years + int(rng.integers(0, 3)))
        teachers.at[index, "last_rotation_year"] = None
    return teachers
