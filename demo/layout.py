"""The county's schools on the map, and their clusters (学区).

A county seat (县城, 城关镇) holds the urban core; townships (乡镇) lie on a ring 20–60 km out, each
with a central primary school, usually a junior (or nine-year) school, and village schools a few
km away. Clusters follow 城乡统筹、强弱搭配、相对就近 (DOMAIN.md, 003 part 4): each has one urban
quality lead, and members in the lead's direction, mixing localities, at most 10 schools.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo import names
from demo.policy import DemoPolicy

KM_PER_DEG_LAT = 111.32
JUNIOR_TYPE = ("junior", "nine_year")  # stages with grades 7–9


@dataclass
class _School:
    name: str
    stage: str
    locality: str
    tier: str
    east_km: float
    north_km: float
    is_lead: bool = False
    township: str | None = None

    @property
    def km(self) -> float:
        return math.hypot(self.east_km, self.north_km)

    @property
    def bearing(self) -> float:  # radians clockwise from north
        return math.atan2(self.east_km, self.north_km) % (2 * math.pi)


def _polar(km: float, bearing: float) -> tuple[float, float]:
    return km * math.sin(bearing), km * math.cos(bearing)


def _angle_diff(a: float, b: float) -> float:
    d = abs(a - b) % (2 * math.pi)
    return min(d, 2 * math.pi - d)


def _rural_schools(rng: np.random.Generator, n_rest: int, policy: DemoPolicy) -> list[_School]:
    """Township central schools and village schools, grouped by township around the ring."""
    if n_rest <= 0:
        return []
    n_townships = max(1, round(n_rest / policy.schools_per_township))
    n_junior = min(n_townships, n_rest - n_townships)  # a junior (or nine-year) school per township, budget allowing
    n_village = n_rest - n_townships - n_junior
    villages_per_township = rng.multinomial(n_village, np.full(n_townships, 1 / n_townships)) if n_village else \
        np.zeros(n_townships, dtype=int)
    township_names = names.township_names(rng, n_townships)
    village_names = iter(names.village_names(rng, n_village))
    offset = rng.uniform(0, 2 * math.pi)
    spacing = 2 * math.pi / n_townships
    lo, hi = policy.rural_min_km, policy.rural_max_km
    schools: list[_School] = []
    for t, township in enumerate(township_names):
        bearing = offset + t * spacing + rng.uniform(-0.3, 0.3) * spacing
        centre_km = rng.uniform(lo + 3, hi - 6)
        ce, cn = _polar(centre_km, bearing)

        def near(max_km: float, min_km: float = 0.3) -> tuple[float, float]:
            de, dn = _polar(rng.uniform(min_km, max_km), rng.uniform(0, 2 * math.pi))
            e, n = ce + de, cn + dn
            d = math.hypot(e, n)
            scale = min(max(d, lo + 0.5), hi - 0.5) / d  # keep every site within the ring
            return e * scale, n * scale

        tier = rng.choice(["quality", "ordinary", "weak"], p=[0.05, 0.70, 0.25])
        e, n = near(1.2)
        schools.append(_School(names.township_school_name(township, "primary"), "primary", "township", str(tier),
                               e, n, township=township))
        if t < n_junior:
            stage = "junior" if rng.random() < 0.75 else "nine_year"
            tier = rng.choice(["quality", "ordinary", "weak"], p=[0.05, 0.70, 0.25])
            e, n = near(1.5)
            schools.append(_School(names.township_school_name(township, stage), stage, "township", str(tier),
                                   e, n, township=township))
        for _ in range(int(villages_per_township[t])):
            village = next(village_names)
            stage = "nine_year" if rng.random() < 0.12 else "primary"
            tier = "weak" if rng.random() < 0.7 else "ordinary"
            e, n = near(7.0, 2.0)
            schools.append(_School(names.village_school_name(township, village, stage), stage, "rural", tier,
                                   e, n, township=township))
    return schools


def _urban_schools(rng: np.random.Generator, n_urban: int, n_clusters: int, rural_junior_type: int,
                   policy: DemoPolicy) -> list[_School]:
    """Urban leads (quality, evenly spread in bearing so each faces its own sector) and other urban schools."""
    n_other = n_urban - n_clusters
    n_other_nine = 1 if n_other >= 4 else 0
    n_other_junior = round(0.25 * n_other)
    n_other_primary = n_other - n_other_nine - n_other_junior
    junior_type_members = rural_junior_type + n_other_junior + n_other_nine
    if junior_type_members == 0:
        n_junior_leads = 0
    elif n_clusters == 1:
        n_junior_leads = 1  # a junior+primary alliance: the junior school leads (003 part 4)
    else:
        n_junior_leads = min(n_clusters - 1, max(1, math.ceil(junior_type_members / 5)))
    junior_lead_slots = {round(i * n_clusters / n_junior_leads) for i in range(n_junior_leads)} if n_junior_leads else set()
    n_primary_leads = n_clusters - len(junior_lead_slots)
    primary_names = iter(names.urban_school_names("primary", n_primary_leads + n_other_primary))
    junior_names = iter(names.urban_school_names("junior", len(junior_lead_slots) + n_other_junior))
    nine_names = iter(names.urban_school_names("nine_year", n_other_nine))
    offset = rng.uniform(0, 2 * math.pi)
    schools: list[_School] = []
    for k in range(n_clusters):
        stage = "junior" if k in junior_lead_slots else "primary"
        bearing = offset + 2 * math.pi * k / n_clusters
        km = policy.core_radius_km * math.sqrt(rng.uniform(0.05, 1.0))
        e, n = _polar(km, bearing)
        name = next(junior_names if stage == "junior" else primary_names)
        schools.append(_School(name, stage, "urban", "quality", e, n, is_lead=True))
    stages = ["nine_year"] * n_other_nine + ["junior"] * n_other_junior + ["primary"] * n_other_primary
    for stage in stages:
        km = policy.core_radius_km * math.sqrt(rng.uniform(0.01, 1.0))
        e, n = _polar(km, rng.uniform(0, 2 * math.pi))
        tier = "quality" if stage == "nine_year" or rng.random() < 0.2 else "ordinary"
        name = next({"primary": primary_names, "junior": junior_names, "nine_year": nine_names}[stage])
        schools.append(_School(name, stage, "urban", tier, e, n))
    return schools


def _assign_clusters(leads: list[_School], members: list[_School], policy: DemoPolicy) -> list[int]:
    """Greedy: each member joins the lead in its direction, balancing sizes and localities (相对就近、城乡统筹).

    Junior and nine-year members go to junior leads (a junior school leads a junior+primary
    alliance); primary members may join either. Returns the lead index of each member.
    """
    has_junior_lead = any(lead.stage in JUNIOR_TYPE for lead in leads)
    capacity = policy.max_cluster_schools - 1  # members besides the lead
    size = [0] * len(leads)
    by_locality = [{"urban": 0, "township": 0, "rural": 0} for _ in leads]
    order = sorted(range(len(members)), key=lambda i: (
        members[i].stage not in JUNIOR_TYPE,  # constrained members first
        {"township": 0, "rural": 1, "urban": 2}[members[i].locality],
        members[i].bearing))
    assignment = [-1] * len(members)
    for i in order:
        member = members[i]
        best, best_cost = -1, math.inf
        for relax in (False, True):
            for k, lead in enumerate(leads):
                if size[k] >= capacity:
                    continue
                junior_member = member.stage in JUNIOR_TYPE
                junior_lead = lead.stage in JUNIOR_TYPE
                if junior_member and not junior_lead and has_junior_lead and not relax:
                    continue
                angle_weight = 0.8 if member.locality == "urban" else 3.0  # the core is small: any lead is near
                cost = (angle_weight * _angle_diff(member.bearing, lead.bearing)
                        + 0.8 * size[k]
                        + 0.5 * by_locality[k][member.locality]
                        + (1.0 if junior_lead and not junior_member else 0.0))
                if cost < best_cost:
                    best, best_cost = k, cost
            if best >= 0:
                break
        if best < 0:
            raise ValueError("no cluster has room left; raise max_cluster_schools or the urban share")
        assignment[i] = best
        size[best] += 1
        by_locality[best][member.locality] += 1
    return assignment


def _hardship(km: float, locality: str, policy: DemoPolicy) -> int:
    """0 in town; 1–3 growing with distance, villages one notch harder than townships at the same distance."""
    if locality == "urban":
        return 0
    remoteness = (km - policy.rural_min_km) / (policy.rural_max_km - policy.rural_min_km)
    remoteness += 0.35 if locality == "rural" else 0.0
    return int(min(3, max(1, 1 + math.floor(remoteness * 2.2))))


def build_schools(rng: np.random.Generator, n_schools: int, policy: DemoPolicy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Schools (spec columns plus internal `_km`, `_bearing`, `_township`) and clusters."""
    if n_schools < 1:
        raise ValueError("a district needs at least one school")
    n_clusters_min = math.ceil(n_schools / policy.max_cluster_schools)
    n_urban = min(n_schools, max(round(n_schools * policy.urban_share), n_clusters_min, 1))
    n_clusters = min(n_urban, max(n_clusters_min, round(n_schools / policy.schools_per_cluster), 1))
    rural = _rural_schools(rng, n_schools - n_urban, policy)
    rural_junior_type = sum(s.stage in JUNIOR_TYPE for s in rural)
    urban = _urban_schools(rng, n_urban, n_clusters, rural_junior_type, policy)
    leads = [s for s in urban if s.is_lead]
    members = [s for s in urban if not s.is_lead] + rural
    assignment = _assign_clusters(leads, members, policy)

    # Clusters are numbered clockwise from north by their lead's bearing: 城关第一学区, 城关第二学区, ...
    lead_order = sorted(range(len(leads)), key=lambda k: leads[k].bearing)
    cluster_of_lead = {k: rank for rank, k in enumerate(lead_order)}
    cluster_ids = [f"C{rank + 1:02d}" for rank in range(len(leads))]
    clusters = pd.DataFrame({"cluster_id": cluster_ids,
                             "name": [names.cluster_name(rank + 1) for rank in range(len(leads))]})

    rows = []
    for k in lead_order:
        rows.append((leads[k], cluster_ids[cluster_of_lead[k]]))
    rest = [(m, cluster_ids[cluster_of_lead[a]]) for m, a in zip(members, assignment)]
    rows += [r for r in rest if r[0].locality == "urban"] + [r for r in rest if r[0].locality != "urban"]
    lat0 = policy.county_lat
    km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(lat0))
    schools = pd.DataFrame({
        "school_id": [f"S{i + 1:03d}" for i in range(len(rows))],
        "name": [s.name for s, _ in rows],
        "cluster_id": [c for _, c in rows],
        "is_lead": np.array([s.is_lead for s, _ in rows], dtype=bool),
        "stage": [s.stage for s, _ in rows],
        "locality": [s.locality for s, _ in rows],
        "tier": [s.tier for s, _ in rows],
        "lat": np.round([lat0 + s.north_km / KM_PER_DEG_LAT for s, _ in rows], 6),
        "lon": np.round([policy.county_lon + s.east_km / km_per_deg_lon for s, _ in rows], 6),
        "hardship": np.array([_hardship(s.km, s.locality, policy) for s, _ in rows], dtype=np.int64),
        "_km": np.array([s.km for s, _ in rows]),
        "_bearing": np.array([s.bearing for s, _ in rows]),
        "_township": [s.township for s, _ in rows],
    })
    if schools["name"].duplicated().any():  # names are distinct by construction; guard the invariant
        raise AssertionError(f"duplicate school names: {schools['name'][schools['name'].duplicated()].tolist()}")
    return schools, clusters
