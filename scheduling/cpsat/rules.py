"""Guarded rules (带开关的规则): each rule instance's constraints are enforced only if its literal is
true, so one model answers "does the plan exist with these rules?" for any subset of them.

The main solve fixes every rule literal to true (presolve can then use them); the core search
(`core.py`) assumes or drops them. Rules left out of a solve are free: the solver may switch them
off, which is the same as leaving the rule out of the model.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ortools.sat.python import cp_model


class Guarded(Protocol):
    """A rule instance with the literal that switches its constraints on."""

    literal: cp_model.IntVar


def new_solver(time_limit_s: float, num_workers: int, relative_gap: float = 0.0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, float(time_limit_s))
    solver.parameters.num_workers = max(1, int(num_workers))
    if relative_gap > 0:
        solver.parameters.relative_gap_limit = relative_gap
    return solver


def literal_in(model: cp_model.CpModel, literal: cp_model.IntVar) -> cp_model.IntVar:
    """The same Boolean variable in a clone of the model it was made in."""
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
        trial.add_bool_and([literal_in(trial, r.literal) for r in rules])
    for variable, value in hints:
        trial.add_hint(trial.get_bool_var_from_proto_index(variable.index), value)
    solver = new_solver(time_limit_s, num_workers, relative_gap)
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


def maximise_under(model: cp_model.CpModel, rules: Sequence[Guarded], measure: Any, *, time_limit_s: float,
                   num_workers: int) -> int | None:
    """The largest value of `measure` while the given rules hold (None if unknown in the time)."""
    trial = model.clone()
    trial.clear_objective()
    trial.clear_hints()
    if rules:
        trial.add_bool_and([literal_in(trial, r.literal) for r in rules])
    trial.maximize(measure)
    solver = new_solver(time_limit_s, num_workers)
    status = solver.solve(trial)
    if status == cp_model.OPTIMAL:
        return round(solver.objective_value)
    return None
