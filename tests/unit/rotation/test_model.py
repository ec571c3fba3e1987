"""The teachers' postings: each rule of the policy shapes the roster the way the planner expects.

Every feasible roster is also checked by the independent validator.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from scheduling.rotation import Forbid, Pin, plan_rotation
from scheduling.rotation.validate import validate_roster

from tests.unit.rotation.builders import filler, keeper, lead_school, need, policy, school, teacher, world, young


def two_schools(teachers, needs, *, s2_km: float = 10.0, **kw):
    """S1 (quality, urban, lead) and S2 (weak, rural, hardship 2); S1 keeps a math grade-3 teacher at home."""
    schools = [lead_school("S1", 0.0), school("S2", s2_km, hardship=2)] + kw.pop("extra_schools", [])
    return world(schools, list(teachers) + [keeper("S1")], needs, **kw)


def solve(data, rules=None, **kw):
    rules = rules or policy()
    result = plan_rotation(data, rules, time_limit_s=10, num_workers=1, **kw)
    if result.feasible and not result.relaxed:
        assert validate_roster(data, rules, result.plan) == []
    return result


def posted(result) -> dict[str, str]:
    return {p.teacher_id: p.to_school_id for p in result.plan.postings}


NO_QUOTA = {"quota": {"min_fraction": 0.0, "backbone_min_share": 0.0}}


def test_volunteers_are_preferred():
    data = two_schools([teacher("T1", "S1"), teacher("T2", "S1", volunteer=True)], [need("S2")])
    result = solve(data, policy(quota={"backbone_min_share": 0.0}))
    assert result.status == "OPTIMAL"
    assert posted(result) == {"T2": "S2"}


def test_backbone_share_picks_a_backbone_teacher_and_gives_him_an_apprentice():
    teachers = [teacher("T1", "S1", volunteer=True), teacher("T2", "S1", backbone=True), young("Y1", "S2")]
    data = two_schools(teachers, [need("S2")])
    assert posted(solve(data, policy(quota={"backbone_min_share": 0.0}))) == {"T1": "S2"}
    result = solve(data)
    assert posted(result) == {"T2": "S2"}
    assert [(m.mentor_id, m.apprentice_id, m.school_id) for m in result.plan.mentoring] == [("T2", "Y1", "S2")]
    assert result.plan.postings[0].backbone


def test_quota_is_ten_percent_of_eligible_teachers_rounded_up():
    teachers = [teacher(f"T{i}", "S1", volunteer=True, backbone=i < 2) for i in range(11)]
    teachers += [young("Y1", "S2"), young("Y2", "S2")] + filler("S1", 5)  # fillers are not eligible
    data = two_schools(teachers, [need("S2", posts=5)])
    result = solve(data)
    assert len(result.plan.postings) == 5  # every post filled: more than the quota of ⌈1.1⌉ = 2
    short = two_schools(teachers, [need("S2", posts=1)])
    result = solve(short)
    assert result.status == "INFEASIBLE"  # the quota of 2 cannot be met with one post
    assert any(e.rule == "quota" and e.numbers["required"] == 2 for e in result.explanations)


def test_distance_limit_is_from_home():
    teachers = [teacher("T1", "S1", home_km=60.0), teacher("T2", "S1", home_km=-35.0)]
    data = two_schools(teachers, [need("S2")])
    result = solve(data, policy(**NO_QUOTA))
    assert posted(result) == {}  # 50 km and 45 km from home
    assert result.shortfalls[0].reason_code == "too_far"
    assert result.shortfalls[0].numbers["nearest_km"] == pytest.approx(45.0, abs=0.2)
    assert posted(solve(data, policy(distance={"max_km": 46}, **NO_QUOTA))) == {"T2": "S2"}


def test_home_missing_uses_the_school():
    data = two_schools([teacher("T1", "S1")], [need("S2")], s2_km=41.0)
    assert posted(solve(data, policy(**NO_QUOTA))) == {}
    near = two_schools([teacher("T1", "S1")], [need("S2")], s2_km=39.0)
    result = solve(near, policy(**NO_QUOTA))
    assert posted(result) == {"T1": "S2"} and result.plan.postings[0].distance_km == pytest.approx(39.0, abs=0.1)


def test_a_sending_school_keeps_one_teacher_of_each_subject_and_grade():
    teachers = [teacher("T1", "S1", "music", (3,)), teacher("T2", "S1", "music", (4,))]
    data = two_schools(teachers, [need("S2", "music", 3)])
    result = solve(data, policy(**NO_QUOTA))
    assert posted(result) == {}
    assert result.shortfalls[0].reason_code == "taken"
    assert posted(solve(data, policy(scope={"keep_subject_coverage": False}, **NO_QUOTA))) == {"T1": "S2"}
    teachers.append(teacher("T3", "S1", "music", (3, 4), years_at_school=2))  # not eligible, but stays
    assert posted(solve(two_schools(teachers, [need("S2", "music", 3)]), policy(**NO_QUOTA))) == {"T1": "S2"}


def test_no_school_receives_more_than_it_asked_for_and_grades_must_match():
    teachers = [teacher(f"T{i}", "S1", grades=(3, 4) if i % 2 else (5,)) for i in range(8)]
    data = two_schools(teachers, [need("S2", grade=3, posts=2), need("S2", grade=5, posts=1)])
    result = solve(data, policy(**NO_QUOTA))
    got = [(p.grade, p.teacher_id) for p in result.plan.postings]
    assert sorted(g for g, _ in got) == [3, 3, 5]
    for grade, teacher_id in got:
        assert grade in data.teacher(teacher_id).grades


def test_mentor_needs_a_young_teacher_of_the_same_subject_and_a_shared_grade():
    rules = policy(**NO_QUOTA)
    backbone = teacher("T1", "S1", backbone=True)
    lonely = solve(two_schools([backbone], [need("S2")]), rules)
    assert posted(lonely) == {} and lonely.shortfalls[0].reason_code == "mentoring"
    assert lonely.shortfalls[0].numbers["mentors_without_apprentice"] == 1
    assert posted(solve(two_schools([backbone, young("Y1", "S2", grades=(5,))], [need("S2")]), rules)) == {}
    assert posted(solve(two_schools([backbone, young("Y1", "S2", teaching_years=6)], [need("S2")]), rules)) == {}
    assert posted(solve(two_schools([backbone, young("Y1", "S2", "chinese")], [need("S2")]), rules)) == {}
    assert posted(solve(two_schools([backbone, young("Y1", "S2", grades=(2, 3))], [need("S2")]), rules)) == \
        {"T1": "S2"}
    off = solve(two_schools([backbone], [need("S2")]), policy(mentoring={"enabled": False}, **NO_QUOTA))
    assert posted(off) == {"T1": "S2"} and off.plan.mentoring == ()


def test_an_apprentice_has_one_mentor():
    teachers = [teacher("T1", "S1", backbone=True), teacher("T2", "S1", backbone=True), young("Y1", "S2")]
    result = solve(two_schools(teachers, [need("S2", posts=2)]), policy(**NO_QUOTA))
    assert len(result.plan.postings) == 1 and len(result.plan.mentoring) == 1
    short = result.shortfalls[0]
    assert short.unfilled == 1 and short.reason_code == "taken"
    assert short.numbers["kept_home"] == 1 and short.numbers["posted_elsewhere"] == 0


def test_a_famous_teacher_mentors_up_to_the_limit():
    teachers = [teacher("T1", "S1", backbone=True, famous=True)] + [young(f"Y{i}", "S2") for i in range(4)]
    data = two_schools(teachers, [need("S2")])
    assert len(solve(data, policy(**NO_QUOTA)).plan.mentoring) == 4
    assert len(solve(data, policy(mentoring={"famous_min_apprentices": 1, "famous_max_apprentices": 2}, **NO_QUOTA)).plan.mentoring) == 2


def test_pins_override_distance_and_forbids_are_kept():
    teachers = [teacher("T1", "S1", home_km=70.0, volunteer=True), teacher("T2", "S1")]
    data = two_schools(teachers, [need("S2")])
    assert posted(solve(data, policy(**NO_QUOTA))) == {"T2": "S2"}
    pinned = replace(data, pins=(Pin("T1", "S2"),))
    assert posted(solve(pinned, policy(**NO_QUOTA))) == {"T1": "S2"}
    forbidden = replace(data, forbids=(Forbid("T2"),))
    assert posted(solve(forbidden, policy(**NO_QUOTA))) == {}
    extra = two_schools([teacher("T1", "S1", volunteer=True), teacher("T2", "S1")], [need("S2"), need("S3")],
                        extra_schools=[school("S3", 20.0)], forbids=(Forbid("T1", "S2"),))
    assert posted(solve(extra, policy(**NO_QUOTA))) == {"T1": "S3", "T2": "S2"}


def test_a_pin_to_some_school_overrides_eligibility():
    data = two_schools([teacher("T1", "S1", years_at_school=2)], [need("S2")], pins=(Pin("T1"),))
    assert posted(solve(data, policy(**NO_QUOTA))) == {"T1": "S2"}


def test_replanning_keeps_every_other_assignment():
    teachers = [teacher(f"T{i:02d}", "S1", volunteer=i % 3 == 0, home_km=float(i)) for i in range(20)]
    teachers += [teacher(f"U{i:02d}", "S4", volunteer=True) for i in range(6)]
    schools = [lead_school("S1"), school("S2", 8.0), school("S3", 15.0), lead_school("S4", 2.0, cluster="C2"),
               school("S5", 12.0, cluster="C2")]
    needs = [need("S2", posts=3), need("S3", posts=2), need("S5", posts=2)]
    data = world(schools, teachers, needs)
    rules = policy(quota={"backbone_min_share": 0.0})
    first = solve(data, rules)
    assert first.status == "OPTIMAL" and len(first.plan.postings) == 7
    ill = first.plan.postings[0].teacher_id
    again = solve(replace(data, forbids=(Forbid(ill),)), rules, previous=first.plan)
    assert again.status == "OPTIMAL" and ill not in posted(again)
    assert again.changed == 2  # the ill teacher out, one replacement in
    kept = {t: s for t, s in posted(first).items() if t != ill}
    assert {t: s for t, s in posted(again).items() if t in kept} == kept
    fewer = solve(replace(data, needs=(need("S2", posts=3), need("S3", posts=1), need("S5", posts=2))), rules,
                  previous=first.plan)
    assert fewer.changed == 1 and len(fewer.plan.postings) == 6
    assert set(posted(fewer).items()) <= set(posted(first).items())
    same = solve(data, rules, previous=first.plan)
    assert same.changed == 0


def test_learning_postings_bring_rural_teachers_to_urban_schools():
    teachers = [teacher("R1", "S2", volunteer=True), keeper("S2")] + filler("S1", 5)
    data = two_schools(teachers, [need("S1")])
    result = solve(data)
    assert posted(result) == {"R1": "S1"} and result.plan.postings[0].direction == "learn"
    assert posted(solve(data, policy(learn={"enabled": False}))) == {}
    assert posted(solve(data, policy(learn={"max_fraction": 0.0}))) == {}


def test_cross_cluster_postings_only_when_the_policy_allows():
    schools = [lead_school("S1"), school("S2", 12.0), school("S3", 5.0, cluster="C2"), lead_school("S4", 30.0, cluster="C2")]
    data = world(schools, [teacher("T1", "S1"), teacher("T2", "S1", home_km=-40.0), keeper("S1")], [need("S3")])
    assert posted(solve(data, policy(**NO_QUOTA))) == {}
    result = solve(data, policy(scope={"cross_cluster": True}, **NO_QUOTA))
    assert posted(result) == {"T1": "S3"}


def test_mingzhu_rule_sends_half_the_backbone_teachers_and_half_of_those_to_rural_schools():
    teachers = [teacher(f"B{i}", "S1", backbone=True) for i in range(4)]
    teachers += [teacher(f"V{i}", "S1", volunteer=True) for i in range(4)]
    teachers += [young(f"Y{i}", "S3") for i in range(4)] + [young("YR", "S2")]
    schools = [lead_school("S1"), school("S2", 30.0, hardship=2), school("S3", 2.0, locality="urban")]
    data = world(schools, teachers, [need("S3", posts=4), need("S2", posts=1)])
    plain = solve(data)
    assert sum(p.backbone for p in plain.plan.postings) == 1  # 20% of 5
    rules = policy(mingzhu={"enabled": True})
    result = solve(data, rules)
    backbone = [p for p in result.plan.postings if p.backbone]
    assert len(backbone) >= 2
    assert sum(p.to_school_id == "S2" for p in backbone) * 2 >= len(backbone)


def test_teachers_who_rotated_before_wait_their_turn():
    data = two_schools([teacher("T1", "S1", last_rotation_year=2019), teacher("T2", "S1")], [need("S2")])
    assert posted(solve(data, policy(quota={"backbone_min_share": 0.0}))) == {"T2": "S2"}


def test_gender_specific_retirement_applies():
    teachers = [teacher("T1", "S1", birth_year=1973, gender="F", volunteer=True), teacher("T2", "S1", gender="M")]
    data = two_schools(teachers, [need("S2")])
    rules = {"quota": {"backbone_min_share": 0.0}}
    assert posted(solve(data, policy(**rules))) == {"T1": "S2"}
    assert posted(solve(data, policy(eligibility={"retirement_age_by_gender": {"F": 55}}, **rules))) == {"T2": "S2"}


def test_subsidy_by_distance_band_and_host_hardship():
    data = two_schools([teacher("T1", "S1", home_km=-15.0)], [need("S2")])  # 25 km from home, hardship 2
    posting = solve(data, policy(**NO_QUOTA)).plan.postings[0]
    assert posting.distance_km == pytest.approx(25.0, abs=0.1)
    assert posting.subsidy_yuan_per_month == 800
    assert posting.start.isoformat() == "2025-09-01" and posting.end.isoformat() == "2026-07-15"
    term = solve(replace(data, term=2), policy(**NO_QUOTA)).plan.postings[0]
    assert term.start.isoformat() == "2026-03-01"
