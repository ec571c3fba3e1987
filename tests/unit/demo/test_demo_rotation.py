"""The demo county is one a cluster office can plan: its needs fit its senders under the demo policy."""
from __future__ import annotations

from pathlib import Path

from demo.district import generate_district
from scheduling.rotation import load_rotation_policy, plan_rotation, rotation_input_from_tables
from scheduling.rotation.validate import validate_roster

DEMO_POLICY = Path(__file__).resolve().parents[3] / "policies" / "demo_rotation.toml"


def test_default_demo_clusters_mostly_meet_the_policy_and_the_rest_are_explained():
    policy = load_rotation_policy(DEMO_POLICY)
    assert policy.distance.max_km == 60 and policy.quota.min_fraction == 0.1  # only the distance differs
    tables = generate_district(seed=1, schools=30)
    statuses = []
    for cluster_id in sorted(tables["clusters"]["cluster_id"]):
        data = rotation_input_from_tables(tables, 2026, cluster_id, policy, term=1)
        result = plan_rotation(data, policy, time_limit_s=20)
        statuses.append(result.status)
        if result.status in ("OPTIMAL", "FEASIBLE"):
            assert result.plan.postings and validate_roster(data, policy, result.plan) == []
        else:
            assert result.explanations, cluster_id
    assert statuses.count("OPTIMAL") + statuses.count("FEASIBLE") >= len(statuses) - 1
