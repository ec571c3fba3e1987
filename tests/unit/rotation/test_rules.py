"""Eligibility, quotas, subsidies, directions and dates as the policy defines them."""
from __future__ import annotations

import datetime as dt

import pytest

from scheduling.rotation.rules import (ceil_share, direction, ineligibility_reasons, is_eligible, period_dates,
                                       plan_months, subsidy_yuan)

from tests.unit.rotation.builders import lead_school, policy, school, teacher


@pytest.mark.parametrize("changes, eligible", [
    ({}, True),
    ({"years_at_school": 6}, True),
    ({"years_at_school": 5}, False),
    ({"last_rotation_year": 2022}, False),  # rotated in 2022–2024: within the last 3 school years
    ({"last_rotation_year": 2021}, True),
    ({"last_rotation_year": 2025}, True),  # this year's own rotation, recorded after a plan was committed
    ({"birth_year": 1969}, True),  # 56 in 2025: 4 years to 60
    ({"birth_year": 1968}, False),  # 57: only 3 years to 60, not more than 3
    ({"role": "leader"}, False),
])
def test_eligibility_boundaries(changes, eligible):
    assert is_eligible(teacher("T1", "S1", **changes), 2025, policy()) is eligible


def test_gender_specific_retirement_age():
    rules = policy(eligibility={"retirement_age_by_gender": {"F": 55}})
    woman = teacher("T1", "S1", birth_year=1973, gender="F")  # 52: 3 years to 55
    man = teacher("T2", "S1", birth_year=1973, gender="M")
    unknown = teacher("T3", "S1", birth_year=1973)
    assert ineligibility_reasons(woman, 2025, rules) == ["retirement"]
    assert is_eligible(man, 2025, rules) and is_eligible(unknown, 2025, rules)


@pytest.mark.parametrize("share, count, expected", [(0.1, 30, 3), (0.1, 31, 4), (0.1, 0, 0), (0.2, 5, 1),
                                                     (0.2, 6, 2), (0.5, 7, 4), (0.07, 100, 7)])
def test_quota_rounds_up_in_exact_arithmetic(share, count, expected):
    assert ceil_share(share, count) == expected


@pytest.mark.parametrize("km, hardship, expected", [(0, 0, 200), (10, 0, 200), (10.01, 0, 300), (30, 2, 800),
                                                    (45, 3, 1200), (5, 9, 800)])
def test_subsidy_table_by_distance_band_and_hardship(km, hardship, expected):
    assert subsidy_yuan(km, hardship, policy()) == expected


def test_subsidy_factor_for_leaders():
    assert subsidy_yuan(25, 1, policy(), 0.2) == 120


def test_direction_by_standing():
    strong = lead_school("S1")
    weak = school("S2")
    peer = school("S3")
    assert direction(strong, weak) == "support"
    assert direction(weak, strong) == "learn"
    assert direction(weak, peer) is None


def test_terms_and_months():
    rules = policy()
    assert period_dates(2025, 1, rules) == (dt.date(2025, 9, 1), dt.date(2026, 1, 31))
    assert period_dates(2025, 2, rules) == (dt.date(2026, 3, 1), dt.date(2026, 7, 15))
    assert period_dates(2025, None, rules) == (dt.date(2025, 9, 1), dt.date(2026, 7, 15))
    assert [m for _, m in plan_months(2025, 1, rules)] == [9, 10, 11, 12, 1]
    assert len(plan_months(2025, None, rules)) == 10
