"""Shared fixtures of the analysis tests: one small synthetic exam (with a previous exam and
answers to choice items) and its analysis, built once per session."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import analyse_exam
from analysis.synthetic import generate_exam

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def exam():
    return generate_exam(n_students=1500, n_schools=4, class_size=40, seed=7)


@pytest.fixture(scope="session")
def analysis(exam):
    return analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                        exam.previous_scores, previous_items=exam.previous_items, responses=exam.responses,
                        teachers=exam.teachers)


def lsat_matrix(section: int) -> np.ndarray:
    """Expanded LSAT response matrix (1000 × 5) of section 6 or 7."""
    table = pd.read_csv(DATA / "bock_lieberman_lsat.csv")
    patterns = table[["q1", "q2", "q3", "q4", "q5"]].to_numpy()
    return np.repeat(patterns, table[f"lsat{section}"].to_numpy(), axis=0).astype(float)


def long_scores(matrix: np.ndarray, exam_id: str = "LSAT", subject: str = "math", schools: int = 1,
                prefix: str = "S") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A score matrix as scores.csv rows (students spread over `schools` schools, one class each)
    and its items table (max score 1 unless the matrix holds larger values)."""
    n, k = matrix.shape
    students = np.array([f"{prefix}{i:05d}" for i in range(n)], dtype=object)
    school = np.array([f"SCH{i % schools + 1}" for i in range(n)], dtype=object)
    items = [f"Q{j + 1}" for j in range(k)]
    scores = pd.DataFrame({
        "exam_id": exam_id, "student_id": np.repeat(students, k), "school_id": np.repeat(school, k),
        "class_id": np.repeat(np.char.add(school.astype(str), "-C1").astype(object), k), "subject": subject,
        "item_id": np.tile(np.array(items, dtype=object), n), "score": matrix.ravel(),
    })
    max_scores = np.maximum(matrix.max(axis=0), 1.0)
    item_table = pd.DataFrame({"subject": subject, "item_id": items, "max_score": max_scores})
    return scores, item_table


def context_tables(scores: pd.DataFrame, subject: str = "math"):
    """schools, classes and class_teachers tables that fit `scores` (one cluster)."""
    pairs = scores[["school_id", "class_id"]].drop_duplicates()
    schools = pd.DataFrame({"school_id": sorted(pairs["school_id"].unique()), "cluster_id": "CL1"})
    schools["name"] = schools["school_id"]
    classes = pd.DataFrame({"class_id": pairs["class_id"], "school_id": pairs["school_id"], "grade": 8, "size": 50})
    teachers = pd.DataFrame({"class_id": pairs["class_id"], "subject": subject,
                             "teacher_id": "T-" + pairs["class_id"]})
    return schools, classes, teachers
