"""Objective items scored against the key (客观题自动评分)."""
from __future__ import annotations

import pandas as pd
import pytest

from marking.objective import (ObjectiveItem, accepted_answers, choice_letters, score_objective,
                               score_objective_frame)
from marking.policy import ObjectivePolicy

POLICY = ObjectivePolicy()


@pytest.mark.parametrize("answer, expected", [("B", 3.0), ("b", 3.0), ("Ｂ", 3.0), (" B ", 3.0), ("A", 0.0),
                                              ("AB", 0.0), ("", 0.0), (None, 0.0)])
def test_single_choice(answer, expected):
    assert score_objective("single_choice", "B", answer, 3, 3, POLICY) == expected


@pytest.mark.parametrize("answer, expected", [
    ("ACD", 4.0), ("DCA", 4.0), ("a,c,d", 4.0), ("Ａ Ｃ Ｄ", 4.0),  # all right, any order or form
    ("AC", 2.0), ("D", 2.0),  # some right, none wrong: half
    ("ACB", 0.0), ("ABCD", 0.0), ("B", 0.0),  # any wrong option: 0
    ("", 0.0), (None, 0.0),
])
def test_multiple_choice_partial_credit(answer, expected):
    assert score_objective("multiple_choice", "ACD", answer, 4, 1, POLICY) == expected


def test_multiple_choice_other_rules():
    per_option = ObjectivePolicy(multiple_choice_rule="per_option")
    assert score_objective("multiple_choice", "ACD", "AC", 6, 1, per_option) == 4.0  # 2 of 3 right options
    assert score_objective("multiple_choice", "ACD", "A", 5, 1, per_option) == 1.0  # 5/3 down to the step
    strict = ObjectivePolicy(multiple_choice_rule="all_or_nothing")
    assert score_objective("multiple_choice", "ACD", "AC", 4, 1, strict) == 0.0
    assert score_objective("multiple_choice", "ACD", "CAD", 4, 1, strict) == 4.0
    odd_share = ObjectivePolicy(partial_share=0.6)
    assert score_objective("multiple_choice", "ACD", "AC", 5, 1, odd_share) == 3.0


@pytest.mark.parametrize("answer, expected", [("0.5", 4.0), ("1/2", 4.0), ("50%", 4.0), ("５０％", 4.0),
                                              (" 1 / 2 ", 4.0), ("0.50", 0.0), ("2", 0.0), ("", 0.0)])
def test_fill_in_accepts_any_alternative_of_the_key(answer, expected):
    assert score_objective("fill_in", "1/2|0.5|50%", answer, 4, 4, POLICY) == expected


def test_fill_in_case_and_spaces_follow_the_policy():
    assert score_objective("fill_in", "Paris", "paris", 2, 2, POLICY) == 2.0
    assert score_objective("fill_in", "Paris", "paris", 2, 2, ObjectivePolicy(fill_in_case_sensitive=True)) == 0.0
    assert score_objective("fill_in", "x+1", "x + 1", 2, 2, ObjectivePolicy(fill_in_ignore_spaces=False)) == 0.0


def test_helpers_and_refusals():
    assert choice_letters("a; c、d") == frozenset("ACD")
    assert accepted_answers(" 1/2 | 0.5 ||") == ["1/2", "0.5"]
    with pytest.raises(ValueError):
        score_objective("subjective", None, "x", 10, 1, POLICY)


def test_score_frame_gives_every_student_every_item_with_blanks_as_zero():
    responses = pd.DataFrame({"student_id": ["s1", "s1", "s2"], "item_id": ["i1", "i2", "i1"],
                              "answer": ["B", "ACD", None]})
    items = [ObjectiveItem("i1", "single_choice", "B", 3, 3), ObjectiveItem("i2", "multiple_choice", "ACD", 4, 1)]
    frame = score_objective_frame(responses, items, POLICY)
    assert sorted(map(tuple, frame[["student_id", "item_id", "score"]].values.tolist())) == [
        ("s1", "i1", 3.0), ("s1", "i2", 4.0), ("s2", "i1", 0.0), ("s2", "i2", 0.0)]
