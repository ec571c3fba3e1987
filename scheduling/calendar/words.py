"""How the calendar reads to a person: group names, titles, dates and half days (中文 by default)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from domain.labels import label

CN_DIGITS = "〇一二三四五六七八九"
GRADE_ZH = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级", 7: "七年级", 8: "八年级",
            9: "九年级", 10: "高一", 11: "高二", 12: "高三"}


def group_name(subject: str, band: str, lang: str = "zh") -> str:
    """初中数学 / junior math."""
    if lang == "zh":
        return f"{label('stage_band', band, 'zh')}{label('subject', subject, 'zh')}"
    return f"{label('stage_band', band, 'en')} {label('subject', subject, 'en')}"


def grade_name(grade: int | None, lang: str = "zh") -> str:
    if grade is None:
        return ""
    return GRADE_ZH.get(grade, f"{grade} 年级") if lang == "zh" else f"grade {grade}"


def when(day: dt.date, half: str, lang: str = "zh") -> str:
    """10月13日（星期二）下午 / Tue 13 Oct, afternoon."""
    weekday = label("weekday", day.isoweekday(), lang)
    if lang == "zh":
        return f"{day.month}月{day.day}日（{weekday}）{label('half_day', half, 'zh')}"
    return f"{weekday[:3]} {day.day} {day:%b}, {label('half_day', half, 'en')}"


def period_words(period: str, lang: str = "zh") -> str:
    """2026-10 → 10 月; 2/3 → 第 2 次 (of 3)."""
    if "-" in period:
        month = int(period.split("-")[1])
        return f"{month} 月" if lang == "zh" else dt.date(2000, month, 1).strftime("%B")
    if "/" in period:
        k, n = period.split("/")
        return f"第 {k} 次（共 {n} 次）" if lang == "zh" else f"{k} of {n}"
    return "本学期" if lang == "zh" else "this term"


def title(rule: str, subject: str, band: str, grade: int | None, period: str, *, host: str = "",
          presenter: str = "", partner: str = "", lang: str = "zh") -> str:
    """The activity's title as a notice reads it (names, not ids, are passed in)."""
    group = group_name(subject, band, lang)
    kind = label("activity_kind", "lesson_prep" if rule == "same_grade_prep" else rule, lang)
    if rule in ("lesson_prep", "same_lesson"):
        return f"{group}{kind}（{period_words(period, lang)}）" if lang == "zh" else \
            f"{group} {kind} ({period_words(period, lang)})"
    if rule in ("research", "training"):
        return f"{group}{kind}{period_words(period, lang)}" if lang == "zh" else \
            f"{group} {kind}, {period_words(period, lang)}"
    if rule == "same_grade_prep":
        if lang == "zh":
            return f"同年级同学科备课：{grade_name(grade)}{label('subject', subject)}（{partner}）"
        return f"Same-grade preparation: {grade_name(grade, 'en')} {label('subject', subject, 'en')} ({partner})"
    if rule == "demo_lesson":
        return f"示范课：{group}（{presenter}，{host}）" if lang == "zh" else \
            f"Demonstration lesson: {group} ({presenter}, at {host})"
    if rule == "famous_lesson":
        return f"名师示范课：{presenter}（{group}，{host}）" if lang == "zh" else \
            f"Famous teacher's lesson: {presenter} ({group}, at {host})"
    return f"{group}{kind}"


def name_of(names: Mapping[str, str], key: str) -> str:
    return names.get(key, key) if key else ""
