"""The rules of double marking (双评), third marks (三评) and arbitration (仲裁), as pure functions.

Per item of a script's group:
- two marks within the item's tolerance: the final is their mean, rounded to the item's step;
- otherwise a third mark; if it lies within tolerance of one (or both) of the first two, the final
  is the mean of the closest such pair;
- otherwise the group leader arbitrates and that mark is final;
- where nobody of another school may arbitrate (every one of them has marked the script: a best-effort
  plan), the policy may settle it instead: the mean of the two closest marks (`settle_without_arbiter`).
A third marker and an arbitrator are asked only for the items that still need them.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from marking.policy import DoubleMarkingPolicy

EPS = 1e-9
REGULAR_KINDS = ("first", "second")
KINDS = ("first", "second", "third", "arbitration")
SOURCE_RANK = {"single": 0, "double": 1, "third": 2, "closest": 3, "arbitration": 4}


@dataclass(frozen=True)
class ItemStandard:
    """The marking standard of one subjective item (评分标准), as frozen when marking opens."""

    item_id: str
    position: int  # question number on the paper (题号)
    max_score: float
    step: float  # 给分步长
    tolerance: float  # 双评误差: marks further apart than this disagree
    rubric: str | None = None

    def to_dict(self) -> dict:
        return {"item_id": self.item_id, "position": self.position, "max_score": self.max_score,
                "score_step": self.step, "tolerance": self.tolerance, "rubric": self.rubric}

    @classmethod
    def from_dict(cls, d: Mapping) -> ItemStandard:
        return cls(str(d["item_id"]), int(d["position"]), float(d["max_score"]), float(d["score_step"]),
                   float(d["tolerance"]), d.get("rubric"))


def effective_tolerance(max_score: float, step: float, given: float | None, policy: DoubleMarkingPolicy) -> float:
    """The paper's tolerance, else share × max in whole steps, at least `tolerance_min_steps` steps.

    Marks lie on the step grid, so "differ by more than 10% of the max" is the same rule as "differ
    by more than the largest whole number of steps within 10%".
    """
    if given is not None and not (isinstance(given, float) and math.isnan(given)):
        return float(given)
    steps = max(policy.tolerance_min_steps, math.floor(policy.tolerance_share * max_score / step + EPS))
    return min(steps * step, max_score)


def round_to_step(value: float, step: float, mode: str = "half_up") -> float:
    """A score on the item's step grid: half_up (四舍五入), up (就高) or down (就低)."""
    units = value / step
    if mode == "half_up":
        whole = math.floor(units + 0.5 + EPS)
    elif mode == "up":
        whole = math.ceil(units - EPS)
    elif mode == "down":
        whole = math.floor(units + EPS)
    else:
        raise ValueError(f"unknown rounding mode {mode!r}")
    return round(whole * step, 6)


class InvalidScores(ValueError):
    """Submitted scores that do not fit the items asked for."""


def check_scores(items: Sequence[ItemStandard], scores: Mapping[str, float], *,
                 subset: bool = False) -> dict[str, float]:
    """The submitted scores as floats, if every asked item has one in [0, max] on its step grid.

    `subset=True` checks only the values of the items given (which items a task asks for is
    checked once the task is known).
    """
    wanted = {i.item_id: i for i in items}
    extra = sorted(set(scores) - set(wanted))
    missing = [] if subset else sorted(set(wanted) - set(scores))
    if extra or missing or not scores:
        raise InvalidScores(f"scores must be given for exactly the items {sorted(wanted)}; "
                            f"missing {missing}, unexpected {extra}")
    out: dict[str, float] = {}
    for item_id, raw in scores.items():
        item = wanted[item_id]
        try:
            value = float(raw)
        except (TypeError, ValueError) as error:
            raise InvalidScores(f"item {item_id}: score {raw!r} is not a number") from error
        if not math.isfinite(value) or value < -EPS or value > item.max_score + EPS:
            raise InvalidScores(f"item {item_id}: score {value:g} outside 0–{item.max_score:g}")
        units = value / item.step
        if abs(units - round(units)) > 1e-6:
            raise InvalidScores(f"item {item_id}: score {value:g} is not a multiple of the step {item.step:g}")
        out[item_id] = round(round(units) * item.step, 6)
    return out


@dataclass(frozen=True)
class MarkRecord:
    mark_id: int
    kind: str  # first, second, third, arbitration
    scores: Mapping[str, float]
    marker_id: str = ""


@dataclass(frozen=True)
class Resolution:
    """What a script needs next, or its final scores with the marks behind each."""

    status: str  # marking (waits for marks), third, arbitration, final
    finals: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # item -> single, double, third, arbitration
    marks_used: dict[str, list[int]] = field(default_factory=dict)
    pending_items: tuple[str, ...] = ()  # items the next (third or arbitration) mark must cover
    agreed: bool | None = None  # first two marks within tolerance on every item

    @property
    def source(self) -> str | None:
        """The script's most escalated item source."""
        if not self.sources:
            return None
        return max(self.sources.values(), key=SOURCE_RANK.__getitem__)


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values)


def resolve_script(items: Sequence[ItemStandard], marks: Sequence[MarkRecord], marks_needed: int,
                   policy: DoubleMarkingPolicy) -> Resolution:
    """Apply the double-marking rules to the marks a script has so far."""
    by_kind = {m.kind: m for m in marks}
    regular = [by_kind[k] for k in REGULAR_KINDS if k in by_kind]
    if len(regular) < marks_needed:
        return Resolution("marking")
    finals: dict[str, float] = {}
    sources: dict[str, str] = {}
    used: dict[str, list[int]] = {}
    if marks_needed == 1:
        only = regular[0]
        for item in items:
            finals[item.item_id] = round_to_step(float(only.scores[item.item_id]), item.step, policy.rounding)
            sources[item.item_id] = "single"
            used[item.item_id] = [only.mark_id]
        return Resolution("final", finals, sources, used, (), None)
    first, second = regular[0], regular[1]
    third = by_kind.get("third")
    arbitration = by_kind.get("arbitration")
    disagreeing: list[ItemStandard] = []
    for item in items:
        a, b = float(first.scores[item.item_id]), float(second.scores[item.item_id])
        if abs(a - b) <= item.tolerance + EPS:
            finals[item.item_id] = round_to_step((a + b) / 2, item.step, policy.rounding)
            sources[item.item_id] = "double"
            used[item.item_id] = [first.mark_id, second.mark_id]
        else:
            disagreeing.append(item)
    agreed = not disagreeing
    if not disagreeing:
        return Resolution("final", finals, sources, used, (), agreed)
    if third is None and arbitration is None:
        return Resolution("third", finals, sources, used, tuple(i.item_id for i in disagreeing), agreed)
    unresolved: list[ItemStandard] = []
    for item in disagreeing:
        # No third mark at all: nobody of another school could give one, and the leaders arbitrated.
        if third is None or item.item_id not in third.scores:
            unresolved.append(item)
            continue
        c = float(third.scores[item.item_id])
        pairs = []
        for other in (first, second):
            x = float(other.scores[item.item_id])
            if abs(c - x) <= item.tolerance + EPS:
                # closest first; on a tie, the policy picks the higher or lower pair
                tie_key = -x if policy.third_tie == "higher" else x
                pairs.append((abs(c - x), tie_key, other, x))
        if not pairs:
            unresolved.append(item)
            continue
        _, _, partner, x = min(pairs, key=lambda p: (p[0], p[1]))
        finals[item.item_id] = round_to_step((c + x) / 2, item.step, policy.rounding)
        sources[item.item_id] = "third"
        used[item.item_id] = [partner.mark_id, third.mark_id]
    if not unresolved:
        return Resolution("final", finals, sources, used, (), agreed)
    if arbitration is None or any(i.item_id not in arbitration.scores for i in unresolved):
        return Resolution("arbitration", finals, sources, used, tuple(i.item_id for i in unresolved), agreed)
    for item in unresolved:
        finals[item.item_id] = round_to_step(float(arbitration.scores[item.item_id]), item.step, policy.rounding)
        sources[item.item_id] = "arbitration"
        used[item.item_id] = [arbitration.mark_id]
    return Resolution("final", finals, sources, used, (), agreed)


def marks_agree(items: Sequence[ItemStandard], a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Two marks agree when every item they share is within its tolerance."""
    return all(abs(float(a[i.item_id]) - float(b[i.item_id])) <= i.tolerance + EPS
               for i in items if i.item_id in a and i.item_id in b)


def settle_without_arbiter(items: Sequence[ItemStandard], marks: Sequence[MarkRecord], marks_needed: int,
                           policy: DoubleMarkingPolicy) -> Resolution:
    """A script that waits for an arbitration nobody may give (无人可仲裁), settled by rule.

    Every teacher of another school registered for the subject has marked it, and a script is never
    marked by its own school. Each item still in dispute takes the mean of its two closest marks among
    the first, second and third (on a tie, the pair the policy's `third_tie` prefers), rounded to the
    item's step; its source is `closest`, so reports can list it. Anything else resolves as usual."""
    resolution = resolve_script(items, marks, marks_needed, policy)
    if resolution.status not in ("third", "arbitration"):  # "third": a third mark nobody could give was escalated
        return resolution
    by_kind = {m.kind: m for m in marks}
    finals, sources, used = dict(resolution.finals), dict(resolution.sources), dict(resolution.marks_used)
    for item_id in resolution.pending_items:
        step = next(i.step for i in items if i.item_id == item_id)
        given = [(float(m.scores[item_id]), m) for k in ("first", "second", "third")
                 if (m := by_kind.get(k)) is not None and item_id in m.scores]
        pairs = [(abs(a - b), -(a + b) if policy.third_tie == "higher" else a + b, ma, mb, a, b)
                 for i, (a, ma) in enumerate(given) for b, mb in given[i + 1:]]
        _, _, ma, mb, a, b = min(pairs, key=lambda p: (p[0], p[1]))
        finals[item_id] = round_to_step((a + b) / 2, step, policy.rounding)
        sources[item_id] = "closest"
        used[item_id] = [ma.mark_id, mb.mark_id]
    return Resolution("final", finals, sources, used, (), resolution.agreed)
