"""A scipy stand-in for ``lap.lapjv``, which mmdet's ByteTrack and OC-SORT trackers call.

mmdet 3.3's ``ByteTracker`` and ``OCSORTTracker`` solve their assignments with the ``lap``
package (``lap.lapjv(cost, extend_cost=True, cost_limit=...)``) and refuse to start without
it; ``lap`` is not part of the pinned stack. :func:`lapjv` solves the same problem with
``scipy.optimize.linear_sum_assignment`` on the matrix ``lap`` itself builds for a cost limit
(every row and column may go unmatched at ``cost_limit / 2``), so the optimum is the same; when
several assignments are optimal (exact ties) the two solvers may pick different ones.
:func:`install_lap_fallback` puts it where mmdet's tracker modules look for ``lap`` when the real
package is missing; with ``lap`` installed nothing changes.
"""
import types

import numpy as np
from scipy.optimize import linear_sum_assignment


def lapjv(cost: np.ndarray, extend_cost: bool = False, cost_limit: float = np.inf,
          return_cost: bool = True):
    """Minimum-cost assignment with ``lap.lapjv``'s arguments and return values.

    Args:
        cost: (N, M) cost matrix (lower is better).
        extend_cost: allow a non-square matrix (as ``lap``: required when N != M unless a
            ``cost_limit`` is given).
        cost_limit: pairs costing more than this are left unassigned: each row and each column
            can instead stay unmatched at ``cost_limit / 2`` (``lap``'s extension).
        return_cost: return the total cost of the assigned pairs first.

    Returns:
        ``(total_cost, x, y)`` (or ``(x, y)``): ``x`` (N,) int the column assigned to each row,
        ``y`` (M,) int the row assigned to each column, -1 for unassigned.
    """
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f'lapjv: cost must be a 2-D matrix, got shape {c.shape}')
    n, m = c.shape
    if n != m and not extend_cost and not np.isfinite(cost_limit):
        raise ValueError('lapjv: a non-square cost matrix needs extend_cost=True or a '
                         'cost_limit')
    x = np.full(n, -1, dtype=np.int32)
    y = np.full(m, -1, dtype=np.int32)
    if n and m:
        if np.isfinite(cost_limit):
            big = np.full((n + m, n + m), cost_limit / 2.0)
            big[n:, m:] = 0
            big[:n, :m] = c
            rows, cols = linear_sum_assignment(big)
            keep = (rows < n) & (cols < m)
        else:
            rows, cols = linear_sum_assignment(c)
            keep = np.ones(len(rows), bool)
        x[rows[keep]] = cols[keep]
        y[cols[keep]] = rows[keep]
    if not return_cost:
        return x, y
    matched = x >= 0
    total = float(c[np.flatnonzero(matched), x[matched]].sum()) if matched.any() else 0.0
    return total, x, y


#: Module-like object with the one function mmdet uses.
SCIPY_LAP = types.SimpleNamespace(lapjv=lapjv, __name__='scipy-lapjv')


def install_lap_fallback() -> str:
    """Give mmdet's ByteTrack / OC-SORT trackers :func:`lapjv` if ``lap`` is not installed.

    Returns:
        ``'lap'`` when the real package is used, ``'scipy'`` when the fallback was installed.
    """
    from mmdet.models.trackers import byte_tracker, ocsort_tracker
    used = 'lap'
    for module in (byte_tracker, ocsort_tracker):
        if getattr(module, 'lap', None) is None:
            module.lap = SCIPY_LAP
        if module.lap is SCIPY_LAP:
            used = 'scipy'
    return used
