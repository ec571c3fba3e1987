import math
from collections import Counter
from dataclasses import replace

import pytest

from scheduling.exam_logistics import (MarkingForbid, MarkingPin, MarkingPolicy, group_sizes, plan_marking,
                                       repair_marking, validate_marking)
from scheduling.exam_logistics.validate import required_group_size

from .conftest import make_marking


def test_group_size_formula():
    p = MarkingPolicy(double_marking_share=0.5, third_mark_share=0.1, margin=0.2)
    # 1000 scripts × 1.6 × 60 s = 96,000 s of work; 8 h = 28,800 s per marker → 3.33 → ×1.2 = 4.0 → 4
    p = replace(p, leader_counts_in_group=True)
    assert required_group_size(1000, 60, 8, p) == math.ceil(1000 * 1.6 * 60 / 28800 * 1.2)
    # leaders who only arbitrate come on top: a leader and a deputy
    assert required_group_size(1000, 60, 8, replace(p, leader_counts_in_group=False)) == 4 + 2
    # double-marked scripts need three markers even for tiny groups (two of other schools for any script)
    assert required_group_size(10, 10, 8, p) == 3
    assert required_group_size(10, 10, 8, replace(p, double_marking_share=0.0)) == 1


def test_plan_is_valid_and_proportional():
    data = make_marking(1)
    policy = MarkingPolicy(grade_window=1)
    res = plan_marking(data, policy, time_limit_s=10)
    assert res.ok, [e.en for e in res.explanations]
    assert validate_marking(data, policy, res.assignments) == []
    sizes = group_sizes(data, policy)
    got = Counter((a.subject, a.item_group) for a in res.assignments)
    assert dict(got) == sizes
    for g in sizes:  # a leader and a deputy, of different schools
        leaders = [a for a in res.assignments if (a.subject, a.item_group) == g and a.role == "leader"]
        assert len(leaders) == policy.leaders_per_group == 2
        assert len({a.teacher_school_id for a in leaders}) == 2


def test_adjacent_grades_only_when_allowed():
    data = make_marking(2)
    strict = MarkingPolicy(grade_window=0)
    res = plan_marking(data, strict, time_limit_s=10)
    if res.ok:
        assert all(9 in data.teacher_by_id[a.teacher_id].grades for a in res.assignments)
    else:
        assert any(e.code in ("marking_supply", "marking_leaders", "marking_quota", "solver_core") for e in res.explanations)
    loose = plan_marking(data, MarkingPolicy(grade_window=1), time_limit_s=10)
    assert loose.ok and validate_marking(data, MarkingPolicy(grade_window=1), loose.assignments) == []


def test_centralised_distance_and_online_mode():
    data = make_marking(3)
    far = replace(data, schools=tuple(replace(s, lat=s.lat + (1.0 if s.school_id == "S4" else 0.0)) for s in data.schools))
    # one leader a group: with S4 out of reach, the small instance has three qualified leaders left
    central = MarkingPolicy(grade_window=1, max_km=40, quota_tolerance=5, leaders_per_group=1)
    res = plan_marking(far, central, time_limit_s=10)
    assert res.ok
    assert not any(a.teacher_school_id == "S4" for a in res.assignments)  # ~110 km away
    online = plan_marking(far, replace(central, mode="online"), time_limit_s=10)
    assert online.ok and validate_marking(far, replace(central, mode="online"), online.assignments) == []


def test_too_few_markers_is_explained_with_numbers():
    data = make_marking(4, per_school=4, scripts=4000, hours=4)
    res = plan_marking(data, MarkingPolicy(grade_window=1), time_limit_s=5)
    assert res.status == "infeasible"
    e = next(x for x in res.explanations if x.code == "marking_supply")
    assert e.numbers["needed"] > e.numbers["eligible"]
    assert f"{e.numbers['needed']} 名阅卷教师" in e.zh and f"only {e.numbers['eligible']} teachers" in e.en


def test_too_few_leaders_is_explained_with_numbers():
    data = make_marking(6)
    policy = MarkingPolicy(grade_window=1, leader_min_teaching_years=29)
    res = plan_marking(data, policy, time_limit_s=5)
    assert res.status == "infeasible"
    e = next(x for x in res.explanations if x.code == "marking_leaders")
    groups = sum(1 for g in data.groups if g.subject == e.numbers["subject"])
    assert e.numbers["groups"] == groups and e.numbers["leaders_needed"] == groups * policy.leaders_per_group
    assert e.numbers["leaders"] < e.numbers["leaders_needed"]
    assert f"有 {groups} 个题组" in e.zh and f"{groups} item groups" in e.en


def test_pins_forbids_and_repair():
    data = make_marking(5)
    policy = MarkingPolicy(grade_window=1)
    base = plan_marking(data, policy, time_limit_s=10)
    assert base.ok
    leader = next(a for a in base.assignments if a.role == "leader")
    other = next(t for t in data.teachers if t.subject == "math" and t.teacher_id not in {a.teacher_id for a in base.assignments}
                 and any(abs(g - 9) <= 1 for g in t.grades))
    pins = [MarkingPin(other.teacher_id, "math", "M-G1")]
    forbids = [MarkingForbid(leader.teacher_id)]
    res = plan_marking(data, policy, time_limit_s=10, pins=pins, forbids=forbids)
    assert res.ok
    assert validate_marking(data, policy, res.assignments, pins=pins, forbids=forbids) == []
    absent = [base.assignments[1].teacher_id]
    rep, changes = repair_marking(base, absent, data, policy, time_limit_s=10)
    assert rep.ok and validate_marking(data, policy, rep.assignments, forbids=[MarkingForbid(t) for t in absent],
                                       check_quota=False) == []
    kinds = Counter(c.kind for c in changes)
    assert kinds["removed"] == 1 and kinds["added"] == 1 and kinds["moved"] == 0
