"""The decomposition (district scale): schools cut into geographic regions, each solved on its own to
a first plan, two regions at a time (see `invigilation.py`)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from ortools.sat.python import cp_model

from .derive import InvigilationFacts
from .invigilation_exact import _Run, _solve
from .invigilation_model import KM_SCALE, InvigilationModel, Plan

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
