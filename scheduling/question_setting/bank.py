"""The question bank (题库) as typed items, read from bundle-shaped `items` and `item_usage` tables."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from bundle.cells import cell_float, cell_int, cell_text
from bundle.spec import ITEM_USAGE, ITEMS
from domain.vocab import OBJECTIVE_ITEM_TYPES

from ._common import Cell, level_code, split_list, subject_code, type_code


@dataclass(frozen=True)
class ItemUse:
    """One past use of an item (a row of item_usage.csv)."""

    exam_id: str
    cohort: int  # 届别: the year the cohort entered grade 1
    used_on: dt.date


@dataclass(frozen=True)
class BankItem:
    """One bank item (a row of items.csv) with its usage history."""

    item_id: str
    subject: str
    grade: int
    item_type: str  # single_choice, multiple_choice, fill_in, subjective  题型
    max_score: float  # 满分
    knowledge_area: str  # 知识领域
    cognitive_level: str  # remember, understand, apply, analyse  认知层次
    difficulty: float  # expected proportion of the max score, higher is easier  难度估计（得分率）
    key: str | None = None  # 答案
    discrimination: float | None = None  # 区分度估计
    options: int | None = None  # 选项数
    score_step: float | None = None  # 给分步长
    enemies: tuple[str, ...] = ()  # 互斥题目: never on the same paper
    stem: str | None = None  # 题干
    rubric: str | None = None  # 评分标准
    usage: tuple[ItemUse, ...] = field(default=(), compare=False)

    @property
    def cell(self) -> Cell:
        return (self.knowledge_area, self.cognitive_level, self.item_type)

    @property
    def is_objective(self) -> bool:
        return self.item_type in OBJECTIVE_ITEM_TYPES

    def uses_for_cohort(self, cohort: int) -> tuple[ItemUse, ...]:
        return tuple(use for use in self.usage if use.cohort == cohort)


def recent_exam_ids(bank: Iterable[BankItem], cohort: int, last_n: int) -> set[str]:
    """The cohort's last `last_n` exams (by date) that used any bank item; -1 means all of them.

    Why from usage: the bank's usage records are the only place that knows which exams of this
    subject the cohort sat, so "the last N exams" is counted among those.
    """
    if last_n == 0:
        return set()
    dates: dict[str, dt.date] = {}
    for item in bank:
        for use in item.uses_for_cohort(cohort):
            if use.exam_id not in dates or use.used_on > dates[use.exam_id]:
                dates[use.exam_id] = use.used_on
    ordered = sorted(dates, key=lambda exam_id: (dates[exam_id], exam_id), reverse=True)
    return set(ordered if last_n < 0 else ordered[:last_n])


def recently_used_items(bank: Iterable[BankItem], cohort: int, last_n: int) -> set[str]:
    """Ids of items used for this cohort in its last `last_n` exams."""
    bank = list(bank)
    exams = recent_exam_ids(bank, cohort, last_n)
    return {item.item_id for item in bank if any(use.exam_id in exams for use in item.uses_for_cohort(cohort))}


def symmetric_enemies(bank: Iterable[BankItem]) -> dict[str, set[str]]:
    """Enemy lists are often filled on one side only: A lists B means B also excludes A."""
    ids = {item.item_id for item in bank}
    enemies: dict[str, set[str]] = defaultdict(set)
    for item in bank:
        for other in item.enemies:
            if other in ids and other != item.item_id:
                enemies[item.item_id].add(other)
                enemies[other].add(item.item_id)
    return enemies


# --- reading bundle tables -------------------------------------------------------------------

def _rename_to_contract(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """Accept the contract's English names (any case) and the Chinese synonyms as headers."""
    mapping = {}
    for column in spec.columns:
        mapping[column.name.lower()] = column.name
        mapping[column.zh] = column.name
    renamed = {}
    for header in frame.columns:
        text = str(header).strip().lstrip("\ufeff")
        name = mapping.get(text.lower()) or mapping.get(text)
        if name is not None:
            renamed[header] = name
    return frame.rename(columns=renamed)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(str(value)).date()


def usage_from_frame(frame: pd.DataFrame | None) -> dict[str, tuple[ItemUse, ...]]:
    """item_usage rows grouped by item id."""
    if frame is None or len(frame) == 0:
        return {}
    frame = _rename_to_contract(frame, ITEM_USAGE)
    missing = [c for c in ("item_id", "exam_id", "cohort", "used_on") if c not in frame.columns]
    if missing:
        raise ValueError(f"item_usage lacks columns {missing}")
    uses: dict[str, list[ItemUse]] = defaultdict(list)
    for row in frame.itertuples(index=False):
        uses[str(row.item_id).strip()].append(
            ItemUse(str(row.exam_id).strip(), int(float(row.cohort)), _as_date(row.used_on)))
    return {item_id: tuple(sorted(rows, key=lambda u: (u.used_on, u.exam_id))) for item_id, rows in uses.items()}


def bank_from_tables(tables: Mapping[str, pd.DataFrame], subject: str, grade: int) -> list[BankItem]:
    """The bank items of one subject and grade from bundle-shaped `items` (and optional `item_usage`).

    Headers may be the contract names or their Chinese synonyms; item types, cognitive levels and
    subjects may be codes or Chinese labels. Raises ValueError naming the row for a bad value.
    """
    if "items" not in tables:
        raise ValueError("tables has no 'items' frame (题库)")
    items = _rename_to_contract(tables["items"], ITEMS)
    required = [c.name for c in ITEMS.columns if c.required]
    missing = [c for c in required if c not in items.columns]
    if missing:
        raise ValueError(f"items lacks columns {missing}")
    uses = usage_from_frame(tables.get("item_usage"))
    subject = subject_code(subject)
    bank: list[BankItem] = []
    for position, row in enumerate(items.to_dict("records"), start=2):  # row 1 is the header
        try:
            if subject_code(row["subject"]) != subject or int(float(row["grade"])) != int(grade):
                continue
            item_id = str(row["item_id"]).strip()
            bank.append(BankItem(
                item_id=item_id,
                subject=subject,
                grade=int(grade),
                item_type=type_code(row["item_type"]),
                max_score=float(row["max_score"]),
                knowledge_area=str(row["knowledge_area"]).strip(),
                cognitive_level=level_code(row["cognitive_level"]),
                difficulty=float(row["difficulty"]),
                key=cell_text(row.get("key"), None),
                discrimination=cell_float(row.get("discrimination")),
                options=cell_int(row.get("options")),
                score_step=cell_float(row.get("score_step")),
                enemies=split_list(row.get("enemies")),
                stem=cell_text(row.get("stem"), None),
                rubric=cell_text(row.get("rubric"), None),
                usage=uses.get(item_id, ()),
            ))
        except (TypeError, ValueError) as error:
            raise ValueError(f"items row {position}: {error}") from error
    return bank
