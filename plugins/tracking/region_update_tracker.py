"""Region-update tracking with a detector-based failure checker (Zhou, Deng, Zafeiriou)."""
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.registry import POSE_STAGES, TRACKERS
from plugins.utils.keypoint_similarity import pairwise_box_iou
from .base_tracker import BaseTracker, keypoint_boxes
from .track import Track

RegionScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


def pose_regions(keypoints: np.ndarray, keypoint_scores: np.ndarray, bboxes: np.ndarray,
                 min_keypoint_score: float, extension: float) -> np.ndarray:
    """Person regions from landmarks: the box of the confident joints, scaled about its centre.

    Poses whose confident joints span no area (a single joint) fall back to their ``bboxes``.

    Args:
        keypoints: (N, K, 2).
        keypoint_scores: (N, K).
        bboxes: (N, 4) ``xyxy`` fallback boxes.
        min_keypoint_score: joints scored at or below it are left out (all joints if none
            is above).
        extension: width/height multiplier (1.2 = 20% larger).

    Returns:
        (N, 4) float32 ``xyxy`` regions.
    """
    boxes = keypoint_boxes(keypoints, keypoint_scores, min_keypoint_score).astype(np.float64)
    flat = ((boxes[:, 2:] - boxes[:, :2]) < 1.0).any(axis=1)
    boxes[flat] = np.asarray(bboxes, np.float64).reshape(-1, 4)[flat]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2]) * (extension / 2)
    return np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)


@TRACKERS.register_module()
class RegionUpdateTracker(BaseTracker):
    """Follow each person by the region its predicted landmarks span, until a checker fails.

    The paper's detect-then-track framework: a person's region for the next frame is updated
    from the landmarks predicted in the current one (the box of its confident joints, extended
    by ``region_extension``). At every frame the region of each live track is first scored by
    the failure checker, the detector's region classification head (see
    :class:`plugins.tracking.detector_region_scorer.DetectorRegionScorer`) applied to that
    box in the new frame: a score below ``failure_threshold`` ends the tracklet for good, and
    the detector's proposals take over (the person, if still there, starts a new track).
    Surviving tracks are matched to this frame's poses by the IoU of their region with the
    poses' own landmark regions; unmatched poses start new tracks.

    For pipelines that estimate poses inside tracked regions, :meth:`next_regions` gives the
    regions of the live tracks for the next frame.

    Args:
        failure_scorer: ``scorer(frame (H, W, 3) BGR uint8, boxes (M, 4) xyxy) -> (M,)``
            person scores, a ``TRACKERS`` config of one (e.g. ``dict(type=
            'DetectorRegionScorer', config=..., checkpoint=...)``), or None (no failure check:
            the tracker then needs no pixels).
        failure_threshold: tracks whose region scores below it end.
        region_extension: regions are the landmark boxes scaled by this factor.
        match_threshold: minimum region IoU of a match.
        assignment: ``'greedy'`` or ``'hungarian'``.
        max_age: frames a live track may go unmatched and still be continued.
        min_keypoint_score: joints scored at or below it do not shape regions.
    """

    def __init__(self,
                 failure_scorer: Union[None, dict, RegionScorer] = None,
                 failure_threshold: float = 0.5,
                 region_extension: float = 1.2,
                 match_threshold: float = 0.3,
                 assignment: str = 'greedy',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0) -> None:
        if isinstance(failure_scorer, dict):
            failure_scorer = POSE_STAGES.build(failure_scorer)
        if failure_scorer is not None and not callable(failure_scorer):
            raise TypeError('failure_scorer must be callable(frame, boxes), a TRACKERS config or '
                            f'None, got {type(failure_scorer).__name__}')
        if region_extension <= 0:
            raise ValueError(f'region_extension must be positive, got {region_extension}')
        self.failure_scorer = failure_scorer
        self.failure_threshold = float(failure_threshold)
        self.region_extension = float(region_extension)
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=max_age, min_keypoint_score=min_keypoint_score)

    @property
    def active_tracks(self) -> List[Track]:
        """Recent tracks whose region has not failed the checker."""
        return [t for t in super().active_tracks if not t.state.get('ended', False)]

    def regions(self, instances: InstanceData) -> np.ndarray:
        """(N, 4) landmark regions of validated instances."""
        return pose_regions(instances.keypoints, instances.keypoint_scores, instances.bboxes,
                            self.min_keypoint_score, self.region_extension)

    def next_regions(self) -> Tuple[np.ndarray, np.ndarray]:
        """Regions where the live tracks are expected in the next frame.

        Returns:
            ``(track_ids (T,) int64, regions (T, 4) float32 xyxy)``.
        """
        live = [t for t in self.tracks if not t.state.get('ended', False)
                and self.frame_id + 1 - t.last_frame <= self.max_age]
        ids = np.array([t.track_id for t in live], np.int64)
        regions = (np.stack([t.state['region'] for t in live]).astype(np.float32) if live else
                   np.zeros((0, 4), np.float32))
        return ids, regions

    def check_failures(self, frame: Optional[np.ndarray]) -> None:
        """Score the live tracks' regions in ``frame`` and end those below the threshold.

        Args:
            frame: the new frame (H, W, 3) BGR uint8.

        Raises:
            ValueError: no frame, or a scorer output of the wrong shape or not finite.
        """
        ids, regions = self.next_regions()
        if self.failure_scorer is None or len(ids) == 0:
            return
        if frame is None:
            raise ValueError('RegionUpdateTracker with a failure_scorer needs the frame pixels '
                             '(update(frame, instances) was given frame=None)')
        h, w = frame.shape[:2]
        regions = np.clip(regions, 0, [w, h, w, h]).astype(np.float32)
        scores = np.asarray(self.failure_scorer(frame, regions), np.float64).reshape(-1)
        if scores.shape != (len(ids), ) or not np.isfinite(scores).all():
            raise ValueError(f'failure_scorer returned {scores.shape} scores '
                             f'(finite: {bool(np.isfinite(scores).all())}) for {len(ids)} regions')
        by_id = {t.track_id: t for t in self.tracks}
        for tid, score in zip(ids.tolist(), scores.tolist()):
            track = by_id[tid]
            track.state['region_score'] = score
            if score < self.failure_threshold:
                track.state['ended'] = True
                track.state['end_frame'] = self.frame_id + 1

    def update(self, frame: Optional[np.ndarray], instances: InstanceData) -> InstanceData:
        """Failure-check the live tracks in ``frame``, then assign ids (see class docstring).

        Args:
            frame: the current image (H, W, 3) BGR uint8 (may be None without a scorer).
            instances: the poses of this frame.

        Returns:
            A copy of ``instances`` with ``track_ids`` (N,) int64.
        """
        self.check_failures(frame)
        return super().update(frame, instances)

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N) IoU of each track's updated region with each pose's landmark region."""
        track_regions = np.stack([t.state['region'] for t in tracks])
        return pairwise_box_iou(track_regions, self.regions(instances))

    def start_track(self, instances: InstanceData, index: int,
                    frame: Optional[np.ndarray]) -> Track:
        """New track whose region comes from the pose's landmarks."""
        track = super().start_track(instances, index, frame)
        track.state['region'] = self.regions(instances[index:index + 1])[0]
        return track

    def update_track(self, track: Track, instances: InstanceData, index: int,
                     frame: Optional[np.ndarray]) -> None:
        """Move the track and update its region from the new landmarks."""
        super().update_track(track, instances, index, frame)
        track.state['region'] = self.regions(instances[index:index + 1])[0]
