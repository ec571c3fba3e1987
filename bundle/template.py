"""An empty bundle workbook for schools to fill: one sheet per file and a notes sheet (中文 + English)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bundle.cells import safe_row
from bundle.spec import FORMAT_VERSION, INPUT_FILES, Column
from bundle.values import CHOICE_VALUES, SUBJECT_VALUES

NOTES_SHEET = "说明 notes"
NOTES_HEADERS = ("文件 file", "列 column", "中文列名", "必需列 required", "可留空 may be empty",
                 "说明（中文）", "description (English)", "可选值 allowed values")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _allowed(column: Column) -> str:
    """Allowed values with the Chinese spellings a school may type instead: primary 小学, junior 初中, …"""
    if column.kind in ("grade", "grade_list"):
        return "1–12；也可写 七年级、初一、高三 等 (grade words accepted)"
    if column.kind == "bool":
        return "1/0, 是/否, true/false"
    accepted = SUBJECT_VALUES if column.kind == "subject" else CHOICE_VALUES.get(tuple(column.choices), {})
    codes = list(dict.fromkeys(accepted.values())) if column.kind == "subject" else list(column.choices)
    chinese = {code: [k for k, v in accepted.items() if v == code and not k.isascii()] for code in codes}
    return ", ".join(f"{code} {chinese[code][0]}" if chinese[code] else code for code in codes)


def write_template(path: Path) -> Path:
    """Write the template workbook; its sheets re-import as an (empty) bundle."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    notes = workbook.active
    notes.title = NOTES_SHEET
    notes.append([f"学区数据包模板 · district bundle template · 格式版本 format version {FORMAT_VERSION}"])
    notes.append(["每个工作表对应一个文件；表头用英文列名（也接受括号中的中文列名）。布尔值填 1/0、是/否；"
                  "列表用 ; 分隔；日期 YYYY-MM-DD；时间 HH:MM。"])
    notes.append(["One sheet per file; headers are the English names (the Chinese names are accepted too). "
                  "Booleans 1/0; lists separated by ;; dates YYYY-MM-DD; times HH:MM."])
    notes.append([])
    notes.append(list(NOTES_HEADERS))
    for cell in notes[5]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for spec in INPUT_FILES:
        file_label = f"{spec.filename}（{spec.zh}）" + ("" if spec.required else " 可选 optional")
        for column in spec.columns:
            notes.append(safe_row([file_label, column.name, column.zh, "是 yes" if column.required else "否 no",
                                   "是 yes" if column.nullable else "否 no", column.note_zh, column.note_en,
                                   _allowed(column)]))
    for index, width in enumerate((34, 20, 14, 12, 14, 40, 50, 30), start=1):
        notes.column_dimensions[get_column_letter(index)].width = width
    for spec in INPUT_FILES:
        sheet = workbook.create_sheet(spec.name)
        sheet.append(spec.column_names)
        for index, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.name) + 4)
        sheet.freeze_panes = "A2"
    workbook.save(path)
    return path
