"""A small generated county (3 schools, one cluster) and its calendar, planned once for the module."""
from __future__ import annotations

import pytest

from demo.district import generate_district
from scheduling.calendar import CalendarPolicy, calendar_input_from_tables, plan_calendar

# presenters from any school of the cluster: the county's lead is a junior school and cannot give a
# primary school's demonstration lessons (that case has a test of its own)
POLICY = CalendarPolicy().replace(demo_lesson={"presenter_scope": "cluster"})


@pytest.fixture(scope="session")
def county():
    return generate_district(seed=2, schools=3)


@pytest.fixture(scope="session")
def data(county):
    return calendar_input_from_tables(county, 2026, 1, "C01", POLICY)


@pytest.fixture(scope="session")
def planned(data):
    return plan_calendar(data, POLICY, time_limit_s=4)
