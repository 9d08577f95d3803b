"""Optical-flow tracker: track poses are moved into the current frame by dense flow, then OKS."""
import warnings
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np
from mmengine.structures import InstanceData

from plugins.registry import TRACKERS
from plugins.utils.optical_flow import FLOW_METHODS, compute_flow, resize_flow, warp_points
from .frame_context import FrameContext
from .oks_tracker import OKSTracker
from .track import Track


@TRACKERS.register_module()
class FlowTracker(OKSTracker):
    """OKS tracking against poses propagated by OpenCV dense optical flow.

    Every frame, the flow from the previous frame to the current one is computed once and the
    pose of every active track is moved with it (bilinear flow lookup at each joint); unmatched
    tracks keep being propagated, so a person missed for a frame or two is looked for where the
    flow carried them. Detections are then compared with the propagated poses by OKS.

    Without pixels (``frame is None``, e.g. tracking ground-truth poses) there is no flow:
    ``missing_frame='oks'`` falls back to plain OKS tracking (poses stay where they were, with a
    warning once), ``'error'`` raises.

    Args:
        flow_method: ``'dis'`` or ``'farneback'`` (:func:`plugins.utils.optical_flow.compute_flow`).
        flow_kwargs: extra arguments of ``compute_flow`` (``dis_preset`` or Farnebäck
            parameters).
        flow_downscale: compute the flow on images shrunk by this factor (>= 1) for speed; the
            flow is scaled back to full resolution.
        missing_frame: ``'oks'`` or ``'error'`` (see above).
        metainfo, sigmas, match_threshold, assignment, max_age, min_keypoint_score, area_mode:
            as :class:`OKSTracker` (default assignment here is ``'greedy'``).
        **kwargs: lifecycle options of :class:`BaseTracker` (``num_tentatives``,
            ``ended_history``).
    """

    def __init__(self,
                 flow_method: str = 'dis',
                 flow_kwargs: Optional[dict] = None,
                 flow_downscale: float = 1.0,
                 missing_frame: str = 'oks',
                 metainfo: Optional[Union[str, dict]] = None,
                 sigmas: Optional[Sequence[float]] = None,
                 match_threshold: float = 0.3,
                 assignment: str = 'greedy',
                 max_age: int = 1,
                 min_keypoint_score: float = 0.0,
                 area_mode: str = 'mean',
                 **kwargs) -> None:
        if flow_method not in FLOW_METHODS:
            raise ValueError(f'flow_method must be one of {FLOW_METHODS}, got {flow_method!r}')
        if not flow_downscale >= 1:
            raise ValueError(f'flow_downscale must be >= 1, got {flow_downscale}')
        if missing_frame not in ('oks', 'error'):
            raise ValueError(f"missing_frame must be 'oks' or 'error', got {missing_frame!r}")
        self.flow_method = flow_method
        self.flow_kwargs = dict(flow_kwargs or {})
        self.flow_downscale = float(flow_downscale)
        self.missing_frame = missing_frame
        super().__init__(metainfo=metainfo, sigmas=sigmas, match_threshold=match_threshold,
                         assignment=assignment, max_age=max_age,
                         min_keypoint_score=min_keypoint_score, area_mode=area_mode, **kwargs)

    def reset(self) -> None:
        """Forget tracks and the previous frame."""
        super().reset()
        self._prev_frame: Optional[np.ndarray] = None
        self._flow: Optional[np.ndarray] = None
        self._flow_frame_id = -1
        self._warned = False

    def current_flow(self, frame: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """The flow from the previous frame to ``frame`` (computed once per frame).

        Args:
            frame: the current BGR image or None.

        Returns:
            (H, W, 2) float32 flow, or None when either frame is missing.
        """
        if self._flow_frame_id == self.frame_id:
            return self._flow
        self._flow_frame_id = self.frame_id
        self._flow = None
        if not self.check_frame(frame):
            return None
        prev = self._prev_frame
        if prev is None or prev.shape != frame.shape:
            return None  # first frame, or a resolution change: nothing to propagate with
        if self.flow_downscale > 1:
            h, w = frame.shape[:2]
            size = (max(2, round(w / self.flow_downscale)), max(2, round(h / self.flow_downscale)))
            small = compute_flow(cv2.resize(prev, size, interpolation=cv2.INTER_AREA),
                                 cv2.resize(frame, size, interpolation=cv2.INTER_AREA),
                                 self.flow_method, **self.flow_kwargs)
            self._flow = resize_flow(small, (w, h))
        else:
            self._flow = compute_flow(prev, frame, self.flow_method, **self.flow_kwargs)
        return self._flow

    def check_frame(self, frame: Optional[np.ndarray]) -> bool:
        """Whether ``frame`` is a usable BGR image; None warns once or raises (see class).

        Raises:
            ValueError: the frame is not (H, W, 3), or is None with ``missing_frame='error'``.
        """
        if frame is None:
            if self.missing_frame == 'error':
                raise ValueError('FlowTracker needs the BGR frame, got None '
                                 "(set missing_frame='oks' to fall back to OKS tracking)")
            if not self._warned:
                warnings.warn('FlowTracker got no frame: tracking by OKS without optical flow')
                self._warned = True
            return False
        shape = np.shape(frame)
        if len(shape) != 3 or shape[2] != 3:
            raise ValueError(f'FlowTracker frame must be (H, W, 3) BGR, got shape {shape}')
        return True

    def propagate(self, tracks: List[Track], frame: Optional[np.ndarray]) -> None:
        """Bring the propagated pose (``state['flow_pose']``) of ``tracks`` to this frame.

        Args:
            tracks: tracks whose poses to move (those already at this frame are skipped).
            frame: the current BGR image or None.
        """
        todo = [t for t in tracks if t.state.get('flow_frame', -1) < self.frame_id]
        if not todo:
            return
        flow = self.current_flow(frame)
        poses = np.stack([t.state.get('flow_pose', t.keypoints) for t in todo])
        if flow is not None:
            poses = warp_points(poses, flow)
        for track, pose in zip(todo, poses):
            track.state['flow_pose'] = pose
            track.state['flow_frame'] = self.frame_id

    def prepare(self, ctx: FrameContext, instances: InstanceData) -> None:
        """Propagate the active tracks into this frame (the flow is computed once)."""
        self.propagate(self.active_tracks, ctx.image)

    def reference_poses(self, tracks: List[Track], instances: InstanceData,
                        frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, K, 2) track poses propagated into the current frame by optical flow (done in
        :meth:`prepare`)."""
        return np.stack([t.state['flow_pose'] for t in tracks])

    def start_track(self, instances: InstanceData, index: int,
                    frame: Optional[np.ndarray]) -> Track:
        """Start a track whose propagated pose is the detection itself."""
        track = super().start_track(instances, index, frame)
        self._reset_flow_pose(track)
        return track

    def update_track(self, track: Track, instances: InstanceData, index: int,
                     frame: Optional[np.ndarray]) -> None:
        """Move ``track`` to the detection and restart propagation from it."""
        super().update_track(track, instances, index, frame)
        self._reset_flow_pose(track)

    def after_update(self, instances: InstanceData, frame: Optional[np.ndarray]) -> None:
        """Propagate unmatched active tracks through this frame and keep the frame."""
        usable = self.check_frame(frame)
        self.propagate(self.active_tracks, frame)
        self._prev_frame = np.ascontiguousarray(frame) if usable else None

    def _reset_flow_pose(self, track: Track) -> None:
        track.state['flow_pose'] = track.keypoints.copy()
        track.state['flow_frame'] = self.frame_id
