"""The improvement rate (提高率): who did better than their prior results predicted.

Basis `expected` (the default; analysis/METHODS.md says why):

    expected z  = a + b · z_prev(subject) + c · z_prev(total) + d · class mean of z_prev(subject)
                  least squares, per subject, over every student who sat the paper both times
    value added = z − expected z                                   (增值, in standard deviations)
    improved    = value added > improvement_margin                 (0 by default)
    rate        = improved students ÷ matched students of the group

The previous total enters when the student has one (it measures prior attainment more reliably than
one paper); students without a previous total are predicted from the subject alone (a second fit).
For the total itself the subject predictor is the previous total. The class mean (contextual value
added, `improvement_class_context`) enters when at least `improvement_context_min_classes` classes
sat the paper. By construction the residuals of a least-squares fit average zero over the
population, so about half the students "improve" when nothing changed, whatever their prior level:
the regression to the mean that made the old z-gain rate favour classes with weak previous results
(and punish strong ones) is in the prediction, not in the rate; the class mean corrects the opposite
bias a noisy prior leaves when classes were formed by true attainment. A group that pulls ahead of
its prediction scores above one half.

Basis `z_gain` (the definition before, kept for comparison with earlier reports): improved when
z − z_prev ≥ improvement_min_z_gain.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.policy import AnalysisPolicy
from analysis.stats import TOTAL

BASIS_EXPECTED = "expected"
BASIS_Z_GAIN = "z_gain"
_EPS = 1e-12


def fit_expected(z: np.ndarray, predictors: np.ndarray) -> np.ndarray:
    """Least-squares prediction of z from the predictor columns (an intercept is added).

    Rank-deficient predictors (a one-paper exam, whose total is the paper) are fine: lstsq takes the
    minimum-norm solution and the prediction is the same. With fewer rows than coefficients the
    prediction falls back to fewer predictors, and with no row to fit it is the mean."""
    n = len(z)
    if n == 0:
        return np.zeros(0)
    x = np.column_stack([np.ones(n), predictors]) if predictors.size else np.ones((n, 1))
    while x.shape[1] > 1 and n < x.shape[1] + 1:  # too few rows for this many coefficients
        x = x[:, :-1]
    coefficients, *_ = np.linalg.lstsq(x, z, rcond=None)
    return x @ coefficients


def expected_scores(frame: pd.DataFrame, context: bool = True, min_classes: int = 1) -> np.ndarray:
    """Expected z of every matched row of `frame` (NaN elsewhere).

    frame: current student × subject rows with `subject`, `class_id`, `z`, `matched`, `prev_z` and
    `prev_total_z` (NaN when the student has no previous total). context: add the class's mean
    previous z in the paper (over its matched students) as a predictor, for papers sat by at least
    `min_classes` classes (with few classes the class term would explain away a class's real gain)."""
    subject = frame["subject"].astype(object).to_numpy()
    z = frame["z"].to_numpy(dtype=float)
    prev = frame["prev_z"].to_numpy(dtype=float)
    prev_total = frame["prev_total_z"].to_numpy(dtype=float)
    matched = frame["matched"].to_numpy(dtype=bool)
    class_codes = pd.factorize(frame["class_id"].astype(object))[0].astype(np.int64)
    subject_codes = pd.factorize(subject)[0].astype(np.int64)
    group = class_codes * (int(subject_codes.max(initial=0)) + 1) + subject_codes
    class_prev = pd.Series(np.where(matched, prev, np.nan)).groupby(group).transform("mean").to_numpy(dtype=float)
    out = np.full(len(frame), np.nan)
    for value in pd.unique(subject[matched]):
        rows = np.flatnonzero(matched & (subject == value))
        use = context and len(np.unique(class_codes[rows])) >= min_classes
        extra = [class_prev[rows]] if use else []
        if value == TOTAL:
            out[rows] = fit_expected(z[rows], np.column_stack([prev[rows], *extra]))
            continue
        with_total = ~np.isnan(prev_total[rows])
        both, alone = rows[with_total], rows[~with_total]
        if len(both):
            extra = [class_prev[both]] if use else []
            out[both] = fit_expected(z[both], np.column_stack([prev[both], prev_total[both], *extra]))
        if len(alone):
            extra = [class_prev[alone]] if use else []
            out[alone] = fit_expected(z[alone], np.column_stack([prev[alone], *extra]))
    return out


def improvement_flags(frame: pd.DataFrame, policy: AnalysisPolicy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected z, value added, improved) per row of `frame` under the policy's basis.

    Under `z_gain` the expected z is the previous z itself (no prediction), so the value added is
    the z gain."""
    matched = frame["matched"].to_numpy(dtype=bool)
    z = frame["z"].to_numpy(dtype=float)
    if policy.improvement_basis == BASIS_Z_GAIN:
        expected = np.where(matched, frame["prev_z"].to_numpy(dtype=float), np.nan)
        added = z - expected
        improved = matched & (np.nan_to_num(added, nan=-np.inf) >= policy.improvement_min_z_gain - _EPS)
        return expected, added, improved
    expected = expected_scores(frame, context=policy.improvement_class_context,
                               min_classes=policy.improvement_context_min_classes)
    added = z - expected
    improved = matched & (np.nan_to_num(added, nan=-np.inf) > policy.improvement_margin + _EPS)
    return expected, added, improved


__all__ = ["BASIS_EXPECTED", "BASIS_Z_GAIN", "expected_scores", "fit_expected", "improvement_flags"]
