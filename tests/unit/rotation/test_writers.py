"""rotation.csv, the per-school Excel rosters and the summary are pure functions of the plan."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from bundle.spec import EXPORT_COLUMNS
from scheduling.rotation import RotationPolicy, plan_rotation
from scheduling.rotation.writers import (rotation_rows, summary_frame, summary_markdown, write_rotation_csv,
                                         write_school_rosters_xlsx)

from tests.unit.rotation.builders import keeper, lead_school, need, school, teacher, world, young


@pytest.fixture(scope="module")
def solved():
    schools = [lead_school("S1"), school("S2", 10.0, hardship=2)]
    teachers = [teacher("T1", "S1", volunteer=True), teacher("T2", "S1", volunteer=True),
                teacher("B1", "S1", backbone=True, famous=True), keeper("S1"), young("Y1", "S2"), young("Y2", "S2")]
    teachers += [teacher(f"{s.school_id}L", s.school_id, role="leader") for s in schools]
    teachers += [teacher(f"{s.school_id}P", s.school_id, role="principal") for s in schools]
    data = world(schools, teachers, [need("S2", posts=3), need("S2", "english", 4)], term=1)
    # B1 is famous with two possible apprentices: the 4–8 rule and the 001 rule are tested on their own
    policy = RotationPolicy().replace(support={"excellent_per_year": 0}, mentoring={"famous_min_apprentices": 1})
    result = plan_rotation(data, policy, time_limit_s=10, num_workers=1)
    assert result.status == "OPTIMAL"
    return data, policy, result


def test_rotation_csv_follows_the_contract(solved, tmp_path):
    data, _, result = solved
    path = write_rotation_csv(result, tmp_path / "rotation.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese names
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert tuple(frame.columns) == (*EXPORT_COLUMNS["rotation"], "hours_per_week")  # FORMATS allows more
    plan = result.plan
    assert len(frame) == len(plan.postings) + len(plan.leader_exchanges) + len(plan.principal_months)
    teachers = frame[frame.kind == "teacher"]
    assert set(teachers.teacher_id) == {"T1", "T2", "B1"} and set(teachers.direction) == {"support"}
    famous = teachers[teachers.teacher_id == "B1"].iloc[0]
    assert famous.backbone == "1" and set(famous.mentor_of.split(";")) == {"Y1", "Y2"}
    assert (teachers.weekday == "").all() and (teachers.start == "2025-09-01").all()
    leaders = frame[frame.kind == "leader"]
    assert len(leaders) == 10 and leaders.weekday.isin(list("12345")).all()
    principals = frame[frame.kind == "principal"]
    assert len(principals) == 2 and (principals.subsidy_yuan_per_month.astype(int) > 0).all()


def test_rotation_rows_accept_a_plan_or_a_result(solved):
    _, _, result = solved
    assert rotation_rows(result) == rotation_rows(result.plan)


def test_excel_roster_has_a_sheet_per_school_with_chinese_headers(solved, tmp_path):
    data, policy, result = solved
    path = write_school_rosters_xlsx(result, data, tmp_path / "roster.xlsx", policy=policy)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "S1校", "S2校"]
    sheet = book["S1校"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["本校", "教师编号", "姓名", "类别"] and "补助（元/月）" in headers
    rows = [dict(zip(headers, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    out = [r for r in rows if r["本校"] == "派出" and r["类别"] == "教师"]
    assert {r["教师编号"] for r in out} == {"T1", "T2", "B1"}
    assert {r["方向"] for r in out} == {"支教"} and {r["学科"] for r in out} == {"数学"}
    received = [r for r in (dict(zip(headers, (c.value for c in row))) for row in book["S2校"].iter_rows(min_row=2))
                if r["本校"] == "接收" and r["类别"] == "教师"]
    assert len(received) == 3
    assert any(r["每周交流日"] and r["每周交流日"].startswith("星期") for r in rows if r["类别"] == "中层干部")


def test_summary_frame_numbers(solved):
    data, policy, result = solved
    frame = summary_frame(result, data, policy).set_index("school_id")
    s1, s2 = frame.loc["S1"], frame.loc["S2"]
    assert s1.quota_sender and s1.eligible == 3 and s1.required == 1 and s1.rotated_out == 3
    assert s1.attainment == 3.0 and s1.backbone_out == 1 and s1.backbone_share == pytest.approx(1 / 3)
    months = 5  # term 1: September to January
    teachers = sum(p.subsidy_yuan_per_month for p in result.plan.postings)
    leaders = sum(e.subsidy_yuan_per_month for e in result.plan.leader_exchanges if e.from_school_id == "S1")
    principal = sum(e.subsidy_yuan_per_month for e in result.plan.principal_months if e.from_school_id == "S1")
    assert s1.subsidy_per_month == teachers and s1.subsidy_total == teachers * months + leaders + principal
    assert s2.posts == 4 and s2.received == 3 and s2.unfilled == 1
    zh = summary_frame(result, data, policy, lang="zh")
    assert "完成率" in zh.columns and "骨干占比" in zh.columns


def test_summary_markdown_in_both_languages(solved):
    data, policy, result = solved
    zh = summary_markdown(result, data, policy)
    assert zh.startswith("# 交流轮岗方案 2025–2026（第1学期）")
    assert "交流教师 3 人，其中骨干 1 人" in zh and "| S1 |" in zh and "## 空缺岗位" in zh
    en = summary_markdown(result, data, policy, lang="en")
    assert "3 teachers rotate, 1 backbone" in en and "## Unfilled posts" in en and "english grade 4" in en
