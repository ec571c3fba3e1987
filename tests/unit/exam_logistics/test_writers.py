import openpyxl
import pandas as pd
import pytest

from bundle.spec import EXPORT_COLUMNS
from scheduling.exam_logistics import (InvigilationPolicy, MarkingPolicy, invigilation_frame, marking_frame, notice_texts,
                                       plan_invigilation, plan_marking, write_invigilation_csv,
                                       write_invigilation_notices_xlsx, write_marking_csv, write_marking_notices_xlsx,
                                       write_room_sheets_xlsx)

from .conftest import make_instance, make_marking


@pytest.fixture(scope="module")
def plans():
    data = make_instance(41, n_schools=4, teachers_per_school=(12, 14), rooms_per_school=(1, 2), radius_km=8)
    res = plan_invigilation(data, InvigilationPolicy(), time_limit_s=20)
    mdata = make_marking(41)
    mres = plan_marking(mdata, MarkingPolicy(grade_window=1), time_limit_s=10)
    assert res.ok and mres.ok
    return data, res, mdata, mres


def test_frames_have_exactly_the_contract_columns(plans, tmp_path):
    data, res, mdata, mres = plans
    f = invigilation_frame(res)
    assert tuple(f.columns) == EXPORT_COLUMNS["invigilation"] and len(f) == len(res.assignments)
    g = marking_frame(mres)
    assert tuple(g.columns) == EXPORT_COLUMNS["marking"] and len(g) == len(mres.assignments)
    path = write_invigilation_csv(res, tmp_path / "invigilation.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert tuple(back.columns) == EXPORT_COLUMNS["invigilation"]
    assert set(back["role"]) <= {"chief", "assistant", "reserve"}
    assert (back.loc[back["role"] == "reserve", "room_id"] == "").all()
    path = write_marking_csv(mres, tmp_path / "marking.csv")
    assert tuple(pd.read_csv(path, encoding="utf-8-sig").columns) == EXPORT_COLUMNS["marking"]


def test_teacher_notices_in_chinese(plans, tmp_path):
    data, res, _, _ = plans
    texts = notice_texts(res, data)
    a = res.assignments[0]
    assert set(texts) == {x.teacher_id for x in res.assignments}
    assert data.school_by_id[a.site_school_id].label in texts[a.teacher_id]
    assert data.session_by_id[a.session_id].start in texts[a.teacher_id]
    path = write_invigilation_notices_xlsx(res, data, tmp_path / "notices.xlsx")
    wb = openpyxl.load_workbook(path)
    schools = {data.school_by_id[x.teacher_school_id].label for x in res.assignments}
    assert set(wb.sheetnames) == {"说明"} | schools
    ws = wb[data.school_by_id[a.teacher_school_id].label]
    assert [c.value for c in ws[1]][:3] == ["教师编号", "姓名", "日期"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert sum(1 for r in rows if r[0] == a.teacher_id) == sum(1 for x in res.assignments if x.teacher_id == a.teacher_id)
    assert {r[7] for r in rows} <= {"主监考", "副监考", "备用监考"}


def test_room_sheets_per_site(plans, tmp_path):
    data, res, _, _ = plans
    path = write_room_sheets_xlsx(res, data, tmp_path / "rooms.xlsx")
    wb = openpyxl.load_workbook(path)
    sites = {data.school_by_id[x.site_school_id].label for x in res.assignments}
    assert set(wb.sheetnames) == {"说明"} | sites
    site = res.assignments[0].site_school_id
    ws = wb[data.school_by_id[site].label]
    assert [c.value for c in ws[1]] == ["日期", "时间", "科目", "考场", "座位数", "主监考", "副监考", "备用监考"]
    n_rooms = len({(x.session_id, x.room_id) for x in res.assignments if x.site_school_id == site and x.room_id})
    assert ws.max_row - 1 == n_rooms
    assert all(r[5].value for r in ws.iter_rows(min_row=2))  # every room has its chief


def test_marking_workbook(plans, tmp_path):
    _, _, mdata, mres = plans
    path = write_marking_notices_xlsx(mres, mdata, tmp_path / "marking.xlsx")
    wb = openpyxl.load_workbook(path)
    assert set(wb.sheetnames) == {"说明", "语文", "数学"}
    ws = wb["数学"]
    roles = [r[2].value for r in ws.iter_rows(min_row=2)]
    leaders_per_group = sum(1 for a in mres.assignments if a.role == "leader") // len(mdata.groups)
    assert leaders_per_group == 2  # leader and deputy
    assert roles.count("题组长") == leaders_per_group * sum(1 for g in mdata.groups if g.subject == "math")
