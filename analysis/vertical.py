"""Vertical comparison (纵向比较): this joint exam against the previous one of the same cohort.

Improvement rate (提高率), basis "z_gain" (the default, and so far the only one):

    improvement_rate(group, subject) = #{students of the group who sat the subject in both exams
                                         and whose standard score rose by ≥ improvement_min_z_gain}
                                       ÷ #{students of the group who sat it in both exams}

The standard score z of a student is taken against everyone who sat the same paper in the same exam,
so a harder or easier paper does not move it; a rise of z means the student gained ground on the
cohort. The rate is a fraction in [0, 1], like the other rates, and it is left empty for a group with
fewer than `improvement_min_students` matched students. A student's group is their current class
and school. Besides the rate we report, over the same matched students, the change of the group's
mean z (mean_z_change) and of its excellent and pass rates (when the previous papers' full marks
are known). Known limit: a student with full marks both times cannot gain z; at the top of the scale
the rate understates progress, which is why mean_z_change and the rate changes are reported too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.policy import AnalysisPolicy
from analysis.stats import LEVEL_KEY, LEVELS, plain

VERTICAL_COLUMNS = ("matched_students", "improvement_rate", "mean_z_change", "prev_mean_z",
                    "prev_excellent_rate", "prev_pass_rate", "excellent_rate_change", "pass_rate_change")


def match_previous(current: pd.DataFrame, previous: pd.DataFrame, policy: AnalysisPolicy,
                   previous_rates_known: bool = True) -> pd.DataFrame:
    """The current student × subject rows with the previous exam's z and rate flags of the same
    student and subject (NaN when not matched), the z gain and whether it counts as improved.

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
    merged["improved"] = matched & (merged["z_gain"].to_numpy() >= policy.improvement_min_z_gain - 1e-12)
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
            matched_students=("z", "size"), improvement_rate=("improved_f", "mean"), mean_z=("z", "mean"),
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
    out.loc[too_few, "improvement_rate"] = np.nan
    return out[["level", "group_id", "subject", *VERTICAL_COLUMNS]]
