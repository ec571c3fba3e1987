"""Per-cell capacity checks: can the bank's eligible items make a cell's points exactly?

Why before the solver: a cell that no combination of item scores can fill is the usual reason a
blueprint fails, and a subset-sum check names it with its shortfall in points, which a solver's
infeasibility core cannot.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CellCapacity:
    """What the eligible items of one cell can make (all scores in integer units)."""

    need: int  # points the cell needs (units), after the pinned items' points are taken off
    need_items: int | None  # items still needed if the blueprint fixes the count, else None
    available: int  # sum of the eligible (not pinned) items' scores
    available_items: int
    exact: bool  # some subset (of the right size, if fixed) sums to exactly `need`
    nearest_below: int | None  # best reachable sum under `need` (any size), None if only 0
    nearest_above: int | None  # smallest reachable sum over `need`, None if none

    @property
    def shortfall(self) -> int:
        return max(0, self.need - self.available)


def reachable_sums(scores: list[int], limit: int) -> int:
    """Bitset (a Python int) of every subset sum ≤ limit: bit s is set when some subset sums to s."""
    mask = (1 << (limit + 1)) - 1
    reach = 1
    for score in scores:
        reach = (reach | (reach << score)) & mask
    return reach


def reachable_with_count(scores: list[int], target: int, count: int) -> bool:
    """Is there a subset of exactly `count` scores summing to `target`? (DP over sizes, bitsets for sums)"""
    if count < 0 or count > len(scores):
        return False
    mask = (1 << (target + 1)) - 1
    by_size = [1] + [0] * count  # by_size[k]: sums reachable with exactly k items
    for score in scores:
        for k in range(count, 0, -1):
            by_size[k] |= (by_size[k - 1] << score) & mask
    return bool(by_size[count] >> target & 1)


def cell_capacity(scores: list[int], need: int, need_items: int | None = None) -> CellCapacity:
    """Capacity of one cell from its eligible item scores (units)."""
    available = sum(scores)
    if need < 0:
        return CellCapacity(need, need_items, available, len(scores), False, None, None)
    top = need + (max(scores) if scores else 0)
    reach = reachable_sums(scores, top)
    if need_items is None:
        exact = bool(reach >> need & 1)
    else:
        exact = need_items <= len(scores) and reachable_with_count(scores, need, need_items)
    below = next((s for s in range(need - 1, 0, -1) if reach >> s & 1), None)
    above = next((s for s in range(need + 1, top + 1) if reach >> s & 1), None)
    return CellCapacity(need, need_items, available, len(scores), exact, below, above)
