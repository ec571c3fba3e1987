import math
from collections import Counter
from dataclasses import replace

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
    strict = MarkingPolicy(grade_window=0, best_effort=False)
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
    res = plan_marking(data, MarkingPolicy(grade_window=1, best_effort=False), time_limit_s=5)
    assert res.status == "infeasible"
    e = next(x for x in res.explanations if x.code == "marking_supply")
    assert e.numbers["needed"] > e.numbers["eligible"]
    assert f"{e.numbers['needed']} 名阅卷教师" in e.zh and f"only {e.numbers['eligible']} teachers" in e.en


def test_too_few_leaders_is_explained_with_numbers():
    data = make_marking(6)
    policy = MarkingPolicy(grade_window=1, leader_min_teaching_years=29, best_effort=False)
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


def test_every_schools_scripts_have_enough_markers_of_other_schools():
    # S1 hosts the marking and has most of the teachers: distance alone would fill groups with S1's
    # own teachers, leaving its scripts with too few teachers allowed to mark them (回避本校).
    data = make_marking(11, per_school=6)
    data = replace(data, teachers=data.teachers + tuple(
        replace(t, teacher_id=f"{t.teacher_id}-x{k}") for t in data.teachers if t.school_id == "S1" for k in range(4)))
    policy = MarkingPolicy(grade_window=1, quota_tolerance=5, quota_slack=20, weight_quota_deviation=0)
    res = plan_marking(data, policy, time_limit_s=10)
    assert res.ok, [e.en for e in res.explanations]
    assert validate_marking(data, policy, res.assignments) == []
    total = sum(data.candidates.values())
    for (subject, group), size in group_sizes(data, policy).items():
        regular = [a for a in res.assignments if (a.subject, a.item_group) == (subject, group) and a.role == "marker"]
        for school, candidates in data.candidates.items():
            others = sum(1 for a in regular if a.teacher_school_id != school)
            assert others >= max(2, math.ceil((size - 2) * candidates / total - 1e-9)), (group, school)


def test_the_validator_flags_a_group_where_a_school_lacks_markers_of_other_schools():
    data = make_marking(1)
    policy = MarkingPolicy(grade_window=1)
    res = plan_marking(data, policy, time_limit_s=10)
    assert res.ok
    group = res.assignments[0].item_group
    members = [a for a in res.assignments if a.item_group == group]
    leader_schools = {a.teacher_school_id for a in members if a.role == "leader"}
    school = next(s.school_id for s in data.schools if s.school_id not in leader_schools)
    spare = [t for t in data.teachers if t.school_id == school and t.subject == members[0].subject
             and t.teacher_id not in {a.teacher_id for a in res.assignments}]
    # every regular marker of the group replaced by teachers of one school (as long as it has spares)
    rows = [a for a in res.assignments if a.item_group != group or a.role == "leader"]
    regular = [a for a in members if a.role == "marker"]
    takers = [t for t in data.teachers if t.school_id == school and t.subject == members[0].subject]
    rows += [replace(a, teacher_id=t.teacher_id, teacher_school_id=school) for a, t in zip(regular, takers)]
    del spare
    flagged = [v for v in validate_marking(data, policy, rows, check_quota=False) if v.code == "own_school"]
    assert any(v.details["school_id"] == school for v in flagged)


def test_a_school_too_large_for_the_other_schools_markers_is_explained_with_numbers():
    data = make_marking(12, n_schools=3, scripts=800)
    few = tuple(t for t in data.teachers if t.school_id == "S1" or int(t.teacher_id[-2:]) <= 6)  # 3 a subject
    clones = tuple(replace(t, teacher_id=f"{t.teacher_id}-x") for t in data.teachers if t.school_id == "S1")
    data = replace(data, teachers=few + clones,
                   candidates={**data.candidates, "S1": 20 * sum(data.candidates.values())})
    res = plan_marking(data, MarkingPolicy(grade_window=1, quota_tolerance=5, quota_slack=50, best_effort=False),
                       time_limit_s=10)
    assert res.status == "infeasible"
    e = next(x for x in res.explanations if x.code == "marking_own_school")
    assert e.numbers["school_id"] == "S1" and e.numbers["needed"] > e.numbers["eligible"]
    share = data.candidates["S1"] / sum(data.candidates.values())
    assert f"考生占 {share:.0%}" in e.zh and f"共需 {e.numbers['needed']} 名外校阅卷教师" in e.zh


def test_groups_too_small_to_keep_every_school_off_its_own_scripts_are_explained_by_the_solver():
    # three regular markers a group: S1's scripts (97%) need all three from S2 and S3, but then one
    # of those schools has two of them and its own scripts only one marker of another school
    data = make_marking(12, n_schools=3)
    data = replace(data, candidates={**data.candidates, "S1": 20 * sum(data.candidates.values())})
    res = plan_marking(data, MarkingPolicy(grade_window=1, quota_tolerance=5, quota_slack=50, best_effort=False),
                       time_limit_s=10)
    assert res.status == "infeasible"
    core = next(e for e in res.explanations if e.code == "solver_core")
    assert core.numbers["groups"] == ["own_school"] and "回避本校" in core.zh


def test_the_work_share_part_of_own_school_cover_can_be_switched_off():
    data = make_marking(12, n_schools=3, scripts=800)
    few = tuple(t for t in data.teachers if t.school_id == "S1" or int(t.teacher_id[-2:]) <= 10)
    clones = tuple(replace(t, teacher_id=f"{t.teacher_id}-x") for t in data.teachers if t.school_id == "S1")
    data = replace(data, teachers=few + clones, candidates={**data.candidates, "S1": 3 * sum(data.candidates.values())})
    strict = MarkingPolicy(grade_window=1, quota_tolerance=5, quota_slack=50, best_effort=False)
    refused = plan_marking(data, strict, time_limit_s=10)
    assert refused.status == "infeasible"
    assert any("own_school_work_cover = false" in e.en for e in refused.explanations)
    loose = replace(strict, own_school_work_cover=False)
    res = plan_marking(data, loose, time_limit_s=10)
    assert res.ok, [e.en for e in res.explanations]
    assert validate_marking(data, loose, res.assignments) == []
    for (subject, group) in group_sizes(data, loose):  # still two markers of other schools for every school
        regular = [a for a in res.assignments if (a.subject, a.item_group) == (subject, group) and a.role == "marker"]
        for school in data.candidates:
            assert sum(1 for a in regular if a.teacher_school_id != school) >= 2
