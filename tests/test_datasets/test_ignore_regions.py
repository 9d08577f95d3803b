"""Point-in-ignore-region tests against shapely."""
import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from plugins.datasets.ignore_regions import points_in_regions, regions_from_xy, regions_to_xy


def test_matches_shapely_on_random_polygons():
    rng = np.random.default_rng(0)
    regions = []
    for _ in range(4):  # star-shaped (possibly concave) polygons
        c = rng.uniform(20, 80, 2)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 9))
        r = rng.uniform(5, 25, 9)
        regions.append(np.stack([c[0] + r * np.cos(ang), c[1] + r * np.sin(ang)], 1))
    pts = rng.uniform(0, 100, (2000, 2))
    ref = np.array([any(Polygon(p).contains(Point(q)) for p in regions) for q in pts])
    got = points_in_regions(pts, regions)
    assert ref.any() and (~ref).any()
    np.testing.assert_array_equal(got, ref)
    # shape of (N, K, 2) keypoints is kept
    assert points_in_regions(pts.reshape(100, 20, 2), regions).shape == (100, 20)


def test_boundary_empty_and_round_trip():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float32)
    got = points_in_regions(np.array([[10, 5], [0, 0], [5, 5], [10.01, 5]]), [square])
    np.testing.assert_array_equal(got, [True, True, True, False])
    assert points_in_regions(np.zeros((0, 2)), [square]).shape == (0,)
    assert not points_in_regions(np.array([[1.0, 1.0]]), []).any()
    assert not points_in_regions(np.array([[1.0, 1.0]]), [square[:2]]).any()  # degenerate
    xs, ys = regions_to_xy([square])
    np.testing.assert_array_equal(regions_from_xy(xs, ys)[0], square)
    with pytest.raises(ValueError, match='x lists'):
        regions_from_xy([[1, 2, 3]], [])
    with pytest.raises(ValueError, match='shape'):
        points_in_regions(np.zeros((3, 3)), [square])
