"""The formation page (学区划分) on a generated county of 30 schools: the bureau proposes in the browser, reads
the comparison, the two maps and the clusters by name, downloads the bundle and reads why a rule cannot
hold; over HTTP, those who do not see the whole district are refused, pins by unknown names are refused
in words, and the downloaded bundle imports through the district data page as it is.

Screenshots go to the test's tmp folder, and to XUEQU_SCREENSHOT_DIR when set (how docs/screenshots are made).
"""
from __future__ import annotations

import io
import os
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bundle.io import write_bundle
from bundle.spec import INPUT_BY_NAME
from bundle.validate import load_bundle
from demo import layout, staff
from demo.district import _rng
from demo.policy import DemoPolicy
from tests.web.conftest import SECRET, csrf_of, offline_page, run_cli, serve_app, sign_in
from tests.web.test_browser import column, sign_in as browser_sign_in
from tests.web.test_offline import Loads, local

ACCOUNTS = {"局长": ["--role", "bureau"], "学区办": ["--role", "cluster", "--cluster", "C01"],
            "学校": ["--role", "school", "--school", "S001"]}
PASSWORD = "correct-horse-7"


def county_bundle(folder: Path) -> Path:
    """The demo county's 30 schools, today's clusters and classes (the schools' sizes); the other files empty."""
    demo = DemoPolicy()
    schools, clusters = layout.build_schools(_rng(1, "schools"), 30, demo)
    classes = staff.build_classes(_rng(1, "classes"), schools, demo)
    tables = {"clusters": clusters, "schools": schools, "classes": classes}
    for name in ("teachers", "rooms", "class_teachers", "students", "needs"):
        tables[name] = pd.DataFrame(columns=INPUT_BY_NAME[name].column_names)
    write_bundle(tables, folder)
    return folder


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Iterator[str]:
    from models.db import dispose_engines

    work = tmp_path_factory.mktemp("formation")
    url = f"sqlite:///{work / 'county.db'}"
    saved = os.environ.get("XUEQU_DATABASE_URL")
    try:
        run_cli("import", str(county_bundle(work / "bundle")), "--db", url, "--district-name", "示范县")
        for name, options in ACCOUNTS.items():
            run_cli("user", "add", name, *options, "--password", PASSWORD, "--db", url)
    finally:  # `--db` points the process at it: put it back after
        if saved is None:
            os.environ.pop("XUEQU_DATABASE_URL", None)
        else:
            os.environ["XUEQU_DATABASE_URL"] = saved
    yield url
    dispose_engines(url)


@pytest.fixture(scope="module")
def app(county):
    """The console on the county; the page offers a 2-second solve too (the solver is tested on its own: here
    every proposal keeps the rules from its first solution, the greedy hint)."""
    from service.web.app import create_app
    from service.web.routes import formation

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formation, "TIME_LIMITS", (2, *formation.TIME_LIMITS))
        yield create_app(county, secret_key=SECRET)


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_the_bureau_proposes_reads_the_maps_and_the_comparison_and_downloads_the_bundle(browser, app, tmp_path):
    with serve_app(app) as base, offline_page(browser, base, height=900, timeout_ms=60_000) as page:
        browser_sign_in(page, "局长")
        page.wait_for_url("**/district")
        page.get_by_role("link", name="学区划分").click()
        assert page.locator("h1").inner_text() == "学区划分：示范县"
        page.get_by_label("求解时限").select_option("2")
        page.get_by_role("button", name="生成方案").click()
        page.wait_for_selector("table#comparison")
        assert page.locator("#proposal h2").inner_text() == "方案：30 所学校分为 6 个学区"
        measures = dict(zip(column(page, "comparison"), column(page, "comparison", 2)))
        assert measures["学区数"] == "6" and measures["违反规则的项数（独立校验）"] == "0"
        assert page.locator("#all-kept").inner_text() == "政策的各项规则全部满足。"
        for figure in ("#map_today", "#map_proposal"):  # every school on both maps, one square per lead
            assert page.locator(f"{figure} circle.school").count() + page.locator(f"{figure} rect.lead").count() == 30
            assert page.locator(f"{figure} rect.lead").count() == 6
        clusters = column(page, "proposed")
        assert len(clusters) == 6 and all(name.endswith("学区") for name in clusters)
        assert all(not lead.startswith("S0") for lead in column(page, "proposed", 1))  # names, not ids
        shoot(page, tmp_path, "formation_proposal")

        with page.expect_download() as download:
            page.get_by_role("link", name="下载方案数据包（zip，可在“数据包导入与导出”页面直接导入）").click()
        saved = tmp_path / "proposal.zip"
        download.value.save_as(saved)
        with zipfile.ZipFile(saved) as archive:
            archive.extractall(tmp_path / "bundle")
        assert len(load_bundle(tmp_path / "bundle")["clusters"]) >= 6

        page.get_by_label("学区个数（留空为自动）").fill("8")  # 8 clusters, 6 quality schools: a counted shortfall
        page.get_by_role("button", name="生成方案").click()
        page.wait_for_selector("#explanations")
        reasons = page.locator("#explanations li").all_inner_texts()
        assert any("全区只有 6 所优质学校" in r and "政策项 size.clusters" in r for r in reasons), reasons
        assert page.locator("#proposal h2").inner_text() == "方案：30 所学校分为 8 个学区"
        shoot(page, tmp_path, "formation_explained")


def _client(app, name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(app)
    assert sign_in(client, name, PASSWORD).status_code == 303
    return client


def propose(client, **fields):
    page = client.get("/district/formation")
    data = {"csrf_token": csrf_of(page.text), "clusters": "", "together": "", "leads": "", "time_limit": "2"} | fields
    return client.post("/district/formation", data=data, follow_redirects=False)


def test_who_may_not_is_refused_and_pins_by_unknown_names_are_refused_in_words(app):
    for name in ("学区办", "学校"):
        with _client(app, name) as other:
            assert other.get("/district/formation").status_code == 403
            token = csrf_of(other.get("/account").text)
            assert other.post("/district/formation", data={"csrf_token": token}).status_code == 403
    with _client(app, "局长") as bureau:
        refused = propose(bureau, together="实验小学,不存在的学校")
        assert refused.status_code == 400 and "全区没有这些学校：不存在的学校" in refused.text
        gone = bureau.get("/district/formation?proposal=nothing-here")
        assert gone.status_code == 404 and "请重新生成" in gone.text
        assert bureau.get("/district/formation/nothing-here/bundle.zip").status_code == 404
        assert "Cluster formation" in bureau.get("/district/formation?lang=en").text


def test_pins_by_name_hold_and_the_downloaded_bundle_imports_on_the_data_page(app):
    with _client(app, "局长") as bureau:
        posted = propose(bureau, together="实验小学、北岗乡刘营小学", leads="育才小学")
        assert posted.status_code == 303
        html = bureau.get(posted.headers["location"]).text
        loads = Loads()
        loads.feed(html)
        assert all(local(u) for u in loads.urls) and "/static/formation.css" in loads.urls
        token = posted.headers["location"].split("proposal=")[1]
        download = bureau.get(f"/district/formation/{token}/bundle.zip")
        assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert all(n.endswith(".csv") for n in archive.namelist())  # bundle files only: the data page takes it
            schools = pd.read_csv(archive.open("schools.csv"), dtype=str, encoding="utf-8-sig")
        cluster = dict(zip(schools["name"], schools["cluster_id"]))
        assert cluster["实验小学"] == cluster["北岗乡刘营小学"]
        assert "育才小学" in set(schools.loc[schools["is_lead"] == "1", "name"])
        summary = bureau.get(f"/district/formation/{token}/summary.md").text
        assert "与现有学区比较" in summary and "育才小学" in summary

        data_page = bureau.get("/district/data")
        imported = bureau.post("/district/data/import", data={"csrf_token": csrf_of(data_page.text)},
                               files={"bundle": ("学区划分方案.zip", download.content, "application/zip")},
                               follow_redirects=False)
        assert imported.status_code == 303, imported.text
        assert "已导入 学区划分方案.zip" in bureau.get("/district/data").text
        after = bureau.get(posted.headers["location"]).text  # the district now holds the proposal
        assert "育才小学" in bureau.get("/district").text and "方案" in after
