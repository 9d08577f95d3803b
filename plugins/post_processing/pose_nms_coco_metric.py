"""COCO keypoint AP after a registered pose NMS (parametric, OKS, ...) on each image's poses."""
import copy
import inspect
from collections import defaultdict
from typing import Dict, List

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
    ``ParametricPoseNMS``), keeps its (possibly merged) poses, then scores and evaluates them
    exactly as ``CocoMetric`` with ``nms_mode='none'``.

    Args:
        pose_nms: config of the pose NMS; a ``sigmas`` argument it accepts but the config leaves
            out is filled from the dataset metainfo.
        **kwargs: ``CocoMetric`` arguments (``nms_mode`` must be left out).
    """

    def __init__(self, pose_nms: dict, **kwargs) -> None:
        if 'nms_mode' in kwargs:
            raise ValueError('PoseNMSCocoMetric: the NMS is "pose_nms"; do not set nms_mode')
        super().__init__(nms_mode='none', **kwargs)
        if not isinstance(pose_nms, dict) or 'type' not in pose_nms:
            raise ValueError(f'PoseNMSCocoMetric: pose_nms must be a config dict with a type, '
                             f'got {pose_nms!r}')
        self.pose_nms_cfg = copy.deepcopy(dict(pose_nms))
        self._pose_nms = None

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
            so that ground truth of images without kept poses still counts.
        """
        nms = self._build_pose_nms()
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
            gt = results[idx[0]][1]
            for j in range(len(kept)):
                ref = preds[int(kept.sample[j])]
                pred = dict(ref)
                pred['keypoints'] = np.asarray(kept.keypoints[j:j + 1])
                pred['keypoint_scores'] = np.asarray(kept.keypoint_scores[j:j + 1])
                pred['bbox'] = bbox_xyxy2xywh(np.asarray(kept.bboxes[j:j + 1]))
                pred['bbox_scores'] = np.asarray(kept.bbox_scores[j:j + 1])
                out.append((pred, gt))
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
        """Pose NMS per image, then ``CocoMetric.compute_metrics`` (no further NMS)."""
        return super().compute_metrics(self.apply_pose_nms(results))
