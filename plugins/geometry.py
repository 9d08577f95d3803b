"""The one copy of the box/pose geometry that the pipeline stages share.

Boxes are ``xyxy`` image pixels (float32 unless said otherwise); poses are ``(N, K, 2)``
``(x, y)`` pixels with ``(N, K)`` scores (see ``docs/conventions.md``).
"""
from typing import Optional, Tuple

import numpy as np


def to_numpy(x, dtype=None) -> np.ndarray:
    """A numpy array of ``x`` (a torch tensor on any device, an array or a sequence).

    Args:
        x: tensor / array / nested sequence.
        dtype: optional numpy dtype to cast to.

    Returns:
        ``np.ndarray`` (a view when no copy is needed).
    """
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)


def box_areas(bboxes: np.ndarray) -> np.ndarray:
    """(N,) float64 areas of ``xyxy`` boxes (0 for degenerate boxes)."""
    b = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def clip_boxes(bboxes: np.ndarray, image_shape: Tuple[int, int],
               inclusive: bool = False) -> np.ndarray:
    """Boxes clipped to the image.

    Args:
        bboxes: (N, 4) ``xyxy``.
        image_shape: ``(H, W)``.
        inclusive: clip to the last pixel index ``(W - 1, H - 1)`` instead of ``(W, H)``.

    Returns:
        (N, 4) float32.
    """
    h, w = image_shape[:2]
    if inclusive:
        w, h = w - 1, h - 1
    return np.clip(np.asarray(bboxes, np.float64).reshape(-1, 4), 0,
                   [w, h, w, h]).astype(np.float32)


def scale_boxes(bboxes: np.ndarray, factor: float,
                image_shape: Optional[Tuple[int, int]] = None,
                min_half_size: float = 0.0, inclusive: bool = False) -> np.ndarray:
    """Scale ``xyxy`` boxes about their centres (and optionally clip them to the image).

    Args:
        bboxes: (N, 4) ``xyxy``.
        factor: width and height multiplier (1.25 = 25% larger).
        image_shape: ``(H, W)`` to clip to, or None.
        min_half_size: the half width / height is at least this many pixels.
        inclusive: clip to ``(W - 1, H - 1)`` (see :func:`clip_boxes`).

    Returns:
        (N, 4) float32 boxes.
    """
    b = np.asarray(bboxes, np.float64).reshape(-1, 4)
    if factor != 1.0 or min_half_size > 0:
        centre = (b[:, :2] + b[:, 2:]) / 2
        half = np.maximum((b[:, 2:] - b[:, :2]) * (factor / 2), min_half_size)
        b = np.concatenate([centre - half, centre + half], axis=1)
    if image_shape is not None:
        return clip_boxes(b, image_shape, inclusive)
    return b.astype(np.float32)


def keypoint_boxes(keypoints: np.ndarray, scores: Optional[np.ndarray] = None,
                   min_score: float = 0.0) -> np.ndarray:
    """Tight ``xyxy`` boxes around the joints scored above ``min_score`` (all joints of a pose
    when none is).

    Args:
        keypoints: (N, K, 2).
        scores: (N, K) or None (every joint counts).
        min_score: joints at or below it are left out.

    Returns:
        (N, 4) float32 boxes.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if keypoints.shape[0] == 0:
        return np.zeros((0, 4), np.float32)
    if scores is None:
        valid = np.ones(keypoints.shape[:2], bool)
    else:
        valid = np.asarray(scores) > min_score
        valid[~valid.any(axis=1)] = True
    big = np.float32(np.inf)
    lo = np.where(valid[..., None], keypoints, big).min(axis=1)
    hi = np.where(valid[..., None], keypoints, -big).max(axis=1)
    return np.concatenate([lo, hi], axis=1).astype(np.float32)


def greedy_suppression(similarity: np.ndarray, threshold: float,
                       scores: Optional[np.ndarray] = None) -> np.ndarray:
    """Greedy non-maximum suppression on a precomputed pairwise similarity.

    Walk the items from the most to the least confident; an item is kept unless a kept, more
    confident one is more similar to it than ``threshold`` (``similarity > threshold``).

    Args:
        similarity: (N, N) symmetric similarities (OKS, IoU...).
        threshold: suppression threshold.
        scores: (N,) confidences; None means the given order is already most confident first.

    Returns:
        (M,) int64 indices of the kept items, most confident first (stable for ties).
    """
    sim = np.asarray(similarity)
    n = sim.shape[0]
    order = (np.arange(n) if scores is None else
             np.argsort(-np.asarray(scores, np.float64), kind='stable'))
    suppress = sim[np.ix_(order, order)] > threshold
    alive = np.ones(n, bool)
    for i in range(n):  # sequential by definition; each step is one vectorised row update
        if alive[i]:
            alive[i + 1:] &= ~suppress[i, i + 1:]
    return order[alive].astype(np.int64)
