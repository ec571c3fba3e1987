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
                school_year: int, policy: DemoPolicy) -> pd.DataFrame:
    columns = ["school_id", "subject", "grade", "posts"]
    sending_ids = set(schools.loc[sending_schools(schools), "school_id"])
    pool = teachers[teachers["school_id"].isin(sending_ids) & eligible_for_rotation(teachers, school_year, policy)]
    target = round(policy.needs_share_of_eligible * len(pool))
    receiving = schools[((schools["tier"] == "weak") | (schools["locality"] == "rural"))
                        & ~schools["school_id"].isin(sending_ids)]
    if receiving.empty or target == 0:
        return pd.DataFrame({c: pd.Series([], dtype=str if c in ("school_id", "subject") else np.int64)
                             for c in columns})

    school_weight = dict(zip(receiving["school_id"],
                             (1 + receiving["hardship"]) * np.where(receiving["tier"] == "weak", 1.5, 1.0)))
    grades_at = classes[classes["school_id"].isin(school_weight)].groupby("school_id")["grade"].unique()
    triples, weights = [], []
    for school_id, grades in grades_at.items():
        for grade in sorted(int(g) for g in grades):
            for subject in subjects_for_grade(grade):
                triples.append((school_id, subject, grade))
                weights.append(school_weight[school_id] * SHORTAGE_WEIGHT.get(subject, 1.0))
    weights = np.array(weights) / np.sum(weights)
    posts = rng.multinomial(target, weights)

    # Guarantee an unmatchable need: on the subject and grade with the smallest margin of supply over
    # demand, ask for one post more than the eligible supply, spread one or two posts per school.
    supply: dict[tuple[str, int], int] = {}
    for subject, grades in zip(pool["subject"], pool["grades"]):
        for g in grades:
            supply[(subject, g)] = supply.get((subject, g), 0) + 1
    demand: dict[tuple[str, int], int] = {}
    for (_, subject, grade), p in zip(triples, posts):
        demand[(subject, grade)] = demand.get((subject, grade), 0) + int(p)
    margin = {pair: supply.get(pair, 0) - demand.get(pair, 0) for pair in {(s, g) for _, s, g in triples}}
    scarce = min(sorted(margin), key=lambda pair: margin[pair])
    shortfall = margin[scarce] + 1
    if 0 < shortfall <= max(5, round(0.1 * target)):
        on_pair = sorted((i for i, (_, s, g) in enumerate(triples) if (s, g) == scarce), key=lambda i: -weights[i])
        while shortfall > 0:
            for i in on_pair:
                if shortfall > 0 and posts[i] < 2:
                    posts[i] += 1
                    shortfall -= 1
            if all(posts[i] >= 2 for i in on_pair):
                posts[on_pair[0]] += shortfall  # a tiny district: the one school asks for the rest
                shortfall = 0

    rows = [(s, subj, np.int64(g), np.int64(p)) for (s, subj, g), p in zip(triples, posts) if p > 0]
    return pd.DataFrame(rows, columns=columns)
