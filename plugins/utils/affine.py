"""Affine coordinate maps between an image, a letter-boxed network input and a map grid.

Shared by the correspondence network, its codec (:mod:`plugins.codecs.correspondence_maps`), its
transforms (:mod:`plugins.datasets.transforms.letterbox`, ``affine_pair``), the tracker and the
recovery; it lives here (not under ``plugins/models``) so codecs and transforms import it without
reaching into the models package. ``plugins.models.correspondence.geometry`` re-exports it.

Three frames of reference: the *image* (the frame as read), the network *input* (the image
letter-boxed into ``input_size`` = (W, H)) and the *map* grid (w, h) of the network's feature and
affinity maps. A map cell ``i`` covers input pixels ``[i * s, (i + 1) * s)`` with ``s = W / w``,
so its centre is at input pixel ``(i + 0.5) * s - 0.5``.
"""
from typing import Sequence, Tuple

import numpy as np


def letterbox_matrix(src_size: Sequence[int], dst_size: Sequence[int]) -> np.ndarray:
    """Affine map fitting an image of ``src_size`` (w, h) into ``dst_size`` (W, H), aspect
    ratio kept, centred (pixel centres map to pixel centres).

    Returns:
        (2, 3) float64 matrix for ``cv2.warpAffine``.
    """
    sw, sh = float(src_size[0]), float(src_size[1])
    dw, dh = float(dst_size[0]), float(dst_size[1])
    if min(sw, sh, dw, dh) <= 0:
        raise ValueError(f'sizes must be positive, got src {src_size}, dst {dst_size}')
    scale = min(dw / sw, dh / sh)
    # x_dst + 0.5 = scale * (x_src + 0.5) + pad
    tx = (dw - scale * sw) / 2 + 0.5 * scale - 0.5
    ty = (dh - scale * sh) / 2 + 0.5 * scale - 0.5
    return np.array([[scale, 0, tx], [0, scale, ty]], dtype=np.float64)


def apply_affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine matrix to points of shape (..., 2)."""
    pts = np.asarray(points, dtype=np.float64)
    m = np.asarray(matrix, dtype=np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a (2, 3) affine matrix."""
    full = np.vstack([np.asarray(matrix, dtype=np.float64), [0, 0, 1]])
    return np.linalg.inv(full)[:2]


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """``outer o inner`` of two (2, 3) affine matrices (inner applied first)."""
    a = np.vstack([np.asarray(outer, dtype=np.float64), [0, 0, 1]])
    b = np.vstack([np.asarray(inner, dtype=np.float64), [0, 0, 1]])
    return (a @ b)[:2]


def map_scale(input_size: Sequence[int], map_size: Sequence[int]) -> Tuple[float, float]:
    """Input pixels per map cell along x and y."""
    return float(input_size[0]) / float(map_size[0]), float(input_size[1]) / float(map_size[1])


def input_to_map(points, input_size: Sequence[int], map_size: Sequence[int]):
    """Input-pixel ``(x, y)`` -> continuous map coordinates (cell centres at integers).

    Works on numpy arrays and torch tensors of shape (..., 2).
    """
    sx, sy = map_scale(input_size, map_size)
    x = (points[..., 0] + 0.5) / sx - 0.5
    y = (points[..., 1] + 0.5) / sy - 0.5
    return _stack_xy(points, x, y)


def map_to_input(points, input_size: Sequence[int], map_size: Sequence[int]):
    """Continuous map coordinates -> input pixels; inverse of :func:`input_to_map`."""
    sx, sy = map_scale(input_size, map_size)
    x = (points[..., 0] + 0.5) * sx - 0.5
    y = (points[..., 1] + 0.5) * sy - 0.5
    return _stack_xy(points, x, y)


def inside_image(points, size: Sequence[int]):
    """Whether points (..., 2) lie inside an image of ``size`` (W, H) (pixel areas included)."""
    x, y = points[..., 0], points[..., 1]
    return (x >= -0.5) & (x < size[0] - 0.5) & (y >= -0.5) & (y < size[1] - 0.5)


def _stack_xy(like, x, y):
    if isinstance(like, np.ndarray):
        return np.stack([x, y], axis=-1)
    import torch
    return torch.stack([x, y], dim=-1)
