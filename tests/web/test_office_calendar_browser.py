"""The cluster office's year in the browser (system Chromium, offline): plan the term's activities,
mark one held, copy a school's feed address and fetch it as a phone would, schedule a meeting and
record a decision. Screenshots at 1366×768: office_calendar.png, office_meetings.png (copied to
docs/screenshots/ with XUEQU_SCREENSHOT_DIR=docs/screenshots)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import icalendar
import pytest

from tests.web.conftest import FIXTURES, PASSWORD, SECRET, build_district, offline_page, run_cli, serve_app


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """Its own console and SQLite district: planning and meetings here change what other pages' tests count."""
    from models.db import dispose_engines
    from service.web.app import create_app

    work = tmp_path_factory.mktemp("office-browser")
    url = f"sqlite:///{work / 'console.db'}"
    build_district(url, work)
    bundle = work / "mini_bundle"  # with shared facilities: a hall at each school, 实验小学's lab for 二小's class
    for name in ("facilities.csv", "facility_requests.csv"):
        shutil.copy(FIXTURES / "calendar_facilities" / name, bundle / name)
    run_cli("import", str(bundle), "--db", url)
    app = create_app(url, secret_key=SECRET)
    app.state.calendar_time_limit_s = 2.0
    with serve_app(app) as base:
        yield base
    dispose_engines(url)


def shoot(page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_the_office_plans_records_subscribes_and_holds_a_meeting(browser, console, tmp_path):
    with offline_page(browser, console, width=1366, height=768) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console)
        page.goto("/login")
        page.get_by_label("登录名").fill("城关学区办")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

        page.get_by_role("link", name="学区活动").click()  # the menu
        page.wait_for_url("**/office/C1/calendar")
        page.goto("/office/C1/calendar?year=2026&term=1")
        assert "本学期尚未排出学区活动" in page.locator("main").inner_text()
        page.get_by_role("button", name="排出本学期活动").click()
        page.wait_for_selector("#flash")
        assert "已排出第 1 版" in page.locator("#flash").inner_text()
        assert page.locator("h2.month").first.inner_text() == "2026年9月"
        assert "demo_lesson.presenter_scope" in page.locator("#shortfalls").inner_text()
        booking = page.locator("#bookings tbody tr").first.locator("td").all_inner_texts()
        assert booking[0] == "城关镇第二小学" and "实验小学科学实验室" in booking[1] and booking[6] == "陈静"

        first = page.locator("tr.activity").first
        first_id = first.get_attribute("id")
        first.get_by_role("button", name="记为已举行").click()
        page.wait_for_selector(f"#{first_id}.status-held")
        assert "已开展" in page.locator(f"#{first_id} td.state").inner_text()
        assert "计划 → 已开展" in page.locator("#flash").inner_text()

        row = page.locator('tr.feed[data-owner="S1"]')
        row.locator('button[data-copy^="https-"]').click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(console + "/feeds/") and copied.endswith(".ics")
        assert row.locator('input[id^="webcal-"]').input_value() == "webcal://" + copied.split("://", 1)[1]
        phone = httpx.get(copied)  # no cookie, no sign-in: the token is the credential
        assert phone.status_code == 200 and phone.headers["content-type"] == "text/calendar; charset=utf-8"
        held_uid = f"{first_id.removeprefix('a-')}@xuequ"
        calendar = icalendar.Calendar.from_ical(phone.content)
        assert any(str(e["UID"]) == held_uid for e in calendar.walk("VEVENT"))
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, tmp_path, "office_calendar")

        page.get_by_role("link", name="联席会议与决议").first.click()
        page.wait_for_url("**/office/C1/meetings")
        page.locator("#new-meeting select[name=kind]").select_option(label="教学工作例会")
        page.locator("#new-meeting input[name=date]").fill("2026-10-12")
        page.get_by_role("button", name="创建会议").click()
        page.wait_for_selector("#flash.done")
        meeting = page.locator("#meeting-C1-2026-10-12-teaching")
        agenda = meeting.locator("form.agenda-form")
        agenda.locator("input[name=text]").fill("实验室共享的排期")
        agenda.locator("select[name=school_id]").select_option(label="城关镇第二小学")
        agenda.get_by_role("button", name="报送议题").click()
        page.wait_for_selector("#flash.done")
        assert "实验室共享的排期（城关镇第二小学）" in meeting.locator("ol.agenda-items").inner_text()
        meeting.locator("summary", has_text="记录决议").click()
        form = meeting.locator("form.decision-form")
        form.locator("input[name=text]").fill("统一期中命题，10 月底前交卷")
        form.locator("select[name=host_school_id]").select_option(label="实验小学")
        form.get_by_role("checkbox", name="李庄乡中心小学").check()
        form.locator("input[name=due]").fill("2026-10-30")
        form.get_by_role("button", name="记录此项决议").click()
        page.wait_for_selector("#flash.done")
        decision = page.locator("#meeting-C1-2026-10-12-teaching table.decisions tbody tr").first
        cells = decision.locator("td").all_inner_texts()
        assert cells[:4] == ["统一期中命题，10 月底前交卷", "实验小学", "李庄乡中心小学", "2026-10-30"]
        decision.get_by_role("button", name="逾期").click()  # no reason: the use case's message, nothing changed
        page.wait_for_selector("#flash.problem")
        assert "须说明原因" in page.locator("#flash").inner_text()
        page.locator("#meeting-C1-2026-10-12-teaching table.decisions input[name=reason]").fill("命题教师外出培训")
        page.locator("#meeting-C1-2026-10-12-teaching table.decisions").get_by_role("button", name="逾期").click()
        page.wait_for_selector("#flash.done")
        assert "逾期：命题教师外出培训" in page.locator("#meeting-C1-2026-10-12-teaching table.decisions").inner_text()
        meeting.locator("summary", has_text="记录决议").click()  # the form open in the picture
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, tmp_path, "office_meetings")
