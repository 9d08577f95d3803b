"""Keypoint HOTA of pose tracks, as the PoseTrack21 benchmark defines it.

The PoseTrack21 evaluation kit (``posetrack21.trackeval``, metric ``HOTAeypoints``) scores
tracking per joint, with HOTA's machinery (:mod:`.hota`) on keypoints instead of boxes:

* evaluated frames: the labeled frames (``is_labeled``); joints strictly inside the frame's
  ignore regions are removed on both sides (shapely ``contains``, as for AP and MOTA);
* one accumulator per joint and video: its detections are the persons having that joint;
* similarity of a ground-truth and a predicted joint: ``max(0, 1 - d / (t + 1e-4))`` with ``d``
  the distance in head sizes (0.6 x head-box diagonal, as PCKh) and ``t = dist_thresh`` (0.5):
  1 at the same place, 0 from ``t`` head sizes on (the kit's ``1 - d / 0.5001``);
* per frame and joint, the Hungarian assignment maximises the similarity (the kit does not
  weight it by HOTA's global id alignment); a match counts at threshold ``alpha`` when its
  similarity is ``>= alpha`` (19 thresholds 0.05..0.95);
* per joint, DetA / AssA / LocA / HOTA (and DetRe, DetPr, AssRe, AssPr) pooled over videos as
  trackeval combines sequences, then averaged over the 19 thresholds; the ``Total`` averages the
  joints (default mode: the joints with ground truth or predictions).

``mode='poseval'`` reproduces the kit's numbers (``docs/evaluation.md`` lists the differences):
a joint counts when both coordinates are > 0 (the kit ignores visibility flags and scores); a
frame without ground-truth persons adds the video's *total* number of predicted joints as false
positives and a frame without predictions the video's total of ground-truth joints as misses
(the kit adds the per-video totals ``num_tracker_joints`` / ``num_gt_joints`` instead of the
frame's); the Total is combined as the kit does (pooled detection counts over joints, AssA and
LocA per video averaged over joints and weighted by the video's matches).
"""
from typing import Dict

import numpy as np

from .flatten_videos import FlatVideos
from .hota import ALPHAS, HOTA_ARRAY_FIELDS, HotaSums, hota_matches, hota_sums

#: Summary keys of keypoint HOTA (percent, averaged over thresholds).
HOTA_KEYS = ('HOTA', 'DetA', 'AssA', 'LocA', 'DetRe', 'DetPr', 'AssRe', 'AssPr')


def keypoint_similarity(dist: np.ndarray, dist_thresh: float = 0.5) -> np.ndarray:
    """Similarity in [0, 1] from head-normalised distances (``inf`` -> 0).

    Args:
        dist: Distances in head sizes, any shape.
        dist_thresh: Distance at which the similarity reaches 0 (plus 1e-4, as the kit's
            ``0.5001``, so that a joint exactly at the threshold keeps a tiny similarity).

    Returns:
        ``max(0, 1 - dist / (dist_thresh + 1e-4))``, same shape.
    """
    d = np.asarray(dist, np.float64)
    with np.errstate(invalid='ignore'):
        sim = np.maximum(1.0 - d / (dist_thresh + 1e-4), 0.0)
    return np.where(np.isfinite(d), sim, 0.0)


def _dense_ids(video: np.ndarray, track: np.ndarray) -> np.ndarray:
    if not len(video):
        return np.zeros(0, np.int64)
    _, inv = np.unique(np.stack([video, track], 1), axis=0, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


def keypoint_hota(fv: FlatVideos, dist: np.ndarray, pair_gt: np.ndarray,
                  pair_pred: np.ndarray, dist_thresh: float = 0.5,
                  mode: str = 'default') -> Dict[str, object]:
    """Per-joint and total keypoint HOTA of flattened videos (see the module doc).

    Args:
        fv: Videos flattened by :func:`flatten_videos` with ``mode='default'`` (labeled frames).
        dist: (Q, J) head-normalised distance of every (ground truth, prediction) pair of a
            frame, ``inf`` where a joint is missing on either side.
        pair_gt: (Q,) ground-truth person of each pair. pair_pred: (Q,) predicted person.
        dist_thresh: Distance in head sizes where the similarity reaches 0.
        mode: ``'default'`` or ``'poseval'`` (the PoseTrack21 kit's numbers).

    Returns:
        ``dict(alphas=(A,), per_alpha={field: (A, J)}, per_joint={field: (J,)} (mean over
        alphas, percent), total={field: float} (percent), counts={HOTA_TP, HOTA_FN, HOTA_FP:
        (A, J)})``.
    """
    gt, pr = fv.gt, fv.pred
    n_joints = gt.present.shape[1]
    n_frames = fv.num_frames
    n_videos = max(len(fv.video_names), 1)
    g_present, p_present = gt.present.copy(), pr.present.copy()
    if mode == 'poseval':
        g_present &= (gt.keypoints > 0).all(-1)
        p_present &= (pr.keypoints > 0).all(-1)

    def table(poses, present, ids):
        p, k = np.nonzero(present)
        order = np.lexsort((p, k, poses.frame[p]))
        p, k = p[order], k[order]
        row_of = np.full(present.shape, -1, np.int64)
        row_of[p, k] = np.arange(len(p))
        video = fv.frame_video[poses.frame[p]]
        return k, poses.frame[p] * n_joints + k, ids[p] * n_joints + k, row_of, video

    g_ids = _dense_ids(fv.frame_video[gt.frame], gt.track_ids)
    p_ids = _dense_ids(fv.frame_video[pr.frame], pr.track_ids)
    o_joint, o_cell, o_id, o_row, o_video = table(gt, g_present, g_ids)
    h_joint, h_cell, h_id, h_row, h_video = table(pr, p_present, p_ids)

    sim = keypoint_similarity(dist, dist_thresh)
    q, k = np.nonzero(sim > 0)
    c_gt, c_pr = o_row[pair_gt[q], k], h_row[pair_pred[q], k]
    ok = (c_gt >= 0) & (c_pr >= 0)
    mg, mp, ms = hota_matches(o_cell, o_id, h_cell, h_id, c_gt[ok], c_pr[ok], sim[q, k][ok],
                              alignment_weighted=False)
    # groups: (video, joint) so that the kit's per-video Total can be formed
    n_groups = n_videos * n_joints
    sums = hota_sums(o_video * n_joints + o_joint, o_id, h_video * n_joints + h_joint, h_id,
                     mg, mp, ms, n_groups)
    a = len(sums.alphas)

    if mode == 'poseval':
        extra_fp = np.zeros((n_videos, n_joints))
        extra_fn = np.zeros((n_videos, n_joints))
        g_frame_joints = np.zeros((n_frames, n_joints))
        p_frame_joints = np.zeros((n_frames, n_joints))
        np.add.at(g_frame_joints, (gt.frame[np.nonzero(g_present)[0]],
                                   np.nonzero(g_present)[1]), 1)
        np.add.at(p_frame_joints, (pr.frame[np.nonzero(p_present)[0]],
                                   np.nonzero(p_present)[1]), 1)
        # persons the kit keeps: all, except in frames with ignore regions, where a person
        # without a joint left (outside the regions, coordinates > 0) is removed
        def persons(poses, present):
            keep = np.where(fv.frame_has_ignore[poses.frame], present.any(1), True)
            return np.bincount(poses.frame[keep], minlength=n_frames)

        g_persons = persons(gt, g_present)
        p_persons = persons(pr, p_present)
        seq_g = sums.num_gt.reshape(n_videos, n_joints)
        seq_p = sums.num_pred.reshape(n_videos, n_joints)
        for f in np.flatnonzero((g_persons == 0) | (p_persons == 0)):
            v = fv.frame_video[f]
            if g_persons[f] == 0:
                extra_fp[v] += seq_p[v] - p_frame_joints[f]
            else:
                extra_fn[v] += seq_g[v] - g_frame_joints[f]
        sums.extra_fp = np.broadcast_to(extra_fp.reshape(1, -1), (a, n_groups)).copy()
        sums.extra_fn = np.broadcast_to(extra_fn.reshape(1, -1), (a, n_groups)).copy()

    def per_joint(x):
        return None if x is None else x.reshape(a, n_videos, n_joints).sum(1)

    joint_sums = HotaSums(alphas=sums.alphas, tp=per_joint(sums.tp),
                          num_gt=sums.num_gt.reshape(n_videos, n_joints).sum(0),
                          num_pred=sums.num_pred.reshape(n_videos, n_joints).sum(0),
                          loc=per_joint(sums.loc), ass_a=per_joint(sums.ass_a),
                          ass_re=per_joint(sums.ass_re), ass_pr=per_joint(sums.ass_pr),
                          extra_fp=per_joint(sums.extra_fp), extra_fn=per_joint(sums.extra_fn))
    fields = joint_sums.fields()
    per_alpha = {f: fields[f] for f in HOTA_ARRAY_FIELDS}
    per_joint_mean = {f: 100 * per_alpha[f].mean(0) for f in HOTA_ARRAY_FIELDS}
    scored = (joint_sums.num_gt + joint_sums.num_pred) > 0
    if mode == 'poseval':
        total = _kit_total(sums, n_videos, n_joints)
    else:
        for f in HOTA_ARRAY_FIELDS:
            per_joint_mean[f] = np.where(scored, per_joint_mean[f], np.nan)
        total = {f: (float(np.mean(per_joint_mean[f][scored])) if scored.any() else np.nan)
                 for f in HOTA_ARRAY_FIELDS}
    return dict(alphas=sums.alphas, per_alpha=per_alpha, per_joint=per_joint_mean,
                total=total, counts={f: fields[f] for f in ('HOTA_TP', 'HOTA_FN', 'HOTA_FP')})


def _kit_total(sums: HotaSums, n_videos: int, n_joints: int) -> Dict[str, float]:
    """The kit's ``Total`` column: per video the joint mean of AssA/LocA/AssRe/AssPr and the
    joint sum of the counts, combined over videos like trackeval combines sequences."""
    a = len(sums.alphas)
    f = sums.fields()

    def r(x):
        return x.reshape(a, n_videos, n_joints)

    tp_v = r(f['HOTA_TP']).sum(2)  # (A, V)
    tp = tp_v.sum(1)
    fn = r(f['HOTA_FN']).sum(2).sum(1)
    fp = r(f['HOTA_FP']).sum(2).sum(1)
    out = {}
    for name in ('AssA', 'AssRe', 'AssPr'):
        out[name] = (r(f[name]).mean(2) * tp_v).sum(1) / np.maximum(1.0, tp)
    out['LocA'] = np.maximum(1e-10, (r(f['LocA']).mean(2) * tp_v).sum(1)) / \
        np.maximum(1e-10, tp)
    out['DetRe'] = tp / np.maximum(1, tp + fn)
    out['DetPr'] = tp / np.maximum(1, tp + fp)
    out['DetA'] = tp / np.maximum(1, tp + fn + fp)
    out['HOTA'] = np.sqrt(out['DetA'] * out['AssA'])
    return {k: float(100 * np.mean(v)) for k, v in out.items()}
