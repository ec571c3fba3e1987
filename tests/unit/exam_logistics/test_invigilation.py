import math
from collections import Counter

import pytest

from scheduling.exam_logistics import (ExamRoom, ExamSchool, ExamSession, ExamTeacher, Forbid, InvigilationInput,
                                       InvigilationPolicy, Pin, fairness_bounds, invigilation_input_from_tables,
                                       plan_invigilation, validate_invigilation)
from scheduling.exam_logistics.derive import derive
from scheduling.exam_logistics.naive import naive_lexicographic, naive_size

from .conftest import make_instance, place


def _loads(rows):
    return Counter(a.teacher_id for a in rows)


def test_cluster_plan_is_optimal_valid_and_fair(district_tables):
    cluster = sorted(district_tables["schools"]["cluster_id"].unique())[0]
    data = invigilation_input_from_tables(district_tables, f"EX-D-{cluster}")
    policy = InvigilationPolicy()
    res = plan_invigilation(data, policy, time_limit_s=30)
    assert res.status == "optimal", res.stats
    assert validate_invigilation(data, policy, res.assignments) == []
    facts = derive(data, policy)
    m_lb, l_ub = fairness_bounds(facts)
    loads = _loads(res.assignments)
    assert max(loads.values()) == m_lb  # the counting bound is met: proven optimal
    assert min(loads.get(t, 0) for t in facts.pool) == l_ub
    km = [s for s in res.stats["stages"] if s["term"] == "km"][0]
    assert km["value"] == km["bound"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregated_model_agrees_with_the_naive_model(seed):
    """The aggregated model is exact: on tiny instances the naive one-boolean-per-teacher-room-session
    model has the same fairness optimum, and our proven km optimum lies between the naive model's best
    plan and its bound (the naive model rarely proves anything, even here)."""
    data = make_instance(seed, n_schools=3, teachers_per_school=(5, 7), rooms_per_school=(1, 1), n_days=2,
                         sessions_per_day=2, unavailable_share=0.1)
    policy = InvigilationPolicy(quota_tolerance=0.5)
    res = plan_invigilation(data, policy, time_limit_s=20)
    status, naive = naive_lexicographic(data, policy, time_limit_s=4)
    if naive is None:
        assert status == "infeasible" and res.status == "infeasible"
        return
    assert res.status == "optimal"
    assert validate_invigilation(data, policy, res.assignments) == []
    loads = _loads(res.assignments)
    facts = derive(data, policy)
    max_load = max(loads.values())
    pool_min = min(loads.get(t, 0) for t in facts.pool) if facts.pool else naive[1]
    km = res.stats["stages"][-1]["value"]
    assert (max_load, pool_min) == naive[:2]
    assert naive[3] <= km <= naive[2]
    if status == "optimal":
        assert km == naive[2]


def test_km_only_objective_is_no_worse_on_km():
    data = make_instance(5, n_schools=5, teachers_per_school=(10, 14), rooms_per_school=(1, 2))
    fair = plan_invigilation(data, InvigilationPolicy(), time_limit_s=20)
    km_only = plan_invigilation(data, InvigilationPolicy(objective=("km",)), time_limit_s=20)
    assert fair.ok and km_only.ok
    assert km_only.stats["stages"][-1]["value"] <= fair.stats["stages"][-1]["value"]
    assert validate_invigilation(data, InvigilationPolicy(objective=("km",)), km_only.assignments) == []


@pytest.mark.parametrize("changes", [
    {"exclude_own_students": True},
    {"one_site_per_day": False, "max_km": 50, "max_km_rural": 60},
    {"large_room_seats": 25, "rooms_per_extra_reserve": 1},
    {"quota_scope": "session", "quota_tolerance": 0.3},
    {"distinct_schools_in_room": False, "exclude_own_school": False},
])
def test_policy_variants_give_valid_plans(changes):
    data = make_instance(11, n_schools=5, teachers_per_school=(12, 16), rooms_per_school=(1, 2), radius_km=10)
    policy = InvigilationPolicy.from_dict(changes)
    res = plan_invigilation(data, policy, time_limit_s=20)
    assert res.ok, [e.en for e in res.explanations]
    assert validate_invigilation(data, policy, res.assignments) == []


def test_pins_and_forbids_are_honoured():
    data = make_instance(7, n_schools=4, teachers_per_school=(12, 14), rooms_per_school=(1, 2), radius_km=8,
                         unavailable_share=0)
    policy = InvigilationPolicy()
    base = plan_invigilation(data, policy, time_limit_s=20)
    assert base.ok
    facts = derive(data, policy)
    # pin a qualified teacher as chief of a room at a site they would not have chosen, forbid a busy one
    chief = next(t for t in data.teachers if facts.chief_ok[t.teacher_id] and facts.cap[t.teacher_id] > 0
                 and "E1" in facts.allowed[t.teacher_id] and len(facts.reachable[t.school_id]) > 1)
    site = [j for j in facts.reachable[chief.school_id] if ("E1", j) in facts.site_sessions][-1]
    room = facts.site_sessions["E1", site].rooms[0].room_id
    busy = Counter(a.teacher_id for a in base.assignments).most_common(1)[0][0]
    pins = [Pin(chief.teacher_id, "E1", site, "chief", room)]
    forbids = [Forbid(busy), Forbid(chief.teacher_id, session_id="E2")]
    res = plan_invigilation(data, policy, time_limit_s=20, pins=pins, forbids=forbids)
    assert res.ok, [e.en for e in res.explanations]
    assert validate_invigilation(data, policy, res.assignments, pins=pins, forbids=forbids) == []
    assert not any(a.teacher_id == busy for a in res.assignments)


def _three_villages(town_teachers: int = 12) -> InvigilationInput:
    """Town A and villages B, C, D: the villages are far from each other, near A only."""
    schools = [ExamSchool("A", "镇中心校", 34.5, 113.0, "township")]
    for k, sid in enumerate("BCD"):
        lat, lon = place(34.5, 113.0, 15, 2 * math.pi * k / 3)
        schools.append(ExamSchool(sid, f"{sid}村校", lat, lon, "urban"))
    rooms = [ExamRoom("A", "01", 30)] + [ExamRoom(s, f"{r:02d}", 30) for s in "BCD" for r in (1, 2)]
    candidates = {("A", 9): 30, ("B", 9): 60, ("C", 9): 60, ("D", 9): 60}
    teachers = [ExamTeacher(f"{s}{k}", s, "pe", (8,), "teacher", False, 10) for s in "ABCD"
                for k in range(town_teachers if s == "A" else 12)]
    sessions = (ExamSession("E1", "math", 9, "2025-01-14", "08:30", "10:30"),)
    return InvigilationInput("V", tuple(schools), tuple(teachers), sessions, tuple(rooms), candidates)


def test_precheck_explains_with_numbers():
    data = _three_villages()
    policy = InvigilationPolicy(max_km=20, max_km_rural=20)
    res = plan_invigilation(data, policy, time_limit_s=5, relax=False)
    assert res.status == "infeasible" and not res.assignments
    byc = {(e.code, e.numbers.get("site")): e for e in res.explanations}
    e = byc["site_session_schools", "B"]
    # site B: 2 rooms × 2 invigilators, at most 2 per school (one a room), only school A within 20 km
    assert e.numbers["needed"] == 4 and e.numbers["usable"] == 2 and e.numbers["schools"] == 1
    assert e.zh.startswith("第1场 B村校：") and "需 4 名监考" in e.zh and "4 invigilators" in e.en and e.exact
    assert e.text("en") == e.en and e.text() == e.zh


def test_solver_core_names_the_rules_that_clash():
    """Counts per site pass (room limit per school off), but the villages can only be staffed from
    town A: with 12 teachers A cannot staff the three villages at once (travel + own school); with 20
    it can, but then A supplies far more than its quota."""
    policy = InvigilationPolicy(max_km=20, max_km_rural=20, distinct_schools_in_room=False)
    res = plan_invigilation(_three_villages(12), policy, time_limit_s=5, explain_time_s=10, relax=False)
    assert res.status == "infeasible"
    core = [e for e in res.explanations if e.code == "solver_core"]
    assert core and set(core[0].numbers["groups"]) == {"travel", "own_school"}
    res = plan_invigilation(_three_villages(20), policy, time_limit_s=5, explain_time_s=10, relax=False)
    assert res.status == "infeasible"
    core = [e for e in res.explanations if e.code == "solver_core"]
    assert core and "quota" in core[0].numbers["groups"]
    assert any(e.code == "rule_quota" and "名额" in e.zh for e in res.explanations)
    # without quotas (a huge tolerance) a plan exists
    ok = plan_invigilation(_three_villages(20), InvigilationPolicy(max_km=20, max_km_rural=20, distinct_schools_in_room=False,
                                                                   quota_tolerance=10), time_limit_s=5)
    assert ok.ok
    assert validate_invigilation(_three_villages(20), InvigilationPolicy(max_km=20, max_km_rural=20,
                                 distinct_schools_in_room=False, quota_tolerance=10), ok.assignments) == []


@pytest.mark.slow
def test_decomposed_mode_is_valid_and_above_its_bound(district_tables):
    data = invigilation_input_from_tables(district_tables, "EX-D")
    policy = InvigilationPolicy()
    res = plan_invigilation(data, policy, time_limit_s=25, mode="decomposed", gap_limit=0.03)
    assert res.ok, res.stats
    assert validate_invigilation(data, policy, res.assignments) == []
    assert res.stats["bound_km"] is not None
    assert res.stats["km_units"] / 10 >= res.stats["bound_km"] - 1e-6
    assert 0 <= res.stats["gap"] < 0.1
    assert res.stats["first_solution_s"] < 25


def test_naive_size_counts_more_than_our_model():
    data = make_instance(4, n_schools=5)
    size = naive_size(data, InvigilationPolicy())
    res = plan_invigilation(data, InvigilationPolicy(), time_limit_s=10)
    assert res.ok
    assert size["raw_teacher_room_session"] > size["pruned_booleans"] > res.stats["model_size"]["variables"]
