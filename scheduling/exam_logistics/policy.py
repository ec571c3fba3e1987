"""Rule numbers of joint-exam logistics (联考监考与阅卷安排), every one a policy parameter.

`InvigilationPolicy` and `MarkingPolicy` hold the defaults of the issue and shared/DOMAIN.md;
`from_dict` refuses unknown keys, `to_dict` round-trips. `policies/exam_logistics.toml` documents
every key in Chinese and English, with the same defaults (a test keeps the two in step):
its `[invigilation]` and `[marking]` tables feed `load_policies()`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.policy import POSITIVE, PolicyError, PolicySection, PolicyTables

POLICY_FILE = Path(__file__).resolve().parents[2] / "policies" / "exam_logistics.toml"

#: Relaxation tiers (放宽层级) of invigilation, in the order a bureau relaxes: a longer distance for the sites
#: that need it, an assistant of the site's own school beside a chief of another school, reserves shared
#: between the sites of one town, one more session a day, quota tolerance, and last an unstaffed place.
RELAXATION_TIERS = ("distance", "own_school_assistant", "shared_reserve", "extra_session", "quota", "unstaffed")

#: Terms the invigilation objective may be made of, minimised lexicographically in the order given.
INVIGILATION_OBJECTIVE_TERMS = ("max_load", "spread", "km", "quota_deviation")
MARKING_MODES = ("centralised", "online")


@dataclass(frozen=True)
class InvigilationPolicy(PolicySection):
    SECTION = "invigilation"
    RANGES = {"invigilators_per_room": POSITIVE, "max_sessions_per_day": POSITIVE, "max_km": POSITIVE,
              "max_km_rural": POSITIVE}  # other numbers: domain.policy's rule (≥ 0; shares in [0, 1])

    # --- rooms (考场) ---
    invigilators_per_room: int = 2  # 每考场监考人数：1 名主监考 + 其余副监考
    large_room_seats: int = 0  # rooms with more seats get one more invigilator (by seats); 0 = never
    reserves_per_site: int = 1  # 每考点每场至少备用监考人数
    rooms_per_extra_reserve: int = 0  # one more reserve per this many rooms of a site; 0 = never
    # --- chief invigilator (主监考) ---
    chief_min_teaching_years: int = 5  # 主监考：教龄至少 5 年 ...
    chief_backbone_qualifies: bool = True  # ... or a backbone teacher (骨干教师)
    # --- cross invigilation (交叉监考) ---
    exclude_own_school: bool = True  # nobody invigilates at their own school
    distinct_schools_in_room: bool = True  # the invigilators of a room come from different schools
    exclude_own_subject: bool = True  # 不监考本学科
    exclude_own_students: bool = False  # also not a session their own students (grade taught) sit
    # --- load (工作量) ---
    max_sessions_per_day: int = 2  # 每人每天至多 2 场
    max_sessions_per_exam: int = 4  # 每人每次联考至多 4 场
    max_sessions_leader: int = 2  # 中层干部
    max_sessions_principal: int = 0  # 校长 (site directors, 考点主任) do not invigilate
    one_site_per_day: bool = True  # a teacher stays at one site on a given day
    # --- quota (各校派出监考名额) ---
    quota_tolerance: float = 0.15  # relative tolerance around the proportional target
    quota_slack: int = 2  # ... plus this many invigilator-sessions either way
    quota_scope: str = "exam"  # "exam": whole-exam totals; "session": every session too
    # --- travel (交通) ---
    max_km: float = 30.0  # one way, teacher's school to site
    max_km_rural: float = 45.0  # when the teacher's school or the site is rural (农村)
    # --- objective (目标), lexicographic ---
    objective: tuple[str, ...] = ("max_load", "spread", "km")
    # --- relaxation tiers (放宽层级): used only when the rules above admit no complete plan ---
    relaxation_tiers: tuple[str, ...] = RELAXATION_TIERS  # allowed tiers, cheapest use first; omit one to forbid it
    relax_max_km: float = 90.0  # tier distance: the longer one-way limit for the named sites that need it
    reserve_share_km: float = 10.0  # tier shared_reserve: sites this close (one town) may share one site's reserves
    # cost of one use of each tier (one teacher-session far away, one own-school assistant, one shared reserve
    # place, one session beyond the day limit, one invigilator-session outside a quota, one unstaffed place)
    relax_cost_distance: int = 1
    relax_cost_own_school_assistant: int = 8
    relax_cost_shared_reserve: int = 64
    relax_cost_extra_session: int = 512
    relax_cost_quota: int = 4096
    relax_cost_unstaffed: int = 1_000_000

    def relax_cost(self, tier: str) -> int:
        return int(getattr(self, f"relax_cost_{tier}"))

    def check(self) -> None:
        bad_tiers = [t for t in self.relaxation_tiers if t not in RELAXATION_TIERS]
        if bad_tiers or len(set(self.relaxation_tiers)) != len(self.relaxation_tiers):
            raise PolicyError(f"relaxation_tiers must be distinct, from {RELAXATION_TIERS}; got {self.relaxation_tiers}")
        if any(self.relax_cost(t) < 0 for t in RELAXATION_TIERS):
            raise PolicyError("relax_cost_* must not be negative")
        if not (self.relax_max_km >= 0 and self.reserve_share_km >= 0):
            raise PolicyError("relax_max_km and reserve_share_km must not be negative")
        if self.invigilators_per_room < 1:
            raise PolicyError("invigilators_per_room must be at least 1")
        if self.reserves_per_site < 0 or self.rooms_per_extra_reserve < 0 or self.large_room_seats < 0:
            raise PolicyError("reserve and room counts must not be negative")
        if self.max_sessions_per_day < 1:
            raise PolicyError("max_sessions_per_day must be at least 1")
        if self.quota_scope not in ("exam", "session"):
            raise PolicyError("quota_scope must be 'exam' or 'session'")
        if self.quota_tolerance < 0 or self.quota_slack < 0:
            raise PolicyError("quota tolerance and slack must not be negative")
        bad = [t for t in self.objective if t not in INVIGILATION_OBJECTIVE_TERMS]
        if bad or len(set(self.objective)) != len(self.objective):
            raise PolicyError(f"objective terms must be distinct, from {INVIGILATION_OBJECTIVE_TERMS}; got {self.objective}")

    def cap_for_role(self, role: str) -> int:
        """At most this many sessions in the exam for a teacher of this role (岗位)."""
        if role == "principal":
            return self.max_sessions_principal
        if role == "leader":
            return self.max_sessions_leader
        return self.max_sessions_per_exam

    def km_limit(self, teacher_school_rural: bool, site_rural: bool) -> float:
        return self.max_km_rural if (teacher_school_rural or site_rural) else self.max_km


@dataclass(frozen=True)
class MarkingPolicy(PolicySection):
    SECTION = "marking"
    RANGES = {"hours_available": POSITIVE, "max_km": POSITIVE, "leaders_per_group": POSITIVE,
              "default_group_seconds": POSITIVE}

    # --- workload (工作量), pipeline marking 流水阅卷 ---
    double_marking_share: float = 1.0  # 双评比例：share of scripts marked twice
    third_mark_share: float = 0.05  # 三评（仲裁）比例：expected share of scripts needing a third mark
    margin: float = 0.10  # 余量：extra capacity on top of the work
    hours_available: float = 16.0  # marking hours per marker, when the input gives none (two 8-hour days)
    leader_counts_in_group: bool = False  # leaders also give first/second marks (marking.toml leaders_also_mark)
    # 题组长与副组长: two leaders from different schools, so a script that needs arbitration (仲裁)
    # always has a leader of another school (no one sees a script of their own school).
    leaders_per_group: int = 2
    # 回避本校: each school's scripts always get two markers of other schools when double-marked; with
    # this on, also enough of them to carry the school's share of the group's work (off: a big lead
    # school's scripts may take longer than the marking days planned).
    own_school_work_cover: bool = True
    # --- items → item groups (题组), for inputs built from the question bank ---
    seconds_base: float = 5.0  # seconds per script and item: base ...
    seconds_per_point: float = 2.0  # ... plus this per point of the item's full marks
    min_group_seconds: float = 45.0  # consecutive short items are grouped until a group takes this long
    max_groups_per_subject: int = 0  # at most this many item groups a subject (adjacent groups merged); 0 = no limit
    default_groups_per_subject: int = 3  # when the bank gives no subjective items of a subject
    default_group_seconds: float = 60.0  # ... each taking this long per script
    # --- who marks (阅卷教师) ---
    grade_window: int = 0  # 0: markers teach the exam's grade; 1: adjacent grades allowed too
    marker_roles: tuple[str, ...] = ("teacher", "leader")  # principals do not mark
    leader_min_teaching_years: int = 10  # 题组长：教龄至少 10 年 ...
    leader_requires_backbone: bool = True  # ... and a backbone teacher
    exclude_unavailable: bool = True  # teachers unavailable on a marking date do not mark
    # --- quota (各校派出阅卷教师名额) ---
    quota_tolerance: float = 0.20
    quota_slack: int = 1
    quota_scope: str = "exam"  # "exam": all subjects together; "subject": per subject too
    # --- travel ---
    mode: str = "centralised"  # centralised (集中阅卷) at a site, or online (网上阅卷: no distance limit)
    max_km: float = 50.0  # centralised marking: one way, teacher's school to the marking site
    # --- objective weights ---
    weight_km: float = 1.0  # per km of travel (centralised only)
    weight_adjacent_grade: float = 20.0  # per marker taken from an adjacent grade
    weight_quota_deviation: float = 10.0  # per marker away from a school's proportional target
    # --- best effort (尽力方案): when the rules cannot all be met, a subject short of markers or leaders
    # still gets its groups; the relaxations below are used in this order, each counted and minimised,
    # and the other subjects keep every rule (marking_best_effort.py) ---
    best_effort: bool = True  # false: refuse (infeasible, with the reasons) as before
    best_effort_grade_extra: int = 1  # markers this many grades beyond grade_window may be taken (相邻年级)
    best_effort_acting_leaders: bool = True  # the most senior markers may act as leader/deputy (代理题组长)
    best_effort_hours_factor: float = 1.5  # the marking window may grow to this × hours (fewer markers needed)

    def check(self) -> None:
        if self.best_effort_grade_extra < 0:
            raise PolicyError("best_effort_grade_extra must not be negative")
        if not self.best_effort_hours_factor >= 1.0:  # also refuses nan
            raise PolicyError("best_effort_hours_factor must be at least 1")
        if self.mode not in MARKING_MODES:
            raise PolicyError(f"mode must be one of {MARKING_MODES}")
        if self.quota_scope not in ("exam", "subject"):
            raise PolicyError("quota_scope must be 'exam' or 'subject'")
        for name in ("double_marking_share", "third_mark_share", "margin", "quota_tolerance"):
            if getattr(self, name) < 0:
                raise PolicyError(f"{name} must not be negative")
        if self.hours_available <= 0:
            raise PolicyError("hours_available must be positive")
        if self.grade_window < 0:
            raise PolicyError("grade_window must not be negative")
        if self.max_groups_per_subject < 0:
            raise PolicyError("max_groups_per_subject must not be negative")


@dataclass(frozen=True)
class ExamLogisticsPolicy(PolicyTables):
    """Both policies of the area: the `[invigilation]` and `[marking]` tables of policies/exam_logistics.toml."""

    TABLES = {"invigilation": InvigilationPolicy, "marking": MarkingPolicy}
    DEFAULT_PATH = POLICY_FILE

    invigilation: InvigilationPolicy = field(default_factory=InvigilationPolicy)
    marking: MarkingPolicy = field(default_factory=MarkingPolicy)


def load_policies(path: Path | str = POLICY_FILE) -> tuple[InvigilationPolicy, MarkingPolicy]:
    """Both policies from a TOML file with `[invigilation]` and `[marking]` tables (both optional)."""
    policy = ExamLogisticsPolicy.from_toml(path)
    return policy.invigilation, policy.marking
