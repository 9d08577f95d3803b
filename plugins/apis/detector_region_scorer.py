"""Person score of given boxes from a two-stage detector's region classification head."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from plugins.registry import POSE_STAGES
from .person_detector import init_mmdet_detector


@POSE_STAGES.register_module()
class DetectorRegionScorer:
    """Score arbitrary boxes with an mmdet two-stage detector's RoI classifier.

    The boxes are used as the region proposals of the detector's ``roi_head`` (e.g. Faster
    R-CNN): the image goes through the detector's test pipeline, backbone and neck, and
    ``roi_head.predict_bbox(..., rcnn_test_cfg=None)`` returns the softmax class scores of each
    box without regression-based re-ranking or NMS. The score of a box is the probability of
    the person class(es). This is the failure checker of
    :class:`plugins.tracking.region_update_tracker.RegionUpdateTracker`.

    In a pipeline, ``detector=dict(shared='detector')`` scores with the detector stage's
    already loaded model (one copy of the weights); alone, ``config``/``checkpoint`` load one.

    Args:
        config: mmdet config (path, ``Config``, dict or ``'mmdet::...'``), e.g.
            ``'mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'``.
        checkpoint: checkpoint path or URL (None: random weights, for tests).
        device: torch device.
        person_classes: class names counted as person (looked up in the model's classes; a
            one-class model without class names scores its only class).
        detector: a built :class:`MMDetPersonDetector` whose model to use instead of
            ``config``.
    """

    def __init__(self,
                 config: Union[None, str, Config, dict] = None,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 person_classes: Sequence[str] = ('person', ),
                 detector=None) -> None:
        if detector is not None:  # the pipeline's detector stage: its loaded model, shared
            if config is not None:
                raise ValueError('DetectorRegionScorer: give config or detector, not both')
            self.model = detector.model
            self.test_pipeline = detector.test_pipeline
            classes = list(self.model.dataset_meta.get('classes', ()) or ())
        elif config is None:
            raise ValueError('DetectorRegionScorer needs config=... or detector=dict(shared='
                             "'detector') (the pipeline's detector)")
        else:
            self.model, self.test_pipeline, classes = init_mmdet_detector(
                config, checkpoint, device)
        roi_head = getattr(self.model, 'roi_head', None)
        if roi_head is None or not hasattr(roi_head, 'predict_bbox'):
            raise TypeError(f'DetectorRegionScorer needs a two-stage detector with a roi_head '
                            f'(e.g. Faster R-CNN); {type(self.model).__name__} has none')
        num_classes = int(roi_head.bbox_head.num_classes)
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
