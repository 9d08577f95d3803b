"""Poses of given person boxes from any MMPose top-down model (all crops in one batch)."""
import copy
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from plugins.registry import PIPELINES
from .model_config import load_model_config


@PIPELINES.register_module()
class MMPoseTopdownEstimator:
    """Estimate the pose inside every box of a frame with an mmpose top-down model.

    The crops of all boxes go through the model's own test pipeline
    (``test_dataloader.dataset.pipeline``: box centre/scale with its padding, affine crop,
    packing) and through the model as one batch, like mmpose's ``inference_topdown``; the
    test pipeline is built once rather than per frame.

    Args:
        config: mmpose config (path, ``Config`` or dict), e.g.
            ``mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``.
        checkpoint: checkpoint path or URL; ``None`` keeps the random initialisation (tests).
        device: torch device.
        max_batch: largest batch of crops per forward (None = all boxes of a frame at once).
        cfg_options: merged into the model config, e.g. ``dict(model=dict(test_cfg=dict(
            flip_test=True)))``.
    """

    def __init__(self,
                 config: Union[str, Config, dict],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 max_batch: Optional[int] = None,
                 cfg_options: Optional[dict] = None) -> None:
        from mmpose.apis import init_model

        cfg = load_model_config(config)
        if cfg_options:
            cfg = copy.deepcopy(cfg)
            cfg.merge_from_dict(cfg_options)
        self.model = init_model(cfg, checkpoint, device=device)
        self.dataset_meta = dict(self.model.dataset_meta)
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpose')):
            self.test_pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        self.max_batch = max_batch
        self.num_keypoints = int(self.dataset_meta['num_keypoints'])

    def empty(self) -> InstanceData:
        """Poses of a frame with nobody (``N = 0``)."""
        k = self.num_keypoints
        return InstanceData(keypoints=np.zeros((0, k, 2), np.float32),
                            keypoint_scores=np.zeros((0, k), np.float32),
                            bboxes=np.zeros((0, 4), np.float32),
                            bbox_scores=np.zeros(0, np.float32))

    def __call__(self, frame: np.ndarray, bboxes: np.ndarray,
                 bbox_scores: Optional[np.ndarray] = None,
                 crop_bboxes: Optional[np.ndarray] = None) -> InstanceData:
        """Poses inside the given boxes.

        Args:
            frame: (H, W, 3) BGR uint8.
            bboxes: (N, 4) ``xyxy`` person boxes (reported in the output).
            bbox_scores: (N,) person confidences (1 when None).
            crop_bboxes: (N, 4) boxes to crop instead of ``bboxes`` (e.g. extended ones).

        Returns:
            ``InstanceData`` with ``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K),
            ``bboxes`` (N, 4) and ``bbox_scores`` (N,), numpy float32, in the order of the boxes.
        """
        bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        n = len(bboxes)
        if n == 0:
            return self.empty()
        bbox_scores = (np.ones(n, np.float32) if bbox_scores is None else
                       np.asarray(bbox_scores, np.float32).reshape(n))
        crops = bboxes if crop_bboxes is None else np.asarray(crop_bboxes, np.float32)
        data_list = []
        for box in crops:  # per-crop affine warp: mmpose's test pipeline works per instance
            info = dict(img=frame, bbox=box[None], bbox_score=np.ones(1, np.float32))
            info.update(self.dataset_meta)
            data_list.append(self.test_pipeline(info))
        step = self.max_batch or n
        keypoints, scores = [], []
        with torch.no_grad():
            for start in range(0, n, step):
                for sample in self.model.test_step(pseudo_collate(data_list[start:start + step])):
                    pred = sample.pred_instances
                    keypoints.append(_numpy(pred.keypoints).reshape(-1, self.num_keypoints, 2))
                    scores.append(_numpy(pred.keypoint_scores).reshape(-1, self.num_keypoints))
        return InstanceData(keypoints=np.concatenate(keypoints).astype(np.float32),
                            keypoint_scores=np.concatenate(scores).astype(np.float32),
                            bboxes=bboxes, bbox_scores=bbox_scores)


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
