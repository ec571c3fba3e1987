"""The test blueprint (双向细目表): knowledge areas × cognitive levels × item types → points.

A blueprint is stored as TOML or YAML (one `[[cells]]` entry per cell) or as a sheet with Chinese
headers (知识领域, 认知层次, 题型, 分值, optional 题数); `default_blueprint` proposes one from a bank.
"""
from __future__ import annotations

import json
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from ortools.sat.python import cp_model

from bundle.cells import is_blank, safe_frame
from bundle.xlsx import Sheet, write_workbook
from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES, SUBJECTS

from ._common import (
    Cell, DIFFICULTY_SCALE, cell_label, check_lang, fmt_points, level_code, say, score_scale,
    subject_code, to_units, type_code,
)
from .bank import BankItem, symmetric_enemies
from .policy import AssemblyPolicy, BlueprintPolicy

# Sheet headers: contract-style English names and the Chinese headers teachers use.
FRAME_COLUMNS = {"knowledge_area": "知识领域", "cognitive_level": "认知层次", "item_type": "题型",
                 "points": "分值", "items": "题数"}
META_LABELS = {"subject": "学科", "grade": "年级", "total": "总分", "name": "名称"}
SHEET_CELLS, SHEET_META, SHEET_SUMMARY = "双向细目表", "基本信息", "汇总"
TOTAL_LABEL = {"zh": "合计", "en": "total"}

# The usual order of sections on a Chinese paper: choice, fill-in, then worked (subjective) items.
TYPE_GROUPS = {"single_choice": "choice", "multiple_choice": "choice", "fill_in": "fill_in",
               "subjective": "subjective"}


class BlueprintError(ValueError):
    """A blueprint that breaks its own rules (cells not summing to the total, unknown labels...)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Blueprint:
    """双向细目表 of one subject and grade: points per (knowledge area, cognitive level, item type)."""

    subject: str
    grade: int
    total: float  # 试卷总分: 100, 120 or 150
    cells: dict[Cell, float]  # (knowledge_area, cognitive_level, item_type) → points
    item_counts: dict[Cell, int] = field(default_factory=dict)  # optional 题数 per cell
    name: str = ""

    # --- checks and views ---------------------------------------------------------------

    def problems(self, lang: str = "zh", allowed_totals: Sequence[float] | None = None) -> list[str]:
        """Every rule the blueprint breaks, as sentences; empty when valid."""
        check_lang(lang)
        out: list[str] = []
        if self.subject not in SUBJECTS:
            out.append(say(lang, f"未知学科 {self.subject!r}", f"unknown subject {self.subject!r}"))
        if not self.cells:
            out.append(say(lang, "细目表没有任何单元", "the blueprint has no cells"))
        for cell, points in self.cells.items():
            area, level, item_type = cell
            if not str(area).strip():
                out.append(say(lang, "有单元缺少知识领域", "a cell has an empty knowledge area"))
            if level not in COGNITIVE_LEVELS:
                out.append(say(lang, f"未知认知层次 {level!r}", f"unknown cognitive level {level!r}"))
            if item_type not in ITEM_TYPES:
                out.append(say(lang, f"未知题型 {item_type!r}", f"unknown item type {item_type!r}"))
            if not points > 0:
                out.append(say(lang, f"单元{cell_label(cell, lang)}分值须大于 0（现为 {fmt_points(points)}）",
                               f"cell {cell_label(cell, lang)} must have points > 0 (has {fmt_points(points)})"))
        cell_sum = sum(self.cells.values())
        if abs(cell_sum - self.total) > 1e-6:
            out.append(say(lang, f"各单元分值之和 {fmt_points(cell_sum)} 不等于总分 {fmt_points(self.total)}",
                           f"cells sum to {fmt_points(cell_sum)}, not the total {fmt_points(self.total)}"))
        if allowed_totals and not any(abs(self.total - t) < 1e-6 for t in allowed_totals):
            allowed = "、".join(fmt_points(t) for t in allowed_totals)
            out.append(say(lang, f"总分 {fmt_points(self.total)} 不在允许的总分（{allowed}）之内",
                           f"total {fmt_points(self.total)} is not one of the allowed totals ({allowed})"))
        for cell, count in self.item_counts.items():
            if cell not in self.cells:
                out.append(say(lang, f"题数给了不存在的单元{cell_label(cell, lang)}",
                               f"item count for a cell not in the blueprint {cell_label(cell, lang)}"))
            elif count < 1:
                out.append(say(lang, f"单元{cell_label(cell, lang)}题数须至少为 1",
                               f"cell {cell_label(cell, lang)} needs at least one item"))
        return out

    def validate(self, lang: str = "zh", allowed_totals: Sequence[float] | None = None) -> Blueprint:
        problems = self.problems(lang, allowed_totals)
        if problems:
            raise BlueprintError(problems)
        return self

    @property
    def is_valid(self) -> bool:
        return not self.problems()

    def _marginal(self, index: int) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for cell, points in self.cells.items():
            out[cell[index]] += points
        return dict(out)

    def points_by_area(self) -> dict[str, float]:
        return self._marginal(0)

    def points_by_level(self) -> dict[str, float]:
        return self._marginal(1)

    def points_by_type(self) -> dict[str, float]:
        return self._marginal(2)

    @property
    def areas(self) -> list[str]:
        return sorted(self.points_by_area())

    # --- dict / TOML / YAML ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        cells = []
        for cell in sorted(self.cells, key=_cell_order):
            entry: dict[str, Any] = {"knowledge_area": cell[0], "cognitive_level": cell[1], "item_type": cell[2],
                                     "points": _plain_number(self.cells[cell])}
            if cell in self.item_counts:
                entry["items"] = int(self.item_counts[cell])
            cells.append(entry)
        return {"subject": self.subject, "grade": int(self.grade), "total": _plain_number(self.total),
                "name": self.name, "cells": cells}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Blueprint:
        known = {"subject", "grade", "total", "name", "cells"}
        missing = [k for k in ("subject", "grade") if k not in d]
        if missing:
            raise ValueError(f"blueprint: missing keys {missing}")
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"blueprint: unknown keys {unknown}; known: {sorted(known)}")
        cells: dict[Cell, float] = {}
        counts: dict[Cell, int] = {}
        for entry in d.get("cells", []):
            extra = sorted(set(entry) - {"knowledge_area", "cognitive_level", "item_type", "points", "items"})
            if extra:
                raise ValueError(f"blueprint cell: unknown keys {extra}")
            cell = (str(entry["knowledge_area"]).strip(), level_code(entry["cognitive_level"]),
                    type_code(entry["item_type"]))
            if cell in cells:
                raise ValueError(f"blueprint: cell {cell} given twice")
            cells[cell] = float(entry["points"])
            if entry.get("items") is not None:
                counts[cell] = int(entry["items"])
        total = float(d["total"]) if "total" in d else sum(cells.values())
        return cls(subject_code(d["subject"]), int(d["grade"]), total, cells, counts, str(d.get("name", "")))

    def to_toml(self) -> str:
        d = self.to_dict()
        lines = ["# 双向细目表 / test blueprint",
                 f"subject = {_toml_value(d['subject'])}  # {SUBJECTS.get(self.subject, '')}",
                 f"grade = {d['grade']}", f"total = {_toml_value(d['total'])}", f"name = {_toml_value(d['name'])}"]
        for entry in d["cells"]:
            lines.append("")
            lines.append("[[cells]]")
            for key, value in entry.items():
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str) -> Blueprint:
        return cls.from_dict(tomllib.loads(text))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> Blueprint:
        return cls.from_dict(yaml.safe_load(text))

    # --- sheets -------------------------------------------------------------------------

    def to_frame(self, lang: str = "zh") -> pd.DataFrame:
        """One row per cell. Chinese headers and labels by default; English codes with lang='en'."""
        check_lang(lang)
        rows = []
        for cell in sorted(self.cells, key=_cell_order):
            area, level, item_type = cell
            rows.append({
                "knowledge_area": area,
                "cognitive_level": COGNITIVE_LEVELS[level] if lang == "zh" else level,
                "item_type": ITEM_TYPES[item_type] if lang == "zh" else item_type,
                "points": self.cells[cell],
                "items": self.item_counts.get(cell),
            })
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        if not self.item_counts:
            frame = frame.drop(columns="items")
        else:
            frame["items"] = frame["items"].astype("Int64")
        return frame.rename(columns=FRAME_COLUMNS) if lang == "zh" else frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, subject: str, grade: int, total: float | None = None,
                   name: str = "") -> Blueprint:
        """Read a sheet with Chinese or English headers; the total defaults to the sum of the cells."""
        header_map = {**{k: k for k in FRAME_COLUMNS}, **{v: k for k, v in FRAME_COLUMNS.items()}}
        frame = frame.rename(columns={c: header_map.get(str(c).strip(), str(c).strip()) for c in frame.columns})
        missing = [c for c in ("knowledge_area", "cognitive_level", "item_type", "points") if c not in frame.columns]
        if missing:
            raise ValueError(f"blueprint sheet lacks columns {[FRAME_COLUMNS[c] + '/' + c for c in missing]}")
        entries = []
        for row in frame.to_dict("records"):
            if is_blank(row["knowledge_area"]) or str(row["knowledge_area"]).strip() in TOTAL_LABEL.values():
                continue  # blank lines and a 合计 row are not cells
            entry = {k: row[k] for k in ("knowledge_area", "cognitive_level", "item_type", "points")}
            if "items" in row and not is_blank(row["items"]):
                entry["items"] = int(row["items"])
            entries.append(entry)
        d: dict[str, Any] = {"subject": subject, "grade": grade, "name": name, "cells": entries}
        if total is not None:
            d["total"] = total
        return cls.from_dict(d)

    def to_matrix(self, by: str = "cognitive_level", lang: str = "zh") -> pd.DataFrame:
        """The familiar two-way view: knowledge areas × levels (or × item types), with totals."""
        check_lang(lang)
        index = {"cognitive_level": 1, "item_type": 2}[by]
        labels = COGNITIVE_LEVELS if by == "cognitive_level" else ITEM_TYPES
        table: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for cell, points in self.cells.items():
            table[cell[0]][cell[index]] += points
        columns = [c for c in labels if any(c in row for row in table.values())]
        frame = pd.DataFrame([[table[a].get(c, 0.0) for c in columns] for a in sorted(table)],
                             index=sorted(table), columns=columns, dtype=float)
        frame[TOTAL_LABEL[lang]] = frame.sum(axis=1)
        frame.loc[TOTAL_LABEL[lang]] = frame.sum(axis=0)
        if lang == "zh":
            frame = frame.rename(columns=labels)
            frame.index.name = FRAME_COLUMNS["knowledge_area"]
        else:
            frame.index.name = "knowledge_area"
        return frame

    def meta_frame(self) -> pd.DataFrame:
        values = [SUBJECTS.get(self.subject, self.subject), int(self.grade), self.total, self.name]
        return pd.DataFrame({"项目": list(META_LABELS.values()), "值": [str(v) for v in values]})

    def to_excel(self, path: str | Path) -> Path:
        """Workbook with 基本信息 (subject, grade, total), 双向细目表 (cells) and 汇总 (two-way views)."""
        path = Path(path)
        # 汇总: knowledge areas × cognitive levels, and below it knowledge areas × item types
        by_level, by_type = (self.to_matrix(by).reset_index() for by in ("cognitive_level", "item_type"))
        return write_workbook(path, [Sheet(SHEET_META, self.meta_frame()), Sheet(SHEET_CELLS, self.to_frame("zh")),
                                     Sheet(SHEET_SUMMARY, by_level, below=(by_type,))])

    @classmethod
    def from_excel(cls, path: str | Path) -> Blueprint:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object)
        if SHEET_CELLS not in sheets:
            raise ValueError(f"{path}: no sheet named {SHEET_CELLS}")
        meta = {}
        if SHEET_META in sheets:
            by_label = {v: k for k, v in META_LABELS.items()}
            for row in sheets[SHEET_META].to_dict("records"):
                key = by_label.get(str(row.get("项目", "")).strip())
                if key and not is_blank(row.get("值")):
                    meta[key] = str(row["值"]).strip()
        if "subject" not in meta or "grade" not in meta:
            raise ValueError(f"{path}: sheet {SHEET_META} must give 学科 and 年级")
        return cls.from_frame(sheets[SHEET_CELLS], meta["subject"], int(float(meta["grade"])),
                              float(meta["total"]) if "total" in meta else None, meta.get("name", ""))

    def save(self, path: str | Path) -> Path:
        """Write by suffix: .toml, .yaml/.yml, .xlsx or .csv (cells only, Chinese headers)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            path.write_text(self.to_toml(), encoding="utf-8")
        elif suffix in (".yaml", ".yml"):
            path.write_text(self.to_yaml(), encoding="utf-8")
        elif suffix == ".xlsx":
            self.to_excel(path)
        elif suffix == ".csv":
            safe_frame(self.to_frame("zh")).to_csv(path, index=False, encoding="utf-8-sig")
        else:
            raise ValueError(f"unknown blueprint file type {suffix!r}: use .toml, .yaml, .xlsx or .csv")
        return path

    @classmethod
    def load(cls, path: str | Path, *, subject: str | None = None, grade: int | None = None,
             total: float | None = None) -> Blueprint:
        """Read by suffix; a .csv sheet has no metadata, so it needs subject and grade."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            return cls.from_toml(path.read_text(encoding="utf-8"))
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(path.read_text(encoding="utf-8"))
        if suffix == ".xlsx":
            return cls.from_excel(path)
        if suffix == ".csv":
            if subject is None or grade is None:
                raise ValueError("a .csv blueprint needs subject= and grade=")
            return cls.from_frame(pd.read_csv(path, encoding="utf-8-sig", dtype=object), subject, grade, total)
        raise ValueError(f"unknown blueprint file type {suffix!r}")


def _cell_order(cell: Cell) -> tuple:
    area, level, item_type = cell
    return (list(ITEM_TYPES).index(item_type) if item_type in ITEM_TYPES else 99, area,
            list(COGNITIVE_LEVELS).index(level) if level in COGNITIVE_LEVELS else 99)


def _plain_number(value: float) -> float | int:
    return int(round(value)) if abs(value - round(value)) < 1e-9 else float(value)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # A JSON string is a valid TOML basic string (same escapes); keep Chinese as UTF-8.
    return json.dumps(str(value), ensure_ascii=False)


# --- the default proposal -----------------------------------------------------------------------

def _without_enemy_pairs(items: list[BankItem]) -> list[BankItem]:
    """Items with at most one of each enemy (互斥) pair, so the proposal's witness is a paper the
    assembly may use: a witness taking both items of a pair could ask for cell points that only that
    pair can make, which no paper may contain."""
    enemies = symmetric_enemies(items)
    kept: list[BankItem] = []
    taken: set[str] = set()
    for item in sorted(items, key=lambda i: i.item_id):  # deterministic: the first of a pair stays
        if not enemies.get(item.item_id, set()) & taken:
            kept.append(item)
            taken.add(item.item_id)
    return kept


def default_blueprint(subject: str, grade: int, bank: Iterable[BankItem],
                      policy: BlueprintPolicy | None = None, *, total: float | None = None,
                      assembly: AssemblyPolicy | None = None, name: str = "", forms: int = 1,
                      time_limit_s: float = 5.0, num_workers: int = 1, enemy_free: bool = False) -> Blueprint:
    """Propose a 双向细目表 that the bank can fill, close to the usual Chinese proportions.

    Why a solver: the proposal must be achievable exactly. We choose how many bank items of each
    (cell, score) group to take so that the points sum to the total and the type, level and area
    shares are as close as possible to the policy's (choice ~35%, fill-in ~17.5%, subjective the
    rest; 识记 20 / 理解 30 / 应用 35 / 分析综合 15; areas by their share of the bank). The chosen
    counts are a witness, so each cell's points are reachable by the bank's item scores; with
    forms=2 every group is used at most half-full, so the bank can fill the blueprint twice (A/B).
    `enemy_free=True` proposes from at most one item of each enemy (互斥) pair, so the witness is a
    paper the assembly may use; the default counts both, which keeps more of the bank in play but
    can ask for cell points only an enemy pair can make (then propose again with it on).
    """
    policy = policy or BlueprintPolicy()
    assembly = assembly or AssemblyPolicy()
    subject = subject_code(subject)
    total = float(total if total is not None else policy.total)
    items = [i for i in bank if i.subject == subject and int(i.grade) == int(grade) and i.max_score > 0]
    if not items:
        raise ValueError(f"the bank has no items for {subject} grade {grade}")
    if enemy_free:
        items = _without_enemy_pairs(items)
    scale = score_scale([total, *(i.max_score for i in items)])
    total_units = to_units(total, scale)

    # Groups: items with the same cell and score are interchangeable for the proposal.
    groups: dict[tuple[Cell, int], list[BankItem]] = defaultdict(list)
    for item in items:
        groups[(item.cell, to_units(item.max_score, scale))].append(item)
    if sum(score * (len(members) // max(1, forms)) for (_, score), members in groups.items()) < total_units:
        raise ValueError(f"the bank's items total less than {fmt_points(total)} points")

    model = cp_model.CpModel()
    count = {key: model.new_int_var(0, min(len(members) // max(1, forms), total_units // key[1]), f"n_{n}")
             for n, (key, members) in enumerate(sorted(groups.items(), key=lambda kv: (_cell_order(kv[0][0]), kv[0][1])))}
    model.add(sum(key[1] * var for key, var in count.items()) == total_units)

    def points_where(pred) -> cp_model.LinearExpr | int:
        return sum(key[1] * var for key, var in count.items() if pred(key[0]))

    penalties = []

    def add_share_penalty(points: cp_model.LinearExpr | int, share: float, weight: int, label: str) -> None:
        deviation = model.new_int_var(0, total_units, f"dev_{label}")
        target = round(share * total_units)
        model.add(points - target <= deviation)
        model.add(target - points <= deviation)
        penalties.append(weight * DIFFICULTY_SCALE * deviation)

    type_shares = {"choice": policy.choice_share, "fill_in": policy.fill_in_share,
                   "subjective": 1 - policy.choice_share - policy.fill_in_share}
    for group, share in type_shares.items():
        add_share_penalty(points_where(lambda c, g=group: TYPE_GROUPS[c[2]] == g), share, 3, f"type_{group}")
    for level, share in policy.level_shares.items():
        add_share_penalty(points_where(lambda c, lv=level: c[1] == lv), share, 2, f"level_{level}")
    area_counts = Counter(item.knowledge_area for item in items)
    for area, n in sorted(area_counts.items()):
        share = n / len(items) if policy.area_weighting == "bank_items" else 1 / len(area_counts)
        add_share_penalty(points_where(lambda c, a=area: c[0] == a), share, 1, f"area_{area}")

    # Soft pull toward the assembly band, using each group's mean difficulty.
    weighted = sum(round(key[1] * sum(i.difficulty for i in groups[key]) / len(groups[key]) * DIFFICULTY_SCALE) * var
                   for key, var in count.items())
    low, high = (round(b * total_units * DIFFICULTY_SCALE) for b in (assembly.difficulty_min, assembly.difficulty_max))
    below = model.new_int_var(0, total_units * DIFFICULTY_SCALE, "below_band")
    above = model.new_int_var(0, total_units * DIFFICULTY_SCALE, "above_band")
    model.add(weighted + below >= low)
    model.add(weighted - above <= high)
    penalties.append(round(policy.difficulty_weight * 10) * (below + above))
    model.minimize(sum(penalties))

    solver = cp_model.CpSolver()
    # The proposal must not depend on how busy the machine is: the limit is the solver's own
    # deterministic time (same work, same answer); wall time is only a safety net.
    solver.parameters.max_deterministic_time = time_limit_s
    solver.parameters.max_time_in_seconds = 4 * time_limit_s
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ValueError(f"no blueprint of {fmt_points(total)} points can be made from the bank's item scores")

    cells: dict[Cell, float] = defaultdict(float)
    counts: dict[Cell, int] = defaultdict(int)
    for key, var in count.items():
        n = solver.value(var)
        if n:
            cells[key[0]] += n * key[1] / scale
            counts[key[0]] += n
    return Blueprint(subject, int(grade), total, dict(cells), dict(counts),
                     name or f"{SUBJECTS[subject]} {grade} 年级 默认细目表")
