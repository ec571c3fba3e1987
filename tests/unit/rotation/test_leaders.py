"""Leaders' exchange days and principals' exchange months."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from scheduling.rotation import Forbid, RotationPolicy, plan_rotation
from scheduling.rotation.leaders import school_pairs
from scheduling.rotation.validate import validate_roster

from tests.unit.rotation.builders import lead_school, school, teacher, world

LEADERS_ONLY = {"quota": {"min_fraction": 0.0}, "support": {"excellent_per_year": 0}}


def cluster(members: int, leaders_per_school: int, lead_leaders: int | None = None, **kw):
    schools = [lead_school("S0")] + [school(f"S{i}", 5.0 * i) for i in range(1, members + 1)]
    teachers = []
    for s in schools:
        count = lead_leaders if (lead_leaders is not None and s.school_id == "S0") else leaders_per_school
        teachers += [teacher(f"{s.school_id}L{k}", s.school_id, role="leader") for k in range(count)]
        teachers.append(teacher(f"{s.school_id}P", s.school_id, role="principal"))
    return world(schools, teachers, [], **kw)


def rules(**leaders) -> RotationPolicy:
    return RotationPolicy().replace(leaders=leaders, **LEADERS_ONLY) if leaders else \
        RotationPolicy().replace(**LEADERS_ONLY)


def test_a_pair_exchanges_two_leaders_a_month_on_different_weekdays():
    data = cluster(1, 2, term=1)
    policy = rules()
    result = plan_rotation(data, policy, time_limit_s=10, num_workers=1)
    assert result.status == "OPTIMAL"
    by_month = defaultdict(list)
    for e in result.plan.leader_exchanges:
        by_month[e.month].append(e)
    assert sorted(by_month) == [1, 9, 10, 11, 12]
    for month, pair in by_month.items():
        assert sorted(e.from_school_id for e in pair) == ["S0", "S1"]
        assert pair[0].weekday != pair[1].weekday
        assert all(e.start.month == month and 1 <= e.weekday <= 5 for e in pair)
    months = {e.from_school_id: e.month for e in result.plan.principal_months}
    assert set(months) == {"S0", "S1"} and months["S0"] != months["S1"]
    assert validate_roster(data, policy, result.plan) == []


def test_load_is_spread_over_a_schools_leaders():
    data = cluster(1, 4, term=None)  # 10 months, 5 leaders including the principal
    result = plan_rotation(data, rules(), time_limit_s=10, num_workers=1)
    count = defaultdict(int)
    for e in result.plan.leader_exchanges:
        count[e.teacher_id] += 1
    s0 = [count[t] for t in count if t.startswith("S0")]
    assert sum(s0) == 10 and max(s0) - min(s0) <= 1 and len(s0) == 5


def test_a_lead_school_with_more_partners_than_leaders():
    data = cluster(4, 2, lead_leaders=1, term=1)  # the lead has 2 exchange leaders (one is the principal)
    strict = rules(max_pairs_per_leader_per_month=1)
    result = plan_rotation(data, strict, time_limit_s=10, num_workers=1)
    assert result.status == "INFEASIBLE" and result.stats["blocked"] == []
    # a best-effort plan: 2 leaders × 1 pair a month, one fewer in the principal's month
    waits = result.stats["leader_waits"]
    assert sum(len(months) for months in waits.values()) == 5 * 4 - (5 * 2 - 1)
    wait = next(e for e in result.explanations if e.rule == "leader_wait")
    assert wait.numbers["pairs"] == 4 and wait.numbers["leaders"] == 2 and wait.numbers["limit"] == 1
    assert "max_pairs_per_leader_per_month 从 1 提高到 4" in wait.suggestion_zh and "已重算验证" in wait.suggestion_zh
    policy = rules(max_pairs_per_leader_per_month=2, principals_as_leaders=True)
    result = plan_rotation(data, replace(policy, principals=replace(policy.principals, enabled=False)),
                           time_limit_s=10, num_workers=1)
    assert result.status == "OPTIMAL"
    busy = defaultdict(list)
    for e in result.plan.leader_exchanges:
        busy[(e.teacher_id, e.month)].append(e.weekday)
    assert all(len(days) == len(set(days)) <= 2 for days in busy.values())


def test_leaders_get_a_best_effort_plan_and_the_pairs_that_wait_are_named():
    """Four partners, two leaders serving two pairs each: every month but the principal's own."""
    data = cluster(4, 2, lead_leaders=1, term=1)
    policy = rules()
    result = plan_rotation(data, policy, time_limit_s=10, num_workers=1)
    assert result.status == "INFEASIBLE" and result.relaxed and result.stats["blocked"] == []
    principal_month = next(e.month for e in result.plan.principal_months if e.from_school_id == "S0")
    waits = result.stats["leader_waits"]
    assert len(waits) == 2 and all(months == [principal_month] for months in waits.values())
    named = {e.scope: e for e in result.explanations if e.rule == "leader_wait"}
    assert set(named) == set(waits)
    for e in named.values():
        assert f"{principal_month} 月暂停干部交流" in e.message_zh and "校长外出交流的那个月少 1 人" in e.message_zh
        assert e.numbers["suggest_max_pairs_per_leader_per_month"] == 4
    # the rest of the plan keeps every rule: the validator names only the waiting pair-months
    violations = validate_roster(data, policy, result.plan)
    assert {(v.subject, v.message) for v in violations} == {
        (pair, f"month {principal_month}: exchanges from nobody") for pair in waits}
    # the suggestion, followed, makes the leaders' plan complete
    fixed = plan_rotation(data, rules(max_pairs_per_leader_per_month=4), time_limit_s=10, num_workers=1)
    assert fixed.status == "OPTIMAL" and validate_roster(data, rules(max_pairs_per_leader_per_month=4),
                                                         fixed.plan) == []


def test_a_school_without_leaders_is_named():
    data = cluster(2, 1)
    data = replace(data, teachers=tuple(t for t in data.teachers if t.school_id != "S2"))
    result = plan_rotation(data, rules(), time_limit_s=10, num_workers=1)
    pair = next(e for e in result.explanations if e.rule == "leader_wait")
    assert pair.scope == "S0-S2" and "只有 0 名中层干部/校长" in pair.message_zh
    assert len(result.stats["leader_waits"]["S0-S2"]) == 10  # every month of the year waits; S0-S1 does not
    assert "S0-S1" not in result.stats["leader_waits"]


def test_principals_exchange_only_in_their_term_and_forbidden_leaders_stay_home():
    data = cluster(1, 2, term=2)
    result = plan_rotation(data, rules(), time_limit_s=10, num_workers=1)
    assert result.plan.principal_months == ()  # principals exchange in term 1
    barred = replace(data, forbids=(Forbid("S0L0"),))
    result = plan_rotation(barred, rules(), time_limit_s=10, num_workers=1)
    assert result.status == "OPTIMAL"
    assert "S0L0" not in {e.teacher_id for e in result.plan.leader_exchanges}
    assert validate_roster(barred, rules(), result.plan) == []


def test_pairing_rules():
    data = cluster(3, 1)
    assert school_pairs(data, RotationPolicy()) == [("S0", "S1"), ("S0", "S2"), ("S0", "S3")]
    assert len(school_pairs(data, RotationPolicy().replace(leaders={"pairing": "all_pairs"}))) == 6
    assert school_pairs(replace(data, school_pairs=(("S1", "S2"),)), RotationPolicy()) == [("S1", "S2")]


def test_replanning_keeps_the_leaders_schedule():
    data = cluster(2, 3, term=1)
    first = plan_rotation(data, rules(), time_limit_s=10, num_workers=1)
    same = plan_rotation(data, rules(), time_limit_s=10, num_workers=1, previous=first.plan)
    assert same.stats["changed_leaders"] == 0
    away = next(e for e in first.plan.leader_exchanges if e.from_school_id == "S1")
    ill = plan_rotation(replace(data, forbids=(Forbid(away.teacher_id),)), rules(), time_limit_s=10, num_workers=1,
                        previous=first.plan)
    lost = sum(1 for e in first.plan.leader_exchanges if e.teacher_id == away.teacher_id)
    assert ill.status == "OPTIMAL" and ill.stats["changed_leaders"] <= 2 * lost + 2


def test_explain_infeasibility_covers_the_leaders():
    from scheduling.rotation import explain_infeasibility
    data = cluster(4, 2, lead_leaders=1, term=1)
    reasons = explain_infeasibility(data, rules(max_pairs_per_leader_per_month=1), time_limit_s=10)
    assert "leader_load" in {e.rule for e in reasons}
    # Two leaders for four pairs: the principal's month away leaves one leader for four pairs.
    reasons = explain_infeasibility(data, rules(), time_limit_s=10)
    assert {"leader_load", "principal_month"} <= {e.rule for e in reasons}
    no_principals = rules().replace(principals={"enabled": False})
    assert explain_infeasibility(data, no_principals, time_limit_s=10) == []
