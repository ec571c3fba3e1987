"""Teacher exchange rotation (交流轮岗): the roster model, leaders' exchange days, mentoring, subsidies.

`plan_rotation` is the one button; see README.md in this folder for the API and the policy.
"""
from .explain import explain_infeasibility, shortfall_report
from .inputs import (Forbid, Pin, RotationInput, RotationSchool, RotationTeacher, TeachingNeed,
                     rotation_input_from_tables)
from .policy import DEFAULT_POLICY_PATH, PolicyError, RotationPolicy, load_rotation_policy
from .attainment import Attainment, attainment, hard_rule_ceilings
from .results import (Explanation, LeaderExchange, MentorPair, PartTimePosting, Posting, PrincipalMonth, RotationPlan,
                      RotationResult, Shortfall)
from .solve import plan_rotation
from .validate import Violation, validate_roster
from .writers import (roster_frames, rotation_frame, rotation_rows, summary_frame, summary_markdown,
                      write_rotation_csv, write_school_rosters_xlsx)

__all__ = [
    "Attainment", "DEFAULT_POLICY_PATH", "Explanation", "PartTimePosting", "attainment", "hard_rule_ceilings", "Forbid", "LeaderExchange", "MentorPair", "Pin", "PolicyError", "Posting",
    "PrincipalMonth", "RotationInput", "RotationPlan", "RotationPolicy", "RotationResult", "RotationSchool",
    "RotationTeacher", "Shortfall", "TeachingNeed", "Violation", "explain_infeasibility", "load_rotation_policy",
    "plan_rotation", "roster_frames", "rotation_frame", "rotation_input_from_tables", "rotation_rows",
    "shortfall_report", "summary_frame", "summary_markdown", "validate_roster", "write_rotation_csv",
    "write_school_rosters_xlsx",
]
