"""Borderline students (临界生) and their conversion (转化率) at the next exam, by hand."""
import pandas as pd
import pytest

from analysis.pipeline import analyse_exam
from analysis.policy import AnalysisPolicy
from bundle.spec import EXPORT_COLUMNS


def _exam(exam_id, scores: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame({"exam_id": exam_id, "student_id": list(scores), "school_id": "S1", "class_id": "C1",
                         "subject": "math", "item_id": "m1", "score": list(scores.values())})


ITEMS = pd.DataFrame({"subject": ["math"], "item_id": ["m1"], "max_score": [100.0]})
SCHOOLS = pd.DataFrame({"school_id": ["S1"], "cluster_id": ["CL"], "name": ["一中"]})
CLASSES = pd.DataFrame({"class_id": ["C1"], "school_id": ["S1"], "grade": 8, "size": 9})
TEACHERS = pd.DataFrame({"class_id": ["C1"], "subject": ["math"], "teacher_id": ["T1"]})


def test_borderline_students_by_hand():
    """Full marks 100, band 5 % = 5 points; lines excellent 85, good 75 (an extra line), pass 60.

    84 → excellent, gap 1;  80 → excellent, gap 5 (80 ≥ 85 − 5);  79.5 → none (below 80, above 75);
    74 → good, gap 1;  59 → pass, gap 1;  55 → pass, gap 5;  54.9 → none;  85 and 60 reach their lines.
    """
    scores = {"s84": 84, "s80": 80, "s79": 79.5, "s74": 74, "s59": 59, "s55": 55, "s54": 54.9, "s85": 85, "s60": 60}
    policy = AnalysisPolicy(extra_line_fractions={"good": 0.75})
    a = analyse_exam(_exam("E", scores), ITEMS, SCHOOLS, CLASSES, TEACHERS, policy=policy)
    math = a.borderline[a.borderline["subject"] == "math"]
    got = {(r.student_id, r.line): r.gap for r in math.itertuples()}
    assert got == pytest.approx({("s84", "excellent"): 1, ("s80", "excellent"): 5, ("s74", "good"): 1,
                                 ("s59", "pass"): 1, ("s55", "pass"): 5})
    assert set(math["teacher_id"]) == {"T1"} and set(math["class_id"]) == {"C1"}
    # the list reads as a task list: by line (highest first), closest to the line first
    assert math["student_id"].tolist() == ["s84", "s80", "s74", "s59", "s55"]
    # one paper: the total (100 marks) has the same students, with no single teacher
    total = a.borderline[a.borderline["subject"] == "total"]
    assert total["student_id"].tolist() == math["student_id"].tolist() and set(total["teacher_id"]) == {""}
    counts = a.borderline_counts.set_index(["level", "group_id", "subject", "line"])["students"]
    assert counts[("class", "C1", "math", "excellent")] == 2 and counts[("district", "district", "total", "pass")] == 2
    assert set(EXPORT_COLUMNS["borderline"]) <= set(a.borderline.columns)

    points = analyse_exam(_exam("E", scores), ITEMS, SCHOOLS, CLASSES, TEACHERS,
                          policy=AnalysisPolicy(borderline_band_points=2))  # 2 points: 84, 59 only
    listed = points.borderline[points.borderline["subject"] == "math"]
    assert listed[["student_id", "line"]].values.tolist() == [["s84", "excellent"], ["s59", "pass"]]


def test_conversion_by_hand():
    """Borderline last time (band 5): excellent p1 (84), p2 (80); pass p3 (59), p4 (55).
    Now p1 86 (crossed), p2 82 (not), p3 58 (not), p4 absent: excellent 1 of 2 = 50 %, pass 0 of the
    1 who sat again (p4 did not)."""
    before = _exam("E1", {"p1": 84, "p2": 80, "p3": 59, "p4": 55, "p5": 90, "p6": 40})
    now = _exam("E2", {"p1": 86, "p2": 82, "p3": 58, "p4": "", "p5": 70, "p6": 61})
    a = analyse_exam(now, ITEMS, SCHOOLS, CLASSES, TEACHERS, before, previous_items=ITEMS)
    c = a.conversion.set_index(["level", "group_id", "subject", "line"])
    excellent = c.loc[("class", "C1", "math", "excellent")]
    assert (excellent["borderline_before"], excellent["sat_again"], excellent["crossed"]) == (2, 2, 1)
    assert excellent["conversion_rate"] == pytest.approx(0.5)
    passing = c.loc[("school", "S1", "math", "pass")]
    assert (passing["borderline_before"], passing["sat_again"], passing["crossed"]) == (2, 1, 0)
    assert passing["conversion_rate"] == 0.0
    # without the previous papers' full marks the lines of the previous exam are unknown
    unknown = analyse_exam(now, ITEMS, SCHOOLS, CLASSES, TEACHERS, before)
    assert unknown.conversion.empty and any("转化率" in w for w in unknown.warnings)
