"""Flowing ConvNets (Pfister, Charles, Zisserman, ICCV 2015) as an mmpose top-down estimator."""
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from plugins.models.utils.flow_warp import flow_warp, resize_flow
from plugins.utils.optical_flow import FLOW_METHODS, compute_flow

#: Where the flows between the current frame and its neighbours come from.
FLOW_SOURCES = ('auto', 'data', 'online', 'zero')


def flip_flows(flows: Tensor) -> Tensor:
    """Flows of horizontally flipped frames: mirror the field and negate ``dx``.

    Args:
        flows (Tensor): ``(..., 2, H, W)`` flows.

    Returns:
        Tensor: flows of the mirrored frames, same shape.
    """
    flipped = flows.flip(-1)
    sign = flows.new_tensor([-1.0, 1.0]).view(2, 1, 1)
    return flipped * sign


@MODELS.register_module()
class FlowingConvNet(TopdownPoseEstimator):
    """Heatmaps of neighbouring frames, warped by optical flow and fused by learned pooling.

    For the current frame ``t`` and its neighbours, a shared heatmap net (``backbone`` [+
    ``neck``] + ``head``, any mmpose heatmap head whose ``forward`` returns ``(N, K, h, w)``)
    predicts heatmaps per frame, optionally refined by ``spatial_fusion`` layers; the
    neighbours' heatmaps are warped into frame ``t`` with the dense optical flow from ``t`` to
    each neighbour (:func:`~plugins.models.utils.flow_warp.flow_warp`) and the ``T`` aligned
    stacks are fused per joint by ``fusion`` (a learned 1x1 convolution,
    :class:`~plugins.models.utils.temporal_pooling.TemporalPooling`).

    Inputs are ``(B, T, 3, H, W)`` crops of the same box in ``T`` frames, the current frame first
    (see :class:`~plugins.models.pose_estimators.flowing_convnet_data_preprocessor.
    VideoPoseDataPreprocessor`). Flows ``(T - 1, 2, h, w)`` (current -> neighbour ``i``, in
    pixels of their own grid) come from ``data_sample.metainfo['flows']`` (computed and cached
    by the data pipeline) or are computed here with OpenCV, depending on ``flow_cfg['source']``:

    - ``'auto'``: from the data samples when they carry them, else online;
    - ``'data'``: from the data samples (error if missing);
    - ``'online'``: OpenCV DIS/Farnebäck on the de-normalised input crops;
    - ``'zero'``: no motion (ablation: pooling without warping).

    Args:
        backbone (dict): backbone config (shared by all frames).
        head (dict): heatmap head config; its ``loss_module`` and ``decoder`` are used for the
            fused heatmaps.
        neck (dict, optional): neck config.
        num_frames (int): ``T``, the current frame plus its neighbours.
        fusion (dict): temporal fusion config; ``num_frames`` and ``num_keypoints`` are filled in.
        spatial_fusion (dict, optional): spatial fusion layers applied to every frame's heatmaps
            before warping; ``num_keypoints`` is filled in.
        flow_cfg (dict): ``source`` (see above), ``method`` (``'dis'`` or ``'farneback'``),
            ``dis_preset`` (OpenCV DIS preset name) and ``padding_mode`` of the warp
            (``'zeros'``: no evidence from outside the neighbour's crop).
        current_frame_loss_weight (float): weight of an extra loss on the current frame's own
            heatmaps (keeps the shared net a good single-frame net); 0 disables it.
        train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: as for
            ``TopdownPoseEstimator`` (``test_cfg``: ``flip_test``, ``flip_mode``,
            ``shift_heatmap``, ``output_heatmaps``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 neck: OptConfigType = None,
                 num_frames: int = 3,
                 fusion: ConfigType = dict(type='TemporalPooling', init='current'),
                 spatial_fusion: OptConfigType = None,
                 flow_cfg: OptConfigType = None,
                 current_frame_loss_weight: float = 1.0,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, metainfo=metainfo)
        if num_frames < 1:
            raise ValueError(f'FlowingConvNet: num_frames must be >= 1, got {num_frames}')
        for attr in ('loss_module', 'decoder'):
            if getattr(self.head, attr, None) is None:
                raise ValueError(f'FlowingConvNet: the head {type(self.head).__name__} has no '
                                 f'{attr!r}; use a heatmap head such as HeatmapHead')
        num_keypoints = getattr(self.head, 'out_channels', None)
        if not isinstance(num_keypoints, int):
            raise ValueError(f'FlowingConvNet: cannot read the number of heatmaps from head '
                             f'{type(self.head).__name__} (no integer out_channels)')
        self.num_frames = int(num_frames)
        self.num_keypoints = num_keypoints

        fusion = dict(fusion)
        fusion.setdefault('num_frames', self.num_frames)
        fusion.setdefault('num_keypoints', num_keypoints)
        self.fusion = MODELS.build(fusion)
        if spatial_fusion is not None:
            spatial_fusion = dict(spatial_fusion)
            spatial_fusion.setdefault('num_keypoints', num_keypoints)
            self.spatial_fusion = MODELS.build(spatial_fusion)
        else:
            self.spatial_fusion = None

        flow_cfg = {**dict(source='auto', method='dis', dis_preset='ultrafast',
                           padding_mode='zeros'), **(flow_cfg or {})}
        if flow_cfg['source'] not in FLOW_SOURCES:
            raise ValueError(f'FlowingConvNet: flow_cfg.source must be one of {FLOW_SOURCES}, '
                             f'got {flow_cfg["source"]!r}')
        if flow_cfg['method'] not in FLOW_METHODS:
            raise ValueError(f'FlowingConvNet: flow_cfg.method must be one of {FLOW_METHODS}, '
                             f'got {flow_cfg["method"]!r}')
        self.flow_cfg = flow_cfg
        self.current_frame_loss_weight = float(current_frame_loss_weight)

    # ----------------------------------------------------------------------------- heatmaps
    def frame_heatmaps(self, frames: Tensor) -> Tensor:
        """Heatmaps of single frames from the shared heatmap net (+ spatial fusion layers).

        Args:
            frames (Tensor): ``(N, 3, H, W)`` normalised crops.

        Returns:
            Tensor: ``(N, K, h, w)`` heatmaps.
        """
        feats = self.extract_feat(frames)
        heatmaps = self.head.forward(feats)
        if not isinstance(heatmaps, Tensor) or heatmaps.dim() != 4:
            raise TypeError(f'FlowingConvNet: head {type(self.head).__name__}.forward must '
                            'return one (N, K, h, w) heatmap tensor')
        if self.spatial_fusion is not None:
            heatmaps = self.spatial_fusion(
                heatmaps, feats[-1] if self.spatial_fusion.feat_channels else None)
        return heatmaps

    def forward_heatmaps(self,
                         inputs: Tensor,
                         data_samples: Optional[SampleList] = None,
                         flipped: bool = False) -> Tuple[Tensor, Tensor]:
        """Fused heatmaps of the current frames and their own single-frame heatmaps.

        Args:
            inputs (Tensor): ``(B, T, 3, H, W)`` normalised crops, current frame first.
            data_samples (list[PoseDataSample], optional): may carry ``metainfo['flows']``.
            flipped (bool): ``inputs`` are horizontally flipped crops (flip test); data flows
                are flipped to match.

        Returns:
            tuple[Tensor, Tensor]: fused ``(B, K, h, w)`` heatmaps and the current frame's own
            ``(B, K, h, w)`` heatmaps.
        """
        if inputs.dim() != 5 or inputs.shape[1] != self.num_frames:
            raise ValueError(f'FlowingConvNet expects (B, T={self.num_frames}, 3, H, W) inputs, '
                             f'got shape {tuple(inputs.shape)}')
        b, t = inputs.shape[:2]
        heatmaps = self.frame_heatmaps(inputs.flatten(0, 1)).unflatten(0, (b, t))
        current = heatmaps[:, 0]
        if t > 1:
            h, w = heatmaps.shape[-2:]
            flows = self.neighbour_flows(inputs, data_samples, (h, w), flipped)
            warped = flow_warp(heatmaps[:, 1:].flatten(0, 1), flows.flatten(0, 1),
                               padding_mode=self.flow_cfg['padding_mode'])
            stack = torch.cat([heatmaps[:, :1], warped.unflatten(0, (b, t - 1))], dim=1)
        else:
            stack = heatmaps
        return self.fusion(stack), current

    # -------------------------------------------------------------------------------- flows
    def neighbour_flows(self, inputs: Tensor, data_samples: Optional[SampleList],
                        size: Tuple[int, int], flipped: bool = False) -> Tensor:
        """Flows from the current frame to each neighbour at the heatmap size.

        Args:
            inputs (Tensor): ``(B, T, 3, H, W)`` normalised crops.
            data_samples (list, optional): data samples (``metainfo['flows']``).
            size (tuple[int, int]): heatmap ``(h, w)``.
            flipped (bool): whether ``inputs`` are flipped crops.

        Returns:
            Tensor: ``(B, T - 1, 2, h, w)`` flows in heatmap pixels.
        """
        b, t = inputs.shape[:2]
        source = self.flow_cfg['source']
        has_data = data_samples is not None and len(data_samples) == b and all(
            'flows' in ds.metainfo for ds in data_samples)
        if source == 'data' and not has_data:
            raise ValueError('FlowingConvNet: flow_cfg.source="data" but the data samples have '
                             'no metainfo["flows"]; add VideoComputeFlow + VideoTopdownAffine to '
                             'the pipeline and "flows" to PackPoseInputs meta_keys')
        if source == 'zero':
            return inputs.new_zeros(b, t - 1, 2, *size)
        if has_data and source in ('auto', 'data'):
            flows = self._flows_from_data(data_samples, t, inputs)
            if flipped:
                flows = flip_flows(flows)
        else:
            flows = self._flows_online(inputs)
        resized = resize_flow(flows.flatten(0, 1), size)
        return resized.unflatten(0, (b, t - 1))

    @staticmethod
    def _flows_from_data(data_samples: SampleList, t: int, like: Tensor) -> Tensor:
        flows = []
        for ds in data_samples:
            f = torch.as_tensor(np.asarray(ds.metainfo['flows'], dtype=np.float32))
            if f.dim() != 4 or f.shape[:2] != (t - 1, 2):
                where = ds.metainfo.get('img_path')
                raise ValueError(f'FlowingConvNet: metainfo["flows"] of {where} must be '
                                 f'(T-1={t - 1}, 2, h, w), got {tuple(f.shape)}')
            flows.append(f)
        shapes = {tuple(f.shape) for f in flows}
        if len(shapes) != 1:
            raise ValueError(f'FlowingConvNet: flows of one batch differ in shape: {shapes}')
        return torch.stack(flows).to(device=like.device, dtype=like.dtype)

    def _denormalised_bgr(self, inputs: Tensor) -> np.ndarray:
        """``(B, T, H, W, 3)`` uint8 BGR frames recovered from normalised inputs."""
        frames = inputs.detach().float()
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            frames = frames * pre.std.view(1, 1, 3, 1, 1) + pre.mean.view(1, 1, 3, 1, 1)
        if getattr(pre, '_channel_conversion', False):
            frames = frames[:, :, [2, 1, 0]]
        frames = frames.clamp(0, 255).round().to(torch.uint8)
        return frames.permute(0, 1, 3, 4, 2).cpu().numpy()

    def _flows_online(self, inputs: Tensor) -> Tensor:
        """OpenCV flow from the current crop to each neighbour crop: ``(B, T-1, 2, H, W)``."""
        frames = self._denormalised_bgr(inputs)
        b, t = frames.shape[:2]
        kwargs = dict(dis_preset=self.flow_cfg['dis_preset']) \
            if self.flow_cfg['method'] == 'dis' else {}
        flows = np.stack([
            np.stack([
                compute_flow(frames[i, 0], frames[i, j], self.flow_cfg['method'], **kwargs)
                for j in range(1, t)
            ]) for i in range(b)
        ])  # (B, T-1, H, W, 2)
        return torch.from_numpy(flows).permute(0, 1, 4, 2, 3).to(inputs.device, inputs.dtype)

    # ------------------------------------------------------------------------------ modes
    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None) -> Tensor:
        """Fused heatmaps ``(B, K, h, w)`` (``mode='tensor'``)."""
        return self.forward_heatmaps(inputs, data_samples)[0]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Heatmap loss of the fused (and optionally the current frame's own) heatmaps.

        Args:
            inputs (Tensor): ``(B, T, 3, H, W)`` crops.
            data_samples (list[PoseDataSample]): with ``gt_fields.heatmaps`` and
                ``gt_instance_labels.keypoint_weights``.

        Returns:
            dict: ``loss_kpt`` (fused), ``loss_kpt_current`` (if weighted) and ``acc_pose``.
        """
        fused, current = self.forward_heatmaps(inputs, data_samples)
        gt_heatmaps = torch.stack([d.gt_fields.heatmaps for d in data_samples])
        weights = torch.cat([d.gt_instance_labels.keypoint_weights for d in data_samples])
        losses = dict(loss_kpt=self.head.loss_module(fused, gt_heatmaps, weights))
        if self.current_frame_loss_weight > 0:
            losses['loss_kpt_current'] = self.current_frame_loss_weight * \
                self.head.loss_module(current, gt_heatmaps, weights)
        if self.train_cfg.get('compute_acc', True):
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(fused), target=to_numpy(gt_heatmaps),
                mask=to_numpy(weights) > 0)
            losses['acc_pose'] = torch.tensor(avg_acc, device=gt_heatmaps.device)
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Keypoints decoded from the fused heatmaps, in image coordinates.

        Args:
            inputs (Tensor): ``(B, T, 3, H, W)`` crops.
            data_samples (list[PoseDataSample]): with the crop's ``input_center``,
                ``input_scale``, ``input_size`` metainfo and ``gt_instances.bboxes``.

        Returns:
            list[PoseDataSample]: with ``pred_instances`` (and ``pred_fields.heatmaps`` if
            ``test_cfg.output_heatmaps``).
        """
        fused, _ = self.forward_heatmaps(inputs, data_samples)
        if self.test_cfg.get('flip_test', False):
            fused_flip, _ = self.forward_heatmaps(inputs.flip(-1), data_samples, flipped=True)
            fused_flip = flip_heatmaps(
                fused_flip,
                flip_mode=self.test_cfg.get('flip_mode', 'heatmap'),
                flip_indices=data_samples[0].metainfo['flip_indices'],
                shift_heatmap=self.test_cfg.get('shift_heatmap', False))
            fused = (fused + fused_flip) * 0.5
        preds = self.head.decode(fused)
        fields: Optional[List[PixelData]] = None
        if self.test_cfg.get('output_heatmaps', False):
            fields = [PixelData(heatmaps=hm) for hm in fused.detach()]
        return self.add_pred_to_datasample(preds, fields, data_samples)

    @property
    def frame_weights(self) -> Optional[Tensor]:
        """(K, T) learned pooling weights, when the fusion is a :class:`TemporalPooling`."""
        return getattr(self.fusion, 'frame_weights', None)
