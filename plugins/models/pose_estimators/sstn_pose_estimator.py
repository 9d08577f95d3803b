"""Symmetric spatial transformer network around a top-down pose estimator (RMPE).

RMPE (Fang et al., "Regional Multi-person Pose Estimation", ICCV 2017) puts a spatial
transformer (STN) in front of the single-person pose estimator (SPPE): a localisation network
predicts an affine ``theta`` from the person crop, the crop is warped with it
(``affine_grid``/``grid_sample``) and the SPPE runs on the warped crop. A spatial
de-transformer (SDTN) maps the predicted heatmaps back into the original crop frame with the
inverse transform ``gamma``, so the usual losses and decoders apply unchanged and their
gradients reach ``theta`` through ``gamma`` (and through the warped crop).

During training only, a *parallel SPPE* (frozen) looks at the STN output and is supervised with
the ground-truth pose translated to the centre of the crop; its loss pushes the STN to centre
the person. It is built lazily on the first training step, is never part of the saved
``state_dict`` and is never run by ``predict``/``tensor`` modes.

The SDTN is attached to the SPPE's head as a forward hook that acts only on features produced
by this wrapper (they carry their ``theta``), so the head's own ``loss``/``predict`` (flip test
included) see heatmaps in the crop frame, and the wrapped SPPE used alone is unaffected.
"""
import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from plugins.models.utils.stn_affine import (HEATMAP_ALIGNMENTS, affine_warp, conjugate_theta,
                                             input_to_heatmap_affine, spatial_detransform,
                                             spatial_transform)
from plugins.registry import MODELS


class FeaturesWithAffine(tuple):
    """SPPE features of STN-warped crops, tagged with the STN transform for the SDTN hook.

    Attributes:
        stn_theta: (B, 2, 3) the STN transforms (input-normalised frame).
        input_size: ``(W, H)`` of the crops.
    """
    stn_theta: Tensor
    input_size: Tuple[int, int]

    def __new__(cls, feats: Sequence[Tensor], stn_theta: Tensor, input_size: Tuple[int, int]):
        obj = super().__new__(cls, feats)
        obj.stn_theta = stn_theta
        obj.input_size = input_size
        return obj


@MODELS.register_module()
class SSTNPoseEstimator(BaseModel):
    """RMPE's symmetric STN (+ parallel SPPE) around any mmpose top-down heatmap estimator.

    Args:
        sppe: config of the single-person pose estimator (e.g. a ``TopdownPoseEstimator`` with
            a heatmap head). Its ``train_cfg``/``test_cfg`` are used; its data preprocessor is
            not (the wrapper's is).
        localization_net: config of the localisation net (``STNLocalizationNet``).
        parallel_sppe: ``None`` (no parallel branch) or a dict with keys
            ``estimator`` (config of the frozen branch; default: the ``sppe`` config),
            ``init_from`` (``'sppe'``: copy the SPPE's weights when the branch is built, the
            paper's pretrained SPPE; ``None``: the branch's own ``init_cfg``),
            ``loss`` (loss config, default ``KeypointMSELoss`` with target weights) and
            ``loss_weight`` (default 1).
        heatmap_alignment: how the SPPE's codec aligns heatmap and input pixels, one of
            ``'msra'`` (MSRAHeatmap), ``'udp'`` (UDPHeatmap) or ``'extent'``; the STN's
            transform is carried over to the heatmap frame accordingly.
        data_preprocessor: the pose data preprocessor config.
        metainfo: dataset metainfo overriding the batch's (as in mmpose estimators).
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 sppe: dict,
                 localization_net: dict,
                 parallel_sppe: Optional[dict] = None,
                 heatmap_alignment: str = 'msra',
                 data_preprocessor: Optional[dict] = None,
                 metainfo: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if heatmap_alignment not in HEATMAP_ALIGNMENTS:
            raise ValueError(f'SSTNPoseEstimator: heatmap_alignment must be one of '
                             f'{HEATMAP_ALIGNMENTS}, got {heatmap_alignment!r}')
        self.heatmap_alignment = heatmap_alignment
        self.sppe = MODELS.build(sppe)
        if not getattr(self.sppe, 'with_head', False):
            raise ValueError('SSTNPoseEstimator: the SPPE must be a top-down estimator with a head')
        self.localization_net = MODELS.build(localization_net)
        self.metainfo = self._load_metainfo(metainfo)
        self._sdtn_hook = self.sppe.head.register_forward_hook(
            self._detransform_head_output, with_kwargs=True)

        self.parallel_sppe_cfg = None
        self.parallel_loss = None
        if parallel_sppe is not None:
            unknown = set(parallel_sppe) - {'estimator', 'init_from', 'loss', 'loss_weight'}
            if unknown:
                raise ValueError(f'SSTNPoseEstimator: unknown parallel_sppe keys {sorted(unknown)}')
            init_from = parallel_sppe.get('init_from', 'sppe')
            if init_from not in ('sppe', None):
                raise ValueError("SSTNPoseEstimator: parallel_sppe.init_from must be 'sppe' or "
                                 f'None, got {init_from!r}')
            self.parallel_sppe_cfg = dict(
                estimator=copy.deepcopy(parallel_sppe.get('estimator') or sppe),
                init_from=init_from,
                loss_weight=float(parallel_sppe.get('loss_weight', 1.0)))
            self.parallel_loss = MODELS.build(
                parallel_sppe.get('loss', dict(type='KeypointMSELoss', use_target_weight=True)))
        # the frozen training-only branch: built on the first training step, kept out of the
        # module tree (not saved, not moved by .to(), not seen by DDP or the optimizer)
        self.__dict__['_parallel_sppe'] = None

    @staticmethod
    def _load_metainfo(metainfo: Optional[dict]) -> Optional[dict]:
        if metainfo is None:
            return None
        if not isinstance(metainfo, dict):
            raise TypeError(f'metainfo should be a dict, got {type(metainfo)}')
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        return parse_pose_metainfo(metainfo)

    # ----------------------------------------------------------------------------- properties
    @property
    def train_cfg(self) -> dict:
        """The SPPE's training config."""
        return self.sppe.train_cfg

    @property
    def test_cfg(self) -> dict:
        """The SPPE's test config (flip test etc.)."""
        return self.sppe.test_cfg

    @property
    def parallel_sppe(self) -> Optional[nn.Module]:
        """The frozen parallel SPPE if it has been built (training only), else ``None``."""
        return self.__dict__['_parallel_sppe']

    # ---------------------------------------------------------------------------- STN / SDTN
    def stn(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Warp the crops with the predicted transform.

        Args:
            inputs: (B, C, H, W) normalised crops.

        Returns:
            ``(warped (B, C, H, W), theta (B, 2, 3))``.
        """
        theta = self.localization_net(inputs)
        return spatial_transform(inputs, theta), theta

    def _heatmap_theta(self, theta: Tensor, input_size: Tuple[int, int],
                       heatmap_size: Tuple[int, int]) -> Tensor:
        """The STN transform expressed in the heatmaps' normalised frame."""
        frame_map = input_to_heatmap_affine(input_size, heatmap_size, self.heatmap_alignment,
                                            dtype=theta.dtype, device=theta.device)
        return conjugate_theta(theta, frame_map)

    def sdtn(self, maps: Tensor, theta: Tensor, input_size: Tuple[int, int]) -> Tensor:
        """SDTN: maps predicted on the warped crops, back in the original crop frame.

        Args:
            maps: (B, K, h, w) heatmaps predicted on ``stn(inputs)``.
            theta: (B, 2, 3) the STN transforms.
            input_size: ``(W, H)`` of the crops.
        """
        if not isinstance(maps, Tensor) or maps.dim() != 4:
            raise TypeError('SSTNPoseEstimator: the SDTN needs (B, K, h, w) heatmaps from the '
                            f'SPPE head, got {type(maps).__name__} '
                            f'{tuple(getattr(maps, "shape", ()))}; use a heatmap head')
        heatmap_size = (maps.shape[3], maps.shape[2])
        return spatial_detransform(maps, self._heatmap_theta(theta, input_size, heatmap_size))

    def _detransform_head_output(self, module: nn.Module, args: tuple, kwargs: dict,
                                 output: Any) -> Any:
        """Forward hook on the SPPE head: SDTN on the heatmaps of tagged features."""
        feats = args[0] if args else kwargs.get('feats')
        theta = getattr(feats, 'stn_theta', None)
        if theta is None:
            return None  # not produced by this wrapper: leave the output alone
        if isinstance(output, (list, tuple)):  # multi-stage heads (CPMHead, hourglass)
            return type(output)(self.sdtn(m, theta, feats.input_size) for m in output)
        return self.sdtn(output, theta, feats.input_size)

    def extract_feat(self, inputs: Tensor) -> FeaturesWithAffine:
        """SPPE features of the STN-warped crops, tagged with ``theta`` for the SDTN."""
        warped, theta = self.stn(inputs)
        return self._tag(self.sppe.extract_feat(warped), theta, inputs)

    @staticmethod
    def _tag(feats: Union[Tensor, Sequence[Tensor]], theta: Tensor,
             inputs: Tensor) -> FeaturesWithAffine:
        if isinstance(feats, Tensor):
            raise TypeError('SSTNPoseEstimator: the SPPE must return a tuple/list of features '
                            '(as mmpose backbones do), got a single tensor')
        return FeaturesWithAffine(feats, theta, (inputs.shape[3], inputs.shape[2]))

    # ------------------------------------------------------------------------ parallel SPPE
    def _parallel_branch(self, device: torch.device) -> nn.Module:
        """Build (once) and return the frozen parallel SPPE on ``device``."""
        branch = self.__dict__['_parallel_sppe']
        if branch is None:
            branch = MODELS.build(copy.deepcopy(self.parallel_sppe_cfg['estimator']))
            if self.parallel_sppe_cfg['init_from'] == 'sppe':
                branch.load_state_dict(self.sppe.state_dict())
            elif hasattr(branch, 'init_weights'):
                branch.init_weights()
            branch.requires_grad_(False)
            branch.eval()
            self.__dict__['_parallel_sppe'] = branch
        if next(branch.parameters()).device != device:
            branch.to(device)
        return branch

    def centred_heatmap_targets(self, data_samples: List[Any], heatmap_size: Tuple[int, int],
                                input_size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """Ground-truth heatmaps translated so that each pose is centred in the crop.

        The pose centre is the middle of the box around its labelled joints (``keypoint_weights
        > 0``), from ``gt_instances.transformed_keypoints`` (``PackPoseInputs(
        pack_transformed=True)``); the heatmaps are shifted by a sub-pixel translation.

        Returns:
            ``(targets (B, K, h, w), keypoint_weights (B, K))``.
        """
        heatmaps, weights, kpts = [], [], []
        for i, ds in enumerate(data_samples):
            if 'transformed_keypoints' not in ds.gt_instances:
                raise KeyError('SSTNPoseEstimator: the parallel SPPE needs the crop-frame '
                               'keypoints: use PackPoseInputs(pack_transformed=True) in the '
                               f'training pipeline (sample {i} has no "transformed_keypoints")')
            heatmaps.append(ds.gt_fields.heatmaps)
            weights.append(ds.gt_instance_labels.keypoint_weights.reshape(-1))
            kpts.append(torch.as_tensor(np.asarray(ds.gt_instances.transformed_keypoints),
                                        dtype=torch.float32).reshape(-1, 2))
        target = torch.stack(heatmaps)
        if (target.shape[3], target.shape[2]) != tuple(heatmap_size):
            raise ValueError(f'SSTNPoseEstimator: target heatmaps are {tuple(target.shape[2:])}, '
                             f'the parallel SPPE predicts {heatmap_size[::-1]}')
        weight = torch.stack(weights).to(target)
        kpt = torch.stack(kpts).to(target)  # (B, K, 2) input pixels
        labelled = (weight > 0)[..., None]
        big = torch.finfo(kpt.dtype).max
        lo = torch.where(labelled, kpt, torch.full_like(kpt, big)).amin(1)
        hi = torch.where(labelled, kpt, torch.full_like(kpt, -big)).amax(1)
        any_labelled = labelled.any(1)
        size = kpt.new_tensor(input_size)
        centre_px = torch.where(any_labelled, (lo + hi) / 2, (size - 1) / 2)
        centre_in = (2 * centre_px + 1) / size - 1  # input-normalised
        frame_map = input_to_heatmap_affine(input_size, heatmap_size, self.heatmap_alignment,
                                            dtype=kpt.dtype, device=kpt.device)
        centre_hm = centre_in * torch.diagonal(frame_map[:, :2]) + frame_map[:, 2]
        crop_centre_hm = frame_map[:, 2]  # the crop centre (n_in = 0) in the heatmap frame
        shift = torch.zeros(len(kpt), 2, 3, dtype=kpt.dtype, device=kpt.device)
        shift[:, 0, 0] = shift[:, 1, 1] = 1
        shift[:, :, 2] = centre_hm - crop_centre_hm  # out(q) = gt(q + c): centre moves to c0
        return affine_warp(target, shift), weight

    def parallel_sppe_loss(self, warped: Tensor, data_samples: List[Any],
                           input_size: Tuple[int, int]) -> Tensor:
        """Loss of the frozen parallel SPPE on the warped crops against centred poses."""
        branch = self._parallel_branch(warped.device)
        out = branch._forward(warped)
        if isinstance(out, (list, tuple)):
            out = out[-1]
        target, weight = self.centred_heatmap_targets(data_samples, (out.shape[3], out.shape[2]),
                                                      input_size)
        return self.parallel_sppe_cfg['loss_weight'] * self.parallel_loss(out, target, weight)

    # ------------------------------------------------------------------------ forward modes
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list, Tensor, tuple]:
        """``'loss'``, ``'predict'`` or ``'tensor'`` (head output in the crop frame)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            if self.metainfo is not None:
                for data_sample in data_samples:
                    data_sample.set_metainfo(self.metainfo)
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode.')

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        """Head output (heatmaps) of the STN-warped crops, mapped back by the SDTN."""
        return self.sppe.head.forward(self.extract_feat(inputs))

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """The SPPE head's losses in the crop frame (+ the parallel SPPE loss).

        Args:
            inputs: (B, C, H, W) crops.
            data_samples: their ``PoseDataSample`` with targets.

        Returns:
            Losses (and the head's accuracy logs).
        """
        warped, theta = self.stn(inputs)
        feats = self._tag(self.sppe.extract_feat(warped), theta, inputs)
        losses = dict(self.sppe.head.loss(feats, data_samples, train_cfg=self.train_cfg))
        if self.parallel_sppe_cfg is not None:
            losses['loss_parallel_sppe'] = self.parallel_sppe_loss(
                warped, data_samples, (inputs.shape[3], inputs.shape[2]))
        return losses

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Poses in image coordinates (the parallel SPPE is not used).

        Args:
            inputs: (B, C, H, W) crops.
            data_samples: their ``PoseDataSample`` (box centres/scales).

        Returns:
            ``data_samples`` with ``pred_instances`` (and ``pred_fields`` if asked for).
        """
        if self.test_cfg.get('flip_test', False):
            feats = [self.extract_feat(inputs), self.extract_feat(inputs.flip(-1))]
        else:
            feats = self.extract_feat(inputs)
        preds = self.sppe.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        if isinstance(preds, tuple):
            batch_pred_instances, batch_pred_fields = preds
        else:
            batch_pred_instances, batch_pred_fields = preds, None
        return self.sppe.add_pred_to_datasample(batch_pred_instances, batch_pred_fields,
                                                data_samples)
