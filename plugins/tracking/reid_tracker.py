"""Appearance (Re-ID) tracker: cosine similarity of person embeddings (from an embedder of
:mod:`plugins.tracking.reid_embedders`), optionally combined with (and gated by) box IoU or
pose OKS."""
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.structures import InstanceData

from plugins.geometry import box_areas
from plugins.registry import MODELS, TRACKERS
from plugins.utils.keypoint_similarity import pairwise_box_iou, pairwise_oks
from plugins.utils.metainfo import DatasetMetaMixin
from .base_tracker import BaseTracker
from .frame_context import FrameContext
from .reid_embedders import (ColorHistogramEmbedder, CropFeatureEmbedder,  # noqa: F401
                             crop_boxes, l2_normalize)
from .track import Track


@TRACKERS.register_module()
class ReIDTracker(DatasetMetaMixin, BaseTracker):
    """Tracking by appearance: cosine similarity of Re-ID embeddings, optionally with geometry.

    ``similarity = (1 - geometry_weight) * cos(track, det) + geometry_weight * geo(track, det)``
    where ``geo`` is box IoU (``geometry='iou'``) or OKS (``geometry='oks'``); pairs whose
    ``geo`` is below ``gate_threshold`` are never matched (gating). A track's embedding is the
    running average ``m * old + (1 - m) * new`` (``momentum`` m) of its matched detections.

    Embeddings come from ``instances.embeddings`` (N, D) when the detector supplies them,
    otherwise from ``embedder(frame, bboxes)``, which needs the frame (``None`` raises).

    Args:
        embedder: config of an embedder in ``MODELS`` (see :class:`ColorHistogramEmbedder`,
            :class:`CropFeatureEmbedder`) or a built callable.
        geometry: None, ``'iou'`` or ``'oks'``.
        geometry_weight: weight of the geometric similarity in [0, 1].
        gate_threshold: pairs with geometric similarity below it are excluded (needs
            ``geometry``; None disables gating).
        momentum: running-average factor of the track embedding in [0, 1).
        metainfo: dataset metainfo for OKS sigmas (only with ``geometry='oks'``).
        sigmas: explicit OKS sigmas.
        match_threshold: pairs less similar are never matched.
        assignment: ``'hungarian'``, ``'greedy'`` or ``'sequential'``.
        max_age: frames a track may be unmatched and still be re-identified.
        min_keypoint_score: joints below it are left out of the OKS.
        **kwargs: lifecycle options of :class:`BaseTracker` (``num_tentatives``,
            ``ended_history``).
    """

    def __init__(self,
                 embedder: Union[dict, torch.nn.Module] = dict(type='ColorHistogramEmbedder'),
                 geometry: Optional[str] = None,
                 geometry_weight: float = 0.0,
                 gate_threshold: Optional[float] = None,
                 momentum: float = 0.8,
                 metainfo: Optional[Union[str, dict]] = None,
                 sigmas: Optional[Sequence[float]] = None,
                 match_threshold: float = 0.5,
                 assignment: str = 'hungarian',
                 max_age: int = 30,
                 min_keypoint_score: float = 0.0,
                 **kwargs) -> None:
        if geometry not in (None, 'iou', 'oks'):
            raise ValueError(f"geometry must be None, 'iou' or 'oks', got {geometry!r}")
        if not 0 <= geometry_weight <= 1:
            raise ValueError(f'geometry_weight must be in [0, 1], got {geometry_weight}')
        if geometry is None and (geometry_weight > 0 or gate_threshold is not None):
            raise ValueError('geometry_weight / gate_threshold need geometry="iou" or "oks"')
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        self.embedder = MODELS.build(embedder) if isinstance(embedder, dict) else embedder
        if not callable(self.embedder):
            raise TypeError(f'embedder must be a config dict or callable, got {type(embedder)}')
        self.geometry = geometry
        self.geometry_weight = float(geometry_weight)
        self.gate_threshold = gate_threshold
        self.momentum = float(momentum)
        if geometry == 'oks':
            self._init_sigmas(metainfo, sigmas)
        else:
            self._sigmas_configured = True  # no OKS: the layout is not needed
        super().__init__(match_threshold=match_threshold, assignment=assignment,
                         max_age=max_age, min_keypoint_score=min_keypoint_score, **kwargs)

    def reset(self) -> None:
        """Forget all tracks and the current frame's embeddings."""
        super().reset()
        self._embeddings: Optional[np.ndarray] = None

    def prepare(self, ctx: FrameContext, instances: InstanceData) -> None:
        """Embed this frame's detections once (``instances.embeddings`` when the detector
        supplies them, else ``embedder(frame, bboxes)``).

        Raises:
            ValueError: no frame and no ``embeddings``, or an embedder output of wrong shape.
        """
        if 'embeddings' in instances:
            emb = np.asarray(instances.embeddings, np.float32).reshape(len(instances), -1)
            emb = l2_normalize(emb)
        elif len(instances) == 0:
            emb = np.zeros((0, 0), np.float32)
        else:
            if ctx.image is None:
                raise ValueError('ReIDTracker needs the BGR frame to embed the persons (got '
                                 'None) or precomputed `embeddings` in the instances')
            emb = np.asarray(self.embedder(ctx.image, instances.bboxes), np.float32)
            if emb.ndim != 2 or len(emb) != len(instances):
                raise ValueError(f'embedder returned shape {emb.shape} for {len(instances)} '
                                 'boxes, expected (N, D)')
        self._embeddings = emb

    def embeddings(self, instances: InstanceData, frame: Optional[np.ndarray]) -> np.ndarray:
        """(N, D) unit embeddings of the current detections (computed in :meth:`prepare`)."""
        return self._embeddings

    def geometric_similarity(self, tracks: List[Track], instances: InstanceData) -> np.ndarray:
        """(T, N) IoU or OKS between tracks' last boxes/poses and the detections."""
        if self.geometry == 'iou':
            return pairwise_box_iou(np.stack([t.bbox for t in tracks]), instances.bboxes)
        if instances.keypoints.shape[1] != len(self.sigmas):
            raise ValueError(f'ReIDTracker: poses have {instances.keypoints.shape[1]} keypoints '
                             f'but the metainfo sigmas have {len(self.sigmas)}')
        scores = np.stack([t.keypoint_scores for t in tracks])
        return pairwise_oks(np.stack([t.keypoints for t in tracks]), instances.keypoints,
                            self.sigmas, box_areas(np.stack([t.bbox for t in tracks])),
                            visible_a=scores >= self.min_keypoint_score,
                            visible_b=instances.keypoint_scores >= self.min_keypoint_score,
                            areas_b=box_areas(instances.bboxes))

    def similarity(self, tracks: List[Track], instances: InstanceData,
                   frame: Optional[np.ndarray]) -> np.ndarray:
        """(T, N) appearance (+ geometry) similarity; gated pairs are ``-inf``."""
        det = self.embeddings(instances, frame)
        trk = np.stack([t.state['embedding'] for t in tracks])
        if trk.shape[1] != det.shape[1]:
            raise ValueError(f'embedding length changed: tracks {trk.shape[1]}, '
                             f'detections {det.shape[1]}')
        sim = trk.astype(np.float64) @ det.T.astype(np.float64)
        if self.geometry is not None:
            geo = self.geometric_similarity(tracks, instances)
            sim = (1 - self.geometry_weight) * sim + self.geometry_weight * geo
            if self.gate_threshold is not None:
                sim = np.where(geo >= self.gate_threshold, sim, -np.inf)
        return sim

    def start_track(self, instances: InstanceData, index: int,
                    frame: Optional[np.ndarray]) -> Track:
        """Start a track carrying the detection's embedding."""
        track = super().start_track(instances, index, frame)
        track.state['embedding'] = self.embeddings(instances, frame)[index].copy()
        return track

    def update_track(self, track: Track, instances: InstanceData, index: int,
                     frame: Optional[np.ndarray]) -> None:
        """Move the track and blend the detection's embedding into the track's."""
        super().update_track(track, instances, index, frame)
        new = self.embeddings(instances, frame)[index]
        mixed = self.momentum * track.state['embedding'] + (1 - self.momentum) * new
        track.state['embedding'] = l2_normalize(mixed[None])[0]
