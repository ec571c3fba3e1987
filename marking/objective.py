"""Objective items scored against the key (客观题自动评分): single choice, multiple choice, fill-in."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from marking.policy import ObjectivePolicy
from marking.rules import round_to_step

_CHOICE_SEPARATORS = re.compile(r"[\s,，;；、/|]+")


def _fold(text: str) -> str:
    """Full-width to half-width (Ａ→A, １→1, （→( ) and trimmed: how answer sheets vary."""
    return unicodedata.normalize("NFKC", text).strip()


def choice_letters(answer: str | None) -> frozenset[str]:
    """The options in an answer such as 'ACD', 'A,C,D' or 'ａｃ' (case and width folded)."""
    if answer is None:
        return frozenset()
    text = _CHOICE_SEPARATORS.sub("", _fold(str(answer)).upper())
    return frozenset(text)


def score_single_choice(key: str | None, answer: str | None, max_score: float) -> float:
    chosen = choice_letters(answer)
    right = choice_letters(key)
    return float(max_score) if right and chosen == right else 0.0


def score_multiple_choice(key: str | None, answer: str | None, max_score: float, step: float,
                          policy: ObjectivePolicy) -> float:
    """All right: full; some right and none wrong: the policy's partial credit; any wrong or blank: 0."""
    right = choice_letters(key)
    chosen = choice_letters(answer)
    if not right or not chosen or chosen - right:
        return 0.0
    if chosen == right:
        return float(max_score)
    if policy.multiple_choice_rule == "all_or_nothing":
        return 0.0
    if policy.multiple_choice_rule == "partial":
        return round_to_step(policy.partial_share * max_score, step, "down")
    return round_to_step(max_score * len(chosen) / len(right), step, "down")  # per_option


def _normal_text(text: str, policy: ObjectivePolicy) -> str:
    text = _fold(text)
    if policy.fill_in_ignore_spaces:
        text = re.sub(r"\s+", "", text)
    if not policy.fill_in_case_sensitive:
        text = text.casefold()
    return text


def accepted_answers(key: str | None) -> list[str]:
    """Key alternatives separated by '|' (e.g. '1/2|0.5|50%')."""
    if key is None:
        return []
    return [a for a in (part.strip() for part in str(key).split("|")) if a]


def score_fill_in(key: str | None, answer: str | None, max_score: float, policy: ObjectivePolicy) -> float:
    if answer is None or not str(answer).strip():
        return 0.0
    given = _normal_text(str(answer), policy)
    return float(max_score) if any(given == _normal_text(a, policy) for a in accepted_answers(key)) else 0.0


def _blank(value: object) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def score_objective(item_type: str, key: str | None, answer: str | None, max_score: float, step: float,
                    policy: ObjectivePolicy) -> float:
    """The score of one objective answer; a blank answer scores 0."""
    answer = _blank(answer)
    if item_type == "single_choice":
        return score_single_choice(key, answer, max_score)
    if item_type == "multiple_choice":
        return score_multiple_choice(key, answer, max_score, step, policy)
    if item_type == "fill_in":
        return score_fill_in(key, answer, max_score, policy)
    raise ValueError(f"{item_type!r} is not an objective item type")


@dataclass(frozen=True)
class ObjectiveItem:
    item_id: str
    item_type: str
    key: str | None
    max_score: float
    step: float


def score_objective_frame(responses: pd.DataFrame, items: list[ObjectiveItem], policy: ObjectivePolicy) -> pd.DataFrame:
    """Scores of every (student, objective item): columns student_id, item_id, score.

    `responses` has student_id, item_id, answer; a student with any response gets a score for every
    item (0 where the answer is missing).
    """
    answers = {(str(s), str(i)): a for s, i, a in zip(responses["student_id"], responses["item_id"],
                                                       responses["answer"])}
    students = sorted({str(s) for s in responses["student_id"]})
    rows = []
    for student in students:
        for item in items:
            answer = answers.get((student, item.item_id))
            rows.append((student, item.item_id,
                         score_objective(item.item_type, item.key, answer, item.max_score, item.step, policy)))
    return pd.DataFrame(rows, columns=["student_id", "item_id", "score"])
