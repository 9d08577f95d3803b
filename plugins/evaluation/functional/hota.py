"""HOTA (Higher Order Tracking Accuracy, Luiten et al., IJCV 2021) from similarity scores.

The computation is the one of the ``trackeval`` package's ``HOTA`` metric, written for many
sequences (and many joints) at once on flat arrays:

* one *cell* is one timestep of one *accumulator* (one sequence, or one joint of one sequence);
  ground-truth and predicted detections of a cell are compared by a similarity in ``[0, 1]``;
* per cell, a Hungarian assignment maximises the matching score -- ``trackeval``'s score
  ``alignment(gt id, pred id) * similarity`` (``alignment_weighted=True``), where alignment is
  the global Jaccard alignment of the two ids over the whole accumulator, or the similarity
  itself (``alignment_weighted=False``, what the PoseTrack21 keypoint kit does);
* at each localisation threshold ``alpha`` in :data:`ALPHAS` (0.05, 0.10, ..., 0.95) a match
  counts when its similarity is ``>= alpha``: TP / FN / FP, and per (gt id, pred id) pair the
  number of matched timesteps ``c`` give
  ``AssA = sum_pairs c^2 / (|gt id| + |pred id| - c) / TP`` (AssRe, AssPr alike),
  ``DetA = TP / (TP + FN + FP)``, ``HOTA = sqrt(DetA * AssA)``,
  ``LocA = mean similarity of the matches``.

Sums over accumulators of the same *group* (e.g. all sequences of one joint) are pooled the way
``trackeval.metrics.HOTA.combine_sequences`` pools sequences (TP-weighted AssA and LocA, summed
counts), so a group's numbers equal ``trackeval``'s combined result of its sequences.

Cells whose positive-similarity pairs form a matching (no detection with two candidates) are
resolved at once: every assignment of maximal score takes all those pairs. Only cells with
competing candidates run :func:`scipy.optimize.linear_sum_assignment`, on the dense cell matrix
(all detections of the cell in the given order, as ``trackeval`` builds it).
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

#: The 19 localisation thresholds of HOTA (``np.arange(0.05, 0.99, 0.05)`` as in trackeval).
ALPHAS = np.arange(0.05, 0.99, 0.05)
_EPS = np.finfo('float').eps

#: Per-alpha fields of :func:`hota_fields` (each (A, G)).
HOTA_ARRAY_FIELDS = ('HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr', 'LocA')


def _dense(values: np.ndarray) -> Tuple[np.ndarray, int]:
    uniq, inv = np.unique(np.asarray(values, np.int64), return_inverse=True)
    return inv.reshape(-1).astype(np.int64), len(uniq)


def hota_matches(gt_cell: np.ndarray, gt_id: np.ndarray, pr_cell: np.ndarray,
                 pr_id: np.ndarray, cand_gt: np.ndarray, cand_pr: np.ndarray,
                 cand_sim: np.ndarray, alignment_weighted: bool = True
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-cell HOTA assignment of ground-truth and predicted detections.

    Ids must be distinct between accumulators (encode the accumulator in the id), so one call
    handles any number of sequences and joints; the global alignment of an id pair is taken over
    all cells where both occur.

    Args:
        gt_cell: (G,) cell of each ground-truth detection, non-decreasing.
        gt_id: (G,) int64 ground-truth track id.
        pr_cell: (P,) cell of each predicted detection, non-decreasing.
        pr_id: (P,) int64 predicted track id.
        cand_gt: (C,) ground-truth row of each candidate pair.
        cand_pr: (C,) predicted row of each candidate pair (same cell as its ground truth).
        cand_sim: (C,) similarity in [0, 1] of each pair; pairs not listed have similarity 0.
        alignment_weighted: Maximise ``alignment * similarity`` (HOTA / trackeval) instead of
            the similarity (PoseTrack21 keypoint kit).

    Returns:
        ``(match_gt, match_pr, match_sim)``: the assigned pairs with similarity > 0 (rows and
        their similarity).
    """
    gt_cell = np.asarray(gt_cell, np.int64)
    pr_cell = np.asarray(pr_cell, np.int64)
    cand_gt = np.asarray(cand_gt, np.int64)
    cand_pr = np.asarray(cand_pr, np.int64)
    cand_sim = np.asarray(cand_sim, np.float64)
    if np.any(np.diff(gt_cell) < 0) or np.any(np.diff(pr_cell) < 0):
        raise ValueError('hota_matches: detections must be sorted by cell')
    if np.any(gt_cell[cand_gt] != pr_cell[cand_pr]):
        raise ValueError('hota_matches: a candidate pairs detections of different cells')
    if np.any(cand_sim < 0) or np.any(cand_sim > 1 + 1e-9) or not np.all(np.isfinite(cand_sim)):
        raise ValueError('hota_matches: similarities must be finite and in [0, 1]')
    keep = cand_sim > 0
    cand_gt, cand_pr, cand_sim = cand_gt[keep], cand_pr[keep], cand_sim[keep]
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if not len(cand_sim):
        return empty

    if alignment_weighted:
        g_dense, _ = _dense(gt_id)
        p_dense, n_p = _dense(pr_id)
        g_count = np.bincount(g_dense).astype(np.float64)
        p_count = np.bincount(p_dense).astype(np.float64)
        row_sum = np.bincount(cand_gt, cand_sim, minlength=len(gt_cell))
        col_sum = np.bincount(cand_pr, cand_sim, minlength=len(pr_cell))
        denom = row_sum[cand_gt] + col_sum[cand_pr] - cand_sim
        sim_iou = np.where(denom > _EPS, cand_sim / np.where(denom > _EPS, denom, 1), 0.0)
        key = g_dense[cand_gt] * n_p + p_dense[cand_pr]
        ukey, kinv = np.unique(key, return_inverse=True)
        potential = np.bincount(kinv, sim_iou)
        kg, kp = ukey // n_p, ukey % n_p
        align = potential / (g_count[kg] + p_count[kp] - potential)
        score = align[kinv] * cand_sim
    else:
        score = cand_sim

    n_row = np.bincount(cand_gt, minlength=len(gt_cell))
    n_col = np.bincount(cand_pr, minlength=len(pr_cell))
    cell = gt_cell[cand_gt]
    competing = (n_row[cand_gt] > 1) | (n_col[cand_pr] > 1)
    hard_cells = np.unique(cell[competing])
    hard = np.isin(cell, hard_cells)
    m_gt, m_pr, m_sim = [cand_gt[~hard]], [cand_pr[~hard]], [cand_sim[~hard]]
    if len(hard_cells):
        g_lo = np.searchsorted(gt_cell, hard_cells, 'left')
        g_hi = np.searchsorted(gt_cell, hard_cells, 'right')
        p_lo = np.searchsorted(pr_cell, hard_cells, 'left')
        p_hi = np.searchsorted(pr_cell, hard_cells, 'right')
        hc = np.flatnonzero(hard)
        hc = hc[np.argsort(cell[hc], kind='stable')]
        c_lo = np.searchsorted(cell[hc], hard_cells, 'left')
        c_hi = np.searchsorted(cell[hc], hard_cells, 'right')
        for c in range(len(hard_cells)):
            sel = hc[c_lo[c]:c_hi[c]]
            rows = cand_gt[sel] - g_lo[c]
            cols = cand_pr[sel] - p_lo[c]
            s_mat = np.zeros((g_hi[c] - g_lo[c], p_hi[c] - p_lo[c]))
            sim_mat = np.zeros_like(s_mat)
            s_mat[rows, cols] = score[sel]
            sim_mat[rows, cols] = cand_sim[sel]
            r, k = linear_sum_assignment(-s_mat)
            ok = sim_mat[r, k] > 0
            m_gt.append(r[ok] + g_lo[c])
            m_pr.append(k[ok] + p_lo[c])
            m_sim.append(sim_mat[r[ok], k[ok]])
    return (np.concatenate(m_gt).astype(np.int64), np.concatenate(m_pr).astype(np.int64),
            np.concatenate(m_sim).astype(np.float64))


@dataclass
class HotaSums:
    """Pooled HOTA counts of ``G`` groups at ``A`` thresholds (what trackeval combines).

    Attributes:
        alphas: (A,) thresholds.
        tp: (A, G) matches with similarity >= alpha.
        num_gt: (G,) ground-truth detections. num_pred: (G,) predicted detections.
        extra_fp: (A, G) false positives added on top of ``num_pred - tp`` (0 normally).
        extra_fn: (A, G) false negatives added on top of ``num_gt - tp`` (0 normally).
        loc: (A, G) summed similarity of the matches.
        ass_a: (A, G) ``sum c^2 / (|gt id| + |pred id| - c)`` over matched id pairs.
        ass_re: (A, G) ``sum c^2 / |gt id|``. ass_pr: (A, G) ``sum c^2 / |pred id|``.
    """

    alphas: np.ndarray
    tp: np.ndarray
    num_gt: np.ndarray
    num_pred: np.ndarray
    loc: np.ndarray
    ass_a: np.ndarray
    ass_re: np.ndarray
    ass_pr: np.ndarray
    extra_fp: Optional[np.ndarray] = None
    extra_fn: Optional[np.ndarray] = None

    @property
    def fn(self) -> np.ndarray:
        """(A, G) false negatives."""
        extra = 0 if self.extra_fn is None else self.extra_fn
        return self.num_gt[None].astype(np.float64) - self.tp + extra

    @property
    def fp(self) -> np.ndarray:
        """(A, G) false positives."""
        extra = 0 if self.extra_fp is None else self.extra_fp
        return self.num_pred[None].astype(np.float64) - self.tp + extra

    def fields(self) -> Dict[str, np.ndarray]:
        """``{HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA}`` (A, G) in [0, 1] and
        ``HOTA_TP``, ``HOTA_FN``, ``HOTA_FP`` (A, G), with trackeval's conventions (a
        quantity with an empty denominator is 0; LocA without matches is 1)."""
        tp, fn, fp = self.tp.astype(np.float64), self.fn, self.fp
        det_re = tp / np.maximum(1, tp + fn)
        det_pr = tp / np.maximum(1, tp + fp)
        det_a = tp / np.maximum(1, tp + fn + fp)
        ass_a = self.ass_a / np.maximum(1, tp)
        ass_re = self.ass_re / np.maximum(1, tp)
        ass_pr = self.ass_pr / np.maximum(1, tp)
        loc = np.maximum(1e-10, self.loc) / np.maximum(1e-10, tp)
        return dict(HOTA=np.sqrt(det_a * ass_a), DetA=det_a, AssA=ass_a, DetRe=det_re,
                    DetPr=det_pr, AssRe=ass_re, AssPr=ass_pr, LocA=loc, HOTA_TP=tp,
                    HOTA_FN=fn, HOTA_FP=fp)


def hota_sums(gt_group: np.ndarray, gt_id: np.ndarray, pr_group: np.ndarray,
              pr_id: np.ndarray, match_gt: np.ndarray, match_pr: np.ndarray,
              match_sim: np.ndarray, num_groups: int,
              alphas: np.ndarray = ALPHAS) -> HotaSums:
    """Count TP / FN / FP and the association sums of the matches at every threshold.

    Args:
        gt_group: (G,) output group of each ground-truth detection (e.g. its joint).
        gt_id: (G,) ground-truth track id (distinct between accumulators).
        pr_group: (P,) output group of each predicted detection.
        pr_id: (P,) predicted track id (distinct between accumulators).
        match_gt: (M,) ground-truth row of each match (:func:`hota_matches`).
        match_pr: (M,) predicted row of each match.
        match_sim: (M,) similarity of each match.
        num_groups: Number of groups.
        alphas: (A,) thresholds; a match counts at ``alpha`` when ``sim >= alpha - eps``.

    Returns:
        The :class:`HotaSums`.
    """
    gt_group = np.asarray(gt_group, np.int64)
    pr_group = np.asarray(pr_group, np.int64)
    alphas = np.asarray(alphas, np.float64)
    g_dense, _ = _dense(gt_id)
    p_dense, n_p = _dense(pr_id)
    g_count = np.bincount(g_dense).astype(np.float64) if len(g_dense) else np.zeros(0)
    p_count = np.bincount(p_dense).astype(np.float64) if len(p_dense) else np.zeros(0)
    shape = (len(alphas), num_groups)
    tp, loc = np.zeros(shape), np.zeros(shape)
    ass_a, ass_re, ass_pr = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    m_group = gt_group[match_gt]
    if len(match_gt) and np.any(pr_group[match_pr] != m_group):
        raise ValueError('hota_sums: a match pairs detections of different groups')
    key = g_dense[match_gt] * max(n_p, 1) + p_dense[match_pr]
    for a, alpha in enumerate(alphas):
        m = match_sim >= alpha - _EPS
        if not m.any():
            continue
        tp[a] = np.bincount(m_group[m], minlength=num_groups)
        loc[a] = np.bincount(m_group[m], match_sim[m], minlength=num_groups)
        ukey, first, c = np.unique(key[m], return_index=True, return_counts=True)
        kg, kp = ukey // max(n_p, 1), ukey % max(n_p, 1)
        grp = m_group[m][first]
        c = c.astype(np.float64)
        ass_a[a] = np.bincount(grp, c * c / np.maximum(1, g_count[kg] + p_count[kp] - c),
                               minlength=num_groups)
        ass_re[a] = np.bincount(grp, c * c / np.maximum(1, g_count[kg]), minlength=num_groups)
        ass_pr[a] = np.bincount(grp, c * c / np.maximum(1, p_count[kp]), minlength=num_groups)
    return HotaSums(alphas=alphas, tp=tp,
                    num_gt=np.bincount(gt_group, minlength=num_groups).astype(np.float64),
                    num_pred=np.bincount(pr_group, minlength=num_groups).astype(np.float64),
                    loc=loc, ass_a=ass_a, ass_re=ass_re, ass_pr=ass_pr)


def hota_from_similarities(gt_cell: np.ndarray, gt_id: np.ndarray, pr_cell: np.ndarray,
                           pr_id: np.ndarray, cand_gt: np.ndarray, cand_pr: np.ndarray,
                           cand_sim: np.ndarray, gt_group: Optional[np.ndarray] = None,
                           pr_group: Optional[np.ndarray] = None, num_groups: int = 1,
                           alignment_weighted: bool = True,
                           alphas: np.ndarray = ALPHAS) -> HotaSums:
    """:func:`hota_matches` then :func:`hota_sums` (groups default to one group ``0``)."""
    if gt_group is None:
        gt_group = np.zeros(len(gt_cell), np.int64)
    if pr_group is None:
        pr_group = np.zeros(len(pr_cell), np.int64)
    mg, mp, ms = hota_matches(gt_cell, gt_id, pr_cell, pr_id, cand_gt, cand_pr, cand_sim,
                              alignment_weighted)
    return hota_sums(gt_group, gt_id, pr_group, pr_id, mg, mp, ms, num_groups, alphas)
