"""Marking quality figures and alerts (marking/quality.py), each against a hand computation."""
from __future__ import annotations

import math

import pytest

from marking.policy import MarkingPolicy, ProgressPolicy, QualityPolicy
from marking.quality import (CheckData, GroupFigures, GroupMarks, MarkData, MarkerFigures, agreement_rate,
                             check_tolerance, drawn, group_figures, marker_alerts, marker_figures, mean_and_sd,
                             self_consistency, spread_ratio, standard_accuracy, third_rate, trial_outcome,
                             trial_results, within_tolerance)
from marking.rules import ItemStandard

# two items: A max 10 step 1 tolerance 1; B max 6 step 0.5 tolerance 0.5
A = ItemStandard("A", 1, 10, 1, 1)
B = ItemStandard("B", 2, 6, 0.5, 0.5)
ITEMS = (A, B)


def test_trial_tolerance_is_a_share_of_the_max_in_whole_steps_at_least_one_step():
    assert check_tolerance(A, 0.1) == 1  # 10 × 0.1 = 1 point = one step
    assert check_tolerance(A, 0.25) == 2  # 2.5 → two whole steps
    assert check_tolerance(B, 0.1) == 0.5  # 0.6 → one step of 0.5
    assert check_tolerance(ItemStandard("C", 3, 3, 1, 1), 0.1) == 1  # 0.3 → at least one step


def test_within_tolerance_item_by_item():
    assert within_tolerance(ITEMS, {"A": 5, "B": 3}, {"A": 6, "B": 2.5})  # 1 and 0.5: both at the edge
    assert not within_tolerance(ITEMS, {"A": 5, "B": 3}, {"A": 7, "B": 3})  # A off by 2
    assert not within_tolerance(ITEMS, {"A": 5, "B": 3}, {"A": 5, "B": 4})  # B off by 1 > 0.5
    assert within_tolerance(ITEMS, {"A": 5, "B": 3}, {"A": 7, "B": 3}, share=0.2)  # trial tolerance 2 on A


def test_agreement_and_third_rate():
    pairs = [({"A": 5, "B": 3}, {"A": 6, "B": 3}),  # agree
             ({"A": 5, "B": 3}, {"A": 8, "B": 3}),  # A off by 3
             ({"A": 0, "B": 0}, {"A": 0, "B": 1}),  # B off by 1
             ({"A": 9, "B": 6}, {"A": 9, "B": 5.5})]  # agree
    assert agreement_rate(ITEMS, pairs) == 0.5
    assert third_rate([False, True, True, False, False]) == 0.4
    assert math.isnan(agreement_rate(ITEMS, [])) and math.isnan(third_rate([]))


def test_mean_sd_and_spread_ratio():
    mean, sd = mean_and_sd([2, 4, 4, 4, 5, 5, 7, 9])
    # mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7
    assert mean == 5 and sd == pytest.approx(math.sqrt(32 / 7))
    assert math.isnan(mean_and_sd([3])[1]) and math.isnan(mean_and_sd([])[0])
    assert spread_ratio(1.0, 4.0) == 0.25
    assert math.isnan(spread_ratio(1.0, 0.0)) and math.isnan(spread_ratio(math.nan, 2.0))


def test_self_consistency_and_standard_accuracy():
    rechecks = [({"A": 5, "B": 3}, {"A": 6, "B": 3}),  # within
                ({"A": 5, "B": 3}, {"A": 3, "B": 3}),  # A moved by 2
                ({"A": 2, "B": 1}, {"A": 2, "B": 1})]  # same
    assert self_consistency(ITEMS, rechecks) == pytest.approx(2 / 3)
    standards = [({"A": 6, "B": 3}, {"A": 5, "B": 3}),  # within 1 / 0.5
                 ({"A": 7, "B": 3}, {"A": 5, "B": 3}),  # A off by 2 > 1
                 ({"A": 5, "B": 2}, {"A": 5, "B": 3}),  # B off by 1 > 0.5
                 ({"A": 5, "B": 3.5}, {"A": 5, "B": 3})]  # within
    assert standard_accuracy(ITEMS, standards, 0.1) == 0.5
    # share 0.2: tolerance 2 on A (10 × 0.2) and 1 on B (6 × 0.2 = 1.2 → two steps of 0.5): all within
    assert standard_accuracy(ITEMS, standards, 0.2) == 1.0


def test_trial_results_and_outcome():
    marked = [({"A": 5, "B": 3}, {"A": 5, "B": 3}),  # both within
              ({"A": 8, "B": 3}, {"A": 5, "B": 3.5}),  # A off by 3 (tolerance 1), B off by 0.5 (tolerance 0.5)
              ({"A": 1, "B": 6}, {"A": 2, "B": 4})]  # A within, B off by 2
    results = trial_results(ITEMS, marked, 0.1)
    assert [(r.script, r.position, r.expert, r.given, r.within) for r in results] == [
        (1, 1, 5, 5, True), (1, 2, 3, 3, True), (2, 1, 5, 8, False), (2, 2, 3.5, 3, True),
        (3, 1, 2, 1, True), (3, 2, 4, 6, False)]
    outcome = trial_outcome(results, 0.8)  # 4 of 6 = 67% < 80%
    assert (outcome.passed, outcome.within, outcome.total, outcome.state) == (False, 4, 6, "failed")
    assert trial_outcome(results, 0.6).passed  # 67% ≥ 60%
    assert trial_outcome(results[:4], 0.75).passed  # 3 of 4 = 75%, exactly the share
    assert not trial_outcome([], 0.0).passed  # nothing marked is no pass


def test_draws_are_fixed_and_follow_the_share():
    picks = [drawn(0.25, "exam", n, "T1") for n in range(4000)]
    assert picks == [drawn(0.25, "exam", n, "T1") for n in range(4000)]
    assert 0.22 < sum(picks) / len(picks) < 0.28
    assert not any(drawn(0.0, "exam", n) for n in range(100))


def _marks(rows):
    return [MarkData(script, marker, kind, {"A": a, "B": b}, a + b, seconds)
            for script, marker, kind, a, b, seconds in rows]


def test_marker_figures_from_the_marks_of_a_group():
    data = GroupMarks(ITEMS, _marks([
        (1, "T1", "first", 5, 3, 30), (1, "T2", "second", 6, 3, 40),  # agree
        (2, "T1", "first", 5, 3, 20), (2, "T3", "second", 9, 3, 60),  # disagree: third
        (2, "T4", "third", 6, 3, 50),  # a third mark: not a regular mark
        (3, "T1", "first", 4, 2, 40),  # partner not in yet
        (4, "T2", "first", 8, 4, 30),
    ]), went_to_third={2: True}, checks=[
        CheckData("T1", "recheck", {"A": 5, "B": 3}, {"A": 6, "B": 3}),
        CheckData("T1", "recheck", {"A": 2, "B": 3}, {"A": 5, "B": 3}),
        CheckData("T1", "standard", {"A": 5, "B": 3}, {"A": 5, "B": 3}),
        CheckData("T2", "standard", {"A": 9, "B": 3}, {"A": 5, "B": 3}),
    ])
    t1 = marker_figures("T1", data, 0.1)
    assert (t1.marks, t1.paired, t1.agreement_rate, t1.third_rate) == (3, 2, 0.5, 0.5)
    # totals 8, 8, 6: mean 22/3, sample sd sqrt(((2/3)^2 · 2 + (4/3)^2) / 2) = sqrt(4/3)
    assert t1.mean_score == pytest.approx(22 / 3) and t1.score_sd == pytest.approx(math.sqrt(4 / 3))
    assert t1.median_seconds == 30 and t1.marks_per_hour == pytest.approx(3600 / 30)
    assert (t1.rechecks, t1.self_consistency, t1.standards, t1.standard_accuracy) == (2, 0.5, 1, 1.0)
    t2 = marker_figures("T2", data, 0.1)
    assert (t2.marks, t2.paired, t2.agreement_rate, t2.standard_accuracy) == (2, 1, 1.0, 0.0)
    group = group_figures(data)
    # regular totals: 8, 9, 8, 12, 6, 12 → mean 55/6; the third mark is left out
    assert group.mean_score == pytest.approx(55 / 6) and group.max_total == 16
    assert group.median_seconds == 35  # 20, 30, 30, 40, 40, 60


QUALITY = QualityPolicy(min_marks_before_alerts=10, min_checks_before_alerts=3)
PROGRESS = ProgressPolicy(min_agreement=0.7, min_paired_marks=5, max_mean_deviation_share=0.1)
GROUP = GroupFigures(mean_score=8.0, score_sd=3.0, median_seconds=40.0, max_total=16.0)


def _keys(marker, **kwargs):
    return [a.key for a in marker_alerts(marker, GROUP, QUALITY, PROGRESS, **kwargs)]


def test_a_careful_marker_raises_no_alert():
    careful = MarkerFigures("T1", marks=40, paired=20, agreement_rate=0.9, third_rate=0.1, mean_score=8.5,
                            score_sd=2.8, median_seconds=38, rechecks=4, self_consistency=1.0, standards=3,
                            standard_accuracy=1.0)
    assert _keys(careful) == []


def test_each_figure_past_its_threshold_raises_its_alert():
    marker = MarkerFigures("T1", marks=40, paired=20, agreement_rate=0.6, third_rate=0.4, mean_score=10.0,
                           score_sd=1.2, median_seconds=12, rechecks=3, self_consistency=0.5, standards=4,
                           standard_accuracy=0.5)
    alerts = marker_alerts(marker, GROUP, QUALITY, PROGRESS, trial_state="failed")
    assert [a.key for a in alerts] == ["trial", "agreement", "spread", "mean_deviation", "self_consistency",
                                       "standard_accuracy", "speed"]
    by_key = {a.key: a for a in alerts}
    # 保险分: 1.2 / 3.0 = 40% < 50%; lenient: 10 − 8 = 2 > 0.1 × 16 = 1.6; speed 12 / 40 = 30% < 40%
    assert by_key["spread"].value == pytest.approx(0.4) and "保险分" in by_key["spread"].zh
    assert by_key["mean_deviation"].value == 2 and by_key["mean_deviation"].threshold == pytest.approx(1.6)
    assert "偏宽" in by_key["mean_deviation"].zh and "lenient" in by_key["mean_deviation"].en
    assert by_key["speed"].value == pytest.approx(0.3)
    assert by_key["agreement"].to_dict() == {"key": "agreement", "message": "与同评一致率 60%，低于 70%",
                                             "value": 0.6, "threshold": 0.7}


def test_third_rate_alone_and_the_minimum_counts():
    # agreement fine but a high third-mark rate (e.g. marks returned since): the third-rate alert
    assert _keys(MarkerFigures("T1", marks=40, paired=20, agreement_rate=0.8, third_rate=0.35)) == ["third_rate"]
    # too few marks, pairs or checks: nothing is judged yet
    early = MarkerFigures("T1", marks=9, paired=4, agreement_rate=0.1, third_rate=0.9, mean_score=15,
                          score_sd=0.1, median_seconds=1, rechecks=2, self_consistency=0.0, standards=2,
                          standard_accuracy=0.0)
    assert _keys(early) == []
    strict = MarkerFigures("T1", marks=40, mean_score=6.0, score_sd=3.0)  # 8 − 6 = 2 below
    assert _keys(strict) == ["mean_deviation"]
    assert "偏严" in marker_alerts(strict, GROUP, QUALITY, PROGRESS)[0].zh


def test_quality_policy_keys_are_checked():
    from marking.policy import PolicyError

    assert MarkingPolicy.from_dict({"quality": {"recheck_share": 0.1}}).quality.recheck_share == 0.1
    for bad in ({"recheck_share": 1.5}, {"trial_scripts": 0}, {"third_rate_max": 2}, {"refresh_seconds": 0},
                {"spread_ratio_min": -0.1}, {"trial": True}):
        with pytest.raises(PolicyError):
            MarkingPolicy.from_dict({"quality": bad})
