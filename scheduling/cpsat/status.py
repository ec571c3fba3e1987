"""CP-SAT's solver statuses by name (求解状态): one mapping for every planner.

Two spellings are stored and must not change: rotation plans store the upper-case names
("OPTIMAL"), exam logistics and question setting the lower-case ones ("optimal", with "invalid"
for a model CP-SAT refuses).
"""
from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

# CP-SAT returns its own enum; it compares and hashes as the proto's integer status
Status = cp_model.CpSolverStatus | int

STATUS_NAMES: dict[Any, str] = {
    cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN", cp_model.MODEL_INVALID: "MODEL_INVALID",
}
STATUS_NAMES_LOWER: dict[Any, str] = {
    cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
    cp_model.UNKNOWN: "unknown", cp_model.MODEL_INVALID: "invalid",
}


def status_name(status: Status, *, lower: bool = False) -> str:
    """The name of a solver status ("UNKNOWN" / "unknown" for anything CP-SAT may add later)."""
    names = STATUS_NAMES_LOWER if lower else STATUS_NAMES
    return names.get(status, names[cp_model.UNKNOWN])


def found_solution(status: Status) -> bool:
    """True when the solver holds a solution (proven optimal or not)."""
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
