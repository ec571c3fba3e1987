"""Student-level scores and group statistics: 三率一分, standard scores, ranks, score bands, 一分一段.

Everything here works on the small "student × subject" table built from the paper matrices
(one row per student and subject, plus a `total` row per student), never on the long scores.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.matrix import ScoreData
from analysis.policy import AnalysisPolicy

TOTAL = "total"  # the subject value of total-score rows (总分)
DISTRICT = "district"  # the group id of the whole population analysed (全区/全体)
LEVELS = ("class", "school", "cluster", "district")
LEVEL_KEY = {"class": "class_id", "school": "school_id", "cluster": "cluster_id", "district": "district_id"}
# the level a group is compared with (horizontal comparison): classes and schools with their cluster
REFERENCE_LEVEL = {"class": "cluster", "school": "cluster", "cluster": "district"}
_EPS = 1e-12


def rate_flags(score_rate: np.ndarray, policy: AnalysisPolicy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """excellent (优秀), pass (及格), low (低分) as booleans from score ÷ full marks.

    The tolerance keeps 85 of 100 excellent even when 0.85 × full marks rounds up in binary.
    """
    excellent = score_rate >= policy.excellent_fraction - _EPS
    passed = score_rate >= policy.pass_fraction - _EPS
    low = score_rate < policy.low_fraction - _EPS
    return excellent, passed, low


def standard_scores(values: np.ndarray, policy: AnalysisPolicy) -> tuple[np.ndarray, np.ndarray]:
    """z = (x − mean) / sd over everyone given (sd with policy.std_ddof); T = t_mean + t_sd · z."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values.copy(), values.copy()
    sd = values.std(ddof=policy.std_ddof) if len(values) > policy.std_ddof else 0.0
    z = (values - values.mean()) / sd if sd > 0 else np.zeros_like(values)
    return z, policy.t_mean + policy.t_sd * z


def student_scores(data: ScoreData, cluster_of_school: dict[str, str], policy: AnalysisPolicy,
                   with_ranks: bool = True) -> pd.DataFrame:
    """One row per student and subject sat, plus one `total` row per student with a total.

    Columns: student_id, district_id, cluster_id, school_id, class_id, subject, score, full_marks,
    score_rate (得分率), z, t, excellent, pass, low, and with_ranks: rank_class, rank_school,
    rank_cluster, rank_district (competition ranking "1224": ties share the best rank).
    """
    n = len(data.student_ids)
    subject_totals = np.full((n, len(data.papers)), np.nan)
    frames = []
    for j, (subject, paper) in enumerate(data.papers.items()):
        totals = paper.totals
        subject_totals[paper.students, j] = totals
        frames.append(_subject_frame(paper.students, subject, totals, paper.full_marks, policy))
    sat = ~np.isnan(subject_totals)
    has_total = sat.all(axis=1) if policy.total_requires_all_subjects else sat.any(axis=1)
    students = np.flatnonzero(has_total)
    if policy.total_requires_all_subjects:
        full_marks = sum(p.full_marks for p in data.papers.values())
        full = np.full(len(students), full_marks)
    else:  # full marks of the subjects each student sat
        marks = np.array([p.full_marks for p in data.papers.values()])
        full = (sat[students] * marks[None, :]).sum(axis=1)
    totals = np.nansum(subject_totals[students], axis=1)
    frames.append(_subject_frame(students, TOTAL, totals, full, policy))
    frame = pd.concat(frames, ignore_index=True)

    # ids as categoricals built from integer codes: every later groupby and merge works on codes
    student = frame.pop("student").to_numpy()
    school_codes, school_names = pd.factorize(pd.Series(data.school_ids, dtype=object))
    class_codes, class_names = pd.factorize(pd.Series(data.class_ids, dtype=object))
    cluster_of = pd.Series(school_names, dtype=object).map(cluster_of_school)
    if cluster_of.isna().any():
        unknown = sorted(map(str, school_names[cluster_of.isna().to_numpy()]))
        raise ValueError(f"schools in scores but not in schools: {unknown[:5]}")
    cluster_codes_of_school, cluster_names = pd.factorize(cluster_of)
    row_school = school_codes[student]
    subjects = [*data.papers, TOTAL]
    frame.insert(0, "student_id", pd.Categorical.from_codes(student, categories=pd.Index(data.student_ids)))
    frame.insert(1, "district_id", pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int64), [DISTRICT]))
    frame.insert(2, "cluster_id", pd.Categorical.from_codes(cluster_codes_of_school[row_school], cluster_names))
    frame.insert(3, "school_id", pd.Categorical.from_codes(row_school, school_names))
    frame.insert(4, "class_id", pd.Categorical.from_codes(class_codes[student], class_names))
    frame["subject"] = pd.Categorical(frame["subject"], categories=subjects)
    if with_ranks:
        for level in LEVELS:
            key = LEVEL_KEY[level]
            frame[f"rank_{level}"] = (frame.groupby([key, "subject"], sort=False, observed=True)["score"]
                                      .rank(method="min", ascending=False).astype(np.int64))
    return frame


def _subject_frame(students, subject, totals, full_marks, policy) -> pd.DataFrame:
    full = np.broadcast_to(np.asarray(full_marks, dtype=float), totals.shape)
    rate = np.divide(totals, full, out=np.zeros_like(totals), where=full > 0)
    z, t = standard_scores(totals, policy)
    excellent, passed, low = rate_flags(rate, policy)
    return pd.DataFrame({
        "student": students, "subject": subject, "score": totals, "full_marks": full, "score_rate": rate,
        "z": z, "t": t, "excellent": excellent, "pass": passed, "low": low,
    })


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns back to plain objects (for the small result tables)."""
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype({c: object for c in categorical}) if categorical else frame


def group_summary(scores: pd.DataFrame, policy: AnalysisPolicy) -> pd.DataFrame:
    """Per level (class, school, cluster, district), group and subject (and `total`):
    students, full_marks, mean, std, max, min, score_rate, excellent_rate, pass_rate, low_rate, mean_z,
    and the horizontal comparison with the reference group (a class's and a school's cluster, a
    cluster's district): ref_mean, mean_diff, above_mean_rate (超均率 = mean ÷ ref_mean − 1), the
    three rate differences, rank (by mean among the same-level groups of the reference group) and
    for classes rank_in_school.
    """
    frames = []
    parents = plain(scores.drop_duplicates("class_id")[["class_id", "school_id", "cluster_id"]])
    for level in LEVELS:
        key = LEVEL_KEY[level]
        g = scores.groupby([key, "subject"], sort=True, observed=True)
        agg = g.agg(
            students=("score", "size"), full_marks=("full_marks", "max"), mean=("score", "mean"),
            max=("score", "max"), min=("score", "min"), excellent_rate=("excellent", "mean"),
            pass_rate=("pass", "mean"), low_rate=("low", "mean"), mean_z=("z", "mean"),
        )
        agg.insert(3, "std", g["score"].std(ddof=policy.std_ddof))
        agg = plain(agg.reset_index().rename(columns={key: "group_id"}))
        agg.insert(0, "level", level)
        if level == "class":
            agg = agg.merge(parents, left_on="group_id", right_on="class_id", how="left").drop(columns="class_id")
        elif level == "school":
            agg = agg.merge(parents.drop_duplicates("school_id")[["school_id", "cluster_id"]],
                            left_on="group_id", right_on="school_id", how="left")
        elif level == "cluster":
            agg["cluster_id"] = agg["group_id"]
        frames.append(agg)
    summary = pd.concat(frames, ignore_index=True)
    for column in ("school_id", "cluster_id"):
        if column not in summary:
            summary[column] = None
    summary["score_rate"] = summary["mean"] / summary["full_marks"]
    summary = _add_comparison(summary)
    ordered = ["level", "group_id", "cluster_id", "school_id", "subject", "students", "full_marks", "mean", "std",
               "max", "min", "score_rate", "excellent_rate", "pass_rate", "low_rate", "mean_z"]
    return summary[ordered + [c for c in summary.columns if c not in ordered]]


def _add_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    ref_columns = ["mean", "excellent_rate", "pass_rate", "low_rate"]
    parts = []
    for level in LEVELS:
        part = summary[summary["level"] == level].copy()
        ref_level = REFERENCE_LEVEL.get(level)
        if ref_level is None:
            for c in ("ref_mean", "mean_diff", "above_mean_rate", "excellent_rate_diff", "pass_rate_diff",
                      "low_rate_diff"):
                part[c] = 0.0
            part["rank"] = 1
            part["peers"] = 1
            parts.append(part)
            continue
        ref = summary[summary["level"] == ref_level][["group_id", "subject"] + ref_columns]
        ref = ref.rename(columns={"group_id": "_ref", **{c: f"_ref_{c}" for c in ref_columns}})
        part["_ref"] = part["cluster_id"] if ref_level == "cluster" else DISTRICT
        part = part.merge(ref, on=["_ref", "subject"], how="left")
        part["ref_mean"] = part["_ref_mean"]
        part["mean_diff"] = part["mean"] - part["ref_mean"]
        part["above_mean_rate"] = part["mean"] / part["ref_mean"] - 1.0  # 超均率
        for c in ("excellent_rate", "pass_rate", "low_rate"):
            part[f"{c}_diff"] = part[c] - part[f"_ref_{c}"]
        by = ["_ref", "subject"]
        part["rank"] = part.groupby(by)["mean"].rank(method="min", ascending=False).astype(np.int64)
        part["peers"] = part.groupby(by)["mean"].transform("size").astype(np.int64)
        if level == "class":
            part["rank_in_school"] = (part.groupby(["school_id", "subject"])["mean"]
                                      .rank(method="min", ascending=False).astype(np.int64))
        parts.append(part.drop(columns=[c for c in part.columns if c.startswith("_")]))
    out = pd.concat(parts, ignore_index=True)
    if "rank_in_school" in out:
        out["rank_in_school"] = out["rank_in_school"].astype("Int64")
    return out


def band_labels(policy: AnalysisPolicy) -> list[str]:
    edges = policy.band_edges
    return [f"{lo:.0%}–{hi:.0%}" if i == len(edges) - 2 else f"{lo:.0%}–<{hi:.0%}"
            for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]


def band_index(score_rate: np.ndarray, policy: AnalysisPolicy) -> np.ndarray:
    """Band of each score rate: lower edge inclusive, upper exclusive, except that full marks fall
    in the top band."""
    edges = np.asarray(policy.band_edges)
    index = np.searchsorted(edges, np.asarray(score_rate) + _EPS, side="right") - 1
    return np.clip(index, 0, len(edges) - 2)


def score_bands(scores: pd.DataFrame, policy: AnalysisPolicy) -> pd.DataFrame:
    """Counts per score band (分数段) for every level, group and subject, with zero counts filled:
    level, group_id, subject, band, label, lower_score, upper_score, count, share."""
    labels = band_labels(policy)
    edges = np.asarray(policy.band_edges)
    work = scores[["class_id", "school_id", "cluster_id", "district_id", "subject", "full_marks"]].copy()
    work["band"] = band_index(scores["score_rate"].to_numpy(), policy)
    frames = []
    for level in LEVELS:
        key = LEVEL_KEY[level]
        counts = work.groupby([key, "subject", "band"], observed=True).size().unstack("band", fill_value=0)
        counts = counts.reindex(columns=range(len(labels)), fill_value=0)
        full = work.groupby([key, "subject"], observed=True)["full_marks"].max()
        long = counts.stack().rename("count").reset_index().rename(columns={key: "group_id"})
        fm = full.reindex(pd.MultiIndex.from_frame(long[["group_id", "subject"]])).to_numpy()
        long = plain(long)
        long.insert(0, "level", level)
        long["label"] = np.asarray(labels, dtype=object)[long["band"].to_numpy()]
        long["lower_score"] = edges[long["band"].to_numpy()] * fm
        long["upper_score"] = edges[long["band"].to_numpy() + 1] * fm
        long["share"] = long["count"] / long.groupby(["group_id", "subject"])["count"].transform("sum")
        frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    return out[["level", "group_id", "subject", "band", "label", "lower_score", "upper_score", "count", "share"]]


def one_point_segments(scores: pd.DataFrame) -> pd.DataFrame:
    """一分一段表: for each scope (the whole population, and each cluster when there are several)
    and subject, the number of students in each one-point segment [s, s + 1) from the highest
    score down, with the cumulative count (students scoring ≥ s) and its share."""
    scopes = [("district", DISTRICT, scores)]
    clusters = scores["cluster_id"].unique()
    if len(clusters) > 1:
        scopes += [("cluster", c, scores[scores["cluster_id"] == c]) for c in sorted(clusters)]
    frames = []
    for level, group_id, part in scopes:
        for subject, sub in part.groupby("subject", sort=True, observed=True):
            points = np.floor(sub["score"].to_numpy() + 1e-9).astype(np.int64)
            low, high = points.min(), points.max()
            counts = np.bincount(points - low, minlength=high - low + 1)[::-1]
            cumulative = np.cumsum(counts)
            frames.append(pd.DataFrame({
                "level": level, "group_id": str(group_id), "subject": str(subject),
                "score": np.arange(high, low - 1, -1), "count": counts, "cumulative": cumulative,
                "cumulative_share": cumulative / len(points),
            }))
    return pd.concat(frames, ignore_index=True)
