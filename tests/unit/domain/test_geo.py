"""School-to-school distances: distances.csv wins, a one-way row counts both ways, coordinates otherwise."""
from __future__ import annotations

import numpy as np
import pytest

from domain.geo import SchoolDistances, given_both_ways, haversine_km

IDS = ("A", "B", "C")
LATS = (34.50, 34.60, 35.00)
LONS = (113.00, 113.10, 113.50)


def _distances(given):
    return SchoolDistances(IDS, LATS, LONS, given)


def test_one_way_row_gives_the_same_km_both_ways():
    d = _distances({("A", "B"): 42.0})
    assert d.km("A", "B") == 42.0
    assert d.km("B", "A") == 42.0


def test_two_way_pair_keeps_each_direction():
    d = _distances({("A", "B"): 42.0, ("B", "A"): 47.5})
    assert (d.km("A", "B"), d.km("B", "A")) == (42.0, 47.5)
    assert given_both_ways({("A", "B"): 42.0, ("B", "A"): 47.5}) == {("A", "B"): 42.0, ("B", "A"): 47.5}


def test_great_circle_where_no_row_gives_the_pair():
    d = _distances({("A", "B"): 42.0})
    expected = haversine_km(LATS[0], LONS[0], LATS[2], LONS[2])
    assert d.km("A", "C") == pytest.approx(expected) and d.km("C", "A") == pytest.approx(expected)
    assert d.km("A", "C") > 50  # not the row's 42 km: the row is about A and B only


def test_matrix_follows_the_order_of_ids_and_ignores_unknown_schools_and_self_rows():
    d = _distances({("C", "A"): 9.0, ("A", "Z"): 1.0, ("B", "B"): 5.0})
    assert d.matrix.shape == (3, 3)
    assert d.matrix[2, 0] == d.matrix[0, 2] == 9.0
    assert np.all(np.diag(d.matrix) == 0.0)  # a school is 0 km from itself, whatever a row says
    with pytest.raises(KeyError):
        d.km("A", "Z")


def test_no_schools_no_rows():
    assert SchoolDistances((), (), (), None).matrix.shape == (0, 0)
    assert given_both_ways(None) == {}
