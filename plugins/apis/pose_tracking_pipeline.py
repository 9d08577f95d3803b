"""The video pipeline, one direction per frame:

``frame -> FrameContext -> detector stage -> proposal sources -> pose stage (once, on all
proposals) -> sources' acceptance -> pose NMS -> tracker -> sources' observe -> output joint
threshold``; per video the post-processors' :class:`~plugins.tracking.track_edits.TrackEdits`.
"""
import inspect
import time
import warnings
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

import numpy as np
from mmengine.structures import InstanceData

from plugins.registry import TASK_UTILS, TRACKING_PIPELINES
from plugins.tracking.base_tracker import BaseTracker
from plugins.tracking.frame_context import FrameContext
from plugins.tracking.post_processor import BasePostProcessor
from plugins.tracking.proposal_source import BaseProposalSource
from plugins.tracking.track_edits import TrackEdits
from plugins.utils.metainfo import dataset_meta_follows
from .person_detector import detections

INSTANCE_FIELDS = ('keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores')
#: per-person fields used between the stages of one frame, not reported
_STAGE_FIELDS = ('crop_bboxes', 'source')
#: the id of the track whose proposal a pose was estimated in (-1: detector / none)
TRACK_HINT = 'track_hint'


class NonFiniteOutputError(ValueError):
    """A model produced NaN or inf (the message names the stage, frame and field)."""


class FrameResult(NamedTuple):
    """A finished frame: its index, pixels (or None) and tracked poses."""

    index: int
    image: Optional[np.ndarray]
    result: InstanceData


@TRACKING_PIPELINES.register_module()
class PoseTrackingPipeline:
    """Multi-person pose tracking of a frame stream, wired from registered stages.

    Per frame, in one direction (:meth:`step` / :meth:`push`):

    1. the **detector stage** (``detector``: :class:`MMDetPersonDetector`, box extension
       included; or boxes given by the caller, e.g. ground truth). It runs when there is no
       proposal source or when any source's ``needs_detector(ctx)`` says so;
    2. every **proposal source** (``proposal_sources``, ``PROPOSAL_SOURCES``) adds boxes
       (recovered persons, regions updated from the previous frame);
    3. the **pose stage** (``pose_estimator``) runs once on all proposals;
    4. each source's ``accept(ctx, own, others)`` keeps or drops its own poses;
    5. **pose NMS** (``pose_nms``, ``POSE_NMS``) on the confident poses;
    6. the **tracker** (``TRACKERS``); sources and post-processors observe the tracked frame;
    7. the **output joint threshold** ``keypoint_score_thr`` (separate from every
       association threshold).

    Per video (:meth:`finalize_edits`): the ``post_processors`` (``POST_PROCESSORS``) in config
    order turn what they observed into :class:`TrackEdits`, which the sinks of
    :class:`~plugins.apis.video_runner.VideoRunner` apply.

    Stages that need the keypoint layout get the pose model's ``dataset_meta`` set after
    building (values their config names win). Models named in ``models`` are built once on
    ``device``; a stage config refers to one by ``dict(shared='name')`` (the detector and pose
    stages are shared as ``'detector'`` and ``'pose_estimator'`` too).

    Args:
        pose_estimator: ``dict(config=..., checkpoint=..., [type='MMPoseTopdownEstimator'])``.
        tracker: tracker config, e.g. ``dict(type='OKSTracker')``.
        detector: ``dict(config=..., checkpoint=..., score_thr=..., bbox_extension=...,
            [low_score_thr=...], [type='MMDetPersonDetector'])``; ``None`` means boxes are
            given to :meth:`step`.
        pose_nms: pose NMS config (``None`` = no NMS).
        recovery: a recovery config: a proposal source, or an old-style component with
            ``recover(...)`` (called after NMS with a callback into the pose stage).
        proposal_sources: list of proposal source configs.
        post_processors: list of per-video post-processor configs.
        models: ``{name: config}`` of models shared by several stages.
        device: torch device of every model-holding stage (a stage config's ``device`` wins).
        nonfinite: ``'error'`` raises :class:`NonFiniteOutputError` when a model outputs
            NaN/inf; ``'drop'`` drops those persons with a warning naming frame and stage.
        keypoint_score_thr: joints scored below it are reported as missing (``(0, 0)``, score
            0: the PoseTrack convention). Applied after tracking: NMS, sources and tracker see
            every joint. ``None`` reports all joints.
        min_keypoints: output poses left with fewer joints scored >= ``keypoint_score_thr``
            are dropped (false-positive pruning; 0 keeps all).
    """

    def __init__(self,
                 pose_estimator: dict,
                 tracker: dict,
                 detector: Optional[dict] = None,
                 pose_nms: Optional[dict] = None,
                 recovery: Optional[dict] = None,
                 proposal_sources: Optional[List[dict]] = None,
                 post_processors: Optional[List[dict]] = None,
                 models: Optional[Dict[str, dict]] = None,
                 device: str = 'cpu',
                 nonfinite: str = 'error',
                 keypoint_score_thr: Optional[float] = None,
                 min_keypoints: int = 0) -> None:
        if nonfinite not in ('error', 'drop'):
            raise ValueError(f"nonfinite must be 'error' or 'drop', got {nonfinite!r}")
        self.nonfinite = nonfinite
        self.keypoint_score_thr = keypoint_score_thr
        self.min_keypoints = int(min_keypoints)
        self.device = device
        # a CUDA device with CPU-only mmcv ops stops here, with the rebuild command
        from plugins.utils.mmcv_ops import check_mmcv_ops_for_device
        check_mmcv_ops_for_device(device, where='PoseTrackingPipeline')
        self.dataset_meta: dict = {}
        self.models: Dict[str, Any] = {}
        for name, cfg in (models or {}).items():
            self.models[name] = build_shared_model(cfg, device)
        self.pose_estimator = self.build_stage(pose_estimator, 'MMPoseTopdownEstimator')
        self.dataset_meta = dict(self.pose_estimator.dataset_meta)
        self.detector = (None if detector is None else
                         self.build_stage(detector, 'MMDetPersonDetector'))
        self.models.setdefault('pose_estimator', self.pose_estimator)
        if self.detector is not None:
            self.models.setdefault('detector', self.detector)
        self.pose_nms = None if pose_nms is None else self.build_stage(pose_nms)
        self.proposal_sources: List[BaseProposalSource] = [
            self.build_stage(c) for c in (proposal_sources or [])]
        if recovery is not None:
            built = self.build_stage(recovery)
            if not isinstance(built, BaseProposalSource):
                raise TypeError(f'recovery {type(built).__name__} is not a proposal source: '
                                'subclass plugins.tracking.proposal_source.BaseProposalSource '
                                '(propose / accept / observe; docs/architecture.md)')
            self.proposal_sources.append(built)
        self.tracker = self.build_stage(tracker)
        if isinstance(self.tracker, BaseProposalSource):  # e.g. the region-update loop
            self.proposal_sources.append(self.tracker)
        self.post_processors: List[BasePostProcessor] = [
            self.build_stage(c) for c in (post_processors or [])]
        for post in self.post_processors:  # e.g. when a track can no longer come back
            if callable(getattr(post, 'bind_tracker', None)):
                post.bind_tracker(self.tracker)
        if callable(getattr(self.tracker, 'finalize', None)):
            raise TypeError(f'tracker {type(self.tracker).__name__} has a finalize() pass: '
                            'whole-video passes are post-processors '
                            '(tracking_pipeline.post_processors, docs/architecture.md)')
        lookahead = int(getattr(self.pose_estimator, 'lookahead', 0) or 0)
        if lookahead and any(getattr(s, 'uses_tracked', True) for s in self.proposal_sources):
            raise ValueError('a pose stage with look-ahead cannot be combined with proposal '
                             'sources that read the previous frame\'s tracked poses')
        #: cumulative seconds per stage: ``detector``, ``pose_estimator`` (model stages incl.
        #: their preprocessing), ``recovery`` (proposal sources) and ``overhead`` (checks,
        #: NMS, tracking), wall-clock; the same with a ``cpu_`` prefix in process CPU time;
        #: and ``frames``.
        self.timings: Dict[str, float] = defaultdict(float)
        self.reset()

    # ------------------------------------------------------------------ building
    def build_stage(self, cfg: Any, default_type: Optional[str] = None):
        """Build one stage from its config (a built object is returned as is).

        ``dict(shared=name)`` values are replaced by the shared model ``name``; the pipeline's
        ``device`` fills a ``device`` argument the config leaves out; the stage's
        ``dataset_meta`` is set right after building.
        """
        if not isinstance(cfg, dict):
            if isinstance(cfg, type) or cfg is None:
                raise TypeError(f'a stage config must be a dict or a built stage, got {cfg!r}')
            return cfg
        cfg = {k: self._resolve_shared(v) for k, v in cfg.items()}
        if default_type is not None:
            cfg.setdefault('type', default_type)
            if cfg['type'] == default_type and 'config' not in cfg:
                raise ValueError(f'a {default_type} stage needs dict(config=..., '
                                 f'checkpoint=...), got {cfg!r}')
        cls = _stage_class(cfg)
        params = _init_parameters(cls)
        if 'device' in params:
            cfg.setdefault('device', self.device)
        _legacy_metainfo_args(cls, cfg, params, self.dataset_meta)
        with dataset_meta_follows():
            stage = TASK_UTILS.build(cfg)
        if self.dataset_meta and _has_meta_setter(stage):
            stage.dataset_meta = self.dataset_meta
        return stage

    def _resolve_shared(self, value):
        """``value`` with every ``dict(shared=name)`` inside it replaced by that model."""
        if isinstance(value, dict):
            if set(value) == {'shared'}:
                if value['shared'] not in self.models:
                    raise KeyError(f'no shared model {value["shared"]!r}: the pipeline has '
                                   f'{sorted(self.models)} (set them in `models=dict(...)`)')
                return self.models[value['shared']]
            return {k: self._resolve_shared(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._resolve_shared(v) for v in value)
        return value

    # ------------------------------------------------------------------ online API
    def reset(self) -> None:
        """Start a new video: forget tracks, the previous frame and the frame size."""
        self.tracker.reset()
        for stage in (*self.proposal_sources, *self.post_processors):
            if stage is not self.tracker:
                stage.reset()
        if hasattr(self.pose_estimator, 'reset'):
            self.pose_estimator.reset()
        self.frame_index = -1
        self._frame_shape: Optional[Tuple[int, ...]] = None

    def step(self,
             frame: np.ndarray,
             bboxes: Optional[np.ndarray] = None,
             bbox_scores: Optional[np.ndarray] = None) -> InstanceData:
        """Track the persons of the next frame (zero-latency pose stages).

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
            ValueError: the frame is not an image or its size differs from the first frame;
                the pose stage has look-ahead (use :meth:`push`).
            NonFiniteOutputError: a model output NaN/inf (with ``nonfinite='error'``).
        """
        if getattr(self.pose_estimator, 'lookahead', 0):
            raise ValueError('this pose stage delays frames (look-ahead): use push()/flush()')
        out = self.push(frame, bboxes=bboxes, bbox_scores=bbox_scores)
        return out[0].result

    def push(self,
             frame: np.ndarray,
             bboxes: Optional[np.ndarray] = None,
             bbox_scores: Optional[np.ndarray] = None) -> List[FrameResult]:
        """Feed the next frame; return the frames finished now (in order).

        A pose stage without look-ahead finishes every frame at once (one result); one with
        look-ahead (``lookahead`` frames, e.g. a clip model) returns nothing until its
        neighbours have arrived. Call :meth:`flush` at the end of the video.

        Args: as :meth:`step`.

        Returns:
            :class:`FrameResult` records.
        """
        ctx = self._begin(frame)
        t0 = _clock()
        proposals = self._proposals(ctx, bboxes, bbox_scores)
        t1 = _clock()
        ready = self._pose_push(ctx, proposals)
        t2 = _clock()
        out = [self._finish(c, p) for c, p in ready]
        self._account(t0, t1, t2, _clock())
        return out

    def flush(self) -> List[FrameResult]:
        """Finish the frames a look-ahead pose stage still holds (end of the video)."""
        if not hasattr(self.pose_estimator, 'flush'):
            return []
        return [self._finish(c, p) for c, p in self.pose_estimator.flush()]

    def estimate_poses(self, frame: np.ndarray, bboxes: np.ndarray) -> InstanceData:
        """Top-down poses inside ``bboxes`` (M, 4) ``xyxy`` (old-style recovery's callback)."""
        poses = self.pose_estimator(frame, bboxes)
        keep = self._finite_rows('pose estimator (recovery)',
                                 {k: poses.get(k) for k in INSTANCE_FIELDS})
        return poses if keep.all() else poses[keep]

    # ------------------------------------------------------------------ the stages
    def _begin(self, frame: np.ndarray) -> FrameContext:
        self.frame_index += 1
        self._check_frame(frame)
        return FrameContext(index=self.frame_index, image=frame, models=self.models)

    def _proposals(self, ctx: FrameContext, bboxes, bbox_scores) -> InstanceData:
        """Proposal sources + detector stage: ``bboxes``, ``bbox_scores``, ``crop_bboxes``,
        ``low_score``, ``track_hint`` and ``source`` (-1: detector, i: ``proposal_sources[i]``).
        Sources propose first, then say whether the detector must run on this frame."""
        parts = []
        for i, source in enumerate(self.proposal_sources):
            prop = source.propose(ctx)
            n = len(prop.bboxes)
            part = detections(prop.bboxes, prop.get('bbox_scores'), ctx.shape)
            if 'crop_bboxes' in prop:
                part.crop_bboxes = np.asarray(prop.crop_bboxes, np.float32).reshape(n, 4)
            hint = prop.get(TRACK_HINT)
            part.set_field(np.full(n, -1, np.int64) if hint is None else
                           np.asarray(hint, np.int64).reshape(n), TRACK_HINT)
            part.source = np.full(n, i, np.int64)
            parts.append(part)
        det = None
        if bboxes is not None:
            det = detections(bboxes, bbox_scores, ctx.shape)
        elif self.detector is None:
            if not self.proposal_sources:
                raise ValueError('this pipeline has no detector: pass the person boxes to '
                                 'step(frame, bboxes=...)')
        elif (not self.proposal_sources or
              any([s.needs_detector(ctx) for s in self.proposal_sources])):
            det = self._detect(ctx)
        if det is None and not parts:
            det = detections(np.zeros((0, 4)), None, ctx.shape)
        if det is not None:
            det.set_field(np.full(len(det), -1, np.int64), TRACK_HINT)
            det.source = np.full(len(det), -1, np.int64)
            parts.insert(0, det)
        props = parts[0] if len(parts) == 1 else InstanceData.cat(parts)
        keep = self._finite_rows('detector', dict(bboxes=props.bboxes,
                                                  bbox_scores=props.bbox_scores))
        if not getattr(self.tracker, 'accepts_low_score', False):
            keep &= ~props.low_score
        return props if keep.all() else props[keep]

    def _detect(self, ctx: FrameContext) -> InstanceData:
        if hasattr(self.detector, 'detect_instances'):
            return self.detector.detect_instances(ctx.image)
        boxes, scores = self.detector(ctx.image)  # a plain ``frame -> (boxes, scores)`` stage
        return detections(boxes, scores, ctx.shape,
                          float(getattr(self.detector, 'bbox_extension', 1.0)))

    def _pose_push(self, ctx: FrameContext, props: InstanceData
                   ) -> List[Tuple[FrameContext, InstanceData]]:
        if getattr(self.pose_estimator, 'lookahead', 0):
            return list(self.pose_estimator.push(ctx, props))
        return [(ctx, self._estimate(ctx, props))]

    def _estimate(self, ctx: FrameContext, props: InstanceData) -> InstanceData:
        """The pose stage once on all proposals."""
        crops = props.crop_bboxes
        same = crops is props.bboxes or np.array_equal(crops, props.bboxes)
        poses = self.pose_estimator(ctx.image, props.bboxes, props.bbox_scores,
                                    crop_bboxes=None if same else crops)
        for key in ('source', 'low_score', TRACK_HINT):
            poses.set_field(np.asarray(props.get(key)), key)
        return poses

    def _finish(self, ctx: FrameContext, poses: InstanceData) -> FrameResult:
        """Acceptance, NMS, tracking, observers and the output threshold of one frame."""
        keep = self._finite_rows('pose estimator', {k: poses.get(k) for k in INSTANCE_FIELDS})
        if not keep.all():
            poses = poses[keep]
        poses = self._accept(ctx, poses)
        poses = self._suppress(poses)
        if isinstance(self.tracker, BaseTracker) and \
                type(self.tracker).update is BaseTracker.update:
            tracked = self.tracker.track(ctx, poses)
        else:  # a tracker with its own update(frame, instances)
            tracked = self.tracker.update(ctx.image, poses)
        tracked = _without(tracked, (TRACK_HINT, ))
        for stage in self.proposal_sources:
            if stage is not self.tracker:
                stage.observe(ctx, tracked)
        for post in self.post_processors:
            post.observe(ctx.index, tracked, ctx)
        if self.keypoint_score_thr is not None:
            tracked = mark_missing_joints(tracked, self.keypoint_score_thr, self.min_keypoints)
        return FrameResult(ctx.index, ctx.image, tracked)

    def _accept(self, ctx: FrameContext, poses: InstanceData) -> InstanceData:
        if not self.proposal_sources or len(poses) == 0:
            return _without(poses, _STAGE_FIELDS)
        source = np.asarray(poses.source)
        keep = np.ones(len(poses), bool)
        for i, stage in enumerate(self.proposal_sources):
            own = source == i
            if own.any():
                mask = np.asarray(stage.accept(ctx, _without(poses[own], _STAGE_FIELDS),
                                               _without(poses[~own], _STAGE_FIELDS)), bool)
                if mask.shape != (int(own.sum()), ):
                    raise ValueError(f'{type(stage).__name__}.accept returned shape '
                                     f'{mask.shape} for {int(own.sum())} poses')
                keep[np.flatnonzero(own)[~mask]] = False
        return _without(poses[keep], _STAGE_FIELDS)

    def _suppress(self, poses: InstanceData) -> InstanceData:
        """Pose NMS on the confident poses; low-score ones pass by it (for the tracker)."""
        low = np.asarray(poses.low_score, bool) if 'low_score' in poses else None
        if not getattr(self.tracker, 'accepts_low_score', False):
            poses = _without(poses, ('low_score', ))
            low = None
        if self.pose_nms is None or len(poses) == 0:
            return poses
        if low is None or not low.any():
            return self.pose_nms(poses)
        return InstanceData.cat([self.pose_nms(poses[~low]), poses[low]])

    def _account(self, t0, t1, t2, t3) -> None:
        for i, kind in enumerate(('', 'cpu_')):  # wall-clock and process CPU seconds
            self.timings[kind + 'detector'] += t1[i] - t0[i]
            self.timings[kind + 'pose_estimator'] += t2[i] - t1[i]
            self.timings[kind + 'overhead'] += t3[i] - t2[i]
        self.timings['frames'] += 1

    # ------------------------------------------------------------------ whole video
    @property
    def has_offline_stage(self) -> bool:
        """Whether a post-processor may change the results after the video."""
        return bool(self.post_processors)

    def finalize_edits(self, read_frame: Optional[Callable[[int], np.ndarray]] = None
                       ) -> TrackEdits:
        """The post-processors' edits of the video tracked since :meth:`reset`, chained in
        config order."""
        edits = TrackEdits()
        for post in self.post_processors:
            edits = post.finalize(edits, read_frame) if post.needs_frames else \
                post.finalize(edits)
        return edits

    def finalize(self, results: List[InstanceData]) -> List[InstanceData]:
        """``results`` (every frame since :meth:`reset`) with the post-processors' edits."""
        edits = self.finalize_edits()
        return [edits.apply(i, r) for i, r in enumerate(results)]

    def run_video(self,
                  frames: Iterable[np.ndarray],
                  bboxes: Optional[Iterable[Optional[np.ndarray]]] = None,
                  callback: Optional[Callable[[int, np.ndarray, InstanceData], None]] = None,
                  finalize: bool = True) -> List[InstanceData]:
        """Track a whole video from a fresh state and return every frame's result (for short
        clips; :class:`~plugins.apis.video_runner.VideoRunner` streams long videos).

        Args:
            frames: the frames in order (arrays, or :class:`~.frame_readers.Frame` records).
            bboxes: optional per-frame person boxes (instead of the detector).
            callback: called as ``callback(index, frame, result)`` after every frame with the
                online result.
            finalize: apply the post-processors' edits at the end.

        Returns:
            One ``InstanceData`` with ``track_ids`` per frame.
        """
        from .video_runner import VideoRunner
        results: List[InstanceData] = []
        sink = _ListSink(results, callback)
        VideoRunner(self, sinks=[sink], apply_edits=finalize).run(frames, bboxes=bboxes)
        return sink.final

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


class _ListSink:
    """Collects the results of :meth:`PoseTrackingPipeline.run_video`."""

    def __init__(self, results: List[InstanceData], callback) -> None:
        self.results, self.callback, self.final = results, callback, results

    def open(self, video) -> None:
        self.results.clear()

    def write(self, index, image, result, info) -> None:
        self.results.append(result)
        if self.callback is not None:
            self.callback(index, image, result)

    def close(self, edits: Optional[TrackEdits]) -> None:
        self.final = (self.results if edits is None or edits.is_identity else
                      [edits.apply(i, r) for i, r in enumerate(self.results)])


def _clock() -> Tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _without(inst: InstanceData, fields) -> InstanceData:
    drop = [f for f in fields if f in inst]
    if not drop:
        return inst
    out = inst.clone()
    for f in drop:
        del out[f]
    return out


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


def _stage_class(cfg: dict):
    obj_type = cfg.get('type')
    if not isinstance(obj_type, str):
        return obj_type
    cls = TASK_UTILS.get(obj_type)
    if cls is None:
        raise KeyError(f'{obj_type} is not registered in the {TASK_UTILS.scope}::'
                       f'{TASK_UTILS.name} registry (trackers, pose NMS, proposal sources, '
                       'post-processors and model stages live there)')
    return cls


def _init_parameters(cls) -> Dict[str, inspect.Parameter]:
    try:
        return dict(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return {}


def _has_meta_setter(stage) -> bool:
    return _has_meta_setter_cls(type(stage))


def _legacy_metainfo_args(cls, cfg: dict, params, dataset_meta: dict) -> None:
    """Compatibility for stages without a ``dataset_meta`` setter (not ported yet): fill the
    ``sigmas`` / ``dataset_meta`` / ``metainfo`` arguments that the config leaves out."""
    if not dataset_meta or cls is None or _has_meta_setter_cls(cls):
        return
    fills = dict(sigmas=dataset_meta.get('sigmas'), dataset_meta=dataset_meta,
                 metainfo=dataset_meta)
    if all(cfg.get(name) is None for name in fills):
        for name, value in fills.items():
            if name in params and value is not None:
                cfg[name] = value


def _has_meta_setter_cls(cls) -> bool:
    prop = getattr(cls, 'dataset_meta', None)
    return isinstance(prop, property) and prop.fset is not None


def build_shared_model(cfg: Any, device: str = 'cpu'):
    """Build a model shared by several stages (``models=dict(name=cfg)`` of the pipeline).

    Args:
        cfg: a built object (returned as is); a config of a registered stage
            (``TASK_UTILS``, e.g. ``MMDetPersonDetector``); or an mmpose ``MODELS`` config
            with an optional ``checkpoint`` (weights loaded, moved to ``device``, eval mode).
        device: torch device.

    Returns:
        The built model.
    """
    if not isinstance(cfg, dict):
        return cfg
    cfg = dict(cfg)
    if isinstance(cfg.get('type'), str) and TASK_UTILS.get(cfg['type']) is not None:
        if 'device' in _init_parameters(TASK_UTILS.get(cfg['type'])):
            cfg.setdefault('device', device)
        return TASK_UTILS.build(cfg)
    from plugins.registry import MODELS
    checkpoint = cfg.pop('checkpoint', None)
    model = MODELS.build(cfg)
    if checkpoint is not None:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()
