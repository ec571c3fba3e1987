"""Import a 100-school bundle (about 6,000 teachers, 60,000 students) into a fresh SQLite database.

Target (issue 2): at most 20 s on SQLite on this machine. Also times a re-import (no changes),
and PostgreSQL when XUEQU_BENCH_POSTGRES_URL is set (or the local server answers).
    python benchmarks/bench_import.py [--schools 100] [--seed 1]
"""
from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bundle.io import write_bundle
from bundle.validate import load_bundle
from demo.district import generate_district
from models.bundles import import_tables
from models.db import session_scope
from models.migrate import upgrade


def timed_import(folder: Path, url: str) -> tuple[float, float, float, int]:
    started = time.perf_counter()
    tables = load_bundle(folder)
    validated = time.perf_counter()
    upgrade(url)
    with session_scope(url) as session:
        report = import_tables(session, tables)
    done = time.perf_counter()
    with session_scope(url) as session:
        again = import_tables(session, load_bundle(folder))
    return validated - started, done - started, time.perf_counter() - done, report.changed + again.changed * 10**9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "bundle"
        tables = generate_district(seed=args.seed, schools=args.schools)
        write_bundle(tables, folder)
        print(f"bundle: {args.schools} schools, {len(tables['teachers'])} teachers, {len(tables['students'])} students, "
              f"{sum(len(t) for t in tables.values())} rows")
        validate_s, total_s, reimport_s, rows = timed_import(folder, f"sqlite:///{Path(work) / 'bench.db'}")
        print(f"SQLite: read+validate {validate_s:.1f} s, import total {total_s:.1f} s (target ≤ 20 s), "
              f"re-import of the same bundle {reimport_s:.1f} s; rows inserted {rows % 10**9}, "
              f"changed on re-import {rows // 10**9}")
        admin_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        try:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            name = f"xuequ_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:  # no server here: SQLite is the target
            print(f"PostgreSQL: skipped ({type(error).__name__})")
            return
        try:
            validate_s, total_s, reimport_s, _ = timed_import(folder, admin_url.rsplit("/", 1)[0] + f"/{name}")
            print(f"PostgreSQL: import total {total_s:.1f} s, re-import {reimport_s:.1f} s")
        finally:
            from models.db import dispose_engines

            dispose_engines()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
