"""All-point interpolated (VOC) average precision of scored detections of one joint."""
from typing import Tuple

import numpy as np


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the monotone (right-to-left maximum) precision envelope.

    Args:
        recall: (n,) recall after each detection, non-decreasing.
        precision: (n,) precision after each detection.

    Returns:
        The average precision in [0, 1] (NaN if ``recall`` holds NaN).
    """
    mrec = np.concatenate([[0.0], np.asarray(recall, np.float64), [1.0]])
    mpre = np.concatenate([[0.0], np.asarray(precision, np.float64), [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[i] - mrec[i - 1]) * mpre[i]))


def joint_average_precision(scores: np.ndarray, labels: np.ndarray, num_gt: int,
                            group_ties: bool = True) -> Tuple[float, float, float]:
    """Average precision of the detections of one joint over the whole dataset.

    Args:
        scores: (n,) confidence of each predicted joint.
        labels: (n,) bool, the predicted joint is a true positive.
        num_gt: Number of annotated ground-truth joints.
        group_ties: Evaluate the precision/recall curve only where the score changes, so the
            result does not depend on the order of equally scored detections (the correct
            definition). ``False`` orders detections exactly as the official tool does
            (``np.argsort(scores)[::-1]``, whose order among ties is an accident of numpy's
            sort) and evaluates the curve after every detection.

    Returns:
        ``(ap, precision, recall)`` in percent; ``precision``/``recall`` are those of all
        detections. ``ap`` and ``recall`` are NaN when ``num_gt == 0`` (undefined); with no
        detection they are 0 (``precision`` NaN).
    """
    scores = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(labels, bool).reshape(-1)
    n = len(scores)
    if n == 0:
        return (np.nan if num_gt == 0 else 0.0), np.nan, (np.nan if num_gt == 0 else 0.0)
    if group_ties:
        order = np.argsort(-scores, kind='stable')
    else:
        order = np.argsort(scores)[::-1]
    tp = np.cumsum(labels[order])
    with np.errstate(divide='ignore', invalid='ignore'):
        recall = tp / np.float64(num_gt)
    precision = tp / np.arange(1, n + 1)
    if group_ties:
        s = scores[order]
        last_of_tie = np.r_[s[1:] != s[:-1], True]
        recall, precision = recall[last_of_tie], precision[last_of_tie]
    if num_gt == 0:
        ap = np.nan
    else:
        ap = voc_ap(recall, precision) * 100
    return ap, precision[-1] * 100, recall[-1] * 100
