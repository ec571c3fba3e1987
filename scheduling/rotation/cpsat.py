"""Rotation's solver settings. Guarded rules, the conflict search and the status names are the
shared kit's (`scheduling/cpsat/`); the main solve fixes every rule literal, and only an
infeasible policy pays for the core search.
"""
from __future__ import annotations

from typing import Any


def posting_params(num_workers: int) -> dict[str, Any]:
    """Solver settings for the posting model. Its LP bound needs the strongest linearization: with
    the default portfolio a 100-school district stalled at a 1–5% gap after 30 s; with `max_lp` it
    closed in 2–15 s (benchmarks/bench_rotation.py)."""
    if num_workers <= 1:
        return {"linearization_level": 2}
    if num_workers == 2:
        return {"subsolvers": ["max_lp", "default_lp"]}
    return {}
