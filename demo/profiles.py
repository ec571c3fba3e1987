"""County variants of the demo generator, for tests and benchmarks of what real districts look like.

`mountain`: a mountain county (山区县) — few backbone and famous teachers, townships far from the
county seat. The default demo county (`DemoPolicy()`) is unchanged; a profile is only a DemoPolicy.

    frames = generate_district(seed=1, schools=30, policy=profile("mountain"))
"""
from __future__ import annotations

from demo.policy import DemoPolicy

PROFILES: dict[str, dict] = {
    "default": {},
    # Few backbone teachers (5% instead of 20%) and famous ones (0.5%); townships 30–75 km out.
    "mountain": {"backbone_share": 0.05, "famous_share": 0.005, "rural_min_km": 30.0, "rural_max_km": 75.0,
                 "urban_share": 0.22},
}


def profile(name: str) -> DemoPolicy:
    """The DemoPolicy of a named county variant."""
    if name not in PROFILES:
        raise ValueError(f"unknown demo profile {name!r}; known: {', '.join(PROFILES)}")
    return DemoPolicy(**PROFILES[name])
