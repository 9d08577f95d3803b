"""Fitting RMPE's Deep Proposals Generator from ground truth and a detector's boxes.

Steps (RMPE Sec. 3.4): match each image's detections to its ground-truth boxes; normalise the
offsets of matched pairs by the ground-truth box size; align the ground-truth poses and cluster
them into atomic poses with k-means; fit a Gaussian mixture to the offsets of every atomic
pose. ``tools/analysis/fit_dpg.py`` wraps this with file I/O and an optional detector run.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from plugins.datasets.transforms.dpg_model import (DPGModel, GaussianMixtureParams,
                                                   align_poses)
from plugins.utils.keypoint_similarity import pairwise_box_iou


def match_detections(gt_boxes: np.ndarray, det_boxes: np.ndarray,
                     iou_thr: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of detections to ground-truth boxes by IoU (Hungarian).

    Args:
        gt_boxes: (G, 4) ``xyxy``.
        det_boxes: (D, 4) ``xyxy``.
        iou_thr: pairs below this IoU are not matched.

    Returns:
        ``(gt_idx, det_idx)``, int64 arrays of the matched pairs.
    """
    gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    det = np.asarray(det_boxes, np.float64).reshape(-1, 4)
    if len(gt) == 0 or len(det) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    iou = pairwise_box_iou(gt, det)
    rows, cols = linear_sum_assignment(-iou)
    ok = iou[rows, cols] >= iou_thr
    return rows[ok].astype(np.int64), cols[ok].astype(np.int64)


def normalized_box_offsets(gt_boxes: np.ndarray, det_boxes: np.ndarray) -> np.ndarray:
    """``(det - gt) / (w, h, w, h)`` of the ground-truth boxes, (N, 4)."""
    gt = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    det = np.asarray(det_boxes, np.float64).reshape(-1, 4)
    wh = np.maximum(gt[:, 2:] - gt[:, :2], 1e-6)
    return (det - gt) / np.concatenate([wh, wh], axis=1)


def _fit_mixture(offsets: np.ndarray, num_components: int, seed: int) -> GaussianMixtureParams:
    gmm = GaussianMixture(
        n_components=num_components, covariance_type='full', reg_covar=1e-6,
        random_state=seed).fit(offsets)
    return GaussianMixtureParams(gmm.weights_, gmm.means_, gmm.covariances_)


def fit_dpg_model(keypoints: np.ndarray,
                  visible: np.ndarray,
                  gt_boxes: np.ndarray,
                  matched: np.ndarray,
                  offsets: np.ndarray,
                  torso_upper: Sequence[int],
                  torso_lower: Sequence[int],
                  num_atomic_poses: int = 8,
                  num_components: int = 3,
                  min_samples_per_component: int = 10,
                  min_visible: int = 4,
                  seed: int = 0,
                  meta: Optional[dict] = None) -> DPGModel:
    """Cluster atomic poses and fit one offset mixture per atomic pose.

    Args:
        keypoints: (N, K, 2) ground-truth poses (pixels), every annotated person.
        visible: (N, K) bool labelled joints.
        gt_boxes: (N, 4) ``xyxy`` ground-truth boxes.
        matched: (M,) indices into the N persons that have a matched detection.
        offsets: (M, 4) their :func:`normalized_box_offsets`.
        torso_upper: joint indices of the upper torso end (shoulders).
        torso_lower: joint indices of the lower torso end (hips).
        num_atomic_poses: k of k-means (fewer if fewer poses).
        num_components: components per mixture (fewer for small clusters).
        min_samples_per_component: an atomic pose with fewer offsets than this (for one
            component) uses the mixture fitted on all offsets.
        min_visible: poses with fewer labelled joints are not clustered.
        seed: random state of k-means and the mixtures.
        meta: provenance stored in the model.

    Returns:
        The fitted :class:`DPGModel`.
    """
    kpts = np.asarray(keypoints, np.float64)
    vis = np.asarray(visible, bool)
    boxes = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    matched = np.asarray(matched, np.int64).reshape(-1)
    offsets = np.asarray(offsets, np.float64).reshape(-1, 4)
    if kpts.ndim != 3 or kpts.shape[2] != 2 or vis.shape != kpts.shape[:2] or len(boxes) != len(
            kpts):
        raise ValueError(f'fit_dpg_model: keypoints (N, K, 2), visible (N, K), gt_boxes (N, 4) '
                         f'expected, got {kpts.shape}, {vis.shape}, {boxes.shape}')
    if len(matched) != len(offsets):
        raise ValueError(f'fit_dpg_model: {len(matched)} matched persons but {len(offsets)} '
                         'offsets')
    if len(offsets) < 2:
        raise ValueError('fit_dpg_model: need at least 2 matched detections to fit offsets')

    # typical torso length / box size: the alignment scale for poses without a visible torso
    up = _mean_visible(kpts, vis, torso_upper)
    lo = _mean_visible(kpts, vis, torso_lower)
    torso_len = np.linalg.norm(up[0] - lo[0], axis=1)
    has_torso = up[1] & lo[1] & (torso_len > 1e-6)
    box_size = np.maximum((boxes[:, 2:] - boxes[:, :2]).max(1), 1e-6)
    torso_to_box = float(np.median(torso_len[has_torso] / box_size[has_torso])) if \
        has_torso.any() else 0.3

    aligned = align_poses(kpts, vis, boxes, torso_upper, torso_lower, torso_to_box)
    usable = vis.sum(1) >= min_visible
    if usable.sum() < 1:
        raise ValueError(f'fit_dpg_model: no pose has {min_visible} labelled joints')
    a = aligned[usable]
    v = vis[usable]
    # invisible joints take the mean aligned position of that joint, so k-means sees full poses
    joint_mean = (a * v[..., None]).sum(0) / np.maximum(v.sum(0), 1)[:, None]
    filled = np.where(v[..., None], a, joint_mean[None])
    k = int(min(num_atomic_poses, len(filled)))
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(filled.reshape(len(filled), -1))
    centres = kmeans.cluster_centers_.reshape(k, -1, 2)

    global_model = _fit_mixture(
        offsets, int(max(1, min(num_components, len(offsets) // min_samples_per_component))),
        seed)
    model = DPGModel(
        atomic_poses=centres, offset_models=[global_model] * k, torso_upper=list(torso_upper),
        torso_lower=list(torso_lower), torso_to_box=torso_to_box, num_samples=[0] * k,
        meta=meta)
    clusters = model.assign(kpts[matched], vis[matched], boxes[matched])
    models, counts = [], []
    for c in range(k):
        off = offsets[clusters == c]
        n_comp = min(num_components, len(off) // min_samples_per_component)
        models.append(_fit_mixture(off, n_comp, seed) if n_comp >= 1 else global_model)
        counts.append(int(len(off)))
    model.offset_models = models
    model.num_samples = counts
    return model


def _mean_visible(kpts: np.ndarray, vis: np.ndarray, ids: Sequence[int]):
    ids = list(ids)
    v = vis[:, ids]
    count = v.sum(1)
    return (kpts[:, ids] * v[..., None]).sum(1) / np.maximum(count, 1)[:, None], count > 0
