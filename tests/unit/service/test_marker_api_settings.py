"""Marker API settings: connections per worker from the environment or a budget; scan keys and labels."""
from __future__ import annotations

import pytest

from domain.labels import item_group_label
from marking.scans import is_scan, parse_key, scan_file, scan_key
from models.db import pool_settings
from service.cli_marking import worker_pool


def test_pool_sizes_come_from_the_environment_and_bad_values_are_named(monkeypatch):
    monkeypatch.delenv("XUEQU_DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("XUEQU_DB_MAX_OVERFLOW", raising=False)
    assert pool_settings() == (5, 5)
    monkeypatch.setenv("XUEQU_DB_POOL_SIZE", "3")
    monkeypatch.setenv("XUEQU_DB_MAX_OVERFLOW", "0")
    assert pool_settings() == (3, 0)
    monkeypatch.setenv("XUEQU_DB_POOL_SIZE", "many")
    with pytest.raises(ValueError, match="XUEQU_DB_POOL_SIZE"):
        pool_settings()
    # a budget for all workers together: 30 connections over 3 workers = 10 each, 5 kept and 5 overflow
    assert worker_pool(30, 3) == (5, 5) and worker_pool(60, 3) == (10, 10) and worker_pool(3, 8) == (1, 1)


def test_scan_keys_name_no_file_and_stay_in_the_scan_folder(tmp_path):
    assert is_scan("scan/batch03/00417-5.png") and is_scan("A.JPG") and not is_scan("x = 1/2 .png is text")
    assert not is_scan(None) and not is_scan("答：因为……")
    key = scan_key("9F3A1C00B2D4", 2)
    assert key == "9F3A1C00B2D4-2" and parse_key(key) == ("9F3A1C00B2D4", 2)
    assert parse_key("../etc/passwd") is None and parse_key("ABCD-0") is None
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "a.png").write_bytes(b"png")
    (tmp_path / "secret.png").write_bytes(b"png")
    root = tmp_path / "scans"
    assert scan_file(root, "a.png") == (root / "a.png").resolve()
    assert scan_file(root, "../secret.png") is None and scan_file(root, str(tmp_path / "secret.png")) is None
    assert scan_file(root, "missing.png") is None


def test_a_group_reads_as_its_subject_and_question_numbers():
    assert item_group_label("physics", [26, 25]) == "物理 第25–26题"
    assert item_group_label("math", [5, 7]) == "数学 第5、7题"
    assert item_group_label("math", [7]) == "数学 第7题"
    assert item_group_label("physics", [25, 26], "en") == "Physics Q25–26"
