"""Tracking by keypoint correspondences: a track's pose is propagated into the current frame."""
from collections import deque
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment

from plugins.models.correspondence.correspondence_net import (CorrespondenceNet,
                                                              init_correspondence_model)
from plugins.models.correspondence.propagation import (FrameFeatures, frame_features,
                                                       propagate_keypoints)
from plugins.registry import MODELS, TASK_UTILS, TRACKERS
from plugins.utils.keypoint_similarity import pairwise_oks
from .assignment import ASSIGNERS
from .base_tracker import BaseTracker, validate_instances
from .frame_context import FrameContext
from .oks_tracker import DEFAULT_METAINFO, box_areas, load_sigmas
from .track import Track, TrackStatus

#: association scores: ``'gated'`` (three gates, OKS + mean affinity; the CorrTrack baseline's
#: rule) or ``'affinity'`` (mean propagated affinity at the detected joints; this project's
#: first implementation, kept for the ablations)
SCORES = ('gated', 'affinity')
#: duplicate handling: drop duplicate *detections* (CorrTrack) or end duplicate *tracks*
#: (this project's first implementation); None/False: off
DUPLICATE_MODES = ('detections', 'tracks')


@TASK_UTILS.register_module()
class CorrespondenceModel:
    """A :class:`CorrespondenceNet` loaded once for the pipeline's shared models::

        models=dict(corr_net=dict(type='CorrespondenceModel', model=<config>, checkpoint=...))

    and ``model=dict(shared='corr_net')`` in the tracker, the recovery and the track merging.
    Building it returns the network itself (in eval mode, on ``device``).
    """

    def __new__(cls, model: Union[str, dict], checkpoint: Optional[str] = None,
                device: str = 'cpu'):
        return correspondence_net(model, checkpoint, device)

    def __init__(self, model: Union[str, dict], checkpoint: Optional[str] = None,
                 device: str = 'cpu') -> None:  # never called: gives the signature
        pass


def correspondence_net(model, checkpoint: Optional[str] = None,
                       device: str = 'cpu') -> CorrespondenceNet:
    """The network of a stage: a built (shared) network as is, else loaded from its config.

    Raises:
        ValueError: a checkpoint given for an already built network.
    """
    if isinstance(model, CorrespondenceNet):
        if checkpoint is not None:
            raise ValueError('the correspondence network is shared (already built): set its '
                             'checkpoint in the pipeline\'s `models`, not in the stage')
        return model
    return init_correspondence_model(model, checkpoint, device)


def cached_frame_features(ctx: FrameContext, net) -> FrameFeatures:
    """The frame's correspondence features, computed once per frame and network and shared
    by every stage through ``ctx.cache``."""
    if ctx.image is None:
        raise ValueError('the correspondence network needs the frame pixels: got no image')
    return ctx.get(f'corr_features/{id(net)}', lambda: frame_features(net, [ctx.image])[0])


class TrackPropagation:
    """The active tracks' poses propagated into the current frame (one network call per
    source frame).

    Attributes:
        points: (T, K, 2) propagated joints, image pixels of the current frame.
        peak: (T, K) the affinity map's value at its peak (the joint's correspondence
            confidence, read through ``affinity_window``).
        query: (T, K) bool, the track's joints that were propagated (score >=
            ``joint_threshold``).
        affinity: (T, N, K) each track's map of joint k read at detection n's joint k.
    """

    def __init__(self, points: np.ndarray, peak: np.ndarray, query: np.ndarray,
                 affinity: np.ndarray) -> None:
        self.points, self.peak, self.query, self.affinity = points, peak, query, affinity


def nomination_assignment(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """The CorrTrack matching order: every track nominates its best detection; detections,
    in input order (NMS order: most confident first), take the best track that nominated them.

    One round: a track whose nominee went to another track stays unmatched this frame (it is
    not offered its second choice).

    Args:
        similarity: (T, N) scores; ``-inf`` (or below ``threshold``) = not allowed.
        threshold: pairs below it are never matched.

    Returns:
        (M, 2) int64 ``(track_index, detection_index)`` pairs.
    """
    sim = np.asarray(similarity, np.float64)
    if sim.size == 0:
        return np.zeros((0, 2), np.int64)
    allowed = np.isfinite(sim) & (sim >= threshold)
    masked = np.where(allowed, sim, -np.inf)
    nominee = np.where(allowed.any(1), masked.argmax(1), -1)  # (T,)
    pairs = []
    for det in range(sim.shape[1]):  # detections in order, each picks among its nominators
        rows = np.flatnonzero(nominee == det)
        if len(rows):
            pairs.append((rows[np.argmax(sim[rows, det])], det))
    return np.asarray(pairs, np.int64).reshape(-1, 2)


def gated_scores(prop: TrackPropagation, det_keypoints: np.ndarray, det_scores: np.ndarray,
                 det_boxes: np.ndarray, sigmas: Sequence[float], joint_threshold: float,
                 propagated_score_thr: float = 0.1, box_gate: float = 0.3,
                 oks_gate: float = 0.2, affinity_thr: float = 0.3,
                 min_affinity_sum: float = 1.0) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """Association score of every (track, detection) pair with the three gates.

    1. *box gate*: the mean peak confidence of the propagated joints (``prop.query``) that lie
       inside the detection's box is > ``box_gate`` (no joint inside: fails);
    2. *OKS gate*: the OKS between the detection (joints scored >= ``joint_threshold``; scale:
       its box area) and the propagated pose (joints whose peak >= ``propagated_score_thr``)
       is > ``oks_gate``;
    3. *affinity gate*: the detection's joints read in the track's maps
       (``prop.affinity``, joints valid in both), summed over the values > ``affinity_thr``,
       is >= ``min_affinity_sum``.

    Score = that OKS + the mean affinity over the joints valid in both (0 when none).

    Args:
        prop: the tracks' propagation (T tracks, N detections).
        det_keypoints: (N, K, 2) image pixels; det_scores (N, K); det_boxes (N, 4) ``xyxy``.
        sigmas: (K,) OKS falloffs.

    Returns:
        (T, N) scores, ``-inf`` where a gate fails, and the parts ``box_conf``, ``oks``,
        ``affinity_sum``, ``mean_affinity`` (each (T, N)).
    """
    boxes = np.asarray(det_boxes, np.float64).reshape(-1, 4)
    det_valid = np.asarray(det_scores) >= joint_threshold  # (N, K)
    px, py = prop.points[..., 0][:, None], prop.points[..., 1][:, None]  # (T, 1, K)
    inside = (prop.query[:, None] & (px >= boxes[None, :, 0, None]) &
              (px <= boxes[None, :, 2, None]) & (py >= boxes[None, :, 1, None]) &
              (py <= boxes[None, :, 3, None]))  # (T, N, K)
    n_in = inside.sum(-1)
    box_conf = np.divide((prop.peak[:, None] * inside).sum(-1), n_in,
                         out=np.zeros(n_in.shape), where=n_in > 0)
    prop_valid = prop.query & (prop.peak >= propagated_score_thr)
    oks = pairwise_oks(np.asarray(det_keypoints, np.float64), prop.points, sigmas,
                       box_areas(boxes), visible_a=det_valid, visible_b=prop_valid).T
    counted = prop.query[:, None] & det_valid[None]  # (T, N, K)
    aff = prop.affinity * counted
    aff_sum = (aff * (aff > affinity_thr)).sum(-1)
    num = counted.sum(-1)
    mean_aff = np.divide(aff.sum(-1), num, out=np.zeros(num.shape), where=num > 0)
    passed = (n_in > 0) & (box_conf > box_gate) & (oks > oks_gate) & (aff_sum >= min_affinity_sum)
    score = np.where(passed, oks + mean_aff, -np.inf)
    return score, dict(box_conf=box_conf, oks=oks, affinity_sum=aff_sum, mean_affinity=mean_aff)


def duplicate_detections(similarity: np.ndarray, pairs: np.ndarray, ratio: float) -> np.ndarray:
    """Unassigned detections that duplicate a matched person.

    A detection d left unassigned is a duplicate when, for some matched track t,
    ``similarity[t, d] > ratio * max_n similarity[t, n]`` (t's best score).

    Args:
        similarity: (T, N) association scores (``-inf`` = not allowed).
        pairs: (M, 2) matched ``(track, detection)`` indices.
        ratio: e.g. 0.6.

    Returns:
        (N,) bool, the duplicates.
    """
    sim = np.asarray(similarity, np.float64)
    dup = np.zeros(sim.shape[1], bool)
    if len(pairs) == 0:
        return dup
    rows = sim[pairs[:, 0]]  # (M, N)
    best = np.where(np.isfinite(rows), rows, -np.inf).max(1, keepdims=True)
    hit = np.isfinite(rows) & (rows > ratio * best)
    dup = hit.any(0)
    dup[pairs[:, 1]] = False
    return dup


@TRACKERS.register_module()
class CorrespondenceTracker(BaseTracker):
    """Tracking with the keypoint-correspondence network.

    Every frame, the last pose of every active track (matched within the last
    ``temporal_distance`` frames) is propagated from the frame where it was seen into the
    current one: the network's affinity map of each of its joints scored >=
    ``joint_threshold``. Then:

    * **score** ``'gated'`` (default, the CorrTrack baseline): see :func:`gated_scores`
      (box, OKS and affinity gates; score = OKS + mean affinity). ``'affinity'``: the mean
      affinity of the track's maps at the detection's joints (this project's first version).
    * **assignment** ``'nomination'`` (default): :func:`nomination_assignment`; or any of
      :data:`~plugins.tracking.assignment.ASSIGNERS` (``'greedy'`` = the first version).
    * **duplicate removal** ``'detections'`` (default): an unassigned detection scoring more
      than ``duplicate_ratio`` of a matched track's best score is the same person and is
      dropped from the output (:func:`duplicate_detections`). ``'tracks'`` (first version):
      in the update step, before scoring, when two active tracks propagate to the same person
      (OKS > ``duplicate_oks``) the younger one is ended. None/False: off.
    * **Re-ID** (``reid=dict(...)``, optional): tracks left unmatched stay *inactive* for up to
      ``max_inactive`` frames keeping the mean of their last ``window`` appearance embeddings;
      detections still unmatched are assigned to them by Hungarian matching on the cosine
      similarity, pairs above ``threshold`` only.
    * a detection still unmatched starts a new track.

    The output holds the kept detections (duplicates dropped), in input order, with
    ``track_ids``; extra per-instance fields pass through. :meth:`similarity` is pure; the
    frame's features come from ``ctx.cache`` (computed once per frame for every stage using
    the same network, e.g. the recovery). Offline track merging and short-track removal are the
    post-processor :class:`~plugins.tracking.track_merging.CorrespondenceTrackMerging`.

    Args:
        model: the :class:`CorrespondenceNet`: a config file, a whole config dict, the model
            dict, or a built network (the pipeline's shared ``dict(shared='corr_net')``).
        checkpoint: weights to load into it (optional).
        device: torch device of the network.
        joint_threshold: association threshold: joints scored below it are neither propagated
            nor compared (0.1; the first version used 0.4). Not the output threshold (the
            pipeline's ``keypoint_score_thr``).
        match_threshold: minimum score of a match.
        temporal_distance: a track unmatched for up to this many frames is still propagated.
        affinity_window: radius (map cells) of the neighbourhood read around a joint.
        score: ``'gated'`` or ``'affinity'`` (see above).
        assignment: ``'nomination'``, ``'greedy'``, ``'hungarian'`` or ``'sequential'``.
        propagated_score_thr, box_gate, oks_gate, affinity_thr, min_affinity_sum: the gates
            of :func:`gated_scores`.
        duplicate_removal: ``'detections'``, ``'tracks'``, or None/False (True =
            ``'detections'``).
        duplicate_ratio: see :func:`duplicate_detections`.
        duplicate_oks, min_propagated_score: the ``'tracks'`` mode's OKS threshold between
            propagated track poses and the peak score a propagated joint needs to count.
        reid: ``dict(embedder=<MODELS config or callable (frame, bboxes) -> (N, D)>,
            max_inactive=10, window=10, threshold=0.5)``.
        metainfo, sigmas: per-joint OKS falloffs (see :func:`load_sigmas`).
    """

    def __init__(self,
                 model: Union[str, dict, object],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 joint_threshold: float = 0.1,
                 match_threshold: float = 0.1,
                 temporal_distance: int = 1,
                 affinity_window: int = 0,
                 score: str = 'gated',
                 assignment: str = 'nomination',
                 propagated_score_thr: float = 0.1,
                 box_gate: float = 0.3,
                 oks_gate: float = 0.2,
                 affinity_thr: float = 0.3,
                 min_affinity_sum: float = 1.0,
                 duplicate_removal: Union[str, bool, None] = 'detections',
                 duplicate_ratio: float = 0.6,
                 duplicate_oks: float = 0.8,
                 min_propagated_score: float = 0.05,
                 reid: Optional[dict] = None,
                 metainfo: Optional[Union[str, dict]] = DEFAULT_METAINFO,
                 sigmas: Optional[Sequence[float]] = None) -> None:
        if temporal_distance < 1:
            raise ValueError(f'temporal_distance must be >= 1, got {temporal_distance}')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got {score!r}')
        if assignment != 'nomination' and assignment not in ASSIGNERS:
            raise ValueError(f"assignment must be 'nomination' or one of {sorted(ASSIGNERS)}, "
                             f'got {assignment!r}')
        if duplicate_removal is True:
            duplicate_removal = 'detections'
        if duplicate_removal not in (None, False) + DUPLICATE_MODES:
            raise ValueError(f'duplicate_removal must be one of {DUPLICATE_MODES} or None, got '
                             f'{duplicate_removal!r}')
        self.model = correspondence_net(model, checkpoint, device)
        self.joint_threshold = float(joint_threshold)
        self.temporal_distance = int(temporal_distance)
        self.affinity_window = int(affinity_window)
        self.score = score
        self.gates = dict(propagated_score_thr=float(propagated_score_thr),
                          box_gate=float(box_gate), oks_gate=float(oks_gate),
                          affinity_thr=float(affinity_thr),
                          min_affinity_sum=float(min_affinity_sum))
        self.duplicate_removal = duplicate_removal or None
        self.duplicate_ratio = float(duplicate_ratio)
        self.duplicate_oks = float(duplicate_oks)
        self.min_propagated_score = float(min_propagated_score)
        self.reid_cfg = None
        if reid is not None:
            reid = dict(reid)
            embedder = reid.pop('embedder', dict(type='ColorHistogramEmbedder'))
            self.reid_cfg = dict(max_inactive=10, window=10, threshold=0.5)
            unknown = set(reid) - set(self.reid_cfg)
            if unknown:
                raise ValueError(f'unknown reid options {sorted(unknown)}; known: embedder, '
                                 f'{", ".join(self.reid_cfg)}')
            self.reid_cfg.update(reid)
            self.embedder = MODELS.build(embedder) if isinstance(embedder, dict) else embedder
        self.sigmas = load_sigmas(metainfo, sigmas)
        if len(self.sigmas) != self.model.num_keypoints:
            raise ValueError(f'the metainfo has {len(self.sigmas)} joints but the '
                             f'correspondence model {self.model.num_keypoints}')
        horizon = max(temporal_distance, self.reid_cfg['max_inactive'] if self.reid_cfg else 0)
        super().__init__(match_threshold=match_threshold,
                         assignment='greedy' if assignment == 'nomination' else assignment,
                         max_age=horizon, min_keypoint_score=joint_threshold)
        self.assignment = assignment

    def reset(self) -> None:
        super().reset()
        self._features: Dict[int, FrameFeatures] = {}
        self._current: Optional[FrameFeatures] = None
        self._embeddings: Optional[np.ndarray] = None
        self._prop_cache: Dict[Tuple[int, ...], TrackPropagation] = {}

    @property
    def active_tracks(self) -> List[Track]:
        """Tracks propagated this frame: alive and seen within ``temporal_distance``."""
        return [t for t in self.tracks if t.status != TrackStatus.REMOVED
                and self.frame_id - t.last_frame <= self.temporal_distance]

    # ------------------------------------------------------------------ online
    def track(self, ctx: FrameContext, instances: InstanceData) -> InstanceData:
        """Assign track ids to the poses of the next frame (``update(frame, instances)``
        calls this with a context around the frame).

        Args:
            ctx: the frame (its image is needed).
            instances: this frame's poses (``keypoints`` (N, K, 2), ``keypoint_scores``,
                ``bboxes``, ``bbox_scores``).

        Returns:
            The kept poses (duplicates dropped, input order) with ``track_ids`` (M,) int64.

        Raises:
            ValueError: the frame has no pixels.
        """
        if ctx.image is None:
            raise ValueError('CorrespondenceTracker needs the frame pixels: got frame=None')
        self.frame_id += 1
        frame = ctx.image
        instances = validate_instances(instances)
        self.prepare(ctx, instances)
        n = len(instances)
        track_ids = np.full(n, -1, np.int64)
        keep = np.ones(n, bool)
        if self.duplicate_removal == 'tracks' and n and len(self.active_tracks) > 1:
            tracks = self.active_tracks
            self.end_duplicate_tracks(tracks, self._propagation_of(tracks, None))
        tracks = self.active_tracks
        if n and tracks:
            sim = self.similarity(tracks, instances, frame)
            pairs = self.assign(sim)
            for ti, di in pairs:
                track_ids[di] = tracks[ti].track_id
                self.update_track(tracks[ti], instances, int(di), frame)
            if self.duplicate_removal == 'detections':
                keep &= ~duplicate_detections(sim, pairs, self.duplicate_ratio)
        if self.reid_cfg is not None:
            self._reid_match(instances, track_ids, keep, frame)
        matched = set(track_ids[track_ids >= 0].tolist())
        for tr in tracks:
            if tr.track_id not in matched:
                self.mark_missed(tr)
        for di in np.flatnonzero((track_ids < 0) & keep):
            track_ids[di] = self.start_track(instances, int(di), frame).track_id
        self.after_update(instances, frame)
        self.end_tracks()
        instances.track_ids = track_ids
        return instances[keep] if not keep.all() else instances

    def prepare(self, ctx: FrameContext, instances: InstanceData) -> None:
        """The frame's features (shared through ``ctx.cache``) and, for Re-ID, the
        detections' embeddings."""
        self._current = cached_frame_features(ctx, self.model)
        self._embeddings = None
        self._prop_cache = {}
        if self.reid_cfg is not None and len(instances):
            emb = np.asarray(self.embedder(ctx.image, instances.bboxes), np.float64)
            if emb.ndim != 2 or len(emb) != len(instances):
                raise ValueError(f'embedder returned shape {emb.shape} for {len(instances)} '
                                 'boxes, expected (N, D)')
            self._embeddings = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True),
                                                1e-12)

    def assign(self, sim: np.ndarray) -> np.ndarray:
        """(M, 2) matched (track index, detection index) pairs of a score matrix."""
        sim = np.where(np.isfinite(sim), sim, -np.inf)
        if self.assignment == 'nomination':
            return nomination_assignment(sim, self.match_threshold)
        return ASSIGNERS[self.assignment](sim, self.match_threshold)

    def after_update(self, instances: InstanceData, frame: Optional[np.ndarray]) -> None:
        """Keep this frame's features for ``temporal_distance`` frames."""
        self._features[self.frame_id] = self._current
        for old in [f for f in self._features if f < self.frame_id - self.temporal_distance]:
            del self._features[old]

    def propagate_tracks(self, tracks: List[Track], det_keypoints: Optional[np.ndarray]
                         ) -> TrackPropagation:
        """Propagate the tracks' last poses into the current frame (no state change).

        Args:
            tracks: T active tracks.
            det_keypoints: (N, K, 2) detections' joints in image pixels, or None (no
                ``affinity`` is read).

        Returns:
            :class:`TrackPropagation`.
        """
        t = len(tracks)
        k = self.model.num_keypoints
        n = 0 if det_keypoints is None else len(det_keypoints)
        points = np.zeros((t, k, 2), np.float64)
        peak = np.zeros((t, k), np.float64)
        affinity = np.zeros((t, n, k), np.float64)
        query = np.stack([tr.keypoint_scores >= self.joint_threshold for tr in tracks]) \
            if t else np.zeros((0, k), bool)
        last = np.array([tr.last_frame for tr in tracks])
        for src in np.unique(last):  # at most temporal_distance source frames
            rows = np.flatnonzero(last == src)
            prop = propagate_keypoints(self.model, self._features[int(src)], self._current,
                                       np.stack([tracks[i].keypoints for i in rows]),
                                       query[rows], window=self.affinity_window,
                                       return_maps=n > 0)
            points[rows] = prop.keypoints
            peak[rows] = prop.scores
            if n:
                affinity[rows] = prop.affinity_at(det_keypoints)
        return TrackPropagation(points, peak, query, affinity)

    def _propagation_of(self, tracks: List[Track], instances: Optional[InstanceData]
                        ) -> TrackPropagation:
        """:meth:`propagate_tracks`, computed once per frame and set of tracks."""
        key = (len(instances) if instances is not None else -1,
               *[tr.track_id for tr in tracks])
        if key not in self._prop_cache:
            self._prop_cache[key] = self.propagate_tracks(
                tracks, None if instances is None else instances.keypoints)
        return self._prop_cache[key]

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N) association scores (see ``score``); pairs that may not match are ``-inf``.

        Pure: reads the tracks and this frame's features, changes no track.
        """
        prop = self._propagation_of(tracks, instances)
        if self.score == 'gated':
            sim, _ = gated_scores(prop, instances.keypoints, instances.keypoint_scores,
                                  instances.bboxes, self.sigmas, self.joint_threshold,
                                  **self.gates)
            return sim
        det_valid = instances.keypoint_scores >= self.joint_threshold
        counted = prop.query[:, None, :] & det_valid[None]  # (T, N, K)
        total = (prop.affinity * counted).sum(-1)
        num = counted.sum(-1)
        return np.divide(total, num, out=np.zeros_like(total), where=num > 0)

    def end_duplicate_tracks(self, tracks: List[Track], prop: TrackPropagation) -> np.ndarray:
        """``duplicate_removal='tracks'`` (update step): end every track whose propagated
        pose duplicates that of an older track (OKS > ``duplicate_oks``).

        Returns:
            (T,) bool, the tracks ended now.
        """
        valid = prop.query & (prop.peak >= self.min_propagated_score)
        areas = box_areas(np.stack([tr.bbox for tr in tracks]))
        oks = pairwise_oks(prop.points, prop.points, self.sigmas, areas, visible_a=valid,
                           visible_b=valid, areas_b=areas)
        # older first: earlier start, then more hits, then lower id
        order = sorted(range(len(tracks)), key=lambda i: (tracks[i].start_frame,
                                                          -tracks[i].hits, tracks[i].track_id))
        rank = np.empty(len(tracks), int)
        rank[order] = np.arange(len(tracks))
        dup = (oks > self.duplicate_oks) & (rank[None, :] > rank[:, None])  # j younger than i
        removed = np.zeros(len(tracks), bool)
        for i in order:  # an ended track cannot end others
            if not removed[i]:
                removed |= dup[i]
        for i in np.flatnonzero(removed):
            self.end_track(tracks[i])
        return removed

    # ------------------------------------------------------------------ Re-ID
    def _reid_match(self, instances: InstanceData, track_ids: np.ndarray, keep: np.ndarray,
                    frame: np.ndarray) -> None:
        """Hungarian matching of the still unmatched detections to inactive tracks."""
        cfg = self.reid_cfg
        free = np.flatnonzero((track_ids < 0) & keep)
        matched_now = {int(t) for t in track_ids if t >= 0}
        inactive = [t for t in self.tracks
                    if t.track_id not in matched_now and t.status != TrackStatus.REMOVED
                    and 1 <= self.frame_id - t.last_frame <= cfg['max_inactive']
                    and t.state.get('embeddings')]
        if len(free) and inactive:
            means = np.stack([np.mean(t.state['embeddings'], axis=0) for t in inactive])
            means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
            cos = means @ self._embeddings[free].T
            rows, cols = linear_sum_assignment(cos, maximize=True)
            for r, c in zip(rows, cols):
                if cos[r, c] > cfg['threshold']:
                    di = int(free[c])
                    track_ids[di] = inactive[r].track_id
                    self.update_track(inactive[r], instances, di, frame)

    def start_track(self, instances: InstanceData, index: int,
                    frame: Optional[np.ndarray]) -> Track:
        track = super().start_track(instances, index, frame)
        self._add_embedding(track, index)
        return track

    def update_track(self, track: Track, instances: InstanceData, index: int,
                     frame: Optional[np.ndarray]) -> None:
        super().update_track(track, instances, index, frame)
        self._add_embedding(track, index)

    def _add_embedding(self, track: Track, index: int) -> None:
        if self.reid_cfg is None or self._embeddings is None:
            return
        hist = track.state.setdefault('embeddings', deque(maxlen=self.reid_cfg['window']))
        hist.append(self._embeddings[index])
