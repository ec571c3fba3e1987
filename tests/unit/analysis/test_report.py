"""The reports: exports with exactly the FORMATS.md columns, the workbook, school reports, the HTML
(and a look at it in headless Chromium)."""
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.report import workbook_sheets, write_bundled_report, write_reports
from analysis.report_tables import all_tables
from analysis.assessment import bundled_evaluation
from bundle.spec import EXPORT_COLUMNS

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def written(analysis, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return out, write_reports(analysis, out)


def test_exports_have_exactly_the_contract_columns(analysis, written):
    out, paths = written
    summary = pd.read_csv(out / "school_summary.csv", dtype={"school_id": str})
    assert tuple(summary.columns) == EXPORT_COLUMNS["school_summary"]
    for column in ("excellent_rate", "pass_rate", "low_rate", "improvement_rate"):
        assert summary[column].between(0, 1).all()
    rows = analysis.summary[(analysis.summary["level"] == "school") & (analysis.summary["subject"] != "total")]
    assert len(summary) == len(rows) and set(summary["subject"]) == set(analysis.subjects)
    merged = summary.merge(rows, left_on=["school_id", "subject"], right_on=["group_id", "subject"])
    np.testing.assert_allclose(merged["pass_rate_x"], merged["pass_rate_y"], rtol=1e-5)
    items = pd.read_csv(out / "item_stats.csv")
    assert tuple(items.columns) == EXPORT_COLUMNS["item_stats"]
    assert items["difficulty"].between(0, 1).all() and len(items) == len(analysis.items)
    np.testing.assert_allclose(items["discrimination"], analysis.items["discrimination"], rtol=1e-5)
    assert {p.name for p in paths} >= {"report.html", "analysis.xlsx", "school_summary.csv", "item_stats.csv",
                                       "students.csv"}


def test_workbook_has_chinese_sheets_and_headers(analysis, written):
    out, _ = written
    book = openpyxl.load_workbook(out / "analysis.xlsx", read_only=True)
    expected = ["考试概况", "试卷概况", "学区汇总", "学校汇总", "班级汇总", "分数段", "一分一段", "小题分析",
                "学校小题得分率", "各校差距", "选项分析", "纵向比较", "班级考核", "教师考核", "学生成绩", "方法说明"]
    assert book.sheetnames == expected
    sheet = book["学校汇总"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert {"学校", "学科", "平均分", "优秀率", "及格率", "低分率", "超均率", "提高率"} <= set(header)
    first = dict(zip(header, rows[1]))
    school = analysis.summary[(analysis.summary["level"] == "school") & (analysis.summary["subject"] == "chinese")]
    match = school[school["group_id"] == first["学校编号"]].iloc[0]
    assert first["学科"] == "语文" and first["优秀率"] == pytest.approx(match["excellent_rate"])
    assert len(list(book["学生成绩"].iter_rows())) == len(analysis.students) + 1
    book.close()
    styled = openpyxl.load_workbook(out / "analysis.xlsx")["学校汇总"]
    column = header.index("优秀率") + 1
    assert styled.cell(row=2, column=column).number_format == "0.0%"
    assert styled.freeze_panes == "A2"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_has_distinct_headers(analysis, lang):
    for sheet in workbook_sheets(all_tables(analysis, lang, with_students=True), lang):
        assert not sheet.frame.columns.duplicated().any(), (sheet.name, list(sheet.frame.columns))


def test_school_reports_have_the_three_parts(analysis, written):
    out, _ = written
    for school in analysis.schools.itertuples():
        text = (out / "schools" / f"{school.school_id}.md").read_text(encoding="utf-8")
        for heading in ("## 一、现状分析", "## 二、差异差距", "## 三、整改措施"):
            assert heading in text
        assert school.name in text
        total = analysis.summary[(analysis.summary["level"] == "school") & (analysis.summary["group_id"] ==
                                 school.school_id) & (analysis.summary["subject"] == "total")].iloc[0]
        assert f"{total['mean']:.1f}" in text
    weakest = analysis.summary[(analysis.summary["level"] == "school") & (analysis.summary["subject"] == "total")]
    weakest = weakest.sort_values("mean").iloc[0]
    text = (out / "schools" / f"{weakest['group_id']}.md").read_text(encoding="utf-8")
    assert "总分平均分低于学区" in text  # the weakest school's gap shows up as a problem to fix


def test_html_is_self_contained_and_complete(analysis, written):
    out, _ = written
    text = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc=", text)  # no external script
    assert not re.search(r"<link[^>]+href=|@import|<img[^>]+src=\"https?:", text)  # no external style or image
    assert text.count("Plotly.newPlot") >= 3 + 3 * len(analysis.subjects)
    assert len(re.findall(r"plotly\.js v\d", text)) == 1  # the library inlined exactly once
    for heading in ("学区概况", "各校分析", "学科分析", "小题分析", "纵向比较", "统一考核", "方法说明", "语文", "难度–区分度"):
        assert heading in text
    for school in analysis.schools["name"]:
        assert school in text


def test_english_reports(analysis, tmp_path):
    paths = write_reports(analysis, tmp_path, lang="en")
    names = {p.name for p in paths}
    assert {"report.en.html", "analysis.en.xlsx"} <= names
    text = (tmp_path / "report.en.html").read_text(encoding="utf-8")
    assert "Cluster overview" in text and "Item analysis" in text and "学区概况" not in text
    book = openpyxl.load_workbook(tmp_path / "analysis.en.xlsx", read_only=True)
    assert "Schools" in book.sheetnames and "Item analysis" in book.sheetnames
    assert "## 1. Current state" in next((tmp_path / "schools").glob("*.en.md")).read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="lang"):
        write_reports(analysis, tmp_path, lang="fr")


def test_headline_markdown(analysis):
    text = analysis.headline_markdown()
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(analysis.schools) + analysis.schools["cluster_id"].nunique()
    assert "优秀率" in text and "α=" in text
    assert "Excellent rate" in analysis.headline_markdown("en")


def test_bundled_report(tmp_path):
    frame = pd.DataFrame({"exam_id": ["E1", "E2"], "class_id": ["c1", "c1"], "subject": "math",
                          "teacher_id": ["M", "M"], "class_score": [50.0, 60.0]})
    result = bundled_evaluation(frame, pd.DataFrame({"mentor_id": ["M"], "apprentice_id": ["A"]}))
    paths = write_bundled_report(result, tmp_path, teacher_names={"M": "王老师"})
    book = openpyxl.load_workbook(paths[0], read_only=True)
    assert book.sheetnames == ["师徒捆绑", "捆绑组合", "考试概况"]
    rows = list(book["师徒捆绑"].iter_rows(values_only=True))
    assert rows[1][0] == "王老师 (M)" and 110 in rows[1]


@pytest.mark.slow
def test_html_report_renders_in_headless_chromium(written):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium fonts-noto-cjk")
    image = pytest.importorskip("PIL.Image")
    out, _ = written
    shot = out / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--hide-scrollbars", "--virtual-time-budget=10000",
            f"--screenshot={shot}", "--window-size=1280,2000", (out / "report.html").as_uri(),
        ], check=True, timeout=180, capture_output=True)
    assert shot.exists()
    with image.open(shot) as png:
        assert png.size == (1280, 2000)
        pixels = np.asarray(png.convert("RGB"))
    not_white = (pixels < 245).any(axis=2)
    assert 0.03 < not_white.mean() < 0.9  # text, tables and charts, not a blank page
    colours = np.unique(pixels.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 50
    blue_bars = ((pixels[:, :, 2] > 150) & (pixels[:, :, 0] < 60)).mean()  # the charts' bars (#1565c0)
    assert blue_bars > 0.005
