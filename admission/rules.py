"""The seeds' rule of a shared zone (大学区招生, 003 parts 3 and 4).

    按第一、第二、第三志愿以及积分高低依次排序录取，所有志愿学校均未录取的学生纳入全区统筹调剂。

Round 1 fills every school from the families that named it first; round 2 puts the families still
unplaced into the seats their second choice has left; round 3 likewise. Within a round a school
that has seats for everyone who asks admits them all; an oversubscribed school admits by points
(with the catchment bonus where the family applies to its own catchment school, 原地段学校), ties in
points in the order of the published draw; a lottery school (多校划片 junior school, 电脑随机派位)
admits in draw order instead. A family admitted in a round keeps its seat. Whoever is placed
nowhere goes to the district pool (全区统筹调剂).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from admission.inputs import MAX_CHOICES, Application, RuleSettings, Zone, ZoneSchool
from admission.lottery import commitment, lottery_numbers

POOL = "pool"
LOTTERY = "lottery"
ROUNDS = ("1", "2", "3", LOTTERY, POOL)  # admissions.csv `round`


class Admission(NamedTuple):
    """One family's outcome, a row of admissions.csv (a named tuple: 100,000 of them are made at once)."""

    applicant_id: str
    school_id: str | None  # None: the district pool
    round: str  # "1", "2", "3", "lottery", "pool"
    choice_rank: int | None  # which choice admitted the family
    points_used: float | None  # the points that ranked it at that school (None where a draw decides)
    lottery_number: int


@dataclass(frozen=True)
class SchoolRound:
    """What happened at one school in one round."""

    school_id: str
    round: int  # 1, 2, 3
    seats_left: int  # seats the school still had when the round began
    applicants: int  # families who named it as this choice and were still unplaced
    admitted: int
    outcome: str  # "all" (seats for everyone), "points", "lottery" (oversubscribed), "full" (no seat left)
    cutoff_points: float | None = None  # lowest points admitted (outcome points or all at a points school)
    cutoff_number: int | None = None  # last lottery number admitted (lottery; or a points tie at the cut-off)


@dataclass(frozen=True)
class Draw:
    """An oversubscribed lottery school's draw: the participants in draw order; the first `seats` admitted."""

    school_id: str
    round: int
    seats: int
    order: tuple[str, ...]


@dataclass(frozen=True)
class TieBreak:
    """Families tied on points at a points school's cut-off, in draw order; the first `seats` admitted."""

    school_id: str
    round: int
    points: float
    seats: int
    order: tuple[str, ...]


@dataclass
class ZoneResult:
    zone: Zone
    seed: str
    settings: RuleSettings
    admissions: dict[str, Admission]  # in the order of the applications
    numbers: dict[str, int]  # applicant id → lottery number
    rounds: list[SchoolRound] = field(default_factory=list)
    draws: list[Draw] = field(default_factory=list)
    tie_breaks: list[TieBreak] = field(default_factory=list)

    @property
    def commitment(self) -> str:
        return commitment(self.seed)

    @property
    def school_map(self) -> dict[str, ZoneSchool]:
        found = self.__dict__.get("_schools")
        if found is None:
            found = self.__dict__["_schools"] = {s.school_id: s for s in self.zone.schools}
        return found

    def round_at(self, school_id: str, round_number: int) -> SchoolRound | None:
        return self._round_index().get((school_id, round_number))

    def _round_index(self) -> dict[tuple[str, int], SchoolRound]:
        index = self.__dict__.get("_index")
        if index is None:
            index = self.__dict__["_index"] = {(r.school_id, r.round): r for r in self.rounds}
        return index

    @property
    def pool(self) -> list[Admission]:
        return [a for a in self.admissions.values() if a.school_id is None]

    def admitted_at(self, school_id: str) -> int:
        return sum(1 for a in self.admissions.values() if a.school_id == school_id)


def admit(zone: Zone, seed: str, settings: RuleSettings | None = None) -> ZoneResult:
    """Admissions of the zone by the seeds' rule; `seed` is the published seed of the draw."""
    settings = settings or RuleSettings()
    numbers = lottery_numbers(seed, (a.applicant_id for a in zone.applications))
    schools = {s.school_id: s for s in zone.schools}
    seats_left = {s.school_id: s.seats for s in zone.schools}
    placed: dict[str, Admission] = {}
    result = ZoneResult(zone, seed, settings, {}, numbers)

    pending = list(zone.applications)
    for rank in range(1, MAX_CHOICES + 1):
        asking: dict[str, list[Application]] = defaultdict(list)
        for application in pending:
            if len(application.choices) >= rank:
                asking[application.choices[rank - 1]].append(application)
        for school_id in sorted(asking):  # schools are independent within a round; sorted for stable records
            group = asking[school_id]
            school = schools[school_id]
            left = seats_left[school_id]
            if left <= 0:
                result.rounds.append(SchoolRound(school_id, rank, 0, len(group), 0, "full"))
                continue
            points = {} if school.lottery else {a.applicant_id: settings.points_at(a, school_id, rank) for a in group}
            if school.lottery:
                ordered = sorted(group, key=lambda a: numbers[a.applicant_id])
            else:
                ordered = sorted(group, key=lambda a: (-points[a.applicant_id], numbers[a.applicant_id]))
            chosen = ordered[:left]
            oversubscribed = len(group) > left
            if school.lottery:
                outcome, label = (LOTTERY, LOTTERY) if oversubscribed else ("all", str(rank))
                cutoff_points = None
                cutoff_number = numbers[chosen[-1].applicant_id] if oversubscribed else None
                if oversubscribed:
                    result.draws.append(Draw(school_id, rank, left, tuple(a.applicant_id for a in ordered)))
            else:
                outcome, label = ("points" if oversubscribed else "all"), str(rank)
                cutoff_points = points[chosen[-1].applicant_id]
                cutoff_number = None
                if oversubscribed:
                    tied = [a for a in ordered if points[a.applicant_id] == cutoff_points]
                    chosen_ids = {a.applicant_id for a in chosen}
                    if tied[-1].applicant_id not in chosen_ids:  # the draw decided among equal points
                        seats_for_tied = sum(1 for a in tied if a.applicant_id in chosen_ids)
                        cutoff_number = numbers[chosen[-1].applicant_id]
                        result.tie_breaks.append(TieBreak(school_id, rank, cutoff_points, seats_for_tied,
                                                          tuple(a.applicant_id for a in tied)))
            for application in chosen:
                placed[application.applicant_id] = Admission(
                    application.applicant_id, school_id, label, rank,
                    None if school.lottery else points[application.applicant_id], numbers[application.applicant_id])
            seats_left[school_id] = left - len(chosen)
            result.rounds.append(SchoolRound(school_id, rank, left, len(group), len(chosen), outcome,
                                             cutoff_points, cutoff_number))
        pending = [a for a in pending if a.applicant_id not in placed]

    for application in zone.applications:
        result.admissions[application.applicant_id] = placed.get(application.applicant_id) or Admission(
            application.applicant_id, None, POOL, None, None, numbers[application.applicant_id])
    return result
