"""Who may plan a cluster's term (排班权限), shared by the roster, policy and what-if pages.

Planning, pins and forbids, policy changes and what-if runs: a planner (its cluster, or the whole
district), the cluster office for its own cluster, and the bureau. A school user reads only.
"""
from __future__ import annotations

from fastapi import Request

from service.web import reads
from service.web.auth import Viewer, forbidden, not_found

PLANNING_ROLES = frozenset({"planner", "cluster", "bureau"})
PLAN_TIME_LIMIT_S = 10.0  # in-process, while the person waits: small (tests lower it via app.state)


def may_plan(viewer: Viewer, cluster_id: str) -> bool:
    return viewer.role in PLANNING_ROLES and viewer.scope.sees_cluster(cluster_id)


def planner_of(url: str, viewer: Viewer, cluster_id: str) -> str:
    """The cluster's name when the viewer may plan it; 403 (or 404 for an unknown cluster) otherwise."""
    if not may_plan(viewer, cluster_id):
        raise forbidden()
    name = reads.cluster_name(url, cluster_id)
    if name is None:
        raise not_found()
    return name


def time_limit(request: Request) -> float:
    """The solver's time limit for a run started from a page (seconds)."""
    return float(getattr(request.app.state, "rotation_time_limit_s", PLAN_TIME_LIMIT_S))


def roster_url(cluster_id: str, school_year: int, term: int) -> str:
    return f"/term/{cluster_id}/{school_year}/{term}"
