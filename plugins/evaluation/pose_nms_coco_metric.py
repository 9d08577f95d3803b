"""COCO keypoint AP after a registered pose NMS (parametric, OKS, ...) on each image's poses."""
import copy
import inspect
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
from mmengine.structures import InstanceData
from mmpose.evaluation.metrics import CocoMetric
from mmpose.structures.bbox import bbox_xywh2xyxy, bbox_xyxy2xywh

from plugins.registry import METRICS, POSE_NMS


@METRICS.register_module()
class PoseNMSCocoMetric(CocoMetric):
    """mmpose's ``CocoMetric`` with the duplicate removal done by a ``POSE_NMS`` component.

    Top-down evaluation with detected boxes produces several poses per person; mmpose's metric
    removes them with OKS-NMS. This metric instead hands each image's poses (``keypoints``,
    ``keypoint_scores``, ``bboxes``, ``bbox_scores``) to the configured pose NMS (e.g. RMPE's
    ``ParametricPoseNMS``), keeps its (possibly merged) poses, then evaluates them as
    ``CocoMetric`` with ``nms_mode='none'``.

    The COCO score of a kept pose (which orders the poses for AP) is, with ``pose_score='nms'``
    (the default when the NMS outputs a ``scores`` field, as ``ParametricPoseNMS`` does), the
    NMS's own output score -- e.g. AlphaPose's ``mean + bbox_score + 1.25 * max`` of the merged
    joint scores, which AlphaPose writes as the result score -- so the NMS's ``output_score``
    setting reaches the AP. ``pose_score='coco'`` rescores the kept poses with ``CocoMetric``'s
    ``score_mode`` instead (the default for NMS without a ``scores`` output, e.g. ``OKSNMS``,
    which keeps poses unchanged: then the AP equals mmpose's own OKS-NMS evaluation).

    Args:
        pose_nms: config of the pose NMS; a ``sigmas`` argument it accepts but the config leaves
            out is filled from the dataset metainfo.
        pose_score: ``'nms'``, ``'coco'`` or ``None`` (``'nms'`` if the NMS output has
            ``scores``, else ``'coco'``). ``'nms'`` with an NMS that outputs no ``scores`` is an
            error at evaluation.
        **kwargs: ``CocoMetric`` arguments (``nms_mode`` must be left out).
    """

    def __init__(self, pose_nms: dict, pose_score: Optional[str] = None, **kwargs) -> None:
        if 'nms_mode' in kwargs:
            raise ValueError('PoseNMSCocoMetric: the NMS is "pose_nms"; do not set nms_mode')
        super().__init__(nms_mode='none', **kwargs)
        if not isinstance(pose_nms, dict) or 'type' not in pose_nms:
            raise ValueError(f'PoseNMSCocoMetric: pose_nms must be a config dict with a type, '
                             f'got {pose_nms!r}')
        if pose_score not in (None, 'nms', 'coco'):
            raise ValueError(f"PoseNMSCocoMetric: pose_score must be 'nms', 'coco' or None, "
                             f'got {pose_score!r}')
        self.pose_nms_cfg = copy.deepcopy(dict(pose_nms))
        self.pose_score = pose_score
        self._pose_nms = None
        self._nms_scored = False  # whether the last apply_pose_nms wrote the NMS scores

    def _build_pose_nms(self):
        if self._pose_nms is None:
            cfg = copy.deepcopy(self.pose_nms_cfg)
            cls = POSE_NMS.get(cfg['type'])
            if cls is None:
                raise KeyError(f'PoseNMSCocoMetric: {cfg["type"]!r} is not in POSE_NMS')
            if 'sigmas' in inspect.signature(cls).parameters and cfg.get('sigmas') is None:
                cfg['sigmas'] = np.asarray(self.dataset_meta['sigmas']).tolist()
            self._pose_nms = POSE_NMS.build(cfg)
        return self._pose_nms

    def apply_pose_nms(self, results: List[tuple]) -> List[tuple]:
        """Replace the per-box predictions of every image by the pose NMS output.

        Args:
            results: ``(pred, gt)`` pairs collected by :meth:`process` (one top-down box each).

        Returns:
            ``(pred, gt)`` pairs, one per kept pose, plus an empty prediction per input sample
            so that ground truth of images without kept poses still counts. When the NMS score
            is used (``pose_score``), it is each kept pose's ``bbox_scores`` entry (and
            :meth:`compute_metrics` scores by it alone).
        """
        nms = self._build_pose_nms()
        self._nms_scored = False
        use_nms_score = None if self.pose_score is None else self.pose_score == 'nms'
        by_image: Dict[int, List[int]] = defaultdict(list)
        for i, (pred, _) in enumerate(results):
            if len(pred['keypoints']) != 1:
                raise ValueError('PoseNMSCocoMetric expects top-down predictions (one pose per '
                                 f'sample), sample {pred["id"]} has {len(pred["keypoints"])}')
            by_image[pred['img_id']].append(i)
        out: List[tuple] = []
        for img_id, idx in by_image.items():
            preds = [results[i][0] for i in idx]
            if any('bbox' not in p for p in preds):
                raise KeyError('PoseNMSCocoMetric: predictions need "bboxes" (top-down models '
                               'copy them from the input boxes)')
            instances = InstanceData(
                keypoints=np.concatenate([p['keypoints'] for p in preds]).astype(np.float32),
                keypoint_scores=np.concatenate([p['keypoint_scores']
                                                for p in preds]).astype(np.float32),
                bboxes=bbox_xywh2xyxy(np.concatenate([p['bbox'] for p in preds])).astype(
                    np.float32),
                bbox_scores=np.concatenate([np.asarray(p['bbox_scores']).reshape(-1)
                                            for p in preds]).astype(np.float32),
                sample=np.arange(len(preds)))
            kept = nms(instances)
            has_scores = 'scores' in kept
            if use_nms_score is None:
                use_nms_score = has_scores
            if use_nms_score and not has_scores:
                raise ValueError(f'PoseNMSCocoMetric: pose_score="nms" but {type(nms).__name__} '
                                 'outputs no "scores"; use pose_score="coco" or None')
            gt = results[idx[0]][1]
            score_field = kept.scores if use_nms_score else kept.bbox_scores
            for j in range(len(kept)):
                ref = preds[int(kept.sample[j])]
                pred = dict(ref)
                pred['keypoints'] = np.asarray(kept.keypoints[j:j + 1])
                pred['keypoint_scores'] = np.asarray(kept.keypoint_scores[j:j + 1])
                pred['bbox'] = bbox_xyxy2xywh(np.asarray(kept.bboxes[j:j + 1]))
                pred['bbox_scores'] = np.asarray(score_field[j:j + 1], np.float64)
                out.append((pred, gt))
        self._nms_scored = bool(use_nms_score)
        for pred, gt in results:  # keeps every image's ground truth (when no ann_file)
            empty = dict(pred)
            k = pred['keypoints'].shape[1]
            empty['keypoints'] = np.zeros((0, k, pred['keypoints'].shape[2]), np.float32)
            empty['keypoint_scores'] = np.zeros((0, k), np.float32)
            empty['bbox_scores'] = np.zeros(0, np.float32)
            empty.pop('bbox', None)
            empty.pop('areas', None)
            out.append((empty, gt))
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Pose NMS per image, then ``CocoMetric.compute_metrics`` (no further NMS; scored by
        the NMS output score or by ``score_mode``, see the class docstring)."""
        kept = self.apply_pose_nms(results)
        if not self._nms_scored:
            return super().compute_metrics(kept)
        score_mode = self.score_mode
        self.score_mode = 'bbox'  # CocoMetric's rule "score = bbox_scores": the NMS score
        try:
            return super().compute_metrics(kept)
        finally:
            self.score_mode = score_mode
