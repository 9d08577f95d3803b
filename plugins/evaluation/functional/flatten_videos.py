"""Gather the ground truth and predictions of many videos into flat per-person arrays.

Evaluation runs on these arrays for all frames at once. Only evaluated frames are kept:
frames with ground-truth persons (``mode='poseval'``, as the official tool) or labeled frames
(default, so predictions on a labeled frame with nobody count as false positives).
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .head_normalised_distance import head_size
from .ignore_regions import points_in_ignore_regions

MODES = ('default', 'poseval')

#: Head-box diagonal per head_top-head_bottom distance, used by ``head_size_fallback=
#: 'head_segment'`` for persons without a head box: the median over the 1,150 persons of the
#: Bonn PoseTrack training data that have both (10th-90th percentile 1.25-1.38).
HEAD_DIAGONAL_PER_SEGMENT = 1.26


@dataclass
class FlatPoses:
    """Persons of all evaluated frames, sorted by frame.

    Attributes:
        frame: (N,) evaluated-frame index of each person.
        keypoints: (N, J, 2) float64 scored joints.
        present: (N, J) bool, joint annotated / predicted (and outside ignore regions).
        scores: (N, J) float64 visibility (ground truth) or confidence (predictions).
        track_ids: (N,) int64 track ids as given (-1: none).
        head_size: (N,) float64 head sizes (ground truth only; NaN for predictions).
    """

    frame: np.ndarray
    keypoints: np.ndarray
    present: np.ndarray
    scores: np.ndarray
    track_ids: np.ndarray
    head_size: np.ndarray


@dataclass
class FlatVideos:
    """All evaluated frames of a set of videos.

    Attributes:
        frame_video: (F,) video position of each evaluated frame (frames in time order).
        frame_has_ignore: (F,) bool, the ground-truth frame has ignore regions.
        frame_where: (F,) ``'video:frame_index'`` labels for error messages.
        video_names: Names of the videos, in input order.
        gt: Ground-truth persons.
        pred: Predicted persons.
    """

    frame_video: np.ndarray
    frame_has_ignore: np.ndarray
    frame_where: List[str]
    video_names: List[str]
    gt: FlatPoses
    pred: FlatPoses
    ignore_regions: Dict[int, list] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        """Number of evaluated frames ``F``."""
        return len(self.frame_video)


def _arrays(frame: Any, k: int, idx: Sequence[int], where: str, side: str) -> tuple:
    kp = np.asarray(frame.keypoints, np.float64)
    n = kp.shape[0] if kp.ndim >= 1 else 0
    if n == 0:
        return (np.zeros((0, len(idx), 2)), np.zeros((0, len(idx))), np.zeros(0, np.int64),
                np.zeros((0, 4)))
    if kp.ndim != 3 or kp.shape[1:] != (k, 2):
        raise ValueError(f'{where}: {side} keypoints must have shape (N, {k}, 2) for the {k} '
                         f'keypoint names, got {kp.shape}')
    sc = np.asarray(frame.keypoint_scores, np.float64)
    if sc.shape != (n, k):
        raise ValueError(f'{where}: {side} keypoint_scores must have shape ({n}, {k}), got '
                         f'{sc.shape}')
    tid = frame.track_ids
    tid = np.full(n, -1, np.int64) if tid is None else np.asarray(tid).astype(np.int64)
    if tid.shape != (n,):
        raise ValueError(f'{where}: {side} track_ids must have shape ({n},), got {tid.shape}')
    head = getattr(frame, 'head_bboxes', None)
    head = np.full((n, 4), np.nan) if head is None else np.asarray(head, np.float64)
    if head.shape != (n, 4):
        raise ValueError(f'{where}: {side} head_bboxes must have shape ({n}, 4), got '
                         f'{head.shape}')
    return kp[:, idx], sc[:, idx], tid, head


def flatten_videos(gt_videos: Sequence[Any], pred_videos: Sequence[Any], num_keypoints: int,
                   joint_indices: Sequence[int], mode: str = 'default',
                   head_segment: Optional[Tuple[int, int]] = None) -> FlatVideos:
    """Collect the evaluated frames of paired videos.

    Frames are paired by position (as the official tool does); both videos must have the same
    number of frames, and where both frames carry a ``frame_index`` they must agree.

    Joint presence: a predicted joint counts unless its coordinates are not finite or it is
    ``(0, 0)`` with score 0 (how PoseTrack files mark a missing joint). A ground-truth joint
    counts when its visibility flag is > 0 (default) or, in ``'poseval'`` mode, unless it is
    ``(0, 0)`` with flag 0 (the official converter's rule). Joints strictly inside an ignore
    region of the ground-truth frame are removed on both sides.

    Args:
        gt_videos: Ground-truth videos (``.name``, ``.frames`` of objects with ``keypoints``,
            ``keypoint_scores`` (visibility), ``track_ids``, ``head_bboxes``,
            ``ignore_regions``, ``is_labeled``), e.g. :class:`VideoAnnotation`.
        pred_videos: Predicted videos, same order and frame count (``keypoint_scores`` are
            confidences; ``head_bboxes`` and ``ignore_regions`` are not used).
        num_keypoints: ``K`` of the layout.
        joint_indices: The ``J`` keypoint indices scored.
        mode: ``'default'`` or ``'poseval'``.
        head_segment: ``(head_top, head_bottom)`` keypoint indices: persons without a head box
            get the head size ``0.6 * HEAD_DIAGONAL_PER_SEGMENT * |head_top - head_bottom|``
            (both joints annotated), else the median head size of their track in the video.
            ``None``: no fallback (NaN head sizes).

    Returns:
        The flat arrays.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    if len(gt_videos) != len(pred_videos):
        raise ValueError(f'{len(gt_videos)} ground-truth videos but {len(pred_videos)} '
                         'predicted videos')
    idx = list(joint_indices)
    j = len(idx)
    frame_video, frame_ignore, frame_where = [], [], []
    ignore: Dict[int, list] = {}
    g_parts: Dict[str, list] = {k: [] for k in ('kp', 'sc', 'tid', 'head', 'frame', 'seg')}
    p_parts: Dict[str, list] = {k: [] for k in ('kp', 'sc', 'tid', 'frame')}
    for v, (gv, pv) in enumerate(zip(gt_videos, pred_videos)):
        name = str(getattr(gv, 'name', v))
        if len(gv.frames) != len(pv.frames):
            raise ValueError(f'video {name!r}: {len(pv.frames)} predicted frames but '
                             f'{len(gv.frames)} ground-truth frames')
        for pos, (gf, pf) in enumerate(zip(gv.frames, pv.frames)):
            fi_g = getattr(gf, 'frame_index', None)
            fi_p = getattr(pf, 'frame_index', None)
            where = f'video {name!r} frame {fi_g if fi_g is not None else pos}'
            if fi_g is not None and fi_p is not None and int(fi_g) != int(fi_p):
                raise ValueError(f'video {name!r}: frame {pos} has frame_index {fi_g} in the '
                                 f'ground truth but {fi_p} in the predictions')
            gk, gs, gt_tid, ghead = _arrays(gf, num_keypoints, idx, where, 'ground-truth')
            n_gt = len(gk)
            labeled = bool(getattr(gf, 'is_labeled', True))
            evaluated = n_gt > 0 if mode == 'poseval' else (labeled or n_gt > 0)
            if not evaluated:
                continue
            pk, ps, pr_tid, _ = _arrays(pf, num_keypoints, idx, where, 'predicted')
            f = len(frame_video)
            frame_video.append(v)
            frame_where.append(where)
            polys = [np.asarray(p, np.float64).reshape(-1, 2)
                     for p in (getattr(gf, 'ignore_regions', None) or [])]
            frame_ignore.append(len(polys) > 0)
            if polys:
                ignore[f] = polys
            g_parts['kp'].append(gk)
            g_parts['sc'].append(gs)
            g_parts['tid'].append(gt_tid)
            g_parts['head'].append(ghead)
            if head_segment is not None and n_gt:
                top, bottom = head_segment
                kp_full = np.asarray(gf.keypoints, np.float64)
                vis_full = np.asarray(gf.keypoint_scores, np.float64)
                seg = np.linalg.norm(kp_full[:, top] - kp_full[:, bottom], axis=-1)
                both = (vis_full[:, top] > 0) & (vis_full[:, bottom] > 0)
                g_parts['seg'].append(np.where(both, seg, np.nan))
            else:
                g_parts['seg'].append(np.full(n_gt, np.nan))
            g_parts['frame'].append(np.full(n_gt, f, np.int64))
            p_parts['kp'].append(pk)
            p_parts['sc'].append(ps)
            p_parts['tid'].append(pr_tid)
            p_parts['frame'].append(np.full(len(pk), f, np.int64))

    def cat(parts: list, shape: tuple, dtype=np.float64) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(shape, dtype)

    g_kp = cat(g_parts['kp'], (0, j, 2))
    g_sc = cat(g_parts['sc'], (0, j))
    g_frame = cat(g_parts['frame'], (0,), np.int64)
    p_kp = cat(p_parts['kp'], (0, j, 2))
    p_sc = cat(p_parts['sc'], (0, j))
    p_frame = cat(p_parts['frame'], (0,), np.int64)

    finite_g = np.isfinite(g_kp).all(-1)
    zero_g = (g_kp[..., 0] == 0) & (g_kp[..., 1] == 0)
    if mode == 'poseval':
        g_present = finite_g & ~(zero_g & (g_sc == 0))
    else:
        g_present = finite_g & (g_sc > 0)
    zero_p = (p_kp[..., 0] == 0) & (p_kp[..., 1] == 0)
    p_present = np.isfinite(p_kp).all(-1) & ~(zero_p & (p_sc == 0))

    if ignore:
        for f, polys in ignore.items():
            for frame_of, kp, present in ((g_frame, g_kp, g_present),
                                          (p_frame, p_kp, p_present)):
                lo, hi = np.searchsorted(frame_of, [f, f + 1])
                if hi == lo:
                    continue
                m = present[lo:hi]
                if not m.any():
                    continue
                inside = points_in_ignore_regions(kp[lo:hi][m], polys)
                sub = m.copy()
                sub[m] = ~inside
                present[lo:hi] = sub

    g_tid = cat(g_parts['tid'], (0,), np.int64)
    g_head = head_size(cat(g_parts['head'], (0, 4)))
    if head_segment is not None:
        g_head = _fill_head_sizes(g_head, cat(g_parts['seg'], (0,)),
                                  np.asarray(frame_video, np.int64)[g_frame]
                                  if len(g_frame) else np.zeros(0, np.int64), g_tid)
    gt = FlatPoses(frame=g_frame, keypoints=g_kp, present=g_present, scores=g_sc,
                   track_ids=g_tid, head_size=g_head)
    pred = FlatPoses(frame=p_frame, keypoints=p_kp, present=p_present, scores=p_sc,
                     track_ids=cat(p_parts['tid'], (0,), np.int64),
                     head_size=np.full(len(p_frame), np.nan))
    return FlatVideos(frame_video=np.asarray(frame_video, np.int64),
                      frame_has_ignore=np.asarray(frame_ignore, bool), frame_where=frame_where,
                      video_names=[str(getattr(v, 'name', i)) for i, v in enumerate(gt_videos)],
                      gt=gt, pred=pred, ignore_regions=ignore)


def _fill_head_sizes(size: np.ndarray, segment: np.ndarray, video: np.ndarray,
                     track: np.ndarray) -> np.ndarray:
    """Head sizes of persons without a head box: from the head segment, else the track's
    median head size in the video (NaN where neither exists)."""
    size = size.copy()
    missing = ~np.isfinite(size)
    size[missing] = 0.6 * HEAD_DIAGONAL_PER_SEGMENT * segment[missing]
    missing = ~np.isfinite(size)
    if missing.any():
        for v, t in set(zip(video[missing].tolist(), track[missing].tolist())):
            same = (video == v) & (track == t)
            known = size[same & np.isfinite(size)]
            if len(known):
                size[same & ~np.isfinite(size)] = np.median(known)
    return size
