"""The independent validator finds every kind of broken rule in a roster."""
from __future__ import annotations

from dataclasses import replace

import pytest

from scheduling.rotation import MentorPair, RotationPolicy, plan_rotation
from scheduling.rotation.validate import validate_roster

from tests.unit.rotation.builders import keeper, lead_school, need, school, teacher, world, young


@pytest.fixture(scope="module")
def case():
    schools = [lead_school("S1"), school("S2", 10.0, hardship=2), school("S3", 20.0, hardship=1)]
    teachers = [teacher(f"T{i}", "S1", volunteer=i < 3, home_km=float(i)) for i in range(8)]
    teachers += [teacher("B1", "S1", backbone=True), teacher("B2", "S1", backbone=True), keeper("S1"),
                 teacher("M1", "S1", "music", (3,)), young("Y1", "S2"), young("Y2", "S3"), young("Y3", "S2"),
                 teacher("FAR", "S1", home_km=-45.0), teacher("NEW", "S1", years_at_school=2)]
    for s in schools:
        teachers += [teacher(f"{s.school_id}L1", s.school_id, role="leader"),
                     teacher(f"{s.school_id}P", s.school_id, role="principal")]
    data = world(schools, teachers, [need("S2", posts=3), need("S3", posts=2), need("S2", "music", 3)], term=1)
    policy = RotationPolicy().replace(support={"excellent_per_year": 0})  # tested on its own
    result = plan_rotation(data, policy, time_limit_s=10, num_workers=1)
    assert result.status == "OPTIMAL"
    return data, policy, result.plan


def rules_broken(case, plan) -> set[str]:
    data, policy, _ = case
    return {v.rule for v in validate_roster(data, policy, plan)}


def test_the_solver_roster_is_valid(case):
    data, policy, plan = case
    assert validate_roster(data, policy, plan) == []
    assert len(plan.postings) == 5 and len(plan.leader_exchanges) == 2 * 2 * 5


def move(plan, index: int, **changes):
    postings = list(plan.postings)
    postings[index] = replace(postings[index], **changes)
    return replace(plan, postings=tuple(postings))


def test_distance_eligibility_subject_and_capacity(case):
    data, _, plan = case
    first = plan.postings[0]
    assert "distance" in rules_broken(case, move(plan, 0, teacher_id="FAR"))
    assert "eligibility" in rules_broken(case, move(plan, 0, teacher_id="NEW"))
    assert "post" in rules_broken(case, move(plan, 0, grade=4))
    extra = replace(first, teacher_id="T7" if first.teacher_id != "T7" else "T6")
    assert "capacity" in rules_broken(case, replace(plan, postings=plan.postings + (extra,)))
    assert "one_posting" in rules_broken(case, replace(plan, postings=plan.postings + (first,)))


def test_quota_backbone_and_subsidy(case):
    _, _, plan = case
    assert "quota" in rules_broken(case, replace(plan, postings=plan.postings[:1]))
    no_backbone = tuple(p for p in plan.postings if not p.backbone)
    assert "backbone" in rules_broken(case, replace(plan, postings=no_backbone,
                                                    mentoring=()))
    assert "subsidy" in rules_broken(case, move(plan, 0, subsidy_yuan_per_month=1))
    assert "direction" in rules_broken(case, move(plan, 0, direction="learn"))


def test_coverage_and_mentoring(case):
    data, _, plan = case
    music = replace(plan.postings[0], teacher_id="M1", subject="music", grade=3, to_school_id="S2", backbone=False)
    keep = tuple(p for p in plan.postings if p.to_school_id != "S2" or p.subject != "music")
    assert "coverage" in rules_broken(case, replace(plan, postings=keep + (music,)))
    mentor = next(p for p in plan.postings if p.backbone)
    assert "mentoring" in rules_broken(case, replace(plan, mentoring=()))
    wrong = MentorPair(mentor.teacher_id, "Y2", mentor.to_school_id, "math")
    if mentor.to_school_id != "S3":
        assert "mentoring" in rules_broken(case, replace(plan, mentoring=(wrong,)))


def test_leaders_and_principals(case):
    _, _, plan = case
    exchanges = list(plan.leader_exchanges)
    a = exchanges[0]
    b = next(e for e in exchanges if e.month == a.month and e.from_school_id == a.to_school_id
             and e.to_school_id == a.from_school_id)
    exchanges[exchanges.index(b)] = replace(b, weekday=a.weekday)
    assert "leaders" in rules_broken(case, replace(plan, leader_exchanges=tuple(exchanges)))
    assert "leaders" in rules_broken(case, replace(plan, leader_exchanges=plan.leader_exchanges[1:]))
    months = list(plan.principal_months)
    lead = next(m for m in months if m.from_school_id == "S1")
    member = next(m for m in months if m.from_school_id != "S1")
    months[months.index(member)] = replace(member, month=lead.month, start=lead.start, end=lead.end)
    assert "principals" in rules_broken(case, replace(plan, principal_months=tuple(months)))
    assert "principals" in rules_broken(case, replace(plan, principal_months=plan.principal_months[1:]))
