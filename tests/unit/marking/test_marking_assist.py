"""Who fills in under a best-effort marking plan (marking/assist.py): in a marking centre's order, only
where the plan is short, and never for a script of one's own school."""
from __future__ import annotations

from marking.assist import (ARB_MARKERS, ARB_NOBODY, ARB_OTHER_LEADERS, GROUP_LEADERS, NOBODY, OTHER_GROUP,
                            SINGLE, Person, group_label, plan_assists)


def people(*rows: tuple[str, str, str, str]) -> list[Person]:
    """(teacher, school, group, role) in subject physics."""
    return [Person(t, s, "physics", g, r) for t, s, g, r in rows]


def scripts(group: str, *schools: str, n: int = 10) -> dict[tuple[str, str, str], int]:
    return {("physics", group, s): n for s in schools}


def cases_by_school(plan) -> dict[str, str]:
    return {c.school_id: c.how for c in plan.cases if not c.how.startswith("arbitration")}


def test_group_leaders_of_other_schools_give_first_and_second_marks_only_where_the_group_is_short():
    team = people(("MB", "B", "G1", "marker"), ("MC", "C", "G1", "marker"),
                  ("LA", "A", "G1", "leader"), ("LB", "B", "G1", "leader"))
    plan = plan_assists(team, scripts("G1", "A", "B", "C"))
    # A: MB and MC mark it. B: only MC of another school, so LA joins. C: only MB, so LA and LB join.
    assert cases_by_school(plan) == {"B": GROUP_LEADERS, "C": GROUP_LEADERS}
    regular = {(g.teacher_id, s) for g in plan.grants if "first" in g.kinds for s in g.schools}
    assert regular == {("LA", "B"), ("LA", "C"), ("LB", "C")}
    assert all(g.item_group == "G1" and set(g.kinds) <= {"first", "second", "arbitration"} for g in plan.grants)
    case = next(c for c in plan.cases if c.school_id == "C")
    text = case.zh({"physics": "物理"}, {"C": "实验中学"})
    assert text.startswith("物理 G1：实验中学 的 10 份答卷由外校题组长完成二评")


def test_other_groups_of_the_subject_fill_in_when_the_group_has_fewer_than_two_people_of_other_schools():
    team = people(("MC", "C", "G1", "marker"), ("LB", "B", "G1", "leader"),
                  ("MA2", "A", "G2", "marker"), ("MB2", "B", "G2", "marker"), ("LA2", "A", "G2", "leader"))
    plan = plan_assists(team, scripts("G1", "A", "B"))
    # A's scripts: MC and LB (two of other schools) suffice; B's: only MC in the group, so G2 helps,
    # but never MB2 (of B)
    assert cases_by_school(plan) == {"A": GROUP_LEADERS, "B": OTHER_GROUP}
    helpers_b = {g.teacher_id for g in plan.grants if "B" in g.schools and "first" in g.kinds}
    assert helpers_b == {"MA2", "LA2"}
    # LA2 may have marked a script of B it would arbitrate: markers of other schools arbitrate then too
    arbiters_b = {g.teacher_id for g in plan.grants if "B" in g.schools and g.kinds == ("arbitration",)}
    assert arbiters_b == {"LA2", "MC", "MA2"}
    for g in plan.grants:  # nobody is granted a script of their own school
        school = next(p.school_id for p in team if p.teacher_id == g.teacher_id)
        assert school not in g.schools


def test_single_marking_only_when_the_subject_has_one_teacher_of_another_school():
    team = people(("MA", "A", "G1", "marker"), ("LA", "A", "G1", "leader"), ("MB", "B", "G2", "marker"))
    plan = plan_assists(team, {("physics", "G1", "A"): 5, ("physics", "G1", "B"): 7})
    # A's scripts: only MB (of G2) in the whole subject; B's: MA and LA of A, so the leader joins
    assert cases_by_school(plan) == {"A": SINGLE, "B": GROUP_LEADERS}
    single_a = next(c for c in plan.cases if c.school_id == "A" and c.how == SINGLE)
    assert single_a.helpers == ("MB",)
    assert ("MB", ("A",), ("first",)) in {(g.teacher_id, g.schools, g.kinds) for g in plan.grants}
    assert "改为单评" in single_a.zh()
    # one more teacher of another school in the subject: double marking again, no single case
    plan = plan_assists(team + people(("MC", "C", "G2", "marker")), {("physics", "G1", "A"): 5})
    assert cases_by_school(plan) == {"A": OTHER_GROUP}


def test_nobody_of_another_school_means_nobody_marks():
    team = people(("MA", "A", "G1", "marker"), ("LA", "A", "G1", "leader"))
    plan = plan_assists(team, scripts("G1", "A"))
    assert cases_by_school(plan) == {"A": NOBODY}
    assert plan.grants == []
    assert {c.how for c in plan.nobody()} == {NOBODY, ARB_NOBODY}


def test_arbitration_goes_to_other_groups_leaders_of_other_schools_then_to_markers_never_own_school():
    team = people(("MB", "B", "G1", "marker"), ("MC", "C", "G1", "marker"), ("MA", "A", "G1", "marker"),
                  ("LA", "A", "G1", "leader"),
                  ("LB2", "B", "G2", "leader"), ("LA2", "A", "G2", "leader"))
    plan = plan_assists(team, scripts("G1", "A", "B"))
    # G1's only leader is of A: A's scripts need an arbitrator of another school, LB2 of G2
    arbitration = {(g.teacher_id, s) for g in plan.grants if g.kinds == ("arbitration",) for s in g.schools}
    assert arbitration == {("LB2", "A")}
    assert [(c.school_id, c.how) for c in plan.cases] == [("A", ARB_OTHER_LEADERS)]
    # no other group's leader: the group's markers of other schools arbitrate (the lease keeps each
    # away from scripts they marked)
    plan = plan_assists(team[:4], scripts("G1", "A"))
    arbitration = {(g.teacher_id, s) for g in plan.grants if g.kinds == ("arbitration",) for s in g.schools}
    assert arbitration == {("MB", "A"), ("MC", "A")}
    assert [c.how for c in plan.cases] == [ARB_MARKERS]


def test_a_full_group_needs_no_help():
    team = people(("MA", "A", "G1", "marker"), ("MB", "B", "G1", "marker"), ("MC", "C", "G1", "marker"),
                  ("LA", "A", "G1", "leader"), ("LB", "B", "G1", "leader"))
    plan = plan_assists(team, scripts("G1", "A", "B", "C"))
    assert plan.cases == [] and plan.grants == []


def test_group_label():
    assert group_label("physics-G2") == "第2组"
    assert group_label("Q1") == "Q1"
