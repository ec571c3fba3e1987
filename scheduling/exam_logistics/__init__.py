"""Joint-exam logistics (联考监考与阅卷安排): invigilation and marking assignments, CP-SAT.

Pure functions from plain typed inputs to plain typed results (no database, no Prefect).

Inputs: `invigilation_input_from_tables(tables, exam_id)` / `marking_input_from_tables(...)` build
them from bundle-shaped DataFrames; or construct `InvigilationInput` / `MarkingInput` directly.
Planning: `plan_invigilation`, `plan_marking`; baseline: `greedy_invigilation`; repair:
`repair_invigilation`, `repair_marking`; checks: `validate_invigilation`, `validate_marking`;
exports: `invigilation_frame`, `marking_frame`, `write_*_csv`, `write_*_xlsx`.
Policies: `InvigilationPolicy`, `MarkingPolicy` (`from_dict`, `to_dict`), `load_policies()`.
"""
from .data import (Change, Explanation, ExamRoom, ExamSchool, ExamSession, ExamTeacher, Forbid, InvigilationAssignment, RelaxationUse,
                   InvigilationInput, InvigilationResult, ItemGroup, MarkingAssignment, MarkingForbid, MarkingInput,
                   MarkingPin, MarkingResult, Pin)
from .greedy import greedy_invigilation
from .invigilation import fairness_bounds, plan_invigilation
from .marking import group_sizes, plan_marking, repair_marking
from .policy import InvigilationPolicy, MarkingPolicy, load_policies
from .repair import RepairResult, diff_plans, repair_invigilation
from .tables import invigilation_input_from_tables, marking_input_from_tables
from .validate import Violation, validate_invigilation, validate_marking
from .writers import (invigilation_frame, marking_frame, notice_texts, write_invigilation_csv,
                      write_invigilation_notices_xlsx, write_marking_csv, write_marking_notices_xlsx,
                      write_relaxations_csv, write_room_sheets_xlsx)

__all__ = [
    "Change", "RelaxationUse", "Explanation", "ExamRoom", "ExamSchool", "ExamSession", "ExamTeacher", "Forbid", "InvigilationAssignment",
    "InvigilationInput", "InvigilationResult", "ItemGroup", "MarkingAssignment", "MarkingForbid", "MarkingInput",
    "MarkingPin", "MarkingResult", "Pin", "greedy_invigilation", "fairness_bounds", "plan_invigilation", "group_sizes",
    "plan_marking", "repair_marking", "InvigilationPolicy", "MarkingPolicy", "load_policies", "RepairResult", "diff_plans",
    "repair_invigilation", "invigilation_input_from_tables", "marking_input_from_tables", "Violation",
    "validate_invigilation", "validate_marking", "invigilation_frame", "marking_frame", "notice_texts",
    "write_invigilation_csv", "write_invigilation_notices_xlsx", "write_marking_csv", "write_marking_notices_xlsx",
    "write_room_sheets_xlsx", "write_relaxations_csv",
]
