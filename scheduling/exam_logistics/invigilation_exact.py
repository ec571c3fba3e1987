"""The exact way (cluster scale): counting bounds on fairness, then one CP-SAT model of the whole exam
per objective stage, each proven when the solver says OPTIMAL/INFEASIBLE (see `invigilation.py`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .derive import InvigilationFacts
from .invigilation_model import InvigilationModel, Plan, solver_for, status_name

# ------------------------------------------------------------------------------------------ bounds

def fairness_bounds(facts: InvigilationFacts) -> tuple[int, int]:
    """(M, L): no plan has a maximum load below M, nor a pool minimum load above L (given M)."""
    data = facts.data
    max_cap = max(facts.cap.values(), default=0)
    by_school: dict[str, list[int]] = {}
    for t in data.teachers:
        by_school.setdefault(t.school_id, []).append(facts.potential[t.teacher_id])
    m_lb = max_cap
    for m in range(0, max_cap + 1):
        if sum(min(m, p) for p in facts.potential.values()) < facts.demand:
            continue
        if any(sum(min(m, p) for p in by_school.get(s.school_id, [])) < facts.quota[s.school_id].lo for s in data.schools):
            continue
        m_lb = m
        break
    pool_by_school: dict[str, int] = {}
    for tid in facts.pool:
        s = data.teacher_by_id[tid].school_id
        pool_by_school[s] = pool_by_school.get(s, 0) + 1
    l_ub = 0
    for ell in range(m_lb, -1, -1):
        if any(ell * pool_by_school.get(s.school_id, 0) > facts.quota[s.school_id].hi for s in data.schools):
            continue
        if sum(max(facts.quota[s.school_id].lo, ell * pool_by_school.get(s.school_id, 0)) for s in data.schools) > facts.demand:
            continue
        l_ub = ell
        break
    return m_lb, l_ub


# ------------------------------------------------------------------------------------------ exact

@dataclass
class _Run:
    facts: InvigilationFacts
    t0: float
    deadline: float
    num_workers: int
    seed: int = 0
    log: bool = False
    first_solution_s: float | None = None
    trace: list = field(default_factory=list)
    models: list = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def found(self, what: str, value: float | None = None, bound: float | None = None) -> None:
        t = time.perf_counter() - self.t0
        if self.first_solution_s is None:
            self.first_solution_s = t
        self.trace.append({"t": round(t, 3), "what": what, "value": value, "bound": bound})


def _bounded_model(run: _Run, bounds: dict, previous: Plan | None = None, **scope) -> InvigilationModel:
    m = InvigilationModel(run.facts, load_max=bounds.get("load_max"), pool_min=bounds.get("pool_min"),
                          previous=previous, **scope)
    for term in ("km", "quota_deviation", "change"):
        if bounds.get(term) is not None and term in m.terms:
            m.model.add(m.terms[term] <= bounds[term])
    if not run.models:
        run.models.append(m.size())
    return m


def _solve(run: _Run, m: InvigilationModel, time_s: float, objective: str | None, hint: Plan | None,
           gap_limit: float = 0.0, first_only: bool = False, workers: int | None = None):
    if objective is not None:
        m.model.minimize(m.terms[objective])
    if hint:
        m.hint(hint)
    solver = solver_for(workers or run.num_workers, min(time_s, max(0.05, run.remaining())), run.seed, run.log)
    if gap_limit > 0:
        solver.parameters.relative_gap_limit = gap_limit
    if first_only:
        solver.parameters.stop_after_first_solution = True
    status = solver.solve(m.model)
    return status, solver


def solve_exact(facts: InvigilationFacts, run: _Run, previous: Plan | None, gap_limit: float = 0.0,
                keep_previous: bool = False) -> tuple[str, Plan | None, dict]:
    """The whole exam in one model, objective terms one after the other; with `keep_previous` the
    changes against `previous` are minimised right after the fairness terms (a replan keeps what it can)."""
    m_lb, l_ub = fairness_bounds(facts)
    max_cap = max(facts.cap.values(), default=0)
    bounds: dict = {}
    stages: list[dict[str, Any]] = []
    plan = previous
    terms = list(facts.policy.objective)
    if keep_previous and previous:
        at = next((i for i, t in enumerate(terms) if t not in ("max_load", "spread")), len(terms))
        terms.insert(at, "change")
    reference = previous if keep_previous else None
    for i, term in enumerate(terms):
        last = i == len(terms) - 1
        if term in ("max_load", "spread"):
            if term == "max_load":
                candidates, key, best_bound = list(range(m_lb, max_cap + 1)), "load_max", m_lb
            else:
                top = bounds.get("load_max", max_cap)
                candidates, key, best_bound = list(range(min(l_ub, top), -1, -1)), "pool_min", min(l_ub, top)
            proven = True
            chosen = None
            for value in candidates:
                if run.remaining() <= 0.05:
                    break
                trial = dict(bounds, **{key: value})
                m = _bounded_model(run, trial)
                budget = run.remaining() * (0.5 if not last else 1.0)
                status, solver = _solve(run, m, budget, "km" if "km" not in bounds else None, plan, first_only=True)
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    plan = m.plan_from(solver, reference or plan)  # teachers keep their previous places
                    run.found(term, value)
                    chosen = value
                    break
                if status != cp_model.INFEASIBLE:
                    proven = False
            if chosen is None:
                stages.append({"term": term, "status": "infeasible" if proven else "unknown"})
                return ("infeasible" if proven else "unknown"), None, {"stages": stages, "bounds": bounds}
            bounds[key] = chosen
            value_out = chosen if term == "max_load" else bounds.get("load_max", max_cap) - chosen
            bound_out = best_bound if term == "max_load" else bounds.get("load_max", max_cap) - best_bound
            stages.append({"term": term, "value": value_out, "bound": bound_out,
                           "status": "optimal" if proven else "feasible"})
        else:
            m = _bounded_model(run, bounds, reference)
            budget = run.remaining() * (0.4 if term == "change" else 1.0)
            status, solver = _solve(run, m, budget, term, plan, gap_limit if last else 0.0)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                stages.append({"term": term, "status": status_name(status)})
                if plan is None:
                    return status_name(status), None, {"stages": stages, "bounds": bounds}
                break
            plan = m.plan_from(solver, reference or plan)
            value = round(solver.objective_value)
            bounds[term] = value
            run.found(term, value, solver.best_objective_bound)
            stages.append({"term": term, "value": value, "bound": solver.best_objective_bound,
                           "status": status_name(status)})
    status = "optimal" if all(s.get("status") == "optimal" for s in stages) and len(stages) == len(terms) else "feasible"
    return status, plan, {"stages": stages, "bounds": bounds, "fairness_bounds": (m_lb, l_ub)}
