"""A synthetic question bank for benchmarks, tests and demos (no real items).

Item types, scores and difficulties follow a typical junior-secondary paper: many 3-point single
choice items, some 4-point multiple choice and 3/4-point fill-in items, and 6–14-point worked items.
"""
from __future__ import annotations

import datetime as dt
import random

from .bank import BankItem, ItemUse

DEFAULT_AREAS = {
    "math": ("数与式", "方程与不等式", "函数", "图形的性质", "图形的变化", "统计与概率"),
    "chinese": ("积累与运用", "现代文阅读", "古诗文阅读", "名著阅读", "写作"),
    "english": ("听力", "单项选择", "完形填空", "阅读理解", "书面表达"),
}
TYPE_WEIGHTS = {"single_choice": 40, "multiple_choice": 10, "fill_in": 25, "subjective": 25}
TYPE_SCORES = {"single_choice": (3,), "multiple_choice": (4,), "fill_in": (3, 4),
               "subjective": (6, 8, 10, 12, 14)}
LEVEL_WEIGHTS = {"remember": 25, "understand": 30, "apply": 30, "analyse": 15}


def synthetic_bank(n_items: int, *, subject: str = "math", grade: int = 8, seed: int = 0,
                   areas: tuple[str, ...] | None = None, cohorts: tuple[int, ...] = (),
                   exams_per_cohort: int = 0, items_per_exam: int = 25, enemy_share: float = 0.02,
                   first_exam_date: dt.date = dt.date(2023, 9, 20)) -> list[BankItem]:
    """`n_items` random items; each cohort sat `exams_per_cohort` past exams using `items_per_exam` items."""
    rng = random.Random(seed)
    areas = areas or DEFAULT_AREAS.get(subject, ("A1", "A2", "A3", "A4", "A5"))
    types, type_w = zip(*TYPE_WEIGHTS.items())
    levels, level_w = zip(*LEVEL_WEIGHTS.items())
    ids = [f"{subject[:2].upper()}{grade:02d}-{n:05d}" for n in range(n_items)]
    uses: dict[str, list[ItemUse]] = {item_id: [] for item_id in ids}
    for cohort in cohorts:
        for e in range(exams_per_cohort):
            exam_id = f"X{cohort}-{e + 1:02d}"
            used_on = first_exam_date + dt.timedelta(days=45 * e)
            for item_id in rng.sample(ids, min(items_per_exam, n_items)):
                uses[item_id].append(ItemUse(exam_id, cohort, used_on))
    bank = []
    for item_id in ids:
        item_type = rng.choices(types, weights=type_w)[0]
        level = rng.choices(levels, weights=level_w)[0]
        # Higher cognitive levels are harder (lower expected score rate).
        centre = {"remember": 0.80, "understand": 0.70, "apply": 0.60, "analyse": 0.45}[level]
        difficulty = round(min(0.97, max(0.15, rng.gauss(centre, 0.10))), 2)
        enemies = (rng.choice(ids),) if rng.random() < enemy_share else ()
        bank.append(BankItem(
            item_id=item_id, subject=subject, grade=grade, item_type=item_type,
            max_score=float(rng.choice(TYPE_SCORES[item_type])), knowledge_area=rng.choice(areas),
            cognitive_level=level, difficulty=difficulty,
            key=rng.choice("ABCD") if item_type == "single_choice" else ("ABD" if item_type == "multiple_choice" else None),
            options=4 if item_type in ("single_choice", "multiple_choice") else None,
            score_step=2.0 if item_type == "multiple_choice" else None,
            enemies=tuple(e for e in enemies if e != item_id), usage=tuple(uses[item_id])))
    return bank
