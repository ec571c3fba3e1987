"""Simulated answers to a paper: true item scores and raw objective responses.

The model (binomial 2PL-like): a student of ability θ earns each of an item's m = max_score /
score_step score steps with probability

    p = logistic(a · θ + logit(d))

where a is the item's discrimination and d its difficulty estimate (expected score share). So at
θ = 0 the expected share is exactly d; abler students score more, steeper items separate more.
Scores are step × Binomial(m, p): objective items (step = max_score) are right or wrong.

`simulate_responses` turns right/wrong into what a student wrote: the key letter or a distractor
(one distractor per item is more attractive), letter sets for multiple choice (mostly one correct
letter missing or one wrong letter added), an accepted answer or a plausible wrong one for fill-in
items, and a few blanks (omitted, scored 0). An auto-scorer reading the `items` key scores them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demo.bank import _CHEMISTRY, LETTERS, TERMS


def _expected_share(abilities: np.ndarray, difficulty: np.ndarray, discrimination: np.ndarray) -> np.ndarray:
    d = np.clip(np.asarray(difficulty, dtype=float), 1e-4, 1 - 1e-4)
    logit = np.log(d / (1 - d))
    z = np.asarray(abilities, dtype=float)[:, None] * np.asarray(discrimination, dtype=float)[None, :] + logit[None, :]
    return 1.0 / (1.0 + np.exp(-z))


def simulate_item_scores(abilities: np.ndarray, difficulty: np.ndarray, discrimination: np.ndarray,
                         max_score: np.ndarray, score_step: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Students × items true scores, multiples of each item's step, between 0 and its max score."""
    max_score = np.asarray(max_score, dtype=float)
    step = np.where(np.isnan(np.asarray(score_step, dtype=float)), max_score, np.asarray(score_step, dtype=float))
    steps = np.maximum(1, np.floor(max_score / step + 1e-9)).astype(np.int64)
    p = _expected_share(abilities, difficulty, discrimination)
    return np.minimum(rng.binomial(steps[None, :], p) * step[None, :], max_score[None, :])


# --- raw responses ---

def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def wrong_fill_ins(key: str, subject: str) -> list[str]:
    """Plausible wrong answers to a fill-in item (sign slips, off by one, a neighbouring term)."""
    accepted = [a for a in key.split("|") if a]
    main = accepted[0] if accepted else ""
    wrong: list[str] = []
    prefix, _, number = main.rpartition("=")
    try:
        if "/" in number:
            p, q = number.split("/")
            wrong += [f"{q}/{p}", f"{p}/{int(q) + 1}", _number_text(1 - int(p) / int(q))]
        else:
            v = float(number)
            wrong += [prefix + ("=" if prefix else "") + _number_text(x) for x in (v + 1, v - 1, -v, 2 * v)]
    except ValueError:
        if subject == "chemistry":
            wrong += [f[0] for f in _CHEMISTRY]
        terms = list(TERMS.get(subject, ()))
        if main in terms:  # the terms next to it in the pool: same topic, easily confused
            i = terms.index(main)
            wrong += [terms[(i + k) % len(terms)] for k in (1, -1, 2)]
        else:
            wrong += terms[:3]
    wrong = [w for w in dict.fromkeys(wrong) if w not in accepted and w]
    return wrong or [main + "？"]


def _mask_text() -> np.ndarray:
    return np.array(["".join(LETTERS[b] for b in range(4) if m >> b & 1) for m in range(16)], dtype=object)


def simulate_responses(items: pd.DataFrame, abilities: np.ndarray, rng: np.random.Generator, *,
                       correct: np.ndarray | None = None, omit_rate: float = 0.01) -> np.ndarray:
    """Students × items raw answers (object array); None for subjective items.

    `items` needs item_type, key, difficulty, discrimination (and subject for fill-in distractors).
    `correct` (students × items, bool) fixes who answers right, e.g. `scores == max_score` from
    `simulate_item_scores`; without it, correctness follows the same model. Wrong answers are left
    blank ("") with probability `omit_rate`.
    """
    n_students, n_items = len(abilities), len(items)
    if correct is None:
        correct = rng.random((n_students, n_items)) < _expected_share(
            abilities, items["difficulty"].to_numpy(), items["discrimination"].fillna(1.0).to_numpy())
    out = np.full((n_students, n_items), None, dtype=object)
    masks = _mask_text()
    letters = np.array(list(LETTERS), dtype=object)
    subjects = items["subject"].to_numpy() if "subject" in items.columns else np.full(n_items, "")
    for j, (item_type, key) in enumerate(zip(items["item_type"].to_numpy(), items["key"].to_numpy())):
        right = np.asarray(correct[:, j], dtype=bool)
        if item_type == "single_choice":
            k = LETTERS.index(key)
            offsets = rng.permutation([1, 2, 3])  # the first offset is this item's attractive distractor
            wrong_offset = offsets[rng.choice(3, size=n_students, p=[0.5, 0.3, 0.2])]
            column = np.where(right, letters[k], letters[(k + wrong_offset) % 4])
        elif item_type == "multiple_choice":
            key_mask = sum(1 << LETTERS.index(c) for c in key)
            in_key = [b for b in range(4) if key_mask >> b & 1]
            out_key = [b for b in range(4) if not key_mask >> b & 1]
            missing = key_mask ^ (1 << rng.choice(in_key, size=n_students))  # partly right: a letter missed
            extra = key_mask | (1 << rng.choice(out_key, size=n_students)) if out_key else missing
            other = rng.integers(1, 16, size=n_students)
            other = np.where(other == key_mask, other ^ 1, other)
            kind = rng.choice(3, size=n_students, p=[0.6, 0.25, 0.15])
            wrong_mask = np.select([kind == 0, kind == 1], [missing, extra], other)
            wrong_mask = np.where(wrong_mask == 0, other, wrong_mask)  # never an empty set by mistake
            column = np.where(right, key, masks[wrong_mask])
        elif item_type == "fill_in":
            accepted = np.array([a for a in str(key).split("|") if a], dtype=object)
            distractors = np.array(wrong_fill_ins(str(key), str(subjects[j])), dtype=object)
            column = np.where(right, accepted[rng.integers(0, len(accepted), size=n_students)],
                              distractors[rng.integers(0, len(distractors), size=n_students)])
        else:
            continue  # subjective: marked by hand, no raw answer here
        blank = ~right & (rng.random(n_students) < omit_rate)
        out[:, j] = np.where(blank, "", column)
    return out
