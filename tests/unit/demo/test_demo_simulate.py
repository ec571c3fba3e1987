"""Simulated scores and raw responses: the model matches the bank's difficulty, answers score right."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from demo.simulate import simulate_item_scores, simulate_responses, wrong_fill_ins


@pytest.fixture(scope="module")
def paper(district30):
    """Every exam-grade item of two subjects: all four item types."""
    items = district30["items"]
    return items[(items["grade"] == 8) & items["subject"].isin(["math", "physics"])].reset_index(drop=True)


def _scores(paper, abilities, seed=0):
    return simulate_item_scores(abilities, paper["difficulty"].to_numpy(), paper["discrimination"].to_numpy(),
                                paper["max_score"].to_numpy(), paper["score_step"].to_numpy(),
                                np.random.default_rng(seed))


def test_mean_score_share_matches_difficulty_at_average_ability(paper):
    scores = _scores(paper, np.zeros(3000))
    share = scores.mean(axis=0) / paper["max_score"].to_numpy()
    error = share - paper["difficulty"].to_numpy()
    assert np.abs(error).mean() < 0.01
    assert np.abs(error).max() < 0.04  # ~4 standard errors of a right/wrong item over 3000 students
    assert np.corrcoef(share, paper["difficulty"])[0, 1] > 0.97


def test_scores_are_steps_between_zero_and_max(paper):
    scores = _scores(paper, np.random.default_rng(1).normal(0, 1, 500))
    max_score, step = paper["max_score"].to_numpy(), paper["score_step"].to_numpy()
    assert (scores >= 0).all() and (scores <= max_score).all()
    assert np.allclose(scores / step, np.round(scores / step))
    objective = (paper["item_type"] != "subjective").to_numpy()
    assert np.isin(scores[:, objective] / max_score[objective], [0.0, 1.0]).all()
    half_steps = (paper["score_step"] == 0.5).to_numpy()
    assert (scores[:, half_steps] % 1 == 0.5).any()  # half marks do occur


def test_abler_students_score_more_and_steeper_items_separate_more(paper):
    low, mid, high = (_scores(paper, np.full(2000, theta), seed=s).mean(axis=0) for s, theta in
                      enumerate((-1.0, 0.0, 1.0)))
    assert (low < mid).mean() > 0.95 and (mid < high).mean() > 0.95
    gap = (high - low) / paper["max_score"].to_numpy()
    assert np.corrcoef(gap, paper["discrimination"])[0, 1] > 0.3


def test_scores_are_deterministic_by_generator(paper):
    abilities = np.linspace(-2, 2, 50)
    assert np.array_equal(_scores(paper, abilities, seed=5), _scores(paper, abilities, seed=5))
    assert not np.array_equal(_scores(paper, abilities, seed=5), _scores(paper, abilities, seed=6))


def _auto_score(response, item_type: str, key: str) -> bool:
    """A minimal reference scorer: exact letters, letter sets, or an accepted fill-in answer."""
    if response is None or response == "":
        return False
    if item_type == "multiple_choice":
        return "".join(sorted(response)) == key
    if item_type == "fill_in":
        return response in key.split("|")
    return response == key


def test_responses_score_as_the_given_right_and_wrong(paper):
    rng = np.random.default_rng(3)
    abilities = rng.normal(0, 1, 300)
    scores = _scores(paper, abilities)
    correct = scores == paper["max_score"].to_numpy()
    responses = simulate_responses(paper, abilities, rng, correct=correct, omit_rate=0.05)
    for j, item in paper.iterrows():
        column = responses[:, j]
        if item["item_type"] == "subjective":
            assert all(r is None for r in column)
            continue
        scored = np.array([_auto_score(r, item["item_type"], item["key"]) for r in column])
        assert np.array_equal(scored, correct[:, j]), item["item_id"]
        assert all(isinstance(r, str) for r in column)
    blanks = np.vectorize(lambda r: r == "")(responses)
    assert blanks.any() and not (blanks & correct).any()


def test_wrong_answers_look_like_real_mistakes(paper):
    rng = np.random.default_rng(4)
    responses = simulate_responses(paper, np.full(3000, -3.0), rng, omit_rate=0.0)  # weak students: mostly wrong
    single = paper.index[paper["item_type"] == "single_choice"]
    for j in single[:10]:
        wrong = pd.Series(responses[:, j])
        wrong = wrong[wrong != paper.at[j, "key"]]
        shares = wrong.value_counts(normalize=True)
        assert len(shares) == 3 and shares.iloc[0] > 0.4  # one attractive distractor
    multiple = paper.index[paper["item_type"] == "multiple_choice"]
    for j in multiple:
        key = set(paper.at[j, "key"])
        wrong = [set(r) for r in responses[:, j] if set(r) != key]
        near = [w < key or w > key for w in wrong]  # a letter missed or one added
        assert np.mean(near) > 0.6 and all(w <= set("ABCD") and w for w in wrong)
    fill = paper.index[paper["item_type"] == "fill_in"]
    for j in fill:
        accepted = set(paper.at[j, "key"].split("|"))
        wrong = {r for r in responses[:, j] if r not in accepted}
        assert wrong and wrong <= set(wrong_fill_ins(paper.at[j, "key"], paper.at[j, "subject"]))


def test_without_a_given_pattern_right_answers_follow_the_model(paper):
    rng = np.random.default_rng(5)
    objective = paper[paper["item_type"] != "subjective"].reset_index(drop=True)
    responses = simulate_responses(objective, np.zeros(3000), rng, omit_rate=0.0)
    right = np.array([[_auto_score(r, t, k) for r in responses[:, j]]
                      for j, (t, k) in enumerate(zip(objective["item_type"], objective["key"]))]).T
    assert np.abs(right.mean(axis=0) - objective["difficulty"].to_numpy()).max() < 0.04


@pytest.mark.parametrize("key,subject,expected", [
    ("12", "math", {"13", "11", "-12", "24"}),
    ("x=3|3", "math", {"x=4", "x=2", "x=-3", "x=6"}),
    ("3/4|0.75", "math", {"4/3", "3/5", "0.25"}),
])
def test_numeric_fill_in_mistakes(key, subject, expected):
    assert set(wrong_fill_ins(key, subject)) == expected
