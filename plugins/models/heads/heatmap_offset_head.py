"""Top-down head predicting joint heatmaps plus joint offset maps."""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.structures import PixelData
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import MODELS
from mmpose.utils.tensor_utils import to_numpy
from torch import Tensor

OptIntSeq = Optional[Sequence[int]]


@MODELS.register_module()
class HeatmapOffsetHead(HeatmapHead):
    """mmpose's :class:`HeatmapHead` layers with 3 outputs per joint: a heatmap logit and the
    x/y offset to the joint (the layout of :class:`HeatmapOffset` / ``UDPHeatmap`` combined).

    Losses: binary cross-entropy on the heatmaps (``loss``, with logits), L1 on the offsets
    inside each joint's positive disk (``loss_offset``). Decoding (``decoder``, a
    :class:`HeatmapOffset` codec): upsampled heatmap arg-max + predicted offset.

    Args:
        in_channels: backbone output channels.
        num_keypoints: K (the head outputs 3K channels).
        deconv_out_channels, deconv_kernel_sizes, conv_out_channels, conv_kernel_sizes: the
            layers of :class:`HeatmapHead`.
        loss: heatmap loss (default mmpose ``BCELoss`` with logits and joint weights).
        loss_offset: offset loss (default mmpose ``L1Loss`` with weights).
        heatmap_prior: initial heatmap probability (sets the logit bias).
        decoder: a :class:`HeatmapOffset` codec config.
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 num_keypoints: int,
                 deconv_out_channels: OptIntSeq = (256, 256, 256),
                 deconv_kernel_sizes: OptIntSeq = (4, 4, 4),
                 conv_out_channels: OptIntSeq = None,
                 conv_kernel_sizes: OptIntSeq = None,
                 loss: Optional[dict] = None,
                 loss_offset: Optional[dict] = None,
                 heatmap_prior: float = 0.01,
                 decoder: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels=in_channels,
            out_channels=3 * num_keypoints,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes,
            loss=loss or dict(type='BCELoss', use_target_weight=True),
            decoder=decoder,
            init_cfg=init_cfg)
        if not 0 < heatmap_prior < 1:
            raise ValueError(f'heatmap_prior must be in (0, 1), got {heatmap_prior}')
        self.num_keypoints = int(num_keypoints)
        self.heatmap_prior = float(heatmap_prior)
        self.offset_loss_module = MODELS.build(
            loss_offset or dict(type='L1Loss', use_target_weight=True))
        self.feat_channels = (conv_out_channels[-1] if conv_out_channels else
                              deconv_out_channels[-1] if deconv_out_channels else in_channels)

    def init_weights(self) -> None:
        super().init_weights()
        self._init_final(self.final_layer)

    def _init_final(self, layer) -> None:
        """Heatmap logits start at the prior probability, offsets at 0."""
        if getattr(layer, 'bias', None) is not None:
            with torch.no_grad():
                layer.bias.zero_()
                layer.bias[0::3] = -math.log((1 - self.heatmap_prior) / self.heatmap_prior)

    # ------------------------------------------------------------------ forward
    def head_features(self, feats: Tuple[Tensor]) -> Tensor:
        """Features before the output layer (after the deconv and conv layers)."""
        return self.conv_layers(self.deconv_layers(feats[-1]))

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Maps (B, 3K, H, W): per joint ``[heatmap logit, x_offset, y_offset]``."""
        return self.final_layer(self.head_features(feats)).contiguous()

    def forward_stages(self, feats: Tuple[Tensor]) -> Sequence[Tensor]:
        """All supervised outputs (one stage here)."""
        return [self.forward(feats)]

    # ------------------------------------------------------------------ loss
    def loss(self, feats: Tuple[Tensor], batch_data_samples: list,
             train_cfg: Optional[dict] = None) -> Dict[str, Tensor]:
        """BCE on heatmaps + L1 on offsets of every stage; PCK accuracy of the last stage."""
        train_cfg = train_cfg or {}
        outputs = self.forward_stages(feats)
        target = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        weights = torch.cat(
            [d.gt_instance_labels.keypoint_weights for d in batch_data_samples])  # (B, K)
        losses: Dict[str, Tensor] = dict()
        for i, out in enumerate(outputs):
            hm_loss, off_loss = self._stage_losses(out, target, weights)
            suffix = '' if len(outputs) == 1 else f'_s{i + 1}'
            losses[f'loss_heatmap{suffix}'] = hm_loss
            losses[f'loss_offset{suffix}'] = off_loss
        if train_cfg.get('compute_acc', True):
            last = outputs[-1].detach()
            b, c, h, w = last.shape
            k = c // 3
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(torch.sigmoid(last.view(b, k, 3, h, w)[:, :, 0])),
                target=to_numpy(target.view(b, k, 3, h, w)[:, :, 0]),
                mask=to_numpy(weights) > 0)
            losses['acc_pose'] = torch.tensor(avg_acc, device=last.device)
        return losses

    def _stage_losses(self, out: Tensor, target: Tensor, weights: Tensor
                      ) -> Tuple[Tensor, Tensor]:
        b, c, h, w = out.shape
        if target.shape != out.shape:
            raise ValueError(f'target heatmaps {tuple(target.shape)} do not match the head '
                             f'output {tuple(out.shape)}: check the codec heatmap_size')
        k = c // 3
        out = out.view(b, k, 3, h, w)
        tgt = target.view(b, k, 3, h, w)
        w_map = weights[:, :, None, None].expand(b, k, h, w)
        hm_loss = self.loss_module(out[:, :, 0], tgt[:, :, 0], w_map)
        mask = tgt[:, :, 0] * w_map  # positive disks of weighted joints
        off_loss = self.offset_loss_module(out[:, :, 1:].permute(0, 1, 3, 4, 2),
                                           tgt[:, :, 1:].permute(0, 1, 3, 4, 2), mask)
        return hm_loss, off_loss

    # ------------------------------------------------------------------ predict
    def predict(self, feats, batch_data_samples: list, test_cfg: Optional[dict] = None):
        """Decode keypoints (heatmap probabilities + offsets) of the last stage; flip test
        averages with the flipped image's maps (``udp_combined`` flipping)."""
        test_cfg = test_cfg or {}
        if test_cfg.get('flip_test', False):
            assert isinstance(feats, list) and len(feats) == 2
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            maps = self.forward(feats[0])
            maps_flip = flip_heatmaps(self.forward(feats[1]), flip_indices=flip_indices,
                                      flip_mode='udp_combined',
                                      shift_heatmap=test_cfg.get('shift_heatmap', False))
            maps = (maps + maps_flip) * 0.5
        else:
            maps = self.forward(feats)
        b, c, h, w = maps.shape
        maps = maps.reshape(b, c // 3, 3, h, w).clone()
        maps[:, :, 0] = torch.sigmoid(maps[:, :, 0])
        maps = maps.view(b, c, h, w)
        preds = self.decode(maps)
        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=m) for m in maps.detach()]
        return preds
