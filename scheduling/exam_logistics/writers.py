"""Writers (pure): export rows with exactly the contract's columns, and Chinese Excel workbooks.

* `invigilation_frame` / `marking_frame`: DataFrames with exactly
  `bundle.spec.EXPORT_COLUMNS["invigilation" | "marking"]`, in that order; `write_*_csv` save them
  (UTF-8 with BOM, so that Excel opens Chinese text correctly).
* `write_invigilation_notices_xlsx`: per-teacher notices (监考通知): one sheet per school of the
  teachers, one block per teacher: where, when, role, travel; plus the notice text.
* `write_room_sheets_xlsx`: per-site room sheets (考场安排表): one sheet per site, a row per room
  and session with chief, assistants; reserves listed per session.
* `write_marking_notices_xlsx`: marker groups (阅卷分组): one sheet per subject.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from domain.labels import labels
from bundle.cells import safe_frame
from bundle.spec import EXPORT_COLUMNS
from bundle.xlsx import Sheet, write_workbook
from .data import InvigilationInput, InvigilationResult, MarkingInput, MarkingResult, subject_zh

ROLE_ZH = labels("duty_role")  # from the one registry (domain/labels.py)


def invigilation_frame(result: InvigilationResult | list) -> pd.DataFrame:
    rows = result.assignments if isinstance(result, InvigilationResult) else result
    cols = list(EXPORT_COLUMNS["invigilation"])
    return pd.DataFrame([{c: getattr(a, c) for c in cols} for a in rows], columns=cols)


def marking_frame(result: MarkingResult | list) -> pd.DataFrame:
    rows = result.assignments if isinstance(result, MarkingResult) else result
    cols = list(EXPORT_COLUMNS["marking"])
    return pd.DataFrame([{c: getattr(a, c) for c in cols} for a in rows], columns=cols)


def write_invigilation_csv(result: InvigilationResult | list, path: Path | str) -> Path:
    path = Path(path)
    safe_frame(invigilation_frame(result)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_marking_csv(result: MarkingResult | list, path: Path | str) -> Path:
    path = Path(path)
    safe_frame(marking_frame(result)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def notice_texts(result: InvigilationResult, data: InvigilationInput) -> dict[str, str]:
    """The Chinese notice text of every teacher with an assignment."""
    sb, tb, sess = data.school_by_id, data.teacher_by_id, data.session_by_id
    by_teacher: dict[str, list] = {}
    for a in result.assignments:
        by_teacher.setdefault(a.teacher_id, []).append(a)
    out = {}
    for tid, rows in by_teacher.items():
        t = tb[tid]
        rows.sort(key=lambda a: (sess[a.session_id].date, sess[a.session_id].start))
        lines = [f"{t.label}老师（{sb[t.school_id].label}）：您在本次联考（{data.exam_id}）中的监考安排如下："]
        for a in rows:
            s = sess[a.session_id]
            place = f"{a.room_id}考场" if a.room_id else "考务室待命"
            lines.append(f"  {s.date} {s.start}–{s.end} {subject_zh(s.subject)}：{sb[a.site_school_id].label} {place}，"
                         f"{ROLE_ZH[a.role]}（单程约 {a.distance_km:.1f} 公里）")
        lines.append("请于开考前 30 分钟到考点考务室签到领取试卷。")
        out[tid] = "\n".join(lines)
    return out


def _notes_sheet(title: str, note: str, table: pd.DataFrame | None = None) -> Sheet:
    """The first sheet, 说明: a title, a note and, for marking, the group summary."""
    return Sheet("说明", table if table is not None else pd.DataFrame(), notes=(title, note))


def write_invigilation_notices_xlsx(result: InvigilationResult, data: InvigilationInput, path: Path | str) -> Path:
    """监考通知: one sheet per school of the teachers; a row per session; the notice text per teacher."""
    path = Path(path)
    sb, tb, sess = data.school_by_id, data.teacher_by_id, data.session_by_id
    texts = notice_texts(result, data)
    sheets = [_notes_sheet(f"联考 {data.exam_id} 监考通知",
                           "每所学校一个工作表：本校教师的监考时间、考点、考场与角色；最后一列为可直接发送的通知文本。")]
    by_school: dict[str, list] = {}
    for a in result.assignments:
        by_school.setdefault(a.teacher_school_id, []).append(a)
    header = ["教师编号", "姓名", "日期", "时间", "科目", "考点", "考场", "角色", "单程距离(公里)", "通知"]
    for school_id in sorted(by_school):
        rows_ = sorted(by_school[school_id], key=lambda a: (a.teacher_id, sess[a.session_id].date, sess[a.session_id].start))
        table = []
        last = None
        for a in rows_:
            s = sess[a.session_id]
            table.append([a.teacher_id, tb[a.teacher_id].label, s.date, f"{s.start}–{s.end}", subject_zh(s.subject),
                          sb[a.site_school_id].label, a.room_id or "—", ROLE_ZH[a.role], a.distance_km,
                          texts[a.teacher_id] if a.teacher_id != last else ""])
            last = a.teacher_id
        sheets.append(Sheet(sb[school_id].label, pd.DataFrame(table, columns=header),
                            formats={"通知": "wrap"}, widths={"通知": 60}))
    write_workbook(path, sheets)
    return path


def write_room_sheets_xlsx(result: InvigilationResult, data: InvigilationInput, path: Path | str) -> Path:
    """考场安排表: one sheet per site; a row per session and room; reserves per session."""
    path = Path(path)
    sb, tb, sess = data.school_by_id, data.teacher_by_id, data.session_by_id
    capacity = {(r.school_id, r.room_id): r.capacity for r in data.rooms}
    sheets = [_notes_sheet(f"联考 {data.exam_id} 各考点考场安排",
                           "每个考点一个工作表：各场次各考场的主监考、副监考（括号内为所在学校），以及备用监考。")]
    by_site: dict[str, list] = {}
    for a in result.assignments:
        by_site.setdefault(a.site_school_id, []).append(a)
    # declared relaxations show where a reader looks: an unstaffed place as 空缺, a shared reserve by its partner
    gaps: dict[tuple[str, str, str, str], int] = {}
    shared: dict[tuple[str, str], str] = {}
    for r in getattr(result, "relaxations", ()):
        if r.tier == "unstaffed":
            gaps[r.session_id, r.site_school_id, r.room_id, r.role] = gaps.get(
                (r.session_id, r.site_school_id, r.room_id, r.role), 0) + 1
            by_site.setdefault(r.site_school_id, [])
        elif r.tier == "shared_reserve":
            shared[r.session_id, r.site_school_id] = sb[r.partner_site_id].label

    def who(a) -> str:
        return f"{tb[a.teacher_id].label}（{sb[a.teacher_school_id].label}）"

    header = ["日期", "时间", "科目", "考场", "座位数", "主监考", "副监考", "备用监考"]
    for site in sorted(by_site):
        cells: dict[tuple[str, str], dict] = {}
        reserves: dict[str, list[str]] = {}
        for a in by_site[site]:
            if a.role == "reserve":
                reserves.setdefault(a.session_id, []).append(who(a))
                continue
            slot = cells.setdefault((a.session_id, a.room_id), {"chief": [], "assistant": []})
            slot[a.role].append(who(a))
        for (e, j, room, role), n in gaps.items():
            if j != site:
                continue
            if role == "reserve":
                reserves.setdefault(e, []).extend(["空缺"] * n)
            else:
                cells.setdefault((e, room), {"chief": [], "assistant": []})[role].extend(["空缺"] * n)
        for (e, j), partner in shared.items():
            if j == site:
                reserves.setdefault(e, []).append(f"与{partner}共用")
        table = []
        for sid in sorted({k[0] for k in cells} | set(reserves), key=lambda e: (sess[e].date, sess[e].start)):
            s = sess[sid]
            rooms = sorted(r for (e, r) in cells if e == sid)
            for i, room in enumerate(rooms):
                slot = cells[sid, room]
                table.append([s.date, f"{s.start}–{s.end}", subject_zh(s.subject), room, capacity.get((site, room), ""),
                              "、".join(slot["chief"]), "、".join(slot["assistant"]),
                              "、".join(reserves.get(sid, [])) if i == 0 else ""])
        sheets.append(Sheet(sb[site].label, pd.DataFrame(table, columns=header)))
    write_workbook(path, sheets)
    return path


def write_marking_notices_xlsx(result: MarkingResult, data: MarkingInput, path: Path | str) -> Path:
    """阅卷分组: one sheet per subject; a row per marker, group leaders first."""
    path = Path(path)
    sb, tb = data.school_by_id, data.teacher_by_id
    groups = {(g.subject, g.group_id): g for g in data.groups}
    site = sb[data.site_school_id].label if data.site_school_id and data.site_school_id in sb else "网上阅卷"
    summary = [[subject_zh(s), g, "、".join(groups[s, g].items) or "—", n] for (s, g), n in sorted(result.group_sizes.items())]
    sheets = [_notes_sheet(f"联考 {data.exam_id} 阅卷分组（流水阅卷）",
                           f"阅卷地点：{site}。每个学科一个工作表，每个题组一名题组长。",
                           pd.DataFrame(summary, columns=["学科", "题组", "题目", "人数"]))]
    by_subject: dict[str, list] = {}
    for a in result.assignments:
        by_subject.setdefault(a.subject, []).append(a)
    header = ["题组", "题目", "角色", "教师编号", "姓名", "学校"]
    for subject in sorted(by_subject):
        rows_ = sorted(by_subject[subject], key=lambda a: (a.item_group, a.role != "leader", a.teacher_id))
        table = [[a.item_group, "、".join(groups[a.subject, a.item_group].items) or "—", ROLE_ZH[a.role], a.teacher_id,
                  tb[a.teacher_id].label, sb[a.teacher_school_id].label] for a in rows_]
        sheets.append(Sheet(subject_zh(subject), pd.DataFrame(table, columns=header)))
    write_workbook(path, sheets)
    return path


RELAXATION_COLUMNS = ["tier", "tier_zh", "session_id", "site_school_id", "site_name", "teacher_id", "teacher_name",
                      "school_id", "room_id", "role", "partner_site_id", "count", "km"]


def relaxation_frame(result: InvigilationResult, data: InvigilationInput) -> pd.DataFrame:
    """One row per use of a relaxation tier (放宽层级), names beside ids, in the tier order."""
    from .data import TIER_NAMES

    sb, tb = data.school_by_id, data.teacher_by_id
    order = {t: k for k, t in enumerate(TIER_NAMES)}
    rows = []
    for r in sorted(result.relaxations, key=lambda r: (order.get(r.tier, 99), r.session_id, r.site_school_id, r.teacher_id)):
        site = r.site_school_id or r.school_id
        rows.append({"tier": r.tier, "tier_zh": TIER_NAMES.get(r.tier, (r.tier,))[0], "session_id": r.session_id,
                     "site_school_id": r.site_school_id, "site_name": sb[site].label if site in sb else "",
                     "teacher_id": r.teacher_id, "teacher_name": tb[r.teacher_id].label if r.teacher_id in tb else "",
                     "school_id": r.school_id, "room_id": r.room_id, "role": r.role,
                     "partner_site_id": r.partner_site_id, "count": r.count, "km": r.km})
    return pd.DataFrame(rows, columns=RELAXATION_COLUMNS)


def write_relaxations_csv(result: InvigilationResult, data: InvigilationInput, path: Path | str) -> Path:
    """invigilation_relaxations.csv: every use of a relaxation tier (empty with a header when none)."""
    path = Path(path)
    relaxation_frame(result, data).to_csv(path, index=False, encoding="utf-8-sig")
    return path
