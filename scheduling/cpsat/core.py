"""The smallest set of rules that cannot hold together (最小冲突规则集), for explanations.

One search for every planner: start from the rules CP-SAT names as sufficient for infeasibility
(its assumption core), or from all of them, then shrink by deletion — each rule in turn is dropped
when the others still clash — within a time budget. What is left is a minimal core when every
check finished: each of its rules is needed for the clash. Callers name the rules; the search sees
only keys and their literals.

Why the assumption solve runs without presolve and on one worker: CP-SAT's core extraction is only
trustworthy then (or-tools issues #5141, #2563); the core it names is checked anyway, and all the
rules are shrunk instead when it does not clash on its own. Planners whose models are slow without
presolve (exam logistics) start from all the rules instead (`start="all"`).

Rules left out of a check are either free (`others="free"`: the solver may switch them off, as if
they were not in the model) or switched off (`others="off"`: fixed to false, so presolve removes
their constraints — faster when a rule group holds many constraints).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from ortools.sat.python import cp_model

from .rules import literal_in, new_solver

Rule = TypeVar("Rule")


@dataclass
class CoreResult(Generic[Rule]):
    core: list[Rule]  # the rules that cannot hold together (empty: the model fails with none of them)
    minimal: bool  # every rule was checked to be needed
    seconds: float


def _guard_literal(rule: Any) -> cp_model.IntVar:
    return rule.literal


class _Checks:
    """Solves of the model with a subset of the rules enforced."""

    def __init__(self, model: cp_model.CpModel, rules: Sequence[Any], literal: Callable[[Any], cp_model.IntVar],
                 others: str, num_workers: int):
        self.model, self.rules, self.literal = model, list(rules), literal
        self.others, self.num_workers = others, num_workers

    def trial(self, enforced: Sequence[Any]) -> cp_model.CpModel:
        trial = self.model.clone()
        trial.clear_objective()
        trial.clear_hints()
        trial.clear_assumptions()
        if enforced:
            trial.add_bool_and([literal_in(trial, self.literal(r)) for r in enforced])
        if self.others == "off":
            on = {id(r) for r in enforced}
            for rule in self.rules:
                if id(rule) not in on:
                    trial.add(literal_in(trial, self.literal(rule)) == 0)
        return trial

    def infeasible(self, enforced: Sequence[Any], time_limit_s: float) -> bool | None:
        """True if the rules clash, False if they hold together, None if the solver ran out of time."""
        status = new_solver(time_limit_s, self.num_workers).solve(self.trial(enforced))
        if status == cp_model.INFEASIBLE:
            return True
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        return None

    def assumption_core(self, time_limit_s: float, presolve: bool) -> list[Any] | None:
        """The rules CP-SAT names as sufficient for infeasibility; None if the rules are not proven to clash."""
        trial = self.model.clone()
        trial.clear_objective()
        trial.clear_hints()
        trial.clear_assumptions()
        by_index = {self.literal(r).index: r for r in self.rules}
        trial.add_assumptions([literal_in(trial, self.literal(r)) for r in self.rules])
        solver = new_solver(time_limit_s, self.num_workers if presolve else 1)
        solver.parameters.cp_model_presolve = presolve
        if solver.solve(trial) != cp_model.INFEASIBLE:
            return None
        return [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]


def minimal_core(model: cp_model.CpModel, rules: Sequence[Rule], *, time_limit_s: float, num_workers: int = 1,
                 literal: Callable[[Rule], cp_model.IntVar] = _guard_literal,
                 others: Literal["free", "off"] = "free", start: Literal["assumptions", "all"] = "assumptions",
                 assumption_presolve: bool = False, shrink_limit: int | None = None) -> CoreResult[Rule] | None:
    """A small set of `rules` that cannot hold together; None when all of them together are not
    proven infeasible in the time. `literal(rule)` is the rule's guard in `model` (default: the
    rule's `literal` attribute). The core keeps the order of `rules`. `shrink_limit`: a start core
    longer than this is returned as it is (not minimal), for models whose checks are slow."""
    started = time.perf_counter()
    checks = _Checks(model, rules, literal, others, num_workers)

    def left() -> float:
        return time_limit_s - (time.perf_counter() - started)

    if start == "assumptions":
        named = checks.assumption_core(time_limit_s * 0.5, assumption_presolve)
        if named is None:
            return None
        named_ids = {id(r) for r in named}
        core = [r for r in rules if id(r) in named_ids]
        if not core or checks.infeasible(core, max(0.5, time_limit_s * 0.1)) is not True:
            core = list(rules)  # the named core is not trustworthy: shrink from all the rules
    else:
        if checks.infeasible(list(rules), time_limit_s / 3) is not True:
            return None
        # Infeasible with no rule at all: the clash is in the model's own structure; the deletion
        # below would find that one rule at a time.
        if checks.infeasible([], max(0.5, left() / (len(rules) + 1))) is True:
            return CoreResult(core=[], minimal=True, seconds=time.perf_counter() - started)
        core = list(rules)
    if shrink_limit is not None and len(core) > shrink_limit:
        return CoreResult(core=core, minimal=False, seconds=time.perf_counter() - started)

    minimal = True
    position = 0
    while position < len(core):
        remaining = left()
        if remaining <= 0.05:
            minimal = False
            break
        without = core[:position] + core[position + 1:]
        verdict = checks.infeasible(without, max(0.1, remaining / max(1, len(core) - position)))
        if verdict is True:
            core = without
        else:
            if verdict is None:
                minimal = False
            position += 1
    return CoreResult(core=core, minimal=minimal, seconds=time.perf_counter() - started)


def disjoint_cores(model: cp_model.CpModel, rules: Sequence[Rule], *, time_limit_s: float, num_workers: int = 1,
                   max_cores: int = 10, literal: Callable[[Rule], cp_model.IntVar] = _guard_literal
                   ) -> list[CoreResult[Rule]]:
    """Independent conflicts: a core, then another among the rules outside it, until the rest hold
    together (or time or `max_cores` runs out). Each core is a separate reason the policy fails."""
    started = time.perf_counter()
    remaining = list(rules)
    cores: list[CoreResult[Rule]] = []
    while len(cores) < max_cores:
        left = time_limit_s - (time.perf_counter() - started)
        if left < 0.2 or not remaining:
            break
        found = minimal_core(model, remaining, time_limit_s=left if not cores else left * 0.5,
                             num_workers=num_workers, literal=literal)
        if found is None or not found.core:
            break
        cores.append(found)
        taken = {id(r) for r in found.core}
        remaining = [r for r in remaining if id(r) not in taken]
    return cores
