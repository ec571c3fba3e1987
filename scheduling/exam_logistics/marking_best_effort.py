"""Best-effort marking groups (尽力方案): a subject short of markers or leaders still gets its groups.

When the rules of `marking.py` cannot all hold, this model keeps every rule that does not involve
numbers of people (subject, role, dates, distance, one group a teacher, leaders of different
schools) and turns the others into counted shortfalls, used in the order a bureau would relax them:

1. markers of adjacent grades (`best_effort_grade_extra` grades beyond `grade_window`);
2. the most senior markers acting as leader or deputy (代理题组长) when too few qualify;
3. a longer marking window for the group: more hours, so fewer markers needed (up to
   `best_effort_hours_factor` × hours);
4. a group that is simply short (markers or leader places missing);

and, throughout, 回避本校: each school's scripts keep enough markers of other schools wherever the
people allow (two distinct ones first: without them the queue cannot give a script its two marks),
and the school quotas. Each tier costs ten times the one before per use, so a later tier is used only
where the earlier ones cannot help; a second solve then minimises travel and the other preferences
with the relaxations fixed. Subjects that can meet every rule get no relaxation; the school quota is
the only rule shared between subjects, and its deviations are counted the same way.

The result declares every relaxation it uses (`MarkingRelaxation`); `validate_marking(...,
relaxations=result.relaxations)` checks the rows under exactly those.
"""
from __future__ import annotations

import math
import time

from ortools.sat.python import cp_model

from domain.labels import LABELS
from .data import MarkingAssignment, MarkingInput, MarkingRelaxation, MarkingResult
from .derive import quota_bounds
from .policy import MarkingPolicy
from .validate import markers_of_other_schools_needed, regular_markers, required_group_size

#: Relaxations in the order they are used, with their cost per use (each ten times the one before).
TIER_COST = {
    "quota": 1,  # a marker outside a school's quota range
    "adjacent_grade": 10,  # a marker of a grade beyond grade_window
    "acting_leader": 100,  # a leader place given to a marker who does not qualify
    "longer_window": 1_000,  # a marker fewer thanks to more marking hours
    "own_school": 3_000,  # a school's share of the work its scripts lack markers of other schools for
    "short": 10_000,  # a marker missing even with the longest window
    # what the marking queue cannot do without comes last: a leader place unfilled (the scripts of the one
    # leader's school that need arbitration wait for a leader of another school), and, worse, a school's
    # scripts without two markers of other schools (every one of them waits for its second mark)
    "leader_short": 100_000,
    "own_school_distinct": 300_000,
    "leaderless": 1_000_000,  # a group without any leader (on top of its leader places unfilled)
}

KIND_LABELS = LABELS["marking_relaxation"]  # (中文, English) per relaxation, from the one registry


def work_hours(scripts: int, seconds_per_script: float, regular: int, policy: MarkingPolicy) -> float:
    """Marking hours with which `regular` markers carry a group's work (the inverse of the size formula)."""
    work = scripts * (1 + policy.double_marking_share + policy.third_mark_share) * seconds_per_script
    return work * (1 + policy.margin) / (3600.0 * max(regular, 1))


def _grade_gap(t, grade: int) -> int | None:
    gaps = [abs(g - grade) for g in t.grades]
    return min(gaps) if gaps else None


def _eligible(data: MarkingInput, policy: MarkingPolicy, t, forbidden: set[str]) -> tuple[bool, int] | None:
    """(beyond the grade window, gap) for a teacher a best-effort group may take; None if never."""
    if t.teacher_id in forbidden or t.role not in policy.marker_roles:
        return None
    if policy.exclude_unavailable and any(d in t.unavailable_dates for d in data.dates):
        return None
    if policy.mode == "centralised" and data.site_school_id and \
            data.km(t.school_id, data.site_school_id) > policy.max_km + 1e-9:
        return None
    gap = _grade_gap(t, data.grade)
    if gap is None or gap > policy.grade_window + policy.best_effort_grade_extra:
        return None
    return gap > policy.grade_window, gap


def _leader_ok(t, policy: MarkingPolicy) -> bool:
    return t.teaching_years >= policy.leader_min_teaching_years and (t.backbone or not policy.leader_requires_backbone)


class BestEffortModel:
    """Counted CP-SAT model: `y[class, group]` markers and `lead[class, group]` leaders of a class of
    interchangeable teachers (same school, subject, grade gap, leader qualification, and seniority
    when they could act as leader), with group sizes and every shortfall as variables."""

    def __init__(self, data: MarkingInput, policy: MarkingPolicy, *, pins=(), forbids=(),
                 previous: list[MarkingAssignment] | None = None):
        self.data, self.policy = data, policy
        self.model = m = cp_model.CpModel()
        hours = data.hours_available or policy.hours_available
        self.hours = hours
        forbidden_all = {f.teacher_id for f in forbids if f.item_group is None}
        forbidden_group = {(f.teacher_id, f.item_group) for f in forbids if f.item_group is not None}
        pinned = {p.teacher_id: p for p in pins}
        prev = {a.teacher_id: a for a in previous or ()}  # a repair keeps people where they were
        self.classes: dict[tuple, list[str]] = {}
        for t in data.teachers:
            if t.subject not in data.subjects:
                continue
            e = _eligible(data, policy, t, forbidden_all)
            if e is None:
                continue
            beyond, gap = e
            qualified = _leader_ok(t, policy)
            seniority = t.teaching_years if (not qualified and policy.best_effort_acting_leaders) else -1
            solo = t.teacher_id if (t.teacher_id in pinned or t.teacher_id in prev
                                    or any(tid == t.teacher_id for tid, _ in forbidden_group)) else ""
            key = (t.school_id, t.subject, gap, beyond, qualified, seniority, solo)
            self.classes.setdefault(key, []).append(t.teacher_id)
        self.y: dict[tuple, cp_model.IntVar] = {}
        self.lead: dict[tuple, cp_model.IntVar] = {}
        cost: list = []  # (expr, weight) of the relaxations
        base: list = []  # (expr, weight) of the preferences (km, adjacent grade, quota deviation, seniority)
        members: dict[tuple, list] = {}
        leads: dict[tuple, list] = {}
        school_regular: dict[tuple, list] = {}
        supply: dict[str, list] = {}
        for key, tids in self.classes.items():
            school, subject, gap, beyond, qualified, seniority, solo = key
            row = []
            for g in data.groups:
                if g.subject != subject or (solo and (solo, g.group_id) in forbidden_group):
                    continue
                gk = (g.subject, g.group_id)
                v = m.new_int_var(0, len(tids), f"y[{tids[0]}x{len(tids)},{g.group_id}]")
                self.y[key, gk] = v
                row.append(v)
                members.setdefault(gk, []).append(v)
                supply.setdefault(school, []).append(v)
                regular = school_regular.setdefault((gk, school), [])
                regular.append(v)
                if solo in prev and (prev[solo].subject, prev[solo].item_group) == gk:
                    base.append((v, -20))  # keeping the previous group is no change
                if beyond:
                    cost.append((v, TIER_COST["adjacent_grade"]))
                if gap:
                    base.append((v, round(policy.weight_adjacent_grade * 10)))
                if policy.mode == "centralised" and data.site_school_id:
                    base.append((v, round(policy.weight_km * data.km(school, data.site_school_id) * 10)))
                if qualified or policy.best_effort_acting_leaders:
                    lv = m.new_int_var(0, 1, f"lead[{tids[0]},{g.group_id}]")
                    m.add(lv <= v)
                    self.lead[key, gk] = lv
                    leads.setdefault(gk, []).append((lv, school, qualified))
                    if not policy.leader_counts_in_group:
                        regular.append(-lv)
                    if solo in prev and (prev[solo].subject, prev[solo].item_group) == gk:
                        base.append((lv, -10 if prev[solo].role == "leader" else 10))  # ... and their role
                    if not qualified:
                        cost.append((lv, TIER_COST["acting_leader"]))
                        # the most senior (and a backbone teacher before others) acts as leader
                        base.append((lv, 10 * max(0, policy.leader_min_teaching_years - t_years(data, tids[0]))))
            if row:
                m.add(sum(row) <= len(tids))
            if solo and solo in pinned:
                p = pinned[solo]
                gk = (p.subject, p.item_group)
                if (key, gk) in self.y:
                    m.add(self.y[key, gk] == 1)
                    if p.role == "leader" and (key, gk) in self.lead:
                        m.add(self.lead[key, gk] == 1)
        cand_total = sum(data.candidates.values())
        self.groups: dict[tuple, dict] = {}
        for g in data.groups:
            gk = (g.subject, g.group_id)
            scripts = data.scripts.get(g.subject, 0)
            r_nom = regular_markers(required_group_size(scripts, g.seconds_per_script, hours, policy), policy)
            r_min = regular_markers(required_group_size(scripts, g.seconds_per_script,
                                                        hours * policy.best_effort_hours_factor, policy), policy)
            n_leads = [lv for lv, _, _ in leads.get(gk, [])]
            regular = sum(members.get(gk, [])) - (0 if policy.leader_counts_in_group else sum(n_leads))
            longer = m.new_int_var(0, r_nom - r_min, f"longer[{g.group_id}]")
            short = m.new_int_var(0, r_nom, f"short[{g.group_id}]")
            m.add(regular + longer + short == r_nom)  # never more than the work needs
            leader_short = m.new_int_var(0, policy.leaders_per_group, f"leader_short[{g.group_id}]")
            m.add(sum(n_leads) + leader_short == policy.leaders_per_group)
            if policy.leaders_per_group:  # a group with no leader at all can arbitrate nothing: worst of all
                leaderless = m.new_bool_var(f"leaderless[{g.group_id}]")
                m.add(sum(n_leads) + leaderless >= 1)
                cost.append((leaderless, TIER_COST["leaderless"]))
            by_school: dict[str, list] = {}
            for lv, school, _ in leads.get(gk, []):
                by_school.setdefault(school, []).append(lv)
            for vs in by_school.values():
                m.add(sum(vs) <= 1)  # a group's leaders come from different schools
            cost += [(longer, TIER_COST["longer_window"]), (short, TIER_COST["short"]),
                     (leader_short, TIER_COST["leader_short"])]
            # 回避本校, with the need at the group's target size (nominal minus what the longer window saves)
            target_index = m.new_int_var(0, r_nom - r_min, f"target[{g.group_id}]")
            m.add(target_index == r_nom - longer - r_min)
            own = {}
            for s in data.schools:
                c = data.candidates.get(s.school_id, 0)
                if not c or not cand_total:
                    continue
                table = [markers_of_other_schools_needed(r, c / cand_total, policy) for r in range(r_min, r_nom + 1)]
                need = m.new_int_var(min(table), max(table), f"own_need[{g.group_id},{s.school_id}]")
                m.add_element(target_index, table, need)
                others = regular - sum(school_regular.get((gk, s.school_id), []))
                distinct = 2 if policy.double_marking_share > 0 else 1
                dd = m.new_int_var(0, distinct, f"own_distinct[{g.group_id},{s.school_id}]")
                m.add(dd >= distinct - others)
                dw = m.new_int_var(0, max(table), f"own_work[{g.group_id},{s.school_id}]")
                m.add(dw >= need - others - dd)
                cost += [(dd, TIER_COST["own_school_distinct"]), (dw, TIER_COST["own_school"])]
                own[s.school_id] = (dd, dw, need)
            self.groups[gk] = {"r_nom": r_nom, "r_min": r_min, "longer": longer, "short": short,
                               "leader_short": leader_short, "own": own, "scripts": scripts,
                               "seconds": g.seconds_per_script}
        # quotas on the nominal total (the declared deviations are counted exactly on the rows afterwards)
        total = sum(required_group_size(data.scripts.get(g.subject, 0), g.seconds_per_script, hours, policy)
                    for g in data.groups)
        for s in data.schools:
            target = total * data.candidates.get(s.school_id, 0) / cand_total if cand_total else 0.0
            q = quota_bounds(target, policy.quota_tolerance, policy.quota_slack)
            expr = sum(supply.get(s.school_id, []))
            off = m.new_int_var(0, total + q.lo, f"quota_off[{s.school_id}]")
            m.add(off >= expr - q.hi)
            m.add(off >= q.lo - expr)
            cost.append((off, TIER_COST["quota"]))
            dev = m.new_int_var(0, total + q.hi, f"dev[{s.school_id}]")
            m.add(dev >= expr - round(target))
            m.add(dev >= round(target) - expr)
            base.append((dev, round(policy.weight_quota_deviation * 10)))
        self.cost = sum(w * v for v, w in cost)
        self.base = sum(w * v for v, w in base)

    def assignments(self, solver: cp_model.CpSolver) -> list[MarkingAssignment]:
        data = self.data
        tb = data.teacher_by_id
        rows = []
        for key, tids in self.classes.items():
            free = sorted(tids, key=lambda t: (-tb[t].teaching_years, not tb[t].backbone, t))  # seniors lead
            for (k2, gk), v in self.y.items():
                if k2 != key:
                    continue
                n = solver.value(v)
                leaders = solver.value(self.lead[key, gk]) if (key, gk) in self.lead else 0
                for i in range(n):
                    tid = free.pop(0)
                    rows.append(MarkingAssignment(data.exam_id, gk[0], gk[1], tid, tb[tid].school_id,
                                                  "leader" if i < leaders else "marker"))
        rows.sort(key=lambda a: (a.subject, a.item_group, a.role != "leader", a.teacher_id))
        return rows


def t_years(data: MarkingInput, teacher_id: str) -> int:
    return data.teacher_by_id[teacher_id].teaching_years


def _solver(time_s: float, num_workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.max_time_in_seconds = max(0.1, time_s)
    if num_workers <= 2:
        # as in marking.py: the counted model's LP is tight; the full-linearisation LP workers prove the
        # relaxation cost optimal in 0.1 s where the default pair stalls at a 95% gap (test county)
        solver.parameters.linearization_level = 2
        if num_workers == 2:
            solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    return solver


def plan_marking_best_effort(data: MarkingInput, policy: MarkingPolicy, *, time_limit_s: float = 10.0,
                             num_workers: int = 2, pins=(), forbids=(),
                             previous: list[MarkingAssignment] | None = None) -> MarkingResult:
    """Groups for every item group under the fewest, earliest relaxations; each one declared. With
    `previous` (a repair), keeping a teacher in their group and role is preferred, after the relaxations."""
    t0 = time.perf_counter()
    bm = BestEffortModel(data, policy, pins=pins, forbids=forbids, previous=previous)
    stats: dict = {"num_workers": num_workers, "variables": len(bm.model.proto.variables), "best_effort": True}
    # first the relaxations, then (with them fixed) travel and the other preferences
    bm.model.minimize(bm.cost)
    solver = _solver(time_limit_s * 0.6, num_workers)
    status = solver.solve(bm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pins that cannot hold: drop them
        if pins:
            return plan_marking_best_effort(data, policy, time_limit_s=time_limit_s, num_workers=num_workers,
                                            forbids=forbids, previous=previous)
        stats["wall_s"] = round(time.perf_counter() - t0, 3)
        return MarkingResult(data.exam_id, "unknown", [], {}, [], stats)
    relax_cost = round(solver.objective_value)
    stats["relaxation_cost"] = relax_cost
    stats["relaxation_optimal"] = status == cp_model.OPTIMAL
    hint = {v: solver.value(v) for v in bm.y.values()} | {v: solver.value(v) for v in bm.lead.values()}
    bm.model.add(bm.cost <= relax_cost)
    bm.model.minimize(bm.base)
    for v, val in hint.items():
        bm.model.add_hint(v, val)
    second = _solver(max(0.5, time_limit_s - (time.perf_counter() - t0)), num_workers)
    status2 = second.solve(bm.model)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver, status = second, (cp_model.OPTIMAL if status == status2 == cp_model.OPTIMAL else cp_model.FEASIBLE)
    rows = bm.assignments(solver)
    relaxations = declared_relaxations(bm, solver, rows)
    sizes = {gk: required_group_size(info["scripts"], info["seconds"], bm.hours, policy)
             for gk, info in bm.groups.items()}
    stats["wall_s"] = round(time.perf_counter() - t0, 3)
    stats["markers_needed"] = sum(sizes.values())
    stats["markers_planned"] = len(rows)
    stats["tiers"] = tier_counts(relaxations)
    if data.site_school_id and policy.mode == "centralised":
        stats["km_total"] = round(sum(data.km(a.teacher_school_id, data.site_school_id) for a in rows), 1)
    return MarkingResult(data.exam_id, "optimal" if status == cp_model.OPTIMAL else "feasible", rows, sizes, [], stats,
                         relaxations)


def tier_counts(relaxations: list[MarkingRelaxation]) -> dict[str, int]:
    """Uses of each relaxation; `own_school_distinct` also counts, within own_school, the markers of
    other schools missing below two (those scripts cannot get both marks unless the leaders mark)."""
    out: dict[str, int] = {}
    for r in relaxations:
        out[r.kind] = out.get(r.kind, 0) + r.count
        if r.numbers.get("distinct_missing"):
            out["own_school_distinct"] = out.get("own_school_distinct", 0) + int(r.numbers["distinct_missing"])
    return out


def declared_relaxations(bm: BestEffortModel, solver: cp_model.CpSolver,
                         rows: list[MarkingAssignment]) -> list[MarkingRelaxation]:
    """What the solution uses, group by group, from the model's variables (quota: counted on the rows,
    the way the validator counts it, since the model measured it against the nominal total)."""
    data, policy = bm.data, bm.policy
    out: list[MarkingRelaxation] = []
    for gk, info in bm.groups.items():
        subject, group = gk
        adjacent = sum(solver.value(v) for (key, g2), v in bm.y.items() if g2 == gk and key[3])
        acting = sum(solver.value(v) for (key, g2), v in bm.lead.items() if g2 == gk and not key[4])
        longer, short = solver.value(info["longer"]), solver.value(info["short"])
        leader_short = solver.value(info["leader_short"])
        target = info["r_nom"] - longer
        if adjacent:
            out.append(MarkingRelaxation("adjacent_grade", subject, group, adjacent,
                                         numbers={"grade_window": policy.grade_window + policy.best_effort_grade_extra}))
        if acting:
            out.append(MarkingRelaxation("acting_leader", subject, group, acting))
        if longer:
            hours = work_hours(info["scripts"], info["seconds"], target, policy)
            # the smallest tenth of an hour that still needs no more than `target` markers
            shown = math.ceil(hours * 10 - 1e-6) / 10
            if regular_markers(required_group_size(info["scripts"], info["seconds"], shown, policy), policy) > target:
                shown = hours
            out.append(MarkingRelaxation("longer_window", subject, group, longer, hours=shown,
                                         numbers={"hours_available": bm.hours, "regular_nominal": info["r_nom"],
                                                  "regular_target": target}))
        if short:
            out.append(MarkingRelaxation("short", subject, group, short,
                                         numbers={"regular_target": target, "regular_planned": target - short}))
        if leader_short:
            out.append(MarkingRelaxation("leader_short", subject, group, leader_short))
        for school, (dd, dw, need) in info["own"].items():
            missing = solver.value(dd) + solver.value(dw)
            if missing:
                out.append(MarkingRelaxation("own_school", subject, group, missing, school_id=school,
                                             numbers={"needed": solver.value(need), "distinct_missing": solver.value(dd)}))
    cand_total = sum(data.candidates.values())
    if cand_total:
        supply: dict[str, int] = {}
        for a in rows:
            supply[a.teacher_school_id] = supply.get(a.teacher_school_id, 0) + 1
        for s in data.schools:
            target = len(rows) * data.candidates.get(s.school_id, 0) / cand_total
            q = quota_bounds(target, policy.quota_tolerance, policy.quota_slack)
            got = supply.get(s.school_id, 0)
            off = max(0, q.lo - got, got - q.hi)
            if off:
                out.append(MarkingRelaxation("quota", count=off, school_id=s.school_id,
                                             numbers={"supplied": got, "lower": q.lo, "upper": q.hi}))
    return out
