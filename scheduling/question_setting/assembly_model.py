"""The CP-SAT model of paper assembly (组卷模型): the eligible items in integer units, one rule
block per method, guarded where the explanations need to switch a rule group off."""
from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ._common import DIFFICULTY_SCALE, Cell
from .bank import BankItem
from .blueprint import Blueprint
from .policy import AssemblyPolicy

FORM_LABELS = "ABCDEFGH"
# Deviations from the difficulty target smaller than this are free: the band is the rule, the target a
# preference, and a dead band lets the solver prove optimality at once on large banks.
TARGET_DEAD_BAND = 0.005


@dataclass
class _Pool:
    """The eligible items, indexed, with everything the model needs in integer units."""

    items: list[BankItem]
    scale: int  # score units per point
    score: list[int]
    diff: list[int]  # difficulty × 1000
    by_cell: dict[Cell, list[int]]
    enemy_pairs: list[tuple[int, int]]
    pinned: dict[int, int | None]  # index → required form (None: any form)
    previous: list[set[str]]  # item ids of each previous form
    total_units: int
    cell_units: dict[Cell, int]

    def index(self) -> dict[str, int]:
        return {item.item_id: n for n, item in enumerate(self.items)}


GLOBAL_RULES = frozenset({"disjoint", "diff_low", "diff_high", "enemies", "match", "pin"})


class _PaperModel:
    """CP-SAT model of assembly. Rule groups named in `guarded` sit behind assumption literals (to find
    which groups clash); groups in `skip` are left out (to measure what the others allow)."""

    def __init__(self, pool: _Pool, blueprint: Blueprint, policy: AssemblyPolicy, forms: int,
                 guarded: frozenset[str] = frozenset(), skip: frozenset[str] = frozenset()):
        self.pool, self.blueprint, self.policy, self.forms = pool, blueprint, policy, forms
        self.guarded, self.skip = guarded, skip
        self.model = cp_model.CpModel()
        self.guards: dict[tuple, cp_model.IntVar] = {}
        self.x = {(i, f): self.model.new_bool_var(f"x_{pool.items[i].item_id}_{FORM_LABELS[f]}")
                  for i in range(len(pool.items)) for f in range(forms)}
        n = len(pool.items)
        weights = [pool.score[i] * pool.diff[i] for i in range(n)]
        self.difficulty = [cp_model.LinearExpr.weighted_sum([self.x[i, f] for i in range(n)], weights)
                           for f in range(forms)]

    def _add(self, constraint, key: tuple) -> None:
        if key[0] not in self.guarded:
            return
        if key not in self.guards:
            self.guards[key] = self.model.new_bool_var("guard_" + "_".join(map(str, key)))
        constraint.only_enforce_if(self.guards[key])

    # --- constraint builders ---------------------------------------------------------------

    def add_cells(self) -> None:
        """Every cell gets exactly its points (and its item count, if fixed) on every form."""
        counts = self.blueprint.item_counts
        for cell, members in self.pool.by_cell.items():
            for f in range(self.forms):
                chosen = [self.x[i, f] for i in members]
                points = cp_model.LinearExpr.weighted_sum(chosen, [self.pool.score[i] for i in members])
                self._add(self.model.add(points == self.pool.cell_units[cell]), ("cell", cell))
                if cell in counts:
                    self._add(self.model.add(cp_model.LinearExpr.sum(chosen) == counts[cell]), ("cell", cell))

    def add_forms_disjoint(self) -> None:
        if self.forms < 2:
            return
        for i in range(len(self.pool.items)):
            self._add(self.model.add_at_most_one(self.x[i, f] for f in range(self.forms)), ("disjoint",))

    def add_difficulty_band(self) -> None:
        total = self.pool.total_units
        low = round(self.policy.difficulty_min * DIFFICULTY_SCALE) * total
        high = round(self.policy.difficulty_max * DIFFICULTY_SCALE) * total
        for f in range(self.forms):
            self._add(self.model.add(self.difficulty[f] >= low), ("diff_low",))
            self._add(self.model.add(self.difficulty[f] <= high), ("diff_high",))

    def add_enemies(self) -> None:
        for a, b in self.pool.enemy_pairs:
            for f in range(self.forms):
                self._add(self.model.add_bool_or([self.x[a, f].Not(), self.x[b, f].Not()]), ("enemies",))

    def add_forms_matched(self) -> None:
        tolerance = round(self.policy.form_difficulty_tolerance * DIFFICULTY_SCALE) * self.pool.total_units
        for f in range(1, self.forms):
            self._add(self.model.add(self.difficulty[f] - self.difficulty[0] <= tolerance), ("match",))
            self._add(self.model.add(self.difficulty[0] - self.difficulty[f] <= tolerance), ("match",))

    def add_form_order(self) -> None:
        """Symmetry breaking: fresh forms are interchangeable, so order them by difficulty (A easiest).

        Only when no form is tied to a previous paper or pin, where A and B are no longer alike.
        """
        if self.forms < 2 or self.pool.previous or any(f is not None for f in self.pool.pinned.values()):
            return
        for f in range(1, self.forms):
            self.model.add(self.difficulty[f - 1] >= self.difficulty[f])

    def add_pins(self) -> None:
        for i, form in self.pool.pinned.items():
            key = ("pin", self.pool.items[i].item_id)
            if form is not None and form < self.forms:
                self._add(self.model.add(self.x[i, form] == 1), key)
            else:
                self._add(self.model.add(sum(self.x[i, f] for f in range(self.forms)) == 1), key)

    def add_all_rules(self) -> None:
        builders = {"cell": self.add_cells, "disjoint": self.add_forms_disjoint,
                    "diff": self.add_difficulty_band, "enemies": self.add_enemies,
                    "match": self.add_forms_matched, "pin": self.add_pins, "order": self.add_form_order}
        for name, build in builders.items():
            if name not in self.skip:
                build()

    # --- objective terms ---------------------------------------------------------------------

    def change_penalty(self) -> list:
        """Minimum change: each item of a previous form that leaves that form costs `change_weight`."""
        index = self.pool.index()
        weight = round(self.policy.change_weight * self.pool.total_units)
        terms = []
        for f, previous in enumerate(self.pool.previous[: self.forms]):
            for item_id in previous:
                i = index.get(item_id)
                terms.append(weight * (1 - self.x[i, f]) if i is not None else weight)
        return terms

    def target_penalty(self) -> list:
        """Distance of each form's mean difficulty from the target, beyond a small dead band."""
        total = self.pool.total_units
        low = round((self.policy.target - TARGET_DEAD_BAND) * DIFFICULTY_SCALE) * total
        high = round((self.policy.target + TARGET_DEAD_BAND) * DIFFICULTY_SCALE) * total
        weight = round(self.policy.difficulty_weight * 10)  # per 0.0001 of mean difficulty → integer
        terms = []
        for f in range(self.forms):
            deviation = self.model.new_int_var(0, DIFFICULTY_SCALE * total, f"target_dev_{FORM_LABELS[f]}")
            self.model.add(deviation >= self.difficulty[f] - high)
            self.model.add(deviation >= low - self.difficulty[f])
            terms.append(weight * deviation)
        return terms

    def exposure_penalty(self) -> list:
        """Prefer items used less often (by any cohort): keeps the bank fresh."""
        weight = round(self.policy.exposure_weight * 10 * self.pool.total_units)
        return [weight * len(item.usage) * self.x[i, f] for i, item in enumerate(self.pool.items)
                if item.usage for f in range(self.forms)]

    def set_objective(self) -> None:
        # Units: 0.0001 of mean difficulty ≙ total_units; one change ≙ change_weight × 10000 of those.
        terms = [10 * t for t in self.change_penalty()] + self.target_penalty() + self.exposure_penalty()
        if terms:
            self.model.minimize(sum(terms))


def _solver(time_limit_s: float, num_workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, float(time_limit_s))
    solver.parameters.num_workers = max(1, int(num_workers))
    solver.parameters.random_seed = seed
    return solver
