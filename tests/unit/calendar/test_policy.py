"""The calendar policy: the repository file is the defaults, bad values are refused in one line naming
the table and key, and it is an area of the one policy resolution."""
from __future__ import annotations

import pytest

from app.policies import AREAS, resolve_in
from domain.policy import PolicyError
from scheduling.calendar import CalendarPolicy, load_calendar_policy


def test_the_repository_file_holds_the_built_in_defaults():
    assert load_calendar_policy() == CalendarPolicy()
    policy = CalendarPolicy()
    assert (policy.lesson_prep.per_month, policy.research.per_term, policy.training.per_term) == (1, 3, 3)
    assert (policy.same_grade_prep.per_pair_per_term, policy.famous_lesson.per_year) == (2, 3)
    assert policy.famous_lesson.per_term(1) == 2  # a term plan asks half a year's, rounded up


@pytest.mark.parametrize("table,line,key", [
    ("limits", "max_per_teacher_per_week = 0", "max_per_teacher_per_week"),
    ("time", 'halves = ["noon"]', "halves"),
    ("research", "per_term = -1", "per_term"),
    ("demo_lesson", 'presenter_scope = "county"', "presenter_scope"),
    ("facilities", "max_km = 0", "max_km"),
])
def test_a_bad_value_is_refused_naming_its_table_and_key(tmp_path, table, line, key):
    path = tmp_path / "calendar.toml"
    path.write_text(f"[{table}]\n{line}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_calendar_policy(path)
    for lang in ("zh", "en"):
        text = caught.value.line(lang)
        assert str(path) in text and table in text and key in text and "\n" not in text


def test_calendar_is_an_area_of_the_one_resolution():
    assert "calendar" in AREAS
    resolved = resolve_in(None, "calendar", cluster_id="C01", school_year=2026, term=1)
    assert resolved.source == "file" and resolved.policy == CalendarPolicy()
    assert "学区活动日历" in resolved.describe("zh")
