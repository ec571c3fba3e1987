"""Cluster formation (学区划分): every proposal is checked by the independent validator; rules that cannot
hold give a best-effort plan whose every shortfall is reported and explained with its policy key."""
from __future__ import annotations

from dataclasses import replace

import pytest

from scheduling.formation import (FormationPolicy, LeadPin, Together, comparison, load_formation_policy, measure,
                                  plan_groups, propose_clusters, today_groups, unexplained_violations,
                                  validate_formation, validate_partition)
from scheduling.formation.policy import DEFAULT_POLICY_PATH

from tests.unit.formation.builders import district, generated, school

POLICY = FormationPolicy()


def check(data, policy, result):
    """The independent checker finds nothing the result does not report as a shortfall, and each school
    is in exactly one cluster of at most size.max_schools."""
    violations = validate_formation(data, policy, result.plan)
    assert unexplained_violations(result, violations) == []
    assert sorted(s for c in result.plan.clusters for s in c.school_ids) == sorted(s.school_id for s in data.schools)
    assert all(len(c.school_ids) <= policy.size.max_schools for c in result.plan.clusters)
    return violations


def test_the_policy_file_holds_the_built_in_defaults():
    assert load_formation_policy(DEFAULT_POLICY_PATH) == FormationPolicy()
    assert POLICY.size.max_schools == 10  # 003 part 4: 每个学区学校数原则上不超过10所


def test_a_generated_county_of_30_schools_keeps_every_rule_and_balances_better_than_today():
    data = generated(30)
    result = propose_clusters(data, POLICY, time_limit_s=2, num_workers=2)
    assert result.status in ("OPTIMAL", "FEASIBLE") and not result.relaxed
    assert check(data, POLICY, result) == []
    assert len(result.plan.clusters) == data.today_cluster_count()  # size.clusters = 0: today's number
    today, proposal = measure(data, today_groups(data), POLICY), measure(data, plan_groups(result.plan), POLICY)
    spread = lambda r: r[1] - r[0]  # noqa: E731
    assert spread(proposal.size_range) <= spread(today.size_range)
    assert spread(proposal.weak_range) <= spread(today.weak_range)
    rows = {r.key: r for r in comparison(today, proposal)}
    assert rows["clusters"].today == rows["clusters"].proposal == str(len(result.plan.clusters))
    assert rows["violations"].proposal == "0"


def test_a_county_of_300_schools_is_solved_region_by_region_and_keeps_every_rule():
    data = generated(300, seed=2)
    result = propose_clusters(data, POLICY, time_limit_s=3, num_workers=2, explain=False)
    assert result.stats["regions"] >= 2 and sum(result.stats["region_schools"]) == 300
    assert check(data, POLICY, result) == []
    assert len(result.plan.clusters) == data.today_cluster_count()


def test_every_lead_is_the_strongest_school_of_its_cluster_in_the_policy_order():
    """A junior+primary alliance: with stage first, the junior school leads though the primary is quality."""
    schools = [school("P1", "urban", "quality"), school("J1", "urban", "ordinary", stage="junior", east=1),
               school("P2", "rural", "weak", east=20), school("P3", "rural", "weak", east=22)]
    data = district(schools)
    stage_first = FormationPolicy.from_dict({"lead": {"order": ["stage", "tier", "locality"]},
                                             "size": {"clusters": 1}})
    result = propose_clusters(data, stage_first, time_limit_s=3)
    assert [c.lead_id for c in result.plan.clusters] == ["J1"] and check(data, stage_first, result) == []
    tier_first = FormationPolicy.from_dict({"size": {"clusters": 1}})
    result = propose_clusters(data, tier_first, time_limit_s=3)
    assert [c.lead_id for c in result.plan.clusters] == ["P1"]


def test_more_urban_schools_than_rural_gives_a_plan_with_the_shortfall_counted_and_explained():
    schools = [school(f"U{i}", "urban", "quality" if i < 3 else "ordinary", east=i * 0.5) for i in range(10)]
    schools += [school("R1", "rural", "weak", east=25), school("R2", "township", "weak", north=30)]
    data = district(schools, clusters_wanted=3)
    result = propose_clusters(data, POLICY, time_limit_s=5)
    assert len(result.plan.clusters) == 3 and result.relaxed
    violations = check(data, POLICY, result)
    assert {v.rule for v in violations} == {"mix.urban_rural"} and len(violations) == 1  # 3 clusters, 2 rural schools
    (why,) = [e for e in result.explanations if e.code == "mix.urban_rural"]
    assert why.exact and why.policy_key == "size.clusters" and why.suggested_value == 2
    assert "全区只有 2 所乡镇和农村学校，却分为 3 个学区" in why.zh and "学区" in why.zh


def test_too_few_quality_schools_is_a_counted_shortfall_with_the_key_that_changes_it():
    schools = [school("Q1", "urban", "quality"), school("U2", "urban", "ordinary", east=1),
               school("U3", "urban", "ordinary", east=-1)]
    schools += [school(f"R{i}", "rural", "weak", east=20 + i, north=i) for i in range(6)]
    data = district(schools, clusters_wanted=3)
    result = propose_clusters(data, POLICY, time_limit_s=5)
    assert sum(u for k, u in result.broken.items() if k.startswith("mix.min_quality")) == 2
    check(data, POLICY, result)
    (why,) = [e for e in result.explanations if e.code == "mix.min_quality"]
    assert why.exact and why.numbers["have"] == 1 and why.policy_key in ("size.clusters", "mix.min_quality")
    assert "全区只有 1 所优质学校" in why.zh


def _pin_case():
    schools = [school("A", "urban", "quality", name="实验小学"), school("B", "urban", "quality", east=2, name="二小"),
               school("C", "urban", "ordinary", east=1), school("D", "rural", "weak", east=30),
               school("E", "rural", "weak", east=-30), school("F", "township", "ordinary", north=30),
               school("G", "township", "ordinary", north=-30)]
    return schools


def test_pins_hold_when_they_can():
    data = district(_pin_case(), together=(Together(("A", "D", "E")),), leads=(LeadPin("B"),))
    result = propose_clusters(data, POLICY, time_limit_s=5)
    assert not result.relaxed and check(data, POLICY, result) == []
    cluster_of = result.plan.cluster_of()
    assert cluster_of["A"] == cluster_of["D"] == cluster_of["E"] and "B" in result.plan.leads()


def test_pins_that_cannot_hold_are_dropped_and_explained_by_name():
    """Two schools pinned as leads and pinned together: one cluster has one lead."""
    data = district(_pin_case(), together=(Together(("A", "B")),), leads=(LeadPin("A"), LeadPin("B")))
    result = propose_clusters(data, POLICY, time_limit_s=5)
    assert result.relaxed and any(k.startswith("pin.") for k in result.broken)
    check(data, POLICY, result)
    (why,) = [e for e in result.explanations if e.code == "pin.together"]
    assert why.exact and "实验小学（A）" in why.zh and "二小（B）" in why.zh
    too_big = FormationPolicy.from_dict({"size": {"max_schools": 2, "min_schools": 1}})
    data = district(_pin_case(), together=(Together(("D", "E", "F")),))
    result = propose_clusters(data, too_big, time_limit_s=5)
    check(data, too_big, result)
    (why,) = [e for e in result.explanations if e.code == "pin.together"]
    assert why.policy_key == "size.max_schools" and why.suggested_value == 3


def test_a_number_of_clusters_the_sizes_do_not_allow_is_kept_within_them_and_said():
    data = district(_pin_case(), clusters_wanted=10)
    result = propose_clusters(data, POLICY, time_limit_s=3)
    assert len(result.plan.clusters) == 3  # 7 schools, at least 2 a cluster
    (why,) = [e for e in result.explanations if e.code == "size.clusters"]
    assert why.numbers["requested"] == 10 and why.suggested_value == 3


def test_a_far_school_is_reported_with_the_distance_and_the_key():
    schools = [school("A", "urban", "quality"), school("B", "rural", "weak", east=20),
               school("C", "rural", "weak", east=90, north=10)]
    data = district(schools)
    result = propose_clusters(data, POLICY, time_limit_s=3)
    check(data, POLICY, result)
    (why,) = [e for e in result.explanations if e.code == "distance.max_km_to_lead"]
    assert why.policy_key == "distance.max_km_to_lead" and why.suggested_value >= 90 and "公里" in why.zh


def test_cluster_ids_continue_todays_clusters_and_a_cluster_left_empty_is_retired():
    schools = [school("A", "urban", "quality", cluster="C1", lead=True), school("B", "rural", "weak", east=20, cluster="C1"),
               school("C", "urban", "quality", east=1, cluster="C2", lead=True),
               school("D", "rural", "weak", east=-20, cluster="C2")]
    data = district(schools)
    result = propose_clusters(data, POLICY, time_limit_s=3)
    assert {c.cluster_id for c in result.plan.clusters} == {"C1", "C2"}
    assert {c.name for c in result.plan.clusters} == {"C1学区", "C2学区"} and result.plan.retired == ()
    one = propose_clusters(replace(data, clusters_wanted=1), POLICY, time_limit_s=3)
    assert len(one.plan.clusters) == 1 and len(one.plan.retired) == 1
    assert one.plan.clusters[0].cluster_id in ("C1", "C2") and one.plan.clusters[0].lead_id in ("A", "C")


def test_the_validator_finds_each_kind_of_broken_rule():
    schools = [school("A", "urban", "quality"), school("B", "urban", "ordinary", east=1),
               school("C", "rural", "weak", east=80), school("D", "rural", "weak", east=-20),
               school("H", "urban", "quality", stage="high", north=1)]
    data = district(schools, together=(Together(("A", "D")),), leads=(LeadPin("B"),))

    def rules(partition):
        return {v.rule for v in validate_partition(data, POLICY, partition)}

    assert rules([("A", ["A", "B", "C", "D", "H"])]) >= {"distance.max_km_to_lead", "mix.high_apart", "pin.lead"}
    assert rules([("B", ["A", "B"]), ("D", ["C", "D"]), ("H", ["H"])]) >= {
        "lead.order", "mix.urban_rural", "mix.min_quality", "pin.together", "size.min_schools"}
    assert "partition" in rules([("A", ["A", "B", "D"]), ("H", ["H", "A"])])  # C missing, A twice
    small = FormationPolicy.from_dict({"size": {"max_schools": 2}})
    assert {v.rule for v in validate_partition(data, small, [("A", ["A", "B", "C", "D", "H"])])} >= {"size.max_schools"}
    assert "lead" in rules([(None, ["A", "B", "C", "D", "H"])])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explanations_read_in_the_language_asked(lang):
    schools = [school(f"U{i}", "urban", "quality", east=i) for i in range(4)] + [school("R1", "rural", "weak", east=30)]
    data = district(schools, clusters_wanted=2)
    result = propose_clusters(data, POLICY, time_limit_s=3, lang=lang)
    word = "学区" if lang == "zh" else "cluster"
    assert result.messages() and all(word in m for m in result.messages())


def test_without_a_solver_solution_the_greedy_plan_is_the_proposal_and_reports_what_it_breaks(monkeypatch):
    """Should CP-SAT find nothing in the time, the greedy plan stands (status GREEDY) and its shortfalls are
    counted as the model would, so the independent checker finds nothing unreported."""
    import scheduling.formation.solve as solve

    monkeypatch.setattr(solve, "_solve", lambda index, hint, *a: (None, "UNKNOWN", None, None, None))
    schools = [school(f"U{i}", "urban", "quality" if i < 3 else "ordinary", east=i * 0.5) for i in range(10)]
    schools += [school("R1", "rural", "weak", east=25), school("R2", "township", "weak", north=30)]
    data = district(schools, clusters_wanted=3, together=(Together(("U0", "U1")),))
    result = propose_clusters(data, POLICY, time_limit_s=2)
    assert result.status == "GREEDY" and result.broken
    assert check(data, POLICY, result) and result.explanations
