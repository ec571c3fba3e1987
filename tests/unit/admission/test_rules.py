"""The seeds' rule (003 parts 3 and 4) on a hand-worked zone, and against an independent recomputation
on generated zones with ties in points and oversubscribed lottery schools."""
from __future__ import annotations

import functools
import hashlib
from collections import Counter

import pytest

from admission.explain import reason
from admission.inputs import Application, RuleSettings, Zone, ZoneSchool
from admission.rules import ZoneResult, admit
from demo.enrollment import generate_zone

SEED = "published-seed-of-the-test-zone"


def futian() -> Zone:
    """益田村片区 in small: 福强 2 seats, 全海 2, 益田 1 (a lottery school here)."""
    schools = (ZoneSchool("FQ", 2, name="福强小学"), ZoneSchool("QH", 2, name="全海小学"),
               ZoneSchool("YT", 1, lottery=True, name="益田小学"))
    return Zone("YTC", schools, (
        Application("A1", "甲", "FQ", ("FQ", "QH", "YT"), 80),  # 90 at FQ with the bonus
        Application("A2", "乙", "YT", ("FQ", "YT"), 86),
        Application("A3", "丙", "QH", ("FQ", "QH"), 84),  # 94 at QH, its catchment school, as a 2nd choice
        Application("A4", "丁", "QH", ("QH", "FQ"), 70),
        Application("A5", "戊", "YT", ("FQ", "YT", "QH"), 76),
        Application("A6", "己", "FQ", ("YT",), 90),
    ))


def test_first_choices_by_points_then_second_choices_into_the_seats_left_then_the_pool():
    result = admit(futian(), SEED)
    got = {a: (x.school_id, x.round, x.choice_rank, x.points_used) for a, x in result.admissions.items()}
    assert got == {
        "A1": ("FQ", "1", 1, 90.0),  # 80 + 10 at the catchment school beats A2's 86
        "A2": ("FQ", "1", 1, 86.0),
        "A3": ("QH", "2", 2, 94.0),  # lost FQ (84 < 86), QH had one seat left after round 1
        "A4": ("QH", "1", 1, 80.0),  # 70 + 10
        "A5": (None, "pool", None, None),  # FQ full by points, YT and QH full before rounds 2 and 3
        "A6": ("YT", "1", 1, None),  # the lottery school had a seat for its one applicant
    }
    assert [a.applicant_id for a in result.pool] == ["A5"]
    fq = result.round_at("FQ", 1)
    assert (fq.seats_left, fq.applicants, fq.admitted, fq.outcome, fq.cutoff_points) == (2, 4, 2, "points", 86.0)


def test_every_family_reads_its_reason_with_the_numbers_that_decided_it():
    zone = futian()
    result = admit(zone, SEED)
    apps = {a.applicant_id: a for a in zone.applications}
    assert reason(result, apps["A3"]) == (
        "第一志愿 福强小学 学位 2 个，4 人报名，按积分录取至 86 分，您 84 分，未录取；"
        "第二志愿 全海小学 剩余学位 1 个，1 人报名，未超过学位数，全部录取，录取。")
    assert reason(result, apps["A1"]).startswith("第一志愿 福强小学 学位 2 个，4 人报名，按积分录取至 86 分，"
                                                 "您 90 分（含原地段学校加分 10 分），录取")
    assert reason(result, apps["A5"]).endswith(
        "第三志愿 全海小学 已在前面的轮次录满，无剩余学位，未录取；三个志愿均未录取，纳入全区统筹调剂。")
    assert "2nd choice 全海小学: 1 seats left" in reason(result, apps["A3"], "en")


def test_the_catchment_bonus_counts_only_at_the_family_s_own_catchment_school():
    schools = (ZoneSchool("P", 1), ZoneSchool("Q", 1))
    zone = Zone("Z", schools, (Application("home", "", "Q", ("P", "Q"), 85), Application("other", "", "P", ("Q",), 90),
                               Application("rival", "", "Q", ("P",), 89)))
    result = admit(zone, SEED)
    # at P, "home" has 85 (P is not its catchment school) and loses to 89; at Q it would have 95 but Q filled in round 1
    assert result.admissions["rival"].school_id == "P" and result.admissions["home"].school_id is None
    assert result.admissions["other"].points_used == 90  # Q is not its catchment school: no bonus
    first_only = admit(Zone("Z", schools, (Application("h", "", "Q", ("P", "Q"), 85),)), SEED,
                       RuleSettings(bonus_first_choice_only=True))
    assert first_only.admissions["h"].points_used == 85  # P admitted it; no bonus there either way
    second = admit(Zone("Z", (ZoneSchool("P", 0), ZoneSchool("Q", 1)), (Application("h", "", "Q", ("P", "Q"), 85),)),
                   SEED, RuleSettings(bonus_first_choice_only=True))
    assert second.admissions["h"].points_used == 85  # Q is its 2nd choice: the first-choice-only variant gives nothing
    assert admit(Zone("Z", (ZoneSchool("P", 0), ZoneSchool("Q", 1)), (Application("h", "", "Q", ("P", "Q"), 85),)),
                 SEED).admissions["h"].points_used == 95  # the seeds' rule: applying to it is enough


def test_ties_in_points_go_by_the_published_draw_never_by_file_order():
    schools = (ZoneSchool("P", 2),)
    apps = tuple(Application(f"T{i}", "", "X", ("P",), 80) for i in range(6))
    zone = Zone("Z", schools, apps)
    forward, backward = admit(zone, SEED), admit(Zone("Z", schools, apps[::-1]), SEED)
    admitted = {a for a, x in forward.admissions.items() if x.school_id}
    assert admitted == {a for a, x in backward.admissions.items() if x.school_id}
    order = sorted((a.applicant_id for a in apps), key=lambda a: hashlib.sha256(f"{SEED}:{a}".encode()).hexdigest())
    assert admitted == set(order[:2])
    (tie,) = forward.tie_breaks
    assert (tie.school_id, tie.points, tie.seats, list(tie.order)) == ("P", 80, 2, order)
    assert admit(zone, SEED + "-other").numbers != forward.numbers  # another seed, another draw


def test_a_lottery_school_admits_all_when_not_oversubscribed_and_by_the_draw_when_it_is():
    schools = (ZoneSchool("J", 3, lottery=True), ZoneSchool("K", 10, lottery=True))
    apps = tuple(Application(f"L{i}", "", "J", ("J", "K"), 100 - i) for i in range(7))
    result = admit(Zone("Z", schools, apps), SEED)
    by_draw = sorted((a.applicant_id for a in apps), key=lambda a: result.numbers[a])
    assert {a for a, x in result.admissions.items() if x.school_id == "J"} == set(by_draw[:3])  # points ignored
    assert all(x.round == "lottery" for x in result.admissions.values() if x.school_id == "J")
    assert all((x.round, x.choice_rank) == ("2", 2) for x in result.admissions.values() if x.school_id == "K")
    (draw,) = result.draws
    assert (draw.school_id, draw.round, draw.seats, list(draw.order)) == ("J", 1, 3, by_draw)
    assert result.round_at("K", 2).outcome == "all"


# --- the independent check: the rule recomputed from the seed's words, another way ---

def recompute(zone: Zone, seed: str, bonus: float = 10.0) -> dict[str, tuple[str | None, str]]:
    """applicant → (school, round): each round as one pass over (school, priority)-sorted requests."""
    key = {a.applicant_id: hashlib.sha256(f"{seed}:{a.applicant_id}".encode("utf-8")).hexdigest()
           for a in zone.applications}
    free = {s.school_id: s.seats for s in zone.schools}
    draw_school = {s.school_id for s in zone.schools if s.lottery}
    outcome: dict[str, tuple[str | None, str]] = {}
    for k in range(3):
        requests = []
        for a in zone.applications:
            if a.applicant_id in outcome or len(a.choices) <= k:
                continue
            school = a.choices[k]
            points = a.points + (bonus if school == a.home_school_id else 0)
            rank = (key[a.applicant_id],) if school in draw_school else (-points, key[a.applicant_id])
            requests.append((school, rank, a.applicant_id))
        asked = Counter(school for school, _, _ in requests)
        seats_at_start = dict(free)
        for school, _, applicant in sorted(requests):
            if free[school] > 0:
                free[school] -= 1
                drew = school in draw_school and asked[school] > seats_at_start[school]
                outcome[applicant] = (school, "lottery" if drew else str(k + 1))
    return {a.applicant_id: outcome.get(a.applicant_id, (None, "pool")) for a in zone.applications}


@functools.cache
def generated(seed: int) -> tuple[Zone, str, ZoneResult]:
    zone = generate_zone(applicants=40 + 7 * seed, schools=2 + seed % 5, seed=seed, seat_share=0.6 + (seed % 4) / 10,
                         lottery_share=0.4, points_range=(80, 86))  # few distinct points: many ties
    draw_seed = f"generated-zone-seed-{seed:04d}"
    return zone, draw_seed, admit(zone, draw_seed)


@pytest.mark.parametrize("seed", range(40))
def test_admissions_agree_with_an_independent_recomputation_on_generated_zones(seed):
    zone, draw_seed, result = generated(seed)
    assert {a: (x.school_id, x.round) for a, x in result.admissions.items()} == recompute(zone, draw_seed)
    seats = {s.school_id: s.seats for s in zone.schools}
    for school, admitted in Counter(x.school_id for x in result.admissions.values() if x.school_id).items():
        assert admitted <= seats[school]


def test_the_generated_zones_exercise_ties_draws_and_the_pool():
    """The generated zones above are not trivial: draws at lottery schools, points ties at cut-offs, a pool."""
    draws = ties = pooled = 0
    for seed in range(40):
        _, _, result = generated(seed)
        draws, ties, pooled = draws + len(result.draws), ties + len(result.tie_breaks), pooled + len(result.pool)
    assert draws >= 10 and ties >= 20 and pooled >= 100
