"""The CP-SAT kit shared by the planners (rotation, exam logistics, question setting, marking
groups): guarded rules, the minimal-conflict search, solver status names and one `Explanation`.

Each planner builds one rule block per function (as OR-Tools' `shift_scheduling_sat.py` does),
guards the blocks whose conflicts it must explain, and names the rules of a core in its own words.
"""
from .core import CoreResult, disjoint_cores, minimal_core
from .explanation import Explanation
from .rules import (
    Guarded,
    is_infeasible,
    literal_in,
    maximise_under,
    new_solver,
    solve_with_rules,
)
from .status import STATUS_NAMES, STATUS_NAMES_LOWER, found_solution, status_name

__all__ = [
    "STATUS_NAMES", "STATUS_NAMES_LOWER", "CoreResult", "Explanation", "Guarded", "disjoint_cores",
    "found_solution", "is_infeasible", "literal_in", "maximise_under", "minimal_core", "new_solver",
    "solve_with_rules", "status_name",
]
