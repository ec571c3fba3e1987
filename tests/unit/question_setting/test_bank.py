import datetime as dt

import pandas as pd
import pytest

from scheduling.question_setting import ItemUse, bank_from_tables, recently_used_items
from scheduling.question_setting.bank import BankItem, recent_exam_ids, symmetric_enemies


def item_frame(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame({
        "item_id": ["M1", "M2", "M3", "C1"],
        "subject": ["math", "数学", "math", "chinese"],
        "grade": ["8", "8", "9", "8"],
        "item_type": ["single_choice", "主观题", "fill_in", "subjective"],
        "max_score": ["3", "12", "4", "10"],
        "key": ["B", "", "x=2|2", None],
        "knowledge_area": ["函数", "函数", "方程", "写作"],
        "cognitive_level": ["识记", "apply", "understand", "analyse"],
        "difficulty": ["0.8", "0.55", "0.6", "0.5"],
        "options": ["4", "", "", ""],
        "enemies": ["", "M1;M3", "", ""],
    })
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_reads_items_of_one_subject_and_grade_with_codes_or_chinese_labels():
    bank = bank_from_tables({"items": item_frame()}, "math", 8)
    assert [i.item_id for i in bank] == ["M1", "M2"]
    m1, m2 = bank
    assert (m1.item_type, m1.cognitive_level, m1.max_score, m1.key, m1.options) == ("single_choice", "remember", 3, "B", 4)
    assert (m2.item_type, m2.key, m2.enemies) == ("subjective", None, ("M1", "M3"))
    assert m2.cell == ("函数", "apply", "subjective")


def test_chinese_headers_are_accepted():
    frame = item_frame().rename(columns={"item_id": "题目编号", "subject": "学科", "max_score": "满分",
                                         "cognitive_level": "认知层次", "difficulty": "难度估计"})
    assert len(bank_from_tables({"items": frame}, "数学", 8)) == 2


def test_usage_is_attached_and_recent_exams_are_counted_per_cohort():
    usage = pd.DataFrame({
        "题目编号": ["M1", "M2", "M1", "M2"],
        "考试编号": ["E1", "E2", "E3", "E4"],
        "届别": [2016, 2016, 2017, 2016],
        "使用日期": ["2023-01-10", "2023-06-20", "2023-06-21", "2022-06-01"],
    })
    bank = bank_from_tables({"items": item_frame(), "item_usage": usage}, "math", 8)
    m1, m2 = bank
    assert [u.exam_id for u in m1.usage] == ["E1", "E3"]
    assert m1.uses_for_cohort(2016) == (ItemUse("E1", 2016, dt.date(2023, 1, 10)),)
    # cohort 2016 sat E4 (2022-06), E1 (2023-01), E2 (2023-06): the last one is E2, the last two E2 and E1
    assert recent_exam_ids(bank, 2016, 1) == {"E2"}
    assert recently_used_items(bank, 2016, 1) == {"M2"}
    assert recently_used_items(bank, 2016, 2) == {"M1", "M2"}
    assert recently_used_items(bank, 2016, 0) == set()
    assert recently_used_items(bank, 2016, -1) == {"M1", "M2"}
    assert recently_used_items(bank, 2018, 5) == set()


def test_enemies_are_made_symmetric_within_the_bank():
    a = BankItem("A", "math", 8, "fill_in", 3, "x", "apply", 0.5, enemies=("B", "ZZZ"))
    b = BankItem("B", "math", 8, "fill_in", 3, "x", "apply", 0.5)
    assert symmetric_enemies([a, b]) == {"A": {"B"}, "B": {"A"}}


def test_bad_values_name_the_row():
    with pytest.raises(ValueError, match="row 3"):
        bank_from_tables({"items": item_frame(cognitive_level=["识记", "背诵", "apply", "apply"])}, "math", 8)
    with pytest.raises(ValueError, match="difficulty"):
        bank_from_tables({"items": item_frame().drop(columns="difficulty")}, "math", 8)
