"""Double marking, third marks and arbitration (双评、三评、仲裁) as pure rules."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marking.policy import DoubleMarkingPolicy
from marking.rules import (InvalidScores, ItemStandard, MarkRecord, check_scores, effective_tolerance, resolve_script,
                           round_to_step, settle_without_arbiter)

POLICY = DoubleMarkingPolicy()
TEN = ItemStandard("Q5", 5, 10.0, 1.0, 1.0)  # max 10, step 1, tolerance 1
SIX = ItemStandard("Q6", 6, 6.0, 0.5, 0.5)  # max 6, step 0.5, tolerance 0.5


def marks(*rows):
    return [MarkRecord(n + 1, kind, scores, f"T{n + 1}") for n, (kind, scores) in enumerate(rows)]


@pytest.mark.parametrize("max_score, step, expected", [
    (10, 1, 1.0),  # 10% of 10 is one step
    (12, 1, 1.0),  # 1.2 -> one whole step
    (25, 1, 2.0),  # 2.5 -> two whole steps
    (6, 0.5, 0.5),  # 0.6 -> one half-point step
    (4, 1, 1.0),  # 0.4 < one step: at least one step
    (20, 2, 2.0),
])
def test_default_tolerance_is_ten_percent_in_whole_steps_at_least_one(max_score, step, expected):
    assert effective_tolerance(max_score, step, None, POLICY) == expected


def test_the_papers_tolerance_wins_over_the_default():
    assert effective_tolerance(10, 1, 3.0, POLICY) == 3.0
    assert effective_tolerance(10, 1, float("nan"), POLICY) == 1.0


@pytest.mark.parametrize("value, step, mode, expected", [
    (6.5, 1, "half_up", 7.0), (6.49, 1, "half_up", 6.0), (6.25, 0.5, "half_up", 6.5), (6.75, 0.5, "half_up", 7.0),
    (6.5, 1, "up", 7.0), (6.1, 1, "up", 7.0), (6.9, 1, "down", 6.0), (3.0, 0.5, "down", 3.0),
])
def test_round_to_step(value, step, mode, expected):
    assert round_to_step(value, step, mode) == expected


def test_two_marks_within_tolerance_give_their_mean_rounded_to_the_step():
    result = resolve_script([TEN, SIX], marks(("first", {"Q5": 6, "Q6": 3.0}), ("second", {"Q5": 7, "Q6": 3.5})),
                            2, POLICY)
    assert result.status == "final" and result.agreed is True
    assert result.finals == {"Q5": 7.0, "Q6": 3.5}  # 6.5 -> 7 and 3.25 -> 3.5 (half up)
    assert result.sources == {"Q5": "double", "Q6": "double"}
    assert result.marks_used == {"Q5": [1, 2], "Q6": [1, 2]}


def test_rounding_mode_down_keeps_the_lower_step():
    result = resolve_script([TEN], marks(("first", {"Q5": 6}), ("second", {"Q5": 7})), 2,
                            DoubleMarkingPolicy(rounding="down"))
    assert result.finals == {"Q5": 6.0}


def test_marks_too_far_apart_ask_a_third_mark_for_those_items_only():
    result = resolve_script([TEN, SIX], marks(("first", {"Q5": 3, "Q6": 3.0}), ("second", {"Q5": 6, "Q6": 3.0})),
                            2, POLICY)
    assert result.status == "third" and result.agreed is False
    assert result.pending_items == ("Q5",)
    assert result.finals == {"Q6": 3.0}  # the agreeing item is settled already


def test_third_mark_within_tolerance_of_one_gives_the_mean_of_that_pair():
    result = resolve_script([TEN], marks(("first", {"Q5": 3}), ("second", {"Q5": 6}), ("third", {"Q5": 5})),
                            2, POLICY)
    assert result.status == "final"
    assert result.finals == {"Q5": 6.0}  # (5 + 6) / 2 = 5.5 -> 6
    assert result.sources == {"Q5": "third"}
    assert result.marks_used == {"Q5": [2, 3]}


def test_third_mark_between_both_takes_the_closest_then_the_policys_tie_rule():
    both = resolve_script([TEN], marks(("first", {"Q5": 4}), ("second", {"Q5": 6}), ("third", {"Q5": 5})), 2, POLICY)
    assert both.finals == {"Q5": 6.0} and both.marks_used == {"Q5": [2, 3]}  # within 1 of both: (5 + 6) / 2 -> 6
    wide = ItemStandard("Q5", 5, 10.0, 1.0, 2.0)
    tie = resolve_script([wide], marks(("first", {"Q5": 2}), ("second", {"Q5": 6}), ("third", {"Q5": 4})), 2, POLICY)
    assert tie.finals == {"Q5": 5.0} and tie.marks_used == {"Q5": [2, 3]}  # tie -> the higher pair
    low = resolve_script([wide], marks(("first", {"Q5": 2}), ("second", {"Q5": 6}), ("third", {"Q5": 4})), 2,
                         DoubleMarkingPolicy(third_tie="lower"))
    assert low.finals == {"Q5": 3.0} and low.marks_used == {"Q5": [1, 3]}
    nearer = resolve_script([wide], marks(("first", {"Q5": 2}), ("second", {"Q5": 6}), ("third", {"Q5": 3})), 2,
                            POLICY)
    assert nearer.marks_used == {"Q5": [1, 3]} and nearer.finals == {"Q5": 3.0}  # 2.5 -> 3


def test_third_mark_far_from_both_goes_to_arbitration_whose_mark_is_final():
    rows = [("first", {"Q5": 2, "Q6": 1.0}), ("second", {"Q5": 8, "Q6": 1.0}), ("third", {"Q5": 5})]
    waiting = resolve_script([TEN, SIX], marks(*rows), 2, POLICY)
    assert waiting.status == "arbitration" and waiting.pending_items == ("Q5",)
    final = resolve_script([TEN, SIX], marks(*rows, ("arbitration", {"Q5": 7})), 2, POLICY)
    assert final.status == "final"
    assert final.finals == {"Q5": 7.0, "Q6": 1.0}
    assert final.sources == {"Q5": "arbitration", "Q6": "double"}
    assert final.marks_used["Q5"] == [4]
    assert final.source == "arbitration"


def test_single_marked_script_takes_its_one_mark():
    result = resolve_script([TEN], marks(("first", {"Q5": 4})), 1, POLICY)
    assert result.status == "final" and result.finals == {"Q5": 4.0} and result.sources == {"Q5": "single"}
    assert result.agreed is None


def test_script_waits_until_its_marks_are_in():
    assert resolve_script([TEN], marks(("first", {"Q5": 4})), 2, POLICY).status == "marking"


def test_check_scores_refuses_wrong_items_values_and_steps():
    assert check_scores([TEN, SIX], {"Q5": "7", "Q6": 2.5}) == {"Q5": 7.0, "Q6": 2.5}
    with pytest.raises(InvalidScores, match="missing"):
        check_scores([TEN, SIX], {"Q5": 7})
    with pytest.raises(InvalidScores, match="unexpected"):
        check_scores([TEN], {"Q5": 7, "Q9": 1})
    with pytest.raises(InvalidScores, match="outside"):
        check_scores([TEN], {"Q5": 11})
    with pytest.raises(InvalidScores, match="step"):
        check_scores([SIX], {"Q6": 2.25})
    with pytest.raises(InvalidScores, match="not a number"):
        check_scores([TEN], {"Q5": "seven"})
    assert check_scores([TEN, SIX], {"Q6": 1.0}, subset=True) == {"Q6": 1.0}


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20),
       st.sampled_from([0.5, 1.0]), st.integers(0, 4))
def test_finals_lie_on_the_grid_within_the_marks_they_come_from(a, b, c, d, step, tolerance_steps):
    item = ItemStandard("X", 1, 10.0, step, tolerance_steps * step)
    values = [min(10.0, v * step) for v in (a, b, c, d)]
    rows = [("first", {"X": values[0]}), ("second", {"X": values[1]}), ("third", {"X": values[2]}),
            ("arbitration", {"X": values[3]})]
    result = resolve_script([item], marks(*rows), 2, POLICY)
    assert result.status == "final"
    final = result.finals["X"]
    assert math.isclose(final / step, round(final / step))
    used = [values[mark_id - 1] for mark_id in result.marks_used["X"]]
    assert min(used) <= final <= max(used) + step / 2
    if abs(values[0] - values[1]) <= item.tolerance:
        assert result.sources["X"] == "double"
    else:
        assert result.sources["X"] in ("third", "arbitration")


def test_nobody_to_arbitrate_settles_each_disputed_item_by_its_two_closest_marks():
    # first 2, second 9, third 5: the third agrees with neither (tolerance 1). The pairs lie 3 (2, 5),
    # 4 (5, 9) and 7 (2, 9) apart: the closest is (2, 5) → 3.5 → 4 (half up). SIX's marks agree: double.
    given = marks(("first", {"Q5": 2, "Q6": 3}), ("second", {"Q5": 9, "Q6": 3.5}), ("third", {"Q5": 5}))
    assert resolve_script([TEN, SIX], given, 2, POLICY).status == "arbitration"
    settled = settle_without_arbiter([TEN, SIX], given, 2, POLICY)
    assert settled.status == "final"
    assert settled.finals == {"Q5": 4.0, "Q6": 3.5} and settled.sources == {"Q5": "closest", "Q6": "double"}
    assert settled.marks_used["Q5"] == [1, 3] and settled.source == "closest"


def test_nobody_to_give_a_third_mark_or_arbitrate_settles_by_the_two_marks_and_ties_follow_the_policy():
    two = marks(("first", {"Q5": 2}), ("second", {"Q5": 7}))
    assert settle_without_arbiter([TEN], two, 2, POLICY).finals == {"Q5": 5.0}  # 4.5 half up
    tie = marks(("first", {"Q5": 2}), ("second", {"Q5": 8}), ("third", {"Q5": 5}))  # 5 is 3 from each
    assert settle_without_arbiter([TEN], tie, 2, POLICY).marks_used["Q5"] == [2, 3]  # higher: (8, 5)
    lower = DoubleMarkingPolicy(third_tie="lower")
    assert settle_without_arbiter([TEN], tie, 2, lower).marks_used["Q5"] == [1, 3]
    agreed = marks(("first", {"Q5": 6}), ("second", {"Q5": 7}))
    assert settle_without_arbiter([TEN], agreed, 2, POLICY).sources == {"Q5": "double"}  # nothing to settle
