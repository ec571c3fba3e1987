"""The seeds' rules the roster lacked: 001 excellent teachers per supported school and part-time teaching
(跨校兼课), 003 Mingzhu person-times and a famous teacher's 4–8 apprentices — model, validator, explanations."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from scheduling.rotation import Pin, plan_rotation, validate_roster, write_rotation_csv
from scheduling.rotation.attainment import attainment

from tests.unit.rotation.builders import keeper, lead_school, need, policy, school, teacher, world, young

NO_QUOTA = {"quota": {"min_fraction": 0.0, "backbone_min_share": 0.0}}


def solve(data, rules, **kw):
    return plan_rotation(data, rules, time_limit_s=10, num_workers=1, **kw)


def support_world(backbone: int):
    """A quality lead and the weak school it supports, which asks for 4 math posts this term."""
    teachers = [teacher(f"B{i}", "S1", backbone=True) for i in range(backbone)]
    teachers += [teacher(f"T{i}", "S1", volunteer=True) for i in range(4)] + [keeper("S1")]
    teachers += [young(f"Y{i}", "S2") for i in range(4)] + [keeper("S2", "chinese")]
    return world([lead_school("S1"), school("S2", 10.0)], teachers, [need("S2", posts=4)], term=1)


def test_a_quality_school_sends_excellent_teachers_to_each_school_it_supports():
    rules = policy(support={"excellent_per_year": 4}, **NO_QUOTA)  # a term: ⌈4 / 2⌉ = 2
    result = solve(support_world(backbone=3), rules)
    assert result.status == "OPTIMAL"
    assert sum(1 for p in result.plan.postings if p.backbone and p.to_school_id == "S2") >= 2
    assert validate_roster(support_world(3), rules, result.plan) == []
    # without the rule nobody needs to send a backbone teacher
    free = solve(support_world(backbone=3), policy(**NO_QUOTA))
    assert sum(1 for p in free.plan.postings if p.backbone) < 2


def test_too_few_excellent_teachers_is_explained_with_a_verified_value():
    data, rules = support_world(backbone=1), policy(support={"excellent_per_year": 4}, **NO_QUOTA)
    result = solve(data, rules)
    assert result.status == "INFEASIBLE" and result.stats["broken"] == {"excellent:S1/S2": 1}
    e = next(e for e in result.explanations if e.rule == "excellent")
    assert "S1校" in e.message_zh and "S2校" in e.message_zh and "至少 2 名优秀教师" in e.message_zh
    assert e.numbers["short"] == 1 and e.numbers["roster_excellent"] == 1
    assert e.numbers["suggest_excellent_per_year"] == 2 and "已重算验证" in e.suggestion_zh
    assert "support.excellent_per_year" in e.suggestion_en and "verified by re-solving" in e.suggestion_en
    assert [v.rule for v in validate_roster(data, rules, result.plan)] == ["excellent"]
    followed = policy(support={"excellent_per_year": e.numbers["suggest_excellent_per_year"]}, **NO_QUOTA)
    assert solve(data, followed).status == "OPTIMAL"


def test_mingzhu_teachers_exchange_eight_person_times_a_year():
    data = support_world(backbone=0)
    rules = policy(mingzhu={"enabled": True, "backbone_fraction": 0.0, "rural_share": 0.0}, **NO_QUOTA)
    result = solve(data, rules)  # a term: at least ⌈8 / 2⌉ = 4 exchanges, and S2 asks for 4 posts
    assert result.status == "OPTIMAL" and len(result.plan.postings) == 4
    short = replace(data, needs=(need("S2", posts=3),))
    result = solve(short, rules)
    assert result.status == "INFEASIBLE" and result.stats["broken"] == {"mingzhu_person_times:C1": 1}
    e = next(e for e in result.explanations if e.rule == "mingzhu_person_times")
    assert e.numbers["suggest_min_person_times"] == 6 and "已重算验证" in e.suggestion_zh
    assert [v.rule for v in validate_roster(short, rules, result.plan)] == ["mingzhu"]


def test_a_famous_teacher_mentors_four_to_eight_young_teachers():
    teachers = [teacher("F1", "S1", backbone=True, famous=True), keeper("S1")]
    young4 = [young(f"Y{i}", "S2") for i in range(4)]
    data = world([lead_school("S1"), school("S2", 10.0)], teachers + young4, [need("S2")])
    rules = policy(**NO_QUOTA)
    result = solve(data, rules)
    assert [m.mentor_id for m in result.plan.mentoring] == ["F1"] * 4
    three = replace(data, teachers=tuple(teachers + young4[:3]))
    assert solve(three, rules).plan.postings == ()  # fewer than 4 young teachers there: the famous teacher stays
    pinned = solve(replace(three, pins=(Pin("F1", "S2"),)), rules)
    assert pinned.relaxed and pinned.stats["broken"] == {"famous_apprentices:F1/S2": 1}
    assert [v.rule for v in validate_roster(three, rules, pinned.plan)] == ["famous_apprentices"]
    e = next(e for e in pinned.explanations if e.rule == "famous_apprentices")
    assert "至少 4 名青年教师" in e.message_zh and "只有 3 名" in e.message_zh


def test_part_time_teaching_covers_a_post_rotation_leaves_empty_and_is_not_a_rotation(tmp_path):
    teachers = [teacher("T1", "S1", volunteer=True), teacher("N1", "S1", "english", (5,), years_at_school=2),
                keeper("S1")]
    data = world([lead_school("S1"), school("S2", 10.0), school("S3", 30.0)], teachers,
                 [need("S2"), need("S2", "english", 5), need("S3", "english", 5)], term=1)
    rules = policy(part_time={"enabled": True, "hours_per_week": 6}, quota={"min_fraction": 0.1, "backbone_min_share": 0.0})
    result = solve(data, rules)
    assert result.status == "OPTIMAL"
    assert [(p.teacher_id, p.to_school_id) for p in result.plan.postings] == [("T1", "S2")]
    # N1 cannot rotate (2 years at the school) but may teach part-time at S2, 10 km away (S3 is beyond 20 km)
    assert [(p.teacher_id, p.to_school_id, p.hours_per_week) for p in result.plan.part_time] == [("N1", "S2", 6)]
    assert validate_roster(data, rules, result.plan) == []
    english = next(s for s in result.shortfalls if s.school_id == "S2" and s.subject == "english")
    assert english.unfilled == 1 and english.numbers["part_time"] == 1 and "跨校兼课" in english.message_zh
    reached = attainment(result, data, rules)
    assert reached.posts_filled == 1 and reached.rotating == 1  # the cover fills no post and is no rotation
    frame = pd.read_csv(write_rotation_csv(result, tmp_path / "rotation.csv"), dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    part = frame[frame.kind == "part_time"]
    assert list(part.teacher_id) == ["N1"] and list(part.hours_per_week) == ["6"]
    assert (frame[frame.kind == "teacher"].hours_per_week == "").all()
    # the validator checks the covers on its own: too far, or also rotating
    far = replace(result.plan, part_time=(replace(result.plan.part_time[0], to_school_id="S3"),))
    assert "part_time" in {v.rule for v in validate_roster(data, rules, far)}
    twice = replace(result.plan, part_time=(replace(result.plan.part_time[0], teacher_id="T1", subject="math",
                                                    grade=3),))
    assert "part_time" in {v.rule for v in validate_roster(data, rules, twice)}
    off = solve(data, policy(quota={"min_fraction": 0.1, "backbone_min_share": 0.0}))
    assert off.plan.part_time == ()
