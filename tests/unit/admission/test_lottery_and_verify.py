"""The published draw: commitment = SHA-256 of the seed, the draw re-runs from the published files with
the standard-library script alone, and any change to the seed or the admissions is caught."""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from admission.io import write_outputs
from admission.lottery import SeedError, check_seed, commitment, lottery_numbers
from admission.rules import admit
from demo.enrollment import generate_zone

SEED = "seed-published-after-the-draw-42"


def test_the_commitment_is_the_sha256_of_the_seed_text():
    assert commitment("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 vector
    assert commitment("学区派位种子") == hashlib.sha256("学区派位种子".encode("utf-8")).hexdigest()


def test_a_seed_that_could_be_guessed_from_its_commitment_is_refused():
    with pytest.raises(SeedError) as refused:
        check_seed("2026")
    assert "至少需要 16 个" in refused.value.zh
    assert check_seed("  a-long-enough-seed-text  ") == "a-long-enough-seed-text"


def test_lottery_numbers_are_the_positions_in_sha256_order():
    ids = ["A1", "A2", "A3", "A4"]
    numbers = lottery_numbers(SEED, ids)
    keys = {a: hashlib.sha256(f"{SEED}:{a}".encode()).hexdigest() for a in ids}
    assert sorted(ids, key=numbers.get) == sorted(ids, key=keys.get)
    assert sorted(numbers.values()) == [1, 2, 3, 4]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    zone = generate_zone(applicants=300, schools=5, seed=4, seat_share=0.8, lottery_share=0.5, points_range=(80, 88))
    result = admit(zone, SEED)
    assert result.draws and result.tie_breaks  # the folder has both kinds of chance to check
    folder = tmp_path_factory.mktemp("published")
    write_outputs(result, folder)
    return folder


def run_script(folder: Path, *extra: str) -> subprocess.CompletedProcess:
    """verify_draw.py copied away from the repository and run with no site-packages (-I -S): standard library only."""
    script = folder.parent / f"verify_{folder.name}.py"
    shutil.copy(folder / "verify_draw.py", script)
    return subprocess.run([sys.executable, "-I", "-S", str(script), str(folder), *extra], capture_output=True,
                          text=True, timeout=60, cwd=folder.parent)


def test_anyone_re_runs_the_draw_from_the_published_files(published):
    record = json.loads((published / "lottery.json").read_text(encoding="utf-8"))
    done = run_script(published, "--commitment", record["commitment"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "验证通过" in done.stdout and f"{len(record['draws'])} lottery draw(s)" in done.stdout


def tampered(published: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(published, folder)
    return folder


def test_a_swapped_lottery_seat_is_caught(published, tmp_path):
    folder = tampered(published, tmp_path)
    record = json.loads((folder / "lottery.json").read_text(encoding="utf-8"))
    draw = record["draws"][0]
    winner, loser = draw["order"][0], draw["order"][-1]
    with (folder / "admissions.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {row["applicant_id"]: row for row in rows}
    for field in ("school_id", "round", "choice_rank"):
        by_id[winner][field], by_id[loser][field] = by_id[loser][field], by_id[winner][field]
    with (folder / "admissions.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = run_script(folder)
    assert done.returncode == 1 and "MISMATCH" in done.stdout and winner in done.stdout


def test_another_seed_or_another_commitment_is_caught(published, tmp_path):
    folder = tampered(published, tmp_path)
    record = json.loads((folder / "lottery.json").read_text(encoding="utf-8"))
    assert "not the one announced" in run_script(folder, "--commitment", "0" * 64).stdout
    record["seed"] = SEED + "x"
    (folder / "lottery.json").write_text(json.dumps(record), encoding="utf-8")
    done = run_script(folder)
    assert done.returncode == 1 and "not the commitment" in done.stdout and "lottery number(s) differ" in done.stdout
