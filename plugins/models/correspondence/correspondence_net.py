"""The keypoint-correspondence network: Siamese matching + refinement, as an mmpose model."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import MODELS
from torch import Tensor

from plugins.codecs.correspondence_maps import (decode_affinity_maps, pool_affinity,
                                                read_affinity)
from plugins.datasets.transforms.letterbox import letterbox_frames
from plugins.utils.affine import input_to_map


class AffinityMaps(NamedTuple):
    """Affinity maps of query keypoints on a target image.

    Attributes:
        maps: (..., K, h, w) values in [0, 1].
        reduce: how a window of the maps is read: ``'sum'`` for spatial-softmax maps (the
            probability mass near a point), ``'max'`` for per-pixel (sigmoid) maps.
        input_size: (W, H) of the network input the maps refer to.
    """
    maps: Tensor
    reduce: str
    input_size: Tuple[int, int]


@MODELS.register_module()
class CorrespondenceNet(BaseModel):
    """Finds, for every keypoint of every person of image 1, its location in image 2.

    Stage 1 is a :class:`SiameseMatcher` (softmax affinity maps), stage 2 an optional
    :class:`AffinityRefinement` (sigmoid maps). Both are trained with binary cross-entropy
    against :class:`CorrespondenceMaps` targets. Module-wise training: train with
    ``refinement=None`` first, then add the refinement with ``freeze_siamese=True`` (the
    matcher gets no gradient, its BatchNorm statistics stay fixed) and ``load_from`` the first
    stage.

    Inputs are image pairs stacked along channels, (B, 6, H, W) (see
    :class:`ImagePairDataPreprocessor`); data samples carry ``gt_instances.keypoints``
    (N, K, 2) of image 1, ``gt_fields.affinity_maps`` (N*K, h, w) and
    ``gt_instance_labels.affinity_weights`` (N, K).

    Args:
        matcher: :class:`SiameseMatcher` config.
        refinement: :class:`AffinityRefinement` config or None (Siamese only).
            ``feat_channels`` and ``num_keypoints`` are filled in when missing.
        num_keypoints: K.
        input_size: (W, H) network input used by the inference helpers (frames are
            letter-boxed into it).
        loss_siamese: loss on the softmax maps (mmpose ``BCELoss`` on probabilities).
        loss_refine: loss on the refined logits (mmpose ``BCELoss`` with logits).
        freeze_siamese: train the refinement only.
        use_refinement: use the refined maps at inference (False: the Siamese maps).
        data_preprocessor: defaults to :class:`ImagePairDataPreprocessor` with ImageNet stats.
    """

    def __init__(self,
                 matcher: dict,
                 refinement: Optional[dict] = None,
                 num_keypoints: int = 17,
                 input_size: Sequence[int] = (256, 256),
                 loss_siamese: Optional[dict] = None,
                 loss_refine: Optional[dict] = None,
                 freeze_siamese: bool = False,
                 use_refinement: bool = True,
                 data_preprocessor: Optional[Union[dict, torch.nn.Module]] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ImagePairDataPreprocessor',
                                     mean=[123.675, 116.28, 103.53],
                                     std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
        if isinstance(data_preprocessor, dict):  # mmpose's registry, whatever the scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_keypoints = int(num_keypoints)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.matcher = MODELS.build(matcher)
        self.feat_channels = self._probe_feat_channels()
        if refinement is not None:
            refinement = dict(refinement)
            refinement.setdefault('feat_channels', self.feat_channels)
            refinement.setdefault('num_keypoints', self.num_keypoints)
            self.refinement = MODELS.build(refinement)
        else:
            self.refinement = None
        if freeze_siamese and self.refinement is None:
            raise ValueError('freeze_siamese=True leaves nothing to train without a refinement')
        self.loss_siamese = MODELS.build(loss_siamese or dict(type='BCELoss', use_sigmoid=True))
        self.loss_refine = MODELS.build(loss_refine or dict(type='BCELoss', use_sigmoid=False))
        self.freeze_siamese = bool(freeze_siamese)
        self.use_refinement = bool(use_refinement)
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}
        if self.freeze_siamese:
            for p in self.matcher.parameters():
                p.requires_grad_(False)

    # ------------------------------------------------------------------ model plumbing
    def _probe_feat_channels(self) -> int:
        self.matcher.eval()
        with torch.no_grad():
            c = self.matcher.extract(torch.zeros(1, 3, 64, 64)).shape[1]
        self.matcher.train()
        return int(c)

    def train(self, mode: bool = True) -> 'CorrespondenceNet':
        super().train(mode)
        if mode and self.freeze_siamese:
            self.matcher.eval()
        return self

    @property
    def with_refinement(self) -> bool:
        return self.refinement is not None and self.use_refinement

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """``mode``: ``'loss'`` (dict of losses), ``'predict'`` (data samples with
        ``pred_instances.keypoints`` in image 2) or ``'tensor'`` (raw maps)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f'invalid mode {mode!r}: use "loss", "predict" or "tensor"')

    def _split(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        if inputs.dim() != 4 or inputs.shape[1] != 6:
            raise ValueError(f'CorrespondenceNet expects image pairs (B, 6, H, W), got '
                             f'{tuple(inputs.shape)}')
        return inputs[:, :3], inputs[:, 3:]

    def _queries(self, data_samples: Optional[list], inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Query keypoints (B, N, K, 2) input pixels and their validity (B, N, K), padded to
        the largest person count; without samples one person at the image centre."""
        k = self.num_keypoints
        batch, device = inputs.shape[0], inputs.device
        if not data_samples:
            pts = torch.zeros(batch, 1, k, 2, device=device)
            pts[..., 0] = (inputs.shape[-1] - 1) / 2
            pts[..., 1] = (inputs.shape[-2] - 1) / 2
            return pts, torch.ones(batch, 1, k, dtype=torch.bool, device=device)
        kpts = [torch.as_tensor(np.asarray(ds.gt_instances.keypoints, np.float32)).reshape(-1, k, 2)
                for ds in data_samples]
        vis = []
        for ds, kp in zip(data_samples, kpts):
            if 'affinity_weights' in ds.get('gt_instance_labels', {}):
                v = torch.as_tensor(ds.gt_instance_labels.affinity_weights) > 0
            elif 'keypoints_visible' in ds.gt_instances:
                v = torch.as_tensor(np.asarray(ds.gt_instances.keypoints_visible)) > 0.5
            else:
                v = torch.ones(kp.shape[:2], dtype=torch.bool)
            vis.append(v.reshape(kp.shape[:2]))
        n = max(1, max(len(kp) for kp in kpts))
        pts = torch.zeros(batch, n, k, 2)
        valid = torch.zeros(batch, n, k, dtype=torch.bool)
        for i, (kp, v) in enumerate(zip(kpts, vis)):  # one copy per image of the batch
            pts[i, :len(kp)] = kp
            valid[i, :len(kp)] = v
        return pts.to(device), valid.to(device)

    def _run(self, inputs: Tensor, points: Tensor, need_siamese_grad: bool = True
             ) -> Dict[str, Tensor]:
        """Both stages on a batch of pairs; ``points`` (B, N, K, 2) input pixels."""
        src, dst = self._split(inputs)
        input_wh = (inputs.shape[-1], inputs.shape[-2])
        b, n, k, _ = points.shape
        with torch.set_grad_enabled(need_siamese_grad and torch.is_grad_enabled()):
            feats = self.matcher.extract(torch.cat([src, dst], dim=0))
            feats_src, feats_dst = feats.chunk(2, dim=0)
            h, w = feats.shape[-2:]
            cells = input_to_map(points, input_wh, (w, h)).reshape(b, n * k, 2)
            corr = self.matcher.affinity_logits(feats_src, feats_dst, cells)
            affinity = self.matcher.softmax(corr)
        out = dict(affinity=affinity.reshape(b, n, k, h, w), corr=corr.reshape(b, n, k, h, w),
                   feats_src=feats_src, feats_dst=feats_dst)
        if self.refinement is not None:
            log_aff = self.matcher.log_softmax(corr.reshape(b, n, k, h, w))
            out['refined_logits'] = self.refinement(feats_src, feats_dst, log_aff)
        return out

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        """Raw outputs: ``(siamese affinity, refined logits)`` (refined = None-free: the
        Siamese affinity again when there is no refinement), each (B, N, K, h, w)."""
        points, _ = self._queries(data_samples, inputs)
        out = self._run(inputs, points)
        return out['affinity'], out.get('refined_logits', out['affinity'])

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """BCE of both stages on the annotated queries (see class docstring)."""
        input_wh = (inputs.shape[-1], inputs.shape[-2])
        points, valid = self._queries(data_samples, inputs)
        out = self._run(inputs, points, need_siamese_grad=not self.freeze_siamese)
        b, n, k, h, w = out['affinity'].shape
        targets = inputs.new_zeros((b, n, k, h, w))
        for i, ds in enumerate(data_samples):  # one copy per image of the batch
            maps = ds.gt_fields.affinity_maps
            if maps.shape[-2:] != (h, w):
                raise ValueError(f'target affinity maps are {tuple(maps.shape[-2:])} (h, w) but '
                                 f'the network predicts {(h, w)}: set the codec heatmap_size to '
                                 f'{(w, h)} for input {input_wh}')
            m = maps.reshape(-1, k, h, w)
            targets[i, :len(m)] = m.to(inputs.device, inputs.dtype)
        losses = dict()
        if valid.any():
            if not self.freeze_siamese:
                losses['loss_siamese'] = self.loss_siamese(
                    out['affinity'][valid].clamp(1e-7, 1 - 1e-7), targets[valid])
            if self.refinement is not None:
                losses['loss_refine'] = self.loss_refine(out['refined_logits'][valid],
                                                         targets[valid])
            final = (torch.sigmoid(out['refined_logits']) if self.refinement is not None
                     else out['affinity'])
            losses['acc_corr'] = self._accuracy(final.detach(), targets, valid)
        else:  # no annotated person in the batch: zero losses that keep the graph
            zero = sum(p.sum() for p in self.parameters() if p.requires_grad) * 0.0
            if not self.freeze_siamese:
                losses['loss_siamese'] = zero
            if self.refinement is not None:
                losses['loss_refine'] = zero
        return losses

    @staticmethod
    def _accuracy(pred: Tensor, targets: Tensor, valid: Tensor) -> Tensor:
        """Share of queries with a target whose arg-max is within one cell of the target's."""
        present = valid & (targets.flatten(-2).amax(-1) > 0.5)
        if not present.any():
            return pred.new_tensor(0.0)
        w = pred.shape[-1]
        p = pred[present].flatten(-2).argmax(-1)
        t = targets[present].flatten(-2).argmax(-1)
        close = ((p % w - t % w).abs() <= 1) & ((p // w - t // w).abs() <= 1)
        return close.float().mean()

    # ------------------------------------------------------------------ prediction
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Propagate the query keypoints of image 1 into image 2.

        Returns:
            The data samples with ``pred_instances.keypoints`` (N, K, 2) input pixels of image
            2, ``keypoint_scores`` (N, K) and ``pred_fields.affinity_maps`` (N*K, h, w).
        """
        input_wh = (inputs.shape[-1], inputs.shape[-2])
        points, valid = self._queries(data_samples, inputs)
        out = self._run(inputs, points)
        maps = self._final_maps(out, input_wh)
        for i, ds in enumerate(data_samples):
            n = len(np.asarray(ds.gt_instances.keypoints).reshape(-1, self.num_keypoints, 2))
            pts, scores = self.maps_to_points(
                AffinityMaps(maps.maps[i, :n], maps.reduce, input_wh))
            scores = scores * valid[i, :n].float()
            ds.pred_instances = InstanceData(keypoints=pts.cpu().numpy(),
                                             keypoint_scores=scores.cpu().numpy())
            h, w = maps.maps.shape[-2:]
            ds.pred_fields = PixelData(affinity_maps=maps.maps[i, :n].reshape(-1, h, w))
        return data_samples

    def _final_maps(self, out: Dict[str, Tensor], input_wh: Tuple[int, int]) -> AffinityMaps:
        if self.with_refinement:
            return AffinityMaps(torch.sigmoid(out['refined_logits']), 'max', input_wh)
        return AffinityMaps(out['affinity'], 'sum', input_wh)

    # ------------------------------------------------------------------ inference helpers
    def prepare_frames(self, frames: Sequence[np.ndarray]) -> Tuple[Tensor, List[np.ndarray]]:
        """Letter-box BGR frames into ``input_size`` (:func:`letterbox_frames`, the same
        function as the :class:`LetterboxImage` transform) and normalise them.

        Args:
            frames: images (H, W, 3) uint8, BGR.

        Returns:
            (B, 3, H_in, W_in) float tensor on the model's device, and per frame the (2, 3)
            image -> input matrix.
        """
        imgs, mats = letterbox_frames(frames, self.input_size)
        batch = torch.from_numpy(imgs).permute(0, 3, 1, 2).to(self.device)
        return self.data_preprocessor.normalize_images(batch), mats

    def frame_features(self, frames: Sequence[np.ndarray]) -> list:
        """Features of video frames, to cache and pass to :meth:`propagate_keypoints`.

        Returns:
            one :class:`~plugins.models.correspondence.propagation.FrameFeatures` per frame.
        """
        from .propagation import frame_features
        return frame_features(self, frames)

    def propagate_keypoints(self, frame_a, frame_b, keypoints, valid=None, window: int = 0,
                            return_maps: bool = False):
        """Propagate poses of frame A into frame B in image pixels (see
        :func:`plugins.models.correspondence.propagation.propagate_keypoints`)."""
        from .propagation import propagate_keypoints
        return propagate_keypoints(self, frame_a, frame_b, keypoints, valid, window=window,
                                   return_maps=return_maps)

    @property
    def device(self) -> torch.device:
        """Where the network's tensors live."""
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return torch.device('cpu')

    @torch.no_grad()
    def extract_feat(self, imgs: Tensor) -> Tensor:
        """Normalised Siamese features (B, C, h, w) of prepared images (B, 3, H, W)."""
        return self.matcher.extract(imgs)

    @torch.no_grad()
    def propagate(self, feats_src: Tensor, feats_dst: Tensor, points: Tensor,
                  valid: Optional[Tensor] = None) -> AffinityMaps:
        """Affinity maps on the target image of query keypoints of the source image.

        Args:
            feats_src, feats_dst: (C, h, w) or (1, C, h, w) features of one image each.
            points: (N, K, 2) queries in input pixels of the source image.
            valid: (N, K) bool; maps of invalid queries are zero.

        Returns:
            :class:`AffinityMaps` with ``maps`` (N, K, h, w).
        """
        fs = feats_src if feats_src.dim() == 4 else feats_src[None]
        fd = feats_dst if feats_dst.dim() == 4 else feats_dst[None]
        points = torch.as_tensor(points, dtype=torch.float32, device=fs.device)
        n, k = points.shape[:2]
        if k != self.num_keypoints:
            raise ValueError(f'points must be (N, {self.num_keypoints}, 2), got '
                             f'{tuple(points.shape)}')
        h, w = fs.shape[-2:]
        if n == 0:
            return AffinityMaps(fs.new_zeros((0, k, h, w)),
                                'max' if self.with_refinement else 'sum', self.input_size)
        cells = input_to_map(points, self.input_size, (w, h)).reshape(1, n * k, 2)
        corr = self.matcher.affinity_logits(fs, fd, cells).reshape(1, n, k, h, w)
        if self.with_refinement:
            log_aff = self.matcher.log_softmax(corr)
            maps = AffinityMaps(torch.sigmoid(self.refinement(fs, fd, log_aff))[0], 'max',
                                self.input_size)
        else:
            maps = AffinityMaps(self.matcher.softmax(corr)[0], 'sum', self.input_size)
        if valid is not None:
            valid = torch.as_tensor(valid, dtype=torch.bool, device=fs.device)
            maps = maps._replace(maps=maps.maps * valid[..., None, None])
        return maps

    @staticmethod
    def pooled(maps: AffinityMaps, window: int) -> Tensor:
        """Maps read through a (2 window + 1)^2 neighbourhood (sum or max, see
        :class:`AffinityMaps`); same shape as ``maps.maps`` (:func:`pool_affinity`)."""
        return pool_affinity(maps.maps, maps.reduce, window)

    def affinity_at(self, maps: AffinityMaps, points: Union[Tensor, np.ndarray],
                    window: int = 0) -> Tensor:
        """Affinity of every query's map at every candidate pose's joint
        (:func:`read_affinity`).

        Args:
            maps: (T, K, h, w) affinity maps of T propagated poses.
            points: (N, K, 2) joints of N candidate poses in input pixels.
            window: neighbourhood radius in map cells (0: the interpolated map itself).

        Returns:
            (T, N, K) values in [0, 1]; 0 for joints outside the image.
        """
        return read_affinity(maps.maps, points, maps.input_size, maps.reduce, window)

    def maps_to_points(self, maps: AffinityMaps, window: int = 0) -> Tuple[Tensor, Tensor]:
        """Arg-max of each map, refined by the centroid of its 3x3 neighbourhood
        (:func:`decode_affinity_maps`, the decoder of the codec too).

        Args:
            maps: (..., K, h, w).
            window: neighbourhood radius for the score (as :meth:`affinity_at`).

        Returns:
            points (..., K, 2) in input pixels and scores (..., K) (the pooled map at the peak).
        """
        return decode_affinity_maps(maps.maps, maps.input_size, maps.reduce, window)


def init_correspondence_model(model: Union[str, dict],
                              checkpoint: Optional[str] = None,
                              device: str = 'cpu') -> CorrespondenceNet:
    """Build a correspondence network for inference (eval mode, no gradients needed).

    Args:
        model: a config file path, a whole config dict (with ``model``) or the model dict.
        checkpoint: optional checkpoint path/URL to load.
        device: torch device.

    Returns:
        The network in eval mode on ``device``.
    """
    from mmengine.config import Config, ConfigDict
    if isinstance(model, str):
        cfg = Config.fromfile(model)
        if 'model' not in cfg:
            raise ValueError(f'config {model} has no "model"')
        model = cfg.model
    if isinstance(model, (dict, ConfigDict)) and 'model' in model and 'type' not in model:
        model = model['model']
    if not isinstance(model, (dict, ConfigDict)):
        raise TypeError(f'model must be a config path or dict, got {type(model).__name__}')
    net = MODELS.build(dict(model))
    if not isinstance(net, CorrespondenceNet):
        raise TypeError(f'the model config builds a {type(net).__name__}, not a '
                        'CorrespondenceNet')
    if checkpoint is not None:
        from mmengine.runner import load_checkpoint
        load_checkpoint(net, checkpoint, map_location='cpu')
    return net.to(device).eval()
