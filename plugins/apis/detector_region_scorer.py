"""Person score of given boxes from a two-stage detector's region classification head."""
import warnings
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from plugins.registry import POSE_STAGES


@POSE_STAGES.register_module()
class DetectorRegionScorer:
    """Score arbitrary boxes with an mmdet two-stage detector's RoI classifier.

    The boxes are used as the region proposals of the detector's ``roi_head`` (e.g. Faster
    R-CNN): the image goes through the detector's test pipeline, backbone and neck, and
    ``roi_head.predict_bbox(..., rcnn_test_cfg=None)`` returns the softmax class scores of each
    box without regression-based re-ranking or NMS. The score of a box is the probability of
    the person class(es). This is the failure checker of
    :class:`plugins.tracking.region_update_tracker.RegionUpdateTracker`.

    Args:
        config: mmdet config (path, ``Config``, dict or ``'mmdet::...'``), e.g.
            ``'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'``.
        checkpoint: checkpoint path or URL (None: random weights, for tests).
        device: torch device.
        person_classes: class names counted as person (looked up in the model's classes; a
            one-class model without class names scores its only class).
    """

    def __init__(self,
                 config: Union[str, Config, dict],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 person_classes: Sequence[str] = ('person', )) -> None:
        from mmdet.apis import init_detector
        from mmdet.utils import get_test_pipeline_cfg

        from plugins.apis.model_config import load_model_config

        cfg = load_model_config(config)
        # init_detector makes its scope the global default; keep the caller's default instead
        # (a tracker built later from TRACKERS must not be looked up in mmdet's registries)
        with warnings.catch_warnings(), DefaultScope.overwrite_default_scope(
                cfg.get('default_scope', 'mmdet')):
            warnings.filterwarnings('ignore', message='checkpoint is None')
            self.model = init_detector(cfg, checkpoint, palette='random', device=device)
        self.model.eval()
        roi_head = getattr(self.model, 'roi_head', None)
        if roi_head is None or not hasattr(roi_head, 'predict_bbox'):
            raise TypeError(f'DetectorRegionScorer needs a two-stage detector with a roi_head '
                            f'(e.g. Faster R-CNN); {type(self.model).__name__} has none')
        num_classes = int(roi_head.bbox_head.num_classes)
        classes = list(self.model.dataset_meta.get('classes', ()) or ())
        if checkpoint is None:
            try:  # a randomly initialised model follows its config's classes
                classes = list(cfg.test_dataloader.dataset.metainfo.classes)
            except (AttributeError, KeyError, TypeError):
                pass
        if len(classes) == num_classes:
            labels = [i for i, c in enumerate(classes) if c in set(person_classes)]
        elif num_classes == 1:
            labels = [0]
        else:
            labels = []
        if not labels:
            raise ValueError(f'none of person_classes={tuple(person_classes)} is among the '
                             f'{num_classes} detector classes {tuple(classes)[:10]}')
        self.person_labels = torch.as_tensor(labels, dtype=torch.long)
        pipeline = [dict(p) for p in get_test_pipeline_cfg(cfg)]
        pipeline[0] = dict(type='mmdet.LoadImageFromNDArray')
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
            self.test_pipeline = Compose(pipeline)

    @torch.no_grad()
    def __call__(self, frame: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Person probability of each box in ``frame``.

        Args:
            frame: (H, W, 3) BGR uint8.
            boxes: (M, 4) ``xyxy`` image pixels.

        Returns:
            (M,) float32 scores in [0, 1].
        """
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        if len(boxes) == 0:
            return np.zeros(0, np.float32)
        if frame is None or frame.ndim != 3:
            raise ValueError('DetectorRegionScorer needs an (H, W, 3) frame, got '
                             f'{None if frame is None else frame.shape}')
        data = self.test_pipeline(dict(img=frame, img_id=0))
        data = self.model.data_preprocessor(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
        feats = self.model.extract_feat(data['inputs'])
        meta = data['data_samples'][0].metainfo
        sx, sy = meta['scale_factor']
        rois = torch.as_tensor(boxes * np.array([sx, sy, sx, sy], np.float32),
                               device=feats[0].device)
        result = self.model.roi_head.predict_bbox(
            feats, [meta], [InstanceData(bboxes=rois)], rcnn_test_cfg=None, rescale=False)[0]
        scores = result.scores[:, self.person_labels.to(result.scores.device)].sum(dim=1)
        return scores.float().cpu().numpy()
