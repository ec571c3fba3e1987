"""A question bank (题库) per subject and grade, in the `items` extension format of bundle/spec.py.

Items carry a type (single/multiple choice with 4 options, fill-in with accepted answers joined by
'|', subjective with a step), a knowledge area of the subject (双向细目表), a cognitive level, a
difficulty estimate (expected score share, 0.3–0.9), an IRT slope (0.5–2.0) for the simulator,
and a few symmetric enemy pairs (overlapping items that must not share a paper).
Multiple-choice items are scored all-or-nothing here (score_step = max_score).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demo.names import GRADE_NAMES
from domain.vocab import COGNITIVE_LEVELS, ITEM_TYPES, SUBJECTS

SUBJECT_CODES = {"chinese": "YW", "math": "SX", "english": "YY", "physics": "WL", "chemistry": "HX",
                 "biology": "SW", "politics": "DF", "history": "LS", "geography": "DL", "science": "KX",
                 "pe": "TY", "music": "YL", "art": "MS", "it": "XX"}

KNOWLEDGE_AREAS: dict[str, tuple[str, ...]] = {
    "chinese": ("积累与运用", "现代文阅读", "古诗文阅读", "名著阅读", "写作"),
    "math": ("数与代数", "图形与几何", "统计与概率", "综合与实践"),
    "english": ("听力理解", "词汇与语法", "完形填空", "阅读理解", "书面表达"),
    "physics": ("机械运动与声", "光现象", "物态变化", "质量与密度", "实验探究"),
    "chemistry": ("物质的组成与结构", "物质的性质与变化", "化学与社会发展", "科学探究", "化学计算"),
    "biology": ("生物体的结构层次", "生物与环境", "绿色植物", "人体生理与健康", "遗传与进化"),
    "politics": ("道德修养", "法治观念", "健全人格", "责任意识", "国情教育"),
    "history": ("中国古代史", "中国近代史", "中国现代史", "世界史", "史料研习"),
    "geography": ("地球与地图", "世界地理", "中国地理", "乡土地理"),
    "science": ("物质科学", "生命科学", "地球与宇宙科学", "技术与工程"),
}
# Subjective items belong to the areas that are marked by hand.
_SUBJECTIVE_AREAS = {"chinese": ("现代文阅读", "古诗文阅读", "写作"), "english": ("阅读理解", "书面表达")}

# Share of single choice, multiple choice, fill-in, subjective items in each subject's bank.
TYPE_MIX: dict[str, tuple[float, float, float, float]] = {
    "chinese": (0.30, 0.00, 0.25, 0.45),
    "math": (0.35, 0.05, 0.25, 0.35),
    "english": (0.50, 0.00, 0.25, 0.25),
    "physics": (0.35, 0.10, 0.25, 0.30),
    "chemistry": (0.40, 0.05, 0.25, 0.30),
    "biology": (0.55, 0.10, 0.15, 0.20),
    "politics": (0.50, 0.10, 0.00, 0.40),
    "history": (0.55, 0.05, 0.10, 0.30),
    "geography": (0.55, 0.05, 0.15, 0.25),
    "science": (0.45, 0.10, 0.20, 0.25),
}
_TYPES = ("single_choice", "multiple_choice", "fill_in", "subjective")
_SINGLE_SCORE = {"math": 3.0, "chinese": 3.0, "english": 1.0}
_FILL_SCORE = {"math": 3.0, "english": 1.0}
LETTERS = "ABCD"

# Fill-in answers (accepted variants joined by '|' in the key).
TERMS: dict[str, tuple[str, ...]] = {
    "chinese": ("海内存知己", "天涯若比邻", "春风又绿江南岸", "长风破浪会有时", "会当凌绝顶", "一览众山小",
                "不言而喻", "锲而不舍", "相得益彰", "触类旁通", "鞠躬尽瘁", "妇孺皆知", "惟妙惟肖", "油然而生",
                "学而不思则罔", "思而不学则殆", "先天下之忧而忧", "后天下之乐而乐", "比喻", "拟人", "夸张", "排比"),
    "english": ("went", "children", "better", "quickly", "interesting", "usually", "himself", "bought", "taught",
                "heavier", "friendly", "carefully", "swimming", "thirteenth", "because", "although", "invitation",
                "difference", "successful", "knives", "written", "taller", "mine", "themselves", "forgotten"),
    "biology": ("细胞核", "叶绿体", "线粒体", "细胞膜", "光合作用", "呼吸作用", "蒸腾作用", "子房", "胚珠", "关节",
                "神经元", "反射弧", "消化道", "肺泡", "红细胞", "胚乳", "无性生殖", "变态发育", "基因", "染色体"),
    "geography": ("亚洲", "太平洋", "赤道", "本初子午线", "季风气候", "长江", "黄河", "青藏高原", "秦岭", "淮河",
                  "温带大陆性气候", "地中海气候", "等高线", "比例尺", "经线", "纬线"),
    "history": ("秦始皇", "丝绸之路", "郑和", "辛亥革命", "五四运动", "鸦片战争", "南京条约", "戊戌变法", "洋务运动",
                "遵义会议", "文艺复兴", "工业革命", "贞观之治", "科举制", "三省六部制"),
    "politics": ("宪法", "人民代表大会制度", "诚信", "责任", "法治", "公平正义", "社会主义核心价值观", "权利", "义务"),
    "science": ("蒸发", "凝结", "杠杆", "滑轮", "食物链", "月相", "种子", "电路", "导体", "绝缘体", "磁铁", "光合作用"),
}
_CHEMISTRY = (("H2O", "H₂O"), ("CO2", "CO₂"), ("O2", "O₂"), ("NaCl",), ("CaCO3", "CaCO₃"), ("Fe3O4", "Fe₃O₄"),
              ("H2", "H₂"), ("HCl",), ("NaOH",), ("CuSO4", "CuSO₄"))
_PHYSICS_UNITS = ("m/s", "N", "kg", "g/cm³", "℃", "m", "s", "Pa", "Hz", "dB")


def fill_in_answers(rng: np.random.Generator, subject: str) -> list[str]:
    """Accepted answers for one fill-in item: a number, a formula, a word or a line of a poem."""
    if subject == "math":
        r = rng.random()
        if r < 0.6:
            return [str(int(rng.integers(-20, 101)))]
        if r < 0.8:
            p, q = [(1, 2), (1, 4), (3, 4), (1, 5), (2, 5), (3, 5), (4, 5)][int(rng.integers(0, 7))]
            return [f"{p}/{q}", f"{p / q:g}"]
        x = int(rng.integers(-9, 10))
        return [f"x={x}", str(x)]
    if subject == "physics":
        value = f"{float(rng.choice([0.5, 1.5, 2, 3, 4.5, 10, 20, 100, 340, 1000])):g}"
        unit = str(rng.choice(_PHYSICS_UNITS))
        return [value, value + unit]
    if subject == "chemistry":
        return list(_CHEMISTRY[int(rng.integers(0, len(_CHEMISTRY)))])
    terms = TERMS.get(subject, TERMS["science"])
    answer = str(terms[int(rng.integers(0, len(terms)))])
    return [answer, answer.capitalize()] if subject == "english" and rng.random() < 0.3 else [answer]


def _enemy_pairs(rng: np.random.Generator, areas: np.ndarray, ids: np.ndarray, share: float) -> list[list[str] | None]:
    """Symmetric enemy pairs within the same knowledge area (two items testing the same point)."""
    enemies: list[list[str] | None] = [None] * len(ids)
    n_pairs = int(round(share * len(ids) / 2))
    free = np.ones(len(ids), dtype=bool)
    for i in rng.permutation(len(ids)):
        if n_pairs == 0:
            break
        if not free[i]:
            continue
        partners = np.flatnonzero(free & (areas == areas[i]) & (np.arange(len(ids)) != i))
        if len(partners) == 0:
            continue
        j = int(rng.choice(partners))
        enemies[i], enemies[j] = [str(ids[j])], [str(ids[i])]
        free[i] = free[j] = False
        n_pairs -= 1
    return enemies


def build_items(rng: np.random.Generator, subject: str, grade: int, count: int, enemy_share: float) -> pd.DataFrame:
    """`count` bank items of one subject and grade."""
    mix = np.array(TYPE_MIX.get(subject, TYPE_MIX["science"]))
    types = np.array(_TYPES)[rng.choice(4, size=count, p=mix / mix.sum())]
    areas_all = KNOWLEDGE_AREAS.get(subject, KNOWLEDGE_AREAS["science"])
    areas = np.array(areas_all)[rng.integers(0, len(areas_all), size=count)]
    if subject in _SUBJECTIVE_AREAS:
        marked = np.array(_SUBJECTIVE_AREAS[subject])
        subjective = types == "subjective"
        areas[subjective] = marked[rng.integers(0, len(marked), size=int(subjective.sum()))]
        hand_only = {"写作", "书面表达"}  # writing is never a choice item
        objective_areas = np.array([a for a in areas_all if a not in hand_only])
        wrong = ~subjective & np.isin(areas, list(hand_only))
        areas[wrong] = objective_areas[rng.integers(0, len(objective_areas), size=int(wrong.sum()))]

    objective = types != "subjective"
    levels = np.array(list(COGNITIVE_LEVELS))
    level_idx = np.where(objective, rng.choice(4, size=count, p=[0.35, 0.35, 0.2, 0.1]),
                         rng.choice(4, size=count, p=[0.05, 0.2, 0.4, 0.35]))
    difficulty = np.where(objective, 0.3 + 0.6 * rng.beta(3.0, 1.8, size=count),
                          0.3 + 0.6 * rng.beta(2.2, 2.2, size=count))
    difficulty = np.clip(difficulty - 0.04 * level_idx, 0.3, 0.9).round(3)  # higher levels are harder
    discrimination = np.clip(1.1 * np.exp(rng.normal(0, 0.3, size=count)), 0.5, 2.0).round(3)

    subjective_max = rng.integers(6, 16, size=count).astype(float)
    max_score = np.select(
        [types == "single_choice", types == "multiple_choice", types == "fill_in"],
        [_SINGLE_SCORE.get(subject, 2.0), 3.0 if subject == "physics" else 4.0, _FILL_SCORE.get(subject, 2.0)],
        subjective_max)
    score_step = np.where(objective, max_score, np.where(rng.random(count) < 0.3, 0.5, 1.0))

    keys: list[str | None] = []
    for t in types:
        if t == "single_choice":
            keys.append(LETTERS[int(rng.integers(0, 4))])
        elif t == "multiple_choice":
            size = int(rng.choice([2, 3, 4], p=[0.5, 0.4, 0.1]))
            keys.append("".join(sorted(rng.choice(list(LETTERS), size=size, replace=False))))
        elif t == "fill_in":
            keys.append("|".join(fill_in_answers(rng, subject)))
        else:
            keys.append(None)

    code = SUBJECT_CODES[subject]
    ids = np.array([f"{code}{grade}-{k + 1:04d}" for k in range(count)])
    subject_zh = SUBJECTS[subject]
    stems = [f"【{subject_zh}·{GRADE_NAMES[grade]}】{area}：{ITEM_TYPES[t]}（第{k + 1}题）"
             for k, (area, t) in enumerate(zip(areas, types))]
    rubrics = [f"满分{m:g}分，按要点和步骤给分，最小给分单位{s:g}分" if t == "subjective" else None
               for t, m, s in zip(types, max_score, score_step)]
    return pd.DataFrame({
        "item_id": ids,
        "subject": subject,
        "grade": np.int64(grade),
        "item_type": types,
        "max_score": max_score,
        "key": pd.Series(keys, dtype=object),
        "knowledge_area": areas,
        "cognitive_level": levels[level_idx],
        "difficulty": difficulty,
        "discrimination": discrimination,
        "options": pd.Series([4 if t in ("single_choice", "multiple_choice") else None for t in types], dtype=object),
        "score_step": score_step,
        "enemies": pd.Series(_enemy_pairs(rng, areas, ids, enemy_share), dtype=object),
        "stem": stems,
        "rubric": pd.Series(rubrics, dtype=object),
    })
