"""Teaching posts (岗位需求) that weak and rural schools ask rotation to fill.

Sized so that the urban and quality schools' yearly quota (≥10% of teachers eligible for
exchange, DOMAIN.md 003 part 4) can fill most of them: total posts ≈ `needs_share_of_eligible`
× eligible teachers there. Shortage subjects (English, music, art, IT, science...) are asked for
more often. At least one subject and grade (where supply least exceeds demand) asks for more posts
than there are eligible teachers of that subject teaching that grade at sending schools (when
that takes at most max(5, 10% of the posts) extra posts, which held for every seed tried), so a
planner meets some unmatchable need.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demo.policy import DemoPolicy
from domain.vocab import subjects_for_grade

# How often rural schools are short of a subject's teachers (relative weights).
SHORTAGE_WEIGHT = {"english": 4.0, "music": 2.5, "art": 2.5, "it": 2.5, "science": 2.0, "math": 2.0,
                   "chinese": 1.5, "physics": 2.0, "chemistry": 1.5, "pe": 1.5, "biology": 1.0,
                   "geography": 1.0, "history": 0.8, "politics": 0.8}


def eligible_for_rotation(teachers: pd.DataFrame, school_year: int, policy: DemoPolicy) -> pd.Series:
    """符合交流条件: long enough at the school, not near retirement (the demo's rule; the rotation
    policy decides for real)."""
    age = school_year - teachers["birth_year"]
    return (teachers["years_at_school"] >= policy.eligible_min_years_at_school) & (age <= policy.eligible_max_age)


def sending_schools(schools: pd.DataFrame) -> pd.Series:
    """Schools that owe the rotation quota: urban or quality (城镇学校、优质学校)."""
    return (schools["locality"] == "urban") | (schools["tier"] == "quality")


def build_needs(rng: np.random.Generator, schools: pd.DataFrame, classes: pd.DataFrame, teachers: pd.DataFrame,
                school_year: int, policy: DemoPolicy, *, max_km: float = 55.0) -> pd.DataFrame:
    """Posts at weak and rural schools that each sending school's quota can fill.

    For every sending school, posts ≈ `needs_share_of_eligible` of its eligible teachers (never
    fewer than its 10% quota, rounded up) are drawn from its own teachers' subjects and grades, at
    receiving schools of the same cluster within `max_km` that teach that grade (so teachers living
    near their school stay within the usual 40 km limit). Posts that a backbone teacher could fill
    go where the host has a teacher of the subject to be the apprentice (师徒结对).
    """
    from domain.geo import haversine_km

    columns = ["school_id", "subject", "grade", "posts"]
    sending_mask = sending_schools(schools)
    sending_ids = set(schools.loc[sending_mask, "school_id"])
    recent = pd.to_numeric(teachers["last_rotation_year"], errors="coerce")
    eligible = (eligible_for_rotation(teachers, school_year, policy) & (teachers["role"] == "teacher")
                & ~(recent > school_year - 3))  # rotated in the last 3 years: not again (fair over years)
    pool = teachers[teachers["school_id"].isin(sending_ids) & eligible_for_rotation(teachers, school_year, policy)]
    # Receiving: every school that does not owe the quota (township and rural, not quality): weaker
    # than an urban or quality sender, so a posting there is support (支教).
    receiving = schools[~sending_mask]
    if receiving.empty or pool.empty:
        return pd.DataFrame({c: pd.Series([], dtype=str if c in ("school_id", "subject") else np.int64)
                             for c in columns})
    grades_at = {k: {int(g) for g in v} for k, v in classes.groupby("school_id")["grade"].unique().items()}
    subjects_at = teachers.groupby("school_id")["subject"].agg(set).to_dict()
    where = schools.set_index("school_id")[["lat", "lon", "cluster_id", "hardship", "tier"]]
    counts: dict[tuple[str, str, int], int] = {}
    for sender in sorted(sending_ids):
        mine = teachers[(teachers["school_id"] == sender) & eligible]
        if mine.empty:
            continue
        quota = int(np.ceil(0.1 * len(mine) - 1e-9))
        wanted = max(quota, round(policy.needs_share_of_eligible * len(mine)))
        lat, lon, cluster = where.at[sender, "lat"], where.at[sender, "lon"], where.at[sender, "cluster_id"]
        hosts = [h for h in receiving["school_id"] if where.at[h, "cluster_id"] == cluster
                 and haversine_km(lat, lon, where.at[h, "lat"], where.at[h, "lon"]) <= max_km]
        if not hosts:
            continue
        # Teachers whose subject and grade another colleague also covers can leave (本校学科覆盖).
        cover = mine.explode("grades").groupby(["subject", "grades"]).size()
        order = mine.assign(_spare=[any(cover.get((s, g), 0) >= 2 for g in gs) for s, gs in
                                    zip(mine["subject"], mine["grades"])],
                            _r=rng.random(len(mine)))
        order = order.sort_values(["_spare", "backbone", "_r"], ascending=[False, False, True])
        made = 0
        for teacher in order.itertuples(index=False):
            if made >= wanted:
                break
            options = [(h, g) for h in hosts for g in teacher.grades if g in grades_at.get(h, ())
                       and (not teacher.backbone or teacher.subject in subjects_at.get(h, ()))]
            if not options:
                continue
            weights = np.array([(1 + where.at[h, "hardship"]) * (1.5 if where.at[h, "tier"] == "weak" else 1.0)
                                * SHORTAGE_WEIGHT.get(teacher.subject, 1.0) for h, _ in options])
            host, grade = options[rng.choice(len(options), p=weights / weights.sum())]
            key = (host, teacher.subject, int(grade))
            if counts.get(key, 0) >= 3:
                continue
            counts[key] = counts.get(key, 0) + 1
            made += 1

    triples = list(counts)
    posts = np.array([counts[t] for t in triples], dtype=np.int64)
    target = int(posts.sum())
    # Guarantee an unmatchable need: on the subject and grade with the smallest margin of supply over
    # demand, ask for one post more than the eligible supply, spread one or two posts per school.
    offered = [(h, subj, g) for h in receiving["school_id"] for g in sorted(grades_at.get(h, ()))
               for subj in subjects_for_grade(g)]
    supply: dict[tuple[str, int], int] = {}
    for subject, grades in zip(pool["subject"], pool["grades"]):
        for g in grades:
            supply[(subject, g)] = supply.get((subject, g), 0) + 1
    demand: dict[tuple[str, int], int] = {}
    for (_, subject, grade), p in zip(triples, posts):
        demand[(subject, grade)] = demand.get((subject, grade), 0) + int(p)
    margin = {pair: supply.get(pair, 0) - demand.get(pair, 0) for pair in {(s, g) for _, s, g in offered}}
    scarce = min(sorted(margin), key=lambda pair: margin[pair])
    shortfall = margin[scarce] + 1
    if 0 < shortfall <= max(5, round(0.1 * target)):
        for host, subject, grade in [t for t in offered if (t[1], t[2]) == scarce]:
            while shortfall > 0 and counts.get((host, subject, grade), 0) < 2:
                counts[(host, subject, grade)] = counts.get((host, subject, grade), 0) + 1
                shortfall -= 1
    rows = [(h, subj, np.int64(g), np.int64(p)) for (h, subj, g), p in sorted(counts.items())]
    return pd.DataFrame(rows, columns=columns)
