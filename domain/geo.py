"""Distances (距离): great-circle km from WGS-84 coordinates, unless distances.csv gives the pair.

FORMATS.md: distances are great-circle kilometres unless a bundle provides `distances.csv`,
which then wins; a row gives the distance both ways unless the bundle also has the reverse row.
`SchoolDistances` is the one place that applies this rule.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_matrix_km(lats: np.ndarray, lons: np.ndarray,
                       lats2: np.ndarray | None = None, lons2: np.ndarray | None = None) -> np.ndarray:
    """Vectorised great-circle distances between two point sets (rows × columns), in km."""
    if lats2 is None:
        lats2, lons2 = lats, lons
    p1 = np.radians(np.asarray(lats, dtype=float))[:, None]
    p2 = np.radians(np.asarray(lats2, dtype=float))[None, :]
    dl = np.radians(np.asarray(lons2, dtype=float))[None, :] - np.radians(np.asarray(lons, dtype=float))[:, None]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def given_both_ways(given: Mapping[tuple[str, str], float] | None) -> dict[tuple[str, str], float]:
    """The rows of `distances.csv` (起点 → 终点 km) for both directions of travel.

    The rule for a one-way row: a row A→B also gives B→A, unless the bundle has its own B→A row,
    which then keeps its own km. Teachers drive the same road there and back, and bureaus list
    each pair of schools once; a bureau that knows the two ways differ (a one-way road, a ferry)
    writes both rows. A row from a school to itself is ignored: a school is 0 km from itself.
    """
    rows = {(a, b): float(km) for (a, b), km in (given or {}).items() if a != b}
    both = dict(rows)
    for (a, b), km in rows.items():
        both.setdefault((b, a), km)
    return both


class SchoolDistances:
    """Kilometres between schools (学校间距离): the bundle's distances.csv where it gives the pair
    (either way, see `given_both_ways`), great-circle km between their coordinates otherwise.

    Rotation and exam logistics both measure school-to-school travel here, so a bundle means
    the same distance to every planner. `ids`, `lats`, `lons` list the schools in one order,
    which is also the order of `matrix`.
    """

    def __init__(self, ids: Sequence[str], lats: Sequence[float], lons: Sequence[float],
                 given: Mapping[tuple[str, str], float] | None = None):
        self.ids = tuple(ids)
        self.index = {school_id: i for i, school_id in enumerate(self.ids)}
        self.matrix = (distance_matrix_km(np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))
                       if self.ids else np.zeros((0, 0)))
        for (a, b), km in given_both_ways(given).items():
            if a in self.index and b in self.index:  # rows about schools outside the plan do not matter
                self.matrix[self.index[a], self.index[b]] = km

    def km(self, from_id: str, to_id: str) -> float:
        """One-way km from one school to another (KeyError for a school it was not given)."""
        return float(self.matrix[self.index[from_id], self.index[to_id]])
