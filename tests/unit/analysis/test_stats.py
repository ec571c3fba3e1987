"""三率一分, standard scores, ranks, bands and 一分一段 against independent computations."""
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.policy import AnalysisPolicy
from analysis.stats import band_index, rate_flags


def _per_student(exam):
    """Independent totals: subject scores summed from the long rows with plain pandas."""
    subject = exam.scores.groupby(["student_id", "subject"])["score"].sum().rename("score").reset_index()
    info = exam.scores.drop_duplicates("student_id")[["student_id", "school_id", "class_id"]]
    subject = subject.merge(info, on="student_id")
    n_subjects = exam.scores["subject"].nunique()
    complete = subject.groupby("student_id")["subject"].transform("size") == n_subjects
    total = subject[complete].groupby(["student_id", "school_id", "class_id"])["score"].sum().reset_index()
    total["subject"] = "total"
    return pd.concat([subject, total], ignore_index=True)


def test_group_statistics_match_a_hand_computation(exam, analysis):
    policy = analysis.policy
    full = exam.items.groupby("subject")["max_score"].sum().to_dict()
    full["total"] = sum(full.values())
    students = _per_student(exam)
    summary = analysis.summary.set_index(["level", "group_id", "subject"])
    for (school, subject), part in students.groupby(["school_id", "subject"]):
        x = part["score"].to_numpy()
        row = summary.loc[("school", school, subject)]
        assert row["students"] == len(x)
        assert row["mean"] == pytest.approx(x.mean())
        assert row["std"] == pytest.approx(np.sqrt(((x - x.mean()) ** 2).sum() / len(x)))  # population SD
        assert (row["max"], row["min"]) == (x.max(), x.min())
        fm = full[subject]
        assert row["full_marks"] == fm
        assert row["excellent_rate"] == pytest.approx(np.mean(x >= 0.85 * fm - 1e-9))
        assert row["pass_rate"] == pytest.approx(np.mean(x >= 0.60 * fm - 1e-9))
        assert row["low_rate"] == pytest.approx(np.mean(x < 0.40 * fm - 1e-9))
    for (cls, subject), part in students.groupby(["class_id", "subject"]):
        assert summary.loc[("class", cls, subject), "mean"] == pytest.approx(part["score"].mean())
    for subject, part in students.groupby("subject"):
        row = summary.loc[("district", "district", subject)]
        assert row["students"] == len(part) and row["mean"] == pytest.approx(part["score"].mean())
    assert policy.std_ddof == 0


def test_horizontal_comparison(analysis):
    s = analysis.summary
    schools = s[(s["level"] == "school") & (s["subject"] == "math")].set_index("group_id")
    cluster = s[(s["level"] == "cluster") & (s["subject"] == "math")].iloc[0]
    for school, row in schools.iterrows():
        assert row["ref_mean"] == pytest.approx(cluster["mean"])
        assert row["above_mean_rate"] == pytest.approx(row["mean"] / cluster["mean"] - 1)  # 超均率
        assert row["pass_rate_diff"] == pytest.approx(row["pass_rate"] - cluster["pass_rate"])
    expected_rank = sps.rankdata(-schools["mean"].to_numpy(), method="min")
    assert schools["rank"].tolist() == expected_rank.tolist()
    classes = s[(s["level"] == "class") & (s["subject"] == "total")]
    for school, part in classes.groupby("school_id"):
        assert part["rank_in_school"].tolist() == sps.rankdata(-part["mean"].to_numpy(), method="min").tolist()


def test_standard_scores_and_ranks(exam, analysis):
    ss = analysis.student_scores
    for subject, part in ss.groupby("subject"):
        np.testing.assert_allclose(part["z"], sps.zscore(part["score"].to_numpy(), ddof=0), atol=1e-12)
        np.testing.assert_allclose(part["t"], 50 + 10 * part["z"])
        np.testing.assert_array_equal(part["rank_district"], sps.rankdata(-part["score"].to_numpy(), method="min"))
        for school, sub in part.groupby("school_id"):
            np.testing.assert_array_equal(sub["rank_school"], sps.rankdata(-sub["score"].to_numpy(), method="min"))
    # ranks in the wide student table are the total's ranks
    wide = analysis.students.dropna(subset=["total"]).set_index("student_id")
    total = ss[ss["subject"] == "total"].set_index("student_id")
    assert (wide.loc[total.index, "rank_class"].to_numpy() == total["rank_class"].to_numpy()).all()
    # students absent from a subject have no total
    assert (~analysis.students["complete"]).sum() == analysis.students["total"].isna().sum() > 0


def test_thresholds_at_the_boundary_in_exact_arithmetic():
    """Scores on a half-point grid around each threshold, for awkward full marks, against exact
    rational comparisons (0.85 × 110 is 93.49999999999999 in binary, but 93.5 of 110 is 85 %)."""
    policy = AnalysisPolicy()
    for full in (100, 110, 120, 150, 73, 117, 130):
        scores = np.arange(0, 2 * full + 1) / 2
        excellent, passed, low = rate_flags(scores / full, policy)
        exact = [Fraction(int(2 * s), 2) / full for s in scores]
        assert excellent.tolist() == [r >= Fraction(85, 100) for r in exact]
        assert passed.tolist() == [r >= Fraction(60, 100) for r in exact]
        assert low.tolist() == [r < Fraction(40, 100) for r in exact]


def test_score_bands_match_a_hand_count(analysis):
    policy = analysis.policy
    edges = np.array(policy.band_edges)
    ss = analysis.student_scores
    bands = analysis.score_bands
    for (school, subject), part in ss.groupby(["school_id", "subject"]):
        rate = part["score"].to_numpy() / part["full_marks"].to_numpy()
        expected = [((rate >= lo) & ((rate < hi) if hi < 1 else (rate <= hi))).sum()
                    for lo, hi in zip(edges, edges[1:])]
        got = bands[(bands["level"] == "school") & (bands["group_id"] == school) & (bands["subject"] == subject)]
        assert got.sort_values("band")["count"].tolist() == expected
        assert got["share"].sum() == pytest.approx(1.0)
    assert band_index(np.array([0.0, 0.0999, 0.1, 0.85, 0.9999, 1.0]), policy).tolist() == [0, 0, 1, 9, 10, 10]


def test_one_point_segments(analysis):
    ss = analysis.student_scores
    seg = analysis.segments[(analysis.segments["level"] == "district") & (analysis.segments["subject"] == "total")]
    scores = ss.loc[ss["subject"] == "total", "score"].to_numpy()
    assert seg["score"].tolist() == list(range(int(scores.max()), int(scores.min()) - 1, -1))  # complete, descending
    for s, count, cumulative in seg[["score", "count", "cumulative"]].itertuples(index=False):
        assert count == ((scores >= s) & (scores < s + 1)).sum()
        assert cumulative == (scores >= s).sum()
    assert seg["cumulative"].iloc[-1] == len(scores)


from hypothesis import given, settings, strategies as st  # noqa: E402

from analysis.pipeline import analyse_exam  # noqa: E402


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), st.integers(0, 10)), min_size=1, max_size=40))
def test_group_statistics_on_random_small_exams(rows):
    """(class, item-2 score ÷ 2.5, item-1 score) per student: ties, one-student classes and zeros."""
    records = []
    for i, (cls, second, first) in enumerate(rows):
        for item, score in (("1", float(first)), ("2", 2.5 * second)):
            records.append(("E", f"S{i:02d}", f"SCH{cls % 2}", f"C{cls}", "math", item, score))
    scores = pd.DataFrame(records, columns=["exam_id", "student_id", "school_id", "class_id", "subject", "item_id",
                                            "score"])
    items = pd.DataFrame({"subject": "math", "item_id": ["1", "2"], "max_score": [10.0, 10.0]})
    schools = pd.DataFrame({"school_id": ["SCH0", "SCH1"], "cluster_id": "CL"})
    classes = scores[["class_id", "school_id"]].drop_duplicates()
    teachers = classes.assign(subject="math", teacher_id="T" + classes["class_id"])[
        ["class_id", "subject", "teacher_id"]]
    a = analyse_exam(scores, items, schools, classes, teachers)
    per_student = scores.groupby(["student_id", "class_id"])["score"].sum().reset_index()
    for cls, part in per_student.groupby("class_id"):
        row = a.summary[(a.summary["level"] == "class") & (a.summary["group_id"] == cls) &
                        (a.summary["subject"] == "math")].iloc[0]
        x = part["score"].to_numpy()
        assert row["students"] == len(x) and row["mean"] == pytest.approx(x.mean())
        assert row["std"] == pytest.approx(x.std(ddof=0), abs=1e-9)
        assert row["excellent_rate"] == pytest.approx(np.mean(x >= 17))
        assert row["pass_rate"] == pytest.approx(np.mean(x >= 12))
        assert row["low_rate"] == pytest.approx(np.mean(x < 8))
    ranks = a.student_scores[a.student_scores["subject"] == "math"]
    assert (ranks["rank_district"].to_numpy() == sps.rankdata(-ranks["score"].to_numpy(), method="min")).all()
    bands = a.score_bands[(a.score_bands["level"] == "district") & (a.score_bands["subject"] == "math")]
    assert bands["count"].sum() == len(per_student)
