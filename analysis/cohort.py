"""A cohort over time (学情档案) and by where its students came from (小学–初中衔接).

Trends: every stored joint exam of the cohort, oldest first, the current exam last. For each exam the
standard scores are computed as in the current one (z against everyone who sat the same paper in
that exam), so exams with different papers line up. Groups are the students' *current* class and
school (a class's record follows its students). Per group, subject and exam: students who sat and
their mean z; per group and subject the trend (the least-squares slope of the mean z over the
exams, in SD per exam, from at least two exams). Per student and subject: z in each exam and the
slope (学情档案).

Transition: when the class lists carry the primary school a junior student came from (the optional
`primary_school_id` column of students.csv, analysis/FORMAT.md), the current exam's figures per
primary school: how the primary schools' former pupils do in junior school.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.matrix import build_score_data
from analysis.policy import AnalysisPolicy
from analysis.stats import DISTRICT, LEVEL_KEY, LEVELS, TOTAL, student_scores

TREND_COLUMNS = ("level", "group_id", "subject", "exams", "first_mean_z", "last_mean_z", "z_slope")
TRANSITION_COLUMNS = ("primary_school_id", "primary_school_name", "subject", "students", "junior_schools", "mean",
                      "mean_z", "score_rate", "excellent_rate", "pass_rate", "low_rate")


@dataclass
class CohortTrends:
    exams: list[str]  # exam ids, oldest first; the current exam last
    groups: pd.DataFrame  # level, group_id, subject, exam_id, order, students, mean_z
    trend: pd.DataFrame  # TREND_COLUMNS: per level, group and subject
    students: pd.DataFrame  # student_id, school_id, class_id, subject, z_<exam> per exam, exams, z_slope
    warnings: list[str] = field(default_factory=list)


def slope(values: np.ndarray) -> np.ndarray:
    """Least-squares slope over the columns (exam order 0, 1, …) of each row, ignoring NaN; NaN
    where a row has fewer than two values."""
    values = np.asarray(values, dtype=float)
    x = np.broadcast_to(np.arange(values.shape[1], dtype=float), values.shape)
    have = ~np.isnan(values)
    n = have.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = np.where(have, x, 0).sum(axis=1) / n
        mean_y = np.where(have, values, 0).sum(axis=1) / n
        dx = np.where(have, x - mean_x[:, None], 0)
        dy = np.where(have, values - mean_y[:, None], 0)
        out = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
    return np.where(n >= 2, out, np.nan)


def _observed_items(scores: pd.DataFrame) -> pd.DataFrame:
    numbers = pd.to_numeric(scores["score"], errors="coerce")
    observed = scores.assign(score=numbers).groupby(["subject", "item_id"], sort=False)["score"].max().reset_index()
    observed["max_score"] = observed["score"].fillna(1.0).clip(lower=1e-9)
    return observed[["subject", "item_id", "max_score"]]


def cohort_trends(current: pd.DataFrame, exam_id: str, history: Sequence[tuple[str, pd.DataFrame, pd.DataFrame | None]],
                  policy: AnalysisPolicy) -> CohortTrends:
    """Trends of the current exam's students over the earlier exams of their cohort.

    current: this exam's student × subject rows (`student_scores`). history: (exam_id, scores,
    items or None) of the earlier exams, oldest first (z needs no max scores: without items the
    observed maxima stand in)."""
    warnings: list[str] = []
    cur = pd.DataFrame({"student_id": current["student_id"].astype(object).to_numpy(),
                        "subject": current["subject"].astype(object).to_numpy(),
                        "z": current["z"].to_numpy(dtype=float)})
    members = current[["student_id", "class_id", "school_id", "cluster_id"]].astype(object).drop_duplicates("student_id")
    subjects = [str(s) for s in current["subject"].cat.categories] if isinstance(
        current["subject"].dtype, pd.CategoricalDtype) else list(pd.unique(cur["subject"]))
    points = []
    exams = []
    for earlier_id, scores, items in history:
        if earlier_id == exam_id or scores is None or len(scores) == 0:
            continue
        try:
            data = build_score_data(scores, items if items is not None else _observed_items(scores),
                                    check_membership=False)
        except ValueError as error:
            warnings.append(f"{earlier_id}: left out of the trends ({error})")
            continue
        clusters = {s: "?" for s in set(data.school_ids)}
        frame = student_scores(data, clusters, policy, with_ranks=False)
        points.append(pd.DataFrame({"student_id": frame["student_id"].astype(object).to_numpy(),
                                    "subject": frame["subject"].astype(object).to_numpy(),
                                    "z": frame["z"].to_numpy(dtype=float), "exam_id": earlier_id}))
        exams.append(earlier_id)
    exams.append(exam_id)
    points.append(cur.assign(exam_id=exam_id))
    long = pd.concat(points, ignore_index=True)
    long = long[long["subject"].isin(subjects)].merge(members, on="student_id", how="inner")
    order = {e: i for i, e in enumerate(exams)}
    long["order"] = long["exam_id"].map(order)

    wide = long.pivot_table(index=["student_id", "subject"], columns="order", values="z", aggfunc="first")
    wide = wide.reindex(columns=range(len(exams)))
    students = wide.reset_index().merge(members[["student_id", "school_id", "class_id"]], on="student_id")
    students.columns = [f"z_{exams[c]}" if isinstance(c, (int, np.integer)) else c for c in students.columns]
    z_columns = [f"z_{e}" for e in exams]
    values = students[z_columns].to_numpy(dtype=float)
    students["exams"] = (~np.isnan(values)).sum(axis=1)
    students["z_slope"] = slope(values)
    subject_order = {s: i for i, s in enumerate([*subjects, TOTAL])}
    students = (students.assign(_s=students["subject"].map(subject_order))
                .sort_values(["school_id", "class_id", "student_id", "_s"]).drop(columns="_s").reset_index(drop=True))
    students = students[["student_id", "school_id", "class_id", "subject", *z_columns, "exams", "z_slope"]]

    long["district_id"] = DISTRICT
    frames = []
    for level in LEVELS:
        key = LEVEL_KEY[level]
        agg = (long.groupby([key, "subject", "exam_id", "order"], sort=True)
               .agg(students=("z", "size"), mean_z=("z", "mean")).reset_index().rename(columns={key: "group_id"}))
        frames.append(agg.assign(level=level))
    groups = pd.concat(frames, ignore_index=True)[["level", "group_id", "subject", "exam_id", "order", "students",
                                                   "mean_z"]]
    by_exam = groups.pivot_table(index=["level", "group_id", "subject"], columns="order", values="mean_z",
                                 aggfunc="first").reindex(columns=range(len(exams)))
    means = by_exam.to_numpy(dtype=float)
    present = ~np.isnan(means)
    first = np.array([row[mask][0] if mask.any() else np.nan for row, mask in zip(means, present)])
    last = np.array([row[mask][-1] if mask.any() else np.nan for row, mask in zip(means, present)])
    trend = by_exam.index.to_frame(index=False)
    trend["exams"] = present.sum(axis=1)
    trend["first_mean_z"], trend["last_mean_z"], trend["z_slope"] = first, last, slope(means)
    return CohortTrends(exams=exams, groups=groups, trend=trend[list(TREND_COLUMNS)], students=students,
                        warnings=warnings)


def transition_summary(current: pd.DataFrame, roster: pd.DataFrame | None,
                       schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """小学–初中衔接: this exam's figures per primary school the students came from (TRANSITION_COLUMNS);
    empty when the roster has no `primary_school_id` column (or no value in it)."""
    if roster is None or "primary_school_id" not in roster:
        return pd.DataFrame(columns=list(TRANSITION_COLUMNS))
    origin = roster[["student_id", "primary_school_id"]].astype(object)
    origin = origin[origin["primary_school_id"].notna() & (origin["primary_school_id"].astype(str).str.strip() != "")]
    if origin.empty:
        return pd.DataFrame(columns=list(TRANSITION_COLUMNS))
    origin = origin.assign(student_id=origin["student_id"].astype(str),
                           primary_school_id=origin["primary_school_id"].astype(str).str.strip())
    rows = pd.DataFrame({c: current[c].astype(object).to_numpy() for c in ("student_id", "school_id", "subject")})
    for c in ("score", "score_rate", "z", "excellent", "pass", "low", "full_marks"):
        rows[c] = current[c].to_numpy(dtype=float)
    rows = rows.merge(origin.drop_duplicates("student_id"), on="student_id", how="inner")
    g = rows.groupby(["primary_school_id", "subject"], sort=True)
    out = g.agg(students=("score", "size"), mean=("score", "mean"), mean_z=("z", "mean"),
                full_marks=("full_marks", "mean"), excellent_rate=("excellent", "mean"), pass_rate=("pass", "mean"),
                low_rate=("low", "mean")).reset_index()
    out["score_rate"] = g["score"].sum().to_numpy() / g["full_marks"].sum().to_numpy()
    out["junior_schools"] = g["school_id"].agg(lambda s: ";".join(sorted(set(s)))).to_numpy()
    names = dict(zip(schools["school_id"].astype(str), schools["name"].astype(str))) \
        if schools is not None and {"school_id", "name"} <= set(schools.columns) else {}
    out["primary_school_name"] = out["primary_school_id"].map(lambda s: names.get(s, s))
    subjects = [str(s) for s in current["subject"].cat.categories] if isinstance(
        current["subject"].dtype, pd.CategoricalDtype) else list(pd.unique(rows["subject"]))
    subject_order = {s: i for i, s in enumerate(subjects)}
    out = (out.assign(_s=out["subject"].map(subject_order)).sort_values(["primary_school_id", "_s"])
           .drop(columns="_s").reset_index(drop=True))
    return out[list(TRANSITION_COLUMNS)]
