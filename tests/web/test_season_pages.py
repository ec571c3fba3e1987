"""The exam season in the console: paper review (审题), invigilation with its repair after an absence,
marking groups and live progress, and the 三率一分 results by school — in Chromium and over plain HTTP.

The mini bundle has no question bank, so these tests run on a small generated county (8 schools, seed
2: one district-wide exam, 2026学年第一学期八年级期中联考, sat by 实验中学 and 高庙乡初级中学):
- `papers` databases (SQLite and PostgreSQL): the county with draft papers (`app.paper_setting.set_papers`,
  no Prefect);
- one `season` database (SQLite, built once): the papers approved, then logistics (`plan_logistics`, a
  5 s solver limit), the simulated schools' response files, simulated marking and final scores, all
  in-process as the season's stages run them;
- a `scored` database (PostgreSQL): the county with final scores written directly, for the school's
  results journey on PostgreSQL without a whole season.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import PASSWORD, SECRET, csrf_of, offline_page, serve_app
from tests.web.test_browser import column, sign_in

ROOT = Path(__file__).resolve().parents[2]
EXAM = "2026-T1-MID-G8"
EXAM_NAME = "2026学年第一学期八年级期中联考"
LOGISTICS_POLICY = ROOT / "policies" / "demo_exam_logistics.toml"
ACCOUNTS = {  # name: (role, cluster, school)
    "局长": ("bureau", None, None),
    "城关学区办": ("cluster", "C01", None),
    "实验中学教务处": ("school", None, "S001"),
    "高庙初中教务处": ("school", None, "S004"),
}
SEASON_SCREENSHOTS = {"paper-review", "invigilation", "marking-progress", "school-report"}


def build_county(url: str, work: Path, *, papers: bool = True) -> None:
    """The small county imported, the console's accounts, and (with `papers`) a draft paper for every subject."""
    from app.paper_setting import set_papers
    from bundle.io import write_bundle
    from bundle.validate import load_bundle
    from demo.district import generate_district
    from models.bundles import import_tables
    from models.db import session_scope
    from models.migrate import upgrade
    from models.users import add_user

    write_bundle(generate_district(seed=2, schools=8), work / "bundle")
    upgrade(url)
    with session_scope(url) as session:
        import_tables(session, load_bundle(work / "bundle"))
    with session_scope(url) as session:
        session.info["actor"] = "test"
        for name, (role, cluster, school) in ACCOUNTS.items():
            add_user(session, name, role, cluster_id=cluster, school_id=school, password=PASSWORD)
    if papers:
        outcome = set_papers(EXAM, url)
        assert outcome.status == "done", outcome.message


def write_final_scores(url: str, work: Path) -> int:
    """Final scores of the exam written straight into the database, as `service/demo_job.py` writes the
    previous exam's: every grade-8 student on a bank paper per subject, simulated by `demo.season` (no
    papers, logistics or marking needed for the results page); how many rows."""
    import pandas as pd
    from sqlalchemy import insert

    from bundle.validate import load_bundle
    from demo.season import bank_paper, exam_students, paper_scores
    from models import Score
    from models.db import session_scope

    tables = load_bundle(work / "bundle")
    timetable = tables["exam_sessions"][tables["exam_sessions"]["exam_id"] == EXAM]
    grade = int(timetable["grade"].iloc[0])
    items = pd.concat([bank_paper(tables["items"], subject, grade, seed=n)
                       for n, subject in enumerate(dict.fromkeys(timetable["subject"]))], ignore_index=True)
    scores = paper_scores(EXAM, exam_students(tables["students"], tables["classes"], grade), items, seed=5)
    rows = [{"exam_id": r.exam_id, "student_id": r.student_id, "item_id": r.item_id, "subject": r.subject,
             "score": float(r.score), "source": "import"} for r in scores.itertuples(index=False)]
    with session_scope(url) as session:
        session.execute(insert(Score), rows)
    return len(rows)


def run_season(url: str, work: Path) -> None:
    """From approved papers to final scores, as the season's stages do it (simulated schools and markers)."""
    from app.exam_logistics import plan_logistics
    from app.marking_day import finalise, ingest, run_marking
    from app.paper_setting import Review, apply_review
    from demo.responses import simulate_response_files
    from service.web.reads_season import exam_subjects

    for subject in exam_subjects(url, EXAM):
        apply_review(url, EXAM, subject, Review("approve", "教研室（测试）"))
    stages = [lambda: plan_logistics(EXAM, url, out_dir=str(work / "logistics"), time_limit_s=5,
                                     policy_file=str(LOGISTICS_POLICY))]
    stages.append(lambda: (simulate_response_files(url, EXAM, str(work / "responses"), 1),
                           ingest(EXAM, url, str(work / "responses")))[1])
    stages.append(lambda: run_marking(EXAM, url, str(work / "marking"), simulate=True,
                                      responses_dir=str(work / "responses"),
                                      logistics_policy_file=str(LOGISTICS_POLICY), say=lambda _line: None))
    stages.append(lambda: finalise(EXAM, url, str(work)))
    for stage in stages:
        outcome = stage()
        assert outcome.status == "done", outcome.message


@pytest.fixture(scope="module")
def season_db(tmp_path_factory) -> Iterator[str]:
    """The season run through final scores, on SQLite (built once for this module)."""
    from models.db import dispose_engines

    work = tmp_path_factory.mktemp("season")
    url = f"sqlite:///{work / 'season.db'}"
    build_county(url, work)
    run_season(url, work)
    yield url
    dispose_engines(url)


@pytest.fixture
def papers_db(db_url, tmp_path) -> str:
    """The county with draft papers, once on SQLite and once on PostgreSQL."""
    build_county(db_url, tmp_path)
    return db_url


def make_app(url: str, out: Path):
    from service.web.app import create_app

    app = create_app(url, secret_key=SECRET, marker_api=False)
    app.state.out_dir = str(out)  # where a repair writes the plan's files
    app.state.repair_seconds = 3.0  # keep the solver short in tests
    app.state.refresh_seconds = 2  # the marking progress refreshes itself every 10 s in use
    return app


def served(url: str, out: Path):
    """The console on `url` served by uvicorn in a thread; its base address."""
    return serve_app(make_app(url, out))


def client_of(base_or_app, name: str | None = None):
    """An HTTP client signed in as `name` (a live server's address, or an app in process)."""
    if isinstance(base_or_app, str):
        client = httpx.Client(base_url=base_or_app)
    else:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        client = TestClient(base_or_app)
    if name is not None:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
    return client


# --- the browser ---

def browser_page(browser, base: str):
    return offline_page(browser, base, timeout_ms=15_000)


@pytest.fixture
def shoot(tmp_path):
    keep = os.environ.get("XUEQU_SCREENSHOT_DIR")

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep and name in SEASON_SCREENSHOTS:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take


def test_the_bureau_reviews_a_paper_swaps_a_question_and_approves_it(browser, papers_db, tmp_path, shoot):
    """On SQLite and PostgreSQL: the paper by question, a swap (a new draft, or the reason it cannot be
    made), then the approval that locks it."""
    from app.paper_setting import paper_state

    with served(papers_db, tmp_path / "out") as base, browser_page(browser, base) as page:
        sign_in(page, "局长")
        page.wait_for_url("**/district")
        page.goto(f"/exams/{EXAM}/season")
        page.get_by_role("link", name="审题").click()
        page.wait_for_url("**/papers")
        assert page.locator("h1").inner_text() == f"审题：{EXAM_NAME}"
        subjects = column(page, "papers")
        assert subjects[0] == "语文" and "数学" in subjects  # by name, in timetable order
        assert set(column(page, "papers", 1)) == {"待审草稿"}
        page.get_by_role("link", name="数学").click()
        page.wait_for_url("**/papers/math")
        assert page.locator("h1").inner_text() == f"数学试卷 第 1 版：{EXAM_NAME}"
        numbers = column(page, "questions", 1)
        assert numbers[:3] == ["第 1 题", "第 2 题", "第 3 题"]
        assert {"单选题", "主观题"} <= set(column(page, "questions", 3))
        required = [float(x) for x in column(page, "coverage", 2)]
        assert sum(required) == 100 and page.locator("#coverage tr.short").count() == 0
        shoot(page, "paper-review")

        page.get_by_label("换掉 第 2 题").check()
        with page.expect_navigation():
            page.get_by_role("button", name="换掉勾选的题").click()
        result = page.locator("#review-result").inner_text()
        status, version, _ = paper_state(papers_db, EXAM, "math")
        if version == 2:  # swapped: a new draft without that question, awaiting review
            assert "已换题" in result and "新草稿 第 2 版" in result
            assert page.locator("h1").inner_text() == f"数学试卷 第 2 版：{EXAM_NAME}"
        else:  # the blueprint could not absorb it: the draft stays, and the page says which cell falls short
            assert "仍为待审草稿，未换题" in result and version == 1
        assert status == "draft"
        shoot(page, "paper-swapped")

        page.get_by_label("审核意见").fill("同意")
        with page.expect_navigation():
            page.get_by_role("button", name="批准并锁定").click()
        assert "批准并锁定" in page.locator("#review-result").inner_text()
        assert page.locator(".paper-status").inner_text() == "已批准锁定"
        assert page.get_by_role("button", name="批准并锁定").count() == 0  # a locked paper has no review form
        assert paper_state(papers_db, EXAM, "math")[0] == "locked"
        shoot(page, "paper-locked")


@pytest.fixture(scope="module")
def season_base(season_db, tmp_path_factory) -> Iterator[str]:
    with served(season_db, tmp_path_factory.mktemp("season-out")) as base:
        yield base


def test_invigilation_by_site_and_teacher_and_a_repair_after_an_absence(browser, season_base, season_db, shoot):
    from app.exam_logistics import latest_invigilation

    with browser_page(browser, season_base) as page:
        sign_in(page, "局长")
        page.wait_for_url("**/district")
        page.goto(f"/exams/{EXAM}/season")
        page.get_by_role("link", name="监考安排").click()
        page.wait_for_url("**/invigilation")  # the whole page, not just its first lines
        assert page.locator("h1").inner_text() == f"监考安排：{EXAM_NAME}"
        teachers = column(page, "by-teacher")
        assert teachers and not any(name.startswith("T") and name[1:].isdigit() for name in teachers)
        assert set(column(page, "by-teacher", 1)) <= {"实验中学", "高庙乡中心小学", "高庙乡初级中学", "高庙乡郭家坪小学",
                                                      "高庙乡程沟小学", "高庙乡郑桥小学", "高庙乡马家堡小学"}
        assert {"实验中学", "高庙乡初级中学"} <= set(column(page, "by-site"))  # the two sites, by name
        roles = set(page.locator("#by-site tbody td:nth-last-child(4)").all_inner_texts())
        assert {"主监考", "副监考"} <= roles
        shoot(page, "invigilation")

        _, before, *_ = latest_invigilation(season_db, EXAM)
        absent = page.locator("#absent-teacher option").first
        name = absent.inner_text().split("（")[0]
        page.get_by_label("缺席教师").select_option(absent.get_attribute("value"))
        page.get_by_role("button", name="重新安排其监考").click()
        page.wait_for_url("**/invigilation/repair")
        headline = page.locator("#repair-changes h2").inner_text()
        assert headline.startswith(f"监考安排第 {before + 1} 版：改动")
        changes = page.locator("#repair-changes li").all_inner_texts()
        assert any(line.startswith("撤下 " + name) for line in changes)  # their duties went to others
        assert name not in column(page, "by-teacher")
        assert f"第 {before + 1} 版" in page.locator("#plan-facts").inner_text()
        shoot(page, "invigilation-repaired")


def test_marking_groups_by_name_and_progress_that_refreshes_itself(browser, season_base, shoot):
    with browser_page(browser, season_base) as page:
        sign_in(page, "局长")
        page.wait_for_url("**/district")
        page.goto(f"/exams/{EXAM}/marking")
        assert page.locator("h1").inner_text() == f"阅卷：{EXAM_NAME}"
        assert "数学" in column(page, "groups") and "第1组" in column(page, "groups", 1)
        leaders = page.locator("#groups tbody td:nth-child(4)").first.inner_text()
        assert "（" in leaders and "中学" in leaders  # names with their schools
        assert set(column(page, "progress", 4)) == {"100.0%"}  # the season marked every script
        first = page.locator("#refreshed").inner_text()
        page.wait_for_function("text => document.querySelector('#refreshed').innerText !== text", arg=first,
                               timeout=15_000)  # the page's script fetched the table again
        assert column(page, "progress", 4)
        shoot(page, "marking-progress")


def test_a_school_reads_its_own_results_only(browser, season_base, shoot):
    a_school_reads_its_own_results_only(browser, season_base, shoot)


def a_school_reads_its_own_results_only(browser, base: str, shoot) -> None:
    """实验中学's office: its own rows with real figures, and 403 on 高庙乡初级中学's page."""
    with browser_page(browser, base) as page:
        sign_in(page, "实验中学教务处")
        page.wait_for_url("**/district/schools/S001")
        page.goto(f"/exams/{EXAM}/season")
        assert page.get_by_role("link", name="审题").count() == 0  # no paper and no plan for a school
        assert page.get_by_role("link", name="监考安排").count() == 0
        page.get_by_role("link", name="本校成绩").click()
        page.wait_for_url("**/report/schools/S001")
        assert page.locator("h1").inner_text() == f"实验中学成绩（三率一分）：{EXAM_NAME}"
        assert set(column(page, "results", 1)) == {"实验中学"}
        assert column(page, "results")[-1] == "总分"
        assert all(0 <= float(x.rstrip("%")) <= 100 for x in column(page, "results", 5))
        assert all(float(mean) > 0 for mean in column(page, "results", 3))  # figures from real scores
        shoot(page, "school-report")
        response = page.goto(f"/exams/{EXAM}/report/schools/S004")
        assert response.status == 403
        assert page.get_by_text("高庙乡初级中学").count() == 0
        shoot(page, "school-report-forbidden")


@pytest.fixture
def scored_base(postgres_database, tmp_path) -> Iterator[str]:
    """The county on PostgreSQL with final scores written directly (no season run: a few seconds), served."""
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_database)
    build_county(postgres_database, tmp_path, papers=False)
    assert write_final_scores(postgres_database, tmp_path) > 0
    with served(postgres_database, tmp_path / "out") as base:
        yield base


@pytest.mark.postgres
def test_a_school_reads_its_own_results_only_on_postgresql(browser, scored_base, shoot):
    a_school_reads_its_own_results_only(browser, scored_base, shoot)


# --- plain HTTP: the access rules, on SQLite and PostgreSQL ---

def test_only_the_office_reviews_papers_and_a_school_cannot(papers_db, tmp_path):
    from app.paper_setting import paper_state

    app = make_app(papers_db, tmp_path)
    with client_of(app, "实验中学教务处") as school:
        assert school.get(f"/exams/{EXAM}/papers/math").status_code == 403  # a school never sees a paper
        assert school.get(f"/api/console/exams/{EXAM}/papers/math").status_code == 403
        token = csrf_of(school.get("/account").text)
        refused = school.post(f"/exams/{EXAM}/papers/math/review", data={"decision": "approve", "csrf_token": token},
                              follow_redirects=False)
        assert refused.status_code == 403
    with client_of(app, "城关学区办") as cluster:  # the exam is district-wide: the bureau's to review
        token = csrf_of(cluster.get("/account").text)
        assert cluster.post(f"/exams/{EXAM}/papers/math/review", data={"decision": "approve", "csrf_token": token},
                            follow_redirects=False).status_code == 403
    assert paper_state(papers_db, EXAM, "math")[0] == "draft"
    with client_of(app, "局长") as bureau:
        paper = bureau.get(f"/api/console/exams/{EXAM}/papers/math").json()["paper"]
        assert paper["status"] == "draft" and paper["questions"][0]["number"] == 1
        assert bureau.post(f"/exams/{EXAM}/papers/math/review", data={"decision": "approve"},
                           follow_redirects=False).status_code == 403  # no CSRF token: refused
        assert paper_state(papers_db, EXAM, "math")[0] == "draft"
        token = csrf_of(bureau.get(f"/exams/{EXAM}/papers/math").text)
        kept = bureau.post(f"/exams/{EXAM}/papers/math/review", data={"decision": "reject", "csrf_token": token})
        assert "驳回须写明审核意见" in kept.text and paper_state(papers_db, EXAM, "math")[0] == "draft"
        subjective = [q["item_id"] for q in paper["questions"] if q["item_type"] == "主观题"]
        kept = bureau.post(f"/exams/{EXAM}/papers/math/review",  # every subjective question out: too many
                           data={"decision": "swap", "remove": subjective, "csrf_token": token})
        assert "仍为待审草稿，未换题" in kept.text and "缺" in kept.text  # which cell falls short, by how much
        assert paper_state(papers_db, EXAM, "math")[:2] == ("draft", 1)
        done = bureau.post(f"/exams/{EXAM}/papers/math/review", data={"decision": "approve", "csrf_token": token})
        assert "已由 局长 批准并锁定" in done.text
        assert paper_state(papers_db, EXAM, "math")[0] == "locked"


def test_a_school_gets_403_on_another_schools_results(papers_db, tmp_path):
    app = make_app(papers_db, tmp_path)
    with client_of(app, "高庙初中教务处") as school:
        assert school.get(f"/exams/{EXAM}/report/schools/S001").status_code == 403
        assert school.get(f"/api/console/exams/{EXAM}/report/schools/S001").status_code == 403
        own = school.get(f"/exams/{EXAM}/report")  # its own page instead of the summary
        assert own.url.path == f"/exams/{EXAM}/report/schools/S004" and "还没有成绩" in own.text
        assert school.get(f"/exams/{EXAM}/invigilation").status_code == 403
        token = csrf_of(school.get("/account").text)
        assert school.post(f"/exams/{EXAM}/invigilation/repair", data={"teacher": "T0001", "csrf_token": token}
                           ).status_code == 403
    with client_of(app, "城关学区办") as cluster:  # a district-wide exam's plans are the bureau's
        assert cluster.get(f"/exams/{EXAM}/invigilation").status_code == 403
        assert cluster.get(f"/exams/{EXAM}/season").status_code == 200
    with client_of(app) as nobody:
        assert nobody.get(f"/api/console/exams/{EXAM}/report").status_code == 401


def test_the_results_json_holds_only_the_rows_a_viewer_may_see(season_db, tmp_path):
    app = make_app(season_db, tmp_path)
    with client_of(app, "局长") as bureau:
        rows = bureau.get(f"/api/console/exams/{EXAM}/report").json()["rows"]
        assert {r["school_name"] for r in rows} == {"实验中学", "高庙乡初级中学"}
        page = bureau.get(f"/exams/{EXAM}/report").text
        assert "高庙乡初级中学" in page and "实验中学" in page
    with client_of(app, "实验中学教务处") as school:
        assert {r["school_id"] for r in school.get(f"/api/console/exams/{EXAM}/report").json()["rows"]} == {"S001"}
        mine = school.get(f"/api/console/exams/{EXAM}/report/schools/S001").json()["rows"]
        assert {r["subject"] for r in mine} >= {"math", "total"}
        assert school.get(f"/api/console/exams/{EXAM}/marking/progress").status_code == 403
        token = csrf_of(school.get("/account").text)
        assert school.post(f"/exams/{EXAM}/invigilation/repair", data={"teacher": "T0001", "csrf_token": token}
                           ).status_code == 403
    with client_of(app, "局长") as bureau:
        progress = bureau.get(f"/api/console/exams/{EXAM}/marking/progress").json()["groups"]
        assert progress and all(g["done_pct"] == 100.0 for g in progress)
        plan = bureau.get(f"/api/console/exams/{EXAM}/invigilation").json()
        assert plan["duties"] and all(d["teacher_name"] and d["site_name"] for d in plan["duties"])


def test_results_follow_the_scores_when_they_change(season_db, tmp_path):
    """The results are kept between requests, but computed again as soon as a score changes."""
    from sqlalchemy import update

    from models import Score
    from models.db import session_scope

    app = make_app(season_db, tmp_path)
    with client_of(app, "局长") as bureau:
        def math_means() -> set[float]:
            rows = bureau.get(f"/api/console/exams/{EXAM}/report").json()["rows"]
            return {r["mean"] for r in rows if r["subject"] == "math"}

        assert min(math_means()) > 30
        with session_scope(season_db) as session:  # every math script re-marked to nothing
            session.execute(update(Score).where(Score.exam_id == EXAM, Score.subject == "math").values(score=0.0))
        assert math_means() == {0.0}
