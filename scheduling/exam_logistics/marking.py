"""Pipeline marking (流水阅卷): one marker group per item or item group, sized to cover the work.

Group size = ⌈scripts × (1 + double-marking share + expected third-mark share) × seconds per script
÷ hours available × (1 + margin)⌉ (at least two markers when scripts are double-marked), one
leader (题组长: backbone, ≥10 teaching years) among them. Markers teach the subject at the exam's
grade (adjacent grades when the policy allows), belong to one group, and each school supplies
markers in proportion to its candidates within a tolerance; centralised marking respects a distance
limit, online marking does not.

Teachers of a school who teach the subject, are equally close to the exam grade and equally fit to
lead are interchangeable, so the CP-SAT model counts them: `y[class, group]` markers and
`lead[class, group]` leaders of a class in a group.

When the rules cannot all hold (a subject short of qualified markers or leaders), `plan_marking`
returns a best-effort plan instead of nothing (policy `best_effort`, default on): every subject's
groups, the short ones relaxed in order and counted (`marking_best_effort.py`), the relaxations
declared in `MarkingResult.relaxations` for the validator, and explanations per group with numbers
and re-solved policy suggestions (`marking_explain.py`), followed by the strict model's reasons.
"""
from __future__ import annotations

import time

from ortools.sat.python import cp_model

from ..cpsat import minimal_core
from .data import (Change, Explanation, ExamTeacher, MarkingAssignment, MarkingForbid, MarkingInput,
                   MarkingResult, subject_zh)
from .derive import quota_bounds
from .policy import MarkingPolicy
from .validate import markers_of_other_schools_needed, regular_markers, required_group_size


def group_sizes(data: MarkingInput, policy: MarkingPolicy) -> dict[tuple[str, str], int]:
    hours = data.hours_available or policy.hours_available
    return {(g.subject, g.group_id): required_group_size(data.scripts.get(g.subject, 0), g.seconds_per_script, hours, policy)
            for g in data.groups}


def leader_ok(t: ExamTeacher, policy: MarkingPolicy) -> bool:
    return t.teaching_years >= policy.leader_min_teaching_years and (t.backbone or not policy.leader_requires_backbone)


def _grade_gap(t: ExamTeacher, grade: int) -> int | None:
    gaps = [abs(g - grade) for g in t.grades]
    return min(gaps) if gaps else None


def marker_reasons(data: MarkingInput, policy: MarkingPolicy, t: ExamTeacher, subject: str,
                   forbidden: set[str], km_factor: float = 1.0) -> list[str] | None:
    """Rule groups that keep a teacher out of a subject's groups ([] = eligible, None = never)."""
    if t.subject != subject or t.teacher_id in forbidden:
        return None
    reasons = []
    gap = _grade_gap(t, data.grade)
    if gap is None or gap > policy.grade_window:
        if gap is None or gap > policy.grade_window + 1:
            return None
        reasons.append("grade")
    if t.role not in policy.marker_roles:
        reasons.append("role")
    if policy.exclude_unavailable and any(d in t.unavailable_dates for d in data.dates):
        reasons.append("unavailability")
    if policy.mode == "centralised" and data.site_school_id:
        km = data.km(t.school_id, data.site_school_id)
        if km > policy.max_km * km_factor + 1e-9:
            return None
        if km > policy.max_km + 1e-9:
            reasons.append("travel")
    return reasons


RULES = {
    "grade": ("任教年级", "grade taught"),
    "role": ("阅卷教师岗位", "roles that mark"),
    "unavailability": ("阅卷日期不可安排", "unavailable on marking dates"),
    "travel": ("集中阅卷距离上限", "distance limit of centralised marking"),
    "leader": ("题组长资格", "group leader qualification"),
    "quota": ("各校派出名额", "school quotas"),
    "own_school": ("回避本校（每校答卷须由足够的外校教师评阅）", "own-school exclusion (enough markers of other schools "
                                                         "for each school's scripts)"),
    "pins": ("指定安排", "pins"),
}


def _precheck(data: MarkingInput, policy: MarkingPolicy, sizes: dict, forbidden: set[str]) -> list[Explanation]:
    out = []
    eligible = {subject: [t for t in data.teachers if marker_reasons(data, policy, t, subject, forbidden) == []]
                for subject in data.subjects}
    for subject in data.subjects:
        need = sum(n for (s, _), n in sizes.items() if s == subject)
        groups = sum(1 for (s, _) in sizes if s == subject)
        elig = eligible[subject]
        leaders = sum(1 for t in elig if leader_ok(t, policy))
        leaders_needed = groups * policy.leaders_per_group
        zh = subject_zh(subject)
        window = "本年级" if policy.grade_window == 0 else f"相邻 {policy.grade_window} 个年级内"
        if len(elig) < need:
            out.append(Explanation(
                "marking_supply", f"{zh} 共 {groups} 个题组需要 {need} 名阅卷教师；符合条件（{window}任教、距离、岗位、时间）的只有 {len(elig)} 名",
                f"{subject}: {groups} item groups need {need} markers; only {len(elig)} teachers qualify "
                f"(grade window {policy.grade_window}, distance, role, dates)",
                {"subject": subject, "needed": need, "eligible": len(elig)}))
        if leaders < leaders_needed:
            k = policy.leaders_per_group
            out.append(Explanation(
                "marking_leaders", f"{zh} 有 {groups} 个题组，每组需 {k} 名题组长（骨干、教龄≥{policy.leader_min_teaching_years}年），"
                f"共需 {leaders_needed} 名；符合条件的只有 {leaders} 名",
                f"{subject}: {groups} item groups need {k} leader(s) each (backbone, ≥{policy.leader_min_teaching_years} "
                f"teaching years), {leaders_needed} in all; only {leaders} qualify",
                {"subject": subject, "groups": groups, "leaders_needed": leaders_needed, "leaders": leaders}))
    total = sum(sizes.values())
    cand_total = sum(data.candidates.values())
    for subject, elig in eligible.items():  # 回避本校: each school's scripts need enough teachers of other schools
        for s in data.schools:
            share = data.candidates.get(s.school_id, 0) / cand_total if cand_total else 0.0
            if not share:
                continue
            need = sum(markers_of_other_schools_needed(regular_markers(n, policy), share, policy)
                       for (sj, _), n in sizes.items() if sj == subject)
            others = sum(1 for t in elig if t.school_id != s.school_id)
            if others < need:
                zh = subject_zh(subject)
                out.append(Explanation(
                    "marking_own_school",
                    f"{s.label} 的考生占 {share:.0%}，不能由本校教师评阅：{zh}各题组共需 {need} 名外校阅卷教师评阅该校答卷；"
                    f"外校符合条件的{zh}教师只有 {others} 名" + (
                        "（若可接受该校答卷评得更久，可设 own_school_work_cover = false）"
                        if policy.own_school_work_cover else ""),
                    f"{s.label} has {share:.0%} of the candidates and its teachers may not mark its scripts: the {subject} "
                    f"groups need {need} markers of other schools for them; only {others} teachers of other schools "
                    f"qualify" + (" (if its scripts may take longer, set own_school_work_cover = false)"
                                  if policy.own_school_work_cover else ""),
                    {"school_id": s.school_id, "subject": subject, "needed": need, "eligible": others}))
    markers_anywhere = {t.teacher_id: t.school_id for elig in eligible.values() for t in elig}
    for s in data.schools:
        target = total * data.candidates.get(s.school_id, 0) / cand_total if cand_total else 0.0
        q = quota_bounds(target, policy.quota_tolerance, policy.quota_slack)
        qualified = sum(1 for school in markers_anywhere.values() if school == s.school_id)
        if qualified < q.lo:
            out.append(Explanation(
                "marking_quota", f"{s.label} 按考生比例应派出至少 {q.lo} 名阅卷教师（目标 {target:.1f}）；该校符合条件的只有 {qualified} 名",
                f"{s.label} must supply at least {q.lo} markers (target {target:.1f}); "
                f"only {qualified} of its teachers qualify",
                {"school_id": s.school_id, "lower": q.lo, "eligible": qualified}))
    return out


class MarkingModel:
    def __init__(self, data: MarkingInput, policy: MarkingPolicy, sizes: dict, *, pins=(), forbids=(),
                 relaxed: bool = False, previous: list[MarkingAssignment] | None = None):
        self.data, self.policy, self.sizes = data, policy, sizes
        self.model = m = cp_model.CpModel()
        self.lits = {g: m.new_bool_var(f"rule[{g}]") for g in RULES} if relaxed else {}
        forbidden_all = {f.teacher_id for f in forbids if f.item_group is None}
        forbidden_group = {(f.teacher_id, f.item_group) for f in forbids if f.item_group is not None}
        pinned = {p.teacher_id: p for p in pins}
        prev = {a.teacher_id: a for a in previous or ()}
        self.classes: dict[tuple, list[str]] = {}
        reasons_of: dict[tuple, list[str]] = {}
        for t in data.teachers:
            barred_by = marker_reasons(data, policy, t, t.subject, forbidden_all, 2.0 if relaxed else 1.0)
            if barred_by is None or (barred_by and not relaxed):
                continue
            gap = _grade_gap(t, data.grade)
            alone = (t.teacher_id in pinned or any(tid == t.teacher_id for tid, _ in forbidden_group)
                     or t.teacher_id in prev)
            key = (t.school_id, t.subject, gap, leader_ok(t, policy), tuple(barred_by), t.teacher_id if alone else "")
            self.classes.setdefault(key, []).append(t.teacher_id)
            reasons_of[key] = barred_by
        self.y: dict[tuple, cp_model.IntVar] = {}
        self.lead: dict[tuple, cp_model.IntVar] = {}
        per_group: dict[tuple[str, str], list] = {}
        per_group_lead: dict[tuple[str, str], list] = {}
        per_group_school_lead: dict[tuple, list] = {}
        supply: dict[str, list] = {}
        supply_subject: dict[tuple[str, str], list] = {}
        km_terms, adjacent_terms, change_terms = [], [], []
        for key, tids in self.classes.items():
            school, subject, gap, can_lead, reasons, solo = key
            groups = [g for g in data.groups if g.subject == subject]
            cvars = []
            for g in groups:
                gk = (g.subject, g.group_id)
                if solo and (solo, g.group_id) in forbidden_group:
                    continue
                v = m.new_int_var(0, len(tids), f"y[{tids[0]}x{len(tids)},{g.group_id}]")
                self.y[key, gk] = v
                cvars.append(v)
                for r in reasons:
                    m.add(v == 0).only_enforce_if(self.lits[r])
                per_group.setdefault(gk, []).append(v)
                supply.setdefault(school, []).append(v)
                supply_subject.setdefault((school, subject), []).append(v)
                if policy.mode == "centralised" and data.site_school_id:
                    km_terms.append((v, round(data.km(school, data.site_school_id) * 10)))
                if gap and gap > 0:
                    adjacent_terms.append(v)
                if can_lead or relaxed:
                    lv = m.new_int_var(0, 1, f"lead[{tids[0]},{g.group_id}]")
                    m.add(lv <= v)
                    if not can_lead:
                        m.add(lv == 0).only_enforce_if(self.lits["leader"])
                    self.lead[key, gk] = lv
                    per_group_lead.setdefault(gk, []).append(lv)
                    per_group_school_lead.setdefault((gk, school), []).append(lv)
                if solo and solo in prev:
                    a = prev[solo]
                    if (a.subject, a.item_group) == gk:
                        change_terms.append((v, -2))  # keeping the previous group is no change ...
                        if (key, gk) in self.lead:  # ... nor is keeping the previous role
                            change_terms.append((self.lead[key, gk], -1 if a.role == "leader" else 1))
            if len(cvars) > 1 or (cvars and len(tids) > 0):
                m.add(sum(cvars) <= len(tids))
            if solo and solo in pinned:
                p = pinned[solo]
                gk = (p.subject, p.item_group)
                ct = m.add(self.y[key, gk] == 1) if (key, gk) in self.y else m.add_bool_or([])
                if self.lits:
                    ct.only_enforce_if(self.lits["pins"])
                if p.role == "leader":
                    ct2 = m.add(self.lead[key, gk] == 1) if (key, gk) in self.lead else m.add_bool_or([])
                    if self.lits:
                        ct2.only_enforce_if(self.lits["pins"])
        for gk, need in sizes.items():
            m.add(sum(per_group.get(gk, [])) == need)
            m.add(sum(per_group_lead.get(gk, [])) == policy.leaders_per_group)
        for lead_vars in per_group_school_lead.values():
            m.add(sum(lead_vars) <= 1)  # a group's leaders come from different schools
        total = sum(sizes.values())
        cand_total = sum(data.candidates.values())
        # 回避本校: nobody marks their own school's scripts, so a school may fill only the places its
        # scripts leave to markers of other schools (two distinct ones for double marking, and its
        # share of the group's work).
        regular_of: dict[tuple, list] = {}
        for (key, gk), v in self.y.items():
            terms = regular_of.setdefault((gk, key[0]), [])
            terms.append(v)
            if not policy.leader_counts_in_group and (key, gk) in self.lead:
                terms.append(-self.lead[key, gk])
        for gk, need in sizes.items():
            regular = regular_markers(need, policy)
            for s in data.schools:
                candidates = data.candidates.get(s.school_id, 0)
                if not candidates or (gk, s.school_id) not in regular_of:
                    continue
                others = markers_of_other_schools_needed(regular, candidates / cand_total, policy)
                ct = m.add(sum(regular_of[gk, s.school_id]) <= regular - others)
                if self.lits:
                    ct.only_enforce_if(self.lits["own_school"])
        devs = []
        for s in data.schools:
            target = total * data.candidates.get(s.school_id, 0) / cand_total if cand_total else 0.0
            q = quota_bounds(target, policy.quota_tolerance, policy.quota_slack)
            expr = sum(supply.get(s.school_id, []))
            for ct in (m.add(expr >= q.lo), m.add(expr <= q.hi)):
                if self.lits:
                    ct.only_enforce_if(self.lits["quota"])
            d = m.new_int_var(0, total, f"dev[{s.school_id}]")
            m.add(d >= expr - round(target))
            m.add(d >= round(target) - expr)
            devs.append(d)
            if policy.quota_scope == "subject":
                for subj in data.subjects:
                    need = sum(n for (sj, _), n in sizes.items() if sj == subj)
                    ts = need * data.candidates.get(s.school_id, 0) / cand_total if cand_total else 0.0
                    qs = quota_bounds(ts, policy.quota_tolerance, policy.quota_slack)
                    es = sum(supply_subject.get((s.school_id, subj), []))
                    for ct in (m.add(es >= qs.lo), m.add(es <= qs.hi)):
                        if self.lits:
                            ct.only_enforce_if(self.lits["quota"])
        self.objective = sum(round(policy.weight_km * c) * v for v, c in km_terms) + \
            round(policy.weight_adjacent_grade * 10) * sum(adjacent_terms) + \
            round(policy.weight_quota_deviation * 10) * sum(devs)
        if change_terms:
            self.objective = 1_000_000 * sum(c * v for v, c in change_terms) + self.objective
        m.minimize(self.objective)

    def assignments(self, solver: cp_model.CpSolver, previous: list[MarkingAssignment] | None = None) -> list[MarkingAssignment]:
        data = self.data
        tb = data.teacher_by_id
        rows = []
        for key, tids in self.classes.items():
            free = list(tids)
            for (k2, gk), v in self.y.items():
                if k2 != key:
                    continue
                n = solver.value(v)
                leaders = solver.value(self.lead[key, gk]) if (key, gk) in self.lead else 0
                # seniors lead
                free.sort(key=lambda t: (-tb[t].teaching_years, t))
                for i in range(n):
                    tid = free.pop(0)
                    rows.append(MarkingAssignment(data.exam_id, gk[0], gk[1], tid, tb[tid].school_id,
                                                  "leader" if i < leaders else "marker"))
        rows.sort(key=lambda a: (a.subject, a.item_group, a.role != "leader", a.teacher_id))
        return rows


def plan_marking(data: MarkingInput, policy: MarkingPolicy | None = None, *, time_limit_s: float = 10.0,
                 num_workers: int = 2, pins=(), forbids=(), previous: MarkingResult | list[MarkingAssignment] | None = None,
                 explain_time_s: float = 10.0, suggest: bool = True) -> MarkingResult:
    """Marker groups for every item group. When the rules cannot all hold: with `policy.best_effort`
    a best-effort plan (every subject's groups, the short ones relaxed and counted, see
    `marking_best_effort.py`), explained per subject and group with numbers and checked suggestions
    (`suggest`); otherwise no rows and the reasons."""
    t0 = time.perf_counter()
    policy = policy or MarkingPolicy()
    sizes = group_sizes(data, policy)
    forbidden_all = {f.teacher_id for f in forbids if f.item_group is None}
    stats: dict = {"num_workers": num_workers, "markers_needed": sum(sizes.values()), "groups": len(sizes)}
    problems = _precheck(data, policy, sizes, forbidden_all)
    if problems:
        stats["wall_s"] = round(time.perf_counter() - t0, 3)
        strict = MarkingResult(data.exam_id, "infeasible", [], sizes, problems, stats)
        return _best_effort(data, policy, strict, time_limit_s, num_workers, pins, forbids, suggest, explain_time_s,
                            t0, previous)
    prev_rows = list(previous.assignments if isinstance(previous, MarkingResult) else (previous or []))
    mm = MarkingModel(data, policy, sizes, pins=pins, forbids=forbids, previous=prev_rows or None)
    stats["variables"] = len(mm.model.proto.variables)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.max_time_in_seconds = time_limit_s
    if num_workers <= 2:
        # The counted model's LP relaxation is tight: the full-linearisation worker proves optimality in
        # milliseconds where the default small portfolio stalls at a 12% gap until the time limit (demo
        # county: 5 schools, 105 markers).
        solver.parameters.linearization_level = 2
        if num_workers == 2:
            solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    status = solver.solve(mm.model)
    stats["wall_s"] = round(time.perf_counter() - t0, 3)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        rows = mm.assignments(solver)
        stats["objective"] = solver.objective_value
        stats["bound"] = solver.best_objective_bound
        if data.site_school_id and policy.mode == "centralised":
            stats["km_total"] = round(sum(data.km(a.teacher_school_id, data.site_school_id) for a in rows), 1)
        return MarkingResult(data.exam_id, "optimal" if status == cp_model.OPTIMAL else "feasible", rows, sizes, [], stats)
    explanations = marking_core(data, policy, sizes, pins=pins, forbids=forbids, time_limit_s=explain_time_s) \
        if status == cp_model.INFEASIBLE else []
    if not explanations:
        explanations = [Explanation("time_limit", f"在 {time_limit_s:g} 秒内未找到阅卷安排",
                                    f"no marking plan within {time_limit_s:g} s", {}, exact=False)]
    strict = MarkingResult(data.exam_id, "infeasible" if status == cp_model.INFEASIBLE else "unknown", [], sizes,
                           explanations, stats)
    return _best_effort(data, policy, strict, time_limit_s, num_workers, pins, forbids, suggest, explain_time_s, t0,
                        prev_rows)


def _best_effort(data: MarkingInput, policy: MarkingPolicy, strict: MarkingResult, time_limit_s: float,
                 num_workers: int, pins, forbids, suggest: bool, explain_time_s: float, t0: float,
                 previous=None) -> MarkingResult:
    """The best-effort plan in place of a refusal (policy `best_effort`), keeping the strict reasons."""
    if not policy.best_effort:
        return strict
    from .marking_best_effort import plan_marking_best_effort
    from .marking_explain import explain_best_effort

    prev_rows = list(previous.assignments if isinstance(previous, MarkingResult) else (previous or []))
    res = plan_marking_best_effort(data, policy, time_limit_s=time_limit_s, num_workers=num_workers, pins=pins,
                                   forbids=forbids, previous=prev_rows or None)
    if not res.ok:
        return strict
    res.group_sizes = strict.group_sizes
    res.stats = {**strict.stats, **res.stats, "strict_status": strict.status,
                 "wall_s": round(time.perf_counter() - t0, 3)}
    res.explanations = explain_best_effort(data, policy, res, strict.explanations, suggest=suggest,
                                           num_workers=min(num_workers, 1), suggest_time_s=explain_time_s)
    res.stats["wall_s"] = round(time.perf_counter() - t0, 3)
    return res


def marking_core(data: MarkingInput, policy: MarkingPolicy, sizes: dict, *, pins=(), forbids=(),
                 time_limit_s: float = 10.0) -> list[Explanation]:
    """A minimal set of rule groups that cannot all hold (deletion filter, see `scheduling/cpsat/core.py`)."""
    mm = MarkingModel(data, policy, sizes, pins=pins, forbids=forbids, relaxed=True)
    found = minimal_core(mm.model, list(mm.lits), time_limit_s=time_limit_s, literal=mm.lits.__getitem__,
                         others="off", start="all")
    if found is None:
        return []
    core, proven = found.core, found.minimal
    zh = "、".join(RULES[g][0] for g in core) or "题组人数与可用教师"
    en = ", ".join(RULES[g][1] for g in core) or "group sizes and available teachers"
    if "own_school" in core and policy.own_school_work_cover:
        zh += "（若可接受考生多的学校答卷评得更久，可设 own_school_work_cover = false）"
        en += " (if a big school's scripts may take longer, set own_school_work_cover = false)"
    return [Explanation("solver_core", f"求解器证明：以下规则不能同时满足：{zh}",
                        f"the solver proves these rules cannot all hold together: {en}", {"groups": core, "minimal": proven})]


def repair_marking(previous: MarkingResult | list[MarkingAssignment], absent_teacher_ids, data: MarkingInput,
                   policy: MarkingPolicy | None = None, *, time_limit_s: float = 10.0, num_workers: int = 2,
                   pins=(), forbids=()) -> tuple[MarkingResult, list[Change]]:
    """Replan with the absent teachers out, keeping everybody else in their group where possible."""
    rows = list(previous.assignments if isinstance(previous, MarkingResult) else previous)
    absent = set(absent_teacher_ids)
    forbids = tuple(forbids) + tuple(MarkingForbid(t) for t in sorted(absent))
    keep = [a for a in rows if a.teacher_id not in absent]
    res = plan_marking(data, policy, time_limit_s=time_limit_s, num_workers=num_workers, pins=pins, forbids=forbids,
                       previous=keep)
    old = {a.teacher_id: a for a in rows}
    new = {a.teacher_id: a for a in res.assignments}
    changes = []
    for tid in sorted(set(old) | set(new)):
        a, b = old.get(tid), new.get(tid)
        if a == b:
            continue
        kind = "added" if a is None else "removed" if b is None else (
            "moved" if (a.subject, a.item_group) != (b.subject, b.item_group) else "role")
        either = b or a
        assert either is not None  # tid is in the old plan or the new one
        changes.append(Change(kind, tid, either.item_group, a, b))
    res.stats["changes"] = len(changes)
    return res, changes
