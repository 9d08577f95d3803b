"""Person boxes from any MMDetection detector (the first stage of the video pipeline)."""
import copy
import warnings
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from plugins.registry import PIPELINES
from .model_config import load_model_config

ConfigType = Union[str, Config, dict]


def extend_boxes(bboxes: np.ndarray, factor: float, image_shape: Tuple[int, int]) -> np.ndarray:
    """Scale ``xyxy`` boxes about their centres and clip them to the image.

    Args:
        bboxes: (N, 4) ``xyxy``.
        factor: width and height multiplier (1.25 = 25% larger).
        image_shape: ``(H, W)``.

    Returns:
        (N, 4) float32 boxes.
    """
    b = np.asarray(bboxes, np.float32).reshape(-1, 4)
    if factor != 1.0:
        centre = (b[:, :2] + b[:, 2:]) / 2
        half = (b[:, 2:] - b[:, :2]) * (factor / 2)
        b = np.concatenate([centre - half, centre + half], axis=1)
    h, w = image_shape
    return np.clip(b, 0, [w, h, w, h]).astype(np.float32)


@PIPELINES.register_module()
class MMDetPersonDetector:
    """Run an mmdet detector on one frame and keep confident person boxes.

    Args:
        config: mmdet config (path, ``Config`` or dict), e.g.
            ``mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py``.
        checkpoint: checkpoint path or URL; ``None`` keeps the random initialisation (tests).
        device: torch device.
        score_thr: boxes scored below it are dropped.
        person_classes: class names counted as persons (looked up in the model's
            ``dataset_meta['classes']``).
        bbox_extension: boxes are scaled by this factor about their centre before pose
            estimation (1.0 = unchanged; note mmpose's ``GetBBoxCenterScale`` already pads by
            its ``padding``, 1.25 by default). The reported boxes stay the detector's.
        min_box_size: boxes narrower or shorter than this many pixels are dropped (a crop of a
            degenerate box has no pixels to estimate a pose from).
        max_persons: keep at most this many boxes, most confident first (None = all).
        channels_last, fuse_conv_bn: inference rewrites of the model (NHWC weights, batch
            norms folded into convolutions; same function up to float rounding), see
            :func:`~plugins.apis.fast_inference.optimize_for_inference`.
        cfg_options: merged into the model config, e.g.
            ``dict(model=dict(test_cfg=dict(score_thr=0.3)))``.
    """

    def __init__(self,
                 config: ConfigType,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 score_thr: float = 0.5,
                 person_classes: Sequence[str] = ('person', ),
                 bbox_extension: float = 1.0,
                 min_box_size: float = 2.0,
                 max_persons: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 channels_last: bool = True,
                 fuse_conv_bn: bool = True) -> None:
        from mmdet.apis import init_detector
        from mmdet.utils import get_test_pipeline_cfg

        cfg = load_model_config(config)
        if cfg_options:
            cfg = copy.deepcopy(cfg)
            cfg.merge_from_dict(cfg_options)
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', message='checkpoint is None')
            # palette='random' skips building the test dataset just to read its palette
            self.model = init_detector(cfg, checkpoint, palette='random', device=device)
        from .fast_inference import optimize_for_inference
        self.model = optimize_for_inference(self.model, channels_last, fuse_conv_bn)
        classes = list(self.model.dataset_meta.get('classes', ()))
        cfg_classes = _config_classes(cfg)
        if checkpoint is None and cfg_classes:
            classes = cfg_classes  # a randomly initialised model follows its config's classes
            self.model.dataset_meta['classes'] = tuple(classes)
        self.person_labels = np.array([i for i, c in enumerate(classes) if c in
                                       set(person_classes)], np.int64)
        if len(self.person_labels) == 0:
            raise ValueError(f'none of person_classes={tuple(person_classes)} is among the '
                             f'detector classes {tuple(classes)[:10]}...')
        pipeline_cfg = get_test_pipeline_cfg(cfg).copy()
        pipeline_cfg[0] = dict(type='mmdet.LoadImageFromNDArray')
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
            self.test_pipeline = Compose(pipeline_cfg)
        self.score_thr = float(score_thr)
        self.bbox_extension = float(bbox_extension)
        self.min_box_size = float(min_box_size)
        self.max_persons = max_persons

    def detect(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """All boxes of the model for one frame (before any person filtering).

        Args:
            frame: (H, W, 3) BGR uint8.

        Returns:
            ``(bboxes (M, 4) xyxy float32, scores (M,) float32, labels (M,) int64)``.
        """
        from mmdet.apis import inference_detector
        result = inference_detector(self.model, frame, test_pipeline=self.test_pipeline)
        pred = result.pred_instances
        return (pred.bboxes.cpu().numpy().astype(np.float32).reshape(-1, 4),
                pred.scores.cpu().numpy().astype(np.float32).reshape(-1),
                pred.labels.cpu().numpy().astype(np.int64).reshape(-1))

    def select(self, bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray
               ) -> Tuple[np.ndarray, np.ndarray]:
        """Keep confident, non-degenerate person boxes, most confident first.

        Args:
            bboxes: (M, 4) ``xyxy``. scores: (M,). labels: (M,).

        Returns:
            ``(bboxes (N, 4) float32, scores (N,) float32)``.
        """
        wh = bboxes[:, 2:] - bboxes[:, :2]
        keep = (np.isin(labels, self.person_labels) & (scores >= self.score_thr)
                & (wh >= self.min_box_size).all(axis=1))
        # NaN boxes or scores fail every comparison above; let them through so that the
        # pipeline's finiteness check reports them instead of dropping them silently
        keep |= ~np.isfinite(bboxes).all(axis=1) | ~np.isfinite(scores)
        bboxes, scores = bboxes[keep], scores[keep]
        order = np.argsort(-scores, kind='stable')[:self.max_persons]
        return bboxes[order], scores[order]

    def __call__(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Person boxes of one frame.

        Args:
            frame: (H, W, 3) BGR uint8.

        Returns:
            ``(bboxes (N, 4) float32 xyxy, scores (N,) float32)``, most confident first.
        """
        return self.select(*self.detect(frame))


def _config_classes(cfg: Config) -> Optional[list]:
    try:
        return list(cfg.test_dataloader.dataset.metainfo.classes)
    except (AttributeError, KeyError, TypeError):
        return None
