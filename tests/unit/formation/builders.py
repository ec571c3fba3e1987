"""Small districts for the formation tests: schools placed by km east and north of a county seat."""
from __future__ import annotations

import math

from demo import layout
from demo.district import _rng
from demo.policy import DemoPolicy
from scheduling.formation import FormationInput, FormationSchool, TodayCluster, formation_input_from_tables

LAT0, LON0 = 34.5, 113.0


def school(sid: str, locality: str = "rural", tier: str = "ordinary", *, east: float = 0.0, north: float = 0.0,
           stage: str = "primary", cluster: str = "", lead: bool = False, students: int = 0,
           name: str | None = None) -> FormationSchool:
    lat = LAT0 + north / 111.32
    lon = LON0 + east / (111.32 * math.cos(math.radians(LAT0)))
    return FormationSchool(sid, name or f"{sid}校", stage, locality, tier, lat, lon, students=students,
                           cluster_id=cluster, is_lead=lead)


def district(schools: list[FormationSchool], **kw) -> FormationInput:
    names = sorted({s.cluster_id for s in schools if s.cluster_id})
    return FormationInput(schools=tuple(schools), clusters=tuple(TodayCluster(c, f"{c}学区") for c in names), **kw)


def generated(n: int, seed: int = 1) -> FormationInput:
    """The demo county's schools and today's clusters (demo.layout: an urban core, townships, villages)."""
    schools, clusters = layout.build_schools(_rng(seed, "schools"), n, DemoPolicy())
    return formation_input_from_tables({"schools": schools, "clusters": clusters})
