"""Why a policy cannot be met (from the solver's infeasible core) and why posts stay empty."""
from __future__ import annotations

from dataclasses import replace

import pytest

from scheduling.rotation import Forbid, Pin, explain_infeasibility, plan_rotation
from scheduling.rotation.validate import validate_roster

from tests.unit.rotation.builders import keeper, lead_school, need, policy, school, teacher, world


def solve(data, rules, **kw):
    return plan_rotation(data, rules, time_limit_s=10, num_workers=1, **kw)


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def quota_world():
    """S1 has 22 eligible teachers (quota ⌈2.2⌉ = 3); only 2 of them have a post within 40 km."""
    teachers = [teacher("T1", "S1"), teacher("T2", "S1"), teacher("T3", "S1", home_km=-36.0), keeper("S1")]
    teachers += [teacher(f"C{i}", "S1", "chinese", (5,)) for i in range(19)]
    schools = [lead_school("S1"), school("S2", 10.0, hardship=1)]
    return world(schools, teachers, [need("S2", posts=3)])


NO_BACKBONE = {"quota": {"backbone_min_share": 0.0}}


def test_quota_short_of_candidates_says_so_with_the_numbers():
    data, rules = quota_world(), policy(**NO_BACKBONE)
    result = solve(data, rules)
    assert result.status == "INFEASIBLE"
    assert [e.rule for e in result.explanations] == ["quota"]
    e = result.explanations[0]
    assert e.numbers["required"] == 3 and e.numbers["eligible"] == 22 and e.numbers["with_post"] == 2
    assert "至少 3 名" in e.message_zh and "只有 2 名" in e.message_zh and "40 公里" in e.message_zh
    assert "the 10% quota needs 3 rotating teachers" in e.message_en
    assert "only 2 eligible teachers have a post within 40 km" in e.message_en
    assert 46 <= e.numbers["suggest_max_km"] <= 46.1  # the third teacher lives 46 km away, rounded up
    assert e.numbers["suggest_min_fraction"] == 0.09  # ⌈0.09 × 22⌉ = 2


@pytest.mark.parametrize("loosen", [
    lambda n: {"distance": {"max_km": n["suggest_max_km"]}},
    lambda n: {"quota": {"min_fraction": n["suggest_min_fraction"]}},
])
def test_following_a_suggestion_makes_the_policy_feasible(loosen):
    data, rules = quota_world(), policy(**NO_BACKBONE)
    numbers = solve(data, rules).explanations[0].numbers
    changes = loosen(numbers)
    loosened = policy(**{**NO_BACKBONE, **changes}) if "quota" not in changes else \
        policy(quota={"backbone_min_share": 0.0, **changes["quota"]})
    result = solve(data, loosened)
    assert result.status == "OPTIMAL"
    assert validate_roster(data, loosened, result.plan) == []


def test_quota_against_coverage_names_both_and_counts_what_the_solver_can_reach():
    teachers = [teacher("M1", "S1", "music", (3,)), teacher("M2", "S1", "music", (3,)), keeper("S1")]
    teachers += [teacher(f"C{i}", "S1", "chinese", (5,)) for i in range(9)]
    data = world([lead_school("S1"), school("S2", 10.0)], teachers, [need("S2", "music", 3, posts=2)])
    result = solve(data, policy(**NO_BACKBONE))
    assert sorted(e.rule for e in result.explanations) == ["coverage", "quota"]
    quota = next(e for e in result.explanations if e.rule == "quota")
    assert quota.numbers["required"] == 2 and quota.numbers["with_post"] == 2 and quota.numbers["best"] == 1
    assert "最多只能交流 1 人" in quota.message_zh
    coverage = next(e for e in result.explanations if e.rule == "coverage")
    assert coverage.scope == "S1/music/3" and "音乐 3 年级" in coverage.message_zh


def test_backbone_share_against_mentoring_suggests_the_apprentice_age_that_works():
    teachers = [teacher("B1", "S1", backbone=True), teacher("T1", "S1", volunteer=True), keeper("S1"),
                teacher("O1", "S2", teaching_years=7, years_at_school=7, birth_year=1995), keeper("S2")]
    data = world([lead_school("S1"), school("S2", 10.0)], teachers, [need("S2", posts=2)])
    rules = policy()
    result = solve(data, rules)
    # the conflict (core), and the cluster's share the best-effort roster also breaks
    assert sorted(e.rule for e in result.explanations if e.conflict == 1) == ["backbone_school", "mentoring", "quota"]
    assert {e.rule for e in result.explanations if e.conflict != 1} <= {"backbone_cluster"}
    mentoring = next(e for e in result.explanations if e.rule == "mentoring")
    assert mentoring.numbers["suggest_max_apprentice_teaching_years"] == 7
    loosened = policy(mentoring={"max_apprentice_teaching_years": 7})
    fixed = solve(data, loosened)
    assert fixed.status == "OPTIMAL" and fixed.plan.mentoring[0].apprentice_id == "O1"


def test_a_pin_without_a_matching_post():
    data = world([lead_school("S1"), school("S2", 10.0), school("S3", 12.0)],
                 [teacher("T1", "S1"), keeper("S1")], [need("S2")], pins=(Pin("T1", "S3"),))
    result = solve(data, policy(quota={"min_fraction": 0.0}))
    # the pin is the conflict; the best-effort roster fills S2's post with T1 instead, short of the share
    assert [e.rule for e in result.explanations if e.conflict == 1] == ["pin"]
    assert {e.rule for e in result.explanations if e.conflict != 1} <= {"backbone_school", "backbone_cluster"}
    assert result.explanations[0].numbers["options"] == 0 and "S3" in result.explanations[0].message_zh


def test_english_on_request_and_chinese_by_default():
    data, rules = quota_world(), policy(**NO_BACKBONE)
    zh = solve(data, rules)
    en = solve(data, rules, lang="en")
    assert all(has_cjk(m) for m in zh.messages())
    assert en.messages()[0].startswith("school S1") and "Suggestion: raise distance.max_km" in en.messages()[0]
    assert zh.messages("en") == en.messages()


def test_explain_infeasibility_alone():
    data = quota_world()
    assert [e.rule for e in explain_infeasibility(data, policy(**NO_BACKBONE), time_limit_s=10)] == ["quota"]
    assert explain_infeasibility(data, policy(quota={"min_fraction": 0.05, "backbone_min_share": 0.0})) == []


def test_an_infeasible_policy_still_gets_a_best_effort_roster_that_breaks_only_what_it_reports():
    data, rules = quota_world(), policy(**NO_BACKBONE)
    result = solve(data, rules)
    assert result.relaxed and result.stats["broken"] == {"quota:S1": 1}
    assert len(result.plan.postings) == 2 and result.objective is None
    violations = validate_roster(data, rules, result.plan)
    assert [(v.rule, v.subject) for v in violations] == [("quota", "S1")]


def test_shortfall_reasons_count_the_teachers_step_by_step():
    teachers = [teacher("C1", "S1", "chinese", (4,), years_at_school=3),
                teacher("C2", "S1", "chinese", (4,), last_rotation_year=2024), keeper("S1"),
                teacher("W1", "S3", "english", (5,)), keeper("S3", "english", (5,)),
                teacher("E1", "S1", "english", (5,), home_km=-45.0), keeper("S1", "english", (5,))]
    schools = [lead_school("S1"), school("S2", 10.0), school("S3", 5.0)]
    needs = [need("S2", "chinese", 4), need("S2", "art", 6), need("S2", "english", 5)]
    result = solve(world(schools, teachers, needs), policy(quota={"min_fraction": 0.0}))
    reasons = {(s.subject, s.grade): s for s in result.shortfalls}
    assert reasons[("art", 6)].reason_code == "no_teacher"
    chinese = reasons[("chinese", 4)]
    assert chinese.reason_code == "none_eligible"
    assert chinese.numbers["ineligible_reasons"] == {"years_at_school": 1, "cooldown": 1}
    english = reasons[("english", 5)]  # W1 is at a peer school (weak–weak); E1 lives 55 km away
    assert english.reason_code == "too_far" and english.numbers["allowed"] == 1
    assert "55" in english.message_zh


def test_independent_conflicts_are_reported_separately():
    """Two sending schools each short of posts: two conflicts, found as two disjoint cores."""
    teachers = []
    for s in ("S1", "S3"):
        teachers += [teacher(f"{s}T{i}", s, "chinese", (5,)) for i in range(12)] + [teacher(f"{s}M", s), keeper(s)]
    schools = [lead_school("S1"), school("S2", 10.0), lead_school("S3", 5.0, cluster="C1"), school("S4", 15.0)]
    data = world(schools, teachers, [need("S2"), need("S4")])
    result = solve(data, policy(**NO_BACKBONE))
    quota = sorted((e.scope, e.conflict) for e in result.explanations if e.rule == "quota")
    assert [scope for scope, _ in quota] == ["S1", "S3"]
    assert quota[0][1] != quota[1][1]
    assert len(result.stats["core"][0]) == 2


def test_replanning_a_best_effort_roster_keeps_it():
    data, rules = quota_world(), policy(**NO_BACKBONE)
    first = solve(data, rules)
    again = solve(replace(data, forbids=(Forbid(first.plan.postings[0].teacher_id),)), rules, previous=first.plan)
    assert again.relaxed and again.changed == 1
    assert set((p.teacher_id, p.to_school_id) for p in again.plan.postings) < \
        set((p.teacher_id, p.to_school_id) for p in first.plan.postings)


def test_an_unfilled_post_names_the_key_that_fills_it_checked_by_re_solving():
    teachers = [teacher("C1", "S1", "chinese", (4,), years_at_school=3), keeper("S1"), keeper("S1", "chinese", (4,)),
                teacher("E1", "S1", "english", (5,), home_km=-45.0), keeper("S1", "english", (5,))]
    data = world([lead_school("S1"), school("S2", 10.0)], teachers, [need("S2", "chinese", 4), need("S2", "english", 5)])
    rules = policy(quota={"min_fraction": 0.0, "backbone_min_share": 0.0})
    result = solve(data, rules)
    by_subject = {s.subject: s for s in result.shortfalls}
    chinese, english = by_subject["chinese"], by_subject["english"]
    assert chinese.numbers["suggest"] == {"key": "eligibility.min_years_at_school", "value": 3, "fills": 1,
                                          "verified": True}
    assert "从 6 改为 3 可填补 1 个（已重算验证）" in chinese.message_zh
    assert english.numbers["suggest"]["key"] == "distance.max_km" and "verified by re-solving" in english.message_en
    fixed = solve(data, policy(quota={"min_fraction": 0.0, "backbone_min_share": 0.0},
                               distance={"max_km": english.numbers["suggest"]["value"]}))
    assert "E1" in {p.teacher_id for p in fixed.plan.postings}
    # a change the other rules would undo is not suggested: with the backbone share neither teacher may go
    strict = solve(data, policy(quota={"min_fraction": 0.0}))
    assert all("suggest" not in s.numbers for s in strict.shortfalls)
