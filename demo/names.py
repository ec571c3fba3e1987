"""Chinese names for the demo district: people, townships, villages, schools, clusters.

Every function takes a numpy Generator, so names are deterministic by seed. People's names are
drawn from common surnames (weighted roughly by frequency) and common given-name characters;
they repeat, as real names do. School names are distinct by construction.
"""
from __future__ import annotations

import numpy as np

# The most common surnames, most frequent first (weights fall off like the real distribution).
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤"
)
_SURNAME_WEIGHTS = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
_SURNAME_WEIGHTS /= _SURNAME_WEIGHTS.sum()

# Given-name characters of adults (teachers, researchers) and of today's children (students).
ADULT_MALE = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳亮成建国峰志文东海新庆春生兵锋岩松")
ADULT_FEMALE = tuple("芳娜敏静丽艳娟霞燕玲丹萍红琳慧婷雪倩颖洁佳晶蕾悦梅兰莉洋欣怡璐琴云英秀华霞凤玉娇月")
CHILD_MALE = tuple("子梓浩宇轩睿博文泽俊皓铭辰逸航瑞鹏宸晨一诚锦涵楷乐豪奕然嘉铄阳天昊")
CHILD_FEMALE = tuple("梓涵欣怡诗雨思佳语可一萱若汐梦琪瑶雅馨紫晴子依桐彤妍茜悦蕊安宁心")

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五, up to 999 (school and cluster ordinals)."""
    if n <= 0 or n >= 1000:
        raise ValueError(f"chinese_numeral supports 1–999, got {n}")
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += CHINESE_DIGITS[hundreds] + "百"
        if tens == 0 and ones:
            return out + "零" + CHINESE_DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else CHINESE_DIGITS[tens]) + "十"
    if ones:
        out += CHINESE_DIGITS[ones]
    return out


GRADE_NAMES = {g: f"{chinese_numeral(g)}年级" for g in range(1, 13)}


def person_names(rng: np.random.Generator, female: np.ndarray, *, children: bool = False) -> np.ndarray:
    """Full names (surname + one or two given characters) for a boolean array of genders, vectorised."""
    n = len(female)
    surnames = np.array(SURNAMES)[rng.choice(len(SURNAMES), size=n, p=_SURNAME_WEIGHTS)]
    male_pool = np.array(CHILD_MALE if children else ADULT_MALE)
    female_pool = np.array(CHILD_FEMALE if children else ADULT_FEMALE)
    pool_size = max(len(male_pool), len(female_pool))
    first_idx = rng.integers(0, pool_size, size=n)
    second_idx = rng.integers(0, pool_size, size=n)
    first = np.where(female, female_pool[first_idx % len(female_pool)], male_pool[first_idx % len(male_pool)])
    second = np.where(female, female_pool[second_idx % len(female_pool)], male_pool[second_idx % len(male_pool)])
    two_chars = rng.random(n) < (0.85 if children else 0.6)  # children mostly have two-character given names
    given = np.where(two_chars & (first != second), np.char.add(first, second), first)
    return np.char.add(surnames, given).astype(object)


# --- places ---
TOWNSHIP_STEMS = (
    "李庄", "王店", "张桥", "柳林", "石门", "大营", "白沙", "河口", "高庙", "杨湖", "马岭", "黄寨", "赵集", "孙楼",
    "刘集", "陈店", "古城", "龙泉", "青山", "松林", "桃园", "杏花", "双庙", "枣林", "槐树", "清水", "红岩", "南湾",
    "北岗", "东坡", "西坪", "柏树", "梨园", "官渡", "长岭", "黑石", "三河", "五里", "七星", "九龙", "半坡", "仙台",
    "凤凰", "云台", "金牛", "铁炉", "盐店", "沙河", "芦苇", "荷塘", "竹园", "青龙", "白马", "丰收", "太平", "永安",
)
_VILLAGE_HEADS = tuple("王李张刘陈杨赵周吴孙郑马朱胡郭何高罗宋韩冯邓曹彭田董潘蒋杜程魏吕丁")
_VILLAGE_TAILS = ("庄", "沟", "湾", "坡", "屯", "寨", "营", "岭", "洼", "岗", "河", "桥", "集", "楼", "村", "家堡",
                  "家坪", "家店", "家湾", "家岭")


def township_names(rng: np.random.Generator, count: int) -> list[str]:
    """Distinct township names, each ending in 乡 or 镇 (larger, nearer ones are more often 镇)."""
    stems = list(np.array(TOWNSHIP_STEMS)[rng.permutation(len(TOWNSHIP_STEMS))])
    while len(stems) < count:  # a very large county: reuse stems with 东/西 prefixes
        base = TOWNSHIP_STEMS[(len(stems) - len(TOWNSHIP_STEMS)) % len(TOWNSHIP_STEMS)]
        prefix = "东西南北新"[(len(stems) - len(TOWNSHIP_STEMS)) // len(TOWNSHIP_STEMS) % 5]
        stems.append(prefix + base)
    suffixes = np.where(rng.random(count) < 0.55, "镇", "乡")
    return [f"{stems[i]}{suffixes[i]}" for i in range(count)]


def village_names(rng: np.random.Generator, count: int) -> list[str]:
    """Distinct village names like 王沟, 李家湾, 赵营."""
    combos = [h + t for h in _VILLAGE_HEADS for t in _VILLAGE_TAILS]
    order = rng.permutation(len(combos))
    names = [combos[i] for i in order[:count]]
    k = 0
    while len(names) < count:  # beyond 600 villages: 前/后/东/西 variants
        names.append("前后东西上下"[k // len(combos) % 6] + combos[order[k % len(combos)]])
        k += 1
    return names


# --- schools ---
_URBAN_PRIMARY_NAMED = ("实验小学", "育才小学", "文昌路小学", "人民路小学", "解放路小学", "建设路小学", "东关小学",
                        "西关小学", "南街小学", "北街小学", "新华路小学", "滨河小学", "光明小学", "朝阳小学")
_URBAN_JUNIOR_NAMED = ("实验中学", "育英中学", "城关中学", "新城中学", "滨河中学", "东城中学")
_URBAN_NINE_NAMED = ("外国语实验学校", "东城实验学校", "滨河实验学校", "育才学校")


def urban_school_names(stage: str, count: int) -> list[str]:
    """Urban school names of a stage: the famous named ones first, then 城关镇第N小学 / 初级中学."""
    if count == 0:
        return []
    named: tuple[str, ...]
    if stage == "primary":
        named, numbered = _URBAN_PRIMARY_NAMED, "城关镇第{}小学"
    elif stage == "junior":
        named, numbered = _URBAN_JUNIOR_NAMED, "城关镇第{}初级中学"
    else:
        named, numbered = _URBAN_NINE_NAMED, "城关镇第{}九年制学校"
    # Interleave: 实验小学, 城关镇第一小学, 育才小学, 城关镇第二小学, ...
    out: list[str] = []
    n_named = n_numbered = 0
    while len(out) < count:
        if (len(out) % 2 == 0 and n_named < len(named)) or n_numbered >= 900:
            out.append(named[n_named])
            n_named += 1
        else:
            n_numbered += 1
            out.append(numbered.format(chinese_numeral(n_numbered)))
    return out


def township_school_name(township: str, stage: str) -> str:
    """The township's own schools: 中心小学, 初级中学 or 九年一贯制学校."""
    return {"primary": f"{township}中心小学", "junior": f"{township}初级中学",
            "nine_year": f"{township}九年一贯制学校"}[stage]


def village_school_name(township: str, village: str, stage: str) -> str:
    """A village school: 李庄乡王沟小学, or 李庄乡赵营九年制学校."""
    return f"{township}{village}小学" if stage == "primary" else f"{township}{village}九年制学校"


def cluster_name(index: int) -> str:
    """城关第一学区, 城关第二学区, ..."""
    return f"城关第{chinese_numeral(index)}学区"
