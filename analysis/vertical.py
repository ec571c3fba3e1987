"""Vertical comparison (纵向比较): this joint exam against the previous one of the same cohort.

Every current student × subject row is matched with the same student's row of the previous exam
(their z there, and their previous total's z); `analysis.improvement` turns that into the expected
z, the value added and whether the student improved (提高率; basis and reasons in its docstring and
analysis/METHODS.md). Per group (a student's group is their current class and school) we report
over the matched students: the improvement rate (left empty below `improvement_min_students`), the
mean value added (平均增值), the change of mean z, and, when the previous papers' full marks are
known, the changes of the excellent and pass rates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.improvement import improvement_flags
from analysis.policy import AnalysisPolicy
from analysis.stats import LEVEL_KEY, LEVELS, TOTAL, plain

VERTICAL_COLUMNS = ("matched_students", "improvement_rate", "value_added", "mean_z_change", "prev_mean_z",
                    "prev_excellent_rate", "prev_pass_rate", "excellent_rate_change", "pass_rate_change")


def match_previous(current: pd.DataFrame, previous: pd.DataFrame, policy: AnalysisPolicy,
                   previous_rates_known: bool = True) -> pd.DataFrame:
    """The current student × subject rows with the previous exam's z and rate flags of the same
    student and subject (NaN when not matched), the previous total's z (prev_total_z), the z gain,
    the expected z, the value added and whether it counts as improved (analysis.improvement).

    Both frames come from `analysis.stats.student_scores` (student_id and subject categorical);
    rows are matched on integer codes, not on strings.
    """
    cur_students = current["student_id"].cat.categories
    cur_subjects = current["subject"].cat.categories
    prev_student = pd.Index(cur_students).get_indexer(previous["student_id"].cat.categories)
    prev_subject = pd.Index(cur_subjects).get_indexer(previous["subject"].cat.categories)
    s = prev_student[previous["student_id"].cat.codes.to_numpy()]
    j = prev_subject[previous["subject"].cat.codes.to_numpy()]
    known = (s >= 0) & (j >= 0)
    width = len(cur_subjects)
    prev_keys = pd.Index(s[known].astype(np.int64) * width + j[known])
    cur_keys = (current["student_id"].cat.codes.to_numpy().astype(np.int64) * width
                + current["subject"].cat.codes.to_numpy())
    position = prev_keys.get_indexer(cur_keys)
    matched = position >= 0
    take = np.where(matched, position, 0)

    def pick(column: str) -> np.ndarray:
        values = previous[column].to_numpy(dtype=float)[known]
        return np.where(matched, values[take], np.nan) if len(values) else np.full(len(current), np.nan)

    merged = current.copy()
    merged["prev_z"] = pick("z")
    merged["matched"] = matched
    merged["z_gain"] = merged["z"] - merged["prev_z"]
    # the previous total's z of each row's student (NaN when they had no previous total)
    total_code = cur_subjects.get_loc(TOTAL) if TOTAL in cur_subjects else -1
    prev_total = np.full(len(cur_students), np.nan)
    is_total = known & (j == total_code)
    prev_total[s[is_total]] = previous["z"].to_numpy(dtype=float)[is_total]
    merged["prev_total_z"] = prev_total[current["student_id"].cat.codes.to_numpy()]
    merged["expected_z"], merged["value_added"], merged["improved"] = improvement_flags(merged, policy)
    merged["prev_excellent"] = pick("excellent") if previous_rates_known else np.nan
    merged["prev_pass"] = pick("pass") if previous_rates_known else np.nan
    return merged


def vertical_summary(matched: pd.DataFrame, policy: AnalysisPolicy) -> pd.DataFrame:
    """Per level, group and subject: the columns of VERTICAL_COLUMNS (see the module docstring)."""
    work = matched[matched["matched"]].copy()
    work["improved_f"] = work["improved"].astype(float)
    work["excellent_f"] = work["excellent"].astype(float)
    work["pass_f"] = work["pass"].astype(float)
    frames = []
    for level in LEVELS:
        key = LEVEL_KEY[level]
        g = work.groupby([key, "subject"], sort=True, observed=True)
        agg = g.agg(
            matched_students=("z", "size"), improvement_rate=("improved_f", "mean"),
            value_added=("value_added", "mean"), mean_z=("z", "mean"),
            prev_mean_z=("prev_z", "mean"), excellent_now=("excellent_f", "mean"), pass_now=("pass_f", "mean"),
            prev_excellent_rate=("prev_excellent", "mean"), prev_pass_rate=("prev_pass", "mean"),
        ).reset_index().rename(columns={key: "group_id"})
        agg = plain(agg)
        agg.insert(0, "level", level)
        frames.append(agg)
    if not frames or work.empty:
        return pd.DataFrame(columns=["level", "group_id", "subject", *VERTICAL_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    out["mean_z_change"] = out["mean_z"] - out["prev_mean_z"]
    out["excellent_rate_change"] = out["excellent_now"] - out["prev_excellent_rate"]
    out["pass_rate_change"] = out["pass_now"] - out["prev_pass_rate"]
    too_few = out["matched_students"] < policy.improvement_min_students
    out.loc[too_few, ["improvement_rate", "value_added"]] = np.nan
    return out[["level", "group_id", "subject", *VERTICAL_COLUMNS]]
