"""Plain typed inputs of an enrollment zone (招生片区) and the rule's settings."""
from __future__ import annotations

from dataclasses import dataclass

CATCHMENT_BONUS = 10.0  # 003 part 3: 选择报读原地段所属学校的积分增加10分
MAX_CHOICES = 3  # 第一、第二、第三志愿


@dataclass(frozen=True)
class Application:
    """One family's application (报名): its catchment school, its choices in order, its points."""

    applicant_id: str  # 报名编号
    name: str
    home_school_id: str  # 原地段学校
    choices: tuple[str, ...]  # 1st, 2nd, 3rd choice school ids (1 to 3 of them, no repeats)
    points: float  # 积分 by the district's standard, before the catchment bonus


@dataclass(frozen=True)
class ZoneSchool:
    """A school admitting in the zone: its seats (招生计划) and how it admits when oversubscribed."""

    school_id: str
    seats: int
    lottery: bool = False  # True: an oversubscribed round is decided by the draw (电脑随机派位), not points
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.school_id


@dataclass(frozen=True)
class Zone:
    zone_id: str
    schools: tuple[ZoneSchool, ...]
    applications: tuple[Application, ...]

    def school(self, school_id: str) -> ZoneSchool:
        return self._by_id()[school_id]

    def _by_id(self) -> dict[str, ZoneSchool]:
        return {s.school_id: s for s in self.schools}


@dataclass(frozen=True)
class RuleSettings:
    """The seeds' numbers. The bonus applies where the family applies to its own catchment school and
    only there (003 part 3), whichever choice that school is; `bonus_first_choice_only` limits it to a
    first choice (DOMAIN.md words it "choosing one's own catchment school first")."""

    catchment_bonus: float = CATCHMENT_BONUS
    bonus_first_choice_only: bool = False

    def points_at(self, application: Application, school_id: str, rank: int) -> float:
        """The points that rank the family at `school_id`, its choice number `rank` (1-based)."""
        if school_id == application.home_school_id and (rank == 1 or not self.bonus_first_choice_only):
            return application.points + self.catchment_bonus
        return application.points
