"""The large-neighbourhood search (district scale): from the regions' first plan, a few schools'
teachers and sites at a time are freed and re-routed, steered by the LP's flows (see `invigilation.py`)."""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

from ortools.sat.python import cp_model

from .derive import InvigilationFacts
from .invigilation_exact import _Run, _solve, fairness_bounds
from .invigilation_model import KM_SCALE, InvigilationModel, Plan
from .invigilation_regions import _region_scope, _solve_regions, make_regions
from .invigilation_rows import plan_km_units

LNS_TIME_S = 3.0  # time limit of one neighbourhood's solve
LNS_LP_SHARE = 0.7  # share of neighbourhoods grown along the LP's flows (once the LP is solved)
LNS_SIZE = (8, 14)  # schools per neighbourhood, drawn uniformly


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
