"""Conversions between PoseTrack records and the stack's structures (``InstanceData``)."""
from typing import Any, Dict, Sequence

import numpy as np

from .records import FrameAnnotation, VideoAnnotation


def prediction_video(gt: VideoAnnotation, results: dict) -> VideoAnnotation:
    """Predictions for the frames of ``gt`` from tracked poses.

    Args:
        gt: the ground-truth video (frame ids, names and sizes are copied).
        results: frame position -> ``InstanceData`` with ``keypoints``, ``keypoint_scores``,
            ``track_ids``, ``bboxes``, ``bbox_scores``; frames not in it are written empty.

    Returns:
        A prediction ``VideoAnnotation`` with one frame per ground-truth frame.
    """
    k = gt.num_keypoints
    if not k:
        k = next((r.keypoints.shape[1] for r in results.values()), 0)
    frames = []
    for i, frame in enumerate(gt.frames):
        common = dict(image_id=frame.image_id, file_name=frame.file_name,
                      frame_index=frame.frame_index, width=frame.width, height=frame.height)
        if i not in results:
            frames.append(FrameAnnotation.empty(num_keypoints=k, is_labeled=frame.is_labeled,
                                                **common))
            continue
        res = results[i]
        frames.append(FrameAnnotation(
            is_labeled=True, keypoints=res.keypoints, keypoint_scores=res.keypoint_scores,
            track_ids=res.track_ids, bboxes=res.bboxes,
            head_bboxes=np.full((len(res), 4), np.nan, np.float32),
            bbox_scores=res.get('bbox_scores', None), **common))
    return VideoAnnotation(name=gt.name, frames=frames, categories=gt.categories,
                           is_prediction=True)


def frame_from_instances(image_id: int, file_name: str, frame_index: int, instances: Any,
                         width: int = 0, height: int = 0,
                         num_keypoints: int = 0) -> FrameAnnotation:
    """A prediction frame from an ``InstanceData`` (``keypoints`` (N, K, 2),
    ``keypoint_scores`` (N, K), ``track_ids`` (N,), optional ``bboxes`` (N, 4) ``xyxy`` and
    ``bbox_scores`` (N,))."""
    from .writer import frame_from_arrays

    def get(name):
        return instances.get(name, None) if hasattr(instances, 'get') else \
            getattr(instances, name, None)

    return frame_from_arrays(image_id, file_name, frame_index, get('keypoints'),
                             get('keypoint_scores'), get('track_ids'), get('bboxes'),
                             get('bbox_scores'), width, height, num_keypoints=num_keypoints)


# ------------------------------------------------ the metric's per-frame records (one adapter)
def gt_instances_of_frame(frame: FrameAnnotation) -> Dict[str, np.ndarray]:
    """The ``gt_instances`` fields of the metric's data-sample contract for a frame:
    ``keypoints`` (N, K, 2), ``keypoints_visible`` (N, K), ``track_ids`` (N,),
    ``head_bboxes`` (N, 4) ``xyxy`` (the inverse of :func:`frame_from_record`)."""
    return dict(keypoints=frame.keypoints, keypoints_visible=frame.keypoint_scores,
                track_ids=frame.track_ids, head_bboxes=frame.head_bboxes)


def _record_frame_ids(rec: dict) -> tuple:
    fi = int(rec['frame_index'])
    img_id = rec['img_id'] if rec.get('img_id') is not None else fi
    file_name = rec.get('img_path') or f'{rec["video"]}/{fi:06d}.jpg'
    return img_id, file_name, fi


def frame_from_record(rec: dict, num_keypoints: int) -> FrameAnnotation:
    """The ground-truth frame of a metric frame record (``frame_record_from_sample``):
    ``gt_keypoints`` (N, K, 2), ``gt_visible`` (N, K), ``gt_track_ids``, ``gt_head_bboxes``,
    ``ignore_regions``, ``is_labeled``, ``img_id``, ``img_path``, ``frame_index``."""
    img_id, file_name, fi = _record_frame_ids(rec)
    n = len(rec['gt_keypoints'])
    return FrameAnnotation(
        image_id=img_id, file_name=file_name, frame_index=fi, is_labeled=rec['is_labeled'],
        keypoints=np.asarray(rec['gt_keypoints']).reshape(n, num_keypoints, 2),
        keypoint_scores=np.asarray(rec['gt_visible']).reshape(n, num_keypoints),
        track_ids=rec['gt_track_ids'], bboxes=np.full((n, 4), np.nan),
        head_bboxes=rec['gt_head_bboxes'], ignore_regions=rec.get('ignore_regions') or [])


def pred_frame_from_records(recs: Sequence[dict], num_keypoints: int) -> FrameAnnotation:
    """The predictions of one frame from its metric records (several samples of one frame,
    e.g. one per person crop, are concatenated; ids -1 when any record has none)."""
    img_id, file_name, fi = _record_frame_ids(recs[0])
    k = num_keypoints
    kp = np.concatenate([np.asarray(r['pred_keypoints']).reshape(-1, k, 2) for r in recs])
    sc = np.concatenate([np.asarray(r['pred_scores']).reshape(-1, k) for r in recs])
    tids = [r['pred_track_ids'] for r in recs]
    tid = (np.full(len(kp), -1, np.int64) if any(t is None for t in tids)
           else np.concatenate([np.asarray(t).reshape(-1) for t in tids]))
    m = len(kp)
    return FrameAnnotation(image_id=img_id, file_name=file_name, frame_index=fi,
                           is_labeled=True, keypoints=kp, keypoint_scores=sc, track_ids=tid,
                           bboxes=np.full((m, 4), np.nan), head_bboxes=np.full((m, 4), np.nan))
