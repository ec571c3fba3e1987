"""The fixed vocabularies of the data exchange contract (shared/FORMATS.md), with Chinese labels."""
from __future__ import annotations

SUBJECTS: dict[str, str] = {
    "chinese": "语文",
    "math": "数学",
    "english": "英语",
    "physics": "物理",
    "chemistry": "化学",
    "biology": "生物",
    "politics": "道德与法治",
    "history": "历史",
    "geography": "地理",
    "science": "科学",
    "pe": "体育",
    "music": "音乐",
    "art": "美术",
    "it": "信息技术",
}

STAGES: dict[str, str] = {
    "primary": "小学",
    "junior": "初中",
    "nine_year": "九年一贯制",
    "high": "高中",
}

# Grades 1–12 as integers: primary 1–6, junior 7–9, high 10–12.
STAGE_GRADES: dict[str, tuple[int, ...]] = {
    "primary": tuple(range(1, 7)),
    "junior": tuple(range(7, 10)),
    "nine_year": tuple(range(1, 10)),
    "high": tuple(range(10, 13)),
}
GRADES: tuple[int, ...] = tuple(range(1, 13))

LOCALITIES: dict[str, str] = {"urban": "城区", "township": "乡镇", "rural": "农村"}
TIERS: dict[str, str] = {"quality": "优质", "ordinary": "一般", "weak": "薄弱"}
ROLES: dict[str, str] = {"teacher": "教师", "leader": "中层干部", "principal": "校长"}

# Rank for comparing schools: a higher number is stronger; used for "support" vs "learn" direction.
TIER_RANK: dict[str, int] = {"weak": 0, "ordinary": 1, "quality": 2}
LOCALITY_RANK: dict[str, int] = {"rural": 0, "township": 1, "urban": 2}

# Subjects taught at each grade band, for demo data and coverage checks.
SUBJECTS_BY_GRADE_BAND: dict[str, tuple[str, ...]] = {
    "lower_primary": ("chinese", "math", "pe", "music", "art"),  # grades 1–2
    "upper_primary": ("chinese", "math", "english", "science", "pe", "music", "art", "it"),  # 3–6
    "junior": ("chinese", "math", "english", "physics", "chemistry", "biology", "politics",
               "history", "geography", "pe", "music", "art", "it"),
    "high": ("chinese", "math", "english", "physics", "chemistry", "biology", "politics",
             "history", "geography", "pe", "it"),
}


def subjects_for_grade(grade: int) -> tuple[str, ...]:
    """Subjects a school teaches at this grade (chemistry only from grade 9, physics from 8)."""
    if grade <= 2:
        return SUBJECTS_BY_GRADE_BAND["lower_primary"]
    if grade <= 6:
        return SUBJECTS_BY_GRADE_BAND["upper_primary"]
    if grade <= 9:
        subjects = SUBJECTS_BY_GRADE_BAND["junior"]
        if grade < 9:
            subjects = tuple(s for s in subjects if s != "chemistry")
        if grade < 8:
            subjects = tuple(s for s in subjects if s != "physics")
        return subjects
    return SUBJECTS_BY_GRADE_BAND["high"]


# Question bank vocabulary (an extension file of the bundle, see bundle/spec.py).
ITEM_TYPES: dict[str, str] = {
    "single_choice": "单选题",
    "multiple_choice": "多选题",
    "fill_in": "填空题",
    "subjective": "主观题",
}
OBJECTIVE_ITEM_TYPES = frozenset({"single_choice", "multiple_choice", "fill_in"})
COGNITIVE_LEVELS: dict[str, str] = {
    "remember": "识记",
    "understand": "理解",
    "apply": "应用",
    "analyse": "分析综合",
}

BOOL_TRUE = frozenset({"1", "true", "是", "yes", "y", "t"})
BOOL_FALSE = frozenset({"0", "false", "否", "no", "n", "f"})
