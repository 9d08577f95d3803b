"""CLEAR MOT matching of objects and hypotheses over frames, identical to motmetrics.

``motmetrics.MOTAccumulator.update`` matches, frame by frame, the objects (ground-truth ids)
and hypotheses (predicted ids) whose distance is finite:

1. an object keeps the hypothesis it was last matched to, when that one is present and within
   reach (objects in the order given);
2. the remaining pairs are matched by a minimum-cost assignment; a match of an object that was
   last matched to another hypothesis is an identity switch;
3. unmatched objects are misses, unmatched hypotheses false positives.

This module computes the same matches and events for many frames and sequences at once. In a
frame where no object and no hypothesis has more than one candidate, every candidate pair is
matched whatever the history (the assignment includes all of them), so those frames are
resolved in one vectorised step. Only frames with competing candidates (rare with the PCKh
threshold) are replayed one by one, in time order, with the accumulator's exact rules and its
assignment solver. Switches and the accumulator's extra event types (``ASCEND``, ``TRANSFER``,
``MIGRATE``) follow from the chronological match list.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np
from motmetrics import lap as mm_lap
from scipy.optimize import linear_sum_assignment as scipy_linear_sum_assignment


@dataclass
class ClearMotMatches:
    """Matches found by :func:`clear_mot_matches` (one entry per match).

    Attributes:
        obj: Object row of each match.
        hyp: Hypothesis row of each match.
        dist: Distance of each match.
        is_switch: The object was last matched to a different hypothesis id (``SWITCH``).
        is_ascend: A switch to a hypothesis id never matched before (``ASCEND`` event).
        is_transfer: The hypothesis id was last matched, by the assignment step, to a
            different object (``TRANSFER`` event).
        is_migrate: A transfer whose object was never matched before (``MIGRATE`` event).
    """

    obj: np.ndarray
    hyp: np.ndarray
    dist: np.ndarray
    is_switch: np.ndarray
    is_ascend: np.ndarray
    is_transfer: np.ndarray
    is_migrate: np.ndarray


def _previous_in_group(group: np.ndarray, time: np.ndarray,
                       value: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """For each entry, the ``value`` of the latest earlier entry of the same group.

    Returns:
        ``(has_previous, previous_value)`` in the input order.
    """
    order = np.lexsort((time, group))
    g = group[order]
    has = np.r_[False, g[1:] == g[:-1]]
    prev = np.r_[value[order][:1], value[order][:-1]]
    out_has = np.empty_like(has)
    out_prev = np.empty_like(prev)
    out_has[order] = has
    out_prev[order] = prev
    return out_has, out_prev


def _assignment(costs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``motmetrics.lap.linear_sum_assignment`` (same solver, same result), faster.

    With motmetrics' default solver being scipy, its cost transform (invalid edges get
    ``2 * min(shape) * (max |valid| + 1) + 1``) is applied here and scipy called directly;
    with any other default solver, motmetrics' function is called.
    """
    if mm_lap.default_solver != 'scipy':
        return mm_lap.linear_sum_assignment(costs)
    valid = np.isfinite(costs)
    if valid.all():
        finite = costs
    elif not valid.any():
        finite = np.zeros_like(costs)
    else:
        big = 2 * min(costs.shape) * (np.abs(costs[valid]).max() + 1) + 1
        finite = np.where(valid, costs, big)
    rows, cols = scipy_linear_sum_assignment(finite)
    keep = valid[rows, cols]
    return rows[keep], cols[keep]


def _replay_frame(oids: list, hids: list, dists: np.ndarray, last_hid: list) -> list:
    """One ``MOTAccumulator.update`` (matching part only).

    Args:
        oids: Object ids of the frame, in update order.
        hids: Hypothesis ids (unique within the frame), in update order.
        dists: (n, m) distances, NaN = cannot match.
        last_hid: For each object, the hypothesis id it was last matched to (or ``None``).

    Returns:
        Matched ``(i, j)`` pairs.
    """
    col = {h: j for j, h in enumerate(hids)}
    h_used = set()
    o_used = []
    matches = []
    for i, prev in enumerate(last_hid):  # 1. keep previous matches still within reach
        if prev is None:
            continue
        j = col.get(prev)
        if j is not None and j not in h_used and np.isfinite(dists[i, j]):
            h_used.add(j)
            o_used.append(i)
            matches.append((i, j))
    d = dists.copy()
    if matches:
        d[o_used, :] = np.nan
        d[:, list(h_used)] = np.nan
    rows, cols = _assignment(d)  # 2. minimum-cost assignment of the rest
    matches.extend(zip(rows.tolist(), cols.tolist()))
    return matches


def clear_mot_matches(obj_cell: np.ndarray, obj_id: np.ndarray, hyp_cell: np.ndarray,
                      hyp_id: np.ndarray, cand_obj: np.ndarray, cand_hyp: np.ndarray,
                      cand_dist: np.ndarray) -> ClearMotMatches:
    """Match objects and hypotheses of all frames (see the module doc).

    A *cell* is one accumulator update: one frame of one accumulator (e.g. one joint of one
    sequence). Cell ids must increase with time within an accumulator; ids of objects and
    hypotheses must be unique within a cell and distinct between accumulators (encode the
    accumulator in the id), so one call handles any number of accumulators.

    Args:
        obj_cell: (No,) cell of each object, non-decreasing; within a cell, rows are in the
            order the objects would be passed to ``update``.
        obj_id: (No,) int64 object (ground-truth track) id.
        hyp_cell: (Nh,) cell of each hypothesis, non-decreasing, in ``update`` order.
        hyp_id: (Nh,) int64 hypothesis (predicted track) id.
        cand_obj: (C,) object row of each candidate pair (finite distance).
        cand_hyp: (C,) hypothesis row of each candidate pair (same cell as its object).
        cand_dist: (C,) finite distance of each candidate pair.

    Returns:
        The matches and their event flags.
    """
    obj_cell = np.asarray(obj_cell, np.int64)
    hyp_cell = np.asarray(hyp_cell, np.int64)
    obj_id = np.asarray(obj_id, np.int64)
    hyp_id = np.asarray(hyp_id, np.int64)
    cand_obj = np.asarray(cand_obj, np.int64)
    cand_hyp = np.asarray(cand_hyp, np.int64)
    cand_dist = np.asarray(cand_dist, np.float64)
    if np.any(np.diff(obj_cell) < 0) or np.any(np.diff(hyp_cell) < 0):
        raise ValueError('objects and hypotheses must be sorted by cell')
    cell = obj_cell[cand_obj]
    if np.any(hyp_cell[cand_hyp] != cell):
        raise ValueError('a candidate pairs an object and a hypothesis of different cells')

    # cells where some object or hypothesis has competing candidates
    n_obj = np.bincount(cand_obj, minlength=len(obj_id))
    n_hyp = np.bincount(cand_hyp, minlength=len(hyp_id))
    competing = (n_obj[cand_obj] > 1) | (n_hyp[cand_hyp] > 1)
    hard_cells = np.unique(cell[competing])
    hard = np.isin(cell, hard_cells)

    m_obj = [cand_obj[~hard]]
    m_hyp = [cand_hyp[~hard]]
    m_dist = [cand_dist[~hard]]

    if len(hard_cells):
        # easy matches sorted by (object id, cell), to look up the last one before a cell
        e_id = obj_id[m_obj[0]]
        e_cell = obj_cell[m_obj[0]]
        e_order = np.lexsort((e_cell, e_id))
        e_id, e_cell = e_id[e_order], e_cell[e_order]
        e_hid = hyp_id[m_hyp[0]][e_order]
        # objects and candidates of the hard cells (contiguous per cell)
        o_lo = np.searchsorted(obj_cell, hard_cells, 'left')
        o_hi = np.searchsorted(obj_cell, hard_cells, 'right')
        h_lo = np.searchsorted(hyp_cell, hard_cells, 'left')
        h_hi = np.searchsorted(hyp_cell, hard_cells, 'right')
        hc = np.flatnonzero(hard)
        hc = hc[np.argsort(cell[hc], kind='stable')]
        c_lo = np.searchsorted(cell[hc], hard_cells, 'left')
        c_hi = np.searchsorted(cell[hc], hard_cells, 'right')
        # last easy match of every object of a hard cell, before that cell (vectorised)
        rows = np.concatenate([np.arange(a, b) for a, b in zip(o_lo, o_hi)])
        span = int(max(obj_cell.max(), 0)) + 2
        pos = np.searchsorted(e_id * span + e_cell, obj_id[rows] * span + obj_cell[rows]) - 1
        posc = np.maximum(pos, 0)
        found = (pos >= 0) & (e_id[posc] == obj_id[rows]) if len(e_id) else \
            np.zeros(len(rows), bool)
        easy_cell = np.where(found, e_cell[posc] if len(e_id) else -1, -1)
        easy_hid = np.where(found, e_hid[posc] if len(e_id) else -1, -1)
        row_start = np.concatenate([[0], np.cumsum(o_hi - o_lo)])
        resolved: Dict[int, Tuple[int, int]] = {}
        r_obj, r_hyp, r_dist = [], [], []
        obj_id_l, hyp_id_l = obj_id.tolist(), hyp_id.tolist()
        easy_cell_l, easy_hid_l = easy_cell.tolist(), easy_hid.tolist()
        o_lo_l, o_hi_l, h_lo_l, h_hi_l = o_lo.tolist(), o_hi.tolist(), h_lo.tolist(), h_hi.tolist()
        c_lo_l, c_hi_l, row_start_l = c_lo.tolist(), c_hi.tolist(), row_start.tolist()
        for c, cval in enumerate(hard_cells.tolist()):
            oids = obj_id_l[o_lo_l[c]:o_hi_l[c]]
            hids = hyp_id_l[h_lo_l[c]:h_hi_l[c]]
            sel = hc[c_lo_l[c]:c_hi_l[c]]
            dists = np.full((len(oids), len(hids)), np.nan)
            dists[cand_obj[sel] - o_lo_l[c], cand_hyp[sel] - h_lo_l[c]] = cand_dist[sel]
            last = []
            for i, oid in enumerate(oids):
                r = row_start_l[c] + i
                best_cell = easy_cell_l[r]
                best = easy_hid_l[r] if best_cell >= 0 else None
                res = resolved.get(oid)
                if res is not None and res[0] > best_cell:
                    best = res[1]
                last.append(best)
            for i, j in _replay_frame(oids, hids, dists, last):
                resolved[oids[i]] = (cval, hids[j])
                r_obj.append(o_lo_l[c] + i)
                r_hyp.append(h_lo_l[c] + j)
                r_dist.append(dists[i, j])
        m_obj.append(np.asarray(r_obj, np.int64))
        m_hyp.append(np.asarray(r_hyp, np.int64))
        m_dist.append(np.asarray(r_dist, np.float64))

    mo = np.concatenate(m_obj)
    mh = np.concatenate(m_hyp)
    md = np.concatenate(m_dist)
    t = obj_cell[mo]
    oid, hid = obj_id[mo], hyp_id[mh]
    had_obj, prev_hid = _previous_in_group(oid, t, hid)
    is_switch = had_obj & (prev_hid != hid)
    kept = had_obj & (prev_hid == hid)  # re-established in step 1
    had_hyp, _ = _previous_in_group(hid, t, oid)
    is_ascend = is_switch & ~had_hyp
    is_transfer = np.zeros(len(mo), bool)
    step2 = np.flatnonzero(~kept)
    if len(step2):
        had2, prev_oid2 = _previous_in_group(hid[step2], t[step2], oid[step2])
        is_transfer[step2] = had2 & (prev_oid2 != oid[step2])
    is_migrate = is_transfer & ~had_obj
    return ClearMotMatches(obj=mo, hyp=mh, dist=md, is_switch=is_switch, is_ascend=is_ascend,
                           is_transfer=is_transfer, is_migrate=is_migrate)
