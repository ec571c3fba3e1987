"""The explanation and the plan agree: every number an explanation states about a school is the roster's."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from demo.district import generate_district
from scheduling.rotation import load_rotation_policy, plan_rotation, rotation_input_from_tables

DEMO_POLICY = Path(__file__).resolve().parents[3] / "policies" / "demo_rotation.toml"


def test_every_number_an_explanation_states_about_a_school_matches_the_roster_it_accompanies():
    policy = load_rotation_policy(DEMO_POLICY)
    tables = generate_district(seed=1, schools=30)
    checked = 0
    for cluster_id in sorted(tables["clusters"]["cluster_id"]):
        data = rotation_input_from_tables(tables, 2026, cluster_id, policy, term=1)
        result = plan_rotation(data, policy, time_limit_s=20)
        rotating = Counter(p.from_school_id for p in result.plan.postings)
        backbone = Counter(p.from_school_id for p in result.plan.postings if p.backbone)
        for e in result.explanations:
            school_id = e.numbers.get("school_id")
            if school_id is None:
                continue
            checked += 1
            n, b = rotating[school_id], backbone[school_id]
            assert (e.numbers["roster_rotating"], e.numbers["roster_backbone"]) == (n, b), e.message_zh
            assert f"本方案该校交流 {n} 人（骨干 {b} 人）" in e.message_zh
            assert f"this roster rotates {n} from it ({b} backbone)" in e.message_en
            # what "the other rules" allow is never less than what the roster does
            for at_most in re.findall(r"最多只能交流 (\d+) 人", e.message_zh):
                assert int(at_most) >= n, e.message_zh
            for at_most in re.findall(r"最多只能派出 (\d+) 名骨干", e.message_zh):
                assert int(at_most) >= b, e.message_zh
            if e.rule == "quota" and e.numbers.get("best") is not None:
                assert e.numbers["best"] >= n
            if "short" in e.numbers and e.rule == "quota":
                assert e.numbers["short"] == e.numbers["required"] - n
    assert checked >= 2  # C04's school at least: its quota and its backbone share
