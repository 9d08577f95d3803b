"""Builders of tiny hand-made PoseTrack videos (3 joints, head boxes 10 x 10 px)."""
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np

from plugins.datasets.posetrack_json import FrameAnnotation, VideoAnnotation

#: Joint layout of the tiny cases: one head joint and the two wrists.
NAMES: List[str] = ['head_top', 'left_wrist', 'right_wrist']
#: Joint positions relative to the person's position.
OFFSETS = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
#: Head box half size: every head box is 10 x 10 px, so the head size is 0.6 * sqrt(200).
HALF_HEAD = 5.0
HEAD_SIZE = 0.6 * np.sqrt(200.0)


def pose(x: float, y: float) -> np.ndarray:
    """(3, 2) joints of a person at ``(x, y)``."""
    return OFFSETS + np.array([x, y])


def gt_frame(t: int, persons: Sequence[Tuple[int, Tuple[float, float]]], labeled: bool = True,
             ignore: Iterable[np.ndarray] = (), visible: Optional[np.ndarray] = None
             ) -> FrameAnnotation:
    """Ground-truth frame ``t`` with persons ``(track_id, (x, y))``, all joints visible."""
    n = len(persons)
    kp = np.array([pose(*xy) for _, xy in persons]).reshape(n, 3, 2)
    vis = np.ones((n, 3)) if visible is None else np.asarray(visible, float).reshape(n, 3)
    kp = np.where(vis[..., None] > 0, kp, 0.0)
    head = np.array([[x - HALF_HEAD, y - HALF_HEAD, x + HALF_HEAD, y + HALF_HEAD]
                     for _, (x, y) in persons]).reshape(n, 4)
    return FrameAnnotation(image_id=t, file_name=f'tiny/{t:06d}.jpg', frame_index=t,
                           is_labeled=labeled, keypoints=kp, keypoint_scores=vis,
                           track_ids=np.array([tid for tid, _ in persons], np.int64),
                           bboxes=np.zeros((n, 4)), head_bboxes=head,
                           ignore_regions=list(ignore))


def pred_frame(t: int, persons: Sequence[Tuple[int, np.ndarray, float]]) -> FrameAnnotation:
    """Predicted frame ``t`` with persons ``(track_id, joints (3, 2), score of every joint)``."""
    n = len(persons)
    kp = np.array([np.asarray(k, float) for _, k, _ in persons]).reshape(n, 3, 2)
    sc = np.array([[s] * 3 for _, _, s in persons], float).reshape(n, 3)
    return FrameAnnotation(image_id=t, file_name=f'tiny/{t:06d}.jpg', frame_index=t,
                           is_labeled=True, keypoints=kp, keypoint_scores=sc,
                           track_ids=np.array([tid for tid, _, _ in persons], np.int64),
                           bboxes=np.zeros((n, 4)), head_bboxes=np.full((n, 4), np.nan))


def video(frames: List[FrameAnnotation], name: str = 'tiny',
          prediction: bool = False) -> VideoAnnotation:
    """A video of the tiny layout."""
    cats = [dict(supercategory='person', id=1, name='person', keypoints=list(NAMES),
                 skeleton=[])]
    return VideoAnnotation(name=name, frames=frames, categories=cats, is_prediction=prediction)


def perfect_predictions(gt: VideoAnnotation, score: float = 0.9,
                        id_offset: int = 100) -> VideoAnnotation:
    """Predictions equal to the ground truth (ids shifted by ``id_offset``)."""
    frames = []
    for f in gt.frames:
        frames.append(pred_frame(f.frame_index, [
            (int(tid) + id_offset, f.keypoints[i], score) for i, tid in enumerate(f.track_ids)]))
    return video(frames, gt.name, prediction=True)
