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
from motmetrics.lap import linear_sum_assignment


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


def _replay_frame(oids: np.ndarray, hids: np.ndarray, dists: np.ndarray,
                  last_hid: Dict[int, int]) -> list:
    """One ``MOTAccumulator.update`` (matching part only): returns matched ``(i, j)``."""
    n, m = dists.shape
    o_used = np.zeros(n, bool)
    h_used = np.zeros(m, bool)
    matches = []
    for i in range(n):
        prev = last_hid.get(int(oids[i]))
        if prev is None:
            continue
        j = np.flatnonzero(~h_used & (hids == prev))
        if not len(j):
            continue
        j = j[0]
        if np.isfinite(dists[i, j]):
            o_used[i] = h_used[j] = True
            matches.append((i, j))
    d = dists.copy()
    d[o_used, :] = np.nan
    d[:, h_used] = np.nan
    rows, cols = linear_sum_assignment(d)
    for i, j in zip(rows, cols):
        if np.isfinite(d[i, j]):
            matches.append((int(i), int(j)))
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
        # easy matches of each object id in time order, to look up the last one
        e_id = obj_id[m_obj[0]]
        e_cell = obj_cell[m_obj[0]]
        e_order = np.lexsort((e_cell, e_id))
        e_id, e_cell = e_id[e_order], e_cell[e_order]
        e_hid = hyp_id[m_hyp[0]][e_order]
        resolved: Dict[int, Tuple[int, int]] = {}
        h_order = np.argsort(cell[hard], kind='stable')
        hc_obj, hc_hyp, hc_dist = cand_obj[hard][h_order], cand_hyp[hard][h_order], \
            cand_dist[hard][h_order]
        hc_cell = obj_cell[hc_obj]
        c_lo = np.searchsorted(hc_cell, hard_cells, 'left')
        c_hi = np.searchsorted(hc_cell, hard_cells, 'right')
        o_lo = np.searchsorted(obj_cell, hard_cells, 'left')
        o_hi = np.searchsorted(obj_cell, hard_cells, 'right')
        h_lo = np.searchsorted(hyp_cell, hard_cells, 'left')
        h_hi = np.searchsorted(hyp_cell, hard_cells, 'right')
        r_obj, r_hyp, r_dist = [], [], []
        for c, cval in enumerate(hard_cells):
            oids = obj_id[o_lo[c]:o_hi[c]]
            hids = hyp_id[h_lo[c]:h_hi[c]]
            dists = np.full((len(oids), len(hids)), np.nan)
            sel = slice(c_lo[c], c_hi[c])
            dists[hc_obj[sel] - o_lo[c], hc_hyp[sel] - h_lo[c]] = hc_dist[sel]
            # last matched hypothesis id of each object before this cell
            last_hid: Dict[int, int] = {}
            for oid in oids.tolist():
                lo = np.searchsorted(e_id, oid, 'left')
                hi = np.searchsorted(e_id, oid, 'right')
                k = lo + np.searchsorted(e_cell[lo:hi], cval, 'left') - 1
                best_cell, best_hid = -1, None
                if k >= lo:
                    best_cell, best_hid = int(e_cell[k]), int(e_hid[k])
                r = resolved.get(oid)
                if r is not None and r[0] > best_cell:
                    best_hid = r[1]
                if best_hid is not None:
                    last_hid[oid] = best_hid
            for i, j in _replay_frame(oids, hids, dists, last_hid):
                resolved[int(oids[i])] = (int(cval), int(hids[j]))
                r_obj.append(o_lo[c] + i)
                r_hyp.append(h_lo[c] + j)
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
