"""Solving with guarded rules: the main solve fixes every rule literal, the core solve assumes them.

Why two solves: assumptions stop presolve from fixing the rule literals (slower), and CP-SAT's
core extraction is only trustworthy without presolve and with one worker (or-tools issues #5141,
#2563), so the main solve fixes the literals and only an infeasible policy pays for the core solve.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ortools.sat.python import cp_model


class Guarded(Protocol):
    literal: cp_model.IntVar


STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN", cp_model.MODEL_INVALID: "MODEL_INVALID",
}


def _solver(time_limit_s: float, num_workers: int, relative_gap: float = 0.0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, float(time_limit_s))
    solver.parameters.num_workers = max(1, int(num_workers))
    if relative_gap > 0:
        solver.parameters.relative_gap_limit = relative_gap
    return solver


def posting_params(num_workers: int) -> dict[str, Any]:
    """Solver settings for the posting model. Its LP bound needs the strongest linearization: with
    the default portfolio a 100-school district stalled at a 1–5% gap after 30 s; with `max_lp` it
    closed in 2–15 s (benchmarks/bench_rotation.py)."""
    if num_workers <= 1:
        return {"linearization_level": 2}
    if num_workers == 2:
        return {"subsolvers": ["max_lp", "default_lp"]}
    return {}


def _literal(model: cp_model.CpModel, literal: cp_model.IntVar) -> cp_model.IntVar:
    return model.get_bool_var_from_proto_index(literal.index)


def solve_with_rules(model: cp_model.CpModel, rules: Sequence[Guarded], *, time_limit_s: float, num_workers: int,
                     relative_gap: float = 0.0, hints: Sequence[tuple[cp_model.IntVar, int]] = (),
                     keep_objective: bool = True, params: dict[str, Any] | None = None
                     ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Solve with every rule enforced (literals fixed to true); returns the solver and its status."""
    trial = model.clone()
    if not keep_objective:
        trial.clear_objective()
    if rules:
        trial.add_bool_and([_literal(trial, r.literal) for r in rules])
    for variable, value in hints:
        trial.add_hint(trial.get_bool_var_from_proto_index(variable.index), value)
    solver = _solver(time_limit_s, num_workers, relative_gap)
    for key, value in (params or {}).items():
        if isinstance(value, list):
            getattr(solver.parameters, key).extend(value)
        else:
            setattr(solver.parameters, key, value)
    status = solver.solve(trial)
    return solver, status


def is_infeasible(model: cp_model.CpModel, rules: Sequence[Guarded], *, time_limit_s: float,
                  num_workers: int) -> bool | None:
    """True if the rules cannot hold together, False if they can, None if the solver ran out of time."""
    _, status = solve_with_rules(model, rules, time_limit_s=time_limit_s, num_workers=num_workers,
                                 keep_objective=False)
    if status == cp_model.INFEASIBLE:
        return True
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    return None


@dataclass
class CoreResult:
    core: list[Any]  # rule instances
    minimal: bool  # every rule was checked to be needed
    seconds: float


def infeasible_core(model: cp_model.CpModel, rules: Sequence[Guarded], *, time_limit_s: float,
                    num_workers: int = 1) -> CoreResult | None:
    """A small set of rule instances that cannot hold together, from CP-SAT's assumption core,
    then shrunk by deletion (each rule dropped in turn if the rest stay infeasible)."""
    started = time.perf_counter()
    trial = model.clone()
    trial.clear_objective()
    trial.clear_hints()
    by_index = {r.literal.index: r for r in rules}
    trial.add_assumptions([_literal(trial, r.literal) for r in rules])
    solver = _solver(time_limit_s * 0.5, 1)
    solver.parameters.cp_model_presolve = False
    status = solver.solve(trial)
    if status != cp_model.INFEASIBLE:
        return None
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    if not core or is_infeasible(model, core, time_limit_s=max(0.5, time_limit_s * 0.1),
                                 num_workers=num_workers) is not True:
        core = list(rules)  # the reported core is not trustworthy: shrink from all the rules
    minimal = True
    position = 0
    while position < len(core):
        remaining = time_limit_s - (time.perf_counter() - started)
        if remaining <= 0.05:
            minimal = False
            break
        without = core[:position] + core[position + 1:]
        per_check = max(0.1, remaining / max(1, len(core) - position))
        verdict = is_infeasible(model, without, time_limit_s=per_check, num_workers=num_workers)
        if verdict is True:
            core = without
        else:
            if verdict is None:
                minimal = False
            position += 1
    return CoreResult(core=core, minimal=minimal, seconds=time.perf_counter() - started)


def maximise_under(model: cp_model.CpModel, rules: Sequence[Guarded], measure: Any, *, time_limit_s: float,
                   num_workers: int) -> int | None:
    """The largest value of `measure` while the given rules hold (None if unknown in the time)."""
    trial = model.clone()
    trial.clear_objective()
    trial.clear_hints()
    if rules:
        trial.add_bool_and([_literal(trial, r.literal) for r in rules])
    trial.maximize(measure)
    solver = _solver(time_limit_s, num_workers)
    status = solver.solve(trial)
    if status == cp_model.OPTIMAL:
        return int(round(solver.objective_value))
    return None


def disjoint_cores(model: cp_model.CpModel, rules: Sequence[Guarded], *, time_limit_s: float, num_workers: int = 1,
                   max_cores: int = 10) -> list[CoreResult]:
    """Independent conflicts: a core, then another among the rules outside it, until the rest hold
    together (or time or `max_cores` runs out). Each core is a separate reason the policy fails."""
    started = time.perf_counter()
    remaining = list(rules)
    cores: list[CoreResult] = []
    while len(cores) < max_cores:
        left = time_limit_s - (time.perf_counter() - started)
        if left < 0.2 or not remaining:
            break
        found = infeasible_core(model, remaining, time_limit_s=left if not cores else left * 0.5,
                                num_workers=num_workers)
        if found is None or not found.core:
            break
        cores.append(found)
        taken = {id(r) for r in found.core}
        remaining = [r for r in remaining if id(r) not in taken]
    return cores
