"""Synthetic joint-exam data for tests and benchmarks (not a demo of real schools).

Students have a latent ability θ = school effect + class effect + N(0, 1); an item of max score m
is scored Binomial(m / step, p) · step with p = logistic(a(θ − b)), so harder items, better schools
and discriminating items behave as they should. The previous exam of the same cohort uses the
same students with θ shifted by a class "growth" effect, so improvement rates differ by class.
All tables have the shapes `analysis.pipeline.analyse_exam` takes (FORMATS.md and bundle/spec.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.vocab import SUBJECTS

# A paper: (item type, max score) per item. 选择题 3 分, 填空 4 分, 解答题 8–14 分.
DEFAULT_PAPERS: dict[str, tuple[tuple[str, float], ...]] = {  # each paper 100 marks
    "chinese": (("single_choice", 3),) * 8 + (("fill_in", 4),) * 4 + (("subjective", 12),) * 5,
    "math": (("single_choice", 3),) * 10 + (("fill_in", 5),) * 4 + tuple(("subjective", m) for m in (10, 12, 14, 14)),
    "english": (("single_choice", 3),) * 15 + (("fill_in", 4),) * 5 + tuple(("subjective", m) for m in (10, 10, 15)),
}


@dataclass
class SyntheticExam:
    scores: pd.DataFrame  # scores.csv shape, one row per student × item
    items: pd.DataFrame  # subject, item_id, item_type, max_score, key
    schools: pd.DataFrame
    classes: pd.DataFrame
    class_teachers: pd.DataFrame
    teachers: pd.DataFrame  # teacher_id, name, school_id, subject
    responses: pd.DataFrame | None  # student_id, subject, item_id, answer (choice items)
    previous_scores: pd.DataFrame | None
    previous_items: pd.DataFrame | None
    ability: pd.Series  # θ by student_id (for checks)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _paper(rng: np.random.Generator, subject: str, spec, prefix: str) -> pd.DataFrame:
    k = len(spec)
    items = pd.DataFrame({
        "subject": subject,
        "item_id": [f"{prefix}{subject[:2].upper()}{j + 1:02d}" for j in range(k)],
        "item_type": [t for t, _ in spec],
        "max_score": [float(m) for _, m in spec],
    })
    items["a"] = rng.uniform(0.7, 2.0, k)
    items["b"] = rng.normal(-0.3, 0.9, k)
    if k >= 4:  # one item that does not discriminate and one very easy item, to exercise the flags
        items.loc[k - 4, "a"] = 0.02
        items.loc[1, "b"] = -4.0
    items["key"] = [rng.choice(list("ABCD")) if t == "single_choice" else None for t in items["item_type"]]
    return items


def _item_scores(rng, theta: np.ndarray, items: pd.DataFrame) -> np.ndarray:
    """students × items matrix of scores."""
    p = _logistic(items["a"].to_numpy() * (theta[:, None] - items["b"].to_numpy()))
    steps = np.where(items["item_type"].eq("single_choice"), 1, items["max_score"]).astype(int)
    unit = items["max_score"].to_numpy() / steps
    return rng.binomial(steps[None, :], p) * unit[None, :]


def _long(exam_id, student_ids, school_ids, class_ids, subject, item_ids, matrix, present) -> pd.DataFrame:
    rows = np.flatnonzero(present)
    k = len(item_ids)
    return pd.DataFrame({
        "exam_id": exam_id,
        "student_id": np.repeat(student_ids[rows], k),
        "school_id": np.repeat(school_ids[rows], k),
        "class_id": np.repeat(class_ids[rows], k),
        "subject": subject,
        "item_id": np.tile(np.asarray(item_ids, dtype=object), len(rows)),
        "score": matrix[rows].ravel(),
    })


def generate_exam(
    n_students: int = 2000,
    n_schools: int = 4,
    class_size: int = 45,
    papers: dict[str, tuple[tuple[str, float], ...]] | None = None,
    seed: int = 0,
    exam_id: str = "E2",
    previous_exam_id: str | None = "E1",
    with_responses: bool = True,
    absent_rate: float = 0.01,
    n_clusters: int = 1,
) -> SyntheticExam:
    rng = np.random.default_rng(seed)
    papers = papers or DEFAULT_PAPERS
    subjects = list(papers)

    school_ids = np.array([f"SCH{s + 1:03d}" for s in range(n_schools)], dtype=object)
    cluster_of_school = np.array([f"CL{(s % n_clusters) + 1}" for s in range(n_schools)], dtype=object)
    schools = pd.DataFrame({
        "school_id": school_ids,
        "name": [f"第{s + 1}中学" for s in range(n_schools)],
        "cluster_id": cluster_of_school,
        "is_lead": [s < n_clusters for s in range(n_schools)],
        "stage": "junior", "locality": "urban", "tier": "ordinary", "lat": 36.0, "lon": 117.0, "hardship": 0,
    })
    school_effect = np.linspace(0.5, -0.5, n_schools) if n_schools > 1 else np.zeros(1)

    # students: schools of unequal size, classes of about class_size
    weights = rng.uniform(0.6, 1.4, n_schools)
    student_school = np.sort(rng.choice(n_schools, n_students, p=weights / weights.sum()))
    class_index = np.zeros(n_students, dtype=int)
    class_rows = []
    next_class = 0
    for s in range(n_schools):
        members = np.flatnonzero(student_school == s)
        n_classes = max(1, round(len(members) / class_size))
        local = np.arange(len(members)) % n_classes
        class_index[members] = next_class + local
        for c in range(n_classes):
            class_rows.append((f"{school_ids[s]}-C{c + 1:02d}", school_ids[s], 8, int((local == c).sum())))
        next_class += n_classes
    classes = pd.DataFrame(class_rows, columns=["class_id", "school_id", "grade", "size"])
    class_effect = rng.normal(0, 0.25, len(classes))
    class_growth = rng.normal(0, 0.3, len(classes))

    student_ids = np.array([f"S{i + 1:06d}" for i in range(n_students)], dtype=object)
    student_class_ids = classes["class_id"].to_numpy(dtype=object)[class_index]
    student_school_ids = school_ids[student_school]
    theta = school_effect[student_school] + class_effect[class_index] + rng.normal(0, 1, n_students)

    # teachers: one per subject per pair of classes of a school
    ct_rows, teacher_rows = [], []
    for subject in subjects:
        for s in range(n_schools):
            cls = classes.loc[classes["school_id"] == school_ids[s], "class_id"].tolist()
            for c, class_id in enumerate(cls):
                teacher_id = f"T-{school_ids[s]}-{subject}-{c // 2 + 1}"
                ct_rows.append((class_id, subject, teacher_id))
                if c % 2 == 0:
                    name = f"{SUBJECTS.get(subject, subject)}教师{s + 1}-{c // 2 + 1}"
                    teacher_rows.append((teacher_id, name, school_ids[s], subject))
    class_teachers = pd.DataFrame(ct_rows, columns=["class_id", "subject", "teacher_id"])
    teachers = pd.DataFrame(teacher_rows, columns=["teacher_id", "name", "school_id", "subject"])

    def sit(theta_now, prefix, exam, responses_wanted):
        frames, item_frames, response_frames = [], [], []
        for subject in subjects:
            items = _paper(rng, subject, papers[subject], prefix)
            matrix = _item_scores(rng, theta_now, items)
            present = rng.random(n_students) >= absent_rate
            frames.append(_long(exam, student_ids, student_school_ids, student_class_ids, subject,
                                items["item_id"].to_numpy(), matrix, present))
            item_frames.append(items)
            if responses_wanted:
                response_frames.append(_responses(rng, student_ids, items, matrix, present))
        scores = pd.concat(frames, ignore_index=True)
        items_all = pd.concat(item_frames, ignore_index=True)[["subject", "item_id", "item_type", "max_score", "key"]]
        responses = pd.concat(response_frames, ignore_index=True) if responses_wanted else None
        return scores, items_all, responses

    previous_scores = previous_items = None
    if previous_exam_id is not None:
        theta_before = theta - class_growth[class_index] + rng.normal(0, 0.35, n_students)
        previous_scores, previous_items, _ = sit(theta_before, "P", previous_exam_id, False)
    scores, items, responses = sit(theta, "Q", exam_id, with_responses)
    return SyntheticExam(scores, items, schools, classes, class_teachers, teachers, responses, previous_scores,
                         previous_items, pd.Series(theta, index=student_ids, name="ability"))


def _responses(rng, student_ids, items: pd.DataFrame, matrix: np.ndarray, present: np.ndarray) -> pd.DataFrame:
    """Answers to single-choice items consistent with the scores: the key when scored, else a wrong letter
    (distractor B–D popularity uneven), sometimes blank."""
    frames = []
    rows = np.flatnonzero(present)
    for j in np.flatnonzero(items["item_type"].eq("single_choice").to_numpy()):
        key = items["key"].iat[j]
        wrong = [o for o in "ABCD" if o != key]
        correct = matrix[rows, j] > 0
        answer = np.where(correct, key, rng.choice(wrong, len(rows), p=[0.5, 0.3, 0.2]))
        blank = (~correct) & (rng.random(len(rows)) < 0.03)
        answer = np.where(blank, "", answer)
        frames.append(pd.DataFrame({"student_id": student_ids[rows], "subject": items["subject"].iat[j],
                                    "item_id": items["item_id"].iat[j], "answer": answer}))
    return pd.concat(frames, ignore_index=True)
