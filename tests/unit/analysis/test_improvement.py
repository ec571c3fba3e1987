"""The improvement rate (提高率) against what the students' prior results predict: a hand computation, and
a simulation with no true change in which every stream scores about one half (the old z-gain rate did
not: it followed the stream)."""
import numpy as np
import pandas as pd
import pytest

from analysis.improvement import fit_expected
from analysis.pipeline import analyse_exam
from analysis.policy import AnalysisPolicy


def _exam(exam_id, students, classes, subject_scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per student and subject (a one-item paper of 100 marks)."""
    return pd.concat([pd.DataFrame({"exam_id": exam_id, "student_id": students, "school_id": "S1", "class_id": classes,
                                    "subject": subject, "item_id": f"{subject}-1", "score": values})
                      for subject, values in subject_scores.items()], ignore_index=True)


def _context(classes, subjects):
    names = sorted(set(classes))
    items = pd.DataFrame({"subject": subjects, "item_id": [f"{s}-1" for s in subjects], "max_score": 100.0})
    schools = pd.DataFrame({"school_id": ["S1"], "cluster_id": ["CL"], "name": ["一中"]})
    class_table = pd.DataFrame({"class_id": names, "school_id": "S1", "grade": 8, "size": 0})
    teachers = pd.DataFrame([(c, s, f"T-{c}-{s}") for c in names for s in subjects],
                            columns=["class_id", "subject", "teacher_id"])
    return items, schools, class_table, teachers


def test_fit_expected_by_hand():
    # previous z −1, 0, 0, 1 and now −1, 1, −1, 1: both have mean 0, cov = (1 + 0 + 0 + 1)/4 = 0.5 and the
    # previous variance is 0.5, so the slope is 1 and the intercept 0: expected = previous z.
    expected = fit_expected(np.array([-1.0, 1.0, -1.0, 1.0]), np.array([[-1.0], [0.0], [0.0], [1.0]]))
    np.testing.assert_allclose(expected, [-1.0, 0.0, 0.0, 1.0], atol=1e-12)
    # one row: no slope can be fitted; the prediction is the mean (the row itself)
    np.testing.assert_allclose(fit_expected(np.array([0.3]), np.array([[2.0]])), [0.3])
    # with a class context: previous z −√2, 0, 0, √2 in classes A, A, B, B whose mean previous z are
    # c = −√2/2, −√2/2, √2/2, √2/2; now −1, 1, −1, 1. Normal equations on the centred predictors:
    # [p·p p·c; c·p c·c] = [4 2; 2 2], [p·z; c·z] = [2√2; 0] → b = √2, c = −√2, intercept 0:
    # expected = √2·p − √2·c = −1, 1, −1, 1 = z. The class means explain that class B fell back, so
    # nobody is above expectation.
    r = np.sqrt(2)
    predictors = np.array([[-r, -r / 2], [0, -r / 2], [0, r / 2], [r, r / 2]])
    np.testing.assert_allclose(fit_expected(np.array([-1.0, 1, -1, 1]), predictors), [-1, 1, -1, 1], atol=1e-12)


def test_improvement_rate_by_hand():
    """Four students, one paper, two classes.

    previous scores 40, 50, 50, 60: mean 50, SD √50 ≈ 7.07, so z_prev = −√2, 0, 0, √2;
    current scores  40, 60, 40, 60: mean 50, SD 10,         so z      = −1, 1, −1, 1.
    Expected z = b·z_prev with b = mean(z·z_prev) = (√2 + 0 + 0 + √2)/4 = √2/2 (intercept 0), i.e.
    −1, 0, 0, 1; value added = z − expected = 0, 1, −1, 0: only student b improved (0 is not above).
    Class A (a, b): 1 of 2 = 50 %; class B (c, d): 0 %. The old z-gain rate (z − z_prev ≥ 0.1, gains
    0.41, 1, −1, −0.41) gives class A 100 % and class B 0 %.
    """
    students, classes = ["a", "b", "c", "d"], ["A", "A", "B", "B"]
    before = _exam("E1", students, classes, {"math": np.array([40.0, 50, 50, 60])})
    now = _exam("E2", students, classes, {"math": np.array([40.0, 60, 40, 60])})
    items, schools, class_table, teachers = _context(classes, ["math"])
    policy = AnalysisPolicy(improvement_min_students=1, min_ranked_students=1, improvement_class_context=False)
    a = analyse_exam(now, items, schools, class_table, teachers, before, policy, previous_items=items)
    rows = a.summary[(a.summary["level"] == "class") & (a.summary["subject"] == "math")].set_index("group_id")
    assert rows.loc["A", "improvement_rate"] == pytest.approx(0.5)
    assert rows.loc["B", "improvement_rate"] == pytest.approx(0.0)
    assert rows.loc["A", "value_added"] == pytest.approx(0.5) and rows.loc["B", "value_added"] == pytest.approx(-0.5)
    math = a.student_scores[a.student_scores["subject"] == "math"].set_index("student_id")
    np.testing.assert_allclose(math.loc[list("abcd"), "expected_z"], [-1, 0, 0, 1], atol=1e-12)

    old = analyse_exam(now, items, schools, class_table, teachers, before,
                       AnalysisPolicy(improvement_basis="z_gain", improvement_min_students=1), previous_items=items)
    rows = old.summary[(old.summary["level"] == "class") & (old.summary["subject"] == "math")].set_index("group_id")
    assert rows.loc["A", "improvement_rate"] == 1.0 and rows.loc["B", "improvement_rate"] == 0.0


def _no_change(seed: int, streamed_by: str = "previous", n_per_stream: int = 600, streams: int = 4,
               classes_per_stream: int = 1):
    """A cohort whose true attainment does not change between two exams, in four streamed classes
    (分层分班): by the previous total (the setting in which the z-gain rate showed regression to the
    mean) or by true attainment θ. Subject ability = 0.8 θ + 0.6 noise; each exam adds its own error
    (SD 0.6, a paper's reliability of about 0.75)."""
    rng = np.random.default_rng(seed)
    n = n_per_stream * streams
    subjects = ["chinese", "math", "english"]
    theta = rng.normal(0, 1, n)
    ability = {s: 0.8 * theta + 0.6 * rng.normal(0, 1, n) for s in subjects}

    def sit() -> dict[str, np.ndarray]:
        return {s: np.clip(np.round(60 + 15 * (ability[s] + rng.normal(0, 0.6, n))), 0, 100) for s in subjects}

    before, now = sit(), sit()
    key = sum(before.values()) if streamed_by == "previous" else theta
    stream = np.empty(n, dtype=int)
    stream[np.argsort(key, kind="stable")] = np.arange(n) * streams // n  # 0 = bottom stream
    part = np.arange(n) % classes_per_stream  # classes of a stream: every k-th student
    classes = np.array([f"stream{k + 1}" + (f"-{c + 1}" if classes_per_stream > 1 else "") for k, c in
                        zip(stream, part)], dtype=object)
    students = np.array([f"S{i:05d}" for i in range(n)], dtype=object)
    return (_exam("E1", students, classes, before), _exam("E2", students, classes, now),
            *_context(list(classes), subjects))


def _by_stream(analysis) -> pd.DataFrame:
    """Improvement rate per stream (its classes pooled) and paper."""
    rows = analysis.student_scores[analysis.student_scores["matched"]].astype({"class_id": object, "subject": object})
    rows = rows.assign(stream=rows["class_id"].str.split("-").str[0])
    return rows.groupby(["stream", "subject"])["improved"].mean().unstack("subject")


@pytest.mark.parametrize("streamed_by", ["previous", "ability"])
def test_no_true_change_means_about_half_in_every_stream(streamed_by):
    """Four streams of five classes (20 classes, so the class context is used)."""
    before, now, items, schools, classes, teachers = _no_change(seed=11, streamed_by=streamed_by, classes_per_stream=5)
    a = analyse_exam(now, items, schools, classes, teachers, before, previous_items=items)
    # every stream, every paper and the total: one half, give or take sampling noise (600 students: SE 2 points)
    streams = _by_stream(a)
    assert ((streams - 0.5).abs() < 0.06).all().all(), streams
    classes_rates = a.summary.loc[a.summary["level"] == "class", "improvement_rate"]
    assert ((classes_rates - 0.5).abs() < 0.16).all()  # 120 students a class: SE 4.6 points
    if streamed_by == "previous":  # the old rate follows the stream (regression to the mean)
        old = analyse_exam(now, items, schools, classes, teachers, before, AnalysisPolicy(improvement_basis="z_gain"),
                           previous_items=items)
        streams = _by_stream(old)
        assert (streams.loc["stream1"] - streams.loc["stream4"] > 0.12).all(), streams


def test_a_class_that_pulls_ahead_scores_above_half():
    """Twenty classes (five per stream); one class gains 10 marks in math (about half an SD), nothing else
    changes: its students beat their prediction by about that much, so well over half of them improve."""
    before, now, items, schools, classes, teachers = _no_change(seed=12, n_per_stream=500, classes_per_stream=5)
    gained = now["class_id"].eq("stream2-1") & now["subject"].eq("math")
    now = now.assign(score=np.where(gained, np.clip(now["score"] + 10, 0, 100), now["score"]))
    a = analyse_exam(now, items, schools, classes, teachers, before, previous_items=items)
    math = a.summary[(a.summary["level"] == "class") & (a.summary["subject"] == "math")].set_index("group_id")
    assert math.loc["stream2-1", "improvement_rate"] > 0.7 and math.loc["stream2-1", "value_added"] > 0.35
    others = math.drop(index="stream2-1")["improvement_rate"]
    assert math["improvement_rate"].idxmax() == "stream2-1" and abs(others.mean() - 0.5) < 0.03
    teachers = a.teacher_assessment[a.teacher_assessment["subject"] == "math"].set_index("teacher_id")
    assert teachers["improvement_rate"].idxmax() == "T-stream2-1-math"
