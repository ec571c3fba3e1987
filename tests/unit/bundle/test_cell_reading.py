"""Reading cells of bundle tables (bundle.cells): one reader, each caller's defaults and strictness pinned."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bundle.cells import cell_bool, cell_float, cell_int, cell_text, is_blank

BLANKS = [None, float("nan"), np.nan, pd.NA, pd.NaT, "", "   "]


@pytest.mark.parametrize("value", BLANKS)
def test_every_spelling_of_missing_is_blank(value):
    assert is_blank(value)
    assert cell_text(value) == "" and cell_text(value, None) is None
    assert cell_int(value) is None and cell_int(value, 0) == 0
    assert cell_float(value) is None and cell_float(value, 0.0) == 0.0
    assert cell_bool(value) is False and cell_bool(value, strict=True) is False


def test_lists_and_zeros_are_not_blank():
    assert not is_blank([]) and not is_blank(["7"]) and not is_blank(0) and not is_blank("0")


@pytest.mark.parametrize("value", ["1", "是", "true", "TRUE", " yes ", 1, 1.0, "1.0", True, np.True_, np.int64(1)])
def test_yes(value):
    assert cell_bool(value) is True and cell_bool(value, strict=True) is True


@pytest.mark.parametrize("value", ["0", "否", "false", "No", 0, 0.0, "0.0", False, np.False_])
def test_no(value):
    assert cell_bool(value) is False and cell_bool(value, strict=True) is False


@pytest.mark.parametrize("value", ["maybe", "2", 2, "1.5"])
def test_a_boolean_that_is_neither_is_no_leniently_and_refused_strictly(value):
    assert cell_bool(value) is False
    with pytest.raises(ValueError, match="not a boolean"):
        cell_bool(value, strict=True)


def test_text_numbers_and_ids():
    assert cell_text(" 甲校 ") == "甲校"
    assert cell_text(1001.0) == "1001" and cell_text(np.float64(7)) == "7"  # an id column with a gap is float
    assert cell_text(3.5) == "3.5" and cell_text(12) == "12"
    assert cell_int(" 12 ") == 12 and cell_int(12.0) == 12 and cell_int("3.7") == 3
    assert cell_float("-3.25") == -3.25 and cell_float(np.int64(4)) == 4.0


def test_rotation_refuses_a_bad_boolean_and_exam_logistics_reads_it_as_no():
    """The two planners disagreed before one reader existed; each keeps its own reading."""
    from scheduling.exam_logistics import invigilation_input_from_tables
    from scheduling.rotation import rotation_input_from_tables

    schools = pd.DataFrame({"school_id": ["A", "B"], "name": ["甲校", "乙校"], "cluster_id": "K",
                            "is_lead": ["是", "0"], "stage": "junior", "locality": ["urban", "rural"],
                            "tier": ["quality", "weak"], "lat": [34.5, 34.6], "lon": [113.0, 113.1], "hardship": 0})
    teachers = pd.DataFrame({"teacher_id": ["t1", "t2"], "school_id": ["A", "B"], "subject": "math",
                             "grades": ["9", "9"], "role": "teacher", "backbone": ["maybe", 1.0],
                             "years_at_school": [8, None], "birth_year": [1980, 1985], "volunteer": [None, "否"]})
    classes = pd.DataFrame({"class_id": ["A9", "B9"], "school_id": ["A", "B"], "grade": [9, 9], "size": [30, 30]})
    sessions = pd.DataFrame({"exam_id": ["X"], "grade": [9], "session_id": ["E1"], "subject": ["math"],
                             "date": ["2025-01-14"], "start": ["08:30"], "end": ["10:30"]})
    tables = {"schools": schools, "teachers": teachers, "classes": classes, "exam_sessions": sessions,
              "students": pd.DataFrame({"student_id": ["s1", "s2"], "class_id": ["A9", "B9"],
                                        "school_id": ["A", "B"]})}
    exam = invigilation_input_from_tables(tables, "X")
    assert not exam.teacher_by_id["t1"].backbone and exam.teacher_by_id["t2"].backbone  # 1.0 is yes
    assert exam.school_by_id["A"].is_lead
    with pytest.raises(ValueError, match="not a boolean"):
        rotation_input_from_tables(tables, 2025)
    fixed = {**tables, "teachers": teachers.assign(backbone=["否", 1.0])}
    data = rotation_input_from_tables(fixed, 2025)
    assert data.teacher("t2").backbone and data.teacher("t2").years_at_school == 0  # blank count: 0
    assert data.teacher("t1").home_lat is None  # blank coordinate: None, not 0
