"""`plan_rotation`: one button, the whole roster (teachers, mentoring, leaders, principals).

Clusters that no posting can join (no cross-cluster scope, no pin across) are independent: each
is solved as its own model, in turn, sharing the time limit in proportion to its size. That keeps
every model small and makes a district of 100 schools as easy as its clusters.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace

from ortools.sat.python import cp_model

from ..cpsat import STATUS_NAMES, solve_with_rules
from .candidates import SCALE, CandidateIndex, build_candidates
from .cpsat import posting_params
from .explain import (explain_best_effort, explain_leader_model, explain_leader_waits, explain_posting_model,
                      shortfall_report, verify_post_suggestions)
from .inputs import RotationInput
from .leaders import build_leader_model, leader_waits, principals_home, read_leader_plan
from .model import PostingModel, build_posting_model
from .policy import RotationPolicy
from .results import Explanation, MentorPair, PartTimePosting, Posting, RotationPlan, RotationResult, Shortfall
from .rules import counts_as_backbone, direction, period_dates, subsidy_yuan


# The leaders' model is highly symmetric (interchangeable leaders and months): symmetry detection and
# probing in presolve cost more than they save (measured: 1.3 s → 0.25 s on a cluster of 10 schools).
LEADER_SOLVER_PARAMS = {"symmetry_level": 0, "cp_model_probing_level": 0}
# The best-effort leaders' model (pairs may wait) needs the strongest LP to prove how many pair-months
# can be held: one worker with it proved a 4-partner cluster in 0.06 s, the default portfolio in 4–7 s.
RELAXED_LEADER_PARAMS = {**LEADER_SOLVER_PARAMS, "linearization_level": 2}


def components(data: RotationInput, policy: RotationPolicy) -> list[list[str]]:
    """Groups of school ids that must be planned together (clusters, joined by pins and pairs across)."""
    parent = {s.school_id: s.school_id for s in data.schools}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    if policy.scope.cross_cluster:
        ids = [s.school_id for s in data.schools]
        for other in ids[1:]:
            union(ids[0], other)
    first_of_cluster: dict[str, str] = {}
    for s in data.schools:
        union(first_of_cluster.setdefault(s.cluster_id, s.school_id), s.school_id)
    school_of = {t.teacher_id: t.school_id for t in data.teachers}
    for pin in data.pins:
        if pin.to_school_id is not None:
            union(school_of[pin.teacher_id], pin.to_school_id)
    for a, b in data.school_pairs:
        union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for s in data.schools:
        groups[find(s.school_id)].append(s.school_id)
    return sorted(groups.values(), key=lambda g: g[0])


def _restrict_plan(plan: RotationPlan | None, teacher_ids: set[str]) -> RotationPlan | None:
    if plan is None:
        return None
    return RotationPlan(
        school_year=plan.school_year, term=plan.term,
        postings=tuple(p for p in plan.postings if p.teacher_id in teacher_ids),
        mentoring=tuple(m for m in plan.mentoring if m.mentor_id in teacher_ids),
        leader_exchanges=tuple(e for e in plan.leader_exchanges if e.teacher_id in teacher_ids),
        principal_months=tuple(e for e in plan.principal_months if e.teacher_id in teacher_ids),
        part_time=tuple(p for p in plan.part_time if p.teacher_id in teacher_ids))


def restrict(data: RotationInput, school_ids: list[str], previous: RotationPlan | None) -> RotationInput:
    """The part of the input about these schools (their teachers, needs, pins, pairs, previous plan)."""
    keep = set(school_ids)
    teachers = tuple(t for t in data.teachers if t.school_id in keep)
    teacher_ids = {t.teacher_id for t in teachers}
    return replace(
        data, schools=tuple(s for s in data.schools if s.school_id in keep), teachers=teachers,
        needs=tuple(n for n in data.needs if n.school_id in keep),
        distances={k: v for k, v in data.distances.items() if k[0] in keep and k[1] in keep},
        school_pairs=tuple(p for p in data.school_pairs if p[0] in keep),
        pins=tuple(p for p in data.pins if p.teacher_id in teacher_ids),
        forbids=tuple(f for f in data.forbids if f.teacher_id in teacher_ids),
        previous=_restrict_plan(previous, teacher_ids))


def _hints(pm: PostingModel, previous: RotationPlan | None) -> list[tuple[cp_model.IntVar, int]]:
    if previous is None:
        return []
    before = {(p.teacher_id, p.to_school_id, p.subject, p.grade) for p in previous.postings}
    hints = []
    for c in pm.index.candidates:
        need = pm.index.needs[c.need_index]
        hints.append((pm.x[c.index], int((c.teacher_id, c.to_school_id, need.subject, need.grade) in before)))
    return hints


def read_postings(pm: PostingModel, solver: cp_model.CpSolver
                  ) -> tuple[list[Posting], list[MentorPair], dict[int, int], dict[str, int]]:
    index = pm.index
    policy, data = index.policy, index.data
    start, end = period_dates(data.school_year, data.term, policy)
    postings: list[Posting] = []
    filled: dict[int, int] = defaultdict(int)
    need_of: dict[str, int] = {}
    for c in index.candidates:
        if not solver.boolean_value(pm.x[c.index]):
            continue
        teacher, host, need = index.teachers[c.teacher_id], index.schools[c.to_school_id], index.needs[c.need_index]
        factor = policy.subsidy.learn_factor if c.direction == "learn" else 1.0
        filled[c.need_index] += 1
        need_of[c.teacher_id] = c.need_index
        postings.append(Posting(
            teacher_id=c.teacher_id, from_school_id=c.from_school_id, to_school_id=c.to_school_id,
            subject=need.subject, grade=need.grade, direction=c.direction, start=start, end=end,
            backbone=counts_as_backbone(teacher, policy), famous=teacher.famous, volunteer=teacher.volunteer,
            distance_km=round(c.km, 1), subsidy_yuan_per_month=subsidy_yuan(c.km, host.hardship, policy, factor)))
    mentoring = [MentorPair(mentor, apprentice, host, index.teachers[mentor].subject)
                 for (mentor, host, apprentice), link in pm.links.items() if solver.boolean_value(link)]
    postings.sort(key=lambda p: (p.from_school_id, p.teacher_id))
    mentoring.sort(key=lambda m: (m.school_id, m.mentor_id, m.apprentice_id))
    return postings, mentoring, dict(filled), need_of


def read_part_time(pm: PostingModel, solver: cp_model.CpSolver) -> tuple[list[PartTimePosting], dict[int, int]]:
    """The part-time covers (跨校兼课) of a solved model, and how many each need got."""
    index = pm.index
    policy, data = index.policy, index.data
    start, end = period_dates(data.school_year, data.term, policy)
    out: list[PartTimePosting] = []
    covered: dict[int, int] = defaultdict(int)
    for c in index.part_time:
        if not solver.boolean_value(pm.y[c.index]):
            continue
        teacher, sender, host = index.teachers[c.teacher_id], index.schools[c.from_school_id], index.schools[c.to_school_id]
        need = index.needs[c.need_index]
        covered[c.need_index] += 1
        out.append(PartTimePosting(
            teacher_id=c.teacher_id, from_school_id=c.from_school_id, to_school_id=c.to_school_id,
            subject=need.subject, grade=need.grade, direction=direction(sender, host) or "support", start=start,
            end=end, hours_per_week=policy.part_time.hours_per_week, backbone=counts_as_backbone(teacher, policy),
            distance_km=round(c.km, 1),
            subsidy_yuan_per_month=subsidy_yuan(c.km, host.hardship, policy, policy.part_time.subsidy_factor)))
    out.sort(key=lambda p: (p.from_school_id, p.teacher_id))
    return out, dict(covered)


def _broken_rules(pm: PostingModel, solver: cp_model.CpSolver) -> dict[str, int]:
    """Rule instances a relaxed plan breaks: key → how many teachers short (1 for a rule broken outright)."""
    broken = {}
    for rule in pm.rules:
        if solver.boolean_value(rule.literal):
            continue
        deficit = rule.numbers.get("deficit_var")
        broken[rule.key] = int(solver.value(deficit)) if deficit is not None else 1
    return broken


def changed_count(plan: RotationPlan, previous: RotationPlan | None) -> int | None:
    """Teachers whose posting (host school, or staying) differs from the previous plan."""
    if previous is None:
        return None
    before = {p.teacher_id: p.to_school_id for p in previous.postings}
    after = {p.teacher_id: p.to_school_id for p in plan.postings}
    return sum(1 for t in set(before) | set(after) if before.get(t) != after.get(t))


def changed_leader_count(plan: RotationPlan, previous: RotationPlan | None) -> int | None:
    """Leader exchange months and principal months that differ from the previous plan."""
    if previous is None:
        return None
    key = lambda e: (e.teacher_id, e.month, e.to_school_id)  # noqa: E731
    before = {key(e) for e in (*previous.leader_exchanges, *previous.principal_months)}
    after = {key(e) for e in (*plan.leader_exchanges, *plan.principal_months)}
    return len(before ^ after)


def _merge_status(statuses: list[str]) -> str:
    for worst in ("MODEL_INVALID", "INFEASIBLE", "UNKNOWN"):
        if worst in statuses:
            return worst
    return "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"


def plan_rotation(data: RotationInput, policy: RotationPolicy | None = None, *, time_limit_s: float = 30.0,
                  num_workers: int = 2, previous: RotationPlan | None = None, lang: str = "zh",
                  relative_gap: float = 0.0, explain: bool = True) -> RotationResult:
    """The exchange roster the policy asks for, or the reasons it cannot be met.

    - `previous`: a plan to revise (defaults to `data.previous`): every other posting is kept unless
      the policy cannot be met otherwise; `result.changed` counts the teachers whose posting changed.
    - `relative_gap`: stop when the objective is within this share of the proven bound (0: optimal).
    - `explain`: on an infeasible policy, find the conflicting rules (costs extra solves).
    Status is OPTIMAL, FEASIBLE, INFEASIBLE (see `explanations`) or UNKNOWN (no plan in the time).
    Components (clusters) are planned separately. When a component's policy cannot be met, the
    explanations say why and its postings are a best-effort roster that breaks as little as it can:
    `result.relaxed` is True, `stats["relaxed"]` names those components (by their first school) and
    `stats["broken"]` maps each broken rule instance ("quota:S020") to how many teachers it is short.
    A part that cannot be planned at all is named in `stats["blocked"]` ("leaders:S001").
    `objective` and `bound` are None unless every component met the policy; `changed` is given
    whenever every component has postings (best-effort ones included: re-planning keeps them too).
    """
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    policy = policy or RotationPolicy()
    previous = previous if previous is not None else data.previous
    data.check()
    started = time.perf_counter()
    groups = components(data, policy)
    parts = [restrict(data, g, previous) for g in groups]
    indexes = [build_candidates(part, policy) for part in parts]
    sizes = [len(ix.candidates) + 10 * len(part.schools) for ix, part in zip(indexes, parts)]
    statuses: list[str] = []
    postings: list[Posting] = []
    mentoring: list[MentorPair] = []
    part_time: list[PartTimePosting] = []
    exchanges, principal_months = [], []
    shortfalls: list[Shortfall] = []
    explanations: list[Explanation] = []
    objective = bound = 0.0
    stats: dict = {"components": len(groups), "candidates": sum(len(ix.candidates) for ix in indexes),
                   "rules": 0, "component_seconds": [], "blocked": [], "relaxed": [], "broken": {}}
    remaining_size = sum(sizes)
    for group, part, index, size in zip(groups, parts, indexes, sizes):
        left = time_limit_s - (time.perf_counter() - started)
        budget = max(0.2, left * size / max(1, remaining_size))
        remaining_size -= size
        t0 = time.perf_counter()
        result = _plan_component(part, index, policy, budget, num_workers, relative_gap, explain)
        stats["component_seconds"].append(round(time.perf_counter() - t0, 3))
        stats["rules"] += result["rules"]
        for key in ("core", "core_minimal", "leader_core"):
            if result.get(key) is not None:
                stats.setdefault(key, []).append(result[key])
        numbering: dict[int, int] = {}
        before = len({x.conflict for x in explanations})
        for e in result["explanations"]:  # conflicts numbered across the whole district
            numbering.setdefault(e.conflict, before + len(numbering) + 1)
            explanations.append(replace(e, conflict=numbering[e.conflict]))
        statuses += [result["posting_status"], result["leader_status"]]
        if "postings" in result:
            postings += result["postings"]
            mentoring += result["mentoring"]
            part_time += result["part_time"]
            shortfalls += result["shortfalls"]
            if result.get("relaxed"):
                stats["relaxed"].append(group[0])
                stats["broken"].update(result["broken"])
            else:
                objective += result["objective"]
                bound += result["bound"]
        else:
            stats["blocked"].append(f"postings:{group[0]}")
        if "exchanges" in result:
            exchanges += result["exchanges"]
            principal_months += result["principal_months"]
            if result.get("leader_relaxed"):
                stats.setdefault("leader_waits", {}).update(result["leader_waits"])
                stats.setdefault("principals_home", []).extend(result["principals_home"])
                if group[0] not in stats["relaxed"]:
                    stats["relaxed"].append(group[0])
        else:
            stats["blocked"].append(f"leaders:{group[0]}")
    status = _merge_status(statuses)
    postings_planned = not any(b.startswith("postings:") for b in stats["blocked"])
    postings_complete = postings_planned and not stats["relaxed"]
    plan = RotationPlan(
        school_year=data.school_year, term=data.term,
        postings=tuple(sorted(postings, key=lambda p: (p.from_school_id, p.teacher_id))),
        mentoring=tuple(mentoring),
        leader_exchanges=tuple(sorted(exchanges, key=lambda e: (e.start, e.from_school_id, e.to_school_id))),
        principal_months=tuple(sorted(principal_months, key=lambda e: (e.start, e.from_school_id))),
        part_time=tuple(sorted(part_time, key=lambda p: (p.from_school_id, p.teacher_id))))
    if previous is not None:
        stats["changed_leaders"] = changed_leader_count(plan, previous)
    return RotationResult(
        status=status, plan=plan, objective=objective if postings_complete else None,
        bound=bound if postings_complete else None, shortfalls=tuple(shortfalls), explanations=tuple(explanations),
        changed=changed_count(plan, previous) if postings_planned else None,
        solve_seconds=round(time.perf_counter() - started, 3), num_workers=num_workers, lang=lang, stats=stats,
        relaxed=bool(stats["relaxed"]))


def _plan_component(data: RotationInput, index: CandidateIndex, policy: RotationPolicy, budget: float,
                    num_workers: int, relative_gap: float, explain: bool) -> dict:
    """Solve one component: the teachers' postings, then the leaders; each part may fail on its own."""
    started = time.perf_counter()
    result: dict = {"explanations": []}
    pm = build_posting_model(index, data.previous)
    lm = build_leader_model(data, policy, data.previous)
    result["rules"] = len(pm.rules) + len(lm.rules)
    solver, code = solve_with_rules(pm.model, pm.rules, time_limit_s=budget * 0.75, num_workers=num_workers,
                                    relative_gap=relative_gap, hints=_hints(pm, data.previous),
                                    params=posting_params(num_workers))
    result["posting_status"] = STATUS_NAMES.get(code, "UNKNOWN")
    if result["posting_status"] in ("OPTIMAL", "FEASIBLE"):
        postings, mentoring, filled, need_of = read_postings(pm, solver)
        part_time, covered = read_part_time(pm, solver)
        result.update(postings=postings, mentoring=mentoring, part_time=part_time,
                      shortfalls=shortfall_report(index, filled, need_of, covered),
                      objective=solver.objective_value / SCALE, bound=solver.best_objective_bound / SCALE)
    elif result["posting_status"] == "INFEASIBLE":
        # A best-effort roster that breaks as little of the policy as it can (reported, never silent),
        # then explanations that agree with it: the conflicting rules, and each broken rule with the
        # roster's numbers and a policy change verified by re-solving.
        relaxed = build_posting_model(index, data.previous, relaxed=True)
        solver, code = solve_with_rules(relaxed.model, [], time_limit_s=max(0.5, budget * 0.35),
                                        num_workers=num_workers, relative_gap=relative_gap,
                                        hints=_hints(relaxed, data.previous), params=posting_params(num_workers))
        if STATUS_NAMES.get(code) in ("OPTIMAL", "FEASIBLE"):
            postings, mentoring, filled, need_of = read_postings(relaxed, solver)
            part_time, covered = read_part_time(relaxed, solver)
            broken = _broken_rules(relaxed, solver)
            result.update(postings=postings, mentoring=mentoring, part_time=part_time, relaxed=True, broken=broken,
                          shortfalls=shortfall_report(index, filled, need_of, covered))
            left = max(1.0, budget * 0.75 - (time.perf_counter() - started))
            explanations, info = explain_best_effort(pm, postings, mentoring, broken, time_limit_s=left,
                                                     num_workers=num_workers, find_cores=explain)
            result["explanations"] += explanations
            result.update(info)
        elif explain:
            explanations, info = explain_posting_model(pm, time_limit_s=max(1.0, budget * 0.4),
                                                       num_workers=num_workers)
            result["explanations"] += explanations
            result.update(info)
    if explain and result.get("shortfalls"):
        left = max(0.5, min(budget * 0.2, budget * 0.85 - (time.perf_counter() - started)))
        total = sum(result.get("broken", {}).values())
        result["shortfalls"] = verify_post_suggestions(index, result["shortfalls"], relaxed=bool(result.get("relaxed")),
                                                       broken_total=total, time_limit_s=left, num_workers=num_workers)
    leader_left = max(0.5, budget - (time.perf_counter() - started))
    leader_solver, leader_code = solve_with_rules(lm.model, lm.rules, time_limit_s=leader_left,
                                                  num_workers=num_workers, relative_gap=max(relative_gap, 0.01),
                                                  params=LEADER_SOLVER_PARAMS)
    leader_status = STATUS_NAMES.get(leader_code, "UNKNOWN")
    if leader_status in ("OPTIMAL", "FEASIBLE"):
        exchanges, principal_months = read_leader_plan(lm, leader_solver)
        result.update(exchanges=exchanges, principal_months=principal_months)
        leader_status = "OPTIMAL"  # the leaders' objective is a preference, not part of the reported objective
    elif leader_status == "INFEASIBLE":
        # A best-effort leaders' plan: the most pair-months the leaders can cover; the pairs that wait
        # are named with the reason and a verified change (the solver's core is kept in the stats).
        relaxed_lm = build_leader_model(data, policy, data.previous, relaxed=True)
        solver_r, code_r = solve_with_rules(relaxed_lm.model, [], time_limit_s=max(0.5, leader_left * 0.4),
                                            num_workers=1, relative_gap=max(relative_gap, 0.01),
                                            params=RELAXED_LEADER_PARAMS)
        if STATUS_NAMES.get(code_r) in ("OPTIMAL", "FEASIBLE"):
            exchanges, principal_months = read_leader_plan(relaxed_lm, solver_r)
            waits = leader_waits(relaxed_lm, solver_r)
            home = principals_home(relaxed_lm, solver_r)
            result.update(exchanges=exchanges, principal_months=principal_months, leader_relaxed=True,
                          leader_waits={f"{a}-{b}": months for (a, b), months in waits.items()},
                          principals_home=home)
            if explain:
                result["explanations"] += explain_leader_waits(relaxed_lm, index, waits, home,
                                                               time_limit_s=max(1.0, leader_left * 0.4),
                                                               num_workers=num_workers)
        elif explain:
            explanations, info = explain_leader_model(lm, index, time_limit_s=max(1.0, leader_left * 0.5),
                                                      num_workers=num_workers)
            result["explanations"] += explanations
            result.update(info)
    result["leader_status"] = leader_status
    return result
