"""The teachers' posting model (CP-SAT): who rotates where, mentoring pairs, quotas, coverage.

Every hard policy rule instance (one school's 10% quota, one school's backbone share, one coverage
group, one pin …) is enforced only if its own literal is true. The main solve fixes all these
literals to true; when that is infeasible the explanation solve passes them as assumptions, so the
infeasible core names rule instances the planner recognises (`explain.py`).

Constraint builders return their objective terms (like OR-Tools' shift_scheduling_sat.py): the
objective is in km-equivalents × `SCALE`, minimised.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .candidates import SCALE, CandidateIndex
from .policy import fraction
from .results import RotationPlan
from .rules import ceil_share, counts_as_backbone, is_quota_sender, per_plan_period, supported_schools

Terms = list[tuple[Any, int]]  # (variable or linear expression, integer coefficient)


@dataclass
class RuleInstance:
    """One hard rule instance, guarded by `literal`; `numbers` are those known when building."""

    kind: str
    scope: tuple[str | int, ...]
    literal: cp_model.IntVar
    numbers: dict[str, Any] = field(default_factory=dict)
    measure: Any = None  # the count the rule bounds, for "at most N under the other rules"

    @property
    def key(self) -> str:
        return f"{self.kind}:{'/'.join(str(s) for s in self.scope)}"


@dataclass
class PostingModel:
    index: CandidateIndex
    model: cp_model.CpModel
    x: list[cp_model.IntVar]  # one per candidate posting
    links: dict[tuple[str, str, str], cp_model.IntVar]  # (mentor, host, apprentice) → 师徒结对
    rules: RuleBook
    offset: int  # constant part of the objective (all posts unfilled, dropped previous postings …)
    y: list[cp_model.IntVar] = field(default_factory=list)  # one per part-time candidate (跨校兼课)

    def rule(self, kind: str, *scope: str | int) -> RuleInstance | None:
        for r in self.rules:
            if r.kind == kind and r.scope == scope:
                return r
        return None


# The weight key (policies/rotation.toml [weights]) a best-effort roster pays per unit a rule is short.
SHORT_WEIGHT_KEYS = {
    "quota": "quota_short", "backbone_school": "backbone_short", "backbone_cluster": "backbone_short",
    "learn_min": "learn_short", "mingzhu_backbone": "mingzhu_short", "mingzhu_rural": "mingzhu_short",
    "mingzhu_person_times": "mingzhu_short", "excellent": "excellent_short", "famous_apprentices": "apprentice_short",
    "pin": "pin_dropped",
}


def short_weights(policy) -> dict[str, int]:
    """Scaled objective weight per unit short, by rule kind."""
    return {kind: int(round(getattr(policy.weights, key) * SCALE)) for kind, key in SHORT_WEIGHT_KEYS.items()}


class RuleBook(list):
    """The rule instances of a model. Strict mode: each is enforced only if its literal is true (the
    solve fixes the literals, the core solve assumes them). Relaxed mode (a best-effort plan for a
    policy that cannot be met): a counted rule (quota, backbone share …) may fall short by a deficit
    paid per unit in the rule's own units (one teacher short of a quota costs `weights.quota_short`,
    one backbone teacher short `weights.backbone_short` …), so the roster fills as much of every rule
    as the others allow; a pin may be dropped at `weights.pin_dropped`; capacity, coverage,
    mentoring, caps and forbids stay hard. The literal of a broken rule is false."""

    def __init__(self, model: cp_model.CpModel, relaxed: bool = False, weights: dict[str, int] | None = None):
        super().__init__()
        self.model = model
        self.relaxed = relaxed
        self.weights = weights or {}  # rule kind → scaled cost per unit short
        self.terms: Terms = []
        self.offset = 0

    def new(self, kind: str, scope: tuple, *, measure: Any = None, relaxable: bool = False, counted: bool = False,
            **numbers) -> cp_model.IntVar:
        literal = self.model.new_bool_var(f"rule[{kind}:{'/'.join(str(s) for s in scope)}]")
        self.append(RuleInstance(kind, scope, literal, dict(numbers), measure))
        if self.relaxed and relaxable and not counted:  # dropped outright (a pin): one unit
            weight = self.weights.get(kind, 0)
            self.terms.append((literal, -weight))
            self.offset += weight
        elif self.relaxed and not relaxable:
            self.model.add(literal == 1)
        return literal

    def at_least(self, kind: str, scope: tuple, lhs: Any, rhs: Any, bound: int, *, per_unit: int = 1,
                 measure: Any = None, **numbers) -> cp_model.IntVar:
        """lhs ≥ rhs. Relaxed: lhs + per_unit × deficit ≥ rhs, the deficit (≤ bound) paid per unit: for a
        share rule written den × part ≥ num × whole, per_unit = den makes the deficit whole teachers
        (⌈share × whole⌉ − part)."""
        literal = self.new(kind, scope, measure=measure, relaxable=True, counted=True, **numbers)
        if not self.relaxed:
            self.model.add(lhs >= rhs).only_enforce_if(literal)
            return literal
        deficit = self.model.new_int_var(0, max(0, bound), f"deficit[{kind}:{'/'.join(str(s) for s in scope)}]")
        self.model.add(lhs + per_unit * deficit >= rhs)
        self.model.add(deficit == 0).only_enforce_if(literal)
        self.model.add(deficit >= 1).only_enforce_if(literal.Not())
        self.terms.append((deficit, self.weights.get(kind, 0)))
        self[-1].numbers["deficit_var"] = deficit
        return literal


def _new_rule(model: cp_model.CpModel, rules: RuleBook, kind: str, scope: tuple, *, measure: Any = None,
              **numbers) -> cp_model.IntVar:
    return rules.new(kind, scope, measure=measure, **numbers)


def _sum(variables) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.sum(list(variables))


def out_vars(index: CandidateIndex, x, school_id: str, *, direction: str | None = None,
             backbone: bool | None = None, localities: tuple[str, ...] | None = None) -> list:
    """Posting variables of a sending school's teachers, optionally filtered."""
    chosen = []
    for t in index.teachers_by_school[school_id]:
        if backbone is not None and counts_as_backbone(t, index.policy) != backbone:
            continue
        for i in index.by_teacher.get(t.teacher_id, ()):
            c = index.candidates[i]
            if direction is not None and c.direction != direction:
                continue
            if localities is not None and index.schools[c.to_school_id].locality not in localities:
                continue
            chosen.append(x[i])
    return chosen


def add_one_posting_per_teacher(model: cp_model.CpModel, index: CandidateIndex, x) -> None:
    for ids in index.by_teacher.values():
        if len(ids) > 1:
            model.add_at_most_one(x[i] for i in ids)


def add_need_capacity(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> tuple[Terms, int]:
    """No school receives more than it asked for; each filled post earns the unfilled-post weight back."""
    weight = int(round(index.policy.weights.unfilled_post * SCALE))
    needs_by_school: dict[str, list[int]] = defaultdict(list)
    for n_index, need in enumerate(index.needs):
        needs_by_school[need.school_id].append(n_index)
    terms: Terms = []
    offset = 0
    for school_id, need_ids in needs_by_school.items():
        posts = sum(index.needs[n].posts for n in need_ids)
        offset += weight * posts
        if not any(index.by_need.get(n) for n in need_ids):
            continue
        literal = _new_rule(model, rules, "capacity", (school_id,), posts=posts)
        for n in need_ids:
            ids = index.by_need.get(n, [])
            if len(ids) > index.needs[n].posts:
                model.add(_sum(x[i] for i in ids) <= index.needs[n].posts).only_enforce_if(literal)
            for i in ids:
                terms.append((x[i], -weight))
    return terms, offset


def add_quota_rules(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    """The 10% rule, its cap, and the backbone share per school and per cluster (quality and urban schools)."""
    policy = index.policy
    quota = policy.quota
    share = fraction(quota.backbone_min_share)
    cluster_all: dict[str, list] = defaultdict(list)
    cluster_backbone: dict[str, list] = defaultdict(list)
    for school in index.data.schools:
        if not is_quota_sender(school, policy):
            continue
        eligible = len(index.eligible_at(school.school_id))
        everyone = out_vars(index, x, school.school_id)
        backbone = out_vars(index, x, school.school_id, backbone=True)
        cluster_all[school.cluster_id] += everyone
        cluster_backbone[school.cluster_id] += backbone
        required = ceil_share(quota.min_fraction, eligible)
        if required > 0:
            rules.at_least("quota", (school.school_id,), _sum(everyone), required, required, required=required,
                           eligible=eligible, measure=_sum(everyone))
        cap = ceil_share(quota.max_fraction, eligible)
        if quota.max_fraction < 1 and everyone and len(everyone) > cap:
            literal = _new_rule(model, rules, "quota_max", (school.school_id,), cap=cap, eligible=eligible)
            model.add(_sum(everyone) <= cap).only_enforce_if(literal)
        if quota.backbone_per_school and share > 0 and everyone:
            rules.at_least("backbone_school", (school.school_id,), share.denominator * _sum(backbone),
                           share.numerator * _sum(everyone), ceil_share(share, len(everyone)),
                           per_unit=share.denominator, share=float(share), measure=_sum(backbone))
    if quota.backbone_per_cluster and share > 0:
        for cluster_id, everyone in cluster_all.items():
            if not everyone:
                continue
            rules.at_least("backbone_cluster", (cluster_id,), share.denominator * _sum(cluster_backbone[cluster_id]),
                           share.numerator * _sum(everyone), ceil_share(share, len(everyone)),
                           per_unit=share.denominator, share=float(share), measure=_sum(cluster_backbone[cluster_id]))


def add_learn_rules(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    """Learning postings (跟岗) have their own quota per sending school (those outside the 10% rule)."""
    learn = index.policy.learn
    if not learn.enabled:
        return
    for school in index.data.schools:
        eligible = len(index.eligible_at(school.school_id))
        going = out_vars(index, x, school.school_id, direction="learn")
        if not is_quota_sender(school, index.policy):
            required = ceil_share(learn.min_fraction, eligible)
            if required > 0:
                rules.at_least("learn_min", (school.school_id,), _sum(going), required, required, required=required,
                               eligible=eligible, measure=_sum(going))
        cap = ceil_share(learn.max_fraction, eligible)
        if len(going) > cap:
            literal = _new_rule(model, rules, "learn_max", (school.school_id,), cap=cap, eligible=eligible)
            model.add(_sum(going) <= cap).only_enforce_if(literal)


def add_mingzhu_rules(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    """明珠学区: half the eligible backbone teachers exchange; half of those go to rural schools."""
    rule = index.policy.mingzhu
    if not rule.enabled:
        return
    rural = fraction(rule.rural_share)
    for school in index.data.schools:
        if not is_quota_sender(school, index.policy):
            continue
        backbone_eligible = sum(1 for t in index.eligible_at(school.school_id) if counts_as_backbone(t, index.policy))
        backbone = out_vars(index, x, school.school_id, backbone=True)
        required = ceil_share(rule.backbone_fraction, backbone_eligible)
        if required > 0:
            rules.at_least("mingzhu_backbone", (school.school_id,), _sum(backbone), required, required,
                           required=required, backbone_eligible=backbone_eligible, measure=_sum(backbone))
        if backbone and rural > 0:
            to_rural = out_vars(index, x, school.school_id, backbone=True, localities=rule.rural_localities)
            rules.at_least("mingzhu_rural", (school.school_id,), rural.denominator * _sum(to_rural),
                           rural.numerator * _sum(backbone), ceil_share(rural, len(backbone)),
                           per_unit=rural.denominator, share=float(rural), measure=_sum(to_rural))


def add_mingzhu_person_times(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    """明珠学区 (003 part 2): the cluster's teachers exchange at least N person-times a year (a term: half)."""
    rule = index.policy.mingzhu
    if not rule.enabled or rule.min_person_times_per_year <= 0:
        return
    required = per_plan_period(rule.min_person_times_per_year, index.data.term)
    by_cluster: dict[str, list] = defaultdict(list)
    for school in index.data.schools:
        by_cluster[school.cluster_id] += out_vars(index, x, school.school_id)
    for cluster_id, going in sorted(by_cluster.items()):
        rules.at_least("mingzhu_person_times", (cluster_id,), _sum(going), required, required, required=required,
                       measure=_sum(going))


def add_support_rules(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    """支教结对子 (001): a quality school sends at least N excellent (backbone or famous) teachers a year
    to each school it supports (its weaker exchange partners); a term plan asks half, rounded up."""
    per_year = index.policy.support.excellent_per_year
    if per_year <= 0:
        return
    required = per_plan_period(per_year, index.data.term)
    for giver, taker in supported_schools(index.data, index.policy):
        going = [x[i] for t in index.teachers_by_school[giver] if counts_as_backbone(t, index.policy)
                 for i in index.by_teacher_school.get((t.teacher_id, taker), ())]
        rules.at_least("excellent", (giver, taker), _sum(going), required, required, required=required,
                       candidates=len({index.candidates[i].teacher_id for t in index.teachers_by_school[giver]
                                       if counts_as_backbone(t, index.policy)
                                       for i in index.by_teacher_school.get((t.teacher_id, taker), ())}),
                       measure=_sum(going))


def add_coverage_rules(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    """A sending school keeps at least one teacher of each subject for each grade it teaches."""
    for group in index.coverage:
        literal = _new_rule(model, rules, "coverage", (group.school_id, group.subject, group.grade),
                            members=len(group.members))
        going = [x[i] for t in group.movable for i in index.by_teacher[t]]
        model.add(_sum(going) <= len(group.members) - 1).only_enforce_if(literal)


def add_pins_and_forbids(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> None:
    for pin in index.data.pins:
        if pin.to_school_id is None:
            going = [x[i] for i in index.by_teacher.get(pin.teacher_id, ())]
        else:
            going = [x[i] for i in index.by_teacher_school.get((pin.teacher_id, pin.to_school_id), ())]
        literal = rules.new("pin", (pin.teacher_id, pin.to_school_id or ""), relaxable=True, options=len(going))
        model.add(_sum(going) == 1).only_enforce_if(literal)
    for forbid in index.data.forbids:
        if forbid.to_school_id is None:
            going = [x[i] for i in index.by_teacher.get(forbid.teacher_id, ())]
        else:
            going = [x[i] for i in index.by_teacher_school.get((forbid.teacher_id, forbid.to_school_id), ())]
        if going:
            literal = _new_rule(model, rules, "forbid", (forbid.teacher_id, forbid.to_school_id or ""))
            model.add(_sum(going) == 0).only_enforce_if(literal)


def add_mentoring(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook
                  ) -> tuple[dict[tuple[str, str, str], cp_model.IntVar], Terms]:
    """Every rotating backbone or famous teacher mentors young teachers of the host school:
    one (backbone), or `famous_min_apprentices` to `famous_max_apprentices` (famous: a counted rule that
    a best-effort roster may fall short of); an apprentice has one mentor and stays."""
    policy = index.policy.mentoring
    links: dict[tuple[str, str, str], cp_model.IntVar] = {}
    terms: Terms = []
    if not policy.enabled:
        return links, terms
    bonus = int(round(policy.apprentice_bonus * SCALE))
    host_literal: dict[str, cp_model.IntVar] = {}
    by_apprentice: dict[str, list] = defaultdict(list)
    for (mentor_id, host_id), apprentices in sorted(index.apprentices.items()):
        mentor = index.teachers[mentor_id]
        posted = _sum(x[i] for i in index.by_teacher_school[(mentor_id, host_id)])
        if host_id not in host_literal:
            host_literal[host_id] = _new_rule(model, rules, "mentoring", (host_id,))
        mine = []
        for apprentice_id in apprentices:
            link = model.new_bool_var(f"mentor[{mentor_id}->{apprentice_id}@{host_id}]")
            links[(mentor_id, host_id, apprentice_id)] = link
            model.add(link <= posted)
            by_apprentice[apprentice_id].append(link)
            mine.append(link)
        limit = policy.famous_max_apprentices if mentor.famous else 1
        model.add(_sum(mine) <= limit * posted)
        model.add(_sum(mine) >= posted).only_enforce_if(host_literal[host_id])
        if mentor.famous and policy.famous_min_apprentices > 1:  # 名师带教 4–8 名青年教师 (003)
            least = policy.famous_min_apprentices
            rules.at_least("famous_apprentices", (mentor_id, host_id), _sum(mine), least * posted, least,
                           required=least, apprentices=len(apprentices), measure=_sum(mine))
        if mentor.famous and bonus:
            terms += [(link, -bonus) for link in mine]
    for apprentice_id, mine in by_apprentice.items():
        leaving = [x[i] for i in index.by_teacher.get(apprentice_id, ())]
        model.add(_sum(mine) + _sum(leaving) <= 1)  # one mentor, and the apprentice stays at home
    return links, terms


def add_part_time(model: cp_model.CpModel, index: CandidateIndex, x, rules: RuleBook) -> tuple[list, Terms]:
    """跨校兼课: a teacher who does not rotate may cover one post a rotation leaves empty; it earns back
    `part_time.post_value` of the unfilled-post weight (a rotation earns all of it) and counts toward nothing else."""
    if not index.part_time:
        return [], []
    policy = index.policy
    y = [model.new_bool_var(f"part[{c.teacher_id}->{c.to_school_id}:{index.needs[c.need_index].subject}"
                            f"{index.needs[c.need_index].grade}]") for c in index.part_time]
    value = int(round(policy.part_time.post_value * policy.weights.unfilled_post * SCALE))
    by_teacher: dict[str, list] = defaultdict(list)
    by_need: dict[int, list] = defaultdict(list)
    for c in index.part_time:
        by_teacher[c.teacher_id].append(y[c.index])
        by_need[c.need_index].append(y[c.index])
    for teacher_id, mine in by_teacher.items():  # one posting of either kind
        model.add_at_most_one([x[i] for i in index.by_teacher.get(teacher_id, ())] + mine)
    capacity = {r.scope[0]: r.literal for r in rules if r.kind == "capacity"}
    for n_index, mine in by_need.items():
        need = index.needs[n_index]
        full = [x[i] for i in index.by_need.get(n_index, ())]
        model.add(_sum(mine) <= need.posts)
        if full:
            literal = capacity.get(need.school_id)
            constraint = model.add(_sum(full) + _sum(mine) <= need.posts)
            if literal is not None:
                constraint.only_enforce_if(literal)
    terms: Terms = [(y[c.index], c.cost - value) for c in index.part_time]
    return y, terms


def add_candidate_costs(index: CandidateIndex, x) -> Terms:
    return [(x[c.index], c.cost) for c in index.candidates if c.cost]


def add_change_terms(index: CandidateIndex, x, previous: RotationPlan | None) -> tuple[Terms, int]:
    """Re-planning: keeping a previous posting is cheap, dropping or moving it is dear, a new one costs a little."""
    if previous is None:
        return [], 0
    weights = index.policy.weights
    drop = int(round(weights.drop_previous * SCALE))
    add = int(round(weights.add_previous * SCALE))
    before = {p.teacher_id: p.to_school_id for p in previous.postings}
    terms: Terms = []
    offset = 0
    for teacher_id, ids in index.by_teacher.items():
        host = before.get(teacher_id)
        for i in ids:
            if index.candidates[i].to_school_id == host:
                terms.append((x[i], -drop))
            else:
                terms.append((x[i], add))
    offset += drop * len(before)
    return terms, offset


def build_posting_model(index: CandidateIndex, previous: RotationPlan | None = None, *,
                        relaxed: bool = False) -> PostingModel:
    """The posting model; `relaxed` builds the best-effort variant for a policy that cannot be met."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x[{c.teacher_id}->{c.to_school_id}:{index.needs[c.need_index].subject}"
                            f"{index.needs[c.need_index].grade}]") for c in index.candidates]
    rules = RuleBook(model, relaxed, short_weights(index.policy))
    add_one_posting_per_teacher(model, index, x)
    capacity_terms, offset = add_need_capacity(model, index, x, rules)
    add_quota_rules(model, index, x, rules)
    add_learn_rules(model, index, x, rules)
    add_mingzhu_rules(model, index, x, rules)
    add_mingzhu_person_times(model, index, x, rules)
    add_support_rules(model, index, x, rules)
    add_coverage_rules(model, index, x, rules)
    add_pins_and_forbids(model, index, x, rules)
    links, mentoring_terms = add_mentoring(model, index, x, rules)
    y, part_time_terms = add_part_time(model, index, x, rules)
    change_terms, change_offset = add_change_terms(index, x, previous)
    terms = capacity_terms + mentoring_terms + part_time_terms + add_candidate_costs(index, x) + change_terms + \
        rules.terms
    offset += change_offset + rules.offset
    model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) + offset)
    return PostingModel(index=index, model=model, x=x, links=links, rules=rules, offset=offset, y=y)
