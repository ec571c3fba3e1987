"""Borderline students (临界生) and how many crossed their line by the next exam (转化率).

For every cut line (the excellent and pass lines and the policy's `extra_line_fractions`), every
paper and the total: the students who did not reach the line but are within the policy's band below
it (`borderline_band_fraction` of full marks, or `borderline_band_points`):

    line score = line fraction × full marks
    borderline ⇔ line score − band ≤ score < line score          gap = line score − score  (> 0)

"Reaching" a line uses the same comparison as the excellent and pass rates (score ÷ full marks ≥
fraction, with the 10⁻¹² tolerance), so a student is never both excellent and borderline-excellent.
Each row names the class and the subject teacher (the total has no single teacher): a task list for
the teacher. At the next exam, `conversion` counts, among the students borderline for a line last
time who sat the paper again, those now at or above the line.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.policy import AnalysisPolicy
from analysis.stats import LEVEL_KEY, LEVELS, TOTAL

BORDERLINE_COLUMNS = ("exam_id", "subject", "line", "student_id", "school_id", "class_id", "teacher_id", "score",
                      "gap", "line_score", "full_marks")
CONVERSION_COLUMNS = ("level", "group_id", "subject", "line", "borderline_before", "sat_again", "crossed",
                      "conversion_rate")
_EPS = 1e-12


def borderline_students(frame: pd.DataFrame, class_teachers: pd.DataFrame | None, policy: AnalysisPolicy,
                        exam_id: str) -> pd.DataFrame:
    """BORDERLINE_COLUMNS, one row per student, paper (or total) and line they are borderline for.

    frame: student × subject rows of `analysis.stats.student_scores` (subject, score, full_marks,
    score_rate, class_id, school_id)."""
    subjects = [str(s) for s in frame["subject"].cat.categories] if isinstance(
        frame["subject"].dtype, pd.CategoricalDtype) else list(pd.unique(frame["subject"]))
    score = frame["score"].to_numpy(dtype=float)
    full = frame["full_marks"].to_numpy(dtype=float)
    rate = frame["score_rate"].to_numpy(dtype=float)
    band = policy.borderline_band_points if policy.borderline_band_points > 0 else \
        policy.borderline_band_fraction * full
    parts = []
    for line, fraction in policy.lines().items():
        line_score = fraction * full
        near = (rate < fraction - _EPS) & (score >= line_score - band - 1e-9)
        rows = np.flatnonzero(near)
        parts.append(pd.DataFrame({
            "row": rows, "line": line, "line_score": line_score[rows], "gap": line_score[rows] - score[rows],
        }))
    hits = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["row", "line", "line_score", "gap"])
    rows = hits["row"].to_numpy(dtype=np.int64)
    out = pd.DataFrame({
        "exam_id": exam_id,
        "subject": frame["subject"].astype(object).to_numpy()[rows],
        "line": hits["line"].to_numpy(dtype=object),
        "student_id": frame["student_id"].astype(object).to_numpy()[rows],
        "school_id": frame["school_id"].astype(object).to_numpy()[rows],
        "class_id": frame["class_id"].astype(object).to_numpy()[rows],
        "score": score[rows], "gap": hits["gap"].to_numpy(dtype=float),
        "line_score": hits["line_score"].to_numpy(dtype=float), "full_marks": full[rows],
    })
    teachers = _teachers(class_teachers)
    out = out.merge(teachers, on=["class_id", "subject"], how="left")
    out["teacher_id"] = out["teacher_id"].astype(object).where(out["teacher_id"].notna(), "")
    subject_order = {s: i for i, s in enumerate([*subjects, TOTAL])}
    line_order = {line: i for i, line in enumerate(policy.lines())}
    out = (out.assign(_s=out["subject"].map(subject_order), _l=out["line"].map(line_order))
           .sort_values(["school_id", "class_id", "_s", "_l", "gap", "student_id"], kind="stable")
           .drop(columns=["_s", "_l"]).reset_index(drop=True))
    return out[list(BORDERLINE_COLUMNS)]


def _teachers(class_teachers: pd.DataFrame | None) -> pd.DataFrame:
    if class_teachers is None or not {"class_id", "subject", "teacher_id"} <= set(class_teachers.columns):
        return pd.DataFrame({"class_id": pd.Series(dtype=object), "subject": pd.Series(dtype=object),
                             "teacher_id": pd.Series(dtype=object)})
    table = class_teachers[["class_id", "subject", "teacher_id"]].astype(str).astype(object)
    return table.drop_duplicates(["class_id", "subject"])


def borderline_counts(borderline: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Borderline students per level (class, school, cluster, district), group, subject and line:
    level, group_id, subject, line, students."""
    if borderline.empty:
        return pd.DataFrame(columns=["level", "group_id", "subject", "line", "students"])
    cluster_of = dict(zip(schools["school_id"], schools["cluster_id"]))
    work = borderline.assign(cluster_id=borderline["school_id"].map(cluster_of), district_id="district")
    frames = []
    for level in LEVELS:
        key = LEVEL_KEY[level]
        counts = work.groupby([key, "subject", "line"], sort=False).size().rename("students").reset_index()
        frames.append(counts.rename(columns={key: "group_id"}).assign(level=level))
    out = pd.concat(frames, ignore_index=True)
    return out[["level", "group_id", "subject", "line", "students"]]


def conversion(previous_borderline: pd.DataFrame, current: pd.DataFrame, policy: AnalysisPolicy,
               members: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """转化率: of the students borderline for a line at the previous exam, how many reached it now.

    previous_borderline: `borderline_students` of the previous exam. current: this exam's student ×
    subject rows (student_scores). Returns (counts, students):
    counts — CONVERSION_COLUMNS per level, group (the student's current class, school, cluster, all),
    subject and line: borderline_before (those still in the cohort: on this exam's class lists
    `members`, or in its scores), sat_again (who sat the paper now), crossed (now at or above the
    line), conversion_rate = crossed ÷ sat_again;
    students — the previous list with now_score, now_rate and crossed (NaN / False when not sat)."""
    lines = policy.lines()
    prev = previous_borderline[["student_id", "subject", "line"]].astype(object).copy()
    prev = prev[prev["line"].isin(list(lines))]
    now = pd.DataFrame({
        "student_id": current["student_id"].astype(object).to_numpy(),
        "subject": current["subject"].astype(object).to_numpy(),
        "now_score": current["score"].to_numpy(dtype=float),
        "now_rate": current["score_rate"].to_numpy(dtype=float),
    })
    students = prev.merge(now, on=["student_id", "subject"], how="left")
    fraction = students["line"].map(lines).to_numpy(dtype=float)
    students["sat_again"] = students["now_rate"].notna()
    students["crossed"] = students["sat_again"] & (students["now_rate"].to_numpy() >= fraction - _EPS)
    # the student's current groups: the class lists (absent students too), else any of their rows this exam
    who = current[["student_id", "class_id", "school_id", "cluster_id"]].astype(object)
    if members is not None and len(members):
        who = pd.concat([members[["student_id", "class_id", "school_id", "cluster_id"]].astype(object), who])
    who = who.drop_duplicates("student_id")
    students = students.merge(who, on="student_id", how="left")
    present = students[students["class_id"].notna()].assign(district_id="district")
    frames = []
    for level in LEVELS:
        key = LEVEL_KEY[level]
        g = present.groupby([key, "subject", "line"], sort=True)
        agg = g.agg(borderline_before=("student_id", "size"), sat_again=("sat_again", "sum"),
                    crossed=("crossed", "sum")).reset_index().rename(columns={key: "group_id"})
        frames.append(agg.assign(level=level))
    counts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(CONVERSION_COLUMNS))
    for column in ("borderline_before", "sat_again", "crossed"):
        counts[column] = counts[column].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["conversion_rate"] = np.where(counts["sat_again"] > 0, counts["crossed"] / counts["sat_again"], np.nan)
    return counts[list(CONVERSION_COLUMNS)], students.drop(columns=["cluster_id"])
