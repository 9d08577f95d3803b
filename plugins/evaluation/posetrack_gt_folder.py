"""Whole-frame ground truth for top-down predictions, from PoseTrack18 per-video files.

A top-down test set yields one data sample per person crop, whose ``gt_instances`` hold that
person only; PoseTrack AP scores whole frames (every person of the frame with its head box, the
ignore regions). :func:`prediction_record_from_sample` keeps only what a per-person sample
predicts (image id, keypoints, scores, track ids) and :func:`frames_with_ground_truth` joins the
predictions of each image with the frame's ground truth read from the per-video files of the
dataset (the official ``annotations/val/*.json`` layout), giving whole-frame samples in the
contract of :mod:`plugins.evaluation.posetrack_data_sample`.
"""
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from plugins.datasets.posetrack_json import VideoAnnotation, load_posetrack_folder
from .posetrack_data_sample import as_numpy, frame_to_data_sample, sample_field


def prediction_record_from_sample(sample: Any) -> dict:
    """The predictions of one (per-person or per-frame) data sample, as numpy arrays.

    Args:
        sample: A data sample (dict or data element) with ``img_id`` and/or ``img_path`` and
            ``pred_instances`` (``keypoints`` (M, K, 2 or 3), ``keypoint_scores`` (M, K),
            optional ``track_ids`` (M,)).

    Returns:
        ``dict(img_id, img_path, keypoints (M, K, 2), scores (M, K), track_ids or None)``.
    """
    img_id = sample_field(sample, 'img_id')
    img_path = sample_field(sample, 'img_path')
    if img_id is None and not img_path:
        raise KeyError('PoseTrackMetric(gt_dir=...): a data sample needs "img_id" or '
                       '"img_path" to find its frame in the ground-truth files')
    pred = sample_field(sample, 'pred_instances')
    where = f'image {img_id if img_id is not None else img_path}'
    kp = as_numpy(sample_field(pred, 'keypoints'), np.float64)
    if kp is None:
        raise KeyError(f'PoseTrackMetric: {where}: data sample has no pred_instances.keypoints')
    if kp.ndim != 3 or kp.shape[-1] not in (2, 3):
        raise ValueError(f'PoseTrackMetric: {where}: predicted keypoints have shape {kp.shape}, '
                         'expected (M, K, 2)')
    kp = kp[..., :2]
    sc = as_numpy(sample_field(pred, 'keypoint_scores'), np.float64)
    if sc is None or sc.size != kp.shape[0] * kp.shape[1]:
        raise ValueError(f'PoseTrackMetric: {where}: pred_instances.keypoint_scores '
                         f'{None if sc is None else sc.shape} does not match keypoints '
                         f'{kp.shape}')
    tid = as_numpy(sample_field(pred, 'track_ids'), np.int64)
    return dict(img_id=None if img_id is None else int(img_id),
                img_path=None if img_path is None else str(img_path),
                keypoints=kp, scores=sc.reshape(kp.shape[:2]),
                track_ids=None if tid is None else tid.reshape(len(kp)))


def _frame_key(videos: Sequence[VideoAnnotation]) -> Tuple[Dict[int, tuple], Dict[str, tuple]]:
    """``image id -> (video, frame position)`` and ``file name -> (video, frame position)``."""
    by_id, by_name = {}, {}
    for vi, video in enumerate(videos):
        for fi, frame in enumerate(video.frames):
            by_id[int(frame.image_id)] = (vi, fi)
            by_name[frame.file_name] = (vi, fi)
    return by_id, by_name


def _locate(rec: dict, by_id: dict, by_name: dict) -> Optional[tuple]:
    if rec['img_id'] is not None and rec['img_id'] in by_id:
        return by_id[rec['img_id']]
    path = rec['img_path']
    if path:  # the file name of the per-video files is relative to the data root
        parts = Path(path).parts
        for start in range(len(parts)):
            hit = by_name.get('/'.join(parts[start:]))
            if hit is not None:
                return hit
    return None


def frames_with_ground_truth(predictions: List[dict], gt_dir: str,
                             num_keypoints: int) -> Tuple[List[dict], List[str], List[str]]:
    """Whole-frame data samples: each frame's ground truth + all predictions of its image.

    Every frame of every video that has at least one prediction is returned; frames of those
    videos without predictions are returned with none (their persons count as misses).

    Args:
        predictions: Records of :func:`prediction_record_from_sample`.
        gt_dir: Folder of PoseTrack18 per-video ground-truth files.
        num_keypoints: K of the predictions (checked against the files).

    Returns:
        ``(samples, skipped, keypoint_names)``: the frame samples, the names of the videos of
        ``gt_dir`` that no prediction belongs to (not evaluated), and the keypoint names of
        the files.

    Raises:
        FileNotFoundError: no per-video file in ``gt_dir``.
        KeyError: a prediction whose image is in none of the files (names it).
        ValueError: the files' keypoint count differs from the predictions'.
    """
    videos = load_posetrack_folder(gt_dir)
    if not videos:
        raise FileNotFoundError(f'PoseTrackMetric: no PoseTrack18 per-video files (*.json) in '
                                f'gt_dir={gt_dir!r}')
    k_gt = {v.num_keypoints for v in videos if v.num_keypoints}
    if k_gt and k_gt != {num_keypoints}:
        raise ValueError(f'PoseTrackMetric: the files in {gt_dir} have {sorted(k_gt)} keypoints '
                         f'per person, the predictions {num_keypoints}')
    by_id, by_name = _frame_key(videos)
    grouped: Dict[tuple, List[dict]] = defaultdict(list)
    unknown = []
    for rec in predictions:
        key = _locate(rec, by_id, by_name)
        if key is None:
            unknown.append(rec['img_id'] if rec['img_id'] is not None else rec['img_path'])
        else:
            grouped[key].append(rec)
    if unknown:
        raise KeyError(f'PoseTrackMetric: {len(unknown)} predicted images are not in the '
                       f'ground-truth files of {gt_dir} (e.g. {unknown[:3]}); is gt_dir the '
                       'split of the test set?')
    covered = {vi for vi, _ in grouped}
    samples, skipped = [], []
    empty_kp, empty_sc = np.zeros((0, num_keypoints, 2)), np.zeros((0, num_keypoints))
    for vi, video in enumerate(videos):
        if vi not in covered:
            skipped.append(video.name)
            continue
        for fi, frame in enumerate(video.frames):
            recs = grouped.get((vi, fi), [])
            pred = dict(keypoints=np.concatenate([empty_kp] + [r['keypoints'] for r in recs]),
                        keypoint_scores=np.concatenate([empty_sc] + [r['scores'] for r in recs]))
            tids = [r['track_ids'] for r in recs]
            if recs and all(t is not None for t in tids):
                pred['track_ids'] = np.concatenate(tids)
            samples.append(frame_to_data_sample(frame, video.name, pred))
    names = next((v.keypoint_names for v in videos if v.keypoint_names), [])
    return samples, skipped, names
