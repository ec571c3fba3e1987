"""Trends over a cohort's stored exams (学情档案) and results by primary school (小学–初中衔接), by hand."""
import numpy as np
import pandas as pd
import pytest

from analysis.cohort import slope
from analysis.pipeline import analyse_exam

ITEMS = pd.DataFrame({"subject": ["math"], "item_id": ["m1"], "max_score": [100.0]})
SCHOOLS = pd.DataFrame({"school_id": ["S1", "P1", "P2"], "cluster_id": "CL", "name": ["一中", "红星小学", "向阳小学"]})
CLASSES = pd.DataFrame({"class_id": ["A", "B"], "school_id": "S1", "grade": 7, "size": 2})
TEACHERS = pd.DataFrame({"class_id": ["A", "B"], "subject": "math", "teacher_id": ["TA", "TB"]})


def _exam(exam_id, values):
    return pd.DataFrame({"exam_id": exam_id, "student_id": list("abcd"), "school_id": "S1",
                         "class_id": ["A", "A", "B", "B"], "subject": "math", "item_id": "m1", "score": values})


def test_slope_by_hand():
    # x = 0, 1, 2 and y = 1, 1, −1: mean y 1/3, Σ dx·dy = (−1)(2/3) + 0 + (1)(−4/3) = −2, Σ dx² = 2 → −1
    np.testing.assert_allclose(slope(np.array([[1.0, 1, -1], [np.nan, 2, 4], [np.nan, np.nan, 3]])),
                               [-1.0, 2.0, np.nan])


def test_trends_over_three_exams_by_hand():
    """Scores 60/40 with mean 50 and SD 10 give z = ±1 in every exam:
    E1 a b c d = 60 60 40 40 → z  1  1 −1 −1
    E2          60 40 60 40 → z  1 −1  1 −1
    E3 (now)    40 40 60 60 → z −1 −1  1  1
    Class A (a, b) mean z 1, 0, −1: slope −1; class B −1, 0, 1: slope +1; the school 0, 0, 0.
    Student a: 1, 1, −1 → slope −1 (see test_slope_by_hand); c: −1, 1, 1 → +1.
    """
    history = [("E1", _exam("E1", [60, 60, 40, 40]), ITEMS), ("E2", _exam("E2", [60, 40, 60, 40]), None)]
    a = analyse_exam(_exam("E3", [40, 40, 60, 60]), ITEMS, SCHOOLS, CLASSES, TEACHERS, history=history)
    t = a.trends
    assert t.exams == ["E1", "E2", "E3"]
    trend = t.trend.set_index(["level", "group_id", "subject"])
    assert trend.loc[("class", "A", "math"), ["first_mean_z", "last_mean_z", "z_slope"]].tolist() == \
        pytest.approx([1.0, -1.0, -1.0])
    assert trend.loc[("class", "B", "math"), "z_slope"] == pytest.approx(1.0)
    assert trend.loc[("school", "S1", "math"), "z_slope"] == pytest.approx(0.0, abs=1e-12)
    assert trend.loc[("class", "A", "math"), "exams"] == 3
    groups = t.groups.set_index(["level", "group_id", "subject", "exam_id"])
    assert groups.loc[("class", "B", "math", "E2"), ["students", "mean_z"]].tolist() == pytest.approx([2, 0.0])
    students = t.students.set_index(["student_id", "subject"])
    assert students.loc[("a", "math"), ["z_E1", "z_E2", "z_E3", "z_slope"]].tolist() == pytest.approx([1, 1, -1, -1])
    assert students.loc[("c", "math"), "z_slope"] == pytest.approx(1.0)
    assert students.loc[("c", "total"), "z_E2"] == pytest.approx(1.0)  # one paper: the total is the paper


def test_results_by_primary_school_by_hand():
    """a, b came from 红星小学 (P1), c, d from 向阳小学 (P2); now 40 40 60 60 of 100:
    P1 mean 40, z −1, pass 0 % (40 < 60), low 0 % (40 is not below 40); P2 mean 60, z 1, pass 100 %."""
    roster = pd.DataFrame({"student_id": list("abcd"), "class_id": ["A", "A", "B", "B"], "school_id": "S1",
                           "primary_school_id": ["P1", "P1", "P2", "P2"]})
    a = analyse_exam(_exam("E3", [40, 40, 60, 60]), ITEMS, SCHOOLS, CLASSES, TEACHERS, roster=roster)
    t = a.transition.set_index(["primary_school_id", "subject"])
    p1, p2 = t.loc[("P1", "math")], t.loc[("P2", "math")]
    assert (p1["students"], p1["mean"], p1["mean_z"], p1["pass_rate"], p1["low_rate"]) == pytest.approx((2, 40, -1, 0, 0))
    assert (p2["mean"], p2["mean_z"], p2["pass_rate"], p2["score_rate"]) == pytest.approx((60, 1, 1, 0.6))
    assert p1["primary_school_name"] == "红星小学" and p1["junior_schools"] == "S1"
    assert a.trends is None  # no history given
    without = analyse_exam(_exam("E3", [40, 40, 60, 60]), ITEMS, SCHOOLS, CLASSES, TEACHERS,
                           roster=roster.drop(columns="primary_school_id"))
    assert without.transition.empty
