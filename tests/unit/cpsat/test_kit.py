"""The shared CP-SAT kit: the minimal-conflict search, the status names, one Explanation."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model

from scheduling.cpsat import (
    STATUS_NAMES,
    STATUS_NAMES_LOWER,
    Explanation,
    disjoint_cores,
    minimal_core,
    solve_with_rules,
    status_name,
)


@dataclass(eq=False)
class Rule:
    name: str
    literal: cp_model.IntVar


def guarded(model: cp_model.CpModel, name: str, constraint) -> Rule:
    rule = Rule(name, model.new_bool_var(name))
    constraint.only_enforce_if(rule.literal)
    return rule


def three_clash_and_one_free():
    """x + y ≥ 10, x ≤ 3 and y ≤ 3 clash only all three together; z ≥ 1 is free of them."""
    model = cp_model.CpModel()
    x, y, z = (model.new_int_var(0, 10, n) for n in "xyz")
    free = guarded(model, "z_at_least_1", model.add(z >= 1))
    together = guarded(model, "sum_at_least_10", model.add(x + y >= 10))
    x_small = guarded(model, "x_at_most_3", model.add(x <= 3))
    y_small = guarded(model, "y_at_most_3", model.add(y <= 3))
    model.minimize(x + y + z)
    return model, [free, together, x_small, y_small]


@pytest.mark.parametrize("start", ["assumptions", "all"])
@pytest.mark.parametrize("others", ["free", "off"])
def test_the_minimal_core_is_exactly_the_clashing_rules(start, others):
    model, rules = three_clash_and_one_free()
    assert solve_with_rules(model, rules, time_limit_s=5, num_workers=1)[1] == cp_model.INFEASIBLE
    found = minimal_core(model, rules, time_limit_s=10, start=start, others=others)
    assert found is not None and found.minimal
    assert [r.name for r in found.core] == ["sum_at_least_10", "x_at_most_3", "y_at_most_3"]  # the order of `rules`
    # each rule of the core is needed: without it the others hold together
    for rule in found.core:
        rest = [r for r in found.core if r is not rule]
        assert solve_with_rules(model, rest, time_limit_s=5, num_workers=1)[1] in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_keys_with_a_literal_lookup_name_the_core_in_the_callers_words():
    model, rules = three_clash_and_one_free()
    literals = {r.name: r.literal for r in rules}
    found = minimal_core(model, list(literals), time_limit_s=10, literal=literals.__getitem__, others="off",
                         start="all")
    assert found is not None and found.core == ["sum_at_least_10", "x_at_most_3", "y_at_most_3"]


def test_rules_that_hold_together_have_no_core():
    model, rules = three_clash_and_one_free()
    assert minimal_core(model, rules[:3], time_limit_s=5) is None
    assert minimal_core(model, rules[:3], time_limit_s=5, start="all", others="off") is None


def test_a_model_that_fails_with_no_rule_has_an_empty_core():
    model, rules = three_clash_and_one_free()
    x = model.new_int_var(0, 1, "broken")
    model.add(x >= 2)  # unguarded: no rule can be blamed
    found = minimal_core(model, rules, time_limit_s=5, start="all", others="off")
    assert found is not None and found.core == [] and found.minimal


def test_a_long_start_core_beyond_the_shrink_limit_is_returned_unshrunk():
    model, rules = three_clash_and_one_free()
    found = minimal_core(model, rules, time_limit_s=5, start="all", others="off", shrink_limit=2)
    assert found is not None and found.core == rules and not found.minimal


def test_disjoint_cores_are_independent_conflicts():
    model, rules = three_clash_and_one_free()
    w = model.new_int_var(0, 10, "w")
    low = guarded(model, "w_at_least_8", model.add(w >= 8))
    high = guarded(model, "w_at_most_2", model.add(w <= 2))
    cores = disjoint_cores(model, [*rules, low, high], time_limit_s=10)
    assert sorted(sorted(r.name for r in c.core) for c in cores) == [
        ["sum_at_least_10", "x_at_most_3", "y_at_most_3"], ["w_at_least_8", "w_at_most_2"]]


def test_every_cp_sat_status_has_a_name_in_both_spellings():
    statuses = cp_model_pb2.CpSolverStatus.values()
    assert set(STATUS_NAMES) == set(STATUS_NAMES_LOWER) == set(statuses)
    for status in statuses:
        assert STATUS_NAMES[status] == cp_model_pb2.CpSolverStatus.Name(status)  # rotation stores these
    # exam logistics and question setting store these
    assert [status_name(s, lower=True) for s in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE,
                                                 cp_model.UNKNOWN, cp_model.MODEL_INVALID)] == [
        "optimal", "feasible", "infeasible", "unknown", "invalid"]
    assert status_name(99) == "UNKNOWN" and status_name(99, lower=True) == "unknown"


def test_one_explanation_reads_in_either_package_s_words():
    plain = Explanation("site_session_supply", "考点监考不足", "too few invigilators", {"short": 2})
    assert plain.text() == "考点监考不足" and plain.text("en") == "too few invigilators"
    hinted = Explanation(code="quota", scope="S1", zh="S1 交流人数不足", en="S1 sends too few",
                         suggestion_zh="降低 quota.min_fraction", suggestion_en="lower quota.min_fraction",
                         policy_key="quota.min_fraction", suggested_value=0.1)
    assert (hinted.rule, hinted.message_zh, hinted.message_en) == ("quota", hinted.zh, hinted.en)
    assert hinted.text("zh") == "S1 交流人数不足。建议：降低 quota.min_fraction"
    assert hinted.text("en") == "S1 sends too few. Suggestion: lower quota.min_fraction"
