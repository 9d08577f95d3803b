"""The video pipeline: detector -> top-down poses -> pose NMS -> recovery -> tracker."""
import inspect
import time
import warnings
from collections import defaultdict
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np
from mmengine.registry import Registry
from mmengine.structures import InstanceData

from plugins.registry import PIPELINES, POSE_NMS, POSE_RECOVERY, TRACKERS

INSTANCE_FIELDS = ('keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores')


class NonFiniteOutputError(ValueError):
    """A model produced NaN or inf (the message names the stage, frame and field)."""


@PIPELINES.register_module()
class PoseTrackingPipeline:
    """Multi-person pose tracking of a frame stream, wired from registered stages.

    ``step(frame)`` runs, for one frame: the person detector (``detector``, an mmdet model
    wrapped by :class:`MMDetPersonDetector`, or boxes given by the caller, e.g. ground truth),
    the top-down pose estimator on all boxes at once (``pose_estimator``,
    :class:`MMPoseTopdownEstimator`), pose NMS (``POSE_NMS``), the optional recovery of missed
    poses (``POSE_RECOVERY``) and the tracker (``TRACKERS``). The pipeline only wires and
    checks: every algorithm lives in a stage built from its config dict.

    Stage configs that leave out ``sigmas`` / ``dataset_meta`` get them from the pose model's
    metainfo when the stage's constructor accepts them, so the same config works for any
    keypoint layout.

    Args:
        pose_estimator: ``dict(config=..., checkpoint=..., [type='MMPoseTopdownEstimator'])``.
        tracker: tracker config, e.g. ``dict(type='OKSTracker')``.
        detector: ``dict(config=..., checkpoint=..., score_thr=..., bbox_extension=...,
            [type='MMDetPersonDetector'])``; ``None`` means boxes are given to :meth:`step`.
        pose_nms: pose NMS config (``None`` = no NMS).
        recovery: recovery config (``None`` = no recovery).
        device: torch device of both models (a stage config's ``device`` wins).
        nonfinite: what to do when a model outputs NaN/inf: ``'error'`` raises
            :class:`NonFiniteOutputError`; ``'drop'`` drops those persons with a warning
            naming the frame and stage.
        keypoint_score_thr: joints scored below it are reported as missing in the results of
            :meth:`step` (coordinates ``(0, 0)``, score 0: the PoseTrack convention, so they
            count neither as detections for MOTA nor for AP). Applied after tracking: NMS,
            recovery and tracker see every joint. ``None`` reports all joints.
        min_keypoints: output poses with fewer joints scored >= ``keypoint_score_thr`` are
            dropped (false-positive pruning; 0 keeps all).
    """

    def __init__(self,
                 pose_estimator: dict,
                 tracker: dict,
                 detector: Optional[dict] = None,
                 pose_nms: Optional[dict] = None,
                 recovery: Optional[dict] = None,
                 device: str = 'cpu',
                 nonfinite: str = 'error',
                 keypoint_score_thr: Optional[float] = None,
                 min_keypoints: int = 0) -> None:
        if nonfinite not in ('error', 'drop'):
            raise ValueError(f"nonfinite must be 'error' or 'drop', got {nonfinite!r}")
        self.nonfinite = nonfinite
        self.keypoint_score_thr = keypoint_score_thr
        self.min_keypoints = int(min_keypoints)
        self.pose_estimator = _build_stage(pose_estimator, 'MMPoseTopdownEstimator', device)
        self.dataset_meta: dict = dict(self.pose_estimator.dataset_meta)
        self.detector = (None if detector is None else
                         _build_stage(detector, 'MMDetPersonDetector', device))
        self.pose_nms = (None if pose_nms is None else
                         build_with_metainfo(POSE_NMS, pose_nms, self.dataset_meta))
        self.recovery = (None if recovery is None else
                         build_with_metainfo(POSE_RECOVERY, recovery, self.dataset_meta))
        self.tracker = build_with_metainfo(TRACKERS, tracker, self.dataset_meta)
        #: cumulative seconds per stage: ``detector``, ``pose_estimator`` (model stages incl.
        #: their preprocessing), ``recovery`` and ``overhead`` (checks, NMS, tracking), wall-clock;
        #: the same with a ``cpu_`` prefix in process CPU time; and ``frames``.
        self.timings: Dict[str, float] = defaultdict(float)
        self.reset()

    # ------------------------------------------------------------------ online API
    def reset(self) -> None:
        """Start a new video: forget tracks, the previous frame and the frame size."""
        self.tracker.reset()
        self.frame_index = -1
        self._frame_shape: Optional[Tuple[int, ...]] = None
        self._prev_frame: Optional[np.ndarray] = None
        self._prev_instances: Optional[InstanceData] = None

    def step(self,
             frame: np.ndarray,
             bboxes: Optional[np.ndarray] = None,
             bbox_scores: Optional[np.ndarray] = None) -> InstanceData:
        """Track the persons of the next frame.

        Args:
            frame: (H, W, 3) BGR uint8, the same size as the first frame since :meth:`reset`.
            bboxes: (N, 4) ``xyxy`` person boxes to use instead of the detector (e.g. ground
                truth); required when the pipeline has no detector.
            bbox_scores: (N,) confidences of ``bboxes`` (1 when None).

        Returns:
            ``InstanceData`` with numpy ``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K),
            ``bboxes`` (N, 4) ``xyxy``, ``bbox_scores`` (N,) and ``track_ids`` (N,) int64;
            ``N = 0`` for a frame with nobody.

        Raises:
            ValueError: the frame is not an image or its size differs from the first frame.
            NonFiniteOutputError: a model output NaN/inf (with ``nonfinite='error'``).
        """
        self.frame_index += 1
        self._check_frame(frame)
        t0 = _clock()
        if bboxes is None:
            if self.detector is None:
                raise ValueError('this pipeline has no detector: pass the person boxes to '
                                 'step(frame, bboxes=...)')
            bboxes, bbox_scores = self.detector(frame)
            crop_bboxes = self._extend(bboxes, frame)
        else:
            bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
            crop_bboxes = None
        bbox_scores = (np.ones(len(bboxes), np.float32) if bbox_scores is None else
                       np.asarray(bbox_scores, np.float32).reshape(len(bboxes)))
        t1 = _clock()
        keep = self._finite_rows('detector', dict(bboxes=bboxes, bbox_scores=bbox_scores))
        if not keep.all():
            bboxes, bbox_scores = bboxes[keep], bbox_scores[keep]
            crop_bboxes = None if crop_bboxes is None else crop_bboxes[keep]
        t2 = _clock()
        poses = self.pose_estimator(frame, bboxes, bbox_scores, crop_bboxes=crop_bboxes)
        t3 = _clock()
        keep = self._finite_rows('pose estimator', {k: poses.get(k) for k in INSTANCE_FIELDS})
        if not keep.all():
            poses = poses[keep]
        if self.pose_nms is not None:
            poses = self.pose_nms(poses)
        r0 = _clock()
        if self.recovery is not None:
            poses = self.recovery.recover(self._prev_frame, self._prev_instances, frame, poses,
                                          self.estimate_poses)
        r1 = _clock()
        tracked = self.tracker.update(frame, poses)
        self._prev_frame, self._prev_instances = frame, tracked
        if self.keypoint_score_thr is not None:
            tracked = mark_missing_joints(tracked, self.keypoint_score_thr, self.min_keypoints)
        t4 = _clock()
        for i, kind in enumerate(('', 'cpu_')):  # wall-clock and process CPU seconds
            self.timings[kind + 'detector'] += t1[i] - t0[i]
            self.timings[kind + 'pose_estimator'] += t3[i] - t2[i]
            self.timings[kind + 'recovery'] += r1[i] - r0[i]
            self.timings[kind + 'overhead'] += (t2[i] - t1[i]) + (r0[i] - t3[i]) + (t4[i] - r1[i])
        self.timings['frames'] += 1
        return tracked

    def estimate_poses(self, frame: np.ndarray, bboxes: np.ndarray) -> InstanceData:
        """Top-down poses inside ``bboxes`` (M, 4) ``xyxy`` (the recovery stage's callback)."""
        poses = self.pose_estimator(frame, bboxes)
        keep = self._finite_rows('pose estimator (recovery)',
                                 {k: poses.get(k) for k in INSTANCE_FIELDS})
        return poses if keep.all() else poses[keep]

    # ------------------------------------------------------------------ whole video
    @property
    def has_offline_stage(self) -> bool:
        """Whether the tracker has a whole-video pass (:meth:`finalize` may change ids)."""
        return bool(getattr(self.tracker, 'has_offline_stage', False))

    def finalize(self, results: List[InstanceData]) -> List[InstanceData]:
        """The tracker's offline pass over the video tracked since :meth:`reset` (e.g.
        :class:`~plugins.tracking.CorrespondenceTracker`'s track merging).

        Args:
            results: the outputs of :meth:`step` for every frame since :meth:`reset`.

        Returns:
            The results with their final ``track_ids`` (unchanged for online-only trackers).
        """
        finalize = getattr(self.tracker, 'finalize', None)
        if finalize is None:
            return results
        final = finalize(list(results))
        if len(final) != len(results):
            raise ValueError(f'{type(self.tracker).__name__}.finalize returned {len(final)} '
                             f'frames for {len(results)}')
        return final

    def run_video(self,
                  frames: Iterable[np.ndarray],
                  bboxes: Optional[Iterable[Optional[np.ndarray]]] = None,
                  callback: Optional[Callable[[int, np.ndarray, InstanceData], None]] = None,
                  finalize: bool = True) -> List[InstanceData]:
        """Track a whole video from a fresh state.

        Args:
            frames: the frames in order (arrays, or :class:`~.frame_readers.Frame` records).
            bboxes: optional per-frame person boxes (instead of the detector).
            callback: called as ``callback(index, frame, result)`` after every frame (e.g. to
                write results incrementally) with the online result.
            finalize: run the tracker's offline pass (:meth:`finalize`) at the end.

        Returns:
            One ``InstanceData`` with ``track_ids`` per frame (after the offline pass).
        """
        self.reset()
        box_iter = iter(bboxes) if bboxes is not None else None
        results = []
        for index, frame in enumerate(frames):
            image = getattr(frame, 'image', frame)
            boxes = next(box_iter) if box_iter is not None else None
            result = self.step(image, bboxes=boxes)
            results.append(result)
            if callback is not None:
                callback(index, image, result)
        return self.finalize(results) if finalize else results

    __call__ = run_video

    # ------------------------------------------------------------------ checks
    def _check_frame(self, frame: np.ndarray) -> None:
        if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f'frame {self.frame_index}: expected an (H, W, 3) BGR image, got '
                             f'{getattr(frame, "shape", type(frame).__name__)}')
        if self._frame_shape is None:
            self._frame_shape = frame.shape
        elif frame.shape != self._frame_shape:
            raise ValueError(
                f'frame {self.frame_index} is {frame.shape[1]}x{frame.shape[0]} (WxH) but the '
                f'first frame of this video is {self._frame_shape[1]}x{self._frame_shape[0]}; '
                'call reset() between videos')

    def _extend(self, bboxes: np.ndarray, frame: np.ndarray) -> Optional[np.ndarray]:
        factor = getattr(self.detector, 'bbox_extension', 1.0)
        if factor == 1.0:
            return None
        from .person_detector import extend_boxes
        return extend_boxes(bboxes, factor, frame.shape[:2])

    def _finite_rows(self, stage: str, fields: Dict[str, Optional[np.ndarray]]) -> np.ndarray:
        """Rows (persons) whose fields are all finite; raise or warn about the others."""
        keep = None
        bad = []
        for name, value in fields.items():
            if value is None:
                continue
            arr = np.asarray(value)
            ok = np.isfinite(arr.reshape(len(arr), int(np.prod(arr.shape[1:])))).all(axis=1)
            if not ok.all():
                bad.append(f'"{name}" of {int((~ok).sum())} person(s)')
            keep = ok if keep is None else keep & ok
        if keep is None:
            return np.ones(0, bool)
        if bad:
            msg = (f'frame {self.frame_index}: the {stage} output NaN/inf in '
                   f'{", ".join(bad)}')
            if self.nonfinite == 'error':
                raise NonFiniteOutputError(msg + " (set nonfinite='drop' to drop them)")
            warnings.warn(msg + '; dropping those persons')
        return keep


def _clock() -> Tuple[float, float]:
    return time.perf_counter(), time.process_time()


def mark_missing_joints(instances: InstanceData, threshold: float,
                        min_keypoints: int = 0) -> InstanceData:
    """A copy of ``instances`` whose joints scored below ``threshold`` are ``(0, 0)``, score 0,
    without the poses left with fewer than ``min_keypoints`` joints."""
    if min_keypoints > 0 and len(instances):
        kept = (np.asarray(instances.keypoint_scores) >= threshold).sum(1) >= min_keypoints
        instances = instances[kept] if not kept.all() else instances
    out = instances.clone()
    low = np.asarray(out.keypoint_scores) < threshold
    out.keypoints = np.where(low[..., None], 0, out.keypoints).astype(np.float32)
    out.keypoint_scores = np.where(low, 0, out.keypoint_scores).astype(np.float32)
    return out


def _build_stage(cfg: dict, default_type: str, device: str):
    """Build a model stage from ``dict(config=..., checkpoint=..., [type=...], ...)``."""
    if not isinstance(cfg, dict):
        raise TypeError(f'a {default_type} stage config must be a dict, got {cfg!r}')
    cfg = dict(cfg)
    cfg.setdefault('type', default_type)
    if cfg['type'] == default_type and 'config' not in cfg:
        raise ValueError(f'a {default_type} stage needs dict(config=..., checkpoint=...), '
                         f'got {cfg!r}')
    cls = PIPELINES.get(cfg['type']) if isinstance(cfg['type'], str) else cfg['type']
    if cls is not None and 'device' in inspect.signature(cls.__init__).parameters:
        cfg.setdefault('device', device)
    cfg.setdefault('_scope_', PIPELINES.scope)  # model stages switch the default scope
    return PIPELINES.build(cfg)


def build_with_metainfo(registry: Registry, cfg: dict, dataset_meta: dict):
    """Build a stage, filling ``sigmas`` / ``dataset_meta`` / ``metainfo`` from the metainfo.

    When the config sets none of ``sigmas``, ``dataset_meta`` and ``metainfo``, those of them
    that the stage's constructor accepts are filled; a config that names any of them is kept
    as it is.

    Args:
        registry: where the stage is registered.
        cfg: its config dict (``type`` and arguments).
        dataset_meta: the pose model's parsed metainfo.

    Returns:
        The built stage.
    """
    cfg = dict(cfg)
    cls = registry.get(cfg['type']) if isinstance(cfg.get('type'), str) else cfg.get('type')
    if cls is None:
        raise KeyError(f'{cfg.get("type")!r} is not registered in the {registry.name} registry')
    params = inspect.signature(cls.__init__).parameters
    fills = dict(sigmas=dataset_meta.get('sigmas'), dataset_meta=dataset_meta,
                 metainfo=dataset_meta)
    if all(cfg.get(name) is None for name in fills):
        for name, value in fills.items():
            if name in params and value is not None:
                cfg[name] = value
    # our registries are the `plugins` children of mmengine's roots: build in that scope even
    # when an mmpose/mmdet model has set another default scope
    cfg.setdefault('_scope_', registry.scope)
    return registry.build(cfg)
