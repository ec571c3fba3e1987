"""`--policy FILE` for every command that takes one: read it before any work, or say in one line why not.

A policy file that is missing, GBK-encoded, not TOML, or holds `nan`, `inf`, a negative count or a
share outside [0, 1] ends the command with the same one line `xuequ policy edit` prints (file,
table, key, what is wrong) and exit code 2, never a traceback from inside a flow.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import typer

from domain.policy import PolicyError

_T = TypeVar("_T")

#: The policy areas a season reads, and how each reads its file (imported when used: keep the CLI fast).
SEASON_AREAS = ("exam_logistics", "question_setting", "analysis")


def policy_line(error: PolicyError, lang: str = "zh") -> str:
    """The one line a person reads for a policy that cannot be used."""
    return error.line(lang)


def fail_policy(error: PolicyError, lang: str = "zh", prefix: str = "") -> None:
    typer.echo(prefix + policy_line(error, lang), err=True)
    raise typer.Exit(code=2)


def policy_or_exit(load: Callable[[Path], _T], path: Path | str | None, lang: str = "zh") -> _T | None:
    """`load(path)` (an area's loader), or exit 2 with one line; None when no file was given."""
    if path is None:
        return None
    try:
        return load(Path(path))
    except PolicyError as error:
        fail_policy(error, lang)
    return None  # pragma: no cover - fail_policy raises


def load_area_policy(area: str, path: Path | str):
    """The policy of one area from a file (raises PolicyError naming the file)."""
    if area == "exam_logistics":
        from scheduling.exam_logistics.policy import ExamLogisticsPolicy

        return ExamLogisticsPolicy.from_toml(path)
    if area == "question_setting":
        from scheduling.question_setting.policy import load_policy as load_question_setting_policy

        return load_question_setting_policy(path)
    if area == "analysis":
        from analysis.policy import load_policy as load_analysis_policy

        return load_analysis_policy(path)
    if area == "marking":
        from marking.policy import load_policy as load_marking_policy

        return load_marking_policy(path)
    if area == "rotation":
        from scheduling.rotation.policy import load_rotation_policy

        return load_rotation_policy(path)
    if area == "calendar":
        from scheduling.calendar.policy import load_calendar_policy

        return load_calendar_policy(path)
    raise PolicyError(f"unknown policy area {area!r}", zh=f"未知的政策类别 {area!r}")


def season_policy_files(values: list[str], lang: str = "zh") -> dict[str, str]:
    """`--policy` values of `season run` (AREA=FILE, or FILE for exam_logistics), each read and checked
    now: area → file. A bad one exits 2 with one line."""
    files: dict[str, str] = {}
    for value in values:
        area, sep, file = value.partition("=")
        if not sep:
            area, file = "exam_logistics", value
        area = area.strip()
        if area not in SEASON_AREAS:
            typer.echo((f"--policy {value}：政策类别须为 {', '.join(SEASON_AREAS)} 之一（写作 类别=文件）" if lang == "zh"
                        else f"--policy {value}: the area must be one of {', '.join(SEASON_AREAS)} (AREA=FILE)"),
                       err=True)
            raise typer.Exit(code=2)
        policy_or_exit(partial(load_area_policy, area), file, lang)
        files[area] = file
    return files
