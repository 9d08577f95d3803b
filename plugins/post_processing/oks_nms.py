"""Greedy pose non-maximum suppression by object keypoint similarity (OKS-NMS)."""
from typing import Optional, Sequence

import numpy as np
from mmengine.structures import InstanceData

from plugins.geometry import box_areas, greedy_suppression, keypoint_boxes
from plugins.registry import POSE_NMS
from plugins.utils.keypoint_similarity import pairwise_oks
from plugins.utils.metainfo import DatasetMetaMixin

SCORE_MODES = ('bbox', 'keypoint_mean', 'bbox_x_keypoint_mean')


@POSE_NMS.register_module()
class OKSNMS(DatasetMetaMixin):
    """Keep the most confident pose, drop every other pose too similar to it, repeat.

    The similarity of two poses is the COCO OKS with the mean of their areas as scale and the
    dataset's per-joint ``sigmas`` (mmpose's ``oks_iou``), so the kept set equals mmpose's
    ``oks_nms`` on the same inputs. All pairwise similarities are computed at once
    (:func:`plugins.utils.keypoint_similarity.pairwise_oks`); only the inherently sequential
    suppression walks the sorted list.

    Args:
        sigmas: (K,) per-joint OKS falloffs, from the dataset metainfo (``sigmas``). The video
            pipeline fills them from the pose model's metainfo when the config leaves them out.
        threshold: poses with OKS > threshold to a kept, more confident pose are removed
            (mmpose keeps ``oks <= thr``; its COCO metric uses 0.9).
        keypoint_score_thr: joints scored at or below it (in either pose) are ignored by the OKS
            (mmpose's ``vis_thr``); ``None`` uses every joint.
        score_mode: the confidence that orders the poses: ``'bbox'`` (``bbox_scores``),
            ``'keypoint_mean'`` (mean ``keypoint_scores``) or ``'bbox_x_keypoint_mean'``
            (their product, default).
        area_mode: ``'bbox'`` (box width * height, mmpose's COCO metric) or ``'keypoints'``
            (area of the box tight around the joints).
    """

    def __init__(self,
                 sigmas: Optional[Sequence[float]] = None,
                 threshold: float = 0.9,
                 keypoint_score_thr: Optional[float] = None,
                 score_mode: str = 'bbox_x_keypoint_mean',
                 area_mode: str = 'bbox') -> None:
        if score_mode not in SCORE_MODES:
            raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {score_mode!r}')
        if area_mode not in ('bbox', 'keypoints'):
            raise ValueError(f"area_mode must be 'bbox' or 'keypoints', got {area_mode!r}")
        self._init_sigmas(None, sigmas, default=None)
        self.threshold = float(threshold)
        self.keypoint_score_thr = keypoint_score_thr
        self.score_mode = score_mode
        self.area_mode = area_mode

    def scores(self, instances: InstanceData) -> np.ndarray:
        """The confidence used to order ``instances`` (see ``score_mode``).

        Args:
            instances: poses with ``keypoint_scores`` (N, K) and ``bbox_scores`` (N,).

        Returns:
            (N,) float64 scores.
        """
        n = len(instances.keypoints)
        bbox_scores = (np.asarray(instances.bbox_scores, np.float64).reshape(n)
                       if 'bbox_scores' in instances else np.ones(n))
        kpt_mean = (np.asarray(instances.keypoint_scores, np.float64).reshape(n, -1).mean(1)
                    if 'keypoint_scores' in instances else np.ones(n))
        if self.score_mode == 'bbox':
            return bbox_scores
        if self.score_mode == 'keypoint_mean':
            return kpt_mean
        return bbox_scores * kpt_mean

    def areas(self, instances: InstanceData) -> np.ndarray:
        """Areas used as OKS scale: box areas or areas of the joints' tight boxes.

        Returns:
            (N,) float64 areas.
        """
        if self.area_mode == 'bbox' and 'bboxes' in instances:
            return box_areas(instances.bboxes)
        return box_areas(keypoint_boxes(instances.keypoints))

    def keep_indices(self, instances: InstanceData) -> np.ndarray:
        """Indices of the kept poses, most confident first.

        Args:
            instances: poses of one frame (``keypoints`` (N, K, 2), ``keypoint_scores``,
                ``bboxes``, ``bbox_scores``).

        Returns:
            (M,) int64 indices into ``instances``.
        """
        kpts = np.asarray(instances.keypoints, np.float64)
        n = len(kpts)
        if n == 0:
            return np.zeros(0, np.int64)
        if self.sigmas is None:
            raise ValueError('OKSNMS has no "sigmas": set them or its dataset_meta')
        if kpts.ndim != 3 or kpts.shape[1] != len(self.sigmas) or kpts.shape[2] != 2:
            raise ValueError(f'OKSNMS: "keypoints" must have shape (N, {len(self.sigmas)}, 2) '
                             f'(one sigma per joint), got {kpts.shape}')
        visible = None
        if self.keypoint_score_thr is not None:
            visible = np.asarray(instances.keypoint_scores) > self.keypoint_score_thr
        areas = self.areas(instances)
        oks = pairwise_oks(kpts, kpts, self.sigmas, areas, visible, visible, areas_b=areas)
        return greedy_suppression(oks, self.threshold, self.scores(instances))

    def __call__(self, instances: InstanceData) -> InstanceData:
        """Suppress duplicate poses.

        Args:
            instances: poses of one frame (may be empty).

        Returns:
            The kept poses (all fields), sorted by score descending.
        """
        if len(instances) == 0:
            return instances
        return instances[self.keep_indices(instances)]
