"""A best-effort roster (the policy cannot be met) fills as much of every rule as the others allow."""
from __future__ import annotations

from scheduling.rotation import plan_rotation
from scheduling.rotation.attainment import attainment, hard_rule_ceilings
from scheduling.rotation.validate import validate_roster

from tests.unit.rotation.builders import keeper, lead_school, need, policy, school, teacher, world


def no_backbone_county():
    """A lead school without a single backbone teacher: only the backbone share cannot be met.
    Its 30 eligible math teachers owe ⌈10% × 30⌉ = 3 rotations; three members ask for 8 posts."""
    teachers = [teacher(f"T{i:02d}", "S1", volunteer=i % 3 == 0) for i in range(30)] + [keeper("S1")]
    schools = [lead_school("S1"), school("S2", 8.0), school("S3", 12.0, hardship=1), school("S4", 15.0)]
    needs = [need("S2", posts=3), need("S3", posts=3), need("S4", posts=2)]
    return world(schools, teachers, needs)


def test_only_the_backbone_share_is_short_and_every_other_rule_reaches_what_the_hard_rules_allow():
    data, rules = no_backbone_county(), policy(support={"excellent_per_year": 0})
    result = plan_rotation(data, rules, time_limit_s=10, num_workers=1)
    assert result.relaxed
    assert {key.split(":")[0] for key in result.stats["broken"]} == {"backbone_school", "backbone_cluster"}
    reached = attainment(result, data, rules)
    ceiling = hard_rule_ceilings(data, rules, time_limit_s=10, num_workers=1)
    assert ceiling.exact
    assert reached.rotations_made == ceiling.rotations_made == reached.required_rotations
    assert reached.posts_filled == ceiling.posts_filled == reached.posts
    assert reached.quota_by_school == ceiling.quota_by_school
    # the backbone share is short by whole teachers: ⌈20% × rotating⌉ of them, none available
    assert result.stats["broken"]["backbone_school:S1"] == -(-reached.rotating // 5)
    # the roster breaks nothing else
    assert {v.rule for v in validate_roster(data, rules, result.plan)} == {"backbone"}


def test_a_mountain_county_fills_the_required_rotations_and_posts_the_hard_rules_allow():
    from demo.district import generate_district
    from demo.profiles import profile
    from scheduling.rotation import RotationPolicy, rotation_input_from_tables

    tables = generate_district(seed=2, schools=30, policy=profile("mountain"))
    rules = RotationPolicy().replace(support={"excellent_per_year": 0}, part_time={"enabled": False})
    data = rotation_input_from_tables(tables, 2026, None, rules, term=1)
    result = plan_rotation(data, rules, time_limit_s=30, num_workers=2, explain=False)
    assert result.relaxed
    reached = attainment(result, data, rules)
    ceiling = hard_rule_ceilings(data, rules, time_limit_s=30, num_workers=2, per_school=False)
    assert reached.rotations_made == ceiling.rotations_made < reached.required_rotations
    assert reached.posts_filled == ceiling.posts_filled


def test_the_attainment_table_puts_the_roster_beside_what_the_hard_rules_allow():
    from scheduling.rotation.attainment import attainment_frame

    data, rules = no_backbone_county(), policy()
    result = plan_rotation(data, rules, time_limit_s=10, num_workers=1)
    frame = attainment_frame(attainment(result, data, rules), data,
                             hard_rule_ceilings(data, rules, time_limit_s=10, num_workers=1), lang="zh")
    assert list(frame.columns) == ["项目", "学校编号", "要求", "本方案", "硬性规则允许的上限"]
    rows = frame.set_index("项目")
    assert rows.loc["应交流人数（合计）", "要求"] == 3 and rows.loc["岗位", "本方案"] == rows.loc["岗位", "硬性规则允许的上限"]
    assert rows.loc["S1校 应交流", "学校编号"] == "S1"
