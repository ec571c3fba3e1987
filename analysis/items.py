"""Item analysis (小题分析) of one paper, in classical test theory.

- difficulty (难度, P) = item mean ÷ item max: the share of the marks students earned (higher is easier);
- discrimination (区分度): the corrected item–total correlation, r between the item and the total of
  the *other* items (so an item is not correlated with itself; the `discrimination` column, as in
  item_stats.csv); the plain item–total r; and Kelley's upper–lower index D = (mean of the upper 27%
  − mean of the lower 27%) ÷ item max, groups formed on the paper total, students tied at a cut
  sharing its places (so D does not depend on the order of the students). Items are flagged on D,
  the index Ebel's guide (≥ 0.4 very good … < 0.2 poor) was written for;
- Cronbach's alpha of the paper, alpha if the item is deleted, and the standard error of measurement;
- option counts of choice items by score group (upper 27%, middle, lower 27%) when raw answers are given;
- the paper's items in difficulty and discrimination bands, and its points by knowledge area and
  cognitive level (知识点/能力) beside the blueprint (双向细目表).

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

# Bands of the paper quality analysis (试卷质量分析): (code, lower bound) in ascending order; a value
# belongs to the last band whose lower bound it reaches.
DIFFICULTY_BANDS = (("hard", 0.0), ("medium", 0.4), ("easy", 0.7))  # 难 < 0.4 ≤ 中 < 0.7 ≤ 易
DISCRIMINATION_BANDS = (("poor", -np.inf), ("acceptable", 0.2), ("good", 0.3), ("very_good", 0.4))  # Ebel
RELIABILITY_BANDS = (("low", -np.inf), ("acceptable", 0.7), ("good", 0.8), ("very_good", 0.9))
_EPS = 1e-12


@dataclass(frozen=True)
class ScoreGroups:
    """Kelley's groups on the paper total, as weights: each row's share of the lower and of the upper
    group. Each group has `size` = round(fraction · N) places; the students tied at a group's cut
    share the places left there equally (e.g. 3 places left and 4 students tied: ¾ each), so the
    groups, D and the option counts are the same whatever order the students come in."""

    lower: np.ndarray  # (N,) weights in [0, 1], summing to size
    upper: np.ndarray
    size: int

    @property
    def middle(self) -> np.ndarray:
        return np.clip(1.0 - self.lower - self.upper, 0.0, 1.0)


def group_size(n: int, fraction: float) -> int:
    """round(fraction · n), half up, at least 1 and at most n // 2 (0 for no students)."""
    if n == 0:
        return 0
    size = max(1, int(np.floor(fraction * n + 0.5)))
    return min(size, n // 2) if n >= 2 else size


def score_groups(totals: np.ndarray, fraction: float) -> ScoreGroups:
    totals = np.asarray(totals, dtype=float)
    n = len(totals)
    size = group_size(n, fraction)
    if size == 0:
        empty = np.zeros(n)
        return ScoreGroups(lower=empty, upper=empty.copy(), size=0)
    ordered = np.sort(totals)
    return ScoreGroups(lower=_cut_weights(totals, ordered[size - 1], size, below=True),
                       upper=_cut_weights(totals, ordered[n - size], size, below=False), size=size)


def _cut_weights(totals: np.ndarray, cut: float, size: int, below: bool) -> np.ndarray:
    """Weights of the group of `size` places at the bottom (below=True) or the top of `totals`, whose
    last place falls on the score `cut`: 1 beyond the cut, the places left shared at the cut."""
    tied = np.abs(totals - cut) <= _EPS
    inside = (totals < cut - _EPS) if below else (totals > cut + _EPS)
    left = size - int(inside.sum())
    return np.where(inside, 1.0, np.where(tied, left / max(int(tied.sum()), 1), 0.0))


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


def standard_error_of_measurement(sd: float, alpha: float) -> float:
    """SEM = SD · √(1 − α) (测量标准误): the spread of a student's observed total around their true score.
    Left empty (NaN) when α is not in [0, 1]: a negative α says the items do not measure one thing."""
    if not np.isfinite(sd) or not np.isfinite(alpha) or not 0.0 <= alpha <= 1.0:
        return float("nan")
    return float(sd * np.sqrt(1.0 - alpha))


def item_statistics(paper: Paper, policy: AnalysisPolicy) -> tuple[pd.DataFrame, dict]:
    """Per-item statistics of a paper and its paper-level figures.

    Returns (items, paper_figures); items has subject, number (第 N 题, the paper's order), item_id,
    item_type, max_score, students, mean, std, difficulty, discrimination (corrected item–total r),
    item_total_r, discrimination_ul (D), upper_rate, lower_rate, alpha_if_deleted, flags.
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
        item_total_r = np.where(ok, cov_item_total / np.sqrt(np.where(ok, item_var * total_var, 1.0)), np.nan)
        alpha = k / (k - 1) * (1.0 - item_var.sum() / total_var) if k > 1 and total_var > 0 else np.nan
        alpha_if_deleted = ((k - 1) / (k - 2) * (1.0 - (item_var.sum() - item_var) / rest_var)
                            if k > 2 else np.full(k, np.nan))
        alpha_if_deleted = np.where(rest_var > 1e-12, alpha_if_deleted, np.nan)

    groups = score_groups(total, policy.upper_lower_fraction)
    if groups.size:
        upper_rate = (groups.upper @ x) / groups.size / max_scores
        lower_rate = (groups.lower @ x) / groups.size / max_scores
    else:
        upper_rate = lower_rate = np.full(k, np.nan)
    difficulty = means / max_scores
    d_index = upper_rate - lower_rate

    items = pd.DataFrame({
        "subject": paper.subject,
        "number": np.arange(1, k + 1, dtype=np.int64),  # the paper's order; the pipeline sets given positions
        "item_id": paper.item_ids,
        "item_type": paper.item_types,
        "max_score": max_scores,
        "students": n,
        "mean": means,
        "std": np.sqrt(item_var * denom / max(n - policy.std_ddof, 1)),
        "difficulty": difficulty,
        "discrimination": corrected_r,
        "item_total_r": item_total_r,
        "discrimination_ul": d_index,
        "upper_rate": upper_rate,
        "lower_rate": lower_rate,
        "alpha_if_deleted": alpha_if_deleted,
    })
    variance = item_var > 1e-12
    items["flags"] = [_flags(p, d, v, policy) for p, d, v in zip(difficulty, d_index, variance)]
    sd = float(total.std(ddof=policy.std_ddof)) if n > policy.std_ddof else np.nan
    figures = {
        "subject": paper.subject, "items": k, "full_marks": paper.full_marks, "students": n,
        "mean": float(total.mean()) if n else np.nan,
        "std": sd,
        "difficulty": float(total.mean() / paper.full_marks) if n else np.nan,
        "alpha": float(alpha), "sem": standard_error_of_measurement(sd, float(alpha)),
        "mean_discrimination_ul": float(np.nanmean(d_index)) if k and np.isfinite(d_index).any() else np.nan,
        "group_size": groups.size,
        "flagged_items": int(sum(1 for f in items["flags"] if f)),
        "missing_cells": paper.missing_cells,
    }
    return items, figures


def _flags(difficulty: float, d_index: float, has_variance: bool, policy: AnalysisPolicy) -> str:
    flags = []
    if not has_variance:
        flags.append(FLAG_NO_VARIANCE)
    elif np.isnan(d_index) or d_index < policy.min_discrimination - _EPS:
        flags.append(FLAG_LOW_DISCRIMINATION)
    if difficulty < policy.min_difficulty:
        flags.append(FLAG_TOO_HARD)
    elif difficulty > policy.max_difficulty:
        flags.append(FLAG_TOO_EASY)
    return ";".join(flags)


def band_of(values: np.ndarray, bands) -> np.ndarray:
    """The band code of each value (NaN: None) for bands given as (code, lower bound) ascending."""
    values = np.asarray(values, dtype=float)
    lows = np.array([low for _, low in bands])
    index = np.searchsorted(lows, values + _EPS, side="right") - 1
    codes = np.array([code for code, _ in bands], dtype=object)[np.clip(index, 0, len(bands) - 1)]
    codes[np.isnan(values)] = None
    return codes


def quality_bands(items: pd.DataFrame) -> pd.DataFrame:
    """试卷质量分析: for each paper, its items in difficulty bands (难/中/易 on P) and discrimination
    bands (Ebel's on D): subject, index (difficulty | discrimination_ul), band, items, points,
    points_share (of the paper's full marks), numbers (the 第 N 题 of the band, "1、4、7")."""
    rows = []
    for subject, part in items.groupby("subject", sort=False):
        full = float(part["max_score"].sum())
        for index, bands in (("difficulty", DIFFICULTY_BANDS), ("discrimination_ul", DISCRIMINATION_BANDS)):
            band = band_of(part[index].to_numpy(), bands)
            for code, _ in bands:
                mine = part[band == code]
                rows.append({"subject": subject, "index": index, "band": code, "items": len(mine),
                             "points": float(mine["max_score"].sum()),
                             "points_share": float(mine["max_score"].sum()) / full if full else np.nan,
                             "numbers": "、".join(str(int(v)) for v in mine["number"])})
    return pd.DataFrame(rows, columns=["subject", "index", "band", "items", "points", "points_share", "numbers"])


def reliability_band(alpha: float) -> str | None:
    return None if not np.isfinite(alpha) else str(band_of(np.array([alpha]), RELIABILITY_BANDS)[0])


# --- the items' place in the blueprint (双向细目表): knowledge areas and cognitive levels ------------

AREA_DIMENSIONS = ("knowledge_area", "cognitive_level")


def area_breakdown(items: pd.DataFrame, blueprints: dict[str, dict] | None = None) -> pd.DataFrame:
    """Points and score rates by knowledge area (知识点) and by cognitive level (能力层次) of each paper.

    items: the item table (subject, number, max_score, mean, knowledge_area, cognitive_level).
    blueprints: subject → the paper's blueprint ({"cells": [{knowledge_area, cognitive_level,
    item_type, points}, …]}) to set the planned points beside the paper's.
    Columns: subject, dimension, category, items, numbers, points, blueprint_points, mean (sum of the
    items' means), score_rate (mean ÷ points)."""
    columns = ["subject", "dimension", "category", "items", "numbers", "points", "blueprint_points", "mean",
               "score_rate"]
    rows = []
    for subject, part in items.groupby("subject", sort=False):
        planned = _blueprint_points((blueprints or {}).get(str(subject)))
        for dimension in AREA_DIMENSIONS:
            if dimension not in part or part[dimension].isna().all():
                continue
            categories = list(dict.fromkeys(part[dimension].dropna().astype(str)))
            for category in [*categories, *[c for c in planned.get(dimension, {}) if c not in categories]]:
                mine = part[part[dimension].astype(str) == category]
                points = float(mine["max_score"].sum())
                mean = float(mine["mean"].sum())
                rows.append({"subject": subject, "dimension": dimension, "category": category, "items": len(mine),
                             "numbers": "、".join(str(int(v)) for v in mine["number"]), "points": points,
                             "blueprint_points": planned.get(dimension, {}).get(category, np.nan) if planned else np.nan,
                             "mean": mean if len(mine) else np.nan,
                             "score_rate": mean / points if points else np.nan})
    return pd.DataFrame(rows, columns=columns)


def _blueprint_points(blueprint: dict | None) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if not blueprint:
        return out
    cells = blueprint.get("cells") if isinstance(blueprint, dict) else None
    for cell in cells or []:
        for dimension in AREA_DIMENSIONS:
            key = str(cell.get(dimension, ""))
            if key:
                out.setdefault(dimension, {})
                out[dimension][key] = out[dimension].get(key, 0.0) + float(cell.get("points", 0.0))
    return out


def item_metadata(items: pd.DataFrame) -> pd.DataFrame:
    """subject, item_id, number (第 N 题: `position` when given, else the row order within the subject)
    and knowledge_area, cognitive_level when `items` has them, one row per item."""
    out = pd.DataFrame({"subject": items["subject"].astype(str) if "subject" in items else None,
                        "item_id": items["item_id"].astype(str)})
    if "position" in items and pd.to_numeric(items["position"], errors="coerce").notna().all():
        out["number"] = pd.to_numeric(items["position"]).astype(np.int64).to_numpy()
    else:
        out["number"] = (out.groupby("subject", sort=False, dropna=False).cumcount() + 1).to_numpy()
    for column in AREA_DIMENSIONS:
        out[column] = items[column].astype(object).where(items[column].notna(), None).to_numpy() \
            if column in items else None
    return out


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
OPTION_COLUMNS = ["subject", "number", "item_id", "key", "option", "is_key", "upper", "middle", "lower", "total", "share",
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
    The blank answer is "-"; multiple-choice letters are sorted. upper, middle and lower count the
    group's students (weighted: a student tied at a group's cut counts by their share of it, see
    ScoreGroups), total counts everyone. Flags: a distractor chosen more by the upper group than by
    the lower group; a key chosen no more by the upper group than the lower.
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
    n_options = len(answers.options)
    cell = column * n_options + option
    weights = (groups.upper, groups.middle, groups.lower)  # a student tied at a cut counts in part
    counts = np.stack([np.bincount(cell, weights=w[row], minlength=k * n_options) for w in weights], axis=1)
    counts = counts.reshape(k, n_options, 3)
    chosen = np.bincount(cell, minlength=k * n_options).reshape(k, n_options)
    j, o = np.nonzero(chosen)
    table = pd.DataFrame({
        "subject": paper.subject, "number": np.asarray(j + 1, dtype=np.int64),
        "item_id": np.asarray(paper.item_ids, dtype=object)[j],
        "option": answers.options[o], "upper": counts[j, o, 0], "middle": counts[j, o, 1], "lower": counts[j, o, 2],
    })
    table["total"] = chosen[j, o]
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
