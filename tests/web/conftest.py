"""The web console's fixtures: a district in a database (the mini bundle imported, a C1 roster planned,
one exam stage recorded, an account per role), the app on it, and a real server for the browser.

Accounts (all with password PASSWORD unless said):
    局长            bureau
    城关学区办      cluster C1 (城关第一学区)
    实验小学教务处  school S1 (实验小学, C1)
    二小教务处      school S2 (城关镇第二小学, C1)
    阅卷老师        marker
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app as cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PASSWORD = "correct-horse-7"
ACCOUNTS = {
    "局长": ["--role", "bureau"],
    "城关学区办": ["--role", "cluster", "--cluster", "C1"],
    "实验小学教务处": ["--role", "school", "--school", "S1"],
    "二小教务处": ["--role", "school", "--school", "S2"],
    "阅卷老师": ["--role", "marker"],
}
SECRET = "test-secret-key"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2's cheapest parameters for these tests (a production hash takes ~1 s on a busy 2-core
    machine, and every account and sign-in makes one); test_passwords_and_roles checks the real ones."""
    from argon2 import PasswordHasher, profiles

    import models.users

    patch = pytest.MonkeyPatch()
    patch.setattr(models.users, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    patch.undo()


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def build_district(url: str, work: Path, *, plans: bool = True) -> None:
    """Import the mini bundle, add the accounts; with `plans`, also plan C1's roster for 2026 term 1 and
    record the season's first stage."""
    saved = os.environ.get("XUEQU_DATABASE_URL")  # `--db` points the process at it: put it back after
    try:
        _build_district(url, work, plans)
    finally:
        if saved is None:
            os.environ.pop("XUEQU_DATABASE_URL", None)
        else:
            os.environ["XUEQU_DATABASE_URL"] = saved


def _build_district(url: str, work: Path, plans: bool) -> None:
    from app.stages import StageOutcome, record_stage

    bundle = work / "mini_bundle"
    shutil.copytree(FIXTURES / "mini_bundle", bundle)
    run_cli("import", str(bundle), "--db", url, "--district-name", "示范县")
    if plans:
        run_cli("rotation", "plan", "--year", "2026", "--term", "1", "--cluster", "C1", "--db", url,
                "--time-limit", "10", "--out", str(work / "term"))
        record_stage(url, "E1", StageOutcome("setting", "done", "命题组 3 人，试卷 2 份"))
    for name, options in ACCOUNTS.items():
        run_cli("user", "add", name, *options, "--password", PASSWORD, "--db", url)


@pytest.fixture
def district_db(db_url, tmp_path) -> str:
    """A district database with a roster and a season begun, once on SQLite and once on PostgreSQL."""
    build_district(db_url, tmp_path)
    return db_url


@pytest.fixture
def accounts_db(db_url, tmp_path) -> str:
    """The district and the accounts only (no planning: faster)."""
    build_district(db_url, tmp_path, plans=False)
    return db_url


@pytest.fixture
def web_app(district_db):
    from service.web.app import create_app

    return create_app(district_db, secret_key=SECRET)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client, name: str, password: str = PASSWORD):
    """Sign in through the form, as a browser would (the CSRF token comes from the sign-in page)."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


@pytest.fixture
def client_for(web_app):
    """A signed-in HTTP client per account name (a fresh cookie jar each)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    clients = []

    def make(name: str | None = None):
        client = TestClient(web_app)
        clients.append(client)
        if name is not None:
            response = sign_in(client, name)
            assert response.status_code == 303, response.text
        return client

    yield make
    for client in clients:
        client.close()


# --- a real server for the browser tests: SQLite, built once per test session ---

@dataclass(frozen=True)
class LiveConsole:
    base: str
    url: str  # the database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CHROMIUM = Path("/usr/bin/chromium")


@contextmanager
def serve_app(app) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free port; its base address while the block runs."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """The system Chromium driven by Playwright (never `playwright install`), once per test module."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM} (CI requires it)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@contextmanager
def offline_page(browser, base: str, *, width: int = 1280, height: int = 800, timeout_ms: int = 10_000):
    """A page of the console at `base`, offline for real: anything it asks of another host fails the test."""
    context = browser.new_context(base_url=base, viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(timeout_ms)
    blocked: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                  else (blocked.append(route.request.url), route.abort()))
    try:
        yield context.new_page()
    finally:
        context.close()
    assert blocked == [], f"the page asked another host for {blocked}"


@pytest.fixture(scope="session")
def live_console(tmp_path_factory) -> Iterator[LiveConsole]:
    """The console served by uvicorn in a thread on a free port, on a SQLite district."""
    from models.db import dispose_engines
    from service.web.app import create_app

    work = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{work / 'console.db'}"
    build_district(url, work)
    with serve_app(create_app(url, secret_key=SECRET)) as base:
        yield LiveConsole(base, url)
    dispose_engines(url)
