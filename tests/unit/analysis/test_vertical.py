"""Improvement rate (提高率) and the other vertical columns against a hand computation."""
import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import analyse_exam
from analysis.policy import AnalysisPolicy


def _z_table(scores: pd.DataFrame, full: dict) -> pd.DataFrame:
    """student × subject (and total for students who sat every subject) with z over everyone."""
    per = scores.groupby(["student_id", "subject"])["score"].sum().rename("score").reset_index()
    n_subjects = scores["subject"].nunique()
    complete = per.groupby("student_id")["subject"].transform("size") == n_subjects
    total = per[complete].groupby("student_id")["score"].sum().rename("score").reset_index().assign(subject="total")
    per = pd.concat([per, total], ignore_index=True)
    per["z"] = per.groupby("subject")["score"].transform(lambda x: (x - x.mean()) / x.std(ddof=0))
    full = {**full, "total": sum(full.values())}
    per["pass"] = per["score"] / per["subject"].map(full) >= 0.6 - 1e-9
    return per


def _matched(exam) -> pd.DataFrame:
    """Students × subjects (and total) sat in both exams, with z now and before, computed independently."""
    now = _z_table(exam.scores, exam.items.groupby("subject")["max_score"].sum().to_dict())
    before = _z_table(exam.previous_scores, exam.previous_items.groupby("subject")["max_score"].sum().to_dict())
    both = now.merge(before, on=["student_id", "subject"], suffixes=("", "_prev"))
    totals = before[before["subject"] == "total"][["student_id", "z"]].rename(columns={"z": "z_prev_total"})
    both = both.merge(totals, on="student_id", how="left")
    info = exam.scores.drop_duplicates("student_id")[["student_id", "school_id", "class_id"]]
    return both.merge(info, on="student_id")


def _check_rates(analysis, both):
    summary = analysis.summary.set_index(["level", "group_id", "subject"])
    for level, key in (("school", "school_id"), ("class", "class_id")):
        for (group, subject), part in both.groupby([key, "subject"]):
            row = summary.loc[(level, group, subject)]
            assert row["matched_students"] == len(part)
            assert row["improvement_rate"] == pytest.approx(part["improved"].mean())
            assert row["mean_z_change"] == pytest.approx((part["z"] - part["z_prev"]).mean())
            assert row["prev_pass_rate"] == pytest.approx(part["pass_prev"].mean())
            assert row["pass_rate_change"] == pytest.approx(part["pass"].mean() - part["pass_prev"].mean())
    rates = analysis.summary["improvement_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all() and rates.std() > 0.02  # classes differ (class growth effect)


def test_expected_basis_matches_an_independent_regression(exam, analysis):
    """The default basis: above the z predicted by the normal equations (XᵀX)b = Xᵀz, per subject, on
    [1, previous subject z, previous total z, the class's mean previous subject z] (the total alone for
    the total; no total for students without a previous total)."""
    both = _matched(exam)
    both["class_prev"] = both.groupby(["class_id", "subject"])["z_prev"].transform("mean")
    both["expected"] = np.nan
    for subject, part in both.groupby("subject"):
        for has_total, rows in part.groupby(part["z_prev_total"].notna()):
            columns = ["z_prev"] if subject == "total" or not has_total else ["z_prev", "z_prev_total"]
            x = np.column_stack([np.ones(len(rows)), rows[columns + ["class_prev"]].to_numpy()])
            b = np.linalg.solve(x.T @ x, x.T @ rows["z"].to_numpy())
            both.loc[rows.index, "expected"] = x @ b
    both["improved"] = both["z"] - both["expected"] > 1e-12
    _check_rates(analysis, both)
    s = analysis.summary.set_index(["level", "group_id", "subject"])
    district = s.loc[("district", "district", "math")]
    assert district["improvement_rate"] == pytest.approx(0.5, abs=0.05)  # residuals of a fit centre on 0
    assert district["value_added"] == pytest.approx(0.0, abs=1e-9)


def test_z_gain_basis_matches_a_hand_computation(exam):
    analysis = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                            exam.previous_scores, AnalysisPolicy(improvement_basis="z_gain"),
                            previous_items=exam.previous_items)
    both = _matched(exam)
    both["improved"] = both["z"] - both["z_prev"] >= 0.1 - 1e-12
    _check_rates(analysis, both)


def test_small_groups_get_no_rate_and_no_previous_means_no_rate(exam):
    policy = AnalysisPolicy(improvement_min_students=60)  # more than any class, fewer than any school
    analysis = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers,
                            exam.previous_scores, policy)
    s = analysis.summary
    assert s.loc[s["level"] == "class", "improvement_rate"].isna().all()
    assert s.loc[s["level"] == "school", "improvement_rate"].notna().all()
    # previous_items not given: z-based rate is there, previous rates are not
    assert s["prev_pass_rate"].isna().all() and any("previous_items" in w for w in analysis.warnings)
    # one formula for every class of the exam: a class without an improvement rate gets no score on
    # another formula; it is shown but not ranked
    ca = analysis.class_assessment
    assert (ca["score_basis"] == "excellent+pass+improvement").all()
    assert ca["class_score"].isna().all() and not ca["ranked"].any() and ca["rank"].isna().all()

    alone = analyse_exam(exam.scores, exam.items, exam.schools, exam.classes, exam.class_teachers)
    assert not alone.has_previous and alone.summary["improvement_rate"].isna().all()
    assert (alone.teacher_assessment["score_basis"] == "excellent+pass").all()


def test_a_class_that_gained_has_a_higher_rate():
    """Two classes, the same students twice; class B's students all gain 1 SD of raw score."""
    rng = np.random.default_rng(3)
    n = 40
    ids = [f"S{i:03d}" for i in range(2 * n)]
    base = rng.normal(50, 10, 2 * n).clip(0, 100).round()
    after = base.copy()
    after[n:] = (after[n:] + 10).clip(0, 100)

    def frame(exam_id, values):
        return pd.DataFrame({"exam_id": exam_id, "student_id": ids, "school_id": "S1",
                             "class_id": ["A"] * n + ["B"] * n, "subject": "math", "item_id": "1", "score": values})

    items = pd.DataFrame({"subject": ["math"], "item_id": ["1"], "max_score": [100.0]})
    schools = pd.DataFrame({"school_id": ["S1"], "cluster_id": ["CL"], "name": ["一中"]})
    classes = pd.DataFrame({"class_id": ["A", "B"], "school_id": "S1", "grade": 8, "size": n})
    teachers = pd.DataFrame({"class_id": ["A", "B"], "subject": "math", "teacher_id": ["TA", "TB"]})
    a = analyse_exam(frame("E2", after), items, schools, classes, teachers, frame("E1", base), previous_items=items)
    rows = a.summary[(a.summary["level"] == "class") & (a.summary["subject"] == "math")].set_index("group_id")
    assert rows.loc["B", "improvement_rate"] > 0.9 and rows.loc["A", "improvement_rate"] < 0.1
    assert rows.loc["B", "mean_z_change"] > 0 > rows.loc["A", "mean_z_change"]
    scores = a.teacher_assessment.set_index("teacher_id")["teacher_score"]
    assert scores["TB"] > scores["TA"]
