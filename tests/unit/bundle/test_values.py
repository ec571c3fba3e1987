"""Every Chinese value the template's notes name reads as the contract's code."""
from __future__ import annotations

import pytest

from bundle.spec import SCHOOLS, TEACHERS
from bundle.values import choice_code, grade_number, subject_code

SUBJECTS_ZH = {"语文": "chinese", "数学": "math", "英语": "english", "物理": "physics", "化学": "chemistry",
               "生物": "biology", "政治": "politics", "道德与法治": "politics", "政治(道德与法治)": "politics",
               "历史": "history", "地理": "geography", "科学": "science", "体育": "pe", "音乐": "music",
               "美术": "art", "信息技术": "it", "Math": "math", "PE": "pe"}


@pytest.mark.parametrize("text,code", sorted(SUBJECTS_ZH.items()))
def test_subjects_in_chinese(text, code):
    assert subject_code(text) == code


@pytest.mark.parametrize("column,text,code", [
    ("role", "教师", "teacher"), ("role", "中层干部", "leader"), ("role", "校长", "principal"),
    ("stage", "小学", "primary"), ("stage", "初中", "junior"), ("stage", "九年一贯制", "nine_year"),
    ("stage", "高中", "high"), ("locality", "城区", "urban"), ("locality", "乡镇", "township"),
    ("locality", "农村", "rural"), ("tier", "优质", "quality"), ("tier", "一般", "ordinary"),
    ("tier", "薄弱", "weak"), ("stage", "Junior", "junior"), ("gender", "女", "F"),
])
def test_choices_in_chinese(column, text, code):
    spec = TEACHERS if column in ("role", "gender") else SCHOOLS
    assert choice_code(text, spec.column(column).choices) == code


@pytest.mark.parametrize("column,text", [("role", "班主任"), ("stage", "大学"), ("tier", "")])
def test_unknown_choices_stay_unknown(column, text):
    spec = TEACHERS if column == "role" else SCHOOLS
    assert choice_code(text, spec.column(column).choices) is None


@pytest.mark.parametrize("text,grade", [
    ("8", 8), ("8.0", 8), ("七年级", 7), ("7年级", 7), ("初一", 7), ("初三", 9), ("高一", 10), ("高三", 12),
    ("一年级", 1), ("十二年级", 12), ("十年级", 10),
])
def test_grades_in_chinese(text, grade):
    assert grade_number(text) == grade


@pytest.mark.parametrize("text", ["13", "0", "十三年级", "初四", "八", "8.5", "grade 8"])
def test_not_grades(text):
    assert grade_number(text) is None
