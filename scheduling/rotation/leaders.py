"""Leaders' exchange days and principals' exchange months (CP-SAT).

003 part 2: each month a school pair exchanges 2 leaders (中层干部, principals included), one from
each side; each spends one weekday a week at the partner school; the two must not be away on the
same weekday. Principals exchange one month a year, and a pair's two principals are never away in
the same month. Rule instances are guarded by literals as in `model.py`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from ortools.sat.python import cp_model

from .candidates import SCALE
from .inputs import RotationInput, RotationTeacher
from .model import RuleBook, _new_rule, _sum
from .policy import RotationPolicy
from .results import LeaderExchange, PrincipalMonth, RotationPlan
from .rules import (Distances, exchange_pairs, counts_as_backbone, direction, month_dates, plan_months, strength, subsidy_yuan,
                    term_months)

WEEKDAYS = (1, 2, 3, 4, 5)


def school_pairs(data: RotationInput, policy: RotationPolicy) -> list[tuple[str, str]]:
    """The exchange pairs: given in the input, or by the policy's pairing within each cluster."""
    return exchange_pairs(data, policy)


@dataclass
class LeaderModel:
    data: RotationInput
    policy: RotationPolicy
    model: cp_model.CpModel
    pairs: list[tuple[str, str]]
    months: list[tuple[int, int]]  # (year, month) of the exchange months
    principal_months: list[int]  # positions in `months` principals may be away in
    leaders: dict[str, list[RotationTeacher]]  # school → exchange leaders
    principals: dict[str, RotationTeacher]
    z: dict[tuple[int, int, int, str], cp_model.IntVar]  # (pair, month, side, leader) → chosen
    w: dict[tuple[int, int, int], cp_model.IntVar]  # (pair, side, weekday) → that side's weekday
    away: dict[tuple[str, str, int], cp_model.IntVar]  # (school, partner, month) → principal away
    rules: RuleBook
    relaxed: bool = False  # best-effort: a pair may wait a month (held false), a principal may stay home
    held: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (pair, month) → exchange held


def _exchange_leaders(data: RotationInput, policy: RotationPolicy) -> dict[str, list[RotationTeacher]]:
    barred = {f.teacher_id for f in data.forbids if f.to_school_id is None}
    roles = {"leader", "principal"} if policy.leaders.principals_as_leaders else {"leader"}
    leaders: dict[str, list[RotationTeacher]] = defaultdict(list)
    for t in data.teachers:
        if t.role in roles and t.teacher_id not in barred:
            leaders[t.school_id].append(t)
    return leaders


def build_leader_model(data: RotationInput, policy: RotationPolicy, previous: RotationPlan | None = None, *,
                       relaxed: bool = False) -> LeaderModel:
    """The leaders' model; `relaxed` builds the best-effort variant (a lead school with too few leaders:
    the most pair-months it can, each pair-month that waits costing `weights.leader_pair_waits`)."""
    model = cp_model.CpModel()
    pairs = school_pairs(data, policy) if (policy.leaders.enabled or policy.principals.enabled) else []
    months = plan_months(data.school_year, data.term, policy)
    principal_terms = policy.principals.term
    if policy.principals.enabled and policy.principals.months_per_year and (data.term in (None, principal_terms)):
        wanted = set(term_months(data.school_year, principal_terms, policy))
        principal_months = [i for i, ym in enumerate(months) if ym in wanted]
    else:
        principal_months = []
    leaders = _exchange_leaders(data, policy) if policy.leaders.enabled else {}
    barred = {f.teacher_id for f in data.forbids if f.to_school_id is None}
    principals = {t.school_id: t for t in data.teachers if t.role == "principal" and t.teacher_id not in barred}
    lm = LeaderModel(data, policy, model, pairs, months, principal_months, leaders, principals, {}, {}, {},
                     RuleBook(model, relaxed, {"principal_month": int(round(policy.weights.principal_month_dropped * SCALE))}),
                     relaxed)
    terms: list[tuple[object, int]] = []
    if policy.leaders.enabled:
        terms += _add_leader_days(lm)
    if principal_months:
        terms += _add_principal_months(lm)
    terms += _keep_previous(lm, previous)
    terms += lm.rules.terms  # best-effort: a principal left at home
    if terms:
        model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]))
    return lm


def _add_leader_days(lm: LeaderModel) -> list[tuple[object, int]]:
    model, policy = lm.model, lm.policy
    terms: list[tuple[object, int]] = []
    load: dict[tuple[str, int], list] = defaultdict(list)  # (leader, month) → chosen vars
    outgoing_day: dict[tuple[str, int], list] = defaultdict(list)  # (school, weekday) → w vars
    sides_of_school: dict[str, list[tuple[int, int]]] = defaultdict(list)  # school → its (pair, side)s
    pairs_of_school: dict[str, int] = defaultdict(int)
    for a, b in lm.pairs:
        pairs_of_school[a] += 1
        pairs_of_school[b] += 1
    for p, (a, b) in enumerate(lm.pairs):
        sides_of_school[a].append((p, 0))
        sides_of_school[b].append((p, 1))
        literal = lm.rules.new("leader_pair", (a, b), relaxable=True, counted=True,
                               leaders_a=len(lm.leaders.get(a, [])), leaders_b=len(lm.leaders.get(b, [])))
        # A pair side keeps one weekday for the whole period (a weekly routine), which also removes
        # the months' symmetry from the weekday choice.
        for side, school_id in enumerate((a, b)):
            days = []
            for d in WEEKDAYS:
                var = model.new_bool_var(f"day[{a}-{b}:s{side}:d{d}]")
                lm.w[(p, side, d)] = var
                days.append(var)
                outgoing_day[(school_id, d)].append(var)
            model.add_exactly_one(days)
        for d in WEEKDAYS:  # the two leaders of a pair are never away on the same weekday
            model.add(lm.w[(p, 0, d)] + lm.w[(p, 1, d)] <= 1)
        for m in range(len(lm.months)):
            for side, school_id in enumerate((a, b)):
                chosen = []
                for leader in lm.leaders.get(school_id, []):
                    var = model.new_bool_var(f"lead[{leader.teacher_id}@{a}-{b}:m{m}]")
                    lm.z[(p, m, side, leader.teacher_id)] = var
                    chosen.append(var)
                    load[(leader.teacher_id, m)].append(var)
                if lm.relaxed:  # the pair exchanges this month (both sides) or waits
                    held = lm.held.get((p, m))
                    if held is None:
                        held = lm.held[(p, m)] = model.new_bool_var(f"held[{a}-{b}:m{m}]")
                        model.add(held >= literal)
                        terms.append((held, -int(round(policy.weights.leader_pair_waits * SCALE))))
                    model.add(_sum(chosen) == held)
                else:
                    model.add(_sum(chosen) == 1).only_enforce_if(literal)
                    model.add(_sum(chosen) <= 1)
    limit = policy.leaders.max_pairs_per_leader_per_month
    load_literal: dict[str, cp_model.IntVar] = {}
    for school_id, staff in lm.leaders.items():
        needed = pairs_of_school.get(school_id, 0)
        if needed > limit:
            load_literal[school_id] = _new_rule(model, lm.rules, "leader_load", (school_id,), pairs=needed,
                                                leaders=len(staff), limit=limit)
    school_of = {t.teacher_id: t.school_id for staff in lm.leaders.values() for t in staff}
    for (leader_id, m), chosen in load.items():
        load_rule = load_literal.get(school_of[leader_id])
        if len(chosen) > limit and load_rule is not None:
            model.add(_sum(chosen) <= limit).only_enforce_if(load_rule)
    if limit > 1:
        # A leader serving two pairs in a month must have two different weekdays: `same` is true
        # when two of a school's pair-sides share their weekly day.
        for school_id, sides in sides_of_school.items():
            for (p, sp), (q, sq) in combinations(sides, 2):
                same = model.new_bool_var(f"same_day[{school_id}:{p}/{q}]")
                for d in WEEKDAYS:
                    model.add(same >= lm.w[(p, sp, d)] + lm.w[(q, sq, d)] - 1)
                for leader in lm.leaders.get(school_id, []):
                    for m in range(len(lm.months)):
                        model.add(lm.z[(p, m, sp, leader.teacher_id)] + lm.z[(q, m, sq, leader.teacher_id)]
                                  + same <= 2)
    # Fairness: the busiest leader of each school exchanges as few times as possible.
    fairness = int(round(policy.leaders.fairness_weight * SCALE))
    by_leader: dict[str, list] = defaultdict(list)
    for (_, _, _, leader_id), var in lm.z.items():
        by_leader[leader_id].append(var)
    for school_id, staff in lm.leaders.items():
        if not pairs_of_school.get(school_id):
            continue
        # The average load is a lower bound; stating it spares the solver proving it school by school.
        average = -(-pairs_of_school[school_id] * len(lm.months) // max(1, len(staff)))
        busiest = model.new_int_var(average, max(average, len(lm.months) * len(lm.pairs)),
                                    f"busiest[{school_id}]")
        for leader in staff:
            mine = by_leader.get(leader.teacher_id)
            if mine:
                model.add(_sum(mine) <= busiest)
        terms.append((busiest, fairness))
    # Spread a school's outgoing leaders over the weekdays.
    clash = int(round(policy.leaders.weekday_clash_weight * SCALE))
    if clash:
        for (school_id, d), days in outgoing_day.items():
            if len(days) > 1:
                excess = model.new_int_var(0, len(days), f"clash[{school_id}:d{d}]")
                model.add(excess >= _sum(days) - 1)
                terms.append((excess, clash))
    return terms


def _add_principal_months(lm: LeaderModel) -> list[tuple[object, int]]:
    model, data = lm.model, lm.data
    distances = Distances(data)
    schools = {s.school_id: s for s in data.schools}
    partners: dict[str, list[str]] = defaultdict(list)
    for a, b in lm.pairs:
        partners[a].append(b)
        partners[b].append(a)
    terms: list[tuple[object, int]] = []
    away_in: dict[tuple[str, int], list] = defaultdict(list)
    for school_id in sorted(partners):
        principal = lm.principals.get(school_id)
        if principal is None:
            continue
        literal = lm.rules.new("principal_month", (school_id,), relaxable=True, months=len(lm.principal_months))
        mine = []
        for partner in partners[school_id]:
            # Prefer the weaker partner (support) and the nearer one.
            cost = int(round(distances.teacher_km(principal, partner) * SCALE)) + 100 * strength(schools[partner])
            for m in lm.principal_months:
                var = model.new_bool_var(f"principal[{principal.teacher_id}->{partner}:m{m}]")
                lm.away[(school_id, partner, m)] = var
                mine.append(var)
                away_in[(school_id, m)].append(var)
                terms.append((var, cost))
        model.add(_sum(mine) == 1).only_enforce_if(literal)
        model.add(_sum(mine) <= 1)
    for a, b in lm.pairs:
        if a not in lm.principals or b not in lm.principals:
            continue
        literal = _new_rule(model, lm.rules, "principal_pair", (a, b), months=len(lm.principal_months))
        for m in lm.principal_months:
            model.add(_sum(away_in[(a, m)]) + _sum(away_in[(b, m)]) <= 1).only_enforce_if(literal)
    # A principal away for the month is not one of that month's exchange leaders.
    for (p, m, side, leader_id), var in lm.z.items():
        school_id = lm.pairs[p][side]
        principal = lm.principals.get(school_id)
        if principal is not None and principal.teacher_id == leader_id and away_in.get((school_id, m)):
            model.add(var + _sum(away_in[(school_id, m)]) <= 1)
    return terms


def _keep_previous(lm: LeaderModel, previous: RotationPlan | None) -> list[tuple[object, int]]:
    if previous is None:
        return []
    reward = int(round(lm.policy.weights.drop_previous * SCALE))
    month_pos = {ym[1]: i for i, ym in enumerate(lm.months)}
    pair_pos = {pair: i for i, pair in enumerate(lm.pairs)}
    terms: list[tuple[object, int]] = []
    for e in previous.leader_exchanges:
        m = month_pos.get(e.month)
        for side, key in ((0, (e.from_school_id, e.to_school_id)), (1, (e.to_school_id, e.from_school_id))):
            p = pair_pos.get(key)
            if p is None or m is None:
                continue
            var = lm.z.get((p, m, side, e.teacher_id))
            if var is not None:
                terms.append((var, -reward))
                terms.append((lm.w[(p, side, e.weekday)], -reward // 10))
    for pm in previous.principal_months:
        m = month_pos.get(pm.month)
        var = lm.away.get((pm.from_school_id, pm.to_school_id, m)) if m is not None else None
        if var is not None:
            terms.append((var, -reward))
    return terms


def read_leader_plan(lm: LeaderModel, solver: cp_model.CpSolver) -> tuple[list[LeaderExchange], list[PrincipalMonth]]:
    policy, data = lm.policy, lm.data
    distances = Distances(data)
    schools = {s.school_id: s for s in data.schools}
    teachers = {t.teacher_id: t for t in data.teachers}
    exchanges = []
    for (p, m, side, leader_id), var in lm.z.items():
        if not solver.boolean_value(var):
            continue
        home, partner = lm.pairs[p][side], lm.pairs[p][1 - side]
        weekday = next(d for d in WEEKDAYS if solver.boolean_value(lm.w[(p, side, d)]))
        km = distances.teacher_km(teachers[leader_id], partner)
        start, end = month_dates(*lm.months[m])
        exchanges.append(LeaderExchange(
            teacher_id=leader_id, from_school_id=home, to_school_id=partner, month=lm.months[m][1], start=start,
            end=end, weekday=weekday, distance_km=round(km, 1),
            subsidy_yuan_per_month=subsidy_yuan(km, schools[partner].hardship, policy, policy.subsidy.leader_factor),
            direction=direction(schools[home], schools[partner]) or "support",
            backbone=counts_as_backbone(teachers[leader_id], policy)))
    principal_months = []
    for (school_id, partner, m), var in lm.away.items():
        if not solver.boolean_value(var):
            continue
        principal = lm.principals[school_id]
        km = distances.teacher_km(principal, partner)
        start, end = month_dates(*lm.months[m])
        principal_months.append(PrincipalMonth(
            teacher_id=principal.teacher_id, from_school_id=school_id, to_school_id=partner, month=lm.months[m][1],
            start=start, end=end, distance_km=round(km, 1),
            subsidy_yuan_per_month=subsidy_yuan(km, schools[partner].hardship, policy),
            direction=direction(schools[school_id], schools[partner]) or "support",
            backbone=counts_as_backbone(principal, policy)))
    exchanges.sort(key=lambda e: (e.start, e.from_school_id, e.to_school_id))
    principal_months.sort(key=lambda e: (e.start, e.from_school_id))
    return exchanges, principal_months


def leader_waits(lm: LeaderModel, solver: cp_model.CpSolver) -> dict[tuple[str, str], list[int]]:
    """Best-effort leaders' plan: (school, partner) → the months (1–12) the pair waits without an exchange."""
    waits: dict[tuple[str, str], list[int]] = {}
    for (p, m), held in sorted(lm.held.items()):
        if not solver.boolean_value(held):
            waits.setdefault(lm.pairs[p], []).append(lm.months[m][1])
    return waits


def principals_home(lm: LeaderModel, solver: cp_model.CpSolver) -> list[str]:
    """Best-effort: schools whose principal the plan leaves without an exchange month."""
    return [str(r.scope[0]) for r in lm.rules if r.kind == "principal_month" and not solver.boolean_value(r.literal)]
