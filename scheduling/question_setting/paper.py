"""An assembled paper (试卷) with its answer key and marking standard (评分标准) per item."""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES

from ._common import Cell, check_lang
from .bank import BankItem
from .policy import AssemblyPolicy

PAPER_COLUMNS = {"number": "题号", "item_id": "题目编号", "item_type": "题型", "knowledge_area": "知识领域",
                 "cognitive_level": "认知层次", "max_score": "分值", "difficulty": "难度估计", "key": "答案"}
MARKING_COLUMNS = {"number": "题号", "item_id": "题目编号", "item_type": "题型", "max_score": "满分",
                   "key": "答案", "rubric": "评分标准", "score_step": "给分步长",
                   "double_marked": "双评", "tolerance": "双评误差"}
TYPE_ORDER = {t: n for n, t in enumerate(ITEM_TYPES)}


@dataclass(frozen=True)
class MarkingStandard:
    """统一批卷标准 of one item: how it is scored and when two markers must be arbitrated."""

    max_score: float  # 满分
    score_step: float  # 给分步长: scores are multiples of it
    key: str | None  # 答案
    rubric: str  # 评分标准
    double_marked: bool  # 双评: two independent marks
    tolerance: float | None  # 双评误差: a third mark when |mark1 − mark2| exceeds it; None if single marked


def marking_standard(item: BankItem, policy: AssemblyPolicy) -> MarkingStandard:
    """The item's marking standard under the policy (tolerance: share of max, at least one step)."""
    if item.score_step:
        step = float(item.score_step)
    elif item.item_type == "single_choice":
        step = float(item.max_score)  # right or wrong
    else:
        step = min(policy.default_score_step, float(item.max_score))
    double = item.item_type in policy.double_marked_types
    tolerance = None
    if double:
        # Whole steps: with marks on the step grid, "differ by more than 10% of the max" is the same
        # rule as "differ by more than the largest whole number of steps within 10%".
        steps = max(1, math.floor(round(policy.double_marking_share * item.max_score / step, 9)))
        tolerance = min(steps * step, float(item.max_score))
    return MarkingStandard(float(item.max_score), step, item.key, _rubric_text(item, step), double, tolerance)


def _rubric_text(item: BankItem, step: float) -> str:
    if item.rubric:
        return item.rubric
    if item.item_type == "single_choice":
        return f"选对得 {item.max_score:g} 分，选错或不选得 0 分"
    if item.item_type == "multiple_choice":
        return f"全部选对得 {item.max_score:g} 分，部分选对按步长 {step:g} 分给分，有选错得 0 分"
    if item.item_type == "fill_in":
        return f"答案与参考答案一致得 {item.max_score:g} 分（可接受答案以 | 分隔）"
    return f"按要点给分，满分 {item.max_score:g} 分，给分步长 {step:g} 分"


@dataclass(frozen=True)
class PaperItem:
    number: int  # 题号 1..n
    item: BankItem
    marking: MarkingStandard


@dataclass
class Paper:
    """One form of an assembled paper: items numbered 1..n in the usual section order."""

    subject: str
    grade: int
    cohort: int
    form: str  # "A", "B", ...
    items: list[PaperItem]
    blueprint_name: str = ""

    @classmethod
    def from_items(cls, items: list[BankItem], policy: AssemblyPolicy, *, subject: str, grade: int, cohort: int,
                   form: str = "A", blueprint_name: str = "") -> Paper:
        """Order by section (single choice, multiple choice, fill-in, subjective), easy items first."""
        ordered = sorted(items, key=lambda i: (TYPE_ORDER.get(i.item_type, 99), -i.difficulty, i.item_id))
        numbered = [PaperItem(n, item, marking_standard(item, policy)) for n, item in enumerate(ordered, start=1)]
        return cls(subject, grade, cohort, form, numbered, blueprint_name)

    @property
    def item_ids(self) -> list[str]:
        return [p.item.item_id for p in self.items]

    @property
    def bank_items(self) -> list[BankItem]:
        return [p.item for p in self.items]

    @property
    def total(self) -> float:
        return float(sum(p.item.max_score for p in self.items))

    @property
    def mean_difficulty(self) -> float:
        """Points-weighted expected score rate (难度系数): higher is easier."""
        total = self.total
        return sum(p.item.max_score * p.item.difficulty for p in self.items) / total if total else float("nan")

    def cell_points(self) -> dict[Cell, float]:
        out: dict[Cell, float] = defaultdict(float)
        for p in self.items:
            out[p.item.cell] += p.item.max_score
        return dict(out)

    def cell_counts(self) -> dict[Cell, int]:
        out: dict[Cell, int] = defaultdict(int)
        for p in self.items:
            out[p.item.cell] += 1
        return dict(out)

    def to_frame(self, lang: str = "zh") -> pd.DataFrame:
        """The paper's item list (题号, 题目编号, 题型, 知识领域, 认知层次, 分值, 难度估计, 答案)."""
        check_lang(lang)
        rows = [{"number": p.number, "item_id": p.item.item_id,
                 "item_type": ITEM_TYPES[p.item.item_type] if lang == "zh" else p.item.item_type,
                 "knowledge_area": p.item.knowledge_area,
                 "cognitive_level": (COGNITIVE_LEVELS[p.item.cognitive_level] if lang == "zh"
                                     else p.item.cognitive_level),
                 "max_score": p.item.max_score, "difficulty": p.item.difficulty, "key": p.item.key}
                for p in self.items]
        frame = pd.DataFrame(rows, columns=list(PAPER_COLUMNS))
        return frame.rename(columns=PAPER_COLUMNS) if lang == "zh" else frame

    def marking_standard_frame(self, lang: str = "zh") -> pd.DataFrame:
        """统一批卷标准: answer key, rubric, max score, score step, double marking and its tolerance."""
        check_lang(lang)
        rows = []
        for p in self.items:
            m = p.marking
            rows.append({"number": p.number, "item_id": p.item.item_id,
                         "item_type": ITEM_TYPES[p.item.item_type] if lang == "zh" else p.item.item_type,
                         "max_score": m.max_score, "key": m.key, "rubric": m.rubric, "score_step": m.score_step,
                         "double_marked": ("是" if m.double_marked else "否") if lang == "zh" else m.double_marked,
                         "tolerance": m.tolerance})
        frame = pd.DataFrame(rows, columns=list(MARKING_COLUMNS))
        return frame.rename(columns=MARKING_COLUMNS) if lang == "zh" else frame

    def usage_frame(self, exam_id: str, used_on: dt.date) -> pd.DataFrame:
        """Rows to append to item_usage.csv once the exam is held (item_id, exam_id, cohort, used_on)."""
        return pd.DataFrame({"item_id": self.item_ids, "exam_id": exam_id, "cohort": self.cohort,
                             "used_on": used_on.isoformat()}, columns=["item_id", "exam_id", "cohort", "used_on"])
