"""Term planning in the console (学期排班): the roster in full, planning again from the page, the policy
form and what-if runs — on a small generated county where rotation actually posts teachers (the mini
bundle's C1 rotates nobody).

The county: `demo.district.generate_district(seed=3, schools=12)`; cluster C01 (城关第一学区, 7 schools,
实验小学 the lead school) under the demo rotation policy stored as its version 1 for 2026 term 1, and
its roster planned once (version 1). Accounts (password PASSWORD):
    排班员      planner of C01
    学区办      cluster office of C01
    二学区排班  planner of C02
    实验小学    school S001 (C01)

HTTP tests (SQLite and PostgreSQL) check who may plan, pin, forbid, edit the policy and run what-ifs, and
that a post without its CSRF token changes nothing; the browser journey (system Chromium, once on
SQLite and once on PostgreSQL) walks a planner through forbid → replan → the change by name, the policy
form (refused, then saved), and a what-if compared and adopted. Solver limits are a few seconds.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.conftest import PASSWORD, SECRET, LiveConsole, csrf_of, offline_page, run_cli, serve_app, sign_in

REPO = Path(__file__).resolve().parents[2]
DEMO_POLICY = (REPO / "policies" / "demo_rotation.toml").read_text(encoding="utf-8")
TIME_LIMIT_S = 3.0
ROSTER = "/term/C01/2026/1"
ACCOUNTS = {
    "排班员": ["--role", "planner", "--cluster", "C01"],
    "学区办": ["--role", "cluster", "--cluster", "C01"],
    "二学区排班": ["--role", "planner", "--cluster", "C02"],
    "实验小学": ["--role", "school", "--school", "S001"],
}


@pytest.fixture(scope="module")
def county_bundle(tmp_path_factory) -> Path:
    from bundle.io import write_bundle
    from demo.district import generate_district

    folder = tmp_path_factory.mktemp("term_county")
    write_bundle(generate_district(seed=3, schools=12), folder)
    return folder


def build_county(url: str, bundle: Path, work: Path) -> None:
    """Import the county, store the demo policy for C01, plan v1, add the accounts."""
    from app.policies import edit_policy
    from app.term_planning import plan_rotation

    saved = os.environ.get("XUEQU_DATABASE_URL")  # `--db` points the process at it: put it back after
    try:
        run_cli("import", str(bundle), "--db", url, "--district-name", "示范县")
        edit_policy("rotation", "C01", 2026, 1, DEMO_POLICY, actor="教研室", url=url)
        plan_rotation(2026, 1, "C01", url=url, out_dir=work / "term", time_limit_s=TIME_LIMIT_S, actor="排班员")
        for name, options in ACCOUNTS.items():
            run_cli("user", "add", name, *options, "--password", PASSWORD, "--db", url)
    finally:
        if saved is None:
            os.environ.pop("XUEQU_DATABASE_URL", None)
        else:
            os.environ["XUEQU_DATABASE_URL"] = saved


def console_app(url: str):
    from service.web.app import create_app

    app = create_app(url, secret_key=SECRET)
    app.state.rotation_time_limit_s = TIME_LIMIT_S
    return app


@pytest.fixture
def county_db(db_url, county_bundle, tmp_path) -> str:
    build_county(db_url, county_bundle, tmp_path)
    return db_url


@pytest.fixture
def client(county_db):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    clients = []

    def make(name: str):
        made = TestClient(console_app(county_db))
        clients.append(made)
        assert sign_in(made, name).status_code == 303
        return made

    yield make
    for made in clients:
        made.close()


def stored(url: str) -> tuple[int, int]:
    """(rotation plans, policy versions) in the database."""
    from models.db import session_scope
    from models.plans import Plan, PolicySet

    with session_scope(url) as session:
        return (session.scalar(select(func.count()).select_from(Plan)) or 0,
                session.scalar(select(func.count()).select_from(PolicySet)) or 0)


def a_posted_teacher(url: str) -> tuple[str, str]:
    from app.term_planning import roster_view

    row = next(r for r in roster_view(2026, 1, "C01", url=url).rows if r.kind == "teacher")
    return row.teacher_id, row.teacher_name


# --- access rules over plain HTTP, SQLite and PostgreSQL ---------------------------------------------

def test_a_school_reads_its_rows_but_cannot_plan_pin_forbid_or_edit_the_policy(client, county_db):
    school = client("实验小学")
    page = school.get(ROSTER)
    assert page.status_code == 200 and "仅显示与本校（实验小学）有关的行" in page.text
    assert 'action="/term/C01/2026/1/plan"' not in page.text and "禁止交流" not in page.text
    token = csrf_of(page.text)
    teacher_id, _ = a_posted_teacher(county_db)
    before = stored(county_db)
    for path, data in (("/plan", {}), ("/forbid", {"teacher_id": teacher_id}),
                       ("/pin", {"teacher_id": teacher_id, "to_school_id": "S004"}),
                       ("/policy", {"distance.max_km": "10"}), ("/policy/revert", {"version": "1"}),
                       ("/whatif", {"name": "x", "forbid_teacher": teacher_id}), ("/whatif/adopt", {"name": "x"})):
        assert school.post(ROSTER + path, data=data | {"csrf_token": token}).status_code == 403, path
    for path in ("/policy", "/whatif"):
        assert school.get(ROSTER + path).status_code == 403, path
    other = client("二学区排班")  # a planner of another cluster: not this cluster's to plan
    assert other.get(ROSTER).status_code == 403
    assert other.post(ROSTER + "/plan", data={"csrf_token": csrf_of(other.get("/account").text)}).status_code == 403
    assert stored(county_db) == before  # nothing planned, nothing stored


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(client, county_db):
    planner = client("排班员")
    teacher_id, _ = a_posted_teacher(county_db)
    before = stored(county_db)
    for path, data in (("/plan", {}), ("/forbid", {"teacher_id": teacher_id}), ("/policy", {"distance.max_km": "10"}),
                       ("/whatif", {"name": "x", "forbid_teacher": teacher_id})):
        refused = planner.post(ROSTER + path, data=data)
        assert refused.status_code == 403 and "CSRF" in refused.text, path
        assert planner.post(ROSTER + path, data=data | {"csrf_token": "forged"}).status_code == 403, path
    assert stored(county_db) == before


def test_the_cluster_office_plans_and_the_change_is_audited_with_its_name(client, county_db):
    from models.db import session_scope
    from models.plans import AuditEntry

    office = client("学区办")
    page = office.get(ROSTER)
    teacher_id, teacher_name = a_posted_teacher(county_db)
    done = office.post(ROSTER + "/forbid", data={"teacher_id": teacher_id, "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == ROSTER
    after = office.get(ROSTER).text
    assert "第 2 版" in after and "第 2 版与第 1 版相比的变动" in after
    changes = after.split('id="change-rows"')[1].split("</table>")[0]
    assert "撤下" in changes and teacher_name in changes
    with session_scope(county_db) as session:
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "plan")).all()
    assert "学区办" in actors


def test_the_policy_form_refuses_a_bad_value_beside_its_key_and_saves_a_good_one(client, county_db):
    planner = client("排班员")
    form = planner.get(ROSTER + "/policy")
    assert form.status_code == 200
    assert "交流轮岗政策 C01 2026 学年第 1 学期 第 1 版" in form.text  # where the policy in force comes from
    assert "住址（无住址时为本校）到交流学校的最远距离" in form.text  # the file's comment is the help
    token = csrf_of(form.text)
    before = stored(county_db)
    refused = planner.post(ROSTER + "/policy", data={"distance.max_km": "-5", "csrf_token": token})
    assert refused.status_code == 422
    beside = refused.text.split('id="key-distance-max_km"')[1].split("</div>")[0]
    assert "须大于 0" in beside and 'value="-5"' in beside
    assert stored(county_db) == before
    saved = planner.post(ROSTER + "/policy", data={"distance.max_km": "45.0", "csrf_token": token})
    assert saved.status_code == 200 and "已保存为第 2 版" in saved.text
    diff = saved.text.split('<pre class="diff">')[1].split("</pre>")[0]
    changed = [line for line in diff.split("\n") if ">+" in line and ">+++" not in line
               or ">-" in line and ">---" not in line]
    assert len(changed) == 2 and "max_km = 45.0" in changed[1] and "max_km = 60.0" in changed[0]  # just the change
    assert stored(county_db)[1] == before[1] + 1
    reverted = planner.post(ROSTER + "/policy/revert", data={"version": "1", "csrf_token": token})
    assert reverted.status_code == 200 and "已保存为第 3 版" in reverted.text
    assert 'id="f-distance.max_km" name="distance.max_km" value="60.0"' in reverted.text  # version 1's value in force


# --- the journey in a real browser ------------------------------------------------------------------

SHOTS = {"term-roster", "term-week", "term-policy", "term-whatif"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def term_console(request, county_bundle, tmp_path_factory) -> Iterator[LiveConsole]:
    """The console served by uvicorn in a thread, on the county: once on SQLite, once on PostgreSQL (the
    session's database emptied first, as `db_url` does)."""
    from models.db import dispose_engines
    from tests.conftest import _reset_postgres

    work = tmp_path_factory.mktemp(f"term_live_{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{work / 'console.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
        _reset_postgres(url)
    build_county(url, county_bundle, work)
    with serve_app(console_app(url)) as base:
        yield LiveConsole(base, url)
    dispose_engines(url)


@pytest.fixture
def term_page(browser, term_console):
    with offline_page(browser, term_console.base, width=1400, height=900, timeout_ms=30_000) as page:
        yield page


@pytest.fixture
def shoot(tmp_path):
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")

    def take(page, name: str, locator=None) -> Path:
        path = tmp_path / f"{name}.png"
        (locator or page).screenshot(path=str(path), **({} if locator else {"full_page": True}))
        if keep and name in SHOTS:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take


def cells(page, table: str, index: int) -> list[str]:
    return [c.strip() for c in page.locator(f"table#{table} tbody tr td:nth-child({index + 1})").all_inner_texts()]


def test_a_planner_forbids_a_teacher_edits_the_policy_and_adopts_a_what_if(term_page, shoot, term_console):
    page = term_page
    page.goto("/login")
    page.get_by_label("登录名").fill("排班员")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/district/clusters/C01")

    # the roster: names not ids, kinds from domain/labels.py, attainment with its rule, the week, mentoring
    page.goto(ROSTER)
    assert page.locator("h1").inner_text() == "交流轮岗名单：城关第一学区 2026学年第一学期"
    teachers = [t for t, kind in zip(cells(page, "roster", 0), cells(page, "roster", 4)) if kind == "教师"]
    assert len(teachers) >= 5 and not any(t.startswith("T") and t[1:].isdigit() for t in teachers)
    assert {"中层干部", "校长"} <= set(cells(page, "roster", 4))
    assert "实验小学" in cells(page, "roster", 2)
    lead = page.locator("table#attainment-schools tbody tr").first
    assert lead.locator("td").first.inner_text().startswith("实验小学")  # the quota school, marked
    assert "⌈0.1 ×" in lead.inner_text()
    assert "min_fraction = 0.1" in page.locator("#quota-rule").inner_text()
    assert page.locator("table#week thead th").all_inner_texts() == ["学校", "周一", "周二", "周三", "周四", "周五"]
    assert page.locator("table#week .away").count() > 0
    assert page.locator("table#mentoring tbody tr").count() > 0
    assert "合计每月补贴" in page.locator("#subsidy-total").inner_text()
    shoot(page, "term-roster")
    shoot(page, "term-week", page.locator("table#week"))

    # forbid one teacher from the table: replanned, the new version, the change by name
    row = page.locator("table#roster tbody tr").filter(has=page.locator("form.forbid")).first
    name = row.locator("td").first.inner_text().strip()
    page.get_by_role("button", name=f"禁止 {name} 交流并重新排班").first.click()
    page.wait_for_url("**" + ROSTER)
    assert "已禁止该教师交流并重新排班：第 2 版" in page.locator("#planned").inner_text()
    assert "第 2 版与第 1 版相比的变动" in page.locator("#changes h2").inner_text()
    removed = [r for r in page.locator("table#change-rows tbody tr").all_inner_texts() if r.startswith("撤下")]
    assert any(name in r for r in removed)
    assert name not in [t for t, kind in zip(cells(page, "roster", 0), cells(page, "roster", 4)) if kind == "教师"]
    shoot(page, "term-replanned")

    # the policy form: an invalid value is refused beside its key and nothing stored; a valid one saved
    page.get_by_role("link", name="交流轮岗政策").click()
    assert "第 1 版" in page.locator("#in-force").inner_text()
    assert page.locator("table#versions tbody tr").count() == 1
    page.locator("#f-distance\\.max_km").fill("-5")
    page.get_by_role("button", name="校验并保存为新版本").click()
    assert "须大于 0" in page.locator("#key-distance-max_km .error").inner_text()
    assert page.locator("#refused").count() == 1
    assert page.locator("table#versions tbody tr").count() == 1  # nothing stored
    shoot(page, "term-policy-refused")
    page.locator("#f-distance\\.max_km").fill("55.0")
    page.get_by_label("修改说明（可选）").fill("放宽到 55 公里")
    page.get_by_role("button", name="校验并保存为新版本").click()
    assert "已保存为第 2 版" in page.locator("#saved").inner_text()
    assert page.locator("pre.diff .add").filter(has_text="max_km = 55.0").count() == 1
    assert page.locator("pre.diff .del").filter(has_text="max_km = 60.0").count() == 1
    assert page.locator("table#versions tbody tr").count() == 2
    assert "第 2 版" in page.locator("#in-force").inner_text()
    shoot(page, "term-policy")

    # a what-if: another distance limit, compared beside the current roster, then adopted
    page.goto(ROSTER + "/whatif")
    page.get_by_label("情景名称").fill("二十公里")
    page.get_by_label("改一个政策值").select_option("distance.max_km")
    page.get_by_label("新值").fill("20")
    page.get_by_role("button", name="试排情景方案").click()
    assert "情景方案“二十公里”已试排" in page.locator("#ran").inner_text()
    headers = page.locator("table#comparison thead th").all_inner_texts()
    assert headers == ["指标", "当前方案（第 2 版）", "二十公里"]
    figures = page.locator("table#comparison tbody th").all_inner_texts()
    assert {"交流教师（人）", "月补助合计（元）", "较当前撤下（人）"} <= set(figures)
    shoot(page, "term-whatif")
    page.get_by_role("button", name="采用情景方案 二十公里").click()
    page.wait_for_url("**" + ROSTER)
    assert "已采用情景方案“二十公里”：第 3 版" in page.locator("#planned").inner_text()
    assert "第 3 版与第 2 版相比的变动" in page.locator("#changes h2").inner_text()
    kms = [float(km) for km, kind in zip(cells(page, "roster", 9), cells(page, "roster", 4)) if kind == "教师"]
    assert kms and max(kms) <= 20.0  # the adopted what-if is the roster now
