"""The Chinese spellings a school types into a bundle, mapped to the contract's codes.

The template's notes name the Chinese values (学段：小学、初中…; 岗位：教师、中层干部、校长; 学科 语文…),
so a workbook that follows its own notes must import: every choice, subject and grade cell is
looked up here before it is checked. Codes stay the one stored form; Chinese is only accepted.
"""
from __future__ import annotations

import re

from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES, LOCALITIES, ROLES, STAGES, SUBJECTS, TIERS

# Chinese spellings seen in school files beyond the one label vocab.py keeps per code.
SUBJECT_ALIASES: dict[str, str] = {
    "政治": "politics", "思想政治": "politics", "思想品德": "politics", "道德与法治": "politics",
    "政治(道德与法治)": "politics", "政治（道德与法治）": "politics", "道法": "politics",
    "体育与健康": "pe", "信息科技": "it", "信息": "it", "生物学": "biology",
}
ROLE_ALIASES: dict[str, str] = {"专任教师": "teacher", "中层": "leader", "干部": "leader"}
GENDER_ALIASES: dict[str, str] = {"男": "M", "女": "F", "m": "M", "f": "F"}
EXAM_KIND_LABELS: dict[str, str] = {"unit": "单元", "midterm": "期中", "final": "期末", "feedback": "反馈"}

# Chinese numerals 一 … 十二 for grades written as 七年级 / 初一 / 高三.
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}
_GRADE_WORD = re.compile(r"^(?P<n>\d{1,2}|[一二三四五六七八九十]{1,2})年级$")
_STAGE_GRADE = re.compile(r"^(?P<stage>[初高])(?P<n>[一二三123])$")


def _labels(codes: dict[str, str], aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Accepted spelling → code: the code itself (any case), its Chinese label, and aliases."""
    accepted = {code.lower(): code for code in codes}
    accepted.update({label: code for code, label in codes.items()})
    accepted.update(aliases or {})
    return accepted


SUBJECT_VALUES = _labels(SUBJECTS, SUBJECT_ALIASES)
CHOICE_VALUES: dict[tuple[str, ...], dict[str, str]] = {
    tuple(STAGES): _labels(STAGES),
    tuple(LOCALITIES): _labels(LOCALITIES, {"城市": "urban", "城镇": "township", "乡村": "rural"}),
    tuple(TIERS): _labels(TIERS, {"普通": "ordinary"}),
    tuple(ROLES): _labels(ROLES, ROLE_ALIASES),
    tuple(ITEM_TYPES): _labels(ITEM_TYPES, {"单选": "single_choice", "多选": "multiple_choice", "填空": "fill_in",
                                            "主观": "subjective"}),
    tuple(COGNITIVE_LEVELS): _labels(COGNITIVE_LEVELS),
    tuple(EXAM_KIND_LABELS): _labels(EXAM_KIND_LABELS, {"单元检测": "unit", "期中考试": "midterm", "期末考试": "final",
                                                        "期中联考": "midterm", "期末联考": "final"}),
    ("M", "F"): {"M": "M", "F": "F", **GENDER_ALIASES},
}


def subject_code(text: str) -> str | None:
    """'数学', 'Math' or 'math' → 'math'; None when unknown."""
    return SUBJECT_VALUES.get(text.strip()) or SUBJECT_VALUES.get(text.strip().lower())


def choice_code(text: str, choices: tuple[str, ...]) -> str | None:
    """A choice cell in code or Chinese → its code; None when it is none of them."""
    accepted = CHOICE_VALUES.get(tuple(choices)) or _labels({c: c for c in choices})
    value = text.strip()
    return accepted.get(value) or accepted.get(value.lower())


def grade_number(text: str) -> int | None:
    """'8', '8.0', '八年级', '8年级', '初二' → 8; '高一' → 10; None when it is no grade 1–12."""
    value = text.strip().replace(" ", "")
    if re.fullmatch(r"\d{1,2}(\.0+)?", value):
        number = int(float(value))
    elif match := _GRADE_WORD.match(value):
        n = match.group("n")
        number = int(n) if n.isdigit() else _NUMERALS.get(n, 0)
    elif match := _STAGE_GRADE.match(value):
        n = match.group("n")
        within = int(n) if n.isdigit() else _NUMERALS[n]
        number = within + (6 if match.group("stage") == "初" else 9)
    else:
        return None
    return number if 1 <= number <= 12 else None
