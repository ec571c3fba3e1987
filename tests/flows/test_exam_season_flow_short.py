"""The whole season on the county that cannot meet the demo policy (8 schools, seed 2: township sites lack
invigilators of other schools, subjects lack markers): best-effort plans, each shortfall listed, and still
every stage to the end. The test is test_exam_season_flow.py's; it lives in a file of its own so that the
suite's two longest runs go to different test workers (`make test` keeps a file's tests on one worker)."""
from __future__ import annotations

import pytest

from tests.flows.test_exam_season_flow import (  # noqa: F401 (the fixture and the test, collected here)
    county_db, test_a_whole_season_runs_to_reports_and_a_rerun_changes_nothing)


@pytest.fixture
def county() -> str:
    return "short"
