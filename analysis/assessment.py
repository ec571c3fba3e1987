"""Unified assessment (统一考核) and bundled evaluation (捆绑评价), DOMAIN.md "Joint exams".

Class score of one exam = 100 × (w_e · excellent_rate + w_p · pass_rate + w_i · improvement_rate),
weights from the policy normalised to sum 1 and the same for every school. One formula for every
class of an exam: when the exam has no previous exam (or the improvement weight is 0) the
improvement term is dropped for all and the other two keep their ratio; otherwise a class without
an improvement rate (too few students matched with the previous exam) has no score rather than a
score on another formula. `score_basis` says which formula applied.
A teacher's score pools the students of all their classes in the subject (so a class of 50 weighs
more than a class of 20), then applies the same formula.
Classes and teachers with fewer than `min_ranked_students` students are shown but not ranked
(`ranked` false, rank empty); the others are ranked within cluster and subject, `peers` of them.

Bundled evaluation: for each (mentor, apprentice) pair, the sum of the class scores of the classes
either of them teaches, over the year's quality tests; for each pair group (a mentor and all their
apprentices) the sum over the group's classes, ranked.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.policy import AnalysisPolicy
from analysis.stats import TOTAL

BASIS_WITH_IMPROVEMENT = "excellent+pass+improvement"
BASIS_WITHOUT_IMPROVEMENT = "excellent+pass"


def weighted_score(excellent: pd.Series, passed: pd.Series, improvement: pd.Series, policy: AnalysisPolicy,
                   with_improvement: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(score 0–100, basis) per row, with one formula for all rows.

    with_improvement: whether the exam has an improvement rate (a previous exam); None: when any row
    has one. With it (and an improvement weight > 0) a row without an improvement rate scores NaN."""
    ir = improvement.to_numpy(dtype=float)
    if with_improvement is None:
        with_improvement = bool((~np.isnan(ir)).any())
    use = with_improvement and policy.teacher_weights(with_improvement=True)[2] > 0
    we, wp, wi = policy.teacher_weights(with_improvement=use)
    er = excellent.to_numpy(dtype=float)
    pr = passed.to_numpy(dtype=float)
    score = (we * er + wp * pr + (wi * ir if use else 0.0)) * 100.0
    basis = np.full(len(er), BASIS_WITH_IMPROVEMENT if use else BASIS_WITHOUT_IMPROVEMENT, dtype=object)
    return np.asarray(score, dtype=float), basis


def rank_within(table: pd.DataFrame, score: str, size: str, by: list[str], policy: AnalysisPolicy) -> pd.DataFrame:
    """`ranked` (size ≥ min_ranked_students and a score), `rank` among the ranked of the same `by`
    groups (1 = best, ties share the best rank; empty when not ranked) and `peers` (how many ranked)."""
    ranked = (table[size].to_numpy(dtype=float) >= policy.min_ranked_students) & table[score].notna().to_numpy()
    values = table[score].where(ranked)
    table = table.assign(ranked=ranked)
    table["rank"] = values.groupby([table[c] for c in by]).rank(method="min", ascending=False).astype("Int64")
    table["peers"] = table.assign(_r=ranked.astype(np.int64)).groupby(by)["_r"].transform("sum").astype(np.int64)
    return table


def _teacher_of(class_teachers: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("class_id", "subject", "teacher_id") if c not in class_teachers]
    if missing:
        raise ValueError(f"class_teachers lacks columns {missing}")
    ct = class_teachers[["class_id", "subject", "teacher_id"]].astype(str)
    duplicated = ct.duplicated(["class_id", "subject"])
    if duplicated.any():
        raise ValueError("class_teachers names two teachers for one class and subject: "
                         f"{ct.loc[duplicated, ['class_id', 'subject']].head().values.tolist()}")
    return ct


def class_assessment(exam_id: str, summary: pd.DataFrame, class_teachers: pd.DataFrame,
                     policy: AnalysisPolicy, has_previous: bool | None = None) -> pd.DataFrame:
    """One row per class and subject: exam_id, class_id, school_id, cluster_id, subject, teacher_id,
    students, mean, excellent_rate, pass_rate, low_rate, improvement_rate, class_score, score_basis,
    ranked, rank (within cluster and subject), peers."""
    rows = summary[(summary["level"] == "class") & (summary["subject"] != TOTAL)]
    improvement = rows["improvement_rate"] if "improvement_rate" in rows else pd.Series(np.nan, index=rows.index)
    out = pd.DataFrame({
        "exam_id": exam_id, "class_id": rows["group_id"].to_numpy(), "school_id": rows["school_id"].to_numpy(),
        "cluster_id": rows["cluster_id"].to_numpy(), "subject": rows["subject"].to_numpy(),
        "students": rows["students"].to_numpy(), "mean": rows["mean"].to_numpy(),
        "excellent_rate": rows["excellent_rate"].to_numpy(), "pass_rate": rows["pass_rate"].to_numpy(),
        "low_rate": rows["low_rate"].to_numpy(), "improvement_rate": improvement.to_numpy(dtype=float),
    })
    out = out.merge(_teacher_of(class_teachers), on=["class_id", "subject"], how="left")
    out["class_score"], out["score_basis"] = weighted_score(out["excellent_rate"], out["pass_rate"],
                                                            out["improvement_rate"], policy, has_previous)
    out = rank_within(out, "class_score", "students", ["cluster_id", "subject"], policy)
    columns = ["exam_id", "class_id", "school_id", "cluster_id", "subject", "teacher_id", "students", "mean",
               "excellent_rate", "pass_rate", "low_rate", "improvement_rate", "class_score", "score_basis", "ranked",
               "rank", "peers"]
    return out[columns].sort_values(["subject", "class_id"]).reset_index(drop=True)


def teacher_assessment(exam_id: str, students: pd.DataFrame, class_teachers: pd.DataFrame,
                       policy: AnalysisPolicy) -> pd.DataFrame:
    """One row per teacher and subject, pooling the students of all their classes.

    students: the student × subject rows of `analysis.stats.student_scores` (class_id and subject
    categorical; with `matched` and `improved` when there is a previous exam).
    Columns: exam_id, teacher_id, subject, cluster_id, school_ids, class_ids, classes, students, mean,
    excellent_rate, pass_rate, low_rate, matched_students, improvement_rate, teacher_score,
    score_basis, ranked, rank (within cluster and subject among the ranked, 1 = best), peers.
    """
    columns = ["exam_id", "teacher_id", "subject", "cluster_id", "school_ids", "class_ids", "classes", "students",
               "mean", "excellent_rate", "pass_rate", "low_rate", "matched_students", "improvement_rate",
               "teacher_score", "score_basis", "ranked", "rank", "peers"]
    ct = _teacher_of(class_teachers)
    rows = students[students["subject"] != TOTAL]
    class_names = rows["class_id"].cat.categories
    subject_names = rows["subject"].cat.categories
    teacher_codes, teacher_names = pd.factorize(ct["teacher_id"])
    # teacher of each (class, subject) as a lookup table on the categorical codes
    lookup = np.full((len(class_names), len(subject_names)), -1, dtype=np.int64)
    ci = pd.Index(class_names).get_indexer(ct["class_id"])
    si = pd.Index(subject_names).get_indexer(ct["subject"])
    ok = (ci >= 0) & (si >= 0)
    lookup[ci[ok], si[ok]] = teacher_codes[ok]
    class_code = rows["class_id"].cat.codes.to_numpy()
    subject_code = rows["subject"].cat.codes.to_numpy()
    teacher = lookup[class_code, subject_code]
    taught = teacher >= 0
    if not taught.any():
        return pd.DataFrame(columns=columns)
    has_previous = "matched" in rows
    work = pd.DataFrame({
        "teacher": teacher[taught], "subject_code": subject_code[taught],
        "score": rows["score"].to_numpy()[taught],
        "excellent": rows["excellent"].to_numpy(dtype=float)[taught],
        "pass": rows["pass"].to_numpy(dtype=float)[taught], "low": rows["low"].to_numpy(dtype=float)[taught],
        "matched": rows["matched"].to_numpy(dtype=float)[taught] if has_previous else 0.0,
        "improved": rows["improved"].to_numpy(dtype=float)[taught] if has_previous else 0.0,
        "cluster": rows["cluster_id"].cat.codes.to_numpy()[taught],
    })
    out = work.groupby(["teacher", "subject_code"], sort=True).agg(
        cluster=("cluster", "first"), students=("score", "size"), mean=("score", "mean"),
        excellent_rate=("excellent", "mean"), pass_rate=("pass", "mean"), low_rate=("low", "mean"),
        matched_students=("matched", "sum"), improved=("improved", "sum"),
    ).reset_index()
    out["teacher_id"] = teacher_names.to_numpy(dtype=object)[out["teacher"].to_numpy()]
    out["subject"] = np.asarray(subject_names, dtype=object)[out["subject_code"].to_numpy()]
    out["cluster_id"] = np.asarray(rows["cluster_id"].cat.categories, dtype=object)[out["cluster"].to_numpy()]
    # the classes (and their schools) each teacher taught in this exam: a few thousand pairs at most
    n_classes, n_subjects = len(class_names), len(subject_names)
    combo = (teacher[taught].astype(np.int64) * n_subjects + subject_code[taught]) * n_classes + class_code[taught]
    combo = pd.unique(combo)
    school_of_class = dict(zip(rows["class_id"].to_numpy(), rows["school_id"].to_numpy()))
    classes_of: dict[tuple[int, int], set] = {}
    for value in combo.tolist():
        rest, c = divmod(value, n_classes)
        t, j = divmod(rest, n_subjects)
        classes_of.setdefault((t, j), set()).add(class_names[c])
    keys = list(zip(out["teacher"], out["subject_code"]))
    out["class_ids"] = [";".join(sorted(classes_of[k])) for k in keys]
    out["school_ids"] = [";".join(sorted({str(school_of_class[c]) for c in classes_of[k]})) for k in keys]
    out["classes"] = [len(classes_of[k]) for k in keys]
    out["matched_students"] = out["matched_students"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = out["improved"] / out["matched_students"]
    enough = out["matched_students"] >= policy.improvement_min_students
    out["improvement_rate"] = np.where(has_previous & enough, rate, np.nan)
    out["teacher_score"], out["score_basis"] = weighted_score(out["excellent_rate"], out["pass_rate"],
                                                              out["improvement_rate"], policy, has_previous)
    out = rank_within(out, "teacher_score", "students", ["cluster_id", "subject"], policy)
    out.insert(0, "exam_id", exam_id)
    return (out[columns].sort_values(["subject", "cluster_id", "rank", "teacher_id"], na_position="last")
            .reset_index(drop=True))


# --- bundled evaluation (捆绑评价) ------------------------------------------------------------------

@dataclass
class BundledEvaluation:
    pairs: pd.DataFrame  # mentor_id, apprentice_id, tests, mentor_class_tests, apprentice_class_tests,
    #                      mentor_score, apprentice_score, pair_score, score_per_class_test, rank, peers
    groups: pd.DataFrame  # mentor_id, apprentices, members, tests, class_tests, group_score,
    #                       score_per_class_test, rank, peers
    tests: list[str]  # exam ids summed over
    notes: list[str]


def normalise_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """mentor_id, apprentice_id from a pairs table. Accepts (mentor_id, apprentice_id), (mentor,
    apprentice), or a rotation.csv-like table (teacher_id, mentor_of)."""
    if {"mentor_id", "apprentice_id"} <= set(pairs.columns):
        out = pairs[["mentor_id", "apprentice_id"]]
    elif {"mentor", "apprentice"} <= set(pairs.columns):
        out = pairs[["mentor", "apprentice"]].set_axis(["mentor_id", "apprentice_id"], axis=1)
    elif {"teacher_id", "mentor_of"} <= set(pairs.columns):
        out = pairs[["teacher_id", "mentor_of"]].set_axis(["mentor_id", "apprentice_id"], axis=1)
    else:
        raise ValueError("pairs needs columns mentor_id and apprentice_id (or mentor/apprentice, or "
                         f"teacher_id/mentor_of); it has {list(pairs.columns)}")
    out = out.dropna()
    out = out[(out["mentor_id"].astype(str) != "") & (out["apprentice_id"].astype(str) != "")]
    return out.astype(str).drop_duplicates().reset_index(drop=True)


def bundled_evaluation(class_scores: pd.DataFrame | Sequence, pairs: pd.DataFrame,
                       policy: AnalysisPolicy | None = None) -> BundledEvaluation:
    """Bundled evaluation over the year's quality tests.

    class_scores: the `class_assessment` tables of the year's tests concatenated (exam_id, class_id,
    subject, teacher_id, class_score), or a sequence of ExamAnalysis objects.
    pairs: see normalise_pairs. A class-test counts once for a pair or group even if two members
    teach it (different subjects are different rows, so that happens only with duplicated input).
    """
    policy = policy or AnalysisPolicy()
    if not isinstance(class_scores, pd.DataFrame):
        class_scores = pd.concat([a.class_assessment for a in class_scores], ignore_index=True)
    scores = class_scores[["exam_id", "class_id", "subject", "teacher_id", "class_score"]].dropna(
        subset=["teacher_id"]).drop_duplicates(["exam_id", "class_id", "subject"])
    tests = sorted(scores["exam_id"].astype(str).unique())
    notes = []
    if len(tests) != policy.quality_tests_per_year:
        notes.append(f"{len(tests)} quality tests given; the policy expects {policy.quality_tests_per_year} a year")
    unscored = scores[scores["class_score"].isna()]
    if len(unscored):
        notes.append(f"{len(unscored)} class-test(s) without a class score (too few students matched with the "
                     "previous exam) add nothing to their pair's sum")
    pairs = normalise_pairs(pairs)
    known = set(scores["teacher_id"].astype(str))
    absent = sorted((set(pairs["mentor_id"]) | set(pairs["apprentice_id"])) - known)
    if absent:
        notes.append(f"teachers with no class in the tests (score 0): {', '.join(absent[:10])}")

    by_teacher = {t: part for t, part in scores.groupby(scores["teacher_id"].astype(str))}
    empty = scores.iloc[0:0]

    def rows_of(teachers) -> pd.DataFrame:
        parts = [by_teacher.get(t, empty) for t in teachers]
        return pd.concat(parts).drop_duplicates(["exam_id", "class_id", "subject"]) if parts else empty

    pair_rows = []
    for mentor, apprentice in pairs.itertuples(index=False):
        m, a, both = rows_of([mentor]), rows_of([apprentice]), rows_of([mentor, apprentice])
        pair_rows.append({
            "mentor_id": mentor, "apprentice_id": apprentice, "tests": both["exam_id"].nunique(),
            "mentor_class_tests": len(m), "apprentice_class_tests": len(a),
            "mentor_score": m["class_score"].sum(), "apprentice_score": a["class_score"].sum(),
            "pair_score": both["class_score"].sum(),
            "score_per_class_test": both["class_score"].mean() if len(both) else np.nan,
        })
    pair_table = _ranked(pd.DataFrame(pair_rows, columns=[
        "mentor_id", "apprentice_id", "tests", "mentor_class_tests", "apprentice_class_tests", "mentor_score",
        "apprentice_score", "pair_score", "score_per_class_test"]), "pair_score")

    group_rows = []
    for mentor, members in pairs.groupby("mentor_id", sort=True)["apprentice_id"]:
        apprentices = sorted(set(members))
        rows = rows_of([mentor, *apprentices])
        group_rows.append({
            "mentor_id": mentor, "apprentices": ";".join(apprentices), "members": 1 + len(apprentices),
            "tests": rows["exam_id"].nunique(), "class_tests": len(rows), "group_score": rows["class_score"].sum(),
            "score_per_class_test": rows["class_score"].mean() if len(rows) else np.nan,
        })
    group_table = _ranked(pd.DataFrame(group_rows, columns=[
        "mentor_id", "apprentices", "members", "tests", "class_tests", "group_score", "score_per_class_test"]),
        "group_score")
    return BundledEvaluation(pairs=pair_table, groups=group_table, tests=tests, notes=notes)


def _ranked(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rank by `column` (1 = best) the pairs or groups that taught in at least one of the tests; the
    others (e.g. teachers of another grade or cluster) are listed without a rank."""
    taught = table["tests"] > 0
    table["rank"] = table[column].where(taught).rank(method="min", ascending=False).astype("Int64")
    table["peers"] = int(taught.sum())
    return table.sort_values(["rank", table.columns[0]], na_position="last").reset_index(drop=True)
