"""Enrollment in the console (招生录取): only the bureau; upload → publish the commitment → draw with the
same seed → cut-offs, downloads and a family's reason; the published files re-run and match the rule
run on the same files. Over HTTP on PostgreSQL, and in Chromium on SQLite with screenshots
(docs/screenshots/enrollment_*.png when XUEQU_SCREENSHOT_DIR is set)."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from admission.io import load_zone
from admission.rules import admit
from admission.verify_draw import verify
from bundle.io import write_csv
from demo.enrollment import application_frame, capacity_frame, generate_zone
from tests.conftest import _reset_postgres
from tests.web.conftest import SECRET, build_district, csrf_of, offline_page, sign_in
from tests.web.test_browser import column
from tests.web.test_browser import sign_in as browser_sign_in

SEED = "城关片区-2026-招生派位-7f3a9c"
IDS = {"S01": "S1", "S02": "S2", "S03": "S3"}


def zone_files(folder: Path) -> tuple[Path, Path]:
    """A zone of the mini district's three C1 schools (names come from the district), 李庄 by lottery."""
    zone = generate_zone(applicants=90, schools=3, seed=11, seat_share=0.8, lottery_share=0, points_range=(80, 90))
    schools = tuple(dataclasses.replace(s, school_id=IDS[s.school_id], lottery=s.school_id == "S03", name="")
                    for s in zone.schools)
    applications = tuple(dataclasses.replace(a, home_school_id=IDS[a.home_school_id],
                                             choices=tuple(IDS[c] for c in a.choices)) for a in zone.applications)
    zone = dataclasses.replace(zone, zone_id="CG", schools=schools, applications=applications)
    apps, caps = application_frame(zone), capacity_frame(zone).drop(columns=["name"])
    folder.mkdir(parents=True, exist_ok=True)
    return (write_csv(apps, folder / "applications.csv", list(apps.columns)),
            write_csv(caps, folder / "capacities.csv", list(caps.columns)))


@pytest.fixture
def postgres_district(postgres_database, tmp_path) -> str:
    """The district and its accounts on PostgreSQL; SQLite is walked by the browser journey below, on the
    session's console (the same pages and files; an enrollment run changes no district data)."""
    _reset_postgres(postgres_database)
    build_district(postgres_database, tmp_path, plans=False)
    return postgres_database


@pytest.fixture
def console_app(postgres_district):
    from service.web.app import create_app

    return create_app(postgres_district, secret_key=SECRET)


@pytest.fixture
def client_as(console_app):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    clients = []

    def make(name: str):
        client = TestClient(console_app)
        clients.append(client)
        assert sign_in(client, name).status_code == 303
        return client

    yield make
    for client in clients:
        client.close()


def post(client, path: str, data: dict | None = None, files: dict | None = None, page: str = "/enrollment"):
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **(data or {})}, files=files, follow_redirects=False)


@pytest.mark.postgres
def test_the_bureau_uploads_commits_draws_and_downloads_and_no_one_else_may(client_as, tmp_path):
    bureau = client_as("局长")
    assert 'href="/enrollment"' in bureau.get("/account").text
    applications, capacities = zone_files(tmp_path / "in")
    lines = applications.read_text(encoding="utf-8-sig").splitlines()
    first = lines[1].split(",")
    first[3] = "S9"  # home_school_id of the first family: no school of the zone
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    refused = post(bureau, "/enrollment/runs", files={"applications": ("报名表.csv", bad.read_bytes()),
                                                       "capacities": ("capacities.csv", capacities.read_bytes())})
    assert refused.status_code == 400 and "输入文件有 1 个问题，未保存" in refused.text and "S9" in refused.text
    # the file as the bureau named it, the row as its spreadsheet shows it, the column with its Chinese header
    assert '<td>报名表.csv</td><td class="num">2</td><td>home_school_id（原地段学校）</td>' in refused.text

    kept = post(bureau, "/enrollment/runs", files={"applications": ("报名.csv", applications.read_bytes()),
                                                    "capacities": ("计划.csv", capacities.read_bytes())})
    assert kept.status_code == 303
    run = kept.headers["location"]
    assert post(bureau, f"{run}/draw", {"seed": SEED}, page=run).status_code == 400  # no commitment yet
    short = post(bureau, f"{run}/commit", {"seed": "2026"}, page=run)
    assert short.status_code == 400 and "至少需要 16 个" in short.text
    assert post(bureau, f"{run}/commit", {"seed": SEED}, page=run).status_code == 303
    page = bureau.get(run).text
    assert hashlib.sha256(SEED.encode("utf-8")).hexdigest() in page and SEED not in page  # the seed is not kept yet
    wrong = post(bureau, f"{run}/draw", {"seed": SEED + "x"}, page=run)
    assert wrong.status_code == 400 and "与已公布的承诺值不符" in wrong.text
    assert post(bureau, f"{run}/commit", {"seed": SEED + "x"}, page=run).status_code == 400  # published: fixed

    assert post(bureau, f"{run}/draw", {"seed": SEED}, page=run).status_code == 303
    page = bureau.get(run).text
    assert "实验小学" in page and "李庄乡中心小学" in page and SEED in page
    assert "Schools and cut-offs" in bureau.get(run, params={"lang": "en"}).text

    published = tmp_path / "published"
    published.mkdir()
    for name in ("admissions.csv", "lottery.json", "pool.csv", "admissions.xlsx", "verify_draw.py"):
        response = bureau.get(f"{run}/files/{name}")
        assert response.status_code == 200, name
        (published / name).write_bytes(response.content)
    assert verify(published, hashlib.sha256(SEED.encode("utf-8")).hexdigest()) == []
    expected = admit(load_zone(applications, capacities, "CG"), SEED)
    with (published / "admissions.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["applicant_id"]: (r["school_id"] or None, r["round"]) for r in rows} == {
        a: (x.school_id, x.round) for a, x in expected.admissions.items()}
    assert json.loads((published / "lottery.json").read_text(encoding="utf-8"))["seed"] == SEED
    pooled = [r for r in rows if r["round"] == "pool"]
    assert pooled and (published / "pool.csv").read_text(encoding="utf-8-sig").count("\n") == len(pooled) + 1

    family = rows[0]
    looked = bureau.get(run, params={"applicant": family["applicant_id"]}).text
    assert family["reason"] in looked
    assert bureau.get(f"{run}/files/secrets.txt").status_code == 400
    for name in ("城关学区办", "实验小学教务处"):
        other = client_as(name)
        assert "招生录取" not in other.get("/account").text  # not in their menu
        for path in ("/enrollment", run, f"{run}/files/admissions.csv"):
            assert other.get(path).status_code == 403, (name, path)
        token = csrf_of(other.get("/account").text)
        assert other.post(f"{run}/commit", data={"csrf_token": token, "seed": SEED}).status_code == 403


# --- the browser journey, once, on the session's SQLite console (an enrollment run changes no district data) ---

DOC_SHOTS = {"enrollment_upload", "enrollment_commitment", "enrollment_results"}


def shoot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")
    if keep and name in DOC_SHOTS:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_the_bureau_runs_an_enrollment_in_the_browser(browser, live_console, tmp_path):
    applications, capacities = zone_files(tmp_path / "in")
    with offline_page(browser, live_console.base) as page:
        browser_sign_in(page, "局长")
        page.wait_for_url("**/district")
        page.get_by_role("link", name="招生录取").click()
        page.get_by_label("报名表 applications（.csv 或 .xlsx）").set_input_files(str(applications))
        page.get_by_label("招生计划 capacities（.csv 或 .xlsx）").set_input_files(str(capacities))
        shoot(page, tmp_path, "enrollment_upload")
        page.get_by_role("button", name="校验并保存").click()
        page.wait_for_selector("form#commit")
        assert "片区 CG" in page.locator("h1").inner_text()
        page.get_by_label("种子").fill(SEED)
        page.get_by_role("button", name="生成并公布承诺值").click()
        page.wait_for_selector("form#draw")
        assert page.locator("#commitment").inner_text() == hashlib.sha256(SEED.encode("utf-8")).hexdigest()
        shoot(page, tmp_path, "enrollment_commitment")
        page.get_by_label("种子").fill(SEED)
        page.get_by_role("button", name="开始派位并录取").click()
        page.wait_for_selector("#drawn")
        assert column(page, "schools") == ["实验小学", "城关镇第二小学", "李庄乡中心小学"]
        assert column(page, "schools", 2)[2] == "电脑随机派位"
        first_round = column(page, "schools", 3)
        expected = admit(load_zone(applications, capacities, "CG"), SEED)
        s1 = expected.round_at("S1", 1)
        assert first_round[0].startswith(f"{s1.admitted}/{s1.applicants} 人")
        if s1.outcome == "points":
            assert f"录取至 {s1.cutoff_points:g} 分" in first_round[0]
        assert f"纳入全区统筹调剂 {len(expected.pool)} 户" in page.locator("#drawn").inner_text()
        pooled = expected.pool[0].applicant_id
        page.get_by_label("报名编号").fill(pooled)
        page.get_by_role("button", name="查询").click()
        page.wait_for_selector("#family-reason")
        assert page.locator("#family-reason").inner_text().endswith("纳入全区统筹调剂。")
        shoot(page, tmp_path, "enrollment_results")
        with page.expect_download() as download:
            page.get_by_role("link", name="全区统筹调剂名单 pool.csv（报教育局）").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert pooled in text and len(text.strip().splitlines()) == len(expected.pool) + 1
