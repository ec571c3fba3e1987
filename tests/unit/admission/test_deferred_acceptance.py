"""Deferred acceptance (the what-if) against `matching`'s HospitalResident on small zones, and the comparison."""
from __future__ import annotations

import pytest

from admission.deferred_acceptance import compare, deferred_acceptance, priority
from admission.inputs import Application, RuleSettings, Zone, ZoneSchool
from admission.rules import admit
from demo.enrollment import generate_zone

SEED = "deferred-acceptance-test-seed"


def reference(zone: Zone, numbers: dict[str, int]) -> dict[str, str | None]:
    from matching.games import HospitalResident

    settings = RuleSettings()
    schools = {s.school_id: s for s in zone.schools}
    resident_prefs = {a.applicant_id: list(a.choices) for a in zone.applications}
    hospital_prefs = {}
    for school_id, school in schools.items():
        asking = [(a, a.choices.index(school_id) + 1) for a in zone.applications if school_id in a.choices]
        ranked = sorted(asking, key=lambda pair: priority(pair[0], school_id, pair[1], school.lottery,
                                                          numbers[pair[0].applicant_id], settings), reverse=True)
        hospital_prefs[school_id] = [a.applicant_id for a, _ in ranked]
    game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs,
                                                     {s: school.seats for s, school in schools.items()})
    solved = game.solve(optimal="resident")
    placed: dict[str, str | None] = {a.applicant_id: None for a in zone.applications}
    for hospital, residents in solved.items():
        for resident in residents:
            placed[resident.name] = hospital.name
    return placed


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_deferred_acceptance_is_the_student_optimal_stable_matching(seed):
    zone = generate_zone(applicants=30 + 5 * seed, schools=3 + seed % 4, seed=100 + seed, seat_share=0.7,
                         lottery_share=0.3, points_range=(80, 85))
    numbers = admit(zone, SEED).numbers
    assert deferred_acceptance(zone, numbers) == reference(zone, numbers)


def test_the_comparison_counts_families_better_worse_and_unplaced():
    # B names the popular school first and loses it; under the seeds' rule its 2nd choice is gone by then.
    schools = (ZoneSchool("P", 1), ZoneSchool("Q", 1))
    zone = Zone("Z", schools, (Application("A", "", "X", ("P",), 90), Application("B", "", "X", ("P", "Q"), 80),
                               Application("C", "", "X", ("Q",), 70)))
    result = admit(zone, SEED)
    assert {a: x.school_id for a, x in result.admissions.items()} == {"A": "P", "B": None, "C": "Q"}
    da = deferred_acceptance(zone, result.numbers)
    assert da == {"A": "P", "B": "Q", "C": None}  # B's 80 beats C's 70 at Q once seats are held, not kept
    comparison = compare(result, da)
    assert (comparison.better, comparison.worse, comparison.same) == (1, 1, 1)
    assert (comparison.unplaced_rule, comparison.unplaced_da, comparison.first_choice_rule) == (1, 1, 2)
    assert comparison.lines()[0] == "共 3 户：按延迟接受算法，1 户录取到更靠前的志愿，1 户更靠后，1 户不变"
