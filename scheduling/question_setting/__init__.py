"""Unified question setting (统一命题): blueprints, setting teams and automated paper assembly.

Pure functions from plain typed inputs to plain typed results (no database, no Prefect):

- `Blueprint` (双向细目表) with TOML/YAML/Excel I/O and `default_blueprint(subject, grade, bank)`;
- `bank_from_tables(tables, subject, grade)` → `list[BankItem]` from bundle `items` / `item_usage`;
- `assemble_paper(bank, blueprint, policy, cohort=...)` → `AssemblyResult` with `Paper` forms;
- `choose_setting_team(candidates, exam_kind, policy, history, subject=...)` → `SettingTeamResult`
  (best effort when the rules cannot all hold: `relaxations`, `strict_explanation`);
- policies: `AssemblyPolicy`, `BlueprintPolicy`, `SettingTeamPolicy`, `QuestionSettingPolicy`,
  `load_policy()` (defaults in policies/question_setting.toml).
"""
from .assembly import AssemblyResult, assemble_paper
from .bank import BankItem, ItemUse, bank_from_tables, recently_used_items, usage_from_frame
from .blueprint import Blueprint, BlueprintError, default_blueprint
from .feasibility import CellCapacity, cell_capacity
from .paper import MarkingStandard, Paper, PaperItem, marking_standard
from .policy import (
    AssemblyPolicy, BlueprintPolicy, PolicyError, QuestionSettingPolicy, SettingTeamPolicy, load_policy,
)
from .setting_team import (
    SettingCandidate, SettingRelaxation, SettingTeamResult, candidates_from_tables, choose_setting_team,
)

__all__ = [
    "AssemblyPolicy", "AssemblyResult", "BankItem", "Blueprint", "BlueprintError", "BlueprintPolicy",
    "CellCapacity", "ItemUse", "MarkingStandard", "Paper", "PaperItem", "PolicyError", "QuestionSettingPolicy",
    "SettingCandidate", "SettingRelaxation", "SettingTeamPolicy", "SettingTeamResult", "assemble_paper",
    "bank_from_tables", "candidates_from_tables", "cell_capacity", "choose_setting_team", "default_blueprint",
    "load_policy", "marking_standard", "recently_used_items", "usage_from_frame",
]
