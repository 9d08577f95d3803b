"""Assignment of detections to tracks from a similarity matrix."""
import numpy as np
from scipy.optimize import linear_sum_assignment


def greedy_assignment(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Greedy matching: repeatedly take the most similar free (track, detection) pair.

    Args:
        similarity: (T, N) similarities (higher is better).
        threshold: pairs with similarity below it are never matched.

    Returns:
        (M, 2) int64 array of matched ``(track_index, detection_index)`` pairs.
    """
    similarity = np.asarray(similarity, dtype=np.float64)
    if similarity.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(-similarity, axis=None, kind='stable')
    rows, cols = np.unravel_index(order, similarity.shape)
    valid = similarity[rows, cols] >= threshold
    rows, cols = rows[valid], cols[valid]
    used_rows = np.zeros(similarity.shape[0], dtype=bool)
    used_cols = np.zeros(similarity.shape[1], dtype=bool)
    pairs = []
    for r, c in zip(rows, cols):  # at most T*N candidates, stops when all are used
        if used_rows[r] or used_cols[c]:
            continue
        used_rows[r] = used_cols[c] = True
        pairs.append((r, c))
        if used_rows.all() or used_cols.all():
            break
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def hungarian_assignment(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Optimal matching (maximum total similarity) with scipy's ``linear_sum_assignment``.

    Args:
        similarity: (T, N) similarities (higher is better).
        threshold: matched pairs below it are dropped.

    Returns:
        (M, 2) int64 array of matched ``(track_index, detection_index)`` pairs.
    """
    similarity = np.asarray(similarity, dtype=np.float64)
    finite = np.isfinite(similarity)
    if similarity.size == 0 or not finite.any():
        return np.zeros((0, 2), dtype=np.int64)
    # gated pairs (-inf/NaN) get a finite penalty below any assignment without them, so scipy
    # never finds the matrix infeasible and the optimum uses as few of them as possible
    lo, hi = similarity[finite].min(), similarity[finite].max()
    penalty = lo - (hi - lo + 1.0) * (min(similarity.shape) + 1)
    rows, cols = linear_sum_assignment(np.where(finite, similarity, penalty), maximize=True)
    keep = finite[rows, cols] & (similarity[rows, cols] >= threshold)
    return np.stack([rows[keep], cols[keep]], axis=1).astype(np.int64)


def sequential_assignment(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Detections in input order each take their most similar still-free track.

    This is the order of mmpose's own tracking (``get_track_id`` / ``_track_by_oks`` /
    ``_track_by_iou``): unlike :func:`greedy_assignment` it does not look for the globally most
    similar pair first, so the result depends on the order of the detections.

    Args:
        similarity: (T, N) similarities (higher is better).
        threshold: a detection whose best free track is below it is left unmatched.

    Returns:
        (M, 2) int64 array of matched ``(track_index, detection_index)`` pairs.
    """
    sim = np.array(similarity, dtype=np.float64)
    if sim.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = []
    for col in range(sim.shape[1]):  # inherently sequential: each choice removes a track
        row = int(np.argmax(sim[:, col]))
        if sim[row, col] >= threshold:
            pairs.append((row, col))
            sim[row] = -np.inf
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


ASSIGNERS = {'greedy': greedy_assignment, 'hungarian': hungarian_assignment,
             'sequential': sequential_assignment}
