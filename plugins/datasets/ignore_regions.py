"""PoseTrack ignore regions: polygons (``ignore_regions_x/y``) of image areas that are not
annotated (crowds, far people). Predictions and ground truth inside them are discarded by the
PoseTrack evaluation.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np
from matplotlib.path import Path as MplPath


def regions_from_xy(xs: Sequence[Sequence[float]],
                    ys: Sequence[Sequence[float]]) -> List[np.ndarray]:
    """Polygons ``(P, 2)`` float32 from PoseTrack's ``ignore_regions_x`` / ``ignore_regions_y``.

    Raises:
        ValueError: The two lists do not have matching lengths.
    """
    if len(xs) != len(ys):
        raise ValueError(f'ignore regions: {len(xs)} x lists but {len(ys)} y lists')
    out = []
    for i, (px, py) in enumerate(zip(xs, ys)):
        px = np.asarray(px, np.float32).reshape(-1)
        py = np.asarray(py, np.float32).reshape(-1)
        if px.shape != py.shape:
            raise ValueError(f'ignore region {i}: {px.size} x but {py.size} y coordinates')
        if px.size:
            out.append(np.stack([px, py], 1))
    return out


def regions_to_xy(regions: Sequence[np.ndarray]) -> Tuple[List[List[float]], List[List[float]]]:
    """``(ignore_regions_x, ignore_regions_y)`` lists of polygons ``(P, 2)``."""
    return ([np.asarray(r)[:, 0].tolist() for r in regions],
            [np.asarray(r)[:, 1].tolist() for r in regions])


def points_in_regions(points: np.ndarray, regions: Sequence[np.ndarray]) -> np.ndarray:
    """Which points lie inside any polygon (even-odd rule, boundary counts as inside).

    Args:
        points: (..., 2) pixel coordinates.
        regions: Polygons ``(P, 2)``; polygons with fewer than 3 vertices contain nothing.

    Returns:
        Boolean array of shape ``points.shape[:-1]``.
    """
    pts = np.asarray(points, np.float64)
    if pts.shape[-1] != 2:
        raise ValueError(f'points_in_regions: points must have shape (..., 2), got {pts.shape}')
    flat = pts.reshape(-1, 2)
    inside = np.zeros(len(flat), bool)
    if len(flat) == 0:
        return inside.reshape(pts.shape[:-1])
    for poly in regions:
        poly = np.asarray(poly, np.float64)
        if len(poly) < 3:
            continue
        lo, hi = poly.min(0), poly.max(0)
        cand = ~inside & np.all((flat >= lo - 1e-6) & (flat <= hi + 1e-6), axis=1)
        if cand.any():
            # a tiny positive radius makes points on the boundary count as inside
            inside[cand] = MplPath(poly).contains_points(flat[cand], radius=1e-9) | \
                MplPath(poly[::-1]).contains_points(flat[cand], radius=1e-9)
    return inside.reshape(pts.shape[:-1])
