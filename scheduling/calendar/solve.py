"""`plan_calendar`: one button, the cluster's activity calendar for a term (hosts, then days)."""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import replace

from ortools.sat.python.cp_model import CpSolver

from ..cpsat import found_solution, solve_with_rules, status_name
from .activities import Demands, build_demands
from .explain import explain_calendar
from .inputs import CalendarInput, teaching_days
from .model import SCALE, Facts, HostModel, Placement, TimeModel, build_host_model, build_time_model, covers, \
    greedy_hint, hints_from_previous
from .policy import CalendarPolicy
from .results import Activity, Booking, CalendarPlan, CalendarResult

# The time model is highly symmetric (the same teachers, many interchangeable half days): CP-SAT's
# symmetry detection spent the whole time limit on a 5-school cluster (measured: no solution in 18 s;
# without it, optimal in 6 s), and probing adds seconds of presolve for nothing.
TIME_MODEL_PARAMS = {"symmetry_level": 0, "cp_model_probing_level": 0}


def _renamed_cancelled(demands: Demands, data: CalendarInput) -> Demands:
    """A cancelled activity's quota is asked again, under a new id (the cancelled row stays as it was)."""
    cancelled = {r.activity_id for r in data.recorded if r.status == "cancelled"}
    if not cancelled:
        return demands
    taken = {r.activity_id for r in data.recorded}
    out = []
    for d in demands.demands:
        if d.activity_id in cancelled:
            n = 2
            while f"{d.activity_id}-R{n}" in taken:
                n += 1
            d = replace(d, activity_id=f"{d.activity_id}-R{n}")
        out.append(d)
    return replace(demands, demands=out)


class GreedySolution:
    """The greedy calendar read like a solver's answer (`boolean_value`, `value`)."""

    def __init__(self, tm: TimeModel, hints: list):
        self.values = {var.index: value for var, value in hints}
        for q in tm.facts.data.requests:
            if q.request_id in tm.short:
                booked = sum(self.values.get(v.index, 0) for key, v in tm.r.items() if key[0] == q.request_id)
                self.values[tm.short[q.request_id].index] = q.per_week - booked

    def boolean_value(self, var) -> bool:
        return bool(self.values.get(var.index, 0))

    def value(self, var) -> int:
        return int(self.values.get(var.index, 0))


def read_placements(hm: HostModel, solver) -> list[Placement]:
    facts = hm.facts
    out = []
    hosts = {j: k for (j, k), v in hm.h.items() if solver.boolean_value(v)}
    presenters = {j: t for (j, t), v in hm.p.items() if solver.boolean_value(v)}
    for i, demand in enumerate(hm.demands):
        if not solver.boolean_value(hm.placed[i]):
            continue
        host = hosts[i]
        presenter = presenters.get(i, "")
        people = facts.participants(demand, host, presenter)
        venue = facts.venue(demand, host, len(people))
        out.append(Placement(demand, host, presenter or demand.presenter, people,
                             venue.facility_id if not isinstance(venue, bool) and venue is not None else "",
                             round(facts.travel(people, host), 1)))
    return out


def read_calendar(tm: TimeModel, solver) -> tuple[list[Activity], list[Booking], list[int], dict[str, int]]:
    facts, policy = tm.facts, tm.facts.policy
    activities, unheld = [], []
    taken: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for (j, n, half), v in tm.x.items():
        if solver.boolean_value(v):
            taken[j].append((n, half))
    for i, placement in enumerate(tm.placements):
        chosen = taken.get(i, [])
        if not chosen:
            unheld.append(i)
            continue
        n, half = chosen[0]
        d = placement.demand
        start, end = policy.time.span(half)
        held = facts.held.get(d.activity_id)
        activities.append(Activity(
            d.activity_id, d.kind, d.rule, d.subject, d.band, d.grade, tm.days[n], half, start, end, placement.host,
            placement.facility_id, placement.participants, placement.presenter, placement.travel_km, d.scope,
            d.period, d.quota_key, "held" if held is not None else "planned"))
    bookings = []
    requests = {q.request_id: q for q in facts.data.requests}
    exam = set(facts.data.exam_days)
    for (q_id, f_id, weekday, half), var in sorted(tm.r.items()):
        if not solver.boolean_value(var):
            continue
        q, f = requests[q_id], facts.facilities[f_id]
        dates = tuple(d for d in tm.days if d.isoweekday() == weekday and d not in exam
                      and (facts.data.not_before is None or d >= facts.data.not_before)
                      and not (q.teacher_id and facts.busy(q.teacher_id, d, half) == "unavailable"))
        start, end = policy.time.span(half)
        bookings.append(Booking(q.request_id, q.school_id, f.facility_id, f.school_id, f.kind, weekday, half, start,
                                end, dates, round(facts.km(q.school_id, f.school_id), 1), q.size, q.subject, q.grade,
                                q.class_id, q.teacher_id))
    short = {q: int(solver.value(v)) for q, v in tm.short.items() if solver.value(v) > 0}
    return activities, bookings, unheld, short


def _x_indexes(tm: TimeModel) -> set[int]:
    return {var.index for var in tm.x.values()}


def plan_calendar(data: CalendarInput, policy: CalendarPolicy | None = None, *, time_limit_s: float = 20.0,
                  num_workers: int = 2, lang: str = "zh", explain: bool = True) -> CalendarResult:
    """The activity calendar the policy asks for, best effort: every activity the hard rules allow is
    placed; what is not placed (and each facility session not booked) is explained with its numbers
    and the policy key that would change it. Status is the time model's: OPTIMAL, FEASIBLE (not
    proven optimal in the time) or GREEDY (the solver found nothing in the time: the greedy calendar it
    starts from, which keeps every hard rule, is returned)."""
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    policy = policy or CalendarPolicy()
    data.check()
    started = time.perf_counter()
    facts = Facts(data, policy)
    demands = _renamed_cancelled(build_demands(data, policy), data)
    days = teaching_days(data, policy)
    hm, _ = build_host_model(facts, demands)
    host_solver, host_code = solve_with_rules(hm.model, [], time_limit_s=max(0.5, time_limit_s * 0.25),
                                              num_workers=num_workers, relative_gap=0.005)
    stats: dict = {"demands": len(demands.demands), "missing": sum(m.count for m in demands.missing),
                   "host_status": status_name(host_code), "days": len(days)}
    if not found_solution(host_code):
        plan = CalendarPlan(data.cluster_id, data.school_year, data.term)
        return CalendarResult(status_name(host_code), plan, stats=stats)
    placements = read_placements(hm, host_solver)
    stats["host_seconds"] = round(time.perf_counter() - started, 2)
    t0 = time.perf_counter()
    tm, _ = build_time_model(facts, placements, days)
    stats["build_seconds"] = round(time.perf_counter() - t0, 2)
    left = max(1.0, time_limit_s - (time.perf_counter() - started)) * (0.8 if explain else 1.0)
    t1 = time.perf_counter()
    greedy = greedy_hint(tm)
    stats["greedy_seconds"] = round(time.perf_counter() - t1, 2)
    stats["greedy_placed"] = sum(value for (var, value) in greedy if var.index in _x_indexes(tm))
    solver, code = solve_with_rules(tm.model, [], time_limit_s=left, num_workers=num_workers,
                                    relative_gap=0.002, hints=hints_from_previous(tm) or greedy,
                                    params=TIME_MODEL_PARAMS)
    stats.update(time_status=status_name(code), variables=len(tm.x) + len(tm.r),
                 solve_seconds=round(time.perf_counter() - started, 2))
    if found_solution(code):
        stats.update(objective=round(solver.objective_value / SCALE, 1),
                     bound=round(solver.best_objective_bound / SCALE, 1))
    status = status_name(code)
    answer: CpSolver | GreedySolution = solver
    if not found_solution(code):
        # No solver solution in the time (a loaded machine, a short limit): the greedy calendar, which
        # keeps every hard rule by construction, is the answer ("GREEDY"); nothing is left unplanned.
        answer = GreedySolution(tm, greedy)
        status = "GREEDY"
    activities, bookings, unheld, short = read_calendar(tm, answer)
    placed_ids = {p.demand.activity_id for p in placements}
    unplaced = [d.activity_id for d in demands.demands if d.activity_id not in placed_ids] + \
        [tm.placements[i].demand.activity_id for i in unheld]
    plan = CalendarPlan(data.cluster_id, data.school_year, data.term,
                        tuple(sorted(activities, key=lambda a: (a.date, a.half != "am", a.activity_id))),
                        tuple(sorted(bookings, key=lambda b: (b.school_id, b.request_id))))
    required = Counter(d.rule for d in demands.demands)
    for m in demands.missing:
        required[m.rule] += m.count
    result = CalendarResult(status, plan, unplaced=unplaced, missing=stats["missing"],
                            booking_short=short, required=dict(required), stats=stats)
    if explain or result.relaxed:
        budget = max(0.5, time_limit_s - (time.perf_counter() - started))
        result.explanations = explain_calendar(facts, demands, hm, host_solver, tm, answer, unheld, result,
                                               time_limit_s=budget, num_workers=num_workers)
    stats["seconds"] = round(time.perf_counter() - started, 2)
    return result


__all__ = ["plan_calendar", "covers"]
