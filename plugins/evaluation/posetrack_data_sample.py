"""The per-frame data-sample contract of :class:`PoseTrackMetric`.

A video sequence dataset / tracking test loop hands the metric one data sample per frame
(a ``dict`` or an mmengine data element such as ``PoseDataSample``) with:

============================  =====================================================
``video_name`` (metainfo)     video the frame belongs to (str)
``frame_index`` (metainfo)    0-based frame index in the video (int)
``is_labeled`` (metainfo)     frame carries ground truth (bool, default True)
``ignore_regions`` (metainfo) list of (P, 2) polygons, pixels (default none)
``img_id``, ``img_path``      optional, used when predictions are written to JSON
``gt_instances``              ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K),
                              ``track_ids`` (N,), ``head_bboxes`` (N, 4) ``xyxy``;
                              or, without ``gt_instances``, the same at the top level
                              (``head_bbox`` accepted): a ``PoseTrackVideoDataset`` frame
                              dict with ``pred_instances`` added is a valid sample
``pred_instances``            ``keypoints`` (M, K, 2), ``keypoint_scores`` (M, K),
                              ``track_ids`` (M,) (optional: no tracking evaluated)
============================  =====================================================

:func:`frame_to_data_sample` builds such a sample from a
:class:`~plugins.datasets.posetrack_json.FrameAnnotation`, :func:`frame_record_from_sample`
reads one back into plain numpy arrays. Both directions between frames and these records go
through one adapter, :mod:`plugins.datasets.posetrack_json.adapters`
(``gt_instances_of_frame`` / ``frame_from_record`` / ``pred_frame_from_records``), which
``PoseTrackMetric._videos`` uses too.
"""
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np

from plugins.datasets.posetrack_json import FrameAnnotation, gt_instances_of_frame


def sample_field(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` / ``obj.key`` / ``obj.metainfo[key]`` for dicts and data elements."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    if key in getattr(obj, 'keys', lambda: [])():
        return getattr(obj, key)
    meta = getattr(obj, 'metainfo', None)
    if isinstance(meta, dict) and key in meta:
        return meta[key]
    return getattr(obj, key, default)


def as_numpy(value: Any, dtype: Any) -> Optional[np.ndarray]:
    """A numpy array of ``dtype`` from an array, list or (any-device) tensor; None stays None."""
    if value is None:
        return None
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def frame_to_data_sample(frame: FrameAnnotation, video_name: str,
                         pred_instances: Optional[Dict[str, np.ndarray]] = None) -> dict:
    """A data sample (dict) of the metric's contract from a ground-truth frame.

    Args:
        frame: The ground-truth frame (``keypoint_scores`` = visibility).
        video_name: Its video.
        pred_instances: Optional ``{keypoints, keypoint_scores, track_ids}`` predictions.

    Returns:
        The sample dict.
    """
    sample = dict(video_name=video_name, frame_index=int(frame.frame_index),
                  is_labeled=bool(frame.is_labeled), img_id=int(frame.image_id),
                  img_path=frame.file_name,
                  ignore_regions=[np.asarray(p) for p in frame.ignore_regions],
                  gt_instances=gt_instances_of_frame(frame))
    if pred_instances is not None:
        sample['pred_instances'] = dict(pred_instances)
    return sample


def frame_record_from_sample(sample: Any) -> dict:
    """Read one data sample into plain arrays.

    Args:
        sample: A data sample following the contract in the module doc.

    Returns:
        ``dict(video, frame_index, is_labeled, img_id, img_path, ignore_regions, gt_keypoints,
        gt_visible, gt_track_ids, gt_head_bboxes, pred_keypoints, pred_scores,
        pred_track_ids)``; ``pred_track_ids`` is ``None`` when the predictions have none.
    """
    img_path = sample_field(sample, 'img_path')
    video = sample_field(sample, 'video_name')
    if video is None and img_path:
        video = Path(str(img_path)).parent.name
    frame_index = sample_field(sample, 'frame_index', sample_field(sample, 'frame_id'))
    if video is None or frame_index is None:
        raise KeyError('PoseTrackMetric: a data sample needs "video_name" (or "img_path") and '
                       f'"frame_index"; got keys {sorted(_keys(sample))}')
    where = f'video {video!r} frame {frame_index}'
    gt = sample_field(sample, 'gt_instances')
    if gt is None:
        if sample_field(sample, 'keypoints') is None:
            raise KeyError(f'PoseTrackMetric: {where}: data sample has neither "gt_instances" '
                           'nor ground-truth "keypoints" (a PoseTrackVideoDataset frame)')
        gt = sample  # a frame dict of PoseTrackVideoDataset: ground truth at the top level
    g_kp = as_numpy(sample_field(gt, 'keypoints'), np.float64)
    if g_kp is None:
        raise KeyError(f'PoseTrackMetric: {where}: gt_instances has no "keypoints"')
    g_vis = as_numpy(sample_field(gt, 'keypoints_visible'), np.float64)
    if g_vis is None:
        raise KeyError(f'PoseTrackMetric: {where}: gt_instances has no "keypoints_visible"')
    if g_vis.ndim == 3:  # (N, K, 2) visibility + weight
        g_vis = g_vis[..., 0]
    pred = sample_field(sample, 'pred_instances')
    p_kp = as_numpy(sample_field(pred, 'keypoints'), np.float64)
    if p_kp is None:
        p_kp = np.zeros((0, 0, 2))
    n, m = len(g_kp), len(p_kp)
    k = _num_keypoints(g_kp, g_vis, p_kp)
    if g_kp.size != n * k * 2 or g_vis.size != n * k:
        raise ValueError(f'PoseTrackMetric: {where}: gt keypoints {g_kp.shape} / '
                         f'keypoints_visible {g_vis.shape} do not match (N, K, 2) / (N, K)')
    g_kp = g_kp.reshape(n, k, 2)
    g_vis = g_vis.reshape(n, k)
    g_tid = as_numpy(sample_field(gt, 'track_ids'), np.int64)
    g_tid = np.full(n, -1, np.int64) if g_tid is None else g_tid.reshape(n)
    g_head = as_numpy(sample_field(gt, 'head_bboxes', sample_field(gt, 'head_bbox')), np.float64)
    if g_head is None:
        raise KeyError(f'PoseTrackMetric: {where}: gt_instances has no "head_bboxes" (xyxy)')
    g_head = g_head.reshape(n, 4)
    if p_kp.size != m * k * 2:
        raise ValueError(f'PoseTrackMetric: {where}: predicted keypoints {p_kp.shape} do not '
                         f'match the {k} ground-truth keypoints')
    p_kp = p_kp.reshape(m, k, 2)
    p_sc = as_numpy(sample_field(pred, 'keypoint_scores'), np.float64)
    if p_sc is None:
        if m:
            raise KeyError(f'PoseTrackMetric: {where}: pred_instances has no '
                           '"keypoint_scores"')
        p_sc = np.zeros((0, k))
    p_sc = p_sc.reshape(m, k)
    p_tid = as_numpy(sample_field(pred, 'track_ids'), np.int64)
    if p_tid is not None:
        p_tid = p_tid.reshape(m)
    ignore = [np.asarray(as_numpy(p, np.float64)).reshape(-1, 2)
              for p in (sample_field(sample, 'ignore_regions') or [])]
    img_id = sample_field(sample, 'img_id')
    return dict(video=str(video), frame_index=int(frame_index),
                is_labeled=bool(sample_field(sample, 'is_labeled', True)),
                img_id=None if img_id is None else int(img_id),
                img_path=None if img_path is None else str(img_path), ignore_regions=ignore,
                gt_keypoints=g_kp, gt_visible=g_vis, gt_track_ids=g_tid, gt_head_bboxes=g_head,
                pred_keypoints=p_kp, pred_scores=p_sc, pred_track_ids=p_tid)


def _keys(sample: Any) -> list:
    if isinstance(sample, dict):
        return list(sample)
    keys = list(getattr(sample, 'keys', lambda: [])())
    return keys + list(getattr(sample, 'metainfo', {}) or {})


def _num_keypoints(g_kp: np.ndarray, g_vis: np.ndarray, p_kp: np.ndarray) -> int:
    """K from whichever array has it (0 when every array of the frame is empty)."""
    for arr, dims in ((g_kp, 3), (p_kp, 3), (g_vis, 2)):
        if arr.ndim == dims and (arr.shape[1] or len(arr)):
            return int(arr.shape[1])
    return 0
