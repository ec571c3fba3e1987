"""Shared generated districts for the demo tests (generated once per session: they take < 1 s)."""
from __future__ import annotations

import pytest

from demo.district import timed_district


@pytest.fixture(scope="session")
def district30():
    frames, _ = timed_district(seed=1, schools=30, school_year=2026)
    return frames


@pytest.fixture(scope="session")
def district100():
    return timed_district(seed=7, schools=100, school_year=2026)
