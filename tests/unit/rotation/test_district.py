"""Whole districts: the synthetic generator's and the demo county's, end to end through the writers."""
from __future__ import annotations

import pytest

from scheduling.rotation import (RotationPolicy, plan_rotation, rotation_input_from_tables, rotation_rows,
                                 summary_markdown, validate_roster)
from scheduling.rotation.synthetic import generate_tables

RELAXABLE_RULES = {"quota": "quota", "backbone_school": "backbone", "backbone_cluster": "backbone",
                   "learn_min": "learn_quota", "mingzhu_backbone": "mingzhu", "mingzhu_rural": "mingzhu",
                   "mingzhu_person_times": "mingzhu", "excellent": "excellent",
                   "famous_apprentices": "famous_apprentices"}


def test_synthetic_cluster_is_planned_optimally_and_validly():
    tables = generate_tables(seed=1, schools=10)
    data = rotation_input_from_tables(tables, 2025)
    policy = RotationPolicy().replace(support={"excellent_per_year": 0})  # its members ask for too few posts
    result = plan_rotation(data, policy, time_limit_s=20, num_workers=2)
    assert result.status == "OPTIMAL" and not result.relaxed
    assert validate_roster(data, policy, result.plan) == []
    assert len(result.plan.postings) >= 10 and result.plan.mentoring and result.plan.leader_exchanges
    assert result.gap == 0


@pytest.mark.slow
def test_demo_county_gets_a_roster_and_reasons():
    district = pytest.importorskip("demo.district")
    tables = district.generate_district(seed=2, schools=30, school_year=2026)
    data = rotation_input_from_tables(tables, 2026)
    policy = RotationPolicy()
    result = plan_rotation(data, policy, time_limit_s=30, num_workers=2)
    assert result.status in ("OPTIMAL", "INFEASIBLE")
    broken = {RELAXABLE_RULES[key.split(":")[0]] for key in result.stats["broken"]}
    waits = result.stats.get("leader_waits", {})
    for violation in validate_roster(data, policy, result.plan):
        assert violation.rule in broken or violation.rule == "leaders" and violation.subject in waits, violation
    if result.status == "INFEASIBLE":
        assert result.explanations and result.relaxed
    rows = rotation_rows(result)
    assert len(rows) == len(result.plan.postings) + len(result.plan.leader_exchanges) + \
        len(result.plan.principal_months) + len(result.plan.part_time)
    text = summary_markdown(result, data, policy)
    assert all(s.name in text for s in data.schools)
