"""`xuequ template`, filled in with the Chinese values its notes name, imports with no problem,
and the database stores the contract's codes (the same as the English bundle gives)."""
from __future__ import annotations

import csv

from openpyxl import load_workbook
from typer.testing import CliRunner

from bundle.io import write_bundle
from bundle.spec import INPUT_BY_NAME
from bundle.validate import load_bundle
from domain.vocab import LOCALITIES, ROLES, STAGES, SUBJECTS, TIERS
from models.bundles import export_tables
from models.db import session_scope
from service.cli import app

runner = CliRunner()
NUMERALS = "一二三四五六七八九十"
CHOICE_LABELS = {"role": ROLES, "stage": STAGES, "locality": LOCALITIES, "tier": TIERS}


def grade_zh(grade: str) -> str:
    number = int(grade)
    if 7 <= number <= 9:
        return "初" + NUMERALS[number - 7]  # 初一 … 初三
    return NUMERALS[number - 1] + "年级" if number <= 10 else "十" + NUMERALS[number - 11] + "年级"


def in_chinese(file: str, column: str, value: str) -> str:
    """The cell as a school following the template's notes writes it."""
    if not value:
        return value
    spec_column = INPUT_BY_NAME[file].column(column)
    if spec_column.kind == "subject":
        return SUBJECTS[value]
    if spec_column.kind == "bool":
        return "是" if value == "1" else "否"
    if spec_column.kind == "grade":
        return grade_zh(value)
    if spec_column.kind == "grade_list":
        return ";".join(grade_zh(g) for g in value.split(";"))
    if column in CHOICE_LABELS:
        return CHOICE_LABELS[column][value]
    return value


def test_template_filled_in_chinese_imports_as_codes(mini_bundle, tmp_path):
    template = tmp_path / "district.xlsx"
    assert runner.invoke(app, ["template", str(template)]).exit_code == 0
    book = load_workbook(template)
    notes = " ".join(str(c.value) for row in book["说明 notes"].iter_rows() for c in row if c.value)
    for labels in (ROLES, STAGES, LOCALITIES, TIERS):
        assert all(label in notes for label in labels.values())  # the notes name every value used below
    written = 0
    for path in sorted(mini_bundle.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        sheet = book[path.stem]
        header = [c.value for c in sheet[1]]
        for row in rows:
            sheet.append([in_chinese(path.stem, column, row.get(column, "")) for column in header])
            written += 1
    book.save(template)
    assert written > 40

    db = f"sqlite:///{tmp_path / 'zh.db'}"
    result = runner.invoke(app, ["import", str(template), "--db", db])
    assert result.exit_code == 0, result.output
    with session_scope(db) as session:
        stored = export_tables(session)
    write_bundle(stored, tmp_path / "stored")
    write_bundle(load_bundle(mini_bundle), tmp_path / "english")
    for path in sorted((tmp_path / "english").glob("*.csv")):
        assert (tmp_path / "stored" / path.name).read_text(encoding="utf-8-sig") == path.read_text(
            encoding="utf-8-sig"), path.name
