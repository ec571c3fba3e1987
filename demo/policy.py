"""The demo district's knobs, with defaults taken from shared/DOMAIN.md where it gives a number.

`DemoPolicy.from_dict` refuses unknown keys; `policies/demo.toml` documents every key (Chinese and
English) and holds the same defaults (a test keeps the two in step).
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).resolve().parent.parent / "policies" / "demo.toml"


@dataclass(frozen=True)
class DemoPolicy:
    # --- geography (地理) ---
    county_lat: float = 34.5  # county seat 县城 latitude
    county_lon: float = 113.0  # county seat longitude
    urban_share: float = 0.28  # share of schools in the urban core 城区学校占比
    core_radius_km: float = 3.5  # urban schools lie within this radius of the county seat
    rural_min_km: float = 22.0  # townships and villages: distance from the county seat, at least
    rural_max_km: float = 58.0  # ... and at most
    schools_per_township: float = 5.5  # township central schools plus their village schools
    # --- clusters (学区), DOMAIN.md 003 part 4 ---
    schools_per_cluster: float = 5.0  # target mean size; real examples have 2–5 members plus the lead
    max_cluster_schools: int = 10  # 每个学区学校数原则上不超过10所
    # --- classes and students (班级与学生) ---
    class_size_min: int = 40  # urban and township classes
    class_size_max: int = 50
    rural_class_size_min: int = 25  # village classes are smaller
    rural_class_size_max: int = 45
    room_capacity: int = 30  # seats of a standard exam room 标准考场座位数
    tier_ability_shift: float = 0.3  # school mean θ: quality +shift, weak −shift
    school_ability_sd: float = 0.1  # school random effect on θ
    class_ability_sd: float = 0.15  # class effect on θ
    # --- teachers (教师) ---
    backbone_share: float = 0.20  # 骨干教师 share of all teachers
    famous_share: float = 0.02  # 名师 share of all teachers (all backbone)
    volunteer_share: float = 0.30  # 自愿报名交流 share
    rotated_before_share: float = 0.15  # teachers with a last_rotation_year (1–8 years ago)
    home_known_share: float = 0.85  # teachers with home coordinates
    rural_home_in_town_share: float = 0.35  # township and village teachers living in the county seat
    # --- rotation needs (岗位需求), DOMAIN.md 003 part 4 ---
    needs_share_of_eligible: float = 0.12  # posts asked ≈ this share of eligible teachers (quota ≥10%, 003 part 4)
    eligible_min_years_at_school: int = 6  # eligible: at least this many years at the school ...
    eligible_max_age: int = 55  # ... and at most this age
    # --- exams and the question bank (联考与题库) ---
    items_per_subject: int = 200  # bank items per subject for the exam grade
    prior_items_per_subject: int = 80  # bank items per subject for the grade before (last term's final)
    prior_paper_items: int = 24  # items of last term's final paper per subject (item_usage of the cohort)
    item_usage_share: float = 0.25  # share of exam-grade items used by earlier cohorts
    cohort_exposure_share: float = 0.04  # share of exam-grade items this cohort saw in this term's unit test
    enemy_pair_share: float = 0.03  # share of items in an enemy (overlap) pair
    unavailability_share: float = 0.003  # teachers unavailable on an exam day or session (at least 5 rows)

    @classmethod
    def from_dict(cls, d: dict) -> DemoPolicy:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValueError(f"unknown demo policy key(s): {', '.join(unknown)}; known keys: {', '.join(known)}")
        values: dict[str, Any] = {}
        for name, value in d.items():
            kind = known[name].type
            values[name] = int(value) if kind == "int" else float(value) if kind == "float" else value
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_toml(cls, path: Path | str = POLICY_FILE) -> DemoPolicy:
        with open(path, "rb") as f:
            return cls.from_dict(tomllib.load(f))
