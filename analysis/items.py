"""Item analysis (小题分析) of one paper, in classical test theory.

- difficulty (难度, P) = item mean ÷ item max: the share of the marks students earned (higher is easier);
- discrimination (区分度): the corrected item–total correlation, r between the item and the total of
  the *other* items (so an item is not correlated with itself); and Kelley's upper–lower index
  D = (mean of the upper 27% − mean of the lower 27%) ÷ item max, groups formed on the paper total;
- Cronbach's alpha of the paper, and alpha if the item is deleted;
- option counts of choice items by score group (upper 27%, middle, lower 27%) when raw answers are given.

All of it is vectorised over the students × items matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.matrix import Paper
from analysis.policy import AnalysisPolicy

FLAG_LOW_DISCRIMINATION = "low_discrimination"  # 区分度低
FLAG_TOO_HARD = "too_hard"  # 偏难
FLAG_TOO_EASY = "too_easy"  # 偏易
FLAG_NO_VARIANCE = "no_variance"  # 全体同分，无法计算区分度


@dataclass(frozen=True)
class ScoreGroups:
    """Kelley's groups on the paper total: indices (rows of the paper matrix) of the lower and
    upper groups. Ties at the cut are broken by student id, so the groups are reproducible."""

    lower: np.ndarray
    upper: np.ndarray
    size: int

    def labels(self, n: int) -> np.ndarray:
        out = np.full(n, "middle", dtype=object)
        out[self.lower] = "lower"
        out[self.upper] = "upper"
        return out


def score_groups(totals: np.ndarray, tie_break: np.ndarray, fraction: float) -> ScoreGroups:
    n = len(totals)
    size = max(1, int(np.floor(fraction * n + 0.5))) if n else 0
    size = min(size, n // 2) if n >= 2 else size
    order = np.lexsort((tie_break, totals))  # ascending total, then ascending id
    return ScoreGroups(lower=order[:size], upper=order[n - size:] if size else order[:0], size=size)


def cronbach_alpha(matrix: np.ndarray) -> float:
    """α = k/(k−1) · (1 − Σ var(item) / var(total))."""
    n, k = matrix.shape
    if k < 2 or n < 2:
        return float("nan")
    item_var = matrix.var(axis=0, ddof=1)
    total_var = matrix.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - item_var.sum() / total_var))


def item_statistics(paper: Paper, tie_break: np.ndarray, policy: AnalysisPolicy) -> tuple[pd.DataFrame, dict]:
    """Per-item statistics of a paper and its paper-level figures.

    tie_break: one number per row of paper.matrix (the student id's rank), for the 27% groups.
    Returns (items, paper_figures); items has subject, item_id, item_type, max_score, students, mean,
    std, difficulty, discrimination, discrimination_ul, upper_rate, lower_rate, alpha_if_deleted, flags.
    """
    x = paper.matrix
    n, k = x.shape
    max_scores = paper.max_scores
    means = x.mean(axis=0) if n else np.full(k, np.nan)
    xc = x - means
    total = x.sum(axis=1)
    tc = total - total.mean() if n else total
    denom = max(n - 1, 1)
    item_var = (xc * xc).sum(axis=0) / denom
    total_var = float(tc @ tc) / denom
    cov_item_total = (xc.T @ tc) / denom
    rest_var = total_var - 2.0 * cov_item_total + item_var  # var(total − item)
    cov_item_rest = cov_item_total - item_var
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (item_var > 1e-12) & (rest_var > 1e-12)
        corrected_r = np.where(ok, cov_item_rest / np.sqrt(np.where(ok, item_var * rest_var, 1.0)), np.nan)
        alpha = k / (k - 1) * (1.0 - item_var.sum() / total_var) if k > 1 and total_var > 0 else np.nan
        alpha_if_deleted = ((k - 1) / (k - 2) * (1.0 - (item_var.sum() - item_var) / rest_var)
                            if k > 2 else np.full(k, np.nan))
        alpha_if_deleted = np.where(rest_var > 1e-12, alpha_if_deleted, np.nan)

    groups = score_groups(total, tie_break, policy.upper_lower_fraction)
    if groups.size:
        upper_rate = x[groups.upper].mean(axis=0) / max_scores
        lower_rate = x[groups.lower].mean(axis=0) / max_scores
    else:
        upper_rate = lower_rate = np.full(k, np.nan)
    difficulty = means / max_scores

    items = pd.DataFrame({
        "subject": paper.subject,
        "item_id": paper.item_ids,
        "item_type": paper.item_types,
        "max_score": max_scores,
        "students": n,
        "mean": means,
        "std": np.sqrt(item_var * denom / max(n - policy.std_ddof, 1)),
        "difficulty": difficulty,
        "discrimination": corrected_r,
        "discrimination_ul": upper_rate - lower_rate,
        "upper_rate": upper_rate,
        "lower_rate": lower_rate,
        "alpha_if_deleted": alpha_if_deleted,
    })
    items["flags"] = [_flags(d, r, policy) for d, r in zip(difficulty, corrected_r)]
    figures = {
        "subject": paper.subject, "items": k, "full_marks": paper.full_marks, "students": n,
        "mean": float(total.mean()) if n else np.nan,
        "std": float(total.std(ddof=policy.std_ddof)) if n > policy.std_ddof else np.nan,
        "difficulty": float(total.mean() / paper.full_marks) if n else np.nan,
        "alpha": float(alpha), "group_size": groups.size,
        "flagged_items": int(sum(1 for f in items["flags"] if f)),
        "missing_cells": paper.missing_cells,
    }
    return items, figures


def _flags(difficulty: float, discrimination: float, policy: AnalysisPolicy) -> str:
    flags = []
    if np.isnan(discrimination):
        flags.append(FLAG_NO_VARIANCE)
    elif discrimination < policy.min_discrimination:
        flags.append(FLAG_LOW_DISCRIMINATION)
    if difficulty < policy.min_difficulty:
        flags.append(FLAG_TOO_HARD)
    elif difficulty > policy.max_difficulty:
        flags.append(FLAG_TOO_EASY)
    return ";".join(flags)


def item_means_by_group(paper: Paper, group_codes: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_groups, k) item means per group (e.g. per school) of the paper's students; NaN for a group
    without students. group_codes: one code per row of paper.matrix."""
    counts = np.bincount(group_codes, minlength=n_groups).astype(float)
    sums = np.zeros((n_groups, paper.matrix.shape[1]))
    for j in range(paper.matrix.shape[1]):  # bincount per column: far faster than np.add.at
        sums[:, j] = np.bincount(group_codes, weights=paper.matrix[:, j], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def option_analysis(paper: Paper, answers: pd.DataFrame, student_rows: np.ndarray, groups: ScoreGroups) -> pd.DataFrame:
    """Counts of each answer to each choice item of the paper by score group (选项分析).

    answers: item_id, answer, one row per student × item, already restricted to this paper;
    student_rows: the row of paper.matrix of each answer's student (−1 when the student did not sit).
    The answer "" (blank) is reported as "-". For multiple-choice items the letters are sorted so
    "BA" and "AB" count together. Flags: a distractor chosen more by the upper group than by the
    lower group, and a key chosen no more by the upper group than by the lower one.
    """
    keep = student_rows >= 0
    answers = answers[keep]
    rows = student_rows[keep]
    label = groups.labels(paper.matrix.shape[0])[rows]
    item_pos = {item_id: j for j, item_id in enumerate(paper.item_ids)}
    codes, uniques = pd.factorize(answers["answer"].fillna("").astype(str))
    normal = np.array([_normalise_answer(u) for u in uniques], dtype=object)
    frame = pd.DataFrame({
        "item_id": answers["item_id"].to_numpy(dtype=object),
        "option": normal[codes] if len(uniques) else np.array([], dtype=object),
        "group": label,
    })
    frame = frame[frame["item_id"].isin(item_pos)]
    if frame.empty:
        return pd.DataFrame(columns=["subject", "item_id", "key", "option", "is_key", "upper", "middle", "lower",
                                     "total", "share", "upper_share", "lower_share", "flag"])
    multi = {i for i, t in zip(paper.item_ids, paper.item_types) if t == "multiple_choice"}
    if multi:
        is_multi = frame["item_id"].isin(multi)
        frame.loc[is_multi, "option"] = frame.loc[is_multi, "option"].map(lambda s: "".join(sorted(s)) if s != "-" else s)
    counts = frame.groupby(["item_id", "option", "group"]).size().unstack("group", fill_value=0)
    counts = counts.reindex(columns=["upper", "middle", "lower"], fill_value=0).reset_index()
    counts.columns.name = None
    counts["total"] = counts[["upper", "middle", "lower"]].sum(axis=1)
    counts["share"] = counts["total"] / counts.groupby("item_id")["total"].transform("sum")
    size = max(groups.size, 1)
    counts["upper_share"] = counts["upper"] / size
    counts["lower_share"] = counts["lower"] / size
    keys = {i: _normalise_answer(k) for i, k in zip(paper.item_ids, paper.keys) if k}
    keys = {i: ("".join(sorted(k)) if i in multi else k) for i, k in keys.items()}
    counts["key"] = counts["item_id"].map(keys)
    counts["is_key"] = counts["option"] == counts["key"]
    flag = np.where(counts["is_key"] & (counts["upper_share"] <= counts["lower_share"]), "key_not_discriminating", "")
    flag = np.where(~counts["is_key"] & (counts["option"] != "-") & counts["key"].notna()
                    & (counts["upper_share"] > counts["lower_share"]), "distractor_attracts_upper", flag)
    counts["flag"] = flag
    counts["subject"] = paper.subject
    counts["_pos"] = counts["item_id"].map(item_pos)
    counts = counts.sort_values(["_pos", "option"]).drop(columns="_pos").reset_index(drop=True)
    return counts[["subject", "item_id", "key", "option", "is_key", "upper", "middle", "lower", "total", "share",
                   "upper_share", "lower_share", "flag"]]


def _normalise_answer(answer) -> str:
    text = "" if answer is None else str(answer)
    text = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in ",;，；")
    return text or "-"
