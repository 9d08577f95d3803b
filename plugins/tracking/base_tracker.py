"""Online tracker interface shared by every tracker of the project."""
from abc import ABCMeta, abstractmethod
from collections import deque
from typing import Deque, List, Optional, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.geometry import keypoint_boxes, to_numpy
from .assignment import ASSIGNERS
from .frame_context import FrameContext, as_context
from .track import Track, TrackStatus

__all__ = ['BaseTracker', 'validate_instances', 'keypoint_boxes']


class BaseTracker(metaclass=ABCMeta):
    """Online, deterministic multi-person tracker with an explicit track lifecycle.

    ``update(frame, instances)`` is called once per frame, in order (the pipeline calls
    :meth:`track` with the frame's :class:`FrameContext`). ``instances`` is an
    :class:`InstanceData` with the fields of mmpose's ``pred_instances``:

    - ``keypoints`` (N, K, 2) float32 image pixels ``(x, y)``
    - ``keypoint_scores`` (N, K) float32
    - ``bboxes`` (N, 4) float32 ``xyxy``
    - ``bbox_scores`` (N,) float32 (optional; 1 when absent)

    It returns the same instances (a new object, same order) with ``track_ids`` (N,) int64 added.
    Track ids are unique and never reused until :meth:`reset`.

    One frame, in order (ByteTrack's ``basetrack`` lifecycle):

    1. :meth:`prepare` ``(ctx, instances)``: per-frame work with side effects (embed the
       detections, propagate tracks by optical flow...), once;
    2. :meth:`similarity` ``(tracks, instances, frame) -> (T, N)``: pure (no state change);
    3. assignment (``'greedy'``, ``'hungarian'`` or ``'sequential'``, see
       :mod:`plugins.tracking.assignment`), :meth:`update_track` for matches, :meth:`mark_missed`
       for unmatched tracks (tracked -> lost; tentative -> removed), :meth:`start_track` for
       unmatched detections;
    4. :meth:`after_update`, then the end-of-track step :meth:`end_tracks`: tracks that can no
       longer be matched (unmatched for ``max_age`` frames) are removed (:meth:`end_track`) and
       pruned from :attr:`tracks`, so memory stays bounded on any video length; the last
       ``ended_history`` removed tracks stay readable in :attr:`ended_tracks`.

    Args:
        match_threshold: pairs less similar than this are never matched.
        assignment: ``'greedy'``, ``'hungarian'`` or ``'sequential'``.
        max_age: a track not matched for more than this many frames is removed.
        min_keypoint_score: joints scored below it are ignored by keypoint similarities.
        num_tentatives: a new track is ``tentative`` until matched in this many frames (and
            removed if missed before); 1 = confirmed at once (every tracker's default).
        ended_history: how many removed tracks :attr:`ended_tracks` keeps.
    """

    def __init__(self,
                 match_threshold: float = 0.3,
                 assignment: str = 'greedy',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0,
                 num_tentatives: int = 1,
                 ended_history: int = 100) -> None:
        if assignment not in ASSIGNERS:
            raise ValueError(f'assignment must be one of {sorted(ASSIGNERS)}, got {assignment!r}')
        if max_age < 1:
            raise ValueError(f'max_age must be >= 1, got {max_age}')
        if num_tentatives < 1:
            raise ValueError(f'num_tentatives must be >= 1, got {num_tentatives}')
        self.match_threshold = float(match_threshold)
        self.assignment = assignment
        self.max_age = int(max_age)
        self.min_keypoint_score = float(min_keypoint_score)
        self.num_tentatives = int(num_tentatives)
        self.ended_history = int(ended_history)
        self.reset()

    def reset(self) -> None:
        """Forget all tracks; the next frame is frame 0 and ids restart from 0."""
        self.tracks: List[Track] = []
        self.ended_tracks: Deque[Track] = deque(maxlen=self.ended_history)
        self.frame_id = -1
        self._next_id = 0

    @property
    def num_started(self) -> int:
        """Number of tracks started since :meth:`reset`."""
        return self._next_id

    @property
    def active_tracks(self) -> List[Track]:
        """Tracks that may still be matched in the current frame."""
        return [t for t in self.tracks if t.status != TrackStatus.REMOVED
                and self.frame_id - t.last_frame <= self.max_age]

    # ------------------------------------------------------------------ per frame
    def prepare(self, ctx: FrameContext, instances: InstanceData) -> None:
        """Per-frame work before :meth:`similarity` (the one place with side effects).

        Args:
            ctx: the frame (``ctx.index``, ``ctx.image``, ``ctx.cache``).
            instances: the validated detections of the frame.
        """

    @abstractmethod
    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """Similarity of every active track to every detection; changes no state.

        Args:
            tracks: the active tracks (T of them).
            instances: the N detections of the current frame.
            frame: the current image (H, W, 3) BGR uint8, or None for geometric trackers.

        Returns:
            (T, N) float array, higher is more similar (``-inf``: never match).
        """

    def update(self, frame: Union[None, np.ndarray, FrameContext],
               instances: InstanceData) -> InstanceData:
        """Assign track ids to the poses of the next frame.

        Args:
            frame: the current image (H, W, 3) BGR uint8 (or its :class:`FrameContext`), or
                None if the tracker needs no pixels.
            instances: the poses of this frame (see class docstring); may be empty.

        Returns:
            A new :class:`InstanceData` (the caller's object is not modified; arrays are shared,
            never written) with the validated fields and ``track_ids`` (N,) int64.
        """
        return self.track(as_context(frame, self.frame_id + 1), instances)

    def track(self, ctx: FrameContext, instances: InstanceData) -> InstanceData:
        """:meth:`update` with the frame's context (what the pipeline calls)."""
        self.frame_id += 1
        frame = ctx.image
        instances = validate_instances(instances)
        self.prepare(ctx, instances)
        num = len(instances)
        tracks = self.active_tracks
        track_ids = np.full(num, -1, dtype=np.int64)
        matched = np.zeros(len(tracks), bool)
        if num and tracks:
            sim = np.asarray(self.similarity(tracks, instances, frame), dtype=np.float64)
            if sim.shape != (len(tracks), num):
                raise ValueError(f'{type(self).__name__}.similarity returned shape {sim.shape}, '
                                 f'expected {(len(tracks), num)}')
            sim = np.where(np.isfinite(sim), sim, -np.inf)
            for ti, di in ASSIGNERS[self.assignment](sim, self.match_threshold):
                track_ids[di] = tracks[ti].track_id
                matched[ti] = True
                self.update_track(tracks[ti], instances, int(di), frame)
        for ti in np.flatnonzero(~matched):
            self.mark_missed(tracks[ti])
        for di in np.flatnonzero(track_ids < 0):
            track = self.start_track(instances, int(di), frame)
            track_ids[di] = track.track_id
        self.after_update(instances, frame)
        self.end_tracks()
        instances.track_ids = track_ids  # a new object made by validate_instances
        return instances

    # ------------------------------------------------------------------ lifecycle
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
            last_frame=self.frame_id,
            status=(TrackStatus.TRACKED if self.num_tentatives <= 1 else
                    TrackStatus.TENTATIVE))
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
        if track.status != TrackStatus.TENTATIVE or track.hits >= self.num_tentatives:
            track.status = TrackStatus.TRACKED

    def mark_missed(self, track: Track) -> None:
        """An active track found no detection in this frame."""
        if track.status == TrackStatus.TENTATIVE:
            self.end_track(track)
        elif track.status == TrackStatus.TRACKED:
            track.status = TrackStatus.LOST

    def end_track(self, track: Track) -> None:
        """End ``track`` for good (it is pruned at the end of the frame)."""
        if track.status != TrackStatus.REMOVED:
            track.status = TrackStatus.REMOVED
            track.end_frame = self.frame_id

    def after_update(self, instances: InstanceData, frame: Optional[np.ndarray]) -> None:
        """Hook run after assignment (e.g. to keep the frame for optical flow)."""

    def end_tracks(self) -> None:
        """The end-of-track step: remove the tracks that the next frame could not match
        (unmatched for ``max_age`` frames) and prune every removed track."""
        for track in self.tracks:
            if track.status != TrackStatus.REMOVED and \
                    self.frame_id + 1 - track.last_frame > self.max_age:
                self.end_track(track)
        if any(t.status == TrackStatus.REMOVED for t in self.tracks):
            self.ended_tracks.extend(t for t in self.tracks if t.status == TrackStatus.REMOVED)
            self.tracks = [t for t in self.tracks if t.status != TrackStatus.REMOVED]


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
    kpts = to_numpy(instances.keypoints, np.float32)
    if kpts.ndim != 3 or kpts.shape[-1] != 2:
        raise ValueError(f'"keypoints" must have shape (N, K, 2), got {kpts.shape}')
    n, k = kpts.shape[:2]
    scores = (to_numpy(instances.keypoint_scores, np.float32)
              if 'keypoint_scores' in instances else np.ones((n, k), np.float32))
    if scores.shape != (n, k):
        raise ValueError(f'"keypoint_scores" must have shape {(n, k)}, got {scores.shape}')
    if 'bboxes' in instances:
        bboxes = to_numpy(instances.bboxes, np.float32).reshape(-1, 4)
    else:
        bboxes = keypoint_boxes(kpts, scores)
    if bboxes.shape != (n, 4):
        raise ValueError(f'"bboxes" must have shape {(n, 4)}, got {bboxes.shape}')
    bbox_scores = (to_numpy(instances.bbox_scores, np.float32).reshape(-1)
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
