"""applications.csv and capacities.csv in (CSV or Excel, Chinese headers), bad input by file, row and
column; admissions.csv, the pool list and the workbook out, formula-safe."""
from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from admission.io import ADMISSIONS_COLUMNS, load_zone, write_outputs
from admission.rules import admit
from bundle.problems import BundleError
from bundle.xlsx import Sheet, write_workbook

CAPACITIES = "zone_id,school_id,seats,lottery,name\nZ1,FQ,2,0,福强小学\nZ1,QH,2,0,全海小学\nZ1,YT,1,1,益田小学\nZ2,M,5,1,梅山中学\n"
APPLICATIONS = """applicant_id,name,zone_id,home_school_id,choice1,choice2,choice3,points
A1,=HYPERLINK("x"),Z1,FQ,FQ,QH,YT,80
A2,乙,Z1,YT,FQ,YT,,86
A3,丙,Z1,QH,FQ,QH,,84
A4,丁,Z2,M,M,,,70
"""


def files(tmp_path: Path, applications: str = APPLICATIONS, capacities: str = CAPACITIES) -> tuple[Path, Path]:
    (tmp_path / "applications.csv").write_text(applications, encoding="utf-8")
    (tmp_path / "capacities.csv").write_text(capacities, encoding="utf-8")
    return tmp_path / "applications.csv", tmp_path / "capacities.csv"


def problems_of(tmp_path: Path, applications: str, zone: str | None = "Z1", capacities: str = CAPACITIES):
    with pytest.raises(BundleError) as refused:
        load_zone(*files(tmp_path, applications, capacities), zone)
    return {(p.file, p.row, p.column) for p in refused.value.problems}, refused.value


def test_a_zone_is_read_from_its_rows_only(tmp_path):
    zone = load_zone(*files(tmp_path), "Z1")
    assert [a.applicant_id for a in zone.applications] == ["A1", "A2", "A3"]
    assert zone.applications[1].choices == ("FQ", "YT") and zone.applications[0].points == 80.0
    assert [(s.school_id, s.seats, s.lottery, s.name) for s in zone.schools] == [
        ("FQ", 2, False, "福强小学"), ("QH", 2, False, "全海小学"), ("YT", 1, True, "益田小学")]


def test_bad_rows_are_named_by_file_row_and_column(tmp_path):
    bad = APPLICATIONS + ("A5,己,Z1,XX,FQ,FQ,,90\n"  # unknown catchment school; FQ twice
                          "A6,庚,Z1,FQ,FQ,,QH,abc\n"  # a 3rd choice without a 2nd; points not a number
                          "A7,辛,Z1,FQ,NOPE,,,-3\n"  # a school of no zone; negative points
                          "A2,壬,Z1,FQ,FQ,,,50\n")  # the same application id again
    found, error = problems_of(tmp_path, bad)
    assert found == {("applications.csv", 6, "home_school_id"), ("applications.csv", 6, "choice2"),
                     ("applications.csv", 7, "choice3"), ("applications.csv", 7, "points"),
                     ("applications.csv", 8, "choice1"), ("applications.csv", 8, "points"),
                     ("applications.csv", 9, "applicant_id")}
    text = error.render("zh")
    assert "applications.csv 第8行 列 choice1：学校 NOPE 不是片区 Z1 的招生学校（FQ、QH、YT）" in text
    assert "第2志愿为空时不能填第3志愿" in text and "已在前面的志愿中填过" in text


def test_missing_columns_files_and_zones_are_refused_in_words(tmp_path):
    found, _ = problems_of(tmp_path, "applicant_id,zone_id\nA1,Z1\n")
    assert ("applications.csv", 1, "points") in found and ("applications.csv", 1, "choice1") in found
    _, error = problems_of(tmp_path, APPLICATIONS, zone="Z9")
    assert "片区 Z9 没有招生计划" in error.render("zh")
    _, error = problems_of(tmp_path, APPLICATIONS, zone=None)
    assert "文件中有 2 个片区（Z1、Z2）" in error.render("zh")
    with pytest.raises(BundleError) as refused:
        load_zone(tmp_path / "nowhere.csv", tmp_path / "capacities.csv", "Z1")
    assert refused.value.problems[0].file == "nowhere.csv"
    found, _ = problems_of(tmp_path, APPLICATIONS, capacities=CAPACITIES + "Z1,QH,3,0,重复\nZ1,KK,-1,x,\n")
    assert found >= {("capacities.csv", 6, "zone_id"), ("capacities.csv", 7, "seats"), ("capacities.csv", 7, "lottery")}


def test_excel_workbooks_with_chinese_headers_are_read(tmp_path):
    applications = pd.DataFrame({"报名编号": ["A1", "A2"], "姓名": ["甲", "乙"], "招生片区": ["Z1", "Z1"],
                                 "原地段学校": ["FQ", "QH"], "第一志愿": ["FQ", "FQ"], "第二志愿": ["QH", None],
                                 "第三志愿": [None, None], "积分": [80, 86.5]})
    capacities = pd.DataFrame({"招生片区": ["Z1", "Z1"], "学校编号": ["FQ", "QH"], "学位数": [1, 1], "电脑派位": ["否", "是"]})
    write_workbook(tmp_path / "报名.xlsx", [Sheet("applications", applications)])
    write_workbook(tmp_path / "计划.xlsx", [Sheet("Sheet1", capacities)])  # a lone sheet of any name
    zone = load_zone(tmp_path / "报名.xlsx", tmp_path / "计划.xlsx")  # one zone in the files: no need to name it
    assert [(a.applicant_id, a.choices, a.points) for a in zone.applications] == [("A1", ("FQ", "QH"), 80.0),
                                                                                ("A2", ("FQ",), 86.5)]
    assert [s.lottery for s in zone.schools] == [False, True]


def test_the_published_files_follow_the_contract_and_are_formula_safe(tmp_path):
    zone = load_zone(*files(tmp_path), "Z1")
    written = write_outputs(admit(zone, "files-test-seed-0000001"), tmp_path / "out")
    assert {p.name for p in written} >= {"admissions.csv", "lottery.json", "pool.csv", "admissions.xlsx"}
    with (tmp_path / "out" / "admissions.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == ADMISSIONS_COLUMNS
    assert [(r["applicant_id"], r["school_id"], r["round"]) for r in rows] == [("A1", "FQ", "1"), ("A2", "FQ", "1"),
                                                                                ("A3", "QH", "2")]
    workbook = openpyxl.load_workbook(tmp_path / "out" / "admissions.xlsx", read_only=True)
    assert workbook.sheetnames == ["录取结果", "各校录取情况", "统筹调剂名单", "派位记录"]
    names = [row[1] for row in workbook["录取结果"].iter_rows(min_row=2, values_only=True)]
    assert names[0] == "'=HYPERLINK(\"x\")"  # a name that is a formula stays text
    assert not list((tmp_path / "out").glob(".enrollment-*"))  # the work folder is gone
