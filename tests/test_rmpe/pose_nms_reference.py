"""A straightforward per-pose loop implementation of the parametric pose NMS.

It follows the algorithm as written — pick the most confident remaining pose, compare it with
every remaining pose one at a time, eliminate, repeat; then merge each group pose by pose — and
exists only as an independent reference for :func:`.parametric_pose_nms.parametric_pose_nms`
(tests check they agree; ``benchmarks/bench_pose_nms.py`` times the two). Do not use it in a
pipeline: it is slow.
"""
from typing import List, Optional

import numpy as np

from plugins.post_processing.parametric_pose_nms import (PoseNMSParams, PoseNMSResult,
                                                         check_pose_nms_inputs)


def _pair_similarity(ref_kpts: np.ndarray, ref_scores: np.ndarray, ref_box: np.ndarray,
                     kpts: np.ndarray, scores: np.ndarray, p: PoseNMSParams):
    """Similarity and match count of one pose to one reference pose, and their joint distances."""
    w, h = ref_box[2] - ref_box[0], ref_box[3] - ref_box[1]
    scale = max(w, h)
    dx = kpts[:, 0] - ref_kpts[:, 0]
    dy = kpts[:, 1] - ref_kpts[:, 1]
    dist = np.sqrt(dx * dx + dy * dy)
    d = dist / max(scale, np.finfo(np.float64).tiny) if p.distance_unit == 'box' else dist
    if p.ksim_window == 'box':
        window = (np.abs(dx) <= 0.5 * p.ksim_size * w) & (np.abs(dy) <= 0.5 * p.ksim_size * h)
    else:
        window = d <= p.ksim_size
    k_sim = (window * (np.tanh(ref_scores / p.sigma1) * np.tanh(scores / p.sigma1))).sum()
    power = d * d if p.spatial_kernel == 'gaussian' else d
    h_sim = np.exp(-power / p.sigma2).sum()
    match_r = p.match_radius * scale
    if p.match_radius_cap is not None:
        match_r = min(match_r, p.match_radius_cap)
    return k_sim + p.lam * h_sim, int((dist <= match_r).sum()), dist


def parametric_pose_nms_loop(keypoints: np.ndarray,
                             keypoint_scores: np.ndarray,
                             bboxes: np.ndarray,
                             bbox_scores: Optional[np.ndarray] = None,
                             params: Optional[PoseNMSParams] = None) -> PoseNMSResult:
    """The parametric pose NMS, one pose at a time (same arguments and result as the fast one)."""
    p = PoseNMSParams() if params is None else params
    kpts, scores, boxes, box_scores = check_pose_nms_inputs(keypoints, keypoint_scores, bboxes,
                                                            bbox_scores)
    n, k = kpts.shape[:2]
    scores = scores.copy()
    scores[scores == 0] = p.zero_score_eps
    remaining: List[int] = list(range(n))
    picks, groups = [], []
    while remaining:
        best = remaining[0]
        for j in remaining:  # first of the most confident, as argmax
            if scores[j].mean() > scores[best].mean():
                best = j
        group = []
        for j in remaining:
            sim, matches, _ = _pair_similarity(kpts[best], scores[best], boxes[best], kpts[j],
                                               scores[j], p)
            if j == best or sim > p.eta or (p.match_thr is not None and matches >= p.match_thr):
                group.append(j)
        remaining = [j for j in remaining if j not in group]
        picks.append(best)
        groups.append(group)

    out_kpts, out_scores, out_conf, keep, kept_groups = [], [], [], [], []
    for ref, group in zip(picks, groups):
        if p.score_thr is not None and scores[ref].max() < p.score_thr:
            continue
        scale = (boxes[ref, 2:] - boxes[ref, :2]).max()
        merge_r = p.merge_radius * scale
        if p.merge_radius_cap is not None:
            merge_r = min(merge_r, p.merge_radius_cap)
        weight_sum = np.zeros(k)
        pos_sum = np.zeros((k, 2))
        sq_sum = np.zeros(k)
        for j in group:
            _, _, dist = _pair_similarity(kpts[ref], scores[ref], boxes[ref], kpts[j], scores[j],
                                          p)
            w = np.where(dist <= merge_r, scores[j], 0.0)
            weight_sum += w
            pos_sum += w[:, None] * kpts[j]
            sq_sum += w * w
        merged = kpts[ref].copy()
        merged_s = scores[ref].copy()
        ok = weight_sum > 0
        merged[ok] = pos_sum[ok] / weight_sum[ok, None]
        merged_s[ok] = sq_sum[ok] / weight_sum[ok]
        if p.score_thr is not None and merged_s.max() < p.score_thr:
            continue
        if p.output_score == 'alphapose':
            conf = merged_s.mean() + box_scores[ref] + 1.25 * merged_s.max()
        else:
            conf = merged_s.mean()
        out_kpts.append(merged)
        out_scores.append(merged_s)
        out_conf.append(conf)
        keep.append(ref)
        kept_groups.append(group)

    order = sorted(range(len(keep)), key=lambda i: -out_conf[i])  # stable
    group_of = np.full(n, -1, np.int64)
    for pos, i in enumerate(order):
        group_of[kept_groups[i]] = pos
    return PoseNMSResult(
        keep=np.asarray([keep[i] for i in order], np.int64).reshape(-1),
        groups=group_of,
        keypoints=np.asarray([out_kpts[i] for i in order]).reshape(-1, k, 2),
        keypoint_scores=np.asarray([out_scores[i] for i in order]).reshape(-1, k),
        scores=np.asarray([out_conf[i] for i in order], np.float64).reshape(-1))
