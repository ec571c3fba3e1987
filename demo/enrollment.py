"""A generated enrollment zone (招生片区), deterministic by seed, for tests, the benchmark and trying it out.

    zone = generate_zone(applicants=2_000, schools=5, seed=1)
    write_zone_files(zone, Path("out/enrollment_in"))   # applications.csv and capacities.csv

What it looks like: schools of uneven appeal (a few popular ones are named first by many families),
seats for about `seat_share` of the families, each family living in the catchment of one school
(原地段学校) and often naming it among its choices, points on the district's integer scale (so
ties at a cut-off are common), and a share of schools admitting by lottery (多校划片 junior schools).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from admission.inputs import Application, Zone, ZoneSchool
from bundle.io import write_csv

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵欣怡梓轩浩然雨桐一诺宇轩可馨思远佳怡俊熙"


def generate_zone(applicants: int = 200, schools: int = 4, seed: int = 1, *, zone_id: str = "Z1",
                  seat_share: float = 0.9, lottery_share: float = 0.25, points_range: tuple[int, int] = (60, 100),
                  catchment_choice: float = 0.6) -> Zone:
    rng = np.random.default_rng(seed)
    school_ids = [f"S{i + 1:02d}" for i in range(schools)]
    appeal = rng.gamma(1.5, 1.0, size=schools) + 0.2
    appeal /= appeal.sum()
    seats = np.maximum(1, np.round(rng.dirichlet(np.ones(schools) * 3) * applicants * seat_share)).astype(int)
    lottery = rng.random(schools) < lottery_share
    zone_schools = tuple(ZoneSchool(sid, int(n), bool(lot), f"第{i + 1}{'初级中学' if lot else '小学'}")
                         for i, (sid, n, lot) in enumerate(zip(school_ids, seats, lottery)))
    homes = rng.choice(schools, size=applicants, p=seats / seats.sum())
    points = rng.integers(points_range[0], points_range[1] + 1, size=applicants)
    counts = rng.choice([1, 2, 3], size=applicants, p=[0.1, 0.2, 0.7])
    with_home = rng.random(applicants) < catchment_choice
    applications = []
    for i in range(applicants):
        wanted = min(int(counts[i]), schools)
        order = list(rng.choice(schools, size=schools, replace=False, p=appeal))
        if with_home[i]:  # the catchment school among the choices, at a random place
            order.remove(homes[i])
            order.insert(int(rng.integers(0, wanted)), homes[i])
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 3 + 1) % len(GIVEN)]
        applications.append(Application(f"A{i + 1:06d}", name, school_ids[homes[i]],
                                        tuple(school_ids[s] for s in order[:wanted]), float(points[i])))
    return Zone(zone_id, zone_schools, tuple(applications))


def application_frame(zone: Zone) -> pd.DataFrame:
    return pd.DataFrame([(a.applicant_id, a.name, zone.zone_id, a.home_school_id,
                          *(list(a.choices) + [None, None])[:3], a.points) for a in zone.applications],
                        columns=["applicant_id", "name", "zone_id", "home_school_id", "choice1", "choice2", "choice3",
                                 "points"])


def capacity_frame(zone: Zone) -> pd.DataFrame:
    return pd.DataFrame([(zone.zone_id, s.school_id, s.seats, s.lottery, s.name) for s in zone.schools],
                        columns=["zone_id", "school_id", "seats", "lottery", "name"])


def write_zone_files(zone: Zone, folder: Path) -> tuple[Path, Path]:
    """applications.csv and capacities.csv of the zone (the input contract)."""
    applications = application_frame(zone)
    capacities = capacity_frame(zone)
    return (write_csv(applications, Path(folder) / "applications.csv", list(applications.columns)),
            write_csv(capacities, Path(folder) / "capacities.csv", list(capacities.columns)))
