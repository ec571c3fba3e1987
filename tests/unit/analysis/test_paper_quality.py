"""Paper quality (试卷质量分析) against hand computations: D under tied totals, the flags on D (LSAT-6),
SEM, the difficulty and discrimination bands, the knowledge-area breakdown beside the blueprint,
and 第 N 题 from the papers' positions."""
import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.items import area_breakdown, item_statistics, quality_bands, score_groups
from analysis.matrix import Paper
from analysis.pipeline import analyse_exam
from analysis.policy import AnalysisPolicy

from .conftest import DATA, context_tables, long_scores, lsat_matrix

# Ten students, two items of 2 marks (rows: item 1, item 2; totals in brackets):
#   s0 0,0 (0) · s1 1,0 (1) · s2 0,1 (1) · s3 1,0 (1) · s4 1,0 (1) · s5 1,1 (2) · s6 2,1 (3) · s7 1,2 (3)
#   s8 2,2 (4) · s9 2,2 (4)
# Groups of round(0.27 · 10) = 3 places. Lower: s0, and the four students on 1 share the 2 places
# left (½ each). Upper: s8, s9, and s6, s7 on 3 share the last place (½ each).
#   lower, item 1: (0 + ½(1 + 0 + 1 + 1)) / 3 / 2 = 1.5 / 6 = 0.25;  item 2: ½ · 1 / 6 = 1/12
#   upper, item 1: (2 + 2 + ½(2 + 1)) / 6 = 5.5 / 6;                  item 2: (2 + 2 + ½(1 + 2)) / 6 = 5.5 / 6
#   D1 = 5.5/6 − 0.25 = 2/3;  D2 = 5.5/6 − 1/12 = 5/6
# With ties broken by student id, D1 would be 1.5/6 − … anything from 0.5 to 0.83 depending on who
# is called s1 … s4.
TIED = np.array([[0, 0], [1, 0], [0, 1], [1, 0], [1, 0], [1, 1], [2, 1], [1, 2], [2, 2], [2, 2]], dtype=float)


def _analyse(matrix, items=None, **kw):
    scores, item_table = long_scores(matrix, **kw)
    if items is not None:
        item_table = items
    return analyse_exam(scores, item_table, *context_tables(scores))


def test_groups_share_the_places_at_a_tied_cut():
    groups = score_groups(TIED.sum(axis=1), 0.27)
    assert groups.size == 3
    np.testing.assert_allclose(groups.lower, [1, .5, .5, .5, .5, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(groups.upper, [0, 0, 0, 0, 0, 0, .5, .5, 1, 1])
    np.testing.assert_allclose(groups.middle, [0, .5, .5, .5, .5, 1, .5, .5, 0, 0])


def _paper(matrix):
    n, k = matrix.shape
    return Paper(subject="math", item_ids=[f"Q{j + 1}" for j in range(k)], max_scores=np.full(k, 2.0),
                 item_types=[None] * k, keys=[None] * k, students=np.arange(n), matrix=matrix)


def test_d_is_the_same_for_any_order_of_tied_students():
    expected = [2 / 3, 5 / 6]
    for order in itertools.islice(itertools.permutations(range(len(TIED))), 0, 40320, 997):  # 41 orders
        stats, _ = item_statistics(_paper(TIED[list(order)]), AnalysisPolicy())
        np.testing.assert_allclose(stats["discrimination_ul"], expected, atol=1e-12)
    # end to end: the same students under other ids (ties broken by id would move D)
    a = _analyse(TIED)
    b = _analyse(TIED[::-1], prefix="Z")
    np.testing.assert_allclose(a.items["discrimination_ul"], expected, atol=1e-12)
    np.testing.assert_allclose(b.items["discrimination_ul"], expected, atol=1e-12)


def test_lsat6_d_by_hand_and_only_item_1_flagged():
    table = pd.read_csv(DATA / "bock_lieberman_lsat.csv")
    patterns = table[["q1", "q2", "q3", "q4", "q5"]].to_numpy()
    counts = table["lsat6"].to_numpy()
    totals = patterns.sum(axis=1)
    # 1,000 students, groups of 270. Totals 0, 1, 2: 3 + 20 + 85 = 108 students, all lower; the 237 on
    # a total of 3 share the 162 places left. Upper: the 298 students with 5 share its 270 places, so
    # the upper group is right on every item and D = 1 − the lower group's rate.
    assert counts[totals <= 2].sum() == 108 and counts[totals == 3].sum() == 237 and counts[totals == 5].sum() == 298
    below = (patterns[totals <= 2] * counts[totals <= 2, None]).sum(axis=0)
    at_cut = (patterns[totals == 3] * counts[totals == 3, None]).sum(axis=0)
    lower_rate = (below + 162 / 237 * at_cut) / 270
    a = _analyse(lsat_matrix(6), schools=3)
    np.testing.assert_allclose(a.items["upper_rate"], 1.0)
    np.testing.assert_allclose(a.items["discrimination_ul"], 1 - lower_rate, atol=1e-12)
    # every corrected item–rest r is below 0.2 (published 0.113 … 0.173): flags on it would mark all
    # five; Ebel's guide is for D, and only item 1 (D = 0.197) falls below 0.2
    assert (a.items["discrimination"] < 0.2).all()
    flagged = a.items["flags"].str.contains("low_discrimination")
    assert flagged.tolist() == [True, False, False, False, False]
    # the plain item–total r is the published point-biserial
    np.testing.assert_allclose(a.items["item_total_r"], [0.362, 0.567, 0.618, 0.534, 0.435], atol=6e-4)


def test_sem_and_bands_by_hand():
    # totals of eight students on items of 2 and 3 marks
    x = np.array([[2, 3], [0, 3], [2, 1], [2, 0], [0, 0], [2, 2], [2, 3], [0, 1]], dtype=float)
    # Σ squared deviations: item 1 7.5, item 2 11.875, total 22.875 (mean 2.875)
    # α = 2 · (1 − (7.5 + 11.875) / 22.875) = 7 / 22.875
    # SEM = SD · √(1 − α) with SD² = 22.875 / 8: SEM² = (22.875 − 7) / 8 = 1.984375
    a = _analyse(x)
    paper = a.papers.iloc[0]
    assert paper["alpha"] == pytest.approx(7 / 22.875)
    assert paper["sem"] == pytest.approx(np.sqrt(1.984375))
    # difficulty: item 1 10/16 = 0.625 (medium), item 2 13/24 = 0.54 (medium)
    # D (groups of round(2.16) = 2: totals 0 and 1 below, the two 5s above):
    #   item 1: 1 − 0 = 1.0; item 2: 1 − (0 + 1)/2/3 = 5/6: both very good
    np.testing.assert_allclose(a.items["difficulty"], [0.625, 13 / 24])
    np.testing.assert_allclose(a.items["discrimination_ul"], [1.0, 5 / 6])
    bands = a.item_bands.set_index(["index", "band"])
    assert bands.loc[("difficulty", "medium"), "items"] == 2 and bands.loc[("difficulty", "easy"), "items"] == 0
    assert bands.loc[("difficulty", "medium"), "points_share"] == pytest.approx(1.0)
    assert bands.loc[("discrimination_ul", "very_good"), "numbers"] == "1、2"
    assert bands.loc[("discrimination_ul", "poor"), "items"] == 0


def test_band_edges_belong_to_the_upper_band():
    items = pd.DataFrame({"subject": "math", "number": [1, 2, 3, 4], "max_score": [1.0, 2.0, 3.0, 4.0],
                          "difficulty": [0.4, 0.7, 0.39, 0.95], "discrimination_ul": [0.2, 0.3, 0.4, 0.19]})
    bands = quality_bands(items).set_index(["index", "band"])
    assert bands.loc[("difficulty", "medium"), "numbers"] == "1"
    assert bands.loc[("difficulty", "easy"), "numbers"] == "2、4"
    assert bands.loc[("difficulty", "hard"), "numbers"] == "3"
    assert bands.loc[("difficulty", "easy"), "points"] == 6.0 and bands.loc[("difficulty", "easy"), "points_share"] == 0.6
    assert [bands.loc[("discrimination_ul", b), "numbers"] for b in ("poor", "acceptable", "good", "very_good")] == \
        ["4", "1", "2", "3"]


def test_knowledge_areas_beside_the_blueprint_and_numbers_from_positions():
    x = np.array([[2, 3], [0, 3], [2, 1], [2, 0], [0, 0], [2, 2], [2, 3], [0, 1]], dtype=float)
    scores, _ = long_scores(x)
    # the paper lists Q2 first: position 2 is 第2题 whatever the row order
    items = pd.DataFrame({"subject": "math", "item_id": ["Q2", "Q1"], "max_score": [3.0, 2.0], "position": [2, 1],
                          "item_type": ["subjective", "single_choice"],
                          "knowledge_area": ["图形与几何", "数与代数"], "cognitive_level": ["apply", "remember"]})
    blueprint = {"cells": [{"knowledge_area": "数与代数", "cognitive_level": "remember", "item_type": "single_choice",
                            "points": 2}, {"knowledge_area": "图形与几何", "cognitive_level": "apply",
                                           "item_type": "subjective", "points": 4},
                           {"knowledge_area": "统计与概率", "cognitive_level": "apply", "item_type": "fill_in",
                            "points": 1}]}
    a = analyse_exam(scores, items, *context_tables(scores), blueprints={"math": blueprint})
    numbers = dict(zip(a.items["item_id"], a.items["number"]))
    assert numbers == {"Q1": 1, "Q2": 2}
    areas = a.areas[a.areas["dimension"] == "knowledge_area"].set_index("category")
    # Q1 (数与代数): mean 10/8 of 2 → 62.5 %; Q2 (图形与几何): mean 13/8 of 3; blueprint 4 points
    assert areas.loc["数与代数", "score_rate"] == pytest.approx(0.625)
    assert areas.loc["图形与几何", "score_rate"] == pytest.approx(13 / 24)
    assert areas.loc["图形与几何", "points"] == 3.0 and areas.loc["图形与几何", "blueprint_points"] == 4.0
    # a blueprint area with no question on the paper still shows, with 0 points
    assert areas.loc["统计与概率", "items"] == 0 and areas.loc["统计与概率", "blueprint_points"] == 1.0
    levels = a.areas[a.areas["dimension"] == "cognitive_level"].set_index("category")
    assert levels.loc["apply", "numbers"] == "2" and levels.loc["apply", "blueprint_points"] == 5.0
    # without a blueprint: no planned points
    plain = area_breakdown(a.items)
    assert plain["blueprint_points"].isna().all()
