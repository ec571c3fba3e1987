"""Consent for mass deletes: an import that would remove a large share of a table asks first.

A bundle replaces what it lists, so a file that lost its rows (a header-only `students.csv`
saved by mistake) would delete every student. Deleting more than `max_share` of a table's rows
needs `--allow-deletes`; a handful of rows (`free_rows`) never does, so everyday corrections of
a small table (one need removed of three) go through.
"""
from __future__ import annotations

from dataclasses import dataclass

from bundle.problems import Problem

DEFAULT_MAX_DELETE_SHARE = 0.2  # 20 % of a table's rows
DEFAULT_FREE_ROWS = 5


@dataclass(frozen=True)
class DeletePolicy:
    max_share: float = DEFAULT_MAX_DELETE_SHARE  # share of a table's rows an import may delete unasked
    free_rows: int = DEFAULT_FREE_ROWS  # deleting at most this many rows never needs consent
    allow: bool = False  # --allow-deletes: the planner consents to every deletion

    def __post_init__(self) -> None:
        if not 0 <= self.max_share <= 1:
            raise ValueError(f"max_share must be between 0 and 1, got {self.max_share}")
        if self.free_rows < 0:
            raise ValueError(f"free_rows must not be negative, got {self.free_rows}")


def needs_consent(existing: int, deleting: int, policy: DeletePolicy) -> bool:
    """True when deleting `deleting` of `existing` rows is more than the policy lets pass unasked."""
    if policy.allow or deleting <= policy.free_rows:
        return False
    return deleting > policy.max_share * existing


def mass_delete_problem(file: str, existing: int, deleting: int, policy: DeletePolicy) -> Problem:
    """The refusal, naming the file, how many rows of how many, and the option that consents."""
    share = deleting / existing if existing else 1.0
    return Problem(
        f"{file}.csv", None, None,
        f"这次导入将删除 {file} 表 {existing} 行中的 {deleting} 行（{share:.0%}），超过允许的 {policy.max_share:.0%}；"
        f"文件是否缺行？确需删除请加 --allow-deletes（或调高 --max-delete-share）",
        f"this import would delete {deleting} of the {existing} rows of {file} ({share:.0%}), more than the "
        f"{policy.max_share:.0%} allowed; is the file missing rows? To delete them, add --allow-deletes "
        f"(or raise --max-delete-share)")
