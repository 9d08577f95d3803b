"""Person boxes from any MMDetection detector (the first stage of the video pipeline)."""
import copy
import warnings
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from plugins.geometry import scale_boxes, to_numpy
from plugins.registry import POSE_STAGES
from .model_config import load_model_config

ConfigType = Union[str, Config, dict]


def extend_boxes(bboxes: np.ndarray, factor: float, image_shape: Tuple[int, int]) -> np.ndarray:
    """Scale ``xyxy`` boxes about their centres and clip them to the image
    (:func:`plugins.geometry.scale_boxes`).

    Args:
        bboxes: (N, 4) ``xyxy``.
        factor: width and height multiplier (1.25 = 25% larger).
        image_shape: ``(H, W)``.

    Returns:
        (N, 4) float32 boxes.
    """
    return scale_boxes(bboxes, factor, image_shape)


@POSE_STAGES.register_module()
class MMDetPersonDetector:
    """Run an mmdet detector on one frame and keep confident person boxes (the detector
    stage of the pipeline: :meth:`detect_instances` also makes the extended crop boxes and,
    with ``low_score_thr``, keeps the low-score boxes that ByteTrack-style trackers use).

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
        low_score_thr: when set (below ``score_thr``), :meth:`detect_instances` also keeps
            the person boxes scored in ``[low_score_thr, score_thr)``, marked by its
            ``low_score`` field (ByteTrack's second association); None keeps none.
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
                 low_score_thr: Optional[float] = None,
                 cfg_options: Optional[dict] = None) -> None:
        self.model, self.test_pipeline, classes = init_mmdet_detector(
            config, checkpoint, device, cfg_options)
        self.person_labels = np.array([i for i, c in enumerate(classes) if c in
                                       set(person_classes)], np.int64)
        if len(self.person_labels) == 0:
            raise ValueError(f'none of person_classes={tuple(person_classes)} is among the '
                             f'detector classes {tuple(classes)[:10]}...')
        self.score_thr = float(score_thr)
        self.bbox_extension = float(bbox_extension)
        self.min_box_size = float(min_box_size)
        self.max_persons = max_persons
        if low_score_thr is not None and not low_score_thr < score_thr:
            raise ValueError(f'low_score_thr ({low_score_thr}) must be below score_thr '
                             f'({score_thr})')
        self.low_score_thr = low_score_thr

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
        return (to_numpy(pred.bboxes, np.float32).reshape(-1, 4),
                to_numpy(pred.scores, np.float32).reshape(-1),
                to_numpy(pred.labels, np.int64).reshape(-1))

    def select(self, bboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
               score_thr: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Keep confident, non-degenerate person boxes, most confident first.

        Args:
            bboxes: (M, 4) ``xyxy``. scores: (M,). labels: (M,).
            score_thr: instead of ``self.score_thr``.

        Returns:
            ``(bboxes (N, 4) float32, scores (N,) float32)``.
        """
        thr = self.score_thr if score_thr is None else score_thr
        wh = bboxes[:, 2:] - bboxes[:, :2]
        keep = (np.isin(labels, self.person_labels) & (scores >= thr)
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

    def detect_instances(self, frame: np.ndarray) -> InstanceData:
        """The detector stage's output for one frame.

        Args:
            frame: (H, W, 3) BGR uint8.

        Returns:
            ``InstanceData`` with ``bboxes`` (N, 4) ``xyxy`` (the detector's), ``bbox_scores``
            (N,), ``crop_bboxes`` (N, 4) (scaled by ``bbox_extension`` about the centre and
            clipped: what the pose stage crops) and ``low_score`` (N,) bool (True for the
            boxes below ``score_thr`` kept by ``low_score_thr``, after the confident ones).
        """
        raw = self.detect(frame)
        bboxes, scores = self.select(*raw)
        low = np.zeros(len(bboxes), bool)
        if self.low_score_thr is not None:
            all_boxes, all_scores = self.select(*raw, score_thr=self.low_score_thr)
            weak = all_scores < self.score_thr
            bboxes = np.concatenate([bboxes, all_boxes[weak]])
            scores = np.concatenate([scores, all_scores[weak]])
            low = np.concatenate([low, np.ones(int(weak.sum()), bool)])
        return detections(bboxes, scores, frame.shape[:2], self.bbox_extension, low)


def detections(bboxes: np.ndarray, bbox_scores: Optional[np.ndarray],
               image_shape: Tuple[int, int], bbox_extension: float = 1.0,
               low_score: Optional[np.ndarray] = None) -> InstanceData:
    """The detector stage's record from boxes (a detector's or given ones).

    Args:
        bboxes: (N, 4) ``xyxy``.
        bbox_scores: (N,) or None (1).
        image_shape: ``(H, W)``.
        bbox_extension: crop boxes are the boxes scaled by it (1: the boxes themselves).
        low_score: (N,) bool or None (all False).

    Returns:
        ``InstanceData(bboxes, bbox_scores, crop_bboxes, low_score)``.
    """
    bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
    n = len(bboxes)
    scores = (np.ones(n, np.float32) if bbox_scores is None else
              np.asarray(bbox_scores, np.float32).reshape(n))
    crops = bboxes if bbox_extension == 1.0 else extend_boxes(bboxes, bbox_extension,
                                                              image_shape)
    low = np.zeros(n, bool) if low_score is None else np.asarray(low_score, bool).reshape(n)
    return InstanceData(bboxes=bboxes, bbox_scores=scores, crop_bboxes=crops, low_score=low)


def init_mmdet_detector(config: ConfigType, checkpoint: Optional[str] = None,
                        device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Load an mmdet detector and its test pipeline for single ``ndarray`` frames, without
    changing the caller's default scope (the one person-detector setup of the project).

    Args:
        config: mmdet config (path, ``Config``, dict or ``'mmdet::...'``).
        checkpoint: weights (None: random, whose classes follow the config's).
        device: torch device.
        cfg_options: merged into the config.

    Returns:
        ``(model, test_pipeline, classes)``.
    """
    from mmdet.apis import init_detector
    from mmdet.utils import get_test_pipeline_cfg

    cfg = load_model_config(config)
    if cfg_options:
        cfg = copy.deepcopy(cfg)
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', 'mmdet')
    # init_detector makes mmdet the global default scope: keep the caller's
    with warnings.catch_warnings(), DefaultScope.overwrite_default_scope(scope):
        warnings.filterwarnings('ignore', message='checkpoint is None')
        # palette='random' skips building the test dataset just to read its palette
        model = init_detector(cfg, checkpoint, palette='random', device=device)
    model.eval()
    classes = list(model.dataset_meta.get('classes', ()) or ())
    cfg_classes = _config_classes(cfg)
    if checkpoint is None and cfg_classes:
        classes = cfg_classes  # a randomly initialised model follows its config's classes
        model.dataset_meta['classes'] = tuple(classes)
    pipeline_cfg = [dict(p) for p in get_test_pipeline_cfg(cfg)]
    pipeline_cfg[0] = dict(type='mmdet.LoadImageFromNDArray')
    with DefaultScope.overwrite_default_scope(scope):
        test_pipeline = Compose(pipeline_cfg)
    return model, test_pipeline, classes


def _config_classes(cfg: Config) -> Optional[list]:
    try:
        return list(cfg.test_dataloader.dataset.metainfo.classes)
    except (AttributeError, KeyError, TypeError):
        return None
