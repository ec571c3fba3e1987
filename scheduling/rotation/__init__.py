"""Teacher exchange rotation (交流轮岗): the roster model, leaders' exchange days, mentoring, subsidies.

Public API: see the names below; `plan_rotation` is the one button.
"""
from .explain import explain_infeasibility, shortfall_report
from .inputs import (Forbid, Pin, RotationInput, RotationSchool, RotationTeacher, TeachingNeed,
                     rotation_input_from_tables)
from .policy import DEFAULT_POLICY_PATH, PolicyError, RotationPolicy, load_rotation_policy
from .results import (Explanation, LeaderExchange, MentorPair, Posting, PrincipalMonth, RotationPlan,
                      RotationResult, Shortfall)
from .solve import plan_rotation

__all__ = [
    "DEFAULT_POLICY_PATH", "Explanation", "Forbid", "LeaderExchange", "MentorPair", "Pin", "PolicyError", "Posting",
    "PrincipalMonth", "RotationInput", "RotationPlan", "RotationPolicy", "RotationResult", "RotationSchool",
    "RotationTeacher", "Shortfall", "TeachingNeed", "explain_infeasibility", "load_rotation_policy", "plan_rotation",
    "rotation_input_from_tables", "shortfall_report",
]
