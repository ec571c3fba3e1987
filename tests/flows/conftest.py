"""Flow tests: one Prefect test harness for the whole session, PREFECT_HOME in a temporary folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def prefect_harness(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect_home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.pop("PREFECT_API_URL", None)
    import flows  # noqa: F401  (sets the startup timeout before Prefect reads settings)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def demo_bundle_dir(tmp_path_factory) -> Path:
    """A small demo district (12 schools) written once per session."""
    from bundle.io import write_bundle
    from demo.district import generate_district

    folder = tmp_path_factory.mktemp("demo_bundle")
    write_bundle(generate_district(seed=3, schools=12), folder)
    return folder


@pytest.fixture
def demo_db(tmp_path, demo_bundle_dir) -> str:
    """A SQLite database holding the demo district."""
    from bundle.validate import load_bundle
    from models.bundles import import_tables
    from models.db import session_scope
    from models.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'season.db'}"
    upgrade(url)
    with session_scope(url) as session:
        import_tables(session, load_bundle(demo_bundle_dir))
    return url
