"""Two-stage heatmap + offset head: stage 2 refines stage 1 from its features and outputs."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpose.registry import MODELS
from torch import Tensor

from .heatmap_offset_head import HeatmapOffsetHead


@MODELS.register_module()
class TwoStageHeatmapOffsetHead(HeatmapOffsetHead):
    """The two-stage top-down estimator of the keypoint-correspondence paper as an mmpose head.

    Stage 1 is a :class:`HeatmapOffsetHead` on the backbone features. Stage 2 takes stage 1's
    features, its heatmaps (as probabilities) and its offsets, concatenated, through
    ``stage2_channels`` 3x3 convolutions to a new set of 3K maps. Both stages are supervised
    (BCE on heatmaps, L1 on offsets; loss keys ``*_s1`` and ``*_s2``); keypoints are decoded
    from stage 2 (upsampled heatmap arg-max + offset, :class:`HeatmapOffset`).

    Args:
        stage2_channels: output channels of stage 2's 3x3 convolutions.
        Others: as :class:`HeatmapOffsetHead`.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 stage2_channels: Sequence[int] = (256, 256),
                 deconv_out_channels: Optional[Sequence[int]] = (256, 256, 256),
                 deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4, 4),
                 conv_out_channels: Optional[Sequence[int]] = None,
                 conv_kernel_sizes: Optional[Sequence[int]] = None,
                 loss: Optional[dict] = None,
                 loss_offset: Optional[dict] = None,
                 heatmap_prior: float = 0.01,
                 decoder: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels=in_channels,
            num_keypoints=num_keypoints,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes,
            loss=loss,
            loss_offset=loss_offset,
            heatmap_prior=heatmap_prior,
            decoder=decoder,
            init_cfg=init_cfg)
        if not stage2_channels:
            raise ValueError('stage2_channels must name at least one layer')
        layers = []
        channels = self.feat_channels + 3 * num_keypoints
        for out in stage2_channels:
            layers.append(ConvModule(channels, out, 3, padding=1, norm_cfg=dict(type='BN')))
            channels = out
        self.stage2_layers = nn.Sequential(*layers)
        self.stage2_final = nn.Conv2d(channels, 3 * num_keypoints, 1)

    def init_weights(self) -> None:
        super().init_weights()
        self._init_final(self.stage2_final)

    def forward_stages(self, feats: Tuple[Tensor]) -> Sequence[Tensor]:
        """``[stage-1 maps, stage-2 maps]``, each (B, 3K, H, W)."""
        x = self.head_features(feats)
        out1 = self.final_layer(x)
        b, c, h, w = out1.shape
        parts = out1.view(b, c // 3, 3, h, w)
        stage1 = torch.cat([torch.sigmoid(parts[:, :, :1]), parts[:, :, 1:]], dim=2)
        y = self.stage2_layers(torch.cat([x, stage1.view(b, c, h, w)], dim=1))
        return [out1, self.stage2_final(y)]

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Stage-2 maps (B, 3K, H, W)."""
        return self.forward_stages(feats)[-1]
