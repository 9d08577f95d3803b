"""MMDetection's multi-object trackers (SORT, ByteTrack, OC-SORT, StrongSORT) as pose trackers.

mmdet 3.3's trackers (``mmdet/models/trackers``) take one frame's detections as a
``DetDataSample`` whose ``pred_instances`` hold ``bboxes`` (N, 4) ``xyxy``, ``scores`` (N,) and
``labels`` (N,), plus ``metainfo['frame_id']`` (0 resets them), and return an ``InstanceData``
with ``bboxes``, ``scores``, ``labels`` and ``instances_id``: a *subset* of the input rows (each
tracker drops some: SORT/StrongSORT those scored at or below ``obj_score_thr``, ByteTrack the
low-score detections its second association did not match and, while it has no track, those
not above ``init_track_thr``; OC-SORT those at or below ``obj_score_thr``), *reordered*
(matched detections first). SORT and StrongSORT are also called with a "model" that supplies
``reid(crops)`` (appearance embeddings) and ``cmc`` (camera motion compensation) and with the
image tensor.

:class:`MMDetTrackerAdapter` builds any of them from config and runs it on the pipeline's pose
instances: boxes are the detector's (or the keypoints' extent when the instances have none),
scores the ``bbox_scores``, every person label 0. Each returned row is mapped back to the input
row it was copied from (the trackers copy rows, never change them: equal ``(box, score)`` rows
are looked up, ties in input order), so the output is the kept input poses, in input order, with
``track_ids`` from mmdet's ``instances_id``; keypoints, scores and any extra field travel with
them. Appearance for SORT/StrongSORT comes from the project's Re-ID embedders
(:mod:`plugins.tracking.reid_tracker`, ``embedder(frame, bboxes)``) or from
``instances.embeddings``; mmdet's crop step is given a 1x1 image so no pixels are cropped twice.
Per-track histories that mmdet keeps as growing lists are cut to what the trackers read, so
memory does not grow with video length.
"""
import copy
import inspect
import types
from collections import defaultdict, deque
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from plugins.registry import MODELS, TRACKERS
from plugins.utils.metainfo import DatasetMetaMixin, load_sigmas
from .base_tracker import BaseTracker, validate_instances
from .frame_context import FrameContext
from .mmdet_lap import install_lap_fallback
from .reid_embedders import l2_normalize
from .track import Track, TrackStatus

#: Trackers whose ``track()`` takes ``(model, img, data_sample, ...)`` (SORT family).
_MODEL_ARG = 'model'


def row_lookup(bboxes: np.ndarray, scores: np.ndarray) -> Dict[bytes, deque]:
    """Index of every ``(box, score)`` row, for finding rows that mmdet copied.

    Args:
        bboxes: (N, 4) float32. scores: (N,) float32.

    Returns:
        ``{row bytes: deque of input indices}`` (several for identical rows, in input order).
    """
    rows = np.concatenate([np.asarray(bboxes, np.float32).reshape(-1, 4),
                           np.asarray(scores, np.float32).reshape(-1, 1)], axis=1)
    table = defaultdict(deque)
    for i, row in enumerate(rows):
        table[row.tobytes()].append(i)
    return table


def match_rows(table: Dict[bytes, deque], bboxes: np.ndarray, scores: np.ndarray,
               what: str = 'tracker output') -> np.ndarray:
    """Input indices of rows copied from the table's rows (each input row used once).

    Args:
        table: from :func:`row_lookup` (consumed).
        bboxes: (M, 4), scores: (M,) rows to look up.
        what: named in the error.

    Returns:
        (M,) int64 input indices.

    Raises:
        RuntimeError: a row is not one of the inputs (the tracker changed a box or score).
    """
    rows = np.concatenate([np.asarray(bboxes, np.float32).reshape(-1, 4),
                           np.asarray(scores, np.float32).reshape(-1, 1)], axis=1)
    out = np.empty(len(rows), np.int64)
    for i, row in enumerate(rows):
        candidates = table.get(row.tobytes())
        if not candidates:
            raise RuntimeError(f'{what} row {i} (box {row[:4].tolist()}, score {row[4]}) is '
                               'not one of the detections given to the mmdet tracker')
        out[i] = candidates.popleft()
    return out


class _EmbeddingBridge:
    """Stands in for mmdet's ``model.reid``: returns the embeddings computed for this frame.

    mmdet calls ``model.reid(crops, mode='tensor')`` with one crop per detection it kept, in
    order; the adapter passes only detections mmdet keeps, so the crops and the embeddings set
    by :meth:`set` correspond one to one (checked).
    """

    def __init__(self) -> None:
        self.embeddings = torch.zeros((0, 0))
        self.head = types.SimpleNamespace(out_channels=0)

    def set(self, embeddings: np.ndarray) -> None:
        self.embeddings = torch.from_numpy(np.ascontiguousarray(embeddings, np.float32))
        if self.embeddings.shape[1]:
            self.head.out_channels = int(self.embeddings.shape[1])

    def __call__(self, crops: torch.Tensor, mode: str = 'tensor') -> torch.Tensor:
        if len(crops) != len(self.embeddings):
            raise RuntimeError(f'mmdet tracker asked for {len(crops)} embeddings, the adapter '
                               f'has {len(self.embeddings)}')
        return self.embeddings


@TRACKERS.register_module()
class MMDetTrackerAdapter(DatasetMetaMixin, BaseTracker):
    """Any mmdet 3.x MOT tracker (``SORTTracker``, ``ByteTracker``, ``OCSORTTracker``,
    ``StrongSORTTracker``, or :class:`~plugins.tracking.mmdet_pose_bytetrack.PoseByteTracker`)
    on pose instances.

    ``update(frame, instances)`` returns the poses the mmdet tracker kept (input order) with
    ``track_ids`` (N',) int64 (ids unique, never reused until :meth:`reset`); the others are
    dropped, as mmdet drops them (e.g. ByteTrack's unmatched low-score detections). Give the
    tracker every detection it should see: for ByteTrack that includes the low-score ones
    (``obj_score_thrs['low']`` < score), so the detector stage must keep them.

    Args:
        tracker: mmdet tracker config, e.g. ``dict(type='ByteTracker',
            motion=dict(type='KalmanFilter'), ...)`` (built in mmdet's ``MODELS``).
        embedder: appearance embedder config (``MODELS``, e.g.
            ``dict(type='ColorHistogramEmbedder')``) for trackers with ``reid`` (SORT /
            StrongSORT); ignored by the others. Detections that carry ``embeddings`` (N, D) use
            those instead (then no frame is needed).
        cmc: mmdet ``CameraMotionCompensation`` config for StrongSORT (needs frames).
        max_history: per-track history length kept (default: the longest the tracker reads,
            from ``num_frames_retain``, ``num_tentatives``, ``vel_delta_t``, ``reid.num_samples``).
        metainfo / sigmas: OKS sigmas, passed to trackers that take ``sigmas`` (pose-aware
            ByteTrack) when their config has none; without either, the pipeline's
            ``dataset_meta`` (set after building) gives them.
        label: the class label given to every person.
        min_box_size: boxes given to mmdet are widened / heightened about their centre to at
            least this many pixels (a pose with one scored joint has an empty box, whose
            aspect ratio ``w / h`` would put NaN into mmdet's Kalman state); the returned
            poses keep their own boxes.
    """

    #: low-score detections (the detector stage's ``low_score_thr``) reach this tracker:
    #: mmdet's trackers apply their own score thresholds (ByteTrack's second association).
    accepts_low_score = True

    def __init__(self,
                 tracker: dict,
                 embedder: Optional[Union[dict, torch.nn.Module]] = None,
                 cmc: Optional[dict] = None,
                 max_history: Optional[int] = None,
                 metainfo: Optional[Union[str, dict]] = None,
                 sigmas: Optional[Sequence[float]] = None,
                 label: int = 0,
                 min_box_size: float = 1.0) -> None:
        if not isinstance(tracker, dict) or 'type' not in tracker:
            raise TypeError(f'MMDetTrackerAdapter: `tracker` must be an mmdet tracker config '
                            f'dict with a "type", got {tracker!r}')
        self.lap_backend = install_lap_fallback()
        self.tracker_cfg = copy.deepcopy(dict(tracker))
        self._sigmas_configured = (metainfo is not None or sigmas is not None or
                                   self.tracker_cfg.get('sigmas') is not None or
                                   self.tracker_cfg.get('metainfo') is not None)
        self.inner = self._build_tracker(self.tracker_cfg, metainfo, sigmas)
        self.sigmas = getattr(self.inner, 'sigmas', None)
        self.label = int(label)
        if not min_box_size > 0:
            raise ValueError(f'min_box_size must be > 0, got {min_box_size}')
        self.min_box_size = float(min_box_size)
        self.takes_model = _MODEL_ARG in inspect.signature(self.inner.track).parameters
        self.uses_reid = bool(self.takes_model and getattr(self.inner, 'reid', None))
        self.bridge = _EmbeddingBridge()
        if self.uses_reid:
            reid = dict(self.inner.reid)
            reid['img_scale'] = (1, 1)  # mmdet's crops are not used: the embedder crops
            reid['img_norm_cfg'] = None
            self.inner.reid = reid
            self.embedder = (MODELS.build(embedder) if isinstance(embedder, dict) else embedder)
            if self.embedder is not None and not callable(self.embedder):
                raise TypeError(f'embedder must be a config dict or callable, got {embedder!r}')
            if getattr(self.embedder, 'dim', None):  # empty first frames: mmdet asks for it
                self.bridge.head.out_channels = int(self.embedder.dim)
        else:
            self.embedder = None
        self.cmc = None
        if cmc is not None:
            from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
            with DefaultScope.overwrite_default_scope('mmdet'):
                self.cmc = MMDET_TASK_UTILS.build(dict(cmc))
        self.model = types.SimpleNamespace(reid=self.bridge, with_cmc=self.cmc is not None,
                                           cmc=self.cmc)
        self.max_history = int(max_history) if max_history is not None else \
            self._default_history()
        if self.max_history < 2:
            raise ValueError(f'max_history must be >= 2, got {self.max_history}')
        super().__init__(match_threshold=0.0, assignment='greedy',
                         max_age=max(1, int(getattr(self.inner, 'num_frames_retain', 1))))

    # ------------------------------------------------------------------ building
    @staticmethod
    def _build_tracker(cfg: dict, metainfo, sigmas):
        from mmdet.registry import MODELS as MMDET_MODELS
        from .mmdet_pose_bytetrack import register_pose_bytetracker
        register_pose_bytetracker()
        cfg = copy.deepcopy(cfg)
        cls = MMDET_MODELS.get(cfg['type']) if isinstance(cfg['type'], str) else cfg['type']
        if cls is None:
            raise KeyError(f'{cfg["type"]!r} is not an mmdet tracker (mmdet MODELS); known '
                           'trackers: SORTTracker, ByteTracker, OCSORTTracker, '
                           'StrongSORTTracker, PoseByteTracker')
        params = inspect.signature(cls.__init__).parameters
        if 'sigmas' in params and cfg.get('sigmas') is None and cfg.get('metainfo') is None:
            if sigmas is not None:
                cfg['sigmas'] = list(sigmas)
            elif metainfo is not None:
                cfg['metainfo'] = metainfo
        cfg.setdefault('_scope_', 'mmdet')
        with DefaultScope.overwrite_default_scope('mmdet'):
            inner = MMDET_MODELS.build(cfg)
        if not hasattr(inner, 'track') or not hasattr(inner, 'tracks'):
            raise TypeError(f'{type(inner).__name__} is not an mmdet tracker (no track())')
        if not hasattr(inner, 'motion') and 'motion' in inspect.signature(
                type(inner).__init__).parameters:
            raise ValueError(f'{cfg["type"]} needs a motion model: add '
                             "motion=dict(type='KalmanFilter') to its config")
        return inner

    @DatasetMetaMixin.dataset_meta.setter
    def dataset_meta(self, meta: Optional[dict]) -> None:
        """Set by the pipeline after building: unconfigured OKS sigmas of the inner tracker
        follow the pose model's layout."""
        self._dataset_meta = None if meta is None else dict(meta)
        if (meta is not None and not self._sigmas_configured and meta.get('sigmas') is not None
                and hasattr(self.inner, 'sigmas')):
            self.inner.sigmas = self.sigmas = load_sigmas(sigmas=meta['sigmas'])

    def _default_history(self) -> int:
        t = self.inner
        reid = getattr(t, 'reid', None) or {}
        return 2 + max(int(getattr(t, 'num_frames_retain', 10)) + int(getattr(
            t, 'vel_delta_t', 0)), int(getattr(t, 'num_tentatives', 1)),
            int(reid.get('num_samples') or 1))

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget every track (mmdet's buffer too); the next frame is frame 0, ids from 0."""
        super().reset()
        if hasattr(self, 'inner'):
            self.inner.reset()
            if hasattr(self.inner, 'last_img'):
                del self.inner.last_img
        self._records: Dict[int, Track] = {}

    @property
    def active_tracks(self) -> List[Track]:
        """The tracks in mmdet's buffer (tentative, tracked or lost), as :class:`Track`."""
        return list(self._records.values())

    @property
    def num_started(self) -> int:
        """Number of ids given out since :meth:`reset`."""
        return int(self.inner.num_tracks) if hasattr(self, 'inner') else 0

    def similarity(self, tracks, instances, frame):
        """Not used: the mmdet tracker does its own association."""
        raise NotImplementedError('MMDetTrackerAdapter associates inside the mmdet tracker')

    # ------------------------------------------------------------------ per frame
    def track(self, ctx: FrameContext, instances: InstanceData) -> InstanceData:
        """:meth:`update` with the frame's context."""
        return self.update(ctx.image, instances)

    def update(self, frame: Union[None, np.ndarray, FrameContext],
               instances: InstanceData) -> InstanceData:
        """Track one frame's poses with the mmdet tracker.

        Args:
            frame: (H, W, 3) BGR uint8 (or its :class:`FrameContext`), or None (trackers
                without appearance / CMC).
            instances: ``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K), optional
                ``bboxes`` (N, 4) ``xyxy`` (else the keypoints' extent), ``bbox_scores`` (N,)
                (1 when absent), optional ``embeddings`` (N, D).

        Returns:
            The kept poses (a subset of the input, input order) with ``track_ids`` (N',) int64.
        """
        if isinstance(frame, FrameContext):
            frame = frame.image
        self.frame_id += 1
        inst = validate_instances(instances)
        keep = np.ones(len(inst), bool)
        if self.takes_model:  # SORT/StrongSORT drop these first; doing it here lets the
            keep = inst.bbox_scores > float(self.inner.obj_score_thr)  # embeddings match
        idx = np.flatnonzero(keep)
        bboxes = min_size_boxes(inst.bboxes[idx], self.min_box_size)
        scores = inst.bbox_scores[idx]
        sample = self._data_sample(bboxes, scores, frame)
        if hasattr(self.inner, 'set_frame_poses'):
            self.inner.set_frame_poses(bboxes, scores, inst.keypoints[idx],
                                       inst.keypoint_scores[idx])
        if self.takes_model:
            if self.uses_reid:
                self.bridge.set(self._embeddings(inst, idx, frame))
            img = self._image(frame)
            out = self.inner.track(self.model, img, sample, data_preprocessor=None,
                                   rescale=False)
        else:
            out = self.inner.track(sample)
        rows = match_rows(row_lookup(bboxes, scores), _np(out.bboxes), _np(out.scores),
                          what=f'{type(self.inner).__name__} output (frame {self.frame_id})')
        ids = _np(out.instances_id).astype(np.int64).reshape(-1)
        order = np.argsort(rows, kind='stable')
        chosen = idx[rows[order]]
        result = inst[chosen] if len(chosen) else inst[np.zeros(0, np.int64)]
        result.track_ids = ids[order]
        self._trim_history()
        self._update_records(result)
        return result

    def _data_sample(self, bboxes: np.ndarray, scores: np.ndarray, frame):
        from mmdet.structures import DetDataSample
        pred = InstanceData()
        pred.bboxes = torch.from_numpy(np.ascontiguousarray(bboxes, np.float32)).reshape(-1, 4)
        pred.scores = torch.from_numpy(np.ascontiguousarray(scores, np.float32)).reshape(-1)
        pred.labels = torch.full((len(bboxes), ), self.label, dtype=torch.long)
        shape = (1, 1) if self.cmc is None or frame is None else tuple(frame.shape[:2])
        sample = DetDataSample(metainfo=dict(frame_id=self.frame_id, img_shape=shape,
                                             ori_shape=shape, scale_factor=(1.0, 1.0)))
        sample.pred_instances = pred
        return sample

    def _image(self, frame: Optional[np.ndarray]) -> torch.Tensor:
        if self.cmc is None:
            return torch.zeros((1, 3, 1, 1))
        if frame is None:
            raise ValueError('MMDetTrackerAdapter with cmc=... needs the frames (got None)')
        return torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None].float()

    def _embeddings(self, inst: InstanceData, idx: np.ndarray, frame) -> np.ndarray:
        if 'embeddings' in inst:
            emb = np.asarray(_np(inst.embeddings), np.float32).reshape(len(inst), -1)[idx]
            return l2_normalize(emb)
        if self.embedder is None:
            raise ValueError(f'{type(self.inner).__name__} has reid=... but the adapter has no '
                             '`embedder` and the detections carry no `embeddings`; set '
                             "embedder=dict(type='ColorHistogramEmbedder') or reid=None")
        if frame is None:
            if not len(idx):
                return np.zeros((0, self.bridge.head.out_channels), np.float32)
            raise ValueError(f'{type(self.inner).__name__} with an embedder needs the BGR frame '
                             '(got None) or precomputed `embeddings` in the instances')
        emb = np.asarray(self.embedder(frame, inst.bboxes[idx]), np.float32)
        if emb.ndim != 2 or len(emb) != len(idx):
            raise ValueError(f'embedder returned shape {emb.shape} for {len(idx)} boxes, '
                             'expected (N, D)')
        return emb

    def _trim_history(self) -> None:
        """Cut mmdet's per-track lists (boxes, scores, frame ids, observations...)."""
        limit = self.max_history
        for track in self.inner.tracks.values():
            for value in track.values():
                if isinstance(value, list) and len(value) > limit:
                    del value[:len(value) - limit]

    def _update_records(self, result: InstanceData) -> None:
        """Keep a :class:`Track` record per id in mmdet's buffer; ids mmdet dropped are
        ``removed`` and pruned (the last ones stay in :attr:`ended_tracks`)."""
        for i, tid in enumerate(result.track_ids.tolist()):
            record = self._records.get(tid)
            if record is None:
                self._records[tid] = Track(
                    track_id=tid, keypoints=result.keypoints[i].copy(),
                    keypoint_scores=result.keypoint_scores[i].copy(),
                    bbox=result.bboxes[i].copy(), score=float(result.bbox_scores[i]),
                    start_frame=self.frame_id, last_frame=self.frame_id)
            else:
                record.keypoints = result.keypoints[i].copy()
                record.keypoint_scores = result.keypoint_scores[i].copy()
                record.bbox = result.bboxes[i].copy()
                record.score = float(result.bbox_scores[i])
                record.last_frame = self.frame_id
                record.hits += 1
        alive = self.inner.tracks
        for tid in [t for t in self._records if t not in alive]:
            record = self._records.pop(tid)
            record.status, record.end_frame = TrackStatus.REMOVED, self.frame_id
            self.ended_tracks.append(record)
        for tid, record in self._records.items():
            if alive[tid].get('tentative', False):
                record.status = TrackStatus.TENTATIVE
            elif record.last_frame == self.frame_id:
                record.status = TrackStatus.TRACKED
            else:
                record.status = TrackStatus.LOST
        self.tracks = list(self._records.values())
        self._next_id = self.num_started


def min_size_boxes(bboxes: np.ndarray, min_size: float) -> np.ndarray:
    """``xyxy`` boxes grown about their centres to at least ``min_size`` wide and high.

    Args:
        bboxes: (N, 4). min_size: pixels.

    Returns:
        (N, 4) float32 (the same values where the box is big enough).
    """
    b = np.array(bboxes, np.float32).reshape(-1, 4)
    for lo, hi in ((0, 2), (1, 3)):
        small = b[:, hi] - b[:, lo] < min_size
        if small.any():
            centre = (b[small, lo] + b[small, hi]) / 2
            b[small, lo] = centre - min_size / 2
            b[small, hi] = centre + min_size / 2
    return b


def _np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)
