"""Online tracker interface shared by every tracker of the project."""
from abc import ABCMeta, abstractmethod
from typing import Any, List, Optional

import numpy as np
from mmengine.structures import InstanceData

from .assignment import ASSIGNERS
from .track import Track


class BaseTracker(metaclass=ABCMeta):
    """Online, deterministic multi-person tracker.

    ``update(frame, instances)`` is called once per frame, in order. ``instances`` is an
    :class:`InstanceData` with the fields of mmpose's ``pred_instances``:

    - ``keypoints`` (N, K, 2) float32 image pixels ``(x, y)``
    - ``keypoint_scores`` (N, K) float32
    - ``bboxes`` (N, 4) float32 ``xyxy``
    - ``bbox_scores`` (N,) float32 (optional; 1 when absent)

    It returns the same instances (a new object, same order) with ``track_ids`` (N,) int64 added.
    ``assignment`` may also be ``'sequential'`` (mmpose's order: each detection in turn takes its
    best free track), see :mod:`plugins.tracking.assignment`.
    Track ids are unique and never reused until :meth:`reset`. Subclasses implement
    :meth:`similarity` (tracks × detections); the base class does the assignment (greedy or
    Hungarian), starts new tracks, ages out old ones and keeps the :class:`Track` records.

    Args:
        match_threshold: pairs less similar than this are never matched.
        assignment: ``'greedy'``, ``'hungarian'`` or ``'sequential'``.
        max_age: a track not matched for more than this many frames is no longer matched.
        min_keypoint_score: joints scored below it are ignored by keypoint similarities.
    """

    def __init__(self,
                 match_threshold: float = 0.3,
                 assignment: str = 'greedy',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0) -> None:
        if assignment not in ASSIGNERS:
            raise ValueError(f'assignment must be one of {sorted(ASSIGNERS)}, got {assignment!r}')
        if max_age < 1:
            raise ValueError(f'max_age must be >= 1, got {max_age}')
        self.match_threshold = float(match_threshold)
        self.assignment = assignment
        self.max_age = int(max_age)
        self.min_keypoint_score = float(min_keypoint_score)
        self.reset()

    def reset(self) -> None:
        """Forget all tracks; the next frame is frame 0 and ids restart from 0."""
        self.tracks: List[Track] = []
        self.frame_id = -1
        self._next_id = 0

    @property
    def has_offline_stage(self) -> bool:
        """Whether :meth:`finalize` changes the ids of a whole video (False: online only)."""
        return False

    def finalize(self, results: List[InstanceData], frames: Any = None) -> List[InstanceData]:
        """Offline pass over a whole video tracked since :meth:`reset` (e.g. track merging).

        Args:
            results: The per-frame outputs of :meth:`update`, in order.
            frames: The video's frames, for trackers that need pixels.

        Returns:
            The results with final ``track_ids``; online trackers return them unchanged.
        """
        return results

    @property
    def active_tracks(self) -> List[Track]:
        """Tracks that may still be matched in the current frame."""
        return [t for t in self.tracks if self.frame_id - t.last_frame <= self.max_age]

    @abstractmethod
    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """Similarity of every active track to every detection.

        Args:
            tracks: the active tracks (T of them).
            instances: the N detections of the current frame.
            frame: the current image (H, W, 3) BGR uint8, or None for geometric trackers.

        Returns:
            (T, N) float array, higher is more similar.
        """

    def update(self, frame: Optional[np.ndarray], instances: InstanceData) -> InstanceData:
        """Assign track ids to the poses of the next frame.

        Args:
            frame: the current image (H, W, 3) BGR uint8, or None if the tracker needs no pixels.
            instances: the poses of this frame (see class docstring); may be empty.

        Returns:
            A new :class:`InstanceData` (the caller's object is not modified; arrays are shared,
            never written) with the validated fields and ``track_ids`` (N,) int64.
        """
        self.frame_id += 1
        instances = validate_instances(instances)
        num = len(instances)
        tracks = self.active_tracks
        track_ids = np.full(num, -1, dtype=np.int64)
        if num and tracks:
            sim = np.asarray(self.similarity(tracks, instances, frame), dtype=np.float64)
            if sim.shape != (len(tracks), num):
                raise ValueError(f'{type(self).__name__}.similarity returned shape {sim.shape}, '
                                 f'expected {(len(tracks), num)}')
            sim = np.where(np.isfinite(sim), sim, -np.inf)
            for ti, di in ASSIGNERS[self.assignment](sim, self.match_threshold):
                track_ids[di] = tracks[ti].track_id
                self.update_track(tracks[ti], instances, int(di), frame)
        for di in np.flatnonzero(track_ids < 0):
            track = self.start_track(instances, int(di), frame)
            track_ids[di] = track.track_id
        self.after_update(instances, frame)
        instances.track_ids = track_ids  # a new object made by validate_instances
        return instances

    def start_track(self, instances: InstanceData, index: int,
                    frame: Optional[np.ndarray]) -> Track:
        """Start a new track from detection ``index``; subclasses may add ``state``."""
        track = Track(
            track_id=self._next_id,
            keypoints=instances.keypoints[index].copy(),
            keypoint_scores=instances.keypoint_scores[index].copy(),
            bbox=instances.bboxes[index].copy(),
            score=float(instances.bbox_scores[index]),
            start_frame=self.frame_id,
            last_frame=self.frame_id)
        self._next_id += 1
        self.tracks.append(track)
        return track

    def update_track(self, track: Track, instances: InstanceData, index: int,
                     frame: Optional[np.ndarray]) -> None:
        """Move ``track`` to detection ``index``; subclasses may refresh ``state``."""
        track.keypoints = instances.keypoints[index].copy()
        track.keypoint_scores = instances.keypoint_scores[index].copy()
        track.bbox = instances.bboxes[index].copy()
        track.score = float(instances.bbox_scores[index])
        track.last_frame = self.frame_id
        track.hits += 1

    def after_update(self, instances: InstanceData, frame: Optional[np.ndarray]) -> None:
        """Hook run after assignment (e.g. to keep the frame for optical flow)."""


def validate_instances(instances: InstanceData) -> InstanceData:
    """Check the pose fields a tracker reads and fill ``bbox_scores``/``bboxes`` if missing.

    Args:
        instances: poses of one frame.

    Returns:
        The same data with numpy float32 ``keypoints``, ``keypoint_scores``, ``bboxes`` and
        ``bbox_scores``.

    Raises:
        ValueError: naming the field whose shape is wrong or that holds NaN/inf.
    """
    if 'keypoints' not in instances:
        raise ValueError('tracker input has no field "keypoints" (N, K, 2)')
    out = InstanceData()
    kpts = np.asarray(_to_numpy(instances.keypoints), dtype=np.float32)
    if kpts.ndim != 3 or kpts.shape[-1] != 2:
        raise ValueError(f'"keypoints" must have shape (N, K, 2), got {kpts.shape}')
    n, k = kpts.shape[:2]
    scores = (np.asarray(_to_numpy(instances.keypoint_scores), dtype=np.float32)
              if 'keypoint_scores' in instances else np.ones((n, k), np.float32))
    if scores.shape != (n, k):
        raise ValueError(f'"keypoint_scores" must have shape {(n, k)}, got {scores.shape}')
    if 'bboxes' in instances:
        bboxes = np.asarray(_to_numpy(instances.bboxes), dtype=np.float32).reshape(-1, 4)
    else:
        bboxes = keypoint_boxes(kpts, scores)
    if bboxes.shape != (n, 4):
        raise ValueError(f'"bboxes" must have shape {(n, 4)}, got {bboxes.shape}')
    bbox_scores = (np.asarray(_to_numpy(instances.bbox_scores), dtype=np.float32).reshape(-1)
                   if 'bbox_scores' in instances else np.ones(n, np.float32))
    if bbox_scores.shape != (n,):
        raise ValueError(f'"bbox_scores" must have shape {(n,)}, got {bbox_scores.shape}')
    for name, arr in (('keypoints', kpts), ('keypoint_scores', scores), ('bboxes', bboxes),
                      ('bbox_scores', bbox_scores)):
        if not np.isfinite(arr).all():
            raise ValueError(f'tracker input field "{name}" holds NaN or inf')
    for key in instances.keys():  # keep any extra per-instance fields (ids, embeddings...)
        if key not in ('keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores'):
            out.set_field(instances.get(key), key)
    out.keypoints, out.keypoint_scores = kpts, scores
    out.bboxes, out.bbox_scores = bboxes, bbox_scores
    return out


def keypoint_boxes(keypoints: np.ndarray, scores: np.ndarray, min_score: float = 0.0
                   ) -> np.ndarray:
    """Tight ``xyxy`` boxes around the joints scored above ``min_score`` (all joints if none).

    Args:
        keypoints: (N, K, 2).
        scores: (N, K).
        min_score: joints at or below it are left out.

    Returns:
        (N, 4) float32 boxes.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if keypoints.shape[0] == 0:
        return np.zeros((0, 4), np.float32)
    valid = np.asarray(scores) > min_score
    valid[~valid.any(axis=1)] = True
    big = np.float32(np.inf)
    lo = np.where(valid[..., None], keypoints, big).min(axis=1)
    hi = np.where(valid[..., None], keypoints, -big).max(axis=1)
    return np.concatenate([lo, hi], axis=1).astype(np.float32)


def _to_numpy(x):
    if hasattr(x, 'detach'):
        return x.detach().cpu().numpy()
    return x
