"""Best-effort marking groups: a subject short of markers or leaders gets its groups, relaxed in
order and counted; the other subjects keep every rule; the validator checks the declared relaxations;
the explanations give the numbers and suggest only values that re-solve."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from scheduling.exam_logistics import (ExamSchool, ExamTeacher, ItemGroup, MarkingInput, MarkingPolicy, group_sizes,
                                       plan_marking, validate_marking)
from scheduling.exam_logistics.marking_explain import strict_plan_exists, subject_only
from scheduling.exam_logistics.validate import regular_markers, required_group_size

from .conftest import place

POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"


def county(physics_g9: int = 2, physics_g8: int = 2, physics_groups: int = 2, qualified_physics_leaders: int = 1,
           scripts: int = 1500, hours: float | None = None) -> MarkingInput:
    """Four schools of 100 candidates; chinese and math have plenty of grade-9 teachers and leaders;
    physics has `physics_g9` grade-9 and `physics_g8` grade-8 teachers a school, and only
    `qualified_physics_leaders` of them (backbone, ≥10 years) may lead."""
    schools, teachers = [], []
    for i in range(4):
        sid = f"S{i + 1}"
        lat, lon = place(34.5, 113.0, 3.0 * i, 1.0 * i)
        schools.append(ExamSchool(sid, f"第{i + 1}中学", lat, lon, "urban", "C1", i == 0))
        for subject in ("chinese", "math"):
            for k in range(8):
                teachers.append(ExamTeacher(f"{sid}-{subject}-{k}", sid, subject, (9,), "teacher", k % 2 == 0,
                                            15 if k % 2 == 0 else 4, f"{subject}{sid}{k}"))
        for k in range(physics_g9 + physics_g8):
            n = len([t for t in teachers if t.subject == "physics"])
            qualified = n < qualified_physics_leaders
            teachers.append(ExamTeacher(f"{sid}-physics-{k}", sid, "physics", (9,) if k < physics_g9 else (8,),
                                        "teacher", qualified, 20 if qualified else 2 + (3 * n) % 8, f"物理老师{sid}{k}"))
    groups = (ItemGroup("chinese", "C-G1", 60.0), ItemGroup("math", "M-G1", 60.0)) + tuple(
        ItemGroup("physics", f"P-G{j + 1}", 60.0) for j in range(physics_groups))
    return MarkingInput("EX", 9, tuple(schools), tuple(teachers), groups,
                        {"chinese": scripts, "math": scripts, "physics": scripts},
                        {s.school_id: 100 for s in schools}, hours, "S1")


POLICY = MarkingPolicy(grade_window=0, hours_available=8.0)


def by_group(rows):
    return Counter((a.subject, a.item_group) for a in rows)


def test_a_short_subject_gets_best_effort_groups_and_the_others_keep_every_rule():
    data = county()
    refused = plan_marking(data, replace(POLICY, best_effort=False), time_limit_s=10)
    assert refused.status == "infeasible" and refused.assignments == []  # as before: nothing
    res = plan_marking(data, POLICY, time_limit_s=10, suggest=False)
    assert res.ok and res.best_effort
    sizes = group_sizes(data, POLICY)
    got = by_group(res.assignments)
    assert set(got) == set(sizes)  # every subject's groups, the short one included
    assert {s for s, _ in res.best_effort_groups()} == {"physics"}
    for g in (("chinese", "C-G1"), ("math", "M-G1")):  # untouched subjects: strict size, qualified leaders
        assert got[g] == sizes[g]
    # the validator accepts the plan under its declarations, and not without them
    assert validate_marking(data, POLICY, res.assignments, relaxations=res.relaxations) == []
    codes = {v.code for v in validate_marking(data, POLICY, res.assignments)}
    assert {"grade", "leader", "group_size"} <= codes
    # relaxations in order: adjacent grades and acting leaders first, a longer window only because
    # every physics teacher (grade 8 included) is already used; nothing simply short
    kinds = Counter()
    for r in res.relaxations:
        kinds[r.kind] += r.count
    physics_rows = [a for a in res.assignments if a.subject == "physics"]
    physics_teachers = [t for t in data.teachers if t.subject == "physics"]
    assert len(physics_rows) == len(physics_teachers)
    grade8 = sum(1 for a in physics_rows if 9 not in data.teacher_by_id[a.teacher_id].grades)
    assert kinds["adjacent_grade"] == grade8 == 8
    assert kinds["acting_leader"] == 2 * 2 - 1 and kinds["longer_window"] > 0 and kinds["short"] == 0
    # an acting leader is at least as senior as every plain marker of their school
    tb = data.teacher_by_id
    for a in physics_rows:
        if a.role == "leader" and tb[a.teacher_id].teaching_years < POLICY.leader_min_teaching_years:
            plain = [tb[b.teacher_id].teaching_years for b in physics_rows
                     if b.role == "marker" and b.teacher_school_id == a.teacher_school_id]
            assert tb[a.teacher_id].teaching_years >= max(plain, default=0)
    # the declared window carries the work: the group size formula at the declared hours fits the group
    for r in res.relaxations:
        if r.kind == "longer_window":
            assert r.hours <= POLICY.hours_available * POLICY.best_effort_hours_factor
            need = required_group_size(data.scripts["physics"], 60.0, r.hours, POLICY)
            regular = sum(1 for a in physics_rows if a.item_group == r.item_group and a.role == "marker")
            assert regular >= regular_markers(need, POLICY)


def test_a_group_too_short_for_any_window_is_counted_and_keeps_own_school_cover():
    data = county(physics_g9=1, physics_g8=1)  # 8 physics teachers for two groups of 10
    res = plan_marking(data, POLICY, time_limit_s=10, suggest=False)
    assert res.ok and validate_marking(data, POLICY, res.assignments, relaxations=res.relaxations) == []
    assert sum(r.count for r in res.relaxations if r.kind == "short") > 0
    # what the queue cannot do without comes first: every group has a leader, and every school's scripts
    # two markers of other schools for their first and second marks
    for g in (("physics", "P-G1"), ("physics", "P-G2")):
        assert any(a.role == "leader" for a in res.assignments if (a.subject, a.item_group) == g)
    assert not any(r.numbers.get("distinct_missing") for r in res.relaxations if r.kind == "own_school")
    # the model keeps 回避本校's two markers of other schools for every school wherever the people allow
    for g in (("physics", "P-G1"), ("physics", "P-G2")):
        regular = [a for a in res.assignments if (a.subject, a.item_group) == g and a.role == "marker"]
        declared = {r.school_id: r for r in res.relaxations if (r.subject, r.item_group) == g and r.kind == "own_school"}
        for s in data.schools:
            others = sum(1 for a in regular if a.teacher_school_id != s.school_id)
            if others < 2:
                assert declared[s.school_id].numbers["distinct_missing"] == 2 - others
    e = next(x for x in res.explanations if x.code == "marking_group_best_effort")
    assert "缺" in e.zh and "short" in e.en


def test_group_explanations_give_the_numbers_and_names():
    data = county()
    res = plan_marking(data, POLICY, time_limit_s=10, suggest=False)
    head = res.explanations[0]
    assert head.code == "marking_best_effort" and "物理" in head.zh and "语文、数学 满足全部规则" in head.zh
    groups = [e for e in res.explanations if e.code == "marking_group_best_effort"]
    assert {e.numbers["item_group"] for e in groups} == {"P-G1", "P-G2"}
    need = required_group_size(1500, 60.0, 8.0, POLICY)
    strict_eligible = sum(1 for t in data.teachers if t.subject == "physics" and 9 in t.grades)
    for e in groups:
        assert e.numbers["needed"] == need and e.numbers["eligible"] == strict_eligible
        assert f"需 {need} 名阅卷教师" in e.zh and f"符合条件的物理教师 {strict_eligible} 名" in e.zh
        assert f"needs {need} markers" in e.text("en")
    acting = [a for a in res.assignments if a.role == "leader" and data.teacher_by_id[a.teacher_id].teaching_years < 10]
    assert acting and all(any(data.teacher_by_id[a.teacher_id].name in e.zh for e in groups) for a in acting)
    assert not any(a.teacher_id in e.zh for a in acting for e in groups)  # names, not ids


def test_the_suggested_hours_re_solve_and_are_the_least_that_do():
    data = county(physics_g9=2, physics_g8=0, physics_groups=1, qualified_physics_leaders=4)  # 8 for a group of 10
    res = plan_marking(data, POLICY, time_limit_s=10)
    sug = next(e for e in res.explanations if e.code == "marking_suggestion" and e.numbers["subject"] == "physics")
    hours = next(s for s in sug.numbers["suggestions"] if s["key"] == "hours_available")
    assert hours["value"] > POLICY.hours_available and "hours_available = " in sug.zh
    sub = subject_only(data, "physics")
    loose = replace(POLICY, quota_tolerance=1e6, quota_slack=10 ** 6, best_effort=False)
    assert strict_plan_exists(sub, replace(loose, hours_available=hours["value"]))
    assert not strict_plan_exists(sub, replace(loose, hours_available=hours["value"] - 0.5))
    # and the whole exam with that value needs no relaxation for physics
    again = plan_marking(data, replace(POLICY, hours_available=hours["value"]), time_limit_s=10, suggest=False)
    assert again.ok and "physics" not in {s for s, _ in again.best_effort_groups()}


def test_the_suggested_leader_years_re_solve_and_are_the_largest_that_do():
    data = county(physics_g9=4, physics_g8=0, physics_groups=1, scripts=600)  # markers enough, one leader
    policy = replace(POLICY, leader_requires_backbone=False)  # only the years keep the others from leading
    res = plan_marking(data, policy, time_limit_s=10)
    assert {r.kind for r in res.relaxations if r.subject == "physics"} == {"acting_leader"}
    sug = next(e for e in res.explanations if e.code == "marking_suggestion" and e.numbers["subject"] == "physics")
    years = next(s for s in sug.numbers["suggestions"] if s["key"] == "leader_min_teaching_years")
    sub = subject_only(data, "physics")
    loose = replace(policy, quota_tolerance=1e6, quota_slack=10 ** 6, best_effort=False)
    assert strict_plan_exists(sub, replace(loose, leader_min_teaching_years=years["value"]))
    assert not strict_plan_exists(sub, replace(loose, leader_min_teaching_years=years["value"] + 1))
    assert f"leader_min_teaching_years = {years['value']}" in sug.text("en")
    again = plan_marking(data, replace(policy, leader_min_teaching_years=years["value"]), time_limit_s=10)
    assert again.ok and not again.best_effort


def test_keys_needed_together_are_suggested_together_and_re_solve():
    data = county(physics_g9=2, physics_g8=0, physics_groups=1)  # too few markers and one qualified leader
    res = plan_marking(data, POLICY, time_limit_s=10)
    sug = next(e for e in res.explanations if e.code == "marking_suggestion" and e.numbers["subject"] == "physics")
    together = {s["key"]: s["value"] for s in sug.numbers["together"]}
    assert "hours_available" in together and "同时设" in sug.zh
    loose = replace(POLICY, quota_tolerance=1e6, quota_slack=10 ** 6, best_effort=False)
    sub = subject_only(data, "physics")
    assert strict_plan_exists(sub, replace(loose, **together))
    for key in together:  # each key is needed: without it the others do not suffice
        assert not strict_plan_exists(sub, replace(loose, **{k: v for k, v in together.items() if k != key}))


def test_best_effort_off_refuses_as_before_and_a_feasible_exam_declares_nothing():
    data = county(physics_g9=6, physics_g8=0, qualified_physics_leaders=8)
    res = plan_marking(data, POLICY, time_limit_s=10)
    assert res.ok and not res.best_effort and res.relaxations == []
    assert validate_marking(data, POLICY, res.assignments) == []


def test_the_validator_refuses_more_than_the_declared_relaxations():
    data = county()
    res = plan_marking(data, POLICY, time_limit_s=10, suggest=False)
    fewer = [r if r.kind != "adjacent_grade" else replace(r, count=r.count - 1) for r in res.relaxations]
    assert any(v.code == "grade" for v in validate_marking(data, POLICY, res.assignments, relaxations=fewer))
    shorter = [r if r.kind != "longer_window" else replace(r, hours=POLICY.hours_available) for r in res.relaxations]
    assert any(v.code == "group_size" for v in validate_marking(data, POLICY, res.assignments, relaxations=shorter))
    too_long = [r if r.kind != "longer_window" else replace(r, hours=math.inf) for r in res.relaxations]
    assert any(v.code == "hours" for v in validate_marking(data, POLICY, res.assignments, relaxations=too_long))


def test_a_repair_of_a_best_effort_plan_keeps_the_others_in_their_groups():
    from scheduling.exam_logistics import MarkingForbid, repair_marking

    data = county()
    base = plan_marking(data, POLICY, time_limit_s=10, suggest=False)
    absent = next(a.teacher_id for a in base.assignments if a.subject == "chinese" and a.role == "marker")
    rep, changes = repair_marking(base, [absent], data, POLICY, time_limit_s=10)
    assert rep.ok and rep.best_effort
    assert validate_marking(data, POLICY, rep.assignments, forbids=[MarkingForbid(absent)], check_quota=False,
                            relaxations=rep.relaxations) == []
    kinds = Counter(c.kind for c in changes)
    assert kinds["removed"] == 1 and kinds["added"] == 1 and kinds["moved"] == 0


def test_the_shortfalls_file_lists_every_declared_relaxation_by_name(tmp_path):
    import pandas as pd

    from scheduling.exam_logistics.marking_explain import write_shortfalls_csv

    data = county(physics_g9=1, physics_g8=1)
    res = plan_marking(data, POLICY, time_limit_s=10, suggest=False)
    frame = pd.read_csv(write_shortfalls_csv(data, res, tmp_path / "marking_shortfalls.csv"), dtype=str)
    assert len(frame) == len(res.relaxations)
    assert sorted(zip(frame["item_group"].fillna(""), frame["kind"], frame["count"].astype(int))) == \
        sorted((r.item_group, r.kind, r.count) for r in res.relaxations)
    own = frame[frame["kind"] == "own_school"]
    assert (own["school_name"] == own["school_id"].map(lambda s: data.school_by_id[s].name)).all()
    assert frame.loc[frame["subject"] == "physics", "detail_zh"].str.contains("物理 第").all()


@pytest.mark.slow
def test_generated_small_counties_get_every_group_validated_under_their_declarations():
    from demo.district import generate_district
    from scheduling.exam_logistics import load_policies, marking_input_from_tables

    _, policy = load_policies(POLICY_DIR / "demo_exam_logistics.toml")
    for seed, schools in ((2, 8), (6, 10)):  # two-school exams: too few physics teachers for their groups
        tables = generate_district(seed=seed, schools=schools)
        for exam_id in sorted(set(tables["exam_sessions"]["exam_id"])):
            data = marking_input_from_tables(tables, exam_id, policy)
            res = plan_marking(data, policy, time_limit_s=10, suggest=False)
            assert res.ok and res.best_effort
            assert validate_marking(data, policy, res.assignments, relaxations=res.relaxations) == []
            assert set(by_group(res.assignments)) == {(g.subject, g.group_id) for g in data.groups}
            for g in data.groups:  # every group can arbitrate: at least one leader
                assert any(a.role == "leader" for a in res.assignments
                           if (a.subject, a.item_group) == (g.subject, g.group_id))


def test_a_distance_limit_that_keeps_markers_away_is_named_with_the_distance_that_re_solves():
    data = county(physics_g9=2, physics_g8=0, physics_groups=1, qualified_physics_leaders=4, scripts=600)
    far = {"S3", "S4"}  # two schools ~80 km from the marking site
    data = replace(data, schools=tuple(replace(s, lat=s.lat + (0.72 if s.school_id in far else 0.0))
                                       for s in data.schools))
    policy = replace(POLICY, max_km=40.0)
    res = plan_marking(data, policy, time_limit_s=10)
    assert res.ok and "physics" in {s for s, _ in res.best_effort_groups()}
    sug = next(e for e in res.explanations if e.code == "marking_suggestion" and e.numbers["subject"] == "physics")
    km = next(s for s in sug.numbers["suggestions"] if s["key"] == "max_km")
    loose = replace(policy, quota_tolerance=1e6, quota_slack=10 ** 6, best_effort=False)
    assert strict_plan_exists(subject_only(data, "physics"), replace(loose, max_km=km["value"]))
    assert km["value"] >= min(data.km(s, "S1") for s in far)  # reaches a far school ...
    # ... and is the least on its 5 km grid that does
    assert not strict_plan_exists(subject_only(data, "physics"), replace(loose, max_km=km["value"] - 5))


def test_fewer_item_groups_are_suggested_when_the_groups_are_too_many_for_the_teachers():
    from scheduling.exam_logistics.tables import merged_groups

    data = county(physics_g9=2, physics_g8=0, physics_groups=3, qualified_physics_leaders=8, scripts=300)
    res = plan_marking(data, POLICY, time_limit_s=10)  # 8 physics teachers; three groups of 5 need 15
    sug = next(e for e in res.explanations if e.code == "marking_suggestion" and e.numbers["subject"] == "physics")
    limit = next(s for s in sug.numbers["suggestions"] if s["key"] == "max_groups_per_subject")
    sub = subject_only(data, "physics")
    loose = replace(POLICY, quota_tolerance=1e6, quota_slack=10 ** 6, best_effort=False)
    merged = replace(sub, groups=tuple(merged_groups(list(sub.groups), limit["value"])))
    assert len(merged.groups) == limit["value"] and strict_plan_exists(merged, loose)
    more = replace(sub, groups=tuple(merged_groups(list(sub.groups), limit["value"] + 1)))
    assert not strict_plan_exists(more, loose)  # the most groups that still work
    assert sum(g.seconds_per_script for g in merged.groups) == sum(g.seconds_per_script for g in sub.groups)
