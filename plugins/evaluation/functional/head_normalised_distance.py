"""Head size and head-normalised joint distances (the PCKh measure of PoseTrack)."""
import numpy as np


def head_size(head_bboxes: np.ndarray) -> np.ndarray:
    """PoseTrack head size: 0.6 times the diagonal of the ground-truth head box.

    Args:
        head_bboxes: (N, 4) ``xyxy`` head boxes (NaN rows where a person has none).

    Returns:
        (N,) float64 head sizes (NaN where the box is NaN).
    """
    b = np.asarray(head_bboxes, dtype=np.float64).reshape(-1, 4)
    return 0.6 * np.sqrt((b[:, 2] - b[:, 0]) ** 2 + (b[:, 3] - b[:, 1]) ** 2)


def pair_joint_distances(gt_keypoints: np.ndarray, gt_present: np.ndarray,
                         gt_head_size: np.ndarray, pred_keypoints: np.ndarray,
                         pred_present: np.ndarray, pair_gt: np.ndarray,
                         pair_pred: np.ndarray) -> np.ndarray:
    """Head-normalised distance of every joint of every (prediction, ground truth) pair.

    Args:
        gt_keypoints: (G, K, 2) ground-truth joints.
        gt_present: (G, K) bool, joint annotated.
        gt_head_size: (G,) head sizes (a head size of 0 gives ``inf``: never within reach).
        pred_keypoints: (P, K, 2) predicted joints.
        pred_present: (P, K) bool, joint predicted.
        pair_gt: (Q,) ground-truth index of each pair.
        pair_pred: (Q,) prediction index of each pair.

    Returns:
        (Q, K) float64 ``||pred - gt|| / head_size``; ``inf`` where the joint is missing on
        either side.
    """
    diff = (np.asarray(pred_keypoints, np.float64)[pair_pred]
            - np.asarray(gt_keypoints, np.float64)[pair_gt])
    norm = np.sqrt(diff[..., 0] * diff[..., 0] + diff[..., 1] * diff[..., 1])
    with np.errstate(divide='ignore', invalid='ignore'):
        dist = norm / np.asarray(gt_head_size, np.float64)[pair_gt][:, None]
    both = gt_present[pair_gt] & pred_present[pair_pred]
    dist = np.where(both & ~np.isnan(dist), dist, np.inf)
    return dist
