"""The year's appraisal (统一考核): every teacher and class over the year's joint exams, and the bundled
evaluation (捆绑评价) of mentor–apprentice pairs, from the per-exam analyses.

Per exam the class and teacher scores are those of `analysis.assessment` (one formula for the exam:
100 × the policy's weighted excellent, pass and improvement rates). Over the year, each exam counts
the same:

    year score  = mean of the exam scores (exams without a score — too few matched students — left out)
    year rates  = mean of the exam rates
    students    = mean number of students per exam

Teachers and classes with fewer than `min_ranked_students` students (per exam, on average) are shown
but not ranked; the others are ranked by year score within their cluster and subject. The bundled
evaluation sums the class scores of a mentor's and an apprentice's classes over the year's quality
tests (`quality_tests_per_year`; another count is noted) and ranks pairs and pair groups.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.assessment import BundledEvaluation, bundled_evaluation, rank_within
from analysis.policy import AnalysisPolicy

if TYPE_CHECKING:
    from analysis.pipeline import ExamAnalysis

TEACHER_COLUMNS = ("teacher_id", "teacher_name", "subject", "cluster_id", "school_ids", "class_ids", "tests",
                   "exam_ids", "students", "excellent_rate", "pass_rate", "improvement_rate", "year_score",
                   "scored_tests", "score_basis", "ranked", "rank", "peers")
CLASS_COLUMNS = ("class_id", "school_id", "cluster_id", "subject", "teacher_ids", "teacher_names", "tests", "exam_ids",
                 "students", "excellent_rate", "pass_rate", "improvement_rate", "year_score", "scored_tests",
                 "score_basis", "ranked", "rank", "peers")
BUNDLED_COLUMNS = ("kind", "mentor_id", "mentor_name", "apprentice_ids", "apprentice_names", "members", "tests",
                   "class_tests", "mentor_score", "apprentice_score", "score", "score_per_class_test", "rank", "peers")


@dataclass
class YearAppraisal:
    teachers: pd.DataFrame  # TEACHER_COLUMNS: one row per teacher and subject (appraisal.csv)
    classes: pd.DataFrame  # CLASS_COLUMNS: one row per class and subject (appraisal_classes.csv)
    bundled: pd.DataFrame  # BUNDLED_COLUMNS: pairs then pair groups (bundled.csv); empty without pairs
    tests: list[str]  # the exams appraised, in the order given
    notes: list[str] = field(default_factory=list)
    evaluation: BundledEvaluation | None = None


def _joined(values) -> str:
    return ";".join(sorted({str(v) for v in values if isinstance(v, str) and v}))


def _year_rows(frame: pd.DataFrame, keys: list[str], score: str) -> pd.DataFrame:
    g = frame.groupby(keys, sort=True)
    out = g.agg(tests=("exam_id", "nunique"), students=("students", "mean"), excellent_rate=("excellent_rate", "mean"),
                pass_rate=("pass_rate", "mean"), improvement_rate=("improvement_rate", "mean"),
                year_score=(score, "mean"), scored_tests=(score, "count")).reset_index()
    out["exam_ids"] = g["exam_id"].agg(lambda s: ";".join(dict.fromkeys(map(str, s)))).to_numpy()
    out["score_basis"] = g["score_basis"].agg(_joined).to_numpy()
    out["cluster_id"] = g["cluster_id"].agg("last").to_numpy()  # the latest exam's
    return out


def year_appraisal(analyses: Sequence[ExamAnalysis], policy: AnalysisPolicy | None = None,
                   pairs: pd.DataFrame | None = None, teacher_names: dict[str, str] | None = None) -> YearAppraisal:
    """Teachers' and classes' appraisal over the year's exams (oldest first), and the bundled evaluation
    when `pairs` (mentor_id, apprentice_id; see assessment.normalise_pairs) are given."""
    analyses = list(analyses)
    if not analyses:
        raise ValueError("no exam to appraise")
    policy = policy or analyses[0].policy
    names = dict(teacher_names or {})
    for a in analyses:
        names.update({t: n for t, n in zip(a.teachers["teacher_id"], a.teachers["name"]) if n and n != t})
    tests = [a.exam_id for a in analyses]
    notes = []
    if len(set(tests)) != policy.quality_tests_per_year:
        notes.append(f"{len(set(tests))} joint exam(s) appraised; the policy counts {policy.quality_tests_per_year} "
                     "quality tests a year")

    teacher_frame = pd.concat([a.teacher_assessment for a in analyses], ignore_index=True)
    if teacher_frame.empty:
        teachers = pd.DataFrame(columns=list(TEACHER_COLUMNS))
    else:
        teachers = _year_rows(teacher_frame, ["teacher_id", "subject"], "teacher_score")
        g = teacher_frame.groupby(["teacher_id", "subject"], sort=True)
        teachers["school_ids"] = g["school_ids"].agg(lambda s: _joined(";".join(s).split(";"))).to_numpy()
        teachers["class_ids"] = g["class_ids"].agg(lambda s: _joined(";".join(s).split(";"))).to_numpy()
        teachers["teacher_name"] = teachers["teacher_id"].map(lambda t: names.get(t, t))
        teachers = rank_within(teachers, "year_score", "students", ["cluster_id", "subject"], policy)
        teachers = teachers[list(TEACHER_COLUMNS)].sort_values(["subject", "cluster_id", "rank", "teacher_id"],
                                                               na_position="last").reset_index(drop=True)

    class_frame = pd.concat([a.class_assessment for a in analyses], ignore_index=True)
    if class_frame.empty:
        classes = pd.DataFrame(columns=list(CLASS_COLUMNS))
    else:
        classes = _year_rows(class_frame, ["class_id", "subject"], "class_score")
        g = class_frame.groupby(["class_id", "subject"], sort=True)
        classes["school_id"] = g["school_id"].agg("last").to_numpy()
        classes["teacher_ids"] = g["teacher_id"].agg(_joined).to_numpy()
        classes["teacher_names"] = [";".join(names.get(t, t) for t in ids.split(";") if t)
                                    for ids in classes["teacher_ids"]]
        classes = rank_within(classes, "year_score", "students", ["cluster_id", "subject"], policy)
        classes = classes[list(CLASS_COLUMNS)].sort_values(["subject", "cluster_id", "rank", "class_id"],
                                                           na_position="last").reset_index(drop=True)

    bundled = pd.DataFrame(columns=list(BUNDLED_COLUMNS))
    evaluation = None
    if pairs is not None and len(pairs):
        evaluation = bundled_evaluation(class_frame, pairs, policy)
        notes += [n for n in evaluation.notes if "quality tests given" not in n]
        bundled = bundled_table(evaluation, names)
    elif pairs is not None:
        notes.append("no mentor–apprentice pairs (师徒结对) on record: no bundled evaluation")
    return YearAppraisal(teachers=teachers, classes=classes, bundled=bundled, tests=tests, notes=notes,
                         evaluation=evaluation)


def bundled_table(evaluation: BundledEvaluation, names: dict[str, str] | None = None) -> pd.DataFrame:
    """bundled.csv: the pairs (kind `pair`) and then the pair groups (kind `group`), each ranked among its kind."""
    names = names or {}
    p, g = evaluation.pairs, evaluation.groups
    pairs = pd.DataFrame({
        "kind": "pair", "mentor_id": p["mentor_id"], "apprentice_ids": p["apprentice_id"], "members": 2,
        "tests": p["tests"], "class_tests": p["mentor_class_tests"] + p["apprentice_class_tests"],
        "mentor_score": p["mentor_score"], "apprentice_score": p["apprentice_score"], "score": p["pair_score"],
        "score_per_class_test": p["score_per_class_test"], "rank": p["rank"], "peers": p["peers"],
    })
    groups = pd.DataFrame({
        "kind": "group", "mentor_id": g["mentor_id"], "apprentice_ids": g["apprentices"], "members": g["members"],
        "tests": g["tests"], "class_tests": g["class_tests"], "mentor_score": np.nan, "apprentice_score": np.nan,
        "score": g["group_score"], "score_per_class_test": g["score_per_class_test"], "rank": g["rank"],
        "peers": g["peers"],
    })
    out = pd.concat([pairs, groups], ignore_index=True)
    out["mentor_name"] = out["mentor_id"].map(lambda t: names.get(t, t))
    out["apprentice_names"] = out["apprentice_ids"].map(
        lambda ids: ";".join(names.get(t, t) for t in str(ids).split(";") if t))
    return out[list(BUNDLED_COLUMNS)]
