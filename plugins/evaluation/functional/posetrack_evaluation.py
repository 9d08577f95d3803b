"""PoseTrack multi-person pose estimation (AP) and tracking (MOTA) evaluation.

:func:`evaluate_posetrack` is the single entry point used by :class:`PoseTrackMetric`,
``tools/eval_posetrack.py``, the tests and the README. It computes what the official tool
(``poseval``) defines, vectorised over all frames:

* head size = 0.6 x ground-truth head-box diagonal; a joint is correct within
  ``dist_thresh`` (0.5) head sizes (PCKh@0.5);
* predictions are assigned to ground-truth persons greedily by PCKh
  (:mod:`.pose_assignment`); per joint, all predicted joints of all frames, scored by their
  confidence, give an all-point VOC AP (:mod:`.average_precision`);
* tracking: per joint and per video, the CLEAR MOT events of motmetrics' accumulator fed with
  ground-truth track ids, predicted track ids and head-normalised distances (pairs beyond the
  threshold cannot match) (:mod:`.clear_mot`); counts are summed over videos per joint, and
  MOTA / MOTP / precision / recall are averaged over joints;
* joints inside ignore regions are removed from ground truth and predictions.

``mode='poseval'`` reproduces the official tool's numbers including its defects;
``mode='default'`` computes the correct values. Every difference is listed in
``docs/evaluation.md``.
"""
import logging
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from .average_precision import joint_average_precision
from .clear_mot import clear_mot_matches
from .flatten_videos import MODES, FlatVideos, flatten_videos
from .head_normalised_distance import pair_joint_distances
from .keypoint_hota import keypoint_hota
from .joint_groups import keypoint_names_from_metainfo, resolve_evaluated_joints
from .pose_assignment import greedy_pckh_assignment, pairs_within_frames, pckh_of_pairs
from .posetrack_result import PoseTrackResult

logger = logging.getLogger(__name__)

#: Metrics :func:`evaluate_posetrack` can compute.
METRICS = ('map', 'mota', 'hota')

#: Score the official tool gives a predicted joint without a score (NaN scores here).
MIN_SCORE = -9999.0


def _dense_ids(video: np.ndarray, track: np.ndarray) -> np.ndarray:
    """Dense ids of ``(video, track id)`` pairs (distinct between videos)."""
    if not len(video):
        return np.zeros(0, np.int64)
    _, inv = np.unique(np.stack([video, track], 1), axis=0, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


def _check_unique_ids(frame: np.ndarray, tid: np.ndarray, fv: FlatVideos, side: str) -> None:
    if not len(frame):
        return
    key = np.stack([frame, tid], 1)
    _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        bad = first[np.argmax(counts > 1)]
        raise ValueError(f'{fv.frame_where[frame[bad]]}: {side} track id {tid[bad]} occurs '
                         f'{counts.max()} times in one frame; track ids must be unique per frame')


def _tracking_ids_usable(fv: FlatVideos) -> bool:
    """Whether track ids allow tracking evaluation (error on partial ids)."""
    for side, poses in (('predicted', fv.pred), ('ground-truth', fv.gt)):
        missing = poses.track_ids < 0
        if missing.all() and len(missing):
            logger.warning('PoseTrack evaluation: the %s persons have no track ids; '
                           'tracking (MOTA) is not evaluated', side)
            return False
        if missing.any():
            bad = np.argmax(missing)
            raise ValueError(f'{fv.frame_where[poses.frame[bad]]}: a {side} person has no '
                             f'track id (-1) while others have one')
        _check_unique_ids(poses.frame, poses.track_ids, fv, side)
    return True


def _evaluate_tracking(fv: FlatVideos, dist: np.ndarray, match: np.ndarray,
                       pair_gt: np.ndarray, pair_pred: np.ndarray, mode: str) -> dict:
    """Per-joint CLEAR MOT counts and MOTA / MOTP / precision / recall."""
    gt, pr = fv.gt, fv.pred
    n_frames = fv.num_frames
    n_joints = gt.present.shape[1]
    tracked = np.ones(n_frames, bool)
    fake = np.zeros(n_frames, bool)
    if mode == 'poseval':
        # the official tool drops the last evaluated frame of every video from tracking ...
        last = np.r_[fv.frame_video[1:] != fv.frame_video[:-1], True]
        tracked &= ~last
        # ... and replaces a frame without ground truth or without predictions (persons
        # counted after the ignore-region clean-up) by one miss and one false positive
        def persons(poses):
            keep = np.where(fv.frame_has_ignore[poses.frame], poses.present.any(1), True)
            return np.bincount(poses.frame[keep], minlength=n_frames)
        fake = tracked & ((persons(gt) == 0) | (persons(pr) == 0))
        tracked &= ~fake

    def table(poses, ids):
        """Rows (person, joint) of tracked frames, sorted by (frame, joint, person)."""
        p, k = np.nonzero(poses.present & tracked[poses.frame][:, None])
        order = np.lexsort((p, k, poses.frame[p]))
        p, k = p[order], k[order]
        row_of = np.full(poses.present.shape, -1, np.int64)
        row_of[p, k] = np.arange(len(p))
        cell = poses.frame[p] * n_joints + k
        return p, k, cell, ids[p] * n_joints + k, row_of

    g_ids = _dense_ids(fv.frame_video[gt.frame], gt.track_ids)
    p_ids = _dense_ids(fv.frame_video[pr.frame], pr.track_ids)
    _, o_joint, o_cell, o_id, o_row = table(gt, g_ids)
    _, h_joint, h_cell, h_id, h_row = table(pr, p_ids)

    q, k = np.nonzero(match & tracked[gt.frame[pair_gt]][:, None])
    c_obj = o_row[pair_gt[q], k]
    c_hyp = h_row[pair_pred[q], k]
    c_dist = dist[q, k]
    m = clear_mot_matches(o_cell, o_id, h_cell, h_id, c_obj, c_hyp, c_dist)

    def per_joint(joints, weights=None):
        return np.bincount(joints, weights=weights, minlength=n_joints).astype(np.float64)

    n_fake = float(fake.sum())
    num_objects = per_joint(o_joint) + n_fake
    num_hyps = per_joint(h_joint) + n_fake
    m_joint = o_joint[m.obj]
    num_detections = per_joint(m_joint)
    num_switches = per_joint(m_joint, m.is_switch)
    num_misses = num_objects - num_detections
    num_fp = num_hyps - num_detections
    sum_d = per_joint(m_joint, m.dist)
    if mode == 'poseval':
        # ``accumulator.events['D'].sum()``: the raw input distances and those of the
        # ASCEND / TRANSFER / MIGRATE events are summed along with the matched ones
        extra = m.is_ascend.astype(np.float64) + m.is_transfer + m.is_migrate
        sum_d = sum_d + per_joint(o_joint[c_obj], c_dist) + per_joint(m_joint, m.dist * extra)
    with np.errstate(divide='ignore', invalid='ignore'):
        objects = np.where(num_objects > 0, num_objects, np.nan)
        mota = 100 * (1 - (num_misses + num_switches + num_fp) / objects)
        motp = 100 * (1 - sum_d / num_detections)
        motp[num_detections == 0] = 0.0 if mode == 'poseval' else np.nan
        total_det = np.where(num_fp + num_detections > 0, num_fp + num_detections, np.nan)
        precision = 100 * num_detections / total_det
        recall = 100 * num_detections / objects
    return dict(mota=mota, motp=motp, precision=precision, recall=recall,
                num_switches=num_switches, num_misses=num_misses,
                num_false_positives=num_fp, num_objects=num_objects,
                num_detections=num_detections)


def head_segment_joints(names: Sequence[str]) -> tuple:
    """Indices of ``head_top`` and of the neck joint (``head_bottom``/``upper_neck``/``neck``)."""
    neck = [n for n in ('head_bottom', 'upper_neck', 'neck') if n in names]
    if 'head_top' not in names or not neck:
        raise ValueError(f'head_size_fallback="head_segment" needs head_top and head_bottom '
                         f'(or upper_neck/neck) keypoints, got {list(names)}')
    return names.index('head_top'), names.index(neck[0])


def evaluate_posetrack(gt_videos: Sequence[Any],
                       pred_videos: Union[Sequence[Any], Mapping[str, Any]],
                       metainfo: Optional[Union[Mapping, Sequence[str]]] = None,
                       joint_names: Optional[Sequence[str]] = None,
                       mode: str = 'default',
                       dist_thresh: float = 0.5,
                       head_size_fallback: Optional[str] = None,
                       metrics: Sequence[str] = ('map', 'mota')) -> PoseTrackResult:
    """Evaluate predicted pose tracks against PoseTrack-style ground truth.

    Args:
        gt_videos: Ground-truth videos, e.g. :class:`plugins.datasets.posetrack_json.
            VideoAnnotation` (``.name``, ``.frames``; frames with ``keypoints`` (N, K, 2),
            ``keypoint_scores`` (N, K) visibility, ``track_ids``, ``head_bboxes`` (N, 4)
            ``xyxy``, ``ignore_regions``, ``is_labeled``).
        pred_videos: Predicted videos in the same order, or ``{name: video}``; frames with
            ``keypoints``, ``keypoint_scores`` (confidences) and ``track_ids`` (-1 for all
            persons: tracking is not evaluated).
        metainfo: Keypoint names of the ``K`` keypoints: a list, mmpose ``dataset_meta`` or
            ``dataset_info`` dict; default: ``gt_videos[0].keypoint_names``.
        joint_names: Keypoints to score; default: the PoseTrack joints found by name
            (:func:`resolve_evaluated_joints`).
        mode: ``'default'`` (correct values) or ``'poseval'`` (the official tool's numbers).
        dist_thresh: PCKh threshold in head sizes.
        head_size_fallback: ``None``: a ground-truth person with annotated joints but no head
            box is an error (as in the official tool). ``'head_segment'``: its head size is
            derived from its head_top / head_bottom (neck) joints, else the median of its
            track (:func:`flatten_videos`); for data without head boxes such as most of the
            Bonn PoseTrack training set.
        metrics: Any of ``'map'`` (per-joint AP; always computed), ``'mota'`` (CLEAR MOT) and
            ``'hota'`` (keypoint HOTA of PoseTrack21, :mod:`.keypoint_hota`; in
            ``mode='poseval'`` the PoseTrack21 kit's numbers). Tracking metrics need track ids.

    Returns:
        The :class:`PoseTrackResult`.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    metrics = [str(m).lower() for m in metrics]
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(f'unknown metrics {unknown}; choose from {list(METRICS)}')
    gt_videos = list(gt_videos)
    if isinstance(pred_videos, Mapping):
        missing = [str(v.name) for v in gt_videos if str(v.name) not in pred_videos]
        if missing:
            raise ValueError(f'no predictions for the videos {missing}')
        pred_videos = [pred_videos[str(v.name)] for v in gt_videos]
    pred_videos = list(pred_videos)
    if metainfo is None:
        names = list(getattr(gt_videos[0], 'keypoint_names', []) or []) if gt_videos else []
        if not names:
            raise ValueError('keypoint names unknown: pass metainfo (names or dataset_meta)')
    else:
        names = keypoint_names_from_metainfo(metainfo)
    idx, jnames, groups = resolve_evaluated_joints(names, joint_names)
    segment = None
    if head_size_fallback == 'head_segment':
        segment = head_segment_joints(names)
    elif head_size_fallback is not None:
        raise ValueError(f'head_size_fallback must be None or "head_segment", got '
                         f'{head_size_fallback!r}')
    fv = flatten_videos(gt_videos, pred_videos, len(names), idx, mode, head_segment=segment)
    gt, pr = fv.gt, fv.pred
    n_joints = len(idx)

    # head sizes: needed for every ground-truth person with an annotated joint
    needs_head = gt.present.any(1)
    bad = needs_head & ~np.isfinite(gt.head_size)
    if mode == 'default':
        bad |= needs_head & (gt.head_size <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f'{fv.frame_where[gt.frame[i]]}: ground-truth person {i} (track '
                         f'{gt.track_ids[i]}) has annotated joints but no usable head box '
                         f'(head size {gt.head_size[i]}); head_size_fallback="head_segment" '
                         'derives missing ones from the head joints')

    pair_gt, pair_pred = pairs_within_frames(gt.frame, pr.frame, fv.num_frames)
    dist = pair_joint_distances(gt.keypoints, gt.present, gt.head_size, pr.keypoints,
                                pr.present, pair_gt, pair_pred)
    match = dist <= dist_thresh
    pck = pckh_of_pairs(match, gt.present.sum(1), pair_gt)
    pred_to_gt, pred_to_pair = greedy_pckh_assignment(pck, pair_gt, pair_pred, len(pr.frame))

    # per-joint AP over all frames
    labels = np.zeros(pr.present.shape, bool)
    assigned = pred_to_pair >= 0
    labels[assigned] = match[pred_to_pair[assigned]]
    scores = np.where(np.isnan(pr.scores), MIN_SCORE, pr.scores)
    num_gt = gt.present.sum(0)
    ap = np.zeros(n_joints)
    ap_pre = np.zeros(n_joints)
    ap_rec = np.zeros(n_joints)
    for k in range(n_joints):
        sel = pr.present[:, k]
        if mode == 'poseval' and not sel.any():
            continue  # the official tool reports 0 for a joint without predictions
        ap[k], ap_pre[k], ap_rec[k] = joint_average_precision(
            scores[sel, k], labels[sel, k], int(num_gt[k]), group_ties=mode != 'poseval')

    result = PoseTrackResult(joint_names=jnames, joint_groups=groups, mode=mode, ap=ap,
                             ap_precision=ap_pre, ap_recall=ap_rec,
                             num_gt_joints=num_gt.astype(np.float64),
                             num_videos=len(gt_videos), num_frames=fv.num_frames)
    if not ({'mota', 'hota'} & set(metrics)):
        return result
    if _tracking_ids_usable(fv):
        if 'mota' in metrics:
            result.mot = _evaluate_tracking(fv, dist, match, pair_gt, pair_pred, mode)
        if 'hota' in metrics:
            if mode != 'default':  # the PoseTrack21 kit scores the labeled frames
                fv = flatten_videos(gt_videos, pred_videos, len(names), idx, 'default',
                                    head_segment=segment)
                pair_gt, pair_pred = pairs_within_frames(fv.gt.frame, fv.pred.frame,
                                                         fv.num_frames)
                dist = pair_joint_distances(fv.gt.keypoints, fv.gt.present,
                                            fv.gt.head_size, fv.pred.keypoints,
                                            fv.pred.present, pair_gt, pair_pred)
            result.hota = keypoint_hota(fv, dist, pair_gt, pair_pred, dist_thresh, mode)
    else:
        result.notes.append('tracking not evaluated: persons without track ids')
    return result
