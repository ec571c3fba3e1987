"""Simulated exam results for the demo: students answer papers according to their latent ability.

`paper_scores` gives the true item scores of one exam (scores.csv shape) from the items on its
papers; `previous_exam_scores` builds a plausible earlier exam of the same cohort from the bank, so
the demo's vertical comparison (提高率) has something to compare with. Pure pandas/numpy.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demo.simulate import simulate_item_scores

SCORE_COLUMNS = ["exam_id", "student_id", "school_id", "class_id", "subject", "item_id", "score"]


def exam_students(students: pd.DataFrame, classes: pd.DataFrame, grade: int) -> pd.DataFrame:
    """Students of the exam grade with their class, school and ability θ."""
    grade_classes = classes[classes["grade"].astype(int) == int(grade)][["class_id"]]
    out = students.merge(grade_classes, on="class_id")
    out["ability"] = pd.to_numeric(out["ability"], errors="coerce").fillna(0.0)
    return out.sort_values("student_id").reset_index(drop=True)


def paper_scores(exam_id: str, students: pd.DataFrame, items: pd.DataFrame, *, seed: int,
                 school_drift: dict[str, float] | None = None, absent_rate: float = 0.005) -> pd.DataFrame:
    """Item scores of every student on every item (long format); a few absent students sit nothing.

    items: item_id, subject, max_score, score_step, difficulty, discrimination.
    school_drift: θ shift per school since the cohort's previous exam (teaching effect).
    """
    rng = np.random.default_rng(seed)
    theta = students["ability"].to_numpy(dtype=float)
    if school_drift:
        theta = theta + students["school_id"].map(school_drift).fillna(0.0).to_numpy()
    theta = theta + rng.normal(0, 0.25, size=len(theta))  # a day's form
    frames = []
    present = rng.random(len(students)) >= absent_rate
    for subject, group in items.groupby("subject", sort=True):
        step = pd.to_numeric(group["score_step"], errors="coerce").to_numpy(dtype=float)  # NaN: right or wrong
        scores = simulate_item_scores(theta[present], group["difficulty"].to_numpy(dtype=float),
                                      pd.to_numeric(group["discrimination"], errors="coerce").fillna(1.0).to_numpy(),
                                      group["max_score"].to_numpy(dtype=float), step, rng)
        sitting = students[present]
        frames.append(pd.DataFrame({
            "exam_id": exam_id,
            "student_id": np.repeat(sitting["student_id"].to_numpy(), len(group)),
            "school_id": np.repeat(sitting["school_id"].to_numpy(), len(group)),
            "class_id": np.repeat(sitting["class_id"].to_numpy(), len(group)),
            "subject": subject,
            "item_id": np.tile(group["item_id"].to_numpy(), len(sitting)),
            "score": scores.reshape(-1),
        }))
    return pd.concat(frames, ignore_index=True)[SCORE_COLUMNS] if frames else pd.DataFrame(columns=SCORE_COLUMNS)


def bank_paper(bank: pd.DataFrame, subject: str, grade: int, *, total: float = 100.0, seed: int = 0) -> pd.DataFrame:
    """A plausible paper from the bank (not blueprint-exact): items drawn until the total is reached."""
    rng = np.random.default_rng(seed)
    pool = bank[(bank["subject"] == subject) & (bank["grade"].astype(int) == int(grade))]
    pool = pool.iloc[rng.permutation(len(pool))]
    chosen, points = [], 0.0
    for row in pool.itertuples(index=False):
        if points + float(row.max_score) <= total:
            chosen.append(row)
            points += float(row.max_score)
        if points >= total:
            break
    return pd.DataFrame(chosen, columns=pool.columns)


def previous_exam_scores(tables: dict[str, pd.DataFrame], previous_exam_id: str, grade: int, subjects: list[str],
                         *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores of the cohort's previous exam (taken one grade lower) and the items it used."""
    students = exam_students(tables["students"], tables["classes"], grade)
    items = pd.concat([bank_paper(tables["items"], s, grade - 1, seed=seed + n) for n, s in enumerate(subjects)],
                      ignore_index=True)
    items = items[items["item_id"].notna()]
    return paper_scores(previous_exam_id, students, items, seed=seed), items


def school_drift(schools: pd.DataFrame, *, seed: int, spread: float = 0.15) -> dict[str, float]:
    """How much each school's students moved since the previous exam (some improve, some slip)."""
    rng = np.random.default_rng(seed)
    return dict(zip(schools["school_id"], rng.normal(0, spread, size=len(schools))))
