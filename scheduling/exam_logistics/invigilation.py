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

from typing import Any

import time

from ortools.sat.python import cp_model

from .data import TIER_NAMES, Explanation, InvigilationAssignment, InvigilationInput, InvigilationResult, RelaxationUse
from .derive import InvigilationFacts, derive
from .explain import precheck, solver_core, suggest_checked
from .invigilation_exact import _Run, _solve, fairness_bounds, solve_exact
from .invigilation_lns import solve_decomposed
from .invigilation_model import KM_SCALE, InvigilationModel, Plan, status_name, widened_policy
from .invigilation_regions import _region_scope
from .invigilation_rows import plan_km_units, plan_to_rows, plan_to_rows_tiered, rows_to_plan, summarise
from .policy import InvigilationPolicy

EXACT_MAX_TEACHERS = 1500  # above this, `mode="auto"` decomposes
# From here up to EXACT_MAX_TEACHERS `mode="auto"` races decomposed then exact (hinted with the decomposed
# plan) and keeps the better plan: on a loaded machine the exact model of a ~1,000-teacher county stood at a
# 63% gap after 60 s where the decomposed search was within 0.2% in 10 s.
RACE_MIN_TEACHERS = 600

# The exact solve, the regions, the LNS and the rows live in invigilation_*.py; callers import these from here.
__all__ = ["EXACT_MAX_TEACHERS", "RACE_MIN_TEACHERS", "fairness_bounds", "plan_invigilation", "relaxation_cost",
           "relaxation_summary", "relaxation_uses", "solve_race", "solve_tiered", "summarise"]


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
