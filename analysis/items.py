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


CHOICE_TYPES = ("single_choice", "multiple_choice")
GROUP_NAMES = ("upper", "middle", "lower")
OPTION_COLUMNS = ["subject", "item_id", "key", "option", "is_key", "upper", "middle", "lower", "total", "share",
                  "upper_share", "lower_share", "flag"]


@dataclass
class EncodedResponses:
    """Raw answers as integer codes, computed once for all papers (they can be millions of rows)."""

    student: np.ndarray  # index into ScoreData.student_ids, −1 when unknown
    item: np.ndarray  # code into item_ids
    item_ids: np.ndarray
    subject: np.ndarray | None  # code into subjects, when the answers name their subject
    subjects: np.ndarray | None
    option_plain: np.ndarray  # code into options of the normalised answer
    option_sorted: np.ndarray  # … with its letters sorted (multiple choice: "BA" = "AB")
    options: np.ndarray


def encode_responses(responses: pd.DataFrame, student_ids: np.ndarray, use_subject: bool = True) -> EncodedResponses:
    """responses: student_id, item_id, answer (or response), optional subject. Blank answers become "-".
    use_subject=False ignores the subject column (when item ids are unique across papers, it adds
    nothing but a pass over millions of rows)."""
    answer = "answer" if "answer" in responses else "response" if "response" in responses else None
    if answer is None or not {"student_id", "item_id"} <= set(responses.columns):
        raise ValueError("responses needs student_id, item_id and answer (or response) columns")
    student = pd.Index(student_ids).get_indexer(responses["student_id"])
    item, item_ids = pd.factorize(responses["item_id"].astype(str))
    subject = subjects = None
    if use_subject and "subject" in responses:
        subject, subjects = pd.factorize(responses["subject"].astype(str))
        subjects = subjects.to_numpy(dtype=object)
    raw, raw_uniques = pd.factorize(responses[answer].fillna("").astype(str))
    plain = [_normalise_answer(u) for u in raw_uniques]
    both, options = pd.factorize(pd.Series(plain + ["".join(sorted(p)) if p != "-" else p for p in plain],
                                           dtype=object))
    n = len(plain)
    return EncodedResponses(
        student=student, item=item, item_ids=item_ids.to_numpy(dtype=object), subject=subject, subjects=subjects,
        option_plain=both[:n][raw] if n else raw, option_sorted=both[n:][raw] if n else raw,
        options=options.to_numpy(dtype=object),
    )


def option_analysis(paper: Paper, answers: EncodedResponses, student_rows: np.ndarray,
                    groups: ScoreGroups) -> pd.DataFrame:
    """Counts of each answer to each choice item of the paper by score group (选项分析).

    student_rows: for each student index, the row of paper.matrix (−1 when they did not sit).
    Choice items are those typed single_choice or multiple_choice, or untyped items with a key.
    The blank answer is "-"; multiple-choice letters are sorted. Flags: a distractor chosen more by
    the upper group than by the lower group; a key chosen no more by the upper group than the lower.
    """
    k = len(paper.item_ids)
    choice = np.array([t in CHOICE_TYPES or (t is None and bool(key)) for t, key in zip(paper.item_types, paper.keys)])
    multi = np.array([t == "multiple_choice" for t in paper.item_types])
    column_of_item = pd.Index(paper.item_ids).get_indexer(answers.item_ids)  # per item code
    column_of_item = np.where(column_of_item >= 0, column_of_item, -1)
    column_of_item[column_of_item >= 0] = np.where(choice[column_of_item[column_of_item >= 0]],
                                                   column_of_item[column_of_item >= 0], -1)
    column = column_of_item[answers.item]
    row = np.where(answers.student >= 0, student_rows[np.maximum(answers.student, 0)], -1)
    keep = (column >= 0) & (row >= 0)
    if answers.subject is not None:
        own = np.flatnonzero(answers.subjects == paper.subject)
        keep &= np.isin(answers.subject, own)
    if not keep.any():
        return pd.DataFrame(columns=OPTION_COLUMNS)
    column, row = column[keep], row[keep]
    option = np.where(multi[column], answers.option_sorted[keep], answers.option_plain[keep])
    group = np.full(paper.matrix.shape[0], 1, dtype=np.int64)  # 0 upper, 1 middle, 2 lower
    group[groups.upper] = 0
    group[groups.lower] = 2
    n_options = len(answers.options)
    counts = np.bincount((column * n_options + option) * 3 + group[row], minlength=k * n_options * 3)
    counts = counts.reshape(k, n_options, 3)
    j, o = np.nonzero(counts.sum(axis=2))
    table = pd.DataFrame({
        "subject": paper.subject, "item_id": np.asarray(paper.item_ids, dtype=object)[j],
        "option": answers.options[o], "upper": counts[j, o, 0], "middle": counts[j, o, 1], "lower": counts[j, o, 2],
    })
    table["total"] = table[["upper", "middle", "lower"]].sum(axis=1)
    table["share"] = table["total"] / table.groupby("item_id")["total"].transform("sum")
    size = max(groups.size, 1)
    table["upper_share"] = table["upper"] / size
    table["lower_share"] = table["lower"] / size
    keys = [_normalise_answer(key) if key else None for key in paper.keys]
    keys = ["".join(sorted(key)) if key and m else key for key, m in zip(keys, multi)]
    table["key"] = np.asarray(keys, dtype=object)[j]
    table["is_key"] = (table["option"] == table["key"]).to_numpy(dtype=bool)
    has_key = table["key"].notna().to_numpy()
    upper_more = (table["upper_share"] > table["lower_share"]).to_numpy()
    flag = np.where(table["is_key"] & ~upper_more, "key_not_discriminating", "")
    flag = np.where(~table["is_key"] & has_key & (table["option"] != "-") & upper_more,
                    "distractor_attracts_upper", flag)
    table["flag"] = flag
    table["_sort"] = j
    table = table.sort_values(["_sort", "option"], kind="stable").drop(columns="_sort").reset_index(drop=True)
    return table[OPTION_COLUMNS]


def _normalise_answer(answer) -> str:
    text = "" if answer is None else str(answer)
    text = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in ",;，；")
    return text or "-"
