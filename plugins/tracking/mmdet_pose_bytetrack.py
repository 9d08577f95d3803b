"""Pose-aware ByteTrack: mmdet's ByteTrack association with OKS in place of box IoU.

:class:`PoseByteTracker` is mmdet 3.3's ``ByteTracker`` (two-stage association of high- then
low-score detections, tentative tracks, Kalman filter on ``(cx, cy, a, h)``) with one change:
every association step (first, tentative, second) compares detections with tracks by the
object keypoint similarity between the detection's pose and the track's *Kalman-predicted pose*
instead of the IoU of boxes. The predicted pose is the track's last matched pose moved by the
Kalman prediction of its box: translated with the box centre and scaled with its width and
height (the pose is assumed to move with its box). The OKS scale is the mean of the predicted
box area and the detection's box area; joints scored at or below ``min_keypoint_score`` in the
last pose or the detection are left out (missing PoseTrack joints have score 0).
``iou_weight > 0`` mixes the IoU of the predicted box back in:
``similarity = (1 - iou_weight) * OKS + iou_weight * IoU``. ``weight_iou_with_det_scores``
multiplies the similarity by the detection score, as mmdet does with the IoU.

It is registered in mmdet's ``MODELS`` (like the other mmdet trackers) by
:func:`register_pose_bytetracker` (the adapter calls it; mmdet's models are imported only then,
not by ``import plugins``) and is run on poses by
:class:`~plugins.tracking.mmdet_tracker_adapter.MMDetTrackerAdapter`, which hands it each
frame's poses (:meth:`PoseByteTrackMixin.set_frame_poses`) before calling ``track()``.
``from plugins.tracking.mmdet_pose_bytetrack import PoseByteTracker`` also registers it.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from plugins.utils.keypoint_similarity import pairwise_box_iou, pairwise_oks
from .mmdet_lap import install_lap_fallback
from plugins.utils.metainfo import DEFAULT_METAINFO, load_sigmas
from .oks_tracker import box_areas


def predict_poses(keypoints: np.ndarray, last_boxes: np.ndarray, predicted_cxcyah: np.ndarray
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Move poses with the motion of their boxes.

    Args:
        keypoints: (T, K, 2) last matched poses.
        last_boxes: (T, 4) their ``xyxy`` boxes.
        predicted_cxcyah: (T, 4) predicted boxes as ``(cx, cy, w / h, h)`` (the Kalman state).

    Returns:
        ``(poses (T, K, 2), boxes (T, 4) xyxy)`` in the predicted boxes.
    """
    kpts = np.asarray(keypoints, np.float64)
    last = np.asarray(last_boxes, np.float64).reshape(-1, 4)
    pred = np.asarray(predicted_cxcyah, np.float64).reshape(-1, 4)
    w = pred[:, 2] * pred[:, 3]
    h = pred[:, 3]
    boxes = np.stack([pred[:, 0] - w / 2, pred[:, 1] - h / 2, pred[:, 0] + w / 2,
                      pred[:, 1] + h / 2], axis=1)
    c0 = (last[:, :2] + last[:, 2:]) / 2
    wh0 = np.maximum(last[:, 2:] - last[:, :2], 1e-6)
    scale = np.stack([w, h], axis=1) / wh0
    out = (kpts - c0[:, None]) * scale[:, None] + pred[:, None, :2]
    return out, boxes


class PoseByteTrackMixin:
    """ByteTrack (mmdet) associating by OKS on Kalman-predicted poses: the methods that
    ``PoseByteTracker = (PoseByteTrackMixin, mmdet ByteTracker)`` overrides.

    Args:
        metainfo: dataset metainfo with the OKS ``sigmas`` (see
            :func:`~plugins.tracking.oks_tracker.load_sigmas`).
        sigmas: explicit (K,) sigmas.
        match_oks_thrs: OKS thresholds of the three association steps, ``dict(high=...,
            low=..., tentative=...)`` (mmdet's ``match_iou_thrs`` with OKS in place of IoU; a
            pair is matched when its similarity exceeds the threshold).
        min_keypoint_score: joints scored at or below it are left out of the OKS.
        iou_weight: weight of the predicted-box IoU mixed into the similarity, in [0, 1].
        **kwargs: ``ByteTracker`` arguments (``motion``, ``obj_score_thrs``,
            ``init_track_thr``, ``weight_iou_with_det_scores``, ``num_tentatives``,
            ``num_frames_retain``).
    """

    def __init__(self,
                 metainfo: Optional[Union[str, dict]] = None,
                 sigmas: Optional[Sequence[float]] = None,
                 match_oks_thrs: dict = dict(high=0.1, low=0.5, tentative=0.3),
                 min_keypoint_score: float = 0.0,
                 iou_weight: float = 0.0,
                 **kwargs) -> None:
        install_lap_fallback()
        if 'match_iou_thrs' in kwargs:
            raise ValueError('PoseByteTracker matches by OKS: set match_oks_thrs, not '
                             'match_iou_thrs')
        if not 0 <= iou_weight <= 1:
            raise ValueError(f'iou_weight must be in [0, 1], got {iou_weight}')
        missing = {'high', 'low', 'tentative'} - set(match_oks_thrs)
        if missing:
            raise ValueError(f'match_oks_thrs needs the keys high, low, tentative; missing '
                             f'{sorted(missing)}')
        super().__init__(match_iou_thrs=dict(match_oks_thrs), **kwargs)
        self.sigmas = load_sigmas(metainfo if metainfo is not None or sigmas is not None else
                                  DEFAULT_METAINFO, sigmas)
        self.min_keypoint_score = float(min_keypoint_score)
        self.iou_weight = float(iou_weight)
        self._frame: Optional[Dict[str, np.ndarray]] = None

    # ------------------------------------------------------------------ poses of the frame
    def set_frame_poses(self, bboxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray,
                        keypoint_scores: np.ndarray) -> None:
        """The detections about to be given to :meth:`track`, with their poses.

        Args:
            bboxes: (N, 4) ``xyxy`` float32, the rows of ``pred_instances.bboxes``.
            scores: (N,) their scores.
            keypoints: (N, K, 2). keypoint_scores: (N, K).
        """
        kpts = np.asarray(keypoints, np.float32)
        if kpts.ndim != 3 or kpts.shape[1] != len(self.sigmas):
            raise ValueError(f'PoseByteTracker: poses have shape {kpts.shape}, expected '
                             f'(N, {len(self.sigmas)}, 2) for the metainfo sigmas')
        self._frame = dict(bboxes=np.asarray(bboxes, np.float32).reshape(-1, 4),
                           scores=np.asarray(scores, np.float32).reshape(-1),
                           keypoints=kpts,
                           keypoint_scores=np.asarray(keypoint_scores, np.float32))

    def _rows(self, det_bboxes: torch.Tensor, det_scores: torch.Tensor) -> np.ndarray:
        """Indices into the frame's poses of the detections mmdet passes around."""
        from .mmdet_tracker_adapter import match_rows, row_lookup
        if self._frame is None:
            raise RuntimeError('PoseByteTracker.track() needs the frame poses: call '
                               'set_frame_poses() first (MMDetTrackerAdapter does)')
        table = row_lookup(self._frame['bboxes'], self._frame['scores'])
        return match_rows(table, det_bboxes.cpu().numpy(), det_scores.cpu().numpy(),
                          what='PoseByteTracker detection')

    def update(self, **kwargs) -> None:
        """Store each kept detection's pose in its track, then mmdet's update."""
        rows = self._rows(kwargs['bboxes'], kwargs['scores'])
        kwargs['keypoints'] = torch.from_numpy(self._frame['keypoints'][rows])
        kwargs['keypoint_scores'] = torch.from_numpy(self._frame['keypoint_scores'][rows])
        super().update(**kwargs)

    # ------------------------------------------------------------------ association
    def pose_similarity(self, ids: List[int], det_bboxes: torch.Tensor,
                        det_scores: torch.Tensor) -> np.ndarray:
        """(T, N) OKS (optionally mixed with IoU) of the tracks' predicted poses.

        Args:
            ids: track ids.
            det_bboxes: (N, 4) ``xyxy`` detections. det_scores: (N,).

        Returns:
            (T, N) float64 similarity in [0, 1].
        """
        rows = self._rows(det_bboxes, det_scores)
        if not len(ids) or not len(rows):
            return np.zeros((len(ids), len(rows)))
        tracks = [self.tracks[i] for i in ids]
        last_kpts = np.stack([t.keypoints[-1][0].numpy() for t in tracks])
        last_kscores = np.stack([t.keypoint_scores[-1][0].numpy() for t in tracks])
        last_boxes = np.stack([t.bboxes[-1][0].cpu().numpy() for t in tracks])
        means = np.stack([t.mean[:4] for t in tracks])
        ref, ref_boxes = predict_poses(last_kpts, last_boxes, means)
        det_kpts = self._frame['keypoints'][rows]
        det_kscores = self._frame['keypoint_scores'][rows]
        det_boxes = det_bboxes.cpu().numpy()
        sim = pairwise_oks(ref, det_kpts, self.sigmas, box_areas(ref_boxes),
                           visible_a=last_kscores > self.min_keypoint_score,
                           visible_b=det_kscores > self.min_keypoint_score,
                           areas_b=box_areas(det_boxes))
        if self.iou_weight > 0:
            sim = (1 - self.iou_weight) * sim + self.iou_weight * pairwise_box_iou(
                ref_boxes, det_boxes)
        return sim

    def assign_ids(self, ids: List[int], det_bboxes: torch.Tensor, det_labels: torch.Tensor,
                   det_scores: torch.Tensor, weight_iou_with_det_scores: Optional[bool] = False,
                   match_iou_thr: Optional[float] = 0.5) -> Tuple[np.ndarray, np.ndarray]:
        """mmdet's ``ByteTracker.assign_ids`` with the pose similarity in place of IoU.

        Returns:
            ``(row, col)``: for each track the matched detection index or -1, and for each
            detection the matched track index or -1 (``lap.lapjv``'s outputs).
        """
        sim = self.pose_similarity(ids, det_bboxes, det_scores)
        if weight_iou_with_det_scores:
            sim = sim * det_scores.cpu().numpy()[None]
        track_labels = np.array([int(self.tracks[i]['labels'][-1]) for i in ids], np.int64)
        same = det_labels.cpu().numpy()[None, :] == track_labels[:, None]
        dists = 1 - sim + (~same) * 1e6
        if dists.size > 0:
            from mmdet.models.trackers import byte_tracker
            _, row, col = byte_tracker.lap.lapjv(dists, extend_cost=True,
                                                 cost_limit=1 - match_iou_thr)
        else:
            row = np.zeros(len(ids)).astype(np.int32) - 1
            col = np.zeros(len(det_bboxes)).astype(np.int32) - 1
        return row, col


_CLASS = None


def register_pose_bytetracker():
    """Define ``PoseByteTracker(PoseByteTrackMixin, mmdet ByteTracker)`` and register it in
    mmdet's ``MODELS`` (once).

    Returns:
        The class.
    """
    global _CLASS
    if _CLASS is None:
        from mmdet.models.trackers import ByteTracker
        from mmdet.registry import MODELS as MMDET_MODELS
        cls = type('PoseByteTracker', (PoseByteTrackMixin, ByteTracker),
                   dict(__doc__=PoseByteTrackMixin.__doc__, __module__=__name__))
        _CLASS = MMDET_MODELS.register_module(module=cls)
    return _CLASS


def __getattr__(name):
    if name == 'PoseByteTracker':
        return register_pose_bytetracker()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
