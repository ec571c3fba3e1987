"""The formation model (学区划分模型): one function per rule, as `scheduling/rotation/model.py` does.

Variables: `y[i]` — school i leads a cluster; `x[i, j]` — school j is in the cluster of lead i (only
for the options of `candidates.py`; `x[i, i]` is `y[i]`). Hard: every school in exactly one cluster,
the number of clusters, sizes within [min, max], and every lead the strongest of its cluster (by the
options). Each other rule of the policy is a group with a literal (`RuleGroup.literal`, the kit's
`Guarded`): with the literal true the rule holds everywhere; the main solve leaves it free and pays
per unit short (`[weights]`), so the proposal is the best effort when the rules cannot all hold, and
`scheduling.cpsat.minimal_core` can name the groups that clash. The objective is the balance:
travel from members to leads, and each cluster's size, quality and weak schools and students as far
from the district's mean as little as possible.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .candidates import FormationIndex
from .rules import is_high, is_quality, is_urban, is_weak

SCALE = 100  # objective units per km-equivalent (weights are per km, per school, per 100 students)

Terms = list[tuple[Any, int]]


@dataclass
class RuleGroup:
    """One rule of the policy over the whole district (a pin is a rule of its own): its literal switches
    it on; `short` are its shortfall variables, each counting `per` units of its key."""

    key: str  # the policy key ("mix.urban_rural") or the pin ("pin.together:1", "pin.lead:S001")
    literal: cp_model.IntVar
    short: list[tuple[Any, str]] = field(default_factory=list)  # (0/1 or int var, scope: the lead or school id)
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass
class FormationModel:
    index: FormationIndex
    model: cp_model.CpModel
    y: dict[int, Any]
    x: dict[tuple[int, int], Any]
    groups: list[RuleGroup]
    size: dict[int, Any]  # lead → its cluster's number of schools


def _sum(items) -> Any:
    return cp_model.LinearExpr.sum(list(items))


def _cost(weight: float, per: float = 1.0) -> int:
    return int(round(weight * SCALE / per))


def add_leads_and_partition(model: cp_model.CpModel, index: FormationIndex) -> tuple[dict, dict]:
    """Every school is in exactly one cluster, of a lead at least as strong (options); a lead is in its own."""
    y = {i: model.new_bool_var(f"lead[{index.schools[i].school_id}]") for i in index.leads}
    x: dict[tuple[int, int], Any] = {}
    for j, leads in index.options.items():
        for i in leads:
            x[(i, j)] = y[i] if i == j else model.new_bool_var(
                f"in[{index.schools[j].school_id}@{index.schools[i].school_id}]")
            if i != j:
                model.add_implication(x[(i, j)], y[i])
        model.add_exactly_one([x[(i, j)] for i in leads])
    return y, x


def add_cluster_count(model: cp_model.CpModel, index: FormationIndex, y: dict) -> None:
    """The number of clusters (size.clusters, or as asked, or today's)."""
    model.add(_sum(y.values()) == index.count.count)


def add_sizes(model: cp_model.CpModel, index: FormationIndex, y: dict, x: dict) -> dict[int, Any]:
    """size.min_schools ≤ schools of a cluster ≤ size.max_schools (003 part 4: 原则上不超过10所)."""
    policy = index.policy.size
    members = index.members_of()
    low = policy.min_schools if index.n >= policy.min_schools else 1
    size = {}
    for i in index.leads:
        size[i] = model.new_int_var(0, policy.max_schools, f"size[{index.schools[i].school_id}]")
        model.add(size[i] == _sum(x[(i, j)] for j in members[i]))
        model.add(size[i] <= policy.max_schools * y[i])
        model.add(size[i] >= low * y[i])
    return size


def add_urban_rural(model: cp_model.CpModel, index: FormationIndex, y: dict, x: dict, groups: list) -> None:
    """城乡统筹 (mix.urban_rural): every cluster has an urban school and a school that is not urban."""
    if not index.policy.mix.urban_rural:
        return
    group = RuleGroup("mix.urban_rural", model.new_bool_var("rule[mix.urban_rural]"))
    members = index.members_of()
    for i in index.leads:
        sid = index.schools[i].school_id
        for wanted, label in ((True, "urban"), (False, "non_urban")):
            have = [x[(i, j)] for j in members[i] if is_urban(index.schools[j]) == wanted]
            short = model.new_bool_var(f"short[{label}@{sid}]")
            model.add(_sum(have) + short >= y[i])
            model.add(short <= y[i])
            model.add(short == 0).only_enforce_if(group.literal)
            group.short.append((short, sid))
    groups.append(group)


def add_quality(model: cp_model.CpModel, index: FormationIndex, y: dict, x: dict, groups: list) -> None:
    """强弱搭配 (mix.min_quality): every cluster has at least N quality schools."""
    need = index.policy.mix.min_quality
    if need <= 0:
        return
    group = RuleGroup("mix.min_quality", model.new_bool_var("rule[mix.min_quality]"), numbers={"need": need})
    members = index.members_of()
    for i in index.leads:
        sid = index.schools[i].school_id
        have = [x[(i, j)] for j in members[i] if is_quality(index.schools[j])]
        short = model.new_int_var(0, need, f"short[quality@{sid}]")
        model.add(_sum(have) + short >= need * y[i])
        model.add(short <= need * y[i])
        model.add(short == 0).only_enforce_if(group.literal)
        group.short.append((short, sid))
    groups.append(group)


def add_distance(model: cp_model.CpModel, index: FormationIndex, x: dict, groups: list) -> None:
    """相对就近 (distance.max_km_to_lead): no member farther from its lead than the limit."""
    reach = index.policy.distance.max_km_to_lead
    group = RuleGroup("distance.max_km_to_lead", model.new_bool_var("rule[distance]"), numbers={"max_km": reach})
    for (i, j), var in x.items():
        if i != j and index.km[i, j] > reach + 1e-9:
            model.add(var == 0).only_enforce_if(group.literal)
            group.short.append((var, index.schools[j].school_id))
    if group.short:
        groups.append(group)


def add_high_apart(model: cp_model.CpModel, index: FormationIndex, x: dict, groups: list) -> None:
    """mix.high_apart: a high school is only with high schools (a lead and its members on one side)."""
    if not index.policy.mix.high_apart:
        return
    group = RuleGroup("mix.high_apart", model.new_bool_var("rule[mix.high_apart]"))
    for (i, j), var in x.items():
        if i != j and is_high(index.schools[i]) != is_high(index.schools[j]):
            model.add(var == 0).only_enforce_if(group.literal)
            group.short.append((var, index.schools[j].school_id))
    if group.short:
        groups.append(group)


def _dropped(model: cp_model.CpModel, literal: Any) -> Any:
    """1 when the pin's literal is off: the unit a best effort pays for dropping the pin."""
    dropped = model.new_bool_var(f"dropped[{literal.name}]")
    model.add(dropped + literal == 1)
    return dropped


def add_pins(model: cp_model.CpModel, index: FormationIndex, y: dict, x: dict, groups: list) -> None:
    """Pins (指定): these schools together; this school leads. Each is a rule of its own."""
    for number, pin in enumerate(index.data.together, 1):
        inside = [index.position[s] for s in pin.school_ids if s in index.position]
        literal = model.new_bool_var(f"pin[together:{number}]")
        group = RuleGroup(f"pin.together:{number}", literal, numbers={"schools": tuple(pin.school_ids)})
        first = inside[0]
        for j in inside[1:]:
            for i in sorted(set(index.options[first]) | set(index.options[j])):
                a, b = x.get((i, first)), x.get((i, j))
                model.add((a if a is not None else 0) == (b if b is not None else 0)).only_enforce_if(literal)
        group.short.append((_dropped(model, literal), ",".join(pin.school_ids)))
        groups.append(group)
    for lead_pin in index.data.leads:
        i = index.position[lead_pin.school_id]
        literal = model.new_bool_var(f"pin[lead:{lead_pin.school_id}]")
        model.add(y[i] == 1).only_enforce_if(literal)
        group = RuleGroup(f"pin.lead:{lead_pin.school_id}", literal)
        group.short.append((_dropped(model, literal), lead_pin.school_id))
        groups.append(group)


def short_terms(index: FormationIndex, groups: list[RuleGroup]) -> Terms:
    """What each unit short of a rule costs (the best effort pays, never a hard failure)."""
    w = index.policy.weights
    weight = {"mix.urban_rural": w.urban_rural_short, "mix.min_quality": w.quality_short,
              "distance.max_km_to_lead": w.far_member, "mix.high_apart": w.high_mixed}
    terms: Terms = []
    for group in groups:
        cost = _cost(weight.get(group.key, w.pin_dropped))
        terms += [(var, cost) for var, _ in group.short]
    return terms


def add_travel(index: FormationIndex, x: dict) -> Terms:
    """Travel from members to leads (相对就近), and the bonus for keeping a school with today's lead."""
    w = index.policy.weights
    today_lead = {}
    leads_today = {s.cluster_id: s.school_id for s in index.schools if s.is_lead and s.cluster_id}
    for j, school in enumerate(index.schools):
        lead_id = leads_today.get(school.cluster_id)
        if lead_id is not None:
            today_lead[j] = index.position[lead_id]
    terms: Terms = []
    keep = _cost(w.keep_today)
    for (i, j), var in x.items():
        cost = 0 if i == j else _cost(w.travel_km * float(index.km[i, j]))
        if keep and today_lead.get(j) == i:
            cost -= keep
        if cost:
            terms.append((var, cost))
    return terms


def _deviation(model: cp_model.CpModel, y: dict, amount: dict[int, Any], total: int, k: int, bound: int,
               name: str) -> dict[int, Any]:
    """dev[i] ≥ |k·amount[i] − total| for each lead in use: k times a cluster's distance from the mean."""
    dev = {}
    for i, value in amount.items():
        dev[i] = model.new_int_var(0, k * bound + total, f"dev[{name}:{i}]")
        model.add(dev[i] >= k * value - total).only_enforce_if(y[i])
        model.add(dev[i] >= total - k * value).only_enforce_if(y[i])
        model.add(dev[i] == 0).only_enforce_if(y[i].Not())
    return dev


def add_balance(model: cp_model.CpModel, index: FormationIndex, y: dict, x: dict, size: dict) -> Terms:
    """均衡: each cluster's schools, quality schools, weak schools and students near the district's mean
    (`index.totals`: a region solved alone aims at the district's mean too)."""
    w = index.policy.weights
    totals = index.totals
    assert totals is not None
    k = max(1, totals.clusters)
    members = index.members_of()
    terms: Terms = []
    cap = index.policy.size.max_schools

    def counted(test) -> dict[int, Any]:
        return {i: _sum(x[(i, j)] for j in members[i] if test(index.schools[j])) for i in index.leads}

    hundreds = {j: round(s.students / 100) for j, s in enumerate(index.schools)}
    measures: list[tuple[str, dict[int, Any], int, float, int]] = [
        ("size", size, totals.schools, w.size_deviation, cap),
        ("quality", counted(is_quality), totals.quality, w.quality_deviation, cap),
        ("weak", counted(is_weak), totals.weak, w.weak_deviation, cap),
    ]
    if totals.students_hundreds:
        amount = {i: _sum(x[(i, j)] * hundreds[j] for j in members[i]) for i in index.leads}
        most = sum(sorted(hundreds.values(), reverse=True)[:cap])
        measures.append(("students", amount, totals.students_hundreds, w.students_deviation, most))
    for name, amount, total, weight, bound in measures:
        if not weight:
            continue
        dev = _deviation(model, y, amount, total, k, bound, name)
        cost = max(1, _cost(weight, k))  # dev counts k times the distance from the mean
        terms += [(d, cost) for d in dev.values()]
    return terms


def build_formation_model(index: FormationIndex) -> FormationModel:
    model = cp_model.CpModel()
    groups: list[RuleGroup] = []
    y, x = add_leads_and_partition(model, index)
    add_cluster_count(model, index, y)
    size = add_sizes(model, index, y, x)
    add_urban_rural(model, index, y, x, groups)
    add_quality(model, index, y, x, groups)
    add_distance(model, index, x, groups)
    add_high_apart(model, index, x, groups)
    add_pins(model, index, y, x, groups)
    terms = short_terms(index, groups) + add_travel(index, x) + add_balance(model, index, y, x, size)
    model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]))
    return FormationModel(index=index, model=model, y=y, x=x, groups=groups, size=size)
