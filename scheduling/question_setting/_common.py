"""Small helpers shared by the question-setting modules: languages, cell parsing, integer scaling."""
from __future__ import annotations

from collections.abc import Iterable

from bundle.cells import is_blank
from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES, SUBJECTS

LANGS = ("zh", "en")

# Blueprint cell: (knowledge_area 知识领域, cognitive_level 认知层次, item_type 题型).
Cell = tuple[str, str, str]

# CP-SAT works on integers: difficulties become thousandths, scores a multiple of 1/scale.
DIFFICULTY_SCALE = 1000
_SCALES = (1, 2, 4, 5, 10, 20, 100)

_LEVEL_BY_LABEL = {**{k: k for k in COGNITIVE_LEVELS}, **{v: k for k, v in COGNITIVE_LEVELS.items()}}
_TYPE_BY_LABEL = {**{k: k for k in ITEM_TYPES}, **{v: k for k, v in ITEM_TYPES.items()},
                  # common short Chinese spellings on imported sheets
                  "单选": "single_choice", "多选": "multiple_choice", "填空": "fill_in", "主观": "subjective",
                  "解答题": "subjective", "选择题": "single_choice"}
_SUBJECT_BY_LABEL = {**{k: k for k in SUBJECTS}, **{v: k for k, v in SUBJECTS.items()}}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


def say(lang: str, zh: str, en: str) -> str:
    """Pick the sentence in the requested language (Chinese is the default everywhere)."""
    return zh if lang == "zh" else en


def level_code(value: str) -> str:
    """'识记' or 'remember' → 'remember'; raises ValueError for anything else."""
    key = str(value).strip()
    if key in _LEVEL_BY_LABEL:
        return _LEVEL_BY_LABEL[key]
    if key.lower() in _LEVEL_BY_LABEL:
        return _LEVEL_BY_LABEL[key.lower()]
    raise ValueError(f"unknown cognitive level {value!r}; expected one of {list(COGNITIVE_LEVELS)}")


def type_code(value: str) -> str:
    """'单选题' or 'single_choice' → 'single_choice'; raises ValueError for anything else."""
    key = str(value).strip()
    if key in _TYPE_BY_LABEL:
        return _TYPE_BY_LABEL[key]
    if key.lower() in _TYPE_BY_LABEL:
        return _TYPE_BY_LABEL[key.lower()]
    raise ValueError(f"unknown item type {value!r}; expected one of {list(ITEM_TYPES)}")


def subject_code(value: str) -> str:
    key = str(value).strip()
    if key in _SUBJECT_BY_LABEL:
        return _SUBJECT_BY_LABEL[key]
    if key.lower() in _SUBJECT_BY_LABEL:
        return _SUBJECT_BY_LABEL[key.lower()]
    raise ValueError(f"unknown subject {value!r}; expected one of {list(SUBJECTS)}")


def cell_label(cell: Cell, lang: str = "zh") -> str:
    area, level, item_type = cell
    if lang == "zh":
        return f"「{area} × {COGNITIVE_LEVELS.get(level, level)} × {ITEM_TYPES.get(item_type, item_type)}」"
    return f"[{area} × {level} × {item_type}]"


def fmt_points(value: float) -> str:
    """12.0 → '12', 1.5 → '1.5'."""
    return f"{value:g}" if abs(value - round(value)) > 1e-9 else str(int(round(value)))


def score_scale(values: Iterable[float]) -> int:
    """Smallest factor in (1, 2, 4, 5, 10, 20, 100) that makes every score an integer (half points → 2)."""
    values = [float(v) for v in values]
    for scale in _SCALES:
        if all(abs(v * scale - round(v * scale)) < 1e-6 for v in values):
            return scale
    raise ValueError("scores must be multiples of 0.01")


def to_units(value: float, scale: int) -> int:
    return int(round(float(value) * scale))


def split_list(value) -> tuple[str, ...]:
    """'a;b; c' → ('a', 'b', 'c'); lists pass through; missing → ()."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(str(v).strip() for v in value if not is_blank(v))
    if is_blank(value):
        return ()
    return tuple(part.strip() for part in str(value).replace("；", ";").split(";") if part.strip())
