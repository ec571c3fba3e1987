"""The ledger and the meetings in the browser: the bureau sees the clusters side by side, the cluster
office its own cluster in full, a school its own school's lines; 403 elsewhere. Screenshots
docs/screenshots/ledger_*.png (with XUEQU_SCREENSHOT_DIR=docs/screenshots)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx

from tests.web.conftest import PASSWORD, offline_page, run_cli


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def sign_in(page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("登录名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login**")


def test_ledger_and_meetings_by_role(browser, live_console, tmp_path):
    url = live_console.url
    minutes = tmp_path / "decisions.csv"
    minutes.write_text("text,host_school_id,assisting_school_ids,due,status,reason\n"
                       "组织数学同课异构,S1,S2;S3,2026-09-30,done,\n"
                       "交流教师师徒结对名单,李庄乡中心小学,,2026-09-20,late,徒弟人选待定\n", encoding="utf-8")
    run_cli("meeting", "new", "--cluster", "C1", "--date", "2026-09-07", "--db", url)
    run_cli("meeting", "minutes", "--meeting", "C1-2026-09-07-principals", "--decisions", str(minutes), "--db", url)

    with offline_page(browser, live_console.base, width=1360) as page:
        sign_in(page, "局长")
        page.goto("/office/ledger")
        assert page.locator("h1").inner_text().startswith("2026学年督导台账")
        heads = page.locator("table#side-by-side thead th").all_inner_texts()
        assert heads[2:] == ["城关第一学区", "河口学区"]  # both clusters side by side, by name
        first_rules = page.locator("table#side-by-side tbody tr td:nth-child(1)").all_inner_texts()
        assert "校长联席会议每月一次" in first_rules
        shoot(page, tmp_path, "ledger_bureau")
        page.get_by_role("link", name="城关第一学区").first.click()
        page.wait_for_url("**cluster=C1**")
        assert page.locator("table#ledger").is_visible()
        sign_out(page)

        sign_in(page, "城关学区办")
        page.goto("/office/ledger")
        schools = set(page.locator("table#ledger tbody tr td:nth-child(1)").all_inner_texts())
        assert "实验小学" in schools and "全学区" in schools and "第一初级中学" not in schools  # C1 only
        meetings_row = [r for r in page.locator("table#ledger tbody tr").all_inner_texts() if "校长联席会议" in r]
        assert meetings_row and "1 / 4" in meetings_row[0]  # September's meeting held: 1 of 4 months
        shoot(page, tmp_path, "ledger_cluster")
        page.get_by_role("link", name="联席会议与决议").first.click()
        page.wait_for_url("**/office/C1/meetings")
        text = page.locator("main").inner_text()
        assert "组织数学同课异构" in text and "逾期：徒弟人选待定" in text and "李庄乡中心小学" in text
        assert "S3" not in text  # names, not ids
        shoot(page, tmp_path, "ledger_meetings")
        sign_out(page)

        sign_in(page, "实验小学教务处")
        page.goto("/office/ledger")
        schools = set(page.locator("table#ledger tbody tr td:nth-child(1)").all_inner_texts())
        assert schools == {"实验小学"}  # a school sees only its own lines
        shoot(page, tmp_path, "ledger_school")

    with httpx.Client(base_url=live_console.base) as plain:  # a cluster office asking for another cluster
        from tests.web.conftest import csrf_of

        token = csrf_of(plain.get("/login").text)
        plain.post("/login", data={"name": "城关学区办", "password": PASSWORD, "csrf_token": token})
        assert plain.get("/office/C2/meetings").status_code == 403
        assert plain.get("/office/ledger", params={"cluster": "C2"}).status_code == 403
