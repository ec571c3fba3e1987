"""The ledger's targets (督导台账的指标) and the award's weights (先进交流教师评选权重), one flat table.

Defaults and their sources are written out in `policies/ledger.toml` (read through app.policies,
area "ledger": a cluster may change any number for a term or a year)."""
from __future__ import annotations

from dataclasses import dataclass

from domain.policy import PolicyError, PolicySection


@dataclass(frozen=True)
class LedgerPolicy(PolicySection):
    SECTION = "ledger"

    # 003 part 4: urban and quality schools rotate ≥ 10% of eligible teachers a year, backbone ≥ 20% of those
    rotation_min_fraction: float = 0.1
    backbone_min_share: float = 0.2
    # 003 part 2 (Mingzhu): teachers exchange at least 8 person-times a year in the cluster
    person_times_per_year: int = 8
    # 001: a quality school sends ≥ 4 excellent teachers a year to each school it supports
    excellent_teachers_per_supported_school: int = 4
    # 003 part 2: each month a school pair exchanges 2 leaders
    leaders_per_pair_per_month: int = 2
    term1_months: tuple[int, ...] = (9, 10, 11, 12)  # the months of term 1 that count (第一学期)
    term2_months: tuple[int, ...] = (3, 4, 5, 6)  # … and of term 2
    # 003 part 2: an exchanged leader observes (听课) at least 2 lessons at the partner school
    observations_per_leader_exchange: int = 2
    # 001: every subject, every term, ≥ 1 demonstration lesson at each supported school
    demo_lessons_per_subject_per_term: int = 1
    # 001: ≥ 2 same-grade same-subject joint lesson-prep sessions a term with each supported school
    joint_lesson_prep_per_term: int = 2
    # 003 part 2 / DOMAIN.md: ≥ 3 trainings and ≥ 3 research activities per subject per term
    trainings_per_subject_per_term: int = 3
    research_per_subject_per_term: int = 3
    # 001 part 3: principals' joint meeting monthly; 001 part 2: teaching meeting at least twice a term
    principals_meetings_per_month: int = 1
    teaching_meetings_per_term: int = 2

    # the 先进交流教师 award (003 part 2: 交流日志、师徒捆绑赛课、考勤、经验交流、民主评议、教学质量):
    # relative weights of each dossier figure, each scaled to the best candidate's (0–1) before weighting
    weight_attendance: float = 1.0  # days present at the host school (考勤)
    weight_logs: float = 1.0  # weekly logs written (交流日志)
    weight_demo_lessons: float = 1.0  # demonstration lessons given (示范课)
    weight_mentoring: float = 1.0  # mentoring sessions with the apprentice (师徒说课)
    weight_quality: float = 2.0  # the bundled teaching-quality score (捆绑评价, analysis)
    award_places: int = 3  # how many are proposed for the award

    def __post_init__(self) -> None:
        object.__setattr__(self, "term1_months", tuple(int(m) for m in self.term1_months))
        object.__setattr__(self, "term2_months", tuple(int(m) for m in self.term2_months))
        for key in ("term1_months", "term2_months"):
            if any(not 1 <= m <= 12 for m in getattr(self, key)):
                raise PolicyError(f"{key}: months are 1–12", zh=f"{key}：月份须为 1–12", table="ledger", key=key)

    def months_of(self, term: int) -> tuple[int, ...]:
        return self.term1_months if term == 1 else self.term2_months
