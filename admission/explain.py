"""Each family's outcome with the reason in plain words (录取说明), Chinese by default.

    第一志愿 福强小学 学位 120 个，130 人报名，按积分录取至 86 分，您 84 分，未录取；
    第二志愿 全海小学 剩余学位 5 个，4 人报名，全部录取，录取。

Every choice the family's outcome went through is told with the numbers that decided it: the
seats left, how many asked, the cut-off (lowest points admitted, or the last lottery number drawn)
and the family's own points or number.
"""
from __future__ import annotations

from admission.inputs import Application, ZoneSchool
from admission.rules import POOL, ZoneResult

ORDINALS_ZH = {1: "第一志愿", 2: "第二志愿", 3: "第三志愿"}
ORDINALS_EN = {1: "1st choice", 2: "2nd choice", 3: "3rd choice"}


def points_text(points: float) -> str:
    """86 → "86", 86.5 → "86.5"."""
    return f"{points:g}"


def reason(result: ZoneResult, application: Application, lang: str = "zh") -> str:
    """Why the family got what it got, choice by choice, in one paragraph."""
    admission = result.admissions[application.applicant_id]
    last = admission.choice_rank or len(application.choices)
    schools = result.school_map
    parts = [_choice(result, application, rank, schools[application.choices[rank - 1]], admission.choice_rank == rank,
                     lang) for rank in range(1, last + 1)]
    if admission.round == POOL:
        if lang == "en":
            parts.append("none of your choices admitted you: you go to the district pool (全区统筹调剂)")
        else:
            parts.append(("三个志愿" if len(application.choices) == 3 else "所填志愿") + "均未录取，纳入全区统筹调剂")
    separator = "; " if lang == "en" else "；"
    return separator.join(parts) + ("." if lang == "en" else "。")


def _choice(result: ZoneResult, application: Application, rank: int, school: ZoneSchool, admitted: bool,
            lang: str) -> str:
    record = result.round_at(school.school_id, rank)
    assert record is not None, "every choice a family reached has its round record"
    mine = result.settings.points_at(application, school.school_id, rank)
    bonus = mine != application.points
    number = result.numbers[application.applicant_id]
    en = lang == "en"
    head = (f"{ORDINALS_EN[rank]} {school.label}" if en else f"{ORDINALS_ZH[rank]} {school.label}")
    if record.outcome == "full":
        return (f"{head}: no seat left after the earlier rounds, not admitted" if en
                else f"{head} 已在前面的轮次录满，无剩余学位，未录取")
    if rank == 1:
        seats = f"{record.seats_left} seats" if en else f"学位 {record.seats_left} 个"
    else:
        seats = f"{record.seats_left} seats left" if en else f"剩余学位 {record.seats_left} 个"
    asked = f"{record.applicants} applied" if en else f"{record.applicants} 人报名"
    verdict = ("admitted" if admitted else "not admitted") if en else ("录取" if admitted else "未录取")
    if record.outcome == "all":
        body = "seats for all, all admitted" if en else "未超过学位数，全部录取"
        return f"{head}: {seats}, {asked}, {body}, {verdict}" if en else f"{head} {seats}，{asked}，{body}，{verdict}"
    if record.outcome == "lottery":
        body = (f"more than the seats, decided by the computer lottery (电脑随机派位) up to number "
                f"{record.cutoff_number}, your number {number}" if en
                else f"超过学位数，电脑随机派位录取至第 {record.cutoff_number} 号，您的派位号为第 {number} 号")
        return f"{head}: {seats}, {asked}, {body}, {verdict}" if en else f"{head} {seats}，{asked}，{body}，{verdict}"
    cutoff = points_text(record.cutoff_points or 0.0)
    own = points_text(mine)
    with_bonus = (f" (with the catchment bonus of {points_text(result.settings.catchment_bonus)})" if en
                  else f"（含原地段学校加分 {points_text(result.settings.catchment_bonus)} 分）") if bonus else ""
    if en:
        body = f"admitted by points down to {cutoff}, you have {own}{with_bonus}"
        if record.cutoff_number is not None and mine == record.cutoff_points:
            body += (f"; equal points at the cut-off went by the published draw up to number {record.cutoff_number}, "
                     f"your number {number}")
        return f"{head}: {seats}, {asked}, {body}, {verdict}"
    body = f"按积分录取至 {cutoff} 分，您 {own} 分{with_bonus}"
    if record.cutoff_number is not None and mine == record.cutoff_points:
        body += f"，与录取线同分者按派位号录取至第 {record.cutoff_number} 号，您为第 {number} 号"
    return f"{head} {seats}，{asked}，{body}，{verdict}"
