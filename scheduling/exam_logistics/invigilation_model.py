"""The invigilation model (监考安排), CP-SAT, built on the structure of the problem.

A naive model has one boolean per teacher, room and session: 6,000 × 1,600 × 6 ≈ 58 million for a
district. This one never names a room:

* rooms of a site are interchangeable: the model decides how many teachers of each group work at a
  site in a session; `filling.py` then puts them into rooms (chief + assistant of different
  schools), which always succeeds when no school sends more teachers than the site has rooms;
* a teacher stays at one site per day, so a teacher's day is a *pattern* (the sessions of the day
  they work, e.g. morning + afternoon): one boolean per teacher, day and pattern
  (`u[t, day, pattern]`), a few per teacher;
* teachers of a school who are equally fit to be chief are interchangeable for the site choice
  (distance depends on the school): integer flows `z[group, day, site, pattern]` count how many of
  a group go to a site with a pattern; `sum_t u = sum_site z` links the two. Any teacher with the
  pattern can take any of the group's places, so this is exact, not a relaxation;
* identical teachers (same group, sessions allowed, cap) get ordered loads (symmetry breaking);
* fairness is a pair of load bounds (every load ≤ M, every pool teacher's load ≥ L) that the
  planner probes, starting from counting bounds, instead of min/max variables the LP cannot see.

A model covers a *scope*: the free teachers and the free sites; the rest of a plan is fixed and
only shrinks what is left (places, chief places, room limits per school, caps, quotas). The whole
exam is the scope with nothing fixed; the district planner solves regions and neighbourhoods.

`relaxed=True` builds the explanation model: every rule group gets an assumption literal.

`strict=<policy>` builds the *tiered* model (放宽层级): `facts` were derived under a widened policy
(`widened_policy`: a longer distance limit, the site's own school allowed, one more session a day) and
every use beyond the strict policy costs its tier's price in `terms["relax"]`: a teacher-session beyond
the strict distance, an own-school assistant (never chief nor reserve, beside a chief of another
school), a site whose reserves a site of the same town covers, a session beyond the day limit, an
invigilator-session outside a quota, an unstaffed place (a phantom that may take any place).

`previous=<plan>` adds `terms["change"]`: teacher-days that do not keep their previous site and pattern.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations, product

from ortools.sat.python import cp_model

from ..cpsat import status_name as solver_status_name
from .data import ExamTeacher
from .derive import InvigilationFacts, pattern_sites, school_pattern_sites, teacher_patterns
from .policy import InvigilationPolicy

KM_SCALE = 10  # the objective counts tenths of a kilometre

#: A plan: (teacher_id, block) -> (site, pattern). A block is a date (a teacher stays at one site).
Plan = dict[tuple[str, str], tuple[str, tuple[str, ...]]]

#: Rule groups that explanation mode can switch off (assumption literals), with Chinese and English names.
RULE_GROUPS = {
    "own_subject": ("不监考本学科", "no invigilation of one's own subject"),
    "own_students": ("不监考本人学生所在场次", "no invigilation of a session one's own students sit"),
    "unavailability": ("请假与不可安排时间", "unavailability"),
    "load_day": ("每天场次上限", "sessions per day"),
    "load_exam": ("每次联考场次上限（含中层干部、校长限额）", "sessions per exam (leaders' and principals' limits)"),
    "fairness": ("工作量均衡（最多与最少场次）", "load balance (most and fewest sessions)"),
    "travel": ("单程距离上限", "one-way distance limit"),
    "own_school": ("不在本校监考", "no invigilation at one's own school"),
    "distinct_room": ("同一考场监考教师来自不同学校", "invigilators of a room from different schools"),
    "chief": ("主监考资格", "chief invigilator qualification"),
    "quota": ("各校派出名额", "school quotas"),
    "pins": ("指定与禁止安排", "pins and forbids"),
}


def widened_policy(policy: InvigilationPolicy) -> InvigilationPolicy:
    """The policy whose reach the tiered model is derived under: the tiers the policy allows opened."""
    tiers = set(policy.relaxation_tiers)
    out = policy
    if "distance" in tiers:
        out = replace(out, max_km=max(out.max_km, policy.relax_max_km),
                      max_km_rural=max(out.max_km_rural, policy.relax_max_km))
    if "own_school_assistant" in tiers and policy.invigilators_per_room >= 2:
        out = replace(out, exclude_own_school=False)
    if "extra_session" in tiers and policy.one_site_per_day:
        out = replace(out, max_sessions_per_day=policy.max_sessions_per_day + 1)
    return out


@dataclass
class _Group:
    key: tuple
    school: str
    chief_ok: bool
    members: list[str] = field(default_factory=list)


class InvigilationModel:
    """CP-SAT model of a scope of the invigilation problem (see the module docstring)."""

    def __init__(self, facts: InvigilationFacts, *, free_teachers: set[str] | None = None,
                 free_sites: set[str] | None = None, fixed: Plan | None = None,
                 load_max: int | None = None, pool_min: int | None = None,
                 relaxed: bool = False, relaxed_km_factor: float = 2.0,
                 strict: InvigilationPolicy | None = None, previous: Plan | None = None):
        self.facts = facts
        self.data = facts.data
        self.policy = facts.policy
        self.relaxed = relaxed
        self.relaxed_km_factor = relaxed_km_factor
        self.strict = strict  # tiered model: the policy whose breaches cost (facts hold the widened one)
        self.tiers = set(strict.relaxation_tiers) if strict is not None else set()
        self.relax_terms: list[tuple[object, int]] = []  # (expression, cost)
        self.tier_uses: dict[str, list] = {t: [] for t in self.tiers}  # tier -> (var, coefficient, what)
        self.vacant: dict[tuple[str, str], cp_model.IntVar] = {}
        self.share_to: dict[tuple[str, str, str], cp_model.IntVar] = {}
        self.share: dict[tuple[str, str], cp_model.IntVar] = {}
        self.previous = previous
        self.free_teachers = free_teachers
        self.free_sites = free_sites
        self.fixed: Plan = fixed or {}
        self.load_max = load_max
        self.pool_min = pool_min
        self.model = cp_model.CpModel()
        self.lits: dict[str, cp_model.IntVar] = {}
        if relaxed:
            self.lits = {g: self.model.new_bool_var(f"rule[{g}]") for g in RULE_GROUPS}
        self.u: dict[tuple[tuple, tuple], cp_model.IntVar] = {}  # (class, plan) -> teachers following it
        self.z: dict[tuple[tuple, str, str, tuple[str, ...]], cp_model.IntVar] = {}
        self.groups: dict[tuple, _Group] = {}
        self.group_of: dict[str, tuple] = {}
        self.load: dict[str, cp_model.LinearExpr] = {}
        self.class_blocks: dict[tuple, list[str]] = {}
        self.class_of: dict[str, tuple] = {}
        self._site_memo: dict = {}
        self.zub: dict[int, int] = {}
        self.reserve_vars: dict[tuple[str, str], dict] = {}  # (session, site) -> per school (rc, rn) and pool (pc, pn)
        self.terms: dict[str, cp_model.LinearExprT] = {}
        self.pins_by_teacher: dict[str, list] = {}
        for p in facts.pins:
            self.pins_by_teacher.setdefault(p.teacher_id, []).append(p)
        self._residuals()
        self._build()

    # ---------------------------------------------------------------- scope
    def _site_free(self, j: str) -> bool:
        return self.free_sites is None or j in self.free_sites

    def _teacher_free(self, tid: str) -> bool:
        return self.free_teachers is None or tid in self.free_teachers

    def _residuals(self) -> None:
        """What the fixed part of the plan already uses."""
        facts = self.facts
        tb = self.data.teacher_by_id
        self.fixed_load: dict[str, int] = {}
        self.fixed_blocks: dict[str, set[str]] = {}
        self.fixed_day: dict[str, dict[str, int]] = {}
        self.fixed_at: dict[tuple[str, str], int] = {}
        self.fixed_chief_at: dict[tuple[str, str], int] = {}
        self.fixed_school_at: dict[tuple[str, str, str], int] = {}
        self.fixed_school_chief_at: dict[tuple[str, str, str], int] = {}
        self.fixed_supply: dict[str, int] = {}
        self.fixed_school_session: dict[tuple[str, str], int] = {}
        for (tid, b), (j, p) in self.fixed.items():
            if self._teacher_free(tid) and self._site_free(j):
                continue  # freed: the model decides it again
            t = tb[tid]
            self.fixed_load[tid] = self.fixed_load.get(tid, 0) + len(p)
            self.fixed_blocks.setdefault(tid, set()).add(b)
            self.fixed_supply[t.school_id] = self.fixed_supply.get(t.school_id, 0) + len(p)
            for e in p:
                day = facts.day_of_session[e]
                days = self.fixed_day.setdefault(tid, {})
                days[day] = days.get(day, 0) + 1
                self.fixed_school_session[t.school_id, e] = self.fixed_school_session.get((t.school_id, e), 0) + 1
                if self._site_free(j):
                    self.fixed_at[e, j] = self.fixed_at.get((e, j), 0) + 1
                    self.fixed_chief_at[e, j] = self.fixed_chief_at.get((e, j), 0) + int(facts.chief_ok[tid])
                    self.fixed_school_at[t.school_id, e, j] = self.fixed_school_at.get((t.school_id, e, j), 0) + 1
                    if facts.chief_ok[tid]:
                        key3 = (t.school_id, e, j)
                        self.fixed_school_chief_at[key3] = self.fixed_school_chief_at.get(key3, 0) + 1

    # ---------------------------------------------------------------- helpers
    def _enforce(self, ct: cp_model.Constraint, group: str) -> None:
        lit = self.lits.get(group)
        if lit is not None:
            ct.only_enforce_if(lit)

    def _pattern_reasons(self, t: ExamTeacher, pattern: tuple[str, ...]) -> list[str]:
        """Relaxed mode: rule groups that forbid the pattern for the teacher ([] = allowed)."""
        pol, sess = self.policy, self.data.session_by_id
        reasons = set()
        for e in pattern:
            s = sess[e]
            own = set()
            if pol.exclude_own_subject and s.subject == t.subject:
                own.add("own_subject")
            if pol.exclude_own_students and s.grade in t.grades:
                own.add("own_students")
            if s.date in t.unavailable_dates or e in t.unavailable_sessions:
                own.add("unavailability")
            if not own and self.facts.cap[t.teacher_id] > 0 and e not in self.facts.allowed[t.teacher_id]:
                own.add("pins")  # a forbid of the session
            reasons |= own
        if len(pattern) > pol.max_sessions_per_day:
            reasons.add("load_day")
        if len(pattern) > self.facts.cap[t.teacher_id]:
            reasons.add("load_exam")
        return sorted(reasons)

    def _patterns_for(self, t: ExamTeacher, block: str) -> list[tuple[tuple[str, ...], list[str]]]:
        if not self.relaxed:
            room = self.facts.cap[t.teacher_id] - self.fixed_load.get(t.teacher_id, 0)
            return [(p, []) for p in teacher_patterns(self.facts, t, block) if len(p) <= room]
        sessions = self.facts.block_sessions[block]
        out = []
        for size in range(1, len(sessions) + 1):
            for combo in combinations(sessions, size):
                if any(a.overlaps(c) for a, c in combinations(combo, 2)):
                    continue
                p = tuple(s.session_id for s in combo)
                out.append((p, self._pattern_reasons(t, p)))
        return out

    def _sites_for(self, group: _Group, pattern: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        """(site, rule groups that forbid it) for a group and pattern, within the free sites."""
        facts = self.facts
        if not self.relaxed:
            if group.key[0] == "solo":
                sites = pattern_sites(facts, self.data.teacher_by_id[group.key[1]], pattern)
            else:
                sites = school_pattern_sites(facts, group.school, pattern)
            return [(j, []) for j in sites if self._site_free(j)]
        out = []
        forb = facts.forbidden_sites.get(group.key[1], {}) if group.key[0] == "solo" else {}
        for j in sorted({site for (_, site) in facts.site_sessions}):
            if not self._site_free(j) or not all(facts.site_in_use(e, j) for e in pattern):
                continue
            km = self.data.km(group.school, j)
            limit = facts.km_limit(group.school, j)
            if km > limit * self.relaxed_km_factor + 1e-9:
                continue
            reasons = []
            if km > limit + 1e-9:
                reasons.append("travel")
            if j == group.school and self.policy.exclude_own_school:
                reasons.append("own_school")
            if j in forb.get(None, ()) or any(j in forb.get(e, ()) for e in pattern):
                reasons.append("pins")
            out.append((j, reasons))
        return out

    def _group_sites(self, group: _Group, pattern: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        key = (group.key, pattern)
        if key not in self._site_memo:
            self._site_memo[key] = self._sites_for(group, pattern)
        return self._site_memo[key]

    def _class_plans(self, t: ExamTeacher, key: tuple) -> list[tuple[tuple, list[str]]]:
        """(plan, rule groups it breaks) for a class: a pattern or nothing on every free block."""
        facts, pol = self.facts, self.policy
        group = self.groups[key[0]]
        fixed_load, fixed_blocks, pool = key[4], key[5], key[3]
        fixed_day = dict(key[6])
        blocks = [b for b in facts.blocks if b not in fixed_blocks]
        self.class_blocks[key] = blocks
        options = []
        for b in blocks:
            opts: list[tuple] = [(None, [])]
            for p, reasons in self._patterns_for(t, b):
                if self._group_sites(group, p):
                    opts.append((p, reasons))
            options.append(opts)
        cap = facts.cap[t.teacher_id]
        check_days = self.relaxed or not pol.one_site_per_day
        out = []
        for combo in product(*options):
            plan = tuple(p for p, _ in combo)
            breaks = {r for _, rs in combo for r in rs}
            load = fixed_load + sum(len(p) for p in plan if p)
            if load > cap:
                breaks.add("load_exam")
            if self.load_max is not None and load > self.load_max:
                breaks.add("fairness")
            if self.pool_min is not None and pool and load < self.pool_min:
                breaks.add("fairness")
            if check_days:
                per_day = dict(fixed_day)
                for p in plan:
                    for e in p or ():
                        d = facts.day_of_session[e]
                        per_day[d] = per_day.get(d, 0) + 1
                if any(n > pol.max_sessions_per_day for n in per_day.values()):
                    breaks.add("load_day")
            if breaks and not self.relaxed:
                continue
            out.append((plan, sorted(breaks)))
        return out

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        facts, data, model = self.facts, self.data, self.model
        solo = {p.teacher_id for p in facts.pins if p.site_school_id} | set(facts.forbidden_sites)
        teachers = [t for t in data.teachers if self._teacher_free(t.teacher_id)]
        for t in teachers:
            group_key = ("solo", t.teacher_id) if t.teacher_id in solo else (t.school_id, facts.chief_ok[t.teacher_id])
            g = self.groups.get(group_key)
            if g is None:
                g = self.groups[group_key] = _Group(group_key, t.school_id, facts.chief_ok[t.teacher_id])
            g.members.append(t.teacher_id)
            self.group_of[t.teacher_id] = group_key

        # Classes of identical teachers; v[class, plan] counts the class's teachers who follow a
        # plan (a pattern or nothing on every block). Per teacher this is the convex hull of its
        # plans, so the LP is tight, and identical teachers are no longer symmetric copies.
        pinned = {p.teacher_id for p in facts.pins}
        classes: dict[tuple, list[str]] = {}
        for t in teachers:
            tid = t.teacher_id
            if facts.cap[tid] <= 0 and not self.relaxed:
                continue
            key = (self.group_of[tid], facts.allowed[tid], facts.cap[tid], tid in facts.pool,
                   self.fixed_load.get(tid, 0), frozenset(self.fixed_blocks.get(tid, ())),
                   tuple(sorted(self.fixed_day.get(tid, {}).items())),
                   tid if tid in pinned else "",
                   (t.subject, t.unavailable_dates, t.unavailable_sessions, t.grades) if self.relaxed else ())
            classes.setdefault(key, []).append(tid)
            self.class_of[tid] = key
        self.classes = classes
        link_u: dict[tuple, list] = {}
        link_n: dict[tuple, set] = {}
        self.plans_of: dict[tuple, list[tuple]] = {}
        for key, tids in classes.items():
            t = data.teacher_by_id[tids[0]]
            plans = self._class_plans(t, key)
            self.plans_of[key] = [pl for pl, _ in plans]
            cvars = []
            for plan, reasons in plans:
                v = model.new_int_var(0, len(tids), "")  # v[class, plan]
                self.u[key, plan] = v
                cvars.append(v)
                for r in reasons:
                    model.add(v == 0).only_enforce_if(self.lits[r])
                for b, p in zip(self.class_blocks[key], plan):
                    if p:
                        link_u.setdefault((key[0], b, p), []).append(v)
                        link_n.setdefault((key[0], b, p), set()).add(key)
            model.add(cp_model.LinearExpr.sum(cvars) == len(tids))

        # z[group, block, site, pattern]: how many of the group work the pattern at the site
        at_site: dict[tuple[str, str], list[tuple[cp_model.IntVar, _Group]]] = {}
        km_vars, km_coefs = [], []
        supply: dict[str, list[tuple[cp_model.IntVar, int]]] = {}
        by_school_session: dict[tuple[str, str], list[cp_model.IntVar]] = {}
        distinct = self.policy.distinct_schools_in_room
        fixed_at, fixed_school_at = self.fixed_at, self.fixed_school_at
        for (gkey, b, p), uvars in link_u.items():
            g = self.groups[gkey]
            zs = []
            members = sum(len(classes[k]) for k in link_n[gkey, b, p])
            for j, reasons in self._group_sites(g, p):
                ub = members
                for e in p:
                    ss = facts.site_sessions[e, j]
                    ub = min(ub, ss.slots - fixed_at.get((e, j), 0))
                    if self._own_site(g.school, j):  # own-school assistants: one a room, assistant places only
                        ub = min(ub, min(ss.chiefs, sum(ss.per_room) - ss.chiefs) - fixed_school_at.get((g.school, e, j), 0))
                    elif distinct and not self.relaxed:
                        ub = min(ub, ss.chiefs + ss.reserves - fixed_school_at.get((g.school, e, j), 0))
                if ub <= 0:
                    continue
                v = model.new_int_var(0, ub, "")  # z[group, block, site, pattern]; names cost time here
                self.zub[v.index] = ub
                self.z[gkey, b, j, p] = v
                zs.append(v)
                for r in reasons:
                    model.add(v == 0).only_enforce_if(self.lits[r])
                for e in p:
                    at_site.setdefault((e, j), []).append((v, g))
                    by_school_session.setdefault((g.school, e), []).append(v)
                km_vars.append(v)
                km_coefs.append(round(data.km(g.school, j) * KM_SCALE))
                supply.setdefault(g.school, []).append((v, len(p)))
                if self.strict is not None:
                    self._tier_costs_of_flow(v, g, b, j, p)
            model.add(cp_model.LinearExpr.sum(uvars) == cp_model.LinearExpr.sum(zs))

        # every room and reserve place filled; chiefs; schools apart in a room
        for (e, j), ss in facts.site_sessions.items():
            if not self._site_free(j):
                continue
            self._site_session_constraints(e, j, ss, at_site.get((e, j), []), distinct)

        # quotas (名额), for schools with free teachers
        schools_in_scope = {g.school for g in self.groups.values()}
        for s in data.schools:
            if s.school_id not in schools_in_scope:
                continue
            q = facts.quota[s.school_id]
            fixed = self.fixed_supply.get(s.school_id, 0)
            terms = supply.get(s.school_id, [])
            expr = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) if terms else 0
            if "quota" in self.tiers:  # tier quota: each invigilator-session outside the range costs
                under = model.new_int_var(0, max(0, q.lo), f"quota_under[{s.school_id}]")
                over = model.new_int_var(0, facts.demand, f"quota_over[{s.school_id}]")
                expr = expr + under - over
                self._tier_use("quota", under, 1, ("under", s.school_id))
                self._tier_use("quota", over, 1, ("over", s.school_id))
            self._enforce(model.add(expr >= q.lo - fixed), "quota")
            self._enforce(model.add(expr <= q.hi - fixed), "quota")
            if self.policy.quota_scope == "session":
                for e in data.sessions:
                    sq = facts.session_quota[s.school_id, e.session_id]
                    fe = self.fixed_school_session.get((s.school_id, e.session_id), 0)
                    te = by_school_session.get((s.school_id, e.session_id), [])
                    ex = cp_model.LinearExpr.sum(te) if te else 0
                    if "quota" in self.tiers:
                        under = model.new_int_var(0, max(0, sq.lo), "")
                        over = model.new_int_var(0, facts.demand, "")
                        ex = ex + under - over
                        self._tier_use("quota", under, 1, ("under", s.school_id, e.session_id))
                        self._tier_use("quota", over, 1, ("over", s.school_id, e.session_id))
                    self._enforce(model.add(ex >= sq.lo - fe), "quota")
                    self._enforce(model.add(ex <= sq.hi - fe), "quota")
        self.supply = supply

        # pins
        block_of = {s.session_id: b for b, ss in facts.block_sessions.items() for s in ss}
        for tid, pins in self.pins_by_teacher.items():
            if not self._teacher_free(tid) or tid not in self.class_of:
                continue
            key = self.class_of[tid]
            for pin in pins:
                b = block_of[pin.session_id]
                if b not in self.class_blocks[key]:
                    continue  # the fixed part of the plan decides it
                i = self.class_blocks[key].index(b)
                vs = [v for (k2, plan), v in self.u.items() if k2 == key and plan[i] and pin.session_id in plan[i]]
                self._enforce(model.add(cp_model.LinearExpr.sum(vs) == 1), "pins")
                if pin.site_school_id:
                    gkey = self.group_of[tid]
                    zs = [v for (g2, b2, j, p), v in self.z.items()
                          if g2 == gkey and b2 == b and j == pin.site_school_id and pin.session_id in p]
                    self._enforce(model.add(cp_model.LinearExpr.sum(zs) == 1), "pins")

        self.terms["km"] = cp_model.LinearExpr.weighted_sum(km_vars, km_coefs) if km_vars else 0
        self.km_vars, self.km_coefs = km_vars, km_coefs
        if self.strict is not None:
            self._shared_reserves()
            self.terms["relax"] = cp_model.LinearExpr.weighted_sum(
                [v for v, _ in self.relax_terms], [c for _, c in self.relax_terms]) if self.relax_terms else 0
        if self.previous is not None:
            self.terms["change"] = self._change_term(self.previous)
        if "quota_deviation" in self.policy.objective:
            devs = []
            for s in data.schools:
                if s.school_id not in schools_in_scope:
                    continue
                terms = supply.get(s.school_id, [])
                expr = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) if terms else 0
                target = round(facts.quota[s.school_id].target) - self.fixed_supply.get(s.school_id, 0)
                d = model.new_int_var(0, facts.demand, f"dev[{s.school_id}]")
                model.add(d >= expr - target)
                model.add(d >= target - expr)
                devs.append(d)
            self.terms["quota_deviation"] = cp_model.LinearExpr.sum(devs)

    def _site_session_constraints(self, e: str, j: str, ss, entries: list, distinct: bool) -> None:
        """Places filled; which of the teachers present are the reserves is chosen so that, without
        them, no school has more teachers than the site has rooms (a room's invigilators come from
        different schools) and at least one qualified chief is left per room. Exact: reserves are
        counted per school and by qualification (rc: qualified, rn: not)."""
        model = self.model
        need = ss.slots - self.fixed_at.get((e, j), 0)
        rooms, q = ss.chiefs, ss.reserves
        own = [v for v, g in entries if self._own_site(g.school, j)]
        entries = [(v, g) for v, g in entries if not self._own_site(g.school, j)]
        filled = cp_model.LinearExpr.sum([v for v, _ in entries] + own)
        vacant = None
        q_expr = q
        if self.strict is not None:
            if own:  # one own-school assistant a room at most, and only on assistant places
                model.add(cp_model.LinearExpr.sum(own) <= min(rooms, sum(ss.per_room) - rooms))
            if "unstaffed" in self.tiers:
                vacant = model.new_int_var(0, max(0, need), f"vacant[{e},{j}]")
                self.vacant[e, j] = vacant
                self._tier_use("unstaffed", vacant, 1, (e, j))
                filled = filled + vacant
            if "shared_reserve" in self.tiers and q > 0 and self._reserve_partners(e, j):
                share = model.new_bool_var(f"share[{e},{j}]")
                self.share[e, j] = share
                self._tier_use("shared_reserve", share, q, (e, j))
                q_expr = q - q * share
                filled = filled + q * share
        model.add(filled == need)
        per_school: dict[str, dict[bool, list]] = {}
        for v, g in entries:
            per_school.setdefault(g.school, {True: [], False: []})[g.chief_ok].append(v)
        for (school, e2, j2), n in self.fixed_school_at.items():
            if (e2, j2) == (e, j):
                per_school.setdefault(school, {True: [], False: []})
        reserve_terms, chief_terms = [], []
        record: dict = {"per_school": {}, "pool": None, "pool_schools": [], "rooms": rooms, "reserves": q}
        self.reserve_vars[e, j] = record
        pool_c_ub = pool_n_ub = 0
        pool_c_terms, pool_n_terms = [], []
        fixed_chief_total = self.fixed_chief_at.get((e, j), 0)
        for school, parts in per_school.items():
            fixed_n = self.fixed_school_at.get((school, e, j), 0)
            fixed_c = self.fixed_school_chief_at.get((school, e, j), 0)
            ub_all = fixed_n + sum(self._ub(v) for v in parts[True] + parts[False])
            ub_c = fixed_c + sum(self._ub(v) for v in parts[True])
            n_c = cp_model.LinearExpr.sum(parts[True]) + fixed_c
            n_n = cp_model.LinearExpr.sum(parts[False]) + (fixed_n - fixed_c)
            chief_terms.append(n_c)
            if distinct and q > 0 and (ub_all > rooms or self.relaxed):
                rc = model.new_int_var(0, min(q, ub_c), "")
                rn = model.new_int_var(0, min(q, ub_all - ub_c), "")
                model.add(rc <= n_c)
                model.add(rn <= n_n)
                self._enforce(model.add(n_c + n_n - rc - rn <= rooms), "distinct_room")
                reserve_terms += [rc, rn]
                chief_terms.append(-rc)
                record["per_school"][school] = (rc, rn)
            elif distinct and q == 0 and (ub_all > rooms or self.relaxed):
                self._enforce(model.add(n_c + n_n <= rooms), "distinct_room")
            else:
                pool_c_ub += ub_c
                pool_n_ub += ub_all - ub_c
                pool_c_terms.append(n_c)
                pool_n_terms.append(n_n)
                record["pool_schools"].append(school)
        real_chiefs = list(chief_terms)  # qualified teachers of other schools left for the rooms
        if vacant is not None:  # a phantom of its own school, qualified for any place
            pool_c_ub += need
            chief_terms.append(vacant)
        if q > 0:
            pc = model.new_int_var(0, min(q, pool_c_ub), "")
            pn = model.new_int_var(0, min(q, pool_n_ub), "")
            pc_real = pc
            if vacant is not None:  # reserves left empty (pv) are phantoms, not real chiefs
                pv = model.new_int_var(0, q, "")
                model.add(pv <= vacant)
                pc_real = model.new_int_var(0, min(q, pool_c_ub), "")
                model.add(pc == pc_real + pv)
            if pool_c_terms:
                model.add(pc_real <= cp_model.LinearExpr.sum(pool_c_terms))
            else:
                model.add(pc_real == 0)
            if pool_n_terms:
                model.add(pn <= cp_model.LinearExpr.sum(pool_n_terms))
            else:
                model.add(pn == 0)
            model.add(cp_model.LinearExpr.sum(reserve_terms + [pc, pn]) == q_expr)
            chief_terms.append(-pc)
            real_chiefs.append(-pc_real)
            record["pool"] = (pc, pn)
        del fixed_chief_total
        self._enforce(model.add(cp_model.LinearExpr.sum(chief_terms) >= rooms), "chief")
        if own:  # each own-school assistant beside a real chief of another school (not an unstaffed chief place)
            model.add(cp_model.LinearExpr.sum(own) <= cp_model.LinearExpr.sum(real_chiefs))

    def _ub(self, v) -> int:
        return self.zub[v.index]

    # ---------------------------------------------------------------- tiers (放宽层级)
    def _own_site(self, school: str, site: str) -> bool:
        """A flow of the site's own school, allowed only by the tier own_school_assistant."""
        return self.strict is not None and self.strict.exclude_own_school and school == site

    @property
    def _tiered_policy(self) -> InvigilationPolicy:
        """The policy whose breaches cost; only the tier code of a tiered model asks for it."""
        if self.strict is None:
            raise RuntimeError("tier costs asked of a model without relaxation tiers")
        return self.strict

    def _tier_use(self, tier: str, var, coef: int, what) -> None:
        self.tier_uses.setdefault(tier, []).append((var, coef, what))
        self.relax_terms.append((var, coef * self._tiered_policy.relax_cost(tier)))

    def _tier_costs_of_flow(self, v, g: _Group, b: str, j: str, p: tuple[str, ...]) -> None:
        strict, data = self._tiered_policy, self.data
        sb = data.school_by_id
        if self._own_site(g.school, j):
            self._tier_use("own_school_assistant", v, len(p), (g.key, b, j, p))
        if data.km(g.school, j) > strict.km_limit(sb[g.school].rural, sb[j].rural) + 1e-9:
            self._tier_use("distance", v, len(p), (g.key, b, j, p))
        if strict.one_site_per_day and len(p) > strict.max_sessions_per_day:
            self._tier_use("extra_session", v, len(p) - strict.max_sessions_per_day, (g.key, b, j, p))

    def _reserve_partners(self, e: str, j: str) -> list[str]:
        """Sites of the same town (within reserve_share_km) in use in the session."""
        limit = self._tiered_policy.reserve_share_km
        return [k for (e2, k) in self.facts.site_sessions if e2 == e and k != j and self._site_free(k)
                and self.data.km(j, k) <= limit + 1e-9 and self.facts.site_sessions[e, k].reserves > 0]

    def _shared_reserves(self) -> None:
        """A site that shares leans on one partner of its town that keeps its own reserves, all staffed."""
        for (e, j), share in self.share.items():
            options = []
            for k in self._reserve_partners(e, j):
                lit = self.model.new_bool_var(f"share_to[{e},{j},{k}]")
                self.share_to[e, j, k] = lit
                options.append(lit)
                if (e, k) in self.share:
                    self.model.add(self.share[e, k] == 0).only_enforce_if(lit)
                if (e, k) in self.vacant:
                    self.model.add(self.vacant[e, k] == 0).only_enforce_if(lit)
            self.model.add(cp_model.LinearExpr.sum(options) == share)

    def tier_values(self, solver: cp_model.CpSolver) -> dict:
        """What the solution uses beyond the strict policy: vacant places and shared reserves by site-session."""
        vacant = {k: solver.value(v) for k, v in self.vacant.items() if solver.value(v) > 0}
        shared = {(e, j): k for (e, j, k), v in self.share_to.items() if solver.value(v)}
        return {"vacant": vacant, "shared": shared,
                "cost": round(solver.value(self.terms["relax"])) if "relax" in self.terms else 0}

    def _change_term(self, previous: Plan):
        """Teacher-days of the previous plan that do not keep their site and pattern (a penalty, like rotation's)."""
        kept_terms = []
        prev_z: dict[tuple, int] = {}
        total = 0
        for (tid, b), (j, p) in previous.items():
            key = self.class_of.get(tid)
            if key is None or b not in self.class_blocks.get(key, ()) or not self._site_free(j):
                continue
            total += 1
            zk = (self.group_of[tid], b, j, p)
            prev_z[zk] = prev_z.get(zk, 0) + 1
        for zk, n in prev_z.items():
            v = self.z.get(zk)
            if v is None:
                continue
            kept = self.model.new_int_var(0, n, "")
            self.model.add(kept <= v)
            kept_terms.append(kept)
        # teachers of a group are interchangeable for the sites, not for who they are: a class of identical
        # teachers keeps a teacher only when one of them follows that teacher's previous plan (all blocks)
        prev_u: dict[tuple, int] = {}
        for key, tids in self.classes.items():
            for tid in tids:
                tp = self._teacher_plan(key, tid, previous)
                prev_u[key, tp] = prev_u.get((key, tp), 0) + 1
        for (key, tp), n in prev_u.items():
            total += n
            v = self.u.get((key, tp))
            if v is None:
                continue
            kept = self.model.new_int_var(0, n, "")
            self.model.add(kept <= v)
            kept_terms.append(kept)
        return total - cp_model.LinearExpr.sum(kept_terms) if kept_terms else total

    # ---------------------------------------------------------------- sizes, hints, plans
    def size(self) -> dict[str, int]:
        proto = self.model.proto
        return {"variables": len(proto.variables), "constraints": len(proto.constraints),
                "teacher_pattern_bools": len(self.u), "group_site_flows": len(self.z)}

    def _teacher_plan(self, key: tuple, tid: str, plan: Plan) -> tuple:
        out = []
        for b in self.class_blocks[key]:
            entry = plan.get((tid, b))
            out.append(entry[1] if entry is not None and self._site_free(entry[0]) else None)
        return tuple(out)

    def hint(self, plan: Plan) -> None:
        """Hint the solver with a plan (its entries inside the scope)."""
        counts: dict = {}
        zval: dict = {}
        for key, tids in self.classes.items():
            for tid in tids:
                tp = self._teacher_plan(key, tid, plan)
                counts[key, tp] = counts.get((key, tp), 0) + 1
                for b, p in zip(self.class_blocks[key], tp):
                    if p:
                        zk = (key[0], b, plan[tid, b][0], p)
                        zval[zk] = zval.get(zk, 0) + 1
        self.model.clear_hints()
        for u_key, v in self.u.items():
            self.model.add_hint(v, counts.get(u_key, 0))
        for z_key, v in self.z.items():
            self.model.add_hint(v, zval.get(z_key, 0))
        self._hint_reserves(plan)

    def _hint_reserves(self, plan: Plan) -> None:
        """Reserve choices that fit the plan: first each school's surplus over the rooms, then
        teachers the chiefs can spare, as the room filler does."""
        facts = self.facts
        tb = self.data.teacher_by_id
        present: dict[tuple[str, str], dict[str, list[int]]] = {}
        for (tid, b), (j, p) in plan.items():
            for e in p:
                if (e, j) in self.reserve_vars:
                    counts = present.setdefault((e, j), {}).setdefault(tb[tid].school_id, [0, 0])
                    counts[0 if facts.chief_ok[tid] else 1] += 1
        for key, rec in self.reserve_vars.items():
            q, rooms = rec["reserves"], rec["rooms"]
            if q <= 0:
                continue
            by_school = present.get(key, {})
            spare = sum(c for c, _ in by_school.values()) - rooms
            left = q
            for school, (rc, rn) in rec["per_school"].items():
                c, n = by_school.get(school, [0, 0])
                surplus = max(0, c + n - rooms)
                take_n = min(n, surplus, left)
                take_c = min(c, surplus - take_n, max(0, spare), left - take_n)
                spare -= take_c
                left -= take_n + take_c
                self.model.add_hint(rc, take_c)
                self.model.add_hint(rn, take_n)
            if rec["pool"] is not None:
                pc, pn = rec["pool"]
                pool_c = sum(by_school.get(s, [0, 0])[0] for s in rec["pool_schools"])
                pool_n = sum(by_school.get(s, [0, 0])[1] for s in rec["pool_schools"])
                take_n = min(pool_n, left)
                take_c = min(pool_c, left - take_n)
                self.model.add_hint(pn, take_n)
                self.model.add_hint(pc, take_c)

    def plan_from(self, solver: cp_model.CpSolver, previous: Plan | None = None) -> Plan:
        """The free part of the plan: plans to teachers and teachers to sites, keeping previous
        plans and sites where the counts allow."""
        if solver.response_proto.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise ValueError("plan_from needs a solver that found a solution")
        previous = previous or {}
        working: dict[tuple, list[str]] = {}
        for key, tids in self.classes.items():
            counts = {plan: solver.value(self.u[key, plan]) for plan in self.plans_of[key]}
            rest = []
            chosen: dict[str, tuple] = {}
            for tid in tids:
                tp = self._teacher_plan(key, tid, previous) if previous else None
                if tp is not None and counts.get(tp, 0) > 0:
                    chosen[tid] = tp
                    counts[tp] -= 1
                else:
                    rest.append(tid)
            pending = [plan for plan, n in counts.items() for _ in range(n)]
            for tid, plan in zip(rest, pending):
                chosen[tid] = plan
            for tid, plan in chosen.items():
                for b, p in zip(self.class_blocks[key], plan):
                    if p:
                        working.setdefault((key[0], b, p), []).append(tid)
        places: dict[tuple, dict[str, int]] = {}
        for (gkey, b, j, p), v in self.z.items():
            n = solver.value(v)
            if n:
                places.setdefault((gkey, b, p), {})[j] = n
        out: Plan = {}
        for key, tids in working.items():
            slots = dict(places.get(key, {}))
            _, b, p = key
            rest = []
            for tid in tids:
                pinned = [pin.site_school_id for pin in self.pins_by_teacher.get(tid, [])
                          if pin.site_school_id and pin.session_id in p]
                want = pinned[0] if pinned else previous.get((tid, b), (None,))[0]
                if want is not None and slots.get(want, 0) > 0:
                    out[tid, b] = (want, p)
                    slots[want] -= 1
                else:
                    rest.append(tid)
            for tid in rest:
                j = next(s for s, n in slots.items() if n > 0)
                out[tid, b] = (j, p)
                slots[j] -= 1
        return out


def solver_for(num_workers: int, time_s: float, seed: int = 0, log: bool = False) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = num_workers
    p.max_time_in_seconds = max(0.05, time_s)
    p.random_seed = seed
    p.log_search_progress = log
    return solver


def status_name(status: int) -> str:
    """The lower-case name exam logistics stores ("optimal", "infeasible", "invalid", "unknown")."""
    return solver_status_name(status, lower=True)
