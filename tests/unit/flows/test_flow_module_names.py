"""A Prefect worker loads a deployment's entrypoint file with its folder (flows/) first on sys.path, so a
module there named like one of our packages hides that package in the worker (flows/analysis.py once
hid `analysis`: the question-setting deployment failed to import analysis.policy)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_no_flow_module_shares_a_name_with_a_top_level_package():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    flow_modules = {p.stem for p in (ROOT / "flows").glob("*.py")}
    assert "analysis" in packages and "scheduling" in packages  # the check sees the real layout
    assert not (flow_modules & packages), flow_modules & packages
