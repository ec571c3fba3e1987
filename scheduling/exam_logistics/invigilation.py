"""`plan_invigilation`: who invigilates which room (监考安排), fair to every school, travel-aware.

Objective terms are taken lexicographically in the policy's order (default: maximum load, spread of
loads, then travel km). The fairness terms are probed as load bounds: the maximum load starts at a
counting lower bound (the smallest M with which the teachers' capacities cover every place and every
school's quota), the minimum load of the pool at a counting upper bound; a bound met is proven
optimal. Travel km is then minimised with the fairness bounds fixed.

Two ways to solve, chosen by size (`mode="auto"`: exact up to 600 teachers; up to 1,500 decomposed then
exact from its plan, the better kept (`solve_race`); decomposed above):
* exact: one CP-SAT model of the whole exam (`InvigilationModel`), each stage proven when the
  solver says OPTIMAL/INFEASIBLE (cluster scale: a few hundred teachers, optimal in seconds);
* decomposed (district scale): the fairness bounds are fixed at their counting bounds; the schools
  are cut into geographic regions of at most ten (agglomerative clustering on km), each solved on
  its own to a first solution (teachers of a region invigilate at its sites), two regions at a time
  (CP-SAT releases the GIL; each solve has one worker) — that is the first plan. Then a
  large-neighbourhood search frees the teachers and sites of a few schools at a time, the rest of
  the plan fixed, and lets CP-SAT re-route them from a complete hint: first the regions whose first
  solution is furthest from their own bound, then clusters of schools linked by the LP's flows,
  then neighbourhoods grown from the schools that travel most beyond the LP along the current and
  the LP's flows. Two neighbourhoods without a school in common are solved at once; their changes
  touch different rows. The LP relaxation of the whole model (HiGHS, `bounds.py`) is solved in a
  background thread: it is the proven lower bound on km, and its flows steer the search.

A complete plan every time (`solve_tiered`): when the rules admit no plan (a counting pre-check fails,
or the solver proves it, or finds none in time), the policy's `relaxation_tiers` are opened in the order
a bureau relaxes — a longer distance for the sites that need it, an own-school assistant beside a chief
of another school, reserves shared by the sites of one town, one more session a day, quota tolerance,
and last an unstaffed place — each use priced by its tier's cost, the total minimised first, then the
changes against a previous plan, then km. Every use is listed (`InvigilationResult.relaxations`, read
off the rows so that list and plan agree); the validator accepts exactly the declared uses. The reasons
the rules failed stay in the explanations, each with the policy key and the value that meets it,
checked by solving again (`explain.suggest_checked`).

Replans (`previous=`): the changes against the previous plan are minimised right after the fairness
terms (teacher-days that leave their class plan or their site flow), and the room filler keeps previous
rooms and roles where it can.
"""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from .data import (TIER_NAMES, Explanation, InvigilationAssignment, InvigilationInput, InvigilationResult, Pin,
                   RelaxationUse)
from .derive import InvigilationFacts, SiteSession, derive
from .explain import precheck, solver_core, suggest_checked
from .filling import PHANTOM, FillError, Present, fill_site_session
from .invigilation_model import KM_SCALE, InvigilationModel, Plan, solver_for, status_name, widened_policy
from .policy import InvigilationPolicy

EXACT_MAX_TEACHERS = 1500  # above this, `mode="auto"` decomposes
# From here up to EXACT_MAX_TEACHERS `mode="auto"` races decomposed then exact (hinted with the decomposed
# plan) and keeps the better plan: on a loaded machine the exact model of a ~1,000-teacher county stood at a
# 63% gap after 60 s where the decomposed search was within 0.2% in 10 s.
RACE_MIN_TEACHERS = 600
LNS_TIME_S = 3.0  # time limit of one neighbourhood's solve
LNS_LP_SHARE = 0.7  # share of neighbourhoods grown along the LP's flows (once the LP is solved)
LNS_SIZE = (8, 14)  # schools per neighbourhood, drawn uniformly


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


# ------------------------------------------------------------------------------------------ rows

def plan_to_rows(facts: InvigilationFacts, plan: Plan) -> list[InvigilationAssignment]:
    """Rooms and roles at every site and session, from who is where."""
    return plan_to_rows_tiered(facts, plan)[0]


VACANT = PHANTOM  # phantom teachers of the tiered model: unstaffed places


def plan_to_rows_tiered(facts: InvigilationFacts, plan: Plan, tiers: dict | None = None,
                        assist_only_own_school: bool = False,
                        previous: list[InvigilationAssignment] | None = None
                        ) -> tuple[list[InvigilationAssignment], list[tuple[str, str, str, str]]]:
    """Rows, and the unstaffed places (session, site, room, role) of a tiered plan: a site whose reserves
    a partner covers has none of its own; vacant places are phantoms that the room filler places like
    teachers (juniors first as reserves, so reserve places are left empty before rooms). Teachers keep
    their previous room and role where the filler can (a replan changes few rows)."""
    tiers = tiers or {}
    vacant, shared = tiers.get("vacant", {}), tiers.get("shared", {})
    data = facts.data
    tb = data.teacher_by_id
    present: dict[tuple[str, str], list[Present]] = {}
    for (tid, b), (j, p) in plan.items():
        t = tb[tid]
        for e in p:
            present.setdefault((e, j), []).append(
                Present(tid, t.school_id, facts.chief_ok[tid], (int(t.backbone), t.teaching_years)))
    session_pins: dict[str, dict[str, Pin]] = {}
    for pin in facts.pins:
        session_pins.setdefault(pin.session_id, {})[pin.teacher_id] = pin
    before = {(a.session_id, a.site_school_id, a.teacher_id): a for a in previous or ()}
    rows = []
    unstaffed: list[tuple[str, str, str, str]] = []
    for (e, j), ss in sorted(facts.site_sessions.items()):
        if (e, j) in shared:
            ss = SiteSession(ss.session_id, ss.site, ss.rooms, ss.per_room, 0)
        people = list(present.get((e, j), []))
        people += [Present(f"{VACANT}{k}", f"{VACANT}{k}", True, (-1, -1)) for k in range(vacant.get((e, j), 0))]
        ids = {q.teacher_id for q in people}
        pins = {tid: pin for tid, pin in session_pins.get(e, {}).items() if tid in ids}
        own = j if assist_only_own_school else None
        kept = dict(pins)
        for q in people:  # the previous room and role, as soft pins
            a = before.get((e, j, q.teacher_id))
            if a is not None and q.teacher_id not in kept:
                room = a.room_id if any(r.room_id == a.room_id for r in ss.rooms) else None
                kept[q.teacher_id] = Pin(q.teacher_id, e, j, a.role, room)
        # rooms that lost someone (or a reserve place that did): their remaining members may be re-placed
        ids_now = {q.teacher_id for q in people}
        disturbed = {a.room_id for (e2, j2, tid), a in before.items() if (e2, j2) == (e, j) and tid not in ids_now}
        undisturbed = {tid: pin for tid, pin in kept.items()
                       if tid in pins or (pin.room_id or "") not in disturbed}
        roles_only = {tid: (pin if tid in pins else Pin(tid, e, j, pin.role)) for tid, pin in kept.items()}
        placed: list[tuple[str, str, str]] | None = None
        # previous room and role; then outside the rooms that lost someone; then roles; then only the real pins
        for attempt in (kept, undisturbed, roles_only, pins):
            try:
                placed = fill_site_session(ss, people, attempt, facts.policy.distinct_schools_in_room, own)
                break
            except FillError:
                if attempt is pins:
                    raise
        assert placed is not None  # the last attempt (the real pins alone) raises rather than place nobody
        for tid, room, role in placed:
            if tid.startswith(VACANT):
                unstaffed.append((e, j, room, role))
                continue
            t = tb[tid]
            rows.append(InvigilationAssignment(data.exam_id, e, j, room, tid, t.school_id, role,
                                               round(data.km(t.school_id, j), 2)))
    return rows, unstaffed


def rows_to_plan(facts: InvigilationFacts, rows: list[InvigilationAssignment]) -> Plan:
    block_of = {s.session_id: b for b, ss in facts.block_sessions.items() for s in ss}
    order = {s.session_id: i for i, s in enumerate(facts.data.sessions)}
    plan: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for a in rows:
        b = block_of.get(a.session_id)
        if b is None or a.teacher_id not in facts.data.teacher_by_id:
            continue
        site, sessions = plan.setdefault((a.teacher_id, b), (a.site_school_id, []))
        sessions.append(a.session_id)
    return {k: (j, tuple(sorted(ss, key=lambda e: order[e]))) for k, (j, ss) in plan.items()}


def plan_km(facts: InvigilationFacts, plan: Plan) -> float:
    tb = facts.data.teacher_by_id
    return sum(facts.data.km(tb[tid].school_id, j) for (tid, b), (j, p) in plan.items())


def plan_km_units(facts: InvigilationFacts, plan: Plan) -> int:
    tb = facts.data.teacher_by_id
    return sum(round(facts.data.km(tb[tid].school_id, j) * KM_SCALE) for (tid, b), (j, p) in plan.items())


def summarise(facts: InvigilationFacts, rows: list[InvigilationAssignment]) -> dict:
    """Travel km (one trip per teacher and day), loads and quota deviations of a plan."""
    data = facts.data
    trips = {}
    loads: dict[str, int] = {}
    supply: dict[str, int] = {}
    for a in rows:
        day = data.session_by_id[a.session_id].date
        trips[a.teacher_id, day, a.site_school_id] = a.distance_km
        loads[a.teacher_id] = loads.get(a.teacher_id, 0) + 1
        supply[a.teacher_school_id] = supply.get(a.teacher_school_id, 0) + 1
    pool_loads = [loads.get(t, 0) for t in facts.pool]
    dev = [supply.get(s.school_id, 0) - facts.quota[s.school_id].target for s in data.schools]
    outside = [s.school_id for s in data.schools
               if not facts.quota[s.school_id].lo <= supply.get(s.school_id, 0) <= facts.quota[s.school_id].hi]
    return {
        "km_total": round(sum(trips.values()), 1),
        "trips": len(trips),
        "max_load": max(loads.values(), default=0),
        "min_load_pool": min(pool_loads, default=0),
        "spread": (max(loads.values(), default=0) - min(pool_loads, default=0)) if pool_loads else 0,
        "quota_abs_deviation": round(sum(abs(d) for d in dev), 1),
        "quota_max_deviation": round(max((abs(d) for d in dev), default=0.0), 1),
        "schools_outside_quota": len(outside),
        "rows": len(rows),
    }


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


# ------------------------------------------------------------------------------------------ decomposed

def make_regions(facts: InvigilationFacts, size: int = 12, min_size: int = 6) -> list[list[str]]:
    """Geographic regions of at most `size` schools: agglomerative clustering on km (average
    linkage), so that towns and their villages stay together; regions below `min_size` are merged
    into their nearest neighbour even if that makes them larger."""
    data = facts.data
    ids = [s.school_id for s in data.schools]
    n = len(ids)
    if n == 0:
        return []
    dist = np.array(data.distance_matrix, dtype=float)
    np.fill_diagonal(dist, np.inf)
    members: list[list[int]] = [[i] for i in range(n)]
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    while True:
        allowed = (sizes[:, None] + sizes[None, :] <= size) & alive[:, None] & alive[None, :]
        masked = np.where(allowed, dist, np.inf)
        flat = int(np.argmin(masked))
        i, k = divmod(flat, n)
        if not np.isfinite(masked[i, k]):
            break
        # Lance–Williams update for average linkage
        merged = (sizes[i] * dist[i] + sizes[k] * dist[k]) / (sizes[i] + sizes[k])
        dist[i, :] = merged
        dist[:, i] = merged
        dist[i, i] = np.inf
        dist[k, :] = np.inf
        dist[:, k] = np.inf
        sizes[i] += sizes[k]
        alive[k] = False
        members[i] = members[i] + members[k]
        members[k] = []
    while True:
        live = [i for i in range(n) if alive[i]]
        small = [i for i in live if sizes[i] < min_size]
        if not small or len(live) == 1:
            break
        i = min(small, key=lambda x: sizes[x])
        k = min((x for x in live if x != i), key=lambda x: dist[i, x])
        merged = (sizes[i] * dist[i] + sizes[k] * dist[k]) / (sizes[i] + sizes[k])
        dist[k, :] = merged
        dist[:, k] = merged
        dist[k, k] = np.inf
        dist[i, :] = np.inf
        dist[:, i] = np.inf
        sizes[k] += sizes[i]
        alive[i] = False
        members[k] = members[k] + members[i]
        members[i] = []
    return [[ids[x] for x in members[i]] for i in range(n) if alive[i]]


def _region_scope(facts: InvigilationFacts, schools: list[str]) -> dict:
    sset = set(schools)
    teachers = {t.teacher_id for t in facts.data.teachers if t.school_id in sset}
    # a teacher pinned to a site follows the pin
    for pin in facts.pins:
        if pin.site_school_id:
            if pin.site_school_id in sset:
                teachers.add(pin.teacher_id)
            else:
                teachers.discard(pin.teacher_id)
    return {"free_teachers": teachers, "free_sites": sset}


def _lp_job(facts: InvigilationFacts, load_max: int, pool_min: int, run: _Run) -> dict:
    """LP bound of the whole exam (fairness bounds fixed) and the LP's school -> site flows."""
    from .bounds import lp_relaxation_bound

    full = InvigilationModel(facts, load_max=load_max, pool_min=pool_min)
    full.model.minimize(full.terms["km"])
    info = lp_relaxation_bound(full.model, time_limit_s=max(1.0, run.remaining() - 1.0))
    info["size"] = full.size()
    flows: dict[tuple[str, str], float] = {}
    kms: dict[str, float] = {}
    if info["x"] is not None:
        x = info["x"]
        for (gkey, b, j, p), v in full.z.items():
            val = float(x[v.index])
            if val > 1e-6:
                school = full.groups[gkey].school
                flows[school, j] = flows.get((school, j), 0.0) + val
                kms[school] = kms.get(school, 0.0) + val * facts.data.km(school, j)
    info["flows"], info["kms"], info["x"] = flows, kms, None
    return info


def flow_clusters(schools: list[str], flows: dict[tuple[str, str], float], size: int) -> list[list[str]]:
    """Clusters of at most `size` schools with as much of the flow inside as possible: merge the two
    clusters with the largest flow between them (per school) until no merge fits."""
    cluster_of = {s: i for i, s in enumerate(schools)}
    members: dict[int, list[str]] = {i: [s] for i, s in enumerate(schools)}
    between: dict[tuple[int, int], float] = {}
    for (a, b), v in flows.items():
        if a in cluster_of and b in cluster_of and a != b:
            i, k = sorted((cluster_of[a], cluster_of[b]))
            between[i, k] = between.get((i, k), 0.0) + v
    while True:
        best = None
        for (i, k), v in between.items():
            if len(members[i]) + len(members[k]) <= size:
                score = v / (len(members[i]) + len(members[k]))
                if best is None or score > best[0]:
                    best = (score, i, k)
        if best is None:
            break
        _, i, k = best
        members[i] += members.pop(k)
        merged: dict[tuple[int, int], float] = {}
        for (left, right), v in between.items():
            a2, b2 = (i if left == k else left), (i if right == k else right)
            if a2 == b2:
                continue
            key = (min(a2, b2), max(a2, b2))
            merged[key] = merged.get(key, 0.0) + v
        between = merged
    return sorted((m for m in members.values() if len(m) > 1), key=len, reverse=True)


def _first_region_plan(facts: InvigilationFacts, run: _Run, region: list[str], load_max: int | None,
                       pool_min: int | None, hint: Plan | None, budget: float) -> tuple[str, Plan | None, dict]:
    """A region's first plan (one worker, first solution): ("ok" | "infeasible" | "timeout", plan, stats).
    The pool minimum is lowered only when the solver proves the region cannot reach it."""
    scope = _region_scope(facts, region)
    deadline = time.perf_counter() + budget
    for pm in ([pool_min] if pool_min is None else range(pool_min, -1, -1)):
        left = min(deadline - time.perf_counter(), run.remaining())
        if left <= 0.05:
            return "timeout", None, {"schools": len(region), "timed_out": True}
        m = InvigilationModel(facts, load_max=load_max, pool_min=pm, **scope)
        if not run.models:
            run.models.append(m.size())
        status, solver = _solve(run, m, left, "km", hint, first_only=True, workers=1)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "ok", m.plan_from(solver, hint), {"schools": len(region), "pool_min": pm, "region": region,
                                                      "first_km": round(solver.objective_value / KM_SCALE, 1),
                                                      "bound_km": round(solver.best_objective_bound / KM_SCALE, 1)}
        if status != cp_model.INFEASIBLE:
            return "timeout", None, {"schools": len(region), "timed_out": True}
    return "infeasible", None, {"schools": len(region), "infeasible": True}


def _solve_regions(facts: InvigilationFacts, run: _Run, regions: list[list[str]], load_max: int | None,
                   pool_min: int | None, hint: Plan | None) -> tuple[Plan, list[list[str]], list[list[str]], list[dict]]:
    """A first plan, region by region, `num_workers` regions at a time (CP-SAT releases the GIL); a
    region proven infeasible on its own is merged with its nearest neighbour and tried again."""
    plan: Plan = {}
    queue = [list(r) for r in regions]
    done: list[list[str]] = []
    failed: list[list[str]] = []
    stats: list[dict] = []
    max_size = 4 * max((len(r) for r in regions), default=0)
    threads = max(1, run.num_workers)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while queue:
            if run.remaining() <= 0.05:
                failed.extend(queue)
                stats.extend({"schools": len(r), "timed_out": True} for r in queue)
                break
            batch, queue = queue[:threads], queue[threads:]
            budget = max(3.0, run.remaining() * len(batch) / (len(queue) + len(batch)))
            results = list(pool.map(lambda r: _first_region_plan(facts, run, r, load_max, pool_min, hint, budget), batch))
            for region, (outcome, part, st) in zip(batch, results):
                if outcome == "ok" and part is not None:
                    plan.update(part)
                    done.append(region)
                    stats.append(st)
                    continue
                if outcome == "timeout" and run.remaining() > 0.5:
                    queue.insert(0, region)  # again, with the time that is left
                    continue
                if outcome == "timeout" or len(region) >= max_size or not (queue or done):
                    failed.append(region)
                    stats.append(st)
                    continue
                others = queue + done
                target = min(others, key=lambda r: min(facts.data.km(a, b) for a in region for b in r))
                if target in done:
                    done.remove(target)
                    tset = _region_scope(facts, target)["free_teachers"]
                    for key in [k for k in plan if k[0] in tset]:
                        del plan[key]
                    stats[:] = [x for x in stats if x is not None]
                else:
                    queue.remove(target)
                queue.insert(0, region + target)
    return plan, done, failed, stats


def solve_decomposed(facts: InvigilationFacts, run: _Run, previous: Plan | None, region_size: int = 10,
                     gap_limit: float = 0.0, lp_bound: bool = True) -> tuple[str, Plan | None, dict]:
    m_lb, l_ub = fairness_bounds(facts)
    regions = make_regions(facts, region_size, max(5, (region_size * 3) // 5))
    # first plan: region by region, with the fairness bounds (a region lowers L only when proven necessary)
    plan, regions, failed, region_stats = _solve_regions(facts, run, regions, m_lb, l_ub, previous)
    stats: dict = {"regions": [len(r) for r in regions], "region_stats": region_stats,
                   "fairness_bounds": (m_lb, l_ub), "stages": []}
    if failed:
        stats["failed_regions"] = failed
        proven = not any(r.get("timed_out") for r in region_stats)
        return ("infeasible" if proven else "unknown"), None, stats
    current = plan_km_units(facts, plan)
    run.found("first_plan", current / KM_SCALE)
    stats["first_plan_km"] = round(current / KM_SCALE, 1)
    bounds: dict = {"load_max": m_lb, "pool_min": min((r["pool_min"] for r in region_stats if "pool_min" in r), default=l_ub)}
    bound = None

    def gap() -> float | None:
        return None if bound is None or current <= 0 else (current - bound) / current

    def reopt(schools: set[str], budget: float, snapshot: Plan) -> tuple[Plan, set, set, int] | None:
        """Re-route the teachers of `schools` among their sites, the rest of `snapshot` fixed:
        (new part, freed teachers, freed sites, km change) or None."""
        scope = _region_scope(facts, sorted(schools))
        m = InvigilationModel(facts, fixed=snapshot, load_max=bounds["load_max"], pool_min=bounds["pool_min"], **scope)
        status, solver = _solve(run, m, budget, "km", snapshot, workers=1)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        part = m.plan_from(solver, snapshot)
        free_t, free_s = scope["free_teachers"], scope["free_sites"]
        old = {k: v for k, v in snapshot.items() if k[0] in free_t and v[0] in free_s}
        delta = plan_km_units(facts, part) - plan_km_units(facts, old)
        return part, free_t, free_s, delta

    def apply(result) -> bool:
        nonlocal plan, current
        if result is None or result[3] >= 0:
            return False
        part, free_t, free_s, delta = result
        plan = {k: v for k, v in plan.items() if not (k[0] in free_t and v[0] in free_s)}
        plan.update(part)
        current = plan_km_units(facts, plan)
        run.found("lns", current / KM_SCALE, None if bound is None else bound / KM_SCALE)
        return True

    # a proven lower bound on km: the LP relaxation of the whole exam's model (same fairness bounds),
    # computed in a background thread (HiGHS releases the GIL) while the search below goes on
    lp_flow: dict[tuple[str, str], float] = {}
    lp_km: dict[str, float] = {}

    # the LP bound, in a background thread (HiGHS releases the GIL) while the search below goes on
    lp_pool = ThreadPoolExecutor(max_workers=1)
    lp_future = lp_pool.submit(_lp_job, facts, bounds["load_max"], bounds["pool_min"], run) \
        if lp_bound and run.remaining() > 2.0 else None

    def collect_lp() -> None:
        nonlocal bound, lp_future
        if lp_future is None or not lp_future.done():
            return
        info = lp_future.result()
        lp_future = None
        bound = info["bound"]
        lp_flow.update(info["flows"])
        lp_km.update(info["kms"])
        # re-optimise along the LP's flows first: clusters of schools that the LP links, those whose
        # teachers travel most beyond the LP first
        tb = facts.data.teacher_by_id
        km_now: dict[str, float] = {}
        for (tid, b), (j, p) in plan.items():
            km_now[tb[tid].school_id] = km_now.get(tb[tid].school_id, 0.0) + facts.data.km(tb[tid].school_id, j)
        clusters = flow_clusters(schools, lp_flow, region_size + 2)
        clusters.sort(key=lambda c: -sum(km_now.get(x, 0.0) - lp_km.get(x, 0.0) for x in c))
        hoods[:0] = [set(c) for c in clusters]
        stats["lp_seconds"] = info["seconds"]
        stats["full_model_size"] = info["size"]
        run.trace.append({"t": round(time.perf_counter() - run.t0, 3), "what": "lp_bound", "value": current / KM_SCALE,
                          "bound": None if bound is None else bound / KM_SCALE})

    def lp_neighbourhood(k: int) -> set[str]:
        """A seed school whose teachers travel most beyond the LP's flows, grown along the current
        plan's flows (where its teachers go now: those places must be freed to move them) and the
        LP's flows (where they would go, who would come instead), then by distance."""
        tb = facts.data.teacher_by_id
        km_now: dict[str, float] = {}
        now_flow: dict[tuple[str, str], int] = {}
        for (tid, b), (j, p) in plan.items():
            sch = tb[tid].school_id
            km_now[sch] = km_now.get(sch, 0.0) + facts.data.km(sch, j)
            now_flow[sch, j] = now_flow.get((sch, j), 0) + 1
        excess = sorted(((km_now.get(s_, 0.0) - lp_km.get(s_, 0.0), s_) for s_ in schools), reverse=True)
        seed = rng.choice([s_ for _, s_ in excess[: max(3, len(excess) // 5)]])
        hood = {seed}
        frontier = [seed]
        while frontier and len(hood) < k:
            a = frontier.pop(0)
            now = sorted((j for (s_, j) in now_flow if s_ == a), key=lambda j: -facts.data.km(a, j))
            lp_to = sorted((j for (s_, j), v in lp_flow.items() if s_ == a and v > 0.5), key=lambda j: facts.data.km(a, j))
            lp_from = sorted((s_ for (s_, j), v in lp_flow.items() if j == a and v > 0.5), key=lambda x: facts.data.km(a, x))
            for other in [x for pair in zip(now, lp_to) for x in pair] + now + lp_to + lp_from:
                if other not in hood and len(hood) < k:
                    hood.add(other)
                    frontier.append(other)
        for other in sorted(schools, key=lambda x: facts.data.km(seed, x)):
            if len(hood) >= k:
                break
            hood.add(other)
        return hood

    # each region improved on its own first, then neighbourhoods across region borders; `num_workers`
    # neighbourhoods with no school in common are solved at once (their changes touch different rows)
    rng = random.Random(run.seed)
    schools = [s.school_id for s in facts.data.schools]
    iterations = improved = stalled = 0
    # first the regions whose first solution is furthest from their own bound (known right away)
    loose = sorted((r for r in region_stats if "bound_km" in r and r["first_km"] - r["bound_km"] > 1e-6 * r["first_km"]),
                   key=lambda r: r["bound_km"] - r["first_km"])
    hoods: list[set[str]] = [set(r["region"]) for r in loose]
    for r in region_stats:
        r.pop("region", None)
    threads = max(1, run.num_workers)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while (run.remaining() > 0.5 and not ((current_gap := gap()) is not None and current_gap <= gap_limit)
               and stalled < 40):
            collect_lp()
            batch: list[set[str]] = []
            kinds: list[str] = []
            while len(batch) < threads:
                kind = "cluster"
                if hoods:
                    hood = hoods.pop(0)
                else:
                    k = rng.randint(*LNS_SIZE)
                    if lp_flow and rng.random() < LNS_LP_SHARE:
                        hood, kind = lp_neighbourhood(k), "lp"
                    else:
                        kind = "near"
                        seed = rng.choice(schools)
                        hood = set(sorted(schools, key=lambda x: facts.data.km(seed, x))[:k])
                if any(hood & other for other in batch):
                    if not hoods:
                        break
                    hoods.append(hood)
                    continue
                batch.append(hood)
                kinds.append(kind)
            budget = min(run.remaining(), LNS_TIME_S)
            snapshot = dict(plan)
            results = list(pool.map(lambda h: reopt(h, budget, snapshot), batch))
            for kind, result in zip(kinds, results):
                iterations += 1
                before = current
                if apply(result):
                    run.trace[-1]["what"] = f"lns:{kind}"
                    run.trace[-1]["delta"] = round((current - before) / KM_SCALE, 1)
                    improved += 1
                    stalled = 0
                else:
                    stalled += 1
    if lp_future is not None:  # wait for the bound (it was given the whole time limit)
        try:
            lp_future.result(timeout=max(0.1, run.remaining() + 5.0))
        except Exception:  # noqa: BLE001 — no bound is not an error
            pass
        collect_lp()
    lp_pool.shutdown(wait=False, cancel_futures=True)
    final_gap = gap()
    stats.update({"lns_iterations": iterations, "lns_improvements": improved, "km_units": current,
                  "bound_km": None if bound is None else bound / KM_SCALE,
                  "gap": None if final_gap is None else round(final_gap, 5)})
    pool_min = bounds["pool_min"]
    stats["stages"] = [{"term": "max_load", "value": bounds["load_max"], "bound": m_lb,
                        "status": "optimal" if bounds["load_max"] == m_lb else "feasible"},
                       {"term": "spread", "value": None if pool_min is None else m_lb - pool_min, "bound": m_lb - l_ub,
                        "status": "optimal" if pool_min == l_ub else "feasible"},
                       {"term": "km", "value": current, "bound": bound, "status": "optimal" if bound == current else "feasible"}]
    return "feasible", plan, stats


# ------------------------------------------------------------------------------------------ race

def solve_race(facts: InvigilationFacts, run: _Run, previous: Plan | None, gap_limit: float = 0.0
               ) -> tuple[str, Plan | None, dict]:
    """Decomposed, then exact, the better plan kept (lower maximum load, then smaller spread, then fewer km).
    The decomposed search converges fast on a loaded machine (first plan region by region, then LNS) and
    gets 60% of the time; the exact model then starts from its plan as a hint, so it can only keep or
    improve it. (Run at once with one worker each, neither reached a first plan in 20 s on a loaded
    machine: the two cores are better used one search after the other.)"""
    split = run.t0 + (run.deadline - run.t0) * 0.6
    runs = {"decomposed": _Run(facts, run.t0, split, run.num_workers, run.seed, run.log)}
    results = {"decomposed": solve_decomposed(facts, runs["decomposed"], previous, 10, gap_limit)}
    runs["exact"] = _Run(facts, run.t0, run.deadline, run.num_workers, run.seed, run.log)
    results["exact"] = solve_exact(facts, runs["exact"], results["decomposed"][1] or previous, gap_limit)

    def key(name: str):
        status, plan, _ = results[name]
        if plan is None:
            return (1, 0, 0, 0)
        rows = plan_to_rows(facts, plan)
        sm = summarise(facts, rows)
        return (0, sm["max_load"], sm["spread"], plan_km_units(facts, plan))

    scores = {name: key(name) for name in results}
    best = min(results, key=lambda n: scores[n])
    status, plan, stats = results[best]
    stats = dict(stats)
    stats["race"] = {name: {"status": results[name][0], "km": None if scores[name][0] else scores[name][3] / KM_SCALE,
                            "max_load": scores[name][1], "spread": scores[name][2],
                            "first_solution_s": runs[name].first_solution_s} for name in results}
    stats["race_winner"] = best
    run.trace.extend(runs[best].trace)
    run.models.extend(runs[best].models)
    run.first_solution_s = min((r.first_solution_s for r in runs.values() if r.first_solution_s is not None), default=None)
    if plan is None:
        # a region's infeasibility does not prove the exam's; only the exact model's proof does
        return ("infeasible" if results["exact"][0] == "infeasible" else "unknown"), None, stats
    return status, plan, stats


# ------------------------------------------------------------------------------------------ tiers

def solve_tiered(data: InvigilationInput, policy: InvigilationPolicy, run: _Run, pins=(), forbids=(),
                 previous: Plan | None = None, previous_cost: int | None = None
                 ) -> tuple[str, InvigilationFacts, Plan | None, dict, dict]:
    """A complete plan under the relaxation tiers (放宽层级): the model of the widened policy where each use
    beyond `policy` costs its tier's price. Minimised one after the other: the tiers' cost, the changes
    against a previous plan (when given), then travel km. Returns (status, facts, plan, tier values, stats)."""
    facts = derive(data, widened_policy(policy), pins, forbids)
    stats: dict = {"stages": []}
    stages = ["relax"] + (["change"] if previous else []) + ["km"]
    plan, values = previous, None
    bounds: dict[str, int] = {}
    for i, term in enumerate(stages):
        if run.remaining() <= 0.05 and plan is not None and values is not None:
            break
        m = InvigilationModel(facts, strict=policy, previous=previous)
        if i == 0:
            stats["tiered_model_size"] = m.size()
        for t, b in bounds.items():
            m.model.add(m.terms[t] <= b)
        left = len(stages) - i
        budget = max(1.0, run.remaining() * (0.75 if left > 1 else 1.0))
        status, solver = _solve(run, m, budget, term, plan)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            stats["stages"].append({"term": term, "status": status_name(status)})
            if values is None:
                return status_name(status), facts, None, {}, stats
            break
        plan = m.plan_from(solver, previous or plan)  # teachers keep their previous places
        values = m.tier_values(solver)
        bounds[term] = round(solver.objective_value)
        if term == "relax" and previous_cost is not None:
            # a replan may keep the previous plan's relaxations rather than move rows to save on them
            bounds[term] = max(bounds[term], previous_cost)
        run.found(f"tiered:{term}", bounds[term], solver.best_objective_bound)
        stats["stages"].append({"term": term, "value": bounds[term], "bound": solver.best_objective_bound,
                                "status": status_name(status)})
    stats["relax_cost"] = bounds.get("relax")
    return "feasible", facts, plan, values or {}, stats


def relaxation_uses(data: InvigilationInput, policy: InvigilationPolicy, rows: list[InvigilationAssignment],
                    unstaffed: list[tuple[str, str, str, str]], shared: dict[tuple[str, str], str],
                    facts: InvigilationFacts) -> list[RelaxationUse]:
    """Every place where the plan goes beyond `policy`, read off the rows (so the list and the plan agree)."""
    sb, sess = data.school_by_id, data.session_by_id
    out: list[RelaxationUse] = []
    for a in rows:
        km = data.km(a.teacher_school_id, a.site_school_id)
        if km > policy.km_limit(sb[a.teacher_school_id].rural, sb[a.site_school_id].rural) + 1e-9:
            out.append(RelaxationUse("distance", a.session_id, a.site_school_id, a.teacher_id, a.teacher_school_id,
                                     km=round(km, 2)))
        if policy.exclude_own_school and a.teacher_school_id == a.site_school_id:
            out.append(RelaxationUse("own_school_assistant", a.session_id, a.site_school_id, a.teacher_id,
                                     a.teacher_school_id, a.room_id, a.role))
    per_day: dict[tuple[str, str], list[InvigilationAssignment]] = {}
    for a in rows:
        per_day.setdefault((a.teacher_id, sess[a.session_id].date), []).append(a)
    for (tid, _), day_rows in sorted(per_day.items()):
        day_rows.sort(key=lambda a: (sess[a.session_id].start, a.session_id))
        for a in day_rows[policy.max_sessions_per_day:]:
            out.append(RelaxationUse("extra_session", a.session_id, a.site_school_id, tid, a.teacher_school_id))
    for (e, j), k in sorted(shared.items()):
        out.append(RelaxationUse("shared_reserve", e, j, partner_site_id=k, count=facts.site_sessions[e, j].reserves,
                                 km=round(data.km(j, k), 2)))
    supply: dict[str, int] = {}
    for a in rows:
        supply[a.teacher_school_id] = supply.get(a.teacher_school_id, 0) + 1
    for s in data.schools:
        q = facts.quota[s.school_id]
        got = supply.get(s.school_id, 0)
        if got < q.lo or got > q.hi:
            out.append(RelaxationUse("quota", school_id=s.school_id, count=(q.lo - got) if got < q.lo else (got - q.hi),
                                     role="under" if got < q.lo else "over"))
    if policy.quota_scope == "session":
        per_session: dict[tuple[str, str], int] = {}
        for a in rows:
            per_session[a.teacher_school_id, a.session_id] = per_session.get((a.teacher_school_id, a.session_id), 0) + 1
        for (school, e), q in facts.session_quota.items():
            got = per_session.get((school, e), 0)
            if got < q.lo or got > q.hi:
                out.append(RelaxationUse("quota", e, school_id=school, count=(q.lo - got) if got < q.lo else (got - q.hi),
                                         role="under" if got < q.lo else "over"))
    for e, j, room, role in unstaffed:
        out.append(RelaxationUse("unstaffed", e, j, room_id=room, role=role))
    return out


def relaxation_cost(policy: InvigilationPolicy, uses: list[RelaxationUse]) -> int:
    """The tiers' price of a plan's relaxations (what the tiered model minimises first)."""
    return sum(u.count * policy.relax_cost(u.tier) for u in uses)


def relaxation_summary(data: InvigilationInput, uses: list[RelaxationUse], proven: bool = True) -> Explanation:
    """One line per tier used, with counts and the sites named (Chinese; English on request)."""
    counts: dict[str, int] = {}
    sites: dict[str, list[str]] = {}
    for r in uses:
        counts[r.tier] = counts.get(r.tier, 0) + r.count
        name = data.school_by_id[r.site_school_id or r.school_id].label if (r.site_school_id or r.school_id) else ""
        if name and name not in sites.setdefault(r.tier, []):
            sites[r.tier].append(name)
    zh_parts, en_parts = [], []
    for tier in TIER_NAMES:
        if tier not in counts:
            continue
        named = sites.get(tier, [])
        where = "、".join(named[:6]) + ("等" if len(named) > 6 else "")
        unit_zh = {"distance": "人次", "own_school_assistant": "人次", "shared_reserve": "个备用位", "extra_session": "人次",
                   "quota": "人次", "unstaffed": "个空缺位"}[tier]
        zh_parts.append(f"{TIER_NAMES[tier][0]} {counts[tier]} {unit_zh}（{where}）")
        en_parts.append(f"{TIER_NAMES[tier][1]}: {counts[tier]} ({', '.join(named[:6])}{', …' if len(named) > 6 else ''})")
    why_zh = "规则无法全部满足" if proven else "在时限内未找到满足全部规则的方案（也未证明无解）"
    why_en = "the rules cannot all hold" if proven else "no plan meeting every rule was found in time (nor proven impossible)"
    return Explanation("relaxation_summary", why_zh + "，方案按放宽层级排出：" + "；".join(zh_parts),
                       why_en + "; the plan uses relaxation tiers: " + "; ".join(en_parts),
                       {"tiers": counts, "proven": proven}, exact=False)


# ------------------------------------------------------------------------------------------ entry

def plan_invigilation(data: InvigilationInput, policy: InvigilationPolicy | None = None, *,
                      time_limit_s: float = 60.0, num_workers: int = 2, pins=(), forbids=(),
                      previous: InvigilationResult | list[InvigilationAssignment] | None = None,
                      mode: str = "auto", gap_limit: float = 0.0, seed: int = 0, log: bool = False,
                      explain_time_s: float = 20.0, relax: bool = True, suggest: bool = True) -> InvigilationResult:
    """Plan a joint exam's invigilation. Returns rows shaped like invigilation.csv, statistics (stages,
    bounds, km, loads, timings, model sizes) and, when the rules admit no plan, explanations with the
    numbers; then (`relax`, the policy's `relaxation_tiers`) a complete plan under the tiers anyway,
    status "relaxed", each use listed in `result.relaxations`.

    With `previous` (a plan of the same exam) the replan keeps what it can: teacher-days that leave
    their previous site and sessions are minimised right after the fairness terms (exact mode)."""
    t0 = time.perf_counter()
    policy = policy or InvigilationPolicy()
    facts = derive(data, policy, pins, forbids)
    problems = precheck(facts)
    stats: dict = {"num_workers": num_workers, "demand": facts.demand, "teachers": len(data.teachers),
                   "site_sessions": len(facts.site_sessions)}
    prev_rows = list(previous.assignments if isinstance(previous, InvigilationResult) else (previous or []))
    prev_plan = rows_to_plan(facts, prev_rows) if prev_rows else None
    run = _Run(facts, t0, t0 + time_limit_s, num_workers, seed, log)
    status, plan = "infeasible", None
    solve_stats: dict[str, Any] = {}
    hard_status = "infeasible"
    if not problems:
        if mode == "auto":
            n = len(data.teachers)
            if n <= RACE_MIN_TEACHERS or (prev_plan and n <= EXACT_MAX_TEACHERS):
                mode = "exact"  # a replan minimises its changes in the exact model
            else:
                mode = "race" if n <= EXACT_MAX_TEACHERS else "decomposed"
        if mode == "exact":
            status, plan, solve_stats = solve_exact(facts, run, prev_plan, gap_limit, keep_previous=bool(prev_plan))
        elif mode == "race":
            status, plan, solve_stats = solve_race(facts, run, prev_plan, gap_limit)
        else:
            status, plan, solve_stats = solve_decomposed(facts, run, prev_plan, gap_limit=gap_limit)
        stats.update(solve_stats)
        stats["mode"] = mode
        hard_status = status
    explanations: list[Explanation] = list(problems)
    rows: list[InvigilationAssignment] = []
    uses: list[RelaxationUse] = []
    if plan is not None:
        rows = plan_to_rows_tiered(facts, plan, previous=prev_rows)[0]
    elif not problems and status == "infeasible":
        scope = {}
        if solve_stats.get("failed_regions"):
            scope = _region_scope(facts, solve_stats["failed_regions"][0])
        explanations = solver_core(facts, time_limit_s=explain_time_s, **scope)
    elif not problems:
        explanations = [Explanation("time_limit", f"在 {time_limit_s:g} 秒内未找到可行方案，也未能证明无解",
                                    f"no plan found within {time_limit_s:g} s, and no proof that none exists",
                                    {"time_limit_s": time_limit_s}, exact=False)]
    if plan is None and suggest and explanations and status == "infeasible":
        # the policy key and value that would meet each shortfall, checked by solving again
        explanations = suggest_checked(data, policy, explanations, time_limit_s=explain_time_s, pins=pins, forbids=forbids)
    if plan is None and relax and policy.relaxation_tiers:
        # a complete plan anyway: the tiers, with at least three quarters of the time limit of their own
        run.deadline = max(run.deadline, time.perf_counter() + 0.75 * time_limit_s)
        prev_uses = previous.relaxations if isinstance(previous, InvigilationResult) else []
        prev_cost = relaxation_cost(policy, [u for u in prev_uses if u.tier in policy.relaxation_tiers]) \
            if prev_plan else None
        tstatus, tfacts, tplan, tvalues, tstats = solve_tiered(data, policy, run, pins, forbids, prev_plan, prev_cost)
        stats["tiered"] = tstats
        options = []  # (relaxation cost, km, source, rows, uses)
        if tplan is not None:
            t_rows, unstaffed = plan_to_rows_tiered(tfacts, tplan, tvalues, policy.exclude_own_school, prev_rows)
            t_uses = relaxation_uses(data, policy, t_rows, unstaffed, tvalues.get("shared", {}), tfacts)
            options.append((relaxation_cost(policy, t_uses), sum(a.distance_km for a in t_rows), "tiered", t_rows, t_uses))
        if not pins and (tplan is None or not prev_plan):
            # the clerk's sheet under the same tiers: a complete plan even when the model found none in time
            # (a large district), and kept when it needs less relaxation than the model's plan
            from .greedy import greedy_invigilation

            g = greedy_invigilation(data, tfacts.policy, strict=policy, forbids=forbids)
            g_uses = relaxation_uses(data, policy, g.assignments, g.stats["unfilled_places"], {}, tfacts)
            if all(u.tier in policy.relaxation_tiers for u in g_uses):
                options.append((relaxation_cost(policy, g_uses), sum(a.distance_km for a in g.assignments), "greedy",
                                g.assignments, g_uses))
        if options:
            cost, _, source, rows, uses = min(options, key=lambda o: (o[0], o[1], o[2] != "tiered"))
            status = "relaxed" if uses else "feasible"
            stats["mode"] = "tiered" if source == "tiered" else "tiered-greedy"
            stats["relax_options"] = {o[2]: o[0] for o in options}
            if uses:
                explanations = [relaxation_summary(data, uses, proven=hard_status == "infeasible")] + explanations
        else:
            status = tstatus
    if rows:
        stats.update(summarise(facts, rows))
        stats["relaxations"] = {t: n for t, n in InvigilationResult("", "", relaxations=uses).tier_counts().items()}
    stats.update({"first_solution_s": run.first_solution_s, "trace": run.trace,
                  "model_size": run.models[0] if run.models else stats.get("tiered", {}).get("tiered_model_size", {})})
    stats["wall_s"] = round(time.perf_counter() - t0, 3)
    return InvigilationResult(data.exam_id, status, rows, explanations, stats, uses)
