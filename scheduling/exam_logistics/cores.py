"""Minimal sets of rule groups that cannot hold together (for explanations).

A model is built with one literal per rule group that switches the group's constraints on. CP-SAT
can return a core from assumptions, but solving with assumptions turns presolve off and was far
slower than plain solves here; so a deletion filter is used: with every group on the model is
infeasible; each group in turn is switched off (its literal fixed to 0 in a copy of the model,
so that presolve removes it), and dropped from the core when the rest stays infeasible. The result
is a minimal core: every group in it is needed for the infeasibility.
"""
from __future__ import annotations

import time

from ortools.sat.python import cp_model


def _status(model: cp_model.CpModel, lits: dict, on: set[str], time_s: float, num_workers: int = 1
            ) -> cp_model.CpSolverStatus:
    trial = model.clone()
    for name, lit in lits.items():
        var = trial.get_bool_var_from_proto_index(lit.index)
        trial.add(var == (1 if name in on else 0))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.max_time_in_seconds = max(0.05, time_s)
    return solver.solve(trial)


def minimal_core(model: cp_model.CpModel, lits: dict, time_limit_s: float = 20.0,
                 order: list[str] | None = None) -> tuple[list[str] | None, bool]:
    """(core, proven): the rule groups of a minimal infeasible set, or None when the model with all
    groups on is not proven infeasible in time; `proven` is False when some test timed out (then
    the core is still infeasible but may not be minimal). An empty core means the model is
    infeasible with every group off (structural)."""
    deadline = time.perf_counter() + time_limit_s
    names = order or list(lits)
    if _status(model, lits, set(names), time_limit_s / 3) != cp_model.INFEASIBLE:
        return None, False
    if _status(model, lits, set(), max(0.5, (deadline - time.perf_counter()) / (len(names) + 1))) == cp_model.INFEASIBLE:
        return [], True
    core = list(names)
    proven = True
    for name in names:
        left = deadline - time.perf_counter()
        if left <= 0.05:
            proven = False
            break
        trial = [g for g in core if g != name]
        status = _status(model, lits, set(trial), left / max(1, len(core)))
        if status == cp_model.INFEASIBLE:
            core = trial
        elif status != cp_model.FEASIBLE and status != cp_model.OPTIMAL:
            proven = False
    return core, proven
