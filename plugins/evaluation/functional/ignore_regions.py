"""Points inside PoseTrack ignore regions (unannotated areas such as crowds)."""
from typing import Sequence

import numpy as np
import shapely


def points_in_ignore_regions(points: np.ndarray, polygons: Sequence[np.ndarray]) -> np.ndarray:
    """Which points lie strictly inside any of the polygons.

    Uses shapely's ``contains`` predicate (points on a polygon's boundary are not inside), as
    the official PoseTrack evaluation does. Polygons with fewer than three vertices have no
    interior and contain nothing.

    Args:
        points: (M, 2) ``(x, y)`` pixels.
        polygons: Each a (V, 2) vertex array.

    Returns:
        (M,) bool.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros(len(pts), dtype=bool)
    if not len(pts):
        return inside
    finite = np.isfinite(pts).all(1)
    for poly in polygons:
        v = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        if len(v) < 3:
            continue
        shape = shapely.Polygon(v)
        shapely.prepare(shape)
        todo = finite & ~inside
        if todo.any():
            inside[todo] = shapely.contains_xy(shape, pts[todo, 0], pts[todo, 1])
    return inside
