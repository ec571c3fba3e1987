"""An empty bundle workbook for schools to fill: one sheet per file and a notes sheet (中文 + English)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from bundle.spec import FORMAT_VERSION, INPUT_FILES, Column
from bundle.values import CHOICE_VALUES, SUBJECT_VALUES
from bundle.xlsx import Sheet, write_workbook

NOTES_SHEET = "说明 notes"
NOTES_HEADERS = ("文件 file", "列 column", "中文列名", "必需列 required", "可留空 may be empty",
                 "说明（中文）", "description (English)", "可选值 allowed values")


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
    rows = [[f"{spec.filename}（{spec.zh}）" + ("" if spec.required else " 可选 optional"), column.name, column.zh,
             "是 yes" if column.required else "否 no", "是 yes" if column.nullable else "否 no", column.note_zh,
             column.note_en, _allowed(column)]
            for spec in INPUT_FILES for column in spec.columns]
    notes = Sheet(NOTES_SHEET, pd.DataFrame(rows, columns=list(NOTES_HEADERS)),
                  widths=dict(zip(NOTES_HEADERS, (34, 20, 14, 12, 14, 40, 50, 30))), notes=(
        f"学区数据包模板 · district bundle template · 格式版本 format version {FORMAT_VERSION}",
        "每个工作表对应一个文件；表头用英文列名（也接受括号中的中文列名）。布尔值填 1/0、是/否；"
        "列表用 ; 分隔；日期 YYYY-MM-DD；时间 HH:MM。",
        "One sheet per file; headers are the English names (the Chinese names are accepted too). "
        "Booleans 1/0; lists separated by ;; dates YYYY-MM-DD; times HH:MM."))
    files = [Sheet(spec.name, pd.DataFrame(columns=spec.column_names),  # one empty sheet per file: its header
                   widths={c: max(12, len(c) + 4) for c in spec.column_names}) for spec in INPUT_FILES]
    return write_workbook(Path(path), [notes, *files])
