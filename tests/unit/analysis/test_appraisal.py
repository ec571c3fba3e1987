"""The year's appraisal (统一考核) over several joint exams, and the bundled evaluation (捆绑评价), by hand."""
import pandas as pd
import pytest

from analysis.appraisal import BUNDLED_COLUMNS, year_appraisal
from analysis.pipeline import analyse_exam

ITEMS = pd.DataFrame({"subject": ["math"], "item_id": ["m1"], "max_score": [100.0]})
SCHOOLS = pd.DataFrame({"school_id": ["S1"], "cluster_id": ["CL"], "name": ["一中"]})
CLASSES = pd.DataFrame({"class_id": ["C1", "C2", "C3"], "school_id": "S1", "grade": 8, "size": [10, 10, 4]})
TEACHERS = pd.DataFrame({"class_id": ["C1", "C2", "C3"], "subject": "math", "teacher_id": ["T1", "T2", "T2"]})
NAMES = pd.DataFrame({"teacher_id": ["T1", "T2"], "name": ["王老师", "李老师"]})


def _class(class_id, n, excellent, passed):
    """n students: `excellent` score 90, `passed − excellent` score 70, the rest 30."""
    values = [90] * excellent + [70] * (passed - excellent) + [30] * (n - passed)
    return [(f"{class_id}-{i}", class_id, v) for i, v in enumerate(values)]


def _exam(exam_id, rows):
    return pd.DataFrame({"exam_id": exam_id, "student_id": [r[0] for r in rows], "school_id": "S1",
                         "class_id": [r[1] for r in rows], "subject": "math", "item_id": "m1",
                         "score": [r[2] for r in rows]})


def test_year_appraisal_and_bundled_evaluation_by_hand():
    """No previous exam: class score = 100 × (excellent + pass) / 2.

    E1: C1 2/6 of 10 → 40;  C2 1/5 of 10 → 30;  C3 1/2 of 4 → 37.5
    E2: C1 4/8 of 10 → 60;  C2 3/9 of 10 → 60;  C3 2/4 of 4 → 75
    Classes over the year: C1 50, C2 45, C3 56.25 (4 students: shown, not ranked).
    T2 pools C2 and C3 (14 students): E1 50 × (2 + 7)/14 = 32.14, E2 50 × (5 + 13)/14 = 64.29 → 48.21; T1 50.
    Bundled (T1 mentors T2): C1 40 + 60, C2 30 + 60, C3 37.5 + 75 → 302.5 (mentor 100, apprentice 202.5).
    """
    e1 = _exam("E1", _class("C1", 10, 2, 6) + _class("C2", 10, 1, 5) + _class("C3", 4, 1, 2))
    e2 = _exam("E2", _class("C1", 10, 4, 8) + _class("C2", 10, 3, 9) + _class("C3", 4, 2, 4))
    analyses = [analyse_exam(e, ITEMS, SCHOOLS, CLASSES, TEACHERS, teachers=NAMES) for e in (e1, e2)]
    pairs = pd.DataFrame({"mentor_id": ["T1", "T9"], "apprentice_id": ["T2", "T8"]})  # T9, T8: no class here
    year = year_appraisal(analyses, pairs=pairs)

    classes = year.classes.set_index("class_id")
    assert classes["year_score"].to_dict() == pytest.approx({"C1": 50.0, "C2": 45.0, "C3": 56.25})
    assert classes.loc["C1", "rank"] == 1 and classes.loc["C2", "rank"] == 2 and classes.loc["C1", "peers"] == 2
    assert not classes.loc["C3", "ranked"] and pd.isna(classes.loc["C3", "rank"])
    assert classes.loc["C1", "tests"] == 2 and classes.loc["C1", "exam_ids"] == "E1;E2"
    assert classes.loc["C2", "teacher_names"] == "李老师"

    teachers = year.teachers.set_index("teacher_id")
    assert teachers.loc["T2", "year_score"] == pytest.approx((50 * 9 / 14 + 50 * 18 / 14) / 2)
    assert teachers.loc["T1", "year_score"] == pytest.approx(50.0)
    assert teachers.loc["T1", "rank"] == 1 and teachers.loc["T2", "rank"] == 2
    assert teachers.loc["T2", "class_ids"] == "C2;C3" and teachers.loc["T2", "students"] == 14
    assert teachers.loc["T1", "teacher_name"] == "王老师"

    b = year.bundled
    assert list(b.columns) == list(BUNDLED_COLUMNS)
    pair = b[b["kind"] == "pair"].iloc[0]
    assert (pair["score"], pair["mentor_score"], pair["apprentice_score"]) == pytest.approx((302.5, 100, 202.5))
    assert pair["mentor_name"] == "王老师" and pair["apprentice_names"] == "李老师" and pair["class_tests"] == 6
    assert pair["rank"] == 1 and pair["peers"] == 1
    absent_pair = b[(b["kind"] == "pair") & (b["mentor_id"] == "T9")].iloc[0]
    assert absent_pair["score"] == 0 and pd.isna(absent_pair["rank"])  # shown, not ranked
    group = b[(b["kind"] == "group") & (b["mentor_id"] == "T1")].iloc[0]
    assert group["score"] == pytest.approx(302.5) and group["members"] == 2
    assert any("2 joint exam(s)" in n for n in year.notes)  # the sources count four a year
