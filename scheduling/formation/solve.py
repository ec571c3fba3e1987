"""`propose_clusters`: one button, the district's clusters (学区划分方案), every time.

One solve of the model with every rule relaxable (`model.py`): when the rules can all hold the
proposal keeps them all (their shortfall costs far more than any balance term); when they cannot, it
is the best effort and `explain.py` says what falls short, why (counted where a count proves it, the
solver's conflicting rules otherwise) and which policy key would change it. The greedy plan is the
solver's hint and, should the solver find nothing in the time, the proposal itself (status GREEDY).
Every pairing of the greedy plan is among the model's options, so the hint is a solution.

A large district (more than `REGION_SCHOOLS` schools) is decomposed by geography: the greedy plan
seeds the clusters, whole clusters are grouped into regions by the bearing of their centre from the
district's centre (about `REGION_SCHOOLS` schools each), and each region is solved exactly on its own
(leads and members free within it, the same number of clusters, the balance measured against the
district's mean). The regions' plans together are the proposal (status FEASIBLE: each region is
solved, the district as a whole is not proven optimal).
"""
from __future__ import annotations

import math
import time
from dataclasses import replace

from ortools.sat.python import cp_model

from ..cpsat import found_solution, new_solver, status_name
from .candidates import FormationIndex, build_index
from .explain import explain_plan
from .greedy import Partition, greedy_partition, partition_shortfalls
from .inputs import FormationInput, LeadPin, Together
from .model import SCALE, FormationModel, build_formation_model
from .naming import name_clusters
from .policy import FormationPolicy
from .results import FormationResult


def _hints(fm: FormationModel, partition: Partition) -> float | None:
    """Hint every variable with the plan `partition` (its x and y, and the values they imply, found by a
    solve with them fixed): a complete, feasible hint is CP-SAT's first solution. Returns the plan's
    objective (None if the model cannot hold it)."""
    chosen = {(i, j) for i, members in partition for j in members}
    leads = {i for i, _ in partition}
    fixed = fm.model.clone()
    for (i, j), var in fm.x.items():
        if i != j:
            fixed.add(fixed.get_bool_var_from_proto_index(var.index) == int((i, j) in chosen))
    for i, var in fm.y.items():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == int(i in leads))
    solver = new_solver(5.0, 1)
    if not found_solution(solver.solve(fixed)):
        return None
    for position in range(len(fm.model.proto.variables)):
        var = fm.model.get_int_var_from_proto_index(position)
        fm.model.add_hint(var, solver.value(fixed.get_int_var_from_proto_index(position)))
    return solver.objective_value / SCALE


def read_partition(fm: FormationModel, solver: cp_model.CpSolver) -> Partition:
    members: dict[int, list[int]] = {i: [] for i, var in fm.y.items() if solver.boolean_value(var)}
    for (i, j), var in fm.x.items():
        if solver.boolean_value(var):
            members[i].append(j)
    return [(i, sorted(m)) for i, m in sorted(members.items())]


REGION_SCHOOLS = 90  # above about 1.5 times this, the district is solved region by region


def _solve(index: FormationIndex, hint: Partition, time_limit_s: float, num_workers: int
           ) -> tuple[Partition | None, str, float | None, float | None, FormationModel]:
    """The model solved from the hint; never a plan worse than the hint (CP-SAT may stop at its first
    solution when the time is short)."""
    fm = build_formation_model(index)
    started = time.perf_counter()
    start_value = _hints(fm, hint)
    solver = new_solver(max(0.5, time_limit_s - (time.perf_counter() - started)), num_workers)
    code = solver.solve(fm.model)
    if not found_solution(code):
        return (hint, "HINT", start_value, None, fm) if start_value is not None else (None, status_name(code),
                                                                                      None, None, fm)
    value = solver.objective_value / SCALE
    if start_value is not None and start_value < value - 1e-6:
        return hint, "FEASIBLE", start_value, solver.best_objective_bound / SCALE, fm
    return read_partition(fm, solver), status_name(code), value, solver.best_objective_bound / SCALE, fm


def _ids(index: FormationIndex, partition: Partition) -> list[tuple[str, list[str]]]:
    return [(index.schools[i].school_id, [index.schools[j].school_id for j in members]) for i, members in partition]


def regions(index: FormationIndex, seed: Partition) -> list[list[int]]:
    """Whole clusters of `seed` (their positions in it) grouped by the bearing of their centre, in turn
    around the district's centre, about REGION_SCHOOLS schools a region."""
    lat = [s.lat for s in index.schools]
    lon = [s.lon for s in index.schools]
    lat0, lon0 = sum(lat) / len(lat), sum(lon) / len(lon)

    def bearing(members: list[int]) -> float:
        y = sum(lat[j] for j in members) / len(members) - lat0
        x = (sum(lon[j] for j in members) / len(members) - lon0) * math.cos(math.radians(lat0))
        return math.atan2(x, y) % (2 * math.pi)

    order = sorted(range(len(seed)), key=lambda c: bearing(seed[c][1]))
    count = max(1, round(index.n / REGION_SCHOOLS))
    per = index.n / count
    out: list[list[int]] = [[] for _ in range(count)]
    done = 0
    for c in order:
        region = min(count - 1, int((done + len(seed[c][1]) / 2) // per))
        out[region].append(c)
        done += len(seed[c][1])
    return [r for r in out if r]


def _solve_regions(data: FormationInput, policy: FormationPolicy, index: FormationIndex, seed: Partition,
                   time_limit_s: float, num_workers: int) -> tuple[Partition, str, float | None, dict]:
    parts = regions(index, seed)
    totals = index.totals
    started = time.perf_counter()
    partition: Partition = []
    statuses: list[str] = []
    objective: float | None = 0.0
    sizes = [sum(len(seed[c][1]) for c in part) for part in parts]
    left_size = sum(sizes)
    for part, size in zip(parts, sizes):
        clusters = [seed[c] for c in part]
        inside = {j for _, members in clusters for j in members}
        ids = {index.schools[j].school_id for j in inside}
        sub = replace(data, schools=tuple(s for s in data.schools if s.school_id in ids),
                      together=tuple(Together(g.school_ids) for g in data.together if set(g.school_ids) <= ids),
                      leads=tuple(LeadPin(p.school_id) for p in data.leads if p.school_id in ids),
                      clusters_wanted=len(clusters))
        sub_index = build_index(sub, policy, include=_ids(index, clusters), totals=totals)
        local = {sid: k for k, sid in enumerate(s.school_id for s in sub_index.schools)}
        hint = [(local[index.schools[i].school_id], [local[index.schools[j].school_id] for j in members])
                for i, members in clusters]
        budget = (time_limit_s - (time.perf_counter() - started)) * size / max(1, left_size)
        left_size -= size
        found, status, value, _, _ = _solve(sub_index, hint, budget, num_workers)
        statuses.append(status)
        if found is None:  # no better plan for this region in its time: keep the seed's clusters
            found, value = hint, None
        objective = None if objective is None or value is None else objective + value
        position = index.position
        partition += [(position[sub_index.schools[i].school_id], [position[sub_index.schools[j].school_id]
                                                                  for j in members]) for i, members in found]
    status = "FEASIBLE" if any(_found(s) for s in statuses) else "GREEDY"
    stats = {"regions": len(parts), "region_schools": sizes, "region_status": statuses}
    return partition, status, objective, stats


def _found(status: str) -> bool:
    return status in ("OPTIMAL", "FEASIBLE")


def propose_clusters(data: FormationInput, policy: FormationPolicy | None = None, *, time_limit_s: float = 30.0,
                     num_workers: int = 2, lang: str = "zh", explain: bool = True) -> FormationResult:
    """The proposed clusters of the district's schools, with the reasons wherever a rule falls short.

    Status: OPTIMAL or FEASIBLE (CP-SAT; FEASIBLE too when solved region by region, see
    `stats["regions"]`), GREEDY (no solution in the time: the greedy plan). `broken` maps each rule
    instance that falls short ("mix.urban_rural:S001", keyed by the lead or the school) to its units
    short; `explanations` say why, with the policy key that would change it."""
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    policy = policy or FormationPolicy()
    data.check()
    started = time.perf_counter()
    if not data.schools:
        return FormationResult("OPTIMAL", name_clusters(data, []), relaxed=False, lang=lang, num_workers=num_workers)
    index = build_index(data, policy)
    seed = greedy_partition(index)
    stats: dict = {"schools": index.n, "clusters": index.count.count, "count_source": index.count.source}
    budget = time_limit_s * (0.8 if explain else 1.0)
    fm: FormationModel | None = None
    bound = None
    if index.n <= REGION_SCHOOLS * 1.5:
        index = build_index(data, policy, include=_ids(index, seed))
        found, status, objective, bound, fm = _solve(index, seed, budget, num_workers)
        if status == "INFEASIBLE":  # the options too narrow for the sizes (the greedy plan broke one): widen them
            index = build_index(data, policy, include=_ids(index, seed), width=index.n)
            left = budget - (time.perf_counter() - started)
            found, status, objective, bound, fm = _solve(index, seed, left, num_workers)
            stats["widened"] = True
        stats.update(candidate_leads=len(index.leads), options=sum(map(len, index.options.values())))
        partition = found if found is not None else seed
        if found is None or status == "HINT":  # the solver found nothing better in the time
            status = "GREEDY"
    else:
        partition, status, objective, more = _solve_regions(data, policy, index, seed, budget, num_workers)
        stats.update(more)
    broken = partition_shortfalls(index, partition)
    stats["solve_seconds"] = round(time.perf_counter() - started, 3)
    plan = name_clusters(data, _ids(index, partition))
    result = FormationResult(status=status, plan=plan, relaxed=bool(broken), broken=broken, objective=objective,
                             bound=bound, num_workers=num_workers, lang=lang, stats=stats)
    if explain:
        left = max(1.0, time_limit_s - (time.perf_counter() - started))
        explanations = explain_plan(index, plan, broken, fm=fm if status != "GREEDY" else None,
                                    time_limit_s=left, num_workers=num_workers)
        result = replace(result, explanations=tuple(explanations))
    return replace(result, solve_seconds=round(time.perf_counter() - started, 3))
