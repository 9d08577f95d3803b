"""Greedy assignment of predicted to ground-truth poses by PCKh (PoseTrack's rule).

Per frame, every (prediction, ground truth) pair gets its PCKh: the number of the prediction's
joints within ``dist_thresh`` head sizes of the ground-truth joints, divided by the number of
annotated joints of the ground-truth person. Then

1. every prediction keeps only its best ground truth (the first one on ties), and
2. every ground truth takes, among the predictions that kept it, the one with the highest PCKh
   (the first one on ties); a ground truth with no prediction of PCKh > 0 stays unassigned.

All frames are handled at once on flat pair lists (no per-frame loop).
"""
from typing import Tuple

import numpy as np


def pairs_within_frames(gt_frame: np.ndarray, pred_frame: np.ndarray,
                        num_frames: int) -> Tuple[np.ndarray, np.ndarray]:
    """Every (prediction, ground truth) pair of the same frame.

    Args:
        gt_frame: (G,) frame of each ground-truth person, non-decreasing.
        pred_frame: (P,) frame of each prediction, non-decreasing.
        num_frames: Number of frames ``F`` (frame ids are in ``[0, F)``).

    Returns:
        ``(pair_gt, pair_pred)``, each (Q,), ordered by prediction then ground truth.
    """
    gt_frame = np.asarray(gt_frame, np.int64)
    pred_frame = np.asarray(pred_frame, np.int64)
    if np.any(np.diff(gt_frame) < 0) or np.any(np.diff(pred_frame) < 0):
        raise ValueError('persons must be sorted by frame')
    gt_count = np.bincount(gt_frame, minlength=num_frames)
    gt_start = np.concatenate([[0], np.cumsum(gt_count)[:-1]])
    per_pred = gt_count[pred_frame]
    pair_pred = np.repeat(np.arange(len(pred_frame)), per_pred)
    first = np.repeat(np.cumsum(per_pred) - per_pred, per_pred)
    pair_gt = gt_start[pred_frame[pair_pred]] + (np.arange(len(pair_pred)) - first)
    return pair_gt, pair_pred


def pckh_of_pairs(joint_match: np.ndarray, gt_num_joints: np.ndarray,
                  pair_gt: np.ndarray) -> np.ndarray:
    """PCKh of each pair.

    Args:
        joint_match: (Q, K) bool, joint within the threshold.
        gt_num_joints: (G,) number of annotated joints of each ground-truth person.
        pair_gt: (Q,) ground-truth index of each pair.

    Returns:
        (Q,) float64 fraction of matched joints (the raw count where the person has no
        annotated joint, which is then 0).
    """
    count = joint_match.sum(1).astype(np.float64)
    n = np.asarray(gt_num_joints)[pair_gt]
    return np.where(n > 0, count / np.maximum(n, 1), count)


def greedy_pckh_assignment(pck: np.ndarray, pair_gt: np.ndarray, pair_pred: np.ndarray,
                           num_pred: int) -> Tuple[np.ndarray, np.ndarray]:
    """Assign predictions to ground-truth persons (PoseTrack's greedy rule, see module doc).

    Args:
        pck: (Q,) PCKh of each pair.
        pair_gt: (Q,) ground-truth index of each pair.
        pair_pred: (Q,) prediction index of each pair, pairs ordered by prediction then
            ground truth (as :func:`pairs_within_frames` returns them).
        num_pred: Number of predictions ``P``.

    Returns:
        ``(pred_to_gt, pred_to_pair)``: (P,) assigned ground-truth index and the index of that
        pair, -1 where the prediction is unassigned.
    """
    pred_to_gt = np.full(num_pred, -1, np.int64)
    pred_to_pair = np.full(num_pred, -1, np.int64)
    q = len(pck)
    if q == 0:
        return pred_to_gt, pred_to_pair
    # 1. each prediction keeps its best ground truth (first maximum of its contiguous pairs)
    starts = np.flatnonzero(np.r_[True, pair_pred[1:] != pair_pred[:-1]])
    seg_max = np.maximum.reduceat(pck, starts)
    seg_id = np.cumsum(np.r_[False, pair_pred[1:] != pair_pred[:-1]])
    is_max = pck == seg_max[seg_id]
    best = np.minimum.reduceat(np.where(is_max, np.arange(q), q), starts)
    best = best[seg_max > 0]
    if not len(best):
        return pred_to_gt, pred_to_pair
    # 2. each ground truth takes the kept prediction with the highest PCKh (first on ties)
    order = np.lexsort((pair_pred[best], -pck[best], pair_gt[best]))
    kept = best[order]
    first_of_gt = np.r_[True, pair_gt[kept][1:] != pair_gt[kept][:-1]]
    won = kept[first_of_gt]
    pred_to_gt[pair_pred[won]] = pair_gt[won]
    pred_to_pair[pair_pred[won]] = won
    return pred_to_gt, pred_to_pair
