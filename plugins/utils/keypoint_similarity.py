"""Vectorised pairwise similarities between poses and boxes (OKS, IoU)."""
from typing import Optional, Sequence

import numpy as np


def pairwise_box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``boxes_a`` with every box in ``boxes_b``.

    Args:
        boxes_a: (N, 4) ``xyxy``.
        boxes_b: (M, 4) ``xyxy``.

    Returns:
        (N, M) float64 IoU; 0 where both boxes are empty.
    """
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def pairwise_oks(keypoints_a: np.ndarray,
                 keypoints_b: np.ndarray,
                 sigmas: Sequence[float],
                 areas_a: np.ndarray,
                 visible_a: Optional[np.ndarray] = None,
                 visible_b: Optional[np.ndarray] = None,
                 areas_b: Optional[np.ndarray] = None) -> np.ndarray:
    """Object keypoint similarity (COCO definition) of every pose pair.

    ``OKS(a, b) = mean over joints j visible in a (and in b, if given) of
    exp(-d_j^2 / (2 * area_a * (2 sigma_j)^2))`` with ``area_a`` the scale of ``a`` (box area).

    Args:
        keypoints_a: (N, K, 2) reference poses (the scale comes from them).
        keypoints_b: (M, K, 2) poses compared with them.
        sigmas: (K,) per-joint falloff from the dataset metainfo (``sigmas``).
        areas_a: (N,) areas of the reference poses (e.g. box width * height).
        visible_a: (N, K) bool, joints of ``a`` that count (default: all).
        visible_b: (M, K) bool, joints of ``b`` that count (default: all).
        areas_b: (M,) areas of ``b``; when given, the scale of a pair is the mean
            ``(area_a + area_b) / 2`` (mmpose's ``oks_iou`` used by its OKS-NMS), which makes
            the similarity symmetric.

    Returns:
        (N, M) float64 OKS in [0, 1]; 0 for a pair with no joint counted.
    """
    ka = np.asarray(keypoints_a, dtype=np.float64)
    kb = np.asarray(keypoints_b, dtype=np.float64)
    sig = np.asarray(sigmas, dtype=np.float64)
    if ka.ndim != 3 or kb.ndim != 3 or ka.shape[1:] != kb.shape[1:] or ka.shape[2] != 2:
        raise ValueError(f'keypoints must be (N, K, 2) and (M, K, 2), got {ka.shape}, {kb.shape}')
    if sig.shape != (ka.shape[1],):
        raise ValueError(f'sigmas must have shape ({ka.shape[1]},), got {sig.shape}')
    n, m, k = ka.shape[0], kb.shape[0], ka.shape[1]
    areas = np.asarray(areas_a, dtype=np.float64).reshape(n)
    va = np.ones((n, k), bool) if visible_a is None else np.asarray(visible_a, bool)
    vb = np.ones((m, k), bool) if visible_b is None else np.asarray(visible_b, bool)
    scale = areas[:, None]  # (N, 1) or (N, M)
    if areas_b is not None:
        scale = (scale + np.asarray(areas_b, dtype=np.float64).reshape(1, m)) / 2
    d2 = ((ka[:, None] - kb[None]) ** 2).sum(-1)  # (N, M, K)
    var = (2 * sig) ** 2
    e = d2 / (2 * np.maximum(scale, np.finfo(np.float64).eps)[..., None] * var)
    counted = va[:, None, :] & vb[None, :, :]
    total = (np.exp(-e) * counted).sum(-1)
    num = counted.sum(-1)
    return np.divide(total, num, out=np.zeros((n, m)), where=num > 0)
