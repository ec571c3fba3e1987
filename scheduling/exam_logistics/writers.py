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

import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bundle.cells import safe_cell, safe_frame
from bundle.spec import EXPORT_COLUMNS
from .data import InvigilationInput, InvigilationResult, MarkingInput, MarkingResult, subject_zh

ROLE_ZH = {"chief": "主监考", "assistant": "副监考", "reserve": "备用监考", "leader": "题组长", "marker": "阅卷员"}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


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


def _sheet_name(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:28] or "sheet"
    name, k = base, 2
    while name in used:
        name = f"{base[:26]}_{k}"
        k += 1
    used.add(name)
    return name


def _table(ws, header: list[str], rows: list[list], start_row: int = 1) -> int:
    for j, h in enumerate(header, 1):
        c = ws.cell(row=start_row, column=j, value=safe_cell(h))
        c.font = Font(bold=True)
        c.fill = _HEADER_FILL
        c.alignment = Alignment(horizontal="center")
    for i, row in enumerate(rows, start_row + 1):
        for j, value in enumerate(row, 1):
            ws.cell(row=i, column=j, value=safe_cell(value))  # a name like =HYPERLINK(...) stays text
    for j, h in enumerate(header, 1):
        width = max([len(str(h)) * 2] + [len(str(r[j - 1])) * (2 if re.search(r"[\u4e00-\u9fff]", str(r[j - 1])) else 1)
                                         for r in rows[:200]]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width))
    return start_row + len(rows) + 1


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


def _workbook_with_notes(title: str, note: str):
    """A workbook whose first sheet, 说明, holds a title and a note; the sheet names used so far."""
    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = note
    return wb, ws, {"说明"}


def write_invigilation_notices_xlsx(result: InvigilationResult, data: InvigilationInput, path: Path | str) -> Path:
    """监考通知: one sheet per school of the teachers; a row per session; the notice text per teacher."""
    path = Path(path)
    sb, tb, sess = data.school_by_id, data.teacher_by_id, data.session_by_id
    texts = notice_texts(result, data)
    wb, ws, used = _workbook_with_notes(f"联考 {data.exam_id} 监考通知",
                                        "每所学校一个工作表：本校教师的监考时间、考点、考场与角色；最后一列为可直接发送的通知文本。")
    by_school: dict[str, list] = {}
    for a in result.assignments:
        by_school.setdefault(a.teacher_school_id, []).append(a)
    header = ["教师编号", "姓名", "日期", "时间", "科目", "考点", "考场", "角色", "单程距离(公里)", "通知"]
    for school_id in sorted(by_school):
        rows_ = sorted(by_school[school_id], key=lambda a: (a.teacher_id, sess[a.session_id].date, sess[a.session_id].start))
        ws = wb.create_sheet(_sheet_name(sb[school_id].label, used))
        table = []
        last = None
        for a in rows_:
            s = sess[a.session_id]
            table.append([a.teacher_id, tb[a.teacher_id].label, s.date, f"{s.start}–{s.end}", subject_zh(s.subject),
                          sb[a.site_school_id].label, a.room_id or "—", ROLE_ZH[a.role], a.distance_km,
                          texts[a.teacher_id] if a.teacher_id != last else ""])
            last = a.teacher_id
        _table(ws, header, table)
        ws.column_dimensions[get_column_letter(len(header))].width = 60
        for row in ws.iter_rows(min_row=2, min_col=len(header), max_col=len(header)):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(path)
    return path


def write_room_sheets_xlsx(result: InvigilationResult, data: InvigilationInput, path: Path | str) -> Path:
    """考场安排表: one sheet per site; a row per session and room; reserves per session."""
    path = Path(path)
    sb, tb, sess = data.school_by_id, data.teacher_by_id, data.session_by_id
    capacity = {(r.school_id, r.room_id): r.capacity for r in data.rooms}
    wb, ws, used = _workbook_with_notes(f"联考 {data.exam_id} 各考点考场安排",
                                        "每个考点一个工作表：各场次各考场的主监考、副监考（括号内为所在学校），以及备用监考。")
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
        ws = wb.create_sheet(_sheet_name(sb[site].label, used))
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
        _table(ws, header, table)
    wb.save(path)
    return path


def write_marking_notices_xlsx(result: MarkingResult, data: MarkingInput, path: Path | str) -> Path:
    """阅卷分组: one sheet per subject; a row per marker, group leaders first."""
    path = Path(path)
    sb, tb = data.school_by_id, data.teacher_by_id
    groups = {(g.subject, g.group_id): g for g in data.groups}
    site = sb[data.site_school_id].label if data.site_school_id and data.site_school_id in sb else "网上阅卷"
    wb, ws, used = _workbook_with_notes(f"联考 {data.exam_id} 阅卷分组（流水阅卷）",
                                        f"阅卷地点：{site}。每个学科一个工作表，每个题组一名题组长。")
    summary = [[subject_zh(s), g, "、".join(groups[s, g].items) or "—", n] for (s, g), n in sorted(result.group_sizes.items())]
    _table(ws, ["学科", "题组", "题目", "人数"], summary, start_row=4)
    by_subject: dict[str, list] = {}
    for a in result.assignments:
        by_subject.setdefault(a.subject, []).append(a)
    header = ["题组", "题目", "角色", "教师编号", "姓名", "学校"]
    for subject in sorted(by_subject):
        ws = wb.create_sheet(_sheet_name(subject_zh(subject), used))
        rows_ = sorted(by_subject[subject], key=lambda a: (a.item_group, a.role != "leader", a.teacher_id))
        table = [[a.item_group, "、".join(groups[a.subject, a.item_group].items) or "—", ROLE_ZH[a.role], a.teacher_id,
                  tb[a.teacher_id].label, sb[a.teacher_school_id].label] for a in rows_]
        _table(ws, header, table)
    wb.save(path)
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
