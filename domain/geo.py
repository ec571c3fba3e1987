"""Great-circle distances (FORMATS.md: distances are great-circle km unless distances.csv wins)."""
from __future__ import annotations

import math

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
