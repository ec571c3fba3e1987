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


def _values(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """column[rows] as objects, without materialising the whole column (categoricals: through the codes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.categories, dtype=object)[column.cat.codes.to_numpy()[rows]]
    return column.to_numpy(dtype=object)[rows]


def _order(values: np.ndarray) -> np.ndarray:
    """Sort keys of object values: their rank in sorted order."""
    return pd.factorize(pd.Series(values, dtype=object), sort=True)[0]


def borderline_students(frame: pd.DataFrame, class_teachers: pd.DataFrame | None, policy: AnalysisPolicy,
                        exam_id: str) -> pd.DataFrame:
    """BORDERLINE_COLUMNS, one row per student, paper (or total) and line they are borderline for.

    frame: student × subject rows of `analysis.stats.student_scores` (subject, score, full_marks,
    score_rate, class_id, school_id). Sorted as a task list: school, class, paper, line (highest
    first), closest to the line first."""
    subjects = [str(s) for s in frame["subject"].cat.categories] if isinstance(
        frame["subject"].dtype, pd.CategoricalDtype) else list(pd.unique(frame["subject"]))
    score = frame["score"].to_numpy(dtype=float)
    full = frame["full_marks"].to_numpy(dtype=float)
    rate = frame["score_rate"].to_numpy(dtype=float)
    band = policy.borderline_band_points if policy.borderline_band_points > 0 else \
        policy.borderline_band_fraction * full
    rows_of, lines_of = [], []
    for n, (line, fraction) in enumerate(policy.lines().items()):
        near = (rate < fraction - _EPS) & (score >= fraction * full - band - 1e-9)
        hit = np.flatnonzero(near)
        rows_of.append(hit)
        lines_of.append(np.full(len(hit), n, dtype=np.int64))
    rows = np.concatenate(rows_of) if rows_of else np.zeros(0, dtype=np.int64)
    line_index = np.concatenate(lines_of) if lines_of else np.zeros(0, dtype=np.int64)
    names = np.asarray(list(policy.lines()), dtype=object)
    fractions = np.asarray(list(policy.lines().values()), dtype=float)
    line_score = fractions[line_index] * full[rows]
    subject = _values(frame["subject"], rows)
    class_id = _values(frame["class_id"], rows)
    school_id = _values(frame["school_id"], rows)
    student_id = _values(frame["student_id"], rows)
    teacher = _teacher_of_rows(frame, rows, class_teachers)
    if isinstance(frame["subject"].dtype, pd.CategoricalDtype):  # papers in order, then the total
        subject_rank = frame["subject"].cat.codes.to_numpy()[rows]
    else:
        order_of = {s: i for i, s in enumerate([*subjects, TOTAL])}
        subject_rank = np.array([order_of.get(s, len(order_of)) for s in subject], dtype=np.int64)
    gap = line_score - score[rows]
    order = np.lexsort((_order(student_id), gap, line_index, subject_rank, _order(class_id), _order(school_id)))
    out = pd.DataFrame({
        "exam_id": exam_id, "subject": subject, "line": names[line_index], "student_id": student_id,
        "school_id": school_id, "class_id": class_id, "teacher_id": teacher, "score": score[rows],
        "gap": gap, "line_score": line_score, "full_marks": full[rows],
    })
    return out.iloc[order].reset_index(drop=True)[list(BORDERLINE_COLUMNS)]


def _teacher_of_rows(frame: pd.DataFrame, rows: np.ndarray, class_teachers: pd.DataFrame | None) -> np.ndarray:
    """The subject teacher of each selected row's class ('' for the total or an unknown class), on codes."""
    out = np.full(len(rows), "", dtype=object)
    if class_teachers is None or not {"class_id", "subject", "teacher_id"} <= set(class_teachers.columns) \
            or not len(rows):
        return out
    classes = pd.Index(frame["class_id"].cat.categories if isinstance(frame["class_id"].dtype, pd.CategoricalDtype)
                       else pd.unique(frame["class_id"].to_numpy(dtype=object)))
    subjects = pd.Index(frame["subject"].cat.categories if isinstance(frame["subject"].dtype, pd.CategoricalDtype)
                        else pd.unique(frame["subject"].to_numpy(dtype=object)))
    ci = classes.get_indexer(class_teachers["class_id"].astype(str).to_numpy(dtype=object))
    si = subjects.get_indexer(class_teachers["subject"].astype(str).to_numpy(dtype=object))
    ok = (ci >= 0) & (si >= 0)
    lookup = np.full((len(classes), len(subjects)), "", dtype=object)
    lookup[ci[ok], si[ok]] = class_teachers["teacher_id"].astype(str).to_numpy(dtype=object)[ok]
    row_class = classes.get_indexer(_values(frame["class_id"], rows))
    row_subject = subjects.get_indexer(_values(frame["subject"], rows))
    return lookup[row_class, row_subject]


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
    subject rows (student_scores, student_id and subject categorical). Returns (counts, students):
    counts — CONVERSION_COLUMNS per level, group (the student's current class, school, cluster, all),
    subject and line: borderline_before (those still in the cohort: on this exam's class lists
    `members`, or in its scores), sat_again (who sat the paper now), crossed (now at or above the
    line), conversion_rate = crossed ÷ sat_again;
    students — the previous list with now_score, now_rate and crossed (NaN / False when not sat)."""
    lines = policy.lines()
    prev = previous_borderline[previous_borderline["line"].isin(list(lines))]
    prev = pd.DataFrame({c: prev[c].to_numpy(dtype=object) for c in ("student_id", "subject", "line")})
    # this exam's row of the same student and paper, found on integer codes
    students = pd.Index(current["student_id"].cat.categories)
    subjects = pd.Index(current["subject"].cat.categories)
    s = students.get_indexer(prev["student_id"])
    j = subjects.get_indexer(prev["subject"])
    width = len(subjects)
    row_keys = current["student_id"].cat.codes.to_numpy().astype(np.int64) * width + current["subject"].cat.codes.to_numpy()
    position = pd.Index(row_keys).get_indexer(np.where((s >= 0) & (j >= 0), s.astype(np.int64) * width + j, -1))
    found = position >= 0
    take = np.where(found, position, 0)
    prev["now_score"] = np.where(found, current["score"].to_numpy(dtype=float)[take], np.nan)
    prev["now_rate"] = np.where(found, current["score_rate"].to_numpy(dtype=float)[take], np.nan)
    fraction = prev["line"].map(lines).to_numpy(dtype=float)
    prev["sat_again"] = found
    prev["crossed"] = found & (prev["now_rate"].to_numpy() >= fraction - _EPS)
    # the student's current groups: the class lists (absent students too), else their rows this exam
    if members is not None and len(members):  # everyone expected or with scores
        who = members[["student_id", "class_id", "school_id", "cluster_id"]]
    else:
        first = np.unique(current["student_id"].cat.codes.to_numpy(), return_index=True)[1]
        who = pd.DataFrame({c: _values(current[c], first) for c in ("student_id", "class_id", "school_id",
                                                                        "cluster_id")})
    at = pd.Index(who["student_id"]).get_indexer(prev["student_id"])
    for c in ("class_id", "school_id", "cluster_id"):
        prev[c] = np.where(at >= 0, who[c].to_numpy(dtype=object)[np.where(at >= 0, at, 0)], None)
    present = prev[at >= 0].assign(district_id="district")
    frames = []
    for level in LEVELS:
        key = LEVEL_KEY[level]
        g = present.groupby([key, "subject", "line"], sort=True)
        agg = g.agg(borderline_before=("student_id", "size"), sat_again=("sat_again", "sum"),
                    crossed=("crossed", "sum")).reset_index().rename(columns={key: "group_id"})
        frames.append(agg.assign(level=level))
    counts = pd.concat(frames, ignore_index=True)
    for column in ("borderline_before", "sat_again", "crossed"):
        counts[column] = counts[column].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["conversion_rate"] = np.where(counts["sat_again"] > 0, counts["crossed"] / counts["sat_again"], np.nan)
    return counts[list(CONVERSION_COLUMNS)], prev.drop(columns=["cluster_id"])
