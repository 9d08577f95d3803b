"""Region-update tracking with a detector-based failure checker (Zhou, Deng, Zafeiriou)."""
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.geometry import clip_boxes, keypoint_boxes, scale_boxes
from plugins.registry import POSE_STAGES, TRACKERS
from plugins.utils.keypoint_similarity import pairwise_box_iou
from .base_tracker import BaseTracker
from .frame_context import FrameContext
from .proposal_source import BaseProposalSource
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
    return scale_boxes(boxes, extension)


@TRACKERS.register_module()
class RegionUpdateTracker(BaseTracker, BaseProposalSource):
    """Follow each person by the region its predicted landmarks span, until a checker fails.

    The paper's detect-then-track loop. In a :class:`PoseTrackingPipeline` this tracker is
    also a proposal source, and per frame t:

    1. every live track proposes its region, updated from its landmarks in frame t-1 (the box
       of its confident joints, extended by ``region_extension``);
    2. the failure checker (the detector's region classification head,
       :class:`~plugins.apis.detector_region_scorer.DetectorRegionScorer`; in a pipeline
       ``dict(type='DetectorRegionScorer', detector=dict(shared='detector'))`` reuses the
       loaded detector) scores each region in frame t; a score below ``failure_threshold``
       ends the tracklet for good;
    3. the detector runs on frame t only when a check failed, when there is no live track, or
       every ``detect_every`` frames (to find new people; ``None`` = never for that reason);
       otherwise the pose stage sees only the regions;
    4. the pose stage estimates the pose inside each region (and each detector box), pose
       NMS removes duplicates (a region pose and a detection of the same person), and the
       tracker matches: a pose estimated in a track's region continues that track
       (similarity 1 + IoU), other pairs by the IoU of the track's region with the pose's
       landmark region; unmatched poses start new tracks.

    Alone (``update(frame, instances)`` with the poses of frame t), steps 1, 2 and 4 run with
    the given poses as the detections.

    Args:
        failure_scorer: ``scorer(frame (H, W, 3) BGR uint8, boxes (M, 4) xyxy) -> (M,)``
            person scores, a config of one (e.g. ``dict(type='DetectorRegionScorer',
            config=...)``), or None (no failure check: the tracker then needs no pixels).
        failure_threshold: tracks whose region scores below it end.
        region_extension: regions are the landmark boxes scaled by this factor.
        detect_every: in a pipeline, also run the detector every this many frames (new
            people); 1 = every frame (detector always on, regions only add proposals).
        duplicate_iou: in a pipeline, a pose estimated in a region is dropped when its
            landmark region overlaps that of a detected pose by this IoU or more (the
            detection then continues the track by region IoU).
        match_threshold: minimum region IoU of a match.
        assignment: ``'greedy'`` or ``'hungarian'``.
        max_age: frames a live track may go unmatched and still be continued.
        min_keypoint_score: joints scored at or below it do not shape regions.
        **kwargs: lifecycle options of :class:`BaseTracker` (``num_tentatives``,
            ``ended_history``).
    """

    uses_tracked = True

    def __init__(self,
                 failure_scorer: Union[None, dict, RegionScorer] = None,
                 failure_threshold: float = 0.5,
                 region_extension: float = 1.2,
                 detect_every: Optional[int] = 10,
                 duplicate_iou: float = 0.5,
                 match_threshold: float = 0.3,
                 assignment: str = 'greedy',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0,
                 **kwargs) -> None:
        if isinstance(failure_scorer, dict):
            failure_scorer = POSE_STAGES.build(failure_scorer)
        if failure_scorer is not None and not callable(failure_scorer):
            raise TypeError('failure_scorer must be callable(frame, boxes), a config of one or '
                            f'None, got {type(failure_scorer).__name__}')
        if region_extension <= 0:
            raise ValueError(f'region_extension must be positive, got {region_extension}')
        if detect_every is not None and detect_every < 1:
            raise ValueError(f'detect_every must be >= 1 or None, got {detect_every}')
        self.failure_scorer = failure_scorer
        self.failure_threshold = float(failure_threshold)
        self.region_extension = float(region_extension)
        self.detect_every = detect_every
        self.duplicate_iou = float(duplicate_iou)
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=max_age, min_keypoint_score=min_keypoint_score, **kwargs)

    def reset(self) -> None:
        super().reset()
        self._checked_frame = -1
        self._failed_now = 0
        #: frames on which the detector ran (pipeline mode), for inspection
        self.detector_frames: List[int] = []

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
        """Score the live tracks' regions in the new ``frame`` and end those below the
        threshold (once per frame).

        Args:
            frame: the new frame (H, W, 3) BGR uint8.

        Raises:
            ValueError: no frame, or a scorer output of the wrong shape or not finite.
        """
        if self._checked_frame == self.frame_id + 1:
            return
        self._checked_frame = self.frame_id + 1
        self._failed_now = 0
        ids, regions = self.next_regions()
        if self.failure_scorer is None or len(ids) == 0:
            return
        if frame is None:
            raise ValueError('RegionUpdateTracker with a failure_scorer needs the frame pixels '
                             '(update(frame, instances) was given frame=None)')
        regions = clip_boxes(regions, frame.shape[:2])
        scores = np.asarray(self.failure_scorer(frame, regions), np.float64).reshape(-1)
        if scores.shape != (len(ids), ) or not np.isfinite(scores).all():
            raise ValueError(f'failure_scorer returned {scores.shape} scores '
                             f'(finite: {bool(np.isfinite(scores).all())}) for {len(ids)} regions')
        by_id = {t.track_id: t for t in self.tracks}
        for tid, score in zip(ids.tolist(), scores.tolist()):
            track = by_id[tid]
            track.state['region_score'] = score
            if score < self.failure_threshold:
                self._fail(track)

    def _fail(self, track: Track) -> None:
        track.state['ended'] = True
        track.state['end_frame'] = self.frame_id + 1
        self.end_track(track)
        track.end_frame = self.frame_id + 1
        self._failed_now += 1

    # ------------------------------------------------------------------ proposal source
    def propose(self, ctx: FrameContext) -> InstanceData:
        """The live tracks' updated regions that pass the check in ``ctx.image``; each
        proposal carries its track's id (``track_hint``)."""
        self.check_failures(ctx.image)
        ids, regions = self.next_regions()
        if ctx.image is not None and len(regions):
            regions = clip_boxes(regions, ctx.shape)
        by_id = {t.track_id: t for t in self.tracks}
        scores = np.array([by_id[i].state.get('region_score', 1.0) for i in ids.tolist()],
                          np.float32)
        return InstanceData(bboxes=regions.astype(np.float32), bbox_scores=scores,
                            track_hint=ids)

    def needs_detector(self, ctx: FrameContext) -> bool:
        """After :meth:`propose`: a check failed, nobody is tracked, or it is a
        ``detect_every`` frame."""
        ids, _ = self.next_regions()
        run = (self._failed_now > 0 or len(ids) == 0 or
               (self.detect_every is not None and ctx.index % self.detect_every == 0))
        if run:
            self.detector_frames.append(ctx.index)
        return run

    def accept(self, ctx: FrameContext, own: InstanceData, others: InstanceData) -> np.ndarray:
        """Drop region poses that duplicate a detected pose (landmark-region IoU >=
        ``duplicate_iou``)."""
        if len(own) == 0 or len(others) == 0:
            return np.ones(len(own), bool)
        iou = pairwise_box_iou(self.regions(_pose_view(own)), self.regions(_pose_view(others)))
        return ~(iou >= self.duplicate_iou).any(axis=1)

    # ------------------------------------------------------------------ tracker
    def prepare(self, ctx: FrameContext, instances: InstanceData) -> None:
        """Alone (no :meth:`propose` this frame): the failure check on the given frame."""
        if self._checked_frame != self.frame_id:
            self.frame_id -= 1  # check_failures looks at "the next frame"
            try:
                self.check_failures(ctx.image)
            finally:
                self.frame_id += 1

    @property
    def active_tracks(self) -> List[Track]:
        """Recent tracks whose region has not failed the checker."""
        return [t for t in super().active_tracks if not t.state.get('ended', False)]

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N): 1 + IoU for a pose estimated in the track's own region, else the IoU of
        the track's updated region with the pose's landmark region."""
        track_regions = np.stack([t.state['region'] for t in tracks])
        sim = pairwise_box_iou(track_regions, self.regions(instances))
        if 'track_hint' in instances:
            hint = np.asarray(instances.track_hint).reshape(-1)
            own = np.array([t.track_id for t in tracks])[:, None] == hint[None, :]
            sim = np.where(own, 1.0 + sim, sim)
        return sim

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


def _pose_view(inst: InstanceData) -> InstanceData:
    """The pose fields :meth:`RegionUpdateTracker.regions` reads, as float32 arrays."""
    return InstanceData(keypoints=np.asarray(inst.keypoints, np.float32),
                        keypoint_scores=np.asarray(inst.keypoint_scores, np.float32),
                        bboxes=np.asarray(inst.bboxes, np.float32).reshape(-1, 4))
