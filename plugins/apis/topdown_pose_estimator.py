"""Poses of given person boxes from any MMPose top-down model (all crops in one batch)."""
import copy
import warnings
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import ImgDataPreprocessor
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from plugins.geometry import to_numpy
from plugins.registry import POSE_STAGES
from .batched_topdown import CROP_BACKENDS, TopdownCropper, affine_crops_torch
from .fast_inference import optimize_for_inference
from .model_config import load_model_config

#: with flip test, batches of at most this many crops share one forward with their flipped
#: copies (measured, demo pose model, one CPU thread, best of 40: 1 crop 6.7 -> 5.5 ms; but
#: 2 crops 9.5 -> 11.1 ms and 20 crops 57 -> 77 ms)
_MERGE_FLIP_MAX = 1
#: dataset metainfo keys that mmpose's ``PackPoseInputs`` puts into every sample's metainfo
_META_KEYS = ('flip_indices', 'dataset_name')


@POSE_STAGES.register_module()
class MMPoseTopdownEstimator:
    """Estimate the pose inside every box of a frame with an mmpose top-down model.

    The model, its test pipeline settings (box padding, crop size, UDP), its data preprocessor
    (BGR->RGB, mean/std), its ``test_cfg`` (flip test, shift, output keypoint indices) and its
    head's decoder are those of the config, exactly as mmpose's ``inference_topdown`` uses them;
    what differs is how the work is organised:

    - **batched crops** (``batched_crops=True``): for a plain top-down test pipeline
      (``GetBBoxCenterScale`` -> ``TopdownAffine`` -> ``PackPoseInputs``) all crops of the frame
      are prepared at once by :class:`~plugins.apis.batched_topdown.TopdownCropper` (same mmpose
      functions for centre/scale and warp matrices, the same ``cv2.warpAffine`` into one
      buffer that torch views without a copy, one normalisation of the whole batch) instead of
      one test-pipeline call, one ``PoseDataSample`` and one normalisation per person; the
      crops' keypoints are mapped back to the image in one vectorised step with the formula of
      ``TopdownPoseEstimator.add_pred_to_datasample``. Other pipelines (or
      ``batched_crops=False``) run mmpose's test pipeline per crop, like ``inference_topdown``.
    - **crop backend** (``crop_backend``): ``'cv2'`` (pixels identical to the test
      pipeline's), ``'torch'`` (one ``grid_sample`` on the model's device: on GPU the frame is
      uploaded once and crops never leave the device; bilinear in floating point, pixels
      within a few grey levels of OpenCV's fixed-point ones on steep edges, ~0.02 on average,
      tested), ``'auto'`` = ``'torch'`` on CUDA, ``'cv2'`` otherwise.
    - **inference rewrites** (``fuse_conv_bn=True``, ``channels_last=True``, see
      :func:`~plugins.apis.fast_inference.optimize_for_inference`): batch norms folded into
      the convolutions and NHWC weights (demo pose model, 20 crops, one CPU thread: 178 ->
      66 ms). The same function computed in another order: heatmaps differ by float rounding
      (~1e-6), so keypoints are equal except where two heatmap values tie at that precision.
      With flip test and ``merge_flip=True``, a single crop and its mirror image share one
      backbone forward (a batch of 2; faster for one crop only, measured). All
      ``False`` (with the ``'cv2'`` backend) gives poses bit-identical to
      ``inference_topdown``.

    Poses come out in the order of the boxes; ``max_batch`` splits large frames into several
    forwards.

    Args:
        config: mmpose config (path, ``Config`` or dict), e.g.
            ``mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``.
        checkpoint: checkpoint path or URL; ``None`` keeps the random initialisation (tests).
        device: torch device.
        max_batch: largest batch of crops per forward (None = all boxes of a frame at once).
        cfg_options: merged into the model config, e.g. ``dict(model=dict(test_cfg=dict(
            flip_test=True)))``.
        batched_crops: prepare all crops of a frame at once (see above).
        crop_backend: ``'auto'``, ``'cv2'`` or ``'torch'`` (see above).
        channels_last: channels-last weights (see above).
        fuse_conv_bn: fold batch norms into the convolutions (see above).
        merge_flip: one forward for the crops and their flipped copies (see above).
    """

    def __init__(self,
                 config: Union[str, Config, dict],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 max_batch: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 batched_crops: bool = True,
                 crop_backend: str = 'auto',
                 channels_last: bool = True,
                 fuse_conv_bn: bool = True,
                 merge_flip: bool = True) -> None:
        from mmpose.apis import init_model

        if crop_backend not in CROP_BACKENDS:
            raise ValueError(f'MMPoseTopdownEstimator: crop_backend must be one of '
                             f'{CROP_BACKENDS}, got {crop_backend!r}')
        if max_batch is not None and int(max_batch) < 1:
            raise ValueError(f'MMPoseTopdownEstimator: max_batch must be >= 1, got {max_batch}')
        cfg = load_model_config(config)
        if cfg_options:
            cfg = copy.deepcopy(cfg)
            cfg.merge_from_dict(cfg_options)
        self.model = init_model(cfg, checkpoint, device=device)
        self.model = optimize_for_inference(self.model, channels_last=channels_last,
                                            fuse_conv_bn=fuse_conv_bn)
        self.device = torch.device(device)
        self.channels_last = bool(channels_last)
        self.merge_flip = bool(merge_flip)
        self.dataset_meta = dict(self.model.dataset_meta)
        pipeline_cfg = cfg.test_dataloader.dataset.pipeline
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpose')):
            self.test_pipeline = Compose(pipeline_cfg)
        self.max_batch = None if max_batch is None else int(max_batch)
        self.num_keypoints = int(self.dataset_meta['num_keypoints'])
        self.cropper = TopdownCropper.from_pipeline(pipeline_cfg) if batched_crops else None
        if batched_crops and self.cropper is None:
            warnings.warn('MMPoseTopdownEstimator: the test pipeline '
                          f'{[t.get("type") for t in pipeline_cfg]} is not a plain top-down '
                          'one; crops go through it one by one')
        if self.cropper is not None and not isinstance(self.model.data_preprocessor,
                                                       ImgDataPreprocessor):
            self.cropper = None  # unknown preprocessing: let the model's own one see samples
        if crop_backend == 'auto':
            crop_backend = 'torch' if self.device.type == 'cuda' else 'cv2'
        self.crop_backend = crop_backend
        self._meta = {k: self.dataset_meta[k] for k in _META_KEYS if k in self.dataset_meta}
        self._plain_predict = _has_plain_predict(self.model)

    def empty(self) -> InstanceData:
        """Poses of a frame with nobody (``N = 0``)."""
        return empty_poses(self.num_keypoints)

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
            ``InstanceData`` with ``keypoints`` (N, K, 2) in image pixels, ``keypoint_scores``
            (N, K), ``bboxes`` (N, 4) and ``bbox_scores`` (N,), numpy float32, in the order of
            the boxes.
        """
        bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        n = len(bboxes)
        if n == 0:
            return self.empty()
        bbox_scores = (np.ones(n, np.float32) if bbox_scores is None else
                       np.asarray(bbox_scores, np.float32).reshape(n))
        crops = bboxes if crop_bboxes is None else np.asarray(crop_bboxes,
                                                              np.float32).reshape(n, 4)
        if self.cropper is None:
            keypoints, scores = self._per_crop(frame, crops)
        else:
            keypoints, scores = self._batched(frame, crops)
        return InstanceData(keypoints=keypoints.astype(np.float32),
                            keypoint_scores=scores.astype(np.float32),
                            bboxes=bboxes, bbox_scores=bbox_scores)

    # ------------------------------------------------------------------ reference path
    def _per_crop(self, frame: np.ndarray, crops: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """mmpose's way: the test pipeline once per crop, then ``test_step`` on the batch."""
        data_list = []
        for box in crops:
            info = dict(img=frame, bbox=box[None], bbox_score=np.ones(1, np.float32))
            info.update(self.dataset_meta)
            data_list.append(self.test_pipeline(info))
        step = self.max_batch or len(crops)
        keypoints, scores = [], []
        with torch.no_grad():
            for start in range(0, len(crops), step):
                for sample in self.model.test_step(pseudo_collate(data_list[start:start + step])):
                    pred = sample.pred_instances
                    keypoints.append(to_numpy(pred.keypoints)[..., :2].reshape(
                        -1, self.num_keypoints, 2))
                    scores.append(to_numpy(pred.keypoint_scores).reshape(-1, self.num_keypoints))
        return np.concatenate(keypoints), np.concatenate(scores)

    # ------------------------------------------------------------------ batched path
    def crop_inputs(self, frame: np.ndarray, crops: np.ndarray
                    ) -> Tuple[torch.Tensor, np.ndarray, np.ndarray]:
        """The model inputs of all crops, before the data preprocessor.

        Args:
            frame: (H, W, 3) image.
            crops: (N, 4) ``xyxy`` crop boxes.

        Returns:
            ``(inputs (N, 3, h, w) on the model's device (uint8 from the cv2 backend, float32
            from the torch one), centers (N, 2), scales (N, 2))``.
        """
        centers, scales = self.cropper.centers_scales(crops)
        mats = self.cropper.warp_matrices(centers, scales)
        if self.crop_backend == 'cv2':
            buffer = self.cropper.crops_cv2(np.ascontiguousarray(frame), mats)  # (N, h, w, 3)
            inputs = torch.from_numpy(buffer).to(self.device).permute(0, 3, 1, 2).contiguous()
        else:
            image = torch.from_numpy(np.ascontiguousarray(frame)).to(self.device)
            if self.cropper.to_float32:
                image = image.float()
            inputs = affine_crops_torch(image, mats, self.cropper.input_size)
        return inputs, centers, scales

    def _batched(self, frame: np.ndarray, crops: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        inputs, centers, scales = self.crop_inputs(frame, crops)
        metainfo = self.cropper.metainfo(frame.shape, centers, scales)
        step = self.max_batch or len(crops)
        keypoints, scores = [], []
        with torch.no_grad():
            for start in range(0, len(crops), step):
                stop = start + step
                # the parent class's forward: cast, BGR->RGB, normalise, pad the whole batch
                # (PoseDataPreprocessor only adds batch metainfo to the samples on top of it)
                data = ImgDataPreprocessor.forward(self.model.data_preprocessor,
                                                   dict(inputs=inputs[start:stop]))
                if self.channels_last:  # NHWC activations from the first layer on
                    data['inputs'] = data['inputs'].contiguous(memory_format=torch.channels_last)
                samples = self._samples(metainfo[start:stop], crops[start:stop],
                                        scales[start:stop])
                k, s = self._predict(data['inputs'], samples, centers[start:stop],
                                     scales[start:stop])
                keypoints.append(k)
                scores.append(s)
        return np.concatenate(keypoints), np.concatenate(scores)

    def _samples(self, metainfo: List[dict], crops: np.ndarray, scales: np.ndarray) -> list:
        """The data samples of a batch.

        For mmpose's own predict, one sample shared by the whole batch, with the metainfo
        common to all crops (mmpose's heads read ``batch_data_samples[0].metainfo``, e.g.
        ``flip_indices``, ``input_size``; the per-crop centre and scale are left out, so
        that a head needing them fails instead of using another crop's): building one
        ``PoseDataSample`` per crop deep-copies its metainfo, ~0.5 ms per person. A model
        with its own predict gets one full sample per crop, as from ``PackPoseInputs``.
        """
        from mmpose.structures import PoseDataSample
        if self._plain_predict:
            common = {k: v for k, v in metainfo[0].items()
                      if k not in ('input_center', 'input_scale')}
            return [PoseDataSample(metainfo={**common, **self._meta})] * len(metainfo)
        samples = []
        for meta, box, scale in zip(metainfo, crops, scales):
            sample = PoseDataSample(metainfo={**meta, **self._meta})
            sample.gt_instances = InstanceData(
                bboxes=box[None], bbox_scores=np.ones(1, np.float32),
                bbox_scales=scale[None], keypoints_visible=np.ones((1, 1, 1)))
            samples.append(sample)
        return samples

    def _predict(self, inputs: torch.Tensor, samples: list, centers: np.ndarray,
                 scales: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Keypoints (N, K, 2) in image pixels and scores (N, K) of a preprocessed batch."""
        model = self.model
        if not self._plain_predict:
            out = model.predict(inputs, samples)
            return (np.stack([to_numpy(s.pred_instances.keypoints)[0, :, :2] for s in out]),
                    np.stack([to_numpy(s.pred_instances.keypoint_scores)[0] for s in out]))
        # TopdownPoseEstimator.predict without its per-sample bookkeeping; the flipped crops
        # go through the backbone in the same batch as the crops (one forward, not two)
        if model.test_cfg.get('flip_test', False) and self.merge_flip and \
                len(inputs) <= _MERGE_FLIP_MAX:
            n = len(inputs)
            both = model.extract_feat(torch.cat([inputs, inputs.flip(-1)]))
            feats = [tuple(f[:n] for f in both), tuple(f[n:] for f in both)]
        elif model.test_cfg.get('flip_test', False):
            feats = [model.extract_feat(inputs), model.extract_feat(inputs.flip(-1))]
        else:
            feats = model.extract_feat(inputs)
        preds = model.head.predict(feats, samples, test_cfg=model.test_cfg)
        if isinstance(preds, tuple):
            preds = preds[0]
        keypoints = np.concatenate([to_numpy(p.keypoints) for p in preds])
        scores = np.concatenate([to_numpy(p.keypoint_scores) for p in preds])
        # add_pred_to_datasample's formula and operand types, for all crops at once
        input_size = self.cropper.input_size
        keypoints[..., :2] = keypoints[..., :2] / input_size * scales[:, None] \
            + centers[:, None] - 0.5 * scales[:, None]
        indices = model.test_cfg.get('output_keypoint_indices', None)
        if indices is not None:
            keypoints, scores = keypoints[:, indices], scores[:, indices]
        return keypoints[..., :2].reshape(len(samples), -1, 2), scores.reshape(len(samples), -1)


def _has_plain_predict(model) -> bool:
    """Whether ``model`` predicts exactly like mmpose's ``TopdownPoseEstimator``."""
    from mmpose.models.pose_estimators import TopdownPoseEstimator
    cls = type(model)
    return (isinstance(model, TopdownPoseEstimator)
            and cls.predict is TopdownPoseEstimator.predict
            and cls.add_pred_to_datasample is TopdownPoseEstimator.add_pred_to_datasample
            and getattr(model, 'with_head', False))


def empty_poses(num_keypoints: int) -> InstanceData:
    """The pose stages' output for a frame with nobody: every field with ``N = 0``."""
    k = num_keypoints
    return InstanceData(keypoints=np.zeros((0, k, 2), np.float32),
                        keypoint_scores=np.zeros((0, k), np.float32),
                        bboxes=np.zeros((0, 4), np.float32),
                        bbox_scores=np.zeros(0, np.float32))
