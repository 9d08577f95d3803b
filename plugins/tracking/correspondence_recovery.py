"""Recovery of poses the detector missed, by propagating the previous frame's poses."""
from typing import Callable, Optional, Sequence, Union

import numpy as np
from mmengine.structures import InstanceData

from plugins.geometry import scale_boxes
from plugins.models.correspondence.propagation import FrameFeatures, propagate_keypoints
from plugins.registry import PROPOSAL_SOURCES
from plugins.utils.keypoint_similarity import pairwise_oks

from .base_tracker import keypoint_boxes, validate_instances
from .correspondence_tracker import cached_frame_features, correspondence_net
from .frame_context import FrameContext
from .oks_tracker import DEFAULT_METAINFO, box_areas, load_sigmas
from .proposal_source import BaseProposalSource, empty_proposals

#: the fields every pose stage exchanges (conventions.md)
POSE_FIELDS = ('keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores')


@PROPOSAL_SOURCES.register_module()
class CorrespondenceRecovery(BaseProposalSource):
    """Recover persons missed in frame t+1 from the poses of frame t (a proposal source).

    In the pipeline (``recovery=`` or ``proposal_sources=[...]``), per frame:

    * :meth:`propose`: the previous frame's poses (by default only the *detected* ones:
      poses that were themselves recovered are not propagated again,
      ``propagate_from='detected'``) are propagated into the current frame with the
      correspondence network (query joints scored >= ``joint_threshold``); one box around the
      usable propagated joints of each (scaled by ``bbox_padding`` about its centre; 1.0 =
      tight, because the top-down estimator's ``GetBBoxCenterScale`` pads by 1.25 itself) is
      proposed. The pipeline estimates the poses in them together with the detector's boxes.
    * :meth:`accept`: a re-estimated pose is kept when it has at least ``min_accept_joints``
      joints scored >= ``accept_joint_thr`` and its OKS to every other pose of the frame is <=
      ``oks_threshold`` (the pipeline's pose NMS runs afterwards on all poses);
    * :meth:`observe`: keeps this frame's tracked poses (without the recovered ones) and the
      frame's correspondence features (shared with the tracker through ``ctx.cache``).

    :meth:`recover` runs the same steps outside a pipeline, given a pose estimator.

    The first version of this stage (kept for the ablations: ``propagate_from='all'``,
    ``joint_threshold=0.4``, ``bbox_padding=1.25``, ``min_accept_joints=0``,
    ``oks_threshold=0.5``, ``area_mode='bbox'``) propagated recovered poses again, padded the box
    twice and accepted any re-estimated pose that was not a duplicate.

    Args:
        model: the :class:`CorrespondenceNet` (config file, whole config, model dict, or the
            pipeline's shared network ``dict(shared='corr_net')``).
        checkpoint: its weights (optional).
        device: torch device.
        joint_threshold: joints of the previous poses scored below it are not propagated
            (also: joints counted by the acceptance OKS).
        min_propagated_score: propagated joints with a lower affinity peak are dropped.
        min_joints: a person needs this many propagated joints to be proposed.
        bbox_padding: the box around the propagated joints is scaled by this about its centre.
        oks_threshold: a recovered pose with OKS above it to another pose is dropped.
        affinity_window: neighbourhood radius (map cells) for the propagated joint's score.
        propagate_from: ``'detected'`` or ``'all'`` previous poses.
        min_accept_joints: joints scored >= ``accept_joint_thr`` a recovered pose needs.
        accept_joint_thr: see ``min_accept_joints``.
        area_mode: OKS scale: ``'keypoints'`` (tight box of the joints) or ``'bbox'``.
        self_suppression: :meth:`recover` only: OKS-NMS among the recovered poses (in the
            pipeline the configured pose NMS does it).
        metainfo, sigmas: per-joint OKS falloffs (see :func:`load_sigmas`).
    """

    def __init__(self,
                 model: Union[str, dict, object],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 joint_threshold: float = 0.1,
                 min_propagated_score: float = 0.1,
                 min_joints: int = 3,
                 bbox_padding: float = 1.0,
                 oks_threshold: float = 0.6,
                 affinity_window: int = 0,
                 propagate_from: str = 'detected',
                 min_accept_joints: int = 5,
                 accept_joint_thr: float = 0.1,
                 area_mode: str = 'keypoints',
                 self_suppression: bool = True,
                 metainfo: Optional[Union[str, dict]] = DEFAULT_METAINFO,
                 sigmas: Optional[Sequence[float]] = None) -> None:
        if bbox_padding <= 0:
            raise ValueError(f'bbox_padding must be > 0, got {bbox_padding}')
        if propagate_from not in ('detected', 'all'):
            raise ValueError(f"propagate_from must be 'detected' or 'all', got {propagate_from!r}")
        if area_mode not in ('keypoints', 'bbox'):
            raise ValueError(f"area_mode must be 'keypoints' or 'bbox', got {area_mode!r}")
        self.model = correspondence_net(model, checkpoint, device)
        self.joint_threshold = float(joint_threshold)
        self.min_propagated_score = float(min_propagated_score)
        self.min_joints = int(min_joints)
        self.bbox_padding = float(bbox_padding)
        self.oks_threshold = float(oks_threshold)
        self.affinity_window = int(affinity_window)
        self.propagate_from = propagate_from
        self.min_accept_joints = int(min_accept_joints)
        self.accept_joint_thr = float(accept_joint_thr)
        self.area_mode = area_mode
        self.self_suppression = bool(self_suppression)
        self.sigmas = load_sigmas(metainfo, sigmas)
        self.reset()

    # ------------------------------------------------------------------ proposal source
    def reset(self) -> None:
        """Start a new video."""
        self._prev: Optional[InstanceData] = None
        self._prev_feats: Optional[FrameFeatures] = None
        self._accepted: Optional[np.ndarray] = None  # this frame's recovered joints

    def propose(self, ctx: FrameContext) -> InstanceData:
        """Boxes around the previous poses propagated into this frame (``bboxes`` (M, 4),
        ``bbox_scores`` (M,): mean confidence of the usable propagated joints)."""
        self._accepted = None
        if self._prev is None or len(self._prev) == 0:
            return empty_proposals()
        pts, usable, scores = self._propagate(self._prev_feats, self._prev,
                                              cached_frame_features(ctx, self.model))
        keep = usable.sum(axis=1) >= self.min_joints
        if not keep.any():
            return empty_proposals()
        conf = (scores * usable).sum(1) / np.maximum(usable.sum(1), 1)
        return InstanceData(bboxes=self._boxes(pts[keep], usable[keep], ctx.shape),
                            bbox_scores=conf[keep].astype(np.float32))

    def accept(self, ctx: Optional[FrameContext], own: InstanceData,
               others: InstanceData) -> np.ndarray:
        """(M,) bool: the recovered poses with at least ``min_accept_joints`` joints >=
        ``accept_joint_thr`` and OKS <= ``oks_threshold`` to every pose of ``others``."""
        keep = ((np.asarray(own.keypoint_scores) >= self.accept_joint_thr).sum(1)
                >= self.min_accept_joints)
        if len(others) and len(own):
            keep &= ~(self._oks(own, others) > self.oks_threshold).any(axis=1)
        self._accepted = np.asarray(own.keypoints, np.float32)[keep]
        return keep

    def observe(self, ctx: FrameContext, tracked: InstanceData) -> None:
        """Keep the frame's poses to propagate next frame (without the recovered ones when
        ``propagate_from='detected'``) and its correspondence features."""
        prev = validate_instances(tracked)
        if self.propagate_from == 'detected' and self._accepted is not None and len(prev) \
                and len(self._accepted):
            same = (prev.keypoints[:, None] == self._accepted[None]).all(axis=(2, 3))
            prev = prev[~same.any(axis=1)]
        self._prev = prev if len(prev) else None
        self._prev_feats = cached_frame_features(ctx, self.model) if len(prev) else None
        self._accepted = None

    # ------------------------------------------------------------------ standalone use
    def recover(self, prev_frame: Optional[np.ndarray], prev_instances: Optional[InstanceData],
                frame: np.ndarray, instances: InstanceData,
                estimate_poses: Callable[[np.ndarray, np.ndarray], InstanceData]
                ) -> InstanceData:
        """Outside a pipeline: add the poses of ``prev_instances`` that the detections of
        ``frame`` lack (propose, estimate, accept, OKS-NMS among the recovered ones).

        Args:
            prev_frame: previous image (H, W, 3) BGR, or None on the first frame.
            prev_instances: previous frame's final poses (with ``recovered`` where they came
                from this stage), or None.
            frame: current image.
            instances: current detected poses.
            estimate_poses: ``(frame, bboxes (M, 4) xyxy) -> InstanceData`` pose estimator.

        Returns:
            The detected poses (unchanged, same order) followed by the recovered ones, with
            the fields ``keypoints``, ``keypoint_scores``, ``bboxes``, ``bbox_scores`` and
            ``recovered`` (N,) bool.
        """
        current = validate_instances(instances)
        detected = _pose_fields(current, recovered=False)
        if prev_frame is None or prev_instances is None or len(prev_instances) == 0:
            return detected
        prev = self.sources(validate_instances(prev_instances))
        if len(prev) == 0:
            return detected
        pts, usable, _ = self._propagate(prev_frame, prev, frame)
        keep = usable.sum(axis=1) >= self.min_joints
        if not keep.any():
            return detected
        boxes = self._boxes(pts[keep], usable[keep], frame.shape[:2])
        recovered = self._as_recovered(estimate_poses(frame, boxes), boxes)
        recovered = recovered[self.accept(None, recovered, detected)]
        if self.self_suppression:
            recovered = self._suppress(recovered)
        if len(recovered) == 0:
            return detected
        return InstanceData.cat([detected, recovered])

    def sources(self, prev_instances: InstanceData) -> InstanceData:
        """The previous poses that are propagated (``propagate_from``; by the ``recovered``
        field)."""
        if self.propagate_from == 'detected' and 'recovered' in prev_instances:
            return prev_instances[~np.asarray(prev_instances.recovered, bool)]
        return prev_instances

    def _propagate(self, prev, prev_instances: InstanceData, current):
        """(M, K, 2) propagated joints, (M, K) usable, (M, K) scores."""
        valid = prev_instances.keypoint_scores >= self.joint_threshold
        prop = propagate_keypoints(self.model, prev, current, prev_instances.keypoints,
                                   valid, window=self.affinity_window)
        return (prop.keypoints, valid & (prop.scores >= self.min_propagated_score),
                prop.scores)

    def propagate(self, prev_frame: np.ndarray, prev_instances: InstanceData,
                  frame: np.ndarray):
        """Move the previous poses into ``frame`` (frames or their features).

        Returns:
            keypoints (M, K, 2) image pixels of ``frame`` and usable (M, K) bool.
        """
        pts, usable, _ = self._propagate(prev_frame, validate_instances(prev_instances), frame)
        return pts, usable

    def propose_boxes(self, prev_frame, prev_instances: InstanceData, frame) -> np.ndarray:
        """(M, 4) ``xyxy`` boxes where the previous persons (:meth:`sources`) are expected."""
        prev = self.sources(validate_instances(prev_instances))
        if len(prev) == 0:
            return np.zeros((0, 4), np.float32)
        pts, usable, _ = self._propagate(prev_frame, prev, frame)
        keep = usable.sum(axis=1) >= self.min_joints
        shape = getattr(frame, 'shape', None)
        hw = shape[:2] if shape is not None else frame.image_size[::-1]
        return self._boxes(pts[keep], usable[keep], hw)

    def _boxes(self, pts: np.ndarray, usable: np.ndarray, hw) -> np.ndarray:
        """Boxes around the usable propagated joints (``bbox_padding``), clipped to the image."""
        boxes = keypoint_boxes(pts, usable.astype(np.float32), min_score=0.5)
        return scale_boxes(boxes, self.bbox_padding, tuple(hw)[:2], min_half_size=1.0,
                           inclusive=True)

    @staticmethod
    def _as_recovered(estimated: InstanceData, boxes: np.ndarray) -> InstanceData:
        """The estimator's poses with the conventional fields (box = the recovery box,
        box score = the estimator's or the mean joint score, ``recovered`` = True)."""
        if len(estimated) != len(boxes):
            raise ValueError(f'estimate_poses returned {len(estimated)} poses for '
                             f'{len(boxes)} boxes')
        out = InstanceData()
        out.keypoints = np.asarray(estimated.keypoints, np.float32).reshape(len(boxes), -1, 2)
        out.keypoint_scores = np.asarray(estimated.keypoint_scores,
                                         np.float32).reshape(len(boxes), -1)
        out.bboxes = boxes.astype(np.float32)
        if 'bbox_scores' in estimated:
            out.bbox_scores = np.asarray(estimated.bbox_scores, np.float32).reshape(-1)
        else:
            out.bbox_scores = out.keypoint_scores.mean(axis=1).astype(np.float32)
        out.recovered = np.ones(len(boxes), bool)
        return out

    def _areas(self, inst: InstanceData) -> np.ndarray:
        if self.area_mode == 'bbox':
            return box_areas(inst.bboxes)
        return box_areas(keypoint_boxes(inst.keypoints, inst.keypoint_scores,
                                        min_score=self.joint_threshold - 1e-9))

    def _oks(self, a: InstanceData, b: InstanceData) -> np.ndarray:
        return pairwise_oks(a.keypoints, b.keypoints, self.sigmas, self._areas(a),
                            visible_a=a.keypoint_scores >= self.joint_threshold,
                            visible_b=b.keypoint_scores >= self.joint_threshold,
                            areas_b=self._areas(b))

    def _suppress(self, recovered: InstanceData) -> InstanceData:
        """OKS-NMS among the recovered poses (most confident first)."""
        if len(recovered) < 2:
            return recovered
        order = np.argsort(-recovered.bbox_scores, kind='stable')
        recovered = recovered[order]
        sim = self._oks(recovered, recovered)
        kept = np.ones(len(recovered), bool)
        for i in range(len(recovered)):  # sequential by definition of NMS
            if kept[i]:
                kept[i + 1:] &= ~(sim[i, i + 1:] > self.oks_threshold)
        return recovered[kept]


def _pose_fields(instances: InstanceData, recovered: bool) -> InstanceData:
    """Only the conventional pose fields and ``recovered`` (so detected and recovered poses
    concatenate)."""
    out = InstanceData()
    for key in POSE_FIELDS:
        out.set_field(np.asarray(instances.get(key)), key)
    out.recovered = np.full(len(out.keypoints), recovered, bool)
    return out
